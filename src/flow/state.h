/*
 * state.h — run history in SQLite (<config dir>/.snaplake/state.db).
 *
 * Written as things happen, in WAL mode, so `snaplake status` can read it
 * while a run is going and after a crash.  Only the leader thread writes.
 *
 * Schema (schema_version in table meta; the history of versions and the
 * migration of older files are in state.c; docs/state.md describes it):
 * runs, tasks (snapshot, export chunks with their bounds, models, publish,
 * retention), datasets (with their schema as JSON) and files (path, rows,
 * bytes, crc32) — everything the manifest holds.
 * Times are Unix seconds (REAL).  States: pending, running, retrying, done,
 * failed, skipped, interrupted (a run, or its running tasks, whose process
 * ended without recording the end: killed, crashed, machine stopped; the
 * next run records it so, and `status` shows it so as soon as no run holds
 * the run lock).
 *
 * A damaged file (PRAGMA quick_check fails, or SQLite says "malformed" or
 * "not a database") is refused with FLOW_STATE_DAMAGED; FLOW_STATE_NEW_IF_DAMAGED
 * moves it to <path>.corrupt-<UTC time> and starts a new, empty history.  The
 * lake's manifests and catalog, not this file, say what was published.
 */
#ifndef SL_FLOW_STATE_H
#define SL_FLOW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lake/dataset.h"
#include "util/err.h"

#define FLOW_STATE_SCHEMA_VERSION 4

struct flow_state;

#define FLOW_STATE_CREATE         1 /* create the file and its folder when missing */
#define FLOW_STATE_NEW_IF_DAMAGED 2 /* set a damaged file aside, start a new one */
#define FLOW_STATE_DAMAGED        2 /* returned (with *err) for a damaged file */

#define FLOW_STATE_INTERRUPTED_ERROR                                                               \
    "the run ended without finishing (the process was killed or crashed, or the machine stopped)"

/* Open the state database (flags above).  Returns SL_OK, SL_ERROR, or
 * FLOW_STATE_DAMAGED (not set aside). */
int flow_state_open(const char *path, int flags, struct flow_state **out, struct sl_err *err);
void flow_state_close(struct flow_state *s);

int flow_state_run_begin(struct flow_state *s, const char *run_id, const char *source,
                         const char *lake, struct sl_err *err);
/* Record the run's end (state done, failed or interrupted); its tasks not
 * finished then are recorded so too: running and retrying ones as
 * interrupted or failed (as the run), pending ones as interrupted or
 * skipped. */
int flow_state_run_end(struct flow_state *s, const char *run_id, const char *state, int64_t rows,
                       int64_t bytes, const char *error, struct sl_err *err);

/* The snapshot's identity, once taken: the source's type name, its
 * describe() text (JSON, may be NULL) and when it was taken.  taken_at 0
 * keeps the recorded time (the facts again, after the export added to them). */
int flow_state_run_snapshot(struct flow_state *s, const char *run_id, const char *source_type,
                            const char *snapshot, double taken_at, struct sl_err *err);

/* The snapshot text recorded for a run into *out (malloc'd, caller frees;
 * NULL when none), and, when taken_at is not NULL, when it was taken (0:
 * not recorded). */
int flow_state_get_snapshot(struct flow_state *s, const char *run_id, char **out,
                            double *taken_at, struct sl_err *err);

/* An export chunk's plan: its dataset, part number and bounds in the
 * source's split key (whole table, or [lo, hi) as the source's text, kept
 * as is; NULL = open end). */
struct flow_task_chunk {
    const char *dataset;
    int index;
    int whole;
    const char *lo, *hi;
    int64_t est_rows;
    /* The identity of the snapshot the chunk is exported in (a JSON object,
     * flow_snapshot_identity), or NULL: a resume with mixed snapshots keeps
     * chunks of another one, and the manifest names each table's. */
    const char *snapshot;
};

/* Record the plan of an export task (recorded before with flow_state_task). */
int flow_state_task_chunk(struct flow_state *s, const char *run_id, const char *task_id,
                          const struct flow_task_chunk *c, struct sl_err *err);

/* A dataset of a run as recorded: what the manifest says of it.  rows,
 * bytes and file[] are the sums and list of its recorded files. */
struct flow_dataset_record {
    char layer[8];
    char name[128];
    char prefix[PATH_MAX];
    char location[PATH_MAX];
    char *source_table;  /* raw datasets: "schema.table", else NULL */
    int64_t source_rows; /* with source_table: count (rows_exact) or estimate */
    int rows_exact;
    char *schema_json; /* the columns as a JSON array, or NULL */
    int64_t rows, bytes;
    int files;
    struct lake_file *file;
    char **file_snapshot; /* per file: its export chunk's snapshot identity, or NULL */
};

/* Insert or update a dataset of a run (rows, bytes, files ignored: they come
 * from flow_state_file).  The first record fixes its place in the order. */
int flow_state_dataset(struct flow_state *s, const char *run_id,
                       const struct flow_dataset_record *d, struct sl_err *err);

/* Record a file written by task_id for dataset layer/name (replacing a
 * record of the same path). */
int flow_state_file(struct flow_state *s, const char *run_id, const char *task_id,
                    const char *layer, const char *dataset, const struct lake_file *f,
                    struct sl_err *err);

/* The datasets of a run in the order first recorded, each with its files
 * (in part order), into *out and *n; free with flow_state_datasets_free. */
int flow_state_datasets(struct flow_state *s, const char *run_id, struct flow_dataset_record **out,
                        int *n, struct sl_err *err);
void flow_state_datasets_free(struct flow_dataset_record *d, int n);

/* ---- resume ---- */

/* The run --resume continues: run_id when given (it must be failed or
 * interrupted), else the newest run when it is failed or interrupted.  Into
 * out: the id, or "" with a sentence saying why into why[why_size]. */
int flow_state_resumable(struct flow_state *s, const char *run_id, char *out, size_t size,
                         char *why, size_t why_size, struct sl_err *err);

/* The runs before `before` (a run id) that failed or were interrupted and
 * that a later run up to `before` (itself, being published, included)
 * superseded by publishing: they cannot be
 * resumed any more, and their files were not removed yet.  *ids is
 * malloc'd (caller frees). */
int flow_state_abandoned(struct flow_state *s, const char *before, char (**ids)[32], int *n,
                         struct sl_err *err);

/* The store prefixes (layer/name/run=ID) of a run's datasets; *out malloc'd. */
int flow_state_prefixes(struct flow_state *s, const char *run_id, char (**out)[PATH_MAX], int *n,
                        struct sl_err *err);

/* Record that the files of a run were removed. */
int flow_state_mark_cleaned(struct flow_state *s, const char *run_id, struct sl_err *err);

/* Record the run going again (running, no end, no error). */
int flow_state_run_resume(struct flow_state *s, const char *run_id, struct sl_err *err);

/* An export chunk as recorded: plan, state, and its file when done. */
struct flow_chunk_record {
    char dataset[128];
    int index, whole;
    char *lo, *hi; /* the bounds' text as the source wrote it, NULL = open; malloc'd */
    int64_t est_rows;
    int done; /* state done and its file recorded */
    struct lake_file file;
};

/* The recorded export chunks of a run into *out and *n; free with
 * flow_state_chunks_free. */
int flow_state_chunks(struct flow_state *s, const char *run_id, struct flow_chunk_record **out,
                      int *n, struct sl_err *err);
void flow_state_chunks_free(struct flow_chunk_record *c, int n);

/* 1 when task_id of run_id is done with its file recorded (into *f), else 0. */
int flow_state_task_output(struct flow_state *s, const char *run_id, const char *task_id,
                           struct lake_file *f);

/* Forget a run's export chunks and raw files (they are exported again). */
int flow_state_reset_export(struct flow_state *s, const char *run_id, struct sl_err *err);

struct flow_task_update {
    const char *kind; /* snapshot, export, stage1, stage2, publish, retention */
    const char *name; /* table part, model … */
    const char *state;
    int attempts;
    int64_t rows, bytes;
    const char *error; /* NULL when none */
};

/* Insert or update one task; sets started_at on the first 'running' and
 * ended_at on done/failed/skipped. */
int flow_state_task(struct flow_state *s, const char *run_id, const char *task_id,
                    const struct flow_task_update *u, struct sl_err *err);

/* Record every run still marked running as interrupted (and its running
 * tasks), with a warning line each.  Called by a run holding the run lock,
 * before it begins: no other run can be going. */
int flow_state_mark_interrupted(struct flow_state *s, struct sl_err *err);
/* run_id was published (the catalog says so) though it ended before
 * recording that: when recorded running, interrupted or failed, record it
 * done with `note` and its publish task done. */
int flow_state_mark_published(struct flow_state *s, const char *run_id, const char *note,
                              struct sl_err *err);

/* Whether the catalog may publish a run the state does not record as done,
 * into *unsettled: true when no run is recorded done (a new history beside
 * a lake that may have runs), or when a run newer than the newest done one
 * began its publish step and did not record its end (killed, or failed, at
 * or after the catalog switch).  False means the newest done run is the
 * published one, and a start need not open the catalog to ask. */
int flow_state_publish_unsettled(struct flow_state *s, bool *unsettled, struct sl_err *err);

/* 1 when a run with this id was ever recorded, else 0. */
int flow_state_run_exists(struct flow_state *s, const char *run_id);

/* The newest run id into out ("" when none). */
int flow_state_last_run(struct flow_state *s, char *out, size_t size, struct sl_err *err);

/* Print the newest `limit` runs, one line each (id, state, start, seconds,
 * rows, bytes, error).  live_run is the run going now (NULL: none); any
 * other run recorded as running is shown as interrupted. */
int flow_state_print_runs(struct flow_state *s, int limit, const char *live_run, FILE *out,
                          struct sl_err *err);

/* Print a run and its tasks as a table, and its state as shown into
 * state[state_size] (live_run as above).  SL_ERROR with "no run …" when
 * unknown. */
int flow_state_print(struct flow_state *s, const char *run_id, const char *live_run, FILE *out,
                     char *state, size_t state_size, struct sl_err *err);

/* The deadline (flow/deadline.h).  A step of the run's table that finished:
 * its start and end (Unix seconds), replacing an earlier record of it. */
int flow_state_step(struct flow_state *s, const char *run_id, const char *step, double started,
                    double ended, struct sl_err *err);

/* The median duration of `step` (seconds) over the newest `last` (at most
 * 64) done runs that recorded it, into *median; returns how many runs it
 * was taken over (0: no history, *median 0). */
int flow_state_step_median(struct flow_state *s, const char *step, int last, double *median);

/* Record a run's deadline and its newest predicted end (Unix seconds;
 * predicted_end 0: none). */
int flow_state_run_deadline(struct flow_state *s, const char *run_id, double deadline_at,
                            double predicted_end, struct sl_err *err);

/* 1 with a run's recorded deadline, predicted end (0: none) and end (0: not
 * ended) when it has a deadline; else 0. */
int flow_state_get_deadline(struct flow_state *s, const char *run_id, double *deadline_at,
                            double *predicted_end, double *ended_at);

#endif
