/*
 * footer.h — reading back the parts of a Parquet footer that DuckDB's
 * parquet_metadata() does not show: each column chunk's page index location
 * (ColumnChunk fields 4-7) and the page index itself, for `snaplake inspect`.
 */
#ifndef SL_PARQUET_FOOTER_H
#define SL_PARQUET_FOOTER_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pq_chunk {
    int rg;             /* row group number, from 0 */
    char column[256];   /* path_in_schema joined with '.' */
    int type;           /* physical type (parquet.thrift Type) */
    int64_t ci_offset;  /* ColumnIndex; ci_length 0 = none */
    int64_t oi_offset;  /* OffsetIndex; oi_length 0 = none */
    int32_t ci_length, oi_length;
};

struct pq_page {
    int64_t offset, first_row, nulls; /* nulls -1: not in the ColumnIndex */
    int32_t size;                     /* compressed, with the page header */
    bool null_page, has_bounds;
    const uint8_t *min, *max; /* PLAIN bytes inside pq_pages.ci */
    uint32_t min_len, max_len;
};

struct pq_pages {
    struct pq_page *page;
    size_t n;
    uint8_t *ci; /* the ColumnIndex bytes min/max point into */
};

/* Every column chunk of the file, in row group then column order; *chunks is
 * the caller's to free. */
int pq_footer_chunks(FILE *f, const char *path, struct pq_chunk **chunks, size_t *n,
                     struct sl_err *err);

/* The pages of one chunk from its OffsetIndex, with null counts and bounds
 * from its ColumnIndex when it has one.  pq_pages_free after use. */
int pq_footer_pages(FILE *f, const char *path, const struct pq_chunk *c, struct pq_pages *out,
                    struct sl_err *err);
void pq_pages_free(struct pq_pages *p);

/* The PageHeader of the data page at pg->offset: *type (parquet.thrift
 * PageType: 0 DATA_PAGE, 3 DATA_PAGE_V2) and *encoding of its values
 * (Encoding), -1 when absent.  0 or SL_ERROR (unreadable or damaged). */
int pq_footer_page_header(FILE *f, const char *path, const struct pq_page *pg, int *type,
                          int *encoding, struct sl_err *err);
/* Names of those enums ("DATA_PAGE_V2", "DELTA_BINARY_PACKED"; "?" if unknown). */
const char *pq_page_type_name(int type);
const char *pq_encoding_name(int encoding);

#endif
