/*
 * stage.c — the model phase of a run: each stage's models (<models>/<stage>/
 * *.sql, found by flow_models_list) run in parallel on the pool, each in the
 * engine, which writes its result where the dataset lives
 * (<stage>/<name>/run=<ID>/…) and says which files and columns it wrote;
 * the dataset is then recorded and registered.
 * See run_internal.h for who owns what.
 */
#include "flow/manifest.h"
#include "flow/pool.h"
#include "flow/progress.h"
#include "flow/run_internal.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int run_model(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct run *r = arg;
    const struct flow_model_file *m = &r->models[job];
    struct model_result *res = &r->model_results[job];
    double t0 = run_now();
    if (r->kept[job]) /* done in the run being resumed: its file stays */
        return SL_OK;
    if (run_fault_inject(r, "model", m->name, m->path, attempt, err))
        return SL_ERROR;
    sl_debug("%s model %s: %s (worker %d)", r->layer, m->name, m->path, worker + 1);
    char *sql = read_text(m->path, err, r->layer);
    if (!sql)
        return SL_ERROR;
    struct lake_dataset out = {0};
    snprintf(out.layer, sizeof out.layer, "%s", r->layer);
    snprintf(out.name, sizeof out.name, "%s", m->name);
    snprintf(out.prefix, sizeof out.prefix, "%s/%s/run=%s", r->layer, m->name, r->run_id);
    r->store.type->url(r->store.ctx, out.prefix, out.location, sizeof out.location);
    model_result_free(res); /* a failed attempt's */
    struct sl_cancel *cancel = &r->cancel[worker];
    sl_cancel_begin(cancel, RUN_ATTEMPT_TAG(job, attempt));
    int rc = r->engine.type->run_model(r->engine.ctx, m->path, sql, &out, cancel, res, err);
    if (rc && sl_cancel_fired(cancel)) {
        /* DuckDB says "Interrupted!"; this is why. */
        char limit[32];
        sl_err_clear(err);
        if (run_interrupt_signal)
            sl_err_set(err, false, r->layer, m->path, "%s", run_stop_reason());
        else
            sl_err_set(err, false, r->layer, m->path,
                       "timed out after %s (run.timeouts.model); the model was stopped",
                       run_seconds(r->cfg->timeouts.model, limit, sizeof limit));
    }
    sl_cancel_end(cancel);
    free(sql);
    double seconds = run_now() - t0;
    struct job_result *jr = &r->results[job];
    *jr = (struct job_result){.rows = res->rows, .seconds = seconds};
    for (int i = 0; i < res->files; i++) {
        res->file[i].seconds = seconds / res->files;
        jr->bytes += res->file[i].bytes;
    }
    if (res->files)
        jr->crc32 = res->file[0].crc32;
    if (rc && !err->object[0])
        sl_err_context(err, "%s", m->path);
    return rc;
}

/* The pool's cancel (a time limit passed, or the run is stopping). */
static void model_cancel(void *arg, int job, int worker, int attempt)
{
    struct run *r = arg;
    sl_cancel_fire(&r->cancel[worker], RUN_ATTEMPT_TAG(job, attempt));
}

static void model_event(void *arg, int job, enum flow_event ev, int attempt, const struct sl_err *e)
{
    struct run *r = arg;
    const struct flow_model_file *m = &r->models[job];
    char id[300];
    snprintf(id, sizeof id, "%s/%s", r->layer, m->name);
    if (ev == FLOW_DONE && flow_deps_is_read(&r->deps, job)) {
        /* A model of this stage reads it: readable now, not at the stage's end. */
        struct lake_dataset d = {0};
        struct sl_err ignored = {0};
        snprintf(d.layer, sizeof d.layer, "%s", r->layer);
        snprintf(d.name, sizeof d.name, "%s", m->name);
        snprintf(d.prefix, sizeof d.prefix, "%s/%s/run=%s", r->layer, m->name, r->run_id);
        r->store.type->url(r->store.ctx, d.prefix, d.location, sizeof d.location);
        d.file = r->model_results[job].file; /* borrowed: not freed through d */
        d.files = r->model_results[job].files;
        char buf[2200];
        if (r->engine.type->register_dataset(r->engine.ctx, &d, &ignored))
            sl_warn("%s", sl_err_format(&ignored, buf, sizeof buf));
    }
    if (r->kept[job])
        return; /* recorded done by the run being resumed */
    if (ev == FLOW_STARTED)
        progress_chunk(job, 1);
    else if (ev != FLOW_RETRYING) {
        if (ev == FLOW_DONE)
            progress_add(job, r->results[job].rows, r->results[job].bytes);
        if (ev != FLOW_SKIPPED)
            progress_chunk(job, 0);
        progress_table_done(job);
    }
    const char *state = ev == FLOW_STARTED    ? "running"
                        : ev == FLOW_RETRYING ? "retrying"
                        : ev == FLOW_DONE     ? "done"
                        : ev == FLOW_SKIPPED  ? "skipped"
                                              : "failed";
    struct sl_err why = {0}; /* a skipped model: which failure it waited for */
    if (ev == FLOW_SKIPPED)
        sl_err_set(&why, false, r->layer, m->path,
                   "not run: it needs a model of its stage that failed (%s)", e->object);
    if (ev == FLOW_DONE) {
        /* The files first: a task recorded done has its output recorded;
         * and the columns, which a model's dataset knows only now. */
        const struct model_result *res = &r->model_results[job];
        struct sl_err e2 = {0};
        for (int i = 0; i < res->files; i++)
            if (flow_state_file(r->state, r->run_id, id, r->layer, m->name, &res->file[i], &e2))
                run_record_failed(r, &e2);
        struct flow_dataset_record d = {0};
        snprintf(d.layer, sizeof d.layer, "%s", r->layer);
        snprintf(d.name, sizeof d.name, "%s", m->name);
        snprintf(d.prefix, sizeof d.prefix, "%s/%s/run=%s", r->layer, m->name, r->run_id);
        r->store.type->url(r->store.ctx, d.prefix, d.location, sizeof d.location);
        d.schema_json = res->schema.ncols ? flow_manifest_columns(&res->schema) : NULL;
        if (flow_state_dataset(r->state, r->run_id, &d, &e2))
            run_record_failed(r, &e2);
        free(d.schema_json);
    }
    run_task_state(r, id, r->layer, m->name, state, attempt,
                   ev == FLOW_DONE ? r->results[job].rows : 0,
                   ev == FLOW_DONE ? r->results[job].bytes : 0, ev == FLOW_SKIPPED ? &why : e);
}

void run_free_model_results(struct run *r)
{
    for (int i = 0; i < r->nmodel_results; i++)
        model_result_free(&r->model_results[i]);
    free(r->model_results);
    r->model_results = NULL;
    r->nmodel_results = 0;
}

int run_stage(struct run *r, const char *layer, struct sl_err *err)
{
    free(r->models);
    r->models = NULL;
    r->layer = layer;
    if (flow_models_list(r->cfg->models, layer, &r->models, &r->nmodels, err))
        return SL_ERROR;
    if (r->nmodels == 0)
        return SL_OK;
    /* A model runs after the models of its stage that it reads (deps.h). */
    flow_deps_free(&r->deps);
    if (flow_deps_load(r->cfg->models, layer, &r->deps, err))
        return SL_ERROR;
    if (r->deps.n != r->nmodels)
        return sl_err_set(err, false, layer, r->cfg->models, "the models changed during the run");
    free(r->results);
    free(r->kept);
    run_free_model_results(r);
    r->results = calloc((size_t)r->nmodels, sizeof *r->results);
    r->kept = calloc((size_t)r->nmodels, sizeof *r->kept);
    r->model_results = calloc((size_t)r->nmodels, sizeof *r->model_results);
    r->nmodel_results = r->nmodels;
    if (!r->results || !r->kept || !r->model_results)
        return sl_err_set(err, false, layer, "", "out of memory");
    for (int i = 0; i < r->nmodels; i++) {
        char id[300];
        snprintf(id, sizeof id, "%s/%s", layer, r->models[i].name);
        struct lake_file kept;
        if (r->resuming && flow_state_task_output(r->state, r->run_id, id, &kept)) {
            /* Done in the run being resumed: its file is kept. */
            r->results[i] = (struct job_result){.rows = kept.rows,
                                                .bytes = kept.bytes,
                                                .seconds = kept.seconds,
                                                .crc32 = kept.crc32};
            struct model_result *mr = &r->model_results[i];
            if (!(mr->file = malloc(sizeof *mr->file)))
                return sl_err_set(err, false, layer, id, "out of memory");
            mr->file[0] = kept;
            mr->files = 1;
            mr->rows = kept.rows;
            sl_debug("resume: %s done, kept", id);
            r->kept[i] = 1;
            continue;
        }
        run_task_state(r, id, layer, r->models[i].name, "pending", 0, 0, 0, NULL);
        /* The dataset now, so that the datasets keep the models' order. */
        struct flow_dataset_record d = {0};
        snprintf(d.layer, sizeof d.layer, "%s", layer);
        snprintf(d.name, sizeof d.name, "%s", r->models[i].name);
        snprintf(d.prefix, sizeof d.prefix, "%s/%s/run=%s", layer, d.name, r->run_id);
        r->store.type->url(r->store.ctx, d.prefix, d.location, sizeof d.location);
        if (flow_state_dataset(r->state, r->run_id, &d, err))
            return SL_ERROR;
    }
    /* Every model is a job, those kept by a resume too (they end at once), so
     * that a model waits for what it reads whether it was kept or not.
     * Models mostly fail for their SQL (permanent errors, never retried);
     * an engine elsewhere (Trino, Athena) also fails for the weather — a
     * worker lost, throttling — and says so with a transient error, which
     * the run's retry policy retries as it does for the export.  A model
     * past run.timeouts.model fails for good (permanent): its time comes
     * from its query and data, which a second attempt meets again — as in
     * Step Functions, where States.Timeout is retried only when the Retry
     * field lists it. */
    struct flow_pool_options po = {.workers = r->cfg->jobs,
                                   .retry = r->cfg->retry,
                                   .after = r->deps.after,
                                   .work = run_model,
                                   .event = model_event,
                                   .arg = r,
                                   .stop = &run_interrupt_signal,
                                   .timeout = r->cfg->timeouts.model,
                                   .cancel = model_cancel};
    char what[16];
    snprintf(what, sizeof what, "%s models", layer);
    progress_begin_as(r->nmodels, what);
    for (int i = 0; i < r->nmodels; i++)
        if (!r->kept[i])
            progress_table(i, r->models[i].name, 0);
    progress_show();
    int rc = flow_pool_run(&po, r->nmodels, r->deps.order, err);
    progress_end();
    if (rc || run_record_check(r, err))
        return SL_ERROR;
    for (int i = 0; i < r->nmodels; i++) {
        struct lake_dataset *d;
        const struct model_result *mr = &r->model_results[i];
        if (run_add_dataset(r, layer, r->models[i].name, mr->schema.ncols ? &mr->schema : NULL,
                            &d, err))
            return SL_ERROR;
        for (int k = 0; k < mr->files; k++) {
            struct job_result one = {.rows = mr->file[k].rows,
                                     .bytes = mr->file[k].bytes,
                                     .seconds = mr->file[k].seconds,
                                     .crc32 = mr->file[k].crc32};
            if (run_add_file(d, mr->file[k].path, &one, err))
                return SL_ERROR;
        }
        if (run_register_dataset(r, d, err))
            return SL_ERROR;
        sl_info("  %-7s %-28s %12lld rows %10.1f KiB %7.2f s", layer, d->name, (long long)d->rows,
                d->bytes / 1024.0, r->results[i].seconds);
    }
    return SL_OK;
}
