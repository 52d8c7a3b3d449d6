/*
 * engine.c — the table of engine types and SQL quoting helpers.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct engine_type *const types[] = {&engine_duckdb_type};

int engine_open(struct engine *e, const char *name, const struct engine_options *opt,
                struct sl_err *err)
{
    e->ctx = NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, name)) {
            e->type = types[i];
            return e->type->open(opt, &e->ctx, err);
        }
    e->type = NULL;
    return sl_err_set(err, false, "engine", name,
                      "engine '%s' is not available in this build; use engine: duckdb", name);
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
