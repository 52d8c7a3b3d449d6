/*
 * encode.c — value and level encodings of Encodings.md.
 *
 * PLAIN (Encodings.md "Plain: (PLAIN = 0)"): fixed-width values little-endian
 * back to back (the writer memcpy's INT32/INT64/FLOAT/DOUBLE arrays itself on
 * little-endian hosts), BOOLEAN bit-packed LSB first, BYTE_ARRAY as a u32 LE
 * length followed by the bytes, FIXED_LEN_BYTE_ARRAY as the bytes.
 *
 * RLE/bit-packing hybrid (Encodings.md "Run Length Encoding / Bit-Packing
 * Hybrid (RLE = 3)"), used for definition levels and dictionary indices:
 *
 *   rle-run        := varint(count << 1)           value in ceil(bw/8) bytes LE
 *   bit-packed-run := varint(groups << 1 | 1)      groups * bw bytes
 *
 * Bit-packed values fill each byte from the least significant bit; a run
 * holds a multiple of 8 values, the last group of the data zero-padded.  The
 * encoder walks the input once: at each position it measures the run of
 * equal values; a run of 8 or more becomes an RLE run, otherwise the next 8
 * values join the pending bit-packed run.  So the pending run always holds
 * whole groups when an RLE run interrupts it, and the output never exceeds
 * pq_rle_bound, which lets the loops write unchecked after one reserve.
 *
 * Data page v1 puts a u32 LE byte length in front of the level runs;
 * dictionary indices instead get one byte of bit width and no length
 * (Encodings.md "Dictionary Encoding").
 *
 * DECIMAL as FIXED_LEN_BYTE_ARRAY (LogicalTypes.md "DECIMAL") is the unscaled
 * value in big-endian two's complement, in the fewest bytes that hold every
 * value of the precision.
 */
#include "parquet/encode.h"
#include "parquet/thrift.h"
#include "util/err.h"

int pq_bit_width(uint64_t max)
{
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

size_t pq_rle_bound(size_t n, int bw)
{
    /* Every 8 values cost at most bw bytes packed, or one RLE run of
     * (header <= 5) + (value <= 4) bytes; plus a final header and padding. */
    size_t groups = n / 8 + 1;
    return groups * ((size_t)bw + 10) + 16;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    return p + pq_uleb128(p, v);
}

/* Pack `count` values (count <= groups * 8) of width bw into groups * bw
 * bytes; missing values are zero. */
#define DEFINE_BITPACK(name, T)                                                   \
    static uint8_t *name(uint8_t *p, const T *v, size_t count, size_t groups, int bw) \
    {                                                                             \
        uint8_t *end = p + groups * (size_t)bw;                                   \
        if (bw == 1) {                                                            \
            size_t k = 0;                                                         \
            for (; k + 8 <= count; k += 8)                                        \
                *p++ = (uint8_t)((v[k] & 1) | (v[k + 1] & 1) << 1 |               \
                                 (v[k + 2] & 1) << 2 | (v[k + 3] & 1) << 3 |      \
                                 (v[k + 4] & 1) << 4 | (v[k + 5] & 1) << 5 |      \
                                 (v[k + 6] & 1) << 6 | (v[k + 7] & 1) << 7);      \
            if (k < count) {                                                      \
                uint8_t b = 0;                                                    \
                for (int j = 0; k < count; k++, j++)                              \
                    b |= (uint8_t)((v[k] & 1) << j);                              \
                *p++ = b;                                                         \
            }                                                                     \
        } else {                                                                  \
            uint64_t acc = 0;                                                     \
            int bits = 0;                                                         \
            for (size_t k = 0; k < count; k++) {                                  \
                acc |= (uint64_t)v[k] << bits;                                    \
                bits += bw;                                                       \
                if (bits >= 32) {                                                 \
                    p[0] = (uint8_t)acc;                                          \
                    p[1] = (uint8_t)(acc >> 8);                                   \
                    p[2] = (uint8_t)(acc >> 16);                                  \
                    p[3] = (uint8_t)(acc >> 24);                                  \
                    p += 4;                                                       \
                    acc >>= 32;                                                   \
                    bits -= 32;                                                   \
                }                                                                 \
            }                                                                     \
            while (bits > 0) {                                                    \
                *p++ = (uint8_t)acc;                                              \
                acc >>= 8;                                                        \
                bits -= 8;                                                        \
            }                                                                     \
        }                                                                         \
        while (p < end)                                                           \
            *p++ = 0;                                                             \
        return p;                                                                 \
    }

DEFINE_BITPACK(bitpack_u8, uint8_t)
DEFINE_BITPACK(bitpack_u32, uint32_t)

#define DEFINE_RLE(name, T, bitpack)                                              \
    int name(struct sl_buf *out, const T *v, size_t n, int bw)                    \
    {                                                                             \
        if (sl_buf_reserve(out, pq_rle_bound(n, bw)))                             \
            return SL_ERROR;                                                      \
        uint8_t *p = out->data + out->len;                                        \
        int vbytes = (bw + 7) / 8;                                                \
        size_t i = 0, bp = 0; /* pending bit-packed values: [bp, i) */            \
        while (i < n) {                                                           \
            T x = v[i];                                                           \
            size_t j = i + 1;                                                     \
            while (j < n && v[j] == x)                                            \
                j++;                                                              \
            if (j - i >= 8) {                                                     \
                if (i > bp) {                                                     \
                    size_t groups = (i - bp) / 8;                                 \
                    p = put_varint(p, groups << 1 | 1);                           \
                    p = bitpack(p, v + bp, i - bp, groups, bw);                   \
                }                                                                 \
                p = put_varint(p, (uint64_t)(j - i) << 1);                        \
                for (int k = 0; k < vbytes; k++)                                  \
                    *p++ = (uint8_t)((uint32_t)x >> (8 * k));                     \
                i = bp = j;                                                       \
            } else {                                                              \
                i = n - i > 8 ? i + 8 : n;                                        \
            }                                                                     \
        }                                                                         \
        if (i > bp) {                                                             \
            size_t groups = (i - bp + 7) / 8;                                     \
            p = put_varint(p, groups << 1 | 1);                                   \
            p = bitpack(p, v + bp, i - bp, groups, bw);                           \
        }                                                                         \
        out->len = (size_t)(p - out->data);                                       \
        return SL_OK;                                                             \
    }

DEFINE_RLE(pq_rle_encode_u8, uint8_t, bitpack_u8)
DEFINE_RLE(pq_rle_encode_u32, uint32_t, bitpack_u32)

int pq_levels_encode(struct sl_buf *out, const uint8_t *levels, size_t n)
{
    if (sl_buf_reserve(out, 4))
        return SL_ERROR;
    size_t at = out->len;
    out->len += 4;
    if (pq_rle_encode_u8(out, levels, n, 1))
        return SL_ERROR;
    size_t len = out->len - at - 4;
    if (len > UINT32_MAX)
        return SL_ERROR;
    for (int k = 0; k < 4; k++)
        out->data[at + (size_t)k] = (uint8_t)(len >> (8 * k));
    return SL_OK;
}

int pq_plain_bool(struct sl_buf *out, const uint8_t *v, size_t n)
{
    size_t bytes = (n + 7) / 8;
    if (!n)
        return SL_OK;
    if (sl_buf_reserve(out, bytes))
        return SL_ERROR;
    bitpack_u8(out->data + out->len, v, n, bytes, 1);
    out->len += bytes;
    return SL_OK;
}

int pq_plain_bytes(struct sl_buf *out, const uint8_t *const *p, const uint32_t *len, size_t n)
{
    size_t total = 4 * n;
    if (!n)
        return SL_OK;
    for (size_t i = 0; i < n; i++)
        total += len[i];
    if (sl_buf_reserve(out, total))
        return SL_ERROR;
    uint8_t *d = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = len[i];
        d[0] = (uint8_t)l;
        d[1] = (uint8_t)(l >> 8);
        d[2] = (uint8_t)(l >> 16);
        d[3] = (uint8_t)(l >> 24);
        if (l)
            memcpy(d + 4, p[i], l);
        d += 4 + (size_t)l;
    }
    out->len += total;
    return SL_OK;
}

int pq_decimal_width(int precision)
{
    /* 10^precision - 1 must fit in a signed width-byte integer. */
    sl_int128 limit = 1;
    for (int i = 0; i < precision && i < 38; i++)
        limit *= 10;
    limit -= 1;
    for (int w = 1; w < 16; w++) {
        sl_int128 max = ((sl_int128)1 << (8 * w - 1)) - 1;
        if (limit <= max)
            return w;
    }
    return 16;
}

int pq_plain_decimal(struct sl_buf *out, const sl_int128 *v, size_t n, int width)
{
    size_t total = n * (size_t)width;
    if (!n)
        return SL_OK;
    if (sl_buf_reserve(out, total))
        return SL_ERROR;
    uint8_t *d = out->data + out->len;
    for (size_t i = 0; i < n; i++, d += width)
        pq_decimal_be(d, v[i], width);
    out->len += total;
    return SL_OK;
}
