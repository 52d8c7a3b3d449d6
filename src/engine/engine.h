/*
 * engine.h — what runs the stage models.
 *
 * The pipeline registers the datasets a model may read (raw.*, then
 * stage1.* once built) and asks the engine to run one model: a SELECT whose
 * result becomes the Parquet files of a dataset, written by the engine where
 * the dataset lives, and returned with their sizes, checksums and the
 * result's schema.  run_model is called from several worker threads at
 * once (the models of one stage run in parallel).
 *
 * Implementations: duckdb.c (embedded), athena.c and trino.c (CTAS run by
 * the service, sharing cloud.c).
 */
#ifndef SL_ENGINE_ENGINE_H
#define SL_ENGINE_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "config/config.h"
#include "lake/dataset.h"
#include "parquet/writer.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/err.h"

/* What an engine is given at open; every pointer is borrowed and outlives it. */
struct engine_env {
    int threads;
    enum pq_codec compression;
    struct store *store;     /* where the datasets live; outputs are written there */
    struct catalog *catalog; /* the run's catalog (an engine may read tables through it) */
    const struct sl_config *cfg; /* the engine's own options (config_option) */
    const char *tmp_dir;     /* the run's local scratch folder */
    /* The run's stop flag (SIGINT/SIGTERM): a model running elsewhere is
     * cancelled there when it becomes non-zero.  NULL = never. */
    const volatile sig_atomic_t *stop;
};

/* What a model produced: every file written under the output dataset's
 * prefix and the result's columns.  The caller owns both
 * (model_result_free). */
struct model_result {
    int64_t rows;
    struct lake_file *file;
    int files;
    struct sl_schema schema;
};

void model_result_free(struct model_result *r);

struct engine_type {
    const char *name;
    int (*open)(const struct engine_env *env, void **ctx, struct sl_err *err);
    /* Make d readable as <layer>.<name>.  Called on the leader only, also while
     * models run on workers: a model read by another model of its stage is
     * registered as soon as it is done (the orchestrator orders them). */
    int (*register_dataset)(void *ctx, const struct lake_dataset *d, struct sl_err *err);
    /* Run `sql` (one SELECT) and write its result as Parquet where the
     * dataset `out` lives (out->prefix in the store: DuckDB writes a local
     * file and uploads it; a distributed engine writes there itself), then
     * say what it wrote in *res (empty on entry).  `model_file` names the
     * model in errors.  Thread-safe.  The query is armed on `cancel`
     * (util/cancel.h; NULL = none): a fire stops it, and it fails (the
     * caller says why: a time limit, an interrupt). */
    int (*run_model)(void *ctx, const char *model_file, const char *sql,
                     const struct lake_dataset *out, struct sl_cancel *cancel,
                     struct model_result *res, struct sl_err *err);
    void (*close)(void *ctx);
};

struct engine {
    const struct engine_type *type;
    void *ctx;
};

/* By config name (env->cfg->engine). */
int engine_open(struct engine *e, const struct engine_env *env, struct sl_err *err);
void engine_close(struct engine *e);

extern const struct engine_type engine_duckdb_type;
extern const struct engine_type engine_athena_type;
extern const struct engine_type engine_trino_type;

/* "CREATE OR REPLACE VIEW <layer>."<name>" AS SELECT * FROM read_parquet(
 * every .parquet file of <location>, hive_partitioning = false)": the view the engine
 * defines while a run builds its models, over the run's own fresh folder (the run=…
 * folder is ours, not a column).  The published catalog names each file instead
 * (catalog/duckdb.c), so that a missing or stray file cannot change answers.
 * Caller frees; NULL on out of memory. */
char *engine_view_sql(const struct lake_dataset *d);

/* Length of `sql` through the end of its last token: what follows (blanks,
 * ';' and comments, as in "SELECT …;\n-- end of model") is not part of the
 * statement.  0 = no statement at all (an empty or comment-only model).
 * Strings, quoted names and $tag$ strings are skipped whole, so a ';' or
 * "--" inside them is text. */
size_t engine_sql_code_end(const char *sql);

/* SQL string literal of s ('…' with quotes doubled) into out. */
void engine_sql_literal(const char *s, char *out, size_t size);
/* SQL identifier "…" with quotes doubled. */
void engine_sql_ident(const char *s, char *out, size_t size);

#endif
