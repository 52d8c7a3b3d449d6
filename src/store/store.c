/*
 * store.c — the table of store types and helpers shared by all of them.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

int store_put_file(struct store *s, const char *local, const char *path, int64_t *bytes,
                   uint32_t *crc, struct sl_err *err)
{
    FILE *f = fopen(local, "rb");
    if (!f)
        return sl_err_set(err, false, "store", local, "cannot read: %s", strerror(errno));
    struct store_file *sf = NULL;
    int rc = s->type->put_open(s->ctx, path, &sf, err);
    char *buf = malloc(1 << 20);
    size_t n;
    uLong c = crc32_z(0, NULL, 0);
    int64_t total = 0;
    if (!buf && rc == SL_OK)
        rc = sl_err_set(err, false, "store", path, "out of memory");
    while (rc == SL_OK && (n = fread(buf, 1, 1 << 20, f)) > 0) {
        rc = s->type->write(sf, buf, n, err);
        c = crc32_z(c, (const Bytef *)buf, n);
        total += (int64_t)n;
    }
    if (rc == SL_OK && ferror(f))
        rc = sl_err_set(err, true, "store", local, "cannot read: %s", strerror(errno));
    fclose(f);
    free(buf);
    if (rc == SL_OK) {
        rc = s->type->commit(sf, err);
        sf = NULL;
    }
    s->type->abort(sf, NULL);
    if (bytes)
        *bytes = total;
    if (crc)
        *crc = (uint32_t)c;
    return rc;
}

int store_local_crc(const char *local, int64_t *bytes, uint32_t *crc, struct sl_err *err)
{
    FILE *f = fopen(local, "rb");
    if (!f)
        return sl_err_set(err, false, "store", local, "cannot read: %s", strerror(errno));
    char buf[1 << 16];
    size_t n;
    uLong c = crc32_z(0, NULL, 0);
    int64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        c = crc32_z(c, (const Bytef *)buf, n);
        total += (int64_t)n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return sl_err_set(err, true, "store", local, "cannot read: %s", strerror(errno));
    if (bytes)
        *bytes = total;
    if (crc)
        *crc = (uint32_t)c;
    return SL_OK;
}

int store_get_file(struct store *s, const char *path, const char *local, int64_t *bytes,
                   uint32_t *crc, struct sl_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", local, (int)getpid());
    int rc;
    if (s->type->get_file) {
        rc = s->type->get_file(s->ctx, path, tmp, err);
    } else {
        /* Through memory: stores without a streaming read hold small lakes. */
        struct sl_buf b;
        sl_buf_init(&b, (size_t)4 << 30);
        rc = s->type->get(s->ctx, path, &b, err);
        if (rc == SL_OK) {
            FILE *f = fopen(tmp, "wb");
            if (!f || fwrite(b.data, 1, b.len, f) != b.len)
                rc = sl_err_set(err, false, "store", tmp, "cannot write: %s", strerror(errno));
            if (f && fclose(f) && rc == SL_OK)
                rc = sl_err_set(err, false, "store", tmp, "cannot write: %s", strerror(errno));
        }
        sl_buf_free(&b);
    }
    if (rc == SL_OK && (bytes || crc))
        rc = store_local_crc(tmp, bytes, crc, err);
    if (rc == SL_OK && rename(tmp, local))
        rc = sl_err_set(err, false, "store", local, "cannot rename into place: %s",
                        strerror(errno));
    if (rc != SL_OK)
        unlink(tmp);
    return rc;
}
