/*
 * test_timeouts.c — run.timeouts: the durations snaplake.yml accepts, the
 * cancel token's tags (a fire for an attempt that ended does nothing), and
 * the pool's watchdog: an attempt past opt->timeout is cancelled and, its
 * error being transient, retried; a stop cancels running attempts at once.
 */
#include "config/config.h"
#include "flow/pool.h"
#include "util/cancel.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MINIMAL "source: sqlite:///data/app.db\nlake: /tmp/lake\n"

static int parse(const char *text, struct sl_config *cfg, struct sl_err *err)
{
    sl_err_clear(err);
    return config_parse(text, "t.yml", "/tmp", cfg, err);
}

static double parsed_model(const char *value)
{
    char text[256];
    struct sl_config c;
    struct sl_err e;
    snprintf(text, sizeof text, MINIMAL "run:\n  timeouts:\n    model: %s\n", value);
    if (parse(text, &c, &e)) {
        fprintf(stderr, "  %s: %s: %s\n", value, e.object, e.msg);
        return -1;
    }
    double d = c.timeouts.model;
    config_free(&c);
    return d;
}

static void test_durations(void)
{
    struct sl_config c;
    struct sl_err e;
    CHECK_EQ_INT(parse(MINIMAL, &c, &e), SL_OK);
    CHECK(c.timeouts.export_chunk == 0 && c.timeouts.model == 0 && c.timeouts.run == 0);
    config_free(&c);
    CHECK(parsed_model("30") == 30);
    CHECK(parsed_model("0.5") == 0.5);
    CHECK(parsed_model("\"90s\"") == 90);
    CHECK(parsed_model("30m") == 1800);
    CHECK(parsed_model("2h") == 7200);
    CHECK(parsed_model("1h30m") == 5400);
    CHECK(parsed_model("1h30m15s") == 5415);
    CHECK(parsed_model("1.5h") == 5400);
    CHECK(parsed_model("604800") == 604800);
    static const char *const bad[] = {"0", "-1", "5x", "30m1h", "1h1h", "1h 30m", "h",
                                      "inf", "nan", "604801", "8d", "\"\"", "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];
        snprintf(text, sizeof text, MINIMAL "run:\n  timeouts:\n    run: %s\n", bad[i]);
        int rc = parse(text, &c, &e);
        if (rc == SL_OK) {
            fprintf(stderr, "  '%s' was accepted as %g s\n", bad[i], c.timeouts.run);
            config_free(&c);
            check_failed_now = 1;
            continue;
        }
        CHECK_EQ_STR(e.object, "t.yml:5:10");
        CHECK(strstr(e.msg, "'run.timeouts.run' must be a duration above 0") != NULL);
    }
}

static void count_calls(void *handle)
{
    (*(int *)handle)++;
}

static void test_cancel_tags(void)
{
    struct sl_cancel c;
    int calls = 0;
    sl_cancel_init(&c);
    sl_cancel_fire(&c, 7); /* nothing runs */
    CHECK(!sl_cancel_fired(&c));
    sl_cancel_begin(&c, 7);
    CHECK_EQ_INT(sl_cancel_arm(&c, count_calls, &calls), 0);
    sl_cancel_fire(&c, 6); /* another attempt's: ignored */
    CHECK(!sl_cancel_fired(&c));
    CHECK_EQ_INT(calls, 0);
    sl_cancel_fire(&c, 7);
    CHECK(sl_cancel_fired(&c));
    CHECK_EQ_INT(calls, 1);
    sl_cancel_disarm(&c);
    sl_cancel_fire(&c, 7); /* disarmed: marked, the function not called */
    CHECK_EQ_INT(calls, 1);
    CHECK_EQ_INT(sl_cancel_arm(&c, count_calls, &calls), 1); /* the next call: already fired */
    sl_cancel_end(&c);
    sl_cancel_begin(&c, 8); /* a new attempt starts clean */
    CHECK(!sl_cancel_fired(&c));
    sl_cancel_destroy(&c);
}

/* Jobs whose first `hang` attempts wait until cancelled (at most 20 s). */
struct hang {
    struct sl_cancel token[2];
    int hang, retrying, done, failed, cancels;
    volatile sig_atomic_t stop;
    int stop_after_start;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hang_work(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct hang *h = arg;
    struct sl_cancel *t = &h->token[worker];
    sl_cancel_begin(t, (long)job * 1000 + attempt);
    if (attempt <= h->hang) {
        if (h->stop_after_start)
            h->stop = 1;
        double t0 = now();
        while (!sl_cancel_fired(t) && now() - t0 < 20)
            usleep(10000);
    }
    int fired = sl_cancel_fired(t);
    sl_cancel_end(t);
    if (fired)
        return sl_err_set(err, true, "test", "", "timed out, attempt %d", attempt);
    return SL_OK;
}

static void hang_event(void *arg, int job, enum flow_event ev, int attempt, const struct sl_err *e)
{
    struct hang *h = arg;
    (void)job, (void)attempt, (void)e;
    h->retrying += ev == FLOW_RETRYING;
    h->done += ev == FLOW_DONE;
    h->failed += ev == FLOW_FAILED;
}

static void hang_cancel(void *arg, int job, int worker, int attempt)
{
    struct hang *h = arg;
    h->cancels++;
    sl_cancel_fire(&h->token[worker], (long)job * 1000 + attempt);
}

static void test_pool_timeout(void)
{
    struct hang h = {.hang = 1};
    sl_cancel_init(&h.token[0]);
    sl_cancel_init(&h.token[1]);
    struct flow_pool_options o = {.workers = 2,
                                  .retry = {.max_attempts = 3, .interval = 0.01,
                                            .backoff_rate = 1, .max_delay = 1},
                                  .work = hang_work,
                                  .event = hang_event,
                                  .arg = &h,
                                  .timeout = 0.2,
                                  .cancel = hang_cancel};
    struct sl_err err = {0};
    double t0 = now();
    CHECK_EQ_INT(flow_pool_run(&o, 2, NULL, &err), SL_OK);
    CHECK(now() - t0 < 15); /* cancelled, not the work's 20 s */
    CHECK_EQ_INT(h.retrying, 2);
    CHECK_EQ_INT(h.done, 2);
    CHECK(h.cancels >= 2);

    /* Every attempt hangs: the pool fails with the work's error. */
    struct hang all = {.hang = 9};
    sl_cancel_init(&all.token[0]);
    sl_cancel_init(&all.token[1]);
    o.arg = &all;
    sl_err_clear(&err);
    CHECK_EQ_INT(flow_pool_run(&o, 1, NULL, &err), SL_ERROR);
    CHECK_EQ_STR(err.msg, "timed out, attempt 3");
    CHECK_EQ_INT(all.retrying, 2);
    CHECK_EQ_INT(all.failed, 1);
    for (int i = 0; i < 2; i++) {
        sl_cancel_destroy(&h.token[i]);
        sl_cancel_destroy(&all.token[i]);
    }
}

static void test_pool_stop_cancels(void)
{
    /* No time limit: the stop alone cancels the hanging attempt. */
    struct hang h = {.hang = 9, .stop_after_start = 1};
    sl_cancel_init(&h.token[0]);
    sl_cancel_init(&h.token[1]);
    struct flow_pool_options o = {.workers = 1,
                                  .retry = {.max_attempts = 3},
                                  .work = hang_work,
                                  .event = hang_event,
                                  .arg = &h,
                                  .stop = &h.stop,
                                  .cancel = hang_cancel};
    struct sl_err err = {0};
    double t0 = now();
    CHECK_EQ_INT(flow_pool_run(&o, 3, NULL, &err), SL_ERROR);
    CHECK(now() - t0 < 15);
    CHECK_EQ_STR(err.msg, "interrupted");
    CHECK_EQ_INT(h.retrying, 0);
    CHECK(h.cancels >= 1);
    sl_cancel_destroy(&h.token[0]);
    sl_cancel_destroy(&h.token[1]);
}

int main(void)
{
    RUN(test_durations);
    RUN(test_cancel_tags);
    RUN(test_pool_timeout);
    RUN(test_pool_stop_cancels);
    return CHECK_DONE();
}
