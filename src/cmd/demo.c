/*
 * demo.c — `snaplake demo`: a sample project, then a whole run on it.
 *
 * Creates DIR (default ./snaplake-demo) with shop.db (demo/shop.h),
 * snaplake.yml, models/ (copied from examples/shop/models) and lake/, runs
 * the pipeline, and prints the first rows of a stage-2 dataset.  Run again,
 * it keeps the database and makes a new run.
 */
#include "cmd/cmd.h"
#include "demo/shop.h"
#include "flow/precheck.h"
#include "flow/run.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: snaplake demo [--dir DIR] [--rows N] [--seed S] [-j N]\n"
    "\n"
    "Build a sample shop database (household receipts) and run the whole\n"
    "pipeline on it: snapshot, Parquet export, stage-1 and stage-2 models,\n"
    "publish.  Running it again makes a new run on the same database.\n"
    "\n"
    "  --dir DIR     project folder (default: snaplake-demo)\n"
    "  --rows N      receipt items to generate (default 100000); regenerates\n"
    "                the database when given\n"
    "  --seed S      random seed (default 42)\n"
    "  -j, --jobs N  parallel workers\n"
    "  -h, --help    this text\n";

/* The example models, relative to the binary (/proc/self/exe, symlinks
 * resolved): build/snaplake → ../examples/shop/models in the source tree;
 * PREFIX/bin/snaplake → PREFIX/share/snaplake/examples/shop/models where
 * `make install` puts them (with DESTDIR staging too).  SNAPLAKE_EXAMPLES
 * overrides both. */
static const char *const models_rel[] = {"../examples/shop/models",
                                         "../share/snaplake/examples/shop/models"};

static int find_models(char *out, size_t size)
{
    const char *env = getenv("SNAPLAKE_EXAMPLES");
    struct stat st;
    if (env) {
        snprintf(out, size, "%s/shop/models", env);
        return stat(out, &st) == 0 ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    *strrchr(exe, '/') = 0;
    for (size_t i = 0; i < sizeof models_rel / sizeof models_rel[0]; i++) {
        snprintf(out, size, "%s/%s", exe, models_rel[i]);
        if (stat(out, &st) == 0)
            return 0;
    }
    return -1;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[8192];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in)
        fclose(in);
    if (out && fclose(out))
        rc = -1;
    return rc;
}

static int copy_models(const char *from, const char *to, struct sl_err *err)
{
    static const char *const stages[] = {"stage1", "stage2"};
    mkdir(to, 0777);
    for (int s = 0; s < 2; s++) {
        char src[PATH_MAX], dst[PATH_MAX];
        snprintf(src, sizeof src, "%s/%s", from, stages[s]);
        snprintf(dst, sizeof dst, "%s/%s", to, stages[s]);
        mkdir(dst, 0777);
        DIR *d = opendir(src);
        if (!d)
            return sl_err_set(err, false, "demo", src, "cannot read the example models");
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".sql"))
                continue;
            char a[PATH_MAX + 256], b[PATH_MAX + 256];
            snprintf(a, sizeof a, "%s/%s", src, e->d_name);
            snprintf(b, sizeof b, "%s/%s", dst, e->d_name);
            if (copy_file(a, b)) {
                closedir(d);
                return sl_err_set(err, false, "demo", b, "cannot copy: %s", strerror(errno));
            }
        }
        closedir(d);
    }
    return SL_OK;
}

static int write_config(const char *path, int jobs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "# snaplake demo project: a SQLite shop database into a local lake.\n"
            "source: sqlite://shop.db\n"
            "lake: ./lake\n"
            "jobs: %d\n"
            "catalog: duckdb\n"
            "engine: duckdb\n"
            "parquet: { compression: zstd, row_group_mb: 128 }\n"
            "models: ./models\n"
            "run: { retries: 2, keep_runs: 3 }\n",
            jobs);
    return fclose(f);
}

int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"rows", required_argument, NULL, 'r'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = "snaplake-demo";
    long long rows = 100000, jobs = 0, seed = 42;
    int rows_given = 0, c;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'r':
            if (cmd_parse_int("demo", "--rows", optarg, 0, 1000000000LL, &rows))
                return EXIT_USAGE;
            rows_given = 1;
            break;
        case 's':
            if (cmd_parse_int("demo", "--seed", optarg, 0, LLONG_MAX, &seed))
                return EXIT_USAGE;
            break;
        case 'j':
            if (cmd_parse_int("demo", "--jobs", optarg, 1, 256, &jobs))
                return EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("demo", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        sl_log_usage(usage, "demo: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    struct sl_err err = {0};
    char db[PATH_MAX], yml[PATH_MAX], models[PATH_MAX], examples[PATH_MAX];
    struct stat st;
    if (mkdir(dir, 0777) && errno != EEXIST) {
        sl_err_set(&err, false, "demo", dir, "cannot create folder: %s", strerror(errno));
        cmd_report(&err);
        return EXIT_USAGE;
    }
    snprintf(db, sizeof db, "%s/shop.db", dir);
    snprintf(yml, sizeof yml, "%s/snaplake.yml", dir);
    snprintf(models, sizeof models, "%s/models", dir);
    if (rows_given || stat(db, &st) != 0) {
        sl_info("generating %s with %lld receipt items …", db, rows);
        if (demo_shop_generate(db, (long)rows, (unsigned long long)seed, &err)) {
            cmd_report(&err);
            return EXIT_RUN_FAILED;
        }
    }
    if (stat(yml, &st) != 0 && write_config(yml, jobs > 0 ? (int)jobs : 4)) {
        sl_err_set(&err, false, "demo", yml, "cannot write: %s", strerror(errno));
        cmd_report(&err);
        return EXIT_RUN_FAILED;
    }
    if (stat(models, &st) != 0) {
        if (find_models(examples, sizeof examples)) {
            sl_err_set(&err, false, "demo", "examples/shop/models",
                       "cannot find the example models (looked in %s and %s beside the "
                       "binary's folder); set SNAPLAKE_EXAMPLES to the examples folder",
                       models_rel[0], models_rel[1]);
            cmd_report(&err);
            return EXIT_RUN_FAILED;
        }
        if (copy_models(examples, models, &err)) {
            cmd_report(&err);
            return EXIT_RUN_FAILED;
        }
    }
    struct sl_config cfg;
    if (cmd_load_config(yml, &cfg))
        return EXIT_USAGE;
    if (jobs > 0)
        cfg.jobs = (int)jobs;
    if (flow_precheck(&cfg, 0, &err)) {
        cmd_report(&err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    struct flow_run_options ro = {0};
    int rc = flow_run(&cfg, &ro, &err);
    flow_report_save(&cfg, &ro, rc == SL_OK);
    flow_run_unlock(&ro);
    if (rc) {
        cmd_report(&err);
    } else {
        printf("\nstage2.monthly_active_users, first rows (snaplake query -c %s \"…\"):\n", yml);
        if (cmd_query_lake(cfg.lake,
                           "SELECT * FROM stage2.monthly_active_users ORDER BY 1 LIMIT 8",
                           FORMAT_TABLE, 0, stdout, &err)) {
            cmd_report(&err);
            rc = SL_ERROR;
        }
    }
    config_free(&cfg);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}
