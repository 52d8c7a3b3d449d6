/*
 * state.c — see state.h.
 */
#include "flow/state.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct flow_state {
    sqlite3 *db;
    sqlite3_stmt *task;
    char path[PATH_MAX];
};

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', 1);"
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " started_at REAL, ended_at REAL, source TEXT, lake TEXT, rows INTEGER, bytes INTEGER,"
    " error TEXT);"
    "CREATE TABLE IF NOT EXISTS tasks (run_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " kind TEXT, name TEXT, state TEXT NOT NULL, attempts INTEGER DEFAULT 0,"
    " started_at REAL, ended_at REAL, rows INTEGER, bytes INTEGER, error TEXT,"
    " seq INTEGER, PRIMARY KEY (run_id, task_id));";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int db_err(struct flow_state *s, struct sl_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    return sl_err_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED, "state", s->path,
                      "%s: %s", what, sqlite3_errmsg(s->db));
}

int flow_state_open(const char *path, int create, struct flow_state **out, struct sl_err *err)
{
    struct flow_state *s = calloc(1, sizeof *s);
    if (!s)
        return sl_err_set(err, false, "state", path, "out of memory");
    snprintf(s->path, sizeof s->path, "%s", path);
    if (create) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            mkdir(dir, 0777);
        }
    }
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        int rc = create ? db_err(s, err, "cannot open the run state")
                        : sl_err_set(err, false, "state", path,
                                     "no run state here yet; run `snaplake run` first");
        flow_state_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = db_err(s, err, "cannot prepare the run state");
        flow_state_close(s);
        return rc;
    }
    *out = s;
    return SL_OK;
}

void flow_state_close(struct flow_state *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->task);
    sqlite3_close(s->db);
    free(s);
}

int flow_state_run_begin(struct flow_state *s, const char *run_id, const char *source,
                         const char *lake, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO runs (run_id, state, started_at, source, lake) "
                           "VALUES (?1, 'running', ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot record the run");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, now());
    sqlite3_bind_text(st, 3, source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, lake, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(s, err, "cannot record the run");
    sqlite3_finalize(st);
    return rc;
}

int flow_state_run_end(struct flow_state *s, const char *run_id, const char *state, int64_t rows,
                       int64_t bytes, const char *error, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET state = ?2, ended_at = ?3, rows = ?4, bytes = ?5, "
                           "error = ?6 WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot record the run's end");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, now());
    sqlite3_bind_int64(st, 4, rows);
    sqlite3_bind_int64(st, 5, bytes);
    if (error)
        sqlite3_bind_text(st, 6, error, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(s, err, "cannot record the run's end");
    sqlite3_finalize(st);
    return rc;
}

int flow_state_task(struct flow_state *s, const char *run_id, const char *task_id,
                    const struct flow_task_update *u, struct sl_err *err)
{
    if (!s->task &&
        sqlite3_prepare_v2(
            s->db,
            "INSERT INTO tasks (run_id, task_id, kind, name, state, attempts, started_at, "
            " ended_at, rows, bytes, error, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            " CASE WHEN ?5 = 'running' THEN ?7 END, "
            " CASE WHEN ?5 IN ('done', 'failed', 'skipped') THEN ?7 END, ?8, ?9, ?10, "
            " (SELECT count(*) FROM tasks WHERE run_id = ?1)) "
            "ON CONFLICT (run_id, task_id) DO UPDATE SET state = ?5, attempts = ?6, "
            " started_at = coalesce(started_at, CASE WHEN ?5 = 'running' THEN ?7 END), "
            " ended_at = CASE WHEN ?5 IN ('done', 'failed', 'skipped') THEN ?7 END, "
            " rows = ?8, bytes = ?9, error = ?10",
            -1, &s->task, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot record a task");
    sqlite3_stmt *st = s->task;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, u->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, u->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, u->state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, u->attempts);
    sqlite3_bind_double(st, 7, now());
    sqlite3_bind_int64(st, 8, u->rows);
    sqlite3_bind_int64(st, 9, u->bytes);
    if (u->error)
        sqlite3_bind_text(st, 10, u->error, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_err(s, err, "cannot record a task");
    return SL_OK;
}

int flow_state_run_exists(struct flow_state *s, const char *run_id)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM runs WHERE run_id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

int flow_state_last_run(struct flow_state *s, char *out, size_t size, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return SL_OK;
}

static void fmt_time(double t, char *buf, size_t size)
{
    if (t <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
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

int flow_state_print_runs(struct flow_state *s, int limit, FILE *out, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT run_id, state, started_at, ended_at, rows, bytes, error "
                           "FROM runs ORDER BY run_id DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    sqlite3_bind_int(st, 1, limit);
    fprintf(out, "%-18s %-8s %-19s %8s %12s %10s  %s\n", "RUN", "STATE", "STARTED (UTC)",
            "SECONDS", "ROWS", "BYTES", "ERROR");
    while (sqlite3_step(st) == SQLITE_ROW) {
        double a = sqlite3_column_double(st, 2), b = sqlite3_column_double(st, 3);
        char when[32] = "-", secs[32] = "-", by[32];
        if (a > 0) {
            time_t t = (time_t)a;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        }
        if (a > 0 && b > 0)
            snprintf(secs, sizeof secs, "%.1f", b - a);
        fmt_bytes(sqlite3_column_int64(st, 5), by, sizeof by);
        const char *e = (const char *)sqlite3_column_text(st, 6);
        fprintf(out, "%-18s %-8s %-19s %8s %12lld %10s  %.80s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), when, secs, (long long)sqlite3_column_int64(st, 4), by,
                e ? e : "");
    }
    sqlite3_finalize(st);
    return SL_OK;
}

int flow_state_print(struct flow_state *s, const char *run_id, FILE *out, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT state, started_at, ended_at, source, lake, rows, bytes, error "
                           "FROM runs WHERE run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sl_err_set(err, false, "status", run_id, "no run with this id");
    }
    char t0[32], t1[32], by[32];
    double started = sqlite3_column_double(st, 1), ended = sqlite3_column_double(st, 2);
    fmt_time(started, t0, sizeof t0);
    fmt_time(ended, t1, sizeof t1);
    fmt_bytes(sqlite3_column_int64(st, 6), by, sizeof by);
    fprintf(out, "run %s: %s\n  source  %s\n  lake    %s\n  time    %s - %s UTC (%.1f s)\n",
            run_id, sqlite3_column_text(st, 0), sqlite3_column_text(st, 3),
            sqlite3_column_text(st, 4), t0, t1, ended > 0 ? ended - started : 0);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
        fprintf(out, "  rows    %lld, %s\n", (long long)sqlite3_column_int64(st, 5), by);
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        fprintf(out, "  error   %s\n", sqlite3_column_text(st, 7));
    sqlite3_finalize(st);

    if (sqlite3_prepare_v2(s->db,
                           "SELECT kind, name, state, attempts, started_at, ended_at, rows, "
                           "bytes, error FROM tasks WHERE run_id = ?1 ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read tasks");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    fprintf(out, "\n%-9s %-34s %-8s %3s %8s %8s %12s %10s\n", "KIND", "NAME", "STATE", "TRY",
            "START", "SECONDS", "ROWS", "BYTES");
    while (sqlite3_step(st) == SQLITE_ROW) {
        double a = sqlite3_column_double(st, 4), b = sqlite3_column_double(st, 5);
        fmt_time(a, t0, sizeof t0);
        fmt_bytes(sqlite3_column_int64(st, 7), by, sizeof by);
        char secs[32];
        if (a > 0 && b > 0)
            snprintf(secs, sizeof secs, "%.2f", b - a);
        else
            snprintf(secs, sizeof secs, "-");
        fprintf(out, "%-9s %-34.34s %-8s %3d %8s %8s %12lld %10s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                sqlite3_column_int(st, 3), t0, secs, (long long)sqlite3_column_int64(st, 6), by);
        if (sqlite3_column_type(st, 8) != SQLITE_NULL)
            fprintf(out, "          error: %s\n", sqlite3_column_text(st, 8));
    }
    sqlite3_finalize(st);
    return SL_OK;
}
