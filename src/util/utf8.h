/*
 * utf8.h — strict UTF-8 validation (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), with an ASCII fast path.  Parquet
 * STRING columns must hold valid UTF-8; sources check text before it
 * reaches a batch.
 */
#ifndef SL_UTIL_UTF8_H
#define SL_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool sl_utf8_valid(const uint8_t *s, size_t n);

#endif
