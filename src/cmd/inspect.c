/*
 * inspect.c — `snaplake inspect FILE.parquet`: what is inside a Parquet file.
 *
 * Read through DuckDB's parquet_* table functions, so what it shows is what
 * an engine sees (a second opinion on our writer, not our own decoding).
 */
#include "cmd/cmd.h"
#include "engine/engine.h"
#include "util/duck.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: snaplake inspect FILE.parquet\n"
    "\n"
    "Print a Parquet file's metadata: created_by and row count, the schema\n"
    "(physical, logical and converted types), and per row group and column the\n"
    "encodings, codec, sizes and statistics (min, max, null count).\n";

static int section(duckdb_connection con, const char *title, const char *fmt, const char *lit,
                   struct sl_err *err)
{
    char sql[PATH_MAX * 2 + 1024];
    snprintf(sql, sizeof sql, fmt, lit);
    duckdb_result res;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        char msg[1400];
        sl_err_set(err, false, "inspect", lit, "%s",
                   duck_error_text(duckdb_result_error(&res), msg, sizeof msg));
        duckdb_destroy_result(&res);
        return SL_ERROR;
    }
    printf("%s\n", title);
    cmd_print_result(&res, FORMAT_TABLE, 0, stdout);
    printf("\n");
    duckdb_destroy_result(&res);
    return SL_OK;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc != 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    struct stat st;
    struct sl_err err = {0};
    if (stat(argv[1], &st) != 0) {
        sl_err_set(&err, false, "inspect", argv[1], "no such file");
        cmd_report(&err);
        return EXIT_USAGE;
    }
    duckdb_database db;
    duckdb_connection con;
    if (duck_open(NULL, &db, &con, &err, "inspect")) {
        cmd_report(&err);
        return EXIT_RUN_FAILED;
    }
    char lit[PATH_MAX + 16];
    engine_sql_literal(argv[1], lit, sizeof lit);
    printf("file %s (%lld bytes)\n\n", argv[1], (long long)st.st_size);
    int rc = section(con, "file",
                     "SELECT created_by, num_rows, num_row_groups, format_version "
                     "FROM parquet_file_metadata(%s)", lit, &err) ||
             section(con, "schema",
                     "SELECT name, type, type_length, repetition_type, converted_type, "
                     "logical_type, precision, scale FROM parquet_schema(%s)", lit, &err) ||
             section(con, "row groups and columns",
                     "SELECT row_group_id AS rg, row_group_num_rows AS rows, path_in_schema AS "
                     "column, type, encodings, compression AS codec, total_compressed_size AS "
                     "compressed, total_uncompressed_size AS uncompressed, stats_min_value AS "
                     "min, stats_max_value AS max, stats_null_count AS nulls "
                     "FROM parquet_metadata(%s) ORDER BY row_group_id, column_id", lit, &err);
    if (rc)
        cmd_report(&err);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}
