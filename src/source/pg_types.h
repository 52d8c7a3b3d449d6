/*
 * pg_types.h — PostgreSQL types: which internal type a column gets, and how
 * one field of a binary COPY stream is decoded into a batch.
 *
 * Internal to the PostgreSQL source (postgres.c); see pg_types.c for the
 * mapping table and the binary send formats it decodes.
 */
#ifndef SL_SOURCE_PG_TYPES_H
#define SL_SOURCE_PG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch/batch.h"
#include "util/buf.h"

/* How a field arrives in the COPY stream and is decoded. */
enum pg_kind {
    PGK_BOOL,
    PGK_INT2,
    PGK_INT4,
    PGK_INT8,
    PGK_OID,          /* unsigned 32-bit → int64 */
    PGK_FLOAT4,
    PGK_FLOAT8,
    PGK_NUMERIC,      /* numeric(p,s) → DECIMAL */
    PGK_NUMERIC_TEXT, /* numeric without typmod or p > 38 → its exact text */
    PGK_MONEY,        /* int64 cents → DECIMAL(19,2) */
    PGK_TEXT,         /* text, varchar, char(n), name, citext, enums */
    PGK_BYTEA,
    PGK_JSON,
    PGK_JSONB,        /* version byte 1, then the text */
    PGK_UUID,
    PGK_DATE,
    PGK_TIME,
    PGK_TIMESTAMP,
    PGK_TIMESTAMPTZ,
    PGK_CAST_TEXT,    /* no exact mapping: selected as `col::text` */
    PGK_ARRAY,        /* one-dimensional array of a mapped element kind → LIST */
};

/* The facts of a column's type after resolving domains to their base type. */
struct pg_type_info {
    uint32_t oid;      /* base type */
    int32_t typmod;    /* of the base type (a domain's typtypmod) */
    char typtype;      /* 'b' base, 'e' enum, 'r' range, 'c' composite, … */
    char typcategory;  /* 'A' for arrays */
    const char *name;  /* pg_type.typname of the base type */
};

/* Pick the kind and fill c->type, c->precision, c->scale.  *lossy is set
 * when the column is exported as text because no exact mapping exists (the
 * caller warns and lists it in the manifest). */
enum pg_kind pg_type_map(const struct pg_type_info *ti, struct sl_column *c, bool *lossy);

/* Per-reader decoding state. */
struct pg_decoder {
    bool check_utf8;       /* server_encoding is SQL_ASCII: text is not verified */
    struct sl_buf scratch; /* numeric text formatting */
};

#define PG_EPOCH_DAYS 10957               /* 2000-01-01 - 1970-01-01 */
#define PG_EPOCH_MICROS 946684800000000LL /* the same in microseconds */
#define MICROS_PER_DAY 86400000000LL

static inline uint16_t pg_rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return __builtin_bswap16(v);
}
static inline uint32_t pg_rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t pg_rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* numeric(p <= 18, s) → its unscaled int64 for the values that need no
 * check beyond the arithmetic below: a finite numeric whose digits all fit.
 * false sends the field to pg_decode_field, which decides exactly as before
 * (the value, or the error naming why it does not fit).  Digit i (base
 * 10000) is worth d · 10^e in units of 10^-scale, e = 4·(weight-i) + scale;
 * while x < 10^p <= 10^18 and each term < 10^p, x stays below 2·10^18. */
static inline bool pg_numeric_fast(const uint8_t *p, size_t n, int precision, int scale,
                                   int64_t *out)
{
    static const uint64_t pow10[19] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull};
    if (n < 8 || precision > 18)
        return false;
    int ndigits = (int16_t)pg_rd16(p), weight = (int16_t)pg_rd16(p + 2);
    uint16_t sign = pg_rd16(p + 4);
    int dscale = (int16_t)pg_rd16(p + 6);
    if (ndigits < 0 || n != 8 + 2 * (size_t)ndigits || dscale < 0 ||
        (sign != 0x0000 && sign != 0x4000))
        return false;
    const uint64_t limit = pow10[precision];
    uint64_t x = 0;
    for (int i = 0; i < ndigits; i++) {
        unsigned d = pg_rd16(p + 8 + 2 * i);
        int e = 4 * (weight - i) + scale;
        if (d > 9999)
            return false;
        if (d == 0)
            continue;
        if (e >= 0) {
            if (e >= precision || d >= pow10[precision - e])
                return false;
            x += d * pow10[e];
        } else if (e == -1) {
            if (d % 10)
                return false;
            x += d / 10;
        } else if (e == -2) {
            if (d % 100)
                return false;
            x += d / 100;
        } else if (e == -3) {
            if (d % 1000)
                return false;
            x += d / 1000;
        } else {
            return false;
        }
        if (x >= limit)
            return false;
    }
    *out = sign == 0x4000 ? -(int64_t)x : (int64_t)x;
    return true;
}

/* Append n bytes to a variable-length batch column when they fit in its
 * buffer as it is; false means "take the slow path" (sl_batch_set_bytes
 * grows the buffer or reports the cap). */
static inline bool pg_put_bytes_fast(struct sl_batch_column *bc, size_t row, const uint8_t *p,
                                     size_t n)
{
    struct sl_buf *d = &bc->data;
    if (n > d->cap - d->len || d->len + n > UINT32_MAX)
        return false;
    memcpy(d->data + d->len, p, n);
    d->len += n;
    bc->valid[row] = 1;
    bc->offsets[row + 1] = (uint32_t)d->len;
    return true;
}

/* The common kinds decoded straight into batch column bc at `row`, inline
 * (the per-field call, its nine arguments and the error-message plumbing of
 * pg_decode_field cost more than the decoding).  Returns false, having
 * written nothing that counts, for every value the fast path does not
 * cover: other kinds, SQL_ASCII text to verify, infinities, out-of-range
 * values, malformed fields, a full buffer.  The caller then calls
 * pg_decode_field, which stays the one place that decides and explains. */
static inline bool pg_decode_fast(enum pg_kind k, const struct sl_column *c, bool check_utf8,
                                  const uint8_t *p, size_t n, struct sl_batch_column *bc,
                                  size_t row)
{
    switch (k) {
    case PGK_BOOL:
        if (n != 1)
            return false;
        ((uint8_t *)bc->values)[row] = p[0] != 0;
        break;
    case PGK_INT2:
        if (n != 2)
            return false;
        ((int32_t *)bc->values)[row] = (int16_t)pg_rd16(p);
        break;
    case PGK_INT4:
        if (n != 4)
            return false;
        ((int32_t *)bc->values)[row] = (int32_t)pg_rd32(p);
        break;
    case PGK_INT8:
        if (n != 8)
            return false;
        ((int64_t *)bc->values)[row] = (int64_t)pg_rd64(p);
        break;
    case PGK_FLOAT4:
        if (n != 4)
            return false;
        {
            uint32_t bits = pg_rd32(p);
            memcpy((uint8_t *)bc->values + 4 * row, &bits, 4);
        }
        break;
    case PGK_FLOAT8:
        if (n != 8)
            return false;
        {
            uint64_t bits = pg_rd64(p);
            memcpy((uint8_t *)bc->values + 8 * row, &bits, 8);
        }
        break;
    case PGK_NUMERIC: {
        int64_t v;
        if (!pg_numeric_fast(p, n, c->precision, c->scale, &v))
            return false;
        ((int64_t *)bc->values)[row] = v;
        break;
    }
    case PGK_TEXT:
    case PGK_JSON:
    case PGK_CAST_TEXT: return !check_utf8 && pg_put_bytes_fast(bc, row, p, n);
    case PGK_BYTEA: return pg_put_bytes_fast(bc, row, p, n);
    case PGK_UUID:
        if (n != 16)
            return false;
        memcpy((uint8_t *)bc->values + 16 * row, p, 16);
        break;
    case PGK_DATE: {
        if (n != 4)
            return false;
        int64_t days = (int64_t)(int32_t)pg_rd32(p) + PG_EPOCH_DAYS;
        /* Also rejects ±infinity (INT32_MAX/MIN): the slow path names them. */
        if (days >= INT32_MAX || days <= (int64_t)INT32_MIN + PG_EPOCH_DAYS)
            return false;
        ((int32_t *)bc->values)[row] = (int32_t)days;
        break;
    }
    case PGK_TIMESTAMP:
    case PGK_TIMESTAMPTZ: {
        if (n != 8)
            return false;
        int64_t v = (int64_t)pg_rd64(p), us;
        if (v == INT64_MAX || v == INT64_MIN || __builtin_add_overflow(v, PG_EPOCH_MICROS, &us) ||
            us == INT64_MAX)
            return false;
        ((int64_t *)bc->values)[row] = us;
        break;
    }
    default: return false;
    }
    bc->valid[row] = 1;
    return true;
}

/* Decode one non-NULL binary field (n bytes at p) into column `col` of the
 * batch's current row.  Returns SL_OK, or SL_ERROR with the reason in why
 * (a value that does not fit, a malformed field). */
int pg_decode_field(struct pg_decoder *d, enum pg_kind k, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t whysize);

/* Decode one non-NULL binary array (array_send: ndim, has-null flag,
 * element oid, per dimension size and lower bound, then per element a
 * length (-1 NULL) and its binary form) into the LIST column `col`, each
 * element as pg_decode_field would with `elem`.  Only one dimension (or an
 * empty array) is accepted; lower bounds are not kept. */
int pg_decode_array(struct pg_decoder *d, enum pg_kind elem, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t whysize);

#endif
