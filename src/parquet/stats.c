/*
 * stats.c — column statistics (parquet.thrift `struct Statistics`,
 * `union ColumnOrder`, LogicalTypes.md "Sort Order").
 *
 * Readers use min_value/max_value to skip pages and row groups, so a wrong
 * bound silently drops rows.  The footer declares TypeDefinedOrder for every
 * leaf (writer.c), which fixes the order per type:
 *
 *   BOOLEAN            false < true
 *   INT32, INT64       signed (also DATE, TIME, TIMESTAMP, INT-backed DECIMAL)
 *   FLOAT, DOUBLE      numeric; NaN is never a bound (a NaN-only set has no
 *                      min/max); a zero minimum is written as -0.0 and a zero
 *                      maximum as +0.0, since readers cannot know which zero
 *                      the data held
 *   BYTE_ARRAY, UUID   unsigned bytewise, then shorter first (memcmp, never
 *                      signed char: "é" = C3 A9 sorts after "z")
 *   FLBA DECIMAL       signed by value: we keep the sl_int128 and only encode
 *                      big-endian two's complement on output
 *
 * Values are PLAIN encoded without length prefix.  Byte arrays longer than
 * PQ_STATS_MAX_BYTES are truncated (PARQUET.md §4): the min becomes a prefix,
 * the max a prefix whose last byte (last UTF-8 character for strings) is
 * incremented so it still bounds the data; both then carry
 * is_{min,max}_value_exact = false.  The deprecated min/max fields 1 and 2
 * are written only for signed-order types, whose meaning never changed.
 *
 * The writer updates page statistics from dense arrays of non-null values
 * (tight loops, no allocation unless a byte-array extreme changes) and merges
 * each finished page into the chunk's statistics.
 */
#include "parquet/stats.h"
#include "parquet/encode.h"
#include "util/err.h"

#define EXTREME_CAP ((size_t)1 << 32)

void pq_stats_init(struct pq_stats *s, enum pq_stats_kind kind, int width, bool utf8)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->width = width;
    s->utf8 = utf8;
    sl_buf_init(&s->min_bytes, EXTREME_CAP);
    sl_buf_init(&s->max_bytes, EXTREME_CAP);
}

void pq_stats_reset(struct pq_stats *s)
{
    s->has_minmax = false;
    s->null_count = 0;
    sl_buf_reset(&s->min_bytes);
    sl_buf_reset(&s->max_bytes);
}

void pq_stats_free(struct pq_stats *s)
{
    if (!s)
        return;
    sl_buf_free(&s->min_bytes);
    sl_buf_free(&s->max_bytes);
}

void pq_stats_update_bool(struct pq_stats *s, const uint8_t *v, size_t n)
{
    if (!n)
        return;
    uint8_t any = 0, all = 1;
    for (size_t i = 0; i < n; i++) {
        any |= v[i];
        all &= v[i];
    }
    if (!s->has_minmax) {
        s->min.i32 = all;
        s->max.i32 = any;
        s->has_minmax = true;
        return;
    }
    if (!all)
        s->min.i32 = 0;
    if (any)
        s->max.i32 = 1;
}

/* Fold a piece's [lo, hi] into the statistics' bounds. */
#define FOLD_MINMAX(s, F, lo, hi)                                                 \
    do {                                                                          \
        if (!(s)->has_minmax) {                                                   \
            (s)->min.F = (lo);                                                    \
            (s)->max.F = (hi);                                                    \
            (s)->has_minmax = true;                                               \
        } else {                                                                  \
            if ((lo) < (s)->min.F)                                                \
                (s)->min.F = (lo);                                                \
            if ((hi) > (s)->max.F)                                                \
                (s)->max.F = (hi);                                                \
        }                                                                         \
    } while (0)

#define DEFINE_UPDATE_INT(name, T, F)                                             \
    void name(struct pq_stats *s, const T *v, size_t n)                           \
    {                                                                             \
        if (!n)                                                                   \
            return;                                                               \
        T lo = v[0], hi = v[0];                                                   \
        for (size_t i = 1; i < n; i++) {                                          \
            lo = v[i] < lo ? v[i] : lo;                                           \
            hi = v[i] > hi ? v[i] : hi;                                           \
        }                                                                         \
        FOLD_MINMAX(s, F, lo, hi);                                                \
    }

DEFINE_UPDATE_INT(pq_stats_update_i32, int32_t, i32)
DEFINE_UPDATE_INT(pq_stats_update_i64, int64_t, i64)
DEFINE_UPDATE_INT(pq_stats_update_i128, sl_int128, i128)

/* NaN compares false with everything, so it can neither start nor move a
 * bound once we begin from a non-NaN value. */
#define DEFINE_UPDATE_FLOAT(name, T, F)                                           \
    void name(struct pq_stats *s, const T *v, size_t n)                           \
    {                                                                             \
        size_t i = 0;                                                             \
        while (i < n && v[i] != v[i])                                             \
            i++;                                                                  \
        if (i == n)                                                               \
            return;                                                               \
        T lo = v[i], hi = v[i];                                                   \
        for (i++; i < n; i++) {                                                   \
            if (v[i] < lo)                                                        \
                lo = v[i];                                                        \
            if (v[i] > hi)                                                        \
                hi = v[i];                                                        \
        }                                                                         \
        FOLD_MINMAX(s, F, lo, hi);                                                \
    }

DEFINE_UPDATE_FLOAT(pq_stats_update_f32, float, f32)
DEFINE_UPDATE_FLOAT(pq_stats_update_f64, double, f64)

static inline int cmp_bytes(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
    size_t n = la < lb ? la : lb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

static int set_bytes(struct sl_buf *b, const uint8_t *p, size_t n)
{
    sl_buf_reset(b);
    return sl_buf_append(b, p, n);
}

/* Fold one candidate min and max (already extremes of a set) into s. */
static int fold_bytes(struct pq_stats *s, const uint8_t *lo, size_t llo, const uint8_t *hi,
                      size_t lhi)
{
    if (!s->has_minmax) {
        if (set_bytes(&s->min_bytes, lo, llo) || set_bytes(&s->max_bytes, hi, lhi))
            return SL_ERROR;
        s->has_minmax = true;
        return SL_OK;
    }
    if (cmp_bytes(lo, llo, s->min_bytes.data, s->min_bytes.len) < 0 &&
        set_bytes(&s->min_bytes, lo, llo))
        return SL_ERROR;
    if (cmp_bytes(hi, lhi, s->max_bytes.data, s->max_bytes.len) > 0 &&
        set_bytes(&s->max_bytes, hi, lhi))
        return SL_ERROR;
    return SL_OK;
}

/* The first 8 bytes big-endian, zero-padded: when two keys differ they
 * order their strings as cmp_bytes does (a zero pad sorts a string before
 * any longer one it prefixes), so only equal keys need the full compare. */
static inline uint64_t prefix_key(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    if (n >= 8) {
        memcpy(&v, p, 8);
        return __builtin_bswap64(v);
    }
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (56 - 8 * i);
    return v;
}

int pq_stats_update_bytes(struct pq_stats *s, const uint8_t *const *p, const uint32_t *len,
                          size_t n)
{
    if (!n)
        return SL_OK;
    size_t lo = 0, hi = 0;
    uint64_t klo = prefix_key(p[0], len[0]), khi = klo;
    for (size_t i = 1; i < n; i++) {
        uint64_t k = prefix_key(p[i], len[i]);
        if (k < klo || (k == klo && cmp_bytes(p[i], len[i], p[lo], len[lo]) < 0))
            lo = i, klo = k;
        else if (k > khi || (k == khi && cmp_bytes(p[i], len[i], p[hi], len[hi]) > 0))
            hi = i, khi = k;
    }
    return fold_bytes(s, p[lo], len[lo], p[hi], len[hi]);
}

int pq_stats_update_fixed(struct pq_stats *s, const uint8_t *v, size_t n, size_t width)
{
    if (!n)
        return SL_OK;
    const uint8_t *lo = v, *hi = v;
    for (size_t i = 1; i < n; i++) {
        const uint8_t *x = v + i * width;
        if (memcmp(x, lo, width) < 0)
            lo = x;
        else if (memcmp(x, hi, width) > 0)
            hi = x;
    }
    return fold_bytes(s, lo, width, hi, width);
}

int pq_stats_merge(struct pq_stats *dst, const struct pq_stats *src)
{
    dst->null_count += src->null_count;
    if (!src->has_minmax)
        return SL_OK;
    switch (src->kind) {
    case PQ_STATS_BOOL:
    case PQ_STATS_I32: pq_stats_update_i32(dst, (const int32_t[]){src->min.i32, src->max.i32}, 2);
        return SL_OK;
    case PQ_STATS_I64: pq_stats_update_i64(dst, (const int64_t[]){src->min.i64, src->max.i64}, 2);
        return SL_OK;
    case PQ_STATS_F32: pq_stats_update_f32(dst, (const float[]){src->min.f32, src->max.f32}, 2);
        return SL_OK;
    case PQ_STATS_F64: pq_stats_update_f64(dst, (const double[]){src->min.f64, src->max.f64}, 2);
        return SL_OK;
    case PQ_STATS_DECIMAL:
        pq_stats_update_i128(dst, (const sl_int128[]){src->min.i128, src->max.i128}, 2);
        return SL_OK;
    case PQ_STATS_BYTES:
        return fold_bytes(dst, src->min_bytes.data, src->min_bytes.len, src->max_bytes.data,
                          src->max_bytes.len);
    }
    return SL_OK;
}

static void put_le(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes). */
static size_t utf8_len(uint8_t c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Largest cut <= limit that does not split a UTF-8 character. */
static size_t utf8_cut(const uint8_t *p, size_t limit)
{
    while (limit > 0 && (p[limit] & 0xC0) == 0x80)
        limit--;
    return limit;
}

/* An upper bound of every string starting with p[0..n) that is at most
 * `limit` (+3 for a longer last character) long.  0 when none exists (all
 * 0xFF / U+10FFFF). */
static size_t truncated_max(const struct pq_stats *s, const uint8_t *p, size_t n, size_t limit,
                            uint8_t *out)
{
    if (!s->utf8) {
        size_t cut = limit;
        while (cut > 0 && p[cut - 1] == 0xFF)
            cut--;
        if (!cut)
            return 0;
        memcpy(out, p, cut);
        out[cut - 1]++;
        return cut;
    }
    size_t cut = utf8_cut(p, limit < n ? limit : n);
    while (cut > 0) {
        size_t start = cut - 1;
        while (start > 0 && (p[start] & 0xC0) == 0x80)
            start--;
        size_t l = utf8_len(p[start]);
        uint32_t cp = l == 1 ? p[start] : (uint32_t)(p[start] & (0x7F >> l));
        for (size_t k = 1; k < l && start + k < cut; k++)
            cp = cp << 6 | (p[start + k] & 0x3F);
        if (l == 1 && p[start] >= 0x80) /* not UTF-8 after all: bump the byte */
            cp = 0x110000;
        uint32_t next = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
        if (next <= 0x10FFFF) {
            memcpy(out, p, start);
            return start + utf8_put(out + start, next);
        }
        cut = start;
    }
    return 0;
}

bool pq_stats_encode(const struct pq_stats *s, uint8_t *min, size_t *min_len, bool *min_exact,
                     uint8_t *max, size_t *max_len, bool *max_exact)
{
    return pq_stats_encode_limit(s, PQ_STATS_MAX_BYTES, min, min_len, min_exact, max, max_len,
                                 max_exact);
}

bool pq_stats_encode_limit(const struct pq_stats *s, size_t limit, uint8_t *min, size_t *min_len,
                           bool *min_exact, uint8_t *max, size_t *max_len, bool *max_exact)
{
    if (!s->has_minmax)
        return false;
    *min_exact = *max_exact = true;
    switch (s->kind) {
    case PQ_STATS_BOOL:
        min[0] = (uint8_t)s->min.i32;
        max[0] = (uint8_t)s->max.i32;
        *min_len = *max_len = 1;
        return true;
    case PQ_STATS_I32:
        put_le(min, (uint32_t)s->min.i32, 4);
        put_le(max, (uint32_t)s->max.i32, 4);
        *min_len = *max_len = 4;
        return true;
    case PQ_STATS_I64:
        put_le(min, (uint64_t)s->min.i64, 8);
        put_le(max, (uint64_t)s->max.i64, 8);
        *min_len = *max_len = 8;
        return true;
    case PQ_STATS_F32: {
        float lo = s->min.f32 == 0.0f ? -0.0f : s->min.f32;
        float hi = s->max.f32 == 0.0f ? 0.0f : s->max.f32;
        memcpy(min, &lo, 4);
        memcpy(max, &hi, 4);
        *min_len = *max_len = 4;
        return true;
    }
    case PQ_STATS_F64: {
        double lo = s->min.f64 == 0.0 ? -0.0 : s->min.f64;
        double hi = s->max.f64 == 0.0 ? 0.0 : s->max.f64;
        memcpy(min, &lo, 8);
        memcpy(max, &hi, 8);
        *min_len = *max_len = 8;
        return true;
    }
    case PQ_STATS_DECIMAL:
        pq_decimal_be(min, s->min.i128, s->width);
        pq_decimal_be(max, s->max.i128, s->width);
        *min_len = *max_len = (size_t)s->width;
        return true;
    case PQ_STATS_BYTES:
        break;
    }
    const uint8_t *lo = s->min_bytes.data, *hi = s->max_bytes.data;
    size_t llo = s->min_bytes.len, lhi = s->max_bytes.len;
    if (lhi > limit) {
        *max_len = truncated_max(s, hi, lhi, limit, max);
        *max_exact = false;
        if (!*max_len)
            return false;
    } else {
        if (lhi)
            memcpy(max, hi, lhi);
        *max_len = lhi;
    }
    if (llo > limit) {
        *min_len = s->utf8 ? utf8_cut(lo, limit) : limit;
        *min_exact = false;
    } else {
        *min_len = llo;
    }
    if (*min_len)
        memcpy(min, lo, *min_len);
    return true;
}

void pq_stats_write(const struct pq_stats *s, struct pq_thrift *t, int16_t id, bool legacy)
{
    uint8_t min[PQ_STATS_MAX_BYTES + 16], max[PQ_STATS_MAX_BYTES + 16];
    size_t lmin = 0, lmax = 0;
    bool emin = true, emax = true;
    bool have = pq_stats_encode(s, min, &lmin, &emin, max, &lmax, &emax);
    bool signed_order = s->kind == PQ_STATS_I32 || s->kind == PQ_STATS_I64 ||
                        s->kind == PQ_STATS_F32 || s->kind == PQ_STATS_F64;
    pq_thrift_struct_begin(t, id);
    if (have && legacy && signed_order) {
        pq_thrift_binary(t, 1, max, lmax);
        pq_thrift_binary(t, 2, min, lmin);
    }
    pq_thrift_i64(t, 3, s->null_count);
    if (have) {
        pq_thrift_binary(t, 5, max, lmax);
        pq_thrift_binary(t, 6, min, lmin);
        pq_thrift_bool(t, 7, emax);
        pq_thrift_bool(t, 8, emin);
    }
    pq_thrift_struct_end(t);
}
