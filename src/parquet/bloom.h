/*
 * bloom.h — split-block bloom filters (BloomFilter.md) and the xxHash64
 * they hash values with.  See bloom.c.
 */
#ifndef SL_PARQUET_BLOOM_H
#define SL_PARQUET_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* XXH64 of p[0..n) with `seed` (the spec uses seed 0). */
uint64_t pq_xxh64(const void *p, size_t n, uint64_t seed);

/* Bitset bytes for `distinct` values at about 1 % false positives: 10.5
 * bits per value (BloomFilter.md "Sizing an SBBF"), rounded up to a power
 * of two, at least one 32-byte block and at most 128 MiB. */
size_t pq_bloom_size(size_t distinct);

/* Insert / check a hash in a bitset of `bytes` (a multiple of 32). */
void pq_bloom_insert(uint8_t *bitset, size_t bytes, uint64_t hash);
bool pq_bloom_check(const uint8_t *bitset, size_t bytes, uint64_t hash);

/* The bloom filter of a column chunk from the hashes of its values (any
 * order, repeats allowed; sorted in place): BloomFilterHeader (Thrift
 * compact) then the bitset, appended to out.  0 or SL_ERROR (memory). */
int pq_bloom_build(uint64_t *hashes, size_t n, struct sl_buf *out);

#endif
