/*
 * my_types.c — MySQL / MariaDB types (see my_types.h, docs/mysql.md "Types").
 *
 * Values arrive in the text protocol's form — over the text protocol, or
 * over the binary one for strings, DECIMAL and BIT (my_binary.c decodes the
 * rest) — in the session's utf8mb4 and time_zone '+00:00' (mysql.c pins
 * both).  Every decoder is exact or fails:
 * integers, decimals (sl_decimal_parse never rounds), doubles in shortest
 * round-trip text (FLOAT is selected as CAST(… AS DOUBLE): the text
 * protocol would print 6 digits), dates and datetimes strictly parsed, TIME
 * as signed microseconds, BIT as its big-endian bytes, text checked as
 * UTF-8.  Zero dates ("0000-00-00", a zero month or day) become NULL and are
 * counted, or fail with zero-dates=error.
 */
#include "source/my_types.h"
#include "util/datetime.h"
#include "util/decimal.h"
#include "util/err.h"
#include "util/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool my_type_map(const char *dt, const char *ct, long prec, long scale, struct sl_column *c,
                 enum my_kind *k, const char **cast)
{
    bool uns = strstr(ct, "unsigned") != NULL;
    *cast = "%s";
    *k = MYK_INT;
    if (!strcmp(dt, "tinyint")) {
        c->type = SL_T_INT16;
    } else if (!strcmp(dt, "smallint")) {
        c->type = uns ? SL_T_INT32 : SL_T_INT16;
    } else if (!strcmp(dt, "mediumint")) {
        c->type = SL_T_INT32;
    } else if (!strcmp(dt, "int") || !strcmp(dt, "integer")) {
        c->type = uns ? SL_T_INT64 : SL_T_INT32;
    } else if (!strcmp(dt, "bigint")) {
        c->type = uns ? SL_T_DECIMAL : SL_T_INT64;
        if (uns) {
            c->precision = 20;
            *k = MYK_UINT64;
        }
    } else if (!strcmp(dt, "year")) {
        c->type = SL_T_INT16;
    } else if (!strcmp(dt, "decimal") || !strcmp(dt, "numeric")) {
        if (prec > SL_DECIMAL_MAX_PRECISION) {
            c->type = SL_T_STRING;
            *k = MYK_TEXT;
            return false;
        }
        c->type = SL_T_DECIMAL;
        c->precision = (int)prec;
        c->scale = (int)scale;
        *k = MYK_DECIMAL;
    } else if (!strcmp(dt, "float")) {
        c->type = SL_T_FLOAT;
        *k = MYK_FLOAT;
        *cast = "CAST(%s AS DOUBLE)";
    } else if (!strcmp(dt, "double") || !strcmp(dt, "real")) {
        c->type = SL_T_DOUBLE;
        *k = MYK_DOUBLE;
    } else if (!strcmp(dt, "date")) {
        c->type = SL_T_DATE;
        *k = MYK_DATE;
    } else if (!strcmp(dt, "datetime")) {
        c->type = SL_T_TIMESTAMP;
        *k = MYK_DATETIME;
    } else if (!strcmp(dt, "timestamp")) {
        c->type = SL_T_TIMESTAMPTZ;
        *k = MYK_DATETIME;
    } else if (!strcmp(dt, "time")) {
        c->type = SL_T_INT64;
        *k = MYK_TIME;
    } else if (!strcmp(dt, "bit")) {
        c->type = prec >= 64 ? SL_T_DECIMAL : SL_T_INT64;
        c->precision = prec >= 64 ? 20 : 0;
        *k = MYK_BIT;
    } else if (!strcmp(dt, "char") || !strcmp(dt, "varchar") || !strcmp(dt, "tinytext") ||
               !strcmp(dt, "text") || !strcmp(dt, "mediumtext") || !strcmp(dt, "longtext") ||
               !strcmp(dt, "enum") || !strcmp(dt, "set")) {
        c->type = SL_T_STRING;
        *k = MYK_TEXT;
    } else if (!strcmp(dt, "json")) {
        c->type = SL_T_JSON;
        *k = MYK_TEXT;
    } else if (!strcmp(dt, "binary") || !strcmp(dt, "varbinary") || !strcmp(dt, "tinyblob") ||
               !strcmp(dt, "blob") || !strcmp(dt, "mediumblob") || !strcmp(dt, "longblob")) {
        c->type = SL_T_BINARY;
        *k = MYK_BYTES;
    } else if (!strcmp(dt, "geometry") || !strcmp(dt, "point") || !strcmp(dt, "linestring") ||
               !strcmp(dt, "polygon") || !strcmp(dt, "multipoint") ||
               !strcmp(dt, "multilinestring") || !strcmp(dt, "multipolygon") ||
               !strcmp(dt, "geometrycollection") || !strcmp(dt, "geomcollection")) {
        c->type = SL_T_BINARY;
        *k = MYK_BYTES;
        *cast = "ST_AsBinary(%s)";
    } else {
        /* inet4/inet6/uuid (MariaDB), vector, …: their text form. */
        c->type = SL_T_STRING;
        *k = MYK_TEXT;
        *cast = "CAST(%s AS CHAR)";
        return false;
    }
    return true;
}

/* A date or datetime with a zero year-month-day part ("0000-00-00",
 * "2020-00-15"): MySQL stores them, no calendar has them. */
static bool zero_date(const char *v, unsigned long n)
{
    return n >= 10 && ((v[5] == '0' && v[6] == '0') || (v[8] == '0' && v[9] == '0'));
}

/* A zero date: NULL and counted, or (zero-dates=error) a value error. */
static int zero_value(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                      unsigned long n, char *why, size_t wsize)
{
    if (d->zero_error) {
        snprintf(why, wsize, "a zero date '%.*s' (the source URL says zero-dates=error)",
                 (int)(n < 32 ? n : 32), v);
        return SL_ERROR;
    }
    d->zero[i]++;
    sl_batch_set_null(b, i);
    return SL_OK;
}

/* A decimal integer of the text protocol ("-128", "18446744073709551615"
 * never reaches here: unsigned BIGINT is a decimal).  strtoll needed a copy
 * to NUL-terminate each value; this is the hot path of every integer. */
static int parse_int(const char *v, unsigned long n, int64_t *out)
{
    unsigned long i = n && v[0] == '-';
    if (i == n || n - i > 19)
        return SL_ERROR;
    uint64_t x = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(v[i] - '0');
        if (d > 9)
            return SL_ERROR;
        x = x * 10 + d;
    }
    if (v[0] == '-') {
        if (x > (uint64_t)INT64_MAX + 1)
            return SL_ERROR;
        *out = (int64_t)(0 - x);
    } else {
        if (x > (uint64_t)INT64_MAX)
            return SL_ERROR;
        *out = (int64_t)x;
    }
    return SL_OK;
}

/* "[-]H…H:MM:SS[.ffffff]" → signed microseconds. */
static int parse_time(const char *v, unsigned long n, int64_t *out)
{
    unsigned long i = 0;
    bool neg = n && v[0] == '-';
    i += neg;
    int64_t h = 0, m = 0, sec = 0, us = 0;
    unsigned long d = 0;
    for (; i < n && isdigit((unsigned char)v[i]) && d < 6; i++, d++)
        h = h * 10 + (v[i] - '0');
    if (!d || i + 6 > n || v[i] != ':' || v[i + 3] != ':' || !isdigit((unsigned char)v[i + 1]) ||
        !isdigit((unsigned char)v[i + 2]) || !isdigit((unsigned char)v[i + 4]) ||
        !isdigit((unsigned char)v[i + 5]))
        return SL_ERROR;
    m = (v[i + 1] - '0') * 10 + (v[i + 2] - '0');
    sec = (v[i + 4] - '0') * 10 + (v[i + 5] - '0');
    i += 6;
    if (i < n) {
        if (v[i] != '.')
            return SL_ERROR;
        int digits = 0;
        for (i++; i < n; i++, digits++) {
            if (!isdigit((unsigned char)v[i]) || digits >= 6)
                return SL_ERROR;
            us = us * 10 + (v[i] - '0');
        }
        for (; digits < 6; digits++)
            us *= 10;
    }
    if (m > 59 || sec > 59)
        return SL_ERROR;
    int64_t t = ((h * 60 + m) * 60 + sec) * 1000000 + us;
    *out = neg ? -t : t;
    return SL_OK;
}

/* ---- fast paths ----------------------------------------------------------
 * The text protocol prints DECIMAL(p,s) as [-]digits[.digits] with exactly s
 * fraction digits, DATE as YYYY-MM-DD and DATETIME/TIMESTAMP(n) as
 * YYYY-MM-DD HH:MM:SS[.f…] with n fraction digits.  Parsing exactly that
 * form is several times cheaper than the general parsers, which accept
 * every form a user may write (the client's CPU is the export's limit:
 * docs/mysql.md "Benchmark").  Each fast path returns false for anything
 * else — the general parser then decides and words the error — and, when it
 * returns true, the general parser's value (tests/unit/test_my_fast.c
 * compares the two).
 */

static inline unsigned digit(char c)
{
    return (unsigned)(unsigned char)c - '0';
}

/* The two digits at p, or 100 when either is not a digit. */
static inline unsigned two_digits(const char *p)
{
    unsigned a = digit(p[0]), b = digit(p[1]);
    return a > 9 || b > 9 ? 100 : a * 10 + b;
}

static bool leap_year(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD" at v (10 bytes are there) → days since 1970-01-01.  A
 * column read in key order often repeats its day: the cache remembers the
 * last one. */
static inline bool fast_days(struct my_day_cache *cache, const char *v, int32_t *days)
{
    uint64_t head;
    uint16_t tail;
    memcpy(&head, v, 8);
    memcpy(&tail, v + 8, 2);
    if (cache && cache->valid && head == cache->head && tail == cache->tail) {
        *days = cache->days;
        return true;
    }
    static const unsigned char month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y1 = two_digits(v), y2 = two_digits(v + 2), m = two_digits(v + 5),
             d = two_digits(v + 8);
    if (y1 > 99 || y2 > 99 || v[4] != '-' || v[7] != '-' || m < 1 || m > 12 || d < 1 ||
        d > month_days[m - 1] || (m == 2 && d == 29 && !leap_year(y1 * 100 + y2)))
        return false;
    *days = (int32_t)sl_days_from_civil(y1 * 100 + y2, m, d);
    if (cache) {
        cache->head = head;
        cache->tail = tail;
        cache->days = *days;
        cache->valid = true;
    }
    return true;
}

/* "YYYY-MM-DD HH:MM:SS[.f{1,6}]" → microseconds since the epoch. */
static inline bool fast_datetime(struct my_day_cache *cache, const char *v, unsigned long n,
                                 int64_t *us)
{
    if (n < 19 || n == 20 || n > 26 || v[10] != ' ' || v[13] != ':' || v[16] != ':' ||
        (n > 19 && v[19] != '.'))
        return false;
    unsigned h = two_digits(v + 11), mi = two_digits(v + 14), sec = two_digits(v + 17);
    if (h > 23 || mi > 59 || sec > 59)
        return false;
    int64_t f = 0;
    unsigned long k = 20;
    for (; k < n; k++) {
        unsigned x = digit(v[k]);
        if (x > 9)
            return false;
        f = f * 10 + x;
    }
    for (; k < 26; k++)
        f *= 10;
    int32_t days;
    if (!fast_days(cache, v, &days))
        return false;
    *us = ((int64_t)days * 86400 + h * 3600 + mi * 60 + sec) * 1000000 + f;
    return true;
}

/* "[-]D…D[.F…F]" with exactly `scale` fraction digits and at most 18
 * digits in all (so no overflow and nothing to round) → the unscaled value,
 * which must have at most `precision` digits. */
static inline bool fast_decimal(const char *v, unsigned long n, int precision, int scale,
                                int64_t *out)
{
    unsigned long i = n && v[0] == '-', start = i;
    if (n - start > 18u + (scale > 0) || n == start)
        return false;
    uint64_t x = 0;
    for (; i < n && v[i] != '.'; i++) {
        unsigned d = digit(v[i]);
        if (d > 9)
            return false;
        x = x * 10 + d;
    }
    if (i == start)
        return false;
    if (scale > 0) {
        if (n - i != (unsigned long)scale + 1)
            return false;
        for (i++; i < n; i++) {
            unsigned d = digit(v[i]);
            if (d > 9)
                return false;
            x = x * 10 + d;
        }
    } else if (i != n) {
        return false;
    }
    if (precision < 19 && (sl_int128)x >= sl_pow10_128(precision))
        return false;
    *out = start ? -(int64_t)x : (int64_t)x;
    return true;
}

/* The cold paths, out of line: the hot switch below then needs few
 * registers, which the per-value cost notices. */
#define COLD __attribute__((noinline, cold))

static COLD int not_integer(const char *v, unsigned long n, char *why, size_t wsize)
{
    snprintf(why, wsize, "'%.*s' is not an integer", (int)(n < 40 ? n : 40), v);
    return SL_ERROR;
}

static COLD int slow_decimal(const struct sl_column *c, struct sl_batch *b, int i, const char *v,
                             unsigned long n, char *why, size_t wsize)
{
    sl_int128 u;
    if (sl_decimal_parse(v, n, c->precision, c->scale, &u, why, wsize))
        return SL_ERROR;
    if (c->precision <= 18)
        sl_batch_set_i64(b, i, (int64_t)u);
    else
        sl_batch_set_i128(b, i, u);
    return SL_OK;
}

static COLD int decode_real(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                            unsigned long n, char *why, size_t wsize)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        snprintf(why, wsize, "not a number");
        return SL_ERROR;
    }
    memcpy(buf, v, n);
    buf[n] = 0;
    char *e;
    double f = strtod(buf, &e);
    if (*e) {
        snprintf(why, wsize, "'%s' is not a number", buf);
        return SL_ERROR;
    }
    if (d->kinds[i] == MYK_FLOAT)
        sl_batch_set_f32(b, i, (float)f);
    else
        sl_batch_set_f64(b, i, f);
    return SL_OK;
}

/* DATE or DATETIME text the fast path did not take: the general parser
 * (which words the error). */
static COLD int slow_date(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                          unsigned long n, char *why, size_t wsize)
{
    if (zero_date(v, n))
        return zero_value(d, b, i, v, n, why, wsize);
    if (d->kinds[i] == MYK_DATE) {
        int32_t days;
        if (sl_parse_date(v, n, &days, why, wsize))
            return SL_ERROR;
        sl_batch_set_i32(b, i, days);
    } else {
        int64_t us;
        if (sl_parse_timestamp(v, n, &us, NULL, why, wsize))
            return SL_ERROR;
        sl_batch_set_i64(b, i, us);
    }
    return SL_OK;
}

static COLD int decode_time_bit(const struct my_decoder *d, struct sl_batch *b, int i,
                                const char *v, unsigned long n, char *why, size_t wsize)
{
    if (d->kinds[i] == MYK_TIME) {
        int64_t x;
        if (parse_time(v, n, &x)) {
            snprintf(why, wsize, "'%.*s' is not a time", (int)(n < 40 ? n : 40), v);
            return SL_ERROR;
        }
        sl_batch_set_i64(b, i, x);
        return SL_OK;
    }
    unsigned __int128 u = 0;
    if (n > 8) {
        snprintf(why, wsize, "a BIT value of %lu bytes", n);
        return SL_ERROR;
    }
    for (unsigned long j = 0; j < n; j++)
        u = u << 8 | (unsigned char)v[j];
    if (d->columns->cols[i].type == SL_T_DECIMAL)
        sl_batch_set_i128(b, i, (sl_int128)u);
    else
        sl_batch_set_i64(b, i, (int64_t)u);
    return SL_OK;
}

static COLD int not_utf8(char *why, size_t wsize)
{
    snprintf(why, wsize,
             "text that is not valid UTF-8 (a column charset that does not match its bytes)");
    return SL_ERROR;
}

static COLD int too_long(unsigned long n, char *why, size_t wsize)
{
    snprintf(why, wsize, "a value of %lu bytes does not fit the batch", n);
    return SL_ERROR;
}

static inline __attribute__((always_inline)) int decode_value(const struct my_decoder *d,
                                                              struct sl_batch *b, int i,
                                                              const char *v, unsigned long n,
                                                              char *why, size_t wsize)
{
    const struct sl_column *c = &d->columns->cols[i];
    int64_t x;
    switch (d->kinds[i]) {
    case MYK_INT:
        if (parse_int(v, n, &x))
            return not_integer(v, n, why, wsize);
        if (c->type == SL_T_INT64)
            sl_batch_set_i64(b, i, x);
        else
            sl_batch_set_i32(b, i, (int32_t)x);
        return SL_OK;
    case MYK_UINT64:
    case MYK_DECIMAL:
        if (!fast_decimal(v, n, c->precision, c->scale, &x))
            return slow_decimal(c, b, i, v, n, why, wsize);
        if (c->precision <= 18)
            sl_batch_set_i64(b, i, x);
        else
            sl_batch_set_i128(b, i, x);
        return SL_OK;
    case MYK_FLOAT:
    case MYK_DOUBLE: return decode_real(d, b, i, v, n, why, wsize);
    case MYK_DATE: {
        int32_t days;
        if (n != 10 || zero_date(v, n) || !fast_days(d->days ? &d->days[i] : NULL, v, &days))
            return slow_date(d, b, i, v, n, why, wsize);
        sl_batch_set_i32(b, i, days);
        return SL_OK;
    }
    case MYK_DATETIME:
        if (zero_date(v, n) || !fast_datetime(d->days ? &d->days[i] : NULL, v, n, &x))
            return slow_date(d, b, i, v, n, why, wsize);
        sl_batch_set_i64(b, i, x);
        return SL_OK;
    case MYK_TIME:
    case MYK_BIT: return decode_time_bit(d, b, i, v, n, why, wsize);
    case MYK_TEXT:
        if (!sl_utf8_valid((const uint8_t *)v, n))
            return not_utf8(why, wsize);
        /* fall through */
    case MYK_BYTES:
        if (sl_batch_set_bytes(b, i, v, n))
            return too_long(n, why, wsize);
        return SL_OK;
    }
    return SL_OK;
}

int my_decode_value(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                    unsigned long n, char *why, size_t wsize)
{
    return decode_value(d, b, i, v, n, why, wsize);
}

int my_decode_row(const struct my_decoder *d, struct sl_batch *b, char *const *row,
                  const unsigned long *len, size_t *bytes, int *col, char *why, size_t wsize)
{
    int ncols = d->columns->ncols;
    size_t sum = 0;
    for (int i = 0; i < ncols; i++) {
        if (!row[i]) {
            sl_batch_set_null(b, i);
            continue;
        }
        if (decode_value(d, b, i, row[i], len[i], why, wsize)) {
            *col = i;
            return SL_ERROR;
        }
        sum += len[i];
    }
    sl_batch_end_row(b);
    *bytes += sum;
    return SL_OK;
}
