/*
 * mem.h — growing memory without a page fault per page.
 *
 * On the virtual machines snaplake is measured on, a page fault costs about
 * 12 µs (a trap to the hypervisor per page), while asking the kernel to map
 * a whole range at once (MADV_POPULATE_WRITE) costs about 0.5 µs a page.
 * A worker's buffers grow page by page in its first file — the Parquet
 * writer's column chunks, pages and dictionaries — so a 2 M-row MySQL export
 * took 11 500 faults, about 14 % of its CPU.  sl_buf maps its room a
 * step ahead of what it holds (buf.c); dictionaries, zstd's workspace and
 * file buffers map theirs when allocated.  Mapping ahead costs memory that
 * may stay unused, so it goes a step at a time, not a whole doubling.
 */
#ifndef SL_UTIL_MEM_H
#define SL_UTIL_MEM_H

#include <stddef.h>

/* realloc(p, new_size), the block's first `used` bytes kept (used <= the old
 * size).  Below 1 MiB (heap blocks, which realloc would copy whole) only
 * those `used` bytes are copied, into memory mapped first;
 * the room past `used` is left to fault or to sl_prefault, as the caller
 * knows how much of it it will fill.  NULL when out of memory, p then
 * unchanged. */
void *sl_grow(void *p, size_t used, size_t new_size);

/* Map [p, p + n) now rather than one fault per page (a hint: errors and
 * kernels without MADV_POPULATE_WRITE are ignored). */
void sl_prefault(void *p, size_t n);

#endif
