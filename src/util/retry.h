/*
 * retry.h — a retry policy: how often and how long to wait before trying a
 * failed task again.  The knobs are those of AWS Step Functions' Retry
 * field, so that teams moving from it find what they know:
 *
 *   max_attempts   tries in all, the first one included (1 = no retry);
 *   interval       seconds before the first retry;
 *   backoff_rate   each further wait is the previous one times this (≥ 1);
 *   max_delay      no wait is longer than this many seconds.
 *
 * The wait before attempt k+1 (after attempt k failed) is
 *   min(max_delay, interval · backoff_rate^(k-1) · jitter),  jitter in [0.5, 1.5)
 * so that workers that failed together do not retry together.
 *
 * Filled from snaplake.yml's run.retry (config.c) and obeyed by the worker
 * pool (flow/pool.c), which alone decides retries.  Only transient errors
 * are retried (err.h).
 */
#ifndef SL_UTIL_RETRY_H
#define SL_UTIL_RETRY_H

struct sl_retry {
    int max_attempts;    /* ≥ 1 */
    double interval;     /* seconds, ≥ 0 */
    double backoff_rate; /* ≥ 1 */
    double max_delay;    /* seconds, ≥ 0 */
};

/* Step Functions' defaults are 3 attempts, 1 s, ×2; snaplake keeps its own
 * (4 attempts = run.retries 3, 0.5 s, ×2, at most 30 s), which a night of
 * restarting database servers has shown to be enough. */
#define SL_RETRY_DEFAULT ((struct sl_retry){4, 0.5, 2.0, 30.0})

#endif
