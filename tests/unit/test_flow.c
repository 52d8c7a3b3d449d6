/*
 * test_flow.c — the worker pool (retry policy, fail-fast) and the run state
 * (its records of the task graph, and the migration of version 1 files).
 */
#include "check.h"
#include "flow/pool.h"
#include "flow/state.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

struct counts {
    pthread_mutex_t mu;
    int runs[64];
    int fail_first[64]; /* transient failures before success */
    int permanent;      /* job that fails permanently, -1 none */
    int events[5];
    int done_order[64], ndone;
};

static int work(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct counts *c = arg;
    (void)worker;
    pthread_mutex_lock(&c->mu);
    c->runs[job]++;
    pthread_mutex_unlock(&c->mu);
    if (job == c->permanent)
        return sl_err_set(err, false, "test", "job", "permanent failure of job %d", job);
    if (attempt <= c->fail_first[job])
        return sl_err_set(err, true, "test", "job", "transient failure of job %d", job);
    return SL_OK;
}

static void event(void *arg, int job, enum flow_event ev, int attempt, const struct sl_err *e)
{
    struct counts *c = arg; /* leader thread only: no lock needed */
    (void)attempt;
    c->events[ev]++;
    if (ev == FLOW_RETRYING || ev == FLOW_FAILED)
        CHECK(e && e->set);
    if (ev == FLOW_DONE)
        c->done_order[c->ndone++] = job;
}

static void test_pool_all_done(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    struct flow_pool_options o = {
        .workers = 3, .retry = {.max_attempts = 3}, .work = work, .event = event, .arg = &c};
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_pool_run(&o, 40, NULL, &err), 0);
    for (int i = 0; i < 40; i++)
        CHECK_EQ_INT(c.runs[i], 1);
    CHECK_EQ_INT(c.events[FLOW_DONE], 40);
    CHECK_EQ_INT(c.events[FLOW_STARTED], 40);
}

static void test_pool_retries_transient(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    c.fail_first[3] = 2; /* succeeds on attempt 3 */
    c.fail_first[5] = 1;
    struct flow_pool_options o = {
        .workers = 2, .retry = {3, 0.01, 2, 30}, .work = work, .event = event, .arg = &c};
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_pool_run(&o, 8, NULL, &err), 0);
    CHECK_EQ_INT(c.runs[3], 3);
    CHECK_EQ_INT(c.runs[5], 2);
    CHECK_EQ_INT(c.runs[0], 1);
    CHECK_EQ_INT(c.events[FLOW_RETRYING], 3);
    CHECK_EQ_INT(c.events[FLOW_DONE], 8);
}

static void test_pool_retries_exhausted(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    c.fail_first[1] = 10;
    struct flow_pool_options o = {
        .workers = 1, .retry = {3, 0.01, 2, 30}, .work = work, .event = event, .arg = &c};
    struct sl_err err = {0};
    CHECK(flow_pool_run(&o, 4, NULL, &err) != 0);
    CHECK_EQ_INT(c.runs[1], 3); /* first try + 2 retries */
    CHECK(err.set && strstr(err.msg, "job 1"));
    CHECK_EQ_INT(c.events[FLOW_FAILED], 1);
}

static void test_pool_permanent_stops(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = 0};
    struct flow_pool_options o = {
        .workers = 1, .retry = {.max_attempts = 6}, .work = work, .event = event, .arg = &c};
    struct sl_err err = {0};
    int order[5] = {0, 1, 2, 3, 4};
    CHECK(flow_pool_run(&o, 5, order, &err) != 0);
    CHECK_EQ_INT(c.runs[0], 1); /* never retried */
    int later = 0;
    for (int i = 1; i < 5; i++)
        later += c.runs[i];
    CHECK(later <= 1); /* one may have been taken before the failure was seen */
    CHECK(strstr(err.msg, "permanent") != NULL);
}

static void test_pool_order(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    struct flow_pool_options o = {
        .workers = 1, .retry = {.max_attempts = 1}, .work = work, .event = event, .arg = &c};
    struct sl_err err = {0};
    int order[4] = {3, 1, 2, 0};
    CHECK_EQ_INT(flow_pool_run(&o, 4, order, &err), 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(c.done_order[i], order[i]);
}

struct retire {
    pthread_mutex_t mu;
    int by_worker[4];
    int done[32];
    int retire_worker; /* this worker's work always retires (-1: none) */
};

static int retire_work(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct retire *c = arg;
    (void)attempt;
    pthread_mutex_lock(&c->mu);
    c->by_worker[worker]++;
    pthread_mutex_unlock(&c->mu);
    if (worker == c->retire_worker || c->retire_worker == 99) {
        sl_err_set(err, true, "test", "worker", "no room for worker %d", worker);
        err->capacity = true;
        return FLOW_WORKER_RETIRE;
    }
    usleep(1000); /* let the other workers reach the queue */
    pthread_mutex_lock(&c->mu);
    c->done[job]++;
    pthread_mutex_unlock(&c->mu);
    return SL_OK;
}

static void test_pool_worker_retires(void)
{
    struct retire c = {.mu = PTHREAD_MUTEX_INITIALIZER, .retire_worker = 1};
    struct flow_pool_options o = {
        .workers = 3, .retry = {.max_attempts = 1}, .work = retire_work, .arg = &c};
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_pool_run(&o, 30, NULL, &err), 0);
    for (int i = 0; i < 30; i++)
        CHECK_EQ_INT(c.done[i], 1);
    CHECK(c.by_worker[1] <= 1); /* it stopped after its first refusal */
}

static void test_pool_last_worker_cannot_retire(void)
{
    struct retire c = {.mu = PTHREAD_MUTEX_INITIALIZER, .retire_worker = 99};
    struct flow_pool_options o = {
        .workers = 2, .retry = {2, 0.01, 2, 30}, .work = retire_work, .arg = &c};
    struct sl_err err = {0};
    CHECK(flow_pool_run(&o, 4, NULL, &err) != 0);
    CHECK(err.set && strstr(err.msg, "no room"));
}

/* The waits of util/retry.h: interval · rate^(attempt-1) · jitter, capped. */
static void test_retry_delay(void)
{
    struct sl_retry p = {.max_attempts = 9, .interval = 1, .backoff_rate = 2, .max_delay = 5};
    CHECK(flow_retry_delay(&p, 1, 1.0) == 1);
    CHECK(flow_retry_delay(&p, 2, 1.0) == 2);
    CHECK(flow_retry_delay(&p, 3, 1.0) == 4);
    CHECK(flow_retry_delay(&p, 4, 1.0) == 5); /* 8, capped */
    CHECK(flow_retry_delay(&p, 3, 1.5) == 5); /* 6 with jitter, capped */
    CHECK(flow_retry_delay(&p, 2, 0.5) == 1);
    CHECK(flow_retry_delay(&p, 5000, 1.0) == 5); /* pow overflows to inf: still capped */
    p.backoff_rate = 1;
    CHECK(flow_retry_delay(&p, 7, 1.0) == 1);
    p.interval = 0;
    CHECK(flow_retry_delay(&p, 3, 1.0) == 0);
}

/* max_attempts counts every try; the waits come from the policy: an hour's
 * interval capped by a millisecond's max_delay must not hold the test. */
static void test_pool_retry_policy(void)
{
    struct counts c = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    c.fail_first[0] = 100;
    c.fail_first[1] = 3; /* succeeds on attempt 4 */
    struct flow_pool_options o = {
        .workers = 2,
        .retry = {.max_attempts = 5, .interval = 3600, .backoff_rate = 2, .max_delay = 0.001},
        .work = work,
        .event = event,
        .arg = &c};
    struct sl_err err = {0};
    CHECK(flow_pool_run(&o, 2, NULL, &err) != 0);
    CHECK_EQ_INT(c.runs[0], 5);
    CHECK_EQ_INT(c.runs[1], 4);
    CHECK_EQ_INT(c.events[FLOW_RETRYING], 4 + 3);
    CHECK_EQ_INT(c.events[FLOW_FAILED], 1);

    struct counts once = {.mu = PTHREAD_MUTEX_INITIALIZER, .permanent = -1};
    once.fail_first[0] = 1;
    o.retry = (struct sl_retry){.max_attempts = 1, .interval = 0.001, .backoff_rate = 1};
    o.arg = &once;
    CHECK(flow_pool_run(&o, 1, NULL, &err) != 0);
    CHECK_EQ_INT(once.runs[0], 1); /* max_attempts 1: no retry */
    CHECK_EQ_INT(once.events[FLOW_RETRYING], 0);
}

static void test_state_roundtrip(void)
{
    char dir[] = "/tmp/snaplake-test-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/sub/state.db", dir);
    struct flow_state *s = NULL;
    struct sl_err err = {0};
    CHECK(flow_state_open(path, 0, &s, &err) != 0); /* not created without create */
    sl_err_clear(&err);
    CHECK_EQ_INT(flow_state_open(path, 1, &s, &err), 0);
    CHECK_EQ_INT(flow_state_run_begin(s, "20260101T000000Z", "sqlite:///x.db", "/lake", &err), 0);
    struct flow_task_update u = {
        .kind = "export", .name = "t part-0", .state = "running", .attempts = 1};
    CHECK_EQ_INT(flow_state_task(s, "20260101T000000Z", "export/t/0", &u, &err), 0);
    u.state = "done";
    u.rows = 42;
    u.bytes = 1000;
    CHECK_EQ_INT(flow_state_task(s, "20260101T000000Z", "export/t/0", &u, &err), 0);
    CHECK_EQ_INT(flow_state_run_end(s, "20260101T000000Z", "done", 42, 1000, NULL, &err), 0);
    char last[64];
    CHECK_EQ_INT(flow_state_last_run(s, last, sizeof last, &err), 0);
    CHECK_EQ_STR(last, "20260101T000000Z");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char state[32];
    CHECK_EQ_INT(flow_state_print(s, last, NULL, f, state, sizeof state, &err), 0);
    fclose(f);
    CHECK(text && strstr(text, "t part-0") && strstr(text, "done") && strstr(text, "42"));
    CHECK_EQ_STR(state, "done");
    free(text);
    CHECK(flow_state_print(s, "nope", NULL, stdout, state, sizeof state, &err) != 0);
    /* A run left 'running' is shown interrupted unless it is the live one,
     * and recorded so by flow_state_mark_interrupted. */
    sl_err_clear(&err);
    CHECK_EQ_INT(flow_state_run_begin(s, "20260102T000000Z", "sqlite:///x.db", "/lake", &err), 0);
    f = open_memstream(&text, &len);
    CHECK_EQ_INT(
        flow_state_print(s, "20260102T000000Z", "20260102T000000Z", f, state, sizeof state, &err),
        0);
    CHECK_EQ_STR(state, "running");
    CHECK_EQ_INT(flow_state_print(s, "20260102T000000Z", NULL, f, state, sizeof state, &err), 0);
    CHECK_EQ_STR(state, "interrupted");
    fclose(f);
    free(text);
    CHECK_EQ_INT(flow_state_mark_interrupted(s, &err), 0);
    f = open_memstream(&text, &len);
    CHECK_EQ_INT(
        flow_state_print(s, "20260102T000000Z", "20260102T000000Z", f, state, sizeof state, &err),
        0);
    fclose(f);
    CHECK_EQ_STR(state, "interrupted");
    CHECK(text && strstr(text, "ended without finishing"));
    free(text);
    flow_state_close(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* When a start must read the catalog to learn what is published: with no
 * done run in the history, and when a run newer than the last done one
 * began publishing without recording its end; not for a run that failed
 * before publishing, nor for one older than the last done run. */
static void test_state_publish_unsettled(void)
{
    char dir[] = "/tmp/snaplake-test-settled-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/state.db", dir);
    struct flow_state *s = NULL;
    struct sl_err err = {0};
    bool unsettled = false;
    CHECK_EQ_INT(flow_state_open(path, FLOW_STATE_CREATE, &s, &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(unsettled); /* a new history: the lake may have runs */
    struct flow_task_update pub = {.kind = "publish", .name = "publish", .state = "running",
                                   .attempts = 1};
    const char *a = "20260101T000000Z", *b = "20260102T000000Z", *c = "20260103T000000Z";
    CHECK_EQ_INT(flow_state_run_begin(s, a, "sqlite:///x.db", "/lake", &err), 0);
    CHECK_EQ_INT(flow_state_task(s, a, "publish", &pub, &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(unsettled); /* still no done run */
    pub.state = "done";
    CHECK_EQ_INT(flow_state_task(s, a, "publish", &pub, &err), 0);
    CHECK_EQ_INT(flow_state_run_end(s, a, "done", 1, 1, NULL, &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(!unsettled);
    /* b failed in its export: its publish task never started. */
    CHECK_EQ_INT(flow_state_run_begin(s, b, "sqlite:///x.db", "/lake", &err), 0);
    pub.state = "pending";
    CHECK_EQ_INT(flow_state_task(s, b, "publish", &pub, &err), 0);
    CHECK_EQ_INT(flow_state_run_end(s, b, "failed", 0, 0, "boom", &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(!unsettled);
    /* c was killed while publishing: the catalog may have switched to it. */
    CHECK_EQ_INT(flow_state_run_begin(s, c, "sqlite:///x.db", "/lake", &err), 0);
    pub.state = "running";
    CHECK_EQ_INT(flow_state_task(s, c, "publish", &pub, &err), 0);
    CHECK_EQ_INT(flow_state_mark_interrupted(s, &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(unsettled);
    /* Once recovered (recorded done), settled again. */
    CHECK_EQ_INT(flow_state_mark_published(s, c, "recovered", &err), 0);
    CHECK_EQ_INT(flow_state_publish_unsettled(s, &unsettled, &err), 0);
    CHECK(!unsettled);
    flow_state_close(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* The schema of a version 1 file, as snaplake 0.x (main before state v2)
 * made it, word for word: the migration starts from it. */
static const char *v1_sql =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', 1);"
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " started_at REAL, ended_at REAL, source TEXT, lake TEXT, rows INTEGER, bytes INTEGER,"
    " error TEXT);"
    "CREATE TABLE IF NOT EXISTS tasks (run_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " kind TEXT, name TEXT, state TEXT NOT NULL, attempts INTEGER DEFAULT 0,"
    " started_at REAL, ended_at REAL, rows INTEGER, bytes INTEGER, error TEXT,"
    " seq INTEGER, PRIMARY KEY (run_id, task_id));";

static int sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, NULL) : -1;
    sqlite3_close(db);
    return rc;
}

/* A version 1 file with a run in it is migrated in place on open: the run
 * and its task stay, the new columns and tables work; a file of a version
 * from the future is refused. */
static void test_state_migrates_v1(void)
{
    char dir[] = "/tmp/snaplake-test-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/state.db", dir);
    CHECK_EQ_INT(sql_exec(path, v1_sql), 0);
    CHECK_EQ_INT(sql_exec(path, "INSERT INTO runs (run_id, state, started_at, rows) VALUES "
                                "('20250101T000000Z', 'done', 1, 7);"
                                "INSERT INTO tasks (run_id, task_id, kind, name, state, seq) "
                                "VALUES ('20250101T000000Z', 'export/t/0', 'export', 't', 'done', 0);"),
                 0);
    struct flow_state *s = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_state_open(path, 0, &s, &err), 0);
    CHECK_EQ_INT(sql_int(path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                 FLOW_STATE_SCHEMA_VERSION);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM steps"), 0);
    CHECK_EQ_INT(sql_int(path, "SELECT rows FROM runs WHERE run_id = '20250101T000000Z'"), 7);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM tasks WHERE chunk_index IS NULL"), 1);
    CHECK_EQ_INT(flow_state_run_snapshot(s, "20250101T000000Z", "sqlite", "{}", 2, &err), 0);
    flow_state_close(s);
    /* Opening again changes nothing. */
    CHECK_EQ_INT(flow_state_open(path, 0, &s, &err), 0);
    flow_state_close(s);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM runs WHERE source_type = 'sqlite'"), 1);
    CHECK_EQ_INT(sql_exec(path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'"), 0);
    CHECK(flow_state_open(path, 0, &s, &err) != 0);
    CHECK(strstr(err.msg, "schema version 99") && strstr(err.msg, "newer snaplake"));
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* Chunks with their bounds, datasets with their schema, files with rows,
 * bytes and CRC: read back in the datasets' order and the parts' order. */
static void test_state_task_graph(void)
{
    char dir[] = "/tmp/snaplake-test-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/state.db", dir);
    struct flow_state *s = NULL;
    struct sl_err err = {0};
    const char *id = "20260101T000000Z";
    CHECK_EQ_INT(flow_state_open(path, FLOW_STATE_CREATE, &s, &err), 0);
    CHECK_EQ_INT(flow_state_run_begin(s, id, "sqlite:///x.db", "/lake", &err), 0);
    struct flow_dataset_record d = {.layer = "raw", .name = "t", .prefix = "raw/t/run=X",
                                    .source_table = "main.t", .source_rows = 3, .rows_exact = 1,
                                    .schema_json = "[{\"name\":\"i\"}]"};
    CHECK_EQ_INT(flow_state_dataset(s, id, &d, &err), 0);
    struct flow_dataset_record m = {.layer = "stage1", .name = "m", .prefix = "stage1/m/run=X"};
    CHECK_EQ_INT(flow_state_dataset(s, id, &m, &err), 0);
    CHECK_EQ_INT(flow_state_dataset(s, id, &d, &err), 0); /* again: keeps its place */
    for (int k = 11; k >= 0; k -= 11) { /* part 11 done before part 0 */
        char task[32], lo[16], hi[16];
        snprintf(task, sizeof task, "export/t/%d", k);
        snprintf(lo, sizeof lo, "%d", k * 10);
        snprintf(hi, sizeof hi, "%d", k * 10 + 10);
        struct flow_task_update u = {.kind = "export", .name = task, .state = "pending"};
        CHECK_EQ_INT(flow_state_task(s, id, task, &u, &err), 0);
        struct flow_task_chunk c = {.dataset = "t", .index = k, .lo = lo, .hi = hi, .est_rows = 9};
        CHECK_EQ_INT(flow_state_task_chunk(s, id, task, &c, &err), 0);
        struct lake_file f = {.rows = k + 1, .bytes = 100, .crc32 = 0xdeadbeef};
        snprintf(f.path, sizeof f.path, "raw/t/run=X/part-%d.parquet", k);
        CHECK_EQ_INT(flow_state_file(s, id, task, "raw", "t", &f, &err), 0);
    }
    struct flow_dataset_record *list = NULL;
    int n = 0;
    CHECK_EQ_INT(flow_state_datasets(s, id, &list, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(list[0].name, "t");
        CHECK_EQ_STR(list[0].source_table, "main.t");
        CHECK_EQ_STR(list[0].schema_json, "[{\"name\":\"i\"}]");
        CHECK_EQ_INT(list[0].files, 2);
        CHECK_EQ_INT(list[0].rows, 13);
        CHECK_EQ_INT(list[0].bytes, 200);
        CHECK_EQ_STR(list[0].file[0].path, "raw/t/run=X/part-0.parquet");
        CHECK_EQ_INT(list[0].file[1].crc32, 0xdeadbeef);
        CHECK_EQ_STR(list[1].name, "m");
        CHECK(list[1].source_table == NULL && list[1].schema_json == NULL);
        CHECK_EQ_INT(list[1].files, 0);
    }
    flow_state_datasets_free(list, n);
    flow_state_close(s);
    CHECK_EQ_INT(sql_int(path, "SELECT chunk_lo FROM tasks WHERE task_id = 'export/t/11'"), 110);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    RUN(test_pool_all_done);
    RUN(test_pool_retries_transient);
    RUN(test_pool_retries_exhausted);
    RUN(test_pool_permanent_stops);
    RUN(test_pool_order);
    RUN(test_pool_worker_retires);
    RUN(test_pool_last_worker_cannot_retire);
    RUN(test_retry_delay);
    RUN(test_pool_retry_policy);
    RUN(test_state_roundtrip);
    RUN(test_state_publish_unsettled);
    RUN(test_state_migrates_v1);
    RUN(test_state_task_graph);
    return CHECK_DONE();
}
