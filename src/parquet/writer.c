/*
 * writer.c — batches in, one Parquet file out (see writer.h for the API and
 * the type mapping).
 *
 * File layout (parquet-format README "File Format"):
 *
 *   "PAR1" | chunk(rg 0, col 0) … chunk(rg 0, col N-1) | chunk(rg 1, col 0) …
 *          | FileMetaData (Thrift compact) | u32 LE footer length | "PAR1"
 *
 * A column chunk is an optional dictionary page followed by data pages, each
 * a PageHeader (thrift.c) and a body compressed on its own (compress.c).
 *
 * Pipeline per column.  pq_writer_write walks a batch in slices of SLICE_ROWS
 * rows; each column takes the slice in CHUNK_ROWS pieces and, per piece:
 *   1. copies its validity bytes as definition levels (OPTIONAL columns only;
 *      a flat column's def level is 1 for a value, 0 for NULL),
 *   2. gathers the non-null values into a dense array in their physical
 *      representation (no copy at all for null-free INT32/INT64/FLOAT/DOUBLE),
 *   3. folds them into the page statistics (stats.c),
 *   4. either looks them up in the chunk's dictionary (dict.c) and keeps the
 *      indices, or appends them PLAIN (encode.c).
 * A page is cut when it holds page_rows rows or page_bytes of PLAIN value
 * bytes; the page body is data page v1 (Encodings.md, parquet.thrift
 * DataPageHeader):
 *      [def levels: u32 length + RLE/bit-packed runs, OPTIONAL only]
 *      [values: PLAIN, or 1 byte bit width + RLE/bit-packed indices]
 * with num_values = rows (levels, nulls included) and the page statistics.
 *
 * Dictionary or PLAIN: the first pages of each chunk are encoded both ways
 * and the smaller kept, measured after compression (decide_encoding).
 *
 * Dictionary fallback: after each piece the dictionary's PLAIN size is
 * compared with dict_max_bytes; once over, the current page is cut as
 * RLE_DICTIONARY and the rest of the chunk is written PLAIN.  The pages
 * already encoded stay, so the chunk lists both encodings and its
 * encoding_stats say how many pages use each (PARQUET.md §2, pitfall 9).
 * BOOLEAN never uses a dictionary.
 *
 * Row groups: data pages are buffered per column (compressed), and the
 * dictionary page is produced when the row group is flushed, so it can go
 * first in the file.  A row group is flushed when the buffered bytes of all
 * columns reach row_group_bytes, and at pq_writer_finish; a row group never
 * has 0 rows, and an empty file has row_groups = [] (pitfall 6).
 *
 * Page index and bloom filters: each data page's location and bounds are
 * recorded as it is cut (pageindex.c); the chunk's ColumnIndex and
 * OffsetIndex are serialized when it is flushed and written after the last
 * row group.  Columns named by bloom_columns keep the XXH64 of every value
 * and get a filter (bloom.c) written right after their row group.  Both
 * offsets are known only after the chunk's metadata was serialized, so a
 * ColumnChunk is kept open (fields 2, 3 up to ColumnMetaData 13) and
 * completed in the footer (write_row_groups).
 *
 * Metadata (parquet.thrift): ColumnMetaData with every required field,
 * dictionary_page_offset only when a dictionary page exists and always before
 * data_page_offset (pitfall 1), sizes including page headers (pitfall 3),
 * ColumnChunk.file_offset 0 (pitfall 4), RowGroup.file_offset and
 * total_compressed_size (pitfall 2); FileMetaData with created_by and one
 * TypeDefinedOrder per leaf in column_orders, without which readers must
 * ignore min_value/max_value.  Each leaf carries both its LogicalType and
 * the matching ConvertedType (PARQUET.md §3).
 *
 * Memory: per column one page of levels/values/indices, the chunk's encoded
 * pages and its dictionary; scratch arrays are per writer.  No allocation
 * per value.  Little-endian hosts only: PLAIN fixed-width values are the
 * in-memory arrays.
 */
#include "parquet/writer.h"
#include "parquet/bloom.h"
#include "parquet/compress.h"
#include "parquet/dict.h"
#include "parquet/encode.h"
#include "parquet/pageindex.h"
#include "parquet/stats.h"
#include "parquet/thrift.h"
#include "util/version.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer assumes a little-endian host (PLAIN values are memcpy'd)"
#endif

#define SLICE_ROWS 4096
#define CHUNK_ROWS 1024
#define PAGE_CAP ((size_t)INT32_MAX)
#define CHUNK_CAP ((size_t)1 << 38)
#define META_CAP ((size_t)1 << 31)

/* parquet.thrift enums */
enum { T_BOOLEAN = 0, T_INT32 = 1, T_INT64 = 2, T_FLOAT = 4, T_DOUBLE = 5, T_BYTE_ARRAY = 6,
       T_FLBA = 7 };
enum { E_PLAIN = 0, E_RLE = 3, E_RLE_DICTIONARY = 8 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };
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
    int dict_pages, plain_pages;
    struct pq_stats chunk_stats;
    struct pq_page_index page_index;
    /* While deciding: the same pages PLAIN (pages/page_index hold them as
     * dictionary pages), and the compressed bytes of each variant so far. */
    struct sl_buf trial_pages;
    struct pq_page_index trial_index;
    int64_t trial_uncompressed;
    size_t trial_plain_bytes, trial_dict_bytes; /* all trial pages */
    size_t trial_last_plain, trial_last_dict;   /* the last one */
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

void pq_options_default(struct pq_options *o)
{
    o->codec = PQ_CODEC_ZSTD;
    o->level = 0;
    o->row_group_bytes = (size_t)128 << 20;
    o->page_bytes = (size_t)1 << 20;
    o->page_rows = 20000;
    o->dict_max_bytes = (size_t)1 << 20;
    o->created_by = NULL;
    o->bloom_columns = NULL;
    o->n_bloom_columns = 0;
    o->table = NULL;
    o->run_id = NULL;
}

int pq_codec_parse(const char *name, enum pq_codec *out)
{
    static const struct {
        const char *name;
        enum pq_codec codec;
    } table[] = {{"zstd", PQ_CODEC_ZSTD},
                 {"snappy", PQ_CODEC_SNAPPY},
                 {"gzip", PQ_CODEC_GZIP},
                 {"none", PQ_CODEC_NONE},
                 {"uncompressed", PQ_CODEC_NONE}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (name && strcasecmp(name, table[i].name) == 0) {
            *out = table[i].codec;
            return SL_OK;
        }
    return SL_ERROR;
}

const char *pq_codec_name(enum pq_codec c)
{
    switch (c) {
    case PQ_CODEC_NONE: return "none";
    case PQ_CODEC_SNAPPY: return "snappy";
    case PQ_CODEC_GZIP: return "gzip";
    case PQ_CODEC_ZSTD: return "zstd";
    }
    return "?";
}

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

static int column_setup(struct column *c, const struct sl_column *sc, const struct pq_options *o,
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
    case SL_T_INT64:
    case SL_T_TIME:
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ:
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
    c->dict_enabled = o->dict_max_bytes > 0 && c->vk != V_BOOL;
    c->use_dict = c->deciding = c->dict_enabled;
    bool utf8 = sc->type == SL_T_STRING || sc->type == SL_T_JSON;
    pq_stats_init(&c->page_stats, sk, swidth, utf8);
    pq_stats_init(&c->chunk_stats, sk, swidth, utf8);
    pq_page_index_init(&c->page_index, sk);
    pq_page_index_init(&c->trial_index, sk);
    sl_buf_init(&c->trial_pages, CHUNK_CAP);
    sl_buf_init(&c->bloom_hashes, CHUNK_CAP);
    c->bloom = c->vk != V_BOOL && bloom_wanted(o, sc->name);
    sl_buf_init(&c->levels, PAGE_CAP);
    sl_buf_init(&c->reps, PAGE_CAP);
    sl_buf_init(&c->values, PAGE_CAP);
    sl_buf_init(&c->indices, PAGE_CAP);
    sl_buf_init(&c->pages, CHUNK_CAP);
    if (pq_dict_init(&c->dict, dk, c->width))
        return sl_err_set(err, false, "parquet", sc->name, "out of memory");
    return SL_OK;
}

static void column_free(struct column *c)
{
    pq_dict_free(&c->dict);
    pq_stats_free(&c->page_stats);
    pq_stats_free(&c->chunk_stats);
    pq_page_index_free(&c->page_index);
    pq_page_index_free(&c->trial_index);
    sl_buf_free(&c->trial_pages);
    sl_buf_free(&c->bloom_hashes);
    sl_buf_free(&c->levels);
    sl_buf_free(&c->reps);
    sl_buf_free(&c->values);
    sl_buf_free(&c->indices);
    sl_buf_free(&c->pages);
}

/* SchemaElement of a leaf: physical type, repetition, name, ConvertedType
 * (+ scale/precision) and LogicalType (LogicalTypes.md). */
/* field_id (SchemaElement 9): top-level column i has id i + 1, a LIST's
 * element `element_id` (ids after the columns', in column order), so ids
 * are unique in the file and stable for a given schema (Iceberg and
 * DuckLake readers map columns by id). */
static void schema_element(struct pq_thrift *t, const struct column *c, int id, int element_id)
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
    case SL_T_TIMESTAMPTZ: ct = CT_TIMESTAMP_MICROS; break;
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

/* ---- output -------------------------------------------------------------- */

static int emit(struct pq_writer *w, const void *p, size_t n, struct sl_err *err)
{
    if (!n)
        return SL_OK;
    if (w->sink(w->sink_ctx, p, n, err)) {
        sl_err_set(err, true, "parquet", "", "writing %zu bytes failed", n);
        return SL_ERROR;
    }
    w->offset += (int64_t)n;
    return SL_OK;
}

static int fail(struct pq_writer *w, const struct column *c, struct sl_err *err, const char *what)
{
    w->failed = true;
    return sl_err_set(err, false, "parquet", c ? c->sc->name : "", "%s", what);
}

/* Compress w->body into a page: header into w->header, body into w->packed
 * (or w->body itself for no compression); data and len give the stored body.
 * Data pages carry `stats` in their DataPageHeader. */
static int make_page(struct pq_writer *w, const struct column *c, int type, int encoding,
                     size_t rows, const struct pq_stats *stats, const uint8_t **data,
                     size_t *len, struct sl_err *err)
{
    *data = w->body.data;
    *len = w->body.len;
    if (w->opt.codec != PQ_CODEC_NONE) {
        sl_buf_reset(&w->packed);
        if (pq_compress(w->comp, w->body.data, w->body.len, &w->packed, err)) {
            w->failed = true;
            sl_err_context(err, "column %s", c->sc->name);
            return SL_ERROR;
        }
        *data = w->packed.data;
        *len = w->packed.len;
    }
    if (w->body.len > INT32_MAX || *len > INT32_MAX)
        return fail(w, c, err, "page larger than 2 GiB: lower page_bytes");
    struct pq_thrift t;
    sl_buf_reset(&w->header);
    pq_thrift_init(&t, &w->header);
    pq_thrift_i32(&t, 1, type);
    pq_thrift_i32(&t, 2, (int32_t)w->body.len);
    pq_thrift_i32(&t, 3, (int32_t)*len);
    if (type == PAGE_DATA) {
        pq_thrift_struct_begin(&t, 5);
        pq_thrift_i32(&t, 1, (int32_t)rows);
        pq_thrift_i32(&t, 2, encoding);
        pq_thrift_i32(&t, 3, E_RLE);
        pq_thrift_i32(&t, 4, E_RLE);
        pq_stats_write(stats, &t, 5, true);
        pq_thrift_struct_end(&t);
    } else {
        pq_thrift_struct_begin(&t, 7);
        pq_thrift_i32(&t, 1, (int32_t)rows);
        pq_thrift_i32(&t, 2, E_PLAIN);
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    if (pq_thrift_end(&t))
        return fail(w, c, err, "out of memory writing a page header");
    return SL_OK;
}

/* ---- pages --------------------------------------------------------------- */

/* Levels of width bw as data page v1 wants them: u32 LE byte length, then
 * hybrid runs (Encodings.md "RLE/bit-packing hybrid", levels prefixed by
 * their length in v1 pages). */
static int levels_encode(struct sl_buf *b, const uint8_t *levels, size_t n, int bw)
{
    size_t at = b->len;
    if (sl_buf_append(b, "\0\0\0\0", 4) || pq_rle_encode_u8(b, levels, n, bw))
        return SL_ERROR;
    size_t len = b->len - at - 4;
    if (len > UINT32_MAX)
        return SL_ERROR;
    for (int i = 0; i < 4; i++)
        b->data[at + (size_t)i] = (uint8_t)(len >> (8 * i));
    return SL_OK;
}

static int dictionary_body(struct pq_writer *w, const struct column *c);

/* The buffered page's body into w->body: levels, then the values as
 * dictionary indices (`dict`) or PLAIN; *encoding says which.  0 or
 * SL_ERROR (out of memory). */
static int page_body(struct pq_writer *w, struct column *c, bool dict, int *encoding)
{
    struct sl_buf *b = &w->body;
    sl_buf_reset(b);
    *encoding = E_PLAIN;
    if (c->list) {
        if (levels_encode(b, c->reps.data, c->page_levels, 1) ||
            levels_encode(b, c->levels.data, c->page_levels, pq_bit_width((uint64_t)c->max_def)))
            return SL_ERROR;
    } else if (c->optional && pq_levels_encode(b, c->levels.data, c->page_rows)) {
        return SL_ERROR;
    }
    if (dict) {
        /* Indices of this page only reach the entries added so far, so the
         * bit width is that of the dictionary's size now, not at the end. */
        int bw = pq_bit_width(c->dict.count - 1);
        if (bw < 1)
            bw = 1;
        *encoding = E_RLE_DICTIONARY;
        return sl_buf_putc(b, (uint8_t)bw) ||
               pq_rle_encode_u32(b, (const uint32_t *)(const void *)c->indices.data,
                                 c->page_values, bw);
    }
    if (c->vk == V_BOOL)
        return pq_plain_bool(b, c->values.data, c->values.len);
    return sl_buf_append(b, c->values.data, c->values.len);
}

/* Compressed size of w->body with the writer's codec, into *n. */
static int probe_size(struct pq_writer *w, const struct column *c, size_t *n, struct sl_err *err)
{
    sl_buf_reset(&w->probe);
    if (pq_compress(w->comp, w->body.data, w->body.len, &w->probe, err)) {
        w->failed = true;
        sl_err_context(err, "column %s", c->sc->name);
        return SL_ERROR;
    }
    *n = w->probe.len;
    return SL_OK;
}

/* Encode the buffered page as dictionary indices (`dict`) or PLAIN,
 * compress it and append header + body to `pages`, its location to
 * `index`, its uncompressed size to *uncompressed; *stored = bytes added. */
static int store_page(struct pq_writer *w, struct column *c, bool dict, struct sl_buf *pages,
                      struct pq_page_index *index, int64_t *uncompressed, size_t *stored,
                      struct sl_err *err)
{
    int encoding;
    if (page_body(w, c, dict, &encoding))
        return fail(w, c, err, "out of memory encoding a page");
    const uint8_t *data;
    size_t len;
    if (make_page(w, c, PAGE_DATA, encoding, c->page_levels, &c->page_stats, &data, &len, err))
        return SL_ERROR;
    if (sl_buf_reserve(pages, w->header.len + len) ||
        pq_page_index_add(index, (int64_t)pages->len, (int32_t)(w->header.len + len),
                          c->chunk_rows, &c->page_stats, c->page_values))
        return fail(w, c, err, "out of memory buffering a column chunk");
    sl_buf_put_unchecked(pages, w->header.data, w->header.len);
    sl_buf_put_unchecked(pages, data, len);
    *uncompressed += (int64_t)(w->header.len + w->body.len);
    *stored = w->header.len + len;
    if (encoding == E_RLE_DICTIONARY)
        c->dict_pages++;
    else
        c->plain_pages++;
    return SL_OK;
}

#define TRIAL_PAGES 16               /* pages a chunk may spend deciding */
#define TRIAL_BYTES ((size_t)2 << 20) /* or compressed PLAIN bytes */

/* Dictionary or PLAIN for this chunk, by measured size.  The first pages
 * of a chunk are encoded both ways and compressed with the file's codec
 * (cut_page); after each one the totals are compared:
 *   - indices alone no smaller than PLAIN: PLAIN (the dictionary cannot win);
 *   - indices + the dictionary page no larger than PLAIN: dictionary;
 *   - the last page cost less as indices plus the dictionary entries it
 *     added (at the dictionary's compressed bytes per entry) than PLAIN,
 *     by 10 %: dictionary — its growth has slowed, so the rest of a long
 *     chunk repays the entries already paid for;
 *   - else decide again after the next page, until TRIAL_PAGES /
 *     TRIAL_BYTES or `final` (chunk end, dictionary full), then take the
 *     smaller total.
 * A dictionary pays for repeated values (categories, foreign keys); it
 * loses on values that are mostly distinct (ids, timestamps, amounts),
 * whose indices carry as many bits as the values and hide from zstd the
 * order and shared high bytes it finds in PLAIN pages.  Measuring over
 * several pages lets a dictionary of a few thousand strings, too big for
 * one page to repay, win over the chunk.  Choosing PLAIN swaps in the PLAIN
 * copies of the trial pages, so the chunk has no dictionary at all. */
/* Is the dictionary worth it, with its page `dictionary` bytes compressed?
 * (the "paid" rules of decide_encoding; `marginal` only before the end) */
static bool dictionary_pays(const struct column *c, double dictionary, bool marginal)
{
    if ((double)c->trial_dict_bytes + dictionary <= (double)c->trial_plain_bytes)
        return true;
    if (!marginal || c->trial_count < 2)
        return false;
    double per_entry = dictionary / (double)(c->dict.count ? c->dict.count : 1);
    double added = (double)(c->dict.count - c->trial_entries);
    double cost = (double)c->trial_last_dict + per_entry * added;
    return cost < 0.9 * (double)c->trial_last_plain;
}

static int decide_encoding(struct pq_writer *w, struct column *c, bool final, struct sl_err *err)
{
    bool plain = c->trial_dict_bytes >= c->trial_plain_bytes;
    if (!plain) {
        /* Between pages the dictionary page's compressed size is estimated
         * with the PLAIN pages' compression ratio; it is compressed for real
         * (up to 1 MiB) only when the estimate says it pays or the trial
         * ends, and the estimate's error then corrects the next ones. */
        double ratio = c->trial_uncompressed
                           ? (double)c->trial_plain_bytes / (double)c->trial_uncompressed
                           : 1.0;
        double fix = c->trial_fix ? c->trial_fix : 1.0;
        double estimate = ratio * (double)pq_dict_bytes(&c->dict) * fix;
        bool more = !final && c->trial_count < TRIAL_PAGES && c->trial_plain_bytes < TRIAL_BYTES;
        bool paid = dictionary_pays(c, estimate, !final);
        if (paid || !more) {
            /* Confirm with the real size; a wrong estimate (distinct values
             * compress worse than pages of repeats) corrects the next ones. */
            size_t dictionary;
            if (dictionary_body(w, c) || probe_size(w, c, &dictionary, err))
                return w->failed ? SL_ERROR : fail(w, c, err, "out of memory encoding a page");
            c->trial_fix = estimate > 0 ? (double)dictionary / estimate * fix : 1.0;
            paid = dictionary_pays(c, (double)dictionary, !final);
        }
        if (!paid && more) {
            c->trial_entries = c->dict.count;
            return SL_OK; /* decide after the next page */
        }
        plain = !paid;
    }
    c->deciding = false;
    if (plain) {
        struct sl_buf pages = c->pages;
        struct pq_page_index index = c->page_index;
        c->pages = c->trial_pages, c->trial_pages = pages;
        c->page_index = c->trial_index, c->trial_index = index;
        c->pages_uncompressed = c->trial_uncompressed;
        c->plain_pages = c->trial_count, c->dict_pages = 0;
        c->use_dict = false;
        pq_dict_reset(&c->dict);
    }
    sl_buf_reset(&c->trial_pages);
    pq_page_index_reset(&c->trial_index);
    c->trial_uncompressed = 0;
    c->trial_plain_bytes = c->trial_dict_bytes = 0;
    c->trial_last_plain = c->trial_last_dict = 0;
    c->trial_entries = 0;
    c->trial_fix = 0;
    c->trial_count = 0;
    return SL_OK;
}

/* Encode the buffered page (if it has rows) and append it to the chunk;
 * while the chunk is deciding, both ways (decide_encoding). */
static int cut_page(struct pq_writer *w, struct column *c, struct sl_err *err)
{
    if (!c->page_rows)
        return SL_OK;
    bool dict = c->use_dict && c->dict.count > 0;
    size_t stored;
    if (c->use_dict && c->deciding) {
        int d = c->dict_pages, p = c->plain_pages;
        if (store_page(w, c, false, &c->trial_pages, &c->trial_index, &c->trial_uncompressed,
                       &stored, err))
            return SL_ERROR;
        c->trial_plain_bytes += stored;
        c->trial_last_plain = stored;
        c->dict_pages = d, c->plain_pages = p; /* counted below, for the kept variant */
        if (store_page(w, c, dict, &c->pages, &c->page_index, &c->pages_uncompressed, &stored,
                       err))
            return SL_ERROR;
        c->trial_dict_bytes += stored;
        c->trial_last_dict = stored;
        c->trial_count++;
    } else if (store_page(w, c, dict, &c->pages, &c->page_index, &c->pages_uncompressed, &stored,
                          err)) {
        return SL_ERROR;
    }
    c->chunk_rows += (int64_t)c->page_rows;
    c->chunk_levels += (int64_t)c->page_levels;
    if (pq_stats_merge(&c->chunk_stats, &c->page_stats))
        return fail(w, c, err, "out of memory keeping statistics");
    pq_stats_reset(&c->page_stats);
    sl_buf_reset(&c->levels);
    sl_buf_reset(&c->reps);
    sl_buf_reset(&c->values);
    sl_buf_reset(&c->indices);
    c->page_rows = c->page_values = c->page_bytes = c->page_levels = 0;
    /* An empty dictionary (only NULLs so far) tells nothing yet. */
    if (c->deciding && c->trial_count && c->dict.count && decide_encoding(w, c, false, err))
        return SL_ERROR;
    return SL_OK;
}

/* Gather the non-null values of rows [0, n) of a T array into out. */
#define GATHER(T, src, valid, n, out)                                             \
    do {                                                                          \
        size_t k_ = 0;                                                            \
        for (size_t i_ = 0; i_ < (n); i_++) {                                     \
            (out)[k_] = (T)(src)[i_];                                             \
            k_ += (valid)[i_] != 0;                                               \
        }                                                                         \
    } while (0)

/* XXH64 of n fixed-width values as PLAIN encodes them (decimals over 18
 * digits: big-endian in type_length bytes), for the chunk's bloom filter. */
static int bloom_fixed(struct column *c, const void *dense, size_t n)
{
    if (sl_buf_reserve(&c->bloom_hashes, n * 8))
        return SL_ERROR;
    uint64_t *h = (uint64_t *)(void *)(c->bloom_hashes.data + c->bloom_hashes.len);
    if (c->vk == V_DEC128) {
        const sl_int128 *v = dense;
        uint8_t be[16];
        for (size_t i = 0; i < n; i++) {
            pq_decimal_be(be, v[i], c->type_length);
            h[i] = pq_xxh64(be, (size_t)c->type_length, 0);
        }
    } else {
        const uint8_t *v = dense;
        for (size_t i = 0; i < n; i++)
            h[i] = pq_xxh64(v + i * c->width, c->width, 0);
    }
    c->bloom_hashes.len += n * 8;
    return SL_OK;
}

/* Add n non-null values `dense` of fixed PLAIN width to the page: dictionary
 * indices or PLAIN bytes. */
static int add_fixed(struct pq_writer *w, struct column *c, const void *dense, size_t n,
                     struct sl_err *err)
{
    if (c->bloom && bloom_fixed(c, dense, n))
        return fail(w, c, err, "out of memory keeping bloom filter hashes");
    if (c->use_dict) {
        int rc;
        switch (c->dict.kind) {
        case PQ_DICT_W4: rc = pq_dict_put_w4(&c->dict, dense, n, w->idx); break;
        case PQ_DICT_W8: rc = pq_dict_put_w8(&c->dict, dense, n, w->idx); break;
        default: rc = pq_dict_put_w16(&c->dict, dense, n, w->idx); break;
        }
        if (rc || sl_buf_append(&c->indices, w->idx, n * sizeof w->idx[0]))
            return fail(w, c, err, "out of memory growing the dictionary");
    }
    /* PLAIN values when not dictionary-encoding, and also while the first
     * page of the chunk decides between the two (choose_encoding). */
    if (!c->use_dict || c->deciding) {
        int rc = c->vk == V_DEC128 ? pq_plain_decimal(&c->values, dense, n, c->type_length)
                                   : sl_buf_append(&c->values, dense, n * c->width);
        if (rc)
            return fail(w, c, err, "page buffer full: lower page_bytes");
    }
    c->page_bytes += n * c->width;
    return SL_OK;
}

/* A fixed-width kind whose batch array is already its PLAIN form: use the
 * array in place when the piece has no NULLs, else gather the non-NULL
 * values; then statistics and dictionary/PLAIN. */
#define FIXED_CASE(VK, T, STATS)                                                \
    case VK: {                                                                 \
        const T *src_ = (const T *)bc->values + r0;                            \
        if (!dense_src)                                                        \
            GATHER(T, src_, valid, n, (T *)d);                                 \
        const T *v_ = dense_src ? src_ : (const T *)d;                         \
        STATS(&c->page_stats, v_, nn);                                         \
        return add_fixed(w, c, v_, nn, err);                                   \
    }

/* Rows [r0, r0+n) of batch column bc (n <= CHUNK_ROWS), nn of them non-null. */
static int add_piece(struct pq_writer *w, struct column *c, const struct sl_batch_column *bc,
                     size_t r0, size_t n, size_t nn, struct sl_err *err)
{
    const uint8_t *valid = bc->valid + r0;
    bool dense_src = nn == n; /* no NULLs: use the batch array in place */
    void *d = w->dense.bytes;
    switch (c->vk) {
    case V_BOOL: {
        const uint8_t *src = (const uint8_t *)bc->values + r0;
        uint8_t *out = d;
        GATHER(uint8_t, src, valid, n, out);
        for (size_t i = 0; i < nn; i++)
            out[i] = out[i] != 0;
        pq_stats_update_bool(&c->page_stats, out, nn);
        if (sl_buf_append(&c->values, out, nn))
            return fail(w, c, err, "page buffer full");
        c->page_bytes += nn / 8 + 1;
        return SL_OK;
    }
    FIXED_CASE(V_I32, int32_t, pq_stats_update_i32)
    case V_I32_FROM_I64: {
        const int64_t *src = (const int64_t *)bc->values + r0;
        GATHER(int32_t, src, valid, n, (int32_t *)d);
        pq_stats_update_i32(&c->page_stats, d, nn);
        return add_fixed(w, c, d, nn, err);
    }
    FIXED_CASE(V_I64, int64_t, pq_stats_update_i64)
    FIXED_CASE(V_F32, float, pq_stats_update_f32)
    FIXED_CASE(V_F64, double, pq_stats_update_f64)
    FIXED_CASE(V_DEC128, sl_int128, pq_stats_update_i128)
    case V_UUID: {
        const uint8_t *src = (const uint8_t *)bc->values + 16 * r0;
        const uint8_t *v = src;
        if (!dense_src) {
            uint8_t *out = d;
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (valid[i])
                    memcpy(out + 16 * k++, src + 16 * i, 16);
            v = out;
        }
        if (pq_stats_update_fixed(&c->page_stats, v, nn, 16))
            return fail(w, c, err, "out of memory keeping statistics");
        return add_fixed(w, c, v, nn, err);
    }
    case V_BYTES: {
        const uint32_t *off = bc->offsets + r0;
        const uint8_t *data = bc->data.data;
        size_t k = 0, total = 0;
        for (size_t i = 0; i < n; i++) {
            w->ptrs[k] = data + off[i];
            w->lens[k] = off[i + 1] - off[i];
            k += valid[i] != 0;
        }
        for (size_t i = 0; i < nn; i++)
            total += w->lens[i];
        if (pq_stats_update_bytes(&c->page_stats, w->ptrs, w->lens, nn))
            return fail(w, c, err, "out of memory keeping statistics");
        if (c->bloom) {
            if (sl_buf_reserve(&c->bloom_hashes, nn * 8))
                return fail(w, c, err, "out of memory keeping bloom filter hashes");
            uint64_t *h = (uint64_t *)(void *)(c->bloom_hashes.data + c->bloom_hashes.len);
            for (size_t i = 0; i < nn; i++)
                h[i] = pq_xxh64(w->ptrs[i], w->lens[i], 0);
            c->bloom_hashes.len += nn * 8;
        }
        if (c->use_dict) {
            if (pq_dict_put_bytes(&c->dict, w->ptrs, w->lens, nn, w->idx) ||
                sl_buf_append(&c->indices, w->idx, nn * sizeof w->idx[0]))
                return fail(w, c, err, "out of memory growing the dictionary");
        }
        if ((!c->use_dict || c->deciding) && pq_plain_bytes(&c->values, w->ptrs, w->lens, nn)) {
            return fail(w, c, err, "page buffer full: lower page_bytes");
        }
        c->page_bytes += total + 4 * nn;
        return SL_OK;
    }
    }
    return SL_OK;
}

/* After appending entries to a page: fall back from the dictionary, or cut
 * the page at its limits.  Called at row boundaries only (a page starts with
 * a row: repetition level 0). */
static int page_limits(struct pq_writer *w, struct column *c, struct sl_err *err)
{
    if (c->use_dict && pq_dict_bytes(&c->dict) > w->opt.dict_max_bytes) {
        if (cut_page(w, c, err) || (c->deciding && decide_encoding(w, c, true, err)))
            return SL_ERROR;
        c->use_dict = false;
    } else if (c->page_rows >= w->opt.page_rows || c->page_bytes >= w->opt.page_bytes) {
        if (cut_page(w, c, err))
            return SL_ERROR;
    }
    return SL_OK;
}

/* Rows of the next piece: at most CHUNK_ROWS (the scratch arrays' size) and
 * no more than the page has room for, so pages start on row boundaries. */
static size_t piece_rows(const struct pq_writer *w, const struct column *c, size_t left)
{
    size_t n = left < CHUNK_ROWS ? left : CHUNK_ROWS;
    size_t room = w->opt.page_rows - c->page_rows;
    return n < room ? n : room;
}

/* Append rows [r0, r1) of batch column bc to the column, cutting pages and
 * falling back from the dictionary as needed. */
static int column_write(struct pq_writer *w, struct column *c, const struct sl_batch_column *bc,
                        size_t r0, size_t r1, struct sl_err *err)
{
    while (r0 < r1) {
        size_t n = piece_rows(w, c, r1 - r0);
        const uint8_t *valid = bc->valid + r0;
        size_t nn = 0;
        for (size_t i = 0; i < n; i++)
            nn += valid[i] != 0;
        if (c->optional) {
            if (sl_buf_append(&c->levels, valid, n))
                return fail(w, c, err, "page buffer full");
            if (nn != n) { /* levels must be exactly 0/1 */
                uint8_t *lv = c->levels.data + c->levels.len - n;
                for (size_t i = 0; i < n; i++)
                    lv[i] = lv[i] != 0;
            }
        } else if (nn != n) {
            w->failed = true;
            return sl_err_set(err, false, "parquet", c->sc->name,
                              "NULL in a column declared NOT NULL");
        }
        if (add_piece(w, c, bc, r0, n, nn, err))
            return SL_ERROR;
        c->page_rows += n;
        c->page_levels += n;
        c->page_values += nn;
        c->page_stats.null_count += (int64_t)(n - nn);
        if (page_limits(w, c, err))
            return SL_ERROR;
        r0 += n;
    }
    return SL_OK;
}

/* LIST columns: rows [r0, r1) become levels (Dremel encoding with one
 * repeated level):
 *   NULL list       rep 0, def 0
 *   empty list      rep 0, def max_def - 2
 *   NULL element    rep 0 (first) or 1, def max_def - 1
 *   element         rep 0 (first) or 1, def max_def
 * and the non-NULL elements go through add_piece like a flat column's. */
static int column_write_list(struct pq_writer *w, struct column *c,
                             const struct sl_batch_column *bc, size_t r0, size_t r1,
                             struct sl_err *err)
{
    const struct sl_batch_column *ch = bc->child;
    const uint32_t *lo = bc->list_offsets;
    uint8_t def_empty = (uint8_t)(c->max_def - 2), def_null = (uint8_t)(c->max_def - 1);
    while (r0 < r1) {
        size_t n = piece_rows(w, c, r1 - r0);
        size_t e0 = lo[r0], e1 = lo[r0 + n], entries = 0, nulls = 0;
        for (size_t i = r0; i < r0 + n; i++)
            entries += bc->valid[i] && lo[i + 1] > lo[i] ? lo[i + 1] - lo[i] : 1;
        if (sl_buf_reserve(&c->levels, entries) || sl_buf_reserve(&c->reps, entries))
            return fail(w, c, err, "page buffer full");
        uint8_t *def = c->levels.data + c->levels.len, *rep = c->reps.data + c->reps.len;
        size_t k = 0;
        for (size_t i = r0; i < r0 + n; i++) {
            if (!bc->valid[i]) {
                if (!c->optional) {
                    w->failed = true;
                    return sl_err_set(err, false, "parquet", c->sc->name,
                                      "NULL in a column declared NOT NULL");
                }
                rep[k] = 0, def[k++] = 0, nulls++;
            } else if (lo[i + 1] == lo[i]) {
                rep[k] = 0, def[k++] = def_empty, nulls++;
            } else {
                for (uint32_t j = lo[i]; j < lo[i + 1]; j++) {
                    rep[k] = j != lo[i];
                    def[k++] = ch->valid[j] ? (uint8_t)c->max_def : def_null;
                    nulls += !ch->valid[j];
                }
            }
        }
        c->levels.len += k;
        c->reps.len += k;
        for (size_t e = e0; e < e1;) {
            size_t m = e1 - e > CHUNK_ROWS ? CHUNK_ROWS : e1 - e, nn = 0;
            for (size_t j = e; j < e + m; j++)
                nn += ch->valid[j] != 0;
            if (add_piece(w, c, ch, e, m, nn, err))
                return SL_ERROR;
            c->page_values += nn;
            e += m;
        }
        c->page_rows += n;
        c->page_levels += k;
        c->page_stats.null_count += (int64_t)nulls;
        if (page_limits(w, c, err))
            return SL_ERROR;
        r0 += n;
    }
    return SL_OK;
}

/* ---- column chunks and row groups ---------------------------------------- */

/* PLAIN body of the dictionary page into w->body. */
static int dictionary_body(struct pq_writer *w, const struct column *c)
{
    sl_buf_reset(&w->body);
    const struct pq_dict *d = &c->dict;
    if (d->kind == PQ_DICT_BYTES)
        return sl_buf_append(&w->body, d->plain.data, d->plain.len);
    if (c->vk == V_DEC128)
        return pq_plain_decimal(&w->body, (const sl_int128 *)(const void *)d->values, d->count,
                                c->type_length);
    return sl_buf_append(&w->body, d->values, (size_t)d->count * c->width);
}

/* Write one column's chunk (dictionary page, data pages) to the sink, and
 * keep its ColumnChunk struct (fields 2 and 3; the page index fields are
 * added by the footer) and its page index until the footer.  Adds its
 * sizes to *uncompressed and *compressed. */
static int flush_chunk(struct pq_writer *w, struct column *c, int64_t *uncompressed,
                       int64_t *compressed, struct sl_err *err)
{
    if (cut_page(w, c, err) || (c->deciding && c->trial_count && decide_encoding(w, c, true, err)))
        return SL_ERROR;
    int64_t dict_offset = -1, dict_unc = 0, dict_comp = 0;
    if (c->dict_pages > 0) {
        const uint8_t *data;
        size_t len;
        if (dictionary_body(w, c))
            return fail(w, c, err, "out of memory encoding the dictionary page");
        if (make_page(w, c, PAGE_DICTIONARY, E_PLAIN, c->dict.count, NULL, &data, &len, err))
            return SL_ERROR;
        dict_offset = w->offset;
        dict_unc = (int64_t)(w->header.len + w->body.len);
        dict_comp = (int64_t)(w->header.len + len);
        if (emit(w, w->header.data, w->header.len, err) || emit(w, data, len, err))
            return w->failed = true, SL_ERROR;
    }
    int64_t data_offset = w->offset;
    if (emit(w, c->pages.data, c->pages.len, err))
        return w->failed = true, SL_ERROR;
    int64_t unc = dict_unc + c->pages_uncompressed;
    int64_t comp = dict_comp + (int64_t)c->pages.len;
    *uncompressed += unc;
    *compressed += comp;

    struct chunk_ref ref = {.meta_at = w->chunk_meta.len,
                            .column_index_at = w->column_index.len,
                            .offset_index_at = w->offset_index.len};
    bool have_ci;
    if (pq_page_index_offsets(&c->page_index, data_offset, &w->offset_index) ||
        pq_page_index_columns(&c->page_index, &w->column_index, &have_ci))
        return fail(w, c, err, "out of memory writing the page index");
    ref.offset_index_len = w->offset_index.len - ref.offset_index_at;
    ref.column_index_len = w->column_index.len - ref.column_index_at;
    if (c->bloom) {
        ref.bloom_at = w->blooms.len;
        if (pq_bloom_build((uint64_t *)(void *)c->bloom_hashes.data, c->bloom_hashes.len / 8,
                           &w->blooms))
            return fail(w, c, err, "out of memory building a bloom filter");
        ref.bloom_len = w->blooms.len - ref.bloom_at;
        sl_buf_reset(&c->bloom_hashes);
    }

    /* ColumnChunk { 2: file_offset, 3: ColumnMetaData } — both left open:
     * the footer adds ColumnMetaData 14–15 (bloom filter) and ColumnChunk
     * 4–7 (page index) once their offsets are known (write_row_groups). */
    struct pq_thrift t;
    pq_thrift_init(&t, &w->chunk_meta);
    pq_thrift_i64(&t, 2, 0);
    pq_thrift_struct_begin(&t, 3);
    pq_thrift_i32(&t, 1, c->ptype);
    int enc[3], nenc = 0;
    if (c->dict_pages || c->plain_pages)
        enc[nenc++] = E_PLAIN; /* dictionary page values, or PLAIN data pages */
    if (c->optional || c->list)
        enc[nenc++] = E_RLE;
    if (c->dict_pages)
        enc[nenc++] = E_RLE_DICTIONARY;
    pq_thrift_list_begin(&t, 2, PQ_TT_I32, (size_t)nenc);
    for (int i = 0; i < nenc; i++)
        pq_thrift_elem_i32(&t, enc[i]);
    pq_thrift_list_begin(&t, 3, PQ_TT_BINARY, c->list ? 3 : 1);
    pq_thrift_elem_binary(&t, c->sc->name, strlen(c->sc->name));
    if (c->list) {
        pq_thrift_elem_binary(&t, "list", 4);
        pq_thrift_elem_binary(&t, "element", 7);
    }
    pq_thrift_i32(&t, 4, (int32_t)w->opt.codec);
    pq_thrift_i64(&t, 5, c->chunk_levels);
    pq_thrift_i64(&t, 6, unc);
    pq_thrift_i64(&t, 7, comp);
    pq_thrift_i64(&t, 9, data_offset);
    if (dict_offset >= 0)
        pq_thrift_i64(&t, 11, dict_offset);
    pq_stats_write(&c->chunk_stats, &t, 12, true);
    /* encoding_stats: list<PageEncodingStats{1 page_type, 2 encoding, 3 count}> */
    int nstats = (c->dict_pages ? 2 : 0) + (c->plain_pages ? 1 : 0);
    pq_thrift_list_begin(&t, 13, PQ_TT_STRUCT, (size_t)nstats);
    if (c->dict_pages) {
        const int rows[2][3] = {{PAGE_DICTIONARY, E_PLAIN, 1},
                                {PAGE_DATA, E_RLE_DICTIONARY, c->dict_pages}};
        for (int i = 0; i < 2; i++) {
            pq_thrift_elem_struct_begin(&t);
            pq_thrift_i32(&t, 1, rows[i][0]);
            pq_thrift_i32(&t, 2, rows[i][1]);
            pq_thrift_i32(&t, 3, rows[i][2]);
            pq_thrift_struct_end(&t);
        }
    }
    if (c->plain_pages) {
        pq_thrift_elem_struct_begin(&t);
        pq_thrift_i32(&t, 1, PAGE_DATA);
        pq_thrift_i32(&t, 2, E_PLAIN);
        pq_thrift_i32(&t, 3, c->plain_pages);
        pq_thrift_struct_end(&t);
    }
    ref.meta_len = w->chunk_meta.len - ref.meta_at;
    if (t.failed || sl_buf_append(&w->chunk_refs, &ref, sizeof ref))
        return fail(w, c, err, "out of memory writing column metadata");

    /* Start the next chunk. */
    sl_buf_reset(&c->pages);
    c->chunk_rows = c->chunk_levels = c->pages_uncompressed = 0;
    c->dict_pages = c->plain_pages = 0;
    pq_stats_reset(&c->chunk_stats);
    pq_page_index_reset(&c->page_index);
    pq_dict_reset(&c->dict);
    c->use_dict = c->deciding = c->dict_enabled;
    return SL_OK;
}

static int flush_row_group(struct pq_writer *w, struct sl_err *err)
{
    if (!w->rg_rows)
        return SL_OK;
    struct row_group_ref rg = {.file_offset = w->offset, .rows = w->rg_rows};
    sl_buf_reset(&w->blooms);
    for (int i = 0; i < w->schema.ncols; i++)
        if (flush_chunk(w, &w->cols[i], &rg.uncompressed, &rg.compressed, err))
            return SL_ERROR;
    /* Bloom filters right after the row group's chunks (BloomFilter.md
     * "File Format": between row groups is allowed), so only one row
     * group's filters are ever held. */
    struct chunk_ref *ref = (struct chunk_ref *)(void *)(w->chunk_refs.data + w->chunk_refs.len) -
                            w->schema.ncols;
    for (int i = 0; i < w->schema.ncols; i++)
        if (ref[i].bloom_len)
            ref[i].bloom_at += (size_t)w->offset;
    if (emit(w, w->blooms.data, w->blooms.len, err))
        return w->failed = true, SL_ERROR;
    if (sl_buf_append(&w->row_group_refs, &rg, sizeof rg))
        return fail(w, NULL, err, "out of memory keeping row group metadata");
    w->row_group_count++;
    w->rows += w->rg_rows;
    w->rg_rows = 0;
    return SL_OK;
}

/* Encoded bytes the current row group would take if flushed now. */
static size_t buffered_bytes(const struct pq_writer *w)
{
    size_t n = 0;
    for (int i = 0; i < w->schema.ncols; i++) {
        const struct column *c = &w->cols[i];
        n += c->pages.len + c->page_bytes;
        if (c->use_dict)
            n += pq_dict_bytes(&c->dict);
    }
    return n;
}

/* FileMetaData field 4: the RowGroups, each ColumnChunk completed with the
 * file offsets of its page index.
 *   RowGroup { 1 columns, 2 total_byte_size, 3 num_rows, 5 file_offset,
 *              6 total_compressed_size }
 *   ColumnChunk { 2, 3 (kept), 4 offset_index_offset i64, 5 its length i32,
 *                 6 column_index_offset i64, 7 its length i32 } */
static void write_row_groups(struct pq_writer *w, struct pq_thrift *t, int64_t ci_base,
                             int64_t oi_base)
{
    const struct row_group_ref *rg = (const void *)w->row_group_refs.data;
    const struct chunk_ref *ch = (const void *)w->chunk_refs.data;
    pq_thrift_list_begin(t, 4, PQ_TT_STRUCT, (size_t)w->row_group_count);
    for (int g = 0; g < w->row_group_count; g++) {
        pq_thrift_elem_struct_begin(t);
        pq_thrift_list_begin(t, 1, PQ_TT_STRUCT, (size_t)w->schema.ncols);
        for (int i = 0; i < w->schema.ncols; i++, ch++) {
            pq_thrift_elem_struct_begin(t); /* ColumnChunk */
            pq_thrift_raw(t, w->chunk_meta.data + ch->meta_at, ch->meta_len);
            t->last[t->depth] = 3;          /* the raw bytes: fields 2, 3 and … */
            pq_thrift_elem_struct_begin(t); /* … ColumnMetaData up to field 13 */
            t->last[t->depth] = 13;
            if (ch->bloom_len) {
                pq_thrift_i64(t, 14, (int64_t)ch->bloom_at);
                pq_thrift_i32(t, 15, (int32_t)ch->bloom_len);
            }
            pq_thrift_struct_end(t);
            pq_thrift_i64(t, 4, oi_base + (int64_t)ch->offset_index_at);
            pq_thrift_i32(t, 5, (int32_t)ch->offset_index_len);
            if (ch->column_index_len) {
                pq_thrift_i64(t, 6, ci_base + (int64_t)ch->column_index_at);
                pq_thrift_i32(t, 7, (int32_t)ch->column_index_len);
            }
            pq_thrift_struct_end(t);
        }
        pq_thrift_i64(t, 2, rg[g].uncompressed);
        pq_thrift_i64(t, 3, rg[g].rows);
        pq_thrift_i64(t, 5, rg[g].file_offset);
        pq_thrift_i64(t, 6, rg[g].compressed);
        pq_thrift_struct_end(t);
    }
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
static int key_value_metadata(struct pq_writer *w, struct pq_thrift *t)
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

/* ---- API ----------------------------------------------------------------- */

int pq_writer_open(struct pq_writer **out, const struct sl_schema *schema,
                   const struct pq_options *opt, pq_sink_fn sink, void *sink_ctx,
                   struct sl_err *err)
{
    *out = NULL;
    if (!schema || schema->ncols <= 0)
        return sl_err_set(err, false, "parquet", "", "a Parquet file needs at least one column");
    struct pq_writer *w = calloc(1, sizeof *w);
    if (!w)
        return sl_err_set(err, false, "parquet", "", "out of memory");
    pq_options_default(&w->opt);
    if (opt) {
        w->opt = *opt;
        if (!w->opt.row_group_bytes)
            w->opt.row_group_bytes = (size_t)128 << 20;
        if (!w->opt.page_bytes)
            w->opt.page_bytes = (size_t)1 << 20;
        if (!w->opt.page_rows)
            w->opt.page_rows = 20000;
    }
    if (w->opt.page_rows > INT32_MAX)
        w->opt.page_rows = INT32_MAX;
    w->sink = sink;
    w->sink_ctx = sink_ctx;
    sl_buf_init(&w->body, PAGE_CAP);
    sl_buf_init(&w->packed, PAGE_CAP);
    sl_buf_init(&w->header, META_CAP);
    sl_buf_init(&w->chunk_refs, META_CAP);
    sl_buf_init(&w->row_group_refs, META_CAP);
    sl_buf_init(&w->chunk_meta, META_CAP);
    sl_buf_init(&w->column_index, META_CAP);
    sl_buf_init(&w->offset_index, META_CAP);
    sl_buf_init(&w->blooms, CHUNK_CAP);
    sl_buf_init(&w->probe, PAGE_CAP);
    w->created_by = strdup(w->opt.created_by ? w->opt.created_by : sl_created_by());
    w->opt.created_by = NULL;
    if (!w->created_by || sl_schema_copy(&w->schema, schema)) {
        pq_writer_free(w);
        return sl_err_set(err, false, "parquet", "", "out of memory");
    }
    w->cols = calloc((size_t)w->schema.ncols, sizeof *w->cols);
    if (!w->cols) {
        pq_writer_free(w);
        return sl_err_set(err, false, "parquet", "", "out of memory");
    }
    for (int i = 0; i < w->schema.ncols; i++) {
        if (column_setup(&w->cols[i], &w->schema.cols[i], &w->opt, err)) {
            pq_writer_free(w);
            return SL_ERROR;
        }
    }
    if (pq_compressor_new(&w->comp, w->opt.codec, w->opt.level, err) ||
        emit(w, "PAR1", 4, err)) {
        pq_writer_free(w);
        return SL_ERROR;
    }
    *out = w;
    return SL_OK;
}

int pq_writer_write(struct pq_writer *w, const struct sl_batch *b, struct sl_err *err)
{
    if (w->failed || w->finished)
        return sl_err_set(err, false, "parquet", "",
                          w->failed ? "writer failed earlier" : "writer already finished");
    const struct sl_schema *s = b->schema;
    if (s->ncols != w->schema.ncols)
        return sl_err_set(err, false, "parquet", "", "batch has %d columns, file has %d",
                          s->ncols, w->schema.ncols);
    for (int i = 0; i < s->ncols; i++) {
        const struct sl_column *x = &s->cols[i], *y = &w->schema.cols[i];
        if (x->type != y->type || x->list != y->list ||
            (x->type == SL_T_DECIMAL && (x->precision != y->precision || x->scale != y->scale)))
            return sl_err_set(err, false, "parquet", y->name, "batch column type %s differs",
                              sl_type_name(x->type));
    }
    for (size_t r0 = 0; r0 < b->nrows;) {
        size_t r1 = b->nrows - r0 > SLICE_ROWS ? r0 + SLICE_ROWS : b->nrows;
        for (int i = 0; i < w->schema.ncols; i++) {
            struct column *c = &w->cols[i];
            if (c->list ? column_write_list(w, c, &b->cols[i], r0, r1, err)
                        : column_write(w, c, &b->cols[i], r0, r1, err))
                return SL_ERROR;
        }
        w->rg_rows += (int64_t)(r1 - r0);
        r0 = r1;
        if (buffered_bytes(w) >= w->opt.row_group_bytes && flush_row_group(w, err))
            return SL_ERROR;
    }
    return SL_OK;
}

int pq_writer_finish(struct pq_writer *w, struct pq_file_info *info, struct sl_err *err)
{
    if (w->failed || w->finished)
        return sl_err_set(err, false, "parquet", "",
                          w->failed ? "writer failed earlier" : "writer already finished");
    if (flush_row_group(w, err))
        return SL_ERROR;
    /* Page index after the last row group, before the footer (PageIndex.md):
     * every ColumnIndex, then every OffsetIndex. */
    int64_t column_index_base = w->offset;
    if (emit(w, w->column_index.data, w->column_index.len, err))
        return w->failed = true, SL_ERROR;
    int64_t offset_index_base = w->offset;
    if (emit(w, w->offset_index.data, w->offset_index.len, err))
        return w->failed = true, SL_ERROR;
    struct sl_buf *m = &w->body;
    sl_buf_reset(m);
    struct pq_thrift t;
    pq_thrift_init(&t, m);
    pq_thrift_i32(&t, 1, 1);
    size_t nlists = 0;
    for (int i = 0; i < w->schema.ncols; i++)
        nlists += w->cols[i].list;
    pq_thrift_list_begin(&t, 2, PQ_TT_STRUCT, (size_t)w->schema.ncols + 1 + 2 * nlists);
    pq_thrift_elem_struct_begin(&t); /* root group */
    pq_thrift_string(&t, 4, "schema");
    pq_thrift_i32(&t, 5, w->schema.ncols);
    pq_thrift_struct_end(&t);
    for (int i = 0, element_id = w->schema.ncols + 1; i < w->schema.ncols; i++)
        schema_element(&t, &w->cols[i], i + 1, w->cols[i].list ? element_id++ : 0);
    pq_thrift_i64(&t, 3, w->rows);
    write_row_groups(w, &t, column_index_base, offset_index_base);
    if (key_value_metadata(w, &t))
        return fail(w, NULL, err, "out of memory writing key-value metadata");
    pq_thrift_string(&t, 6, w->created_by);
    pq_thrift_list_begin(&t, 7, PQ_TT_STRUCT, (size_t)w->schema.ncols);
    for (int i = 0; i < w->schema.ncols; i++) {
        pq_thrift_elem_struct_begin(&t); /* ColumnOrder union */
        pq_thrift_empty_struct(&t, 1);   /* TYPE_ORDER: TypeDefinedOrder */
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    if (pq_thrift_end(&t) || m->len > UINT32_MAX) {
        w->failed = true;
        return sl_err_set(err, false, "parquet", "", "out of memory writing the footer");
    }
    uint32_t len = (uint32_t)m->len;
    uint8_t tail[8] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                       (uint8_t)(len >> 24), 'P', 'A', 'R', '1'};
    if (emit(w, m->data, m->len, err) || emit(w, tail, 8, err)) {
        w->failed = true;
        return SL_ERROR;
    }
    w->finished = true;
    if (info) {
        info->rows = w->rows;
        info->bytes = w->offset;
        info->row_groups = w->row_group_count;
    }
    return SL_OK;
}

void pq_writer_free(struct pq_writer *w)
{
    if (!w)
        return;
    if (w->cols)
        for (int i = 0; i < w->schema.ncols; i++)
            column_free(&w->cols[i]);
    free(w->cols);
    sl_schema_free(&w->schema);
    pq_compressor_free(w->comp);
    sl_buf_free(&w->body);
    sl_buf_free(&w->packed);
    sl_buf_free(&w->header);
    sl_buf_free(&w->chunk_refs);
    sl_buf_free(&w->row_group_refs);
    sl_buf_free(&w->chunk_meta);
    sl_buf_free(&w->column_index);
    sl_buf_free(&w->offset_index);
    sl_buf_free(&w->blooms);
    sl_buf_free(&w->probe);
    free(w->created_by);
    free(w);
}
