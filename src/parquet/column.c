/*
 * column.c — rows of a batch into a column's current page: definition (and
 * for LIST columns repetition) levels, the non-null values gathered dense,
 * page statistics, bloom filter hashes, dictionary indices or PLAIN bytes;
 * pages are cut at their row and byte limits and at the dictionary's
 * fallback (page_limits).  See "Pipeline per column" in writer.c.
 */
#include "parquet/bloom.h"
#include "parquet/writer_internal.h"

#include <string.h>


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
        return pq_writer_fail(w, c, err, "out of memory keeping bloom filter hashes");
    if (c->use_dict) {
        int rc;
        switch (c->dict.kind) {
        case PQ_DICT_W4: rc = pq_dict_put_w4(&c->dict, dense, n, w->idx); break;
        case PQ_DICT_W8: rc = pq_dict_put_w8(&c->dict, dense, n, w->idx); break;
        default: rc = pq_dict_put_w16(&c->dict, dense, n, w->idx); break;
        }
        if (rc || sl_buf_append(&c->indices, w->idx, n * sizeof w->idx[0]))
            return pq_writer_fail(w, c, err, "out of memory growing the dictionary");
    }
    /* PLAIN values when not dictionary-encoding, and also while the first
     * page of the chunk decides between the two (choose_encoding). */
    if (!c->use_dict || c->deciding) {
        int rc = c->vk == V_DEC128 ? pq_plain_decimal(&c->values, dense, n, c->type_length)
                                   : sl_buf_append(&c->values, dense, n * c->width);
        if (rc)
            return pq_writer_fail(w, c, err, "page buffer full: lower page_bytes");
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
            return pq_writer_fail(w, c, err, "page buffer full");
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
            return pq_writer_fail(w, c, err, "out of memory keeping statistics");
        return add_fixed(w, c, v, nn, err);
    }
    case V_INT96: {
        /* PARQUET.md §3: 8-byte LE nanoseconds of the day, in [0, 86400e9),
         * then the 4-byte LE Julian day (1970-01-01 = 2440588); days are
         * floored so times before 1970 keep a positive time of day. */
        const int64_t *src = (const int64_t *)bc->values + r0;
        uint8_t *out = d;
        for (size_t i = 0, k = 0; i < n; i++) {
            if (!valid[i])
                continue;
            int64_t us = src[i], day = us / 86400000000LL;
            if (us % 86400000000LL < 0)
                day--;
            uint64_t nanos = (uint64_t)(us - day * 86400000000LL) * 1000u;
            uint32_t julian = (uint32_t)(day + 2440588);
            memcpy(out + 12 * k, &nanos, 8);
            memcpy(out + 12 * k + 8, &julian, 4);
            k++;
        }
        return add_fixed(w, c, out, nn, err);
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
            return pq_writer_fail(w, c, err, "out of memory keeping statistics");
        if (c->bloom) {
            if (sl_buf_reserve(&c->bloom_hashes, nn * 8))
                return pq_writer_fail(w, c, err, "out of memory keeping bloom filter hashes");
            uint64_t *h = (uint64_t *)(void *)(c->bloom_hashes.data + c->bloom_hashes.len);
            for (size_t i = 0; i < nn; i++)
                h[i] = pq_xxh64(w->ptrs[i], w->lens[i], 0);
            c->bloom_hashes.len += nn * 8;
        }
        if (c->use_dict) {
            if (pq_dict_put_bytes(&c->dict, w->ptrs, w->lens, nn, w->idx) ||
                sl_buf_append(&c->indices, w->idx, nn * sizeof w->idx[0]))
                return pq_writer_fail(w, c, err, "out of memory growing the dictionary");
        }
        if ((!c->use_dict || c->deciding) && pq_plain_bytes(&c->values, w->ptrs, w->lens, nn)) {
            return pq_writer_fail(w, c, err, "page buffer full: lower page_bytes");
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
        if (pq_page_cut(w, c, err) || (c->deciding && pq_decide_encoding(w, c, true, err)))
            return SL_ERROR;
        c->use_dict = false;
    } else if (c->page_rows >= w->opt.page_rows || c->page_bytes >= w->opt.page_bytes) {
        if (pq_page_cut(w, c, err))
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
int pq_column_write(struct pq_writer *w, struct column *c, const struct sl_batch_column *bc,
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
                return pq_writer_fail(w, c, err, "page buffer full");
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
int pq_column_write_list(struct pq_writer *w, struct column *c,
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
            return pq_writer_fail(w, c, err, "page buffer full");
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
