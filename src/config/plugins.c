/*
 * plugins.c — the plug-ins config knows of: what `catalog:`, `engine:` and
 * the lake's URL scheme may name, and each plug-in's own options
 * (config.h "Plug-in options").  A built plug-in declares its struct
 * config_plugin in its own file; the rows here without options are the
 * built-in defaults and the plug-ins of DESIGN.md not built yet.
 */
#include "config/config.h"

#include <stddef.h>

static const struct config_plugin catalog_duckdb = {.role = "catalog", .name = "duckdb"};
static const struct config_plugin catalog_none = {.role = "catalog", .name = "none"};
static const struct config_plugin engine_duckdb = {.role = "engine", .name = "duckdb"};

/* Built plug-ins with options declare them in their own file. */
extern const struct config_plugin catalog_glue_plugin; /* catalog/glue.c */
extern const struct config_plugin store_s3_config;     /* store/s3.c */
static const struct config_plugin catalog_hive = {.role = "catalog", .name = "hive",
                                                  .planned = true};
/* Declared by their engines (engine/athena.c, engine/trino.c). */
extern const struct config_plugin engine_athena_plugin, engine_trino_plugin;

/* Built ones first, in the order messages list them. */
const struct config_plugin *const config_plugins[] = {
    &catalog_duckdb, &catalog_none, &catalog_glue_plugin, &engine_duckdb, &engine_athena_plugin,
    &engine_trino_plugin, &store_s3_config, &catalog_hive, NULL,
};
