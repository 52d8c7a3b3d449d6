/*
 * athena.c — stage models on Amazon Athena (`engine: athena`, `athena: {
 * workgroup, output }`; needs `lake: s3://…` and `catalog: glue`).
 *
 * Every statement is one Athena query execution through the JSON 1.1 API
 * (aws/aws.h: signed, endpoint AWS_ENDPOINT_URL_ATHENA > AWS_ENDPOINT_URL >
 * athena.<region>.amazonaws.com, throttling and 5xx retried):
 *
 *   StartQueryExecution { QueryString, ClientRequestToken, WorkGroup,
 *                         ResultConfiguration.OutputLocation = athena.output }
 *   GetQueryExecution   polled, the pause growing from athena.poll ×1.5 to
 *                       5 s, until Status.State is SUCCEEDED, FAILED or
 *                       CANCELLED;
 *   StopQueryExecution  when the run is interrupted (SIGINT/SIGTERM).
 *
 * Idempotency: Athena returns the execution it already started for a
 * ClientRequestToken it has seen (within its time window) instead of
 * starting another.  The token is a hash of this engine instance (run id,
 * process id, open time), the statement's kind and dataset, and the model's
 * attempt number in this process: the AWS layer's retry of a
 * StartQueryExecution whose answer was lost reuses the body and so the
 * token, and cannot run a CTAS twice; a new attempt of the model after a
 * failure (the pool's retry) or a resumed run in a new process gets a new
 * execution — the old one's FAILED state or the files a resume cleared
 * must not be returned again.
 *
 * Per run (cloud.h): the Glue databases <database>_raw, _stage1, _stage2
 * (athena.database, default glue.database) are created when missing (the
 * Glue catalog creates them too, but only at publish); each raw dataset
 * a model reads becomes an external table <name>_<run> over its run folder,
 * defined before the first model that reads it; each model runs as
 *
 *   CREATE TABLE "<database>_<layer>"."<name>_<run>"
 *   WITH (format = 'PARQUET', write_compression = 'ZSTD',
 *         external_location = 's3://bucket/prefix/<layer>/<name>/run=<id>/') AS
 *   <the model, raw.x / stage1.x pointing at the run's tables>
 *
 * (qualified names rewritten, not QueryExecutionContext.Database: a model
 * reads several databases in one statement).  The CTAS table stays for the
 * later models that read it and is dropped, like the raw tables, when the
 * engine closes (DROP TABLE of an external table leaves the files).
 *
 * The result: the files under the run folder are listed through the store
 * and read back (store_get_file: size and CRC-32 for the manifest; the
 * Parquet footer for rows and columns).  The columns come from the files
 * rather than from Glue's GetTable or GetQueryResults' ColumnInfo: the
 * files are what the manifest describes and the catalog will declare, and
 * their Parquet types map onto ours without a second type grammar.
 *
 * Errors: FAILED becomes a model error naming the model file with Athena's
 * StateChangeReason; transient when AthenaError.Retryable says so (or the
 * category is 1, system), permanent otherwise (a user error in the SQL).
 */
#include "aws/aws.h"
#include "engine/cloud.h"
#include "engine/engine.h"
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct config_option athena_options[] = {
    {.name = "workgroup", .kind = CONFIG_OPT_STRING, .def = "primary"},
    {.name = "output", .kind = CONFIG_OPT_STRING, .required = true,
     .example = "output: s3://my-athena-results/snaplake/"},
    /* Prefix of the Glue databases the run's tables go in; default glue.database. */
    {.name = "database", .kind = CONFIG_OPT_STRING},
    /* Seconds before the first GetQueryExecution; the pause grows to 5 s. */
    {.name = "poll", .kind = CONFIG_OPT_NUMBER, .def = "0.5", .min = 0.01, .max = 60},
    {.name = NULL},
};

static const char *const athena_requires[] = {"lake=s3", "catalog=glue", NULL};

const struct config_plugin engine_athena_plugin = {
    .role = "engine",
    .name = "athena",
    .key = "athena",
    .options = athena_options,
    .requires = athena_requires,
};

struct run_table {
    char layer[8];
    char name[128];
    char ddl[600]; /* `db_layer`.`name_run` for DDL */
    char dml[600]; /* "db_layer"."name_run" for queries */
    int attempts;  /* run_model calls so far (the token's attempt number);
                    * -1 while it is being built: not readable */
    char *create;  /* the DDL that defines it, until sent; NULL = it exists */
};

struct athena {
    struct aws_client *aws;     /* stops at once when the run is interrupted */
    struct aws_client *cleanup; /* no stop flag: StopQueryExecution, the final drops */
    char workgroup[256], output[1024], database[256], codec[16], instance[200];
    double poll;
    struct store *store;
    const volatile sig_atomic_t *stop;
    char tmp_dir[PATH_MAX];
    pthread_mutex_t lock;       /* guards tables, ntables, cap */
    pthread_mutex_t store_lock; /* one store list/remove at a time (store.h) */
    pthread_mutex_t ddl_lock;   /* one worker defines tables at a time; guards databases_made */
    struct run_table *tables;
    int ntables, cap;
    bool databases_made;
};

/* ClientRequestToken (32–128 characters): see the essay. */
static void request_token(const struct athena *a, const char *kind, const char *what,
                          int attempt, char out[65])
{
    char seed[1200];
    snprintf(seed, sizeof seed, "%s|%s|%s|%d", a->instance, kind, what, attempt);
    aws_sha256_hex(seed, strlen(seed), out);
}

static int call(struct athena *a, bool honor_stop, const char *op, json_t *req, json_t **resp,
                struct aws_error *aerr, const char *object, struct sl_err *err)
{
    char target[96];
    snprintf(target, sizeof target, "AmazonAthena.%s", op);
    int rc = aws_json_call(honor_stop ? a->aws : a->cleanup, "athena", target, req, resp, aerr,
                           err);
    if (rc)
        sl_err_context(err, "%s", object);
    return rc;
}

/* A FAILED or CANCELLED execution as err. */
static int failed(json_t *status, const char *state, const char *id, const char *model_file,
                  struct sl_err *err)
{
    const char *reason = json_string_value(json_object_get(status, "StateChangeReason"));
    json_t *ae = json_object_get(status, "AthenaError");
    json_t *retryable = json_object_get(ae, "Retryable");
    int category = (int)json_integer_value(json_object_get(ae, "ErrorCategory"));
    bool transient = json_is_true(retryable) || (!retryable && category == 1);
    if (!strcmp(state, "CANCELLED"))
        return sl_err_set(err, false, "model", model_file,
                          "Athena query %s was cancelled (not by this run)%s%s", id,
                          reason ? ": " : "", reason ? reason : "");
    return sl_err_set(err, transient, "model", model_file, "Athena query %s failed: %s%s", id,
                      reason ? reason : "(no reason given)",
                      transient ? "" : "\nFix the model; a retry would fail the same way.");
}

/* Best effort: a query we no longer follow must not run on (and bill) in
 * Athena. */
static void stop_query(struct athena *a, const char *id, const char *object)
{
    json_t *stop = json_pack("{s:s}", "QueryExecutionId", id), *ans = NULL;
    struct sl_err ignored = {0};
    sl_info("cancelling Athena query %s (%s)", id, object);
    if (call(a, false, "StopQueryExecution", stop, &ans, NULL, object, &ignored))
        sl_warn("could not stop Athena query %s: %s", id, ignored.msg);
    json_decref(stop);
    json_decref(ans);
}

/* Run one statement to its end.  honor_stop false: cleanup after an
 * interrupt (no StopQueryExecution, no early return). */
static int query(struct athena *a, const char *sql, const char *token, const char *object,
                 bool honor_stop, struct sl_cancel *cancel, struct sl_err *err)
{
    struct engine_halt halt = {a->stop, cancel};
    json_t *req = json_pack("{s:s, s:s, s:s, s:{s:s}}", "QueryString", sql, "ClientRequestToken",
                            token, "WorkGroup", a->workgroup, "ResultConfiguration",
                            "OutputLocation", a->output);
    json_t *resp = NULL;
    int rc = call(a, honor_stop, "StartQueryExecution", req, &resp, NULL, object, err);
    json_decref(req);
    if (rc)
        return rc;
    char id[128];
    const char *qid = json_string_value(json_object_get(resp, "QueryExecutionId"));
    snprintf(id, sizeof id, "%s", qid ? qid : "");
    json_decref(resp);
    if (!id[0])
        return sl_err_set(err, true, "model", object,
                          "Athena's StartQueryExecution answer has no QueryExecutionId");
    sl_debug("athena: %s runs as query %s", object, id);
    double pause = a->poll;
    for (;;) {
        if (engine_sleep(pause, honor_stop ? &halt : NULL)) {
            stop_query(a, id, object);
            return sl_err_set(err, false, "model", object, "interrupted (Athena query %s stopped)",
                              id);
        }
        pause = pause * 1.5 > 5 ? 5 : pause * 1.5;
        req = json_pack("{s:s}", "QueryExecutionId", id);
        rc = call(a, honor_stop, "GetQueryExecution", req, &resp, NULL, object, err);
        json_decref(req);
        if (rc) {
            /* Its state unknown (the retries gave up, or we were stopped
             * inside the call): stop it rather than leave it running. */
            stop_query(a, id, object);
            return rc;
        }
        json_t *status = json_object_get(json_object_get(resp, "QueryExecution"), "Status");
        const char *state = json_string_value(json_object_get(status, "State"));
        if (state && !strcmp(state, "SUCCEEDED")) {
            json_decref(resp);
            return SL_OK;
        }
        if (state && (!strcmp(state, "FAILED") || !strcmp(state, "CANCELLED"))) {
            rc = failed(status, state, id, object, err);
            json_decref(resp);
            return rc;
        }
        json_decref(resp);
    }
}

static void db_name(const struct athena *a, const char *layer, char *out, size_t size)
{
    snprintf(out, size, "%s_%s", a->database, layer);
}

/* Find or add the run table of layer.name; its index, or -1 on out of memory. */
static int table_slot(struct athena *a, const char *layer, const char *name, const char *prefix)
{
    pthread_mutex_lock(&a->lock);
    int i;
    for (i = 0; i < a->ntables; i++)
        if (!strcmp(a->tables[i].layer, layer) && !strcmp(a->tables[i].name, name))
            goto out;
    if (a->ntables == a->cap) {
        int cap = a->cap ? 2 * a->cap : 16;
        void *p = realloc(a->tables, (size_t)cap * sizeof *a->tables);
        if (!p) {
            i = -1;
            goto out;
        }
        a->tables = p, a->cap = cap;
    }
    struct run_table *t = &a->tables[i = a->ntables++];
    char db[300], tname[300], tag[64];
    memset(t, 0, sizeof *t);
    snprintf(t->layer, sizeof t->layer, "%s", layer);
    snprintf(t->name, sizeof t->name, "%s", name);
    db_name(a, layer, db, sizeof db);
    engine_run_tag(prefix, tag, sizeof tag);
    engine_table_name(name, tname, sizeof tname);
    snprintf(t->ddl, sizeof t->ddl, "`%s`.`%s_%s`", db, tname, tag);
    snprintf(t->dml, sizeof t->dml, "\"%s\".\"%s_%s\"", db, tname, tag);
out:
    pthread_mutex_unlock(&a->lock);
    return i;
}

/* What a model reads: the run tables its text names. */
#define MAX_REFS 256
struct refs {
    struct athena *a;
    int index[MAX_REFS];
    int n;
};

/* engine_sql_qualify's callback: only datasets registered so far, noted in
 * the struct refs so that they are defined before the model runs. */
static int lookup(void *arg, const char *layer, const char *name, char *out, size_t size)
{
    struct refs *r = arg;
    struct athena *a = r->a;
    int rc = 1;
    pthread_mutex_lock(&a->lock);
    for (int i = 0; i < a->ntables && rc; i++)
        if (!strcmp(a->tables[i].layer, layer) && !strcmp(a->tables[i].name, name) &&
            a->tables[i].attempts >= 0) {
            snprintf(out, size, "%s", a->tables[i].dml);
            if (r->n < MAX_REFS)
                r->index[r->n++] = i;
            rc = 0;
        }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

static int athena_open(const struct engine_env *env, void **out, struct sl_err *err)
{
    const struct sl_config *cfg = env->cfg;
    struct athena *a = calloc(1, sizeof *a);
    if (!a)
        return sl_err_set(err, false, "engine", "athena", "out of memory");
    const char *db = config_option(cfg, "athena", "database");
    if (!db)
        db = config_option(cfg, "glue", "database");
    snprintf(a->database, sizeof a->database, "%s", db ? db : "snaplake");
    snprintf(a->workgroup, sizeof a->workgroup, "%s", config_option(cfg, "athena", "workgroup"));
    snprintf(a->output, sizeof a->output, "%s", config_option(cfg, "athena", "output"));
    a->poll = config_option_number(cfg, "athena", "poll", 0.5);
    static const char *const codec[] = {[PQ_CODEC_NONE] = "NONE", [PQ_CODEC_SNAPPY] = "SNAPPY",
                                        [PQ_CODEC_GZIP] = "GZIP", [PQ_CODEC_ZSTD] = "ZSTD"};
    snprintf(a->codec, sizeof a->codec, "%s", codec[env->compression]);
    a->store = env->store;
    a->stop = env->stop;
    snprintf(a->tmp_dir, sizeof a->tmp_dir, "%s", env->tmp_dir ? env->tmp_dir : "/tmp");
    snprintf(a->instance, sizeof a->instance, "%s|%ld|%ld", a->tmp_dir, (long)getpid(),
             (long)time(NULL));
    if (strncmp(a->output, "s3://", 5)) {
        char where[PATH_MAX + 32];
        sl_err_set(err, false, "config",
                   config_option_where(cfg, "athena", "output", where, sizeof where),
                   "athena.output must be an s3:// URL (where Athena writes query results), "
                   "not '%s'", a->output);
        free(a);
        return SL_ERROR;
    }
    struct aws_client_options opt = {.stop = env->stop}, quiet = {0};
    if (aws_client_open(&a->aws, &opt, err) || aws_client_open(&a->cleanup, &quiet, err)) {
        aws_client_close(a->aws);
        free(a);
        return SL_ERROR;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->store_lock, NULL);
    pthread_mutex_init(&a->ddl_lock, NULL);
    *out = a;
    return SL_OK;
}

/* Caller holds ddl_lock. */
static int make_databases(struct athena *a, struct sl_err *err)
{
    static const char *const layers[] = {"raw", "stage1", "stage2"};
    for (int i = 0; i < 3; i++) {
        char db[300], sql[400], token[65];
        db_name(a, layers[i], db, sizeof db);
        snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS `%s`", db);
        request_token(a, "database", db, 1, token);
        if (query(a, sql, token, db, true, NULL, err))
            return SL_ERROR;
    }
    a->databases_made = true;
    return SL_OK;
}

/* Leader thread.  A model's output has its table already (its CTAS);
 * another dataset gets an external table over its run folder, defined when
 * a model first reads it (define_reads): a source of 300 tables read by 5
 * models costs 5 DDL queries, not 300, and a run without models none. */
static int athena_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct athena *a = ctx;
    struct refs known = {.a = a};
    char ignored[600];
    if (lookup(&known, d->layer, d->name, ignored, sizeof ignored) == 0)
        return SL_OK;
    if (!d->schema.ncols)
        return sl_err_set(err, false, "engine", d->name,
                          "%s.%s has no columns recorded: Athena needs them to define its table",
                          d->layer, d->name);
    int slot = table_slot(a, d->layer, d->name, d->prefix);
    if (slot < 0)
        return sl_err_set(err, false, "engine", d->name, "out of memory");
    char loc[PATH_MAX + 80], lit[PATH_MAX + 100], ddl[600];
    pthread_mutex_lock(&a->lock);
    snprintf(ddl, sizeof ddl, "%s", a->tables[slot].ddl);
    pthread_mutex_unlock(&a->lock);
    engine_location(a->store, d->prefix, loc, sizeof loc);
    engine_sql_literal(loc, lit, sizeof lit);
    char *cols = engine_column_list(d, false, err), *sql = NULL;
    int rc = SL_OK;
    if (!cols)
        rc = SL_ERROR;
    else if (asprintf(&sql, "CREATE EXTERNAL TABLE IF NOT EXISTS %s %s STORED AS PARQUET "
                          "LOCATION %s", ddl, cols, lit) < 0) {
        rc = sl_err_set(err, false, "engine", d->name, "out of memory");
    } else {
        pthread_mutex_lock(&a->lock);
        free(a->tables[slot].create);
        a->tables[slot].create = sql;
        pthread_mutex_unlock(&a->lock);
    }
    free(cols);
    return rc;
}

/* The databases, and the tables the model reads that are not defined yet. */
static int define_reads(struct athena *a, const struct refs *refs, const char *model_file,
                        struct sl_cancel *cancel, struct sl_err *err)
{
    int rc = SL_OK;
    pthread_mutex_lock(&a->ddl_lock);
    if (!a->databases_made)
        rc = make_databases(a, err);
    for (int i = 0; rc == SL_OK && i < refs->n; i++) {
        char token[65], ddl[600];
        pthread_mutex_lock(&a->lock);
        char *create = a->tables[refs->index[i]].create;
        snprintf(ddl, sizeof ddl, "%s", a->tables[refs->index[i]].ddl);
        pthread_mutex_unlock(&a->lock);
        if (!create)
            continue;
        request_token(a, "table", ddl, 1, token);
        rc = query(a, create, token, model_file, true, cancel, err);
        if (rc == SL_OK) {
            pthread_mutex_lock(&a->lock);
            a->tables[refs->index[i]].create = NULL;
            pthread_mutex_unlock(&a->lock);
            free(create);
        }
    }
    pthread_mutex_unlock(&a->ddl_lock);
    return rc;
}

static int athena_run(void *ctx, const char *model_file, const char *sql,
                      const struct lake_dataset *out, struct sl_cancel *cancel,
                      struct model_result *res, struct sl_err *err)
{
    struct athena *a = ctx;
    size_t len = engine_sql_code_end(sql);
    if (!len)
        return sl_err_set(err, false, "model", model_file,
                          "the model file is empty (only blanks and comments); it must hold one "
                          "SELECT");
    int slot = table_slot(a, out->layer, out->name, out->prefix);
    if (slot < 0)
        return sl_err_set(err, false, "model", model_file, "out of memory");
    char ddl[600], dml[600], what[300];
    pthread_mutex_lock(&a->lock);
    snprintf(ddl, sizeof ddl, "%s", a->tables[slot].ddl);
    snprintf(dml, sizeof dml, "%s", a->tables[slot].dml);
    int attempt = a->tables[slot].attempts < 0 ? 1 : ++a->tables[slot].attempts;
    a->tables[slot].attempts = -1; /* not readable while it is rebuilt */
    pthread_mutex_unlock(&a->lock);
    snprintf(what, sizeof what, "%s.%s", out->layer, out->name);
    struct refs refs = {.a = a};
    char *body = engine_sql_qualify(sql, len, lookup, &refs), *ctas = NULL;
    char loc[PATH_MAX + 80], lit[PATH_MAX + 100], drop[700], token[65];
    int rc = SL_ERROR;
    if (!body) {
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    if (define_reads(a, &refs, model_file, cancel, err))
        goto out;
    engine_location(a->store, out->prefix, loc, sizeof loc);
    engine_sql_literal(loc, lit, sizeof lit);
    if (asprintf(&ctas, "CREATE TABLE %s WITH (format = 'PARQUET', write_compression = '%s', "
                 "external_location = %s) AS\n%s\n", dml, a->codec, lit, body) < 0) {
        ctas = NULL;
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    /* An earlier attempt's table and files: the CTAS needs both gone
     * (Athena refuses a location that holds objects). */
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s", ddl);
    char drop_token[65];
    request_token(a, "drop", what, attempt, drop_token);
    request_token(a, "ctas", what, attempt, token);
    if (engine_clear_output(a->store, &a->store_lock, out, model_file, err) ||
        (attempt > 1 && query(a, drop, drop_token, model_file, true, cancel, err)) ||
        query(a, ctas, token, model_file, true, cancel, err) ||
        engine_collect_output(a->store, &a->store_lock, a->tmp_dir, out, model_file, res, err))
        goto out;
    pthread_mutex_lock(&a->lock);
    a->tables[slot].attempts = attempt;
    pthread_mutex_unlock(&a->lock);
    rc = SL_OK;
out:
    if (rc) {
        pthread_mutex_lock(&a->lock);
        a->tables[slot].attempts = attempt; /* the next attempt drops what this one made */
        pthread_mutex_unlock(&a->lock);
    }
    free(body);
    free(ctas);
    return rc;
}

/* The run's tables go (their files stay): best effort, also after an
 * interrupt. */
static void athena_close(void *ctx)
{
    struct athena *a = ctx;
    if (!a)
        return;
    for (int i = 0; i < a->ntables; i++) {
        char sql[700], token[65];
        struct sl_err e = {0};
        if (a->tables[i].create) { /* never defined: nothing to drop */
            free(a->tables[i].create);
            continue;
        }
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", a->tables[i].ddl);
        request_token(a, "close", a->tables[i].ddl, 1, token);
        if (query(a, sql, token, a->tables[i].name, false, NULL, &e)) {
            char buf[2200];
            sl_warn("could not drop the run's Athena table %s: %s", a->tables[i].ddl,
                    sl_err_format(&e, buf, sizeof buf));
        }
    }
    free(a->tables);
    aws_client_close(a->aws);
    aws_client_close(a->cleanup);
    pthread_mutex_destroy(&a->lock);
    pthread_mutex_destroy(&a->store_lock);
    pthread_mutex_destroy(&a->ddl_lock);
    free(a);
}

const struct engine_type engine_athena_type = {
    .name = "athena",
    .open = athena_open,
    .register_dataset = athena_register,
    .run_model = athena_run,
    .close = athena_close,
};
