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

static const char *type_sql(const struct sl_column *c, char *buf, size_t size);

const char *sl_type_sql(const struct sl_column *c, char *buf, size_t size)
{
    if (!c->list)
        return type_sql(c, buf, size);
    char elem[64];
    type_sql(c, elem, sizeof elem);
    snprintf(buf, size, "%s[]", elem);
    return buf;
}

static const char *type_sql(const struct sl_column *c, char *buf, size_t size)
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
        if (sc->list) {
            c->list_offsets = calloc(capacity + 1, sizeof *c->list_offsets);
            c->child = calloc(1, sizeof *c->child);
            if (!c->list_offsets || !c->child)
                goto fail;
            c->width = w;
            sl_buf_init(&c->child->data, max_column_bytes);
            continue;
        }
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
            struct sl_batch_column *c = &b->cols[i];
            free(c->valid);
            free(c->values);
            free(c->offsets);
            sl_buf_free(&c->data);
            free(c->list_offsets);
            if (c->child) {
                free(c->child->valid);
                free(c->child->values);
                free(c->child->offsets);
                sl_buf_free(&c->child->data);
                free(c->child);
            }
        }
        free(b->cols);
    }
    free(b);
}

void sl_batch_reset(struct sl_batch *b)
{
    b->nrows = 0;
    for (int i = 0; i < b->schema->ncols; i++) {
        sl_buf_reset(&b->cols[i].data);
        b->cols[i].child_count = 0;
        if (b->cols[i].child)
            sl_buf_reset(&b->cols[i].child->data);
    }
}

static int child_reserve(struct sl_batch_column *c, size_t n);

/* Rows [0, n) of one column (a LIST column's child included). */
static int copy_column(struct sl_batch_column *d, const struct sl_batch_column *s, size_t n,
                       size_t width)
{
    sl_buf_reset(&d->data);
    if (!n)
        return SL_OK; /* a LIST child may have no arrays yet */
    memcpy(d->valid, s->valid, n);
    if (s->values)
        memcpy(d->values, s->values, n * width);
    if (s->offsets) {
        memcpy(d->offsets, s->offsets, (n + 1) * sizeof *d->offsets);
        if (s->data.len && sl_buf_append(&d->data, s->data.data, s->data.len))
            return SL_ERROR;
    }
    return SL_OK;
}

int sl_batch_copy(struct sl_batch *dst, const struct sl_batch *src)
{
    sl_batch_reset(dst);
    for (int i = 0; i < src->schema->ncols; i++) {
        struct sl_batch_column *d = &dst->cols[i];
        const struct sl_batch_column *s = &src->cols[i];
        size_t w = sl_type_width(src->schema->cols[i].type, src->schema->cols[i].precision);
        if (!s->list_offsets) {
            if (copy_column(d, s, src->nrows, w))
                return SL_ERROR;
            continue;
        }
        memcpy(d->valid, s->valid, src->nrows);
        memcpy(d->list_offsets, s->list_offsets, (src->nrows + 1) * sizeof *d->list_offsets);
        if (child_reserve(d, s->child_count))
            return SL_ERROR;
        if (copy_column(d->child, s->child, s->child_count, w))
            return SL_ERROR;
        d->child_count = s->child_count;
    }
    dst->nrows = src->nrows;
    return SL_OK;
}

/* Make room for `n` elements in a LIST column's child. */
static int child_reserve(struct sl_batch_column *c, size_t n)
{
    if (n <= c->child_capacity)
        return SL_OK;
    struct sl_batch_column *ch = c->child;
    size_t cap = c->child_capacity ? c->child_capacity : 1024;
    while (cap < n)
        cap *= 2;
    if (cap > UINT32_MAX)
        return SL_ERROR;
    uint8_t *valid = realloc(ch->valid, cap);
    if (!valid)
        return SL_ERROR;
    ch->valid = valid;
    if (c->width) {
        void *v = realloc(ch->values, cap * c->width);
        if (!v)
            return SL_ERROR;
        ch->values = v;
    } else {
        uint32_t *o = realloc(ch->offsets, (cap + 1) * sizeof *o);
        if (!o)
            return SL_ERROR;
        if (!ch->offsets)
            o[0] = 0;
        ch->offsets = o;
    }
    c->child_capacity = cap;
    return SL_OK;
}

/* Make room for one more element in a LIST column's child. */
static int child_grow(struct sl_batch_column *c)
{
    return child_reserve(c, c->child_count + 1);
}

void *sl_batch_list_push(struct sl_batch *b, int col)
{
    struct sl_batch_column *c = &b->cols[col];
    if (child_grow(c))
        return NULL;
    c->child->valid[c->child_count] = 1;
    return (uint8_t *)c->child->values + c->width * c->child_count++;
}

int sl_batch_list_push_bytes(struct sl_batch *b, int col, const void *p, size_t n)
{
    struct sl_batch_column *c = &b->cols[col];
    struct sl_batch_column *ch = c->child;
    if (child_grow(c) || n > UINT32_MAX - ch->data.len || sl_buf_append(&ch->data, p, n))
        return SL_ERROR;
    ch->valid[c->child_count] = 1;
    ch->offsets[++c->child_count] = (uint32_t)ch->data.len;
    return SL_OK;
}

int sl_batch_list_element(struct sl_batch *b, int col, struct sl_batch *view)
{
    struct sl_batch_column *c = &b->cols[col];
    if (child_grow(c))
        return SL_ERROR;
    view->schema = b->schema;
    view->cols = c->child;
    view->nrows = c->child_count;
    view->capacity = c->child_capacity;
    return SL_OK;
}

int sl_batch_list_push_null(struct sl_batch *b, int col)
{
    struct sl_batch_column *c = &b->cols[col];
    struct sl_batch_column *ch = c->child;
    if (child_grow(c))
        return SL_ERROR;
    ch->valid[c->child_count] = 0;
    if (c->width)
        memset((uint8_t *)ch->values + c->width * c->child_count, 0, c->width);
    else
        ch->offsets[c->child_count + 1] = (uint32_t)ch->data.len;
    c->child_count++;
    return SL_OK;
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
