/*
 * cancel.h — a cancellation token: how one thread stops a blocking call
 * that another thread is in.
 *
 * A worker begins an attempt with sl_cancel_begin (its tag: which attempt
 * this is), and around each call that may block for long — a COPY waiting
 * for the server, sqlite3_step, a DuckDB query — arms the token with a
 * function that stops that call (PQcancel, sqlite3_interrupt,
 * duckdb_interrupt) and disarms it before the handle goes away.  Another
 * thread (the pool's leader, flow/pool.h) fires the token for a tag: when
 * the tag is still the attempt running, the token is marked fired and the
 * armed function runs, under the token's lock, so a handle is never used
 * after it was disarmed.  A fire for an attempt that has ended (the worker
 * moved on) does nothing.  The worker then sees sl_cancel_fired and says
 * why its call failed (timed out, interrupted).
 */
#ifndef SL_UTIL_CANCEL_H
#define SL_UTIL_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>

typedef void (*sl_cancel_fn)(void *handle);

struct sl_cancel {
    pthread_mutex_t mu; /* guards tag, fn and handle */
    long tag;           /* the attempt running, -1 = none */
    sl_cancel_fn fn;    /* armed: stops the call now running on handle */
    void *handle;
    atomic_int fired;
};

void sl_cancel_init(struct sl_cancel *c);
void sl_cancel_destroy(struct sl_cancel *c);

/* A new attempt `tag` (≥ 0) starts on this token: not fired, not armed. */
void sl_cancel_begin(struct sl_cancel *c, long tag);
/* The attempt ended: later fires for it do nothing. */
void sl_cancel_end(struct sl_cancel *c);

/* Arm with fn(handle); returns 1 when the attempt was already fired (the
 * caller should not start the call), else 0.  fn must be safe to call from
 * another thread while the call runs (and when it has just returned). */
int sl_cancel_arm(struct sl_cancel *c, sl_cancel_fn fn, void *handle);
/* After this returns, fn is not running and will not be called. */
void sl_cancel_disarm(struct sl_cancel *c);

/* From another thread: stop attempt `tag` if it still runs.  May be
 * called again (a fire that came between two armed calls is not lost: the
 * flag stays, and the next arm reports it). */
void sl_cancel_fire(struct sl_cancel *c, long tag);

/* Whether the current attempt was fired. */
int sl_cancel_fired(struct sl_cancel *c);

#endif
