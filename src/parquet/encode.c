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

/* Bit-packing, a word at a time.  One group of 8 values of width BW is
 * exactly BW bytes: values go into a 64-bit accumulator, which is stored 32
 * bits at a time (one little-endian store: the writer requires a
 * little-endian host) and its last whole bytes at the end of the group.
 * pack8 is instantiated once per width 1..32 (the switch in each bitpack
 * below), so the shifts, the stores and the loop are all resolved at compile
 * time: a few instructions per value instead of a loop with a branch per
 * value.  Width 1 of one-byte values (definition levels, booleans) packs 8
 * bytes holding 0/1 by one multiply: byte i of x lands in bit i of the top
 * byte of x * 0x0102040810204080. */
#define DEFINE_PACK8(name, T)                                                     \
    static inline __attribute__((always_inline)) uint8_t *name(uint8_t *p, const T *v, \
                                                               int bw)            \
    {                                                                             \
        uint64_t acc = 0;                                                         \
        int bits = 0;                                                             \
        _Pragma("GCC unroll 8")                                                   \
        for (int k = 0; k < 8; k++) {                                             \
            acc |= (uint64_t)v[k] << bits;                                        \
            bits += bw;                                                           \
            if (bits >= 32) {                                                     \
                uint32_t word = (uint32_t)acc;                                    \
                memcpy(p, &word, 4);                                              \
                p += 4;                                                           \
                acc >>= 32;                                                       \
                bits -= 32;                                                       \
            }                                                                     \
        }                                                                         \
        for (; bits > 0; bits -= 8) {                                             \
            *p++ = (uint8_t)acc;                                                  \
            acc >>= 8;                                                            \
        }                                                                         \
        return p;                                                                 \
    }

DEFINE_PACK8(pack8_u8, uint8_t)
DEFINE_PACK8(pack8_u32, uint32_t)

static inline uint8_t bits8(const uint8_t *v)
{
    uint64_t x;
    memcpy(&x, v, 8);
    return (uint8_t)(((x & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56);
}

#define PACK_CASE(pack8, BW)                                                      \
    case BW:                                                                      \
        for (size_t g = 0; g < full; g++)                                         \
            p = pack8(p, v + 8 * g, BW);                                          \
        break;
#define PACK_CASES_8(pack8)                                                       \
    PACK_CASE(pack8, 1) PACK_CASE(pack8, 2) PACK_CASE(pack8, 3) PACK_CASE(pack8, 4) \
    PACK_CASE(pack8, 5) PACK_CASE(pack8, 6) PACK_CASE(pack8, 7) PACK_CASE(pack8, 8)
#define PACK_CASES_32(pack8)                                                      \
    PACK_CASES_8(pack8)                                                           \
    PACK_CASE(pack8, 9) PACK_CASE(pack8, 10) PACK_CASE(pack8, 11) PACK_CASE(pack8, 12) \
    PACK_CASE(pack8, 13) PACK_CASE(pack8, 14) PACK_CASE(pack8, 15) PACK_CASE(pack8, 16) \
    PACK_CASE(pack8, 17) PACK_CASE(pack8, 18) PACK_CASE(pack8, 19) PACK_CASE(pack8, 20) \
    PACK_CASE(pack8, 21) PACK_CASE(pack8, 22) PACK_CASE(pack8, 23) PACK_CASE(pack8, 24) \
    PACK_CASE(pack8, 25) PACK_CASE(pack8, 26) PACK_CASE(pack8, 27) PACK_CASE(pack8, 28) \
    PACK_CASE(pack8, 29) PACK_CASE(pack8, 30) PACK_CASE(pack8, 31) PACK_CASE(pack8, 32)

/* Pack `count` values (count <= groups * 8) of width bw (1..32) into
 * groups * bw bytes; the values of a last partial group and any missing
 * groups are zero.  Returns the end of those bytes. */
#define BITPACK_TAIL(T, pack8)                                                    \
    if (count % 8) {                                                              \
        T last[8] = {0};                                                          \
        memcpy(last, v + 8 * full, (count % 8) * sizeof(T));                      \
        p = pack8(p, last, bw);                                                   \
    }                                                                             \
    if (p < end)                                                                  \
        memset(p, 0, (size_t)(end - p));                                          \
    return end;

static uint8_t *bitpack_u8(uint8_t *p, const uint8_t *v, size_t count, size_t groups, int bw)
{
    uint8_t *end = p + groups * (size_t)bw;
    size_t full = count / 8;
    if (bw == 1) { /* only the low bit of each value counts, as ever */
        for (size_t g = 0; g < full; g++)
            *p++ = bits8(v + 8 * g);
        if (count % 8) {
            uint8_t last[8] = {0};
            memcpy(last, v + 8 * full, count % 8);
            *p++ = bits8(last);
        }
        if (p < end)
            memset(p, 0, (size_t)(end - p));
        return end;
    }
    switch (bw) {
        PACK_CASES_8(pack8_u8)
    default: /* wider than a byte's values need: still correct */
        for (size_t g = 0; g < full; g++)
            p = pack8_u8(p, v + 8 * g, bw);
    }
    BITPACK_TAIL(uint8_t, pack8_u8)
}

static uint8_t *bitpack_u32(uint8_t *p, const uint32_t *v, size_t count, size_t groups, int bw)
{
    uint8_t *end = p + groups * (size_t)bw;
    size_t full = count / 8;
    switch (bw) {
        PACK_CASES_32(pack8_u32)
    default: break;
    }
    BITPACK_TAIL(uint32_t, pack8_u32)
}

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
