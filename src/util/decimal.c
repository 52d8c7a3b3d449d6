/*
 * decimal.c — see decimal.h.
 */
#include "util/decimal.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/* 10^0 … 10^38 as constants: sources call sl_pow10_128 per value. */
static const sl_int128 pow10_table[39] = {
    (sl_int128)1ULL,
    (sl_int128)10ULL,
    (sl_int128)100ULL,
    (sl_int128)1000ULL,
    (sl_int128)10000ULL,
    (sl_int128)100000ULL,
    (sl_int128)1000000ULL,
    (sl_int128)10000000ULL,
    (sl_int128)100000000ULL,
    (sl_int128)1000000000ULL,
    (sl_int128)10000000000ULL,
    (sl_int128)100000000000ULL,
    (sl_int128)1000000000000ULL,
    (sl_int128)10000000000000ULL,
    (sl_int128)100000000000000ULL,
    (sl_int128)1000000000000000ULL,
    (sl_int128)10000000000000000ULL,
    (sl_int128)100000000000000000ULL,
    (sl_int128)1000000000000000000ULL,
    (sl_int128)10000000000000000000ULL,
    (sl_int128)10000000000000000000ULL * 10ULL,
    (sl_int128)10000000000000000000ULL * 100ULL,
    (sl_int128)10000000000000000000ULL * 1000ULL,
    (sl_int128)10000000000000000000ULL * 10000ULL,
    (sl_int128)10000000000000000000ULL * 100000ULL,
    (sl_int128)10000000000000000000ULL * 1000000ULL,
    (sl_int128)10000000000000000000ULL * 10000000ULL,
    (sl_int128)10000000000000000000ULL * 100000000ULL,
    (sl_int128)10000000000000000000ULL * 1000000000ULL,
    (sl_int128)10000000000000000000ULL * 10000000000ULL,
    (sl_int128)10000000000000000000ULL * 100000000000ULL,
    (sl_int128)10000000000000000000ULL * 1000000000000ULL,
    (sl_int128)10000000000000000000ULL * 10000000000000ULL,
    (sl_int128)10000000000000000000ULL * 100000000000000ULL,
    (sl_int128)10000000000000000000ULL * 1000000000000000ULL,
    (sl_int128)10000000000000000000ULL * 10000000000000000ULL,
    (sl_int128)10000000000000000000ULL * 100000000000000000ULL,
    (sl_int128)10000000000000000000ULL * 1000000000000000000ULL,
    (sl_int128)10000000000000000000ULL * 10000000000000000000ULL};

sl_int128 sl_pow10_128(int n)
{
    return n <= 0 ? 1 : pow10_table[n > 38 ? 38 : n];
}

int sl_decimal_parse(const char *s, size_t n, int precision, int scale, sl_int128 *out, char *why,
                     size_t whysize)
{
    size_t i = 0;
    int neg = 0;
    char dig[128];
    int nd = 0, point = -1; /* digits collected, index where the fraction starts */
    int any_digit = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any_digit = 1;
            if (nd == 0 && c == '0' && point < 0)
                continue; /* leading zeros of the integer part */
            if (nd >= (int)sizeof dig)
                goto toolong;
            dig[nd++] = c;
        } else if (c == '.' && point < 0) {
            point = nd;
        } else {
            break;
        }
    }
    if (point < 0)
        point = nd;
    int exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, ev = 0, any = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9' && ev < 1000; i++, any = 1)
            ev = ev * 10 + (s[i] - '0');
        if (!any)
            goto syntax;
        exp = eneg ? -ev : ev;
    }
    if (i != n || !any_digit)
        goto syntax;
    /* value = 0.dig × 10^(point+exp) scaled: integer digits = point+exp. */
    int intdigits = point + exp;
    /* Drop trailing zeros of the fraction: they carry no value. */
    while (nd > 0 && nd > intdigits && dig[nd - 1] == '0')
        nd--;
    int fracdigits = nd - intdigits;
    if (fracdigits > scale && nd > 0) { /* zero has no digits to lose: 0e-5 */
        snprintf(why, whysize, "%.*s has %d fractional digits, more than the scale %d",
                 (int)(n > 60 ? 60 : n), s, fracdigits, scale);
        return SL_ERROR;
    }
    if (intdigits > precision - scale && nd > 0) {
        snprintf(why, whysize, "%.*s needs %d integer digits, more than precision - scale = %d",
                 (int)(n > 60 ? 60 : n), s, intdigits, precision - scale);
        return SL_ERROR;
    }
    sl_int128 v = 0;
    int total = intdigits + scale; /* digits of the unscaled value */
    for (int k = 0; k < total; k++)
        v = v * 10 + ((k < nd && k >= 0) ? dig[k] - '0' : 0);
    if (intdigits < 0) {
        /* leading fractional zeros: 0.00ddd — the loop above counted from dig[0];
         * rebuild with the right shift. */
        v = 0;
        for (int k = 0; k < nd; k++)
            v = v * 10 + (dig[k] - '0');
        v *= sl_pow10_128(scale - fracdigits);
    }
    *out = neg ? -v : v;
    return SL_OK;
toolong:
    snprintf(why, whysize, "more than 128 digits");
    return SL_ERROR;
syntax:
    snprintf(why, whysize, "'%.*s' is not a decimal number", (int)(n > 60 ? 60 : n), s);
    return SL_ERROR;
}

void sl_decimal_format(sl_int128 v, int scale, char *buf, size_t size)
{
    char tmp[64];
    int pos = (int)sizeof tmp;
    tmp[--pos] = 0;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    int k = 0;
    do {
        if (k == scale && scale > 0)
            tmp[--pos] = '.';
        tmp[--pos] = (char)('0' + (int)(u % 10));
        u /= 10;
        k++;
    } while (u || k <= scale);
    if (neg)
        tmp[--pos] = '-';
    snprintf(buf, size, "%s", tmp + pos);
}
