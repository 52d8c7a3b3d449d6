/*
 * main.c — command line: parse, dispatch, exit codes; nothing else.
 */
#include "cmd/cmd.h"
#include "util/log.h"
#include "util/version.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: snaplake [--log-json] [-v] COMMAND [ARGS]\n"
    "\n"
    "Copy an operational database into a Parquet data lake, build stage-1 and\n"
    "stage-2 SQL models on it, and publish the result atomically.\n"
    "\n"
    "commands:\n"
    "  demo      build a sample shop database and run the whole pipeline on it\n"
    "  run       one run: snapshot, export, models, publish\n"
    "  export    snapshot, export and publish the raw layer, no models\n"
    "  status    a run's tasks from the run history\n"
    "  report    a run as one HTML page: task graph, timeline, errors, trend\n"
    "  query     SQL on the published catalog\n"
    "  inspect   what is inside a Parquet file\n"
    "  gc        remove what failed runs left once they cannot be resumed\n"
    "\n"
    "options:\n"
    "  --log-json  every log line as a JSON object (errors and the result too)\n"
    "  -v          debug lines too: chunk plans, retries, model files, hooks\n"
    "\n"
    "The log goes to stderr, one line an event, each starting `snaplake:`;\n"
    "stdout carries only a command's data (query results, status, inspect).\n"
    "`snaplake COMMAND --help` describes each.  Exit status: 0 success, 1 the\n"
    "run or query failed, 2 usage or configuration error.\n";

int main(int argc, char **argv)
{
    /* Buffers of 1 MiB and more (pages, row groups, batches) come from mmap
     * and go back to the kernel when freed.  glibc's default raises this
     * threshold as large blocks are freed, after which they are carved from
     * the heap and fragment it: peak memory then grew with the number of
     * chunks a worker wrote (99 → 121 MB from 5 M to 20 M PostgreSQL rows;
     * 97 → 105 MB with the fixed threshold, and faster). */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    /* The smaller ones (a page's values, levels, dictionary slots) are
     * freed with each file's writer and wanted again at once by the next.
     * With glibc's 128 KiB trim threshold a worker's arena gave them back
     * to the kernel after every file, and the next file faulted them in
     * again: 22 500 page faults and 15 % of the CPU in a 2 M-row MySQL
     * export, against 15 500 with the free space kept (RSS 69 → 73 MB). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);

    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"demo", cmd_demo},     {"run", cmd_run},         {"export", cmd_export},         {"status", cmd_status},
                {"query", cmd_query},   {"inspect", cmd_inspect}, {"report", cmd_report_html},
                {"gc", cmd_gc},         {"ddl", cmd_ddl}};
    int i = 1, json = 0;
    enum sl_log_level level = SL_LOG_INFO;
    /* --log-json first, so that a mistake in the other options is a JSON line too. */
    for (int k = 1; k < argc && argv[k][0] == '-'; k++)
        json |= !strcmp(argv[k], "--log-json");
    sl_log_setup(level, json);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--version")) {
            printf("%s\n", sl_created_by());
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--log-json")) {
            json = 1;
        } else if (!strcmp(argv[i], "-v")) {
            level = SL_LOG_DEBUG;
        } else {
            sl_log_usage(usage, "unknown option '%s'", argv[i]);
            return EXIT_USAGE;
        }
    }
    sl_log_setup(level, json);
    if (i == argc) {
        sl_log_usage(usage, "no command given");
        return EXIT_USAGE;
    }
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (!strcmp(argv[i], cmds[k].name))
            return cmds[k].fn(argc - i, argv + i);
    sl_log_usage(usage, "unknown command '%s'", argv[i]);
    return EXIT_USAGE;
}
