/*
 * pageindex.c — ColumnIndex and OffsetIndex of a column chunk (PageIndex.md,
 * parquet.thrift "PageLocation", "OffsetIndex", "ColumnIndex").
 *
 * The writer records every data page as it is cut: its offset within the
 * chunk's data pages, its size including the page header, the index of its
 * first row in the row group (pages start on row boundaries, repetition
 * level 0), its null count and its min/max as they are written: the PLAIN
 * bytes of pq_stats_encode_limit cut to PQ_STATS_INDEX_BYTES, so the index
 * stays small for long strings (the spec allows any bounds that are valid
 * values of the column's type).
 *
 * When the chunk is flushed, the writer knows where its data pages landed
 * and asks for the two structs; it keeps them until the footer, writing all
 * ColumnIndexes, then all OffsetIndexes, after the last row group, and
 * points at them from each ColumnChunk (fields 4–7).
 *
 *   OffsetIndex { 1: list<PageLocation{1 offset i64, 2 compressed_page_size
 *                 i32, 3 first_row_index i64}> }
 *   ColumnIndex { 1: list<bool> null_pages, 2: list<binary> min_values,
 *                 3: list<binary> max_values, 4: BoundaryOrder,
 *                 5: list<i64> null_counts }
 *
 * A page of only NULLs (or only empty lists) is a null page with empty
 * bounds.  A page whose values are all NaN has no bounds under TYPE_ORDER
 * and then, per the spec, the chunk gets no ColumnIndex at all (the
 * OffsetIndex is still written).  boundary_order is computed from the
 * written bounds of the non-null pages: ASCENDING when both lists never
 * decrease, DESCENDING when both never increase, else UNORDERED.
 */
#include "parquet/pageindex.h"
#include "parquet/thrift.h"
#include "util/err.h"

#include <string.h>

struct pq_page_entry {
    int64_t offset, first_row, null_count;
    int32_t size;
    uint32_t min_len, max_len;
    bool null_page;
};

enum { UNORDERED = 0, ASCENDING = 1, DESCENDING = 2 };

void pq_page_index_init(struct pq_page_index *p, enum pq_stats_kind kind)
{
    p->kind = kind;
    sl_buf_init(&p->pages, (size_t)1 << 31);
    sl_buf_init(&p->bounds, (size_t)1 << 31);
    p->bounds_ok = true;
}

void pq_page_index_reset(struct pq_page_index *p)
{
    sl_buf_reset(&p->pages);
    sl_buf_reset(&p->bounds);
    p->bounds_ok = true;
}

void pq_page_index_free(struct pq_page_index *p)
{
    sl_buf_free(&p->pages);
    sl_buf_free(&p->bounds);
}

int pq_page_index_add(struct pq_page_index *p, int64_t offset, int32_t size, int64_t first_row,
                      const struct pq_stats *stats, size_t values)
{
    uint8_t min[PQ_STATS_MAX_BYTES + 16], max[PQ_STATS_MAX_BYTES + 16];
    size_t lmin = 0, lmax = 0;
    bool emin, emax;
    struct pq_page_entry e = {
        .offset = offset, .first_row = first_row, .null_count = stats->null_count, .size = size};
    if (pq_stats_encode_limit(stats, PQ_STATS_INDEX_BYTES, min, &lmin, &emin, max, &lmax, &emax)) {
        e.min_len = (uint32_t)lmin;
        e.max_len = (uint32_t)lmax;
        if (sl_buf_append(&p->bounds, min, lmin) || sl_buf_append(&p->bounds, max, lmax))
            return SL_ERROR;
    } else if (values == 0) {
        e.null_page = true;
    } else {
        p->bounds_ok = false; /* all NaN, or no valid truncated max */
    }
    return sl_buf_append(&p->pages, &e, sizeof e);
}

int pq_page_index_offsets(const struct pq_page_index *p, int64_t base, struct sl_buf *out)
{
    const struct pq_page_entry *e = (const void *)p->pages.data;
    size_t n = p->pages.len / sizeof *e;
    struct pq_thrift t;
    pq_thrift_init(&t, out);
    pq_thrift_list_begin(&t, 1, PQ_TT_STRUCT, n);
    for (size_t i = 0; i < n; i++) {
        pq_thrift_elem_struct_begin(&t);
        pq_thrift_i64(&t, 1, base + e[i].offset);
        pq_thrift_i32(&t, 2, e[i].size);
        pq_thrift_i64(&t, 3, e[i].first_row);
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    return pq_thrift_end(&t);
}

static int64_t le_int(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return n == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* Compare two written bounds in the column's sort order (-1, 0, 1). */
static int compare(enum pq_stats_kind kind, const uint8_t *a, size_t la, const uint8_t *b,
                   size_t lb)
{
    switch (kind) {
    case PQ_STATS_I32:
    case PQ_STATS_I64: {
        int64_t x = le_int(a, la), y = le_int(b, lb);
        return (x > y) - (x < y);
    }
    case PQ_STATS_F32: {
        float x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    case PQ_STATS_F64: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    case PQ_STATS_DECIMAL: /* big-endian two's complement, same width */
        if ((a[0] ^ 0x80) != (b[0] ^ 0x80))
            return (a[0] ^ 0x80) < (b[0] ^ 0x80) ? -1 : 1;
        break;
    case PQ_STATS_BOOL:
    case PQ_STATS_BYTES: break;
    }
    size_t n = la < lb ? la : lb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

static int boundary_order(const struct pq_page_index *p)
{
    const struct pq_page_entry *e = (const void *)p->pages.data;
    size_t n = p->pages.len / sizeof *e, at = 0, prev_at = 0;
    bool up = true, down = true, have_prev = false;
    const struct pq_page_entry *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        if (e[i].null_page)
            continue;
        const uint8_t *min = p->bounds.data + at, *max = min + e[i].min_len;
        if (have_prev) {
            const uint8_t *pmin = p->bounds.data + prev_at, *pmax = pmin + prev->min_len;
            int cmin = compare(p->kind, pmin, prev->min_len, min, e[i].min_len);
            int cmax = compare(p->kind, pmax, prev->max_len, max, e[i].max_len);
            up = up && cmin <= 0 && cmax <= 0;
            down = down && cmin >= 0 && cmax >= 0;
        }
        prev = &e[i], prev_at = at, have_prev = true;
        at += e[i].min_len + e[i].max_len;
    }
    return up ? ASCENDING : down ? DESCENDING : UNORDERED;
}

int pq_page_index_columns(const struct pq_page_index *p, struct sl_buf *out, bool *written)
{
    *written = false;
    if (!p->bounds_ok)
        return SL_OK;
    const struct pq_page_entry *e = (const void *)p->pages.data;
    size_t n = p->pages.len / sizeof *e, at;
    const uint8_t *bounds = p->bounds.data ? p->bounds.data : (const uint8_t *)"";
    struct pq_thrift t;
    pq_thrift_init(&t, out);
    pq_thrift_list_begin(&t, 1, PQ_TT_BOOL_TRUE, n);
    for (size_t i = 0; i < n; i++)
        pq_thrift_elem_bool(&t, e[i].null_page);
    for (int16_t field = 2; field <= 3; field++) {
        pq_thrift_list_begin(&t, field, PQ_TT_BINARY, n);
        at = 0;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *min = bounds + at;
            if (field == 2)
                pq_thrift_elem_binary(&t, min, e[i].min_len);
            else
                pq_thrift_elem_binary(&t, min + e[i].min_len, e[i].max_len);
            at += e[i].min_len + e[i].max_len;
        }
    }
    pq_thrift_i32(&t, 4, boundary_order(p));
    pq_thrift_list_begin(&t, 5, PQ_TT_I64, n);
    for (size_t i = 0; i < n; i++)
        pq_thrift_elem_i64(&t, e[i].null_count);
    pq_thrift_struct_end(&t);
    if (pq_thrift_end(&t))
        return SL_ERROR;
    *written = true;
    return SL_OK;
}
