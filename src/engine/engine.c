/*
 * engine.c — the table of engine types, SQL quoting helpers, and where a
 * model's statement ends (engine_sql_code_end).
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct engine_type *const types[] = {&engine_duckdb_type, &engine_athena_type,
                                                  &engine_trino_type};

int engine_open(struct engine *e, const struct engine_env *env, struct sl_err *err)
{
    const char *name = env->cfg->engine;
    e->ctx = NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, name)) {
            e->type = types[i];
            return e->type->open(env, &e->ctx, err);
        }
    e->type = NULL;
    return sl_err_set(err, false, "engine", name,
                      "engine '%s' is not available in this build; use engine: duckdb", name);
}

void model_result_free(struct model_result *r)
{
    free(r->file);
    sl_schema_free(&r->schema);
    memset(r, 0, sizeof *r);
}

void engine_close(struct engine *e)
{
    if (e->type && e->ctx)
        e->type->close(e->ctx);
    e->ctx = NULL;
}

static void quote(const char *s, char q, char *out, size_t size)
{
    size_t o = 0;
    if (size < 3)
        return;
    out[o++] = q;
    for (; *s && o + 3 < size; s++) {
        if (*s == q)
            out[o++] = q;
        out[o++] = *s;
    }
    out[o++] = q;
    out[o] = 0;
}

void engine_sql_literal(const char *s, char *out, size_t size) { quote(s, '\'', out, size); }
void engine_sql_ident(const char *s, char *out, size_t size) { quote(s, '"', out, size); }

char *engine_view_sql(const struct lake_dataset *d)
{
    char name[300], loc[PATH_MAX + 64], glob[PATH_MAX + 32], *sql = NULL;
    snprintf(glob, sizeof glob, "%s/*.parquet", d->location);
    engine_sql_ident(d->name, name, sizeof name);
    engine_sql_literal(glob, loc, sizeof loc);
    if (asprintf(&sql,
                 "CREATE OR REPLACE VIEW %s.%s AS SELECT * FROM read_parquet(%s, "
                 "hive_partitioning = false)",
                 d->layer, name, loc) < 0)
        return NULL;
    return sql;
}

/* A small lexer, not a parser: it knows where comments and quoted text
 * begin and end (doubled quotes inside, block comments nested as DuckDB nests them),
 * which is all it takes to find the last token. */
size_t engine_sql_code_end(const char *s)
{
    static const char tag_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    size_t i = 0, end = 0;
    while (s[i]) {
        char c = s[i];
        if (c == '-' && s[i + 1] == '-') {
            i += strcspn(s + i, "\n");
        } else if (c == '/' && s[i + 1] == '*') {
            int depth = 1;
            for (i += 2; s[i] && depth > 0; i++) {
                if (s[i] == '/' && s[i + 1] == '*')
                    depth++, i++;
                else if (s[i] == '*' && s[i + 1] == '/')
                    depth--, i++;
            }
        } else if (c == '\'' || c == '"') {
            for (i++; s[i]; i++) {
                if (s[i] == c && s[i + 1] == c)
                    i++; /* a doubled quote is one quote character */
                else if (s[i] == c)
                    break;
            }
            end = i = s[i] ? i + 1 : i;
        } else if (c == '$' && s[i + 1 + strspn(s + i + 1, tag_chars)] == '$') {
            size_t tag = strspn(s + i + 1, tag_chars) + 2; /* "$tag$" */
            const char *close = s + i + tag;
            while ((close = strchr(close, '$')) && strncmp(close, s + i, tag))
                close++;
            end = i = close ? (size_t)(close - s) + tag : strlen(s);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';') {
            i++;
        } else {
            end = ++i;
        }
    }
    return end;
}
