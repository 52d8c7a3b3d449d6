/*
 * athena_driver.c — drives the Athena engine (src/engine/athena.c) through
 * engine.h exactly as a run's stage does, for tests/e2e/athena.sh, without
 * an S3 lake: the store is a local folder, so the external_location the
 * engine sends is a file:// URL that tests/tools/athena_endpoint.py writes
 * its prepared result into.  (The config core refuses `engine: athena`
 * without `lake: s3://…` and `catalog: glue`; this program builds the
 * engine's options itself.)  Built by `make unit` into build/tests/tools/.
 *
 *   athena_driver LAKE RUN_ID RAW_PARQUET MODEL.sql...
 *
 * Environment: ATHENA_OUTPUT (athena.output), ATHENA_DATABASE
 * (glue.database), ATHENA_WORKGROUP, ATHENA_POLL.  RAW_PARQUET is stored as
 * raw/users/run=RUN_ID/part-0.parquet and registered (its columns from its
 * footer); each model (…/stage1/NAME.sql) is run and then registered, in
 * order.  One line per model on stdout:
 *   model NAME rows=R files=F cols=a:BIGINT,b:VARCHAR file=PATH:BYTES:CRC …
 * or "error STAGE: OBJECT: MESSAGE" (transient=0/1) on stderr; exit 1 on the
 * first error.  A transient error is retried once, as the pool would.
 * SIGTERM sets the engine's stop flag.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "engine/cloud.h"
#include "engine/engine.h"
#include "store/store.h"
#include "util/log.h"

static volatile sig_atomic_t stop_flag;
static void on_term(int sig) { stop_flag = sig; }

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static int fail(const struct sl_err *e)
{
    char buf[2400];
    fprintf(stderr, "error %s (transient=%d)\n", sl_err_format(e, buf, sizeof buf),
            e->transient);
    return 1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = s ? fread(s, 1, (1 << 20) - 1, f) : 0;
    (void)n;
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: athena_driver LAKE RUN_ID RAW_PARQUET MODEL.sql...\n");
        return 2;
    }
    sl_log_setup(getenv("ATHENA_DEBUG") ? SL_LOG_DEBUG : SL_LOG_WARN, 0);
    signal(SIGTERM, on_term);
    const char *lake = argv[1], *run = argv[2];
    struct config_value opts[] = {
        {.section = "athena", .name = "output",
         .text = (char *)env_or("ATHENA_OUTPUT", "s3://results/athena/")},
        {.section = "athena", .name = "workgroup",
         .text = (char *)env_or("ATHENA_WORKGROUP", "primary")},
        {.section = "athena", .name = "poll", .text = (char *)env_or("ATHENA_POLL", "0.05")},
        {.section = "glue", .name = "database", .text = (char *)env_or("ATHENA_DATABASE", "shop")},
    };
    struct sl_config cfg = {.engine = "athena", .options = opts,
                            .n_options = sizeof opts / sizeof *opts};
    struct sl_err err = {0};
    struct store store;
    struct engine eng = {0};
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.tmp", lake);
    if (store_open(&store, lake, NULL, &err))
        return fail(&err);
    struct engine_env env = {.threads = 2, .compression = PQ_CODEC_ZSTD, .store = &store,
                             .cfg = &cfg, .tmp_dir = tmp, .stop = &stop_flag};
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmp);
    if (system(cmd) != 0 || engine_open(&eng, &env, &err))
        return fail(&err);
    struct lake_dataset raw = {.layer = "raw", .name = "users", .files = 1};
    struct lake_file rf = {0};
    snprintf(raw.prefix, sizeof raw.prefix, "raw/users/run=%s", run);
    snprintf(rf.path, sizeof rf.path, "%s/part-0.parquet", raw.prefix);
    raw.file = &rf;
    int rc = 0;
    if (store_put_file(&store, argv[3], rf.path, &rf.bytes, &rf.crc32, &err) ||
        engine_duckdb_file_info(argv[3], &rf.rows, &raw.schema, &err) ||
        eng.type->register_dataset(eng.ctx, &raw, &err)) {
        rc = fail(&err);
        goto out;
    }
    for (int i = 4; i < argc && !rc; i++) {
        const char *slash = strrchr(argv[i], '/');
        char name[128], layer[8] = "stage1";
        snprintf(name, sizeof name, "%s", slash ? slash + 1 : argv[i]);
        name[strcspn(name, ".")] = 0;
        if (slash && slash - argv[i] >= 6 && !strncmp(slash - 6, "stage2", 6))
            snprintf(layer, sizeof layer, "stage2");
        struct lake_dataset out = {0};
        snprintf(out.layer, sizeof out.layer, "%s", layer);
        snprintf(out.name, sizeof out.name, "%s", name);
        snprintf(out.prefix, sizeof out.prefix, "%s/%s/run=%s", layer, name, run);
        store.type->url(store.ctx, out.prefix, out.location, sizeof out.location);
        char *sql = slurp(argv[i]);
        struct model_result res = {0};
        if (!sql) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            rc = 1;
            break;
        }
        int run = eng.type->run_model(eng.ctx, argv[i], sql, &out, NULL, &res, &err);
        if (run && err.transient) { /* the pool would try again: so do we, once */
            fprintf(stderr, "retrying after transient error: %s\n", err.msg);
            sl_err_clear(&err);
            model_result_free(&res);
            run = eng.type->run_model(eng.ctx, argv[i], sql, &out, NULL, &res, &err);
        }
        if (run) {
            rc = fail(&err);
        } else {
            printf("model %s rows=%lld files=%d cols=", name, (long long)res.rows, res.files);
            for (int c = 0; c < res.schema.ncols; c++) {
                char t[64];
                printf("%s%s:%s", c ? "," : "", res.schema.cols[c].name,
                       sl_type_sql(&res.schema.cols[c], t, sizeof t));
            }
            for (int f = 0; f < res.files; f++)
                printf(" file=%s:%lld:%08x", res.file[f].path, (long long)res.file[f].bytes,
                       res.file[f].crc32);
            printf("\n");
            fflush(stdout);
            out.file = res.file, out.files = res.files;
            if (eng.type->register_dataset(eng.ctx, &out, &err))
                rc = fail(&err);
        }
        model_result_free(&res);
        free(sql);
    }
out:
    engine_close(&eng);
    sl_schema_free(&raw.schema);
    store_close(&store);
    return rc;
}
