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
#include <sys/types.h>

#include "config/config.h"
#include "util/err.h"

struct flow_run_options {
    FILE *out;                 /* unused: the run logs through util/log.h (stderr) */
    int export_only;           /* no stage models: snapshot, export, publish the raw layer */
    int new_history;           /* a damaged run history is moved aside, a new one started */
    int resume;                /* continue a failed or interrupted run (docs/resume.md) */
    const char *resume_id;     /* with resume: that run; NULL: the newest */
    int allow_mixed_snapshots; /* with resume: keep exported chunks of a lost snapshot */
    int nothing_to_resume;     /* filled: resume found nothing to do (said so; result 0) */
    char run_id[32];           /* filled: the run's id */
    int began;                 /* filled: 1 when the run was recorded (hooks run) */
    char failed_task[300];     /* filled: the id of the first task that failed, or "" */
    int interrupted;           /* filled: the signal (SIGINT, SIGTERM) that stopped the run, or 0 */
    int lock_fd;               /* filled: the run lock, still held (flow_run_unlock), or -1 */
};

/* Returns 0 when the run was published (its result line logged); SL_ERROR
 * with *err otherwise, which the caller reports, before flow_run_hook. */
int flow_run(const struct sl_config *cfg, struct flow_run_options *opt, struct sl_err *err);

/* Let go of the run lock flow_run returned holding: after flow_report_save,
 * before flow_run_hook (an on_failure hook may start the next run). */
void flow_run_unlock(struct flow_run_options *opt);

/* After flow_run (and before the hook): the run's HTML report (report.h)
 * into the lake next to its manifest when it was published
 * (_snaplake/runs/<RUN_ID>.html), else into .snaplake/reports/<RUN_ID>.html
 * (flow_report_local_path).  Failing to write it is a warning.  In
 * report_save.c. */
void flow_report_save(const struct sl_config *cfg, const struct flow_run_options *opt,
                      int published);
void flow_report_local_path(const struct sl_config *cfg, const char *run_id, char *out,
                            size_t size);

/* A hook's environment: this process's, without any SNAPLAKE_* variable a
 * hook of ours sets, plus names[i]=values[i] for i < n.  own[n] receives the
 * strings made here.  The caller frees each own[i] and the array; NULL on
 * out of memory (nothing to free then). */
char **flow_hook_environment(const char *const names[], const char *const values[], int n,
                             char *own[]);

/* A hook started with flow_hook_spawn: the spawned shell (its own process
 * group when a limit is set, so a stop reaches what the script started), and
 * the read end of its output when the log is JSON (else -1). */
struct flow_hook {
    pid_t pid;
    int out_fd;
    double started; /* CLOCK_MONOTONIC seconds */
    const char *which, *cmd;
};

/* Start `cmd` with `/bin/sh -c` in the config file's folder with
 * environment `env`; with a JSON log its output is read by flow_hook_wait
 * and logged as "hook WHICH: line" (dropped when `background`).  0 or an
 * errno (the caller warns). */
int flow_hook_spawn(struct flow_hook *h, const struct sl_config *cfg, const char *which,
                    const char *cmd, char **env, int background);

/* Wait for the hook to end, logging its output; past run.timeouts.hook from
 * its start, SIGTERM to its process group, SIGKILL 5 s later, and a warning
 * line.  Then warn about a failed exit status. */
void flow_hook_wait(struct flow_hook *h, const struct sl_config *cfg);

/* After flow_run: run on_success (err NULL) or on_failure (SNAPLAKE_STATUS
 * failed, or interrupted when opt->interrupted) with `/bin/sh -c`
 * in the config file's folder, with SNAPLAKE_RUN_ID, SNAPLAKE_STATUS,
 * SNAPLAKE_ERROR and SNAPLAKE_FAILED_TASK added to its environment, and log
 * its exit status when not 0.  Nothing when the run never began. */
void flow_run_hook(const struct sl_config *cfg, const struct flow_run_options *opt,
                   const struct sl_err *err);

/* SIGINT and SIGTERM stop a run: flow_interrupt_install sets handlers that
 * only record the signal (a second one of either kind then ends the process
 * at once: the handlers reset themselves); workers see it at their next
 * batch or job, and flow_run ends the run as interrupted, publishing
 * nothing.  flow_interrupt_restore puts the default handlers back. */
void flow_interrupt_install(void);
void flow_interrupt_restore(void);
/* The signal received since flow_interrupt_install, or 0. */
int flow_interrupted(void);

/* `snaplake gc`: with the run lock, remove what failed, interrupted and
 * killed runs left and can no longer be resumed (a later run was
 * published): their folders in the lake and .snaplake/tmp.  *removed: how
 * many runs' files were removed. */
int flow_gc(const struct sl_config *cfg, int *removed, struct sl_err *err);

/* The run id the project's catalog publishes (catalog duckdb, read-only),
 * into out; "" when there is no catalog (catalog: none, a fresh lake). */
int flow_published_run(const struct sl_config *cfg, char *out, size_t size, struct sl_err *err);

/* 1 when a run of this project holds the run lock now (is going), else 0. */
int flow_run_active(const struct sl_config *cfg);

/* Append to a FLOW_STATE_DAMAGED error the command that sets the file aside. */
void flow_state_damaged_hint(const struct sl_config *cfg, struct sl_err *err);

/* "<config dir>/.snaplake/state.db" into out. */
void flow_state_path(const struct sl_config *cfg, char *out, size_t size);

#endif
