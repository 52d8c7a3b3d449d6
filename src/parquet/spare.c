/*
 * spare.c — one writer's memory kept for the next (see writer.h).
 *
 * A stack of buffers and one compressor.  A writer takes its buffers in a
 * fixed order when it opens (writer first, then column by column) and
 * gives them back in exactly the reverse order when freed, so the next
 * writer's first take is the last writer's first buffer: a file of the
 * same table gets, column by column, the buffers that table's last file
 * grew.  Another table gets them in the same order, sized for other
 * columns: still mapped memory, grown again where it is too small.
 */
#include "parquet/compress.h"
#include "parquet/writer_internal.h"

#include <stdlib.h>

#define SPARE_MAX_BYTES ((size_t)256 << 20)

struct pq_spare {
    struct sl_buf *bufs;
    int n, cap;
    size_t bytes; /* capacity of the buffers held */
    struct pq_compressor *comp;
};

struct pq_spare *pq_spare_new(void)
{
    return calloc(1, sizeof(struct pq_spare));
}

void pq_spare_free(struct pq_spare *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        sl_buf_free(&s->bufs[i]);
    free(s->bufs);
    pq_compressor_free(s->comp);
    free(s);
}

void pq_spare_take(struct pq_spare *s, struct sl_buf *b, size_t max)
{
    sl_buf_init(b, max);
    if (!s || s->n == 0)
        return;
    *b = s->bufs[--s->n];
    s->bytes -= b->cap;
    b->len = 0;
    b->max = max;
}

void pq_spare_give(struct pq_spare *s, struct sl_buf *b)
{
    if (s && s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        struct sl_buf *bufs = realloc(s->bufs, (size_t)cap * sizeof *bufs);
        if (bufs)
            s->bufs = bufs, s->cap = cap;
    }
    if (!s || s->n == s->cap) {
        sl_buf_free(b);
        return;
    }
    /* Over the limit an empty buffer takes its place: the takes stay in step. */
    if (s->bytes + b->cap > SPARE_MAX_BYTES)
        sl_buf_free(b);
    s->bytes += b->cap;
    s->bufs[s->n++] = *b;
    sl_buf_init(b, 0);
}

struct pq_compressor *pq_spare_take_compressor(struct pq_spare *s, enum pq_codec codec, int level)
{
    struct pq_compressor *c = s ? s->comp : NULL;
    if (!c || !pq_compressor_is(c, codec, level))
        return NULL;
    s->comp = NULL;
    return c;
}

void pq_spare_give_compressor(struct pq_spare *s, struct pq_compressor *c)
{
    if (!s || !c) {
        pq_compressor_free(c);
        return;
    }
    pq_compressor_free(s->comp);
    s->comp = c;
}
