/*
 * cache.c — a local copy of a remote lake's published run (cache.h).
 */
#include "lake/cache.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CATALOG_FILE "catalog.duckdb"

static int mkdirs_for(const char *file)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", file);
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(d, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return 0;
}

/* A small object as a NUL-terminated string (caller frees). */
static int get_text(struct store *st, const char *path, char **out, struct sl_err *err)
{
    struct sl_buf b;
    sl_buf_init(&b, 64u << 20);
    int rc = st->type->get(st->ctx, path, &b, err);
    if (rc == SL_OK && sl_buf_putc(&b, 0))
        rc = sl_err_set(err, false, "cache", path, "object too large");
    if (rc != SL_OK) {
        sl_buf_free(&b);
        return rc;
    }
    *out = (char *)b.data;
    return SL_OK;
}

/* Remove the run=… folders under dir/<layer>/<dataset>/ other than `keep`. */
static void drop_other_runs(const char *dir, const char *keep)
{
    static const char *const layers[] = {"raw", "stage1", "stage2"};
    char want[96];
    snprintf(want, sizeof want, "run=%s", keep);
    for (size_t l = 0; l < sizeof layers / sizeof *layers; l++) {
        char ld[PATH_MAX];
        snprintf(ld, sizeof ld, "%s/%s", dir, layers[l]);
        DIR *d = opendir(ld);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char dd[PATH_MAX];
            snprintf(dd, sizeof dd, "%s/%s", ld, e->d_name);
            DIR *r = opendir(dd);
            struct dirent *re;
            while (r && (re = readdir(r))) {
                if (strncmp(re->d_name, "run=", 4) || !strcmp(re->d_name, want))
                    continue;
                char rd[PATH_MAX], fp[PATH_MAX];
                snprintf(rd, sizeof rd, "%s/%s", dd, re->d_name);
                DIR *f = opendir(rd);
                struct dirent *fe;
                while (f && (fe = readdir(f)))
                    if (fe->d_name[0] != '.') {
                        snprintf(fp, sizeof fp, "%s/%s", rd, fe->d_name);
                        unlink(fp);
                    }
                if (f)
                    closedir(f);
                rmdir(rd);
            }
            if (r)
                closedir(r);
        }
        if (d)
            closedir(d);
    }
}

int lake_cache_published(struct store *st, const char *dir, char *run_id, size_t size,
                         int *fetched, struct sl_err *err)
{
    char *current = NULL, *manifest = NULL, path[PATH_MAX], local[PATH_MAX];
    json_t *m = NULL;
    int rc = SL_ERROR, n = 0;
    run_id[0] = 0;
    if (fetched)
        *fetched = 0;
    int got = get_text(st, "_snaplake/current", &current, err);
    if (got == STORE_NOT_FOUND)
        return SL_OK;
    if (got != SL_OK)
        return SL_ERROR;
    current[strcspn(current, "\r\n")] = 0;
    snprintf(run_id, size, "%s", current);
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", current);
    got = get_text(st, path, &manifest, err);
    if (got == STORE_NOT_FOUND) {
        char url[PATH_MAX];
        st->type->url(st->ctx, path, url, sizeof url);
        sl_err_set(err, false, "cache", url,
                   "the published run %s has no manifest; the lake is damaged (run `snaplake "
                   "run` to publish a new run)", current);
        goto out;
    }
    if (got != SL_OK)
        goto out;
    json_error_t je;
    if (!(m = json_loads(manifest, 0, &je))) {
        sl_err_set(err, false, "cache", path, "not a manifest: %s (line %d)", je.text, je.line);
        goto out;
    }
    snprintf(local, sizeof local, "%s/%s", dir, CATALOG_FILE);
    if (mkdirs_for(local)) {
        sl_err_set(err, false, "cache", dir, "cannot create folder: %s", strerror(errno));
        goto out;
    }
    /* The catalog is small and changes with every run: always fetched. */
    if ((got = store_get_file(st, CATALOG_FILE, local, NULL, NULL, err)) != SL_OK) {
        if (got == STORE_NOT_FOUND)
            sl_err_set(err, false, "cache", CATALOG_FILE,
                       "the lake has no catalog file; query needs `catalog: duckdb`");
        goto out;
    }
    size_t i, k;
    json_t *d, *f;
    json_array_foreach(json_object_get(m, "datasets"), i, d)
    {
        json_array_foreach(json_object_get(d, "files"), k, f)
        {
            const char *p = json_string_value(json_object_get(f, "path"));
            const char *hex = json_string_value(json_object_get(f, "crc32"));
            json_int_t want_bytes = json_integer_value(json_object_get(f, "bytes"));
            if (!p || !hex || strstr(p, "..") || p[0] == '/') {
                sl_err_set(err, false, "cache", path, "a file entry without a valid path or crc32");
                goto out;
            }
            uint32_t want = (uint32_t)strtoul(hex, NULL, 16), crc = 0;
            int64_t bytes;
            snprintf(local, sizeof local, "%s/%s", dir, p);
            if (store_local_crc(local, &bytes, &crc, NULL) == SL_OK && bytes == want_bytes &&
                crc == want)
                continue; /* already here, as the manifest says */
            if (mkdirs_for(local)) {
                sl_err_set(err, false, "cache", local, "cannot create folder: %s", strerror(errno));
                goto out;
            }
            if ((got = store_get_file(st, p, local, &bytes, &crc, err)) != SL_OK) {
                if (got == STORE_NOT_FOUND) {
                    char url[PATH_MAX];
                    st->type->url(st->ctx, p, url, sizeof url);
                    sl_err_set(err, false, "cache", url,
                               "a file of the published run %s is missing from the lake", current);
                }
                goto out;
            }
            if (bytes != want_bytes || crc != want) {
                char url[PATH_MAX];
                st->type->url(st->ctx, p, url, sizeof url);
                unlink(local);
                sl_err_set(err, false, "cache", url,
                           "does not match the manifest of run %s (%lld bytes, CRC-32 %08x; "
                           "expected %lld bytes, %s): the lake was changed outside snaplake",
                           current, (long long)bytes, (unsigned)crc, (long long)want_bytes, hex);
                goto out;
            }
            n++;
        }
    }
    drop_other_runs(dir, current);
    if (fetched)
        *fetched = n;
    rc = SL_OK;
out:
    json_decref(m);
    free(manifest);
    free(current);
    return rc;
}
