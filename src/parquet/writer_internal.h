/*
 * writer_internal.h — what the files of the Parquet writer share: the
 * per-column state (struct column), the writer itself, the parquet.thrift
 * enum values they write, and the functions one file calls in another.
 * Not for use outside src/parquet (writer.h is the API).
 *
 *   writer.c   API, row groups, column chunk metadata, footer, the sink
 *   schema.c   column → Parquet leaf, SchemaElement, key-value metadata
 *   column.c   batch rows → levels, statistics and values of the page
 *   page.c     page bodies, headers, compression, dictionary or PLAIN
 */
#ifndef SL_PARQUET_WRITER_INTERNAL_H
#define SL_PARQUET_WRITER_INTERNAL_H

#include "parquet/dict.h"
#include "parquet/encode.h"
#include "parquet/pageindex.h"
#include "parquet/stats.h"
#include "parquet/thrift.h"
#include "parquet/writer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer assumes a little-endian host (PLAIN values are memcpy'd)"
#endif

#define SLICE_ROWS 4096
#define CHUNK_ROWS 1024
#define PAGE_CAP ((size_t)INT32_MAX)
#define CHUNK_CAP ((size_t)1 << 38)
#define META_CAP ((size_t)1 << 31)

/* parquet.thrift enums */
enum { T_BOOLEAN = 0, T_INT32 = 1, T_INT64 = 2, T_INT96 = 3, T_FLOAT = 4, T_DOUBLE = 5, T_BYTE_ARRAY = 6,
       T_FLBA = 7 };
enum { E_PLAIN = 0, E_RLE = 3, E_DELTA_BINARY_PACKED = 5, E_DELTA_LENGTH_BYTE_ARRAY = 6,
       E_DELTA_BYTE_ARRAY = 7, E_RLE_DICTIONARY = 8, E_BYTE_STREAM_SPLIT = 9 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };
enum { CT_UTF8 = 0, CT_LIST = 3, CT_DECIMAL = 5, CT_DATE = 6, CT_TIME_MICROS = 8, CT_TIMESTAMP_MICROS = 10,
       CT_INT_16 = 16, CT_INT_32 = 17, CT_INT_64 = 18, CT_JSON = 19 };

/* How a column's values travel from the batch to the page. */
enum value_kind {
    V_BOOL,         /* uint8 → BOOLEAN */
    V_I32,          /* int32 → INT32 */
    V_I32_FROM_I64, /* int64 DECIMAL(p<=9) → INT32 */
    V_I64,          /* int64 → INT64 */
    V_F32,
    V_F64,
    V_DEC128,       /* sl_int128 DECIMAL(p>18) → FLBA big-endian */
    V_UUID,         /* 16 bytes → FLBA(16) */
    V_INT96,        /* int64 microseconds → INT96 (timestamp_int96) */
    V_BYTES,        /* offsets + data → BYTE_ARRAY */
};

struct column {
    const struct sl_column *sc;
    enum value_kind vk;
    int ptype;
    int type_length;   /* FLBA bytes */
    size_t width;      /* PLAIN bytes per value, fixed kinds (BOOLEAN: 0) */
    bool optional;
    bool list;         /* LIST<element>: repetition levels, def levels 0..max_def */
    int max_def;       /* 1 for a flat OPTIONAL column, 0 REQUIRED; lists 2 or 3 */
    bool dict_enabled; /* options and type allow a dictionary */
    int value_encoding; /* of the chunk's data pages without the dictionary:
                         * PLAIN, or with format_version 2 v2_encoding or PLAIN */
    int v2_encoding;    /* format_version 2: DELTA_* / BYTE_STREAM_SPLIT, or PLAIN */
    bool value_chosen;  /* value_encoding measured for this chunk (v2) */
    bool no_stats;      /* INT96: no Statistics at all (its sort order is undefined) */
    bool use_dict;     /* current chunk still dictionary-encoded */
    bool deciding;     /* first pages of the chunk: encode both ways, to choose */
    struct pq_dict dict;

    /* the page being filled */
    struct sl_buf levels;  /* definition levels, one byte per entry */
    struct sl_buf reps;    /* repetition levels (LIST only), one byte per entry */
    size_t page_levels;    /* entries: rows for flat columns, list slots for lists */
    struct sl_buf values;  /* PLAIN values (BOOLEAN: one byte per value) */
    struct sl_buf indices; /* uint32 dictionary indices */
    size_t page_rows, page_values, page_bytes;
    struct pq_stats page_stats;

    /* the chunk being buffered */
    struct sl_buf pages;    /* data pages: headers + compressed bodies */
    int64_t chunk_rows;
    int64_t chunk_levels;   /* ColumnMetaData.num_values */
    int64_t pages_uncompressed; /* headers + uncompressed bodies */
    int dict_pages, plain_pages; /* data pages: RLE_DICTIONARY, value_encoding */
    struct pq_stats chunk_stats;
    struct pq_page_index page_index;
    /* While deciding: the same pages PLAIN (pages/page_index hold them as
     * dictionary pages), and the compressed bytes of each variant so far. */
    struct sl_buf trial_pages;
    struct pq_page_index trial_index;
    int64_t trial_uncompressed;
    size_t trial_plain_bytes, trial_dict_bytes; /* all trial pages */
    size_t trial_last_plain, trial_last_dict;   /* the last one */
    size_t trial_values, trial_last_values;      /* non-null values: all, the last */
    uint32_t trial_entries;                      /* dictionary entries before it */
    double trial_fix; /* measured / estimated dictionary page size, 0 = not measured */
    int trial_count;
    bool bloom;                /* parquet.bloom_filter_columns names this column */
    struct sl_buf bloom_hashes; /* XXH64 of every non-null value of the chunk */
};

/* Where a flushed column chunk's metadata and page index wait for the
 * footer: byte ranges in pq_writer.chunk_meta / column_index / offset_index
 * (column_index_len 0 = no ColumnIndex for this chunk). */
struct chunk_ref {
    size_t meta_at, meta_len;
    size_t column_index_at, column_index_len;
    size_t offset_index_at, offset_index_len;
    size_t bloom_at, bloom_len; /* in pq_writer.blooms, then the file offset */
};

/* A flushed row group's RowGroup fields. */
struct row_group_ref {
    int64_t uncompressed, rows, file_offset, compressed;
};

struct pq_writer {
    struct sl_schema schema;
    struct pq_options opt;
    char *created_by;
    pq_sink_fn sink;
    void *sink_ctx;
    struct column *cols;
    struct pq_compressor *comp;
    struct sl_buf body, packed, header;
    struct sl_buf scratch; /* delta.c's lengths */
    /* Data page v2: bytes of repetition and definition levels at the start
     * of body, stored uncompressed (page_body sets them). */
    size_t rep_bytes, def_bytes;
    /* Kept until the footer: per flushed chunk a struct chunk_ref, per row
     * group a struct row_group_ref, the ColumnChunk structs without their
     * page index fields, and the serialized page index structs. */
    struct sl_buf chunk_refs, row_group_refs, chunk_meta, column_index, offset_index;
    struct sl_buf blooms; /* the row group's bloom filters, written after its chunks */
    struct sl_buf probe; /* compressed trial encodings (choose_encoding) */
    int row_group_count;
    int64_t offset, rows, rg_rows;
    bool failed, finished;
    /* per-piece scratch: dense values, byte-array pointers, indices */
    union {
        sl_int128 align;
        uint8_t bytes[CHUNK_ROWS * 16];
    } dense;
    const uint8_t *ptrs[CHUNK_ROWS];
    uint32_t lens[CHUNK_ROWS];
    uint32_t idx[CHUNK_ROWS];
};

/* spare.c: a new writer's buffer, taken from the spare when it has one
 * (its memory, emptied, capped at `max`); else an empty one.  Given back
 * in the reverse order of the takes (see spare.c); give leaves b empty. */
void pq_spare_take(struct pq_spare *s, struct sl_buf *b, size_t max);
void pq_spare_give(struct pq_spare *s, struct sl_buf *b);
/* The spare's compressor when it fits codec and level, else NULL. */
struct pq_compressor *pq_spare_take_compressor(struct pq_spare *s, enum pq_codec codec,
                                               int level);
/* Keep c for the next writer (or free it when there is no spare). */
void pq_spare_give_compressor(struct pq_spare *s, struct pq_compressor *c);

/* schema.c */

/* Fill c for schema column sc (types, kinds, buffers).  0 or SL_ERROR. */
int pq_column_setup(struct column *c, const struct sl_column *sc, const struct pq_options *o,
                    struct sl_err *err);
/* Free c's memory; its buffers go to `spare` (may be NULL). */
void pq_column_free(struct column *c, struct pq_spare *spare);
/* The SchemaElement(s) of column c (three for a LIST) as list elements. */
void pq_schema_element(struct pq_thrift *t, const struct column *c, int id, int element_id);
/* FileMetaData field 5.  0 or SL_ERROR (out of memory). */
int pq_key_value_metadata(struct pq_writer *w, struct pq_thrift *t);

/* writer.c */

/* Mark the writer failed and fill err with `what` for column c (may be
 * NULL).  Returns SL_ERROR. */
int pq_writer_fail(struct pq_writer *w, const struct column *c, struct sl_err *err,
                   const char *what);

/* page.c */

/* Compress w->body into a page with its PageHeader (see page.c). */
int pq_page_make(struct pq_writer *w, const struct column *c, int type, int encoding,
                 size_t rows, const struct pq_stats *stats, const uint8_t **data, size_t *len,
                 struct sl_err *err);
/* PLAIN body of the dictionary page into w->body.  0 or SL_ERROR. */
int pq_dictionary_body(struct pq_writer *w, const struct column *c);
/* Encode the buffered page (if it has rows) and append it to the chunk. */
int pq_page_cut(struct pq_writer *w, struct column *c, struct sl_err *err);
/* Dictionary or PLAIN for the chunk, by measured size; `final` at its end. */
int pq_decide_encoding(struct pq_writer *w, struct column *c, bool final, struct sl_err *err);

/* column.c */

/* Append rows [r0, r1) of batch column bc (flat, or LIST) to the column. */
int pq_column_write(struct pq_writer *w, struct column *c, const struct sl_batch_column *bc,
                    size_t r0, size_t r1, struct sl_err *err);
int pq_column_write_list(struct pq_writer *w, struct column *c, const struct sl_batch_column *bc,
                         size_t r0, size_t r1, struct sl_err *err);

#endif
