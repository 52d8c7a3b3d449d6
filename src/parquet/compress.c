/*
 * compress.c — page compression (parquet-format Compression.md).
 *
 * Each page body (levels + values, or the dictionary values) is compressed
 * on its own; the page header stays uncompressed and records both sizes.
 *
 *   ZSTD   (6)  one zstd frame (RFC 8478), via a reused ZSTD_CCtx.
 *   SNAPPY (1)  raw snappy block format (no framing), snappy-c.h.
 *   GZIP   (2)  one RFC 1952 gzip member: zlib deflate with windowBits 15+16.
 *   none   (0)  the body as is.
 *
 * LZ4 (5) is never written (its Hadoop framing is read inconsistently), and
 * LZ4_RAW / BROTLI are not offered: Trino does not read them (PARQUET.md).
 * Contexts are created once per writer and reset per page, so compressing a
 * page allocates nothing beyond growing the output buffer.
 */
#include "parquet/compress.h"
#include "util/mem.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced, exported by libzstd.so */
#include <zstd.h>

/* zstd's workspace (its hash and chain tables, a few MiB at level 3) is
 * cleared on the first page: mapped in one call, not a fault a page
 * (util/mem.h). */
static void *zstd_alloc(void *opaque, size_t n)
{
    (void)opaque;
    void *p = malloc(n);
    if (p)
        sl_prefault(p, n);
    return p;
}

static void zstd_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

/* The zstd level of `compression_level: 0`.  Not zstd's own default, 3:
 * on Parquet pages (at most a few hundred KiB, mostly fixed-width numbers)
 * level 2 writes the same bytes within one percent — smaller on
 * timestamps, larger on decimals — with a fifth less CPU; level 3 spends
 * its time on 4-byte matches that numbers rarely repay.  Measured on the
 * benchmarks' receipts and 50-column tables (bench/writer.sh data) and a
 * 2 M-row MySQL export (docs/parquet.md). */
#define ZSTD_DEFAULT_LEVEL 2

struct pq_compressor {
    enum pq_codec codec;
    int level;
    ZSTD_CCtx *zstd;
    z_stream zs;
    int zs_ready;
};

int pq_compressor_new(struct pq_compressor **out, enum pq_codec codec, int level,
                      struct sl_err *err)
{
    struct pq_compressor *c = calloc(1, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "parquet", "", "out of memory");
    c->codec = codec;
    c->level = level;
    switch (codec) {
    case PQ_CODEC_ZSTD:
        c->zstd = ZSTD_createCCtx_advanced((ZSTD_customMem){zstd_alloc, zstd_free, NULL});
        if (!c->zstd)
            goto oom;
        if (ZSTD_isError(ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel,
                                                level ? level : ZSTD_DEFAULT_LEVEL))) {
            pq_compressor_free(c);
            return sl_err_set(err, false, "parquet", "", "bad zstd level %d", level);
        }
        break;
    case PQ_CODEC_GZIP:
        if (level < 0 || level > 9) {
            pq_compressor_free(c);
            return sl_err_set(err, false, "parquet", "", "gzip level must be 1..9, got %d",
                              level);
        }
        if (deflateInit2(&c->zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            goto oom;
        c->zs_ready = 1;
        break;
    case PQ_CODEC_SNAPPY:
    case PQ_CODEC_NONE: break;
    default:
        free(c);
        return sl_err_set(err, false, "parquet", "", "unsupported codec %d", (int)codec);
    }
    *out = c;
    return SL_OK;
oom:
    pq_compressor_free(c);
    return sl_err_set(err, false, "parquet", "", "out of memory creating the %s compressor",
                      pq_codec_name(codec));
}

void pq_compressor_free(struct pq_compressor *c)
{
    if (!c)
        return;
    if (c->zstd)
        ZSTD_freeCCtx(c->zstd);
    if (c->zs_ready)
        deflateEnd(&c->zs);
    free(c);
}

bool pq_compressor_is(const struct pq_compressor *c, enum pq_codec codec, int level)
{
    return c->codec == codec && c->level == level;
}

static int gzip(struct pq_compressor *c, const void *src, size_t n, struct sl_buf *out,
                struct sl_err *err)
{
    if (n > UINT32_MAX)
        return sl_err_set(err, false, "parquet", "", "page of %zu bytes too large for gzip", n);
    size_t bound = deflateBound(&c->zs, (uLong)n) + 32;
    if (sl_buf_reserve(out, bound))
        return sl_err_set(err, false, "parquet", "", "out of memory compressing a page");
    if (deflateReset(&c->zs) != Z_OK)
        return sl_err_set(err, false, "parquet", "", "gzip: deflateReset failed");
    c->zs.next_in = (Bytef *)(uintptr_t)src;
    c->zs.avail_in = (uInt)n;
    c->zs.next_out = out->data + out->len;
    c->zs.avail_out = (uInt)bound;
    int rc = deflate(&c->zs, Z_FINISH);
    if (rc != Z_STREAM_END)
        return sl_err_set(err, false, "parquet", "", "gzip: deflate failed (%d)", rc);
    out->len += bound - c->zs.avail_out;
    return SL_OK;
}

int pq_compress(struct pq_compressor *c, const void *src, size_t n, struct sl_buf *out,
                struct sl_err *err)
{
    switch (c->codec) {
    case PQ_CODEC_NONE:
        if (sl_buf_append(out, src, n))
            return sl_err_set(err, false, "parquet", "", "out of memory buffering a page");
        return SL_OK;
    case PQ_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(n);
        if (sl_buf_reserve(out, bound))
            return sl_err_set(err, false, "parquet", "", "out of memory compressing a page");
        size_t r = ZSTD_compress2(c->zstd, out->data + out->len, bound, src, n);
        if (ZSTD_isError(r))
            return sl_err_set(err, false, "parquet", "", "zstd: %s", ZSTD_getErrorName(r));
        out->len += r;
        return SL_OK;
    }
    case PQ_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        if (sl_buf_reserve(out, bound))
            return sl_err_set(err, false, "parquet", "", "out of memory compressing a page");
        size_t len = bound;
        if (snappy_compress(src, n, (char *)out->data + out->len, &len) != SNAPPY_OK)
            return sl_err_set(err, false, "parquet", "", "snappy: compression failed");
        out->len += len;
        return SL_OK;
    }
    case PQ_CODEC_GZIP: return gzip(c, src, n, out, err);
    }
    return sl_err_set(err, false, "parquet", "", "unsupported codec %d", (int)c->codec);
}
