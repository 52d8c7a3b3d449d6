/*
 * datetime.c — see datetime.h.  days_from_civil / civil_from_days follow
 * Howard Hinnant's public-domain algorithms ("chrono-Compatible Low-Level
 * Date Algorithms"), valid for every year an int64 day count holds.
 */
#include "util/datetime.h"
#include "util/err.h"

#include <stdio.h>

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
    if (at + count > n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int bad(char *why, size_t size, const char *what)
{
    if (why)
        snprintf(why, size, "%s", what);
    return SL_ERROR;
}

/* Parses the date part at s[0..10); returns days. */
static int parse_ymd(const char *s, size_t n, int64_t *days, char *why, size_t whysize)
{
    int y, m, d;
    if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &m) ||
        s[7] != '-' || digits(s, n, 8, 2, &d))
        return bad(why, whysize, "expected a date as YYYY-MM-DD");
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return bad(why, whysize, "no such calendar date");
    *days = sl_days_from_civil(y, (unsigned)m, (unsigned)d);
    return SL_OK;
}

int sl_parse_date(const char *s, size_t n, int32_t *days, char *why, size_t whysize)
{
    int64_t d;
    if (parse_ymd(s, n, &d, why, whysize))
        return SL_ERROR;
    if (n != 10)
        return bad(why, whysize, "expected a date as YYYY-MM-DD, without a time");
    *days = (int32_t)d;
    return SL_OK;
}

int sl_parse_timestamp(const char *s, size_t n, int64_t *micros, int *had_offset, char *why,
                       size_t whysize)
{
    int64_t days;
    int hh = 0, mi = 0, ss = 0;
    int64_t frac = 0;
    if (had_offset)
        *had_offset = 0;
    if (parse_ymd(s, n, &days, why, whysize))
        return SL_ERROR;
    size_t i = 10;
    if (i < n) {
        if ((s[i] != ' ' && s[i] != 'T') || digits(s, n, i + 1, 2, &hh) || i + 3 >= n ||
            s[i + 3] != ':' || digits(s, n, i + 4, 2, &mi))
            return bad(why, whysize, "expected a timestamp as YYYY-MM-DD HH:MM[:SS[.ffffff]]");
        i += 6;
        if (i < n && s[i] == ':') {
            if (digits(s, n, i + 1, 2, &ss))
                return bad(why, whysize, "expected seconds as :SS");
            i += 3;
            if (i < n && s[i] == '.') {
                i++;
                int nd = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (nd < 6)
                        frac = frac * 10 + (s[i] - '0');
                    else if (s[i] != '0')
                        return bad(why, whysize, "more precision than microseconds");
                    nd++;
                    i++;
                }
                if (nd == 0)
                    return bad(why, whysize, "expected digits after '.'");
                for (; nd < 6; nd++)
                    frac *= 10;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return bad(why, whysize, "time of day out of range");
        if (i < n) {
            int oh = 0, om = 0, sign = 1;
            if (s[i] == 'Z' && i + 1 == n) {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                sign = s[i] == '-' ? -1 : 1;
                if (digits(s, n, i + 1, 2, &oh))
                    return bad(why, whysize, "expected a UTC offset as ±HH:MM");
                i += 3;
                if (i < n && s[i] == ':')
                    i++;
                if (i < n && digits(s, n, i, 2, &om))
                    return bad(why, whysize, "expected a UTC offset as ±HH:MM");
                if (i < n)
                    i += 2;
                if (oh > 15 || om > 59)
                    return bad(why, whysize, "UTC offset out of range");
            }
            if (i != n)
                return bad(why, whysize, "unexpected text after the timestamp");
            if (had_offset)
                *had_offset = 1;
            int64_t off = sign * ((int64_t)oh * 3600 + om * 60);
            ss -= (int)off; /* local = UTC + off → UTC = local - off */
        }
    }
    int64_t us = ((days * 86400 + hh * 3600 + mi * 60) + ss) * 1000000 + frac;
    /* An offset may carry the instant out of years 0000–9999, where the
     * text form (and most readers) stop. */
    static const int64_t lo = -62167219200000000LL, hi = 253402300800000000LL;
    if (us < lo || us >= hi)
        return bad(why, whysize, "timestamp out of range (years 0000-9999) after its UTC offset");
    *micros = us;
    return SL_OK;
}

void sl_format_date(int32_t days, char *buf, size_t size)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
}

void sl_format_timestamp(int64_t micros, char *buf, size_t size)
{
    int64_t secs = micros / 1000000, frac = micros % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02u-%02u %02d:%02d:%02d.%06d", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
}
