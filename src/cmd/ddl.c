/*
 * ddl.c — `snaplake ddl [--dialect hive|trino|athena] [RUN_ID]`: the SQL
 * that registers the published run's datasets in a metastore of the user's
 * own (Hive, Athena, Trino's Hive connector), printed on stdout.
 *
 * Everything comes from the run's manifest (`_snaplake/runs/<RUN>.json`,
 * flow/manifest.h): datasets, their run folders, their columns.  Models'
 * columns are not in the manifest yet; they are read from the dataset's
 * first file (DuckDB DESCRIBE, catalog/hive.c) when the file is on this
 * machine.  Types are mapped by catalog/hive.c, the same mapping the Glue
 * catalog registers.
 */
#include "catalog/hive.h"
#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"

#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: snaplake ddl [-c FILE] [--dialect hive|trino|athena] [--database NAME] [RUN_ID]\n"
    "\n"
    "Print the SQL that registers a run's datasets in your own metastore: the\n"
    "published run, or RUN_ID (a run whose manifest the lake still holds).\n"
    "Databases NAME_raw, NAME_stage1, NAME_stage2 first, then one external\n"
    "Parquet table per dataset whose location is the dataset's run folder.\n"
    "\n"
    "  -c, --config FILE   the project file (default: snaplake.yml)\n"
    "  -d, --dialect D     hive (default): CREATE EXTERNAL TABLE … STORED AS PARQUET\n"
    "                      LOCATION, then ALTER TABLE … SET LOCATION (so the\n"
    "                      script moves existing tables to this run);\n"
    "                      athena: the same, for Athena (needs an s3:// lake);\n"
    "                      trino: CREATE TABLE … WITH (format = 'PARQUET',\n"
    "                      external_location = …) for Trino's Hive connector\n"
    "      --database NAME the databases' name stem (default: glue.database from\n"
    "                      the config, else snaplake)\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 printed; 1 the run's manifest or a dataset's columns could\n"
    "not be read, or a column has no type in the dialect; 2 usage or\n"
    "configuration error.\n";

/* The databases' name stem: the Glue catalog's (glue.database), so that
 * the DDL names what `catalog: glue` would register. */
static const char *database_stem(const struct sl_config *cfg)
{
    const char *db = config_option(cfg, "glue", "database");
    return db ? db : "snaplake";
}

static const char *const layers[] = {"raw", "stage1", "stage2"};

static int layer_rank(const char *layer)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(layer, layers[i]))
            return i;
    return 3;
}

/* Manifest datasets in publish order: raw, stage1, stage2, each by name. */
static int dataset_order(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *lx = json_string_value(json_object_get(x, "layer"));
    const char *ly = json_string_value(json_object_get(y, "layer"));
    int d = layer_rank(lx ? lx : "") - layer_rank(ly ? ly : "");
    if (d)
        return d;
    const char *nx = json_string_value(json_object_get(x, "name"));
    const char *ny = json_string_value(json_object_get(y, "name"));
    return strcmp(nx ? nx : "", ny ? ny : "");
}

/* A run id names a file under _snaplake/runs: no '/' and no "..". */
static bool run_id_ok(const char *s)
{
    if (!*s || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* The dataset's columns: as catalog/hive.c's hive_dataset_columns, a
 * model's from its file when the file is here (the manifest writes STRUCT,
 * MAP and INTERVAL columns of models as text), else from the manifest. */
static int manifest_columns(struct store *store, json_t *d, const char *what,
                            struct hive_column **cols, int *n, struct sl_err *err)
{
    json_t *cj = json_object_get(d, "columns");
    const char *layer = json_string_value(json_object_get(d, "layer"));
    const char *file =
        json_string_value(json_object_get(json_array_get(json_object_get(d, "files"), 0), "path"));
    char local[PATH_MAX];
    bool have_file =
        file && store->type->local_path(store->ctx, file, local, sizeof local) == SL_OK;
    *cols = NULL;
    *n = 0;
    if (!(have_file && layer && strcmp(layer, "raw")) && json_is_array(cj) &&
        json_array_size(cj) > 0) {
        size_t k = json_array_size(cj);
        *cols = calloc(k, sizeof **cols);
        if (!*cols)
            return sl_err_set(err, false, "ddl", what, "out of memory");
        for (size_t i = 0; i < k; i++) {
            json_t *c = json_array_get(cj, i);
            const char *name = json_string_value(json_object_get(c, "name"));
            const char *sql = json_string_value(json_object_get(c, "sql_type"));
            if (!name || !sql)
                return sl_err_set(err, false, "ddl", what,
                                  "column %zu has no name or sql_type in the manifest", i + 1);
            snprintf((*cols)[i].name, sizeof(*cols)[i].name, "%s", name);
            snprintf((*cols)[i].sql, sizeof(*cols)[i].sql, "%s", sql);
        }
        *n = (int)k;
        return SL_OK;
    }
    if (!file)
        return SL_OK; /* no files, no columns: an empty table */
    if (!have_file)
        return sl_err_set(err, false, "ddl", what,
                          "the manifest lists no columns and the file %s is not on this machine "
                          "to read them from",
                          file);
    if (hive_file_columns(local, cols, n, err)) {
        sl_err_context(err, "%s", what);
        return SL_ERROR;
    }
    return SL_OK;
}

/* One dataset's statements. */
static int print_table(FILE *out, struct store *store, json_t *d, const char *stem,
                       enum hive_dialect dialect, struct sl_err *err)
{
    const char *layer = json_string_value(json_object_get(d, "layer"));
    const char *name = json_string_value(json_object_get(d, "name"));
    const char *prefix = json_string_value(json_object_get(d, "location"));
    if (!layer || !name || !prefix)
        return sl_err_set(err, false, "ddl", "manifest",
                          "a dataset without layer, name or location");
    char what[256], location[PATH_MAX + 80];
    snprintf(what, sizeof what, "%s.%s", layer, name);
    hive_location(store, prefix, location, sizeof location);
    /* A quote in the lake's path would end the SQL string: Trino doubles
     * it, Hive and Athena take a backslash. */
    char literal[2 * sizeof location];
    char *o = literal;
    for (const char *p = location; *p; p++) {
        if (*p == '\'' || (*p == '\\' && dialect != HIVE_DIALECT_TRINO))
            *o++ = dialect == HIVE_DIALECT_TRINO ? '\'' : '\\';
        *o++ = *p;
    }
    *o = 0;
    struct hive_column *cols = NULL;
    int n = 0;
    if (manifest_columns(store, d, what, &cols, &n, err)) {
        free(cols);
        return SL_ERROR;
    }
    bool trino = dialect == HIVE_DIALECT_TRINO;
    const char *q = trino ? "\"" : "`";
    size_t cap = (size_t)n * (HIVE_TYPE_MAX + 300) + 1;
    char *body = malloc(cap);
    o = body;
    int rc = body ? SL_OK : sl_err_set(err, false, "ddl", what, "out of memory");
    if (body)
        *o = 0;
    for (int i = 0; rc == SL_OK && i < n; i++) {
        char type[HIVE_TYPE_MAX], col[512];
        snprintf(col, sizeof col, "%s.%s", what, cols[i].name);
        rc = hive_type(cols[i].sql, dialect, col, type, sizeof type, err);
        if (rc == SL_OK)
            o += sprintf(o, "  %s%s%s %s%s\n", q, cols[i].name, q, type, i + 1 < n ? "," : "");
    }
    if (rc == SL_OK) {
        /* Athena refuses a table without columns; say so in SQL comments. */
        if (!n)
            fprintf(out, "-- %s has no columns (no files): nothing to register\n", what);
        else if (trino)
            fprintf(out,
                    "CREATE TABLE IF NOT EXISTS \"%s_%s\".\"%s\" (\n%s)\n"
                    "WITH (format = 'PARQUET', external_location = '%s');\n",
                    stem, layer, name, body, literal);
        else
            fprintf(out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS `%s_%s`.`%s` (\n%s)\n"
                    "STORED AS PARQUET\nLOCATION '%s';\n"
                    "ALTER TABLE `%s_%s`.`%s` SET LOCATION '%s';\n",
                    stem, layer, name, body, literal, stem, layer, name, literal);
    }
    free(body);
    free(cols);
    return rc;
}

static int print_ddl(const struct sl_config *cfg, const char *run_arg, const char *stem,
                     enum hive_dialect dialect, struct sl_err *err)
{
    struct store store = {0};
    struct sl_buf buf;
    char run[128], path[256];
    json_t *m = NULL;
    json_t **ds = NULL;
    int rc = SL_ERROR;
    /* Everything goes to memory first: stdout gets the whole script or,
     * when a dataset fails, nothing (no half script to run by mistake). */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    sl_buf_init(&buf, 256u << 20);
    if (!out) {
        sl_err_set(err, false, "ddl", "", "out of memory");
        goto out;
    }
    if (store_open(&store, cfg->lake, NULL, err))
        goto out;
    if (run_arg) {
        snprintf(run, sizeof run, "%s", run_arg);
    } else {
        int g = store.type->get(store.ctx, "_snaplake/current", &buf, err);
        if (g == STORE_NOT_FOUND) {
            sl_err_set(err, false, "ddl", cfg->lake,
                       "nothing is published in this lake yet: "
                       "run `snaplake run` first, or name a RUN_ID");
            goto out;
        }
        if (g)
            goto out;
        size_t n = buf.len;
        while (n && (buf.data[n - 1] == '\n' || buf.data[n - 1] == ' '))
            n--;
        snprintf(run, sizeof run, "%.*s", (int)n, (const char *)buf.data);
        buf.len = 0;
    }
    if (!run_id_ok(run)) {
        sl_err_set(err, false, "ddl", run, "not a run id (letters, digits, '-', '_', '.')");
        goto out;
    }
    snprintf(path, sizeof path, "_snaplake/runs/%s.json", run);
    int g = store.type->get(store.ctx, path, &buf, err);
    if (g == STORE_NOT_FOUND) {
        sl_err_set(err, false, "ddl", path,
                   "no manifest for run %s in the lake (`snaplake status --list` shows the runs; "
                   "retention keeps the newest run.keep_runs)",
                   run);
        goto out;
    }
    if (g)
        goto out;
    json_error_t je;
    m = json_loadb((const char *)buf.data, buf.len, 0, &je);
    json_t *arr = m ? json_object_get(m, "datasets") : NULL;
    if (!json_is_array(arr)) {
        sl_err_set(err, false, "ddl", path, "not a manifest: %s",
                   m ? "no datasets array" : je.text);
        goto out;
    }
    size_t nd = json_array_size(arr);
    ds = calloc(nd ? nd : 1, sizeof *ds);
    if (!ds) {
        sl_err_set(err, false, "ddl", path, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nd; i++)
        ds[i] = json_array_get(arr, i);
    qsort(ds, nd, sizeof *ds, dataset_order);
    if (dialect == HIVE_DIALECT_ATHENA && strncmp(cfg->lake, "s3://", 5))
        sl_warn("ddl: the lake %s is not on S3: Athena reads only s3:// locations", cfg->lake);
    fprintf(out, "-- snaplake run %s (%s dialect): %zu datasets of %s\n", run,
            dialect == HIVE_DIALECT_TRINO    ? "trino"
            : dialect == HIVE_DIALECT_ATHENA ? "athena"
                                             : "hive",
            nd, cfg->lake);
    for (int l = 0; l < 3; l++)
        fprintf(out,
                dialect == HIVE_DIALECT_TRINO ? "CREATE SCHEMA IF NOT EXISTS \"%s_%s\";\n"
                                              : "CREATE DATABASE IF NOT EXISTS `%s_%s`;\n",
                stem, layers[l]);
    for (size_t i = 0; i < nd; i++) {
        fputc('\n', out);
        if (print_table(out, &store, ds[i], stem, dialect, err))
            goto out;
    }
    rc = SL_OK;
out:
    if (out && !fclose(out) && rc == SL_OK)
        fwrite(text, 1, text_len, stdout);
    free(text);
    free(ds);
    json_decref(m);
    sl_buf_free(&buf);
    if (store.type)
        store_close(&store);
    return rc;
}

int cmd_ddl(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"dialect", required_argument, NULL, 'd'},
                                         {"database", required_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = "snaplake.yml", *database = NULL;
    enum hive_dialect dialect = HIVE_DIALECT_HIVE;
    int c;
    optind = 1;
    opterr = 0; /* our own messages, through the log (--log-json) */
    while ((c = getopt_long(argc, argv, ":c:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd':
            if (hive_dialect_parse(optarg, &dialect)) {
                sl_log_usage(usage, "ddl: --dialect is hive, trino or athena, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'D':
            if (!*optarg ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(optarg)) {
                sl_log_usage(usage,
                             "ddl: --database takes lowercase letters, digits and '_' "
                             "(Glue and Athena fold names to lowercase), not '%s'",
                             optarg);
                return EXIT_USAGE;
            }
            database = optarg;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cmd_option_error("ddl", usage, c, argv); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        sl_log_usage(usage, "ddl: one RUN_ID at most, got '%s' and '%s'", argv[optind],
                     argv[optind + 1]);
        return EXIT_USAGE;
    }
    struct sl_config cfg;
    if (cmd_load_config(config, &cfg))
        return EXIT_USAGE;
    struct sl_err err = {0};
    int rc = print_ddl(&cfg, optind < argc ? argv[optind] : NULL,
                       database ? database : database_stem(&cfg), dialect, &err);
    fflush(stdout);
    if (rc)
        cmd_report(&err);
    config_free(&cfg);
    return rc ? EXIT_RUN_FAILED : EXIT_OK;
}
