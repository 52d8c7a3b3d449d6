/*
 * store.h — where lake files go.
 *
 * A store type is a constant struct of operations; an open store is
 * {type, ctx}.  Paths are relative to the lake root ("raw/users/run=X/part-0.parquet").
 * Files are written through a handle and become visible only on commit
 * (local: write "<path>.tmp-<pid>-<n>" then rename; S3: multipart upload
 * completed on commit), so a reader never sees a half file.
 *
 * Adding a store is one new file filling `struct store_type` and a line in
 * store.c's table.
 */
#ifndef SL_STORE_STORE_H
#define SL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct store_file;

/* A status, not an error: get() found no object at that path.  err is left
 * untouched, so a caller can tell "absent" from "could not read". */
#define STORE_NOT_FOUND 1

/* list(): size of an entry that is a common prefix ("folder"), reported when
 * a delimiter is given. */
#define STORE_PREFIX_SIZE (-1)

typedef int (*store_list_fn)(void *arg, const char *path, int64_t size);

/* What a store type can do, so that callers ask instead of assuming the
 * first implementation's behaviour (like sqlite3_vfs's characteristics). */
enum store_caps {
    /* url() names a local file that DuckDB, stat(2) and fopen(3) can read. */
    STORE_CAP_LOCAL = 1u << 0,
    /* local_path() may find a local copy of an object written by this process
     * (an S3 store with a cache folder keeps what it uploaded). */
    STORE_CAP_LOCAL_COPY = 1u << 1,
};

/* Options given at open; each field may be left zero. */
struct sl_config;

struct store_options {
    /* The project's configuration, for the store's own options (an S3
     * lake's `s3:` section); NULL = the defaults. */
    const struct sl_config *config;
    /* A folder the store may keep local copies of what it writes in
     * (STORE_CAP_LOCAL_COPY); absolute; NULL = none. */
    const char *cache_dir;
    /* The run's interrupt flag: when it becomes non-zero, transfers under
     * way stop promptly and fail (transient). NULL = none. */
    const volatile int *interrupt;
};

/*
 * Concurrency: open and close from one thread, with no other call under way.
 * list, remove_prefix and sweep_incomplete run one at a time, from any
 * thread (the cloud engines' model workers serialise theirs with a mutex),
 * and may overlap the calls below.  put_open/write/commit/abort on different handles, get,
 * local_path and url may run concurrently from several threads (export
 * workers each stream their own files); one handle is used by one thread.
 */
struct store_type {
    const char *name;
    unsigned caps; /* enum store_caps bits */
    int (*open)(const char *url, const struct store_options *opt, void **ctx,
                struct sl_err *err);
    void (*close)(void *ctx);
    int (*put_open)(void *ctx, const char *path, struct store_file **out, struct sl_err *err);
    int (*write)(struct store_file *f, const void *data, size_t n, struct sl_err *err);
    int (*commit)(struct store_file *f, struct sl_err *err); /* frees f */
    /* Frees f (no-op on NULL).  Fails when what was started could not be
     * undone (an S3 multipart upload that could not be aborted: the next
     * run's sweep_incomplete removes it). */
    int (*abort)(struct store_file *f, struct sl_err *err);
    /* Whole small object into out (appended).  STORE_NOT_FOUND when absent. */
    int (*get)(void *ctx, const char *path, struct sl_buf *out, struct sl_err *err);
    /* Objects under prefix, sorted by path.  delimiter NULL: every object,
     * recursively.  delimiter "/": the objects directly under prefix and,
     * once each, the deeper "folders" as "<prefix>/<name>" with size
     * STORE_PREFIX_SIZE.  Incomplete uploads are never listed. */
    int (*list)(void *ctx, const char *prefix, const char *delimiter, store_list_fn fn,
                void *arg, struct sl_err *err);
    /* Remove every object under prefix. */
    int (*remove_prefix)(void *ctx, const char *prefix, struct sl_err *err);
    /* Remove what unfinished puts under prefix left behind (temporary files,
     * incomplete multipart uploads).  Called while no put of this lake is
     * under way: at the start of a run (which holds the lake's lock) and by
     * `snaplake gc`.  *removed counts them. */
    int (*sweep_incomplete)(void *ctx, const char *prefix, int *removed, struct sl_err *err);
    /* Location an engine or a catalog names: absolute local path or s3:// URL. */
    void (*url)(void *ctx, const char *path, char *out, size_t size);
    /* Optional (NULL: store_get_file reads through get): stream the object
     * at path into the local file `local` (created or replaced).
     * STORE_NOT_FOUND when absent. */
    int (*get_file)(void *ctx, const char *path, const char *local, struct sl_err *err);
    /* A local file with the bytes of the object at path (STORE_CAP_LOCAL: the
     * object itself; STORE_CAP_LOCAL_COPY: the copy kept when this process
     * wrote it).  STORE_NOT_FOUND when there is none. */
    int (*local_path)(void *ctx, const char *path, char *out, size_t size);
};

struct store {
    const struct store_type *type;
    void *ctx;
};

/* By URL: "s3://bucket/prefix" or a local folder.  opt may be NULL. */
int store_open(struct store *s, const char *url, const struct store_options *opt,
               struct sl_err *err);
void store_close(struct store *s);

/* Stream the local file `local` into the object at path; its size and
 * zlib CRC-32 into *bytes and *crc (either may be NULL). */
int store_put_file(struct store *s, const char *local, const char *path, int64_t *bytes,
                   uint32_t *crc, struct sl_err *err);

/* The object at path into the local file `local`, through a temporary name
 * renamed into place (a reader never sees half a file); its size and CRC-32
 * into *bytes and *crc (either may be NULL).  STORE_NOT_FOUND when absent. */
int store_get_file(struct store *s, const char *path, const char *local, int64_t *bytes,
                   uint32_t *crc, struct sl_err *err);

/* Size and zlib CRC-32 of a local file (either out may be NULL). */
int store_local_crc(const char *local, int64_t *bytes, uint32_t *crc, struct sl_err *err);

/* Put a whole buffer as one object (manifests, pointers). */
int store_put_all(struct store *s, const char *path, const void *data, size_t n,
                  struct sl_err *err);

extern const struct store_type store_fs_type;
/* s3.c: without and with local copies (store_options.cache_dir). */
extern const struct store_type store_s3_type, store_s3_copy_type;

#endif
