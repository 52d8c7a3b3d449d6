/*
 * stats.h — min/max/null_count statistics with the sort orders of
 * parquet.thrift's ColumnOrder/TypeDefinedOrder, for pages and column chunks.
 * See stats.c.
 */
#ifndef SL_PARQUET_STATS_H
#define SL_PARQUET_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "parquet/thrift.h"
#include "util/buf.h"

/* Longest min_value/max_value written for byte arrays (PARQUET.md §4). */
#define PQ_STATS_MAX_BYTES 4096

enum pq_stats_kind {
    PQ_STATS_BOOL,    /* false < true; PLAIN one byte */
    PQ_STATS_I32,     /* signed */
    PQ_STATS_I64,     /* signed */
    PQ_STATS_F32,     /* IEEE, NaN ignored */
    PQ_STATS_F64,
    PQ_STATS_DECIMAL, /* sl_int128 by value, written as FLBA big-endian in `width` */
    PQ_STATS_BYTES,   /* unsigned lexicographic (memcmp), BYTE_ARRAY or FLBA */
};

union pq_stats_value {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    sl_int128 i128;
};

struct pq_stats {
    enum pq_stats_kind kind;
    int width;        /* DECIMAL: FLBA bytes */
    bool utf8;        /* BYTES: truncate max on UTF-8 character boundaries */
    bool has_minmax;  /* at least one non-NaN value seen */
    int64_t null_count;
    union pq_stats_value min, max;
    struct sl_buf min_bytes, max_bytes; /* BYTES: copies of the extremes */
};

void pq_stats_init(struct pq_stats *s, enum pq_stats_kind kind, int width, bool utf8);
void pq_stats_reset(struct pq_stats *s);
void pq_stats_free(struct pq_stats *s);

/* Fold in n non-null values. */
void pq_stats_update_bool(struct pq_stats *s, const uint8_t *v, size_t n);
void pq_stats_update_i32(struct pq_stats *s, const int32_t *v, size_t n);
void pq_stats_update_i64(struct pq_stats *s, const int64_t *v, size_t n);
void pq_stats_update_f32(struct pq_stats *s, const float *v, size_t n);
void pq_stats_update_f64(struct pq_stats *s, const double *v, size_t n);
void pq_stats_update_i128(struct pq_stats *s, const sl_int128 *v, size_t n);
/* 0, or SL_ERROR when copying an extreme fails (out of memory). */
int pq_stats_update_bytes(struct pq_stats *s, const uint8_t *const *p, const uint32_t *len,
                          size_t n);
/* n fixed-size values of `width` bytes back to back (UUID), unsigned order. */
int pq_stats_update_fixed(struct pq_stats *s, const uint8_t *v, size_t n, size_t width);
/* dst := dst ∪ src (same kind). 0 or SL_ERROR. */
int pq_stats_merge(struct pq_stats *dst, const struct pq_stats *src);

/* The PLAIN bytes of min and max as written to the file, after the float
 * zero rule and truncation to PQ_STATS_MAX_BYTES.  Returns false when there is
 * no min/max to write (no values, all NaN, or no valid truncated max).
 * The buffers must hold PQ_STATS_MAX_BYTES + 16 bytes. */
bool pq_stats_encode(const struct pq_stats *s, uint8_t *min, size_t *min_len, bool *min_exact,
                     uint8_t *max, size_t *max_len, bool *max_exact);

/* The same with values cut to `limit` bytes (<= PQ_STATS_MAX_BYTES), e.g.
 * PQ_STATS_INDEX_BYTES for the ColumnIndex of the page index. */
bool pq_stats_encode_limit(const struct pq_stats *s, size_t limit, uint8_t *min, size_t *min_len,
                           bool *min_exact, uint8_t *max, size_t *max_len, bool *max_exact);

/* Longest min/max in a ColumnIndex (PARQUET.md §4: page bounds stay small). */
#define PQ_STATS_INDEX_BYTES 64

/* Write a Statistics struct as field `id` of the current struct.  `legacy`
 * also sets the deprecated min/max fields (signed-order types only). */
void pq_stats_write(const struct pq_stats *s, struct pq_thrift *t, int16_t id, bool legacy);

#endif
