/*
 * run.c — `snaplake run` (one whole run) and `snaplake export` (the same
 * without the stage models).
 */
#include "cmd/cmd.h"
#include "flow/precheck.h"
#include "flow/run.h"
#include "util/log.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char usage_run[] =
    "usage: snaplake run [-c FILE] [-j N] [-q] [--new-history]\n"
    "       snaplake run --resume [RUN_ID] [--allow-mixed-snapshots] [-c FILE] [-j N] [-q]\n"
    "\n"
    "Snapshot the source, export every selected table to Parquet in the lake,\n"
    "build the stage-1 and stage-2 models, and publish the run atomically.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -j, --jobs N        parallel workers (overrides `jobs:`)\n"
    "  -q, --quiet         log only warnings, errors and the one-line result\n"
    "      --new-history   if the run history (.snaplake/state.db) is damaged, move\n"
    "                      it aside and start a new one (a healthy one is kept)\n"
    "      --resume [RUN_ID]  continue the newest failed or interrupted run (or\n"
    "                      RUN_ID): done tasks are kept, the others run\n"
    "      --allow-mixed-snapshots  with --resume, when the source's snapshot is gone\n"
    "                      (PostgreSQL): keep the exported chunks anyway\n"
    "  -h, --help          this text\n"
    "\n"
    "The log (progress, warnings, errors, the result line) goes to stderr.\n"
    "Exit status: 0 published, 1 the run failed (nothing published), 2 usage or\n"
    "configuration error, 130/143 interrupted by SIGINT/SIGTERM (nothing\n"
    "published; a second SIGINT ends it at once).\n";

static const char usage_export[] =
    "usage: snaplake export [-c FILE] [-j N] [-q] [--new-history]\n"
    "       snaplake export --resume [RUN_ID] [--allow-mixed-snapshots] [-c FILE] [-j N] [-q]\n"
    "\n"
    "Like `snaplake run` without the stage models: snapshot the source, export\n"
    "every selected table to Parquet, and publish the raw layer atomically (the\n"
    "catalog then holds raw.* only).\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -j, --jobs N        parallel workers (overrides `jobs:`)\n"
    "  -q, --quiet         log only warnings, errors and the one-line result\n"
    "      --new-history   if the run history (.snaplake/state.db) is damaged, move\n"
    "                      it aside and start a new one (a healthy one is kept)\n"
    "      --resume [RUN_ID]  continue the newest failed or interrupted run (or\n"
    "                      RUN_ID): done tasks are kept, the others run\n"
    "      --allow-mixed-snapshots  with --resume, when the source's snapshot is gone\n"
    "                      (PostgreSQL): keep the exported chunks anyway\n"
    "  -h, --help          this text\n"
    "\n"
    "The log (progress, warnings, errors, the result line) goes to stderr.\n"
    "Exit status: 0 published, 1 the export failed (nothing published), 2 usage or\n"
    "configuration error, 130/143 interrupted by SIGINT/SIGTERM (nothing\n"
    "published; a second SIGINT ends it at once).\n";

static int run_or_export(int argc, char **argv, int export_only)
{
    const char *usage = export_only ? usage_export : usage_run;
    const char *name = export_only ? "export" : "run";
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"new-history", no_argument, NULL, 'H'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"allow-mixed-snapshots", no_argument, NULL, 'M'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml";
    int jobs = 0, quiet = 0, new_history = 0, resume = 0, mixed = 0, c;
    const char *resume_id = NULL;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":c:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'j': {
            long long n;
            if (cmd_parse_int(name, "--jobs", optarg, 1, 256, &n))
                return EXIT_USAGE;
            jobs = (int)n;
            break;
        }
        case 'q': quiet = 1; break;
        case 'H': new_history = 1; break;
        case 'R': resume = 1; break;
        case 'M': mixed = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error(name, usage, c, argv); return EXIT_USAGE;
        }
    }
    if (resume && optind < argc)
        resume_id = argv[optind++];
    if (optind < argc) {
        sl_log_usage(usage, "%s: unexpected argument '%s'", name, argv[optind]);
        return EXIT_USAGE;
    }
    if (mixed && !resume) {
        sl_log_usage(usage, "%s: --allow-mixed-snapshots goes with --resume", name);
        return EXIT_USAGE;
    }
    if (quiet && sl_log_level() < SL_LOG_WARN)
        sl_log_set_level(SL_LOG_WARN);
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    if (jobs)
        cfg.jobs = jobs;
    struct flow_run_options ro = {.export_only = export_only,
                                  .new_history = new_history,
                                  .resume = resume,
                                  .resume_id = resume_id,
                                  .allow_mixed_snapshots = mixed};
    struct sl_err err = {0};
    if (flow_precheck(&cfg, export_only, &err)) { /* before any work: exit 2, no run recorded */
        cmd_report(&err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    flow_interrupt_install();
    int rc = flow_run(&cfg, &ro, &err);
    flow_interrupt_restore();
    /* The error, then the result line, then the hook: in that order in the log. */
    if (rc && ro.interrupted) {
        sl_log_result(true, "run %s interrupted by %s; nothing was published", ro.run_id,
                      ro.interrupted == SIGINT ? "SIGINT" : "SIGTERM");
    } else if (rc) {
        cmd_report(&err);
        if (ro.began)
            sl_log_result(true,
                          "run %s failed; nothing was published. `snaplake status %s` "
                          "shows its tasks.",
                          ro.run_id, ro.run_id);
    }
    flow_report_save(&cfg, &ro, rc == SL_OK);
    flow_run_unlock(&ro);
    flow_run_hook(&cfg, &ro, rc ? &err : NULL);
    config_free(&cfg);
    if (rc && ro.interrupted)
        return 128 + ro.interrupted; /* as a shell reports a process ended by the signal */
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}

static const char usage_gc[] =
    "usage: snaplake gc [-c FILE] [-q]\n"
    "\n"
    "Remove what failed, interrupted and killed runs left behind once they\n"
    "cannot be resumed any more (a later run was published): their folders in\n"
    "the lake, with any unfinished *.tmp-* files, and their snapshot copies in\n"
    ".snaplake/tmp.  Every successful run does the same in its retention step.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -q, --quiet         log only warnings, errors and the one-line result\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 done, 1 failed (another run going, the lake), 2 usage or\n"
    "configuration error.\n";

int cmd_gc(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'q':
            if (sl_log_level() < SL_LOG_WARN)
                sl_log_set_level(SL_LOG_WARN);
            break;
        case 'h': fputs(usage_gc, stdout); return EXIT_OK;
        default: cmd_option_error("gc", usage_gc, c, argv); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        sl_log_usage(usage_gc, "gc: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    struct sl_err err = {0};
    int removed = 0, rc = flow_gc(&cfg, &removed, &err);
    if (rc)
        cmd_report(&err);
    else
        sl_log_result(false, "gc: removed the files of %d run%s that cannot be resumed any more",
                      removed, removed == 1 ? "" : "s");
    config_free(&cfg);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    return run_or_export(argc, argv, 0);
}
int cmd_export(int argc, char **argv)
{
    return run_or_export(argc, argv, 1);
}
