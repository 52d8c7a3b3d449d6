/*
 * pool.h — a leader and N workers running jobs as data.
 *
 * The calling thread is the leader: it hands job numbers to workers, receives
 * every event (started, retrying, done, failed) and is the only thread that
 * records state, so the event callback needs no locking.  The leader alone
 * decides retries: a job whose error is transient runs again, up to
 * `retries` more times, after an exponential backoff with jitter
 * (0.5 s · 2^attempt, capped at 30 s); a permanent error, or retries used up,
 * stops the pool from starting new jobs, lets running ones finish, and
 * returns the first failure.
 */
#ifndef SL_FLOW_POOL_H
#define SL_FLOW_POOL_H

#include <signal.h>

#include "util/err.h"

enum flow_event { FLOW_STARTED, FLOW_RETRYING, FLOW_DONE, FLOW_FAILED };

/* A work function returns this (with err filled, transient) when its worker
 * cannot take part — say the database refused the worker's connection while
 * the others hold theirs.  The job goes back to the queue as it was and the
 * worker stops; the last worker left cannot stop, and its job counts as a
 * transient failure instead. */
#define FLOW_WORKER_RETIRE 1

/* Run job `job` on worker `worker` (0 … workers-1).  Called concurrently.
 * Returns 0, SL_ERROR, or FLOW_WORKER_RETIRE. */
typedef int (*flow_work_fn)(void *arg, int job, int worker, int attempt, struct sl_err *err);
/* Called on the leader for each event; err is set for RETRYING and FAILED. */
typedef void (*flow_event_fn)(void *arg, int job, enum flow_event ev, int attempt,
                              const struct sl_err *err);

struct flow_pool_options {
    int workers;
    int retries;
    double backoff_base; /* seconds; default 0.5 */
    flow_work_fn work;
    flow_event_fn event; /* may be NULL */
    void *arg;
    /* When set and *stop becomes non-zero (a signal handler sets it), the
     * pool hands out no more jobs and drops those queued, lets running jobs
     * end (their work function sees the flag too and returns early), and
     * returns SL_ERROR ("interrupted").  Checked at least every 0.2 s.  NULL:
     * never stopped. */
    const volatile sig_atomic_t *stop;
};

/* Run jobs in the order given by `order` (job numbers; NULL = 0…njobs-1).
 * Returns 0 when every job succeeded; else SL_ERROR with the first failure
 * in *err (its object prefixed by nothing: the work function names it). */
int flow_pool_run(const struct flow_pool_options *opt, int njobs, const int *order,
                  struct sl_err *err);

#endif
