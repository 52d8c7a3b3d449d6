/*
 * page.c — a buffered page becomes bytes: the data page v1 body (levels,
 * then PLAIN values or dictionary indices), its compression and PageHeader,
 * the dictionary page, and the per-chunk choice between dictionary and
 * PLAIN by measured compressed size (pq_decide_encoding).  The essay of
 * writer.c describes the page format and where pages are cut.
 */
#include "parquet/compress.h"
#include "parquet/delta.h"
#include "parquet/writer_internal.h"

#include <math.h>
#include <string.h>

/* Compress w->body into a page: header into w->header, body into w->packed
 * (or w->body itself for no compression); data and len give the stored body.
 * Data pages carry `stats` in their DataPageHeader.
 *
 * PAGE_DATA_V2 (parquet.thrift DataPageHeaderV2): the first w->rep_bytes +
 * w->def_bytes of the body are the levels, stored as they are; only the
 * values after them are compressed, and not at all (is_compressed false)
 * when the codec is none or compressing does not make them smaller —
 * BYTE_STREAM_SPLIT of random doubles, say. */
int pq_page_make(struct pq_writer *w, const struct column *c, int type, int encoding,
                 size_t rows, const struct pq_stats *stats, const uint8_t **data, size_t *len,
                 struct sl_err *err)
{
    size_t levels = type == PAGE_DATA_V2 ? w->rep_bytes + w->def_bytes : 0;
    bool compressed = false;
    *data = w->body.data;
    *len = w->body.len;
    if (w->opt.codec != PQ_CODEC_NONE) {
        sl_buf_reset(&w->packed);
        if (sl_buf_append(&w->packed, w->body.data, levels))
            return pq_writer_fail(w, c, err, "out of memory compressing a page");
        if (pq_compress(w->comp, w->body.data + levels, w->body.len - levels, &w->packed, err)) {
            w->failed = true;
            sl_err_context(err, "column %s", c->sc->name);
            return SL_ERROR;
        }
        if (type != PAGE_DATA_V2 || w->packed.len < w->body.len) {
            *data = w->packed.data;
            *len = w->packed.len;
            compressed = true;
        }
    }
    if (w->body.len > INT32_MAX || *len > INT32_MAX)
        return pq_writer_fail(w, c, err, "page larger than 2 GiB: lower page_bytes");
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
        if (!c->no_stats)
            pq_stats_write(stats, &t, 5, true);
        pq_thrift_struct_end(&t);
    } else if (type == PAGE_DATA_V2) {
        /* num_values counts levels (NULLs and empty lists included),
         * num_nulls those without a value, num_rows the rows (every page
         * starts at a row boundary). */
        pq_thrift_struct_begin(&t, 8);
        pq_thrift_i32(&t, 1, (int32_t)rows);
        pq_thrift_i32(&t, 2, (int32_t)(c->page_levels - c->page_values));
        pq_thrift_i32(&t, 3, (int32_t)c->page_rows);
        pq_thrift_i32(&t, 4, encoding);
        pq_thrift_i32(&t, 5, (int32_t)w->def_bytes);
        pq_thrift_i32(&t, 6, (int32_t)w->rep_bytes);
        pq_thrift_bool(&t, 7, compressed);
        if (!c->no_stats)
            pq_stats_write(stats, &t, 8, true);
        pq_thrift_struct_end(&t);
    } else {
        pq_thrift_struct_begin(&t, 7);
        pq_thrift_i32(&t, 1, (int32_t)rows);
        pq_thrift_i32(&t, 2, E_PLAIN);
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    if (pq_thrift_end(&t))
        return pq_writer_fail(w, c, err, "out of memory writing a page header");
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


/* The values of the buffered page in the column's value_encoding (PLAIN,
 * or with format_version 2 one of delta.c's), appended to b. */
static int values_encode(struct pq_writer *w, struct column *c, struct sl_buf *b)
{
    const uint8_t *v = c->values.data;
    size_t n = c->page_values;
    switch (c->value_encoding) {
    case E_DELTA_BINARY_PACKED:
        return c->width == 4 ? pq_delta_binary_i32(b, (const int32_t *)(const void *)v, n)
                             : pq_delta_binary_i64(b, (const int64_t *)(const void *)v, n);
    case E_DELTA_BYTE_ARRAY:
        return pq_delta_bytes(b, &w->scratch, v, c->values.len, n);
    case E_DELTA_LENGTH_BYTE_ARRAY:
        return pq_delta_length_bytes(b, &w->scratch, v, c->values.len, n);
    case E_BYTE_STREAM_SPLIT:
        return pq_byte_stream_split(b, v, n, c->width);
    }
    if (c->vk == V_BOOL)
        return pq_plain_bool(b, v, c->values.len);
    return sl_buf_append(b, v, c->values.len);
}

/* The buffered page's body into w->body: levels, then the values as
 * dictionary indices (`dict`) or in the column's value_encoding; *encoding
 * says which.  Levels: data page v1 prefixes each with its u32 length; v2
 * does not (their lengths are in the header: w->rep_bytes, w->def_bytes).
 * 0 or SL_ERROR (out of memory). */
static int page_body(struct pq_writer *w, struct column *c, bool dict, int *encoding)
{
    struct sl_buf *b = &w->body;
    sl_buf_reset(b);
    *encoding = c->value_encoding;
    w->rep_bytes = w->def_bytes = 0;
    if (w->opt.format_version == 2) {
        if (c->list && pq_levels_v2(b, c->reps.data, c->page_levels, 1))
            return SL_ERROR;
        w->rep_bytes = b->len;
        if (c->max_def && pq_levels_v2(b, c->levels.data, c->page_levels,
                                       pq_bit_width((uint64_t)c->max_def)))
            return SL_ERROR;
        w->def_bytes = b->len - w->rep_bytes;
    } else if (c->list) {
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
    return values_encode(w, c, b);
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

/* Format version 2: the chunk's first page without dictionary is encoded
 * in the column's v2_encoding and PLAIN, both compressed with the file's
 * codec, and the smaller sets value_encoding for the rest of the chunk
 * (its data pages then share one value encoding, as encoding_stats lists).
 * Deltas of random values, for one, carry a sign bit and hide the zero high
 * bytes that zstd removes from PLAIN integers.  The levels are the same
 * both ways, so only the values are compared. */
static int choose_value_encoding(struct pq_writer *w, struct column *c, struct sl_err *err)
{
    c->value_chosen = true;
    if (c->v2_encoding == E_PLAIN || w->opt.v2_encodings_only)
        return SL_OK;
    size_t size[2];
    const int candidate[2] = {c->v2_encoding, E_PLAIN};
    for (int i = 0; i < 2; i++) {
        c->value_encoding = candidate[i];
        sl_buf_reset(&w->body);
        if (values_encode(w, c, &w->body))
            return pq_writer_fail(w, c, err, "out of memory encoding a page");
        if (w->opt.codec == PQ_CODEC_NONE)
            size[i] = w->body.len;
        else if (probe_size(w, c, &size[i], err))
            return SL_ERROR;
    }
    c->value_encoding = size[1] < size[0] ? E_PLAIN : c->v2_encoding;
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
    if (!dict && !c->value_chosen && choose_value_encoding(w, c, err))
        return SL_ERROR;
    if (page_body(w, c, dict, &encoding))
        return pq_writer_fail(w, c, err, "out of memory encoding a page");
    const uint8_t *data;
    size_t len;
    if (pq_page_make(w, c, w->opt.format_version == 2 ? PAGE_DATA_V2 : PAGE_DATA, encoding,
                     c->page_levels, &c->page_stats, &data, &len, err))
        return SL_ERROR;
    if (sl_buf_reserve(pages, w->header.len + len) ||
        pq_page_index_add(index, (int64_t)pages->len, (int32_t)(w->header.len + len),
                          c->chunk_rows, &c->page_stats, c->page_values))
        return pq_writer_fail(w, c, err, "out of memory buffering a column chunk");
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
 * (pq_page_cut); after each one the totals are compared:
 *   - indices alone no smaller than PLAIN: PLAIN (the dictionary cannot win);
 *   - indices + the dictionary page no larger than PLAIN: dictionary;
 *   - the last page cost less as indices plus the dictionary entries it
 *     added (at the dictionary's compressed bytes per entry) than PLAIN,
 *     by 10 %: dictionary — its growth has slowed, so the rest of a long
 *     chunk repays the entries already paid for;
 *   - the dictionary cannot pay by the chunk's end, projected from how
 *     fast it grows (dictionary_loses: it would overflow dict_max_bytes,
 *     or, with the chunk's length known, cost more than PLAIN): PLAIN —
 *     carrying it through the trial costs a hash insert and a second
 *     compression per value (mostly distinct timestamps, amounts, keys);
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
 * (the "paid" rules of pq_decide_encoding; `marginal` only before the end) */
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

/* Can the dictionary still pay by the chunk's end (the "projection" rule)?
 * Drawn at random from D distinct values, a fraction e^(-n/D) of the
 * values after the n-th are new: the last page's new fraction, at its
 * middle, gives D (sorted or unique values, all new: D infinite).  A chunk
 * of N values then ends with D(1 - e^(-N/D)) entries — D itself when N is
 * unknown.  The dictionary loses when those entries overflow
 * dict_max_bytes (it would be dropped when full), or, with N known from
 * options.expected_rows, when they (at `dictionary`'s compressed bytes per
 * entry) plus N indices cost no less than N PLAIN values, each at its
 * compressed size in the trial so far.  Values that repeat in a pattern,
 * not at random, fool the estimate: they lose the dictionary's saving,
 * never a value. */
static bool dictionary_loses(const struct pq_writer *w, const struct column *c,
                             double dictionary)
{
    if (c->trial_count < 2 || !c->trial_last_values || !c->dict.count || !c->chunk_rows)
        return false;
    double m = (double)c->trial_last_values, count = (double)c->dict.count;
    double seen = (double)c->trial_values;
    double fresh = (double)(c->dict.count - c->trial_entries) / m;
    double distinct = fresh >= 0.999 ? INFINITY
                      : fresh <= 0   ? count
                                     : fmax(count, (seen - m / 2) / -log(fresh));
    bool known = w->opt.expected_rows > 0;
    double values = seen, entries = distinct;
    if (known) {
        double rows = fmax((double)(w->opt.expected_rows - w->rows), (double)c->chunk_rows);
        values = rows * seen / (double)c->chunk_rows;
        entries = isinf(distinct) ? values : distinct * -expm1(-values / distinct);
    } else if (fresh < 0.5) {
        return false; /* growth has slowed, and how long the chunk runs is unknown */
    }
    if (entries * (double)pq_dict_bytes(&c->dict) / count > (double)w->opt.dict_max_bytes)
        return true;
    if (!known)
        return false;
    double dict_end = entries * dictionary / count + values * (double)c->trial_dict_bytes / seen;
    return dict_end >= values * (double)c->trial_plain_bytes / seen;
}

int pq_decide_encoding(struct pq_writer *w, struct column *c, bool final, struct sl_err *err)
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
        bool more = !final && c->trial_count < TRIAL_PAGES && c->trial_plain_bytes < TRIAL_BYTES &&
                    !dictionary_loses(w, c, estimate);
        bool paid = dictionary_pays(c, estimate, !final);
        if (paid || !more) {
            /* Confirm with the real size; a wrong estimate (distinct values
             * compress worse than pages of repeats) corrects the next ones. */
            size_t dictionary;
            if (pq_dictionary_body(w, c) || probe_size(w, c, &dictionary, err))
                return w->failed ? SL_ERROR : pq_writer_fail(w, c, err, "out of memory encoding a page");
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
        /* Copied, not swapped: `pages` keeps its capacity, a whole chunk's
         * when it came from a spare (writer.h), where the trial buffer
         * holds a few pages and would grow again page by page. */
        sl_buf_reset(&c->pages);
        if (sl_buf_append(&c->pages, c->trial_pages.data, c->trial_pages.len))
            return pq_writer_fail(w, c, err, "out of memory buffering a column chunk");
        struct pq_page_index index = c->page_index;
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
    c->trial_values = c->trial_last_values = 0;
    c->trial_entries = 0;
    c->trial_fix = 0;
    c->trial_count = 0;
    return SL_OK;
}

/* Encode the buffered page (if it has rows) and append it to the chunk;
 * while the chunk is deciding, both ways (pq_decide_encoding). */
int pq_page_cut(struct pq_writer *w, struct column *c, struct sl_err *err)
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
        c->trial_last_values = c->page_values;
        c->trial_values += c->page_values;
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
        return pq_writer_fail(w, c, err, "out of memory keeping statistics");
    pq_stats_reset(&c->page_stats);
    sl_buf_reset(&c->levels);
    sl_buf_reset(&c->reps);
    sl_buf_reset(&c->values);
    sl_buf_reset(&c->indices);
    c->page_rows = c->page_values = c->page_bytes = c->page_levels = 0;
    /* An empty dictionary (only NULLs so far) tells nothing yet. */
    if (c->deciding && c->trial_count && c->dict.count && pq_decide_encoding(w, c, false, err))
        return SL_ERROR;
    return SL_OK;
}

/* PLAIN body of the dictionary page into w->body. */
int pq_dictionary_body(struct pq_writer *w, const struct column *c)
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
