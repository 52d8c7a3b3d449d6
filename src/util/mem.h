/*
 * mem.h — growing memory without a page fault per page.
 *
 * On the virtual machines snaplake is measured on, a page fault costs about
 * 12 µs (a trap to the hypervisor per page), while asking the kernel to map
 * a whole range at once (MADV_POPULATE_WRITE) costs about 0.5 µs a page.
 * A worker's buffers grow page by page in its first file — the Parquet
 * writer's column chunks, pages and dictionaries — so a 2 M-row MySQL export
 * took 13 000 faults, about a sixth of its CPU.  Growing them with sl_grow
 * maps the new room in one call instead.
 */
#ifndef SL_UTIL_MEM_H
#define SL_UTIL_MEM_H

#include <stddef.h>

/* realloc(p, new_size), the block's first `used` bytes kept (used <= the old
 * size), with the memory past them mapped ahead of use when the block is
 * large enough for that to pay.  NULL when out of memory, p then unchanged. */
void *sl_grow(void *p, size_t used, size_t new_size);

/* Map [p, p + n) now rather than one fault per page (a hint: errors and
 * kernels without MADV_POPULATE_WRITE are ignored). */
void sl_prefault(void *p, size_t n);

#endif
