/*
 * pool.c — see pool.h.
 *
 * Protocol (one mutex guards everything in struct pool):
 *   queue      jobs ready to start, each with a not-before time (backoff);
 *   state[j]   where job j is: HELD (waits for jobs not done yet), QUEUED,
 *              RUNNING, or final: DONE, FAILED, SKIPPED (a job it waits for
 *              failed), DROPPED (not started when the pool stopped);
 *   waiting[j] how many of a HELD job's prerequisites are not done yet;
 *   events     a FIFO of worker → leader messages (started, finished+error);
 *   remaining  jobs that have not reached a final state and still will;
 *   stopping   set after a final failure or a stop request: workers take no
 *              new job and exit, the leader drops what is queued or held.
 * Workers take QUEUED jobs (→ RUNNING) and post messages; everything else
 * is the leader's: it re-queues a retry, marks jobs final, moves a HELD job
 * to the queue when its last prerequisite is DONE, and marks SKIPPED what
 * waits (directly or not) on a FAILED job.  Workers wait on `work_cv`; the
 * leader waits on `leader_cv`.  Dependencies are checked for cycles before
 * any thread starts, so a HELD job always has a prerequisite that can still
 * finish, and the pool cannot wait for ever.  With a stop flag (opt->stop,
 * set by a signal handler, which cannot signal a condition variable) every
 * wait is at most STOP_POLL seconds, so that the leader and workers see it.
 *
 * Cancels (opt->cancel): a worker that takes a job notes its worker index,
 * attempt and start time in the job's slot; the leader, at every wake-up
 * (at most STOP_POLL apart, sooner when a limit is nearer), cancels the
 * RUNNING attempts past opt->timeout, or all of them after a stop, at most
 * once every CANCEL_REPEAT seconds each.  A watchdog in the leader rather
 * than a deadline checked by each worker: a worker blocked in a server call
 * (a COPY waiting for a lock, a long DuckDB query) checks nothing until the
 * call returns, so another thread must stop the call.
 */
#include "flow/pool.h"
#include "util/log.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum job_state { J_HELD, J_QUEUED, J_RUNNING, J_DONE, J_FAILED, J_SKIPPED, J_DROPPED };

#define STOP_POLL     0.2
#define CANCEL_REPEAT 1.0

static int stop_requested(const struct flow_pool_options *opt)
{
    return opt->stop && *opt->stop;
}

/* Wait on cv until it is signalled or `seconds` passed (mu held). */
static void wait_for(pthread_cond_t *cv, pthread_mutex_t *mu, double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

struct entry {
    int job;
    int attempt;       /* 1-based */
    double not_before; /* CLOCK_MONOTONIC seconds */
};

struct running {
    int worker, attempt;
    double started;   /* CLOCK_MONOTONIC seconds */
    double cancelled; /* last cancel sent, 0 = none */
};

struct message {
    int job, attempt;
    int finished; /* 0 = started */
    int rc;
    struct sl_err err;
};

struct pool {
    const struct flow_pool_options *opt;
    int max_attempts;
    int njobs;
    const int *order; /* njobs job numbers: hand-out order */
    pthread_mutex_t mu;
    pthread_cond_t work_cv, leader_cv;
    struct entry *queue;
    int qlen;
    unsigned char *state; /* enum job_state per job */
    int *waiting;         /* per job */
    struct message *events;
    int elen, ecap;
    int stopping;
    int remaining; /* jobs not yet in a final state that still will be */
    int nslots;    /* state[] size: job numbers may exceed njobs (a subset, on resume) */
    int active;    /* workers still taking jobs */
    struct running *running; /* per job slot: the attempt now RUNNING (for cancels) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double flow_retry_delay(const struct sl_retry *policy, int failed_attempt, double jitter)
{
    if (policy->interval <= 0 || policy->max_delay <= 0)
        return 0;
    /* pow may overflow to +inf for a long run of attempts: the cap takes it. */
    double d = policy->interval * pow(policy->backoff_rate, failed_attempt - 1) * jitter;
    return d > policy->max_delay ? policy->max_delay : d;
}

static void post(struct pool *p, const struct message *m)
{
    /* called with mu held */
    if (p->elen == p->ecap) {
        int cap = p->ecap ? p->ecap * 2 : 64;
        struct message *e = realloc(p->events, sizeof *e * (size_t)cap);
        if (!e)
            abort(); /* a few KiB: nothing sensible to do without them */
        p->events = e;
        p->ecap = cap;
    }
    p->events[p->elen++] = *m;
    pthread_cond_signal(&p->leader_cv);
}

struct worker_arg {
    struct pool *p;
    int index;
};

static void *worker_main(void *varg)
{
    struct worker_arg *wa = varg;
    struct pool *p = wa->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->stopping || p->remaining == 0 || stop_requested(p->opt))
            break;
        /* Take the first entry whose backoff has passed. */
        double t = now_s(), soonest = 0;
        int pick = -1;
        for (int i = 0; i < p->qlen; i++) {
            if (p->queue[i].not_before <= t) {
                pick = i;
                break;
            }
            if (soonest == 0 || p->queue[i].not_before < soonest)
                soonest = p->queue[i].not_before;
        }
        if (pick < 0) {
            double wait = soonest > 0 ? soonest - t : 3600;
            if (p->opt->stop && wait > STOP_POLL)
                wait = STOP_POLL;
            if (soonest > 0 || p->opt->stop)
                wait_for(&p->work_cv, &p->mu, wait);
            else
                pthread_cond_wait(&p->work_cv, &p->mu);
            continue;
        }
        struct entry e = p->queue[pick];
        memmove(&p->queue[pick], &p->queue[pick + 1],
                sizeof *p->queue * (size_t)(p->qlen - pick - 1));
        p->qlen--;
        p->state[e.job] = J_RUNNING;
        p->running[e.job] = (struct running){
            .worker = wa->index, .attempt = e.attempt, .started = now_s()};
        struct message m = {.job = e.job, .attempt = e.attempt};
        post(p, &m);
        pthread_mutex_unlock(&p->mu);

        m.finished = 1;
        m.rc = p->opt->work(p->opt->arg, e.job, wa->index, e.attempt, &m.err);

        pthread_mutex_lock(&p->mu);
        if (m.rc == FLOW_WORKER_RETIRE && p->active > 1) {
            /* Back to the front of the queue, as it was; this worker stops. */
            memmove(&p->queue[1], &p->queue[0], sizeof *p->queue * (size_t)p->qlen);
            p->queue[0] = e;
            p->qlen++;
            p->state[e.job] = J_QUEUED;
            p->active--;
            pthread_cond_signal(&p->work_cv);
            break;
        }
        if (m.rc == FLOW_WORKER_RETIRE)
            m.rc = SL_ERROR; /* the last worker: an ordinary transient failure */
        /* A final failure stops new work at once, before the leader reads it. */
        if (m.rc && !(m.err.transient && e.attempt < p->max_attempts))
            p->stopping = 1;
        post(p, &m);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int waits_for(const struct flow_job_after *a, int job)
{
    int n = 0;
    for (int i = 0; i < a->n; i++)
        n += a->jobs[i] == job;
    return n;
}

/* Kahn's algorithm on a copy of the counts: every job must become ready.
 * Also fills p->waiting and the initial HELD states. */
static int check_after(struct pool *p, struct sl_err *err)
{
    const struct flow_job_after *after = p->opt->after;
    int n = p->njobs, *count = calloc((size_t)n, sizeof *count), *ready = NULL;
    int nready = 0, seen = 0;
    if (!count || !(ready = calloc((size_t)n, sizeof *ready))) {
        free(count);
        return sl_err_set(err, false, "flow", "", "out of memory");
    }
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < after[j].n; i++)
            if (after[j].jobs[i] < 0 || after[j].jobs[i] >= n) {
                free(count);
                free(ready);
                return sl_err_set(err, false, "flow", "",
                                  "job %d waits for job %d, which is not one of the %d jobs", j,
                                  after[j].jobs[i], n);
            }
        p->waiting[j] = count[j] = after[j].n;
        p->state[j] = after[j].n ? J_HELD : J_QUEUED;
        if (!count[j])
            ready[nready++] = j;
    }
    while (nready > 0) {
        int done = ready[--nready];
        seen++;
        for (int k = 0; k < n; k++)
            if (count[k] > 0 && (count[k] -= waits_for(&after[k], done)) == 0)
                ready[nready++] = k;
    }
    free(count);
    free(ready);
    if (seen < n)
        return sl_err_set(err, false, "flow", "", "the jobs wait for each other in a cycle");
    return SL_OK;
}

/* `job` is DONE: queue the HELD jobs that waited for it last, in hand-out order. */
static void release(struct pool *p, int job)
{
    if (!p->opt->after || p->stopping)
        return;
    for (int i = 0; i < p->njobs; i++) {
        int k = p->order[i];
        if (p->state[k] != J_HELD || (p->waiting[k] -= waits_for(&p->opt->after[k], job)) > 0)
            continue;
        p->state[k] = J_QUEUED;
        p->queue[p->qlen++] = (struct entry){.job = k, .attempt = 1};
        pthread_cond_broadcast(&p->work_cv);
    }
}

/* `job` FAILED: mark SKIPPED every job not started that waits for it, directly
 * or through others; their numbers go to out[].  Returns how many. */
static int skip_dependants(struct pool *p, int job, int *out)
{
    int n = 0;
    if (!p->opt->after)
        return 0;
    out[n++] = job; /* a work list: out[0] is the failed job, dropped at the end */
    for (int w = 0; w < n; w++)
        for (int i = 0; i < p->njobs; i++) {
            int k = p->order[i];
            if ((p->state[k] != J_HELD && p->state[k] != J_DROPPED) ||
                !waits_for(&p->opt->after[k], out[w]))
                continue;
            if (p->state[k] == J_HELD)
                p->remaining--;
            p->state[k] = J_SKIPPED;
            out[n++] = k;
        }
    memmove(out, out + 1, sizeof *out * (size_t)(n - 1));
    return n - 1;
}

/* After the first final failure: nothing queued or held will run. */
static void drop_pending(struct pool *p)
{
    p->stopping = 1;
    for (int k = 0; k < p->nslots; k++)
        if (p->state[k] == J_HELD || p->state[k] == J_QUEUED) {
            p->state[k] = J_DROPPED;
            p->remaining--;
        }
    p->qlen = 0;
    pthread_cond_broadcast(&p->work_cv);
}

/* Cancel the RUNNING attempts past the time limit, or all of them after a
 * stop (see the top of the file); mu held, released around the calls.
 * Returns how long the leader may wait before the next limit passes. */
static double cancel_due(struct pool *p, int *jobs)
{
    const struct flow_pool_options *opt = p->opt;
    double wait = STOP_POLL, t = now_s();
    int stop = stop_requested(opt), n = 0;
    if (!opt->cancel || (opt->timeout <= 0 && !stop))
        return wait;
    for (int k = 0; k < p->nslots; k++) {
        struct running *r = &p->running[k];
        if (p->state[k] != J_RUNNING)
            continue;
        double due = r->cancelled > 0 ? r->cancelled + CANCEL_REPEAT
                     : stop           ? t
                                      : r->started + opt->timeout;
        if (due > t) {
            if (due - t < wait)
                wait = due - t;
            continue;
        }
        r->cancelled = t;
        jobs[n++] = k;
    }
    for (int i = 0; i < n; i++) {
        struct running r = p->running[jobs[i]];
        pthread_mutex_unlock(&p->mu);
        sl_debug("job %d: attempt %d cancelled (%s)", jobs[i], r.attempt,
                 stop ? "stopping" : "time limit");
        opt->cancel(opt->arg, jobs[i], r.worker, r.attempt);
        pthread_mutex_lock(&p->mu);
    }
    return wait < 0.001 ? 0.001 : wait;
}

int flow_pool_run(const struct flow_pool_options *opt, int njobs, const int *order,
                  struct sl_err *err)
{
    if (njobs == 0)
        return SL_OK;
    struct pool p = {.opt = opt, .remaining = njobs, .njobs = njobs};
    struct sl_retry retry = opt->retry.max_attempts > 0 ? opt->retry : SL_RETRY_DEFAULT;
    p.max_attempts = retry.max_attempts;
    int workers = opt->workers < 1 ? 1 : opt->workers;
    if (workers > njobs)
        workers = njobs;
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    struct worker_arg *args = calloc((size_t)workers, sizeof *args);
    int *identity = order ? NULL : calloc((size_t)njobs, sizeof *identity);
    int *skipped = calloc((size_t)njobs + 1, sizeof *skipped);
    p.queue = calloc((size_t)njobs, sizeof *p.queue);
    p.nslots = njobs;
    for (int i = 0; order && i < njobs; i++)
        if (order[i] >= p.nslots)
            p.nslots = order[i] + 1;
    p.state = calloc((size_t)p.nslots, sizeof *p.state);
    p.waiting = calloc((size_t)p.nslots, sizeof *p.waiting);
    p.running = calloc((size_t)p.nslots, sizeof *p.running);
    int *due = calloc((size_t)p.nslots, sizeof *due);
    for (int k = 0; p.state && k < p.nslots; k++)
        p.state[k] = J_DONE; /* numbers that are not jobs of this pool */
    int started = 0, failed = 0, interrupted = 0;
    if (!threads || !args || (!order && !identity) || !skipped || !p.queue || !p.state ||
        !p.waiting || !p.running || !due) {
        failed = 1;
        sl_err_set(err, false, "flow", "", "out of memory");
        goto out;
    }
    for (int i = 0; !order && i < njobs; i++)
        identity[i] = i;
    p.order = order ? order : identity;
    if (opt->after && check_after(&p, err)) {
        failed = 1;
        goto out;
    }
    for (int i = 0; i < njobs; i++) {
        if (opt->after && p.state[p.order[i]] == J_HELD)
            continue;
        p.state[p.order[i]] = J_QUEUED;
        p.queue[p.qlen++] = (struct entry){.job = p.order[i], .attempt = 1};
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work_cv, NULL);
    pthread_cond_init(&p.leader_cv, NULL);
    p.active = workers; /* before any thread runs; corrected below if some did not start */
    for (int i = 0; i < workers; i++) {
        args[i] = (struct worker_arg){.p = &p, .index = i};
        if (pthread_create(&threads[i], NULL, worker_main, &args[i]) == 0)
            started++;
    }
    pthread_mutex_lock(&p.mu);
    p.active -= workers - started;
    pthread_mutex_unlock(&p.mu);
    if (!started) {
        sl_err_set(err, true, "flow", "", "cannot start worker threads");
        failed = 1;
        p.stopping = 1;
    }
    unsigned seed = (unsigned)time(NULL);
    pthread_mutex_lock(&p.mu);
    while (started && p.remaining > 0) {
        if (stop_requested(opt) && !p.stopping) {
            /* Interrupted: no new work; running jobs still report. */
            drop_pending(&p);
            if (!failed)
                failed = 1, interrupted = 1;
            continue;
        }
        double wait = cancel_due(&p, due);
        if (p.elen == 0) {
            if (opt->stop || (opt->cancel && opt->timeout > 0))
                wait_for(&p.leader_cv, &p.mu, wait);
            else
                pthread_cond_wait(&p.leader_cv, &p.mu);
            continue;
        }
        struct message m = p.events[0];
        memmove(&p.events[0], &p.events[1], sizeof *p.events * (size_t)(p.elen - 1));
        p.elen--;
        /* Callbacks run without the lock: they may write to SQLite. */
        pthread_mutex_unlock(&p.mu);
        enum flow_event ev;
        int requeue = 0, nskipped = 0;
        if (!m.finished)
            ev = FLOW_STARTED;
        else if (m.rc == SL_OK)
            ev = FLOW_DONE;
        else if (m.err.transient && m.attempt < retry.max_attempts && !failed &&
                 !stop_requested(opt))
            ev = FLOW_RETRYING, requeue = 1;
        else
            ev = FLOW_FAILED;
        if (opt->event)
            opt->event(opt->arg, m.job, ev, m.attempt, m.finished && m.rc ? &m.err : NULL);
        pthread_mutex_lock(&p.mu);
        if (requeue) {
            double jitter = 0.5 + (double)rand_r(&seed) / ((double)RAND_MAX + 1);
            double delay = flow_retry_delay(&retry, m.attempt, jitter);
            sl_debug("job %d: attempt %d in %.2f s (backoff)", m.job, m.attempt + 1, delay);
            p.queue[p.qlen++] = (struct entry){
                .job = m.job, .attempt = m.attempt + 1, .not_before = now_s() + delay};
            p.state[m.job] = J_QUEUED;
            pthread_cond_signal(&p.work_cv);
        } else if (m.finished) {
            p.remaining--;
            p.state[m.job] = ev == FLOW_DONE ? J_DONE : J_FAILED;
            if (ev == FLOW_DONE)
                release(&p, m.job);
            if (ev == FLOW_FAILED) {
                nskipped = skip_dependants(&p, m.job, skipped);
                if (!failed) {
                    failed = 1;
                    *err = m.err;
                    /* Stop handing out work; jobs already running still report. */
                    drop_pending(&p);
                }
            }
        }
        if (nskipped && opt->event) {
            pthread_mutex_unlock(&p.mu);
            for (int i = 0; i < nskipped; i++)
                opt->event(opt->arg, skipped[i], FLOW_SKIPPED, 0, &m.err);
            pthread_mutex_lock(&p.mu);
        }
        if (p.remaining == 0)
            pthread_cond_broadcast(&p.work_cv);
    }
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.work_cv);
    pthread_cond_destroy(&p.leader_cv);
out:
    free(p.events);
    free(p.queue);
    free(p.state);
    free(p.waiting);
    free(p.running);
    free(due);
    free(skipped);
    free(identity);
    free(threads);
    free(args);
    if (interrupted) /* jobs that ended early after the stop said so too: not the cause */
        sl_err_set(err, false, "run", "", "interrupted");
    return failed ? SL_ERROR : SL_OK;
}
