/*
 * inspect.c — `snaplake inspect PATH`: what is inside Parquet files.
 *
 * Read through DuckDB's parquet_* table functions, so what it shows is what
 * an engine sees (a second opinion on our writer, not our own decoding).
 * PATH is one file, or a folder whose *.parquet files (at any depth) are
 * inspected one after the other in path order.
 *
 * Errors name the file and say what is wrong with it; the SQL this command
 * sends is its own business and never shown (the connection reports errors
 * as JSON, whose message is printed without DuckDB's "LINE 1: SELECT …").
 */
#include "cmd/cmd.h"
#include "util/log.h"
#include "engine/engine.h"
#include "util/duck.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: snaplake inspect FILE.parquet | DIR\n"
    "\n"
    "Print a Parquet file's metadata: created_by and row count, the schema\n"
    "(physical, logical and converted types), and per row group and column the\n"
    "encodings, codec, sizes and statistics (min, max, null count).  Given a\n"
    "folder, every *.parquet file under it, in path order.\n"
    "\n"
    "Exit status: 0 every file was read, 1 some file is not a readable Parquet\n"
    "file (or a folder holds none), 2 usage error or no such file.\n";

/* The logical type as the Parquet spec names it.  DuckDB prints the thrift
 * struct (IntType(bitWidth=@, isSigned=1): bitWidth is an int8 printed as a
 * character, '@' for 64), so the width is read from the converted type
 * (INT_32, UINT_8), else from a decimal bitWidth, else from that character. */
#define LOGICAL_TYPE_SQL                                                                          \
    "CASE "                                                                                       \
    "WHEN logical_type LIKE 'IntType(%' THEN 'INT(' || COALESCE("                                 \
    "  NULLIF(regexp_extract(converted_type, '_(\\d+)$', 1), ''), "                               \
    "  NULLIF(regexp_extract(logical_type, 'bitWidth=(\\d+),', 1), ''), "                         \
    "  CAST(ord(substr(logical_type, 18, 1)) AS VARCHAR)) || ', ' || "                           \
    "  CASE WHEN regexp_matches(logical_type, 'isSigned=(0|false)') THEN 'unsigned' "            \
    "  ELSE 'signed' END || ')' "                                                                 \
    "WHEN logical_type LIKE 'DecimalType(%' THEN "                                                \
    "  'DECIMAL(' || precision || ', ' || scale || ')' "                                          \
    "WHEN logical_type LIKE 'TimestampType(%' OR logical_type LIKE 'TimeType(%' THEN "            \
    "  upper(regexp_extract(logical_type, '^(\\w+)Type', 1)) || '(' || "                          \
    "  regexp_extract(logical_type, '(MILLIS|MICROS|NANOS)=\\w+\\(\\)', 1) || ', ' || "           \
    "  CASE WHEN regexp_matches(logical_type, 'isAdjustedToUTC=(1|true)') THEN 'UTC' "           \
    "  ELSE 'local' END || ')' "                                                                  \
    "WHEN regexp_matches(logical_type, '^\\w+Type\\(\\)$') THEN "                                 \
    "  upper(regexp_extract(logical_type, '^(\\w+)Type', 1)) "                                    \
    "ELSE logical_type END"

/* DuckDB's message without its context block (the SQL of this command). */
static const char *duck_message(const char *raw, char *out, size_t size)
{
    const char *brace = raw ? strchr(raw, '{') : NULL;
    json_t *j = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    const char *type = json_string_value(json_object_get(j, "exception_type"));
    const char *text = json_string_value(json_object_get(j, "exception_message"));
    if (type && text) {
        snprintf(out, size, "%s Error: %s", type, text);
    } else {
        snprintf(out, size, "%s", raw ? raw : "DuckDB error");
        char *line = strstr(out, "\n\nLINE ");
        if (line)
            *line = '\0';
    }
    json_decref(j);
    return out;
}

static int section(duckdb_connection con, const char *path, const char *title, const char *fmt,
                   const char *lit, struct sl_err *err)
{
    char sql[PATH_MAX * 2 + 2048];
    snprintf(sql, sizeof sql, fmt, lit);
    duckdb_result res;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        char msg[1400];
        sl_err_set(err, false, "inspect", path, "cannot read the Parquet metadata: %s",
                   duck_message(duckdb_result_error(&res), msg, sizeof msg));
        duckdb_destroy_result(&res);
        return SL_ERROR;
    }
    printf("%s\n", title);
    cmd_print_result(&res, FORMAT_TABLE, 0, stdout);
    printf("\n");
    duckdb_destroy_result(&res);
    return SL_OK;
}

/* A Parquet file starts and ends with "PAR1" (and is at least 12 bytes:
 * both magics and the footer length). */
static int check_magic(const char *path, const struct stat *st, struct sl_err *err)
{
    char head[4] = {0}, tail[4] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_err_set(err, false, "inspect", path, "cannot open: %s", strerror(errno));
    int ok = st->st_size >= 12 && fread(head, 1, 4, f) == 4 && fseeko(f, -4, SEEK_END) == 0 &&
             fread(tail, 1, 4, f) == 4 && !memcmp(head, "PAR1", 4) && !memcmp(tail, "PAR1", 4);
    fclose(f);
    if (!ok)
        return sl_err_set(err, false, "inspect", path,
                          "not a Parquet file: it does not start and end with the magic bytes "
                          "PAR1%s",
                          st->st_size == 0 ? " (it is empty)" : "");
    return SL_OK;
}

static int inspect_file(duckdb_connection con, const char *path, struct sl_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sl_err_set(err, false, "inspect", path, "cannot read: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sl_err_set(err, false, "inspect", path, "not a regular file");
    if (check_magic(path, &st, err))
        return SL_ERROR;
    char lit[PATH_MAX + 16];
    engine_sql_literal(path, lit, sizeof lit);
    printf("file %s (%lld bytes)\n\n", path, (long long)st.st_size);
    return section(con, path, "file",
                   "SELECT created_by, num_rows, num_row_groups, format_version "
                   "FROM parquet_file_metadata(%s)", lit, err) ||
           section(con, path, "schema",
                   "SELECT name, type, type_length, repetition_type, converted_type, "
                   LOGICAL_TYPE_SQL " AS logical_type, precision, scale "
                   "FROM parquet_schema(%s)", lit, err) ||
           section(con, path, "row groups and columns",
                   "SELECT row_group_id AS rg, row_group_num_rows AS rows, path_in_schema AS "
                   "column, type, encodings, compression AS codec, total_compressed_size AS "
                   "compressed, total_uncompressed_size AS uncompressed, stats_min_value AS "
                   "min, stats_max_value AS max, stats_null_count AS nulls "
                   "FROM parquet_metadata(%s) ORDER BY row_group_id, column_id", lit, err);
}

struct file_list {
    char **paths;
    size_t n, cap;
};

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.parquet file under dir (symlinked folders are not followed, so a
 * loop cannot trap the walk). */
static int collect(const char *dir, struct file_list *list, struct sl_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sl_err_set(err, false, "inspect", dir, "cannot read the folder: %s",
                          strerror(errno));
    struct dirent *e;
    int rc = SL_OK;
    while (rc == SL_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = collect(path, list, err);
            continue;
        }
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 8, ".parquet"))
            continue;
        if (list->n == list->cap) {
            size_t cap = list->cap ? list->cap * 2 : 64;
            char **p = realloc(list->paths, cap * sizeof *p);
            if (!p) {
                rc = sl_err_set(err, false, "inspect", dir, "out of memory");
                break;
            }
            list->paths = p;
            list->cap = cap;
        }
        if (!(list->paths[list->n] = strdup(path)))
            rc = sl_err_set(err, false, "inspect", dir, "out of memory");
        else
            list->n++;
    }
    closedir(d);
    return rc;
}

/* Every Parquet file under `dir`; each failure is reported and the rest
 * still inspected.  Returns the exit status. */
static int inspect_dir(duckdb_connection con, const char *dir)
{
    struct file_list list = {0};
    struct sl_err err = {0};
    int status = EXIT_OK;
    char top[PATH_MAX];
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    snprintf(top, sizeof top, "%.*s", (int)len, dir);
    if (collect(top, &list, &err)) {
        cmd_report(&err);
        status = EXIT_RUN_FAILED;
    } else if (list.n == 0) {
        sl_err_set(&err, false, "inspect", dir,
                   "no .parquet files in this folder or below; give a folder of a lake "
                   "(lake/raw/<table>) or one file");
        cmd_report(&err);
        status = EXIT_RUN_FAILED;
    } else {
        qsort(list.paths, list.n, sizeof *list.paths, cmp_path);
        printf("%zu Parquet file%s under %s\n\n", list.n, list.n == 1 ? "" : "s", top);
        for (size_t i = 0; i < list.n; i++) {
            sl_err_clear(&err);
            if (inspect_file(con, list.paths[i], &err)) {
                cmd_report(&err);
                status = EXIT_RUN_FAILED;
            }
        }
    }
    for (size_t i = 0; i < list.n; i++)
        free(list.paths[i]);
    free(list.paths);
    return status;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc != 2) {
        if (argc < 2)
            sl_log_usage(usage, "inspect: no file or folder given");
        else
            sl_log_usage(usage, "inspect: one file or folder, got '%s' and '%s'", argv[1],
                         argv[2]);
        return EXIT_USAGE;
    }
    const char *path = argv[1];
    struct stat st;
    struct sl_err err = {0};
    if (stat(path, &st) != 0) {
        sl_err_set(&err, false, "inspect", path, "no such file or folder");
        cmd_report(&err);
        return EXIT_USAGE;
    }
    duckdb_database db;
    duckdb_connection con;
    if (duck_open(NULL, &db, &con, &err, "inspect") ||
        duck_exec(con, "SET errors_as_json = true", &err, "inspect", "duckdb")) {
        cmd_report(&err);
        if (con)
            duckdb_disconnect(&con);
        if (db)
            duckdb_close(&db);
        return EXIT_RUN_FAILED;
    }
    int status;
    if (S_ISDIR(st.st_mode)) {
        status = inspect_dir(con, path);
    } else if (inspect_file(con, path, &err)) {
        cmd_report(&err);
        status = EXIT_RUN_FAILED;
    } else {
        status = EXIT_OK;
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return status;
}
