/*
 * mem.c — see mem.h.
 */
#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below this much new room a fault or two costs less than the madvise call. */
#define PREFAULT_MIN ((size_t)64 << 10)
/* glibc serves blocks from this size with mmap (src/main.c sets it) and grows
 * them with mremap: the old pages move without a copy or a fault. */
#define MMAP_MIN ((size_t)1 << 20)

void sl_prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    if (n < PREFAULT_MIN)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE); /* glibc reads it from memory */
    if (!page)
        return;
    /* Rounding outward stays inside mapped, writable pages: the first and
     * the last byte belong to the block.  Populating writes nothing. */
    uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)p + n + page - 1) & ~(uintptr_t)(page - 1);
    (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p, (void)n;
#endif
}

void *sl_grow(void *p, size_t used, size_t new_size)
{
    if (used >= MMAP_MIN)
        return realloc(p, new_size);
    /* A heap block that cannot grow in place is copied by realloc into a
     * new one — the whole old block, however little of it is in use (a
     * buffer reset and refilled: a column's pages after the encoding trial
     * copied 1 MiB of stale bytes), faulting the new one in page by page
     * as it copies.  Copy only what is used, into pages mapped first. */
    uint8_t *q = malloc(new_size);
    if (!q)
        return NULL;
    sl_prefault(q, used);
    if (used)
        memcpy(q, p, used);
    free(p);
    return q;
}
