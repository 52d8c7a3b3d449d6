/*
 * test_deps.c — models that read models of their own stage (flow/deps.h)
 * and the pool running jobs after the jobs they wait for (flow/pool.h).
 */
#include "check.h"
#include "flow/deps.h"
#include "flow/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Does model `name` (SQL `sql`) read model `target` of stage2? */
static int reads(const char *sql, const char *target)
{
    const char *names[] = {"self", target};
    const char *sqls[] = {sql, "SELECT 1"};
    struct flow_deps d;
    struct sl_err err = {0};
    if (flow_deps_order("stage2", names, sqls, 2, &d, &err))
        return -1;
    int r = d.after[0].n == 1 && d.after[0].jobs[0] == 1;
    flow_deps_free(&d);
    return r;
}

static void test_deps_finds_reads(void)
{
    CHECK_EQ_INT(reads("SELECT * FROM stage2.daily", "daily"), 1);
    CHECK_EQ_INT(reads("select * from STAGE2.Daily d", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT * FROM \"stage2\".\"daily\"", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT * FROM \"Stage2\".daily", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT * FROM stage2 . daily", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT * FROM stage2/* why */.\n  daily", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT a FROM raw.x JOIN stage2.daily USING (id)", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT * FROM memory.stage2.daily", "daily"), 1);
    CHECK_EQ_INT(reads("SELECT \"we\"\"ird\" FROM stage2.\"da\"\"ily\"", "da\"ily"), 1);
}

static void test_deps_ignores_comments_and_strings(void)
{
    CHECK_EQ_INT(reads("SELECT 1 -- from stage2.daily\n", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT 1 /* stage2.daily /* nested */ stage2.daily */", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT 'stage2.daily'", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT 'it''s stage2.daily'", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT E'it\\'s stage2.daily'", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT $$stage2.daily$$, $x$ stage2.daily $x$", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT * FROM \"stage2.daily\"", "daily"), 0); /* one name */
    CHECK_EQ_INT(reads("SELECT * FROM stage1.daily", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT * FROM my_stage2.daily", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT * FROM stage2.daily_x", "daily"), 0);
    CHECK_EQ_INT(reads("SELECT stage2 . 5", "daily"), 0);
    /* a comment that never ends hides the rest */
    CHECK_EQ_INT(reads("SELECT 1 /* stage2.daily", "daily"), 0);
}

static void test_deps_order_and_levels(void)
{
    /* c reads b and a, b reads a, d reads nothing */
    const char *names[] = {"c", "b", "a", "d"};
    const char *sqls[] = {"SELECT * FROM stage1.b, stage1.a", "SELECT * FROM stage1.a", "SELECT 1",
                          "SELECT * FROM raw.a"};
    struct flow_deps d;
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_deps_order("stage1", names, sqls, 4, &d, &err), 0);
    CHECK_EQ_INT(d.n, 4);
    CHECK_EQ_INT(d.order[0], 2); /* a */
    CHECK_EQ_INT(d.order[1], 1); /* b */
    CHECK_EQ_INT(d.order[2], 0); /* c */
    CHECK_EQ_INT(d.order[3], 3); /* d */
    CHECK_EQ_INT(d.level[2], 0);
    CHECK_EQ_INT(d.level[1], 1);
    CHECK_EQ_INT(d.level[0], 2);
    CHECK_EQ_INT(d.level[3], 0);
    CHECK_EQ_INT(d.after[0].n, 2);
    CHECK_EQ_INT(d.after[1].n, 1);
    CHECK_EQ_INT(d.after[1].jobs[0], 2);
    CHECK_EQ_INT(d.after[3].n, 0);
    CHECK(flow_deps_is_read(&d, 2));
    CHECK(!flow_deps_is_read(&d, 0));
    flow_deps_free(&d);
    flow_deps_free(&d); /* a second free is harmless */
}

static void test_deps_cycle_named(void)
{
    const char *names[] = {"a", "b", "c", "x"};
    const char *sqls[] = {"SELECT * FROM stage2.b", "SELECT * FROM stage2.c",
                          "SELECT * FROM stage2.a", "SELECT * FROM stage2.c"};
    struct flow_deps d;
    struct sl_err err = {0};
    CHECK(flow_deps_order("stage2", names, sqls, 4, &d, &err) != 0);
    CHECK_EQ_STR(err.stage, "config");
    CHECK(strstr(err.msg, "stage2 models form a cycle: a → b → c → a") == err.msg);
    CHECK(d.after == NULL); /* nothing to free after an error */

    const char *self_names[] = {"m", "n"};
    const char *self_sqls[] = {"SELECT 1", "SELECT * FROM stage1.N"};
    struct sl_err e2 = {0};
    CHECK(flow_deps_order("stage1", self_names, self_sqls, 2, &d, &e2) != 0);
    CHECK(strstr(e2.msg, "stage1 models form a cycle: n → n") == e2.msg);

    /* the cycle is shown from its first name, wherever the walk entered it */
    const char *n3[] = {"p", "z", "y"};
    const char *s3[] = {"SELECT * FROM stage2.z", "SELECT * FROM stage2.y",
                        "SELECT * FROM stage2.z"};
    struct sl_err e3 = {0};
    CHECK(flow_deps_order("stage2", n3, s3, 3, &d, &e3) != 0);
    CHECK(strstr(e3.msg, "stage2 models form a cycle: y → z → y") == e3.msg);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_deps_load_folder(void)
{
    char dir[] = "/tmp/snaplake-test-deps-XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/stage2", dir);
    CHECK_EQ_INT(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/stage2/a.sql", dir);
    write_file(path, "SELECT * FROM stage2.b -- b first\n");
    snprintf(path, sizeof path, "%s/stage2/b.sql", dir);
    write_file(path, "SELECT 1 AS x\n");
    struct flow_deps d;
    struct sl_err err = {0};
    CHECK_EQ_INT(flow_deps_load(dir, "stage2", &d, &err), 0);
    CHECK_EQ_INT(d.n, 2);
    CHECK_EQ_INT(d.order[0], 1);
    flow_deps_free(&d);
    CHECK_EQ_INT(flow_deps_load(dir, "stage1", &d, &err), 0); /* no folder: no models */
    CHECK_EQ_INT(d.n, 0);
    snprintf(path, sizeof path, "%s/stage2/b.sql", dir);
    write_file(path, "SELECT * FROM \"stage2\".\"a\"\n");
    CHECK(flow_deps_load(dir, "stage2", &d, &err) != 0);
    char where[300];
    snprintf(where, sizeof where, "%s/stage2", dir);
    CHECK_EQ_STR(err.object, where);
    CHECK(strstr(err.msg, "a → b → a") != NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* ---- the pool honouring `after` -------------------------------------- */

#define JOBS 12

struct graph {
    pthread_mutex_t mu;
    const struct flow_job_after *after;
    int done[JOBS]; /* set by the work function when a job ends well */
    int runs[JOBS];
    int early; /* jobs started before one of their prerequisites was done */
    int fail;  /* this job fails permanently (-1 none) */
    pthread_cond_t cv;
    int serial; /* job 10 waited in vain for job 11 to start beside it */
    int skipped[JOBS], failed[JOBS], done_events[JOBS];
};

static int graph_work(void *arg, int job, int worker, int attempt, struct sl_err *err)
{
    struct graph *g = arg;
    (void)worker, (void)attempt;
    pthread_mutex_lock(&g->mu);
    g->runs[job]++;
    for (int i = 0; i < g->after[job].n; i++)
        if (!g->done[g->after[job].jobs[i]])
            g->early++;
    pthread_cond_broadcast(&g->cv);
    /* Job 10 ends only once job 11 has started: with several workers it does
     * at once; a pool that ran jobs one by one would keep it waiting. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (job == 10 && !g->runs[11] && !g->serial)
        if (pthread_cond_timedwait(&g->cv, &g->mu, &until))
            g->serial = 1;
    pthread_mutex_unlock(&g->mu);
    usleep(1000); /* give the others a chance to be handed out meanwhile */
    pthread_mutex_lock(&g->mu);
    if (job != g->fail)
        g->done[job] = 1;
    pthread_mutex_unlock(&g->mu);
    if (job == g->fail)
        return sl_err_set(err, false, "test", "job", "job %d fails", job);
    return SL_OK;
}

static void graph_event(void *arg, int job, enum flow_event ev, int attempt, const struct sl_err *e)
{
    struct graph *g = arg;
    (void)attempt;
    if (ev == FLOW_SKIPPED) {
        g->skipped[job]++;
        CHECK(e && strstr(e->msg, "fails"));
    }
    if (ev == FLOW_FAILED)
        g->failed[job]++;
    if (ev == FLOW_DONE)
        g->done_events[job]++;
}

/* 0..3 independent; 4 after 0,1; 5 after 4; 6 after 4,2; 7 after 5,6;
 * 8 after 3; 9 after 8; 10, 11 independent. */
static const int a4[] = {0, 1}, a5[] = {4}, a6[] = {4, 2}, a7[] = {5, 6}, a8[] = {3}, a9[] = {8};
static const struct flow_job_after graph_after[JOBS] = {
    [4] = {2, a4}, [5] = {1, a5}, [6] = {2, a6}, [7] = {2, a7}, [8] = {1, a8}, [9] = {1, a9},
};

static void test_pool_runs_after_prerequisites(void)
{
    for (int round = 0; round < 5; round++) {
        struct graph g = {.mu = PTHREAD_MUTEX_INITIALIZER,
                          .cv = PTHREAD_COND_INITIALIZER,
                          .after = graph_after,
                          .fail = -1};
        struct flow_pool_options o = {.workers = 4,
                                      .retry = {.max_attempts = 1},
                                      .after = graph_after,
                                      .work = graph_work,
                                      .event = graph_event,
                                      .arg = &g};
        int order[JOBS] = {7, 9, 11, 6, 5, 4, 3, 2, 1, 0, 8, 10}; /* dependants first */
        struct sl_err err = {0};
        CHECK_EQ_INT(flow_pool_run(&o, JOBS, order, &err), 0);
        CHECK_EQ_INT(g.early, 0);
        for (int j = 0; j < JOBS; j++) {
            CHECK_EQ_INT(g.runs[j], 1);
            CHECK_EQ_INT(g.done_events[j], 1);
        }
        CHECK_EQ_INT(g.serial, 0); /* independent jobs still run side by side */
    }
}

static void test_pool_skips_dependants_of_failure(void)
{
    struct graph g = {.mu = PTHREAD_MUTEX_INITIALIZER,
                      .cv = PTHREAD_COND_INITIALIZER,
                      .after = graph_after,
                      .fail = 4};
    struct flow_pool_options o = {.workers = 3,
                                  .retry = {.max_attempts = 1},
                                  .after = graph_after,
                                  .work = graph_work,
                                  .event = graph_event,
                                  .arg = &g};
    struct sl_err err = {0};
    CHECK(flow_pool_run(&o, JOBS, NULL, &err) != 0);
    CHECK(strstr(err.msg, "job 4 fails") != NULL);
    CHECK_EQ_INT(g.failed[4], 1);
    /* 5, 6 wait for 4; 7 for 5 and 6: none ran, each recorded skipped once */
    for (int j = 5; j <= 7; j++) {
        CHECK_EQ_INT(g.runs[j], 0);
        CHECK_EQ_INT(g.skipped[j], 1);
    }
    for (int j = 0; j < 4; j++)
        CHECK_EQ_INT(g.skipped[j], 0);
    CHECK_EQ_INT(g.skipped[8] + g.skipped[9] + g.skipped[10] + g.skipped[11], 0);
    CHECK_EQ_INT(g.early, 0);
}

static void test_pool_refuses_cycle(void)
{
    static const int x0[] = {1}, x1[] = {0};
    static const struct flow_job_after after[3] = {{1, x0}, {1, x1}, {0, NULL}};
    struct graph g = {.mu = PTHREAD_MUTEX_INITIALIZER,
                      .cv = PTHREAD_COND_INITIALIZER,
                      .after = after,
                      .fail = -1};
    struct flow_pool_options o = {.workers = 2, .after = after, .work = graph_work, .arg = &g};
    struct sl_err err = {0};
    CHECK(flow_pool_run(&o, 3, NULL, &err) != 0);
    CHECK(strstr(err.msg, "cycle") != NULL);
    CHECK_EQ_INT(g.runs[2], 0); /* refused before any job ran */
    static const int bad[] = {7};
    static const struct flow_job_after out_of_range[2] = {{1, bad}, {0, NULL}};
    o.after = out_of_range;
    struct sl_err e2 = {0};
    CHECK(flow_pool_run(&o, 2, NULL, &e2) != 0);
}

int main(void)
{
    RUN(test_deps_finds_reads);
    RUN(test_deps_ignores_comments_and_strings);
    RUN(test_deps_order_and_levels);
    RUN(test_deps_cycle_named);
    RUN(test_deps_load_folder);
    RUN(test_pool_runs_after_prerequisites);
    RUN(test_pool_skips_dependants_of_failure);
    RUN(test_pool_refuses_cycle);
    return CHECK_DONE();
}
