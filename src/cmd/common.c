/*
 * common.c — what the subcommands share: config loading with reporting,
 * and printing DuckDB results as a table, CSV or JSON.
 */
#include "cmd/cmd.h"
#include "catalog/catalog.h"
#include "engine/engine.h"
#include "util/duck.h"
#include "util/log.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Through the log: "snaplake: error: …", or a JSON line with --log-json. */
void cmd_report(const struct sl_err *err)
{
    char buf[2400];
    sl_log(SL_LOG_ERROR, "%s", sl_err_format(err, buf, sizeof buf));
}

void cmd_option_error(const char *cmd, const char *usage, int c, char **argv)
{
    if (c == ':')
        sl_log_usage(usage, "%s: option '%s' needs a value", cmd, argv[optind - 1]);
    else if (optopt)
        sl_log_usage(usage, "%s: unknown option '-%c'", cmd, optopt);
    else
        sl_log_usage(usage, "%s: unknown option '%s'", cmd, argv[optind - 1]);
}

int cmd_parse_int(const char *cmd, const char *option, const char *text, long long min,
                  long long max, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    bool digits = (text[0] >= '0' && text[0] <= '9') ||
                  (text[0] == '-' && text[1] >= '0' && text[1] <= '9');
    if (!digits || *end || errno || n < min || n > max) {
        if (max == LLONG_MAX)
            sl_log_usage(NULL, "%s: %s must be an integer of at least %lld, got '%s'", cmd,
                         option, min, text);
        else
            sl_log_usage(NULL, "%s: %s must be an integer between %lld and %lld, got '%s'", cmd,
                         option, min, max, text);
        return SL_ERROR;
    }
    *out = n;
    return SL_OK;
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

/* JSON text of a column name. */
static void json_key(const char *name, FILE *out)
{
    json_t *k = json_string(name);
    char *text = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
    fputs(text ? text : "\"\"", out);
    free(text);
    json_decref(k);
}

/* A value from DuckDB's to_json, which writes NaN, Infinity and -Infinity
 * bare (not JSON): those become the strings "NaN", "Infinity", "-Infinity"
 * (as protobuf's JSON mapping does); everything else is copied. */
static void json_value(const char *v, size_t n, FILE *out)
{
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (in_string) {
            if (ch == '\\' && i + 1 < n) {
                fputc(ch, out);
                ch = v[++i];
            } else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
        } else if (ch == 'N' || ch == 'I' || (ch == '-' && i + 1 < n && v[i + 1] == 'I')) {
            size_t k = i + (ch == '-');
            const char *word = v[k] == 'N' ? "NaN" : "Infinity";
            size_t len = strlen(word);
            if (k + len <= n && !memcmp(v + k, word, len)) {
                fprintf(out, "\"%s%s\"", ch == '-' ? "-" : "", word);
                i = k + len - 1;
                continue;
            }
        }
        fputc(ch, out);
    }
}

static void print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, int raw_json,
                         FILE *out);

void cmd_print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, FILE *out)
{
    print_result(res, fmt, max_rows, 0, out);
}

/* raw_json: every column holds to_json text (JSON format only). */
static void print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, int raw_json,
                         FILE *out)
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
    if (fmt == FORMAT_JSON && raw_json) {
        fputc('[', out);
        for (size_t r = 0; r < shown; r++) {
            fputs(r ? ",{" : "{", out);
            for (size_t c = 0; c < ncols; c++) {
                struct cell *x = &cells[r * ncols + c];
                if (c)
                    fputc(',', out);
                json_key(duckdb_column_name(res, c), out);
                fputc(':', out);
                if (x->p)
                    json_value(x->p, x->n, out);
                else
                    fputs("null", out);
            }
            fputc('}', out);
        }
        fputs("]\n", out);
    } else if (fmt == FORMAT_JSON) {
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

/* ---- snaplake query ----------------------------------------------------- */

/* Skip blanks and comments from sql[i]; returns the next index. */
static size_t skip_blank(const char *sql, size_t i)
{
    for (;;) {
        if (sql[i] && strchr(" \t\r\n\f\v", sql[i]))
            i++;
        else if (sql[i] == '-' && sql[i + 1] == '-')
            while (sql[i] && sql[i] != '\n')
                i++;
        else if (sql[i] == '/' && sql[i + 1] == '*') {
            const char *e = strstr(sql + i + 2, "*/");
            i = e ? (size_t)(e - sql) + 2 : strlen(sql);
        } else
            return i;
    }
}

bool cmd_sql_is_blank(const char *sql)
{
    size_t i = skip_blank(sql, 0);
    while (sql[i] == ';')
        i = skip_blank(sql, i + 1);
    return !sql[i];
}

/* One statement of a script: sql[start, end), without its ';'. */
struct stmt {
    size_t start, end;
};

/* Split a script at ';' outside quotes and comments, dropping empty
 * statements.  *out is the caller's to free.  DuckDB has no C API for a
 * statement's text, so the caller checks that DuckDB's parser counts as
 * many statements. */
static int split_statements(const char *sql, struct stmt **out, size_t *n)
{
    size_t cap = 0, i = 0;
    *out = NULL;
    *n = 0;
    for (;;) {
        i = skip_blank(sql, i);
        if (!sql[i])
            return SL_OK;
        if (sql[i] == ';') {
            i++;
            continue;
        }
        size_t start = i;
        char quote = 0;
        while (sql[i] && (quote || sql[i] != ';')) {
            char ch = sql[i];
            if (quote) {
                if (ch == quote)
                    quote = 0;
            } else if ((ch == '-' && sql[i + 1] == '-') || (ch == '/' && sql[i + 1] == '*')) {
                i = skip_blank(sql, i);
                continue;
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
            }
            i++;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            struct stmt *p = realloc(*out, cap * sizeof *p);
            if (!p)
                return SL_ERROR;
            *out = p;
        }
        (*out)[(*n)++] = (struct stmt){start, i};
    }
}

/* First word of a statement, for messages: "COPY", "ATTACH" … */
static void first_word(const char *s, char *out, size_t size)
{
    size_t i = skip_blank(s, 0), o = 0;
    while (s[i] == '(')
        i = skip_blank(s, i + 1);
    while (o + 1 < size &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
        out[o++] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]), i++;
    out[o] = 0;
}

/* Refuse anything but a query, before it is bound: DuckDB's own parser
 * decides (json_serialize_sql serializes SELECT statements only; SHOW,
 * DESCRIBE, SUMMARIZE, FROM-first and VALUES are SELECTs to it).  Binding
 * is not harmless: EXPORT DATABASE creates its folder while being prepared. */
static int check_query(duckdb_connection con, const char *body, size_t index, size_t count,
                       struct sl_err *err)
{
    /* EXPLAIN [ANALYZE] of a query is a query too: check what it explains. */
    char word[32];
    first_word(body, word, sizeof word);
    if (!strcmp(word, "EXPLAIN")) {
        const char *rest = body + skip_blank(body, 0) + strlen(word);
        first_word(rest, word, sizeof word);
        if (!strcmp(word, "ANALYZE"))
            rest += skip_blank(rest, 0) + strlen(word);
        return check_query(con, rest, index, count, err);
    }
    duckdb_prepared_statement ps = NULL;
    duckdb_result res;
    int rc = SL_ERROR, have_res = 0;
    static const char parse[] = "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR";
    if (duckdb_prepare(con, parse, &ps) == DuckDBError ||
        duckdb_bind_varchar(ps, 1, body) == DuckDBError) {
        sl_err_set(err, false, "query", "", "cannot check the statement: %s",
                   duckdb_prepare_error(ps) ? duckdb_prepare_error(ps) : "DuckDB error");
        goto out;
    }
    have_res = 1;
    if (duckdb_execute_prepared(ps, &res) == DuckDBError || duckdb_row_count(&res) != 1) {
        sl_err_set(err, false, "query", "", "cannot check the statement: %s",
                   duckdb_result_error(&res) ? duckdb_result_error(&res) : "DuckDB error");
        goto out;
    }
    char *text = duckdb_value_varchar(&res, 0, 0);
    /* As reals: query_location holds 2^64-1, beyond jansson's integers. */
    json_t *j = text ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
    duckdb_free(text);
    if (json_is_false(json_object_get(j, "error"))) {
        rc = SL_OK;
    } else {
        char where[64] = "";
        if (count > 1)
            snprintf(where, sizeof where, "statement %zu: ", index + 1);
        const char *m = json_string_value(json_object_get(j, "error_message"));
        if (m && !strstr(m, "Only SELECT"))
            sl_err_set(err, false, "query", "", "%s%s", where, m);
        else
            sl_err_set(err, false, "query", "",
                       "%s%s is refused: snaplake query only reads the lake (SELECT, WITH, "
                       "FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN); statements that write, "
                       "attach, install, load or change settings are not run. To save a "
                       "result, redirect --format csv or json to a file",
                       where, word[0] ? word : "this statement");
    }
    json_decref(j);
out:
    if (have_res)
        duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&ps);
    return rc;
}

/* The file a DuckDB error names, if any, into file[size]. */
static void error_file(const char *msg, char *file, size_t size)
{
    static const char *const marks[] = {"No files found that match the pattern \"",
                                        "Cannot access file \""};
    file[0] = 0;
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *p = strstr(msg, marks[i]);
        if (p) {
            p += strlen(marks[i]);
            snprintf(file, size, "%.*s", (int)strcspn(p, "\""), p);
            return;
        }
    }
}

/* Where a lake was, from a path of its layout outside it
 * ("/old/lake/raw/t/run=X/part-0.parquet" → "/old/lake"); 0 if not such a path. */
static int old_lake(const char *file, char *out, size_t size)
{
    static const char *const layers[] = {"/raw/", "/stage1/", "/stage2/"};
    if (!strstr(file, "/run="))
        return 0;
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const char *p = strstr(file, layers[i]);
        if (p) {
            snprintf(out, size, "%.*s", (int)(p - file), file);
            return 1;
        }
    }
    return 0;
}

/* DuckDB's message for a failed query, with what to do for the failures a
 * confined query meets: a file of the published run that is gone, a
 * catalog that still reads the folder the lake was moved from (written by a
 * snaplake whose views held absolute paths), a file outside the lake. */
static int query_error(const char *duck_msg, const char *root, const char *catalog,
                       struct sl_err *err)
{
    char msg[1400], file[1024], was[1024];
    duck_error_text(duck_msg, msg, sizeof msg);
    error_file(msg, file, sizeof file);
    size_t rn = strlen(root);
    int inside = file[0] && !strncmp(file, root, rn) && file[rn] == '/';
    if (inside && strstr(msg, "No files found"))
        return sl_err_set(err, false, "query", file,
                          "a file of the published run is missing from the lake: restore it "
                          "from a copy of the lake, or publish a new run with `snaplake run`");
    if (file[0] && !inside && old_lake(file, was, sizeof was))
        return sl_err_set(err, false, "query", catalog,
                          "the catalog reads %s, outside this lake: the lake was moved or copied "
                          "from %s to %s, and its catalog is from an older snaplake that stored "
                          "absolute paths. Publish a new run here with `snaplake run` (or move "
                          "the lake back); newer catalogs follow the lake",
                          file, was, root);
    if (strstr(msg, "Permission Error"))
        return sl_err_set(err, false, "query", "",
                          "snaplake query reads only files inside the lake (%s): %s", root, msg);
    return sl_err_set(err, false, "query", "", "%s", msg);
}

/* Run exactly one statement (duckdb_query would run every statement of
 * the text; prepare refuses more than one) into *res, which the caller
 * destroys on success.  On error *msg is DuckDB's message, caller frees. */
static int run_one(duckdb_connection con, const char *sql, duckdb_result *res, char **msg)
{
    duckdb_prepared_statement ps = NULL;
    int rc = SL_OK;
    *msg = NULL;
    if (duckdb_prepare(con, sql, &ps) == DuckDBError) {
        const char *m = duckdb_prepare_error(ps);
        *msg = strdup(m ? m : "DuckDB error");
        rc = SL_ERROR;
    } else if (duckdb_execute_prepared(ps, res) == DuckDBError) {
        const char *m = duckdb_result_error(res);
        *msg = strdup(m ? m : "DuckDB error");
        duckdb_destroy_result(res);
        rc = SL_ERROR;
    }
    duckdb_destroy_prepare(&ps);
    return rc;
}

/* Run one query and print it.  Every value goes through DuckDB's own
 * conversion, in DuckDB: to_json for JSON (numbers, lists, structs, NULL
 * and booleans keep their JSON types; big integers and decimals keep every
 * digit), the VARCHAR cast for table and CSV (the C API's per-value
 * accessors cannot print TIMESTAMPTZ, LIST, STRUCT or UUID values).  A
 * query that cannot be wrapped so is printed as it comes. */
static int run_query(duckdb_connection con, const char *body, enum cmd_format fmt, size_t max_rows,
                     const char *root, const char *catalog, FILE *out, struct sl_err *err)
{
    char *wrapped = NULL;
    int raw_json = fmt == FORMAT_JSON;
    if (asprintf(&wrapped, "SELECT %s FROM (\n%s\n)",
                 raw_json ? "to_json(COLUMNS(*))::VARCHAR" : "COLUMNS(*)::VARCHAR", body) < 0)
        return sl_err_set(err, false, "query", "", "out of memory");
    duckdb_result res;
    int rc = SL_OK;
    char *msg = NULL;
    if (run_one(con, wrapped, &res, &msg)) {
        free(msg);
        raw_json = 0;
        if (run_one(con, body, &res, &msg))
            rc = query_error(msg, root, catalog, err);
    }
    if (rc == SL_OK) {
        print_result(&res, fmt, max_rows, raw_json, out);
        duckdb_destroy_result(&res);
    }
    free(msg);
    free(wrapped);
    return rc;
}

/* The statements of a script, each its own string: *out (n entries) is the
 * caller's to free with free_statements.  DuckDB's parser must find as many
 * statements as split_statements, so both agree on where they are. */
static int script_statements(duckdb_connection con, const char *sql, char ***out, size_t *n,
                             struct sl_err *err)
{
    duckdb_extracted_statements ex = NULL;
    struct stmt *at = NULL;
    int rc = SL_ERROR;
    *out = NULL;
    *n = 0;
    idx_t count = duckdb_extract_statements(con, sql, &ex);
    size_t nat = 0;
    if (count == 0) {
        const char *m = duckdb_extract_statements_error(ex);
        char msg[1400];
        sl_err_set(err, false, "query", "", "%s",
                   m ? duck_error_text(m, msg, sizeof msg) : "the SQL holds no statement");
    } else if (split_statements(sql, &at, &nat) || !(*out = calloc(nat, sizeof **out))) {
        sl_err_set(err, false, "query", "", "out of memory");
    } else if (nat != count) {
        sl_err_set(err, false, "query", "",
                   "cannot tell where the script's %llu statements begin and end (a quoting "
                   "form snaplake does not split); run them one at a time",
                   (unsigned long long)count);
    } else {
        rc = SL_OK;
        for (*n = 0; *n < nat && rc == SL_OK; ++*n)
            if (!((*out)[*n] = strndup(sql + at[*n].start, at[*n].end - at[*n].start)))
                rc = sl_err_set(err, false, "query", "", "out of memory");
    }
    duckdb_destroy_extracted(&ex);
    free(at);
    return rc;
}

static void free_statements(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

int cmd_query_lake(const char *lake, const char *sql, enum cmd_format fmt, size_t max_rows,
                   FILE *out, struct sl_err *err)
{
    char root[PATH_MAX], path[PATH_MAX + 32] = "";
    struct stat st;
    if (realpath(lake, root))
        snprintf(path, sizeof path, "%s/%s", root, CATALOG_DUCKDB_FILE);
    if (!path[0] || stat(path, &st) != 0)
        return sl_err_set(err, false, "query", lake,
                          "no published run in this lake yet; run `snaplake run` first");
    duckdb_database db;
    duckdb_connection con;
    if (duck_open_readonly(path, &db, &con, err, "query"))
        return SL_ERROR;
    /* The views read the lake where it is now (catalog/duckdb.c), and
     * nothing else: the catalog is open read-only, the database may read
     * files of the lake only, and only queries run (check_query). */
    char lit[PATH_MAX * 2 + 3], set[PATH_MAX * 2 + 64], **stmts = NULL;
    size_t n = 0;
    int rc = SL_ERROR;
    engine_sql_literal(root, lit, sizeof lit);
    snprintf(set, sizeof set, "SET VARIABLE %s = %s", CATALOG_LAKE_VARIABLE, lit);
    if (duck_exec(con, set, err, "query", path) || duck_confine(con, root, err, "query") ||
        script_statements(con, sql, &stmts, &n, err))
        goto out;
    /* Every statement is checked before any runs: a script that ends in a
     * COPY prints nothing. */
    for (size_t k = 0; k < n; k++)
        if (check_query(con, stmts[k], k, n, err))
            goto out;
    for (size_t k = 0; k < n; k++) {
        /* Several results: one after the other, a blank line between
         * tables and CSV blocks, one JSON array per line. */
        if (k && fmt != FORMAT_JSON)
            fputc('\n', out);
        if (run_query(con, stmts[k], fmt, max_rows, root, path, out, err)) {
            if (n > 1)
                sl_err_context(err, "statement %zu", k + 1);
            goto out;
        }
    }
    rc = SL_OK;
out:
    free_statements(stmts, n);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
