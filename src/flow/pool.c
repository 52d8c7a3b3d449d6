/*
 * pool.c — see pool.h.
 *
 * Protocol (one mutex guards everything in struct pool):
 *   queue      jobs ready to start, each with a not-before time (backoff);
 *   running    number of jobs inside a worker;
 *   events     a FIFO of worker → leader messages (started, finished+error);
 *   stopping   set by the leader after a final failure: workers take no
 *              new job and exit when the queue is drained of what they hold.
 * Workers wait on `work_cv`; the leader waits on `leader_cv`.  With a stop
 * flag (opt->stop, set by a signal handler, which cannot signal a condition
 * variable) every wait is at most STOP_POLL seconds, so that both see it.
 */
#include "flow/pool.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STOP_POLL 0.2

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
    int attempt;     /* 1-based */
    double not_before; /* CLOCK_MONOTONIC seconds */
};

struct message {
    int job, attempt;
    int finished; /* 0 = started */
    int rc;
    struct sl_err err;
};

struct pool {
    const struct flow_pool_options *opt;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, leader_cv;
    struct entry *queue;
    int qlen;
    struct message *events;
    int elen, ecap;
    int stopping;
    int remaining; /* jobs not yet finally done or failed */
    int active;    /* workers still taking jobs */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
        memmove(&p->queue[pick], &p->queue[pick + 1], sizeof *p->queue * (size_t)(p->qlen - pick - 1));
        p->qlen--;
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
            p->active--;
            pthread_cond_signal(&p->work_cv);
            break;
        }
        if (m.rc == FLOW_WORKER_RETIRE)
            m.rc = SL_ERROR; /* the last worker: an ordinary transient failure */
        /* A final failure stops new work at once, before the leader reads it. */
        if (m.rc && !(m.err.transient && e.attempt <= p->opt->retries))
            p->stopping = 1;
        post(p, &m);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int flow_pool_run(const struct flow_pool_options *opt, int njobs, const int *order,
                  struct sl_err *err)
{
    if (njobs == 0)
        return SL_OK;
    struct pool p = {.opt = opt, .remaining = njobs};
    int workers = opt->workers < 1 ? 1 : opt->workers;
    if (workers > njobs)
        workers = njobs;
    double base = opt->backoff_base > 0 ? opt->backoff_base : 0.5;
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    struct worker_arg *args = calloc((size_t)workers, sizeof *args);
    p.queue = calloc((size_t)njobs, sizeof *p.queue);
    if (!threads || !args || !p.queue) {
        free(threads);
        free(args);
        free(p.queue);
        return sl_err_set(err, false, "flow", "", "out of memory");
    }
    for (int i = 0; i < njobs; i++)
        p.queue[p.qlen++] = (struct entry){.job = order ? order[i] : i, .attempt = 1};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work_cv, NULL);
    pthread_cond_init(&p.leader_cv, NULL);
    int started = 0, failed = 0, interrupted = 0;
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
            p.stopping = 1;
            p.remaining -= p.qlen;
            p.qlen = 0;
            pthread_cond_broadcast(&p.work_cv);
            if (!failed)
                failed = 1, interrupted = 1;
            continue;
        }
        if (p.elen == 0) {
            if (opt->stop)
                wait_for(&p.leader_cv, &p.mu, STOP_POLL);
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
        int requeue = 0;
        if (!m.finished)
            ev = FLOW_STARTED;
        else if (m.rc == SL_OK)
            ev = FLOW_DONE;
        else if (m.err.transient && m.attempt <= opt->retries && !failed && !stop_requested(opt))
            ev = FLOW_RETRYING, requeue = 1;
        else
            ev = FLOW_FAILED;
        if (opt->event)
            opt->event(opt->arg, m.job, ev, m.attempt, m.finished && m.rc ? &m.err : NULL);
        pthread_mutex_lock(&p.mu);
        if (requeue) {
            double delay = base * (double)(1 << (m.attempt - 1 > 6 ? 6 : m.attempt - 1));
            if (delay > 30)
                delay = 30;
            delay *= 0.5 + (double)rand_r(&seed) / RAND_MAX; /* jitter: ×0.5 … ×1.5 */
            sl_debug("job %d: attempt %d in %.2f s (backoff)", m.job, m.attempt + 1, delay);
            p.queue[p.qlen++] =
                (struct entry){.job = m.job, .attempt = m.attempt + 1, .not_before = now_s() + delay};
            pthread_cond_signal(&p.work_cv);
        } else if (m.finished) {
            p.remaining--;
            if (ev == FLOW_FAILED && !failed) {
                failed = 1;
                *err = m.err;
                /* Stop handing out work; jobs already running still report. */
                p.stopping = 1;
                p.remaining -= p.qlen;
                p.qlen = 0;
                pthread_cond_broadcast(&p.work_cv);
            }
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
    free(p.events);
    free(p.queue);
    free(threads);
    free(args);
    if (interrupted) /* jobs that ended early after the stop said so too: not the cause */
        sl_err_set(err, false, "run", "", "interrupted");
    return failed ? SL_ERROR : SL_OK;
}
