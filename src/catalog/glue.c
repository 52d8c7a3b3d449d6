/*
 * glue.c — the AWS Glue Data Catalog (`catalog: glue`, `glue: { database:
 * NAME }`): what Athena, Trino's and Spark's Glue metastores and Redshift
 * Spectrum read.
 *
 * Layout: three Glue databases, NAME_raw, NAME_stage1 and NAME_stage2
 * (created when missing), one EXTERNAL_TABLE per dataset named as the
 * dataset, over the dataset's run folder (StorageDescriptor.Location) with
 * the Parquet SerDe and input/output formats and Hive-typed columns
 * (hive.c).  Every table snaplake writes carries the parameters
 * classification=parquet and snaplake_run=<RUN_ID>: the second is how
 * published() reads which run the catalog shows, and how a table that
 * snaplake made is told from one somebody else put in these databases
 * (those are never touched: a name clash is an error).
 *
 * Publish, in a fixed order (raw, stage1, stage2; by name in each):
 *   1. each database: GetDatabase, CreateDatabase when missing;
 *   2. its tables listed once (GetTables, paged);
 *   3. each dataset: UpdateTable with SkipArchive=true when the table exists
 *      (Glue keeps no old version, so the 100 000 versions per table limit is
 *      never reached by nightly runs), CreateTable when not;
 *   4. tables carrying snaplake_run that this run did not register (a table
 *      gone from the source, a model removed) are dropped (BatchDeleteTable)
 *      and each one is reported with a warning.
 *
 * Guarantee (caps = 0): Glue has no transaction across tables.  Each table
 * switches atomically to the new run (one UpdateTable), but the datasets
 * switch one after another; a query in between may join a new raw table
 * with an old stage table.  A publish that fails midway leaves the tables
 * done so far on the new run and the others on the old one; the run fails
 * and its resume (or the next run) publishes again: every step above is
 * idempotent (Create of what exists becomes Update, Delete of what is gone
 * is no error), so a repeated publish ends as one clean publish would.
 * published() then reports the newest run the tables name, with a warning
 * that they are mixed.
 *
 * Requests go through the AWS layer (aws/aws.h): signed, endpoint from
 * AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL / glue.<region>.amazonaws.com,
 * throttling and 5xx retried with backoff and jitter.
 */
#include "aws/aws.h"
#include "catalog/catalog.h"
#include "catalog/hive.h"
#include "util/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SERDE         "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
#define INPUT_FORMAT  "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
#define OUTPUT_FORMAT "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
#define RUN_PARAMETER "snaplake_run"
/* UpdateTable attempts when Glue answers ConcurrentModificationException. */
#define CONCURRENT_TRIES 3
/* Glue's BatchDeleteTable takes at most 100 names. */
#define BATCH_DELETE_MAX 100

static const struct config_option glue_options[] = {
    {.name = "database", .kind = CONFIG_OPT_STRING, .required = true, .example = "database: shop"},
    {.name = NULL},
};

const struct config_plugin catalog_glue_plugin = {
    .role = "catalog",
    .name = "glue",
    .key = "glue",
    .options = glue_options,
};

static const char *const layers[] = {"raw", "stage1", "stage2"};
#define NLAYERS 3

struct glue_table {
    int layer; /* index in layers[] */
    char name[128];
    char location[PATH_MAX + 80];
    json_t *columns; /* [{"Name", "Type"}], owned */
};

struct glue {
    struct store *store; /* borrowed */
    struct aws_client *aws;
    char stem[200]; /* glue.database */
    char run_id[64];
    struct glue_table *tables;
    int ntables, cap;
};

static void tables_free(struct glue *g)
{
    for (int i = 0; i < g->ntables; i++)
        json_decref(g->tables[i].columns);
    free(g->tables);
    g->tables = NULL;
    g->ntables = g->cap = 0;
}

static void glue_close(void *ctx)
{
    struct glue *g = ctx;
    if (!g)
        return;
    tables_free(g);
    aws_client_close(g->aws);
    free(g);
}

/* Glue folds names to lowercase and allows [a-z0-9_]; a stem that it would
 * change is refused here rather than published under another name. */
static bool name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static int glue_open(struct store *store, const struct sl_config *cfg, void **ctx,
                     struct sl_err *err)
{
    *ctx = NULL;
    const char *db = config_option(cfg, "glue", "database");
    char where[600];
    if (!db)
        return sl_err_set(err, false, "config", cfg->path,
                          "'catalog: glue' needs 'glue.database' (glue: { database: shop })");
    if (!name_ok(db) || strlen(db) > 200)
        return sl_err_set(err, false, "config",
                          config_option_where(cfg, "glue", "database", where, sizeof where),
                          "glue.database '%s': use lowercase letters, digits and '_' (at most "
                          "200; Glue folds names to lowercase, and the databases are "
                          "%s_raw, %s_stage1, %s_stage2)",
                          db, db, db, db);
    struct glue *g = calloc(1, sizeof *g);
    if (!g)
        return sl_err_set(err, false, "catalog", "glue", "out of memory");
    g->store = store;
    snprintf(g->stem, sizeof g->stem, "%s", db);
    struct aws_client_options opt = {.retry = AWS_RETRY_DEFAULT};
    if (aws_client_open(&g->aws, &opt, err)) {
        free(g);
        return SL_ERROR;
    }
    *ctx = g;
    return SL_OK;
}

static int glue_begin(void *ctx, const char *run_id, struct sl_err *err)
{
    struct glue *g = ctx;
    (void)err;
    tables_free(g);
    snprintf(g->run_id, sizeof g->run_id, "%s", run_id);
    return SL_OK;
}

static void glue_abort(void *ctx)
{
    struct glue *g = ctx;
    /* NULL: open failed, and the run aborts all the same.  Nothing was sent
     * before publish, so there is nothing to undo in Glue. */
    if (g)
        tables_free(g);
}

static int layer_index(const char *layer)
{
    for (int i = 0; i < NLAYERS; i++)
        if (!strcmp(layer, layers[i]))
            return i;
    return -1;
}

/* The columns are worked out now, while the dataset's files are surely on
 * this machine (an S3 lake keeps local copies of what this run wrote). */
static int glue_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct glue *g = ctx;
    int layer = layer_index(d->layer);
    if (layer < 0)
        return sl_err_set(err, false, "catalog", d->name, "unknown layer '%s'", d->layer);
    struct hive_column *cols = NULL;
    int n = 0;
    if (hive_dataset_columns(d, g->store, &cols, &n, err))
        return SL_ERROR;
    json_t *columns = json_array();
    int rc = SL_OK;
    for (int i = 0; rc == SL_OK && i < n; i++) {
        char type[HIVE_TYPE_MAX], what[600];
        snprintf(what, sizeof what, "%s.%s.%s", d->layer, d->name, cols[i].name);
        rc = hive_type(cols[i].sql, HIVE_DIALECT_HIVE, what, type, sizeof type, err);
        if (rc == SL_OK)
            json_array_append_new(columns,
                                  json_pack("{s:s, s:s}", "Name", cols[i].name, "Type", type));
    }
    free(cols);
    if (rc == SL_OK && g->ntables == g->cap) {
        int cap = g->cap ? 2 * g->cap : 16;
        struct glue_table *t = realloc(g->tables, (size_t)cap * sizeof *t);
        if (!t)
            rc = sl_err_set(err, false, "catalog", d->name, "out of memory");
        else
            g->tables = t, g->cap = cap;
    }
    if (rc) {
        json_decref(columns);
        return SL_ERROR;
    }
    struct glue_table *t = &g->tables[g->ntables++];
    memset(t, 0, sizeof *t);
    t->layer = layer;
    snprintf(t->name, sizeof t->name, "%s", d->name);
    hive_location(g->store, d->prefix, t->location, sizeof t->location);
    t->columns = columns;
    return SL_OK;
}

static int table_order(const void *a, const void *b)
{
    const struct glue_table *x = a, *y = b;
    return x->layer != y->layer ? x->layer - y->layer : strcmp(x->name, y->name);
}

/* One Glue call: request is consumed.  *resp may be NULL (not wanted). */
static int call(struct glue *g, const char *op, json_t *request, json_t **resp,
                struct aws_error *aerr, struct sl_err *err)
{
    char target[64];
    json_t *r = NULL;
    snprintf(target, sizeof target, "AWSGlue.%s", op);
    int rc = aws_json_call(g->aws, "glue", target, request, &r, aerr, err);
    json_decref(request);
    if (resp)
        *resp = r;
    else
        json_decref(r);
    return rc;
}

static int ensure_database(struct glue *g, const char *db, struct sl_err *err)
{
    struct aws_error aerr;
    struct sl_err e = {0};
    if (call(g, "GetDatabase", json_pack("{s:s}", "Name", db), NULL, &aerr, &e) == SL_OK)
        return SL_OK;
    if (strcmp(aerr.code, "EntityNotFoundException")) {
        *err = e;
        return SL_ERROR;
    }
    sl_info("glue: creating database %s", db);
    sl_err_clear(&e);
    json_t *in = json_pack("{s:{s:s, s:s}}", "DatabaseInput", "Name", db, "Description",
                           "snaplake lake datasets (one table per dataset)");
    if (call(g, "CreateDatabase", in, NULL, &aerr, &e) &&
        strcmp(aerr.code, "AlreadyExistsException")) { /* another run made it meanwhile */
        *err = e;
        return SL_ERROR;
    }
    return SL_OK;
}

/* Every table of `db` into *out (a JSON object: name → table), paged.
 * A database that does not exist has no tables. */
static int list_tables(struct glue *g, const char *db, json_t **out, struct sl_err *err)
{
    json_t *all = json_object();
    char token[4096] = "";
    do {
        json_t *req = json_pack("{s:s}", "DatabaseName", db), *resp = NULL;
        if (token[0])
            json_object_set_new(req, "NextToken", json_string(token));
        struct aws_error aerr;
        struct sl_err e = {0};
        if (call(g, "GetTables", req, &resp, &aerr, &e)) {
            if (!strcmp(aerr.code, "EntityNotFoundException"))
                break;
            json_decref(all);
            *err = e;
            return SL_ERROR;
        }
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(resp, "TableList"), i, t)
        {
            const char *name = json_string_value(json_object_get(t, "Name"));
            if (name)
                json_object_set(all, name, t);
        }
        const char *next = json_string_value(json_object_get(resp, "NextToken"));
        snprintf(token, sizeof token, "%s", next ? next : "");
        json_decref(resp);
    } while (token[0]);
    *out = all;
    return SL_OK;
}

/* The snaplake_run parameter of a listed table, NULL when it has none. */
static const char *table_run(json_t *t)
{
    return json_string_value(json_object_get(json_object_get(t, "Parameters"), RUN_PARAMETER));
}

static json_t *table_input(const struct glue *g, const struct glue_table *t)
{
    char description[400];
    snprintf(description, sizeof description, "snaplake %s dataset %s, run %s", layers[t->layer],
             t->name, g->run_id);
    /* One key a line reads as the TableInput it builds. */
    /* clang-format off */
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:[],"
                     " s:{s:O, s:s, s:s, s:s, s:b, s:{s:s, s:{s:s}}}}",
        "Name", t->name,
        "Description", description,
        "TableType", "EXTERNAL_TABLE",
        "Parameters",
            "classification", "parquet",
            "EXTERNAL", "TRUE",
            RUN_PARAMETER, g->run_id,
            "snaplake_layer", layers[t->layer],
        "PartitionKeys",
        "StorageDescriptor",
            "Columns", t->columns,
            "Location", t->location,
            "InputFormat", INPUT_FORMAT,
            "OutputFormat", OUTPUT_FORMAT,
            "Compressed", 0,
            "SerdeInfo",
                "SerializationLibrary", SERDE,
                "Parameters", "serialization.format", "1");
    /* clang-format on */
}

/* Create or update one table (the existing ones are in `existing`). */
static int put_table(struct glue *g, const char *db, const struct glue_table *t, json_t *existing,
                     struct sl_err *err)
{
    json_t *old = json_object_get(existing, t->name);
    struct aws_error aerr;
    struct sl_err e = {0};
    if (old && !table_run(old))
        return sl_err_set(err, false, "catalog", db,
                          "table %s.%s exists and was not made by snaplake (no %s parameter): "
                          "snaplake does not replace it; drop or rename it, or choose another "
                          "glue.database",
                          db, t->name, RUN_PARAMETER);
    if (!old) {
        json_t *req = json_pack("{s:s, s:o}", "DatabaseName", db, "TableInput", table_input(g, t));
        if (call(g, "CreateTable", req, NULL, &aerr, &e) == SL_OK)
            return SL_OK;
        if (strcmp(aerr.code, "AlreadyExistsException")) { /* else: made meanwhile: update */
            *err = e;
            return SL_ERROR;
        }
        sl_err_clear(&e);
    }
    /* SkipArchive: Glue keeps no copy of the old version (the limit of
     * 100 000 versions per table would end a nightly job in 270 years, but
     * the archive also costs a write per run and is never read). */
    for (int attempt = 1;; attempt++) {
        json_t *req = json_pack("{s:s, s:o, s:b}", "DatabaseName", db, "TableInput",
                                table_input(g, t), "SkipArchive", 1);
        if (call(g, "UpdateTable", req, NULL, &aerr, &e) == SL_OK)
            return SL_OK;
        /* Another writer updated the table at the same moment: ours is a
         * whole replacement, so sending it again is right.  (The AWS
         * layer retries throttling and 5xx; this code is Glue's own.) */
        if (strcmp(aerr.code, "ConcurrentModificationException") || attempt == CONCURRENT_TRIES) {
            *err = e;
            return SL_ERROR;
        }
        sl_warn("glue: table %s.%s was modified concurrently; updating it again (%d of %d)", db,
                t->name, attempt + 1, CONCURRENT_TRIES);
        sl_err_clear(&e);
    }
}

/* Drop the snaplake tables of `db` this run did not register. */
static int drop_gone(struct glue *g, const char *db, int layer, json_t *existing,
                     struct sl_err *err)
{
    const char *name;
    json_t *t;
    json_t *names = json_array();
    json_object_foreach(existing, name, t)
    {
        const char *run = table_run(t);
        if (!run)
            continue; /* not ours */
        bool registered = false;
        for (int i = 0; i < g->ntables && !registered; i++)
            registered = g->tables[i].layer == layer && !strcmp(g->tables[i].name, name);
        if (registered)
            continue;
        sl_warn("glue: dropping table %s.%s (last published by run %s): the dataset is not in "
                "run %s (gone from the source, or its model removed)",
                db, name, run, g->run_id);
        json_array_append_new(names, json_string(name));
    }
    int rc = SL_OK;
    for (size_t at = 0; rc == SL_OK && at < json_array_size(names); at += BATCH_DELETE_MAX) {
        json_t *chunk = json_array();
        for (size_t i = at; i < json_array_size(names) && i < at + BATCH_DELETE_MAX; i++)
            json_array_append(chunk, json_array_get(names, i));
        json_t *resp = NULL;
        rc = call(g, "BatchDeleteTable",
                  json_pack("{s:s, s:o}", "DatabaseName", db, "TablesToDelete", chunk), &resp, NULL,
                  err);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(resp, "Errors"), i, e)
        {
            json_t *detail = json_object_get(e, "ErrorDetail");
            const char *code = json_string_value(json_object_get(detail, "ErrorCode"));
            if (code && !strcmp(code, "EntityNotFoundException"))
                continue; /* gone already: what we wanted */
            const char *msg = json_string_value(json_object_get(detail, "ErrorMessage"));
            rc = sl_err_set(err, true, "catalog", db, "cannot drop table %s.%s: %s: %s", db,
                            json_string_value(json_object_get(e, "TableName")),
                            code ? code : "error", msg ? msg : "");
            break;
        }
        json_decref(resp);
    }
    json_decref(names);
    return rc;
}

static int glue_publish(void *ctx, struct sl_err *err)
{
    struct glue *g = ctx;
    qsort(g->tables, (size_t)g->ntables, sizeof *g->tables, table_order);
    int t = 0;
    for (int layer = 0; layer < NLAYERS; layer++) {
        char db[256];
        json_t *existing = NULL;
        snprintf(db, sizeof db, "%s_%s", g->stem, layers[layer]);
        if (ensure_database(g, db, err) || list_tables(g, db, &existing, err))
            return SL_ERROR;
        int rc = SL_OK;
        for (; rc == SL_OK && t < g->ntables && g->tables[t].layer == layer; t++)
            rc = put_table(g, db, &g->tables[t], existing, err);
        if (rc == SL_OK)
            rc = drop_gone(g, db, layer, existing, err);
        json_decref(existing);
        if (rc)
            return SL_ERROR;
    }
    sl_info("glue: %d tables in %s_raw, %s_stage1, %s_stage2 on run %s", g->ntables, g->stem,
            g->stem, g->stem, g->run_id);
    return SL_OK;
}

/* The run the tables name: the newest when they differ (a publish that did
 * not finish), with a warning. */
static int glue_published(void *ctx, char *run_id, size_t size, struct sl_err *err)
{
    struct glue *g = ctx;
    char newest[64] = "", oldest[64] = "";
    for (int layer = 0; layer < NLAYERS; layer++) {
        char db[256];
        json_t *existing = NULL, *t;
        const char *name;
        snprintf(db, sizeof db, "%s_%s", g->stem, layers[layer]);
        if (list_tables(g, db, &existing, err))
            return SL_ERROR;
        json_object_foreach(existing, name, t)
        {
            const char *run = table_run(t);
            if (!run || strlen(run) >= sizeof newest)
                continue;
            if (!newest[0] || strcmp(run, newest) > 0)
                snprintf(newest, sizeof newest, "%s", run);
            if (!oldest[0] || strcmp(run, oldest) < 0)
                snprintf(oldest, sizeof oldest, "%s", run);
        }
        json_decref(existing);
    }
    if (strcmp(newest, oldest))
        sl_warn("glue: the tables of %s_* name runs %s to %s: a publish did not finish; "
                "taking %s as published (the next run publishes every table again)",
                g->stem, oldest, newest, newest);
    snprintf(run_id, size, "%s", newest);
    return SL_OK;
}

const struct catalog_type catalog_glue_type = {
    .name = "glue",
    .caps = 0, /* per table: see the top of this file */
    .open = glue_open,
    .begin = glue_begin,
    .register_dataset = glue_register,
    .publish = glue_publish,
    .abort = glue_abort,
    .published = glue_published,
    .close = glue_close,
};
