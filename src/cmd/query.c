/*
 * query.c — `snaplake query SQL`: SQL on the published catalog.
 *
 * Confined, because a scheduled job's query interface must not become a way
 * around the lake's permissions: the catalog is opened read-only, only
 * queries run, and DuckDB may read files inside the lake only
 * (cmd_query_lake in common.c).
 */
#include "cmd/cmd.h"
#include "lake/cache.h"
#include "store/store.h"

#include "util/log.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: snaplake query [-c FILE] [--format table|csv|json] [--max-rows N] SQL\n"
    "\n"
    "Run SQL on the lake's published catalog (schemas raw, stage1, stage2) with\n"
    "the embedded DuckDB and print the result.  Read-only: only queries run\n"
    "(SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN), and only\n"
    "files inside the lake can be read; COPY, EXPORT, ATTACH, INSTALL, LOAD,\n"
    "SET, PRAGMA and writes are refused (exit 1).  Several statements separated\n"
    "by ';' print every result in order.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -f, --format F      table (default), csv or json (an array of objects:\n"
    "                      numbers, booleans, lists, structs and null as JSON;\n"
    "                      other values as DuckDB's text; one array per line\n"
    "                      per statement)\n"
    "  -n, --max-rows N    rows to print in a table (default 100, 0 = all)\n"
    "  -h, --help          this text\n";

/* The folder the query reads: the lake itself when it is local; for a
 * remote lake, the project's local copy of its published run, brought up
 * to date first (lake/cache.h). */
static int query_root(const struct sl_config *cfg, char *out, size_t size, struct sl_err *err)
{
    struct store st = {0};
    snprintf(out, size, "%s", cfg->lake);
    if (!strstr(cfg->lake, "://"))
        return SL_OK; /* a folder (opening its store would create it) */
    if (store_open(&st, cfg->lake, &(struct store_options){.config = cfg}, err))
        return SL_ERROR;
    int rc = SL_OK;
    if (!(st.type->caps & STORE_CAP_LOCAL)) {
        char run[64];
        int fetched = 0;
        snprintf(out, size, "%s/.snaplake/cache/lake", cfg->dir);
        rc = lake_cache_published(&st, out, run, sizeof run, &fetched, err);
        if (rc == SL_OK && fetched)
            sl_info("query: %d file%s of run %s copied from %s into %s", fetched,
                    fetched == 1 ? "" : "s", run, cfg->lake, out);
    }
    store_close(&st);
    return rc;
}

int cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"max-rows", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml";
    enum cmd_format fmt = FORMAT_TABLE;
    long long max_rows = 100;
    int c;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":c:f:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'f':
            if (cmd_parse_format(optarg, &fmt)) {
                sl_log_usage(NULL, "query: --format must be table, csv or json, got '%s'",
                             optarg);
                return EXIT_USAGE;
            }
            break;
        case 'n':
            if (cmd_parse_int("query", "--max-rows", optarg, 0, LLONG_MAX, &max_rows))
                return EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("query", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        if (argc == optind)
            sl_log_usage(usage, "query: no SQL given");
        else
            sl_log_usage(usage, "query: one SQL argument, got '%s' and '%s' (quote the SQL)",
                         argv[optind], argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (cmd_sql_is_blank(argv[optind])) {
        sl_log_usage(NULL, "query: the SQL is empty; give a query, e.g. "
                           "snaplake query \"SELECT count(*) FROM raw.users\"");
        return EXIT_USAGE;
    }
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    struct sl_err err = {0};
    char lake[PATH_MAX + 32];
    int rc = query_root(&cfg, lake, sizeof lake, &err);
    if (rc == SL_OK)
        rc = cmd_query_lake(lake, argv[optind], fmt,
                            fmt == FORMAT_TABLE && max_rows > 0 ? (size_t)max_rows : 0, stdout,
                            &err);
    if (rc)
        cmd_report(&err);
    config_free(&cfg);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}
