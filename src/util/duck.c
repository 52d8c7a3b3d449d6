/*
 * duck.c — see duck.h.
 */
#include "util/duck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *duck_error_text(const char *msg, char *out, size_t size)
{
    snprintf(out, size, "%s", msg ? msg : "DuckDB error");
    /* Some builds append the C++ frames of the exception (a FATAL error such
     * as a full disk at checkpoint): no use to a user, and a dozen lines. */
    char *trace = strstr(out, "\n\nStack Trace:");
    if (trace)
        *trace = 0;
    char *first = strstr(out, "\n\nLINE ");
    char *second = first ? strstr(first + 2, "\n\nLINE ") : NULL;
    if (second && (size_t)(second - first) == strlen(second) &&
        !strncmp(first, second, (size_t)(second - first)))
        *second = 0;
    return out;
}

/* Run sql into *res (destroyed by the caller); on error fill err. */
static int query(duckdb_connection con, const char *sql, duckdb_result *res, struct sl_err *err,
                 const char *stage, const char *object)
{
    if (duckdb_query(con, sql, res) != DuckDBError)
        return SL_OK;
    char msg[1400];
    return sl_err_set(err, false, stage, object, "%s",
                      duck_error_text(duckdb_result_error(res), msg, sizeof msg));
}

int duck_exec(duckdb_connection con, const char *sql, struct sl_err *err, const char *stage,
              const char *object)
{
    duckdb_result res;
    int rc = query(con, sql, &res, err, stage, object);
    duckdb_destroy_result(&res);
    return rc;
}

static int open_mode(const char *path, int read_only, duckdb_database *db,
                     duckdb_connection *con, struct sl_err *err, const char *stage)
{
    char *msg = NULL;
    duckdb_config cfg = NULL;
    *db = NULL;
    *con = NULL;
    duckdb_create_config(&cfg);
    /* Nothing may be downloaded on these machines; fail fast instead. */
    duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
    duckdb_set_config(cfg, "autoload_known_extensions", "false");
    if (read_only)
        duckdb_set_config(cfg, "access_mode", "READ_ONLY");
    if (duckdb_open_ext(path, db, cfg, &msg) == DuckDBError) {
        char text[1400];
        int rc = sl_err_set(err, false, stage, path ? path : ":memory:", "cannot open DuckDB: %s",
                            duck_error_text(msg, text, sizeof text));
        duckdb_free(msg);
        duckdb_destroy_config(&cfg);
        return rc;
    }
    duckdb_destroy_config(&cfg);
    if (duckdb_connect(*db, con) == DuckDBError) {
        duckdb_close(db);
        return sl_err_set(err, false, stage, path ? path : ":memory:", "cannot connect to DuckDB");
    }
    return SL_OK;
}

int duck_open(const char *path, duckdb_database *db, duckdb_connection *con, struct sl_err *err,
              const char *stage)
{
    return open_mode(path, 0, db, con, err, stage);
}

int duck_open_readonly(const char *path, duckdb_database *db, duckdb_connection *con,
                       struct sl_err *err, const char *stage)
{
    return open_mode(path, 1, db, con, err, stage);
}

int duck_confine(duckdb_connection con, const char *dir, struct sl_err *err, const char *stage)
{
    /* dir as a SQL literal, quotes doubled; the trailing '/' keeps a
     * sibling "/lake2" out of "/lake". */
    size_t n = strlen(dir);
    char *lit = malloc(2 * n + 4), *sql = NULL;
    if (!lit)
        return sl_err_set(err, false, stage, dir, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (dir[i] == '\'')
            lit[o++] = '\'';
        lit[o++] = dir[i];
    }
    if (!o || lit[o - 1] != '/')
        lit[o++] = '/';
    lit[o] = 0;
    /* Order matters: once external access is off it cannot be turned on,
     * and once locked nothing can be set. */
    int rc = SL_OK;
    if (asprintf(&sql,
                 "SET allowed_directories = ['%s']; SET enable_external_access = false; "
                 "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
                 "SET lock_configuration = true",
                 lit) < 0)
        rc = sl_err_set(err, false, stage, dir, "out of memory");
    else
        rc = duck_exec(con, sql, err, stage, dir);
    free(sql);
    free(lit);
    return rc;
}
