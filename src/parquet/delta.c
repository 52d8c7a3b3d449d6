/*
 * delta.c — value encodings of data page v2 (Encodings.md), written when a
 * column chunk is not dictionary-encoded and parquet.format_version is 2.
 *
 * DELTA_BINARY_PACKED (Encodings.md "Delta Encoding (DELTA_BINARY_PACKED =
 * 5)"), for INT32 and INT64:
 *
 *   header := uleb(block size 128) uleb(miniblocks 4) uleb(count) zigzag(first)
 *   block  := zigzag(min delta) bitwidth[4] miniblock*
 *
 * Each block holds the next 128 deltas (value minus previous value); the
 * block's smallest delta is subtracted from each, and each miniblock of 32
 * relative deltas is bit-packed LSB first (as the RLE hybrid packs) with the
 * width of its largest.  A last miniblock that is not full is padded with
 * zeros to 32 values; miniblocks after the last value keep their width byte
 * (0) and have no data.  Subtractions wrap in the physical type's width
 * (the spec: "handled as wrapping around in 2's complement"), so INT32
 * deltas are computed in uint32 and never need more than 32 bits, INT64 in
 * uint64 and never more than 64: INT64_MIN after INT64_MAX is a delta of 1.
 * 0 values: the header alone (first value 0); 1 value: the header alone.
 *
 * DELTA_LENGTH_BYTE_ARRAY (= 6): the lengths DELTA_BINARY_PACKED (as INT32),
 * then all the bytes back to back.
 * DELTA_BYTE_ARRAY (= 7): the length of the prefix shared with the previous
 * value, DELTA_BINARY_PACKED; then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
 *
 * BYTE_STREAM_SPLIT (= 9): byte j of every value into stream j, the streams
 * back to back; no header (the page's end is the data's end).
 */
#include "parquet/delta.h"
#include "parquet/encode.h"
#include "parquet/thrift.h"
#include "util/err.h"

#include <string.h>

#define BLOCK      128
#define MINIBLOCKS 4
#define MINI       (BLOCK / MINIBLOCKS)

static int put_uleb(struct sl_buf *out, uint64_t v)
{
    uint8_t tmp[10];
    return sl_buf_append(out, tmp, pq_uleb128(tmp, v));
}

static int bits(uint64_t v)
{
    return v ? 64 - __builtin_clzll(v) : 0;
}

/* 32 values of width bw (1..64) into exactly 4 * bw bytes, LSB first. */
static void pack32(uint8_t *out, const uint64_t *v, int bw)
{
    unsigned __int128 acc = 0;
    int have = 0;
    for (int i = 0; i < MINI; i++) {
        acc |= (unsigned __int128)v[i] << have;
        have += bw;
        while (have >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
}

/* The shared body: values read as int64 (INT32 sign-extended), deltas
 * wrapping at `width` bits (32 or 64). */
static int delta_binary(struct sl_buf *out, const void *v, size_t n, int width)
{
    const int32_t *v32 = v;
    const int64_t *v64 = v;
#define VALUE(i) (width == 32 ? (int64_t)v32[i] : v64[i])
    if (put_uleb(out, BLOCK) || put_uleb(out, MINIBLOCKS) || put_uleb(out, n) ||
        put_uleb(out, pq_zigzag64(n ? VALUE(0) : 0)))
        return SL_ERROR;
    uint64_t rel[BLOCK];
    int64_t prev = n ? VALUE(0) : 0;
    for (size_t i = 1; i < n; i += BLOCK) {
        size_t m = n - i < BLOCK ? n - i : BLOCK;
        int64_t delta[BLOCK], min = INT64_MAX;
        for (size_t k = 0; k < m; k++) {
            int64_t cur = VALUE(i + k);
            if (width == 32) /* int32 wrap-around, sign-extended */
                delta[k] = (int64_t)(int32_t)((uint32_t)cur - (uint32_t)prev);
            else
                delta[k] = (int64_t)((uint64_t)cur - (uint64_t)prev);
            if (delta[k] < min)
                min = delta[k];
            prev = cur;
        }
        for (size_t k = 0; k < BLOCK; k++) {
            if (k >= m)
                rel[k] = 0;
            else if (width == 32)
                rel[k] = (uint32_t)((uint32_t)delta[k] - (uint32_t)min);
            else
                rel[k] = (uint64_t)delta[k] - (uint64_t)min;
        }
        uint8_t bw[MINIBLOCKS] = {0};
        size_t data = 0;
        for (size_t j = 0; j < MINIBLOCKS && j * MINI < m; j++) {
            uint64_t any = 0;
            for (size_t k = j * MINI; k < (j + 1) * MINI; k++)
                any |= rel[k];
            bw[j] = (uint8_t)bits(any);
            data += (size_t)bw[j] * (MINI / 8);
        }
        if (put_uleb(out, pq_zigzag64(min)) || sl_buf_append(out, bw, MINIBLOCKS) ||
            sl_buf_reserve(out, data))
            return SL_ERROR;
        for (size_t j = 0; j < MINIBLOCKS; j++)
            if (bw[j]) {
                pack32(out->data + out->len, rel + j * MINI, bw[j]);
                out->len += (size_t)bw[j] * (MINI / 8);
            }
    }
#undef VALUE
    return SL_OK;
}

int pq_delta_binary_i32(struct sl_buf *out, const int32_t *v, size_t n)
{
    return delta_binary(out, v, n, 32);
}

int pq_delta_binary_i64(struct sl_buf *out, const int64_t *v, size_t n)
{
    return delta_binary(out, v, n, 64);
}

static uint32_t u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int pq_delta_length_bytes(struct sl_buf *out, struct sl_buf *scratch, const uint8_t *plain,
                          size_t plain_len, size_t n)
{
    sl_buf_reset(scratch);
    if (sl_buf_reserve(scratch, n * 4))
        return SL_ERROR;
    int32_t *len = (int32_t *)(void *)scratch->data;
    size_t at = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (plain_len - at < 4)
            return SL_ERROR;
        uint32_t l = u32le(plain + at);
        if (l > plain_len - at - 4 || l > INT32_MAX)
            return SL_ERROR;
        len[i] = (int32_t)l;
        at += 4 + l;
        total += l;
    }
    if (pq_delta_binary_i32(out, len, n) || sl_buf_reserve(out, total))
        return SL_ERROR;
    at = 0;
    for (size_t i = 0; i < n; i++) {
        sl_buf_put_unchecked(out, plain + at + 4, (size_t)len[i]);
        at += 4 + (size_t)len[i];
    }
    return SL_OK;
}

int pq_delta_bytes(struct sl_buf *out, struct sl_buf *scratch, const uint8_t *plain,
                   size_t plain_len, size_t n)
{
    sl_buf_reset(scratch);
    if (sl_buf_reserve(scratch, n * 8))
        return SL_ERROR;
    int32_t *prefix = (int32_t *)(void *)scratch->data, *suffix = prefix + n;
    const uint8_t *last = NULL;
    uint32_t last_len = 0;
    size_t at = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (plain_len - at < 4)
            return SL_ERROR;
        uint32_t l = u32le(plain + at);
        if (l > plain_len - at - 4 || l > INT32_MAX)
            return SL_ERROR;
        const uint8_t *p = plain + at + 4;
        uint32_t k = 0, most = l < last_len ? l : last_len;
        while (k < most && p[k] == last[k])
            k++;
        prefix[i] = (int32_t)k;
        suffix[i] = (int32_t)(l - k);
        total += l - k;
        last = p, last_len = l;
        at += 4 + l;
    }
    if (pq_delta_binary_i32(out, prefix, n) || pq_delta_binary_i32(out, suffix, n) ||
        sl_buf_reserve(out, total))
        return SL_ERROR;
    at = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = u32le(plain + at);
        sl_buf_put_unchecked(out, plain + at + 4 + prefix[i], (size_t)suffix[i]);
        at += 4 + l;
    }
    return SL_OK;
}

int pq_byte_stream_split(struct sl_buf *out, const uint8_t *v, size_t n, size_t width)
{
    if (sl_buf_reserve(out, n * width))
        return SL_ERROR;
    uint8_t *o = out->data + out->len;
    for (size_t j = 0; j < width; j++)
        for (size_t i = 0; i < n; i++)
            o[j * n + i] = v[i * width + j];
    out->len += n * width;
    return SL_OK;
}

int pq_levels_v2(struct sl_buf *out, const uint8_t *levels, size_t n, int bw)
{
    size_t at = out->len;
    if (pq_rle_encode_u8(out, levels, n, bw))
        return SL_ERROR;
    size_t groups = (n + 7) / 8;
    uint8_t header[10];
    size_t hlen = pq_uleb128(header, (uint64_t)groups << 1 | 1);
    size_t packed = hlen + groups * (size_t)bw;
    if (!n || out->len - at <= packed)
        return SL_OK;
    /* One bit-packed run: groups of 8 values, LSB first, the last group
     * zero-padded (Encodings.md "RLE/bit-packing hybrid"). */
    out->len = at;
    if (sl_buf_reserve(out, packed))
        return SL_ERROR;
    sl_buf_put_unchecked(out, header, hlen);
    uint8_t *o = out->data + out->len;
    memset(o, 0, groups * (size_t)bw);
    size_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += (size_t)bw) {
        unsigned v = levels[i] & ((1u << bw) - 1);
        o[bit / 8] |= (uint8_t)(v << (bit % 8));
        if (bit % 8 + (size_t)bw > 8)
            o[bit / 8 + 1] |= (uint8_t)(v >> (8 - bit % 8));
    }
    out->len += groups * (size_t)bw;
    return SL_OK;
}
