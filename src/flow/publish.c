/*
 * publish.c — the last phase of a run: the manifest written, the catalog
 * switched to this run (the commit point), _snaplake/current updated; then
 * retention removes runs older than the newest `keep_runs`.
 */
#include "flow/manifest.h"
#include "flow/run.h"
#include "flow/run_internal.h"
#include "util/duck.h"
#include "util/log.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* store_put_all, with the pause point "manifest" between the write and the
 * rename, where a test kills the run to leave the manifest's temp file. */
static int put_manifest(struct run *r, const char *path, const char *json, struct sl_err *err)
{
    struct store_file *f = NULL;
    if (r->store.type->put_open(r->store.ctx, path, &f, err))
        return SL_ERROR;
    if (r->store.type->write(f, json, strlen(json), err)) {
        r->store.type->abort(f, NULL);
        return SL_ERROR;
    }
    run_fault_pause(r, "manifest");
    return r->store.type->commit(f, err);
}

/* The manifest says which publish guarantee held (docs/cloud.md): the
 * catalog, and whether it switched every dataset at once or table by
 * table. */
static int add_guarantee(struct run *r, char **json, struct sl_err *err)
{
    json_error_t je;
    json_t *m = json_loads(*json, 0, &je);
    if (!m)
        return sl_err_set(err, false, "publish", r->run_id, "manifest: %s", je.text);
    bool atomic = (r->catalog.type->caps & CATALOG_CAP_ATOMIC) != 0;
    json_object_set_new(
        m, "publish",
        json_pack("{s:s, s:s, s:s}", "catalog", r->cfg->catalog, "switch",
                  atomic ? "atomic" : "per table",
                  "guarantee",
                  atomic ? "readers see every dataset of the previous run or every one of this run"
                         : "each table switches on its own, in a fixed order (raw, stage1, "
                           "stage2, by name); a failure in the middle leaves some tables on "
                           "this run until a resume or the next run publishes"));
    char *out = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    if (!out)
        return sl_err_set(err, false, "publish", r->run_id, "out of memory");
    free(*json);
    *json = out;
    return SL_OK;
}

int run_publish(struct run *r, const char *arg, struct sl_err *err)
{
    (void)arg;
    run_task_state(r, "publish", "publish", "publish", "running", 1, 0, 0, NULL);
    char *json = NULL;
    int rc = flow_manifest_build(r->state, r->run_id, r->cfg, r->t0, run_now(), &json, err);
    if (rc == SL_OK)
        rc = add_guarantee(r, &json, err);
    char path[128];
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", r->run_id);
    if (rc == SL_OK)
        rc = put_manifest(r, path, json, err);
    free(json);
    int written = rc == SL_OK;
    /* A signal while the manifest was written still ends the run: the
     * catalog switch is the last moment to stop without publishing. */
    if (rc == SL_OK && run_interrupt_signal)
        rc = sl_err_set(err, false, "publish", "", "interrupted");
    /* The catalog switch is the commit point: before it nothing is
     * published (and the manifest goes again), after it the run is. */
    int switching = 0;
    if (rc == SL_OK && (run_fault_inject(r, "publish", "", "", 1, err) ||
                        (switching = 1, r->catalog.type->publish(r->catalog.ctx, err))))
        rc = SL_ERROR;
    /* A catalog that switches table by table may have switched some before
     * it failed: those tables read this run's files, which its manifest
     * describes, until a resume or the next run publishes again. */
    bool partial = switching && !(r->catalog.type->caps & CATALOG_CAP_ATOMIC);
    if (rc && partial)
        sl_warn("catalog %s may have switched some tables to run %s before it failed; they "
                "read this run until `snaplake run --resume` or the next run publishes",
                r->cfg->catalog, r->run_id);
    if (rc && written && !partial) {
        struct sl_err ignored = {0};
        r->store.type->remove_prefix(r->store.ctx, path, &ignored);
    }
    run_task_state(r, "publish", "publish", "publish", rc ? "failed" : "done", 1, 0, 0,
                   rc ? err : NULL);
    if (rc)
        return rc;
    run_fault_pause(r, "switched"); /* tests kill here: published, `current` behind */
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

int flow_published_run(const struct sl_config *cfg, char *out, size_t size, struct sl_err *err)
{
    struct store st = {0};
    struct catalog cat = {0};
    out[0] = 0;
    int rc = store_open(&st, cfg->lake, &(struct store_options){.config = cfg}, err);
    if (rc == SL_OK)
        rc = catalog_open(&cat, cfg, &st, err);
    if (rc == SL_OK)
        rc = cat.type->published(cat.ctx, out, size, err);
    catalog_close(&cat);
    store_close(&st);
    return rc;
}

/* A run killed between its catalog switch and `current` (or before its
 * state recorded the end) is published all the same: the catalog is the
 * truth.  Bring `current` and the state in line with it.  Called at the
 * start of a run and by gc, with the run lock held, before anything reads
 * the state's failed or interrupted runs (resume, retention). */
int run_recover_published(struct run *r, struct sl_err *err)
{
    char id[64], cur[80] = "", buf[2200];
    struct sl_err e = {0};
    /* Best effort, as `current` is in run_publish: a catalog this run
     * cannot read, or a `current` it cannot write, does not stop it (it
     * replaces both when it publishes). */
    if (flow_published_run(r->cfg, id, sizeof id, &e)) {
        sl_warn("cannot check _snaplake/current against the catalog: %s",
                sl_err_format(&e, buf, sizeof buf));
        return SL_OK;
    }
    if (!id[0])
        return SL_OK;
    struct sl_buf b;
    struct sl_err ignored = {0};
    sl_buf_init(&b, 1 << 10);
    if (r->store.type->get(r->store.ctx, "_snaplake/current", &b, &ignored) == SL_OK) {
        size_t n = 0;
        while (n < b.len && n < sizeof cur - 1 && b.data[n] != '\n')
            n++;
        if (n)
            memcpy(cur, b.data, n);
        cur[n] = 0;
    }
    sl_buf_free(&b);
    if (strcmp(cur, id)) {
        sl_warn("_snaplake/current says run %s but the catalog publishes run %s (a run was "
                "killed after its catalog switch): _snaplake/current set to %s",
                cur[0] ? cur : "(none)", id, id);
        char line[80];
        snprintf(line, sizeof line, "%s\n", id);
        if (store_put_all(&r->store, "_snaplake/current", line, strlen(line), &e))
            sl_warn("_snaplake/current was not updated: %s", sl_err_format(&e, buf, sizeof buf));
    }
    return flow_state_mark_published(r->state, id,
                                     "published (the catalog switched to it); ended before "
                                     "recording its end, recorded done by a later start",
                                     err);
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
    if (!run ||
        (strncmp(path, "raw/", 4) && strncmp(path, "stage1/", 7) && strncmp(path, "stage2/", 7)))
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
int run_clean_abandoned(struct run *r, const char *upto, int *removed, struct sl_err *err)
{
    char(*ids)[32] = NULL;
    int n = 0, rc = flow_state_abandoned(r->state, upto, &ids, &n, err);
    for (int i = 0; rc == SL_OK && i < n; i++) {
        char(*prefix)[PATH_MAX] = NULL, path[PATH_MAX];
        int np = 0;
        rc = flow_state_prefixes(r->state, ids[i], &prefix, &np, err);
        for (int k = 0; rc == SL_OK && k < np; k++)
            rc = r->store.type->remove_prefix(r->store.ctx, prefix[k], err);
        /* A run recorded before state version 2 has no datasets recorded:
         * its folders are found by the names of this run's datasets. */
        for (int k = 0; rc == SL_OK && k < r->ndatasets; k++) {
            snprintf(path, sizeof path, "%s/%s/run=%s", r->datasets[k].layer, r->datasets[k].name,
                     ids[i]);
            rc = r->store.type->remove_prefix(r->store.ctx, path, err);
        }
        /* A manifest written before a failed catalog switch (killed there). */
        snprintf(path, sizeof path, "_snaplake/runs/%s.json", ids[i]);
        if (rc == SL_OK)
            rc = r->store.type->remove_prefix(r->store.ctx, path, err);
        /* Its report, kept in the project since it published nothing. */
        flow_report_local_path(r->cfg, ids[i], path, sizeof path);
        unlink(path);
        if (rc == SL_OK)
            rc = flow_state_mark_cleaned(r->state, ids[i], err);
        if (rc == SL_OK) {
            sl_debug("removed the files of run %s (it cannot be resumed any more)", ids[i]);
            (*removed)++;
        }
        free(prefix);
    }
    free(ids);
    return rc;
}

int run_retention(struct run *r, const char *arg, struct sl_err *err)
{
    (void)arg;
    struct sweep s = {0};
    run_task_state(r, "retention", "retention", "retention", "running", 1, 0, 0, NULL);
    int rc = run_fault_inject(r, "retention", "", "", 1, err);
    if (rc == SL_OK)
        rc = r->store.type->list(r->store.ctx, "_snaplake/runs", NULL, collect_manifest, &s, err);
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
            snprintf(path, sizeof path, "_snaplake/runs/%s.html", s.keep[i]); /* its report */
            if (rc == SL_OK)
                rc = r->store.type->remove_prefix(r->store.ctx, path, err);
        }
        if (rc == SL_OK)
            rc = r->store.type->list(r->store.ctx, "", NULL, sweep_file, &s, err);
        for (int i = 0; rc == SL_OK && i < s.ndrop; i++, removed++) {
            sl_debug("retention: removing %s", s.drop[i]);
            rc = r->store.type->remove_prefix(r->store.ctx, s.drop[i], err);
        }
    }
    if (rc == SL_OK)
        rc = run_clean_abandoned(r, r->run_id, &removed, err);
    run_task_state(r, "retention", "retention", "retention", rc ? "failed" : "done", 1, removed, 0,
                   rc ? err : NULL);
    free(s.keep);
    free(s.drop);
    return rc;
}
