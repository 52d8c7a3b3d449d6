/*
 * dict.c — hash dictionaries for RLE_DICTIONARY (Encodings.md "Dictionary
 * Encoding (PLAIN_DICTIONARY = 2 and RLE_DICTIONARY = 8)").
 *
 * A column chunk's dictionary page holds each distinct value once, PLAIN
 * encoded, in index order; data pages then store indices.  The writer feeds
 * values a few hundred at a time (one batch slice of a column, nulls already
 * removed) and gets their indices back; after each slice it compares
 * pq_dict_bytes with options.dict_max_bytes and falls back to PLAIN when the
 * dictionary grew too large (writer.c).
 *
 * Layout: entries live in index order (`values` for fixed widths, `plain` —
 * already the page body — for byte arrays); the hash table `slots` maps a
 * hash to entry + 1 with linear probing, kept at most half full.  Fixed-width
 * values are compared by bit pattern, so FLOAT/DOUBLE -0.0 and +0.0, and NaNs
 * with different payloads, are distinct entries: PLAIN round-trips the bits.
 * Byte-array entries keep their 64-bit hash so a lookup compares the hash and
 * length before memcmp and growth never re-reads the bytes.
 *
 * No allocation per value: arrays grow by doubling.  Entry offsets are u32,
 * so a byte-array dictionary is capped at 4 GiB (far above any sensible
 * dict_max_bytes).
 */
#include "parquet/dict.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>

#define INITIAL_SLOTS 1024u
#define PLAIN_CAP ((size_t)UINT32_MAX)

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    return x;
}

static inline uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t pq_hash_bytes(const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0x243F6A8885A308D3ull ^ (n * k);
    while (n >= 16) {
        uint64_t a = read64(p), b = read64(p + 8);
        h = (h ^ a) * k;
        h = (h << 29 | h >> 35) ^ b;
        h *= 0xC2B2AE3D27D4EB4Full;
        p += 16;
        n -= 16;
    }
    if (n >= 8) {
        h = (h ^ read64(p)) * k;
        h = h << 31 | h >> 33;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t t = 0;
        memcpy(&t, p, n);
        h = (h ^ t) * 0xC2B2AE3D27D4EB4Full;
    }
    return mix64(h);
}

static inline uint64_t hash16(const uint8_t *p)
{
    return mix64(read64(p) * 0x9E3779B97F4A7C15ull ^ read64(p + 8));
}

static int alloc_slots(struct pq_dict *d, uint32_t nslots)
{
    uint32_t *s = malloc(nslots * sizeof *s);
    if (!s)
        return SL_ERROR;
    sl_prefault(s, nslots * sizeof *s);
    memset(s, 0, nslots * sizeof *s);
    free(d->slots);
    d->slots = s;
    d->mask = nslots - 1;
    int bits = 0;
    while ((1u << bits) < nslots)
        bits++;
    d->shift = 64 - bits;
    return SL_OK;
}

int pq_dict_init(struct pq_dict *d, enum pq_dict_kind kind, size_t plain_width)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->plain_width = plain_width;
    sl_buf_init(&d->plain, PLAIN_CAP);
    return alloc_slots(d, INITIAL_SLOTS);
}

void pq_dict_reset(struct pq_dict *d)
{
    if (d->count)
        memset(d->slots, 0, sizeof *d->slots * ((size_t)d->mask + 1));
    d->count = 0;
    sl_buf_reset(&d->plain);
}

void pq_dict_free(struct pq_dict *d)
{
    if (!d)
        return;
    free(d->slots);
    free(d->values);
    free(d->hashes);
    free(d->offsets);
    sl_buf_free(&d->plain);
    memset(d, 0, sizeof *d);
}

static size_t value_size(const struct pq_dict *d)
{
    switch (d->kind) {
    case PQ_DICT_W4: return 4;
    case PQ_DICT_W8: return 8;
    case PQ_DICT_W16: return 16;
    case PQ_DICT_BYTES: return 0;
    }
    return 0;
}

static inline uint64_t entry_hash(const struct pq_dict *d, uint32_t e)
{
    switch (d->kind) {
    case PQ_DICT_W4: {
        uint32_t v;
        memcpy(&v, d->values + 4 * (size_t)e, 4);
        return (uint64_t)v * 0x9E3779B97F4A7C15ull;
    }
    case PQ_DICT_W8: return read64(d->values + 8 * (size_t)e) * 0x9E3779B97F4A7C15ull;
    default: return d->hashes[e];
    }
}

/* Make room for one more entry: grow the entry arrays and keep the table at
 * most half full. */
static int grow(struct pq_dict *d)
{
    if (d->count == UINT32_MAX - 1)
        return SL_ERROR;
    if (d->count >= d->entries_cap) {
        size_t cap = d->entries_cap ? d->entries_cap * 2 : 256;
        size_t vs = value_size(d);
        if (vs) {
            uint8_t *v = sl_grow(d->values, d->count * vs, cap * vs);
            if (!v)
                return SL_ERROR;
            sl_prefault(v + d->count * vs, (cap - d->count) * vs);
            d->values = v;
        }
        if (d->kind == PQ_DICT_W16 || d->kind == PQ_DICT_BYTES) {
            uint64_t *h = sl_grow(d->hashes, d->count * sizeof *h, cap * sizeof *h);
            if (!h)
                return SL_ERROR;
            sl_prefault(h + d->count, (cap - d->count) * sizeof *h);
            d->hashes = h;
        }
        if (d->kind == PQ_DICT_BYTES) {
            uint32_t *o = sl_grow(d->offsets, d->count * sizeof *o, cap * sizeof *o);
            if (!o)
                return SL_ERROR;
            sl_prefault(o + d->count, (cap - d->count) * sizeof *o);
            d->offsets = o;
        }
        d->entries_cap = cap;
    }
    if ((size_t)(d->count + 1) * 2 > (size_t)d->mask + 1) {
        uint32_t nslots = (d->mask + 1) * 2;
        if (!nslots || alloc_slots(d, nslots))
            return SL_ERROR;
        for (uint32_t e = 0; e < d->count; e++) {
            uint32_t s = (uint32_t)(entry_hash(d, e) >> d->shift);
            while (d->slots[s])
                s = (s + 1) & d->mask;
            d->slots[s] = e + 1;
        }
    }
    return SL_OK;
}

/* Fixed-width lookup: T is the value's integer image. */
#define DEFINE_PUT_FIXED(name, T, W, HASH)                                        \
    int name(struct pq_dict *d, const void *vp, size_t n, uint32_t *idx)          \
    {                                                                             \
        const uint8_t *src = vp;                                                  \
        for (size_t i = 0; i < n; i++) {                                          \
            T x;                                                                  \
            memcpy(&x, src + (size_t)W * i, W);                                   \
            uint64_t h = HASH;                                                    \
            uint32_t s = (uint32_t)(h >> d->shift), e;                            \
            for (;;) {                                                            \
                e = d->slots[s];                                                  \
                if (!e)                                                           \
                    break;                                                        \
                if (memcmp(d->values + (size_t)W * (e - 1), &x, W) == 0)          \
                    break;                                                        \
                s = (s + 1) & d->mask;                                            \
            }                                                                     \
            if (e) {                                                              \
                idx[i] = e - 1;                                                   \
                continue;                                                         \
            }                                                                     \
            if ((size_t)(d->count + 1) * 2 > (size_t)d->mask + 1 ||               \
                d->count >= d->entries_cap) {                                     \
                if (grow(d))                                                      \
                    return SL_ERROR;                                              \
                s = (uint32_t)(h >> d->shift);                                    \
                while (d->slots[s])                                               \
                    s = (s + 1) & d->mask;                                        \
            }                                                                     \
            memcpy(d->values + (size_t)W * d->count, &x, W);                      \
            STORE_HASH;                                                           \
            d->slots[s] = d->count + 1;                                           \
            idx[i] = d->count++;                                                  \
        }                                                                         \
        return SL_OK;                                                             \
    }

typedef struct {
    uint8_t b[16];
} bytes16;

#define STORE_HASH (void)0
DEFINE_PUT_FIXED(pq_dict_put_w4, uint32_t, 4, (uint64_t)x * 0x9E3779B97F4A7C15ull)
DEFINE_PUT_FIXED(pq_dict_put_w8, uint64_t, 8, x * 0x9E3779B97F4A7C15ull)
#undef STORE_HASH
#define STORE_HASH (d->hashes[d->count] = h)
DEFINE_PUT_FIXED(pq_dict_put_w16, bytes16, 16, hash16(x.b))
#undef STORE_HASH

int pq_dict_put_bytes(struct pq_dict *d, const uint8_t *const *p, const uint32_t *len,
                      size_t n, uint32_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *v = p[i];
        uint32_t l = len[i];
        uint64_t h = pq_hash_bytes(v, l);
        uint32_t s = (uint32_t)(h >> d->shift), e;
        for (;;) {
            e = d->slots[s];
            if (!e)
                break;
            if (d->hashes[e - 1] == h) {
                const uint8_t *q = d->plain.data + d->offsets[e - 1];
                uint32_t ql;
                memcpy(&ql, q, 4);
                if (ql == l && (!l || memcmp(q + 4, v, l) == 0))
                    break;
            }
            s = (s + 1) & d->mask;
        }
        if (e) {
            idx[i] = e - 1;
            continue;
        }
        if ((size_t)(d->count + 1) * 2 > (size_t)d->mask + 1 || d->count >= d->entries_cap) {
            if (grow(d))
                return SL_ERROR;
            s = (uint32_t)(h >> d->shift);
            while (d->slots[s])
                s = (s + 1) & d->mask;
        }
        size_t at = d->plain.len;
        if (sl_buf_reserve(&d->plain, 4 + (size_t)l))
            return SL_ERROR;
        uint8_t le[4] = {(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24)};
        sl_buf_put_unchecked(&d->plain, le, 4);
        if (l)
            sl_buf_put_unchecked(&d->plain, v, l);
        d->offsets[d->count] = (uint32_t)at;
        d->hashes[d->count] = h;
        d->slots[s] = d->count + 1;
        idx[i] = d->count++;
    }
    return SL_OK;
}

const uint8_t *pq_dict_entry_bytes(const struct pq_dict *d, uint32_t i, uint32_t *len)
{
    if (d->kind == PQ_DICT_BYTES) {
        const uint8_t *q = d->plain.data + d->offsets[i];
        memcpy(len, q, 4);
        return q + 4;
    }
    *len = (uint32_t)value_size(d);
    return d->values + (size_t)*len * i;
}
