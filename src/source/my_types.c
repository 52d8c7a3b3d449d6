/*
 * my_types.c — MySQL / MariaDB types (see my_types.h, docs/mysql.md "Types").
 *
 * Values arrive over the text protocol, in the session's utf8mb4 and
 * time_zone '+00:00' (mysql.c pins both).  Every decoder is exact or fails:
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

int my_decode_value(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                    unsigned long n, char *why, size_t wsize)
{
    const struct sl_column *c = &d->columns->cols[i];
    int64_t x;
    switch (d->kinds[i]) {
    case MYK_INT:
        if (parse_int(v, n, &x)) {
            snprintf(why, wsize, "'%.*s' is not an integer", (int)(n < 40 ? n : 40), v);
            return SL_ERROR;
        }
        if (c->type == SL_T_INT64)
            sl_batch_set_i64(b, i, x);
        else
            sl_batch_set_i32(b, i, (int32_t)x);
        return SL_OK;
    case MYK_UINT64:
    case MYK_DECIMAL: {
        sl_int128 u;
        if (sl_decimal_parse(v, n, c->precision, c->scale, &u, why, wsize))
            return SL_ERROR;
        if (c->precision <= 18)
            sl_batch_set_i64(b, i, (int64_t)u);
        else
            sl_batch_set_i128(b, i, u);
        return SL_OK;
    }
    case MYK_FLOAT:
    case MYK_DOUBLE: {
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
    case MYK_DATE: {
        int32_t days;
        if (zero_date(v, n))
            return zero_value(d, b, i, v, n, why, wsize);
        if (sl_parse_date(v, n, &days, why, wsize))
            return SL_ERROR;
        sl_batch_set_i32(b, i, days);
        return SL_OK;
    }
    case MYK_DATETIME: {
        int64_t us;
        if (zero_date(v, n))
            return zero_value(d, b, i, v, n, why, wsize);
        if (sl_parse_timestamp(v, n, &us, NULL, why, wsize))
            return SL_ERROR;
        sl_batch_set_i64(b, i, us);
        return SL_OK;
    }
    case MYK_TIME:
        if (parse_time(v, n, &x)) {
            snprintf(why, wsize, "'%.*s' is not a time", (int)(n < 40 ? n : 40), v);
            return SL_ERROR;
        }
        sl_batch_set_i64(b, i, x);
        return SL_OK;
    case MYK_BIT: {
        unsigned __int128 u = 0;
        if (n > 8) {
            snprintf(why, wsize, "a BIT value of %lu bytes", n);
            return SL_ERROR;
        }
        for (unsigned long j = 0; j < n; j++)
            u = u << 8 | (unsigned char)v[j];
        if (c->type == SL_T_DECIMAL)
            sl_batch_set_i128(b, i, (sl_int128)u);
        else
            sl_batch_set_i64(b, i, (int64_t)u);
        return SL_OK;
    }
    case MYK_TEXT:
        if (!sl_utf8_valid((const uint8_t *)v, n)) {
            snprintf(why, wsize,
                     "text that is not valid UTF-8 (a column charset that does not "
                     "match its bytes)");
            return SL_ERROR;
        }
        /* fall through */
    case MYK_BYTES:
        if (sl_batch_set_bytes(b, i, v, n)) {
            snprintf(why, wsize, "a value of %lu bytes does not fit the batch", n);
            return SL_ERROR;
        }
        return SL_OK;
    }
    return SL_OK;
}
