/*
 * duckdb.c — the embedded DuckDB engine.
 *
 * One in-memory DuckDB database per run.  Each dataset the models may read
 * becomes a view <layer>.<name> over its Parquet files (hive partitioning
 * off: the run=… folder is ours, not a column).  A model runs on its own
 * connection (DuckDB allows many connections of one database in parallel
 * threads) as COPY (<model>) TO '<out>' (FORMAT parquet).
 */
#include "engine/engine.h"
#include "util/duck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct duck_engine {
    duckdb_database db;
    duckdb_connection con; /* registration only: the leader thread */
    enum pq_codec codec;
};

static int duck_engine_open(const struct engine_options *opt, void **out, struct sl_err *err)
{
    struct duck_engine *e = calloc(1, sizeof *e);
    if (!e)
        return sl_err_set(err, false, "engine", "duckdb", "out of memory");
    e->codec = opt->compression;
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

static int duck_engine_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct duck_engine *e = ctx;
    char *sql = engine_view_sql(d);
    if (!sql)
        return sl_err_set(err, false, "engine", d->name, "out of memory");
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

/* The model text without trailing ';' and blanks: it goes inside COPY (…). */
static char *trim_model(const char *sql)
{
    size_t n = strlen(sql);
    while (n && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
                 sql[n - 1] == '\t' || sql[n - 1] == '\r'))
        n--;
    return strndup(sql, n);
}

static int duck_engine_run(void *ctx, const char *model_file, const char *sql, const char *out_path,
                           struct model_result *res, struct sl_err *err)
{
    struct duck_engine *e = ctx;
    duckdb_connection con = NULL;
    char *body = trim_model(sql), *copy = NULL;
    char lit[PATH_MAX + 16];
    int rc = SL_ERROR;
    if (!body)
        return sl_err_set(err, false, "model", model_file, "out of memory");
    if (!body[0]) {
        sl_err_set(err, false, "model", model_file, "the model file is empty; it must hold one SELECT");
        goto out;
    }
    if (duckdb_connect(e->db, &con) == DuckDBError) {
        sl_err_set(err, true, "model", model_file, "cannot connect to DuckDB");
        goto out;
    }
    engine_sql_literal(out_path, lit, sizeof lit);
    /* A newline before ')' so that a trailing "-- comment" in the model cannot eat it. */
    /* The model starts on the first line, so DuckDB's "LINE n" is the file's. */
    if (asprintf(&copy, "COPY (%s\n) TO %s (FORMAT parquet, COMPRESSION %s)", body, lit,
                 codec_sql(e->codec)) < 0) {
        sl_err_set(err, false, "model", model_file, "out of memory");
        goto out;
    }
    duckdb_result r;
    if (duckdb_query(con, copy, &r) == DuckDBError) {
        char msg[1400];
        sl_err_set(err, false, "model", model_file, "%s",
                   duck_error_text(duckdb_result_error(&r), msg, sizeof msg));
        duckdb_destroy_result(&r);
        goto out;
    }
    res->rows = duckdb_row_count(&r) ? duckdb_value_int64(&r, 0, 0) : 0;
    duckdb_destroy_result(&r);
    rc = SL_OK;
out:
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
