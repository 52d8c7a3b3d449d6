/*
 * report.c — `snaplake report [RUN_ID] [-o OUT.html]`: a run as one
 * self-contained HTML page (flow/report.h), written next to the user.
 *
 * The file is written under a temporary name and renamed into place, so a
 * report that could not be written whole leaves no half page behind; its
 * path is the command's data and goes to stdout (`xdg-open "$(snaplake
 * report)"`).
 */
#include "cmd/cmd.h"
#include "flow/report.h"
#include "flow/run.h"
#include "util/log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: snaplake report [-c FILE] [RUN_ID] [-o OUT.html]\n"
    "\n"
    "Write a run as one HTML page: its state, the failed task and its error,\n"
    "the task graph coloured by state, a timeline of the tasks (retries\n"
    "hatched), every task's rows, bytes, throughput and error, and the run's\n"
    "duration next to the previous runs'.  The newest run, or RUN_ID.  The page\n"
    "is self-contained (no network, scripts or fonts needed): open it in any\n"
    "browser, mail it, keep it as a CI artifact.  Works while a run is going.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -o, --output FILE   where to write it (default: report-<RUN_ID>.html in the\n"
    "                      current folder; - for stdout)\n"
    "  -h, --help          this text\n"
    "\n"
    "The path written goes to stdout.  Exit status: 0 written (whatever the run's\n"
    "state); 1 the history cannot be read, the run is unknown, or the file cannot\n"
    "be written; 2 usage or configuration error.\n";

/* Write the report to path through path.tmp-<pid>, renamed when whole. */
static int write_file(const char *state_db, const char *run_id, const char *live_run,
                      const char *path, struct sl_err *err)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return sl_err_set(err, false, "report", path, "cannot write the report: %s",
                          strerror(errno));
    int rc = flow_report_write(state_db, run_id, live_run, f, err);
    if (fclose(f) && rc == SL_OK)
        rc = sl_err_set(err, false, "report", path, "cannot write the report: %s", strerror(errno));
    if (rc == SL_OK && rename(tmp, path))
        rc = sl_err_set(err, false, "report", path, "cannot write the report: %s", strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

int cmd_report_html(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml", *output = NULL;
    int c;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":c:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': output = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("report", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        sl_log_usage(usage, "report: one RUN_ID at most, got '%s' and '%s'", argv[optind],
                     argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (output && !output[0]) {
        sl_log_usage(usage, "report: --output needs a file name (or - for stdout)");
        return EXIT_USAGE;
    }
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    char state_db[PATH_MAX + 32], run[64] = "", live_run[64] = "", path[PATH_MAX];
    struct sl_err err = {0};
    int rc = SL_OK;
    flow_state_path(&cfg, state_db, sizeof state_db);
    /* As `snaplake status`: while a run holds the lock the newest run is
     * the live one; the lock is read before and after the history so that
     * a run starting or ending in between counts as live. */
    int live = flow_run_active(&cfg);
    char newest[64] = "";
    rc = flow_report_newest_run(state_db, newest, sizeof newest, &err);
    if (live || flow_run_active(&cfg))
        snprintf(live_run, sizeof live_run, "%s", newest);
    snprintf(run, sizeof run, "%s", optind < argc ? argv[optind] : newest);
    if (rc == SL_OK && !run[0])
        rc = sl_err_set(&err, false, "report", state_db,
                        "no run recorded yet; run `snaplake run` first");
    if (rc == SL_OK && output && !strcmp(output, "-")) {
        rc = flow_report_write(state_db, run, live_run[0] ? live_run : NULL, stdout, &err);
    } else if (rc == SL_OK) {
        if (output) {
            snprintf(path, sizeof path, "%s", output);
        } else {
            /* Run ids are [0-9TZ_]; anything else (a history written by
             * hand) must not make a path of its own. */
            snprintf(path, sizeof path, "report-%s.html", run);
            for (char *p = path + 7; *p && strcmp(p, ".html"); p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p))
                    *p = '_';
        }
        rc = write_file(state_db, run, live_run[0] ? live_run : NULL, path, &err);
        if (rc == SL_OK)
            printf("%s\n", path);
    }
    if (rc)
        cmd_report(&err);
    config_free(&cfg);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}
