/*
 * store.h — where lake files go.
 *
 * A store type is a constant struct of operations; an open store is
 * {type, ctx}.  Paths are relative to the lake root ("raw/users/run=X/part-0.parquet").
 * Files are written through a handle and become visible only on commit
 * (local: write "<path>.tmp-<pid>-<n>" then rename; S3: multipart upload
 * completed on commit), so a reader never sees a half file.
 *
 * Adding S3 is one new file (s3.c) filling `struct store_type`.
 */
#ifndef SL_STORE_STORE_H
#define SL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct store_file;

typedef int (*store_list_fn)(void *arg, const char *path, int64_t size);

struct store_type {
    const char *name;
    int (*open)(const char *url, void **ctx, struct sl_err *err);
    void (*close)(void *ctx);
    int (*put_open)(void *ctx, const char *path, struct store_file **out, struct sl_err *err);
    int (*write)(struct store_file *f, const void *data, size_t n, struct sl_err *err);
    int (*commit)(struct store_file *f, struct sl_err *err); /* frees f */
    void (*abort)(struct store_file *f);                     /* frees f; no-op on NULL */
    /* Whole small object into out (appended). Missing → SL_ERROR with msg "not found". */
    int (*get)(void *ctx, const char *path, struct sl_buf *out, struct sl_err *err);
    /* Every object under prefix (recursive), sorted by path. */
    int (*list)(void *ctx, const char *prefix, store_list_fn fn, void *arg, struct sl_err *err);
    /* Remove every object under prefix. */
    int (*remove_prefix)(void *ctx, const char *prefix, struct sl_err *err);
    /* Location an engine reads: absolute local path or s3:// URL.  Into out. */
    void (*url)(void *ctx, const char *path, char *out, size_t size);
};

struct store {
    const struct store_type *type;
    void *ctx;
};

int store_open(struct store *s, const char *url, struct sl_err *err);
void store_close(struct store *s);

/* Put a whole buffer as one object (manifests, pointers). */
int store_put_all(struct store *s, const char *path, const void *data, size_t n,
                  struct sl_err *err);

extern const struct store_type store_fs_type;

#endif
