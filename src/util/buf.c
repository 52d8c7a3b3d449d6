/*
 * buf.c — see buf.h.
 */
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>

void sl_buf_init(struct sl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = b->ready = 0;
    b->max = max;
}

void sl_buf_free(struct sl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->ready = 0;
}

/* Map the room a step (an eighth of the capacity, 64 KiB to 4 MiB) beyond
 * what the caller is about to write: one madvise per step instead of a
 * fault per page, and at most a step mapped and unused. */
static void map_ahead(struct sl_buf *b, size_t want)
{
    size_t step = b->cap / 8;
    step = step < ((size_t)64 << 10) ? (size_t)64 << 10 : step > ((size_t)4 << 20) ? (size_t)4 << 20 : step;
    size_t to = want + step;
    if (to > b->cap || to < want)
        to = b->cap;
    if (to > b->ready) {
        sl_prefault(b->data + b->ready, to - b->ready);
        b->ready = to;
    }
}

int sl_buf_reserve(struct sl_buf *b, size_t extra)
{
    if (b->len + extra <= b->ready)
        return SL_OK;
    if (b->len + extra > b->cap) {
        if (extra > b->max || b->len > b->max - extra)
            return SL_ERROR;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        uint8_t *p = sl_grow(b->data, b->len, cap);
        if (!p)
            return SL_ERROR;
        b->data = p;
        b->cap = cap;
        if (b->ready > b->len)
            b->ready = b->len; /* a moved block: mapped only as far as copied */
    }
    map_ahead(b, b->len + extra);
    return SL_OK;
}

int sl_buf_append(struct sl_buf *b, const void *p, size_t n)
{
    if (sl_buf_reserve(b, n))
        return SL_ERROR;
    if (n)
        sl_buf_put_unchecked(b, p, n);
    return SL_OK;
}

int sl_buf_putc(struct sl_buf *b, uint8_t c)
{
    return sl_buf_append(b, &c, 1);
}
