/*
 * fault.c — the test switch SNAPLAKE_FAULT (see run_internal.h for its
 * grammar): injected failures per task kind, and pause points where a test
 * can signal or kill the run.
 *
 * It is read once, before any thread starts, into the run's struct; the
 * workers only read it afterwards.  It is a switch the tests set at run time,
 * never a code path only tests compile (STYLE.md "Tests in three layers"):
 * without the variable every check below is a comparison that fails.
 */
#include "flow/run_internal.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One switch of the list: kind:[target:]n[:permanent]. */
static void read_failure(struct run *r, const char *sw)
{
    char kind[16], target[128] = "*", mode[16] = "";
    int n = 0;
    struct run_fault *f = &r->faults[r->nfaults];
    if (r->nfaults == RUN_FAULTS)
        return;
    if (sscanf(sw, "%15[^:]:", kind) != 1)
        return;
    if (!strcmp(kind, "publish") || !strcmp(kind, "snapshot") || !strcmp(kind, "retention")) {
        /* No target: one task of that kind per run. */
        if (sscanf(sw + strlen(kind), ":%d:%15s", &n, mode) < 1)
            return;
    } else if (!strcmp(kind, "export") || !strcmp(kind, "model")) {
        if (sscanf(sw + strlen(kind), ":%127[^:]:%d:%15s", target, &n, mode) < 2)
            return;
    } else {
        return;
    }
    if (mode[0] && strcmp(mode, "permanent")) {
        sl_warn("SNAPLAKE_FAULT: '%s' ignored: expected ':permanent' or nothing after the count",
                sw);
        return;
    }
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    snprintf(f->target, sizeof f->target, "%s", target);
    f->attempts = n;
    f->permanent = mode[0] != 0;
    r->nfaults++;
}

void run_fault_read(struct run *r)
{
    const char *env = getenv("SNAPLAKE_FAULT");
    char all[1024];
    if (!env)
        return;
    snprintf(all, sizeof all, "%s", env);
    char *save = NULL;
    for (char *sw = strtok_r(all, ";", &save); sw; sw = strtok_r(NULL, ";", &save)) {
        long long clock = 0;
        int n = 0;
        if (sscanf(sw, "clock:%lld", &clock) == 1)
            r->fault_clock = (time_t)clock;
        else if (sscanf(sw, "slow:%127[^:]:%d", r->slow_dataset, &n) == 2)
            r->slow_attempts = n;
        else if (sscanf(sw, "pause:%63s", r->fault_pause) == 1 &&
                 !strcmp(r->fault_pause, "models"))
            snprintf(r->fault_pause, sizeof r->fault_pause, "stage1");
        else if (strcmp(sw, "snapshot:slow")) /* read by source/sqlite.c */
            read_failure(r, sw);
    }
}

int run_fault_inject(struct run *r, const char *kind, const char *target, const char *object,
                     int attempt, struct sl_err *err)
{
    for (int i = 0; i < r->nfaults; i++) {
        const struct run_fault *f = &r->faults[i];
        if (strcmp(f->kind, kind) || attempt > f->attempts ||
            (strcmp(f->target, "*") && strcmp(f->target, target)))
            continue;
        /* With :permanent the last failing attempt is permanent (so no
         * retry follows it), the ones before it transient. */
        int permanent = f->permanent && attempt == f->attempts;
        /* A model's failure is its stage's, as a real one would be. */
        const char *stage = !strcmp(kind, "model") && r->layer ? r->layer : kind;
        return sl_err_set(err, !permanent, stage, object,
                          "injected fault (SNAPLAKE_FAULT), attempt %d, %s", attempt,
                          permanent ? "permanent" : "transient");
    }
    return SL_OK;
}

void run_fault_pause(struct run *r, const char *point)
{
    size_t n = strlen(point);
    const char *p = r->fault_pause;
    while (p && (strncmp(p, point, n) || (p[n] && p[n] != ',')))
        p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
    if (!p)
        return;
    /* "ending" is reached after a signal: it waits for the next one.  Read
     * before the line is printed: a test signals as soon as it sees it. */
    int seen = run_interrupt_signal;
    sl_warn("SNAPLAKE_FAULT: paused at %s until a signal (at most 60 s)", point);
    for (int i = 0; i < 1200 && run_interrupt_signal == seen; i++)
        usleep(50000);
}
