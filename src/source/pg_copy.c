/*
 * pg_copy.c — PostgreSQL's binary COPY stream into batches.
 *
 * The stream (PostgreSQL docs, "COPY", "Binary Format"):
 *
 *   header   "PGCOPY\n\377\r\n\0" | u32 flags | u32 extension length | extension
 *   tuple    i16 field count | per field: i32 length (-1 = NULL) | bytes
 *   trailer  i16 -1
 *
 * all integers big-endian.  Our COPY selects the table's columns, and then
 * ctid when no one-column primary key (key_col) can name a row in value
 * errors: each tuple has ncols or ncols + 1 fields.  Fields are the types'
 * binary send forms (pg_types.c).
 *
 * One pass per tuple: each field is bounds-checked and decoded straight
 * into the batch, the common kinds inline (pg_decode_fast), the rest — and
 * every value that needs a verdict — by pg_decode_field.  PostgreSQL sends
 * one tuple per CopyData message, but proxies and other servers may cut
 * anywhere: a tuple cut off by the end of a message is undone (row_undo),
 * kept in `pending` and parsed again once the rest has arrived.  A value
 * error waits for the whole tuple, then names the row by its key or ctid.
 */
#include "source/pg_copy.h"

#include <inttypes.h>
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

static inline int32_t rd32(const uint8_t *p) { return (int32_t)pg_rd32(p); }

bool pg_copy_names_rows(enum pg_kind k)
{
    return k == PGK_INT2 || k == PGK_INT4 || k == PGK_INT8 || k == PGK_TEXT || k == PGK_UUID;
}

/* "name=value" of the row's key (binary form v of len bytes, len < 0 for
 * NULL), text quoted SQL-style and cut at 200 bytes. */
static void format_key(char *out, size_t size, const char *name, enum pg_kind k,
                       const uint8_t *v, int32_t len)
{
    int64_t x;
    if (len < 0) {
        snprintf(out, size, "%s=NULL", name);
    } else if ((k == PGK_INT2 && len == 2) || (k == PGK_INT4 && len == 4) ||
               (k == PGK_INT8 && len == 8)) {
        x = (int8_t)v[0];
        for (int32_t i = 1; i < len; i++)
            x = x * 256 + v[i];
        snprintf(out, size, "%s=%" PRId64, name, x);
    } else if (k == PGK_UUID && len == 16) {
        int w = snprintf(out, size, "%s='", name);
        for (int i = 0; i < 16 && w > 0 && (size_t)w + 3 < size; i++)
            w += snprintf(out + w, size - (size_t)w, "%s%02x",
                          i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", v[i]);
        if (w > 0 && (size_t)w + 1 < size)
            snprintf(out + w, size - (size_t)w, "'");
    } else {
        int w = snprintf(out, size, "%s='", name);
        for (int32_t i = 0; i < len && i < 200 && w > 0 && (size_t)w + 8 < size; i++) {
            if (v[i] == '\'')
                out[w++] = '\'';
            out[w++] = v[i] >= 0x20 && v[i] != 0x7f ? (char)v[i] : '?';
        }
        if (w > 0 && (size_t)w + 5 < size)
            snprintf(out + w, size - (size_t)w, "%s'", len > 200 ? "…" : "");
    }
}

/* The value error of column `col`; the row is named by `name`, the bytes
 * of its key or ctid field (len -1: NULL). */
static int value_error(struct pg_copy *cs, int col, const uint8_t *name, int32_t len,
                       const char *why)
{
    const struct sl_column *c = &cs->t->columns.cols[col];
    char obj[900], row[600];
    if (cs->key_col >= 0) {
        format_key(row, sizeof row, cs->t->columns.cols[cs->key_col].source_name,
                   cs->kinds[cs->key_col], name, len);
    } else if (len == 6) {
        snprintf(row, sizeof row, "ctid (%u,%u)",
                 (unsigned)name[0] << 24 | (unsigned)name[1] << 16 | (unsigned)name[2] << 8 |
                     name[3],
                 (unsigned)(name[4] << 8 | name[5]));
    } else {
        snprintf(row, sizeof row, "%" PRId64 " of the part", cs->rows + 1);
    }
    snprintf(obj, sizeof obj, "table %s.%s, column %s, row %s", cs->t->schema, cs->t->name,
             c->source_name, row);
    return sl_err_set(cs->err, false, "export", obj,
                      "%s; fix the value in the source or exclude the table (type %s)", why,
                      c->source_type);
}

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

/* End of the tuple whose first field starts at p + f, or 0 when it does
 * not end inside p[0..n).  *v and *vlen get field `want`'s bytes and
 * length (-1: NULL). */
static size_t tuple_end(const uint8_t *p, size_t n, size_t f, int fields, int want,
                        const uint8_t **v, int32_t *vlen)
{
    for (int i = 0; i < fields; i++) {
        if (n - f < 4)
            return 0;
        int32_t len = rd32(p + f);
        f += 4;
        if (i == want) {
            *v = p + f;
            *vlen = len;
        }
        if (len > 0) {
            if (n - f < (size_t)len)
                return 0;
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
    const int fields = ncols + (cs->key_col < 0); /* the trailing ctid */
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
        if (fc != fields)
            return pg_copy_error(cs, "tuple with %d fields, expected %d", fc, fields);
        size_t f = pos + 2, row = b->nrows;
        struct sl_batch_column *bcols = b->cols;
        for (int i = 0; i < fields; i++) {
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
                    /* Name the row once all of it is here: by its key
                     * (wherever it is in the tuple) or its trailing ctid. */
                    const uint8_t *v = NULL;
                    int32_t vlen = -1;
                    if (!tuple_end(p, n, pos + 2, fields, cs->key_col < 0 ? ncols : cs->key_col,
                                   &v, &vlen))
                        goto partial;
                    return value_error(cs, i, v, vlen, why);
                }
            }
            f += (size_t)len;
        }
        sl_batch_end_row(b);
        cs->rows++;
        /* The field bytes, as the batch limit counts them (no lengths). */
        cs->batch_bytes += f - pos - 2 - 4 * (size_t)fields;
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

