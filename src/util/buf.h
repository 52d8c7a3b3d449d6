/*
 * buf.h — a growable byte buffer with a hard cap.
 *
 * Every buffer is given a maximum size at init (as curl's dynbuf), so a
 * runaway value is an error instead of an out-of-memory kill.  Growth doubles
 * capacity.  The buffer owns its memory; sl_buf_free releases it and leaves an
 * empty, reusable buffer.  sl_buf_reset keeps the memory for the next batch.
 */
#ifndef SL_UTIL_BUF_H
#define SL_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;   /* hard cap on len */
    size_t ready; /* bytes from data already mapped (util/mem.h); <= cap */
};

void sl_buf_init(struct sl_buf *b, size_t max);
void sl_buf_free(struct sl_buf *b);
static inline void sl_buf_reset(struct sl_buf *b) { b->len = 0; }

/* Make room for `extra` more bytes.  Returns 0, or SL_ERROR when the cap
 * would be exceeded or memory is exhausted (the buffer is unchanged). */
int sl_buf_reserve(struct sl_buf *b, size_t extra);
int sl_buf_append(struct sl_buf *b, const void *p, size_t n);
int sl_buf_putc(struct sl_buf *b, uint8_t c);

/* Append without checks: the caller reserved the room. */
static inline void sl_buf_put_unchecked(struct sl_buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

#endif
