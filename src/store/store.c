/*
 * store.c — the table of store types and helpers shared by all of them.
 */
#include "store/store.h"

#include <string.h>

int store_open(struct store *s, const char *url, const struct store_options *opt,
               struct sl_err *err)
{
    static const struct store_options none = {0};
    s->ctx = NULL;
    if (!opt)
        opt = &none;
    if (!strncmp(url, "s3://", 5))
        s->type = opt->cache_dir && opt->cache_dir[0] ? &store_s3_copy_type : &store_s3_type;
    else
        s->type = &store_fs_type;
    return s->type->open(url, opt, &s->ctx, err);
}

void store_close(struct store *s)
{
    if (s->type && s->ctx)
        s->type->close(s->ctx);
    s->ctx = NULL;
}

int store_put_all(struct store *s, const char *path, const void *data, size_t n,
                  struct sl_err *err)
{
    struct store_file *f = NULL;
    if (s->type->put_open(s->ctx, path, &f, err))
        return SL_ERROR;
    if (s->type->write(f, data, n, err)) {
        s->type->abort(f, NULL);
        return SL_ERROR;
    }
    return s->type->commit(f, err);
}
