/*
 * encode.h — Parquet value and level encodings (Encodings.md): PLAIN pieces,
 * the RLE/bit-packing hybrid, bit widths, decimal byte layout.  See encode.c.
 */
#ifndef SL_PARQUET_ENCODE_H
#define SL_PARQUET_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/buf.h"

/* Bits needed to store values 0..max (0 for max 0). */
int pq_bit_width(uint64_t max);

/* Worst-case bytes of a hybrid encoding of n values of width bw. */
size_t pq_rle_bound(size_t n, int bw);

/* RLE/bit-packing hybrid runs (no length prefix, no bit width byte) of n
 * values of bit width bw (1..32), appended to out.  0 or SL_ERROR (cap). */
int pq_rle_encode_u8(struct sl_buf *out, const uint8_t *v, size_t n, int bw);
int pq_rle_encode_u32(struct sl_buf *out, const uint32_t *v, size_t n, int bw);

/* Definition levels of a flat OPTIONAL column as data page v1 wants them:
 * u32 LE byte length, then hybrid runs of bit width 1 (levels are 0/1). */
int pq_levels_encode(struct sl_buf *out, const uint8_t *levels, size_t n);

/* PLAIN BOOLEAN: values 0/1 bit-packed LSB first, last byte zero-padded. */
int pq_plain_bool(struct sl_buf *out, const uint8_t *v, size_t n);

/* PLAIN BYTE_ARRAY: u32 LE length + bytes per value. */
int pq_plain_bytes(struct sl_buf *out, const uint8_t *const *p, const uint32_t *len, size_t n);

/* Bytes of a FIXED_LEN_BYTE_ARRAY decimal of this precision (1..38): the
 * smallest n with 2^(8n-1) > 10^precision - 1. */
int pq_decimal_width(int precision);

/* Big-endian two's complement of v in `width` (1..16) bytes. */
static inline void pq_decimal_be(uint8_t *out, sl_int128 v, int width)
{
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (uint8_t)u;
        u >>= 8;
    }
}

/* PLAIN FLBA of decimals: each value big-endian in `width` bytes. */
int pq_plain_decimal(struct sl_buf *out, const sl_int128 *v, size_t n, int width);

#endif
