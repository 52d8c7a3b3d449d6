/*
 * deadline.h — run.deadline: predict a run's end from earlier runs, and
 * say so (a warning and the on_deadline_risk hook) when it is at risk.
 *
 * The run's steps (run.c's table) report their start and end here; each
 * finished step is recorded in the run state (table steps), and those of
 * earlier done runs are the history.  The prediction, at the start and
 * after each step: now + the remaining steps' median durations over the
 * newest FLOW_DEADLINE_HISTORY done runs, scaled by how the finished steps
 * compared with their medians.  When it passes the deadline, or the
 * deadline has passed while the run goes, one warning line and the hook,
 * once per run.  The deadline is the next HH:MM after the run's start
 * (a run starting at 23:00 with a deadline of 06:00 aims at the next
 * morning).
 *
 * The hook runs in the background (the run does not wait for it while it
 * works) and the run waits for it in flow_deadline_end.
 *
 * Only the leader thread calls these, between steps.
 */
#ifndef SL_FLOW_DEADLINE_H
#define SL_FLOW_DEADLINE_H

#include <sys/types.h>
#include <time.h>

#include "config/config.h"
#include "flow/run.h"
#include "flow/state.h"

#define FLOW_DEADLINE_HISTORY 7
#define FLOW_DEADLINE_STEPS   16

struct flow_deadline {
    const struct sl_config *cfg;
    struct flow_state *state;
    const char *run_id;
    double skew;     /* the run's clock minus the real one (SNAPLAKE_FAULT=clock) */
    double deadline; /* the run's clock; 0: no run.deadline */
    int nsteps;
    const char *step[FLOW_DEADLINE_STEPS];
    double median[FLOW_DEADLINE_STEPS]; /* 0: no history for that step */
    int history;                        /* some step has a history */
    double done_actual, done_median;    /* the finished steps, in seconds */
    double step_started;                /* real clock */
    double predicted;                   /* the run's clock; 0: none yet */
    int warned;
    int resuming; /* a resumed run's kept steps take no time: not recorded */
    struct flow_hook hook; /* pid -1: not started */
};

/* Start: `steps` are the names of the steps this run will take, in order
 * (at most FLOW_DEADLINE_STEPS); fault_clock is SNAPLAKE_FAULT=clock's time
 * at t0 (0: the real clock).  Records the deadline, predicts and warns.
 * A resumed run's steps are not recorded (the first attempt's stay). */
void flow_deadline_begin(struct flow_deadline *d, const struct sl_config *cfg,
                         struct flow_state *state, const char *run_id, int resuming,
                         time_t fault_clock, double t0, const char *const *steps, int nsteps);

/* Step i (of the names given) starts; ends (done: it succeeded, and its
 * times are recorded; then predict again and warn when at risk). */
void flow_deadline_step_begin(struct flow_deadline *d, int i);
void flow_deadline_step_end(struct flow_deadline *d, int i, int done);

/* The run ends: wait for the hook if it was started. */
void flow_deadline_end(struct flow_deadline *d);

/* The next time of day `hhmm` (config's run.deadline form) after `t`. */
time_t flow_deadline_next(const char *hhmm, time_t t);

/* ISO 8601 local time with its offset ("2026-11-30T10:00:00+01:00"). */
void flow_deadline_iso(double t, char *buf, size_t size);

#endif
