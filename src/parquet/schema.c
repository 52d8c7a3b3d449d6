/*
 * schema.c — the schema side of the writer: how each column maps to a
 * Parquet leaf (pq_column_setup: physical type, value kind, dictionary and
 * statistics kinds, bloom filter wanted), its SchemaElement with LogicalType
 * and ConvertedType (LogicalTypes.md, PARQUET.md §3), and the file's
 * key-value metadata.  The type mapping is listed in writer.h.
 */
#include "parquet/writer_internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema mapping ------------------------------------------------------ */

/* Does a pattern of o->bloom_columns ("<table>.<column>", globs) name this
 * column?  Tried on "<table>.<column>" and, for a table given as
 * "schema.table", on "table.column" too (as tables.include matches). */
static bool bloom_wanted(const struct pq_options *o, const char *column)
{
    if (!o->n_bloom_columns || !o->table)
        return false;
    const char *dot = strchr(o->table, '.');
    char full[600], bare[600];
    snprintf(full, sizeof full, "%s.%s", o->table, column);
    snprintf(bare, sizeof bare, "%s.%s", dot ? dot + 1 : o->table, column);
    for (int i = 0; i < o->n_bloom_columns; i++)
        if (fnmatch(o->bloom_columns[i], full, 0) == 0 ||
            fnmatch(o->bloom_columns[i], bare, 0) == 0)
            return true;
    return false;
}

/* Data page v2's encoding for values that are not dictionary-encoded
 * (Encodings.md; see delta.c):
 *   INT32/INT64 (integers, dates, times, timestamps, decimals p <= 18):
 *     DELTA_BINARY_PACKED — ids and times grow by small steps, and a block
 *     of 128 deltas packs in the bits its spread needs;
 *   FLOAT/DOUBLE: BYTE_STREAM_SPLIT — sign/exponent bytes of similar values
 *     line up in one stream, which the codec then compresses;
 *   BYTE_ARRAY: DELTA_BYTE_ARRAY, not DELTA_LENGTH_BYTE_ARRAY, by
 *     measurement (20 000-value pages, zstd; docs/parquet.md): on sorted
 *     values or values sharing prefixes (keys, URLs, codes) DBA's pages are
 *     3-41 % smaller than DLBA's, since zstd cannot drop a repeated prefix
 *     as cheaply as the prefix length does; on unsorted free text, emails
 *     and UUIDs DLBA wins by 2.5-6 % (the prefix lengths cost a little and
 *     hide nothing).  The loss is small and the gain large, so DBA always;
 *   BOOLEAN and FIXED_LEN_BYTE_ARRAY (UUID, decimals p > 18): PLAIN.
 * Each chunk's first page without dictionary is encoded both this way and
 * PLAIN and the chunk keeps the smaller after compression (page.c,
 * choose_value_encoding): random small integers, say, are smaller PLAIN,
 * whose zero high bytes zstd removes, than as deltas, which carry a sign. */
static int v2_encoding(enum value_kind vk)
{
    switch (vk) {
    case V_I32:
    case V_I32_FROM_I64:
    case V_I64: return E_DELTA_BINARY_PACKED;
    case V_F32:
    case V_F64: return E_BYTE_STREAM_SPLIT;
    case V_BYTES: return E_DELTA_BYTE_ARRAY;
    default: return E_PLAIN;
    }
}

int pq_column_setup(struct column *c, const struct sl_column *sc, const struct pq_options *o,
                        struct sl_err *err)
{
    enum pq_dict_kind dk = PQ_DICT_W4;
    enum pq_stats_kind sk = PQ_STATS_I32;
    int swidth = 0;
    c->sc = sc;
    c->optional = sc->nullable;
    c->list = sc->list;
    /* LIST: optional group (if nullable) > repeated group > optional element. */
    c->max_def = sc->list ? (c->optional ? 3 : 2) : (c->optional ? 1 : 0);
    switch (sc->type) {
    case SL_T_BOOL:
        c->vk = V_BOOL, c->ptype = T_BOOLEAN, sk = PQ_STATS_BOOL;
        break;
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_DATE:
        c->vk = V_I32, c->ptype = T_INT32, c->width = 4;
        break;
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ:
        if (o->timestamp_int96) {
            /* PARQUET.md §3: no statistics (INT96 has no defined order),
             * no dictionary, no bloom filter, no page bounds. */
            c->vk = V_INT96, c->ptype = T_INT96, c->width = 12, sk = PQ_STATS_BYTES;
            c->no_stats = true;
            break;
        }
        /* fall through */
    case SL_T_INT64:
    case SL_T_TIME:
        c->vk = V_I64, c->ptype = T_INT64, c->width = 8, dk = PQ_DICT_W8, sk = PQ_STATS_I64;
        break;
    case SL_T_FLOAT:
        c->vk = V_F32, c->ptype = T_FLOAT, c->width = 4, sk = PQ_STATS_F32;
        break;
    case SL_T_DOUBLE:
        c->vk = V_F64, c->ptype = T_DOUBLE, c->width = 8, dk = PQ_DICT_W8, sk = PQ_STATS_F64;
        break;
    case SL_T_DECIMAL:
        if (sc->precision < 1 || sc->precision > SL_DECIMAL_MAX_PRECISION || sc->scale < 0 ||
            sc->scale > sc->precision)
            return sl_err_set(err, false, "parquet", sc->name, "invalid DECIMAL(%d,%d)",
                              sc->precision, sc->scale);
        if (sc->precision <= 9) {
            c->vk = V_I32_FROM_I64, c->ptype = T_INT32, c->width = 4;
        } else if (sc->precision <= 18) {
            c->vk = V_I64, c->ptype = T_INT64, c->width = 8, dk = PQ_DICT_W8, sk = PQ_STATS_I64;
        } else {
            c->vk = V_DEC128, c->ptype = T_FLBA, dk = PQ_DICT_W16, sk = PQ_STATS_DECIMAL;
            c->type_length = pq_decimal_width(sc->precision);
            c->width = (size_t)c->type_length;
            swidth = c->type_length;
        }
        break;
    case SL_T_UUID:
        c->vk = V_UUID, c->ptype = T_FLBA, c->type_length = 16, c->width = 16;
        dk = PQ_DICT_W16, sk = PQ_STATS_BYTES;
        break;
    case SL_T_STRING:
    case SL_T_JSON:
    case SL_T_BINARY:
        c->vk = V_BYTES, c->ptype = T_BYTE_ARRAY, dk = PQ_DICT_BYTES, sk = PQ_STATS_BYTES;
        break;
    default:
        return sl_err_set(err, false, "parquet", sc->name, "unsupported type %d", (int)sc->type);
    }
    c->dict_enabled = o->dict_max_bytes > 0 && c->vk != V_BOOL && c->vk != V_INT96;
    c->use_dict = c->deciding = c->dict_enabled;
    c->value_encoding = c->v2_encoding = o->format_version == 2 ? v2_encoding(c->vk) : E_PLAIN;
    bool utf8 = sc->type == SL_T_STRING || sc->type == SL_T_JSON;
    pq_stats_init(&c->page_stats, sk, swidth, utf8);
    pq_stats_init(&c->chunk_stats, sk, swidth, utf8);
    pq_page_index_init(&c->page_index, sk);
    pq_page_index_init(&c->trial_index, sk);
    c->bloom = c->vk != V_BOOL && c->vk != V_INT96 && bloom_wanted(o, sc->name);
    /* In the order pq_column_free gives them back, reversed (spare.c). */
    pq_spare_take(o->spare, &c->pages, CHUNK_CAP);
    pq_spare_take(o->spare, &c->trial_pages, CHUNK_CAP);
    pq_spare_take(o->spare, &c->values, PAGE_CAP);
    pq_spare_take(o->spare, &c->indices, PAGE_CAP);
    pq_spare_take(o->spare, &c->levels, PAGE_CAP);
    pq_spare_take(o->spare, &c->reps, PAGE_CAP);
    pq_spare_take(o->spare, &c->bloom_hashes, CHUNK_CAP);
    if (pq_dict_init(&c->dict, dk, c->width))
        return sl_err_set(err, false, "parquet", sc->name, "out of memory");
    return SL_OK;
}

void pq_column_free(struct column *c, struct pq_spare *spare)
{
    pq_dict_free(&c->dict);
    pq_stats_free(&c->page_stats);
    pq_stats_free(&c->chunk_stats);
    pq_page_index_free(&c->page_index);
    pq_page_index_free(&c->trial_index);
    pq_spare_give(spare, &c->bloom_hashes);
    pq_spare_give(spare, &c->reps);
    pq_spare_give(spare, &c->levels);
    pq_spare_give(spare, &c->indices);
    pq_spare_give(spare, &c->values);
    pq_spare_give(spare, &c->trial_pages);
    pq_spare_give(spare, &c->pages);
}

/* SchemaElement of a leaf: physical type, repetition, name, ConvertedType
 * (+ scale/precision) and LogicalType (LogicalTypes.md). */
/* field_id (SchemaElement 9): top-level column i has id i + 1, a LIST's
 * element `element_id` (ids after the columns', in column order), so ids
 * are unique in the file and stable for a given schema (Iceberg and
 * DuckLake readers map columns by id). */
void pq_schema_element(struct pq_thrift *t, const struct column *c, int id, int element_id)
{
    const struct sl_column *sc = c->sc;
    int ct = -1;
    if (c->list) {
        /* LogicalTypes.md "Lists": <opt> group name (LIST) { repeated group
         * list { optional <type> element; } } */
        pq_thrift_elem_struct_begin(t);
        pq_thrift_i32(t, 3, c->optional ? REP_OPTIONAL : REP_REQUIRED);
        pq_thrift_string(t, 4, sc->name);
        pq_thrift_i32(t, 5, 1);
        pq_thrift_i32(t, 6, CT_LIST);
        pq_thrift_i32(t, 9, id);
        pq_thrift_struct_begin(t, 10);
        pq_thrift_empty_struct(t, 3); /* LIST */
        pq_thrift_struct_end(t);
        pq_thrift_struct_end(t);
        pq_thrift_elem_struct_begin(t);
        pq_thrift_i32(t, 3, REP_REPEATED);
        pq_thrift_string(t, 4, "list");
        pq_thrift_i32(t, 5, 1);
        pq_thrift_struct_end(t);
    }
    pq_thrift_elem_struct_begin(t);
    pq_thrift_i32(t, 1, c->ptype);
    if (c->ptype == T_FLBA)
        pq_thrift_i32(t, 2, c->type_length);
    pq_thrift_i32(t, 3, c->list || c->optional ? REP_OPTIONAL : REP_REQUIRED);
    pq_thrift_string(t, 4, c->list ? "element" : sc->name);
    switch (sc->type) {
    case SL_T_INT16: ct = CT_INT_16; break;
    case SL_T_INT32: ct = CT_INT_32; break;
    case SL_T_INT64: ct = CT_INT_64; break;
    case SL_T_STRING: ct = CT_UTF8; break;
    case SL_T_JSON: ct = CT_JSON; break;
    case SL_T_DATE: ct = CT_DATE; break;
    case SL_T_TIME: ct = CT_TIME_MICROS; break;
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ: ct = c->ptype == T_INT96 ? -1 : CT_TIMESTAMP_MICROS; break;
    case SL_T_DECIMAL: ct = CT_DECIMAL; break;
    default: break;
    }
    if (ct >= 0)
        pq_thrift_i32(t, 6, ct);
    if (sc->type == SL_T_DECIMAL) {
        pq_thrift_i32(t, 7, sc->scale);
        pq_thrift_i32(t, 8, sc->precision);
    }
    pq_thrift_i32(t, 9, c->list ? element_id : id);
    switch (sc->type) {
    case SL_T_INT16:
    case SL_T_INT32:
    case SL_T_INT64:
        pq_thrift_struct_begin(t, 10);
        pq_thrift_struct_begin(t, 10); /* INTEGER */
        pq_thrift_i8(t, 1, sc->type == SL_T_INT16 ? 16 : sc->type == SL_T_INT32 ? 32 : 64);
        pq_thrift_bool(t, 2, true);
        pq_thrift_struct_end(t);
        pq_thrift_struct_end(t);
        break;
    case SL_T_STRING:
    case SL_T_JSON:
    case SL_T_UUID:
    case SL_T_DATE:
        pq_thrift_struct_begin(t, 10);
        pq_thrift_empty_struct(t, sc->type == SL_T_STRING ? 1 : sc->type == SL_T_JSON ? 12
                                  : sc->type == SL_T_UUID ? 14 : 6);
        pq_thrift_struct_end(t);
        break;
    case SL_T_DECIMAL:
        pq_thrift_struct_begin(t, 10);
        pq_thrift_struct_begin(t, 5);
        pq_thrift_i32(t, 1, sc->scale);
        pq_thrift_i32(t, 2, sc->precision);
        pq_thrift_struct_end(t);
        pq_thrift_struct_end(t);
        break;
    case SL_T_TIME:
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ:
        if (c->ptype == T_INT96) /* INT96 carries no annotation (readers infer it) */
            break;
        pq_thrift_struct_begin(t, 10);
        pq_thrift_struct_begin(t, sc->type == SL_T_TIME ? 7 : 8);
        pq_thrift_bool(t, 1, sc->type == SL_T_TIMESTAMPTZ);
        pq_thrift_struct_begin(t, 2);
        pq_thrift_empty_struct(t, 2); /* MICROS */
        pq_thrift_struct_end(t);
        pq_thrift_struct_end(t);
        pq_thrift_struct_end(t);
        break;
    default: break;
    }
    pq_thrift_struct_end(t);
}

/* Append s as a JSON string (quotes, escapes) to b. */
static int json_string(struct sl_buf *b, const char *s)
{
    int rc = sl_buf_putc(b, '"');
    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            rc = sl_buf_putc(b, '\\') || sl_buf_putc(b, ch);
        } else if (ch < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            rc = sl_buf_append(b, esc, 6);
        } else {
            rc = sl_buf_putc(b, ch);
        }
    }
    return rc || sl_buf_putc(b, '"');
}

/* FileMetaData field 5, list<KeyValue {1 key, 2 value}>:
 *   snaplake.source_types  JSON object: column name → its declared type in
 *                          the source ("numeric(12,2)", "timestamptz", …)
 *   snaplake.run_id        the run that wrote the file (when given)
 * 0, or SL_ERROR (out of memory). */
int pq_key_value_metadata(struct pq_writer *w, struct pq_thrift *t)
{
    struct sl_buf json;
    sl_buf_init(&json, META_CAP);
    int rc = sl_buf_putc(&json, '{');
    for (int i = 0; i < w->schema.ncols && !rc; i++) {
        const struct sl_column *sc = &w->schema.cols[i];
        rc = (i && sl_buf_putc(&json, ',')) || json_string(&json, sc->name) ||
             sl_buf_putc(&json, ':') ||
             json_string(&json, sc->source_type[0] ? sc->source_type : sl_type_name(sc->type));
    }
    rc = rc || sl_buf_putc(&json, '}');
    if (!rc) {
        pq_thrift_list_begin(t, 5, PQ_TT_STRUCT, w->opt.run_id ? 2 : 1);
        pq_thrift_elem_struct_begin(t);
        pq_thrift_string(t, 1, "snaplake.source_types");
        pq_thrift_binary(t, 2, json.data, json.len);
        pq_thrift_struct_end(t);
        if (w->opt.run_id) {
            pq_thrift_elem_struct_begin(t);
            pq_thrift_string(t, 1, "snaplake.run_id");
            pq_thrift_string(t, 2, w->opt.run_id);
            pq_thrift_struct_end(t);
        }
    }
    sl_buf_free(&json);
    return rc ? SL_ERROR : SL_OK;
}
