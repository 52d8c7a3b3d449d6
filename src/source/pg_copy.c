/*
 * pg_copy.c — PostgreSQL's binary COPY stream into batches.
 *
 * The stream (PostgreSQL docs, "COPY", "Binary Format"):
 *
 *   header   "PGCOPY\n\377\r\n\0" | u32 flags | u32 extension length | extension
 *   tuple    i16 field count | per field: i32 length (-1 = NULL) | bytes
 *   trailer  i16 -1
 *
 * all integers big-endian.  Our COPY selects the table's columns and then
 * ctid, so each tuple has ncols + 1 fields and the last one names the row in
 * value errors.  Fields are the types' binary send forms (pg_types.c).
 *
 * One pass per tuple: each field is bounds-checked and decoded straight
 * into the batch, the common kinds inline (pg_decode_fast), the rest — and
 * every value that needs a verdict — by pg_decode_field.  PostgreSQL sends
 * one tuple per CopyData message, but proxies and other servers may cut
 * anywhere: a tuple cut off by the end of a message is undone (row_undo),
 * kept in `pending` and parsed again once the rest has arrived.  A value
 * error looks ahead for the trailing ctid to name the row, waiting for the
 * rest of the tuple first if need be.
 */
#include "source/pg_copy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BATCH_FLUSH_BYTES (32u << 20) /* end a batch early past this much data */

int pg_copy_error(struct pg_copy *cs, const char *fmt, ...)
{
    char msg[512], obj[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(obj, sizeof obj, "table %s.%s", cs->t->schema, cs->t->name);
    return sl_err_set(cs->err, false, "export", obj, "binary COPY stream: %s", msg);
}

static int value_error(struct pg_copy *cs, int col, const uint8_t *tid, const char *why)
{
    const struct sl_column *c = &cs->t->columns.cols[col];
    char obj[900];
    unsigned blk = tid ? (unsigned)tid[0] << 24 | (unsigned)tid[1] << 16 |
                             (unsigned)tid[2] << 8 | tid[3]
                       : 0;
    unsigned off = tid ? (unsigned)(tid[4] << 8 | tid[5]) : 0;
    snprintf(obj, sizeof obj, "table %s.%s, column %s, row ctid (%u,%u)", cs->t->schema,
             cs->t->name, c->source_name, blk, off);
    return sl_err_set(cs->err, false, "export", obj,
                      "%s; fix the value in the source or exclude the table (type %s)", why,
                      c->source_type);
}

static inline int32_t rd32(const uint8_t *p) { return (int32_t)pg_rd32(p); }

/* Undo the fields of the unfinished row b->nrows: variable-length data and
 * list elements already appended go; fixed-width slots and validity bytes
 * are simply rewritten when the row is decoded again. */
static void row_undo(struct sl_batch *b)
{
    size_t row = b->nrows;
    for (int i = 0; i < b->schema->ncols; i++) {
        struct sl_batch_column *c = &b->cols[i];
        if (c->offsets)
            c->data.len = c->offsets[row];
        if (c->list_offsets) {
            c->child_count = c->list_offsets[row];
            if (c->child->offsets)
                c->child->data.len = c->child_count ? c->child->offsets[c->child_count] : 0;
        }
    }
}

/* End of the tuple whose fields start at p + f (field `i` of `fields`), or
 * 0 when it does not end inside p[0..n).  *tid gets the trailing ctid. */
static size_t tuple_end(const uint8_t *p, size_t n, size_t f, int i, int fields,
                        const uint8_t **tid)
{
    *tid = NULL;
    for (; i < fields; i++) {
        if (n - f < 4)
            return 0;
        int32_t len = rd32(p + f);
        f += 4;
        if (len > 0) {
            if (n - f < (size_t)len)
                return 0;
            if (i == fields - 1 && len == 6)
                *tid = p + f;
            f += (size_t)len;
        }
    }
    return f;
}

/* Parse complete tuples from p[0..n); *used gets the bytes consumed (the
 * rest is an incomplete tuple to be continued by the next message). */
static int parse_stream(struct pg_copy *cs, const uint8_t *p, size_t n, size_t *used)
{
    static const uint8_t signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    size_t pos = 0;
    const int ncols = cs->ncols;
    const enum pg_kind *kinds = cs->kinds;
    const struct sl_column *cols = cs->t->columns.cols;
    struct pg_decoder *dec = cs->dec;
    const bool check_utf8 = dec->check_utf8;
    struct sl_batch *b = cs->b;
    *used = 0;
    if (!cs->header_done) {
        if (n < 19)
            return SL_OK;
        if (memcmp(p, signature, 11))
            return pg_copy_error(cs, "bad signature");
        uint32_t ext = (uint32_t)rd32(p + 15);
        if (n - 19 < ext)
            return SL_OK;
        pos = 19 + ext;
        cs->header_done = true;
    }
    while (pos < n) {
        if (cs->trailer_seen)
            return pg_copy_error(cs, "data after the trailer");
        if (n - pos < 2)
            break;
        int16_t fc = (int16_t)(p[pos] << 8 | p[pos + 1]);
        if (fc == -1) {
            cs->trailer_seen = true;
            pos += 2;
            continue;
        }
        if (fc != ncols + 1)
            return pg_copy_error(cs, "tuple with %d fields, expected %d", fc, ncols + 1);
        size_t f = pos + 2, row = b->nrows;
        struct sl_batch_column *bcols = b->cols;
        for (int i = 0; i <= ncols; i++) {
            if (n - f < 4)
                goto partial;
            int32_t len = rd32(p + f);
            f += 4;
            if (len < 0) {
                if (len < -1)
                    return pg_copy_error(cs, "negative field length %d", len);
                if (i < ncols)
                    sl_batch_set_null(b, i);
                continue;
            }
            if (n - f < (size_t)len)
                goto partial;
            if (i < ncols &&
                !pg_decode_fast(kinds[i], &cols[i], check_utf8, p + f, (size_t)len, &bcols[i],
                                row)) {
                char why[256];
                if (kinds[i] == PGK_ARRAY
                        ? pg_decode_array(dec, cs->elem_kinds[i], &cols[i], p + f,
                                          (size_t)len, b, i, why, sizeof why)
                        : pg_decode_field(dec, kinds[i], &cols[i], p + f, (size_t)len, b, i, why,
                                          sizeof why)) {
                    const uint8_t *tid;
                    if (!tuple_end(p, n, f + (size_t)len, i + 1, ncols + 1, &tid))
                        goto partial; /* name the row once all of it is here */
                    return value_error(cs, i, tid, why);
                }
            }
            f += (size_t)len;
        }
        sl_batch_end_row(b);
        cs->rows++;
        /* The field bytes, as the batch limit counts them (no lengths). */
        cs->batch_bytes += f - pos - 2 - 4 * ((size_t)ncols + 1);
        pos = f;
        if (b->nrows == b->capacity || cs->batch_bytes > BATCH_FLUSH_BYTES) {
            if (cs->emit(cs->arg, b, cs->err))
                return SL_ERROR;
            sl_batch_reset(b);
            cs->batch_bytes = 0;
        }
    }
    *used = pos;
    return SL_OK;
partial:
    row_undo(b);
    *used = pos;
    return SL_OK;
}

int pg_copy_feed(struct pg_copy *cs, const uint8_t *p, size_t n)
{
    struct sl_buf *pend = cs->pending;
    size_t used;
    if (pend->len == 0) {
        if (parse_stream(cs, p, n, &used))
            return SL_ERROR;
        if (used < n && sl_buf_append(pend, p + used, n - used))
            return pg_copy_error(cs, "a row larger than %zu bytes", pend->max);
        return SL_OK;
    }
    if (sl_buf_append(pend, p, n))
        return pg_copy_error(cs, "a row larger than %zu bytes", pend->max);
    if (parse_stream(cs, pend->data, pend->len, &used))
        return SL_ERROR;
    memmove(pend->data, pend->data + used, pend->len - used);
    pend->len -= used;
    return SL_OK;
}

