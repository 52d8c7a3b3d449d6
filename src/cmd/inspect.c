/*
 * inspect.c — `snaplake inspect PATH`: what is inside Parquet files.
 *
 * Read through DuckDB's parquet_* table functions, so what it shows is what
 * an engine sees (a second opinion on our writer, not our own decoding).
 * PATH is one file, or a folder whose *.parquet files (at any depth) are
 * inspected one after the other in path order.  DuckDB does not expose the
 * page index, so that part is read by parquet/footer.c (an independent
 * reader of the footer, not the writer's code).
 *
 * Errors name the file and say what is wrong with it; the SQL this command
 * sends is its own business and never shown (the connection reports errors
 * as JSON, whose message is printed without DuckDB's "LINE 1: SELECT …").
 */
#include "cmd/cmd.h"
#include "util/log.h"
#include "engine/engine.h"
#include "util/duck.h"
#include "parquet/footer.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool show_pages; /* --pages */

static const char usage[] =
    "usage: snaplake inspect [--pages] FILE.parquet | DIR\n"
    "\n"
    "Print a Parquet file's metadata: created_by and row count, the key-value\n"
    "metadata (snaplake's run id, the source type of each column), the schema\n"
    "(physical, logical and converted types, field ids), per row group and\n"
    "column the encodings, codec, sizes, statistics (min, max, null count) and\n"
    "bloom filter (offset and bytes, or none), and per column chunk its page\n"
    "index (ColumnIndex and OffsetIndex offsets and bytes, page count).  Given a\n"
    "folder, every *.parquet file under it, in path order.\n"
    "\n"
    "  --pages   also list every page: first row, offset, compressed bytes, and\n"
    "            min, max and null count from the ColumnIndex (bounds shown by\n"
    "            physical type: decimals and timestamps as stored numbers), and\n"
    "            from the page's header its type (DATA_PAGE, DATA_PAGE_V2) and\n"
    "            the encoding of its values\n"
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

/* A ColumnIndex bound (PLAIN bytes) as text: numbers for the numeric
 * physical types, text for printable byte arrays, else hex.  Logical types
 * (decimals, timestamps) are left raw: the row group min/max above show them. */
static void show_bound(int type, const uint8_t *b, uint32_t len, char *out, size_t size)
{
    if ((type == 1 && len == 4) || (type == 2 && len == 8)) { /* INT32, INT64 */
        /* Assembled unsigned: a shift into the sign bit of a signed value is
         * undefined (UBSan caught it on INT64 minimums). */
        uint64_t u = 0;
        for (uint32_t k = 0; k < len; k++)
            u |= (uint64_t)b[k] << (8 * k);
        int64_t i64 = len == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
        snprintf(out, size, "%" PRId64, i64);
        return;
    }
    if ((type == 4 && len == 4) || (type == 5 && len == 8)) { /* FLOAT, DOUBLE */
        float f;
        double d;
        if (len == 4) {
            memcpy(&f, b, 4);
            d = f;
        } else {
            memcpy(&d, b, 8);
        }
        snprintf(out, size, "%.17g", d);
        return;
    }
    if (type == 0 && len == 1) { /* BOOLEAN */
        snprintf(out, size, "%s", b[0] ? "true" : "false");
        return;
    }
    bool text = type == 6;
    for (uint32_t k = 0; text && k < len; k++)
        text = b[k] >= 0x20 && b[k] != 0x7f;
    if (text) {
        snprintf(out, size, "%.*s", (int)len, (const char *)b);
        return;
    }
    size_t o = 0;
    out[0] = '\0';
    for (uint32_t k = 0; k < len && o + 3 < size; k++)
        o += (size_t)snprintf(out + o, size - o, "%02x", b[k]);
}

static int print_pages(FILE *f, const char *path, const struct pq_chunk *c,
                       const struct pq_pages *pages, struct sl_err *err)
{
    printf("pages of rg %d column %s\n", c->rg, c->column);
    if (c->oi_length <= 0) {
        printf("(no OffsetIndex)\n\n");
        return SL_OK;
    }
    printf("%-5s | %-10s | %-10s | %-10s | %-24s | %-24s | %-5s | %-12s | %s\n", "page",
           "first row", "offset", "compressed", "min", "max", "nulls", "type", "encoding");
    printf("------+------------+------------+------------+--------------------------+"
           "--------------------------+-------+--------------+---------\n");
    for (size_t k = 0; k < pages->n; k++) {
        const struct pq_page *pg = &pages->page[k];
        char min[128] = "-", max[128] = "-", nulls[32] = "-";
        if (pg->null_page) {
            snprintf(min, sizeof min, "(null page)");
        } else if (pg->has_bounds) {
            show_bound(c->type, pg->min, pg->min_len, min, sizeof min);
            show_bound(c->type, pg->max, pg->max_len, max, sizeof max);
        }
        if (pg->nulls >= 0)
            snprintf(nulls, sizeof nulls, "%" PRId64, pg->nulls);
        /* the page's own header: data page v1 or v2, and its values' encoding */
        int type, encoding;
        if (pq_footer_page_header(f, path, pg, &type, &encoding, err))
            return SL_ERROR;
        printf("%-5zu | %-10" PRId64 " | %-10" PRId64 " | %-10" PRId32
               " | %-24s | %-24s | %-5s | %-12s | %s\n",
               k, pg->first_row, pg->offset, pg->size, min, max, nulls, pq_page_type_name(type),
               pq_encoding_name(encoding));
    }
    printf("\n");
    return SL_OK;
}

/* The page index of every column chunk, and with --pages every page. */
static int page_index(const char *path, struct sl_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_err_set(err, false, "inspect", path, "cannot open: %s", strerror(errno));
    struct pq_chunk *chunks;
    size_t n;
    int rc = pq_footer_chunks(f, path, &chunks, &n, err);
    if (rc) {
        fclose(f);
        return rc;
    }
    printf("page index\n");
    printf("%-3s | %-20s | %-28s | %-28s | %s\n", "rg", "column", "column index", "offset index",
           "pages");
    printf("----+----------------------+------------------------------+"
           "------------------------------+------\n");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct pq_chunk *c = &chunks[i];
        char ci[64] = "none", oi[64] = "none", count[32] = "-";
        if (c->ci_length > 0)
            snprintf(ci, sizeof ci, "%" PRId64 " (%" PRId32 " bytes)", c->ci_offset, c->ci_length);
        if (c->oi_length > 0)
            snprintf(oi, sizeof oi, "%" PRId64 " (%" PRId32 " bytes)", c->oi_offset, c->oi_length);
        struct pq_pages pages;
        if ((rc = pq_footer_pages(f, path, c, &pages, err)))
            break;
        if (c->oi_length > 0)
            snprintf(count, sizeof count, "%zu", pages.n);
        printf("%-3d | %-20s | %-28s | %-28s | %s\n", c->rg, c->column, ci, oi, count);
        pq_pages_free(&pages);
    }
    printf("\n");
    for (size_t i = 0; show_pages && i < n && !rc; i++) {
        struct pq_pages pages;
        if ((rc = pq_footer_pages(f, path, &chunks[i], &pages, err)))
            break;
        rc = print_pages(f, path, &chunks[i], &pages, err);
        pq_pages_free(&pages);
    }
    free(chunks);
    fclose(f);
    return rc;
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
           section(con, path, "key-value metadata",
                   "WITH kv AS (SELECT decode(key) AS k, decode(value) AS v "
                   "FROM parquet_kv_metadata(%1$s)) "
                   "SELECT key, value FROM ("
                   "SELECT k AS key, v AS value, 0 AS g, 0 AS o FROM kv "
                   "WHERE k <> 'snaplake.source_types' OR NOT json_valid(v) "
                   "UNION ALL SELECT 'source type of ' || j.key, j.value ->> '$', 1, j.id "
                   "FROM (SELECT v FROM kv WHERE k = 'snaplake.source_types' "
                   "AND json_valid(v)) s, json_each(s.v) j) ORDER BY g, o", lit, err) ||
           section(con, path, "schema",
                   "SELECT name, type, type_length, repetition_type, converted_type, "
                   LOGICAL_TYPE_SQL " AS logical_type, precision, scale, field_id "
                   "FROM parquet_schema(%s)", lit, err) ||
           section(con, path, "row groups and columns",
                   "SELECT row_group_id AS rg, row_group_num_rows AS rows, path_in_schema AS "
                   "column, type, encodings, compression AS codec, total_compressed_size AS "
                   "compressed, total_uncompressed_size AS uncompressed, stats_min_value AS "
                   "min, stats_max_value AS max, stats_null_count AS nulls, "
                   "CASE WHEN bloom_filter_offset IS NULL THEN 'none' ELSE "
                   "bloom_filter_offset || ' (' || COALESCE(CAST(bloom_filter_length AS "
                   "VARCHAR), '?') || ' bytes)' END AS bloom_filter "
                   "FROM parquet_metadata(%s) ORDER BY row_group_id, column_id", lit, err) ||
           page_index(path, err);
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
    static const struct option opts[] = {{"pages", no_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    show_pages = false;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': show_pages = true; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("inspect", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        if (argc == optind)
            sl_log_usage(usage, "inspect: no file or folder given");
        else
            sl_log_usage(usage, "inspect: one file or folder, got '%s' and '%s'", argv[optind],
                         argv[optind + 1]);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
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
