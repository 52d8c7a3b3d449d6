/*
 * pg_types.c — PostgreSQL type mapping and binary COPY field decoding.
 *
 * Mapping (docs/postgres.md has the full table).  Domains are resolved to
 * their base type first (postgres.c).
 *
 *   smallint / integer / bigint        int16 / int32 / int64
 *   oid                                int64
 *   real / double precision            float / double (NaN, ±Infinity kept)
 *   numeric(p,s), p <= 38              decimal(p,s); s < 0 → decimal(p-s,0);
 *                                      s > p → decimal(s,s); NaN is an error
 *   numeric, numeric(p,s) p > 38       string: the exact text ("NaN",
 *                                      "Infinity" kept); warned
 *   money                              decimal(19,2) (lc_monetary with 2
 *                                      fractional digits assumed)
 *   boolean                            bool
 *   text, varchar, char(n), name,      string
 *   citext, enum types
 *   bytea                              binary
 *   json, jsonb                        json
 *   uuid                               uuid
 *   date                               date; ±infinity is an error
 *   time                               time (24:00:00 kept)
 *   timestamp / timestamptz            timestamp / timestamptz (µs, UTC for
 *                                      tz); ±infinity is an error
 *   anything else                      string, the server's text form
 *                                      (`col::text`); warned
 *
 * Binary send formats (PostgreSQL src/backend/utils/adt, the *_send functions), all
 * integers big-endian:
 *   bool      1 byte 0/1            int2/4/8  2/4/8 bytes
 *   float4/8  IEEE 754 bits         oid       uint32
 *   numeric   int16 ndigits, int16 weight, uint16 sign (0x0000 +, 0x4000 -,
 *             0xC000 NaN, 0xD000 +Inf, 0xF000 -Inf), int16 dscale, then
 *             ndigits base-10000 digits; value = Σ d[i]·10000^(weight-i)
 *   money     int64 in the smallest currency unit
 *   date      int32 days since 2000-01-01; INT32_MIN/MAX = ∓infinity
 *   time      int64 µs since midnight
 *   timestamp int64 µs since 2000-01-01 (UTC for timestamptz);
 *             INT64_MIN/MAX = ∓infinity
 *   uuid      16 bytes            jsonb     version byte 1 + text
 *   text-like the text in the client encoding (UTF8, set by postgres.c)
 */
#include "source/pg_types.h"
#include "util/utf8.h"
#include "util/decimal.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Built-in type OIDs (catalog/pg_type_d.h; fixed across versions). */
enum {
    BOOLOID = 16,
    BYTEAOID = 17,
    NAMEOID = 19,
    INT8OID = 20,
    INT2OID = 21,
    INT4OID = 23,
    TEXTOID = 25,
    OIDOID = 26,
    JSONOID = 114,
    FLOAT4OID = 700,
    FLOAT8OID = 701,
    MONEYOID = 790,
    BPCHAROID = 1042,
    VARCHAROID = 1043,
    DATEOID = 1082,
    TIMEOID = 1083,
    TIMESTAMPOID = 1114,
    TIMESTAMPTZOID = 1184,
    NUMERICOID = 1700,
    UUIDOID = 2950,
    JSONBOID = 3802,
};


enum pg_kind pg_type_map(const struct pg_type_info *ti, struct sl_column *c, bool *lossy)
{
    *lossy = false;
    c->precision = c->scale = 0;
    if (ti->typtype == 'e') {
        c->type = SL_T_STRING;
        return PGK_TEXT;
    }
    if (ti->typtype == 'b' && ti->name && !strcmp(ti->name, "citext")) {
        c->type = SL_T_STRING;
        return PGK_TEXT;
    }
    switch (ti->oid) {
    case BOOLOID: c->type = SL_T_BOOL; return PGK_BOOL;
    case INT2OID: c->type = SL_T_INT16; return PGK_INT2;
    case INT4OID: c->type = SL_T_INT32; return PGK_INT4;
    case INT8OID: c->type = SL_T_INT64; return PGK_INT8;
    case OIDOID: c->type = SL_T_INT64; return PGK_OID;
    case FLOAT4OID: c->type = SL_T_FLOAT; return PGK_FLOAT4;
    case FLOAT8OID: c->type = SL_T_DOUBLE; return PGK_FLOAT8;
    case MONEYOID:
        c->type = SL_T_DECIMAL;
        c->precision = 19;
        c->scale = 2;
        return PGK_MONEY;
    case NUMERICOID: {
        if (ti->typmod < 4) {
            c->type = SL_T_STRING;
            *lossy = true;
            return PGK_NUMERIC_TEXT;
        }
        /* typmod = ((p << 16) | (s & 0x7ff)) + 4, s signed 11 bits (PG 15). */
        int p = ((ti->typmod - 4) >> 16) & 0xffff;
        int s = (((ti->typmod - 4) & 0x7ff) ^ 1024) - 1024;
        int dp = s < 0 ? p - s : s > p ? s : p, ds = s < 0 ? 0 : s;
        if (dp < 1 || dp > SL_DECIMAL_MAX_PRECISION) {
            c->type = SL_T_STRING;
            *lossy = true;
            return PGK_NUMERIC_TEXT;
        }
        c->type = SL_T_DECIMAL;
        c->precision = dp;
        c->scale = ds;
        return PGK_NUMERIC;
    }
    case TEXTOID:
    case VARCHAROID:
    case BPCHAROID:
    case NAMEOID: c->type = SL_T_STRING; return PGK_TEXT;
    case BYTEAOID: c->type = SL_T_BINARY; return PGK_BYTEA;
    case JSONOID: c->type = SL_T_JSON; return PGK_JSON;
    case JSONBOID: c->type = SL_T_JSON; return PGK_JSONB;
    case UUIDOID: c->type = SL_T_UUID; return PGK_UUID;
    case DATEOID: c->type = SL_T_DATE; return PGK_DATE;
    case TIMEOID: c->type = SL_T_TIME; return PGK_TIME;
    case TIMESTAMPOID: c->type = SL_T_TIMESTAMP; return PGK_TIMESTAMP;
    case TIMESTAMPTZOID: c->type = SL_T_TIMESTAMPTZ; return PGK_TIMESTAMPTZ;
    default:
        c->type = SL_T_STRING;
        *lossy = true;
        return PGK_CAST_TEXT;
    }
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* The parts of a binary numeric; digits point into the field. */
struct numeric {
    int ndigits, weight, dscale;
    uint16_t sign;
    const uint8_t *digits;
};

#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_NAN 0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000

static int numeric_parse(const uint8_t *p, size_t n, struct numeric *v, char *why, size_t ws)
{
    if (n < 8)
        goto bad;
    v->ndigits = (int16_t)be16(p);
    v->weight = (int16_t)be16(p + 2);
    v->sign = be16(p + 4);
    v->dscale = (int16_t)be16(p + 6);
    v->digits = p + 8;
    if (v->ndigits < 0 || n != 8 + 2 * (size_t)v->ndigits || v->dscale < 0)
        goto bad;
    if (v->sign != NUMERIC_POS && v->sign != NUMERIC_NEG && v->sign != NUMERIC_NAN &&
        v->sign != NUMERIC_PINF && v->sign != NUMERIC_NINF)
        goto bad;
    for (int i = 0; i < v->ndigits; i++)
        if (be16(v->digits + 2 * i) > 9999)
            goto bad;
    return SL_OK;
bad:
    snprintf(why, ws, "malformed binary numeric (%zu bytes)", n);
    return SL_ERROR;
}

static const char *numeric_special(uint16_t sign)
{
    return sign == NUMERIC_NAN ? "NaN" : sign == NUMERIC_PINF ? "Infinity"
                                     : sign == NUMERIC_NINF   ? "-Infinity"
                                                              : NULL;
}

/* The unscaled value at scale s, exactly, below 10^precision. */
static int numeric_unscaled(const struct numeric *v, int precision, int scale, sl_int128 *out,
                            char *why, size_t ws)
{
    const char *special = numeric_special(v->sign);
    if (special) {
        snprintf(why, ws, "%s cannot be stored in DECIMAL(%d,%d)", special, precision, scale);
        return SL_ERROR;
    }
    /* Digit i is worth d · 10^e in units of 10^-scale, e = 4·(weight-i) + scale.
     * Unsigned: two terms below 10^38 may add up past INT128_MAX. */
    const unsigned __int128 limit = (unsigned __int128)sl_pow10_128(precision);
    unsigned __int128 x = 0;
    for (int i = 0; i < v->ndigits; i++) {
        int d = be16(v->digits + 2 * i);
        int e = 4 * (v->weight - i) + scale;
        if (d == 0)
            continue;
        if (e < 0) {
            if (e <= -4 || d % (int)sl_pow10_128(-e)) {
                snprintf(why, ws, "has more than %d fractional digits", scale);
                return SL_ERROR;
            }
            x += (unsigned)d / (unsigned)sl_pow10_128(-e);
        } else {
            if (e >= precision || (unsigned __int128)d >= (unsigned __int128)sl_pow10_128(precision - e))
                goto too_big;
            x += (unsigned __int128)d * (unsigned __int128)sl_pow10_128(e);
        }
        if (x >= limit)
            goto too_big;
    }
    *out = v->sign == NUMERIC_NEG ? -(sl_int128)x : (sl_int128)x;
    return SL_OK;
too_big:
    snprintf(why, ws, "does not fit DECIMAL(%d,%d)", precision, scale);
    return SL_ERROR;
}

/* The exact text PostgreSQL's numeric_out prints (get_str_from_var). */
static int numeric_text(const struct numeric *v, struct sl_buf *out)
{
    sl_buf_reset(out);
    const char *special = numeric_special(v->sign);
    if (special)
        return sl_buf_append(out, special, strlen(special));
    size_t need = 8 + (size_t)(v->weight > 0 ? v->weight + 1 : 1) * 4 + (size_t)v->dscale + 4;
    if (sl_buf_reserve(out, need))
        return SL_ERROR;
    char *s = (char *)out->data, *o = s;
    if (v->sign == NUMERIC_NEG)
        *o++ = '-';
    if (v->weight < 0) {
        *o++ = '0';
    } else {
        for (int i = 0; i <= v->weight; i++) {
            int d = i < v->ndigits ? be16(v->digits + 2 * i) : 0;
            char g[5];
            snprintf(g, sizeof g, "%04d", d);
            if (i == 0) {
                const char *q = g;
                while (*q == '0' && q[1])
                    q++;
                while (*q)
                    *o++ = *q++;
            } else {
                memcpy(o, g, 4);
                o += 4;
            }
        }
    }
    if (v->dscale > 0) {
        *o++ = '.';
        char *end = o + v->dscale;
        for (int i = v->weight + 1; o < end; i++) {
            int d = i >= 0 && i < v->ndigits ? be16(v->digits + 2 * i) : 0;
            char g[5];
            snprintf(g, sizeof g, "%04d", d);
            for (int j = 0; j < 4 && o < end; j++)
                *o++ = g[j];
        }
    }
    out->len = (size_t)(o - s);
    return SL_OK;
}

static int bad_length(const char *type, size_t n, char *why, size_t ws)
{
    snprintf(why, ws, "malformed binary %s (%zu bytes)", type, n);
    return SL_ERROR;
}

static int put_bytes(struct sl_batch *b, int col, const uint8_t *p, size_t n, char *why,
                     size_t ws)
{
    if (sl_batch_set_bytes(b, col, p, n)) {
        snprintf(why, ws, "value of %zu bytes does not fit in a batch", n);
        return SL_ERROR;
    }
    return SL_OK;
}

static int put_decimal(struct sl_batch *b, int col, const struct sl_column *c, sl_int128 v)
{
    if (c->precision <= 18)
        sl_batch_set_i64(b, col, (int64_t)v);
    else
        sl_batch_set_i128(b, col, v);
    return SL_OK;
}

static int put_timestamp(struct sl_batch *b, int col, uint64_t raw, char *why, size_t ws)
{
    int64_t v = (int64_t)raw, us;
    if (v == INT64_MAX || v == INT64_MIN) {
        snprintf(why, ws, "%sinfinity cannot be exported exactly", v == INT64_MIN ? "-" : "");
        return SL_ERROR;
    }
    if (__builtin_add_overflow(v, PG_EPOCH_MICROS, &us) || us == INT64_MAX) {
        snprintf(why, ws, "timestamp past year 294246 does not fit microseconds since 1970");
        return SL_ERROR;
    }
    sl_batch_set_i64(b, col, us);
    return SL_OK;
}

int pg_decode_field(struct pg_decoder *d, enum pg_kind k, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t ws)
{
    switch (k) {
    case PGK_BOOL:
        if (n != 1)
            return bad_length("boolean", n, why, ws);
        sl_batch_set_bool(b, col, p[0] != 0);
        return SL_OK;
    case PGK_INT2:
        if (n != 2)
            return bad_length("smallint", n, why, ws);
        sl_batch_set_i32(b, col, (int16_t)be16(p));
        return SL_OK;
    case PGK_INT4:
        if (n != 4)
            return bad_length("integer", n, why, ws);
        sl_batch_set_i32(b, col, (int32_t)be32(p));
        return SL_OK;
    case PGK_INT8:
        if (n != 8)
            return bad_length("bigint", n, why, ws);
        sl_batch_set_i64(b, col, (int64_t)be64(p));
        return SL_OK;
    case PGK_OID:
        if (n != 4)
            return bad_length("oid", n, why, ws);
        sl_batch_set_i64(b, col, (int64_t)be32(p));
        return SL_OK;
    case PGK_FLOAT4: {
        if (n != 4)
            return bad_length("real", n, why, ws);
        uint32_t bits = be32(p);
        float f;
        memcpy(&f, &bits, 4);
        sl_batch_set_f32(b, col, f);
        return SL_OK;
    }
    case PGK_FLOAT8: {
        if (n != 8)
            return bad_length("double precision", n, why, ws);
        uint64_t bits = be64(p);
        double f;
        memcpy(&f, &bits, 8);
        sl_batch_set_f64(b, col, f);
        return SL_OK;
    }
    case PGK_NUMERIC: {
        struct numeric v;
        sl_int128 x;
        if (numeric_parse(p, n, &v, why, ws) ||
            numeric_unscaled(&v, c->precision, c->scale, &x, why, ws))
            return SL_ERROR;
        return put_decimal(b, col, c, x);
    }
    case PGK_NUMERIC_TEXT: {
        struct numeric v;
        if (numeric_parse(p, n, &v, why, ws))
            return SL_ERROR;
        if (numeric_text(&v, &d->scratch)) {
            snprintf(why, ws, "numeric too long to format");
            return SL_ERROR;
        }
        return put_bytes(b, col, d->scratch.data, d->scratch.len, why, ws);
    }
    case PGK_MONEY:
        if (n != 8)
            return bad_length("money", n, why, ws);
        return put_decimal(b, col, c, (sl_int128)(int64_t)be64(p));
    case PGK_TEXT:
    case PGK_JSON:
    case PGK_CAST_TEXT:
        if (d->check_utf8 && !sl_utf8_valid(p, n)) {
            snprintf(why, ws, "text is not valid UTF-8 (server_encoding SQL_ASCII)");
            return SL_ERROR;
        }
        return put_bytes(b, col, p, n, why, ws);
    case PGK_JSONB:
        if (n < 1 || p[0] != 1)
            return bad_length("jsonb", n, why, ws);
        if (d->check_utf8 && !sl_utf8_valid(p + 1, n - 1)) {
            snprintf(why, ws, "text is not valid UTF-8 (server_encoding SQL_ASCII)");
            return SL_ERROR;
        }
        return put_bytes(b, col, p + 1, n - 1, why, ws);
    case PGK_BYTEA: return put_bytes(b, col, p, n, why, ws);
    case PGK_UUID:
        if (n != 16)
            return bad_length("uuid", n, why, ws);
        sl_batch_set_fixed(b, col, p, 16);
        return SL_OK;
    case PGK_DATE: {
        if (n != 4)
            return bad_length("date", n, why, ws);
        int32_t v = (int32_t)be32(p);
        if (v == INT32_MAX || v == INT32_MIN) {
            snprintf(why, ws, "%sinfinity cannot be exported exactly", v == INT32_MIN ? "-" : "");
            return SL_ERROR;
        }
        int64_t days = (int64_t)v + PG_EPOCH_DAYS;
        if (days > INT32_MAX || days < INT32_MIN) {
            snprintf(why, ws, "date out of range");
            return SL_ERROR;
        }
        sl_batch_set_i32(b, col, (int32_t)days);
        return SL_OK;
    }
    case PGK_TIME: {
        if (n != 8)
            return bad_length("time", n, why, ws);
        int64_t v = (int64_t)be64(p);
        if (v < 0 || v > MICROS_PER_DAY)
            return bad_length("time", n, why, ws);
        sl_batch_set_i64(b, col, v);
        return SL_OK;
    }
    case PGK_TIMESTAMP:
    case PGK_TIMESTAMPTZ:
        if (n != 8)
            return bad_length("timestamp", n, why, ws);
        return put_timestamp(b, col, be64(p), why, ws);
    case PGK_ARRAY:
        break; /* pg_decode_array */
    }
    snprintf(why, ws, "internal: decoding kind %d is not a scalar", (int)k);
    return SL_ERROR;
}

int pg_decode_array(struct pg_decoder *d, enum pg_kind elem, const struct sl_column *c,
                    const uint8_t *p, size_t n, struct sl_batch *b, int col, char *why,
                    size_t ws)
{
    if (n < 12)
        return bad_length("array", n, why, ws);
    int32_t ndim = (int32_t)be32(p);
    size_t at = 12;
    uint32_t count = 0;
    if (ndim < 0 || ndim > 6)
        return bad_length("array", n, why, ws);
    if (ndim > 1) {
        snprintf(why, ws, "a %d-dimensional array cannot be exported as a list", ndim);
        return SL_ERROR;
    }
    if (ndim == 1) {
        if (n < 20)
            return bad_length("array", n, why, ws);
        count = be32(p + 12);
        at = 20; /* the lower bound (p + 16) is not kept */
    }
    sl_batch_list_begin(b, col);
    for (uint32_t i = 0; i < count; i++) {
        if (n - at < 4)
            return bad_length("array", n, why, ws);
        int32_t len = (int32_t)be32(p + at);
        at += 4;
        struct sl_batch view;
        if (sl_batch_list_element(b, col, &view)) {
            snprintf(why, ws, "out of memory for array elements");
            return SL_ERROR;
        }
        if (len < 0) {
            sl_batch_set_null(&view, 0);
        } else {
            if (n - at < (size_t)len)
                return bad_length("array", n, why, ws);
            char inner[200];
            if (pg_decode_field(d, elem, c, p + at, (size_t)len, &view, 0, inner,
                                sizeof inner)) {
                snprintf(why, ws, "element %u: %s", i + 1, inner);
                return SL_ERROR;
            }
            at += (size_t)len;
        }
        sl_batch_list_element_done(b, col);
    }
    if (at != n)
        return bad_length("array", n, why, ws);
    sl_batch_list_end(b, col);
    return SL_OK;
}
