/*
 * catalog.h — where query engines learn which files make which table.
 *
 * A run registers every dataset it produced between begin and publish;
 * publish makes all of them current at once (DESIGN.md "Lake layout":
 * readers see all datasets of the old run or all of the new one); abort
 * leaves the previous run published and untouched.
 *
 * Implementations: duckdb.c (a DuckDB database file in the lake), glue.c
 * (the AWS Glue Data Catalog, per-table switch), none (catalog.c).  Adding one is a new file filling `struct catalog_type` and
 * a line in catalog.c's table.
 */
#ifndef SL_CATALOG_CATALOG_H
#define SL_CATALOG_CATALOG_H

#include <stddef.h>

#include "config/config.h"
#include "lake/dataset.h"
#include "store/store.h"
#include "util/err.h"

/* What a catalog type guarantees, so that the orchestrator, the manifest
 * and the docs say what held instead of assuming the first catalog's. */
enum catalog_caps {
    /* publish switches every dataset to the new run in one atomic step
     * (the DuckDB file: one rename).  Without it (Glue) datasets switch one
     * by one, in a fixed order, and a crash in the middle leaves some on
     * the new run until the run is resumed or the next one publishes. */
    CATALOG_CAP_ATOMIC = 1u << 0,
};

struct catalog_type {
    const char *name;
    unsigned caps; /* enum catalog_caps bits */
    /* `store` is borrowed and outlives the catalog; the catalog's own
     * options are read from cfg (its key in snaplake.yml). */
    int (*open)(struct store *store, const struct sl_config *cfg, void **ctx,
                struct sl_err *err);
    int (*begin)(void *ctx, const char *run_id, struct sl_err *err);
    int (*register_dataset)(void *ctx, const struct lake_dataset *d, struct sl_err *err);
    /* Make every dataset registered since begin current.  Idempotent: a
     * resumed run, or one retrying after a failed publish, calls begin,
     * register_dataset and publish again for the same run id, and the
     * result is the same as one clean publish. */
    int (*publish)(void *ctx, struct sl_err *err);
    void (*abort)(void *ctx); /* no-op when nothing was begun */
    /* Which run the catalog publishes now, read from the catalog itself
     * (the truth after a crash: `_snaplake/current` and the run state are
     * brought in line with it).  "" when nothing is published yet.  Needs
     * no begin. */
    int (*published)(void *ctx, char *run_id, size_t size, struct sl_err *err);
    void (*close)(void *ctx);
};

struct catalog {
    const struct catalog_type *type;
    void *ctx;
};

/* By config name (cfg->catalog): "duckdb", "glue", "none". */
int catalog_open(struct catalog *c, const struct sl_config *cfg, struct store *store,
                 struct sl_err *err);
void catalog_close(struct catalog *c);

extern const struct catalog_type catalog_duckdb_type;
extern const struct catalog_type catalog_none_type;
extern const struct catalog_type catalog_glue_type; /* glue.c */

/* The published catalog file of a local lake, for `snaplake query`. */
#define CATALOG_DUCKDB_FILE "catalog.duckdb"

/* The DuckDB variable that relocates the catalog's views: when set (as
 * `snaplake query` does) the views read the lake's files under its value
 * instead of the folder the lake was published in (duckdb.c). */
#define CATALOG_LAKE_VARIABLE "snaplake_lake"

#endif
