/*
 * decimal.h — exact decimal text ↔ scaled integers.
 *
 * Sources hand decimals over as text ("12.34", "-0.5", "1.0e-05") or as
 * integers; the batch stores the unscaled value (batch.h).  Parsing never
 * rounds: a value with more fractional digits than the scale, or more
 * integer digits than precision - scale, is an error with a reason.
 */
#ifndef SL_UTIL_DECIMAL_H
#define SL_UTIL_DECIMAL_H

#include <stddef.h>

#include "batch/batch.h"

int sl_decimal_parse(const char *s, size_t n, int precision, int scale, sl_int128 *out, char *why,
                     size_t whysize);

/* Unscaled value → text with `scale` fractional digits, into buf (≥ 48 bytes). */
void sl_decimal_format(sl_int128 v, int scale, char *buf, size_t size);

/* 10^n for n in [0, 38]. */
sl_int128 sl_pow10_128(int n);

#endif
