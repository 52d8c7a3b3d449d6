/*
 * pool.h — a leader and N workers running jobs as data.
 *
 * The calling thread is the leader: it hands job numbers to workers, receives
 * every event (started, retrying, done, failed, skipped) and is the only
 * thread that records state, so the event callback needs no locking.  The
 * leader alone decides retries, by the retry policy (util/retry.h): a job
 * whose error is transient runs again, up to max_attempts in all, after
 * min(max_delay, interval · backoff_rate^(attempt-1) · jitter); a permanent
 * error, or attempts used up, stops the pool from starting new jobs, lets
 * running ones finish, and returns the first failure.
 *
 * A job may name jobs it waits for (`after`): it is handed out only once
 * every one of them is done.  When one of them fails, the job and everything
 * waiting on it (transitively) never runs: each gets a FLOW_SKIPPED event.
 * Jobs that merely had not started when the pool stopped get no event, as
 * without dependencies.
 *
 * Time limits (run.timeouts): with opt->timeout, an attempt that runs longer
 * is cancelled — opt->cancel is called for it, on the leader — and so is
 * every running attempt once a stop is requested.  The call is repeated
 * every second while the attempt still runs (a cancel that reached the work
 * between two blocking calls, or before the first, is tried again).  The
 * work function is expected to end soon after and to say why in its error;
 * whether a timed-out attempt is retried is its error's transient flag, as
 * for any failure.  The pool cannot stop a work function that ignores the
 * cancel: it waits for it.
 */
#ifndef SL_FLOW_POOL_H
#define SL_FLOW_POOL_H

#include <signal.h>

#include "util/err.h"
#include "util/retry.h"

enum flow_event { FLOW_STARTED, FLOW_RETRYING, FLOW_DONE, FLOW_FAILED, FLOW_SKIPPED };

/* A work function returns this (with err filled, transient) when its worker
 * cannot take part — say the database refused the worker's connection while
 * the others hold theirs.  The job goes back to the queue as it was and the
 * worker stops; the last worker left cannot stop, and its job counts as a
 * transient failure instead. */
#define FLOW_WORKER_RETIRE 1

/* Run job `job` on worker `worker` (0 … workers-1).  Called concurrently.
 * Returns 0, SL_ERROR, or FLOW_WORKER_RETIRE. */
typedef int (*flow_work_fn)(void *arg, int job, int worker, int attempt, struct sl_err *err);
/* Called on the leader for each event; err is set for RETRYING and FAILED,
 * and for SKIPPED it is the failure of the job it waited for.  attempt is 0
 * for SKIPPED. */
typedef void (*flow_event_fn)(void *arg, int job, enum flow_event ev, int attempt,
                              const struct sl_err *err);
/* Stop attempt `attempt` of job `job`, running on `worker`, now (see
 * "Time limits" above).  Called on the leader without the pool's lock, so
 * the attempt may have ended meanwhile: the callee must then do nothing
 * (util/cancel.h's tags do that). */
typedef void (*flow_cancel_fn)(void *arg, int job, int worker, int attempt);

/* The jobs one job waits for. */
struct flow_job_after {
    int n;
    const int *jobs;
};

struct flow_pool_options {
    int workers;
    struct sl_retry retry; /* max_attempts 0 = SL_RETRY_DEFAULT */
    /* NULL, or one entry per job: job j starts after after[j].jobs are done.
     * A cycle, or a job number out of range, is refused before any job runs. */
    const struct flow_job_after *after;
    flow_work_fn work;
    flow_event_fn event; /* may be NULL */
    void *arg;
    /* When set and *stop becomes non-zero (a signal handler sets it), the
     * pool hands out no more jobs and drops those queued, lets running jobs
     * end (their work function sees the flag too and returns early), and
     * returns SL_ERROR ("interrupted").  Checked at least every 0.2 s.  NULL:
     * never stopped. */
    const volatile sig_atomic_t *stop;
    /* Seconds an attempt may run before it is cancelled; 0 = no limit. */
    double timeout;
    /* NULL, or how to cancel a running attempt (on a timeout or a stop). */
    flow_cancel_fn cancel;
};

/* Run jobs in the order given by `order` (job numbers; NULL = 0…njobs-1);
 * a job that waits for others starts when the last of them is done.
 * Returns 0 when every job succeeded; else SL_ERROR with the first failure
 * in *err (its object prefixed by nothing: the work function names it). */
int flow_pool_run(const struct flow_pool_options *opt, int njobs, const int *order,
                  struct sl_err *err);

/* The wait in seconds before the attempt after `failed_attempt` (1-based)
 * under `policy`, for a jitter factor in [0.5, 1.5).  Public for the tests. */
double flow_retry_delay(const struct sl_retry *policy, int failed_attempt, double jitter);

#endif
