/*
 * deps.h — the order of the models of one stage.
 *
 * A model may read another model of its own stage by its catalog name
 * (`stage2.daily` in models/stage2/weekly.sql): it must run after it, and
 * the engine must see the finished dataset before it starts.  This module
 * finds those reads in the SQL text and orders the models; the worker pool
 * (pool.h, `after`) runs each model once the models it reads are done.
 *
 * Finding the reads is lexical, not a parse: a name counts where the SQL
 * has the stage name, a '.', and a model's name as identifiers — unquoted
 * or "quoted", in any case (DuckDB resolves names case-insensitively), with
 * blanks or comments between them allowed.  Mentions inside comments, string
 * literals ('…', E'…', $tag$…$tag$) do not count.  A name that is not one of
 * the stage's models (stage2.missing) is left to the engine, whose error
 * points into the file.
 */
#ifndef SL_FLOW_DEPS_H
#define SL_FLOW_DEPS_H

#include "flow/pool.h"
#include "util/err.h"

struct flow_deps {
    int n;
    struct flow_job_after *after; /* n entries: the models model i reads (indexes) */
    int *order;                   /* n indexes: every model after those it reads */
    int *level;                   /* n: 0 = reads no model of the stage, else 1 + the
                                   * highest level among those it reads */
    int *storage;                 /* owns the after[].jobs arrays */
};

/* Find which of the n models (names[i], whose SQL is sqls[i]) read which,
 * for stage `stage` ("stage1", "stage2").  On success *out is filled (free
 * with flow_deps_free; ties in `order` keep the given order).  A cycle —
 * a model reading itself, or a → b → a — is an error (stage "config", no
 * object: callers add the models folder) whose message names it:
 * "stage2 models form a cycle: a → b → a (…)". */
int flow_deps_order(const char *stage, const char *const names[], const char *const sqls[], int n,
                    struct flow_deps *out, struct sl_err *err);

/* The same for the model files of <models_dir>/<stage> (models.h), in
 * their order: by name.  A missing stage folder is no models (n = 0).
 * Errors: those of flow_models_list, an unreadable model file (object: the
 * file), and a cycle (object: the stage's folder). */
int flow_deps_load(const char *models_dir, const char *stage, struct flow_deps *out,
                   struct sl_err *err);

/* Whether any model of the stage reads model `job`. */
int flow_deps_is_read(const struct flow_deps *d, int job);

void flow_deps_free(struct flow_deps *d);

#endif
