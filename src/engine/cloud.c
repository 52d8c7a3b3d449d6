/*
 * cloud.c — helpers of the engines that run elsewhere (cloud.h): run table
 * names, the rewrite of layer-qualified names, Hive/Trino column types, and
 * reading back the files a CTAS wrote.
 */
#include "engine/cloud.h"
#include "catalog/hive.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

void engine_table_name(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 1 < size; s++)
        out[o++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '_';
    out[o] = 0;
}

void engine_run_tag(const char *prefix, char *out, size_t size)
{
    const char *run = strstr(prefix, "run=");
    engine_table_name(run ? run + 4 : prefix, out, size);
}

/* ------------------------------------------------------- name rewrite */

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* One name at s[i] (bare or "quoted"): its end and its text (quotes
 * removed, doubled quotes undone) into out.  0 when s[i] starts no name. */
static size_t read_name(const char *s, size_t i, size_t len, char *out, size_t size)
{
    size_t o = 0, j = i;
    if (j < len && s[j] == '"') {
        for (j++; j < len; j++) {
            if (s[j] == '"' && j + 1 < len && s[j + 1] == '"')
                j++;
            else if (s[j] == '"')
                break;
            if (o + 1 < size)
                out[o++] = s[j];
        }
        if (j >= len)
            return 0;
        out[o] = 0;
        return j + 1;
    }
    if (j >= len || !ident_start(s[j]))
        return 0;
    while (j < len && ident_char(s[j])) {
        if (o + 1 < size)
            out[o++] = s[j];
        j++;
    }
    out[o] = 0;
    return j;
}

static const char *layer_of(const char *name)
{
    static const char *const layers[] = {"raw", "stage1", "stage2"};
    for (size_t i = 0; i < 3; i++)
        if (!strcasecmp(name, layers[i]))
            return layers[i];
    return NULL;
}

char *engine_sql_qualify(const char *s, size_t len, engine_name_fn fn, void *arg)
{
    struct sl_buf b;
    sl_buf_init(&b, len * 4 + (1u << 20));
    size_t i = 0, copied = 0;
    char prev = 0; /* last character outside blanks and comments */
    int bad = 0;
    while (i < len && !bad) {
        char c = s[i];
        if (c == '-' && i + 1 < len && s[i + 1] == '-') {
            while (i < len && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && i + 1 < len && s[i + 1] == '*') {
            for (i += 2; i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'); i++)
                ;
            i = i + 2 < len ? i + 2 : len;
            continue;
        }
        if (c == '\'') {
            for (i++; i < len; i++) {
                if (s[i] == '\'' && i + 1 < len && s[i + 1] == '\'')
                    i++;
                else if (s[i] == '\'')
                    break;
            }
            i++;
            prev = '\'';
            continue;
        }
        if (isspace((unsigned char)c)) {
            i++;
            continue;
        }
        char first[256], second[256], repl[1024];
        size_t e1 = (c == '"' || ident_start(c)) ? read_name(s, i, len, first, sizeof first) : 0;
        if (!e1) {
            prev = c;
            i++;
            continue;
        }
        const char *layer = prev != '.' ? layer_of(first) : NULL;
        size_t e2 = layer && e1 < len && s[e1] == '.'
                        ? read_name(s, e1 + 1, len, second, sizeof second)
                        : 0;
        if (e2 && fn(arg, layer, second, repl, sizeof repl) == 0) {
            bad |= sl_buf_append(&b, s + copied, i - copied);
            bad |= sl_buf_append(&b, repl, strlen(repl));
            copied = e2;
        }
        prev = s[(e2 ? e2 : e1) - 1] == '"' ? 'a' : s[(e2 ? e2 : e1) - 1];
        i = e2 ? e2 : e1;
    }
    if (!bad)
        bad |= sl_buf_append(&b, s + copied, len - copied);
    if (bad || sl_buf_putc(&b, 0)) {
        sl_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* --------------------------------------------------------------- types */

char *engine_column_list(const struct lake_dataset *d, bool trino, struct sl_err *err)
{
    struct sl_buf b;
    sl_buf_init(&b, 1u << 20);
    int bad = sl_buf_putc(&b, '(');
    for (int i = 0; i < d->schema.ncols && !bad; i++) {
        const struct sl_column *c = &d->schema.cols[i];
        char duck[128], type[HIVE_TYPE_MAX], col[HIVE_TYPE_MAX + 300], what[600];
        snprintf(what, sizeof what, "%s.%s.%s", d->layer, d->name, c->name);
        if (hive_type(sl_type_sql(c, duck, sizeof duck),
                      trino ? HIVE_DIALECT_TRINO : HIVE_DIALECT_ATHENA, what, type, sizeof type,
                      err)) {
            sl_buf_free(&b);
            return NULL;
        }
        /* Safe names ([a-z0-9_]) need no escaping inside the quotes. */
        snprintf(col, sizeof col, trino ? "%s\"%s\" %s" : "%s`%s` %s", i ? ", " : "", c->name,
                 type);
        bad |= sl_buf_append(&b, col, strlen(col));
    }
    if (bad || sl_buf_putc(&b, ')') || sl_buf_putc(&b, 0)) {
        sl_buf_free(&b);
        sl_err_set(err, false, "engine", d->name, "out of memory");
        return NULL;
    }
    return (char *)b.data;
}

void engine_location(struct store *store, const char *prefix, char *out, size_t size)
{
    char url[PATH_MAX + 64];
    store->type->url(store->ctx, prefix, url, sizeof url);
    snprintf(out, size, "%s%s/", url[0] == '/' ? "file://" : "", url);
}

/* ------------------------------------------------------------ read back */

struct listing {
    char (*path)[PATH_MAX];
    int n, cap;
    bool failed;
};

static int collect(void *arg, const char *path, int64_t size)
{
    struct listing *l = arg;
    if (size == STORE_PREFIX_SIZE)
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        void *p = realloc(l->path, (size_t)cap * sizeof *l->path);
        if (!p) {
            l->failed = true;
            return 1;
        }
        l->path = p, l->cap = cap;
    }
    snprintf(l->path[l->n++], PATH_MAX, "%s", path);
    return 0;
}

static int list_output(struct store *store, pthread_mutex_t *lock, const char *prefix,
                       struct listing *l, const char *model_file, struct sl_err *err)
{
    pthread_mutex_lock(lock);
    int rc = store->type->list(store->ctx, prefix, NULL, collect, l, err);
    pthread_mutex_unlock(lock);
    if (rc == SL_OK && l->failed)
        rc = sl_err_set(err, false, "model", model_file, "out of memory");
    return rc;
}

int engine_clear_output(struct store *store, pthread_mutex_t *lock,
                        const struct lake_dataset *out, const char *model_file,
                        struct sl_err *err)
{
    struct listing l = {0};
    int rc = list_output(store, lock, out->prefix, &l, model_file, err);
    if (rc == SL_OK && l.n) {
        pthread_mutex_lock(lock);
        rc = store->type->remove_prefix(store->ctx, out->prefix, err);
        pthread_mutex_unlock(lock);
    }
    free(l.path);
    return rc;
}

/* Athena and Trino name their files without an extension
 * ("20261130_…_00000_abcd"): every object is a data file except markers
 * (".…", "_SUCCESS", "….crc", "…_$folder$"). */
static bool is_data_file(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    return n && base[0] != '.' && base[0] != '_' && !(n > 4 && !strcmp(base + n - 4, ".crc")) &&
           !(n > 9 && !strcmp(base + n - 9, "_$folder$"));
}

int engine_collect_output(struct store *store, pthread_mutex_t *lock, const char *tmp_dir,
                          const struct lake_dataset *out, const char *model_file,
                          struct model_result *res, struct sl_err *err)
{
    struct listing l = {0};
    int rc = list_output(store, lock, out->prefix, &l, model_file, err);
    int kept = 0;
    for (int i = 0; rc == SL_OK && i < l.n; i++)
        if (is_data_file(l.path[i]))
            memmove(l.path[kept++], l.path[i], PATH_MAX);
    if (rc == SL_OK && !kept)
        rc = sl_err_set(err, false, "model", model_file,
                        "the engine reported success but wrote no file under %s", out->prefix);
    if (rc == SL_OK && !(res->file = calloc((size_t)kept, sizeof *res->file)))
        rc = sl_err_set(err, false, "model", model_file, "out of memory");
    for (int i = 0; rc == SL_OK && i < kept; i++) {
        struct lake_file *f = &res->file[i];
        char local[PATH_MAX + 64];
        snprintf(local, sizeof local, "%s/readback-%s-%s-%d.parquet", tmp_dir, out->layer,
                 out->name, i);
        snprintf(f->path, sizeof f->path, "%s", l.path[i]);
        rc = store_get_file(store, f->path, local, &f->bytes, &f->crc32, err);
        if (rc == STORE_NOT_FOUND)
            rc = sl_err_set(err, true, "model", model_file,
                            "%s was listed but is gone: another writer in the run's folder?",
                            f->path);
        if (rc == SL_OK)
            rc = engine_duckdb_file_info(local, &f->rows, i ? NULL : &res->schema, err);
        if (rc)
            sl_err_context(err, "%s", model_file);
        unlink(local);
        res->files++;
        res->rows += f->rows;
    }
    free(l.path);
    return rc;
}

bool engine_halted(const struct engine_halt *h)
{
    return h && ((h->stop && *h->stop) || (h->cancel && sl_cancel_fired(h->cancel)));
}

bool engine_sleep(double seconds, const struct engine_halt *h)
{
    while (seconds > 0 && !engine_halted(h)) {
        double step = seconds < 0.1 ? seconds : 0.1;
        struct timespec ts = {(time_t)step, (long)((step - (time_t)step) * 1e9)};
        nanosleep(&ts, NULL);
        seconds -= step;
    }
    return engine_halted(h);
}
