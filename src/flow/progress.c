/*
 * progress.c — see progress.h.
 *
 * The frame is drawn below the log lines: each redraw moves the cursor up
 * over the previous frame and rewrites every line ending with "\x1b[K"
 * (clear to the end of the line), so nothing is erased first and nothing
 * flickers.  Lines are cut to the terminal's width: a wrapped line would
 * make the cursor-up count wrong.
 */
#include "flow/progress.h"

#include "flow/run.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 24 /* running tables shown; more are summed in the overall line */

struct slot {
    char name[64];
    int64_t est;          /* rows expected in the chunks to export */
    int chunks;           /* to export (0: all kept by a resume, not shown) */
    atomic_llong rows;    /* exported so far (workers, per batch) */
    atomic_llong bytes;   /* Parquet bytes written so far */
    atomic_int running;   /* chunks running (leader) */
    atomic_int done;      /* last chunk done (leader) */
    _Atomic double start; /* first chunk started, 0 before */
};

static struct {
    struct slot *t;
    int n;
    char what[16]; /* "tables", or "stage1 models": models show time, not rows */
    int active; /* thread running, hook set */
    int color;
    double start;
    pthread_t thread;
    atomic_int stop;
    int drawn;  /* lines of the frame on screen (under the log's lock) */
    int hidden; /* the cursor is hidden (under the log's lock) */
} P;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int wanted(void)
{
    const char *mode = getenv("SNAPLAKE_PROGRESS"), *term = getenv("TERM");
    if (sl_log_json() || sl_log_level() > SL_LOG_INFO || (mode && !strcmp(mode, "never")))
        return 0;
    if (mode && !strcmp(mode, "always"))
        return 1;
    return isatty(2) && term && *term && strcmp(term, "dumb");
}

void progress_begin(int ntables)
{
    progress_begin_as(ntables, "tables");
}

void progress_begin_as(int ntables, const char *what)
{
    progress_end();
    snprintf(P.what, sizeof P.what, "%s", what);
    if (ntables <= 0 || !wanted())
        return;
    P.t = calloc((size_t)ntables, sizeof *P.t);
    if (!P.t)
        return; /* no display: the log is all there is */
    P.n = ntables;
}

void progress_table(int table, const char *name, int64_t est_rows)
{
    if (!P.t || table < 0 || table >= P.n)
        return;
    snprintf(P.t[table].name, sizeof P.t[table].name, "%s", name);
    P.t[table].est += est_rows > 0 ? est_rows : 0;
    P.t[table].chunks++;
}

void progress_add(int table, int64_t rows, int64_t bytes)
{
    if (!P.t || table < 0 || table >= P.n)
        return;
    atomic_fetch_add_explicit(&P.t[table].rows, rows, memory_order_relaxed);
    atomic_fetch_add_explicit(&P.t[table].bytes, bytes, memory_order_relaxed);
}

void progress_chunk(int table, int started)
{
    if (!P.t || table < 0 || table >= P.n)
        return;
    struct slot *s = &P.t[table];
    if (started && atomic_load(&s->start) == 0)
        atomic_store(&s->start, now());
    atomic_fetch_add(&s->running, started ? 1 : -1);
}

void progress_table_done(int table)
{
    if (P.t && table >= 0 && table < P.n)
        atomic_store(&P.t[table].done, 1);
}

/* "1:02:03", "2:03", or "--" when there is nothing to go by. */
static void fmt_eta(char *out, size_t size, double secs)
{
    if (!(secs >= 0) || secs > 99 * 3600) {
        snprintf(out, size, "--");
        return;
    }
    long s = (long)(secs + 0.5);
    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

static int columns(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 100;
}

/* One line of the frame into out: `label` (colored when colors are on and
 * the line fits) then `rest`, cut to width - 1 (the last column would
 * wrap on some terminals). */
static size_t put_line(char *out, size_t size, int width, const char *color, const char *label,
                       const char *rest)
{
    char plain[512];
    int n = snprintf(plain, sizeof plain, "%s%s", label, rest);
    if (n >= width - 1 || !P.color || !color) {
        if (n >= width - 1)
            plain[width - 1] = 0;
        return (size_t)snprintf(out, size, "\r%s\x1b[K\n", plain);
    }
    return (size_t)snprintf(out, size, "\r%s%s\x1b[0m%s\x1b[K\n", color, label, rest);
}

static double rate_of(int64_t rows, double secs)
{
    return secs > 0.2 ? rows / secs : 0;
}

/* Under the log's lock: the frame over the previous one. */
static void draw(void *arg)
{
    (void)arg;
    if (!P.t)
        return;
    char buf[MAX_LINES * 640 + 1024], label[128], rest[400], eta[32];
    size_t n = 0;
    int lines = 0, width = columns(), done = 0, shown = 0, total = 0;
    double t = now();
    int64_t rows = 0, bytes = 0, est = 0;
    if (P.drawn > 0)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\x1b[%dA", P.drawn);
    if (!P.hidden) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\x1b[?25l");
        P.hidden = 1;
    }
    for (int i = 0; i < P.n; i++) {
        struct slot *s = &P.t[i];
        if (s->chunks == 0)
            continue;
        total++;
        int64_t r = atomic_load_explicit(&s->rows, memory_order_relaxed);
        int64_t b = atomic_load_explicit(&s->bytes, memory_order_relaxed);
        double start = atomic_load(&s->start);
        rows += r;
        bytes += b;
        est += s->est > r ? s->est : r;
        if (atomic_load(&s->done)) {
            done++;
            continue;
        }
        if (start == 0 || shown >= MAX_LINES)
            continue;
        shown++;
        double rate = rate_of(r, t - start);
        char pct[16] = "  ?%";
        if (s->est > 0)
            snprintf(pct, sizeof pct, "%3d%%", r >= s->est ? 99 : (int)(r * 100 / s->est));
        fmt_eta(eta, sizeof eta, rate > 0 && s->est > r ? (s->est - r) / rate : -1);
        snprintf(label, sizeof label, "  %-24.24s", s->name);
        if (strcmp(P.what, "tables")) /* a model: no rows until it is done */
            fmt_eta(eta, sizeof eta, t - start), snprintf(rest, sizeof rest, " running %s", eta);
        else
            snprintf(rest, sizeof rest, " %12lld rows %9.1f MiB %10.0f rows/s %s  ETA %s",
                     (long long)r, b / 1048576.0, rate, pct, eta);
        n += put_line(buf + n, sizeof buf - n, width, "\x1b[36m", label, rest);
        lines++;
    }
    double rate = rate_of(rows, t - P.start);
    fmt_eta(eta, sizeof eta, rate > 0 && est > rows ? (est - rows) / rate : -1);
    snprintf(label, sizeof label, "  %s %d/%d", P.what, done, total);
    if (strcmp(P.what, "tables")) {
        fmt_eta(eta, sizeof eta, t - P.start);
        snprintf(rest, sizeof rest, "  %lld rows  %.1f MiB  %s elapsed", (long long)rows,
                 bytes / 1048576.0, eta);
    } else {
        snprintf(rest, sizeof rest, "  %lld rows  %.1f MiB  %.0f rows/s  %d%%  ETA %s",
                 (long long)rows, bytes / 1048576.0, rate,
                 est > 0 ? (int)(rows >= est ? 100 : rows * 100 / est) : 0, eta);
    }
    n += put_line(buf + n, sizeof buf - n, width, "\x1b[1m", label, rest);
    lines++;
    if (lines < P.drawn) /* a shorter frame: the old lines below go */
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\x1b[J");
    fwrite(buf, 1, n, stderr);
    fflush(stderr);
    P.drawn = lines;
}

/* Under the log's lock: the frame gone, the cursor where it started. */
static void clear(void *show_cursor)
{
    if (P.drawn > 0)
        fprintf(stderr, "\x1b[%dA\r\x1b[J", P.drawn);
    P.drawn = 0;
    if (show_cursor && P.hidden) {
        fputs("\x1b[?25h", stderr);
        P.hidden = 0;
    }
    fflush(stderr);
}

static void hook(int after, void *arg)
{
    (void)arg;
    if (after)
        draw(NULL);
    else
        clear(NULL);
}

static void *loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&P.stop)) {
        /* On an interrupt the terminal is left as it was found at once:
         * a second signal ends the process with no chance to. */
        if (flow_interrupted()) {
            sl_log_set_hook(NULL, NULL);
            sl_log_locked(clear, &P);
            break;
        }
        sl_log_locked(draw, NULL);
        for (int i = 0; i < 5 && !atomic_load(&P.stop); i++)
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000}, NULL);
    }
    return NULL;
}

void progress_show(void)
{
    if (!P.t || P.active)
        return;
    const char *nc = getenv("NO_COLOR");
    P.color = !(nc && *nc);
    P.start = now();
    atomic_store(&P.stop, 0);
    if (pthread_create(&P.thread, NULL, loop, NULL)) {
        free(P.t);
        P.t = NULL;
        return;
    }
    P.active = 1;
    sl_log_set_hook(hook, NULL);
}

void progress_end(void)
{
    if (P.active) {
        atomic_store(&P.stop, 1);
        pthread_join(P.thread, NULL);
        sl_log_set_hook(NULL, NULL);
        sl_log_locked(clear, &P);
        P.active = 0;
    }
    free(P.t);
    P.t = NULL;
    P.n = 0;
}
