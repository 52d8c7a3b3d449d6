/*
 * config.h — snaplake.yml, parsed and validated.
 *
 * The top-level keys are a contract (DESIGN.md "Configuration"):
 *
 *   source:   sqlite:///abs/app.db | sqlite://rel/app.db | postgres://… | mysql://…
 *   lake:     ./lake | s3://bucket/prefix
 *   jobs:     4
 *   tables:   { include: ["main.*"], exclude: ["main.audit_log"] }
 *   catalog:  duckdb | glue | hive | none
 *   engine:   duckdb | athena | trino
 *   parquet:  { compression: zstd, row_group_mb: 128 }
 *   models:   ./models
 *   run:      { retries: 3, deadline: "10:00", keep_runs: 7, on_failure: "./notify.sh",
 *               on_success: "…",
 *               retry: { max_attempts: 4, interval: 0.5, backoff_rate: 2, max_delay: 30 },
 *               timeouts: { export_chunk: 600, model: "30m", run: "2h" } }
 *
 * Only `source` and `lake` are required.  Relative paths (lake, models, a
 * relative sqlite path) are resolved against the config file's folder.
 * Unknown keys, wrong types and bad values are errors whose object is
 * "FILE:LINE:COLUMN" and whose message says what was expected.  Values that
 * name a plug-in this build does not have yet (config_plugin.planned) are
 * errors too, so a run never starts on them.
 */
#ifndef SL_CONFIG_CONFIG_H
#define SL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "parquet/writer.h"
#include "util/err.h"
#include "util/retry.h"

/* Where a value was written, for checks made after parsing (flow/precheck.c
 * looks at the filesystem): 1-based; line 0 = not in the file (a default). */
struct config_pos {
    int line, column;
};

/*
 * Plug-in options.  Each store, catalog and engine that has options declares
 * them in its own file as one `struct config_plugin` (its key in the file,
 * e.g. `glue:`, and a table of options); src/config/plugins.c lists them.
 * The config core validates those sections from the tables (unknown keys,
 * types, ranges, required options of the chosen plug-in, what a plug-in
 * needs of the others) and keeps the values as text; the plug-in reads them
 * with config_option*().  Adding a plug-in does not touch config.c.
 */
enum config_option_kind {
    CONFIG_OPT_STRING, /* any non-empty text (${VAR} expanded) */
    CONFIG_OPT_INT,    /* integer in [min, max] */
    CONFIG_OPT_NUMBER, /* decimal number in [min, max] */
    CONFIG_OPT_BOOL,   /* true/false, yes/no, on/off */
};

struct config_option {
    const char *name;
    enum config_option_kind kind;
    const char *def; /* default as text, or NULL (unset) */
    double min, max; /* INT, NUMBER */
    bool required;   /* when the plug-in is chosen */
    const char *example; /* shown in "needs" messages: "database: shop" */
};

struct config_plugin {
    const char *role; /* "lake", "catalog" or "engine" */
    const char *name; /* the value choosing it (catalog: glue); for the lake, the URL scheme */
    const char *key;  /* its own top-level key ("glue"), or NULL: no options */
    const struct config_option *options; /* ends with a row without name; NULL = none */
    /* What it needs of the other choices, NULL-terminated "role=name" rows
     * ("lake=s3", "catalog=glue"), checked at config time. */
    const char *const *requires;
    /* In DESIGN.md but not in this build: choosing it is an error that says so. */
    bool planned;
};

/* The plug-ins of this build and the planned ones, NULL-terminated (plugins.c). */
extern const struct config_plugin *const config_plugins[];

/* One plug-in option set in the file. */
struct config_value {
    const char *section; /* the plug-in's key (static) */
    const char *name;    /* the option's name (static) */
    char *text;          /* after ${VAR} expansion; owned */
    struct config_pos at;
};

/* run.timeouts in seconds; 0 = no limit (the default).  What happens at
 * each limit: docs/config.md "run.timeouts". */
struct sl_timeouts {
    double export_chunk; /* one attempt of one export chunk (transient: retried) */
    double model;        /* one model (permanent: not retried) */
    double run;          /* the whole run (ends it as an interrupt would, exit 1) */
    double hook;         /* each hook (on_success, on_failure, on_deadline_risk) */
};

struct sl_config {
    char *path;   /* the config file as given */
    char *dir;    /* absolute folder of the config file */
    char *source; /* URL; a relative sqlite path made absolute */
    char *lake;   /* absolute path, or an s3:// URL as written (when the S3 store is built) */
    int jobs;     /* default: number of online CPUs, at least 1 */
    char **include; /* glob patterns on "schema.table" or "table"; default none = all */
    int n_include;
    char **exclude;
    int n_exclude;
    char *catalog; /* default "duckdb" */
    char *engine;  /* default "duckdb" */
    enum pq_codec compression; /* default zstd */
    int compression_level;     /* parquet.compression_level, 0 = codec default */
    int parquet_format_version; /* parquet.format_version: 1 (default) or 2 */
    char *parquet_timestamp_type; /* parquet.timestamp_type: "int64" (default) or "int96" */
    int row_group_mb;          /* default 128 */
    char **bloom_filter_columns; /* parquet.bloom_filter_columns: "<table>.<column>" globs */
    int n_bloom_filter_columns;
    char *models;  /* absolute folder; default "<dir>/models" (may not exist) */
    int retries;   /* run.retries, default 3; always retry.max_attempts - 1 */
    struct sl_retry retry; /* run.retry; run.retries N gives max_attempts N + 1 */
    struct sl_timeouts timeouts; /* run.timeouts */
    char *deadline;   /* run.deadline "HH:MM" (local), "HH:MMZ", "HH:MM+HH:MM", or NULL */
    int keep_runs;    /* run.keep_runs, default 7 */
    char *on_deadline_risk; /* run.on_deadline_risk command or NULL (flow/deadline.h) */
    char *on_failure; /* run.on_failure command or NULL */
    char *on_success; /* run.on_success command or NULL */
    struct config_pos source_at; /* the value of `source:` */
    struct config_pos lake_at;   /* the value of `lake:` */
    struct config_pos models_at; /* the value of `models:`; line 0 = the default */
    struct config_pos catalog_at; /* the value of `catalog:`; line 0 = the default */
    struct config_pos engine_at;  /* the value of `engine:`; line 0 = the default */
    struct config_value *options; /* plug-in options set in the file, in file order */
    int n_options;
};

/* Parse `path`.  On success *cfg is filled (free with config_free).  On error
 * err->object is "path:line:column" (or just "path" when the file cannot be
 * read) and err->stage is "config". */
int config_load(const char *path, struct sl_config *cfg, struct sl_err *err);

/* Same, from a string; `name` is used in messages and `dir` for relative paths. */
int config_parse(const char *text, const char *name, const char *dir, struct sl_config *cfg,
                 struct sl_err *err);

void config_free(struct sl_config *cfg);

/* "FILE:LINE:COLUMN" of a value (just "FILE" for a default) into buf; returns buf. */
const char *config_where(const struct sl_config *cfg, struct config_pos at, char *buf,
                         size_t size);

/* A plug-in option: the file's value, else the table's default, else NULL
 * (also for a section or name no plug-in declares). */
const char *config_option(const struct sl_config *cfg, const char *section, const char *name);
/* The same as a number / a boolean; `fallback` when unset. */
double config_option_number(const struct sl_config *cfg, const char *section, const char *name,
                            double fallback);
bool config_option_bool(const struct sl_config *cfg, const char *section, const char *name,
                        bool fallback);
/* "FILE:LINE:COLUMN" of an option's value (just "FILE" when not in the file). */
const char *config_option_where(const struct sl_config *cfg, const char *section,
                                const char *name, char *buf, size_t size);

/* True when "schema.table" (or bare table) passes include/exclude. */
bool config_table_selected(const struct sl_config *cfg, const char *schema, const char *table);

#endif
