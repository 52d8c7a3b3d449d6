/*
 * my_keys.c — see my_keys.h.
 *
 * A bound is the key of one row of the table, read as text over the text
 * protocol and recorded as a JSON array of strings (binary values in hex,
 * so that any byte survives the run state), e.g. ["42","Zoë"] for a key
 * (INT, VARCHAR).  Reading a chunk turns it back into literals the server
 * compares with the key columns: numbers unquoted (a quoted number would be
 * compared as a double, inexact beyond 2^53), text and dates as escaped
 * string literals (a literal is coercible: the comparison takes the
 * column's collation, the one its ORDER BY and its index use), binary as
 * X'…' (compared byte by byte, as a binary column sorts).
 */
#include "source/my_keys.h"
#include "source/source.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum my_key_class my_key_class_of(const char *dt)
{
    static const struct {
        const char *type;
        enum my_key_class cls;
    } map[] = {
        {"tinyint", MYKEY_NUMBER},    {"smallint", MYKEY_NUMBER},    {"mediumint", MYKEY_NUMBER},
        {"int", MYKEY_NUMBER},        {"bigint", MYKEY_NUMBER},      {"year", MYKEY_NUMBER},
        {"decimal", MYKEY_NUMBER},    {"char", MYKEY_TEXT},          {"varchar", MYKEY_TEXT},
        {"binary", MYKEY_BINARY},     {"varbinary", MYKEY_BINARY},   {"date", MYKEY_TEMPORAL},
        {"datetime", MYKEY_TEMPORAL}, {"timestamp", MYKEY_TEMPORAL}, {"time", MYKEY_TEMPORAL},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dt, map[i].type))
            return map[i].cls;
    return MYKEY_NONE;
}

int my_append_ident(struct sl_buf *b, const char *name)
{
    int rc = sl_buf_putc(b, '`');
    for (const char *p = name; *p && rc == SL_OK; p++) {
        if (*p == '`')
            rc = sl_buf_putc(b, '`');
        if (rc == SL_OK)
            rc = sl_buf_putc(b, (uint8_t)*p);
    }
    return rc ? rc : sl_buf_putc(b, '`');
}

int my_append_literal(struct sl_buf *b, MYSQL *conn, const char *s, size_t n)
{
    if (sl_buf_reserve(b, 2 * n + 3))
        return SL_ERROR;
    b->data[b->len++] = '\'';
    b->len += mysql_real_escape_string(conn, (char *)b->data + b->len, s, (unsigned long)n);
    b->data[b->len++] = '\'';
    return SL_OK;
}

int64_t my_range_chunks(int64_t est_rows, int64_t lo, int64_t hi, int64_t chunk_rows,
                        int64_t max_chunks, int64_t *rows)
{
    /* Unsigned: hi - lo may exceed INT64_MAX (0 = the whole int64 range). */
    uint64_t values = (uint64_t)hi - (uint64_t)lo + 1;
    int64_t est = est_rows > 0 ? est_rows : 0;
    if (values && values < (uint64_t)est)
        est = (int64_t)values;
    *rows = est;
    int64_t n = src_chunk_count(est, chunk_rows, max_chunks);
    return values && (uint64_t)n > values ? (int64_t)values : n;
}

int my_key_encode(const struct my_key *k, char **row, const unsigned long *len, char **out)
{
    static const char hex[] = "0123456789abcdef";
    json_t *a = json_array();
    int rc = a ? SL_OK : SL_ERROR;
    *out = NULL;
    for (int i = 0; rc == SL_OK && i < k->n; i++) {
        const char *v = row[k->col[i]];
        size_t n = len[k->col[i]];
        json_t *e = NULL;
        if (!v) {
            rc = SL_ERROR; /* a key column is NOT NULL */
        } else if (k->cls[i] == MYKEY_BINARY) {
            char *h = malloc(2 * n + 1);
            for (size_t j = 0; h && j < n; j++) {
                h[2 * j] = hex[(unsigned char)v[j] >> 4];
                h[2 * j + 1] = hex[(unsigned char)v[j] & 15];
            }
            if (h)
                h[2 * n] = 0;
            e = h ? json_string(h) : NULL;
            free(h);
        } else {
            e = json_stringn(v, n); /* NULL when not UTF-8 */
        }
        if (rc == SL_OK && (!e || json_array_append_new(a, e)))
            rc = SL_ERROR;
    }
    if (rc == SL_OK && !(*out = json_dumps(a, JSON_COMPACT)))
        rc = SL_ERROR;
    json_decref(a);
    return rc;
}

int my_key_columns(struct sl_buf *b, const struct my_key *k, const struct sl_schema *cols)
{
    int rc = SL_OK;
    for (int i = 0; rc == SL_OK && i < k->n; i++)
        rc = (i && sl_buf_append(b, ", ", 2)) ||
             my_append_ident(b, cols->cols[k->col[i]].source_name);
    return rc;
}

/* One value of a bound as an SQL literal of its class; false when it is not
 * one (the text came from another table layout). */
static bool append_value(struct sl_buf *b, MYSQL *conn, enum my_key_class cls, json_t *v, int *rc)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (!s || (!n && cls != MYKEY_TEXT && cls != MYKEY_BINARY))
        return false;
    switch (cls) {
    case MYKEY_NUMBER:
        for (size_t i = 0; i < n; i++)
            if (!strchr("0123456789+-.eE", s[i]) || !s[i])
                return false;
        *rc = *rc || sl_buf_append(b, s, n);
        return true;
    case MYKEY_BINARY:
        if (n % 2)
            return false;
        for (size_t i = 0; i < n; i++)
            if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                return false;
        *rc = *rc || sl_buf_append(b, "X'", 2) || sl_buf_append(b, s, n) || sl_buf_putc(b, '\'');
        return true;
    case MYKEY_TEXT:
    case MYKEY_TEMPORAL: *rc = *rc || my_append_literal(b, conn, s, n); return true;
    case MYKEY_NONE: break;
    }
    return false;
}

int my_key_condition(struct sl_buf *b, MYSQL *conn, const struct my_key *k,
                     const struct sl_schema *cols, const char *bound, bool lower, char *why,
                     size_t wsize)
{
    json_error_t je;
    json_t *a = json_loads(bound, JSON_DECODE_ANY, &je);
    int rc = SL_OK;
    if (!json_is_array(a) || (int)json_array_size(a) != k->n) {
        snprintf(why, wsize, "the chunk bound %.200s is not %d value(s) of the key", bound, k->n);
        json_decref(a);
        return SL_ERROR;
    }
    /* a > x OR (a = x AND b > y) OR (a = x AND b = y AND c >= z) */
    rc = sl_buf_putc(b, '(');
    for (int i = 0; rc == SL_OK && i < k->n; i++) {
        rc = (i && sl_buf_append(b, " OR ", 4)) || sl_buf_putc(b, '(');
        for (int j = 0; rc == SL_OK && j <= i; j++) {
            const char *op = j < i ? " = " : !lower ? " < " : j < k->n - 1 ? " > " : " >= ";
            rc = (j && sl_buf_append(b, " AND ", 5)) ||
                 my_append_ident(b, cols->cols[k->col[j]].source_name) ||
                 sl_buf_append(b, op, strlen(op));
            if (rc == SL_OK &&
                !append_value(b, conn, k->cls[j], json_array_get(a, (size_t)j), &rc)) {
                snprintf(why, wsize, "value %d of the chunk bound %.200s does not fit column %s",
                         j + 1, bound, cols->cols[k->col[j]].source_name);
                json_decref(a);
                return SL_ERROR;
            }
        }
        rc = rc || sl_buf_putc(b, ')');
    }
    rc = rc || sl_buf_putc(b, ')');
    if (rc)
        snprintf(why, wsize, "query too long");
    json_decref(a);
    return rc ? SL_ERROR : SL_OK;
}
