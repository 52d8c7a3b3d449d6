/*
 * delta.h — the value encodings of data page v2 (parquet.format_version 2):
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT (Encodings.md).  See delta.c.
 */
#ifndef SL_PARQUET_DELTA_H
#define SL_PARQUET_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* DELTA_BINARY_PACKED of n INT32 / INT64 values, appended to out; deltas
 * wrap in the type's width as the spec asks.  0 or SL_ERROR (cap). */
int pq_delta_binary_i32(struct sl_buf *out, const int32_t *v, size_t n);
int pq_delta_binary_i64(struct sl_buf *out, const int64_t *v, size_t n);

/* DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY of the n byte arrays held
 * PLAIN-encoded (u32 LE length + bytes each) in plain[0..plain_len),
 * appended to out.  `scratch` holds the lengths (reset, reused).  0 or
 * SL_ERROR (cap, or a malformed PLAIN buffer). */
int pq_delta_length_bytes(struct sl_buf *out, struct sl_buf *scratch, const uint8_t *plain,
                          size_t plain_len, size_t n);
int pq_delta_bytes(struct sl_buf *out, struct sl_buf *scratch, const uint8_t *plain,
                   size_t plain_len, size_t n);

/* BYTE_STREAM_SPLIT of n values of `width` bytes: byte j of value i goes to
 * out[j * n + i].  0 or SL_ERROR (cap). */
int pq_byte_stream_split(struct sl_buf *out, const uint8_t *v, size_t n, size_t width);

/* Levels of data page v2 (no length prefix): the RLE/bit-packing hybrid
 * runs of encode.c, or one bit-packed run of all n values when that is
 * smaller — levels are stored uncompressed in v2 pages, and a sparse
 * pattern (one NULL in eleven rows) costs the hybrid encoder's short RLE
 * runs more than plain bit-packing.  bw 1..8.  0 or SL_ERROR (cap). */
int pq_levels_v2(struct sl_buf *out, const uint8_t *levels, size_t n, int bw);

#endif
