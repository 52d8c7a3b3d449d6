/*
 * status.c — `snaplake status [RUN_ID]`: a run's tasks from the run state.
 */
#include "cmd/cmd.h"
#include "flow/deadline.h"
#include "flow/run.h"
#include "flow/state.h"
#include "util/log.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: snaplake status [-c FILE] [RUN_ID]\n"
    "       snaplake status [-c FILE] --list[=N]\n"
    "\n"
    "Show a run and its tasks (state, attempts, times, rows, bytes, errors):\n"
    "the newest run, or RUN_ID.  Works while a run is going.  A run whose\n"
    "process ended without finishing (killed, crashed) shows as `interrupted`,\n"
    "or as published (done) when the catalog had switched to it.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -l, --list[=N]      the newest N runs instead, one line each (default 20)\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 the run is done (published) or still running; 1 it failed\n"
    "or was interrupted, or the history cannot be read; 2 usage or configuration\n"
    "error.  --list exits 0 when it could read the history.\n";

/* The run's deadline (run.deadline) against its predicted end, or its
 * end once it ended. */
static void print_deadline(struct flow_state *st, const char *id, const char *state)
{
    double dl, pe, ended;
    char a[40], b[40];
    if (!flow_state_get_deadline(st, id, &dl, &pe, &ended))
        return;
    flow_deadline_iso(dl, a, sizeof a);
    if (strcmp(state, "running") && ended > 0) {
        flow_deadline_iso(ended, b, sizeof b);
        printf("\ndeadline  %s: ended %s, %.0f min %s the deadline\n", a, b,
               (ended > dl ? ended - dl : dl - ended) / 60, ended > dl ? "after" : "before");
    } else if (pe > 0) {
        flow_deadline_iso(pe, b, sizeof b);
        printf("\ndeadline  %s: predicted end %s, %s the deadline\n", a, b,
               pe > dl ? "after" : "before");
    } else {
        printf("\ndeadline  %s: no prediction (no earlier published run with step times)\n", a);
    }
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"list", optional_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml";
    int c, list = 0;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":c:l::h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'l': {
            long long n = 20;
            if (optarg && cmd_parse_int("status", "--list", optarg, 1, 1000000, &n))
                return EXIT_USAGE;
            list = (int)n;
            break;
        }
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("status", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        sl_log_usage(usage, "status: one RUN_ID at most, got '%s' and '%s'", argv[optind],
                     argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (list && optind < argc) {
        sl_log_usage(NULL, "status: --list shows the newest runs and takes no RUN_ID "
                           "(`snaplake status %s` shows that run)",
                     argv[optind]);
        return EXIT_USAGE;
    }
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    char path[PATH_MAX + 32], run[64];
    struct flow_state *st = NULL;
    struct sl_err err = {0};
    int rc = EXIT_OK;
    flow_state_path(&cfg, path, sizeof path);
    /* A run holds the lock while it goes: then the newest run is the live
     * one, and any other still marked running was interrupted.  The lock is
     * read before and after the history so that a run starting or ending in
     * between is taken as live (it was), not as interrupted. */
    int live = flow_run_active(&cfg);
    int orc = flow_state_open(path, 0, &st, &err);
    char state[32] = "", live_run[64] = "";
    if (orc == SL_OK && flow_state_last_run(st, live_run, sizeof live_run, &err))
        orc = SL_ERROR;
    if (!live && !flow_run_active(&cfg))
        live_run[0] = 0;
    const char *lr = live_run[0] ? live_run : NULL;
    if (orc) {
        if (orc == FLOW_STATE_DAMAGED)
            flow_state_damaged_hint(&cfg, &err);
        rc = EXIT_RUN_FAILED;
    } else if (list) {
        rc = flow_state_print_runs(st, list, lr, stdout, &err) ? EXIT_RUN_FAILED : EXIT_OK;
    } else {
        const char *id = optind < argc ? argv[optind] : run;
        if (optind >= argc && (flow_state_last_run(st, run, sizeof run, &err) || !run[0])) {
            if (!err.set)
                sl_err_set(&err, false, "status", path, "no run recorded yet");
            rc = EXIT_RUN_FAILED;
        } else if (flow_state_print(st, id, lr, stdout, state, sizeof state, &err)) {
            rc = EXIT_RUN_FAILED;
        } else {
            print_deadline(st, id, state);
            /* Killed after its catalog switch: published all the same (the
             * catalog is the truth); the next run or gc records it done. */
            char pub[64];
            struct sl_err ignored = {0};
            if (strcmp(state, "done") && strcmp(state, "running") &&
                flow_published_run(&cfg, pub, sizeof pub, &ignored) == SL_OK && !strcmp(pub, id)) {
                printf("\npublished  run %s is published (done): the catalog switched to it "
                       "before it ended; the next run or `snaplake gc` records it done\n",
                       id);
                snprintf(state, sizeof state, "done");
            }
            if (strcmp(state, "done") && strcmp(state, "running"))
                rc = EXIT_RUN_FAILED; /* failed or interrupted: the exit status says so */
        }
    }
    if (rc && err.set)
        cmd_report(&err);
    flow_state_close(st);
    config_free(&cfg);
    return rc;
}
