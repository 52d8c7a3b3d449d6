/*
 * run.c — the orchestrator (see run.h).
 *
 * Threads: this thread is the leader.  Export chunks and models run on the
 * pool's workers (pool.h); each worker owns one source reader (readers[w])
 * and everything of the chunk it is writing.  Workers write results only
 * into their own job's slot (results[job]); the leader reads a slot in the
 * pool's FLOW_DONE event (the pool's mutex orders the two) or after the pool
 * returns, and alone records state and prints progress.
 *
 * Order of a run: lock → leftovers → run id → snapshot → export → raw
 * datasets in engine and catalog → stage1 → stage2 → manifest → catalog
 * switch (the commit point) → current → retention; then the caller reports
 * the result and runs the hook (flow_run_hook), lock released.
 */
#include "flow/run.h"
#include "catalog/catalog.h"
#include "engine/engine.h"
#include "flow/dataset.h"
#include "flow/deps.h"
#include "flow/manifest.h"
#include "flow/pool.h"
#include "flow/state.h"
#include "parquet/writer.h"
#include "source/source.h"
#include "store/store.h"
#include "util/log.h"
#include "util/version.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

extern char **environ;

#define BATCH_ROWS 8192
#define BATCH_MAX_COLUMN_BYTES (1u << 30)

struct job_result {
    int64_t rows, bytes;
    double seconds;
    double started, ended; /* wall clock, for a table's span over its chunks */
    uint32_t crc32;
};

struct run {
    const struct sl_config *cfg;
    char run_id[32];
    char failed_task[300]; /* the first task recorded as failed, for the hook */
    char tmp_dir[PATH_MAX];
    struct flow_state *state;
    struct store store;
    struct source source;
    struct catalog catalog;
    struct engine engine;
    struct pq_options pq;
    double t0;

    /* export */
    struct src_table *tables;
    int ntables;
    struct src_chunk *chunks;
    int nchunks;
    void **readers; /* one per worker */
    struct job_result *results;
    int *chunks_left; /* per table: chunks not done yet (leader only) */

    /* models of the stage being built */
    struct model *models;
    int nmodels;
    struct flow_deps deps; /* which of them read which (deps.h) */

    struct lake_dataset *datasets; /* every dataset of this run, in order */
    int ndatasets;

    /* Fault injection for the tests (SNAPLAKE_FAULT=export:<dataset>:<n>):
     * the first n attempts of that dataset's chunks fail with a transient
     * error, as a dropped connection would.  Read once, before any thread. */
    char fault_dataset[128];
    int fault_attempts;
    /* SNAPLAKE_FAULT=clock:<unix seconds>: the run id's clock, so a test can
     * start runs in one second (make_run_id). */
    time_t fault_clock;
};

struct model {
    char layer[8];
    char name[128];
    char file[PATH_MAX];
    char display[PATH_MAX]; /* models/stage1/x.sql */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void flow_state_path(const struct sl_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "%s/.snaplake/state.db", cfg->dir);
}

static void task_state(struct run *r, const char *id, const char *kind, const char *name,
                       const char *state, int attempts, int64_t rows, int64_t bytes,
                       const struct sl_err *e)
{
    char msg[2200];
    struct flow_task_update u = {.kind = kind, .name = name, .state = state,
                                 .attempts = attempts, .rows = rows, .bytes = bytes,
                                 .error = e ? sl_err_format(e, msg, sizeof msg) : NULL};
    struct sl_err ignored = {0};
    if (!strcmp(state, "failed") && !r->failed_task[0])
        snprintf(r->failed_task, sizeof r->failed_task, "%s", id);
    if (flow_state_task(r->state, r->run_id, id, &u, &ignored)) {
        char buf[2200];
        sl_warn("%s", sl_err_format(&ignored, buf, sizeof buf));
    }
}

/* Is `id` free: never recorded in the run state, and no manifest of it in
 * the lake (runs of another state file)? */
static int run_id_free(struct run *r, const char *id)
{
    if (flow_state_run_exists(r->state, id))
        return 0;
    char path[64];
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct sl_err e = {0};
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", id);
    int exists = r->store.type->get(r->store.ctx, path, &b, &e) == SL_OK;
    sl_buf_free(&b);
    return !exists;
}

/* A run's id is its start time in UTC, YYYYMMDDTHHMMSSZ; a second run in
 * the same second gets "_2", then "_3" … "_9".  Ids sort by time as plain
 * text ("…00Z" < "…00Z_2" < "…00Z_9" < "…01Z"), which retention, the
 * manifests' listing and `status --list` rely on: so an id is never earlier
 * than the newest recorded one (a clock set back takes that run's second),
 * and a tenth run within one second takes the next second.  The lake's
 * `run=<ID>` folders and manifests use the id as it is. */
static int make_run_id(struct run *r, struct sl_err *err)
{
    char last[32], base[24];
    time_t t = r->fault_clock ? r->fault_clock : time(NULL);
    if (flow_state_last_run(r->state, last, sizeof last, err))
        return SL_ERROR;
    struct tm lt = {0};
    if (sscanf(last, "%4d%2d%2dT%2d%2d%2dZ", &lt.tm_year, &lt.tm_mon, &lt.tm_mday, &lt.tm_hour,
               &lt.tm_min, &lt.tm_sec) == 6) {
        lt.tm_year -= 1900;
        lt.tm_mon -= 1;
        time_t tl = timegm(&lt);
        if (tl > t)
            t = tl;
    }
    for (int i = 0; i < 1000; i++, t++) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(base, sizeof base, "%Y%m%dT%H%M%SZ", &tm);
        for (int k = 1; k <= 9; k++) {
            if (k == 1)
                snprintf(r->run_id, sizeof r->run_id, "%s", base);
            else
                snprintf(r->run_id, sizeof r->run_id, "%s_%d", base, k);
            if (strcmp(r->run_id, last) > 0 && run_id_free(r, r->run_id)) {
                if (k > 1 || i > 0)
                    sl_debug("run id %s: %s was taken (newest recorded run: %s)", r->run_id,
                             base, last[0] ? last : "none");
                return SL_OK;
            }
        }
    }
    return sl_err_set(err, false, "run", "", "cannot find a free run id");
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[PATH_MAX + 300];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_dir(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

/* ---- export ---------------------------------------------------------- */

struct sink {
    struct store *store;
    struct store_file *f;
    uLong crc; /* of everything written, for the manifest */
};

static int sink_write(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    struct sink *s = ctx;
    s->crc = crc32_z(s->crc, data, n);
    return s->store->type->write(s->f, data, n, err);
}

static int emit_batch(void *arg, const struct sl_batch *b, struct sl_err *err)
{
    return pq_writer_write(arg, b, err);
}

static int export_chunk(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct run *r = arg;
    const struct src_chunk *c = &r->chunks[job];
    const struct src_table *t = &r->tables[c->table];
    const struct source_type *st = r->source.type;
    struct sl_batch *batch = NULL;
    struct pq_writer *w = NULL;
    struct sink sink = {.store = &r->store, .crc = crc32_z(0, NULL, 0)};
    struct pq_file_info info = {0};
    char path[PATH_MAX];
    double t0 = now();
    int rc = SL_ERROR;

    snprintf(path, sizeof path, "raw/%s/run=%s/part-%d.parquet", t->dataset, r->run_id, c->index);
    if (attempt <= r->fault_attempts && !strcmp(r->fault_dataset, t->dataset)) {
        sl_err_set(err, true, "export", t->name, "injected fault (SNAPLAKE_FAULT), attempt %d",
                   attempt);
        goto out;
    }
    if (!r->readers[worker] && st->reader_open(r->source.snap, &r->readers[worker], err)) {
        /* The server has no room for this worker's connection: go on with
         * the workers that have one (the pool keeps at least one). */
        if (err->capacity) {
            sl_warn("worker %d stops: %s", worker + 1, err->msg);
            return FLOW_WORKER_RETIRE;
        }
        goto out;
    }
    batch = sl_batch_new(&t->columns, BATCH_ROWS, BATCH_MAX_COLUMN_BYTES);
    if (!batch) {
        sl_err_set(err, false, "export", t->name, "out of memory");
        goto out;
    }
    if (r->store.type->put_open(r->store.ctx, path, &sink.f, err) ||
        pq_writer_open(&w, &t->columns, &r->pq, sink_write, &sink, err) ||
        st->read_chunk(r->readers[worker], t, c, batch, emit_batch, w, err) ||
        pq_writer_finish(w, &info, err))
        goto out;
    if (r->store.type->commit(sink.f, err)) {
        sink.f = NULL;
        goto out;
    }
    sink.f = NULL;
    double t1 = now();
    r->results[job] = (struct job_result){.rows = info.rows, .bytes = info.bytes,
                                          .seconds = t1 - t0, .started = t0, .ended = t1,
                                          .crc32 = (uint32_t)sink.crc};
    rc = SL_OK;
out:
    if (rc) {
        if (err->transient && r->readers[worker]) {
            /* The connection may be the broken part: the retry opens a new one. */
            st->reader_close(r->readers[worker]);
            r->readers[worker] = NULL;
        }
        if (!strstr(err->object, t->name) && !strstr(err->object, "table "))
            sl_err_context(err, "table %s, part %d", t->name, c->index);
    }
    r->store.type->abort(sink.f);
    pq_writer_free(w);
    sl_batch_free(batch);
    return rc;
}

static void chunk_task_id(struct run *r, int job, char *id, size_t size, char *name, size_t nsize)
{
    const struct src_chunk *c = &r->chunks[job];
    const struct src_table *t = &r->tables[c->table];
    snprintf(id, size, "export/%s/%d", t->dataset, c->index);
    snprintf(name, nsize, "%s part-%d", t->dataset, c->index);
}

/* One summary line per table, printed as its last chunk is done, so a long
 * run shows its progress table by table. */
static void print_table_done(struct run *r, int table)
{
    int64_t rows = 0, bytes = 0;
    double first = 0, last = 0;
    for (int k = 0; k < r->nchunks; k++) {
        const struct job_result *res = &r->results[k];
        if (r->chunks[k].table != table)
            continue;
        rows += res->rows;
        bytes += res->bytes;
        if (first == 0 || res->started < first)
            first = res->started;
        if (res->ended > last)
            last = res->ended;
    }
    double secs = last - first;
    sl_info("  raw     %-28s %12lld rows %10.1f KiB %7.2f s %12.0f rows/s",
            r->tables[table].dataset, (long long)rows, bytes / 1024.0, secs,
            secs > 0 ? rows / secs : 0.0);
}

static void export_event(void *arg, int job, enum flow_event ev, int attempt,
                         const struct sl_err *e)
{
    struct run *r = arg;
    char id[300], name[300], buf[2200];
    chunk_task_id(r, job, id, sizeof id, name, sizeof name);
    switch (ev) {
    case FLOW_STARTED:
        if (attempt > 1)
            sl_debug("%s: attempt %d", name, attempt);
        task_state(r, id, "export", name, "running", attempt, 0, 0, NULL);
        break;
    case FLOW_RETRYING:
        sl_warn("%s failed (attempt %d), retrying: %s", name, attempt,
                sl_err_format(e, buf, sizeof buf));
        task_state(r, id, "export", name, "retrying", attempt, 0, 0, e);
        break;
    case FLOW_DONE:
        task_state(r, id, "export", name, "done", attempt, r->results[job].rows,
                   r->results[job].bytes, NULL);
        if (--r->chunks_left[r->chunks[job].table] == 0)
            print_table_done(r, r->chunks[job].table);
        break;
    case FLOW_FAILED:
        task_state(r, id, "export", name, "failed", attempt, 0, 0, e);
        break;
    case FLOW_SKIPPED: /* chunks wait for no other job */
        break;
    }
}

static int cmp_chunk_size(const void *a, const void *b, void *arg)
{
    const struct run *r = arg;
    int64_t x = r->chunks[*(const int *)a].est_rows, y = r->chunks[*(const int *)b].est_rows;
    return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

/* Opening the source is the pool's one job, so a source that refuses
 * connections at the start (a server down or restarting) gets the run's
 * retry policy — run.retries more tries, the pool's backoff with jitter —
 * with one warning line an attempt.  Whether a failure is worth a retry is
 * the source's call (err->transient): a refused password is not.  The open
 * runs on the pool's one worker thread; the leader uses the snapshot only
 * after flow_pool_run has joined that thread. */
struct snapshot_job {
    struct run *r;
    struct source_options so;
    int attempts;
};

static int open_source(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct snapshot_job *j = arg;
    (void)job, (void)worker, (void)attempt;
    return source_open(&j->r->source, j->r->cfg->source, &j->so, err);
}

static void open_source_event(void *arg, int job, enum flow_event ev, int attempt,
                              const struct sl_err *e)
{
    struct snapshot_job *j = arg;
    char buf[2200];
    (void)job;
    j->attempts = attempt;
    if (ev == FLOW_STARTED && attempt > 1)
        task_state(j->r, "snapshot", "snapshot", "snapshot", "running", attempt, 0, 0, NULL);
    if (ev == FLOW_RETRYING) {
        sl_warn("snapshot failed (attempt %d of %d), retrying: %s", attempt,
                j->r->cfg->retries + 1, sl_err_format(e, buf, sizeof buf));
        task_state(j->r, "snapshot", "snapshot", "snapshot", "retrying", attempt, 0, 0, e);
    }
}

static int do_snapshot(struct run *r, struct sl_err *err)
{
    struct snapshot_job job = {.r = r, .attempts = 1,
                               .so = {.jobs = r->cfg->jobs, .tmp_dir = r->tmp_dir,
                                      .batch_rows = BATCH_ROWS}};
    struct flow_pool_options po = {.workers = 1, .retry = r->cfg->retry,
                                   .work = open_source, .event = open_source_event, .arg = &job};
    task_state(r, "snapshot", "snapshot", "snapshot", "running", 1, 0, 0, NULL);
    int rc = flow_pool_run(&po, 1, NULL, err);
    struct src_table *all = NULL;
    int nall = 0;
    if (rc == SL_OK)
        rc = r->source.type->list_tables(r->source.snap, &all, &nall, err);
    if (rc == SL_OK) {
        /* Keep the selected tables; the list owns its schemas, so move them. */
        r->tables = calloc((size_t)(nall ? nall : 1), sizeof *r->tables);
        if (!r->tables)
            rc = sl_err_set(err, false, "snapshot", "", "out of memory");
        for (int i = 0; rc == SL_OK && i < nall; i++) {
            if (config_table_selected(r->cfg, all[i].schema, all[i].name)) {
                r->tables[r->ntables++] = all[i];
                memset(&all[i].columns, 0, sizeof all[i].columns);
            }
        }
    }
    src_tables_free(all, nall);
    /* Two selected tables must not land in one dataset ("A b" and "a_b"). */
    for (int i = 0; rc == SL_OK && i < r->ntables; i++)
        for (int j = 0; rc == SL_OK && j < i; j++) {
            const struct src_table *a = &r->tables[j], *b = &r->tables[i];
            if (strcmp(a->dataset, b->dataset))
                continue;
            int same = !strcmp(a->schema, b->schema);
            rc = sl_err_set(err, false, "snapshot", b->name,
                            "tables '%s%s%s' and '%s%s%s' both map to the dataset name '%s'; "
                            "exclude one of them in `tables: exclude`",
                            same ? "" : a->schema, same ? "" : ".", a->name, same ? "" : b->schema,
                            same ? "" : ".", b->name, b->dataset);
        }
    if (rc == SL_OK && r->ntables == 0)
        rc = sl_err_set(err, false, "snapshot", "tables",
                        "no table of the source matches `tables:` include/exclude");
    int64_t rows = 0;
    for (int i = 0; i < r->ntables; i++)
        rows += r->tables[i].est_rows;
    task_state(r, "snapshot", "snapshot", "snapshot", rc ? "failed" : "done", job.attempts, rows,
               0, rc ? err : NULL);
    return rc;
}

/* -v: how a table was cut into chunks (the ranges are in the source's split
 * key: rowid for SQLite, the key column or block for PostgreSQL). */
static void debug_plan(const struct src_table *t, const struct src_chunk *c, int n)
{
    if (sl_log_level() > SL_LOG_DEBUG)
        return;
    sl_debug("plan: table %s (dataset %s): %d chunk%s, about %lld rows", t->name, t->dataset, n,
             n == 1 ? "" : "s", (long long)t->est_rows);
    for (int k = 0; k < n; k++) {
        if (c[k].whole)
            sl_debug("plan:   part-%d: the whole table, about %lld rows", c[k].index,
                     (long long)c[k].est_rows);
        else
            sl_debug("plan:   part-%d: key range [%lld, %lld), about %lld rows", c[k].index,
                     (long long)c[k].lo, (long long)c[k].hi, (long long)c[k].est_rows);
    }
}

static int do_export(struct run *r, struct sl_err *err)
{
    int rc = SL_OK;
    for (int i = 0; rc == SL_OK && i < r->ntables; i++) {
        struct src_chunk *c = NULL;
        int n = 0;
        rc = r->source.type->plan_chunks(r->source.snap, &r->tables[i], i, &c, &n, err);
        if (rc == SL_OK)
            debug_plan(&r->tables[i], c, n);
        if (rc == SL_OK) {
            void *p = realloc(r->chunks, sizeof *r->chunks * (size_t)(r->nchunks + n));
            if (!p) {
                free(c);
                return sl_err_set(err, false, "export", "", "out of memory");
            }
            r->chunks = p;
            memcpy(r->chunks + r->nchunks, c, sizeof *c * (size_t)n);
            r->nchunks += n;
            free(c);
        }
    }
    if (rc)
        return rc;
    int *order = calloc((size_t)r->nchunks, sizeof *order);
    r->results = calloc((size_t)r->nchunks, sizeof *r->results);
    r->chunks_left = calloc((size_t)r->ntables, sizeof *r->chunks_left);
    if (!r->chunks_left) {
        free(order);
        return sl_err_set(err, false, "export", "", "out of memory");
    }
    for (int i = 0; i < r->nchunks; i++)
        r->chunks_left[r->chunks[i].table]++;
    r->readers = calloc((size_t)r->cfg->jobs, sizeof *r->readers);
    if (!order || !r->results || !r->readers) {
        free(order);
        return sl_err_set(err, false, "export", "", "out of memory");
    }
    for (int i = 0; i < r->nchunks; i++) {
        order[i] = i;
        char id[300], name[300];
        chunk_task_id(r, i, id, sizeof id, name, sizeof name);
        task_state(r, id, "export", name, "pending", 0, 0, 0, NULL);
    }
    /* Largest first, so the longest chunk does not start last. */
    qsort_r(order, (size_t)r->nchunks, sizeof *order, cmp_chunk_size, r);
    struct flow_pool_options po = {.workers = r->cfg->jobs, .retry = r->cfg->retry,
                                   .work = export_chunk, .event = export_event, .arg = r};
    rc = flow_pool_run(&po, r->nchunks, order, err);
    free(order);
    for (int w = 0; w < r->cfg->jobs; w++)
        if (r->readers[w])
            r->source.type->reader_close(r->readers[w]);
    free(r->readers);
    r->readers = NULL;
    return rc;
}

static int add_dataset(struct run *r, const char *layer, const char *name,
                       const struct sl_schema *schema, struct lake_dataset **out,
                       struct sl_err *err)
{
    void *p = realloc(r->datasets, sizeof *r->datasets * (size_t)(r->ndatasets + 1));
    if (!p)
        return sl_err_set(err, false, "run", name, "out of memory");
    r->datasets = p;
    struct lake_dataset *d = &r->datasets[r->ndatasets++];
    memset(d, 0, sizeof *d);
    snprintf(d->layer, sizeof d->layer, "%s", layer);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->prefix, sizeof d->prefix, "%s/%s/run=%s", layer, name, r->run_id);
    r->store.type->url(r->store.ctx, d->prefix, d->location, sizeof d->location);
    if (schema && sl_schema_copy(&d->schema, schema))
        return sl_err_set(err, false, "run", name, "out of memory");
    *out = d;
    return SL_OK;
}

static int add_file(struct lake_dataset *d, const char *path, const struct job_result *res,
                    struct sl_err *err)
{
    void *p = realloc(d->file, sizeof *d->file * (size_t)(d->files + 1));
    if (!p)
        return sl_err_set(err, false, "run", path, "out of memory");
    d->file = p;
    struct lake_file *f = &d->file[d->files++];
    snprintf(f->path, sizeof f->path, "%s", path);
    f->rows = res->rows;
    f->bytes = res->bytes;
    f->seconds = res->seconds;
    f->crc32 = res->crc32;
    d->rows += res->rows;
    d->bytes += res->bytes;
    return SL_OK;
}

static int register_dataset(struct run *r, const struct lake_dataset *d, struct sl_err *err)
{
    if (r->engine.type->register_dataset(r->engine.ctx, d, err) ||
        r->catalog.type->register_dataset(r->catalog.ctx, d, err))
        return SL_ERROR;
    return SL_OK;
}

static int do_register_raw(struct run *r, struct sl_err *err)
{
    for (int i = 0; i < r->ntables; i++) {
        const struct src_table *t = &r->tables[i];
        struct lake_dataset *d;
        if (add_dataset(r, "raw", t->dataset, &t->columns, &d, err))
            return SL_ERROR;
        for (int k = 0; k < r->nchunks; k++)
            if (r->chunks[k].table == i) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/part-%d.parquet", d->prefix, r->chunks[k].index);
                if (add_file(d, path, &r->results[k], err))
                    return SL_ERROR;
            }
        if (t->rows_exact && d->rows != t->est_rows)
            return sl_err_set(err, false, "export", t->name,
                              "exported %lld rows but the snapshot holds %lld",
                              (long long)d->rows, (long long)t->est_rows);
        if (register_dataset(r, d, err))
            return SL_ERROR;
    }
    return SL_OK;
}

/* ---- models ---------------------------------------------------------- */

static int cmp_model(const void *a, const void *b)
{
    return strcmp(((const struct model *)a)->name, ((const struct model *)b)->name);
}

static int find_models(struct run *r, const char *layer, struct sl_err *err)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/%s", r->cfg->models, layer);
    free(r->models);
    r->models = NULL;
    r->nmodels = 0;
    DIR *d = opendir(dir);
    if (!d)
        return SL_OK; /* no folder: no models for this stage */
    struct dirent *e;
    int rc = SL_OK;
    while (rc == SL_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".sql"))
            continue;
        void *p = realloc(r->models, sizeof *r->models * (size_t)(r->nmodels + 1));
        if (!p) {
            rc = sl_err_set(err, false, layer, dir, "out of memory");
            break;
        }
        r->models = p;
        struct model *m = &r->models[r->nmodels++];
        snprintf(m->layer, sizeof m->layer, "%s", layer);
        snprintf(m->name, sizeof m->name, "%.*s", (int)(n - 4), e->d_name);
        snprintf(m->file, sizeof m->file, "%s/%s", dir, e->d_name);
        snprintf(m->display, sizeof m->display, "%s/%s", dir, e->d_name);
        char safe[128];
        src_safe_name(m->name, safe, sizeof safe, "m_");
        if (strcmp(safe, m->name))
            rc = sl_err_set(err, false, layer, m->display,
                            "a model's file name is its dataset name and must use only "
                            "lowercase letters, digits and '_' (e.g. %s.sql)",
                            safe);
    }
    closedir(d);
    if (r->models)
        qsort(r->models, (size_t)r->nmodels, sizeof *r->models, cmp_model);
    return rc;
}

static char *read_text(const char *path, struct sl_err *err, const char *stage)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_err_set(err, false, stage, path, "cannot read: %s", strerror(errno));
        return NULL;
    }
    struct sl_buf b;
    sl_buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = sl_buf_append(&b, chunk, n) == SL_OK;
    fclose(f);
    if (!ok || sl_buf_putc(&b, 0)) {
        sl_buf_free(&b);
        sl_err_set(err, false, stage, path, "file too large");
        return NULL;
    }
    return (char *)b.data;
}

/* Stream a local file into the store. */
static int upload(struct run *r, const char *local, const char *path, struct job_result *res,
                  struct sl_err *err)
{
    FILE *f = fopen(local, "rb");
    if (!f)
        return sl_err_set(err, false, "store", local, "cannot read: %s", strerror(errno));
    struct store_file *sf = NULL;
    int rc = r->store.type->put_open(r->store.ctx, path, &sf, err);
    char *buf = malloc(1 << 20);
    size_t n;
    uLong crc = crc32_z(0, NULL, 0);
    res->bytes = 0;
    if (!buf && rc == SL_OK)
        rc = sl_err_set(err, false, "store", path, "out of memory");
    while (rc == SL_OK && (n = fread(buf, 1, 1 << 20, f)) > 0) {
        rc = r->store.type->write(sf, buf, n, err);
        crc = crc32_z(crc, (const Bytef *)buf, n);
        res->bytes += (int64_t)n;
    }
    res->crc32 = (uint32_t)crc;
    fclose(f);
    free(buf);
    if (rc == SL_OK) {
        rc = r->store.type->commit(sf, err);
        sf = NULL;
    }
    r->store.type->abort(sf);
    return rc;
}

static int run_model(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct run *r = arg;
    struct model *m = &r->models[job];
    char local[PATH_MAX + 300], path[PATH_MAX];
    struct model_result res = {0};
    double t0 = now();
    (void)attempt;
    sl_debug("%s model %s: %s (worker %d)", m->layer, m->name, m->file, worker + 1);
    char *sql = read_text(m->file, err, m->layer);
    if (!sql)
        return SL_ERROR;
    snprintf(local, sizeof local, "%s/%s-%s.parquet", r->tmp_dir, m->layer, m->name);
    snprintf(path, sizeof path, "%s/%s/run=%s/part-0.parquet", m->layer, m->name, r->run_id);
    int rc = r->engine.type->run_model(r->engine.ctx, m->display, sql, local, &res, err);
    free(sql);
    if (rc == SL_OK)
        rc = upload(r, local, path, &r->results[job], err);
    unlink(local);
    r->results[job].rows = res.rows;
    r->results[job].seconds = now() - t0;
    if (rc && !err->object[0])
        sl_err_context(err, "%s", m->display);
    return rc;
}

static void model_event(void *arg, int job, enum flow_event ev, int attempt,
                        const struct sl_err *e)
{
    struct run *r = arg;
    struct model *m = &r->models[job];
    char id[300];
    snprintf(id, sizeof id, "%s/%s", m->layer, m->name);
    const char *state = ev == FLOW_STARTED    ? "running"
                        : ev == FLOW_RETRYING ? "retrying"
                        : ev == FLOW_DONE     ? "done"
                        : ev == FLOW_SKIPPED  ? "skipped"
                                              : "failed";
    struct sl_err why = {0}; /* a skipped model: which failure it waited for */
    if (ev == FLOW_SKIPPED)
        sl_err_set(&why, false, m->layer, m->display,
                   "not run: it needs a model of its stage that failed (%s)", e->object);
    task_state(r, id, m->layer, m->name, state, attempt,
               ev == FLOW_DONE ? r->results[job].rows : 0,
               ev == FLOW_DONE ? r->results[job].bytes : 0, ev == FLOW_SKIPPED ? &why : e);
    if (ev == FLOW_DONE && flow_deps_is_read(&r->deps, job)) {
        /* A model of this stage reads it: readable now, not at the stage's end. */
        struct lake_dataset d = {0};
        struct sl_err ignored = {0};
        snprintf(d.layer, sizeof d.layer, "%s", m->layer);
        snprintf(d.name, sizeof d.name, "%s", m->name);
        snprintf(d.prefix, sizeof d.prefix, "%s/%s/run=%s", m->layer, m->name, r->run_id);
        r->store.type->url(r->store.ctx, d.prefix, d.location, sizeof d.location);
        if (r->engine.type->register_dataset(r->engine.ctx, &d, &ignored))
            sl_warn("%s", sl_err_format(&ignored, id, sizeof id));
    }
}

static int do_stage(struct run *r, const char *layer, struct sl_err *err)
{
    if (find_models(r, layer, err))
        return SL_ERROR;
    if (r->nmodels == 0)
        return SL_OK;
    free(r->results);
    r->results = calloc((size_t)r->nmodels, sizeof *r->results);
    if (!r->results)
        return sl_err_set(err, false, layer, "", "out of memory");
    for (int i = 0; i < r->nmodels; i++) {
        char id[300];
        snprintf(id, sizeof id, "%s/%s", layer, r->models[i].name);
        task_state(r, id, layer, r->models[i].name, "pending", 0, 0, 0, NULL);
    }
    /* A model runs after the models of its stage that it reads (deps.h). */
    flow_deps_free(&r->deps);
    if (flow_deps_load(r->cfg->models, layer, &r->deps, err))
        return SL_ERROR;
    if (r->deps.n != r->nmodels)
        return sl_err_set(err, false, layer, r->cfg->models, "the models changed during the run");
    /* Models fail for their SQL, not for the weather: no retries. */
    struct flow_pool_options po = {.workers = r->cfg->jobs, .retry = {.max_attempts = 1},
                                   .after = r->deps.after, .work = run_model,
                                   .event = model_event, .arg = r};
    if (flow_pool_run(&po, r->nmodels, r->deps.order, err))
        return SL_ERROR;
    for (int i = 0; i < r->nmodels; i++) {
        struct lake_dataset *d;
        if (add_dataset(r, layer, r->models[i].name, NULL, &d, err))
            return SL_ERROR;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/part-0.parquet", d->prefix);
        if (add_file(d, path, &r->results[i], err) || register_dataset(r, d, err))
            return SL_ERROR;
        sl_info("  %-7s %-28s %12lld rows %10.1f KiB %7.2f s", layer, d->name,
                    (long long)d->rows, d->bytes / 1024.0, r->results[i].seconds);
    }
    return SL_OK;
}

/* ---- publish and retention ------------------------------------------ */

static int do_publish(struct run *r, struct sl_err *err)
{
    task_state(r, "publish", "publish", "publish", "running", 1, 0, 0, NULL);
    char *json = NULL;
    int rc = flow_manifest_build(r->run_id, r->cfg, &r->source, r->tables, r->ntables,
                                 r->datasets, r->ndatasets, r->t0, now(), &json, err);
    char path[128];
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", r->run_id);
    if (rc == SL_OK)
        rc = store_put_all(&r->store, path, json, strlen(json), err);
    free(json);
    /* The catalog switch is the commit point: before it nothing is
     * published (and the manifest goes again), after it the run is. */
    if (rc == SL_OK && r->catalog.type->publish(r->catalog.ctx, err)) {
        struct sl_err ignored = {0};
        r->store.type->remove_prefix(r->store.ctx, path, &ignored);
        rc = SL_ERROR;
    }
    task_state(r, "publish", "publish", "publish", rc ? "failed" : "done", 1, 0, 0,
               rc ? err : NULL);
    if (rc)
        return rc;
    /* `current` follows for readers without a catalog; its failure no longer
     * changes what is published. */
    char cur[64];
    struct sl_err e = {0};
    snprintf(cur, sizeof cur, "%s\n", r->run_id);
    if (store_put_all(&r->store, "_snaplake/current", cur, strlen(cur), &e)) {
        char buf[2200];
        sl_warn("run %s is published, but _snaplake/current was not updated: %s", r->run_id,
                sl_err_format(&e, buf, sizeof buf));
    }
    return SL_OK;
}

struct sweep {
    char (*keep)[32];
    int nkeep;
    const char *oldest;
    char (*drop)[PATH_MAX];
    int ndrop, cap;
};

/* Collect "layer/name/run=X" folders of runs older than the oldest kept. */
static int sweep_file(void *arg, const char *path, int64_t size)
{
    struct sweep *s = arg;
    (void)size;
    const char *run = strstr(path, "/run=");
    if (!run || (strncmp(path, "raw/", 4) && strncmp(path, "stage1/", 7) &&
                 strncmp(path, "stage2/", 7)))
        return SL_OK;
    char id[32];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(run + 5, "/"), run + 5);
    if (strcmp(id, s->oldest) >= 0)
        return SL_OK;
    char folder[PATH_MAX];
    snprintf(folder, sizeof folder, "%.*s", (int)(run - path) + 5 + (int)strlen(id), path);
    if (s->ndrop && !strcmp(s->drop[s->ndrop - 1], folder))
        return SL_OK;
    if (s->ndrop == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        void *p = realloc(s->drop, sizeof *s->drop * (size_t)cap);
        if (!p)
            return SL_ERROR;
        s->drop = p;
        s->cap = cap;
    }
    snprintf(s->drop[s->ndrop++], PATH_MAX, "%s", folder);
    return SL_OK;
}

static int collect_manifest(void *arg, const char *path, int64_t size)
{
    struct sweep *s = arg;
    (void)size;
    size_t n = strlen(path);
    if (n < 6 || strcmp(path + n - 5, ".json"))
        return SL_OK;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    void *p = realloc(s->keep, sizeof *s->keep * (size_t)(s->nkeep + 1));
    if (!p)
        return SL_ERROR;
    s->keep = p;
    snprintf(s->keep[s->nkeep++], 32, "%.*s", (int)(strlen(base) - 5), base);
    return SL_OK;
}

static int cmp_run_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Keep the newest keep_runs published runs up to this one; remove older
 * runs' files and manifests, and leftovers of failed runs older than the
 * oldest kept.  Manifests with a later id than this run (another project
 * on the same lake, a clock ahead) are neither counted nor touched. */
static int do_retention(struct run *r, struct sl_err *err)
{
    struct sweep s = {0};
    task_state(r, "retention", "retention", "retention", "running", 1, 0, 0, NULL);
    int rc = r->store.type->list(r->store.ctx, "_snaplake/runs", collect_manifest, &s, err);
    /* By id, whatever order the store lists names in.  ('_' rather than '-'
     * before the suffix so that "…Z.json" < "…Z_2.json" in byte order too:
     * '-' sorts before '.', and `ls` or an S3 listing would put "…Z-2.json"
     * first.) */
    if (rc == SL_OK && s.nkeep > 1)
        qsort(s.keep, (size_t)s.nkeep, sizeof *s.keep, cmp_run_id);
    int removed = 0, upto = 0; /* manifests [0, upto) have ids <= this run's */
    while (rc == SL_OK && upto < s.nkeep && strcmp(s.keep[upto], r->run_id) <= 0)
        upto++;
    if (rc == SL_OK && upto > r->cfg->keep_runs) {
        int first = upto - r->cfg->keep_runs; /* oldest first */
        s.oldest = s.keep[first];
        for (int i = 0; rc == SL_OK && i < first; i++) {
            char path[128];
            snprintf(path, sizeof path, "_snaplake/runs/%s.json", s.keep[i]);
            rc = r->store.type->remove_prefix(r->store.ctx, path, err);
        }
        if (rc == SL_OK)
            rc = r->store.type->list(r->store.ctx, "", sweep_file, &s, err);
        for (int i = 0; rc == SL_OK && i < s.ndrop; i++, removed++) {
            sl_debug("retention: removing %s", s.drop[i]);
            rc = r->store.type->remove_prefix(r->store.ctx, s.drop[i], err);
        }
    }
    task_state(r, "retention", "retention", "retention", rc ? "failed" : "done", 1, removed, 0,
               rc ? err : NULL);
    free(s.keep);
    free(s.drop);
    return rc;
}

/* ---- the run --------------------------------------------------------- */

/* One run at a time per project: an open-file-description lock (F_OFD_SETLK)
 * on .snaplake/lock, held until the process ends (the kernel drops it even
 * after kill -9).  OFD rather than flock() so that `snaplake status` can ask
 * whether a run holds it (F_OFD_GETLK) without taking it, which would make
 * a run starting at that moment fail. */
static void lock_path(const struct sl_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "%s/.snaplake/lock", cfg->dir);
}

static int take_run_lock(const struct sl_config *cfg, int *fd, struct sl_err *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.snaplake", cfg->dir);
    mkdir(path, 0777);
    lock_path(cfg, path, sizeof path);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return sl_err_set(err, false, "run", path, "cannot open the run lock: %s",
                          strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(*fd, F_OFD_SETLK, &fl) != 0) {
        close(*fd);
        *fd = -1;
        return sl_err_set(err, true, "run", path,
                          "another run of this project is in progress; wait for it or check "
                          "`snaplake status`");
    }
    return SL_OK;
}

int flow_run_active(const struct sl_config *cfg)
{
    char path[PATH_MAX + 32];
    lock_path(cfg, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int active = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return active;
}

void flow_state_damaged_hint(const struct sl_config *cfg, struct sl_err *err)
{
    char quoted[PATH_MAX + 8];
    const char *p = cfg->path;
    if (p[strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")])
        snprintf(quoted, sizeof quoted, "'%s'", p);
    else
        snprintf(quoted, sizeof quoted, "%s", p);
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n,
             ". To move it aside (to state.db.corrupt-<time>) and start a new history: "
             "`snaplake run -c %s --new-history`",
             quoted);
}

struct leftovers {
    char (*path)[PATH_MAX];
    int n;
};

static int collect_catalog_leftover(void *arg, const char *path, int64_t size)
{
    struct leftovers *l = arg;
    (void)size;
    if (strncmp(path, "_snaplake/catalog-", 18))
        return SL_OK;
    void *p = realloc(l->path, sizeof *l->path * (size_t)(l->n + 1));
    if (!p)
        return SL_ERROR;
    l->path = p;
    snprintf(l->path[l->n++], PATH_MAX, "%s", path);
    return SL_OK;
}

/* What a crashed run left: its snapshot copy and temp files in
 * .snaplake/tmp, its unpublished catalog in the lake.  Called with the run
 * lock held, so no other run of this project is using them. */
static void clean_leftovers(struct run *r)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/.snaplake/tmp", r->cfg->dir);
    remove_dir(tmp);
    struct leftovers l = {0};
    struct sl_err e = {0};
    if (r->store.type->list(r->store.ctx, "_snaplake", collect_catalog_leftover, &l, &e) ==
        SL_OK)
        for (int i = 0; i < l.n; i++)
            r->store.type->remove_prefix(r->store.ctx, l.path[i], &e);
    free(l.path);
}

static void read_fault_switch(struct run *r)
{
    const char *f = getenv("SNAPLAKE_FAULT");
    int n = 0;
    long long clock = 0;
    if (f && sscanf(f, "export:%127[^:]:%d", r->fault_dataset, &n) == 2)
        r->fault_attempts = n;
    else if (f && sscanf(f, "clock:%lld", &clock) == 1)
        r->fault_clock = (time_t)clock;
}

/* The hook's environment: ours without any SNAPLAKE_RUN_ID, _STATUS, _ERROR
 * or _FAILED_TASK, then those four.  Built for the child instead of calling
 * setenv(), which is not thread-safe while DuckDB's threads are alive (a
 * thread reading the environment may see a freed entry).  The strings in
 * own[] belong to the caller; the array itself too. */
static char **hook_environment(const char *const value[4], char *own[4])
{
    static const char *const names[4] = {"SNAPLAKE_RUN_ID", "SNAPLAKE_STATUS", "SNAPLAKE_ERROR",
                                         "SNAPLAKE_FAILED_TASK"};
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 5, sizeof *env);
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int ours = 0;
        for (int v = 0; v < 4 && !ours; v++) {
            size_t len = strlen(names[v]);
            ours = !strncmp(environ[i], names[v], len) && environ[i][len] == '=';
        }
        if (!ours)
            env[k++] = environ[i];
    }
    for (int v = 0; v < 4; v++) {
        if (asprintf(&own[v], "%s=%s", names[v], value[v]) < 0) {
            own[v] = NULL;
            free(env);
            return NULL;
        }
        env[k++] = own[v];
    }
    env[k] = NULL;
    return env;
}

/* See run.h.  Hooks run in the config file's folder (so `./notify.sh` works
 * from cron, whose working folder is elsewhere), after the run has let go of
 * its lock (an on_failure hook may start the next run) and closed DuckDB. */
void flow_run_hook(const struct sl_config *cfg, const struct flow_run_options *opt,
                   const struct sl_err *err)
{
    const char *which = err ? "on_failure" : "on_success";
    const char *cmd = err ? cfg->on_failure : cfg->on_success;
    if (!opt->began || !cmd)
        return;
    char error[2200];
    const char *value[4] = {opt->run_id, err ? "failed" : "done",
                            err ? sl_err_format(err, error, sizeof error) : "", opt->failed_task};
    char *own[4] = {0};
    char **env = hook_environment(value, own);
    posix_spawn_file_actions_t fa;
    int fa_ok = 0, e = ENOMEM, wstatus = 0, pipe_fd[2] = {-1, -1};
    pid_t pid = -1;
    sl_debug("hook %s: sh -c '%s' in %s", which, cmd, cfg->dir);
    if (env && (e = posix_spawn_file_actions_init(&fa)) == 0) {
        fa_ok = 1;
        e = posix_spawn_file_actions_addchdir_np(&fa, cfg->dir);
    }
    /* A JSON log holds only JSON lines: read the hook's output and log it. */
    if (e == 0 && sl_log_json()) {
        if (pipe2(pipe_fd, O_CLOEXEC))
            e = errno;
        else if ((e = posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], 1)) == 0)
            e = posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], 2);
    }
    if (e == 0) {
        char *argv[] = {"sh", "-c", (char *)cmd, NULL};
        /* What we logged so far reaches a shared log file before the hook's lines. */
        fflush(stdout);
        fflush(stderr);
        e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env);
    }
    if (pipe_fd[1] >= 0)
        close(pipe_fd[1]);
    if (pipe_fd[0] >= 0) {
        FILE *f = e ? NULL : fdopen(pipe_fd[0], "r");
        char line[4096];
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            sl_log_event(SL_LOG_INFO, "hook", "hook %s: %s", which, line);
        }
        if (f)
            fclose(f);
        else
            close(pipe_fd[0]);
    }
    if (e) {
        sl_warn("hook %s ('%s') could not be started in %s: %s", which, cmd, cfg->dir,
                strerror(e));
    } else {
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(wstatus))
            sl_warn("hook %s ('%s') was ended by signal %d (%s)", which, cmd, WTERMSIG(wstatus),
                    strsignal(WTERMSIG(wstatus)));
        else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127)
            sl_warn("hook %s ('%s') exited with status 127: command not found (hooks run with "
                    "`sh -c` in %s)",
                    which, cmd, cfg->dir);
        else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0)
            sl_warn("hook %s ('%s') exited with status %d", which, cmd, WEXITSTATUS(wstatus));
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int v = 0; v < 4; v++)
        free(own[v]);
    free(env);
}

int flow_run(const struct sl_config *cfg, struct flow_run_options *opt, struct sl_err *err)
{
    struct run r = {.cfg = cfg, .t0 = now()};
    char state_path[PATH_MAX + 32], red[1024];
    int rc = SL_ERROR, began = 0, lock_fd = -1;
    pq_options_default(&r.pq);
    r.pq.codec = cfg->compression;
    r.pq.level = cfg->compression_level;
    r.pq.row_group_bytes = (size_t)cfg->row_group_mb << 20;
    src_redact_url(cfg->source, red, sizeof red);
    read_fault_switch(&r);

    flow_state_path(cfg, state_path, sizeof state_path);
    if (take_run_lock(cfg, &lock_fd, err))
        goto out;
    int sf = FLOW_STATE_CREATE | (opt->new_history ? FLOW_STATE_NEW_IF_DAMAGED : 0);
    int so = flow_state_open(state_path, sf, &r.state, err);
    if (so == FLOW_STATE_DAMAGED)
        flow_state_damaged_hint(cfg, err);
    if (so || flow_state_mark_interrupted(r.state, err) ||
        store_open(&r.store, cfg->lake, err))
        goto out;
    sl_debug("run history %s; run lock %s/.snaplake/lock", state_path, cfg->dir);
    clean_leftovers(&r);
    if (make_run_id(&r, err))
        goto out;
    snprintf(opt->run_id, sizeof opt->run_id, "%s", r.run_id);
    snprintf(r.tmp_dir, sizeof r.tmp_dir, "%s/.snaplake/tmp/%s", cfg->dir, r.run_id);
    if (mkdir_p(r.tmp_dir)) {
        sl_err_set(err, false, "run", r.tmp_dir, "cannot create folder: %s", strerror(errno));
        goto out;
    }
    if (flow_state_run_begin(r.state, r.run_id, red, cfg->lake, err))
        goto out;
    began = 1;
    sl_info("run %s: %s → %s", r.run_id, red, cfg->lake);

    struct engine_options eo = {.threads = cfg->jobs, .compression = cfg->compression};
    if (catalog_open(&r.catalog, cfg->catalog, &r.store, err) ||
        engine_open(&r.engine, cfg->engine, &eo, err) || do_snapshot(&r, err) ||
        do_export(&r, err))
        goto out;
    if (r.catalog.type->begin(r.catalog.ctx, r.run_id, err) || do_register_raw(&r, err))
        goto out;
    if ((!opt->export_only && (do_stage(&r, "stage1", err) || do_stage(&r, "stage2", err))) ||
        do_publish(&r, err))
        goto out;
    rc = SL_OK;
    if (do_retention(&r, err)) {
        char buf[2200];
        sl_warn("retention: %s", sl_err_format(err, buf, sizeof buf));
        sl_err_clear(err);
    }
out:
    if (r.catalog.type)
        r.catalog.type->abort(r.catalog.ctx);
    int64_t rows = 0, bytes = 0;
    for (int i = 0; i < r.ndatasets; i++)
        rows += r.datasets[i].rows, bytes += r.datasets[i].bytes;
    if (began) {
        char msg[2200];
        struct sl_err e2 = {0};
        flow_state_run_end(r.state, r.run_id, rc ? "failed" : "done", rows, bytes,
                           rc ? sl_err_format(err, msg, sizeof msg) : NULL, &e2);
    }
    if (rc == SL_OK)
        sl_log_result(false, "published run %s: %d datasets, %lld rows, %.1f MiB in %.2f s",
                      r.run_id, r.ndatasets, (long long)rows, bytes / 1048576.0, now() - r.t0);
    opt->began = began;
    snprintf(opt->failed_task, sizeof opt->failed_task, "%s", r.failed_task);
    if (r.tmp_dir[0])
        remove_dir(r.tmp_dir);
    engine_close(&r.engine);
    catalog_close(&r.catalog);
    source_close(&r.source);
    store_close(&r.store);
    flow_state_close(r.state);
    src_tables_free(r.tables, r.ntables);
    for (int i = 0; i < r.ndatasets; i++) {
        sl_schema_free(&r.datasets[i].schema);
        free(r.datasets[i].file);
    }
    free(r.datasets);
    free(r.chunks);
    free(r.results);
    free(r.chunks_left);
    free(r.models);
    flow_deps_free(&r.deps);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
