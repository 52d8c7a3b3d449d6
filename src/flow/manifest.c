/*
 * manifest.c — see manifest.h.  Built with jansson; key order is insertion
 * order so the file reads top-down.  Everything in it comes from the run
 * state (state.h): the manifest is a view of what the state recorded.
 */
#include "flow/manifest.h"
#include "util/version.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *iso_time(double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    char buf[64];
    gmtime_r(&s, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[80];
    snprintf(out, sizeof out, "%s.%03dZ", buf, (int)((t - (double)s) * 1000));
    return json_string(out);
}

/* A JSON string of s; text that is not UTF-8 (SQLite accepts such names)
 * keeps its bytes as \xNN escapes instead of vanishing from the manifest. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *buf = malloc(4 * n + 1), *o = buf;
    if (!buf)
        return json_null();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        o += *p < 0x80 ? sprintf(o, "%c", *p) : sprintf(o, "\\x%02x", *p);
    j = json_string(buf);
    free(buf);
    return j ? j : json_null();
}

static json_t *columns_json(const struct sl_schema *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->ncols; i++) {
        const struct sl_column *c = &s->cols[i];
        char sql[64];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(c->name));
        json_object_set_new(o, "source_name", jstr(c->source_name));
        json_object_set_new(o, "source_type", jstr(c->source_type));
        json_object_set_new(o, "type", json_string(sl_type_name(c->type)));
        json_object_set_new(o, "sql_type", json_string(sl_type_sql(c, sql, sizeof sql)));
        json_object_set_new(o, "nullable", json_boolean(c->nullable));
        if (c->type == SL_T_DECIMAL) {
            json_object_set_new(o, "precision", json_integer(c->precision));
            json_object_set_new(o, "scale", json_integer(c->scale));
        }
        json_array_append_new(a, o);
    }
    return a;
}

char *flow_manifest_columns(const struct sl_schema *schema)
{
    if (!schema || !schema->ncols)
        return NULL;
    json_t *a = columns_json(schema);
    char *text = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(a);
    return text;
}

char *flow_snapshot_identity(const char *describe, double taken_at)
{
    static const char *const keys[] = {"snapshot_id", "snapshot_time", "lsn",
                                       "binlog_file", "binlog_position", "gtid"};
    json_t *d = describe ? json_loads(describe, 0, NULL) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "taken_at", iso_time(taken_at));
    for (size_t i = 0; d && i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(d, keys[i]);
        if (v && !json_is_null(v))
            json_object_set(o, keys[i], v);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    json_decref(d);
    return text;
}

/* The snapshots a raw dataset's files come from: `snapshot` when one,
 * `snapshots` and an index per file when several.  Adds the distinct ones
 * to all[] (*nall, for mixed_snapshots).  Files without one (a run
 * recorded before state version 4) add nothing. */
static void dataset_snapshots(json_t *o, json_t *files, const struct flow_dataset_record *d,
                              const char **all, int *nall)
{
    const char **mine = calloc((size_t)d->files + 1, sizeof *mine);
    int *index = calloc((size_t)d->files + 1, sizeof *index), n = 0;
    for (int f = 0; mine && index && f < d->files; f++) {
        const char *s = d->file_snapshot ? d->file_snapshot[f] : NULL;
        index[f] = -1;
        if (!s)
            continue;
        int k = 0;
        while (k < n && strcmp(mine[k], s))
            k++;
        if (k == n)
            mine[n++] = s;
        index[f] = k;
        int a = 0;
        while (a < *nall && strcmp(all[a], s))
            a++;
        if (a == *nall)
            all[(*nall)++] = s;
    }
    if (n == 1) {
        json_t *j = json_loads(mine[0], 0, NULL);
        json_object_set_new(o, "snapshot", j ? j : json_null());
    } else if (n > 1) {
        json_t *list = json_array();
        for (int k = 0; k < n; k++) {
            json_t *j = json_loads(mine[k], 0, NULL);
            json_array_append_new(list, j ? j : json_null());
        }
        json_object_set_new(o, "snapshots", list);
        for (int f = 0; f < d->files; f++)
            if (index[f] >= 0)
                json_object_set_new(json_array_get(files, (size_t)f), "snapshot",
                                    json_integer(index[f]));
    }
    free(mine);
    free(index);
}

int flow_manifest_build(struct flow_state *state, const char *run_id, const struct sl_config *cfg,
                        double started, double ended, char **out, struct sl_err *err)
{
    char red[1024], *snap = NULL;
    struct flow_dataset_record *datasets = NULL;
    int ndatasets = 0;
    *out = NULL;
    if (flow_state_get_snapshot(state, run_id, &snap, NULL, err) ||
        flow_state_datasets(state, run_id, &datasets, &ndatasets, err)) {
        free(snap);
        return SL_ERROR;
    }
    src_redact_url(cfg->source, red, sizeof red);
    json_t *m = json_object();
    json_object_set_new(m, "schema_version", json_integer(FLOW_MANIFEST_SCHEMA_VERSION));
    json_object_set_new(m, "run_id", json_string(run_id));
    json_object_set_new(m, "snaplake_version", json_string(SL_VERSION));
    json_object_set_new(m, "source", jstr(red));
    json_t *sj = snap ? json_loads(snap, 0, NULL) : NULL;
    free(snap);
    json_object_set_new(m, "snapshot", sj ? sj : json_null());
    json_object_set_new(m, "lake", jstr(cfg->lake));
    json_object_set_new(m, "started_at", iso_time(started));
    json_object_set_new(m, "ended_at", iso_time(ended));
    json_object_set_new(m, "seconds", json_real(ended - started));
    /* Here in the file's order; its value once the datasets are seen. */
    json_object_set_new(m, "mixed_snapshots", json_false());
    json_t *ds = json_array();
    int nall = 0, nfiles = 0;
    for (int i = 0; i < ndatasets; i++)
        nfiles += datasets[i].files;
    const char **all = calloc((size_t)nfiles + 1, sizeof *all); /* distinct snapshots */
    for (int i = 0; i < ndatasets; i++) {
        const struct flow_dataset_record *d = &datasets[i];
        json_t *o = json_object();
        json_object_set_new(o, "layer", json_string(d->layer));
        json_object_set_new(o, "name", json_string(d->name));
        if (d->source_table) {
            json_object_set_new(o, "source_table", jstr(d->source_table));
            json_object_set_new(o, d->rows_exact ? "source_rows" : "source_rows_estimate",
                                json_integer(d->source_rows));
        }
        json_object_set_new(o, "location", json_string(d->prefix));
        json_object_set_new(o, "rows", json_integer(d->rows));
        json_object_set_new(o, "bytes", json_integer(d->bytes));
        json_t *files = json_array();
        for (int f = 0; f < d->files; f++) {
            char crc[16];
            snprintf(crc, sizeof crc, "%08x", (unsigned)d->file[f].crc32);
            json_array_append_new(
                files, json_pack("{s:s, s:I, s:I, s:s, s:f}", "path", d->file[f].path, "rows",
                                 (json_int_t)d->file[f].rows, "bytes", (json_int_t)d->file[f].bytes,
                                 "crc32", crc, "seconds", d->file[f].seconds));
        }
        if (d->source_table && all)
            dataset_snapshots(o, files, d, all, &nall);
        json_object_set_new(o, "files", files);
        json_t *columns = d->schema_json ? json_loads(d->schema_json, 0, NULL) : NULL;
        if (columns)
            json_object_set_new(o, "columns", columns);
        json_array_append_new(ds, o);
    }
    free(all);
    json_object_set_new(m, "mixed_snapshots", json_boolean(nall > 1));
    json_object_set_new(m, "datasets", ds);
    *out = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    flow_state_datasets_free(datasets, ndatasets);
    if (!*out)
        return sl_err_set(err, false, "publish", run_id, "cannot build the manifest");
    return SL_OK;
}
