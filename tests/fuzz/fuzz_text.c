/*
 * fuzz_text.c — libFuzzer target for the text decoders of src/util: exact
 * decimals (sl_decimal_parse), dates (sl_parse_date) and timestamps
 * (sl_parse_timestamp), as the SQLite source and the text fallbacks use them.
 *
 * Input layout:
 *
 *   byte 0    precision p = 1 + byte % 38
 *   byte 1    scale s = byte % (p + 1)
 *   rest      the text, given with its length (no NUL needed: the parsers
 *             take (pointer, length), and ASan sees any read past it)
 *
 * Properties checked beyond "no crash, no leak, no UB":
 *   - a parsed decimal is below 10^p in magnitude, and sl_decimal_format of
 *     it parses back (same p, s) to the same unscaled value;
 *   - a parsed date formats (sl_format_date) and parses back to the same
 *     day, and the same text as a timestamp is that day's midnight;
 *   - a parsed timestamp formats (sl_format_timestamp) and parses back to
 *     the same microsecond, without an offset; every accepted instant is
 *     in years 0000…9999 UTC.
 */
#include "util/datetime.h"
#include "util/decimal.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MICROS_PER_DAY 86400000000LL

static void fail(const char *what, const char *text, size_t n, const char *detail)
{
    fprintf(stderr, "fuzz_text: broken promise: %s: input '%.*s': %s\n", what, (int)n, text,
            detail);
    abort();
}

static void decimal_round_trip(const char *s, size_t n, int p, int sc)
{
    char why[256] = "", why2[256] = "", text[64];
    sl_int128 v, back;
    if (sl_decimal_parse(s, n, p, sc, &v, why, sizeof why) != SL_OK) {
        if (!why[0])
            fail("decimal error without a reason", s, n, "");
        return;
    }
    sl_int128 lim = sl_pow10_128(p);
    if (v >= lim || v <= -lim)
        fail("decimal at or past 10^precision", s, n, "");
    sl_decimal_format(v, sc, text, sizeof text);
    if (sl_decimal_parse(text, strlen(text), p, sc, &back, why2, sizeof why2) != SL_OK)
        fail("formatted decimal does not parse back", s, n, why2);
    if (back != v)
        fail("formatted decimal parses back to another value", s, n, text);
}

static void date_round_trip(const char *s, size_t n)
{
    char why[256] = "", text[64];
    int32_t days, back;
    int64_t micros;
    if (sl_parse_date(s, n, &days, why, sizeof why) != SL_OK) {
        if (!why[0])
            fail("date error without a reason", s, n, "");
        return;
    }
    sl_format_date(days, text, sizeof text);
    if (sl_parse_date(text, strlen(text), &back, why, sizeof why) != SL_OK)
        fail("formatted date does not parse back", s, n, why);
    if (back != days)
        fail("formatted date parses back to another day", s, n, text);
    if (sl_parse_timestamp(s, n, &micros, NULL, why, sizeof why) != SL_OK)
        fail("a date is not a timestamp", s, n, why);
    if (micros != (int64_t)days * MICROS_PER_DAY)
        fail("a date as timestamp is not its midnight", s, n, text);
}

static void timestamp_round_trip(const char *s, size_t n)
{
    char why[256] = "", text[64];
    int64_t micros, back;
    int had_offset = -1;
    if (sl_parse_timestamp(s, n, &micros, &had_offset, why, sizeof why) != SL_OK) {
        if (!why[0])
            fail("timestamp error without a reason", s, n, "");
        return;
    }
    if (had_offset != 0 && had_offset != 1)
        fail("had_offset not set", s, n, "");
    /* The parser refuses instants that an offset carries out of 0000–9999. */
    if (micros < sl_days_from_civil(0, 1, 1) * MICROS_PER_DAY ||
        micros >= sl_days_from_civil(10000, 1, 1) * MICROS_PER_DAY)
        fail("timestamp outside years 0000-9999 accepted", s, n, "");
    sl_format_timestamp(micros, text, sizeof text);
    if (sl_parse_timestamp(text, strlen(text), &back, &had_offset, why, sizeof why) != SL_OK)
        fail("formatted timestamp does not parse back", s, n, why);
    if (back != micros || had_offset)
        fail("formatted timestamp parses back to another instant", s, n, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int p = 1 + data[0] % SL_DECIMAL_MAX_PRECISION;
    int sc = data[1] % (p + 1);
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    decimal_round_trip(s, n, p, sc);
    date_round_trip(s, n);
    timestamp_round_trip(s, n);
    return 0;
}
