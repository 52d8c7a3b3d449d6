/*
 * common.c — what the subcommands share: config loading with reporting,
 * and printing DuckDB results as a table, CSV or JSON.
 */
#include "cmd/cmd.h"
#include "catalog/catalog.h"
#include "util/duck.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cmd_report(const struct sl_err *err)
{
    char buf[2400];
    fprintf(stderr, "snaplake: %s\n", sl_err_format(err, buf, sizeof buf));
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
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void csv_field(const char *v, FILE *out)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void cmd_print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, FILE *out)
{
    size_t ncols = duckdb_column_count(res), nrows = duckdb_row_count(res);
    size_t shown = max_rows && nrows > max_rows ? max_rows : nrows;
    char ***cells = calloc(shown ? shown : 1, sizeof *cells);
    size_t *width = calloc(ncols ? ncols : 1, sizeof *width);
    if (!cells || !width) {
        free(cells);
        free(width);
        return;
    }
    for (size_t c = 0; c < ncols; c++)
        width[c] = text_width(duckdb_column_name(res, c));
    for (size_t r = 0; r < shown; r++) {
        cells[r] = calloc(ncols ? ncols : 1, sizeof **cells);
        for (size_t c = 0; cells[r] && c < ncols; c++) {
            cells[r][c] = duckdb_value_is_null(res, c, r) ? NULL : duckdb_value_varchar(res, c, r);
            size_t w = cells[r][c] ? text_width(cells[r][c]) : 4;
            if (w > width[c])
                width[c] = w;
        }
    }
    if (fmt == FORMAT_JSON) {
        json_t *rows = json_array();
        for (size_t r = 0; r < shown; r++) {
            json_t *o = json_object();
            for (size_t c = 0; cells[r] && c < ncols; c++)
                json_object_set_new(o, duckdb_column_name(res, c),
                                    cells[r][c] ? json_string(cells[r][c]) : json_null());
            json_array_append_new(rows, o);
        }
        json_dumpf(rows, out, JSON_PRESERVE_ORDER | JSON_COMPACT);
        fputc('\n', out);
        json_decref(rows);
    } else if (fmt == FORMAT_CSV) {
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                fputc(',', out);
            csv_field(duckdb_column_name(res, c), out);
        }
        fputc('\n', out);
        for (size_t r = 0; r < shown; r++) {
            for (size_t c = 0; cells[r] && c < ncols; c++) {
                if (c)
                    fputc(',', out);
                if (cells[r][c])
                    csv_field(cells[r][c], out);
            }
            fputc('\n', out);
        }
    } else {
        for (size_t c = 0; c < ncols; c++) {
            const char *name = duckdb_column_name(res, c);
            fprintf(out, "%s%s%*s", c ? " | " : "", name, (int)(width[c] - text_width(name)), "");
        }
        fputc('\n', out);
        for (size_t c = 0; c < ncols; c++) {
            fputs(c ? "-+-" : "", out);
            for (size_t k = 0; k < width[c]; k++)
                fputc('-', out);
        }
        fputc('\n', out);
        for (size_t r = 0; r < shown; r++) {
            for (size_t c = 0; cells[r] && c < ncols; c++) {
                const char *v = cells[r][c] ? cells[r][c] : "NULL";
                fprintf(out, "%s%s%*s", c ? " | " : "", v, (int)(width[c] - text_width(v)), "");
            }
            fputc('\n', out);
        }
        if (shown < nrows)
            fprintf(out, "… %zu more rows\n", nrows - shown);
        fprintf(out, "(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
    }
    for (size_t r = 0; r < shown; r++) {
        for (size_t c = 0; cells[r] && c < ncols; c++)
            duckdb_free(cells[r][c]);
        free(cells[r]);
    }
    free(cells);
    free(width);
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
    duckdb_result res;
    int rc = SL_OK;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        const char *msg = duckdb_result_error(&res);
        rc = sl_err_set(err, false, "query", "", "%s", msg ? msg : "DuckDB error");
    } else {
        cmd_print_result(&res, fmt, max_rows, out);
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
