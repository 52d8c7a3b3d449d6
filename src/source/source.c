/*
 * source.c — the table of source types, and helpers every source shares:
 * safe names for the lake and catalog, and the URL as shown to people.
 */
#include "source/source.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Declared here rather than in source.h (kept unchanged while the run
 * control is reshaped there). */
extern const struct source_type src_mysql_type; /* mysql.c */

static const struct source_type *const types[] = {
    &src_sqlite_type,
    &src_pg_type,
    &src_mysql_type,
};

/* The type whose scheme starts `url` ("postgres:…", "sqlite://…"), or NULL. */
static const struct source_type *type_of(const char *url)
{
    const char *colon = strchr(url, ':');
    size_t n = colon ? (size_t)(colon - url) : 0;
    for (size_t i = 0; n && i < sizeof types / sizeof types[0]; i++)
        for (int k = 0; types[i]->schemes[k]; k++)
            if (strlen(types[i]->schemes[k]) == n && !strncmp(url, types[i]->schemes[k], n))
                return types[i];
    return NULL;
}

int source_open(struct source *s, const char *url, const struct source_options *opt,
                struct sl_err *err)
{
    s->snap = NULL;
    s->type = type_of(url);
    if (s->type)
        return s->type->open(url, opt, &s->snap, err);
    char red[512];
    src_redact_url(url, red, sizeof red);
    return sl_err_set(err, false, "source", red,
                      "unsupported source URL; expected sqlite:///path/app.db, "
                      "postgres://user@host:port/db, postgres:<conninfo> or "
                      "mysql://user@host:port/db (mariadb:// too)");
}

void source_close(struct source *s)
{
    if (s->type && s->snap)
        s->type->close(s->snap);
    s->snap = NULL;
}

void src_tables_free(struct src_table *tables, int n)
{
    if (!tables)
        return;
    for (int i = 0; i < n; i++)
        sl_schema_free(&tables[i].columns);
    free(tables);
}

void src_chunks_free(struct src_chunk *chunks, int n)
{
    if (!chunks)
        return;
    for (int i = 0; i < n; i++) {
        free(chunks[i].lo);
        free(chunks[i].hi);
    }
    free(chunks);
}

static char *int_text(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return strdup(buf);
}

int src_chunk_set_int(struct src_chunk *c, int64_t lo, int64_t hi)
{
    free(c->lo);
    free(c->hi);
    c->lo = lo == INT64_MIN ? NULL : int_text(lo);
    c->hi = hi == INT64_MAX ? NULL : int_text(hi);
    return (lo != INT64_MIN && !c->lo) || (hi != INT64_MAX && !c->hi) ? SL_ERROR : SL_OK;
}

int64_t src_chunk_count(int64_t amount, int64_t per_chunk, int64_t max)
{
    if (per_chunk < 1 || amount <= per_chunk)
        return 1;
    int64_t n = amount / per_chunk + (amount % per_chunk != 0);
    return n > max ? max : n;
}

int src_bound_int(const char *bound, int64_t open, int64_t *out)
{
    *out = open;
    if (!bound)
        return SL_OK;
    char *end;
    errno = 0;
    long long v = strtoll(bound, &end, 10);
    if (errno || end == bound || *end)
        return SL_ERROR;
    *out = v;
    return SL_OK;
}

static unsigned long fnv1a(const char *s)
{
    unsigned long h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & 0xffffffu;
}

void src_safe_name(const char *in, char *out, size_t size, const char *prefix)
{
    size_t o = 0;
    int last_us = 1; /* drop leading '_' produced by separators */
    int lossy = 0;   /* non-ASCII letters were dropped: "ünï" and "änä" must differ */
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < size; p++) {
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out[o++] = (char)c;
            last_us = 0;
        } else {
            lossy |= c >= 0x80;
            if (!last_us) {
                out[o++] = '_';
                last_us = 1;
            }
        }
    }
    while (o > 0 && out[o - 1] == '_')
        o--;
    out[o] = 0;
    if (lossy && o > 0) {
        size_t at = size < 8 ? 0 : o + 8 <= size ? o : size - 8;
        snprintf(out + at, size - at, "_%06lx", fnv1a(in));
    }
    if (o == 0) {
        /* Nothing usable was left (e.g. all non-ASCII): keep names distinct. */
        snprintf(out, size, "%s%06lx", prefix, fnv1a(in));
    } else if (out[0] >= '0' && out[0] <= '9') {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s%s", prefix, out);
        snprintf(out, size, "%s", tmp);
    }
}

void src_safe_column_names(struct sl_schema *s)
{
    for (int i = 0; i < s->ncols; i++) {
        struct sl_column *c = &s->cols[i];
        src_safe_name(c->source_name, c->name, sizeof c->name - 8, "c_");
        char base[sizeof c->name];
        memcpy(base, c->name, sizeof base);
        for (int n = 2;; n++) {
            int clash = 0;
            for (int j = 0; j < i && !clash; j++)
                clash = !strcmp(s->cols[j].name, c->name);
            if (!clash)
                break;
            snprintf(c->name, sizeof c->name, "%s_%d", base, n);
        }
    }
}

void src_redact_url(const char *url, char *out, size_t size)
{
    /* Nothing of the user's string is copied unless its type vouches for it:
     * string surgery on "password=…" cannot follow libpq's quoting rules
     * (password='a b', password=a\ b, password = x) and leaked the rest. */
    if (!size)
        return;
    const struct source_type *t = type_of(url);
    if (t && t->describe_url) {
        t->describe_url(url, out, size);
        return;
    }
    if (t) {
        snprintf(out, size, "%s", url); /* a file path (sqlite) */
        return;
    }
    /* Unknown: show the scheme only if it is one by RFC 3986's rule, so a
     * conninfo without "postgres:" ("host=db password=a:b") shows nothing. */
    size_t n = 0;
    if ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))
        n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
    if (n && n <= 32 && url[n] == ':')
        snprintf(out, size, "%.*s:%s…", (int)n, url, strncmp(url + n, "://", 3) ? "" : "//");
    else
        snprintf(out, size, "(a source string without a scheme)");
}

void src_url_put(char *out, size_t size, size_t *o, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = isalnum(*p) || strchr("-._~", *p) || strchr(keep, *p);
        if (*o + (plain ? 1 : 3) >= size)
            break;
        if (plain) {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o < size ? *o : size - 1] = 0;
}

int64_t src_env_size(const char *name, int64_t min, int64_t fallback, const char *unit)
{
    const char *e = getenv(name);
    if (!e || !*e)
        return fallback;
    char *end;
    errno = 0;
    long long v = strtoll(e, &end, 10);
    if (!errno && *end == 0 && v >= min)
        return v;
    sl_warn("%s=%s ignored: expected a number of %s >= %lld", name, e, unit, (long long)min);
    return fallback;
}
