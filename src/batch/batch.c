/*
 * batch.c — see batch.h.
 */
#include "batch/batch.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_schema_free(struct sl_schema *s)
{
    if (!s)
        return;
    free(s->cols);
    s->cols = NULL;
    s->ncols = 0;
}

int sl_schema_copy(struct sl_schema *dst, const struct sl_schema *src)
{
    dst->ncols = src->ncols;
    dst->cols = NULL;
    if (!src->ncols)
        return SL_OK;
    dst->cols = malloc(sizeof *dst->cols * (size_t)src->ncols);
    if (!dst->cols)
        return SL_ERROR;
    memcpy(dst->cols, src->cols, sizeof *dst->cols * (size_t)src->ncols);
    return SL_OK;
}

const char *sl_type_name(enum sl_type t)
{
    switch (t) {
    case SL_T_BOOL: return "boolean";
    case SL_T_INT16: return "int16";
    case SL_T_INT32: return "int32";
    case SL_T_INT64: return "int64";
    case SL_T_FLOAT: return "float";
    case SL_T_DOUBLE: return "double";
    case SL_T_DECIMAL: return "decimal";
    case SL_T_STRING: return "string";
    case SL_T_JSON: return "json";
    case SL_T_BINARY: return "binary";
    case SL_T_UUID: return "uuid";
    case SL_T_DATE: return "date";
    case SL_T_TIME: return "time";
    case SL_T_TIMESTAMP: return "timestamp";
    case SL_T_TIMESTAMPTZ: return "timestamptz";
    }
    return "?";
}

size_t sl_type_width(enum sl_type t, int precision)
{
    switch (t) {
    case SL_T_BOOL: return 1;
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_DATE: return 4;
    case SL_T_INT64:
    case SL_T_TIME:
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ: return 8;
    case SL_T_FLOAT: return 4;
    case SL_T_DOUBLE: return 8;
    case SL_T_DECIMAL: return precision <= 18 ? 8 : 16;
    case SL_T_UUID: return 16;
    case SL_T_STRING:
    case SL_T_JSON:
    case SL_T_BINARY: return 0;
    }
    return 0;
}

const char *sl_type_sql(const struct sl_column *c, char *buf, size_t size)
{
    const char *s = "VARCHAR";
    switch (c->type) {
    case SL_T_BOOL: s = "BOOLEAN"; break;
    case SL_T_INT16: s = "SMALLINT"; break;
    case SL_T_INT32: s = "INTEGER"; break;
    case SL_T_INT64: s = "BIGINT"; break;
    case SL_T_FLOAT: s = "FLOAT"; break;
    case SL_T_DOUBLE: s = "DOUBLE"; break;
    case SL_T_DECIMAL:
        snprintf(buf, size, "DECIMAL(%d,%d)", c->precision, c->scale);
        return buf;
    case SL_T_STRING: s = "VARCHAR"; break;
    case SL_T_JSON: s = "JSON"; break;
    case SL_T_BINARY: s = "BLOB"; break;
    case SL_T_UUID: s = "UUID"; break;
    case SL_T_DATE: s = "DATE"; break;
    case SL_T_TIME: s = "TIME"; break;
    case SL_T_TIMESTAMP: s = "TIMESTAMP"; break;
    case SL_T_TIMESTAMPTZ: s = "TIMESTAMP WITH TIME ZONE"; break;
    }
    snprintf(buf, size, "%s", s);
    return buf;
}

struct sl_batch *sl_batch_new(const struct sl_schema *schema, size_t capacity,
                              size_t max_column_bytes)
{
    struct sl_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->schema = schema;
    b->capacity = capacity;
    b->cols = calloc((size_t)schema->ncols + 1, sizeof *b->cols);
    if (!b->cols)
        goto fail;
    for (int i = 0; i < schema->ncols; i++) {
        const struct sl_column *sc = &schema->cols[i];
        struct sl_batch_column *c = &b->cols[i];
        size_t w = sl_type_width(sc->type, sc->precision);
        c->valid = calloc(capacity, 1);
        if (!c->valid)
            goto fail;
        sl_buf_init(&c->data, max_column_bytes);
        if (w) {
            c->values = calloc(capacity, w);
            if (!c->values)
                goto fail;
        } else {
            c->offsets = calloc(capacity + 1, sizeof *c->offsets);
            if (!c->offsets)
                goto fail;
        }
    }
    return b;
fail:
    sl_batch_free(b);
    return NULL;
}

void sl_batch_free(struct sl_batch *b)
{
    if (!b)
        return;
    if (b->cols) {
        for (int i = 0; i < b->schema->ncols; i++) {
            free(b->cols[i].valid);
            free(b->cols[i].values);
            free(b->cols[i].offsets);
            sl_buf_free(&b->cols[i].data);
        }
        free(b->cols);
    }
    free(b);
}

void sl_batch_reset(struct sl_batch *b)
{
    b->nrows = 0;
    for (int i = 0; i < b->schema->ncols; i++)
        sl_buf_reset(&b->cols[i].data);
}

int sl_batch_set_bytes(struct sl_batch *b, int col, const void *p, size_t n)
{
    struct sl_batch_column *c = &b->cols[col];
    if (n > UINT32_MAX - c->data.len || sl_buf_append(&c->data, p, n))
        return SL_ERROR;
    c->valid[b->nrows] = 1;
    c->offsets[b->nrows + 1] = (uint32_t)c->data.len;
    return SL_OK;
}
