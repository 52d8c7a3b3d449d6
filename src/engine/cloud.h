/*
 * cloud.h — what the engines that run somewhere else (athena.c, trino.c)
 * share: naming the run's tables, pointing a model's `raw.users` at them,
 * Hive/Trino column types, and reading back what the engine wrote.
 *
 * A distributed engine does not see the run's folders as DuckDB does: every
 * dataset the models read must be a table of the engine's metastore.  Both
 * engines create, per run, one table per dataset in the databases (Athena:
 * Glue databases <glue.database>_<layer>; Trino: schemas
 * <catalog>.<schema_prefix>_<layer>) named <name>_<run tag>, over the
 * dataset's run folder, and drop them when the run ends (the files stay:
 * they are external tables).  The published names (<db>_raw.users in Glue)
 * are the catalog's business, switched only at publish; a run must not read
 * or change them.
 *
 * A model names datasets as the DuckDB engine knows them (raw.users,
 * stage1.orders), so its text is rewritten before it is sent: each
 * layer-qualified name outside strings and comments becomes the run's table
 * (engine_sql_qualify).  The alternative, a default database per query,
 * cannot work: a model reads several layers in one statement.
 */
#ifndef SL_ENGINE_CLOUD_H
#define SL_ENGINE_CLOUD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

/* The run id of a dataset prefix (".../run=20261130T124400Z") as a table
 * name suffix: lowercase, [a-z0-9_] only ("20261130t124400z"). */
void engine_run_tag(const char *prefix, char *out, size_t size);

/* Lowercase [a-z0-9_] copy of s (other bytes become '_'), for table names. */
void engine_table_name(const char *s, char *out, size_t size);

/* Replacement text for <layer>.<name> (name as written, quotes removed);
 * return 0 to replace, 1 to keep the text as written. */
typedef int (*engine_name_fn)(void *arg, const char *layer, const char *name, char *out,
                              size_t size);

/* The first `len` bytes of sql with every layer-qualified name (raw.x,
 * stage1.x, stage2.x, quoted or not, any case) replaced by what fn gives.
 * Text in strings and comments, and names after a '.' (t.raw.x) are left
 * alone.  Caller frees; NULL on out of memory. */
char *engine_sql_qualify(const char *sql, size_t len, engine_name_fn fn, void *arg);

/* "(`a` bigint, `b` string)" / "(\"a\" bigint, …)": the column list of
 * d's table in Athena's (Hive's) or Trino's types, mapped as the Glue
 * catalog maps them (catalog/hive.h).  Caller frees; NULL with err set on a
 * type neither can read or out of memory. */
char *engine_column_list(const struct lake_dataset *d, bool trino, struct sl_err *err);

/* The location of a store prefix for a metastore: s3://…/ with a trailing
 * '/', a local folder as file:///…/. */
void engine_location(struct store *store, const char *prefix, char *out, size_t size);

/* Remove what an earlier attempt left under out->prefix (a CTAS refuses a
 * location that is not empty).  `lock` serialises the store's list and
 * remove calls, which store.h allows from one thread at a time. */
int engine_clear_output(struct store *store, pthread_mutex_t *lock,
                        const struct lake_dataset *out, const char *model_file,
                        struct sl_err *err);

/* Fill res with every .parquet object the engine wrote under out->prefix:
 * each is copied into tmp_dir (store_get_file, which gives its size and
 * CRC-32 as the manifest needs them), its row count and the result's
 * columns read from the Parquet footer, then the copy is removed.  An output
 * without files is an error naming model_file. */
int engine_collect_output(struct store *store, pthread_mutex_t *lock, const char *tmp_dir,
                          const struct lake_dataset *out, const char *model_file,
                          struct model_result *res, struct sl_err *err);

/* Rows and columns of a local Parquet file, read by DuckDB from its footer
 * (duckdb.c).  schema may be NULL. */
int engine_duckdb_file_info(const char *path, int64_t *rows, struct sl_schema *schema,
                            struct sl_err *err);

/* When a remote query must stop: the run's stop flag (SIGINT/SIGTERM) or
 * the model's cancel token fired (a time limit, util/cancel.h).  Either
 * may be NULL. */
struct engine_halt {
    const volatile sig_atomic_t *stop;
    struct sl_cancel *cancel;
};

/* Whether h says stop (false for h NULL). */
bool engine_halted(const struct engine_halt *h);

/* Sleep `seconds`, waking early when h says stop; returns engine_halted(h). */
bool engine_sleep(double seconds, const struct engine_halt *h);

#endif
