/*
 * batch.h — the internal type system and the columnar batch.
 *
 * Sources decode rows into batches; the Parquet writer encodes batches.  A
 * batch holds up to `capacity` rows of every column of one table, column by
 * column, so the writer walks contiguous arrays (no per-value calls).
 *
 * Storage per logical type (element of `values`, one per row, nulls included
 * with a zero value):
 *
 *   SL_T_BOOL                 uint8_t (0/1)
 *   SL_T_INT16, SL_T_INT32    int32_t
 *   SL_T_DATE                 int32_t   days since 1970-01-01
 *   SL_T_INT64                int64_t
 *   SL_T_TIME                 int64_t   microseconds since midnight
 *   SL_T_TIMESTAMP(TZ)        int64_t   microseconds since 1970-01-01 (UTC for TZ)
 *   SL_T_FLOAT                float
 *   SL_T_DOUBLE               double
 *   SL_T_DECIMAL p <= 18      int64_t   unscaled value
 *   SL_T_DECIMAL p <= 38      sl_int128 unscaled value
 *   SL_T_UUID                 16 bytes, big-endian as printed
 *   SL_T_STRING, SL_T_JSON,   variable: offsets[row], offsets[row+1] into `data`
 *   SL_T_BINARY               (UTF-8 for STRING/JSON)
 *
 * `valid[row]` is 1 when the value is present, 0 for NULL.
 *
 * LIST columns (sl_column.list): each row holds a list of 0…n elements of the
 * column's type, elements nullable.  The row's elements are
 * child[list_offsets[row] … list_offsets[row+1]), where `child` is a flat
 * column stored as above, indexed by element instead of row, that grows as
 * elements are pushed.  Fill a row with sl_batch_list_begin, pushes, and
 * sl_batch_list_end (or sl_batch_set_null for a NULL list).
 */
#ifndef SL_BATCH_BATCH_H
#define SL_BATCH_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef __int128 sl_int128;

enum sl_type {
    SL_T_BOOL,
    SL_T_INT16,
    SL_T_INT32,
    SL_T_INT64,
    SL_T_FLOAT,
    SL_T_DOUBLE,
    SL_T_DECIMAL,
    SL_T_STRING,
    SL_T_JSON,
    SL_T_BINARY,
    SL_T_UUID,
    SL_T_DATE,
    SL_T_TIME,
    SL_T_TIMESTAMP,   /* not adjusted to UTC (wall clock) */
    SL_T_TIMESTAMPTZ, /* adjusted to UTC */
};

#define SL_DECIMAL_MAX_PRECISION 38

struct sl_column {
    char name[256];        /* safe name used in Parquet and the catalog: [a-z0-9_] */
    char source_name[256]; /* name in the source, as is */
    char source_type[64];  /* declared type in the source, for docs and manifests */
    enum sl_type type;
    int precision; /* SL_T_DECIMAL only */
    int scale;     /* SL_T_DECIMAL only */
    bool nullable;
    bool list;     /* LIST of `type` (Parquet three-level LIST, elements nullable) */
};

struct sl_schema {
    int ncols;
    struct sl_column *cols; /* owned; sl_schema_free */
};

void sl_schema_free(struct sl_schema *s);
/* Deep copy; returns SL_ERROR on out of memory. */
int sl_schema_copy(struct sl_schema *dst, const struct sl_schema *src);

/* Name of a type for messages and manifests: "int64", "decimal", … */
const char *sl_type_name(enum sl_type t);
/* Bytes per element in `values`; 0 for variable-length types. */
size_t sl_type_width(enum sl_type t, int precision);
/* SQL type for DuckDB/Hive style schemas: "BIGINT", "DECIMAL(12,2)", … into buf. */
const char *sl_type_sql(const struct sl_column *c, char *buf, size_t size);

struct sl_batch_column {
    uint8_t *valid;    /* capacity entries */
    void *values;      /* capacity * width bytes, fixed-width types */
    uint32_t *offsets; /* capacity + 1 entries, variable-length types */
    struct sl_buf data;
    /* LIST columns only */
    uint32_t *list_offsets;        /* capacity + 1 entries into child */
    struct sl_batch_column *child; /* the elements */
    size_t child_count, child_capacity;
    size_t width; /* element bytes (fixed types), for growth */
};

struct sl_batch {
    const struct sl_schema *schema; /* borrowed */
    size_t nrows;
    size_t capacity;
    struct sl_batch_column *cols;
};

/* A batch of `capacity` rows for `schema` (borrowed, must outlive the batch).
 * Variable-length data of one column may grow to `max_column_bytes`.  Caller
 * frees with sl_batch_free.  Returns NULL on out of memory. */
struct sl_batch *sl_batch_new(const struct sl_schema *schema, size_t capacity,
                              size_t max_column_bytes);
void sl_batch_free(struct sl_batch *b);
/* Empty the batch for reuse, keeping its memory. */
void sl_batch_reset(struct sl_batch *b);
/* Replace dst's rows with a copy of src's (dst: made by sl_batch_new for the
 * same schema and capacity).  SL_ERROR when out of memory. */
int sl_batch_copy(struct sl_batch *dst, const struct sl_batch *src);

/* Row-by-row filling: set every column of row b->nrows, then sl_batch_end_row.
 * Fixed-width setters write b->nrows; the variable-length one appends. */
static inline void sl_batch_set_null(struct sl_batch *b, int col)
{
    struct sl_batch_column *c = &b->cols[col];
    c->valid[b->nrows] = 0;
    if (c->offsets)
        c->offsets[b->nrows + 1] = (uint32_t)c->data.len;
    if (c->list_offsets)
        c->list_offsets[b->nrows + 1] = c->list_offsets[b->nrows];
}

#define SL_BATCH_SETTER(fn, ctype)                                         \
    static inline void fn(struct sl_batch *b, int col, ctype v)           \
    {                                                                      \
        struct sl_batch_column *c = &b->cols[col];                         \
        c->valid[b->nrows] = 1;                                            \
        ((ctype *)c->values)[b->nrows] = v;                                \
    }
SL_BATCH_SETTER(sl_batch_set_bool, uint8_t)
SL_BATCH_SETTER(sl_batch_set_i32, int32_t)
SL_BATCH_SETTER(sl_batch_set_i64, int64_t)
SL_BATCH_SETTER(sl_batch_set_f32, float)
SL_BATCH_SETTER(sl_batch_set_f64, double)
SL_BATCH_SETTER(sl_batch_set_i128, sl_int128)
#undef SL_BATCH_SETTER

/* 16 bytes for SL_T_UUID. */
static inline void sl_batch_set_fixed(struct sl_batch *b, int col, const void *p, size_t n)
{
    struct sl_batch_column *c = &b->cols[col];
    c->valid[b->nrows] = 1;
    memcpy((uint8_t *)c->values + b->nrows * n, p, n);
}

/* Append a variable-length value.  Returns SL_ERROR when the column's data
 * would exceed max_column_bytes (the caller should end the batch earlier, or
 * report the value as too large). */
int sl_batch_set_bytes(struct sl_batch *b, int col, const void *p, size_t n);

static inline void sl_batch_end_row(struct sl_batch *b) { b->nrows++; }

/* LIST columns: start the current row's (non-NULL) list. */
static inline void sl_batch_list_begin(struct sl_batch *b, int col)
{
    b->cols[col].valid[b->nrows] = 1;
}

/* Room for one more element; returns its slot in child->values (fixed-width
 * types), or NULL when out of memory.  The element is marked present. */
void *sl_batch_list_push(struct sl_batch *b, int col);
/* Push a variable-length element, or a NULL element.  0 or SL_ERROR. */
int sl_batch_list_push_bytes(struct sl_batch *b, int col, const void *p, size_t n);
int sl_batch_list_push_null(struct sl_batch *b, int col);

/* Decoders written for scalars fill list elements through a view: a
 * one-column batch (column 0) whose current row is the next element of the
 * current row's list in column `col`.  Set the element with any setter
 * (or sl_batch_set_null), then call sl_batch_list_element_done.  SL_ERROR
 * when out of memory. */
int sl_batch_list_element(struct sl_batch *b, int col, struct sl_batch *view);
static inline void sl_batch_list_element_done(struct sl_batch *b, int col)
{
    b->cols[col].child_count++;
}

static inline void sl_batch_list_end(struct sl_batch *b, int col)
{
    struct sl_batch_column *c = &b->cols[col];
    c->list_offsets[b->nrows + 1] = (uint32_t)c->child_count;
}

/* Value accessors for the writer and tests. */
static inline const uint8_t *sl_batch_bytes(const struct sl_batch *b, int col, size_t row,
                                            uint32_t *len)
{
    const struct sl_batch_column *c = &b->cols[col];
    *len = c->offsets[row + 1] - c->offsets[row];
    return c->data.data + c->offsets[row];
}

#endif
