/*
 * duckdb.c — the embedded DuckDB engine.
 *
 * One in-memory DuckDB database per run.  Each dataset the models may read
 * becomes a view <layer>.<name> over its Parquet files (hive partitioning
 * off: the run=… folder is ours, not a column).  A model runs on its own
 * connection (DuckDB allows many connections of one database in parallel
 * threads) as COPY (<model>) TO '<out>' (FORMAT parquet).
 *
 * A model's SQL error must point into the model file, not into that
 * wrapper: the model's connection sets errors_as_json, so DuckDB's error
 * comes as JSON with the byte position of the offending token in the
 * statement we sent.  The wrapper adds only the head "COPY (" before the
 * model and trim_model removes only trailing text (blanks, ';' and
 * comments after the last token), so position - strlen(head)
 * is the byte offset in the model file itself; it becomes FILE:LINE:COLUMN
 * and an excerpt of the model's line with a caret (see model_error).
 */
#include "engine/cloud.h"
#include "engine/engine.h"
#include "util/duck.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* What goes before the model text; model_error maps positions through it. */
static const char copy_head[] = "COPY (";

struct duck_engine {
    duckdb_database db;
    duckdb_connection con; /* registration only: the leader thread */
    enum pq_codec codec;
    struct store *store;
    char tmp_dir[PATH_MAX];
};

static int duck_engine_open(const struct engine_env *opt, void **out, struct sl_err *err)
{
    struct duck_engine *e = calloc(1, sizeof *e);
    if (!e)
        return sl_err_set(err, false, "engine", "duckdb", "out of memory");
    e->codec = opt->compression;
    e->store = opt->store;
    snprintf(e->tmp_dir, sizeof e->tmp_dir, "%s", opt->tmp_dir ? opt->tmp_dir : "/tmp");
    if (duck_open(NULL, &e->db, &e->con, err, "engine")) {
        free(e);
        return SL_ERROR;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "SET threads = %d", opt->threads > 0 ? opt->threads : 1);
    if (duck_exec(e->con, sql, err, "engine", "duckdb") ||
        duck_exec(e->con,
                  "CREATE SCHEMA raw; CREATE SCHEMA stage1; CREATE SCHEMA stage2;",
                  err, "engine", "duckdb")) {
        duckdb_disconnect(&e->con);
        duckdb_close(&e->db);
        free(e);
        return SL_ERROR;
    }
    *out = e;
    return SL_OK;
}

/* A view over the local copies of d's files, for a store whose objects
 * DuckDB cannot open itself (S3: httpfs cannot be installed here, and a
 * run's own files are still on this machine).  Caller frees. */
static char *local_view_sql(struct duck_engine *e, const struct lake_dataset *d,
                            struct sl_err *err)
{
    char name[300], lit[PATH_MAX * 2 + 8], local[PATH_MAX];
    engine_sql_ident(d->name, name, sizeof name);
    size_t cap = 256 + (size_t)(d->files + 1) * (PATH_MAX * 2 + 16);
    char *sql = malloc(cap);
    if (!sql) {
        sl_err_set(err, false, "engine", d->name, "out of memory");
        return NULL;
    }
    size_t n = (size_t)snprintf(sql, cap, "CREATE OR REPLACE VIEW %s.%s AS SELECT * FROM "
                                "read_parquet([", d->layer, name);
    for (int i = 0; i < d->files; i++) {
        if (e->store->type->local_path(e->store->ctx, d->file[i].path, local, sizeof local)) {
            char url[PATH_MAX];
            e->store->type->url(e->store->ctx, d->file[i].path, url, sizeof url);
            sl_err_set(err, false, "engine", url,
                       "no local copy of this file for the models to read (DuckDB here cannot "
                       "read the store directly); run the export again in this run (--resume "
                       "re-exports a table whose copies are gone)");
            free(sql);
            return NULL;
        }
        engine_sql_literal(local, lit, sizeof lit);
        n += (size_t)snprintf(sql + n, cap - n, "%s%s", i ? ", " : "", lit);
    }
    snprintf(sql + n, cap - n, "], hive_partitioning = false)");
    return sql;
}

static int duck_engine_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct duck_engine *e = ctx;
    char *sql;
    if (e->store && !(e->store->type->caps & STORE_CAP_LOCAL)) {
        if (!(sql = local_view_sql(e, d, err)))
            return SL_ERROR;
    } else if (!(sql = engine_view_sql(d))) {
        return sl_err_set(err, false, "engine", d->name, "out of memory");
    }
    int rc = duck_exec(e->con, sql, err, "engine", d->name);
    free(sql);
    return rc;
}

static const char *codec_sql(enum pq_codec c)
{
    switch (c) {
    case PQ_CODEC_NONE: return "uncompressed";
    case PQ_CODEC_SNAPPY: return "snappy";
    case PQ_CODEC_GZIP: return "gzip";
    case PQ_CODEC_ZSTD: return "zstd";
    }
    return "zstd";
}

/* The model text without what follows its last token: it goes inside COPY (…). */
static char *trim_model(const char *sql) { return strndup(sql, engine_sql_code_end(sql)); }

/* Characters (UTF-8 code points) in s[0..n). */
static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* "  LINE | text\n       | ^" for the byte offset `at` of `body` into out:
 * the model's own line with a caret under the column.  Long lines show a
 * window around the column; tabs are kept in the caret line so it lines up. */
static void excerpt(const char *body, size_t at, int line, char *out, size_t size)
{
    size_t start = at, end = at;
    while (start > 0 && body[start - 1] != '\n')
        start--;
    while (body[end] && body[end] != '\n' && body[end] != '\r')
        end++;
    const char *lead = "", *tail = "";
    if (at - start > 60) {
        start = at - 60;
        while (((unsigned char)body[start] & 0xC0) == 0x80)
            start++;
        lead = "…";
    }
    if (end - start > 160) {
        end = start + 160;
        while (end > at && ((unsigned char)body[end] & 0xC0) == 0x80)
            end--;
        tail = "…";
    }
    char num[16], pad[PATH_MAX];
    int w = snprintf(num, sizeof num, "%d", line);
    size_t o = 0;
    /* The caret line: blanks (tabs kept) as wide as the text before the column. */
    if (lead[0])
        pad[o++] = ' ';
    for (size_t i = start; i < at && o + 2 < sizeof pad; i++)
        if (((unsigned char)body[i] & 0xC0) != 0x80)
            pad[o++] = body[i] == '\t' ? '\t' : ' ';
    pad[o] = '\0';
    snprintf(out, size, "%5s | %s%.*s%s\n%*s | %s^", num, lead, (int)(end - start), body + start,
             tail, w > 5 ? w : 5, "", pad);
}

/* True when the text at `at` names schema `schema` ("stage1." or "\"stage1\"."). */
static bool names_schema(const char *at, const char *schema)
{
    size_t n = strlen(schema);
    if (*at == '"')
        return !strncasecmp(at + 1, schema, n) && at[n + 1] == '"' && at[n + 2] == '.';
    return !strncasecmp(at, schema, n) && at[n] == '.';
}

/* The folder a model file sits in: "stage1" for …/models/stage1/x.sql. */
static void model_stage(const char *model_file, char *out, size_t size)
{
    const char *slash = strrchr(model_file, '/');
    const char *from = slash;
    out[0] = '\0';
    if (!slash)
        return;
    while (from > model_file && from[-1] != '/')
        from--;
    snprintf(out, size, "%.*s", (int)(slash - from), from);
}

/* Why a model's reference to another stage's dataset cannot work, or "".
 * A model reads raw.*, the stages before its own, and the models of its
 * own stage (run before it, flow/deps.h): a missing name of its own stage
 * is a model that does not exist. */
static const char *stage_hint(const char *model_file, const char *ref, const char *name,
                              char *out, size_t size)
{
    char stage[32];
    model_stage(model_file, stage, sizeof stage);
    out[0] = '\0';
    if (!strcmp(stage, "stage1") && names_schema(ref, "stage2"))
        snprintf(out, size,
                 "\nStage-1 models run before any stage2.* dataset exists. A model that reads "
                 "stage2.* belongs in models/stage2/.");
    else if (!strcmp(stage, "stage2") && names_schema(ref, "stage1") && name)
        snprintf(out, size, "\nNo stage-1 model is named %s (models/stage1/%s.sql).", name,
                 name);
    else if ((!strcmp(stage, "stage1") || !strcmp(stage, "stage2")) &&
             names_schema(ref, stage) && name)
        snprintf(out, size, "\nNo stage-%c model is named %s (models/%s/%s.sql).", stage[5],
                 name, stage, name);
    return out;
}

/* DuckDB's JSON error (errors_as_json) for the statement copy_head + body +
 * …: err gets "<model_file>:LINE:COLUMN" and the message with the model's
 * line and a caret, when DuckDB gave a position.  Falls back to DuckDB's own
 * text when the error is not JSON. */
static int model_error(const char *model_file, const char *body, const char *raw,
                       struct sl_err *err)
{
    const char *brace = raw ? strchr(raw, '{') : NULL;
    json_t *j = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    const char *type = json_string_value(json_object_get(j, "exception_type"));
    const char *text = json_string_value(json_object_get(j, "exception_message"));
    if (!type || !text) {
        char msg[1400];
        json_decref(j);
        return sl_err_set(err, false, "model", model_file, "%s",
                          duck_error_text(raw, msg, sizeof msg));
    }
    const char *position = json_string_value(json_object_get(j, "position"));
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *candidates = json_string_value(json_object_get(j, "candidates"));
    char message[1024], hint[400] = "", where[PATH_MAX + 32], shown[700] = "";
    snprintf(message, sizeof message, "%s", text);
    /* DuckDB suggests its own system tables for a missing stage1.x: noise. */
    char *did = strstr(message, "\nDid you mean \"");
    if (did && candidates &&
        (!strncmp(candidates, "information_schema.", 19) ||
         !strncmp(candidates, "pg_catalog.", 11)))
        *did = '\0';
    snprintf(where, sizeof where, "%s", model_file);
    size_t head = strlen(copy_head), len = strlen(body);
    char *end;
    unsigned long long pos = position ? strtoull(position, &end, 10) : 0;
    if (position && !*end && pos >= head) {
        size_t at = pos - head;
        if (at >= len) { /* in our tail: the model ended too early */
            at = len;
            if (strstr(message, "syntax error at or near"))
                snprintf(message, sizeof message,
                         "syntax error at the end of the model: the statement is incomplete");
        }
        int line = 1;
        size_t line_start = 0;
        for (size_t i = 0; i < at; i++)
            if (body[i] == '\n')
                line++, line_start = i + 1;
        snprintf(where, sizeof where, "%s:%d:%zu", model_file, line,
                 chars(body + line_start, at - line_start) + 1);
        excerpt(body, at, line, shown, sizeof shown);
        if (!strcmp(type, "Catalog"))
            stage_hint(model_file, body + at, name, hint, sizeof hint);
        else if (!strcmp(type, "Parser") && body[at] == ';')
            snprintf(hint, sizeof hint,
                     "\nA model file holds one SELECT; its result becomes the dataset.");
    }
    int rc = sl_err_set(err, false, "model", where, "%s Error: %s%s%s%s", type, message, hint,
                        shown[0] ? "\n\n" : "", shown);
    json_decref(j); /* owns type, name and candidates */
    return rc;
}

/* DuckDB's name of a column type ("DECIMAL(12,2)", "VARCHAR[]",
 * "TIMESTAMP WITH TIME ZONE") as our column type, for catalogs that need
 * the model's columns (Glue, DDL).  What has no type of ours is text. */
static void column_from_duckdb(const char *name, const char *type, struct sl_column *c)
{
    static const struct {
        const char *duck;
        enum sl_type t;
    } map[] = {
        {"BOOLEAN", SL_T_BOOL},         {"TINYINT", SL_T_INT16},
        {"SMALLINT", SL_T_INT16},       {"UTINYINT", SL_T_INT16},
        {"INTEGER", SL_T_INT32},        {"USMALLINT", SL_T_INT32},
        {"BIGINT", SL_T_INT64},         {"UINTEGER", SL_T_INT64},
        {"FLOAT", SL_T_FLOAT},          {"DOUBLE", SL_T_DOUBLE},
        {"VARCHAR", SL_T_STRING},       {"JSON", SL_T_JSON},
        {"BLOB", SL_T_BINARY},          {"UUID", SL_T_UUID},
        {"DATE", SL_T_DATE},            {"TIME", SL_T_TIME},
        {"TIMESTAMP", SL_T_TIMESTAMP},  {"TIMESTAMP WITH TIME ZONE", SL_T_TIMESTAMPTZ},
    };
    char t[128];
    snprintf(t, sizeof t, "%s", type);
    size_t n = strlen(t);
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->source_name, sizeof c->source_name, "%s", name);
    snprintf(c->source_type, sizeof c->source_type, "%s", type);
    c->nullable = true;
    if (n > 2 && !strcmp(t + n - 2, "[]")) {
        c->list = true;
        t[n - 2] = 0;
    }
    c->type = SL_T_STRING;
    if (sscanf(t, "DECIMAL(%d,%d)", &c->precision, &c->scale) == 2) {
        c->type = SL_T_DECIMAL;
        return;
    }
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(t, map[i].duck))
            c->type = map[i].t;
}

/* The columns of the file just written, from its footer (DESCRIBE reads
 * only that), into *schema. */
static int written_schema(duckdb_connection con, const char *lit, const char *model_file,
                          struct sl_schema *schema, struct sl_err *err)
{
    char sql[PATH_MAX + 64];
    duckdb_result r;
    snprintf(sql, sizeof sql, "DESCRIBE SELECT * FROM read_parquet(%s, hive_partitioning = false)", lit);
    if (duckdb_query(con, sql, &r) == DuckDBError) {
        char msg[1024];
        sl_err_set(err, false, "model", model_file, "cannot read the result's columns: %s",
                   duck_error_text(duckdb_result_error(&r), msg, sizeof msg));
        duckdb_destroy_result(&r);
        return SL_ERROR;
    }
    idx_t n = duckdb_row_count(&r);
    schema->cols = calloc(n ? n : 1, sizeof *schema->cols);
    if (!schema->cols) {
        duckdb_destroy_result(&r);
        return sl_err_set(err, false, "model", model_file, "out of memory");
    }
    for (idx_t i = 0; i < n; i++) {
        char *name = duckdb_value_varchar(&r, 0, i), *type = duckdb_value_varchar(&r, 1, i);
        column_from_duckdb(name ? name : "", type ? type : "", &schema->cols[i]);
        duckdb_free(name);
        duckdb_free(type);
    }
    schema->ncols = (int)n;
    duckdb_destroy_result(&r);
    return SL_OK;
}

/* cloud.h: the row count and columns of a Parquet file another engine
 * wrote, from its footer, in a database of its own (called from worker
 * threads; opening an in-memory DuckDB is cheap next to a CTAS). */
int engine_duckdb_file_info(const char *path, int64_t *rows, struct sl_schema *schema,
                            struct sl_err *err)
{
    duckdb_database db;
    duckdb_connection con;
    char lit[PATH_MAX + 16], sql[PATH_MAX + 96];
    if (duck_open(NULL, &db, &con, err, "engine"))
        return SL_ERROR;
    engine_sql_literal(path, lit, sizeof lit);
    snprintf(sql, sizeof sql, "SELECT num_rows::BIGINT FROM parquet_file_metadata(%s)", lit);
    duckdb_result r;
    int rc = SL_OK;
    if (duckdb_query(con, sql, &r) == DuckDBError) {
        char msg[1024];
        rc = sl_err_set(err, false, "engine", path, "not a readable Parquet file: %s",
                        duck_error_text(duckdb_result_error(&r), msg, sizeof msg));
    } else {
        *rows = duckdb_row_count(&r) ? duckdb_value_int64(&r, 0, 0) : 0;
    }
    duckdb_destroy_result(&r);
    if (rc == SL_OK && schema)
        rc = written_schema(con, lit, path, schema, err);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

/* duckdb_interrupt from another thread: the query stops at its next
 * check (between vectors) and fails with "Interrupted". */
static void interrupt_connection(void *handle)
{
    duckdb_interrupt(*(duckdb_connection *)handle);
}

static int duck_engine_run(void *ctx, const char *model_file, const char *sql,
                           const struct lake_dataset *out, struct sl_cancel *cancel,
                           struct model_result *res, struct sl_err *err)
{
    struct duck_engine *e = ctx;
    duckdb_connection con = NULL;
    char *body = trim_model(sql), *copy = NULL;
    char lit[PATH_MAX + 16], out_path[PATH_MAX + 300];
    int rc = SL_ERROR;
    /* Written here, then streamed into the store: the one writer of the
     * dataset's files is the store, whichever store it is. */
    snprintf(out_path, sizeof out_path, "%s/%s-%s.parquet", e->tmp_dir, out->layer, out->name);
    if (!body)
        return sl_err_set(err, false, "model", model_file, "out of memory");
    if (!body[0]) {
        sl_err_set(err, false, "model", model_file,
                   "the model file is empty (only blanks and comments); it must hold one SELECT");
        goto out;
    }
    if (duckdb_connect(e->db, &con) == DuckDBError) {
        sl_err_set(err, true, "model", model_file, "cannot connect to DuckDB");
        goto out;
    }
    /* Errors as JSON with a position in the statement (model_error); on a
     * DuckDB without the setting, its own text is shown. */
    duckdb_result set;
    duckdb_query(con, "SET errors_as_json = true", &set);
    duckdb_destroy_result(&set);
    engine_sql_literal(out_path, lit, sizeof lit);
    /* A newline before ')' so that a trailing "-- comment" in the model cannot eat it. */
    if (asprintf(&copy, "%s%s\n) TO %s (FORMAT parquet, COMPRESSION %s)", copy_head, body, lit,
                 codec_sql(e->codec)) < 0) {
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    duckdb_result r;
    if (cancel && sl_cancel_arm(cancel, interrupt_connection, &con)) {
        sl_cancel_disarm(cancel);
        sl_err_set(err, false, "model", model_file, "cancelled before it started");
        goto out;
    }
    duckdb_state qs = duckdb_query(con, copy, &r);
    if (cancel)
        sl_cancel_disarm(cancel); /* before con goes: no interrupt after it */
    if (qs == DuckDBError) {
        model_error(model_file, body, duckdb_result_error(&r), err);
        duckdb_destroy_result(&r);
        goto out;
    }
    res->rows = duckdb_row_count(&r) ? duckdb_value_int64(&r, 0, 0) : 0;
    duckdb_destroy_result(&r);
    if (written_schema(con, lit, model_file, &res->schema, err))
        goto out;
    if (!(res->file = calloc(1, sizeof *res->file))) {
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    res->files = 1;
    struct lake_file *f = &res->file[0];
    f->rows = res->rows;
    snprintf(f->path, sizeof f->path, "%s/part-0.parquet", out->prefix);
    rc = store_put_file(e->store, out_path, f->path, &f->bytes, &f->crc32, err);
out:
    unlink(out_path);
    if (con)
        duckdb_disconnect(&con);
    free(copy);
    free(body);
    return rc;
}

static void duck_engine_close(void *ctx)
{
    struct duck_engine *e = ctx;
    if (!e)
        return;
    duckdb_disconnect(&e->con);
    duckdb_close(&e->db);
    free(e);
}

const struct engine_type engine_duckdb_type = {
    .name = "duckdb",
    .open = duck_engine_open,
    .register_dataset = duck_engine_register,
    .run_model = duck_engine_run,
    .close = duck_engine_close,
};
