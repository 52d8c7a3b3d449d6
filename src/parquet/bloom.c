/*
 * bloom.c — split-block bloom filters for column chunks (BloomFilter.md,
 * parquet.thrift "BloomFilterHeader").
 *
 * A value is hashed with XXH64, seed 0, over its PLAIN encoding (fixed-width
 * values little-endian, BYTE_ARRAY without its length prefix, FLBA as
 * stored).  A filter is z blocks of 256 bits, each eight 32-bit words; the
 * top 32 bits of the hash pick the block, ((h >> 32) * z) >> 32, and the low
 * 32 bits set one bit in each word: bit (x * salt[i]) >> 27 of word i.
 * Words are stored little-endian, blocks in order.
 *
 * Sizing: the writer collects the hashes of a chunk's values, counts the
 * distinct ones (sort, unique) and gives the filter 10.5 bits per distinct
 * value — about 1 % false positives per the spec's table — rounded up to a
 * power of two bytes (what parquet-java and arrow-rs write; every reader
 * accepts it).  On disk:
 *
 *   BloomFilterHeader { 1 numBytes i32, 2 algorithm {1 BLOCK {}},
 *                       3 hash {1 XXHASH {}}, 4 compression {1 UNCOMPRESSED {}} }
 *   bitset (numBytes)
 *
 * xxHash64 follows the algorithm description in Cyan4973/xxHash's
 * doc/xxhash_spec.md: four accumulators over 32-byte stripes, then the
 * tail in 8-, 4- and 1-byte steps, then the avalanche.
 */
#include "parquet/bloom.h"
#include "parquet/thrift.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian host (writer.c checks) */
    return v;
}

static inline uint32_t read32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t round64(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t v)
{
    acc ^= round64(0, v);
    return acc * P1 + P4;
}

uint64_t pq_xxh64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data, *end = p + n;
    uint64_t h;
    if (n >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        for (; end - p >= 32; p += 32) {
            v1 = round64(v1, read64(p));
            v2 = round64(v2, read64(p + 8));
            v3 = round64(v3, read64(p + 16));
            v4 = round64(v4, read64(p + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge(h, v1);
        h = merge(h, v2);
        h = merge(h, v3);
        h = merge(h, v4);
    } else {
        h = seed + P5;
    }
    h += (uint64_t)n;
    for (; end - p >= 8; p += 8) {
        h ^= round64(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
    }
    if (end - p >= 4) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++) {
        h ^= (uint64_t)*p * P5;
        h = rotl(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

static const uint32_t salt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                 0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

size_t pq_bloom_size(size_t distinct)
{
    const size_t max = (size_t)128 << 20;
    double bits = (double)distinct * 10.5;
    size_t bytes = 32;
    while (bytes < max && (double)bytes * 8 < bits)
        bytes <<= 1;
    return bytes;
}

static inline uint8_t *block_of(const uint8_t *bitset, size_t bytes, uint64_t hash)
{
    uint64_t z = bytes / 32;
    return (uint8_t *)bitset + 32 * (((hash >> 32) * z) >> 32);
}

void pq_bloom_insert(uint8_t *bitset, size_t bytes, uint64_t hash)
{
    uint8_t *b = block_of(bitset, bytes, hash);
    uint32_t x = (uint32_t)hash;
    for (int i = 0; i < 8; i++) {
        uint32_t word = read32(b + 4 * i) | 1U << ((x * salt[i]) >> 27);
        memcpy(b + 4 * i, &word, 4);
    }
}

bool pq_bloom_check(const uint8_t *bitset, size_t bytes, uint64_t hash)
{
    const uint8_t *b = block_of(bitset, bytes, hash);
    uint32_t x = (uint32_t)hash;
    for (int i = 0; i < 8; i++)
        if (!(read32(b + 4 * i) & 1U << ((x * salt[i]) >> 27)))
            return false;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int pq_bloom_build(uint64_t *hashes, size_t n, struct sl_buf *out)
{
    size_t distinct = 0;
    if (n) {
        qsort(hashes, n, sizeof *hashes, cmp_u64);
        distinct = 1;
        for (size_t i = 1; i < n; i++)
            distinct += hashes[i] != hashes[i - 1];
    }
    size_t bytes = pq_bloom_size(distinct);
    struct pq_thrift t;
    pq_thrift_init(&t, out);
    pq_thrift_i32(&t, 1, (int32_t)bytes);
    pq_thrift_struct_begin(&t, 2); /* BloomFilterAlgorithm */
    pq_thrift_empty_struct(&t, 1); /* BLOCK */
    pq_thrift_struct_end(&t);
    pq_thrift_struct_begin(&t, 3); /* BloomFilterHash */
    pq_thrift_empty_struct(&t, 1); /* XXHASH */
    pq_thrift_struct_end(&t);
    pq_thrift_struct_begin(&t, 4); /* BloomFilterCompression */
    pq_thrift_empty_struct(&t, 1); /* UNCOMPRESSED */
    pq_thrift_struct_end(&t);
    pq_thrift_struct_end(&t);
    if (pq_thrift_end(&t) || sl_buf_reserve(out, bytes))
        return SL_ERROR;
    uint8_t *bitset = out->data + out->len;
    memset(bitset, 0, bytes);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || hashes[i] != hashes[i - 1])
            pq_bloom_insert(bitset, bytes, hashes[i]);
    out->len += bytes;
    return SL_OK;
}
