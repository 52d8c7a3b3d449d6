/*
 * my_binary.c — values of the binary protocol (see my_binary.h).
 *
 * A prepared statement's rows carry integers, FLOAT/DOUBLE, DATE, DATETIME,
 * TIMESTAMP and TIME as machine values: the server skips formatting them
 * and the client parsing them, and FLOAT arrives as its 4 bytes.  Strings,
 * DECIMAL and BIT arrive length-encoded in the text protocol's form and go
 * through the text decoder (my_types.c), so every value is decoded by the
 * same rules whichever protocol carried it.
 *
 * The library's usual route (mysql_stmt_bind_result, then a copy into each
 * bound buffer per fetch) costs more than the text protocol's whole row;
 * MariaDB Connector/C instead hands each raw value to a callback
 * (STMT_ATTR_CB_RESULT), which decodes it straight into the batch.
 *
 * Row layout (MySQL client/server protocol, "Binary Protocol Resultset
 * Row"): the library reads the NULL bitmap; a non-NULL value is
 *   1, 2, 4 or 8 bytes little-endian      TINY, SHORT/YEAR, LONG/INT24, LONGLONG
 *   4 or 8 bytes IEEE 754                  FLOAT, DOUBLE
 *   length byte L ∈ {0,4,7,11}, then year(2) month day hour minute second µs(4)
 *                                          DATE, DATETIME, TIMESTAMP (L = 0: all zero)
 *   length byte L ∈ {0,8,12}, then negative days(4) hour minute second µs(4)
 *                                          TIME
 *   a length-encoded integer, then bytes   everything else
 */
#include "source/my_binary.h"
#include "util/datetime.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/* Where an integer or float of wire form w goes for column c: unchecked
 * when every value of w fits c's type. */
static enum my_store store_of(enum my_wire w, enum my_kind k, const struct sl_column *c)
{
    static const int64_t lo[] = {
        [MYW_I8] = INT8_MIN,   [MYW_U8] = 0,  [MYW_I16] = INT16_MIN, [MYW_U16] = 0,
        [MYW_I32] = INT32_MIN, [MYW_U32] = 0, [MYW_I64] = INT64_MIN, [MYW_U64] = 0};
    static const int64_t hi[] = {
        [MYW_I8] = INT8_MAX,    [MYW_U8] = UINT8_MAX,  [MYW_I16] = INT16_MAX,
        [MYW_U16] = UINT16_MAX, [MYW_I32] = INT32_MAX, [MYW_U32] = UINT32_MAX,
        [MYW_I64] = INT64_MAX,  [MYW_U64] = INT64_MAX};
    if (w == MYW_F32 || w == MYW_F64)
        return k == MYK_FLOAT ? MYS_F32 : MYS_F64;
    if (w > MYW_U64)
        return MYS_OTHER;
    if (k == MYK_UINT64)
        return MYS_U128;
    if (c->type == SL_T_INT64)
        return w == MYW_U64 ? MYS_I64_CHECKED : MYS_I64;
    if (c->type == SL_T_INT16)
        return lo[w] >= INT16_MIN && hi[w] <= INT16_MAX && w != MYW_U64 ? MYS_I32 : MYS_I32_CHECKED;
    return lo[w] >= INT32_MIN && hi[w] <= INT32_MAX && w != MYW_U64 ? MYS_I32 : MYS_I32_CHECKED;
}

bool my_binary_plan(const struct my_decoder *d, const MYSQL_FIELD *fields, unsigned n,
                    enum my_wire *wire, enum my_store *store)
{
    if (n != (unsigned)d->columns->ncols)
        return false;
    for (unsigned i = 0; i < n; i++) {
        bool uns = (fields[i].flags & UNSIGNED_FLAG) != 0;
        enum my_kind k = d->kinds[i];
        bool integer = k == MYK_INT || k == MYK_UINT64, real = k == MYK_FLOAT || k == MYK_DOUBLE;
        bool ok;
        switch (fields[i].type) {
        case MYSQL_TYPE_TINY:
            wire[i] = uns ? MYW_U8 : MYW_I8;
            ok = integer;
            break;
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_YEAR:
            wire[i] = uns || fields[i].type == MYSQL_TYPE_YEAR ? MYW_U16 : MYW_I16;
            ok = integer;
            break;
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_INT24:
            wire[i] = uns ? MYW_U32 : MYW_I32;
            ok = integer;
            break;
        case MYSQL_TYPE_LONGLONG:
            wire[i] = uns ? MYW_U64 : MYW_I64;
            ok = integer;
            break;
        case MYSQL_TYPE_FLOAT:
            wire[i] = MYW_F32;
            ok = real;
            break;
        case MYSQL_TYPE_DOUBLE:
            wire[i] = MYW_F64;
            ok = real;
            break;
        case MYSQL_TYPE_DATE:
            wire[i] = MYW_DATE;
            ok = k == MYK_DATE;
            break;
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP:
            wire[i] = MYW_DATETIME;
            ok = k == MYK_DATETIME;
            break;
        case MYSQL_TYPE_TIME:
            wire[i] = MYW_TIME;
            ok = k == MYK_TIME;
            break;
        case MYSQL_TYPE_DECIMAL:
        case MYSQL_TYPE_NEWDECIMAL:
        case MYSQL_TYPE_VARCHAR:
        case MYSQL_TYPE_VAR_STRING:
        case MYSQL_TYPE_STRING:
        case MYSQL_TYPE_ENUM:
        case MYSQL_TYPE_SET:
        case MYSQL_TYPE_TINY_BLOB:
        case MYSQL_TYPE_MEDIUM_BLOB:
        case MYSQL_TYPE_LONG_BLOB:
        case MYSQL_TYPE_BLOB:
        case MYSQL_TYPE_GEOMETRY:
        case MYSQL_TYPE_BIT:
        case MYSQL_TYPE_JSON:
            /* the text form: the text decoder takes every kind */
            wire[i] = MYW_TEXT;
            ok = true;
            break;
        default: ok = false;
        }
        if (!ok)
            return false;
        store[i] = store_of(wire[i], k, &d->columns->cols[i]);
        if (k == MYK_UINT64 && wire[i] != MYW_U64 && wire[i] != MYW_TEXT)
            return false; /* a signed wire value in an unsigned column: never sent */
    }
    return true;
}

static inline uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A length-encoded integer at *p; moves *p past it. */
static inline uint64_t lenenc(unsigned char **p)
{
    const unsigned char *r = *p;
    switch (r[0]) {
    case 252: *p += 3; return le16(r + 1);
    case 253: *p += 4; return le32(r + 1) & 0xffffff;
    case 254: *p += 9; return le64(r + 1);
    default: *p += 1; return r[0] == 251 ? 0 : r[0];
    }
}

static void fail(struct my_binary_row *st, int col, const char *what)
{
    st->bad = col;
    snprintf(st->why, sizeof st->why, "%s", what);
}

static bool leap_year(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days[m - 1] &&
           !(m == 2 && d == 29 && !leap_year(y));
}

/* A date with a zero month or day: NULL and counted, or (zero-dates=error)
 * the failure, quoting the value as the text protocol prints it. */
static void zero_date(struct my_binary_row *st, int col, unsigned y, unsigned m, unsigned d,
                      const unsigned *hms)
{
    const struct my_decoder *dec = st->dec;
    if (dec->zero_error) {
        st->bad = col;
        char text[32];
        if (hms)
            snprintf(text, sizeof text, "%04u-%02u-%02u %02u:%02u:%02u", y, m, d, hms[0], hms[1],
                     hms[2]);
        else
            snprintf(text, sizeof text, "%04u-%02u-%02u", y, m, d);
        snprintf(st->why, sizeof st->why, "a zero date '%s' (the source URL says zero-dates=error)",
                 text);
        return;
    }
    dec->zero[col]++;
    sl_batch_set_null(st->b, col);
}

/* year-month-day at r (4 bytes) → days since 1970-01-01, through the
 * column's one-day cache (rows in key order often share the day). */
static inline int32_t days_of(struct my_day_cache *cache, const unsigned char *r, unsigned y,
                              unsigned m, unsigned d)
{
    uint64_t head = le32(r);
    if (cache && cache->valid && cache->head == head && cache->tail == 0xffff)
        return cache->days;
    int32_t days = (int32_t)sl_days_from_civil(y, m, d);
    if (cache) {
        cache->head = head;
        cache->tail = 0xffff; /* "YYYY-MM-DD" ends in two digits, never 0xffff */
        cache->days = days;
        cache->valid = true;
    }
    return days;
}

static void put_datetime(struct my_binary_row *st, int col, const unsigned char *r, unsigned len)
{
    unsigned y = len >= 4 ? le16(r + 1) : 0, m = len >= 4 ? r[3] : 0, d = len >= 4 ? r[4] : 0;
    unsigned h = len >= 7 ? r[5] : 0, mi = len >= 7 ? r[6] : 0, s = len >= 7 ? r[7] : 0;
    uint32_t us = len >= 11 ? le32(r + 8) : 0;
    bool is_date = st->wire[col] == MYW_DATE;
    if (m == 0 || d == 0) {
        const unsigned hms[3] = {h, mi, s};
        zero_date(st, col, y, m, d, is_date ? NULL : hms);
        return;
    }
    if (!valid_date(y, m, d)) {
        fail(st, col, "no such calendar date");
        return;
    }
    if (h > 23 || mi > 59 || s > 59 || us > 999999) {
        fail(st, col, "time of day out of range");
        return;
    }
    int32_t days = days_of(st->dec->days ? &st->dec->days[col] : NULL, r + 1, y, m, d);
    if (is_date)
        sl_batch_set_i32(st->b, col, days);
    else
        sl_batch_set_i64(st->b, col,
                         ((int64_t)days * 86400 + h * 3600 + mi * 60 + s) * 1000000 + us);
}

static void put_time(struct my_binary_row *st, int col, const unsigned char *r, unsigned len)
{
    int64_t t = 0;
    if (len >= 8) {
        unsigned h = r[6], mi = r[7], s = r[8];
        if (mi > 59 || s > 59) {
            fail(st, col, "a time with minutes or seconds out of range");
            return;
        }
        t = (((int64_t)le32(r + 2) * 24 + h) * 60 + mi) * 60 + s;
        t = t * 1000000 + (len >= 12 ? le32(r + 9) : 0);
        if (r[1])
            t = -t;
    }
    sl_batch_set_i64(st->b, col, t);
}

/* A string, DECIMAL or BIT value: the text decoder. */
static void __attribute__((noinline))
put_text(struct my_binary_row *st, int col, unsigned char **row)
{
    unsigned char *p = *row;
    uint64_t n = lenenc(&p);
    *row = p + n;
    if (st->bad >= 0)
        return;
    if (my_decode_value(st->dec, st->b, col, (const char *)p, (unsigned long)n, st->why,
                        sizeof st->why))
        st->bad = col;
    else
        st->bytes += n;
}

/* A DATE, DATETIME, TIMESTAMP or TIME value. */
static void __attribute__((noinline))
put_temporal(struct my_binary_row *st, int col, unsigned char **row)
{
    unsigned char *p = *row;
    *row = p + 1 + p[0];
    if (st->bad >= 0)
        return;
    if (st->wire[col] == MYW_TIME)
        put_time(st, col, p, p[0]);
    else
        put_datetime(st, col, p, p[0]);
}

static void __attribute__((noinline)) out_of_range(struct my_binary_row *st, int col)
{
    if (st->bad < 0)
        fail(st, col, "an integer out of the column's range");
}

/* Kept small: integers and floats, the common columns, are decoded here
 * without a call; the rest is in put_text and put_temporal. */
void my_binary_value(void *data, unsigned int col, unsigned char **row)
{
    struct my_binary_row *st = data;
    int c = (int)col;
    if (!row) {
        if (st->bad < 0)
            sl_batch_set_null(st->b, c);
        return;
    }
    const unsigned char *p = *row;
    int64_t v;
    switch (st->wire[col]) {
    case MYW_I8:
        v = (int8_t)p[0];
        *row += 1;
        break;
    case MYW_U8:
        v = p[0];
        *row += 1;
        break;
    case MYW_I16:
        v = (int16_t)le16(p);
        *row += 2;
        break;
    case MYW_U16:
        v = le16(p);
        *row += 2;
        break;
    case MYW_I32:
        v = (int32_t)le32(p);
        *row += 4;
        break;
    case MYW_U32:
        v = le32(p);
        *row += 4;
        break;
    case MYW_I64:
    case MYW_U64:
        v = (int64_t)le64(p);
        *row += 8;
        break;
    case MYW_F32: {
        float f;
        uint32_t u = le32(p);
        memcpy(&f, &u, sizeof f);
        *row += 4;
        if (st->bad < 0) {
            if (st->store[col] == MYS_F32)
                sl_batch_set_f32(st->b, c, f);
            else
                sl_batch_set_f64(st->b, c, f);
        }
        return;
    }
    case MYW_F64: {
        double f;
        uint64_t u = le64(p);
        memcpy(&f, &u, sizeof f);
        *row += 8;
        if (st->bad < 0) {
            if (st->store[col] == MYS_F32)
                sl_batch_set_f32(st->b, c, (float)f);
            else
                sl_batch_set_f64(st->b, c, f);
        }
        return;
    }
    case MYW_TEXT: put_text(st, c, row); return;
    default: put_temporal(st, c, row); return;
    }
    if (c == st->key_col) {
        st->key = v;
        st->key_set = true;
    }
    if (st->bad >= 0)
        return;
    switch (st->store[col]) {
    case MYS_I32_CHECKED:
        if (st->dec->columns->cols[c].type == SL_T_INT16 ? v < INT16_MIN || v > INT16_MAX
                                                         : v < INT32_MIN || v > INT32_MAX) {
            out_of_range(st, c);
            return;
        }
        /* fall through */
    case MYS_I32: sl_batch_set_i32(st->b, c, (int32_t)v); return;
    case MYS_I64_CHECKED:
        if (v < 0) {
            out_of_range(st, c);
            return;
        }
        /* fall through */
    case MYS_I64: sl_batch_set_i64(st->b, c, v); return;
    case MYS_U128: sl_batch_set_i128(st->b, c, (sl_int128)(uint64_t)v); return;
    default: return;
    }
}
