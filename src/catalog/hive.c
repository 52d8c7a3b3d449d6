/*
 * hive.c — see hive.h.  A small recursive-descent parser over DuckDB's type
 * spelling (what sl_type_sql writes and DESCRIBE prints), writing the
 * dialect's type as it goes.
 */
#include "catalog/hive.h"
#include "util/duck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

struct parse {
    const char *p;
    enum hive_dialect dialect;
    const char *column;
    struct sl_err *err;
};

int hive_dialect_parse(const char *s, enum hive_dialect *out)
{
    if (!strcmp(s, "hive"))
        *out = HIVE_DIALECT_HIVE;
    else if (!strcmp(s, "athena"))
        *out = HIVE_DIALECT_ATHENA;
    else if (!strcmp(s, "trino"))
        *out = HIVE_DIALECT_TRINO;
    else
        return SL_ERROR;
    return SL_OK;
}

static int fail(struct parse *ps, const char *fmt, const char *what)
{
    return sl_err_set(ps->err, false, "catalog", ps->column, fmt, what);
}

static void blanks(struct parse *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

/* Append to out (size bytes, NUL-terminated); SL_ERROR when it is full. */
static int put(struct parse *ps, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int put(struct parse *ps, char *out, size_t size, const char *fmt, ...)
{
    size_t len = strlen(out);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + len, size - len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - len)
        return sl_err_set(ps->err, false, "catalog", ps->column,
                          "type too long for the catalog (over %d characters)", HIVE_TYPE_MAX);
    return SL_OK;
}

/* The next word (letters, digits, '_'), uppercased into w. */
static void word(struct parse *ps, char *w, size_t size)
{
    size_t n = 0;
    blanks(ps);
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_') {
        if (n + 1 < size)
            w[n++] = (char)toupper((unsigned char)*ps->p);
        ps->p++;
    }
    w[n] = 0;
}

/* Consume the words of `phrase` ("WITH TIME ZONE") if they come next. */
static bool phrase(struct parse *ps, const char *phrase)
{
    const char *save = ps->p;
    char want[64], w[64];
    snprintf(want, sizeof want, "%s", phrase);
    for (char *tok = strtok(want, " "); tok; tok = strtok(NULL, " ")) {
        word(ps, w, sizeof w);
        if (strcmp(w, tok)) {
            ps->p = save;
            return false;
        }
    }
    return true;
}

static int parse_type(struct parse *ps, char *out, size_t size, int depth);

/* "(p,s)" after DECIMAL; DuckDB's default is (18,3). */
static int decimal_args(struct parse *ps, char *out, size_t size)
{
    long p = 18, s = 3;
    blanks(ps);
    if (*ps->p == '(') {
        char *end;
        p = strtol(ps->p + 1, &end, 10);
        s = 0;
        while (isspace((unsigned char)*end))
            end++;
        if (*end == ',')
            s = strtol(end + 1, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (*end != ')')
            return fail(ps, "cannot read the decimal type near '%s'", ps->p);
        ps->p = end + 1;
    }
    if (p < 1 || p > 38 || s < 0 || s > p)
        return fail(ps, "decimal precision and scale out of Hive's range (1..38) near '%s'", ps->p);
    return put(ps, out, size, "decimal(%ld,%ld)", p, s);
}

static bool plain_name(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* STRUCT(a T, "b c" U): Hive struct<a:t,`b c`:u>, Trino row(a t, "b c" u). */
static int struct_args(struct parse *ps, char *out, size_t size, int depth)
{
    bool trino = ps->dialect == HIVE_DIALECT_TRINO;
    if (put(ps, out, size, trino ? "row(" : "struct<"))
        return SL_ERROR;
    blanks(ps);
    if (*ps->p++ != '(')
        return fail(ps, "cannot read the struct type near '%s'", ps->p - 1);
    for (int i = 0;; i++) {
        char name[256];
        size_t n = 0;
        blanks(ps);
        if (*ps->p == '"') {
            for (ps->p++; *ps->p && !(ps->p[0] == '"' && ps->p[1] != '"'); ps->p++) {
                if (*ps->p == '"')
                    ps->p++; /* "" inside a quoted name */
                if (n + 1 < sizeof name)
                    name[n++] = *ps->p;
            }
            if (*ps->p != '"')
                return fail(ps, "unterminated field name in '%s'", "STRUCT");
            ps->p++;
        } else {
            while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
                if (n + 1 < sizeof name)
                    name[n++] = *ps->p++;
                else
                    ps->p++;
        }
        name[n] = 0;
        if (!n)
            return fail(ps, "cannot read a struct field near '%s'", ps->p);
        const char *q = plain_name(name) ? "" : trino ? "\"" : "`";
        char field[HIVE_TYPE_MAX] = "";
        if (parse_type(ps, field, sizeof field, depth + 1) ||
            put(ps, out, size, "%s%s%s%s%s%s", i ? (trino ? ", " : ",") : "", q, name, q,
                trino ? " " : ":", field))
            return SL_ERROR;
        blanks(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p != ')')
            return fail(ps, "cannot read the struct type near '%s'", ps->p);
        ps->p++;
        return put(ps, out, size, trino ? ")" : ">");
    }
}

/* MAP(K, V). */
static int map_args(struct parse *ps, char *out, size_t size, int depth)
{
    bool trino = ps->dialect == HIVE_DIALECT_TRINO;
    char k[HIVE_TYPE_MAX] = "", v[HIVE_TYPE_MAX] = "";
    blanks(ps);
    if (*ps->p++ != '(' || parse_type(ps, k, sizeof k, depth + 1))
        return ps->err && ps->err->set ? SL_ERROR
                                       : fail(ps, "cannot read the map type near '%s'", ps->p);
    blanks(ps);
    if (*ps->p++ != ',' || parse_type(ps, v, sizeof v, depth + 1))
        return ps->err && ps->err->set ? SL_ERROR
                                       : fail(ps, "cannot read the map type near '%s'", ps->p);
    blanks(ps);
    if (*ps->p++ != ')')
        return fail(ps, "cannot read the map type near '%s'", ps->p - 1);
    return put(ps, out, size, trino ? "map(%s, %s)" : "map<%s,%s>", k, v);
}

/* Skip "(…)" with nesting (ENUM('a','b'), VARCHAR(10)). */
static void skip_args(struct parse *ps)
{
    blanks(ps);
    if (*ps->p != '(')
        return;
    int level = 0;
    bool quoted = false;
    for (; *ps->p; ps->p++) {
        if (*ps->p == '\'')
            quoted = !quoted;
        else if (!quoted && *ps->p == '(')
            level++;
        else if (!quoted && *ps->p == ')' && --level == 0) {
            ps->p++;
            return;
        }
    }
}

/* A scalar type's name in the dialect, NULL when Hive has none. */
static const char *scalar(struct parse *ps, const char *w)
{
    bool trino = ps->dialect == HIVE_DIALECT_TRINO;
    static const struct {
        const char *duck, *hive, *trino;
    } map[] = {
        {"BOOLEAN", "boolean", "boolean"},
        {"BOOL", "boolean", "boolean"},
        {"TINYINT", "tinyint", "tinyint"},
        {"INT1", "tinyint", "tinyint"},
        {"SMALLINT", "smallint", "smallint"},
        {"INT2", "smallint", "smallint"},
        {"INTEGER", "int", "integer"},
        {"INT", "int", "integer"},
        {"INT4", "int", "integer"},
        {"BIGINT", "bigint", "bigint"},
        {"INT8", "bigint", "bigint"},
        /* unsigned: the next wider signed type holds every value */
        {"UTINYINT", "smallint", "smallint"},
        {"USMALLINT", "int", "integer"},
        {"UINTEGER", "bigint", "bigint"},
        {"UBIGINT", "decimal(20,0)", "decimal(20,0)"},
        {"HUGEINT", "decimal(38,0)", "decimal(38,0)"},
        {"FLOAT", "float", "real"},
        {"REAL", "float", "real"},
        {"FLOAT4", "float", "real"},
        {"DOUBLE", "double", "double"},
        {"FLOAT8", "double", "double"},
        {"VARCHAR", "string", "varchar"},
        {"STRING", "string", "varchar"},
        {"TEXT", "string", "varchar"},
        {"JSON", "string", "varchar"},
        {"ENUM", "string", "varchar"},
        {"BLOB", "binary", "varbinary"},
        {"BYTEA", "binary", "varbinary"},
        {"UUID", "binary", "varbinary"},
        {"DATE", "date", "date"},
        {"TIME", "bigint", "bigint"},
        {"TIMESTAMP", "timestamp", "timestamp(6)"},
        {"DATETIME", "timestamp", "timestamp(6)"},
        {"TIMESTAMPTZ", "timestamp", "timestamp(6)"},
        {"TIMESTAMP_US", "timestamp", "timestamp(6)"},
        {"TIMESTAMP_MS", "timestamp", "timestamp(3)"},
        {"TIMESTAMP_S", "timestamp", "timestamp(0)"},
        {"TIMESTAMP_NS", "timestamp", "timestamp(9)"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(w, map[i].duck))
            return trino ? map[i].trino : map[i].hive;
    return NULL;
}

static int parse_type(struct parse *ps, char *out, size_t size, int depth)
{
    char w[64], elem[HIVE_TYPE_MAX] = "";
    if (depth > MAX_DEPTH)
        return fail(ps, "type nested too deeply: '%s'", ps->p);
    word(ps, w, sizeof w);
    int rc;
    if (!strcmp(w, "DECIMAL") || !strcmp(w, "NUMERIC")) {
        rc = decimal_args(ps, elem, sizeof elem);
    } else if (!strcmp(w, "STRUCT")) {
        rc = struct_args(ps, elem, sizeof elem, depth);
    } else if (!strcmp(w, "MAP")) {
        rc = map_args(ps, elem, sizeof elem, depth);
    } else if (!w[0]) {
        return fail(ps, "cannot read the type near '%s'", ps->p);
    } else {
        /* Multi-word spellings first: TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION. */
        if ((!strcmp(w, "TIMESTAMP") || !strcmp(w, "TIME")) && phrase(ps, "WITH TIME ZONE")) {
            if (!strcmp(w, "TIME"))
                return fail(ps,
                            "type '%s' has no Hive type: cast it in the model "
                            "(e.g. to a string or to microseconds as BIGINT)",
                            "TIME WITH TIME ZONE");
            snprintf(w, sizeof w, "TIMESTAMPTZ");
        } else if (!strcmp(w, "DOUBLE")) {
            phrase(ps, "PRECISION");
        }
        const char *t = scalar(ps, w);
        if (!t)
            return fail(ps,
                        "type '%s' has no Hive type: cast it in the model "
                        "(an INTERVAL to seconds, a UNION or BIT to a string)",
                        w);
        skip_args(ps); /* VARCHAR(10), ENUM('a','b') */
        rc = put(ps, elem, sizeof elem, "%s", t);
    }
    if (rc)
        return SL_ERROR;
    /* Suffixes: T[] and T[n] are lists (arrays), innermost first. */
    for (blanks(ps); *ps->p == '['; blanks(ps)) {
        const char *close = strchr(ps->p, ']');
        if (!close)
            return fail(ps, "cannot read the list type near '%s'", ps->p);
        ps->p = close + 1;
        char wrapped[HIVE_TYPE_MAX] = "";
        if (put(ps, wrapped, sizeof wrapped,
                ps->dialect == HIVE_DIALECT_TRINO ? "array(%s)" : "array<%s>", elem))
            return SL_ERROR;
        memcpy(elem, wrapped, sizeof elem);
    }
    return put(ps, out, size, "%s", elem);
}

int hive_type(const char *duckdb_type, enum hive_dialect dialect, const char *column, char *out,
              size_t size, struct sl_err *err)
{
    struct parse ps = {duckdb_type, dialect, column ? column : "", err};
    if (size)
        out[0] = 0;
    if (parse_type(&ps, out, size, 0))
        return SL_ERROR;
    blanks(&ps);
    if (*ps.p)
        return sl_err_set(err, false, "catalog", ps.column,
                          "cannot read the type '%s' (unexpected '%s')", duckdb_type, ps.p);
    return SL_OK;
}

int hive_file_columns(const char *path, struct hive_column **cols, int *n, struct sl_err *err)
{
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    *cols = NULL;
    *n = 0;
    if (duck_open(NULL, &db, &con, err, "catalog"))
        return SL_ERROR;
    /* The path as a SQL string literal: quotes doubled. */
    size_t len = strlen(path);
    char *sql = malloc(2 * len + 64), *o;
    int rc = SL_ERROR;
    if (!sql) {
        sl_err_set(err, false, "catalog", path, "out of memory");
        goto out;
    }
    o = sql + sprintf(sql, "DESCRIBE SELECT * FROM read_parquet('");
    for (const char *p = path; *p; p++) {
        if (*p == '\'')
            *o++ = '\'';
        *o++ = *p;
    }
    /* The run folder is named run=<id>: without hive_partitioning = false
     * DuckDB would add a `run` column that the file does not hold. */
    strcpy(o, "', hive_partitioning = false)");
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        char msg[1024];
        sl_err_set(err, false, "catalog", path, "cannot read the file's schema: %s",
                   duck_error_text(duckdb_result_error(&res), msg, sizeof msg));
        duckdb_destroy_result(&res);
        goto out;
    }
    idx_t rows = duckdb_row_count(&res);
    *cols = calloc(rows ? rows : 1, sizeof **cols);
    if (!*cols) {
        sl_err_set(err, false, "catalog", path, "out of memory");
        duckdb_destroy_result(&res);
        goto out;
    }
    for (idx_t r = 0; r < rows; r++) {
        char *name = duckdb_value_varchar(&res, 0, r), *type = duckdb_value_varchar(&res, 1, r);
        snprintf((*cols)[r].name, sizeof(*cols)[r].name, "%s", name ? name : "");
        snprintf((*cols)[r].sql, sizeof(*cols)[r].sql, "%s", type ? type : "");
        duckdb_free(name);
        duckdb_free(type);
    }
    *n = (int)rows;
    duckdb_destroy_result(&res);
    rc = SL_OK;
out:
    free(sql);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

int hive_dataset_columns(const struct lake_dataset *d, struct store *store,
                         struct hive_column **cols, int *n, struct sl_err *err)
{
    *cols = NULL;
    *n = 0;
    char local[PATH_MAX];
    bool have_file = d->files > 0 && store->type->local_path(store->ctx, d->file[0].path, local,
                                                             sizeof local) == SL_OK;
    /* A model's file is the truth about its columns: the engine's schema
     * has no STRUCT, MAP or INTERVAL (it calls them text), so read the
     * footer when the file is here.  Raw tables' schema is what our writer
     * wrote, by construction. */
    if (have_file && strcmp(d->layer, "raw")) {
        if (hive_file_columns(local, cols, n, err)) {
            sl_err_context(err, "%s.%s", d->layer, d->name);
            return SL_ERROR;
        }
        return SL_OK;
    }
    if (d->schema.ncols > 0) {
        *cols = calloc((size_t)d->schema.ncols, sizeof **cols);
        if (!*cols)
            return sl_err_set(err, false, "catalog", d->name, "out of memory");
        for (int i = 0; i < d->schema.ncols; i++) {
            snprintf((*cols)[i].name, sizeof(*cols)[i].name, "%s", d->schema.cols[i].name);
            sl_type_sql(&d->schema.cols[i], (*cols)[i].sql, sizeof(*cols)[i].sql);
        }
        *n = d->schema.ncols;
        return SL_OK;
    }
    if (d->files < 1)
        return SL_OK;
    if (!have_file)
        return sl_err_set(err, false, "catalog", d->file[0].path,
                          "the columns of %s.%s are not known and its file is not on this "
                          "machine to read them from",
                          d->layer, d->name);
    if (hive_file_columns(local, cols, n, err)) {
        sl_err_context(err, "%s.%s", d->layer, d->name);
        return SL_ERROR;
    }
    return SL_OK;
}

void hive_location(struct store *store, const char *prefix, char *out, size_t size)
{
    char url[PATH_MAX + 64];
    store->type->url(store->ctx, prefix, url, sizeof url);
    size_t n = strlen(url);
    const char *slash = n && url[n - 1] == '/' ? "" : "/";
    snprintf(out, size, "%s%s%s", url[0] == '/' ? "file://" : "", url, slash);
}
