/*
 * deps.c — see deps.h.
 *
 * The lexer below follows engine_sql_code_end (engine.c) in what it skips:
 * "--" line comments, nested block comments, '…' strings with doubled
 * quotes, $tag$ strings; it adds E'…' strings (backslash escapes) and hands
 * out identifiers and dots as tokens, which is all it takes to see
 * <stage> . <name>.  Ordering is Kahn's algorithm, the smallest index
 * first among models that are ready, so the order is stable.
 */
#include "flow/deps.h"
#include "flow/models.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum token { T_END, T_IDENT, T_DOT, T_OTHER };

struct lexer {
    const char *s;
    size_t i;
    char ident[256]; /* the last T_IDENT, unquoted ("" doubled quotes undone) */
};

static int ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int ident_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Past a quoted run that starts at s[i] (the opening quote q); `backslash`
 * for E'…' strings.  Returns the index after the closing quote. */
static size_t skip_quoted(const char *s, size_t i, char q, int backslash)
{
    for (i++; s[i]; i++) {
        if (backslash && s[i] == '\\' && s[i + 1])
            i++;
        else if (s[i] == q && s[i + 1] == q)
            i++;
        else if (s[i] == q)
            return i + 1;
    }
    return i;
}

static enum token next_token(struct lexer *lx)
{
    static const char tag_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    const char *s = lx->s;
    for (;;) {
        size_t i = lx->i;
        unsigned char c = (unsigned char)s[i];
        if (!c)
            return T_END;
        if (c == '-' && s[i + 1] == '-') {
            lx->i = i + strcspn(s + i, "\n");
        } else if (c == '/' && s[i + 1] == '*') {
            int depth = 1;
            for (i += 2; s[i] && depth > 0; i++) {
                if (s[i] == '/' && s[i + 1] == '*')
                    depth++, i++;
                else if (s[i] == '*' && s[i + 1] == '/')
                    depth--, i++;
            }
            lx->i = i;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            lx->i = i + 1;
        } else if (c == '\'') {
            lx->i = skip_quoted(s, i, '\'', 0);
            return T_OTHER;
        } else if ((c == 'e' || c == 'E') && s[i + 1] == '\'') {
            lx->i = skip_quoted(s, i + 1, '\'', 1);
            return T_OTHER;
        } else if (c == '$' && s[i + 1 + strspn(s + i + 1, tag_chars)] == '$') {
            size_t tag = strspn(s + i + 1, tag_chars) + 2; /* "$tag$" */
            const char *close = s + i + tag;
            while ((close = strchr(close, '$')) && strncmp(close, s + i, tag))
                close++;
            lx->i = close ? (size_t)(close - s) + tag : strlen(s);
            return T_OTHER;
        } else if (c == '"') {
            size_t end = skip_quoted(s, i, '"', 0), o = 0;
            for (size_t k = i + 1; k < end && o + 1 < sizeof lx->ident; k++) {
                if (s[k] == '"' && (k + 1 == end || s[k + 1] != '"'))
                    break; /* the closing quote */
                lx->ident[o++] = s[k];
                if (s[k] == '"')
                    k++; /* a doubled quote is one quote character */
            }
            lx->ident[o] = 0;
            lx->i = end;
            return T_IDENT;
        } else if (ident_start(c)) {
            size_t n = 1;
            while (ident_char((unsigned char)s[i + n]))
                n++;
            snprintf(lx->ident, sizeof lx->ident, "%.*s", (int)n, s + i);
            lx->i = i + n;
            return T_IDENT;
        } else if (c >= '0' && c <= '9') {
            /* a number, "1.5" included: its '.' is no qualifier */
            size_t n = strspn(s + i, "0123456789.eE_");
            lx->i = i + n;
            return T_OTHER;
        } else {
            lx->i = i + 1;
            return c == '.' ? T_DOT : T_OTHER;
        }
    }
}

/* Mark in reads[] (n entries) the models `sql` names as <stage>.<name>. */
static void find_reads(const char *stage, const char *const names[], int n, const char *sql,
                       unsigned char *reads)
{
    struct lexer lx = {.s = sql};
    /* The last three tokens: stage-ident, dot, then the name being read. */
    int state = 0; /* 0 = nothing, 1 = saw the stage, 2 = saw "<stage> ." */
    enum token t;
    while ((t = next_token(&lx)) != T_END) {
        if (state == 2 && t == T_IDENT) {
            for (int k = 0; k < n; k++)
                if (!strcasecmp(lx.ident, names[k]))
                    reads[k] = 1;
        }
        if (state == 1 && t == T_DOT)
            state = 2;
        else if (t == T_IDENT && !strcasecmp(lx.ident, stage))
            state = 1;
        else
            state = 0;
    }
}

/* The cycle among the models Kahn's algorithm could not order (done[i] = 0):
 * each of them reads another of them, so following reads from the first
 * one must come back to a model already seen. */
static void cycle_message(const char *stage, const char *const names[], int n,
                          const struct flow_job_after *after, const unsigned char *done,
                          struct sl_err *err)
{
    int *path = calloc((size_t)n + 1, sizeof *path), len = 0, v = 0;
    if (!path) {
        sl_err_set(err, false, "config", "", "%s models form a cycle", stage);
        return;
    }
    while (done[v])
        v++;
    int start = -1;
    while (start < 0) {
        for (int i = 0; i < len; i++)
            if (path[i] == v)
                start = i;
        if (start >= 0)
            break;
        path[len++] = v;
        for (int i = 0; i < after[v].n; i++)
            if (!done[after[v].jobs[i]]) {
                v = after[v].jobs[i];
                break;
            }
    }
    /* Shown from its first model by name, so the message is stable. */
    int first = start;
    for (int i = start; i < len; i++)
        if (strcmp(names[path[i]], names[path[first]]) < 0)
            first = i;
    char text[1024];
    size_t o = 0;
    int count = len - start;
    for (int k = 0; k <= count && o < sizeof text; k++) {
        int at = start + (first - start + k) % count;
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%s", k ? " → " : "", names[path[at]]);
    }
    sl_err_set(err, false, "config", "",
               "%s models form a cycle: %s (each reads the next as %s.<name>, so none can run "
               "first); remove one of these reads",
               stage, text, stage);
    free(path);
}

void flow_deps_free(struct flow_deps *d)
{
    if (!d)
        return;
    free(d->after);
    free(d->order);
    free(d->level);
    free(d->storage);
    memset(d, 0, sizeof *d);
}

int flow_deps_is_read(const struct flow_deps *d, int job)
{
    for (int i = 0; i < d->n; i++)
        for (int k = 0; k < d->after[i].n; k++)
            if (d->after[i].jobs[k] == job)
                return 1;
    return 0;
}

int flow_deps_order(const char *stage, const char *const names[], const char *const sqls[], int n,
                    struct flow_deps *out, struct sl_err *err)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0)
        return SL_OK;
    unsigned char *reads = calloc((size_t)n * (size_t)n, 1), *done = calloc((size_t)n, 1);
    int *count = calloc((size_t)n, sizeof *count), edges = 0, rc = SL_ERROR;
    out->after = calloc((size_t)n, sizeof *out->after);
    out->order = calloc((size_t)n, sizeof *out->order);
    out->level = calloc((size_t)n, sizeof *out->level);
    if (!reads || !done || !count || !out->after || !out->order || !out->level) {
        sl_err_set(err, false, "config", "", "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        find_reads(stage, names, n, sqls[i], reads + (size_t)i * (size_t)n);
        for (int k = 0; k < n; k++)
            edges += reads[(size_t)i * (size_t)n + (size_t)k];
    }
    out->storage = calloc((size_t)edges + 1, sizeof *out->storage);
    if (!out->storage) {
        sl_err_set(err, false, "config", "", "out of memory");
        goto out;
    }
    int used = 0;
    for (int i = 0; i < n; i++) {
        out->after[i].jobs = out->storage + used;
        for (int k = 0; k < n; k++)
            if (reads[(size_t)i * (size_t)n + (size_t)k])
                out->storage[used++] = k;
        out->after[i].n = (int)(out->storage + used - out->after[i].jobs);
        count[i] = out->after[i].n;
    }
    /* Kahn: take the smallest ready index each round (n is a stage's models:
     * the quadratic scan is nothing next to running them). */
    for (int placed = 0; placed < n; placed++) {
        int v = -1;
        for (int i = 0; i < n && v < 0; i++)
            if (!done[i] && count[i] == 0)
                v = i;
        if (v < 0) {
            cycle_message(stage, names, n, out->after, done, err);
            goto out;
        }
        done[v] = 1;
        out->order[placed] = v;
        for (int k = 0; k < out->after[v].n; k++) {
            int lv = out->level[out->after[v].jobs[k]] + 1;
            if (lv > out->level[v])
                out->level[v] = lv;
        }
        for (int i = 0; i < n; i++)
            if (reads[(size_t)i * (size_t)n + (size_t)v])
                count[i]--;
    }
    rc = SL_OK;
out:
    free(reads);
    free(done);
    free(count);
    if (rc)
        flow_deps_free(out);
    return rc;
}

#define MAX_MODEL_BYTES (64u << 20) /* as the run reads them */

/* The whole file as a NUL-terminated string (caller frees), or NULL with err set. */
static char *read_model(const char *path, struct sl_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_err_set(err, false, "config", path, "cannot read the model file");
        return NULL;
    }
    struct sl_buf b;
    sl_buf_init(&b, MAX_MODEL_BYTES + 1);
    char chunk[8192];
    size_t got;
    int ok = 1;
    while (ok && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = sl_buf_append(&b, chunk, got) == SL_OK;
    ok = ok && !ferror(f) && sl_buf_putc(&b, 0) == SL_OK;
    fclose(f);
    if (!ok) {
        sl_buf_free(&b);
        sl_err_set(err, false, "config", path, "cannot read the model file (larger than %u MiB?)",
                   MAX_MODEL_BYTES >> 20);
        return NULL;
    }
    return (char *)b.data;
}

int flow_deps_load(const char *models_dir, const char *stage, struct flow_deps *out,
                   struct sl_err *err)
{
    struct flow_model_file *list = NULL;
    int n = 0, rc = flow_models_list(models_dir, stage, &list, &n, err);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    char **sqls = calloc((size_t)n + 1, sizeof *sqls);
    memset(out, 0, sizeof *out);
    if (rc == SL_OK && (!names || !sqls))
        rc = sl_err_set(err, false, "config", models_dir, "out of memory");
    for (int i = 0; rc == SL_OK && i < n; i++) {
        names[i] = list[i].name;
        if (!(sqls[i] = read_model(list[i].path, err)))
            rc = SL_ERROR;
    }
    if (rc == SL_OK && flow_deps_order(stage, names, (const char *const *)sqls, n, out, err)) {
        sl_err_context(err, "%s/%s", models_dir, stage);
        rc = SL_ERROR;
    }
    for (int i = 0; sqls && i < n; i++)
        free(sqls[i]);
    free(sqls);
    free(names);
    free(list);
    return rc;
}
