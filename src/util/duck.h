/*
 * duck.h — the few DuckDB C API helpers the catalog, the engine and the
 * query/inspect commands share.
 */
#ifndef SL_UTIL_DUCK_H
#define SL_UTIL_DUCK_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* DuckDB's error text without the "LINE n: …" context block it repeats
 * (DuckDB 1.4 appends that block twice) and without the "Stack Trace:" of
 * C++ frames some errors carry.  Returns `out`. */
const char *duck_error_text(const char *msg, char *out, size_t size);

/* Run a statement and discard its result; on error fill err with stage,
 * object and DuckDB's message. */
int duck_exec(duckdb_connection con, const char *sql, struct sl_err *err, const char *stage,
              const char *object);

/* Open a database file (NULL = in memory) and one connection. */
int duck_open(const char *path, duckdb_database *db, duckdb_connection *con, struct sl_err *err,
              const char *stage);
/* Same, read-only: many readers may share a published catalog. */
int duck_open_readonly(const char *path, duckdb_database *db, duckdb_connection *con,
                       struct sl_err *err, const char *stage);

/* Confine con's database to reading files under `dir` (an absolute,
 * resolved folder): every other file is refused (DuckDB's
 * enable_external_access = false with allowed_directories = dir; files the
 * database already has open stay open), extensions cannot be installed or
 * loaded, and the configuration is locked so no later statement can undo
 * this.  Writes inside `dir` are NOT prevented here: open the database
 * read-only and run only queries (cmd/common.c).  Applies to the whole
 * database (every connection), irrevocably. */
int duck_confine(duckdb_connection con, const char *dir, struct sl_err *err, const char *stage);

#endif
