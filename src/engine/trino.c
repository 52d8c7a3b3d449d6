/*
 * trino.c — stage models on a Trino cluster (`engine: trino`, `trino: { url,
 * catalog, schema_prefix, user }`), through Trino's client REST protocol and
 * its Hive connector.
 *
 * Protocol (trino.io/docs "Client protocol"): a statement is POSTed as text
 * to <url>/v1/statement with X-Trino-User, X-Trino-Source, X-Trino-Catalog
 * and X-Trino-Session; each answer is a JSON QueryResults document
 * { id, nextUri?, columns?, data?, stats: { state }, error? }.  The client
 * GETs nextUri until an answer has none: then the query is finished, or
 * failed when `error` is set.  Any request answered 502, 503 or 504 is sent
 * again after a pause (the protocol says so: the coordinator is busy or
 * restarting); a DELETE of the current nextUri cancels the query, which is
 * what an interrupt does.
 *
 * Per run (cloud.h): the schemas <catalog>.<schema_prefix>_raw, _stage1 and
 * _stage2 are created when missing; each raw dataset a model reads becomes
 * an external table <name>_<run> over its run folder (columns from its
 * schema), defined before the first model that reads it; each model runs as
 *
 *   CREATE TABLE "<catalog>"."<prefix>_<layer>"."<name>_<run>"
 *   WITH (format = 'PARQUET', external_location = '<run folder>/') AS
 *   <the model, its raw.x / stage1.x names pointing at the run's tables>
 *
 * so Trino writes the dataset's files where the lake keeps them, and later
 * models read it through that table.  The run's tables are dropped when the
 * engine closes; the files stay (external tables).  The Hive catalog needs
 * hive.non-managed-table-writes-enabled=true for a CTAS with a location.
 *
 * Errors: error.errorType USER_ERROR (a mistake in the model: syntax, a
 * missing column) is permanent; INTERNAL_ERROR, EXTERNAL and
 * INSUFFICIENT_RESOURCES may pass, so they are transient and the pool
 * retries the model.  The message names the model file and, when Trino
 * gives errorLocation, its line (the model starts on the statement's second
 * line; the name rewrite keeps lines).
 */
#include "engine/cloud.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config_option trino_options[] = {
    {.name = "url", .kind = CONFIG_OPT_STRING, .required = true,
     .example = "url: https://trino.example.com:8443"},
    {.name = "catalog", .kind = CONFIG_OPT_STRING, .def = "hive"},
    {.name = "schema_prefix", .kind = CONFIG_OPT_STRING, .def = "snaplake"},
    {.name = "user", .kind = CONFIG_OPT_STRING, .def = "snaplake"},
    {.name = "source", .kind = CONFIG_OPT_STRING, .def = "snaplake"},
    /* Sent with HTTP basic authentication; write "${TRINO_PASSWORD}". */
    {.name = "password", .kind = CONFIG_OPT_STRING},
    /* Tries of one HTTP request answered 502/503/504 or not answered. */
    {.name = "max_attempts", .kind = CONFIG_OPT_INT, .def = "6", .min = 1, .max = 100},
    {.name = NULL},
};

const struct config_plugin engine_trino_plugin = {
    .role = "engine",
    .name = "trino",
    .key = "trino",
    .options = trino_options,
};

#define MAX_BODY (64u << 20)

struct run_table {
    char layer[8];
    char name[128];
    char full[600]; /* "cat"."prefix_layer"."name_run" */
    char *create;   /* the statement that defines it, until sent; NULL = it exists */
};

struct trino {
    char url[1024], catalog[128], prefix[128], user[128], source[128], password[256];
    char session[256];
    int retries;
    struct store *store;
    const volatile sig_atomic_t *stop;
    char tmp_dir[PATH_MAX];
    pthread_mutex_t lock;       /* guards tables, ntables, cap */
    pthread_mutex_t store_lock; /* one store list/remove at a time (store.h) */
    pthread_mutex_t ddl_lock;   /* one worker defines tables at a time; guards schemas_made */
    struct run_table *tables;
    int ntables, cap;
    bool schemas_made;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    return sl_buf_append(arg, p, size * n) ? 0 : size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return engine_halted(arg);
}

/* One HTTP exchange, retried on 502/503/504 and on no answer at all, with
 * exponential backoff and jitter.  *status is the last answer's (0 = none).
 * halt NULL: cleanup requests go on after an interrupt. */
static int http(struct trino *t, const char *method, const char *url, const char *body,
                const struct engine_halt *halt, struct sl_buf *resp, long *status,
                const char *object, struct sl_err *err)
{
    double wait = 0.2;
    CURLcode cc = CURLE_OK;
    for (int attempt = 1;; attempt++) {
        CURL *c = curl_easy_init();
        if (!c)
            return sl_err_set(err, true, "engine", object, "cannot start an HTTP request");
        struct curl_slist *h = NULL;
        char line[600];
        snprintf(line, sizeof line, "X-Trino-User: %s", t->user);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "X-Trino-Source: %s", t->source);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "X-Trino-Catalog: %s", t->catalog);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "X-Trino-Session: %s", t->session);
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "Content-Type: text/plain; charset=utf-8");
        sl_buf_reset(resp);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        if (t->password[0]) {
            curl_easy_setopt(c, CURLOPT_USERNAME, t->user);
            curl_easy_setopt(c, CURLOPT_PASSWORD, t->password);
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, halt ? 120L : 10L);
        if (halt) {
            curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
            curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)halt);
        }
        cc = curl_easy_perform(c);
        *status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        bool again = cc != CURLE_OK ? cc != CURLE_ABORTED_BY_CALLBACK && cc != CURLE_WRITE_ERROR
                                    : (*status == 502 || *status == 503 || *status == 504);
        if (!again || attempt >= t->retries)
            break;
        sl_debug("trino: %s %s: %s; again in %.1f s", method, url,
                 cc ? curl_easy_strerror(cc) : "busy (HTTP 5xx)", wait);
        double pause = wait * (0.5 + (double)rand() / RAND_MAX);
        if (engine_sleep(pause, halt))
            return sl_err_set(err, false, "engine", object, "interrupted");
        wait = wait * 2 > 10 ? 10 : wait * 2;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return sl_err_set(err, false, "engine", object, "interrupted");
    if (cc != CURLE_OK)
        return sl_err_set(err, true, "engine", object,
                          "Trino at %s did not answer (%s) after %d tries; check trino.url "
                          "and that the coordinator runs",
                          t->url, curl_easy_strerror(cc), t->retries);
    if (*status == 401 || *status == 403)
        return sl_err_set(err, false, "engine", object,
                          "Trino refused user '%s' (HTTP %ld): check trino.user and "
                          "trino.password",
                          t->user, *status);
    if (*status != 200)
        return sl_err_set(err, *status >= 500, "engine", object,
                          "Trino answered HTTP %ld to %s %s%s: %.300s", *status, method, url,
                          *status >= 500 ? " after every retry" : "",
                          resp->len ? (const char *)resp->data : "");
    return SL_OK;
}

/* The error document of a failed query as err, naming model_file (and its
 * line when Trino located the error; `head_lines` = lines before the model
 * in the statement). */
static int query_error(json_t *e, const char *model_file, int head_lines, struct sl_err *err)
{
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *name = json_string_value(json_object_get(e, "errorName"));
    const char *type = json_string_value(json_object_get(e, "errorType"));
    json_t *loc = json_object_get(e, "errorLocation");
    int line = (int)json_integer_value(json_object_get(loc, "lineNumber")) - head_lines;
    char where[PATH_MAX + 32];
    if (loc && line >= 1)
        snprintf(where, sizeof where, "%s:%d", model_file, line);
    else
        snprintf(where, sizeof where, "%s", model_file);
    bool transient = type && strcmp(type, "USER_ERROR") != 0;
    return sl_err_set(err, transient, "model", where, "Trino %s (%s): %s%s", name ? name : "error",
                      type ? type : "?", msg ? msg : "(no message)",
                      transient ? "" : "\nFix the model; a retry would fail the same way.");
}

/* Run one statement to its end: POST, then follow nextUri.  *rows (may be
 * NULL) gets the first value of the first data row (a CTAS answers its row
 * count so).  On interrupt, a fired cancel token or a page that cannot be
 * read the query is cancelled (DELETE nextUri).  honor_stop false: cleanup, which goes on regardless. */
static int statement(struct trino *t, const char *sql, const char *model_file, int head_lines,
                     bool honor_stop, struct sl_cancel *cancel, int64_t *rows,
                     struct sl_err *err)
{
    struct engine_halt h = {t->stop, cancel}, *halt = honor_stop ? &h : NULL;
    struct sl_buf resp;
    sl_buf_init(&resp, MAX_BODY);
    char url[2048], next[2048] = "", id[256] = "";
    long status = 0;
    int rc;
    bool failed_in_trino = false;
    snprintf(url, sizeof url, "%s/v1/statement", t->url);
    rc = http(t, "POST", url, sql, halt, &resp, &status, model_file, err);
    for (;;) {
        if (rc)
            break;
        json_error_t je;
        json_t *doc = json_loadb((const char *)resp.data, resp.len, 0, &je);
        if (!json_is_object(doc)) {
            json_decref(doc);
            rc = sl_err_set(err, true, "engine", model_file,
                            "Trino's answer is not a QueryResults document (%s): %.200s",
                            je.text, resp.len ? (const char *)resp.data : "");
            break;
        }
        const char *qid = json_string_value(json_object_get(doc, "id"));
        if (qid)
            snprintf(id, sizeof id, "%s", qid);
        json_t *data = json_object_get(doc, "data");
        if (rows && json_array_size(data) > 0) {
            json_t *v = json_array_get(json_array_get(data, 0), 0);
            if (json_is_integer(v))
                *rows = json_integer_value(v);
        }
        json_t *e = json_object_get(doc, "error");
        const char *nu = json_string_value(json_object_get(doc, "nextUri"));
        snprintf(next, sizeof next, "%s", nu ? nu : "");
        if (e) {
            failed_in_trino = true;
            rc = query_error(e, model_file, head_lines, err);
            sl_err_context(err, "query %s", id);
        }
        json_decref(doc);
        if (rc || !next[0])
            break;
        if (engine_halted(halt)) {
            rc = sl_err_set(err, false, "engine", model_file, "interrupted");
            break;
        }
        rc = http(t, "GET", next, NULL, halt, &resp, &status, model_file, err);
    }
    /* Cancel whenever we stop following a query that has not ended: on an
     * interrupt, and when its next page could not be read (the coordinator
     * would keep its workers until its client timeout).  A query that
     * reported its own error has ended. */
    if (rc && next[0] && !failed_in_trino) {
        struct sl_err ignored = {0};
        sl_info("cancelling Trino query %s (%s)", id, model_file);
        http(t, "DELETE", next, NULL, NULL, &resp, &status, model_file, &ignored);
    }
    sl_buf_free(&resp);
    return rc;
}

static void schema_name(struct trino *t, const char *layer, char *out, size_t size)
{
    char s[300];
    snprintf(s, sizeof s, "%s_%s", t->prefix, layer);
    engine_sql_ident(s, out, size);
}

static void table_full(struct trino *t, const char *layer, const char *name, const char *prefix,
                       char *out, size_t size)
{
    char cat[300], schema[300], table[300], tname[300], tag[64];
    engine_sql_ident(t->catalog, cat, sizeof cat);
    schema_name(t, layer, schema, sizeof schema);
    engine_run_tag(prefix, tag, sizeof tag);
    engine_table_name(name, tname, sizeof tname);
    snprintf(tname + strlen(tname), sizeof tname - strlen(tname), "_%s", tag);
    engine_sql_ident(tname, table, sizeof table);
    snprintf(out, size, "%s.%s.%s", cat, schema, table);
}

/* Record the run table of layer.name; `create` (taken over, may be NULL)
 * defines it when a model first reads it. */
static int remember(struct trino *t, const char *layer, const char *name, const char *full,
                    char *create, struct sl_err *err)
{
    int rc = SL_OK;
    pthread_mutex_lock(&t->lock);
    if (t->ntables == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        void *p = realloc(t->tables, (size_t)cap * sizeof *t->tables);
        if (!p)
            rc = sl_err_set(err, false, "engine", name, "out of memory");
        else
            t->tables = p, t->cap = cap;
    }
    if (rc == SL_OK) {
        struct run_table *r = &t->tables[t->ntables++];
        snprintf(r->layer, sizeof r->layer, "%s", layer);
        snprintf(r->name, sizeof r->name, "%s", name);
        snprintf(r->full, sizeof r->full, "%s", full);
        r->create = create;
        create = NULL;
    }
    pthread_mutex_unlock(&t->lock);
    free(create);
    return rc;
}

/* What a model reads: the run tables its text names. */
#define MAX_REFS 256
struct refs {
    struct trino *t;
    int index[MAX_REFS];
    int n;
};

/* engine_sql_qualify's callback: a registered dataset's run table, noted
 * in the struct refs so that it is defined before the model runs. */
static int lookup(void *arg, const char *layer, const char *name, char *out, size_t size)
{
    struct refs *r = arg;
    struct trino *t = r->t;
    int rc = 1;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->ntables && rc; i++)
        if (!strcmp(t->tables[i].layer, layer) && !strcmp(t->tables[i].name, name)) {
            snprintf(out, size, "%s", t->tables[i].full);
            if (r->n < MAX_REFS)
                r->index[r->n++] = i;
            rc = 0;
        }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int trino_open(const struct engine_env *env, void **out, struct sl_err *err)
{
    const struct sl_config *cfg = env->cfg;
    pthread_once(&curl_once, curl_init);
    struct trino *t = calloc(1, sizeof *t);
    if (!t)
        return sl_err_set(err, false, "engine", "trino", "out of memory");
    const char *url = config_option(cfg, "trino", "url");
    const char *pw = config_option(cfg, "trino", "password");
    snprintf(t->url, sizeof t->url, "%s", url ? url : "");
    size_t n = strlen(t->url);
    while (n && t->url[n - 1] == '/')
        t->url[--n] = 0;
    snprintf(t->catalog, sizeof t->catalog, "%s", config_option(cfg, "trino", "catalog"));
    snprintf(t->prefix, sizeof t->prefix, "%s", config_option(cfg, "trino", "schema_prefix"));
    snprintf(t->user, sizeof t->user, "%s", config_option(cfg, "trino", "user"));
    snprintf(t->source, sizeof t->source, "%s", config_option(cfg, "trino", "source"));
    snprintf(t->password, sizeof t->password, "%s", pw ? pw : "");
    t->retries = (int)config_option_number(cfg, "trino", "max_attempts", 6);
    static const char *const codec[] = {[PQ_CODEC_NONE] = "NONE", [PQ_CODEC_SNAPPY] = "SNAPPY",
                                        [PQ_CODEC_GZIP] = "GZIP", [PQ_CODEC_ZSTD] = "ZSTD"};
    snprintf(t->session, sizeof t->session, "%s.compression_codec=%s", t->catalog,
             codec[env->compression]);
    t->store = env->store;
    t->stop = env->stop;
    snprintf(t->tmp_dir, sizeof t->tmp_dir, "%s", env->tmp_dir ? env->tmp_dir : "/tmp");
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->store_lock, NULL);
    pthread_mutex_init(&t->ddl_lock, NULL);
    if (strncmp(t->url, "http://", 7) && strncmp(t->url, "https://", 8)) {
        char where[PATH_MAX + 32];
        sl_err_set(err, false, "config", config_option_where(cfg, "trino", "url", where,
                                                             sizeof where),
                   "trino.url must be an http:// or https:// URL of the coordinator, not '%s'",
                   t->url);
        pthread_mutex_destroy(&t->lock);
        pthread_mutex_destroy(&t->store_lock);
        pthread_mutex_destroy(&t->ddl_lock);
        free(t);
        return SL_ERROR;
    }
    *out = t;
    return SL_OK;
}

/* Caller holds ddl_lock. */
static int make_schemas(struct trino *t, struct sl_err *err)
{
    static const char *const layers[] = {"raw", "stage1", "stage2"};
    for (int i = 0; i < 3; i++) {
        char cat[300], schema[300], sql[700];
        engine_sql_ident(t->catalog, cat, sizeof cat);
        schema_name(t, layers[i], schema, sizeof schema);
        snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s.%s", cat, schema);
        if (statement(t, sql, "trino", 0, true, NULL, NULL, err))
            return SL_ERROR;
    }
    t->schemas_made = true;
    return SL_OK;
}

/* Leader thread.  A model's output already has its table (the CTAS made
 * it); any other dataset gets an external table over its run folder, defined
 * when a model first reads it (define_reads): a run without models, or a
 * source of 300 tables read by 5 models, sends no statement for the rest. */
static int trino_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct trino *t = ctx;
    struct refs known = {.t = t};
    char full[600], ignored[600], loc[PATH_MAX + 80];
    if (lookup(&known, d->layer, d->name, ignored, sizeof ignored) == 0)
        return SL_OK;
    if (!d->schema.ncols)
        return sl_err_set(err, false, "engine", d->name,
                          "%s.%s has no columns recorded: Trino needs them to define its table",
                          d->layer, d->name);
    table_full(t, d->layer, d->name, d->prefix, full, sizeof full);
    engine_location(t->store, d->prefix, loc, sizeof loc);
    char *cols = engine_column_list(d, true, err), *sql = NULL, lit[PATH_MAX + 100];
    if (!cols)
        return SL_ERROR;
    engine_sql_literal(loc, lit, sizeof lit);
    int rc = SL_ERROR;
    if (asprintf(&sql, "CREATE TABLE IF NOT EXISTS %s %s WITH (format = 'PARQUET', "
                          "external_location = %s)", full, cols, lit) < 0)
        sl_err_set(err, false, "engine", d->name, "out of memory");
    else
        rc = remember(t, d->layer, d->name, full, sql, err);
    free(cols);
    return rc;
}

/* The schemas, and the tables the model reads that are not defined yet. */
static int define_reads(struct trino *t, const struct refs *refs, const char *model_file,
                        struct sl_cancel *cancel, struct sl_err *err)
{
    int rc = SL_OK;
    pthread_mutex_lock(&t->ddl_lock);
    if (!t->schemas_made)
        rc = make_schemas(t, err);
    for (int i = 0; rc == SL_OK && i < refs->n; i++) {
        pthread_mutex_lock(&t->lock);
        char *create = t->tables[refs->index[i]].create;
        pthread_mutex_unlock(&t->lock);
        if (!create)
            continue;
        rc = statement(t, create, model_file, 0, true, cancel, NULL, err);
        if (rc == SL_OK) {
            pthread_mutex_lock(&t->lock);
            t->tables[refs->index[i]].create = NULL;
            pthread_mutex_unlock(&t->lock);
            free(create);
        }
    }
    pthread_mutex_unlock(&t->ddl_lock);
    return rc;
}

static int trino_run(void *ctx, const char *model_file, const char *sql,
                     const struct lake_dataset *out, struct sl_cancel *cancel,
                     struct model_result *res, struct sl_err *err)
{
    struct trino *t = ctx;
    size_t len = engine_sql_code_end(sql);
    if (!len)
        return sl_err_set(err, false, "model", model_file,
                          "the model file is empty (only blanks and comments); it must hold one "
                          "SELECT");
    struct refs refs = {.t = t};
    char *body = engine_sql_qualify(sql, len, lookup, &refs), *ctas = NULL;
    char full[600], loc[PATH_MAX + 80], lit[PATH_MAX + 100];
    int rc = SL_ERROR;
    if (!body) {
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    if (define_reads(t, &refs, model_file, cancel, err))
        goto out;
    table_full(t, out->layer, out->name, out->prefix, full, sizeof full);
    engine_location(t->store, out->prefix, loc, sizeof loc);
    engine_sql_literal(loc, lit, sizeof lit);
    /* The model on its own lines: Trino's line numbers map back (head 1),
     * and a trailing "-- comment" cannot swallow anything. */
    if (asprintf(&ctas, "CREATE TABLE %s WITH (format = 'PARQUET', external_location = %s) AS\n"
                 "%s\n", full, lit, body) < 0) {
        ctas = NULL;
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    /* An earlier attempt's table and files: a CTAS needs both gone. */
    char drop[700];
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s", full);
    int64_t rows = -1;
    if (engine_clear_output(t->store, &t->store_lock, out, model_file, err) ||
        statement(t, drop, model_file, 0, true, cancel, NULL, err) ||
        statement(t, ctas, model_file, 1, true, cancel, &rows, err))
        goto out;
    if (remember(t, out->layer, out->name, full, NULL, err) ||
        engine_collect_output(t->store, &t->store_lock, t->tmp_dir, out, model_file, res, err))
        goto out;
    if (rows >= 0 && rows != res->rows)
        sl_warn("%s: Trino reported %lld rows, the files under %s hold %lld", model_file,
                (long long)rows, out->prefix, (long long)res->rows);
    rc = SL_OK;
out:
    free(body);
    free(ctas);
    return rc;
}

/* The run's tables go (the files stay): best effort, also after an
 * interrupt, with short time-outs. */
static void trino_close(void *ctx)
{
    struct trino *t = ctx;
    if (!t)
        return;
    for (int i = 0; i < t->ntables; i++) {
        char sql[700];
        struct sl_err e = {0};
        if (t->tables[i].create) { /* never defined: nothing to drop */
            free(t->tables[i].create);
            continue;
        }
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", t->tables[i].full);
        if (statement(t, sql, t->tables[i].name, 0, false, NULL, NULL, &e)) {
            char buf[2200];
            sl_warn("could not drop the run's Trino table %s: %s", t->tables[i].full,
                    sl_err_format(&e, buf, sizeof buf));
        }
    }
    free(t->tables);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_destroy(&t->store_lock);
    pthread_mutex_destroy(&t->ddl_lock);
    free(t);
}

const struct engine_type engine_trino_type = {
    .name = "trino",
    .open = trino_open,
    .register_dataset = trino_register,
    .run_model = trino_run,
    .close = trino_close,
};
