/*
 * dict.h — the per-column-chunk dictionary of RLE_DICTIONARY encoding: a hash
 * table from value to index, values kept in index order so they form the
 * dictionary page.  See dict.c.
 */
#ifndef SL_PARQUET_DICT_H
#define SL_PARQUET_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum pq_dict_kind {
    PQ_DICT_W4,    /* 4-byte values: INT32, FLOAT (by bit pattern) */
    PQ_DICT_W8,    /* 8-byte values: INT64, DOUBLE (by bit pattern) */
    PQ_DICT_W16,   /* 16-byte values: UUID, decimals as sl_int128 */
    PQ_DICT_BYTES, /* BYTE_ARRAY */
};

struct pq_dict {
    enum pq_dict_kind kind;
    size_t plain_width;  /* bytes per value on the dictionary page (fixed kinds) */
    uint32_t count;      /* entries */
    uint32_t *slots;     /* open addressing, linear probing: entry + 1, 0 = empty */
    uint32_t mask;       /* nslots - 1 */
    int shift;           /* 64 - log2(nslots) */
    uint8_t *values;     /* fixed kinds: count entries of 4/8/16 bytes */
    uint64_t *hashes;    /* W16 and BYTES: hash per entry, for rehashing */
    uint32_t *offsets;   /* BYTES: entry start (its length prefix) in plain */
    size_t entries_cap;
    struct sl_buf plain; /* BYTES: the PLAIN dictionary page body */
};

/* Empty dictionary.  plain_width is the size of one value on the
 * dictionary page for fixed kinds (e.g. 9 for a DECIMAL(20) stored in 16
 * bytes), unused for BYTES.  0 or SL_ERROR (out of memory). */
int pq_dict_init(struct pq_dict *d, enum pq_dict_kind kind, size_t plain_width);
/* Drop all entries, keep memory (start of a new column chunk). */
void pq_dict_reset(struct pq_dict *d);
void pq_dict_free(struct pq_dict *d);

/* Size of the dictionary page body in bytes (PLAIN encoded values). */
static inline size_t pq_dict_bytes(const struct pq_dict *d)
{
    return d->kind == PQ_DICT_BYTES ? d->plain.len : (size_t)d->count * d->plain_width;
}

/* Look up or add n values, writing each one's index to idx[i].
 * 0, or SL_ERROR on out of memory (the dictionary stays consistent). */
int pq_dict_put_w4(struct pq_dict *d, const void *v, size_t n, uint32_t *idx);
int pq_dict_put_w8(struct pq_dict *d, const void *v, size_t n, uint32_t *idx);
int pq_dict_put_w16(struct pq_dict *d, const void *v, size_t n, uint32_t *idx);
int pq_dict_put_bytes(struct pq_dict *d, const uint8_t *const *p, const uint32_t *len,
                      size_t n, uint32_t *idx);

/* The value of entry i (BYTES: pointer into plain and its length). */
const uint8_t *pq_dict_entry_bytes(const struct pq_dict *d, uint32_t i, uint32_t *len);

/* A 64-bit hash of a byte string (also used by tests). */
uint64_t pq_hash_bytes(const uint8_t *p, size_t n);

#endif
