/*
 * thrift.h — a writer for the Thrift compact protocol, as much of it as the
 * Parquet footer and page headers need.  See thrift.c for the wire format.
 *
 * Usage: pq_thrift_init on an sl_buf, then fields in ascending id order.
 * Nested structs push a "last field id" on a small stack; every struct is
 * closed with pq_thrift_struct_end (the 0x00 stop byte).  Buffer failures are
 * sticky: check pq_thrift_failed (or the return of pq_thrift_end) once at the
 * end instead of after every field.
 */
#ifndef SL_PARQUET_THRIFT_H
#define SL_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Compact protocol type ids (thrift-compact-protocol.md, "Struct encoding"). */
enum pq_thrift_type {
    PQ_TT_BOOL_TRUE = 1,
    PQ_TT_BOOL_FALSE = 2,
    PQ_TT_I8 = 3,
    PQ_TT_I16 = 4,
    PQ_TT_I32 = 5,
    PQ_TT_I64 = 6,
    PQ_TT_DOUBLE = 7,
    PQ_TT_BINARY = 8,
    PQ_TT_LIST = 9,
    PQ_TT_SET = 10,
    PQ_TT_MAP = 11,
    PQ_TT_STRUCT = 12,
};

#define PQ_THRIFT_MAX_DEPTH 16

struct pq_thrift {
    struct sl_buf *out;
    int depth;                           /* index of the current struct */
    int16_t last[PQ_THRIFT_MAX_DEPTH];   /* last field id per open struct */
    bool failed;                         /* out of memory / cap, or depth overflow */
};

/* Start writing into `out` (appends; does not reset it).  The outermost
 * struct is implicit: write its fields, then pq_thrift_struct_end. */
void pq_thrift_init(struct pq_thrift *t, struct sl_buf *out);
/* 0, or SL_ERROR when any write failed. */
int pq_thrift_end(const struct pq_thrift *t);

/* Fields. */
void pq_thrift_bool(struct pq_thrift *t, int16_t id, bool v);
void pq_thrift_i8(struct pq_thrift *t, int16_t id, int8_t v);
void pq_thrift_i32(struct pq_thrift *t, int16_t id, int32_t v);
void pq_thrift_i64(struct pq_thrift *t, int16_t id, int64_t v);
void pq_thrift_double(struct pq_thrift *t, int16_t id, double v);
void pq_thrift_binary(struct pq_thrift *t, int16_t id, const void *p, size_t n);
void pq_thrift_string(struct pq_thrift *t, int16_t id, const char *s);
/* A struct field: header, then push.  Close with pq_thrift_struct_end. */
void pq_thrift_struct_begin(struct pq_thrift *t, int16_t id);
/* Write the stop byte and pop (also closes list elements and the root). */
void pq_thrift_struct_end(struct pq_thrift *t);
/* An empty struct field, e.g. a union member with no data: id, stop. */
void pq_thrift_empty_struct(struct pq_thrift *t, int16_t id);

/* A list field of `n` elements of type `elem`; then write the elements. */
void pq_thrift_list_begin(struct pq_thrift *t, int16_t id, enum pq_thrift_type elem, size_t n);
/* A list header without a field header (for lists outside structs: tests). */
void pq_thrift_list_header(struct pq_thrift *t, enum pq_thrift_type elem, size_t n);
/* List elements. */
void pq_thrift_elem_i32(struct pq_thrift *t, int32_t v);
void pq_thrift_elem_i64(struct pq_thrift *t, int64_t v);
void pq_thrift_elem_binary(struct pq_thrift *t, const void *p, size_t n);
void pq_thrift_elem_bool(struct pq_thrift *t, bool v);
/* A struct element: push without a field header; end with pq_thrift_struct_end. */
void pq_thrift_elem_struct_begin(struct pq_thrift *t);
/* Raw bytes (already encoded elements, e.g. serialized RowGroups). */
void pq_thrift_raw(struct pq_thrift *t, const void *p, size_t n);

/* Varint helpers shared with encode.c: ULEB128 of v into p (>= 10 bytes);
 * returns the number of bytes. */
size_t pq_uleb128(uint8_t *p, uint64_t v);
static inline uint64_t pq_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

#endif
