/*
 * report.c — see report.h.
 *
 * The page is written top to bottom in one pass over data loaded first:
 *
 *   load     the run's row, its tasks (in the order they were recorded) and
 *            the newest 20 runs up to it, from read-only SQLite queries;
 *   header   id, state, source, lake, start, end, duration, rows, bytes;
 *   alert    (failed or interrupted runs) the first task that failed and its
 *            error, in a red box;
 *   graph    one column per task kind in pipeline order, one box per task —
 *            export chunks grouped into one box per table with a square per
 *            chunk — joined by arrows, coloured by state;
 *   timeline one bar per started task from its first start to its end,
 *            hatched when it took more than one attempt, on a wall-clock axis;
 *   tasks    a table row per task with its throughput;
 *   trend    the durations of the newest 20 runs, this one outlined.
 *
 * Geometry is plain arithmetic in SVG user units; the SVGs carry a viewBox
 * and scale to the page width.  Times are shown in UTC, as `status` does.
 */
#include "flow/report.h"
#include "util/version.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_RUNS 20

struct task {
    char *id, *kind, *name, *state, *error;
    int attempts;
    double start, end; /* Unix seconds; 0 when not recorded */
    int64_t rows, bytes;
};

struct past_run {
    char id[64];
    char state[16];
    double start, seconds;
};

struct report {
    char *id, *state, *source, *lake, *error;
    double start, end;
    int64_t rows, bytes;
    int has_totals; /* rows and bytes recorded (at the run's end) */
    int live;       /* the run is going now */
    struct task *tasks;
    int ntasks;
    struct past_run *past;
    int npast;
    double now;    /* when the report is made: the end of a live run's bars */
    double t0, t1; /* the timeline's span */
};

/* ---- loading ---------------------------------------------------------------- */

static int db_error(sqlite3 *db, const char *path, struct sl_err *err)
{
    return sl_err_set(err, sqlite3_errcode(db) == SQLITE_BUSY, "report", path,
                      "cannot read the run history: %s", sqlite3_errmsg(db));
}

static int open_history(const char *path, sqlite3 **db, struct sl_err *err)
{
    *db = NULL;
    if (access(path, F_OK))
        return sl_err_set(err, false, "report", path,
                          "no run history here yet; run `snaplake run` first");
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = db_error(*db, path, err);
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, 10000);
    return SL_OK;
}

/* A copy of column i ("" for NULL); NULL only when out of memory. */
static char *column_copy(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return strdup(t ? t : "");
}

static const char *shown_state(const char *state, int interrupted)
{
    if (interrupted && (!strcmp(state, "running") || !strcmp(state, "retrying")))
        return "interrupted";
    return state;
}

static int load_run(sqlite3 *db, const char *path, const char *run_id, const char *live_run,
                    struct report *r, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, state, started_at, ended_at, source, lake, rows, "
                           "bytes, error FROM runs WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, err);
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        r->id = column_copy(st, 0);
        r->state = column_copy(st, 1);
        r->start = sqlite3_column_double(st, 2);
        r->end = sqlite3_column_double(st, 3);
        r->source = column_copy(st, 4);
        r->lake = column_copy(st, 5);
        r->has_totals = sqlite3_column_type(st, 6) != SQLITE_NULL;
        r->rows = sqlite3_column_int64(st, 6);
        r->bytes = sqlite3_column_int64(st, 7);
        r->error = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : column_copy(st, 8);
        if (!r->id || !r->state || !r->source || !r->lake ||
            (sqlite3_column_type(st, 8) != SQLITE_NULL && !r->error))
            rc = sl_err_set(err, false, "report", run_id, "out of memory");
    } else if (step == SQLITE_DONE) {
        rc =
            sl_err_set(err, false, "report", run_id,
                       "no run with this id in %s (`snaplake status --list` shows the runs)", path);
    } else {
        rc = db_error(db, path, err);
    }
    sqlite3_finalize(st);
    if (rc)
        return rc;
    /* As `snaplake status`: running but not the live run = interrupted. */
    if (!strcmp(r->state, "running")) {
        if (live_run && !strcmp(live_run, r->id)) {
            r->live = 1;
        } else {
            free(r->state);
            r->state = strdup("interrupted");
            if (!r->state)
                return sl_err_set(err, false, "report", run_id, "out of memory");
        }
    }
    return SL_OK;
}

static int load_tasks(sqlite3 *db, const char *path, struct report *r, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK, cap = 0;
    int interrupted = !strcmp(r->state, "interrupted");
    if (sqlite3_prepare_v2(db,
                           "SELECT task_id, kind, name, state, attempts, started_at, ended_at, "
                           "rows, bytes, error FROM tasks WHERE run_id = ?1 "
                           "ORDER BY seq, started_at, task_id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, err);
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->ntasks == cap) {
            int ncap = cap ? 2 * cap : 64;
            struct task *t = realloc(r->tasks, (size_t)ncap * sizeof *t);
            if (!t) {
                rc = sl_err_set(err, false, "report", r->id, "out of memory");
                break;
            }
            r->tasks = t;
            cap = ncap;
        }
        struct task *t = &r->tasks[r->ntasks++];
        memset(t, 0, sizeof *t);
        t->id = column_copy(st, 0);
        t->kind = column_copy(st, 1);
        t->name = column_copy(st, 2);
        const char *state = (const char *)sqlite3_column_text(st, 3);
        t->state = strdup(shown_state(state ? state : "", interrupted));
        t->attempts = sqlite3_column_int(st, 4);
        t->start = sqlite3_column_double(st, 5);
        t->end = sqlite3_column_double(st, 6);
        t->rows = sqlite3_column_int64(st, 7);
        t->bytes = sqlite3_column_int64(st, 8);
        if (sqlite3_column_type(st, 9) != SQLITE_NULL && !(t->error = column_copy(st, 9))) {
            rc = sl_err_set(err, false, "report", r->id, "out of memory");
            break;
        }
        if (!t->id || !t->kind || !t->name || !t->state) {
            rc = sl_err_set(err, false, "report", r->id, "out of memory");
            break;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(db, path, err);
    sqlite3_finalize(st);
    return rc;
}

static int load_past(sqlite3 *db, const char *path, const char *live_run, struct report *r,
                     struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    r->past = calloc(HISTORY_RUNS, sizeof *r->past);
    if (!r->past)
        return sl_err_set(err, false, "report", r->id, "out of memory");
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, state, started_at, ended_at FROM runs "
                           "WHERE run_id <= ?1 ORDER BY run_id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, err);
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, HISTORY_RUNS);
    int step, n = 0;
    struct past_run newest_first[HISTORY_RUNS];
    while ((step = sqlite3_step(st)) == SQLITE_ROW && n < HISTORY_RUNS) {
        struct past_run *p = &newest_first[n++];
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        snprintf(p->id, sizeof p->id, "%s", id ? id : "");
        snprintf(p->state, sizeof p->state, "%s", state ? state : "");
        p->start = sqlite3_column_double(st, 2);
        double end = sqlite3_column_double(st, 3);
        int live = live_run && !strcmp(p->id, live_run);
        if (!strcmp(p->state, "running") && !live)
            snprintf(p->state, sizeof p->state, "interrupted");
        if (live)
            end = r->now;
        p->seconds = p->start > 0 && end > p->start ? end - p->start : 0;
    }
    int rc = step == SQLITE_ROW || step == SQLITE_DONE ? SL_OK : db_error(db, path, err);
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++) /* oldest first, left to right */
        r->past[i] = newest_first[n - 1 - i];
    r->npast = n;
    return rc;
}

static void report_free(struct report *r)
{
    for (int i = 0; i < r->ntasks; i++) {
        struct task *t = &r->tasks[i];
        free(t->id);
        free(t->kind);
        free(t->name);
        free(t->state);
        free(t->error);
    }
    free(r->tasks);
    free(r->past);
    free(r->id);
    free(r->state);
    free(r->source);
    free(r->lake);
    free(r->error);
}

/* The timeline's span: the run's start to its end (a live run: now; a run
 * whose end was not recorded: its last task time). */
static void find_span(struct report *r)
{
    double t0 = r->start, t1 = r->live ? r->now : r->end;
    for (int i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->start > 0 && (t0 <= 0 || t->start < t0))
            t0 = t->start;
        if (!r->live) {
            if (t->end > t1)
                t1 = t->end;
            if (t->start > t1)
                t1 = t->start;
        }
    }
    if (t0 <= 0)
        t0 = r->now;
    if (t1 < t0)
        t1 = t0;
    r->t0 = t0;
    r->t1 = t1;
}

/* ---- text ------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (1 … 4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] < 0x80             ? 1
            : (s[0] & 0xe0) == 0xc0 ? 2
            : (s[0] & 0xf0) == 0xe0 ? 3
            : (s[0] & 0xf8) == 0xf0 ? 4
                                    : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* s as HTML text (also good inside a quoted attribute), at most max
 * characters (0: all) with "…" when cut.  Bytes that are not UTF-8 (SQLite
 * keeps any bytes in names) become U+FFFD; control characters other than
 * newline and tab become a space. */
static void put_text(FILE *out, const char *s, size_t max)
{
    size_t chars = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        if (max && chars == max) {
            fputs("\xe2\x80\xa6", out);
            return;
        }
        int n = utf8_len(p);
        chars++;
        if (n == 0) {
            fputs("\xef\xbf\xbd", out);
            p++;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fputc(' ', out);
            else
                fwrite(p, 1, (size_t)n, out);
        }
        p += n;
    }
}

static void esc(FILE *out, const char *s)
{
    put_text(out, s, 0);
}

static void fmt_clock(double t, char *buf, size_t size, int tenths)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    /* Rounded to the tenth shown: 10:22:04.4999 is 10:22:04.5. */
    long long tenth = tenths ? llround(t * 10) : (long long)t * 10;
    time_t secs = (time_t)(tenth / 10);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
    if (tenths) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, ".%lld", tenth % 10);
    }
}

static void fmt_date(double t, char *buf, size_t size)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void fmt_duration(double s, char *buf, size_t size)
{
    if (s < 10)
        snprintf(buf, size, "%.2f s", s);
    else if (s < 60)
        snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, size, "%d min %02d s", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%d h %02d min", (int)s / 3600, (int)s % 3600 / 60);
}

static void fmt_bytes(int64_t b, char *buf, size_t size)
{
    if (b < 1024)
        snprintf(buf, size, "%lld B", (long long)b);
    else if (b < 1024 * 1024)
        snprintf(buf, size, "%.1f KiB", b / 1024.0);
    else if (b < 1024LL * 1024 * 1024)
        snprintf(buf, size, "%.1f MiB", b / 1048576.0);
    else
        snprintf(buf, size, "%.2f GiB", b / 1073741824.0);
}

/* 1234567 → "1,234,567". */
static void fmt_count(int64_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < size)
        buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
}

/* 2530500 → "2.5 M", 262331 → "262 k"; below 10,000 exact. */
static void fmt_compact(int64_t v, char *buf, size_t size)
{
    if (v < 10000)
        snprintf(buf, size, "%lld", (long long)v);
    else if (v < 1000000)
        snprintf(buf, size, "%lld k", (long long)(v / 1000));
    else if (v < 1000000000)
        snprintf(buf, size, "%.1f M", v / 1e6);
    else
        snprintf(buf, size, "%.1f G", v / 1e9);
}

/* ---- states ------------------------------------------------------------------ */

struct state_style {
    const char *name, *colour, *tint;
};

static const struct state_style styles[] = {
    {"done", "#1f9d55", "#e3f5ea"},     {"failed", "#d64545", "#fde8e8"},
    {"retrying", "#d98e04", "#fdf3dc"}, {"interrupted", "#8e44ad", "#f3e8f8"},
    {"running", "#2f80ed", "#e4efff"},  {"skipped", "#8a96a3", "#eef0f2"},
    {"pending", "#b0b8c1", "#f6f7f8"},
};

static const struct state_style *style_of(const char *state)
{
    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++)
        if (!strcmp(state, styles[i].name))
            return &styles[i];
    return &styles[sizeof styles / sizeof styles[0] - 1];
}

/* The state of a group of tasks: the most telling one among them. */
static const char *group_state(const struct report *r, const int *idx, int n)
{
    static const char *const order[] = {"failed", "interrupted", "retrying", "running", "pending"};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (int i = 0; i < n; i++)
            if (!strcmp(r->tasks[idx[i]].state, order[k]))
                return order[k];
    for (int i = 0; i < n; i++)
        if (strcmp(r->tasks[idx[i]].state, "skipped"))
            return r->tasks[idx[i]].state;
    return "skipped";
}

static void state_badge(FILE *out, const char *state)
{
    fprintf(out, "<span class=\"st\" style=\"background:%s;color:%s\">", style_of(state)->tint,
            !strcmp(state, "pending") ? "#5b6875" : style_of(state)->colour);
    esc(out, state);
    fputs("</span>", out);
}

/* The task's end for drawing: recorded, or the span's end when it is
 * still going (or was when the run stopped). */
static double task_end(const struct report *r, const struct task *t)
{
    return t->end > 0 ? t->end : r->t1;
}

/* ---- page -------------------------------------------------------------------- */

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#eef1f4;color:#1d2630;font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1200px;margin:0 auto;padding:22px}"
    ".card{background:#fff;border-radius:10px;padding:16px 22px;margin-bottom:16px;"
    "box-shadow:0 1px 3px rgba(20,30,40,.1)}"
    "h1{font-size:22px;margin:0 0 12px;font-weight:600}"
    "h2{font-size:16px;margin:0 0 10px;font-weight:600}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    ".pill{display:inline-block;padding:2px 12px;border-radius:999px;font-size:13px;"
    "font-weight:600;color:#fff;vertical-align:3px;margin-left:10px}"
    "dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));"
    "gap:8px 26px;margin:0}"
    "dl.facts dt{font-size:11px;color:#5b6875;text-transform:uppercase;letter-spacing:.05em}"
    "dl.facts dd{margin:0;overflow-wrap:anywhere}"
    ".alert{background:#fdecec;border:1px solid #efb0b0;border-left:6px solid #d64545;"
    "border-radius:8px;padding:12px 18px;margin-bottom:16px}"
    ".alert.interrupted{background:#f6eefa;border-color:#d7bde4;border-left-color:#8e44ad}"
    ".alert h2{color:#a12a2a;margin-bottom:6px}"
    ".alert.interrupted h2{color:#6c2d8a}"
    ".alert pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0 0;font-size:13px;"
    "background:rgba(255,255,255,.7);padding:8px 10px;border-radius:6px}"
    ".note{color:#5b6875;font-size:13px;margin:6px 0 0}"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;color:#3c4853;"
    "margin:0 0 10px}"
    ".legend i{display:inline-block;width:11px;height:11px;border-radius:3px;"
    "margin-right:5px;vertical-align:-1px;border:1px solid rgba(0,0,0,.15)}"
    ".scroll{overflow-x:auto}"
    "svg{display:block;max-width:100%;height:auto}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{padding:5px 7px;border-bottom:1px solid #e6e9ed;text-align:left;vertical-align:top}"
    "th{font-size:11px;color:#5b6875;text-transform:uppercase;letter-spacing:.04em;"
    "background:#f7f8fa;position:sticky;top:0}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.err{color:#a12a2a;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;"
    "min-width:150px}"
    "tr.failed td{background:#fff6f6}"
    "td.name{white-space:nowrap}"
    ".st{display:inline-block;padding:0 7px;border-radius:4px;font-size:12px;font-weight:600}"
    "footer{color:#7a8691;font-size:12px;text-align:center;padding:4px 0 18px}";

static void write_head(FILE *out, const struct report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"",
          out);
    esc(out, sl_created_by());
    fputs("\">\n<title>snaplake run ", out);
    esc(out, r->id);
    fputs(" \xe2\x80\x94 ", out);
    esc(out, r->state);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void fact(FILE *out, const char *name, const char *value, int mono)
{
    fprintf(out, "<div><dt>%s</dt><dd%s>", name, mono ? " class=\"mono\"" : "");
    esc(out, value);
    fputs("</dd></div>\n", out);
}

static void write_header(FILE *out, const struct report *r)
{
    char buf[64], dur[64];
    fputs("<header class=\"card\">\n<h1>Run <code>", out);
    esc(out, r->id);
    fprintf(out, "</code><span class=\"pill\" style=\"background:%s\">",
            style_of(r->state)->colour);
    esc(out, r->live ? "running" : r->state);
    fputs("</span></h1>\n<dl class=\"facts\">\n", out);
    fact(out, "Source", r->source, 1);
    fact(out, "Lake", r->lake, 1);
    fmt_date(r->start, buf, sizeof buf);
    fact(out, "Started", buf, 0);
    double end = r->live ? r->now : r->end > 0 ? r->end : r->t1;
    fmt_duration(end > r->start && r->start > 0 ? end - r->start : 0, dur, sizeof dur);
    if (r->live) {
        size_t n = strlen(dur);
        snprintf(dur + n, sizeof dur - n, " so far");
    }
    fact(out, "Duration", dur, 0);
    if (r->has_totals) {
        char rows[32], bytes[32], both[80];
        fmt_count(r->rows, rows, sizeof rows);
        fmt_bytes(r->bytes, bytes, sizeof bytes);
        snprintf(both, sizeof both, "%s rows, %s", rows, bytes);
        fact(out, "Exported", both, 0);
    }
    /* Tasks per state, in the legend's order. */
    char counts[256] = "";
    size_t used = 0;
    for (size_t k = 0; k < sizeof styles / sizeof styles[0]; k++) {
        int n = 0;
        for (int i = 0; i < r->ntasks; i++)
            n += !strcmp(r->tasks[i].state, styles[k].name);
        if (n)
            used += (size_t)snprintf(counts + used, sizeof counts - used, "%s%d %s",
                                     used ? ", " : "", n, styles[k].name);
        if (used >= sizeof counts)
            break;
    }
    fact(out, "Tasks", r->ntasks ? counts : "none recorded", 0);
    fputs("</dl>\n</header>\n", out);
}

/* The first task that failed (by its end time), or -1. */
static int first_failed(const struct report *r)
{
    int best = -1;
    for (int i = 0; i < r->ntasks; i++)
        if (!strcmp(r->tasks[i].state, "failed") &&
            (best < 0 || (r->tasks[i].end > 0 && r->tasks[i].end < r->tasks[best].end)))
            best = i;
    return best;
}

static void write_alert(FILE *out, const struct report *r)
{
    int failed = !strcmp(r->state, "failed"), interrupted = !strcmp(r->state, "interrupted");
    if (!failed && !interrupted)
        return;
    int f = first_failed(r);
    fprintf(out, "<section class=\"alert%s\">\n<h2>", interrupted ? " interrupted" : "");
    if (f >= 0) {
        fputs(interrupted ? "The run was interrupted; task " : "The run failed in task ", out);
        fputs("<code>", out);
        esc(out, r->tasks[f].id);
        fputs("</code> (", out);
        esc(out, r->tasks[f].kind);
        fprintf(out, ", %d attempt%s)</h2>\n", r->tasks[f].attempts,
                r->tasks[f].attempts == 1 ? "" : "s");
        if (r->tasks[f].error) {
            fputs("<pre>", out);
            esc(out, r->tasks[f].error);
            fputs("</pre>\n", out);
        }
    } else {
        fputs(interrupted ? "The run was interrupted" : "The run failed", out);
        fputs("</h2>\n", out);
    }
    /* The run's own error when it says more than the task's (or there is
     * no failed task: a failure between tasks, an interrupt). */
    const char *run_error = r->error      ? r->error
                            : interrupted ? "the run ended without finishing (the process was "
                                            "killed or crashed, or the machine stopped)"
                                          : NULL;
    if (run_error && (f < 0 || !r->tasks[f].error || !strstr(run_error, r->tasks[f].error))) {
        fputs("<pre>", out);
        esc(out, run_error);
        fputs("</pre>\n", out);
    }
    int stopped = 0;
    for (int i = 0; i < r->ntasks; i++)
        stopped += !strcmp(r->tasks[i].state, "interrupted");
    if (stopped) {
        fprintf(out, "<p class=\"note\">%d task%s stopped unfinished:", stopped,
                stopped == 1 ? "" : "s");
        for (int i = 0, shown = 0; i < r->ntasks && shown < 10; i++)
            if (!strcmp(r->tasks[i].state, "interrupted")) {
                fputs(shown++ ? ", <code>" : " <code>", out);
                esc(out, r->tasks[i].id);
                fputs("</code>", out);
            }
        fputs(stopped > 10 ? " \xe2\x80\xa6</p>\n" : "</p>\n", out);
    }
    fputs("<p class=\"note\">Nothing of this run was published; the previous run stays the "
          "published one.</p>\n</section>\n",
          out);
}

static void write_legend(FILE *out, int hatch)
{
    fputs("<div class=\"legend\">", out);
    for (size_t k = 0; k < sizeof styles / sizeof styles[0]; k++)
        fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", styles[k].colour,
                styles[k].name);
    if (hatch)
        fputs("<span><i style=\"background:repeating-linear-gradient(135deg,#1f9d55 0 3px,"
              "#fff 3px 5px)\"></i>retried (more than one attempt)</span>",
              out);
    fputs("</div>\n", out);
}

/* ---- task graph ---------------------------------------------------------------- */

#define NODE_W         172
#define COLUMN_GAP     42
#define NODE_GAP       10
#define CHUNK          9
#define CHUNKS_PER_ROW 14
#define CHUNKS_SHOWN   70

struct node {
    char label[160];
    const char *state;
    int *tasks; /* indexes into r->tasks; caller of graph_free frees */
    int ntasks;
    int chunks; /* an export table: draw a square per task */
    double y, h;
};

struct column {
    char title[64];
    struct node *nodes;
    int n;
    double x, height;
};

static const char *const known_kinds[] = {"snapshot", "export",  "stage1",
                                          "stage2",   "publish", "retention"};
static const char *const known_titles[] = {"Snapshot",       "Export",  "Stage 1 models",
                                           "Stage 2 models", "Publish", "Retention"};

/* The table of an export chunk: "export/<table>/<n>" → "<table>". */
static void chunk_table(const struct task *t, char *out, size_t size)
{
    const char *id = t->id;
    if (!strncmp(id, "export/", 7)) {
        const char *last = strrchr(id + 7, '/');
        size_t n = last ? (size_t)(last - (id + 7)) : strlen(id + 7);
        snprintf(out, size, "%.*s", (int)n, id + 7);
    } else {
        const char *part = strstr(t->name, " part-");
        snprintf(out, size, "%.*s", (int)(part ? part - t->name : (long)strlen(t->name)), t->name);
    }
}

static int add_node(struct column *c, const char *label, int task, struct node **out)
{
    struct node *n = realloc(c->nodes, (size_t)(c->n + 1) * sizeof *n);
    if (!n)
        return SL_ERROR;
    c->nodes = n;
    struct node *nd = &c->nodes[c->n++];
    memset(nd, 0, sizeof *nd);
    snprintf(nd->label, sizeof nd->label, "%s", label);
    if (task >= 0) {
        if (!(nd->tasks = malloc(sizeof *nd->tasks)))
            return SL_ERROR;
        nd->tasks[0] = task;
        nd->ntasks = 1;
    }
    *out = nd;
    return SL_OK;
}

static int add_to_node(struct node *nd, int task)
{
    int *t = realloc(nd->tasks, (size_t)(nd->ntasks + 1) * sizeof *t);
    if (!t)
        return SL_ERROR;
    nd->tasks = t;
    nd->tasks[nd->ntasks++] = task;
    return SL_OK;
}

static void graph_free(struct column *cols, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        for (int i = 0; i < cols[c].n; i++)
            free(cols[c].nodes[i].tasks);
        free(cols[c].nodes);
    }
    free(cols);
}

/* One column per kind that has tasks: the known kinds in pipeline order,
 * then any other kind in the order first seen.  Export chunks of one table
 * share a node. */
static int build_graph(const struct report *r, struct column **out, int *nout)
{
    int nknown = (int)(sizeof known_kinds / sizeof known_kinds[0]);
    struct column *cols = calloc((size_t)r->ntasks + (size_t)nknown, sizeof *cols);
    int ncols = 0;
    if (!cols)
        return SL_ERROR;
    for (int k = 0; k < nknown; k++)
        snprintf(cols[ncols++].title, sizeof cols[0].title, "%s", known_titles[k]);
    for (int i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        int c = 0;
        while (c < nknown && strcmp(t->kind, known_kinds[c]))
            c++;
        if (c == nknown) { /* another kind: its own column, titled by the kind */
            for (c = nknown; c < ncols && strcmp(cols[c].title, t->kind); c++)
                ;
            if (c == ncols)
                snprintf(cols[ncols++].title, sizeof cols[0].title, "%s", t->kind);
        }
        struct node *nd = NULL;
        if (c == 1) {
            char table[160];
            chunk_table(t, table, sizeof table);
            for (int j = 0; j < cols[c].n && !nd; j++)
                if (!strcmp(cols[c].nodes[j].label, table))
                    nd = &cols[c].nodes[j];
            if (nd ? add_to_node(nd, i) : add_node(&cols[c], table, i, &nd))
                goto oom;
            nd->chunks = 1;
        } else if (add_node(&cols[c], t->name[0] ? t->name : t->id, i, &nd)) {
            goto oom;
        }
    }
    /* Drop empty columns (no stage-2 models, an export-only run …). */
    int kept = 0;
    for (int c = 0; c < ncols; c++) {
        if (cols[c].n)
            cols[kept++] = cols[c];
        else
            free(cols[c].nodes);
    }
    *out = cols;
    *nout = kept;
    return SL_OK;
oom:
    graph_free(cols, ncols);
    return SL_ERROR;
}

static void node_subtitle(const struct report *r, const struct node *nd, char *buf, size_t size)
{
    int64_t rows = 0;
    int attempts = 0, done = 0;
    double first = 0, last = 0;
    for (int i = 0; i < nd->ntasks; i++) {
        const struct task *t = &r->tasks[nd->tasks[i]];
        rows += t->rows;
        attempts = t->attempts > attempts ? t->attempts : attempts;
        done += !strcmp(t->state, "done");
        if (t->start > 0 && (first <= 0 || t->start < first))
            first = t->start;
        if (t->start > 0 && task_end(r, t) > last)
            last = task_end(r, t);
    }
    char count[32], secs[32] = "";
    fmt_compact(rows, count, sizeof count);
    if (first > 0 && last >= first)
        fmt_duration(last - first, secs, sizeof secs);
    /* The state is the box's colour; its word only when not done. */
    size_t n = 0;
    if (nd->chunks && nd->ntasks > 1)
        n += (size_t)snprintf(buf + n, size - n, "%d/%d chunks", done, nd->ntasks);
    else if (strcmp(nd->state, "done"))
        n += (size_t)snprintf(buf + n, size - n, "%s", nd->state);
    if (rows && n < size)
        n += (size_t)snprintf(buf + n, size - n, "%s%s rows", n ? " \xc2\xb7 " : "", count);
    if (secs[0] && !(nd->chunks && nd->ntasks > 1) && n < size)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " \xc2\xb7 " : "", secs);
    if (attempts > 1 && !nd->chunks && n < size) /* a chunk's square shows its retries */
        snprintf(buf + n, size - n, "%s%d tries", n ? " \xc2\xb7 " : "", attempts);
}

static void layout_graph(struct column *cols, int ncols, double *width, double *height)
{
    double tallest = 0;
    for (int c = 0; c < ncols; c++) {
        double y = 0;
        for (int i = 0; i < cols[c].n; i++) {
            struct node *nd = &cols[c].nodes[i];
            int squares = nd->ntasks < CHUNKS_SHOWN ? nd->ntasks : CHUNKS_SHOWN;
            int rows = nd->chunks ? (squares + CHUNKS_PER_ROW - 1) / CHUNKS_PER_ROW : 0;
            nd->h = 44 + rows * (CHUNK + 2) + (rows ? 4 : 0);
            nd->y = y;
            y += nd->h + NODE_GAP;
        }
        cols[c].height = y - NODE_GAP;
        cols[c].x = 16 + c * (NODE_W + COLUMN_GAP);
        if (cols[c].height > tallest)
            tallest = cols[c].height;
    }
    /* Centre each column vertically under its title. */
    for (int c = 0; c < ncols; c++)
        for (int i = 0; i < cols[c].n; i++)
            cols[c].nodes[i].y += 34 + (tallest - cols[c].height) / 2;
    *width = 32 + ncols * NODE_W + (ncols - 1) * COLUMN_GAP;
    *height = tallest + 34 + 12;
}

static void draw_node(FILE *out, const struct report *r, const struct column *c, struct node *nd)
{
    const struct state_style *s = style_of(nd->state);
    char sub[160];
    node_subtitle(r, nd, sub, sizeof sub);
    fputs("<g><title>", out);
    esc(out, nd->label);
    fputs(": ", out);
    esc(out, nd->state);
    fputs(" \xe2\x80\x94 ", out);
    esc(out, sub);
    fputs("</title>", out);
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" rx=\"7\" fill=\"%s\" "
            "stroke=\"%s\" stroke-width=\"1.5\"/>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"5\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/>",
            c->x, nd->y, NODE_W, nd->h, s->tint, s->colour, c->x + 1, nd->y + 1, nd->h - 2,
            s->colour);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"600\" "
            "fill=\"#1d2630\">",
            c->x + 13, nd->y + 18);
    put_text(out, nd->label, 20);
    fprintf(out, "</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#4b5763\">", c->x + 13,
            nd->y + 35);
    put_text(out, sub, 29);
    fputs("</text>", out);
    if (nd->chunks) {
        int squares = nd->ntasks < CHUNKS_SHOWN ? nd->ntasks : CHUNKS_SHOWN;
        for (int i = 0; i < squares; i++) {
            const struct task *t = &r->tasks[nd->tasks[i]];
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"2\" "
                    "fill=\"%s\"%s><title>",
                    c->x + 13 + (i % CHUNKS_PER_ROW) * (CHUNK + 1.5),
                    nd->y + 44 + (i / CHUNKS_PER_ROW) * (CHUNK + 2), CHUNK, CHUNK,
                    style_of(t->state)->colour,
                    t->attempts > 1 ? " stroke=\"#1d2630\" stroke-width=\"1\"" : "");
            esc(out, t->name);
            fprintf(out, ": %s, %d attempt%s</title></rect>", t->state, t->attempts,
                    t->attempts == 1 ? "" : "s");
        }
        if (nd->ntasks > squares)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#4b5763\">+%d</text>",
                    c->x + NODE_W - 28, nd->y + nd->h - 6, nd->ntasks - squares);
    }
    fputs("</g>\n", out);
}

static void write_graph(FILE *out, const struct report *r, struct sl_err *err)
{
    fputs("<section class=\"card\">\n<h2>Task graph</h2>\n", out);
    if (!r->ntasks) {
        fputs("<p class=\"note\">No task was recorded for this run: it stopped before its "
              "snapshot began.</p>\n</section>\n",
              out);
        return;
    }
    struct column *cols = NULL;
    int ncols = 0;
    if (build_graph(r, &cols, &ncols)) {
        sl_err_set(err, false, "report", r->id, "out of memory");
        fputs("</section>\n", out);
        return;
    }
    for (int c = 0; c < ncols; c++)
        for (int i = 0; i < cols[c].n; i++)
            cols[c].nodes[i].state =
                group_state(r, cols[c].nodes[i].tasks, cols[c].nodes[i].ntasks);
    double width, height;
    layout_graph(cols, ncols, &width, &height);
    write_legend(out, 0);
    fprintf(out,
            "<div class=\"scroll\"><svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
            "role=\"img\" aria-label=\"task graph\">\n"
            "<defs><marker id=\"sl-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 "
            "z\" fill=\"#8a96a3\"/></marker></defs>\n",
            width, height, width);
    for (int c = 0; c < ncols; c++) {
        fprintf(out,
                "<text x=\"%.1f\" y=\"18\" font-size=\"12\" font-weight=\"600\" "
                "fill=\"#5b6875\" letter-spacing=\".04em\">",
                cols[c].x);
        esc(out, cols[c].title);
        int chunks = 0;
        for (int i = 0; i < cols[c].n; i++)
            chunks += cols[c].nodes[i].chunks ? cols[c].nodes[i].ntasks : 0;
        if (chunks > cols[c].n)
            fprintf(out, " (%d chunks)</text>\n", chunks);
        else
            fprintf(out, " (%d)</text>\n", cols[c].n);
    }
    /* Edges: every box of a column feeds a bus half-way to the next
     * column, and the bus every box of the next: each phase waits for the
     * whole previous one. */
    for (int c = 0; c + 1 < ncols; c++) {
        double bus = cols[c].x + NODE_W + COLUMN_GAP / 2.0, lo = 1e18, hi = -1e18;
        fputs("<g stroke=\"#a7b1bb\" stroke-width=\"1.4\" fill=\"none\">", out);
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < cols[c + k].n; i++) {
                double y = cols[c + k].nodes[i].y + 22;
                lo = y < lo ? y : lo;
                hi = y > hi ? y : hi;
                if (k == 0)
                    fprintf(out, "<path d=\"M%.1f,%.1f H%.1f\"/>", cols[c].x + NODE_W, y, bus);
                else
                    fprintf(out, "<path d=\"M%.1f,%.1f H%.1f\" marker-end=\"url(#sl-arrow)\"/>",
                            bus, y, cols[c + 1].x - 2);
            }
        fprintf(out, "<path d=\"M%.1f,%.1f V%.1f\"/></g>\n", bus, lo, hi);
    }
    for (int c = 0; c < ncols; c++)
        for (int i = 0; i < cols[c].n; i++)
            draw_node(out, r, &cols[c], &cols[c].nodes[i]);
    fputs("</svg></div>\n</section>\n", out);
    graph_free(cols, ncols);
}

/* ---- timeline ----------------------------------------------------------------- */

#define GANTT_LABEL 250
#define GANTT_PLOT  880
#define GANTT_ROW   20

/* A tick step of 1, 2 or 5 × 10^k seconds, or a whole number of minutes
 * or hours, giving about `ticks` ticks over span. */
static double tick_step(double span, int ticks)
{
    static const double steps[] = {0.1, 0.2, 0.5, 1,    2,    5,    10,    15,    30,    60,   120,
                                   300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] <= ticks)
            return steps[i];
    return 86400 * ceil(span / 86400 / ticks);
}

static void write_timeline(FILE *out, const struct report *r)
{
    int started = 0, retried = 0;
    for (int i = 0; i < r->ntasks; i++) {
        started += r->tasks[i].start > 0;
        retried += r->tasks[i].attempts > 1;
    }
    fputs("<section class=\"card\">\n<h2>Timeline</h2>\n", out);
    if (!started) {
        fputs("<p class=\"note\">No task started.</p>\n</section>\n", out);
        return;
    }
    write_legend(out, retried);
    double span = r->t1 - r->t0 > 0.05 ? r->t1 - r->t0 : 0.05;
    double scale = GANTT_PLOT / span, top = 30;
    double height = top + started * GANTT_ROW + 10, width = GANTT_LABEL + GANTT_PLOT + 150;
    fprintf(
        out,
        "<div class=\"scroll\"><svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
        "role=\"img\" aria-label=\"timeline\">\n"
        "<defs><pattern id=\"sl-hatch\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        "<rect width=\"3\" height=\"6\" fill=\"#fff\" fill-opacity=\".55\"/></pattern></defs>\n",
        width, height, width);
    /* Axis: wall-clock ticks with grid lines. */
    double step = tick_step(span, 8);
    double first = ceil(r->t0 / step) * step;
    for (double t = first; t <= r->t1 + 1e-9; t += step) {
        char clock[32];
        double x = GANTT_LABEL + (t - r->t0) * scale;
        fmt_clock(t, clock, sizeof clock, step < 1);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7eb\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#5b6875\" "
                "text-anchor=\"middle\">%s</text>\n",
                x, top - 6, x, height - 6, x, top - 12, clock);
    }
    fprintf(out, "<text x=\"0\" y=\"%.1f\" font-size=\"11\" fill=\"#5b6875\">UTC</text>\n",
            top - 12);
    int row = 0;
    for (int i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        if (t->start <= 0)
            continue;
        const struct state_style *s = style_of(t->state);
        double y = top + row * GANTT_ROW, x = GANTT_LABEL + (t->start - r->t0) * scale;
        double w = (task_end(r, t) - t->start) * scale, bw = w < 2 ? 2 : w;
        char secs[32];
        fmt_duration(task_end(r, t) - t->start, secs, sizeof secs);
        if (row % 2)
            fprintf(out, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%d\" fill=\"#f7f8fa\"/>",
                    y, width, GANTT_ROW);
        fputs("<g><title>", out);
        esc(out, t->id);
        fprintf(out, ": %s, %d attempt%s, %s</title>", t->state, t->attempts,
                t->attempts == 1 ? "" : "s", secs);
        fprintf(out, "<text x=\"4\" y=\"%.1f\" font-size=\"12\" fill=\"#1d2630\">", y + 14);
        put_text(out, t->id, 34);
        fputs("</text>", out);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"3\" "
                "fill=\"%s\"/>",
                x, y + 4, bw, s->colour);
        if (t->attempts > 1)
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"3\" "
                    "fill=\"url(#sl-hatch)\"/>",
                    x, y + 4, bw);
        /* The seconds after the bar (the plot leaves room on its right). */
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#4b5763\">%s", x + bw + 5,
                y + 14, secs);
        if (t->attempts > 1)
            fprintf(out, " \xc2\xb7 %d attempts", t->attempts);
        fputs("</text></g>\n", out);
        row++;
    }
    fputs("</svg></div>\n", out);
    if (started < r->ntasks)
        fprintf(out, "<p class=\"note\">%d task%s never started.</p>\n", r->ntasks - started,
                r->ntasks - started == 1 ? "" : "s");
    fputs("</section>\n", out);
}

/* ---- task table ---------------------------------------------------------------- */

static void write_tasks(FILE *out, const struct report *r)
{
    fputs("<section class=\"card\">\n<h2>Tasks</h2>\n", out);
    if (!r->ntasks) {
        fputs("<p class=\"note\">None recorded.</p>\n</section>\n", out);
        return;
    }
    fputs("<div class=\"scroll\"><table>\n<thead><tr><th>Kind</th><th>Task</th><th>State</th>"
          "<th class=\"n\">Attempts</th><th class=\"n\">Start (UTC)</th>"
          "<th class=\"n\">Seconds</th><th class=\"n\">Rows</th><th class=\"n\">Bytes</th>"
          "<th class=\"n\">Rows/s</th><th class=\"n\">MB/s</th><th>Error</th></tr></thead>\n"
          "<tbody>\n",
          out);
    for (int i = 0; i < r->ntasks; i++) {
        const struct task *t = &r->tasks[i];
        char start[32], secs[32] = "-", rows[32] = "-", bytes[32] = "-", rate[32] = "-",
                        mbs[32] = "-";
        fmt_clock(t->start, start, sizeof start, 0);
        double s = t->start > 0 ? task_end(r, t) - t->start : 0;
        if (t->start > 0)
            snprintf(secs, sizeof secs, t->end > 0 ? "%.2f" : "%.2f\xe2\x80\xa6", s);
        if (t->rows || !strcmp(t->state, "done"))
            fmt_count(t->rows, rows, sizeof rows);
        if (t->bytes)
            fmt_bytes(t->bytes, bytes, sizeof bytes);
        if (t->end > 0 && s > 0.0005 && t->rows) {
            char c[32];
            fmt_count((int64_t)(t->rows / s), c, sizeof c);
            snprintf(rate, sizeof rate, "%s", c);
        }
        if (t->end > 0 && s > 0.0005 && t->bytes)
            snprintf(mbs, sizeof mbs, t->bytes / 1e6 / s < 10 ? "%.2f" : "%.1f",
                     t->bytes / 1e6 / s);
        fprintf(out, "<tr%s><td>", !strcmp(t->state, "failed") ? " class=\"failed\"" : "");
        esc(out, t->kind);
        fputs("</td><td class=\"mono name\">", out);
        esc(out, t->name[0] ? t->name : t->id);
        fputs("</td><td>", out);
        state_badge(out, t->state);
        fprintf(out,
                "</td><td class=\"n\">%d</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                "<td class=\"n\">%s</td><td class=\"err mono\">",
                t->attempts, start, secs, rows, bytes, rate, mbs);
        esc(out, t->error);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div>\n</section>\n", out);
}

/* ---- trend -------------------------------------------------------------------- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void write_trend(FILE *out, const struct report *r)
{
    fputs("<section class=\"card\">\n<h2>This run and the previous runs</h2>\n", out);
    double max = 0, done[HISTORY_RUNS];
    int ndone = 0;
    for (int i = 0; i < r->npast; i++) {
        max = r->past[i].seconds > max ? r->past[i].seconds : max;
        if (strcmp(r->past[i].id, r->id) && !strcmp(r->past[i].state, "done") &&
            r->past[i].seconds > 0)
            done[ndone++] = r->past[i].seconds;
    }
    const struct past_run *self = r->npast ? &r->past[r->npast - 1] : NULL;
    char a[32], b[32], c[32];
    fmt_duration(self ? self->seconds : 0, a, sizeof a);
    fprintf(out, "<p class=\"note\">This run: <b>%s</b>%s.", a, r->live ? " so far" : "");
    if (ndone) {
        qsort(done, (size_t)ndone, sizeof done[0], compare_double);
        double median = ndone % 2 ? done[ndone / 2] : (done[ndone / 2 - 1] + done[ndone / 2]) / 2;
        fmt_duration(median, a, sizeof a);
        fmt_duration(done[0], b, sizeof b);
        fmt_duration(done[ndone - 1], c, sizeof c);
        fprintf(out, " The previous %d successful run%s: median %s (fastest %s, slowest %s).",
                ndone, ndone == 1 ? "" : "s", a, b, c);
    } else {
        fputs(" No earlier successful run to compare with.", out);
    }
    fputs("</p>\n", out);
    if (max <= 0)
        max = 1;
    double step = tick_step(max, 4), top_value = ceil(max / step) * step;
    const double left = 60, plot_h = 150, top = 22, bar_space = 48;
    double width = left + HISTORY_RUNS * bar_space + 20, height = top + plot_h + 76;
    fprintf(out,
            "<div class=\"scroll\"><svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"img\" "
            "aria-label=\"durations of the newest runs\">\n",
            width, height, width);
    for (double v = 0; v <= top_value + 1e-9; v += step) {
        double y = top + plot_h - v / top_value * plot_h;
        char label[32];
        if (step < 1)
            snprintf(label, sizeof label, "%.1f s", v);
        else if (step < 60)
            snprintf(label, sizeof label, "%.0f s", v);
        else if (step < 3600)
            snprintf(label, sizeof label, "%.0f min", v / 60);
        else
            snprintf(label, sizeof label, "%.0f h", v / 3600);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7eb\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#5b6875\" "
                "text-anchor=\"end\">%s</text>\n",
                left, y, width - 10, y, left - 6, y + 4, label);
    }
    for (int i = 0; i < r->npast; i++) {
        const struct past_run *p = &r->past[i];
        int is_self = !strcmp(p->id, r->id);
        double h = p->seconds / top_value * plot_h, x = left + 10 + i * bar_space;
        double y = top + plot_h - (h < 1 ? 1 : h);
        char secs[32], when[32];
        fmt_duration(p->seconds, secs, sizeof secs);
        char label[32]; /* fits over a bar */
        if (p->seconds < 100)
            snprintf(label, sizeof label, "%.1fs", p->seconds);
        else if (p->seconds < 6000)
            snprintf(label, sizeof label, "%.0fm", p->seconds / 60);
        else
            snprintf(label, sizeof label, "%.1fh", p->seconds / 3600);
        time_t st = (time_t)p->start;
        struct tm tm;
        gmtime_r(&st, &tm);
        strftime(when, sizeof when, "%m-%d %H:%M", &tm);
        fputs("<g><title>", out);
        esc(out, p->id);
        fputs(": ", out);
        esc(out, p->state);
        fprintf(out, ", %s</title>", secs);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"30\" height=\"%.1f\" rx=\"3\" "
                "fill=\"%s\"%s/>",
                x, y, h < 1 ? 1 : h, style_of(p->state)->colour,
                is_self ? " stroke=\"#1d2630\" stroke-width=\"2.5\"" : " fill-opacity=\".75\"");
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#3c4853\" "
                "text-anchor=\"middle\">%s</text>",
                x + 15, y - 4, label);
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#5b6875\" "
                "text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\"%s>%s</text>",
                x + 20, top + plot_h + 14, x + 20, top + plot_h + 14,
                is_self ? " font-weight=\"700\" fill=\"#1d2630\"" : "", when);
        fputs("</g>\n", out);
    }
    fputs("</svg></div>\n</section>\n", out);
}

/* ---- entry points --------------------------------------------------------------- */

int flow_report_write(const char *state_db_path, const char *run_id, const char *live_run,
                      FILE *out, struct sl_err *err)
{
    struct report r = {0};
    sqlite3 *db = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r.now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    int rc = open_history(state_db_path, &db, err);
    /* One read transaction: the run, its tasks and the history agree even
     * while a run is writing. */
    if (rc == SL_OK && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(db, state_db_path, err);
    if (rc == SL_OK)
        rc = load_run(db, state_db_path, run_id, live_run, &r, err);
    if (rc == SL_OK)
        rc = load_tasks(db, state_db_path, &r, err);
    if (rc == SL_OK)
        rc = load_past(db, state_db_path, r.live ? r.id : NULL, &r, err);
    sqlite3_close_v2(db); /* ends the read transaction */
    if (rc == SL_OK) {
        find_span(&r);
        write_head(out, &r);
        write_header(out, &r);
        write_alert(out, &r);
        write_graph(out, &r, err);
        write_timeline(out, &r);
        write_tasks(out, &r);
        write_trend(out, &r);
        char when[64];
        fmt_date(r.now, when, sizeof when);
        fputs("<footer>Written by ", out);
        esc(out, sl_created_by());
        fprintf(out, " at %s from the run history.</footer>\n</main>\n</body>\n</html>\n", when);
        if (err->set)
            rc = SL_ERROR;
        else if (fflush(out) || ferror(out))
            rc = sl_err_set(err, false, "report", run_id, "cannot write the report: %s",
                            strerror(errno));
    }
    report_free(&r);
    return rc;
}

int flow_report_newest_run(const char *state_db_path, char *out, size_t size, struct sl_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    int rc = open_history(state_db_path, &db, err);
    if (rc == SL_OK && sqlite3_prepare_v2(db,
                                          "SELECT run_id FROM runs ORDER BY run_id DESC "
                                          "LIMIT 1",
                                          -1, &st, NULL) != SQLITE_OK)
        rc = db_error(db, state_db_path, err);
    if (rc == SL_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
        else if (step != SQLITE_DONE)
            rc = db_error(db, state_db_path, err);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
