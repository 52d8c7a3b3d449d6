/*
 * run.h — one nightly run, end to end.
 *
 *   snapshot → export chunks (parallel) → register raw → stage-1 models
 *   (parallel) → stage-2 models (parallel) → manifest → publish → retention
 *
 * Every step is a task in the run state (state.h); a failure anywhere stops
 * the run before publish, so the previous run stays the published one.
 */
#ifndef SL_FLOW_RUN_H
#define SL_FLOW_RUN_H

#include <stdio.h>

#include "config/config.h"
#include "util/err.h"

struct flow_run_options {
    FILE *out;            /* summary lines; NULL = silent */
    int export_only;      /* no stage models: snapshot, export, publish the raw layer */
    int new_history;      /* a damaged run history is moved aside, a new one started */
    char run_id[32];      /* filled: the run's id */
};

/* Returns 0 when the run was published; SL_ERROR with *err otherwise. */
int flow_run(const struct sl_config *cfg, struct flow_run_options *opt, struct sl_err *err);

/* 1 when a run of this project holds the run lock now (is going), else 0. */
int flow_run_active(const struct sl_config *cfg);

/* Append to a FLOW_STATE_DAMAGED error the command that sets the file aside. */
void flow_state_damaged_hint(const struct sl_config *cfg, struct sl_err *err);

/* "<config dir>/.snaplake/state.db" into out. */
void flow_state_path(const struct sl_config *cfg, char *out, size_t size);

#endif
