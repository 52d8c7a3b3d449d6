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
 * and the smaller kept, measured after compression (pq_decide_encoding).
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
#include "parquet/writer.h"
#include "parquet/bloom.h"
#include "parquet/compress.h"
#include "parquet/writer_internal.h"
#include "util/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pq_options_default(struct pq_options *o)
{
    *o = (struct pq_options){0}; /* every field a later version adds starts unset */
    o->codec = PQ_CODEC_ZSTD;
    o->level = 0;
    o->row_group_bytes = (size_t)128 << 20;
    o->page_bytes = (size_t)1 << 20;
    o->page_rows = 20000;
    o->dict_max_bytes = (size_t)1 << 20;
    o->format_version = 1;
    o->v2_encodings_only = false;
    o->timestamp_int96 = false;
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

int pq_writer_fail(struct pq_writer *w, const struct column *c, struct sl_err *err, const char *what)
{
    w->failed = true;
    return sl_err_set(err, false, "parquet", c ? c->sc->name : "", "%s", what);
}

/* Write one column's chunk (dictionary page, data pages) to the sink, and
 * keep its ColumnChunk struct (fields 2 and 3; the page index fields are
 * added by the footer) and its page index until the footer.  Adds its
 * sizes to *uncompressed and *compressed. */
static int flush_chunk(struct pq_writer *w, struct column *c, int64_t *uncompressed,
                       int64_t *compressed, struct sl_err *err)
{
    if (pq_page_cut(w, c, err) || (c->deciding && c->trial_count && pq_decide_encoding(w, c, true, err)))
        return SL_ERROR;
    int64_t dict_offset = -1, dict_unc = 0, dict_comp = 0;
    if (c->dict_pages > 0) {
        const uint8_t *data;
        size_t len;
        if (pq_dictionary_body(w, c))
            return pq_writer_fail(w, c, err, "out of memory encoding the dictionary page");
        if (pq_page_make(w, c, PAGE_DICTIONARY, E_PLAIN, c->dict.count, NULL, &data, &len, err))
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
        return pq_writer_fail(w, c, err, "out of memory writing the page index");
    ref.offset_index_len = w->offset_index.len - ref.offset_index_at;
    ref.column_index_len = w->column_index.len - ref.column_index_at;
    if (c->bloom) {
        ref.bloom_at = w->blooms.len;
        if (pq_bloom_build((uint64_t *)(void *)c->bloom_hashes.data, c->bloom_hashes.len / 8,
                           &w->blooms))
            return pq_writer_fail(w, c, err, "out of memory building a bloom filter");
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
    /* Every encoding used, in ascending enum order: PLAIN for the
     * dictionary page's values or PLAIN data pages, RLE for levels, the
     * value encoding of the data pages without dictionary, RLE_DICTIONARY. */
    int enc[4], nenc = 0;
    int value_enc = c->plain_pages ? c->value_encoding : -1;
    if (c->dict_pages || value_enc == E_PLAIN)
        enc[nenc++] = E_PLAIN;
    if (c->optional || c->list)
        enc[nenc++] = E_RLE;
    if (value_enc > E_RLE && value_enc < E_RLE_DICTIONARY)
        enc[nenc++] = value_enc;
    if (c->dict_pages)
        enc[nenc++] = E_RLE_DICTIONARY;
    if (value_enc > E_RLE_DICTIONARY)
        enc[nenc++] = value_enc;
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
    if (!c->no_stats)
        pq_stats_write(&c->chunk_stats, &t, 12, true);
    /* encoding_stats: list<PageEncodingStats{1 page_type, 2 encoding, 3 count}> */
    int data_page = w->opt.format_version == 2 ? PAGE_DATA_V2 : PAGE_DATA;
    int nstats = (c->dict_pages ? 2 : 0) + (c->plain_pages ? 1 : 0);
    pq_thrift_list_begin(&t, 13, PQ_TT_STRUCT, (size_t)nstats);
    if (c->dict_pages) {
        const int rows[2][3] = {{PAGE_DICTIONARY, E_PLAIN, 1},
                                {data_page, E_RLE_DICTIONARY, c->dict_pages}};
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
        pq_thrift_i32(&t, 1, data_page);
        pq_thrift_i32(&t, 2, c->value_encoding);
        pq_thrift_i32(&t, 3, c->plain_pages);
        pq_thrift_struct_end(&t);
    }
    ref.meta_len = w->chunk_meta.len - ref.meta_at;
    if (t.failed || sl_buf_append(&w->chunk_refs, &ref, sizeof ref))
        return pq_writer_fail(w, c, err, "out of memory writing column metadata");

    /* Start the next chunk. */
    sl_buf_reset(&c->pages);
    c->chunk_rows = c->chunk_levels = c->pages_uncompressed = 0;
    c->dict_pages = c->plain_pages = 0;
    pq_stats_reset(&c->chunk_stats);
    pq_page_index_reset(&c->page_index);
    pq_dict_reset(&c->dict);
    c->use_dict = c->deciding = c->dict_enabled;
    c->value_encoding = c->v2_encoding;
    c->value_chosen = false;
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
        return pq_writer_fail(w, NULL, err, "out of memory keeping row group metadata");
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
    if (w->opt.format_version == 0)
        w->opt.format_version = 1;
    if (w->opt.format_version != 1 && w->opt.format_version != 2) {
        int v = w->opt.format_version;
        free(w);
        return sl_err_set(err, false, "parquet", "", "format_version %d: use 1 or 2", v);
    }
    if (w->opt.page_rows > INT32_MAX)
        w->opt.page_rows = INT32_MAX;
    w->sink = sink;
    w->sink_ctx = sink_ctx;
    /* In the order pq_writer_free gives them back, reversed (spare.c). */
    struct pq_spare *sp = w->opt.spare;
    pq_spare_take(sp, &w->body, PAGE_CAP);
    pq_spare_take(sp, &w->packed, PAGE_CAP);
    pq_spare_take(sp, &w->header, META_CAP);
    pq_spare_take(sp, &w->scratch, PAGE_CAP);
    pq_spare_take(sp, &w->chunk_refs, META_CAP);
    pq_spare_take(sp, &w->row_group_refs, META_CAP);
    pq_spare_take(sp, &w->chunk_meta, META_CAP);
    pq_spare_take(sp, &w->column_index, META_CAP);
    pq_spare_take(sp, &w->offset_index, META_CAP);
    pq_spare_take(sp, &w->blooms, CHUNK_CAP);
    pq_spare_take(sp, &w->probe, PAGE_CAP);
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
        if (pq_column_setup(&w->cols[i], &w->schema.cols[i], &w->opt, err)) {
            pq_writer_free(w);
            return SL_ERROR;
        }
    }
    w->comp = pq_spare_take_compressor(sp, w->opt.codec, w->opt.level);
    if ((!w->comp && pq_compressor_new(&w->comp, w->opt.codec, w->opt.level, err)) ||
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
            if (c->list ? pq_column_write_list(w, c, &b->cols[i], r0, r1, err)
                        : pq_column_write(w, c, &b->cols[i], r0, r1, err))
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
    /* FileMetaData.version: 2 when data pages are v2 (as Arrow writes for
     * format 2.x); readers do not reject either. */
    pq_thrift_i32(&t, 1, w->opt.format_version == 2 ? 2 : 1);
    size_t nlists = 0;
    for (int i = 0; i < w->schema.ncols; i++)
        nlists += w->cols[i].list;
    pq_thrift_list_begin(&t, 2, PQ_TT_STRUCT, (size_t)w->schema.ncols + 1 + 2 * nlists);
    pq_thrift_elem_struct_begin(&t); /* root group */
    pq_thrift_string(&t, 4, "schema");
    pq_thrift_i32(&t, 5, w->schema.ncols);
    pq_thrift_struct_end(&t);
    for (int i = 0, element_id = w->schema.ncols + 1; i < w->schema.ncols; i++)
        pq_schema_element(&t, &w->cols[i], i + 1, w->cols[i].list ? element_id++ : 0);
    pq_thrift_i64(&t, 3, w->rows);
    write_row_groups(w, &t, column_index_base, offset_index_base);
    if (pq_key_value_metadata(w, &t))
        return pq_writer_fail(w, NULL, err, "out of memory writing key-value metadata");
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
    /* Everything pq_writer_open took, given back in the reverse order. */
    struct pq_spare *sp = w->opt.spare;
    if (w->cols)
        for (int i = w->schema.ncols - 1; i >= 0; i--)
            pq_column_free(&w->cols[i], sp);
    free(w->cols);
    sl_schema_free(&w->schema);
    pq_spare_give_compressor(sp, w->comp);
    pq_spare_give(sp, &w->probe);
    pq_spare_give(sp, &w->blooms);
    pq_spare_give(sp, &w->offset_index);
    pq_spare_give(sp, &w->column_index);
    pq_spare_give(sp, &w->chunk_meta);
    pq_spare_give(sp, &w->row_group_refs);
    pq_spare_give(sp, &w->chunk_refs);
    pq_spare_give(sp, &w->scratch);
    pq_spare_give(sp, &w->header);
    pq_spare_give(sp, &w->packed);
    pq_spare_give(sp, &w->body);
    free(w->created_by);
    free(w);
}
