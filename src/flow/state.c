/*
 * state.c — see state.h.
 *
 * Schema versions (meta.schema_version; a file is brought up to date on
 * open, one step at a time, each step in one transaction; a new file is
 * made as version 1 and takes the same steps, so every step is run by
 * every test):
 *   1  runs(run_id, state, started_at, ended_at, source, lake, rows, bytes,
 *      error); tasks(run_id, task_id, kind, name, state, attempts,
 *      started_at, ended_at, rows, bytes, error, seq).
 *   2  the run as a task graph: runs + source_type, snapshot (the source's
 *      describe() JSON), snapshot_at, cleaned_at (when the files of a run
 *      that cannot be resumed any more were removed); tasks + dataset, chunk_index,
 *      chunk_whole, chunk_lo, chunk_hi (text: the source's own encoding
 *      of the bounds, source.h, kept as is; NULL = open), est_rows; new tables
 *      datasets (one per dataset of a run: layer, name, seq, prefix,
 *      location, source_table, source_rows, rows_exact, schema_json) and
 *      files (one per file written: task, layer, dataset, path, rows, bytes,
 *      crc32, seconds).  Columns are only ever added (readers of version 1
 *      columns, such as `snaplake report`, keep working).
 *   3  the deadline (flow/deadline.c): runs + deadline_at, predicted_end;
 *      new table steps (one per step of the run's table that finished: its
 *      start and end), the history the prediction is made from.
 *   4  tasks + snapshot: an export chunk's snapshot identity (a resume with
 *      --allow-mixed-snapshots keeps chunks of another snapshot than the
 *      new ones; the manifest and `status` show each table's).
 * A file of a later version than this program knows is refused.
 */
#include "flow/state.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct flow_state {
    sqlite3 *db;
    sqlite3_stmt *task;
    char path[PATH_MAX];
};

/* Version 1, as first released: the starting point of every file. */
static const char *schema_v1 =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', 1);"
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " started_at REAL, ended_at REAL, source TEXT, lake TEXT, rows INTEGER, bytes INTEGER,"
    " error TEXT);"
    "CREATE TABLE IF NOT EXISTS tasks (run_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " kind TEXT, name TEXT, state TEXT NOT NULL, attempts INTEGER DEFAULT 0,"
    " started_at REAL, ended_at REAL, rows INTEGER, bytes INTEGER, error TEXT,"
    " seq INTEGER, PRIMARY KEY (run_id, task_id));";

/* migrations[v - 1] takes a file from version v to v + 1. */
static const char *const migrations[] = {
    /* 1 → 2 */
    "ALTER TABLE runs ADD COLUMN source_type TEXT;"
    "ALTER TABLE runs ADD COLUMN snapshot TEXT;"
    "ALTER TABLE runs ADD COLUMN snapshot_at REAL;"
    "ALTER TABLE runs ADD COLUMN cleaned_at REAL;"
    "ALTER TABLE tasks ADD COLUMN dataset TEXT;"
    "ALTER TABLE tasks ADD COLUMN chunk_index INTEGER;"
    "ALTER TABLE tasks ADD COLUMN chunk_whole INTEGER;"
    "ALTER TABLE tasks ADD COLUMN chunk_lo TEXT;"
    "ALTER TABLE tasks ADD COLUMN chunk_hi TEXT;"
    "ALTER TABLE tasks ADD COLUMN est_rows INTEGER;"
    "CREATE TABLE datasets (run_id TEXT NOT NULL, layer TEXT NOT NULL, name TEXT NOT NULL,"
    " seq INTEGER, prefix TEXT, location TEXT, source_table TEXT, source_rows INTEGER,"
    " rows_exact INTEGER, schema_json TEXT, PRIMARY KEY (run_id, layer, name));"
    "CREATE TABLE files (run_id TEXT NOT NULL, task_id TEXT, layer TEXT NOT NULL,"
    " dataset TEXT NOT NULL, path TEXT NOT NULL, rows INTEGER, bytes INTEGER, crc32 INTEGER,"
    " seconds REAL, PRIMARY KEY (run_id, path));",
    /* 2 → 3 */
    "ALTER TABLE runs ADD COLUMN deadline_at REAL;"
    "ALTER TABLE runs ADD COLUMN predicted_end REAL;"
    "CREATE TABLE steps (run_id TEXT NOT NULL, step TEXT NOT NULL, started_at REAL,"
    " ended_at REAL, PRIMARY KEY (run_id, step));",
    /* 3 → 4 */
    "ALTER TABLE tasks ADD COLUMN snapshot TEXT;",
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int db_err(struct flow_state *s, struct sl_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    return sl_err_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED, "state", s->path, "%s: %s",
                      what, sqlite3_errmsg(s->db));
}

static int is_damage(int code)
{
    code &= 0xff;
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static int schema_version(struct flow_state *s, int *version, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read the run state's version");
    *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return SL_OK;
}

/* Bring the file to FLOW_STATE_SCHEMA_VERSION, one step a transaction
 * (BEGIN IMMEDIATE: a `status` reading at the same time waits, and never
 * sees half a step). */
static int migrate(struct flow_state *s, struct sl_err *err)
{
    int v;
    if (schema_version(s, &v, err))
        return SL_ERROR;
    if (v > FLOW_STATE_SCHEMA_VERSION || v < 1)
        return sl_err_set(err, false, "state", s->path,
                          "the run history has schema version %d, but this snaplake knows "
                          "versions 1 to %d: use a newer snaplake",
                          v, FLOW_STATE_SCHEMA_VERSION);
    for (; v < FLOW_STATE_SCHEMA_VERSION; v++) {
        char bump[96];
        snprintf(bump, sizeof bump,
                 "UPDATE meta SET value = %d WHERE key = 'schema_version'; COMMIT;", v + 1);
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return db_err(s, err, "cannot update the run state's schema");
        int again = 0; /* another process did this step meanwhile */
        if (schema_version(s, &again, err) == SL_OK && again != v) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            v = again - 1;
            continue;
        }
        if (sqlite3_exec(s->db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "cannot update the run state from version %d", v);
            int rc = db_err(s, err, what);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        sl_debug("run state %s: schema version %d → %d", s->path, v, v + 1);
    }
    return SL_OK;
}

/* Check the file (PRAGMA quick_check: every page and index, in time linear
 * in the file's size, which stays small) and prepare it.  Returns SL_OK,
 * FLOW_STATE_DAMAGED with *err naming the damage, or SL_ERROR. */
static int prepare(struct flow_state *s, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    char detail[512] = "";
    int rc = SL_OK;
    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(detail, sizeof detail, "%s", sqlite3_errmsg(s->db));
        rc = is_damage(sqlite3_errcode(s->db)) ? FLOW_STATE_DAMAGED : SL_ERROR;
    } else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
        snprintf(detail, sizeof detail, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = FLOW_STATE_DAMAGED;
    }
    sqlite3_finalize(st);
    if (rc == SL_OK &&
        (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL, NULL,
                      NULL) != SQLITE_OK ||
         sqlite3_exec(s->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK)) {
        snprintf(detail, sizeof detail, "%s", sqlite3_errmsg(s->db));
        rc = is_damage(sqlite3_errcode(s->db)) ? FLOW_STATE_DAMAGED : SL_ERROR;
    }
    /* quick_check's text: "*** in database main ***\nPage 2: …": one line. */
    const char *d = strncmp(detail, "*** in database main ***", 24) ? detail : detail + 24;
    d += strspn(d, "\n ");
    for (char *p = detail; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (rc == FLOW_STATE_DAMAGED)
        sl_err_set(err, false, "state", s->path,
                   "the run history is damaged (%s) and cannot be used. The lake is not "
                   "affected: its manifests (_snaplake/runs) and catalog still say what was "
                   "published",
                   d);
    else if (rc)
        sl_err_set(err, sqlite3_errcode(s->db) == SQLITE_BUSY, "state", s->path,
                   "cannot prepare the run state: %s", detail);
    return rc ? rc : migrate(s, err);
}

static int open_db(struct flow_state *s, int flags, struct sl_err *err)
{
    int oflags = flags & FLOW_STATE_CREATE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                           : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(s->path, &s->db, oflags, NULL) != SQLITE_OK) {
        if (flags & FLOW_STATE_CREATE)
            return db_err(s, err, "cannot open the run state");
        return sl_err_set(err, false, "state", s->path,
                          "no run state here yet; run `snaplake run` first");
    }
    sqlite3_busy_timeout(s->db, 10000);
    return prepare(s, err);
}

/* Move a damaged history (and its WAL) to <path>.corrupt-<UTC time>. */
static int set_aside(struct flow_state *s, struct sl_err *err)
{
    char stamp[32], aside[PATH_MAX + 64], from[PATH_MAX + 8], to[PATH_MAX + 72];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(aside, sizeof aside, "%s.corrupt-%s", s->path, stamp);
    if (rename(s->path, aside))
        return sl_err_set(err, false, "state", s->path,
                          "cannot move the damaged run history "
                          "to %s: %s",
                          aside, strerror(errno));
    snprintf(from, sizeof from, "%s-wal", s->path);
    snprintf(to, sizeof to, "%s-wal", aside);
    if (rename(from, to) && errno != ENOENT)
        return sl_err_set(err, false, "state", from, "cannot move aside: %s", strerror(errno));
    snprintf(from, sizeof from, "%s-shm", s->path);
    unlink(from);
    sl_warn("the run history %s was damaged; it is now %s, and a new history starts with this "
            "run",
            s->path, aside);
    return SL_OK;
}

int flow_state_open(const char *path, int flags, struct flow_state **out, struct sl_err *err)
{
    struct flow_state *s = calloc(1, sizeof *s);
    if (!s)
        return sl_err_set(err, false, "state", path, "out of memory");
    snprintf(s->path, sizeof s->path, "%s", path);
    if (flags & FLOW_STATE_CREATE) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            mkdir(dir, 0777);
        }
    }
    int rc = open_db(s, flags, err);
    if (rc == FLOW_STATE_DAMAGED && (flags & FLOW_STATE_NEW_IF_DAMAGED)) {
        sqlite3_close(s->db);
        s->db = NULL;
        sl_err_clear(err);
        rc = set_aside(s, err);
        if (rc == SL_OK)
            rc = open_db(s, flags | FLOW_STATE_CREATE, err);
    } else if (rc == SL_OK && (flags & FLOW_STATE_NEW_IF_DAMAGED)) {
        sl_info("the run history %s is not damaged: keeping it (--new-history only replaces a "
                "damaged one)",
                path);
    }
    if (rc) {
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
    /* No task outlives its run: whatever did not finish ended with it. */
    if (rc == SL_OK &&
        sqlite3_prepare_v2(s->db,
                           "UPDATE tasks SET state = CASE WHEN ?2 = 'interrupted' THEN "
                           " 'interrupted' WHEN state = 'pending' THEN 'skipped' ELSE 'failed' "
                           " END, ended_at = CASE WHEN state = 'pending' THEN ended_at ELSE ?3 "
                           " END WHERE run_id = ?1 AND state IN ('pending', 'running', "
                           " 'retrying')",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 3, now());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_err(s, err, "cannot record the run's end");
        sqlite3_finalize(st);
    } else if (rc == SL_OK) {
        rc = db_err(s, err, "cannot record the run's end");
    }
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

int flow_state_mark_interrupted(struct flow_state *s, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs WHERE state = 'running'", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    while (sqlite3_step(st) == SQLITE_ROW)
        sl_warn("run %s ended without finishing (the process was killed or the machine "
                "stopped); recorded as interrupted",
                sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    /* ended_at: the last moment the run was seen doing something. */
    if (sqlite3_exec(s->db,
                     "BEGIN;"
                     /* as flow_state_run_end: what never started was skipped */
                     "UPDATE tasks SET state = CASE WHEN state = 'pending' THEN 'skipped' "
                     " ELSE 'interrupted' END WHERE state IN ('pending', 'running', "
                     " 'retrying') AND run_id IN (SELECT run_id FROM runs WHERE state = 'running');"
                     "UPDATE runs SET state = 'interrupted', ended_at = coalesce((SELECT "
                     " max(max(coalesce(t.started_at, 0), coalesce(t.ended_at, 0))) FROM tasks t "
                     " WHERE t.run_id = runs.run_id), started_at), error = coalesce(error, "
                     " '" FLOW_STATE_INTERRUPTED_ERROR "') WHERE state = 'running';"
                     "COMMIT;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        int rc = db_err(s, err, "cannot record interrupted runs");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return SL_OK;
}

int flow_state_mark_published(struct flow_state *s, const char *run_id, const char *note,
                              struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET state = 'done', error = ?2 WHERE run_id = ?1 AND "
                           " state IN ('running', 'interrupted', 'failed')",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot record the published run");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, note, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(s, err, "cannot record the published run");
    int changed = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    if (rc || !changed)
        return rc;
    sl_warn("run %s is published (the catalog switched to it) but was not recorded done: "
            "recorded done",
            run_id);
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE tasks SET state = 'done', error = NULL, ended_at = "
                           " coalesce(ended_at, ?2) WHERE run_id = ?1 AND task_id = 'publish'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot record the published run");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, now());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(s, err, "cannot record the published run");
    sqlite3_finalize(st);
    return rc;
}

int flow_state_publish_unsettled(struct flow_state *s, bool *unsettled, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    *unsettled = true;
    /* max() of no rows is NULL, and no comparison with NULL is true: with
     * no done run the answer is 1 from the coalesce. */
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT coalesce((SELECT EXISTS (SELECT 1 FROM tasks t JOIN runs r USING (run_id) "
            " WHERE t.task_id = 'publish' AND t.state NOT IN ('pending', 'skipped') "
            " AND r.state <> 'done' AND r.run_id > d.last) FROM (SELECT max(run_id) AS last "
            " FROM runs WHERE state = 'done') d WHERE d.last IS NOT NULL), 1)",
            -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    int rc = sqlite3_step(st) == SQLITE_ROW ? SL_OK : db_err(s, err, "cannot read runs");
    if (rc == SL_OK)
        *unsettled = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc;
}

/* A run recorded as running that is not the one going now (live_run) ended
 * without recording its end: show it as interrupted. */
static const char *shown_state(const char *run_id, const char *state, const char *live_run)
{
    if (state && !strcmp(state, "running") && (!live_run || strcmp(run_id, live_run)))
        return "interrupted";
    return state ? state : "";
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
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
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

int flow_state_print_runs(struct flow_state *s, int limit, const char *live_run, FILE *out,
                          struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT run_id, state, started_at, ended_at, rows, bytes, error "
                           "FROM runs ORDER BY run_id DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    sqlite3_bind_int(st, 1, limit);
    fprintf(out, "%-18s %-11s %-19s %8s %12s %10s  %s\n", "RUN", "STATE", "STARTED (UTC)",
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
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *state = shown_state(id, (const char *)sqlite3_column_text(st, 1), live_run);
        if (!e && !strcmp(state, "interrupted"))
            e = FLOW_STATE_INTERRUPTED_ERROR;
        fprintf(out, "%-18s %-11s %-19s %8s %12lld %10s  %.80s\n", id, state, when, secs,
                (long long)sqlite3_column_int64(st, 4), by, e ? e : "");
    }
    sqlite3_finalize(st);
    return SL_OK;
}

/* A run whose export chunks come from more than one snapshot (a resume
 * with --allow-mixed-snapshots): one line per snapshot, with the tables and
 * how many of their parts it holds.  Nothing for a run of one snapshot. */
static int print_mixed_snapshots(struct flow_state *s, const char *run_id, FILE *out,
                                 struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT coalesce(json_extract(snapshot, '$.snapshot_id') || ' ', '') || 'taken ' || "
            " coalesce(json_extract(snapshot, '$.taken_at'), '?'), "
            " group_concat(dataset || ' (' || n || (CASE n WHEN 1 THEN ' part)' ELSE ' parts)' "
            " END), ', '), count(*) OVER () FROM (SELECT snapshot, dataset, count(*) AS n, "
            " min(seq) AS first FROM tasks WHERE run_id = ?1 AND kind = 'export' AND "
            " snapshot IS NOT NULL GROUP BY snapshot, dataset ORDER BY first) "
            "GROUP BY snapshot ORDER BY min(first)",
            -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read the snapshots of the export");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 2) < 2)
            break;
        fprintf(out, "  snapshot %s: %s (mixed snapshots)\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return SL_OK;
}

int flow_state_print(struct flow_state *s, const char *run_id, const char *live_run, FILE *out,
                     char *state, size_t state_size, struct sl_err *err)
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
    const char *run_state = shown_state(run_id, (const char *)sqlite3_column_text(st, 0), live_run);
    int interrupted = !strcmp(run_state, "interrupted");
    snprintf(state, state_size, "%s", run_state);
    fprintf(out, "run %s: %s\n  source  %s\n  lake    %s\n  time    %s - %s UTC (%.1f s)\n", run_id,
            run_state, sqlite3_column_text(st, 3), sqlite3_column_text(st, 4), t0, t1,
            ended > 0 ? ended - started : 0);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
        fprintf(out, "  rows    %lld, %s\n", (long long)sqlite3_column_int64(st, 5), by);
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        fprintf(out, "  error   %s\n", sqlite3_column_text(st, 7));
    else if (interrupted)
        fprintf(out, "  error   %s\n", FLOW_STATE_INTERRUPTED_ERROR);
    sqlite3_finalize(st);
    if (print_mixed_snapshots(s, run_id, out, err))
        return SL_ERROR;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT kind, name, state, attempts, started_at, ended_at, rows, "
                           "bytes, error FROM tasks WHERE run_id = ?1 ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read tasks");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    fprintf(out, "\n%-9s %-34s %-11s %3s %8s %8s %12s %10s\n", "KIND", "NAME", "STATE", "TRY",
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
        const char *task_state = (const char *)sqlite3_column_text(st, 2);
        if (interrupted && (!strcmp(task_state, "running") || !strcmp(task_state, "retrying")))
            task_state = "interrupted";
        fprintf(out, "%-9s %-34.34s %-11s %3d %8s %8s %12lld %10s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), task_state, sqlite3_column_int(st, 3), t0, secs,
                (long long)sqlite3_column_int64(st, 6), by);
        if (sqlite3_column_type(st, 8) != SQLITE_NULL)
            fprintf(out, "          error: %s\n", sqlite3_column_text(st, 8));
    }
    sqlite3_finalize(st);
    return SL_OK;
}

/* ---- the task graph's facts (schema version 2) ------------------------ */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Prepare sql, let bind() fill it, step it to the end. */
static int exec_one(struct flow_state *s, const char *sql, const char *what,
                    void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
                    struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SL_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, what);
    bind(st, arg);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(s, err, what);
    sqlite3_finalize(st);
    return rc;
}

static void bind_run_id(sqlite3_stmt *st, const void *arg)
{
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
}

static void bind_run_id_now(sqlite3_stmt *st, const void *arg)
{
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, now());
}

struct snapshot_args {
    const char *run_id, *source_type, *snapshot;
    double taken_at;
};

static void bind_snapshot(sqlite3_stmt *st, const void *arg)
{
    const struct snapshot_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 2, a->source_type);
    bind_text_or_null(st, 3, a->snapshot);
    sqlite3_bind_double(st, 4, a->taken_at);
}

int flow_state_run_snapshot(struct flow_state *s, const char *run_id, const char *source_type,
                            const char *snapshot, double taken_at, struct sl_err *err)
{
    struct snapshot_args a = {run_id, source_type, snapshot, taken_at};
    return exec_one(s,
                    "UPDATE runs SET source_type = ?2, snapshot = ?3, "
                    "snapshot_at = CASE WHEN ?4 > 0 THEN ?4 ELSE snapshot_at END "
                    "WHERE run_id = ?1",
                    "cannot record the snapshot", bind_snapshot, &a, err);
}

int flow_state_get_snapshot(struct flow_state *s, const char *run_id, char **out,
                            double *taken_at, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (taken_at)
        *taken_at = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT snapshot, snapshot_at FROM runs WHERE run_id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read the snapshot");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    int row = sqlite3_step(st) == SQLITE_ROW;
    if (row && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *out = strdup((const char *)sqlite3_column_text(st, 0));
    if (row && taken_at)
        *taken_at = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    return SL_OK;
}

struct chunk_args {
    const char *run_id, *task_id;
    const struct flow_task_chunk *c;
};

static void bind_chunk(sqlite3_stmt *st, const void *arg)
{
    const struct chunk_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, a->task_id, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 3, a->c->dataset);
    sqlite3_bind_int(st, 4, a->c->index);
    sqlite3_bind_int(st, 5, a->c->whole);
    bind_text_or_null(st, 6, a->c->lo);
    bind_text_or_null(st, 7, a->c->hi);
    sqlite3_bind_int64(st, 8, a->c->est_rows);
    bind_text_or_null(st, 9, a->c->snapshot);
}

int flow_state_task_chunk(struct flow_state *s, const char *run_id, const char *task_id,
                          const struct flow_task_chunk *c, struct sl_err *err)
{
    struct chunk_args a = {run_id, task_id, c};
    return exec_one(s,
                    "UPDATE tasks SET dataset = ?3, chunk_index = ?4, chunk_whole = ?5, "
                    "chunk_lo = ?6, chunk_hi = ?7, est_rows = ?8, snapshot = ?9 "
                    "WHERE run_id = ?1 AND task_id = ?2",
                    "cannot record an export chunk", bind_chunk, &a, err);
}

struct dataset_args {
    const char *run_id;
    const struct flow_dataset_record *d;
};

static void bind_dataset(sqlite3_stmt *st, const void *arg)
{
    const struct dataset_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, a->d->layer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->d->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, a->d->prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, a->d->location, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 6, a->d->source_table);
    if (a->d->source_table) {
        sqlite3_bind_int64(st, 7, a->d->source_rows);
        sqlite3_bind_int(st, 8, a->d->rows_exact);
    }
    bind_text_or_null(st, 9, a->d->schema_json);
}

int flow_state_dataset(struct flow_state *s, const char *run_id,
                       const struct flow_dataset_record *d, struct sl_err *err)
{
    struct dataset_args a = {run_id, d};
    return exec_one(s,
                    "INSERT INTO datasets (run_id, layer, name, seq, prefix, location, "
                    " source_table, source_rows, rows_exact, schema_json) VALUES (?1, ?2, ?3, "
                    " (SELECT count(*) FROM datasets WHERE run_id = ?1), ?4, ?5, ?6, ?7, ?8, ?9) "
                    "ON CONFLICT (run_id, layer, name) DO UPDATE SET prefix = ?4, "
                    " location = ?5, source_table = ?6, source_rows = ?7, rows_exact = ?8, "
                    " schema_json = ?9",
                    "cannot record a dataset", bind_dataset, &a, err);
}

struct file_args {
    const char *run_id, *task_id, *layer, *dataset;
    const struct lake_file *f;
};

static void bind_file(sqlite3_stmt *st, const void *arg)
{
    const struct file_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 2, a->task_id);
    sqlite3_bind_text(st, 3, a->layer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, a->dataset, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, a->f->path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, a->f->rows);
    sqlite3_bind_int64(st, 7, a->f->bytes);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)a->f->crc32);
    sqlite3_bind_double(st, 9, a->f->seconds);
}

int flow_state_file(struct flow_state *s, const char *run_id, const char *task_id,
                    const char *layer, const char *dataset, const struct lake_file *f,
                    struct sl_err *err)
{
    struct file_args a = {run_id, task_id, layer, dataset, f};
    return exec_one(s,
                    "INSERT OR REPLACE INTO files (run_id, task_id, layer, dataset, path, rows, "
                    " bytes, crc32, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    "cannot record a file", bind_file, &a, err);
}

void flow_state_datasets_free(struct flow_dataset_record *d, int n)
{
    for (int i = 0; d && i < n; i++) {
        free(d[i].source_table);
        free(d[i].schema_json);
        free(d[i].file);
        for (int f = 0; d[i].file_snapshot && f < d[i].files; f++)
            free(d[i].file_snapshot[f]);
        free(d[i].file_snapshot);
    }
    free(d);
}

static char *dup_column(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NULL;
    return strdup((const char *)sqlite3_column_text(st, i));
}

/* The rows of `sql` (?1 bound to `key`) as an array of `size`-byte
 * elements, each zeroed then filled by row() (SL_ERROR: out of memory).
 * On failure the elements read so far go to drop(list, count) — which
 * frees what row() allocated, and the array — and nothing is returned. */
static int read_list(struct flow_state *s, const char *sql, const char *what, const char *key,
                     size_t size, int (*row)(sqlite3_stmt *st, void *elem),
                     void (*drop)(void *list, int n), void **out, int *n, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    uint8_t *list = NULL;
    int count = 0, rc = SL_OK, step;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, what);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        void *p = realloc(list, size * (size_t)(count + 1));
        if (!p) {
            rc = sl_err_set(err, false, "state", s->path, "out of memory");
            break;
        }
        list = p;
        void *e = list + size * (size_t)count++;
        memset(e, 0, size);
        if (row(st, e)) {
            rc = sl_err_set(err, false, "state", s->path, "out of memory");
            break;
        }
    }
    if (rc == SL_OK && step != SQLITE_DONE)
        rc = db_err(s, err, what); /* not the end of the rows: an error mid-way */
    sqlite3_finalize(st);
    if (rc) {
        drop(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return SL_OK;
}

static void drop_plain(void *list, int n)
{
    (void)n;
    free(list);
}

/* The files of dataset d, in part order (a chunk's index; a model has one). */
static int load_files(struct flow_state *s, const char *run_id, struct flow_dataset_record *d,
                      struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT f.path, f.rows, f.bytes, f.crc32, f.seconds, t.snapshot "
                           "FROM files f "
                           "LEFT JOIN tasks t ON t.run_id = f.run_id AND t.task_id = f.task_id "
                           "WHERE f.run_id = ?1 AND f.layer = ?2 AND f.dataset = ?3 "
                           "ORDER BY t.chunk_index, f.path",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read files");
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d->layer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, d->name, -1, SQLITE_TRANSIENT);
    int rc = SL_OK;
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        void *p = realloc(d->file, sizeof *d->file * (size_t)(d->files + 1));
        void *q = p ? realloc(d->file_snapshot, sizeof(char *) * (size_t)(d->files + 1)) : NULL;
        if (p)
            d->file = p;
        if (q)
            d->file_snapshot = q;
        if (!p || !q) {
            rc = sl_err_set(err, false, "state", s->path, "out of memory");
            break;
        }
        d->file_snapshot[d->files] = dup_column(st, 5);
        struct lake_file *f = &d->file[d->files++];
        memset(f, 0, sizeof *f);
        snprintf(f->path, sizeof f->path, "%s", (const char *)sqlite3_column_text(st, 0));
        f->rows = sqlite3_column_int64(st, 1);
        f->bytes = sqlite3_column_int64(st, 2);
        f->crc32 = (uint32_t)sqlite3_column_int64(st, 3);
        f->seconds = sqlite3_column_double(st, 4);
        d->rows += f->rows;
        d->bytes += f->bytes;
    }
    sqlite3_finalize(st);
    return rc;
}

static int dataset_row(sqlite3_stmt *st, void *elem)
{
    struct flow_dataset_record *d = elem;
    snprintf(d->layer, sizeof d->layer, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(d->name, sizeof d->name, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(d->prefix, sizeof d->prefix, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(d->location, sizeof d->location, "%s", (const char *)sqlite3_column_text(st, 3));
    d->source_table = dup_column(st, 4);
    d->source_rows = sqlite3_column_int64(st, 5);
    d->rows_exact = sqlite3_column_int(st, 6);
    d->schema_json = dup_column(st, 7);
    return SL_OK;
}

static void drop_datasets(void *list, int n)
{
    flow_state_datasets_free(list, n);
}

int flow_state_datasets(struct flow_state *s, const char *run_id, struct flow_dataset_record **out,
                        int *n, struct sl_err *err)
{
    void *list;
    int count;
    *out = NULL;
    *n = 0;
    if (read_list(s,
                  "SELECT layer, name, prefix, location, source_table, source_rows, "
                  "rows_exact, schema_json FROM datasets WHERE run_id = ?1 ORDER BY seq",
                  "cannot read datasets", run_id, sizeof **out, dataset_row, drop_datasets, &list,
                  &count, err))
        return SL_ERROR;
    int rc = SL_OK;
    for (int i = 0; rc == SL_OK && i < count; i++)
        rc = load_files(s, run_id, (struct flow_dataset_record *)list + i, err);
    if (rc) {
        flow_state_datasets_free(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return SL_OK;
}

/* ---- resume ----------------------------------------------------------- */

int flow_state_resumable(struct flow_state *s, const char *run_id, char *out, size_t size,
                         char *why, size_t why_size, struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    out[0] = why[0] = 0;
    if (sqlite3_prepare_v2(s->db,
                           run_id ? "SELECT run_id, state FROM runs WHERE run_id = ?1"
                                  : "SELECT run_id, state FROM runs ORDER BY run_id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(s, err, "cannot read runs");
    if (run_id)
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        if (run_id)
            snprintf(why, why_size, "there is no run %s", run_id);
        else
            snprintf(why, why_size, "there is no run yet");
    } else {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        char later[32] = "";
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(s->db,
                               "SELECT min(run_id) FROM runs WHERE run_id > ?1 AND state = 'done'",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
                snprintf(later, sizeof later, "%s", (const char *)sqlite3_column_text(q, 0));
        }
        sqlite3_finalize(q);
        if (strcmp(state, "failed") && strcmp(state, "interrupted"))
            snprintf(why, why_size, "the %srun %s is %s", run_id ? "" : "newest ", id, state);
        else if (later[0])
            snprintf(why, why_size,
                     "the run %s was %s, and the later run %s was published since: it "
                     "cannot be resumed any more",
                     id, state, later);
        else
            snprintf(out, size, "%s", id);
    }
    sqlite3_finalize(st);
    return SL_OK;
}

static int run_id_row(sqlite3_stmt *st, void *elem)
{
    snprintf(elem, 32, "%s", (const char *)sqlite3_column_text(st, 0));
    return SL_OK;
}

int flow_state_abandoned(struct flow_state *s, const char *before, char (**ids)[32], int *n,
                         struct sl_err *err)
{
    void *list;
    int rc = read_list(s,
                       "SELECT run_id FROM runs WHERE run_id < ?1 AND cleaned_at IS NULL AND "
                       "state IN ('failed', 'interrupted') AND EXISTS (SELECT 1 FROM runs l "
                       "WHERE l.run_id > runs.run_id AND l.run_id <= ?1 AND (l.state = "
                       "'done' OR l.run_id = ?1)) ORDER BY run_id",
                       "cannot read runs", before, sizeof **ids, run_id_row, drop_plain, &list, n,
                       err);
    *ids = list;
    return rc;
}

static int prefix_row(sqlite3_stmt *st, void *elem)
{
    snprintf(elem, PATH_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
    return SL_OK;
}

int flow_state_prefixes(struct flow_state *s, const char *run_id, char (**out)[PATH_MAX], int *n,
                        struct sl_err *err)
{
    void *list;
    int rc = read_list(s, "SELECT prefix FROM datasets WHERE run_id = ?1", "cannot read datasets",
                       run_id, sizeof **out, prefix_row, drop_plain, &list, n, err);
    *out = list;
    return rc;
}

int flow_state_mark_cleaned(struct flow_state *s, const char *run_id, struct sl_err *err)
{
    return exec_one(s, "UPDATE runs SET cleaned_at = ?2 WHERE run_id = ?1",
                    "cannot record the run's files removed", bind_run_id_now, run_id, err);
}

int flow_state_run_resume(struct flow_state *s, const char *run_id, struct sl_err *err)
{
    return exec_one(s,
                    "UPDATE runs SET state = 'running', ended_at = NULL, error = NULL "
                    "WHERE run_id = ?1",
                    "cannot record the run going on", bind_run_id, run_id, err);
}

int flow_state_reset_export(struct flow_state *s, const char *run_id, struct sl_err *err)
{
    if (exec_one(s, "DELETE FROM files WHERE run_id = ?1 AND layer = 'raw'",
                 "cannot forget the exported files", bind_run_id, run_id, err))
        return SL_ERROR;
    return exec_one(s, "DELETE FROM tasks WHERE run_id = ?1 AND kind = 'export'",
                    "cannot forget the export tasks", bind_run_id, run_id, err);
}

static void read_file_row(sqlite3_stmt *st, int i, struct lake_file *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", (const char *)sqlite3_column_text(st, i));
    f->rows = sqlite3_column_int64(st, i + 1);
    f->bytes = sqlite3_column_int64(st, i + 2);
    f->crc32 = (uint32_t)sqlite3_column_int64(st, i + 3);
    f->seconds = sqlite3_column_double(st, i + 4);
}

static int chunk_row(sqlite3_stmt *st, void *elem)
{
    struct flow_chunk_record *c = elem;
    snprintf(c->dataset, sizeof c->dataset, "%s", (const char *)sqlite3_column_text(st, 0));
    c->index = sqlite3_column_int(st, 1);
    c->whole = sqlite3_column_int(st, 2);
    /* The bounds as the source wrote them (integers before the bounds
     * became the source's text were written as decimal text too). */
    if ((sqlite3_column_type(st, 3) != SQLITE_NULL &&
         !(c->lo = strdup((const char *)sqlite3_column_text(st, 3)))) ||
        (sqlite3_column_type(st, 4) != SQLITE_NULL &&
         !(c->hi = strdup((const char *)sqlite3_column_text(st, 4)))))
        return SL_ERROR;
    c->est_rows = sqlite3_column_int64(st, 5);
    c->done = sqlite3_column_int(st, 6);
    if (c->done)
        read_file_row(st, 7, &c->file);
    return SL_OK;
}

static void drop_chunks(void *list, int n)
{
    flow_state_chunks_free(list, n);
}

int flow_state_chunks(struct flow_state *s, const char *run_id, struct flow_chunk_record **out,
                      int *n, struct sl_err *err)
{
    void *list;
    int rc = read_list(s,
                       "SELECT t.dataset, t.chunk_index, t.chunk_whole, t.chunk_lo, "
                       " t.chunk_hi, t.est_rows, t.state = 'done' AND f.path IS NOT NULL, "
                       " f.path, f.rows, f.bytes, f.crc32, f.seconds FROM tasks t "
                       "LEFT JOIN files f ON f.run_id = t.run_id AND f.task_id = t.task_id "
                       "WHERE t.run_id = ?1 AND t.kind = 'export' AND t.dataset IS NOT NULL "
                       "ORDER BY t.seq",
                       "cannot read export tasks", run_id, sizeof **out, chunk_row, drop_chunks,
                       &list, n, err);
    *out = list;
    return rc;
}

void flow_state_chunks_free(struct flow_chunk_record *c, int n)
{
    if (!c)
        return;
    for (int i = 0; i < n; i++) {
        free(c[i].lo);
        free(c[i].hi);
    }
    free(c);
}

int flow_state_task_output(struct flow_state *s, const char *run_id, const char *task_id,
                           struct lake_file *f)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT f.path, f.rows, f.bytes, f.crc32, f.seconds FROM tasks t "
                           "JOIN files f ON f.run_id = t.run_id AND f.task_id = t.task_id "
                           "WHERE t.run_id = ?1 AND t.task_id = ?2 AND t.state = 'done'",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, task_id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            read_file_row(st, 0, f);
            found = 1;
        }
    }
    sqlite3_finalize(st);
    return found;
}

/* ---- the deadline's records (schema version 3) ------------------------ */

struct step_args {
    const char *run_id, *step;
    double started, ended;
};

static void bind_step(sqlite3_stmt *st, const void *arg)
{
    const struct step_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, a->step, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, a->started);
    sqlite3_bind_double(st, 4, a->ended);
}

int flow_state_step(struct flow_state *s, const char *run_id, const char *step, double started,
                    double ended, struct sl_err *err)
{
    struct step_args a = {run_id, step, started, ended};
    return exec_one(s,
                    "INSERT OR REPLACE INTO steps (run_id, step, started_at, ended_at) "
                    "VALUES (?1, ?2, ?3, ?4)",
                    "cannot record a step", bind_step, &a, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int flow_state_step_median(struct flow_state *s, const char *step, int last, double *median)
{
    sqlite3_stmt *st = NULL;
    double d[64];
    int n = 0;
    *median = 0;
    if (last > 64)
        last = 64;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT s.ended_at - s.started_at FROM steps s JOIN runs r "
                           "USING (run_id) WHERE r.state = 'done' AND s.step = ?1 AND "
                           "s.ended_at >= s.started_at ORDER BY s.run_id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, step, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, last);
    while (n < last && sqlite3_step(st) == SQLITE_ROW)
        d[n++] = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    if (n == 0)
        return 0;
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    *median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
    return n;
}

struct deadline_args {
    const char *run_id;
    double deadline_at, predicted_end;
};

static void bind_deadline(sqlite3_stmt *st, const void *arg)
{
    const struct deadline_args *a = arg;
    sqlite3_bind_text(st, 1, a->run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, a->deadline_at);
    if (a->predicted_end > 0)
        sqlite3_bind_double(st, 3, a->predicted_end);
    else
        sqlite3_bind_null(st, 3);
}

int flow_state_run_deadline(struct flow_state *s, const char *run_id, double deadline_at,
                            double predicted_end, struct sl_err *err)
{
    struct deadline_args a = {run_id, deadline_at, predicted_end};
    return exec_one(s, "UPDATE runs SET deadline_at = ?2, predicted_end = ?3 WHERE run_id = ?1",
                    "cannot record the run's deadline", bind_deadline, &a, err);
}

int flow_state_get_deadline(struct flow_state *s, const char *run_id, double *deadline_at,
                            double *predicted_end, double *ended_at)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    *deadline_at = *predicted_end = *ended_at = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT deadline_at, predicted_end, ended_at FROM runs "
                           "WHERE run_id = ?1 AND deadline_at IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        *deadline_at = sqlite3_column_double(st, 0);
        *predicted_end = sqlite3_column_double(st, 1);
        *ended_at = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    return found;
}
