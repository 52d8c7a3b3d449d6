/*
 * common.c — what the subcommands share: config loading with reporting,
 * and printing DuckDB results as a table, CSV or JSON.
 */
#include "cmd/cmd.h"
#include "catalog/catalog.h"
#include "util/duck.h"
#include "util/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Through the log: "snaplake: error: …", or a JSON line with --log-json. */
void cmd_report(const struct sl_err *err)
{
    char buf[2400];
    sl_log(SL_LOG_ERROR, "%s", sl_err_format(err, buf, sizeof buf));
}

int cmd_load_config(const char *path, struct sl_config *cfg)
{
    struct sl_err err = {0};
    if (config_load(path, cfg, &err)) {
        cmd_report(&err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int cmd_parse_format(const char *s, enum cmd_format *out)
{
    if (!strcmp(s, "table"))
        *out = FORMAT_TABLE;
    else if (!strcmp(s, "csv"))
        *out = FORMAT_CSV;
    else if (!strcmp(s, "json"))
        *out = FORMAT_JSON;
    else
        return SL_ERROR;
    return SL_OK;
}

/* Display width of UTF-8 text: code points, not bytes (good enough for a
 * terminal table; East Asian wide characters count as one). */
static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static void csv_field(const char *v, size_t n, FILE *out)
{
    if (!memchr(v, ',', n) && !memchr(v, '"', n) && !memchr(v, '\n', n) && !memchr(v, '\r', n)) {
        fwrite(v, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"')
            fputc('"', out);
        fputc(v[i], out);
    }
    fputc('"', out);
}

/* One printed value: DuckDB's text, which may hold NUL bytes; p NULL = SQL NULL. */
struct cell {
    char *p;
    size_t n;
};

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

static int all_varchar(duckdb_result *res, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++)
        if (duckdb_column_type(res, c) != DUCKDB_TYPE_VARCHAR)
            return 0;
    return 1;
}

static char *copy_bytes(const char *p, size_t n)
{
    char *x = malloc(n + 1);
    if (x) {
        memcpy(x, p, n);
        x[n] = 0;
    }
    return x;
}

/* The first `shown` rows of a result whose columns are all VARCHAR, through
 * the data-chunk API: the only one that keeps NUL bytes inside strings.
 * Returns the total row count. */
static size_t collect_chunks(duckdb_result *res, size_t ncols, size_t max_rows, struct cell **out)
{
    size_t total = 0, cap = 0;
    struct cell *cells = NULL;
    idx_t nchunks = duckdb_result_chunk_count(*res);
    for (idx_t k = 0; k < nchunks; k++) {
        duckdb_data_chunk chunk = duckdb_result_get_chunk(*res, k);
        size_t n = duckdb_data_chunk_get_size(chunk);
        for (size_t r = 0; r < n; r++, total++) {
            if (max_rows && total >= max_rows)
                continue;
            if (total >= cap) {
                cap = cap ? cap * 2 : 64;
                struct cell *p = realloc(cells, cap * ncols * sizeof *cells);
                if (!p)
                    break;
                cells = p;
            }
            for (size_t c = 0; c < ncols; c++) {
                duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
                uint64_t *valid = duckdb_vector_get_validity(v);
                struct cell *x = &cells[total * ncols + c];
                x->p = NULL;
                x->n = 0;
                if (!valid || duckdb_validity_row_is_valid(valid, r)) {
                    duckdb_string_t *st = (duckdb_string_t *)duckdb_vector_get_data(v) + r;
                    x->n = duckdb_string_t_length(*st);
                    x->p = copy_bytes(duckdb_string_t_data(st), x->n);
                }
            }
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    *out = cells;
    return total;
}

/* Same for any result, value by value (NUL bytes end a value here). */
static size_t collect_values(duckdb_result *res, size_t ncols, size_t max_rows, struct cell **out)
{
    size_t nrows = duckdb_row_count(res);
    size_t shown = max_rows && nrows > max_rows ? max_rows : nrows;
    struct cell *cells = calloc(shown * ncols + 1, sizeof *cells);
    for (size_t r = 0; cells && r < shown; r++)
        for (size_t c = 0; c < ncols; c++) {
            struct cell *x = &cells[r * ncols + c];
            if (!duckdb_value_is_null(res, c, r)) {
                char *v = duckdb_value_varchar(res, c, r);
                x->n = v ? strlen(v) : 0;
                x->p = copy_bytes(v ? v : "", x->n);
                duckdb_free(v);
            }
        }
    *out = cells;
    return nrows;
}

void cmd_print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, FILE *out)
{
    size_t ncols = duckdb_column_count(res);
    struct cell *cells = NULL;
    size_t nrows = all_varchar(res, ncols) ? collect_chunks(res, ncols, max_rows, &cells)
                                          : collect_values(res, ncols, max_rows, &cells);
    size_t shown = max_rows && nrows > max_rows ? max_rows : nrows;
    size_t *width = calloc(ncols + 1, sizeof *width);
    if ((!cells && shown) || !width) {
        free(cells);
        free(width);
        return;
    }
    for (size_t c = 0; c < ncols; c++)
        width[c] = text_width(duckdb_column_name(res, c), strlen(duckdb_column_name(res, c)));
    for (size_t k = 0; k < shown * ncols; k++) {
        size_t w = cells[k].p ? text_width(cells[k].p, cells[k].n) : 4;
        if (w > width[k % ncols])
            width[k % ncols] = w;
    }
    if (fmt == FORMAT_JSON) {
        json_t *rows = json_array();
        for (size_t r = 0; r < shown; r++) {
            json_t *o = json_object();
            for (size_t c = 0; c < ncols; c++) {
                struct cell *x = &cells[r * ncols + c];
                json_object_set_new(o, duckdb_column_name(res, c),
                                    x->p ? json_stringn(x->p, x->n) : json_null());
            }
            json_array_append_new(rows, o);
        }
        json_dumpf(rows, out, JSON_PRESERVE_ORDER | JSON_COMPACT);
        fputc('\n', out);
        json_decref(rows);
    } else if (fmt == FORMAT_CSV) {
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                fputc(',', out);
            csv_field(duckdb_column_name(res, c), strlen(duckdb_column_name(res, c)), out);
        }
        fputc('\n', out);
        for (size_t r = 0; r < shown; r++) {
            for (size_t c = 0; c < ncols; c++) {
                struct cell *x = &cells[r * ncols + c];
                if (c)
                    fputc(',', out);
                if (x->p)
                    csv_field(x->p, x->n, out);
            }
            fputc('\n', out);
        }
    } else {
        for (size_t c = 0; c < ncols; c++) {
            const char *name = duckdb_column_name(res, c);
            fprintf(out, "%s%s", c ? " | " : "", name);
            pad(out, width[c] - text_width(name, strlen(name)));
        }
        fputc('\n', out);
        for (size_t c = 0; c < ncols; c++) {
            fputs(c ? "-+-" : "", out);
            for (size_t k = 0; k < width[c]; k++)
                fputc('-', out);
        }
        fputc('\n', out);
        for (size_t r = 0; r < shown; r++) {
            for (size_t c = 0; c < ncols; c++) {
                struct cell *x = &cells[r * ncols + c];
                fputs(c ? " | " : "", out);
                if (x->p)
                    fwrite(x->p, 1, x->n, out);
                else
                    fputs("NULL", out);
                pad(out, width[c] - (x->p ? text_width(x->p, x->n) : 4));
            }
            fputc('\n', out);
        }
        if (shown < nrows)
            fprintf(out, "… %zu more rows\n", nrows - shown);
        fprintf(out, "(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
    }
    for (size_t k = 0; k < shown * ncols; k++)
        free(cells[k].p);
    free(cells);
    free(width);
}

/* The last statement of a script that holds more than blanks and comments:
 * [*start, *end), outside quotes and comments.  "SET x = 1; SELECT …" runs
 * its SET as is and its SELECT through the VARCHAR cast. */
static void last_statement(const char *sql, size_t *start, size_t *end)
{
    size_t cur = 0, i = 0;
    int content = 0;
    char quote = 0;
    *start = 0;
    *end = strlen(sql);
    while (sql[i]) {
        char ch = sql[i];
        if (quote) {
            if (ch == quote)
                quote = 0;
        } else if (ch == '-' && sql[i + 1] == '-') {
            while (sql[i] && sql[i] != '\n')
                i++;
            continue;
        } else if (ch == '/' && sql[i + 1] == '*') {
            const char *e = strstr(sql + i + 2, "*/");
            i = e ? (size_t)(e - sql) + 2 : strlen(sql);
            continue;
        } else if (ch == ';') {
            if (content)
                *end = i;
            cur = i + 1;
            content = 0;
        } else if (!strchr(" \t\r\n", ch)) {
            if (ch == '\'' || ch == '"')
                quote = ch;
            if (!content) {
                content = 1;
                *start = cur;
                *end = strlen(sql);
            }
        }
        i++;
    }
}

int cmd_query_lake(const char *lake, const char *sql, enum cmd_format fmt, size_t max_rows,
                   FILE *out, struct sl_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", lake, CATALOG_DUCKDB_FILE);
    struct stat st;
    if (stat(path, &st) != 0)
        return sl_err_set(err, false, "query", path,
                          "no published run in this lake yet; run `snaplake run` first");
    duckdb_database db;
    duckdb_connection con;
    if (duck_open_readonly(path, &db, &con, err, "query"))
        return SL_ERROR;
    /* Every value through DuckDB's own VARCHAR cast: the C API's per-value
     * accessors cannot print TIMESTAMPTZ, LIST, STRUCT or UUID values.  A
     * statement that is not a query (PRAGMA, SHOW …) runs as it is. */
    duckdb_result res;
    int rc = SL_OK, have_res = 0;
    size_t start, end;
    last_statement(sql, &start, &end);
    char *head = strndup(sql, start), *body = strndup(sql + start, end - start), *wrapped = NULL;
    if (!head || !body)
        rc = sl_err_set(err, false, "query", "", "out of memory");
    else if (start && duck_exec(con, head, err, "query", ""))
        rc = SL_ERROR;
    if (rc == SL_OK) {
        if (asprintf(&wrapped, "SELECT COLUMNS(*)::VARCHAR FROM (\n%s\n)", body) < 0)
            wrapped = NULL;
        have_res = 1;
        if (!wrapped || duckdb_query(con, wrapped, &res) == DuckDBError) {
            if (wrapped)
                duckdb_destroy_result(&res);
            if (duckdb_query(con, body, &res) == DuckDBError) {
                char msg[1400];
                rc = sl_err_set(err, false, "query", "", "%s",
                                duck_error_text(duckdb_result_error(&res), msg, sizeof msg));
            }
        }
    }
    if (rc == SL_OK)
        cmd_print_result(&res, fmt, max_rows, out);
    if (have_res)
        duckdb_destroy_result(&res);
    free(head);
    free(body);
    free(wrapped);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
