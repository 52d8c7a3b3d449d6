/*
 * pageindex.h — the page index of one column chunk (PageIndex.md): where
 * each data page is (OffsetIndex) and its bounds and null count
 * (ColumnIndex).  See pageindex.c.
 */
#ifndef SL_PARQUET_PAGEINDEX_H
#define SL_PARQUET_PAGEINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet/stats.h"
#include "util/buf.h"

struct pq_page_index {
    enum pq_stats_kind kind; /* how bounds compare (boundary_order) */
    struct sl_buf pages;     /* struct pq_page_entry per data page */
    struct sl_buf bounds;    /* min then max bytes of each page, as written */
    bool bounds_ok;          /* every page with values has bounds (no all-NaN page) */
};

void pq_page_index_init(struct pq_page_index *p, enum pq_stats_kind kind);
/* Forget the pages (next column chunk), keep memory. */
void pq_page_index_reset(struct pq_page_index *p);
void pq_page_index_free(struct pq_page_index *p);

/* One data page: its offset relative to the chunk's first data page, its
 * size with header, the row group row it starts at, its statistics and how
 * many non-null values it holds.  0 or SL_ERROR (out of memory). */
int pq_page_index_add(struct pq_page_index *p, int64_t offset, int32_t size, int64_t first_row,
                      const struct pq_stats *stats, size_t values);

/* Append the serialized OffsetIndex to out, page offsets shifted by `base`
 * (the file offset of the chunk's first data page).  0 or SL_ERROR. */
int pq_page_index_offsets(const struct pq_page_index *p, int64_t base, struct sl_buf *out);

/* Append the serialized ColumnIndex to out; *written is false (nothing
 * appended) when the spec forbids one for this chunk (a page whose values
 * are all NaN, or a max that cannot be truncated).  0 or SL_ERROR. */
int pq_page_index_columns(const struct pq_page_index *p, struct sl_buf *out, bool *written);

#endif
