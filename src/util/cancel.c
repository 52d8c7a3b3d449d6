/*
 * cancel.c — see cancel.h.
 */
#include "util/cancel.h"

void sl_cancel_init(struct sl_cancel *c)
{
    pthread_mutex_init(&c->mu, NULL);
    c->tag = -1;
    c->fn = NULL;
    c->handle = NULL;
    atomic_store(&c->fired, 0);
}

void sl_cancel_destroy(struct sl_cancel *c)
{
    pthread_mutex_destroy(&c->mu);
}

void sl_cancel_begin(struct sl_cancel *c, long tag)
{
    pthread_mutex_lock(&c->mu);
    c->tag = tag;
    c->fn = NULL;
    c->handle = NULL;
    atomic_store(&c->fired, 0);
    pthread_mutex_unlock(&c->mu);
}

void sl_cancel_end(struct sl_cancel *c)
{
    pthread_mutex_lock(&c->mu);
    c->tag = -1;
    c->fn = NULL;
    c->handle = NULL;
    pthread_mutex_unlock(&c->mu);
}

int sl_cancel_arm(struct sl_cancel *c, sl_cancel_fn fn, void *handle)
{
    pthread_mutex_lock(&c->mu);
    c->fn = fn;
    c->handle = handle;
    int fired = atomic_load(&c->fired);
    pthread_mutex_unlock(&c->mu);
    return fired;
}

void sl_cancel_disarm(struct sl_cancel *c)
{
    pthread_mutex_lock(&c->mu);
    c->fn = NULL;
    c->handle = NULL;
    pthread_mutex_unlock(&c->mu);
}

void sl_cancel_fire(struct sl_cancel *c, long tag)
{
    pthread_mutex_lock(&c->mu);
    if (c->tag == tag && tag >= 0) {
        atomic_store(&c->fired, 1);
        if (c->fn)
            c->fn(c->handle);
    }
    pthread_mutex_unlock(&c->mu);
}

int sl_cancel_fired(struct sl_cancel *c)
{
    return atomic_load(&c->fired);
}
