/*
 * catalog.h — where query engines learn which files make which table.
 *
 * A run registers every dataset it produced between begin and publish;
 * publish makes all of them current at once (DESIGN.md "Lake layout":
 * readers see all datasets of the old run or all of the new one); abort
 * leaves the previous run published and untouched.
 *
 * Implementations: duckdb.c (a DuckDB database file in the lake).  Glue and
 * Hive DDL are one new file each filling `struct catalog_type`.
 */
#ifndef SL_CATALOG_CATALOG_H
#define SL_CATALOG_CATALOG_H

#include "lake/dataset.h"
#include "store/store.h"
#include "util/err.h"

struct catalog_type {
    const char *name;
    /* `store` is borrowed and outlives the catalog. */
    int (*open)(struct store *store, void **ctx, struct sl_err *err);
    int (*begin)(void *ctx, const char *run_id, struct sl_err *err);
    int (*register_dataset)(void *ctx, const struct lake_dataset *d, struct sl_err *err);
    int (*publish)(void *ctx, struct sl_err *err);
    void (*abort)(void *ctx); /* no-op when nothing was begun */
    void (*close)(void *ctx);
};

struct catalog {
    const struct catalog_type *type;
    void *ctx;
};

/* By config name: "duckdb", "none". */
int catalog_open(struct catalog *c, const char *name, struct store *store, struct sl_err *err);
void catalog_close(struct catalog *c);

extern const struct catalog_type catalog_duckdb_type;
extern const struct catalog_type catalog_none_type;

/* The published catalog file of a local lake, for `snaplake query`. */
#define CATALOG_DUCKDB_FILE "catalog.duckdb"

/* The DuckDB variable that relocates the catalog's views: when set (as
 * `snaplake query` does) the views read the lake's files under its value
 * instead of the folder the lake was published in (duckdb.c). */
#define CATALOG_LAKE_VARIABLE "snaplake_lake"

#endif
