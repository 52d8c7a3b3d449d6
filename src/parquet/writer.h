/*
 * writer.h — snaplake's own Parquet writer.
 *
 * A writer turns batches (batch.h) into one Parquet file streamed to a sink
 * (a store file, a FILE*, a memory buffer).  Row groups are buffered in
 * memory, column by column, until they reach options.row_group_bytes of
 * encoded (compressed) data, then written out; so memory per writer is
 * bounded by about one row group plus one page per column.
 *
 * Format: data page v1, PLAIN or RLE_DICTIONARY per chunk by measured size
 * (dictionary page first, fallback to PLAIN when the dictionary outgrows
 * dict_max_bytes), RLE/bit-packed definition levels, chunk and page
 * statistics with the spec's sort orders, page index (ColumnIndex and
 * OffsetIndex) for every chunk, split-block bloom filters for the columns
 * asked for, field ids, key-value metadata, column_orders, encoding_stats,
 * created_by.  See docs/parquet.md and the
 * file essays of thrift.c, encode.c, stats.c, compress.c, writer.c, and
 * writer_internal.h for how the writer is split into files.
 *
 * Type mapping (internal → physical + logical/converted):
 *   BOOL → BOOLEAN; INT16 → INT32 INT(16,true)/INT_16; INT32 → INT32 INT(32)/INT_32;
 *   INT64 → INT64 INT(64)/INT_64; FLOAT; DOUBLE; STRING → BYTE_ARRAY STRING/UTF8;
 *   JSON → BYTE_ARRAY JSON/JSON; BINARY → BYTE_ARRAY; UUID → FLBA(16) UUID;
 *   DATE → INT32 DATE; TIME → INT64 TIME(MICROS, utc=false)/TIME_MICROS;
 *   TIMESTAMP → INT64 TIMESTAMP(MICROS, utc=false)/TIMESTAMP_MICROS;
 *   TIMESTAMPTZ → INT64 TIMESTAMP(MICROS, utc=true)/TIMESTAMP_MICROS;
 *   (both INT96 without annotation with timestamp_int96);
 *   DECIMAL(p,s) → INT32 (p<=9), INT64 (p<=18), FLBA minimal width (p<=38),
 *   with DECIMAL logical+converted type, scale and precision.
 * Columns with nullable=false are REQUIRED (no definition levels), others OPTIONAL.
 */
#ifndef SL_PARQUET_WRITER_H
#define SL_PARQUET_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

enum pq_codec {
    PQ_CODEC_NONE = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_ZSTD = 6,
};

struct pq_options {
    enum pq_codec codec;    /* default ZSTD */
    int level;              /* 0 = codec default */
    size_t row_group_bytes; /* default 128 MiB */
    size_t page_bytes;      /* default 1 MiB (uncompressed values) */
    size_t page_rows;       /* default 20 000 */
    size_t dict_max_bytes;  /* default 1 MiB; 0 disables dictionaries */
    /* parquet.format_version: 1 (default) data page v1, PLAIN when not
     * dictionary-encoded — what every reader reads; 2 data page v2 with
     * DELTA_BINARY_PACKED, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT
     * (docs/parquet.md lists which readers read them). */
    int format_version;
    /* format_version 2 keeps, per chunk, PLAIN when it compresses smaller
     * than the v2 encoding; true always uses the v2 encoding (tests). */
    bool v2_encodings_only;
    /* parquet.timestamp_type int96: TIMESTAMP and TIMESTAMPTZ as INT96 (nanoseconds
     * of the day + Julian day, no logical type, no statistics) for Hive <= 3
     * and old Athena tables, which cannot read INT64 timestamps. */
    bool timestamp_int96;
    const char *created_by; /* default "snaplake version X.Y.Z (build H)" */
    /* Bloom filters (parquet.bloom_filter_columns): glob patterns on
     * "<table>.<column>", matched with `table` ("schema.table" or "table").
     * Not copied: they must outlive the writer.  None by default. */
    char *const *bloom_columns;
    int n_bloom_columns;
    const char *table;
    /* Written as key-value metadata "snaplake.run_id" when set (not copied:
     * must outlive the writer). */
    const char *run_id;
    /* The source's estimate of the file's rows, 0 = unknown.  Lets a column
     * chunk give up early a dictionary that cannot pay by the chunk's end
     * (page.c); a wrong estimate costs size, never a value. */
    int64_t expected_rows;
    /* Memory left by the writer before on this thread, taken and given
     * back (pq_spare_new); NULL = the writer allocates its own. */
    struct pq_spare *spare;
};

void pq_options_default(struct pq_options *o);
/* "zstd" | "snappy" | "gzip" | "none" → codec; SL_ERROR when unknown. */
int pq_codec_parse(const char *name, enum pq_codec *out);
const char *pq_codec_name(enum pq_codec c);

/* Where the file's bytes go.  Returns 0, or SL_ERROR having filled err. */
typedef int (*pq_sink_fn)(void *ctx, const void *data, size_t n, struct sl_err *err);

struct pq_writer;

struct pq_file_info {
    int64_t rows;
    int64_t bytes; /* whole file */
    int row_groups;
};

/* Start a file for `schema` (copied).  Writes the leading magic.  On success
 * *out is a writer the caller ends with pq_writer_finish or pq_writer_free. */
int pq_writer_open(struct pq_writer **out, const struct sl_schema *schema,
                   const struct pq_options *opt, pq_sink_fn sink, void *sink_ctx,
                   struct sl_err *err);

/* Append all rows of a batch whose schema matches the writer's. */
int pq_writer_write(struct pq_writer *w, const struct sl_batch *b, struct sl_err *err);

/* Flush the last row group, write the footer, fill *info (may be NULL). The
 * writer stays allocated: free it with pq_writer_free. */
int pq_writer_finish(struct pq_writer *w, struct pq_file_info *info, struct sl_err *err);

/* Release the writer; no-op on NULL.  Does not write anything.  A writer
 * opened with a spare leaves its buffers and compressor there. */
void pq_writer_free(struct pq_writer *w);

/* A place for one writer's memory between files.  An export worker writes
 * file after file, and each new writer used to fill fresh buffers that the
 * kernel faulted in 4 KiB at a time (12 % of a MySQL export's CPU on the
 * 2-core VM, after the allocator kept its free space).  A writer opened
 * with pq_options.spare takes its buffers and compressor from the spare
 * and, when freed, leaves its own there: the next file of the same table
 * gets each column's buffers back, already grown and mapped.  Owned by the
 * caller, used by one thread at a time; it holds at most what one writer
 * held (and no more than 256 MiB).  pq_spare_free releases it; NULL is a
 * no-op. */
struct pq_spare *pq_spare_new(void);
void pq_spare_free(struct pq_spare *s);

#endif
