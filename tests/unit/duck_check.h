/*
 * duck_check.h — what the Parquet unit tests share to read their files back
 * with DuckDB: a FILE* sink for the writer, one DuckDB connection per test
 * program (the program opens `db`/`con` in main), scalar() and CHECK_SQL.
 * Header-only: each test program is one .c file.
 */
#ifndef SNAPLAKE_TEST_DUCK_CHECK_H
#define SNAPLAKE_TEST_DUCK_CHECK_H

#include "check.h"
#include "util/err.h"

#include <duckdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int file_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    (void)err;
    return fwrite(data, 1, n, ctx) == n ? SL_OK : SL_ERROR;
}

/* A fixed pseudo-random permutation-like mix (splitmix64's finaliser): data
 * without a period zstd could find. */
static inline uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static duckdb_database db;
static duckdb_connection con;

/* The first value of a query as text ("NULL" for SQL NULL; caller frees),
 * or NULL on error (printed). */
static inline char *scalar(const char *sql)
{
    duckdb_result r;
    if (duckdb_query(con, sql, &r) != DuckDBSuccess) {
        fprintf(stderr, "  %s\n  in: %s\n", duckdb_result_error(&r), sql);
        duckdb_destroy_result(&r);
        return NULL;
    }
    char *v = duckdb_row_count(&r) ? duckdb_value_varchar(&r, 0, 0) : NULL;
    char *out = strdup(v ? v : "NULL");
    duckdb_free(v);
    duckdb_destroy_result(&r);
    return out;
}

#define CHECK_SQL(sql, want)                                                                       \
    do {                                                                                           \
        char *got_ = scalar(sql);                                                                  \
        CHECK_EQ_STR(got_, want);                                                                  \
        free(got_);                                                                                \
    } while (0)

#endif
