/*
 * status.c — `snaplake status [RUN_ID]`: a run's tasks from the run state.
 */
#include "cmd/cmd.h"
#include "flow/run.h"
#include "flow/state.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>

static const char usage[] =
    "usage: snaplake status [-c FILE] [--list[=N]] [RUN_ID]\n"
    "\n"
    "Show a run and its tasks (state, attempts, times, rows, bytes, errors):\n"
    "the newest run, or RUN_ID.  Works while a run is going.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -l, --list[=N]      the newest N runs instead, one line each (default 20)\n"
    "  -h, --help          this text\n";

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"list", optional_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml";
    int c, list = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l::h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'l':
            list = optarg ? atoi(optarg) : 20;
            if (list < 1) {
                fprintf(stderr, "snaplake status: --list takes a number of runs >= 1\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fputs(usage, stderr);
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
    if (flow_state_open(path, 0, &st, &err)) {
        rc = EXIT_RUN_FAILED;
    } else if (list) {
        rc = flow_state_print_runs(st, list, stdout, &err) ? EXIT_RUN_FAILED : EXIT_OK;
    } else if (optind < argc) {
        rc = flow_state_print(st, argv[optind], stdout, &err) ? EXIT_RUN_FAILED : EXIT_OK;
    } else if (flow_state_last_run(st, run, sizeof run, &err) || !run[0]) {
        if (!err.set)
            sl_err_set(&err, false, "status", path, "no run recorded yet");
        rc = EXIT_RUN_FAILED;
    } else {
        rc = flow_state_print(st, run, stdout, &err) ? EXIT_RUN_FAILED : EXIT_OK;
    }
    if (rc)
        cmd_report(&err);
    flow_state_close(st);
    config_free(&cfg);
    return rc;
}
