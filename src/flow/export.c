/*
 * export.c — the export phase of a run: the snapshot (the source opened,
 * its tables listed and selected), every table cut into chunks and each
 * chunk written as one Parquet file of raw/<dataset>/run=<ID>/ by the pool's
 * workers, then the raw datasets registered in the engine and the catalog.
 * See run_internal.h for who owns what.
 */
#include "flow/manifest.h"
#include "flow/pool.h"
#include "flow/progress.h"
#include "flow/run_internal.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

/* A chunk's writer thread, when the machine has a core to spare for it
 * (use_pipe): the source decodes the next batch while the last one is
 * encoded and compressed, instead of the two taking turns on one thread.
 * The source's batch is copied (memcpy: a few percent of the writer's
 * work) because the sources keep writing into theirs.  `copy` is filled by
 * the worker only while `full` is false and read by the writer thread
 * only while it is true; `full` changes under `mu`. */
struct pipe {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pq_writer *w;
    struct sl_batch *copy;
    bool full, quit;
    int rc;
    struct sl_err err; /* the writer's, read after rc is set */
};

static void *pipe_main(void *arg)
{
    struct pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->full && !p->quit)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->full)
            break;
        pthread_mutex_unlock(&p->mu);
        int rc = p->rc ? SL_OK : pq_writer_write(p->w, p->copy, &p->err);
        pthread_mutex_lock(&p->mu);
        if (rc)
            p->rc = rc;
        p->full = false;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Wait until the writer thread has written what it was given; its error. */
static int pipe_wait(struct pipe *p, struct sl_err *err)
{
    pthread_mutex_lock(&p->mu);
    while (p->full)
        pthread_cond_wait(&p->cv, &p->mu);
    int rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    if (rc)
        *err = p->err;
    return rc;
}

static int pipe_put(struct pipe *p, const struct sl_batch *b, struct sl_err *err)
{
    if (pipe_wait(p, err))
        return SL_ERROR;
    if (sl_batch_copy(p->copy, b))
        return sl_err_set(err, false, "export", "", "out of memory copying a batch");
    pthread_mutex_lock(&p->mu);
    p->full = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return SL_OK;
}

static int pipe_start(struct pipe *p, const struct sl_schema *schema, struct pq_writer *w)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    p->copy = sl_batch_new(schema, BATCH_ROWS, BATCH_MAX_COLUMN_BYTES);
    if (!p->copy)
        return SL_ERROR;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->th, NULL, pipe_main, p)) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        sl_batch_free(p->copy);
        p->copy = NULL;
        return SL_ERROR;
    }
    return SL_OK;
}

/* Let the writer thread finish what it holds and end; its error, if any. */
static int pipe_stop(struct pipe *p, struct sl_err *err)
{
    if (!p->copy)
        return SL_OK;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    sl_batch_free(p->copy);
    p->copy = NULL;
    if (p->rc && err)
        *err = p->err;
    return p->rc;
}

/* A writer thread per worker pays when the workers leave cores idle: jobs
 * below the machine's cores.  SNAPLAKE_PIPE=0/1 decides instead (tests). */
static bool use_pipe(int jobs)
{
    const char *e = getenv("SNAPLAKE_PIPE");
    if (e && *e)
        return strcmp(e, "0") != 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > jobs;
}

struct emit {
    struct run *r;
    struct pq_writer *w;
    struct pipe *pipe; /* NULL: written on the worker's own thread */
    const char *table;
    struct sl_cancel *cancel; /* the worker's: fired on a time limit or a stop */
    int slow;                 /* SNAPLAKE_FAULT=slow: hang after the first batch */
    int batches;
    int table_index;
    int64_t rows, bytes; /* read by this attempt (taken back if it fails) */
};

/* The bytes of a batch's values as read (before encoding): what the live
 * display counts, as Parquet bytes only appear when a row group is done. */
static int64_t batch_bytes(const struct sl_batch *b)
{
    int64_t n = 0;
    for (int i = 0; i < b->schema->ncols; i++) {
        const struct sl_batch_column *c = &b->cols[i];
        const struct sl_column *sc = &b->schema->cols[i];
        size_t w = sl_type_width(sc->type, sc->precision);
        n += (int64_t)(c->data.len +
                       (c->child ? w * c->child_count + c->child->data.len : w * b->nrows));
    }
    return n;
}

/* Each batch read: written, unless the run was interrupted (a signal) or
 * the attempt cancelled (its time limit): then the source's read loop ends
 * here, within one batch.  A read blocked in the server is stopped by the
 * source's reader_cancel instead (export_cancel). */
static int emit_batch(void *arg, const struct sl_batch *b, struct sl_err *err)
{
    struct emit *e = arg;
    if (e->batches++ == 0) {
        run_fault_pause(e->r, "batch");
        for (int i = 0; e->slow && i < 1200 && !sl_cancel_fired(e->cancel); i++)
            usleep(50000);
    }
    if (run_interrupt_signal)
        return sl_err_set(err, false, "export", e->table, "%s", run_stop_reason());
    if (sl_cancel_fired(e->cancel))
        return sl_err_set(err, false, "export", e->table, "cancelled");
    int64_t bytes = batch_bytes(b);
    e->rows += (int64_t)b->nrows;
    e->bytes += bytes;
    progress_add(e->table_index, (int64_t)b->nrows, bytes);
    return e->pipe ? pipe_put(e->pipe, b, err) : pq_writer_write(e->w, b, err);
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
    struct sl_cancel *cancel = &r->cancel[worker];
    struct emit em = {.r = r, .table = t->name, .table_index = c->table, .cancel = cancel};
    struct pipe pipe = {0};
    struct pq_file_info info = {0};
    char path[PATH_MAX];
    double t0 = run_now();
    int rc = SL_ERROR;

    sl_cancel_begin(cancel, RUN_ATTEMPT_TAG(job, attempt));
    em.slow = attempt <= r->slow_attempts &&
              (!strcmp(r->slow_dataset, t->dataset) || !strcmp(r->slow_dataset, "*"));
    snprintf(path, sizeof path, "raw/%s/run=%s/part-%d.parquet", t->dataset, r->run_id, c->index);
    char part[300];
    snprintf(part, sizeof part, "%s/%d", t->dataset, c->index);
    if (run_fault_inject(r, "export", t->dataset, t->name, attempt, err) ||
        run_fault_inject(r, "export", part, t->name, attempt, err))
        goto out;
    if (!r->readers[worker] && st->reader_open(r->source.snap, &r->readers[worker], err)) {
        /* The server has no room for this worker's connection: go on with
         * the workers that have one (the pool keeps at least one). */
        if (err->capacity) {
            sl_warn("worker %d stops: %s", worker + 1, err->msg);
            sl_cancel_end(cancel);
            return FLOW_WORKER_RETIRE;
        }
        goto out;
    }
    batch = sl_batch_new(&t->columns, BATCH_ROWS, BATCH_MAX_COLUMN_BYTES);
    if (!batch) {
        sl_err_set(err, false, "export", t->name, "out of memory");
        goto out;
    }
    /* The table's name reaches the writer for parquet.bloom_filter_columns. */
    char table[sizeof t->schema + sizeof t->name + 2];
    snprintf(table, sizeof table, "%s.%s", t->schema, t->name);
    struct pq_options po = r->pq;
    po.table = table;
    po.expected_rows = c->est_rows; /* the writer's dictionary choice projects to it */
    if (!r->spares[worker])
        r->spares[worker] = pq_spare_new(); /* NULL: the writer allocates its own */
    po.spare = r->spares[worker];
    if (r->store.type->put_open(r->store.ctx, path, &sink.f, err) ||
        pq_writer_open(&w, &t->columns, &po, sink_write, &sink, err))
        goto out;
    em.w = w;
    if (r->pipe_writes && pipe_start(&pipe, &t->columns, w) == SL_OK)
        em.pipe = &pipe;
    /* Armed while the source reads: the leader's cancel stops the read even
     * when it waits for the server (a lock, a slow disk, a stalled link). */
    if (sl_cancel_arm(cancel, st->reader_cancel, r->readers[worker]))
        sl_err_set(err, false, "export", t->name, "cancelled");
    else
        rc = st->read_chunk(r->readers[worker], t, c, batch, emit_batch, &em, err);
    sl_cancel_disarm(cancel);
    /* A writer's error fails the read through the next emit; one on the
     * last batch fails the chunk here.  A read that failed keeps its own. */
    if (pipe_stop(&pipe, rc ? NULL : err) && !rc)
        rc = SL_ERROR;
    if (rc || (rc = SL_ERROR, pq_writer_finish(w, &info, err)))
        goto out;
    if (r->store.type->commit(sink.f, err)) {
        sink.f = NULL;
        goto out;
    }
    sink.f = NULL;
    double t1 = run_now();
    r->results[job] = (struct job_result){.rows = info.rows,
                                          .bytes = info.bytes,
                                          .seconds = t1 - t0,
                                          .started = t0,
                                          .ended = t1,
                                          .crc32 = (uint32_t)sink.crc};
    rc = SL_OK;
out:
    if (rc && sl_cancel_fired(cancel)) {
        /* Whatever the read said (SQLite's "interrupted", PostgreSQL's
         * "canceling statement due to user request"), this is why. */
        char limit[32];
        sl_err_clear(err);
        if (run_interrupt_signal)
            sl_err_set(err, false, "export", t->name, "%s", run_stop_reason());
        else
            sl_err_set(err, true, "export", "", "timed out after %s (run.timeouts.export_chunk)",
                       run_seconds(r->cfg->timeouts.export_chunk, limit, sizeof limit));
    }
    /* A cancelled attempt's connection may still get the cancel request
     * late (PostgreSQL): never reuse it, even when the attempt succeeded. */
    if (sl_cancel_fired(cancel) && r->readers[worker]) {
        st->reader_close(r->readers[worker]);
        r->readers[worker] = NULL;
    }
    sl_cancel_end(cancel);
    if (rc) {
        progress_add(c->table, -em.rows, -em.bytes); /* the retry counts them again */
        if (err->transient && r->readers[worker]) {
            /* The connection may be the broken part: the retry opens a new one. */
            st->reader_close(r->readers[worker]);
            r->readers[worker] = NULL;
        }
        if (!strstr(err->object, t->name) && !strstr(err->object, "table "))
            sl_err_context(err, "table %s, part %d", t->name, c->index);
    }
    pipe_stop(&pipe, NULL); /* stopped already unless a step before the read failed */
    r->store.type->abort(sink.f, NULL);
    pq_writer_free(w);
    sl_batch_free(batch);
    return rc;
}

/* The pool's cancel (a time limit passed, or the run is stopping): to the
 * attempt on that worker, if it still runs. */
static void export_cancel(void *arg, int job, int worker, int attempt)
{
    struct run *r = arg;
    sl_cancel_fire(&r->cancel[worker], RUN_ATTEMPT_TAG(job, attempt));
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
        run_task_state(r, id, "export", name, "running", attempt, 0, 0, NULL);
        progress_chunk(r->chunks[job].table, 1);
        break;
    case FLOW_RETRYING:
        progress_chunk(r->chunks[job].table, 0);
        sl_warn("%s failed (attempt %d), retrying: %s", name, attempt,
                sl_err_format(e, buf, sizeof buf));
        run_task_state(r, id, "export", name, "retrying", attempt, 0, 0, e);
        break;
    case FLOW_DONE: {
        /* The file first: a task recorded done has its output recorded. */
        const struct job_result *res = &r->results[job];
        const char *dataset = r->tables[r->chunks[job].table].dataset;
        struct lake_file f = {
            .rows = res->rows, .bytes = res->bytes, .seconds = res->seconds, .crc32 = res->crc32};
        struct sl_err e2 = {0};
        snprintf(f.path, sizeof f.path, "raw/%s/run=%s/part-%d.parquet", dataset, r->run_id,
                 r->chunks[job].index);
        if (flow_state_file(r->state, r->run_id, id, "raw", dataset, &f, &e2))
            run_record_failed(r, &e2);
        run_task_state(r, id, "export", name, "done", attempt, res->rows, res->bytes, NULL);
        progress_chunk(r->chunks[job].table, 0);
        if (--r->chunks_left[r->chunks[job].table] == 0) {
            progress_table_done(r->chunks[job].table);
            print_table_done(r, r->chunks[job].table);
        }
        break;
    }
    case FLOW_FAILED:
        progress_chunk(r->chunks[job].table, 0);
        run_task_state(r, id, "export", name, "failed", attempt, 0, 0, e);
        break;
    case FLOW_SKIPPED: break; /* chunks wait for no other job */
    }
}

/* The workers' source readers and writer spares. */
static void free_workers(struct run *r)
{
    for (int w = 0; w < r->cfg->jobs; w++) {
        if (r->readers && r->readers[w])
            r->source.type->reader_close(r->readers[w]);
        if (r->spares)
            pq_spare_free(r->spares[w]);
    }
    free(r->readers);
    free(r->spares);
    r->readers = NULL;
    r->spares = NULL;
}

static int cmp_chunk_size(const void *a, const void *b, void *arg)
{
    const struct run *r = arg;
    int64_t x = r->chunks[*(const int *)a].est_rows, y = r->chunks[*(const int *)b].est_rows;
    return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

/* Opening the source is the pool's one job, so a source that refuses
 * connections at the start (a server down or restarting) gets the run's
 * retry policy — run.retry (or run.retries), the pool's backoff with jitter —
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
    (void)job, (void)worker;
    if (run_fault_inject(j->r, "snapshot", "", "", attempt, err))
        return SL_ERROR;
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
        run_task_state(j->r, "snapshot", "snapshot", "snapshot", "running", attempt, 0, 0, NULL);
    if (ev == FLOW_RETRYING) {
        sl_warn("snapshot failed (attempt %d of %d), retrying: %s", attempt,
                j->r->cfg->retry.max_attempts, sl_err_format(e, buf, sizeof buf));
        run_task_state(j->r, "snapshot", "snapshot", "snapshot", "retrying", attempt, 0, 0, e);
    }
}

/* Resume: keep the done export chunks only when they come from the same
 * point in time as what is exported now — the same snapshot (SQLite's kept
 * copy), or nothing left to export (the export phase had finished) — or
 * when --allow-mixed-snapshots says a mix will do.  Otherwise every table is
 * exported again: the first attempt's chunks and files are forgotten. */
static int decide_reuse(struct run *r, struct sl_err *err)
{
    int done = 0;
    for (int i = 0; i < r->nrecorded; i++)
        done += r->recorded[i].done;
    int finished = r->nrecorded > 0 && done == r->nrecorded;
    r->reuse = r->nrecorded > 0 && (r->same_snapshot || finished || r->allow_mixed);
    if (r->reuse) {
        sl_info("resume: %d of %d export chunks done, kept%s", done, r->nrecorded,
                r->same_snapshot || finished ? "" : " (from another snapshot: mixed)");
        return SL_OK;
    }
    if (r->nrecorded == 0)
        return SL_OK;
    sl_info("resume: the snapshot of the first attempt is gone and %d of %d export chunks were "
            "not done: every table is exported again in the new snapshot "
            "(--allow-mixed-snapshots keeps the done ones)",
            r->nrecorded - done, r->nrecorded);
    for (int i = 0; i < r->ntables; i++) {
        char prefix[PATH_MAX];
        snprintf(prefix, sizeof prefix, "raw/%s/run=%s", r->tables[i].dataset, r->run_id);
        if (r->store.type->remove_prefix(r->store.ctx, prefix, err))
            return SL_ERROR;
    }
    flow_state_chunks_free(r->recorded, r->nrecorded);
    r->recorded = NULL;
    r->nrecorded = 0;
    return flow_state_reset_export(r->state, r->run_id, err);
}

/* The chunks of a resumed run: the first attempt's plan, from the state;
 * done ones with their results (their files are kept). */
static int recorded_chunks(struct run *r, struct sl_err *err)
{
    r->chunks = calloc((size_t)r->nrecorded, sizeof *r->chunks);
    r->results = calloc((size_t)r->nrecorded, sizeof *r->results);
    if (!r->chunks || !r->results)
        return sl_err_set(err, false, "export", "", "out of memory");
    for (int k = 0; k < r->nrecorded; k++) {
        struct flow_chunk_record *c = &r->recorded[k];
        int t = 0;
        while (t < r->ntables && strcmp(r->tables[t].dataset, c->dataset))
            t++;
        if (t == r->ntables)
            return sl_err_set(err, false, "export", c->dataset,
                              "the run being resumed exported this dataset, but the source has "
                              "no such table now: start a new run instead of --resume");
        /* The bounds' text goes back to the source as it wrote it (moved). */
        r->chunks[k] = (struct src_chunk){.table = t,
                                          .index = c->index,
                                          .whole = c->whole,
                                          .lo = c->lo,
                                          .hi = c->hi,
                                          .est_rows = c->est_rows};
        c->lo = c->hi = NULL;
        r->nchunks = k + 1;
        if (c->done)
            r->results[k] = (struct job_result){.rows = c->file.rows,
                                                .bytes = c->file.bytes,
                                                .seconds = c->file.seconds,
                                                .crc32 = c->file.crc32};
    }
    r->nchunks = r->nrecorded;
    return SL_OK;
}

/* The snapshot's identity and the raw datasets it holds (their columns as
 * the manifest has them), into the run state. */
static int record_snapshot(struct run *r, struct sl_err *err)
{
    char *snap = r->source.type->describe ? r->source.type->describe(r->source.snap) : NULL;
    int rc = SL_OK;
    double taken = run_now();
    /* SQLite's kept copy is the first attempt's snapshot, taken back then. */
    if (r->same_snapshot) {
        char *first = NULL;
        double at = 0;
        rc = flow_state_get_snapshot(r->state, r->run_id, &first, &at, err);
        free(first);
        if (at > 0)
            taken = at;
    }
    /* Each chunk exported now records this snapshot (run_export). */
    free(r->snapshot_identity);
    r->snapshot_identity = flow_snapshot_identity(snap, taken);
    /* Chunks kept from another snapshot: the manifest names the one they
     * come from (with mixed snapshots, the first attempt's), and the
     * datasets keep that snapshot's counts. */
    int other = r->reuse && !r->same_snapshot;
    if (!other && rc == SL_OK)
        rc = flow_state_run_snapshot(r->state, r->run_id, r->source.type->name, snap,
                                     r->same_snapshot ? 0 : taken, err);
    free(snap);
    if (other) /* the datasets as the first attempt's snapshot had them */
        return rc;
    for (int i = 0; rc == SL_OK && i < r->ntables; i++) {
        const struct src_table *t = &r->tables[i];
        struct flow_dataset_record d = {
            .layer = "raw", .source_rows = t->est_rows, .rows_exact = t->rows_exact};
        char full[600];
        snprintf(full, sizeof full, "%s.%s", t->schema, t->name);
        snprintf(d.name, sizeof d.name, "%s", t->dataset);
        snprintf(d.prefix, sizeof d.prefix, "raw/%s/run=%s", t->dataset, r->run_id);
        r->store.type->url(r->store.ctx, d.prefix, d.location, sizeof d.location);
        d.source_table = full;
        d.schema_json = flow_manifest_columns(&t->columns);
        rc = flow_state_dataset(r->state, r->run_id, &d, err);
        free(d.schema_json);
    }
    return rc;
}

int run_snapshot(struct run *r, const char *arg, struct sl_err *err)
{
    (void)arg;
    struct snapshot_job job = {
        .r = r,
        .attempts = 1,
        .so = {.jobs = r->cfg->jobs, .tmp_dir = r->tmp_dir, .batch_rows = BATCH_ROWS}};
    struct flow_pool_options po = {.workers = 1,
                                   .retry = r->cfg->retry,
                                   .work = open_source,
                                   .event = open_source_event,
                                   .arg = &job,
                                   .stop = &run_interrupt_signal};
    run_task_state(r, "snapshot", "snapshot", "snapshot", "running", 1, 0, 0, NULL);
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
    if (rc == SL_OK && r->resuming)
        rc = decide_reuse(r, err);
    if (rc == SL_OK)
        rc = record_snapshot(r, err);
    int64_t rows = 0;
    for (int i = 0; i < r->ntables; i++)
        rows += r->tables[i].est_rows;
    run_task_state(r, "snapshot", "snapshot", "snapshot", rc ? "failed" : "done", job.attempts,
                   rows, 0, rc ? err : NULL);
    return rc;
}

/* -v: how a table was cut into chunks (the ranges are in the source's split
 * key, as the source encodes it: rowid for SQLite, block for PostgreSQL, the
 * primary key's value or values for MySQL). */
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
            sl_debug("plan:   part-%d: key range [%s, %s), about %lld rows", c[k].index,
                     c[k].lo ? c[k].lo : "start", c[k].hi ? c[k].hi : "end",
                     (long long)c[k].est_rows);
    }
}

int run_export(struct run *r, const char *arg, struct sl_err *err)
{
    (void)arg;
    int rc = r->reuse ? recorded_chunks(r, err) : SL_OK;
    for (int i = 0; !r->reuse && rc == SL_OK && i < r->ntables; i++) {
        struct src_chunk *c = NULL;
        int n = 0;
        rc = r->source.type->plan_chunks(r->source.snap, &r->tables[i], i, &c, &n, err);
        if (rc == SL_OK)
            debug_plan(&r->tables[i], c, n);
        if (rc == SL_OK) {
            void *p = realloc(r->chunks, sizeof *r->chunks * (size_t)(r->nchunks + n));
            if (!p) {
                src_chunks_free(c, n);
                return sl_err_set(err, false, "export", "", "out of memory");
            }
            r->chunks = p;
            memcpy(r->chunks + r->nchunks, c, sizeof *c * (size_t)n); /* bounds moved */
            r->nchunks += n;
            free(c);
        }
    }
    if (rc)
        return rc;
    int *order = calloc((size_t)r->nchunks + 1, sizeof *order), norder = 0;
    if (!r->results)
        r->results = calloc((size_t)r->nchunks + 1, sizeof *r->results);
    r->chunks_left = calloc((size_t)r->ntables, sizeof *r->chunks_left);
    if (!r->chunks_left) {
        free(order);
        return sl_err_set(err, false, "export", "", "out of memory");
    }
    for (int i = 0; i < r->nchunks; i++)
        if (!(r->reuse && r->recorded[i].done))
            r->chunks_left[r->chunks[i].table]++;
    r->pipe_writes = use_pipe(r->cfg->jobs);
    r->readers = calloc((size_t)r->cfg->jobs, sizeof *r->readers);
    r->spares = calloc((size_t)r->cfg->jobs, sizeof *r->spares);
    if (!order || !r->results || !r->readers || !r->spares) {
        free(order);
        free_workers(r);
        return sl_err_set(err, false, "export", "", "out of memory");
    }
    for (int i = 0; i < r->nchunks; i++) {
        if (r->reuse && r->recorded[i].done)
            continue; /* kept: its task and file stay as recorded */
        order[norder++] = i;
        char id[300], name[300];
        chunk_task_id(r, i, id, sizeof id, name, sizeof name);
        run_task_state(r, id, "export", name, "pending", 0, 0, 0, NULL);
        const struct src_chunk *c = &r->chunks[i];
        struct flow_task_chunk plan = {.dataset = r->tables[c->table].dataset,
                                       .index = c->index,
                                       .whole = c->whole,
                                       .lo = c->whole ? NULL : c->lo,
                                       .hi = c->whole ? NULL : c->hi,
                                       .est_rows = c->est_rows,
                                       .snapshot = r->snapshot_identity};
        if (flow_state_task_chunk(r->state, r->run_id, id, &plan, err)) {
            free(order);
            free_workers(r);
            return SL_ERROR;
        }
    }
    /* Largest first, so the longest chunk does not start last. */
    qsort_r(order, (size_t)norder, sizeof *order, cmp_chunk_size, r);
    /* run.timeouts.export_chunk: a timed-out attempt is a transient failure
     * (a lock held by a batch job, a stalled link: the next attempt may pass),
     * retried by run.retry like any other. */
    struct flow_pool_options po = {.workers = r->cfg->jobs,
                                   .retry = r->cfg->retry,
                                   .work = export_chunk,
                                   .event = export_event,
                                   .arg = r,
                                   .stop = &run_interrupt_signal,
                                   .timeout = r->cfg->timeouts.export_chunk,
                                   .cancel = export_cancel};
    /* The live display, on a terminal (progress.h): the chunks to export. */
    progress_begin(norder ? r->ntables : 0);
    for (int k = 0; k < norder; k++) {
        const struct src_chunk *c = &r->chunks[order[k]];
        progress_table(c->table, r->tables[c->table].dataset, c->est_rows);
    }
    progress_show();
    rc = flow_pool_run(&po, norder, order, err);
    progress_end();
    if (rc == SL_OK)
        rc = run_record_check(r, err);
    /* Some facts of the snapshot are counted while it is read (MySQL's zero
     * dates per column): recorded again once every chunk is in. */
    if (rc == SL_OK && !(r->reuse && !r->same_snapshot) && r->source.type->describe) {
        char *snap = r->source.type->describe(r->source.snap);
        rc = flow_state_run_snapshot(r->state, r->run_id, r->source.type->name, snap, 0, err);
        free(snap);
    }
    free(order);
    free_workers(r);
    return rc;
}

int run_add_dataset(struct run *r, const char *layer, const char *name,
                    const struct sl_schema *schema, struct lake_dataset **out, struct sl_err *err)
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

int run_add_file(struct lake_dataset *d, const char *path, const struct job_result *res,
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

int run_register_dataset(struct run *r, const struct lake_dataset *d, struct sl_err *err)
{
    /* `snaplake export` runs no model and opens no engine (run.c). */
    if ((!r->export_only && r->engine.type->register_dataset(r->engine.ctx, d, err)) ||
        r->catalog.type->register_dataset(r->catalog.ctx, d, err))
        return SL_ERROR;
    return SL_OK;
}

/* The catalog's transaction for this run begins here (run_publish commits
 * it); the raw datasets are its first content. */
int run_register_raw(struct run *r, const char *arg, struct sl_err *err)
{
    (void)arg;
    if (r->catalog.type->begin(r->catalog.ctx, r->run_id, err))
        return SL_ERROR;
    for (int i = 0; i < r->ntables; i++) {
        const struct src_table *t = &r->tables[i];
        struct lake_dataset *d;
        if (run_add_dataset(r, "raw", t->dataset, &t->columns, &d, err))
            return SL_ERROR;
        for (int k = 0; k < r->nchunks; k++)
            if (r->chunks[k].table == i) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/part-%d.parquet", d->prefix, r->chunks[k].index);
                if (run_add_file(d, path, &r->results[k], err))
                    return SL_ERROR;
            }
        if (t->rows_exact && d->rows != t->est_rows && !(r->reuse && !r->same_snapshot))
            return sl_err_set(err, false, "export", t->name,
                              "exported %lld rows but the snapshot holds %lld", (long long)d->rows,
                              (long long)t->est_rows);
        if (run_register_dataset(r, d, err))
            return SL_ERROR;
    }
    return SL_OK;
}
