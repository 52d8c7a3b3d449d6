/*
 * deadline.c — see deadline.h.
 */
#include "flow/deadline.h"
#include "flow/run.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The run's clock: the real one, or the test's (SNAPLAKE_FAULT=clock). */
static double run_clock(const struct flow_deadline *d)
{
    return real_now() + d->skew;
}

time_t flow_deadline_next(const char *hhmm, time_t t)
{
    int h = 0, m = 0, oh = 0, om = 0;
    char zone[8] = "";
    if (sscanf(hhmm, "%2d:%2d%7s", &h, &m, zone) < 2)
        return 0;
    if (zone[0] == 'Z' || zone[0] == '+' || zone[0] == '-') {
        if (zone[0] != 'Z')
            sscanf(zone + 1, "%2d:%2d", &oh, &om);
        long off = (zone[0] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        time_t local = t + off;
        time_t dl = local - local % 86400 + h * 3600L + m * 60L - off;
        return dl > t ? dl : dl + 86400;
    }
    /* Local time: mktime with tm_isdst -1 finds the offset of that day (a
     * run over a daylight-saving change aims at the wall clock's HH:MM). */
    struct tm tm;
    localtime_r(&t, &tm);
    for (int day = 0; day < 2; day++) {
        tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = 0, tm.tm_isdst = -1;
        tm.tm_mday += day;
        time_t dl = mktime(&tm);
        if (dl > t)
            return dl;
    }
    return 0;
}

void flow_deadline_iso(double t, char *buf, size_t size)
{
    time_t s = (time_t)t;
    struct tm tm;
    char z[8];
    localtime_r(&s, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof z, "%z", &tm); /* +0100 → +01:00 */
    size_t n = strlen(buf);
    if (strlen(z) == 5)
        snprintf(buf + n, size - n, "%.3s:%s", z, z + 3);
}

static void hhmm(double t, char *buf, size_t size)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(buf, size, "%H:%M", &tm);
}

/* Start on_deadline_risk in the config file's folder, in the background.
 * A JSON log holds only JSON lines: then the hook's output is dropped. */
static void start_hook(struct flow_deadline *d)
{
    const char *cmd = d->cfg->on_deadline_risk;
    if (!cmd)
        return;
    char dl[40], pe[40] = "";
    flow_deadline_iso(d->deadline, dl, sizeof dl);
    if (d->predicted > 0)
        flow_deadline_iso(d->predicted, pe, sizeof pe);
    const char *value[4] = {d->run_id, dl, pe, "running"};
    static const char *const names[4] = {"SNAPLAKE_RUN_ID", "SNAPLAKE_DEADLINE",
                                         "SNAPLAKE_PREDICTED_END", "SNAPLAKE_STATUS"};
    char *own[4] = {0};
    char **env = flow_hook_environment(names, value, 4, own);
    sl_debug("hook on_deadline_risk: sh -c '%s' in %s (in the background)", cmd, d->cfg->dir);
    int e = flow_hook_spawn(&d->hook, d->cfg, "on_deadline_risk", cmd, env, 1);
    if (e)
        sl_warn("hook on_deadline_risk ('%s') could not be started in %s: %s", cmd, d->cfg->dir,
                strerror(e));
    for (int v = 0; v < 4; v++)
        free(own[v]);
    free(env);
}

/* Predict from step `next` on, record it, and warn once when at risk. */
static void check(struct flow_deadline *d, int next)
{
    double now = run_clock(d);
    if (d->history) {
        /* One odd step (a snapshot taking 0.1 s instead of its usual 2)
         * must not swing the whole prediction: the factor stays in 0.5..2,
         * and only steps of a second or more set it. */
        double scale = 1, rest = 0;
        if (d->done_median >= 1) {
            scale = d->done_actual / d->done_median;
            scale = scale < 0.5 ? 0.5 : scale > 2 ? 2 : scale;
        }
        for (int i = next; i < d->nsteps; i++)
            rest += d->median[i];
        d->predicted = now + scale * rest;
    }
    struct sl_err e = {0};
    if (flow_state_run_deadline(d->state, d->run_id, d->deadline - d->skew,
                                d->predicted > 0 ? d->predicted - d->skew : 0, &e)) {
        char buf[2200];
        sl_warn("%s", sl_err_format(&e, buf, sizeof buf));
    }
    if (d->warned || (d->predicted <= d->deadline && now <= d->deadline))
        return;
    char at[8], pe[8], nw[8];
    hhmm(d->deadline, at, sizeof at);
    hhmm(d->predicted, pe, sizeof pe);
    hhmm(now, nw, sizeof nw);
    if (now > d->deadline && d->predicted > 0)
        sl_warn("run %s is still going at %s, after the deadline %s; predicted to finish at %s",
                d->run_id, nw, at, pe);
    else if (now > d->deadline)
        sl_warn("run %s is still going at %s, after the deadline %s", d->run_id, nw, at);
    else
        sl_warn("run %s predicted to finish at %s, after the deadline %s", d->run_id, pe, at);
    d->warned = 1;
    start_hook(d);
}

void flow_deadline_begin(struct flow_deadline *d, const struct sl_config *cfg,
                         struct flow_state *state, const char *run_id, int resuming,
                         time_t fault_clock, double t0, const char *const *steps, int nsteps)
{
    *d = (struct flow_deadline){.cfg = cfg, .state = state, .run_id = run_id, .resuming = resuming};
    d->skew = fault_clock ? (double)fault_clock - t0 : 0;
    d->nsteps = nsteps < FLOW_DEADLINE_STEPS ? nsteps : FLOW_DEADLINE_STEPS;
    for (int i = 0; i < d->nsteps; i++)
        d->step[i] = steps[i];
    if (!cfg->deadline)
        return;
    d->deadline = (double)flow_deadline_next(cfg->deadline, (time_t)run_clock(d));
    for (int i = 0; i < d->nsteps; i++)
        if (flow_state_step_median(state, d->step[i], FLOW_DEADLINE_HISTORY, &d->median[i]))
            d->history = 1;
    char at[40];
    flow_deadline_iso(d->deadline, at, sizeof at);
    if (!d->history)
        sl_debug("deadline %s: no earlier published run with step times, no prediction", at);
    check(d, 0);
    if (d->predicted > 0) {
        char pe[40];
        flow_deadline_iso(d->predicted, pe, sizeof pe);
        sl_debug("deadline %s: predicted end %s", at, pe);
    }
}

void flow_deadline_step_begin(struct flow_deadline *d, int i)
{
    (void)i;
    d->step_started = real_now();
}

void flow_deadline_step_end(struct flow_deadline *d, int i, int done)
{
    double ended = real_now();
    if (!done || i >= d->nsteps)
        return;
    struct sl_err e = {0};
    if (!d->resuming &&
        flow_state_step(d->state, d->run_id, d->step[i], d->step_started, ended, &e)) {
        char buf[2200];
        sl_warn("%s", sl_err_format(&e, buf, sizeof buf));
    }
    if (!d->deadline)
        return;
    if (d->median[i] > 0) {
        d->done_actual += ended - d->step_started;
        d->done_median += d->median[i];
    }
    check(d, i + 1);
}

void flow_deadline_end(struct flow_deadline *d)
{
    flow_hook_wait(&d->hook, d->cfg);
}
