/*
 * compress.h — page compression codecs (Compression.md).  See compress.c.
 */
#ifndef SL_PARQUET_COMPRESS_H
#define SL_PARQUET_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "parquet/writer.h"
#include "util/buf.h"
#include "util/err.h"

/* One per writer: holds the codec's reusable context (zstd CCtx, zlib stream). */
struct pq_compressor;

/* 0 or SL_ERROR.  level 0 = codec default.  Free with pq_compressor_free. */
int pq_compressor_new(struct pq_compressor **out, enum pq_codec codec, int level,
                      struct sl_err *err);
void pq_compressor_free(struct pq_compressor *c);
/* Whether c was made for this codec and level (a spare writer's compressor
 * serves a new writer only then). */
bool pq_compressor_is(const struct pq_compressor *c, enum pq_codec codec, int level);

/* Compress src[0..n) and append the result to out (PQ_CODEC_NONE copies).
 * 0, or SL_ERROR having filled err. */
int pq_compress(struct pq_compressor *c, const void *src, size_t n, struct sl_buf *out,
                struct sl_err *err);

#endif
