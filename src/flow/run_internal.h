/*
 * run_internal.h — what the phases of a run share (private to src/flow).
 *
 * A run is one `struct run`, owned by flow_run (run.c), which calls the
 * steps of its table in order: run_snapshot and run_export, then
 * run_register_raw (export.c), run_stage per stage (stage.c), run_publish
 * and run_retention (publish.c).  Each step returns SL_OK or SL_ERROR with
 * *err, and records its tasks in the run state through run_task_state.
 *
 * Threads: the caller of a step is the leader.  Export chunks and models run
 * on the pool's workers (pool.h); each worker owns one source reader
 * (readers[w]) and everything of the chunk it is writing.  Workers write
 * results only into their own job's slot (results[job]); the leader reads a
 * slot in the pool's FLOW_DONE event (the pool's mutex orders the two) or
 * after the pool returns, and alone records state and prints progress.
 */
#ifndef SL_FLOW_RUN_INTERNAL_H
#define SL_FLOW_RUN_INTERNAL_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "config/config.h"
#include "engine/engine.h"
#include "lake/dataset.h"
#include "flow/deps.h"
#include "flow/models.h"
#include "flow/state.h"
#include "parquet/writer.h"
#include "source/source.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/err.h"

#define BATCH_ROWS             8192
#define BATCH_MAX_COLUMN_BYTES (1u << 30)

/* run_interrupt_signal's value once run.timeouts.run has passed: every
 * check of the flag stops the run as a signal would, and flow_run tells
 * the two apart at the end (a timed-out run failed; exit 1, not 128+N). */
#define RUN_TIMED_OUT SIGALRM

/* The cancel token tag of attempt `attempt` of job `job` (util/cancel.h). */
#define RUN_ATTEMPT_TAG(job, attempt) (((long)(job) << 32) | (long)(unsigned)(attempt))

struct job_result {
    int64_t rows, bytes;
    double seconds;
    double started, ended; /* wall clock, for a table's span over its chunks */
    uint32_t crc32;
};

/*
 * SNAPLAKE_FAULT — the test switch (for tests only; docs/resume.md "Test
 * switches").  Several switches are separated by ';', e.g.
 * "model:daily:1:permanent;pause:publish".  A switch is one of:
 *
 *   export:<dataset>:<n>[:permanent]   the first n attempts of each chunk of
 *                                      that dataset ("*": every dataset) fail;
 *                                      <dataset>/<part>: that chunk only
 *   model:<name>:<n>[:permanent]       the first n attempts of that model
 *                                      (either stage; "*": every model) fail
 *   snapshot:<n>[:permanent]           the first n attempts to open the source
 *   publish:<n>[:permanent]            the first n attempts of publish fail
 *                                      after the manifest is written, just
 *                                      before the catalog switch
 *   retention:<n>[:permanent]          retention (a warning: already published)
 *
 * An injected failure is transient (retried under run.retry where the task
 * kind retries: snapshot, export chunks), except with :permanent, where the
 * n-th attempt fails permanently (the ones before it transiently), so no
 * retry follows it.  Models and publish have one attempt per run.
 *
 *   clock:<unix seconds>   the run id's clock, so a test can start runs in
 *                          one second (make_run_id); the deadline's clock
 *                          starts there at t0 (deadline.h)
 *   pause:<point>[,<point>…]  wait at those points until a signal (at most a
 *                          minute), so a test can interrupt or kill the run
 *                          there.  Points: a step's name (before it; "models"
 *                          before stage1); "batch" (in every export chunk,
 *                          after its first batch); "manifest" (the manifest's
 *                          temp file written, not yet renamed into place);
 *                          "switched" (after the catalog switch, before
 *                          `current`); "ending" (a run ending interrupted,
 *                          before it records so: until the next signal)
 *   snapshot:slow          SQLite's snapshot copy goes slowly (source/sqlite.c)
 */
#define RUN_FAULTS 8

struct run_fault {
    char kind[16];    /* export, model, snapshot, publish, retention */
    char target[128]; /* dataset or model name, "*" for every one */
    int attempts;     /* attempts 1..attempts fail */
    int permanent;    /* the last of them fails permanently */
};

struct run {
    const struct sl_config *cfg;
    int export_only;
    char run_id[32];
    char failed_task[300]; /* the first task recorded as failed, for the hook */
    char tmp_dir[PATH_MAX];
    struct flow_state *state;
    struct store store;
    struct source source;
    struct catalog catalog;
    struct engine engine;
    struct pq_options pq;
    double t0;
    /* One per worker (cfg->jobs): the pools' cancels (time limits,
     * interrupts) reach the attempt running on that worker through it. */
    struct sl_cancel *cancel;

    /* resume (docs/resume.md): the run goes on from its recorded tasks.
     * same_snapshot: the source reopened the very snapshot of the first
     * attempt (SQLite's kept copy); reuse: done export chunks are kept (same
     * snapshot, export phase finished, or mixed snapshots allowed). */
    int resuming, same_snapshot, allow_mixed, reuse;
    struct flow_chunk_record *recorded; /* the recorded export chunks */
    int nrecorded;
    /* The identity of the snapshot exported now (flow_snapshot_identity),
     * recorded with each chunk; owned. */
    char *snapshot_identity;

    /* export */
    struct src_table *tables;
    int ntables;
    struct src_chunk *chunks;
    int nchunks;
    void **readers; /* one per worker */
    struct pq_spare **spares; /* one per worker: its last writer's memory */
    struct job_result *results;
    int *chunks_left; /* per table: chunks not done yet (leader only) */

    /* models of the stage being built */
    const char *layer;
    struct flow_model_file *models;
    int nmodels;
    struct flow_deps deps;  /* which of them read which (deps.h) */
    unsigned char *kept;    /* per model: done in the run being resumed, not run again */
    struct model_result *model_results; /* per model: its files and columns */
    int nmodel_results;

    struct lake_dataset *datasets; /* every dataset of this run, in order */
    int ndatasets;

    /* The first failure to record an output in the run state, seen by an
     * event callback (which cannot return it); the step fails with it after
     * its pool (run_record_check). */
    int record_failed;
    struct sl_err record_err;

    /* The test switch SNAPLAKE_FAULT (fault.c), read once before any
     * thread: injected failures, the run's clock, pause points. */
    struct run_fault faults[RUN_FAULTS];
    int nfaults;
    time_t fault_clock; /* clock:<unix seconds>, else 0 */
    char fault_pause[64]; /* pause:<point>[,<point>…], else "" */
    bool pipe_writes;     /* each chunk written on a thread of its own (export.c use_pipe) */
    /* slow:<dataset>:<n>: the first n attempts of that dataset's chunks
     * hang after their first batch until they are cancelled (at most a
     * minute), as a chunk stuck in the server would. */
    char slow_dataset[128];
    int slow_attempts;
};

/* The stop flag the pools watch (set by flow_interrupt_install's handlers). */
extern volatile sig_atomic_t run_interrupt_signal;

/* Read SNAPLAKE_FAULT into r (fault.c); once, before any thread. */
void run_fault_read(struct run *r);

/* SNAPLAKE_FAULT=pause:<point>: when point is the one named, wait there
 * until a signal arrives (at most a minute). */
void run_fault_pause(struct run *r, const char *point);

/* An injected failure for this attempt (1 = first) of the task of `kind`
 * ("export", "model", "snapshot", "publish", "retention") and `target` (its
 * dataset or model name; "" when the kind has none): SL_ERROR with *err
 * naming `object`, else SL_OK. */
int run_fault_inject(struct run *r, const char *kind, const char *target, const char *object,
                     int attempt, struct sl_err *err);

/* Wall-clock seconds. */
double run_now(void);

/* Why a task stopped once the stop flag is set: "interrupted", or
 * "stopped: the run timed out (run.timeouts.run)". */
const char *run_stop_reason(void);

/* A time limit for messages: "30 s", "0.5 s". */
const char *run_seconds(double s, char *buf, size_t size);

/* Record a task's state in the run state; a failure to record is a warning
 * (the run goes on).  The first failed task is kept for the hook. */
void run_task_state(struct run *r, const char *id, const char *kind, const char *name,
                    const char *state, int attempts, int64_t rows, int64_t bytes,
                    const struct sl_err *e);

/* Keep the first failure to record an output (leader only); then, after
 * the pool: SL_ERROR with that failure in *err, or SL_OK. */
void run_record_failed(struct run *r, const struct sl_err *e);
int run_record_check(struct run *r, struct sl_err *err);

/* Datasets of the run (export.c): add one (its files follow with
 * run_add_file), and make it known to the engine and the catalog. */
int run_add_dataset(struct run *r, const char *layer, const char *name,
                    const struct sl_schema *schema, struct lake_dataset **out, struct sl_err *err);
int run_add_file(struct lake_dataset *d, const char *path, const struct job_result *res,
                 struct sl_err *err);
int run_register_dataset(struct run *r, const struct lake_dataset *d, struct sl_err *err);

/* The steps, in the order of run.c's table.  `arg` is the step's argument
 * from the table (the stage's name for run_stage), else NULL. */
int run_snapshot(struct run *r, const char *arg, struct sl_err *err);
int run_export(struct run *r, const char *arg, struct sl_err *err);
int run_register_raw(struct run *r, const char *arg, struct sl_err *err);
int run_stage(struct run *r, const char *layer, struct sl_err *err);
void run_free_model_results(struct run *r);
int run_publish(struct run *r, const char *arg, struct sl_err *err);
/* Set `current` and the state to the run the catalog publishes (after a
 * kill between the catalog switch and `current`); with the lock held. */
int run_recover_published(struct run *r, struct sl_err *err);
int run_retention(struct run *r, const char *arg, struct sl_err *err);

/* Remove the files of failed and interrupted runs that cannot be resumed
 * any more (a run up to `upto` published after them): their dataset
 * folders in the lake (whatever is in them, *.tmp-* files of unfinished
 * writes too) and any manifest; record them cleaned.  Adds to *removed. */
int run_clean_abandoned(struct run *r, const char *upto, int *removed, struct sl_err *err);

#endif
