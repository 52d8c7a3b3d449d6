/*
 * thrift.c — Thrift compact protocol encoder for Parquet metadata.
 *
 * Parquet's footer (FileMetaData) and every page header (PageHeader) are
 * Thrift structs (parquet-format src/main/thrift/parquet.thrift) serialized
 * with the compact protocol (apache/thrift doc/specs/thrift-compact-protocol.md).
 * We only write, so instead of generated code this file offers one call per
 * field kind and writer.c spells the structs out field by field.
 *
 * Wire format, as used here:
 *   - Field header: when the id is 1..15 above the previous field of the same
 *     struct, one byte (delta << 4) | type; otherwise the type byte alone,
 *     then the id as a zigzag varint (i16).  Each struct starts with
 *     "previous id" 0, so nested structs keep a stack of last ids.
 *   - A struct ends with the stop byte 0x00.
 *   - bool fields carry their value in the type nibble (1 true, 2 false);
 *     inside lists a bool is one byte, 1 or 2.
 *   - i16/i32/i64: zigzag then ULEB128 varint; i8: one raw byte;
 *     double: 8 bytes little-endian; binary/string: varint length + bytes.
 *   - List header: (size << 4) | elem_type for size <= 14, else
 *     0xF0 | elem_type followed by the size as a varint.
 *   - Unions are structs with exactly one field set, so the LogicalType
 *     STRING is 1C 00 00: field 1 struct, empty StringType's stop, union's stop.
 *
 * Errors are sticky in t->failed: serialization of metadata is not a hot
 * path, and one check at the end keeps the struct-writing code readable.
 */
#include "parquet/thrift.h"
#include "util/err.h"

size_t pq_uleb128(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

void pq_thrift_init(struct pq_thrift *t, struct sl_buf *out)
{
    t->out = out;
    t->depth = 0;
    t->last[0] = 0;
    t->failed = false;
}

int pq_thrift_end(const struct pq_thrift *t)
{
    return t->failed || t->depth != -1 ? SL_ERROR : SL_OK;
}

static void put(struct pq_thrift *t, const void *p, size_t n)
{
    if (t->failed)
        return;
    if (sl_buf_append(t->out, p, n))
        t->failed = true;
}

static void put_byte(struct pq_thrift *t, uint8_t c)
{
    put(t, &c, 1);
}

static void put_varint(struct pq_thrift *t, uint64_t v)
{
    uint8_t tmp[10];
    put(t, tmp, pq_uleb128(tmp, v));
}

static void field_header(struct pq_thrift *t, int16_t id, int type)
{
    if (t->depth < 0 || t->depth >= PQ_THRIFT_MAX_DEPTH) {
        t->failed = true;
        return;
    }
    int delta = id - t->last[t->depth];
    if (delta > 0 && delta <= 15) {
        put_byte(t, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(t, (uint8_t)type);
        put_varint(t, pq_zigzag64(id));
    }
    t->last[t->depth] = id;
}

void pq_thrift_bool(struct pq_thrift *t, int16_t id, bool v)
{
    field_header(t, id, v ? PQ_TT_BOOL_TRUE : PQ_TT_BOOL_FALSE);
}

void pq_thrift_i8(struct pq_thrift *t, int16_t id, int8_t v)
{
    field_header(t, id, PQ_TT_I8);
    put_byte(t, (uint8_t)v);
}

void pq_thrift_i32(struct pq_thrift *t, int16_t id, int32_t v)
{
    field_header(t, id, PQ_TT_I32);
    put_varint(t, pq_zigzag64(v));
}

void pq_thrift_i64(struct pq_thrift *t, int16_t id, int64_t v)
{
    field_header(t, id, PQ_TT_I64);
    put_varint(t, pq_zigzag64(v));
}

void pq_thrift_double(struct pq_thrift *t, int16_t id, double v)
{
    uint64_t bits;
    uint8_t le[8];
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    field_header(t, id, PQ_TT_DOUBLE);
    put(t, le, 8);
}

void pq_thrift_binary(struct pq_thrift *t, int16_t id, const void *p, size_t n)
{
    field_header(t, id, PQ_TT_BINARY);
    put_varint(t, n);
    put(t, p, n);
}

void pq_thrift_string(struct pq_thrift *t, int16_t id, const char *s)
{
    pq_thrift_binary(t, id, s, strlen(s));
}

static void push(struct pq_thrift *t)
{
    if (t->depth + 1 >= PQ_THRIFT_MAX_DEPTH) {
        t->failed = true;
        return;
    }
    t->last[++t->depth] = 0;
}

void pq_thrift_struct_begin(struct pq_thrift *t, int16_t id)
{
    field_header(t, id, PQ_TT_STRUCT);
    push(t);
}

void pq_thrift_struct_end(struct pq_thrift *t)
{
    put_byte(t, 0);
    t->depth--;
}

void pq_thrift_empty_struct(struct pq_thrift *t, int16_t id)
{
    pq_thrift_struct_begin(t, id);
    pq_thrift_struct_end(t);
}

void pq_thrift_list_header(struct pq_thrift *t, enum pq_thrift_type elem, size_t n)
{
    if (n <= 14) {
        put_byte(t, (uint8_t)(n << 4 | elem));
    } else {
        put_byte(t, (uint8_t)(0xF0 | elem));
        put_varint(t, n);
    }
}

void pq_thrift_list_begin(struct pq_thrift *t, int16_t id, enum pq_thrift_type elem, size_t n)
{
    field_header(t, id, PQ_TT_LIST);
    pq_thrift_list_header(t, elem, n);
}

void pq_thrift_elem_i32(struct pq_thrift *t, int32_t v)
{
    put_varint(t, pq_zigzag64(v));
}

void pq_thrift_elem_i64(struct pq_thrift *t, int64_t v)
{
    put_varint(t, pq_zigzag64(v));
}

void pq_thrift_elem_binary(struct pq_thrift *t, const void *p, size_t n)
{
    put_varint(t, n);
    put(t, p, n);
}

void pq_thrift_elem_bool(struct pq_thrift *t, bool v)
{
    put_byte(t, v ? PQ_TT_BOOL_TRUE : PQ_TT_BOOL_FALSE);
}

void pq_thrift_elem_struct_begin(struct pq_thrift *t)
{
    push(t);
}

void pq_thrift_raw(struct pq_thrift *t, const void *p, size_t n)
{
    put(t, p, n);
}
