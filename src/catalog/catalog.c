/*
 * catalog.c — the table of catalog types, and the "none" catalog (a lake
 * without a catalog: files and manifests only).
 */
#include "catalog/catalog.h"

#include <string.h>

static const struct catalog_type *const types[] = {&catalog_duckdb_type, &catalog_none_type,
                                                    &catalog_glue_type};

int catalog_open(struct catalog *c, const struct sl_config *cfg, struct store *store,
                 struct sl_err *err)
{
    const char *name = cfg->catalog;
    c->ctx = NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, name)) {
            c->type = types[i];
            return c->type->open(store, cfg, &c->ctx, err);
        }
    c->type = NULL;
    return sl_err_set(err, false, "catalog", name,
                      "catalog '%s' is not available in this build; use duckdb, glue or none", name);
}

void catalog_close(struct catalog *c)
{
    if (c->type)
        c->type->close(c->ctx);
    c->ctx = NULL;
}

static int none_open(struct store *store, const struct sl_config *cfg, void **ctx,
                     struct sl_err *err)
{
    (void)store, (void)cfg;
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
/* Nothing to read: `_snaplake/current` is the only record of what is published. */
static int none_published(void *ctx, char *run_id, size_t size, struct sl_err *err)
{
    (void)ctx, (void)err;
    if (size)
        run_id[0] = 0;
    return SL_OK;
}

const struct catalog_type catalog_none_type = {
    .name = "none",
    .caps = CATALOG_CAP_ATOMIC, /* nothing to switch: `current` is one PUT */
    .open = none_open,
    .begin = none_begin,
    .register_dataset = none_register,
    .publish = none_publish,
    .abort = none_void,
    .published = none_published,
    .close = none_void,
};
