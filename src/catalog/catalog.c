/*
 * catalog.c — the table of catalog types, and the "none" catalog (a lake
 * without a catalog: files and manifests only).
 */
#include "catalog/catalog.h"

#include <string.h>

static const struct catalog_type *const types[] = {&catalog_duckdb_type, &catalog_none_type};

int catalog_open(struct catalog *c, const char *name, struct store *store, struct sl_err *err)
{
    c->ctx = NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, name)) {
            c->type = types[i];
            return c->type->open(store, &c->ctx, err);
        }
    c->type = NULL;
    return sl_err_set(err, false, "catalog", name,
                      "catalog '%s' is not available in this build; use duckdb or none", name);
}

void catalog_close(struct catalog *c)
{
    if (c->type)
        c->type->close(c->ctx);
    c->ctx = NULL;
}

static int none_open(struct store *store, void **ctx, struct sl_err *err)
{
    (void)store;
    (void)err;
    *ctx = NULL;
    return SL_OK;
}
static int none_begin(void *ctx, const char *run_id, struct sl_err *err)
{
    (void)ctx, (void)run_id, (void)err;
    return SL_OK;
}
static int none_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    (void)ctx, (void)d, (void)err;
    return SL_OK;
}
static int none_publish(void *ctx, struct sl_err *err)
{
    (void)ctx, (void)err;
    return SL_OK;
}
static void none_void(void *ctx) { (void)ctx; }

const struct catalog_type catalog_none_type = {
    .name = "none",
    .open = none_open,
    .begin = none_begin,
    .register_dataset = none_register,
    .publish = none_publish,
    .abort = none_void,
    .close = none_void,
};
