/*
 * duckdb.c — the local catalog: <lake>/catalog.duckdb.
 *
 * A DuckDB database with schemas raw, stage1 and stage2 whose views read
 * the published run's Parquet files.  The view _snaplake.published says
 * which run the views point at, and when the catalog was built.
 *
 * A view names its run's files one by one (the manifest's list), never a
 * glob: a file missing from the run folder is an error, not a silently
 * smaller table, and a stray file copied next to them is not read.
 *
 * Each path is `coalesce(getvariable('snaplake_lake'), '<lake>') || '/raw/…'`:
 * a DuckDB client that sets nothing reads the lake where it was published,
 * from any working directory; `snaplake query` sets the variable to the
 * lake it opened, so a moved or copied lake just works there, and another
 * client of a moved lake needs one `SET VARIABLE snaplake_lake = '<new>'`.
 *
 * An S3 lake's catalog is built the same way in the project's .snaplake/tmp
 * and uploaded as <prefix>/catalog.duckdb in one PUT (atomic per object);
 * its views name s3:// paths, which any DuckDB with httpfs reads, and
 * `snaplake query` reads through a local copy of the published run
 * (lake/cache.h) by setting snaplake_lake to it.
 *
 * Atomic publish: a run builds its catalog in a new file
 * <lake>/_snaplake/catalog-<RUN_ID>.duckdb, closes it (DuckDB checkpoints on
 * close, leaving no WAL), then rename(2)s it over catalog.duckdb.  Readers
 * holding the old file open keep reading the old run; new readers see the
 * new one; a failed run removes its file and the old catalog stays.
 */
#include "catalog/catalog.h"
#include "engine/engine.h"
#include "util/datetime.h"
#include "util/duck.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct duck_catalog {
    struct store *store;
    bool local;             /* the lake is a local folder (STORE_CAP_LOCAL) */
    char root[PATH_MAX];    /* the lake's root as the views name it: folder or s3:// URL */
    char work[PATH_MAX];    /* where the new file is built: <lake>/_snaplake or the
                             * project's .snaplake/tmp for a remote lake */
    char tmp[PATH_MAX + 64];
    char run_id[64];
    duckdb_database db;
    duckdb_connection con;
};

static int dc_open(struct store *store, const struct sl_config *cfg, void **out,
                   struct sl_err *err)
{
    struct duck_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "catalog", "duckdb", "out of memory");
    c->store = store;
    c->local = (store->type->caps & STORE_CAP_LOCAL) != 0;
    store->type->url(store->ctx, "", c->root, sizeof c->root);
    if (c->local)
        snprintf(c->work, sizeof c->work, "%s/_snaplake", c->root);
    else
        snprintf(c->work, sizeof c->work, "%s/.snaplake/tmp", cfg->dir);
    *out = c;
    return SL_OK;
}

static void dc_abort(void *ctx)
{
    struct duck_catalog *c = ctx;
    if (!c)
        return;
    if (c->con)
        duckdb_disconnect(&c->con);
    if (c->db)
        duckdb_close(&c->db);
    if (c->tmp[0]) {
        char wal[PATH_MAX + 80];
        snprintf(wal, sizeof wal, "%s.wal", c->tmp);
        unlink(c->tmp);
        unlink(wal);
        c->tmp[0] = 0;
    }
}

static int dc_begin(void *ctx, const char *run_id, struct sl_err *err)
{
    struct duck_catalog *c = ctx;
    snprintf(c->run_id, sizeof c->run_id, "%s", run_id);
    mkdir(c->work, 0777);
    snprintf(c->tmp, sizeof c->tmp, "%s/catalog-%s.duckdb", c->work, run_id);
    unlink(c->tmp);
    if (duck_open(c->tmp, &c->db, &c->con, err, "catalog")) {
        c->tmp[0] = 0;
        return SL_ERROR;
    }
    /* One transaction from here to publish: every statement committed on
     * its own fsyncs the WAL (9 fsyncs for three tables), and the file is
     * checkpointed and flushed before it is renamed into place anyway.
     * _snaplake.published is a view of constants, not a one-row table: a
     * table's row group is compressed and written at the checkpoint (DuckDB
     * analyses FSST for its string column, about 10 ms and 650 page
     * faults), a view is one catalog entry. */
    char sql[512], id[160], at[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_format_timestamp((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, at, sizeof at);
    engine_sql_literal(run_id, id, sizeof id);
    snprintf(sql, sizeof sql,
             "BEGIN TRANSACTION; CREATE SCHEMA raw; CREATE SCHEMA stage1; CREATE SCHEMA stage2; "
             "CREATE SCHEMA _snaplake; CREATE VIEW _snaplake.published AS SELECT "
             "CAST(%s AS VARCHAR) AS run_id, TIMESTAMPTZ '%s+00' AS published_at",
             id, at);
    if (duck_exec(c->con, sql, err, "catalog", c->tmp)) {
        dc_abort(c);
        return SL_ERROR;
    }
    /* DuckDB binds a view when it is created, reading its files' schema:
     * for a remote lake it reads the run's local copies instead (the views
     * still name the lake's own paths, through the variable's default). */
    char local[PATH_MAX], lit[PATH_MAX * 2 + 8], set[PATH_MAX * 2 + 64];
    if (!c->local && c->store->type->local_path &&
        c->store->type->local_path(c->store->ctx, "", local, sizeof local) == SL_OK) {
        engine_sql_literal(local, lit, sizeof lit);
        snprintf(set, sizeof set, "SET VARIABLE %s = %s", CATALOG_LAKE_VARIABLE, lit);
        if (duck_exec(c->con, set, err, "catalog", c->tmp)) {
            dc_abort(c);
            return SL_ERROR;
        }
    }
    return SL_OK;
}

/* The view of one dataset over exactly its files (see the top of the file);
 * a dataset without files (none today) keeps the engine's folder view.
 * Caller frees; NULL on out of memory. */
static char *view_sql(const char *root, const struct lake_dataset *d)
{
    if (d->files == 0)
        return engine_view_sql(d);
    char name[300], lit[PATH_MAX * 2 + 8], base[PATH_MAX * 2 + 80];
    engine_sql_ident(d->name, name, sizeof name);
    engine_sql_literal(root, lit, sizeof lit);
    snprintf(base, sizeof base, "coalesce(getvariable('%s'), %s)", CATALOG_LAKE_VARIABLE, lit);
    size_t cap = 512 + (size_t)d->files * (strlen(base) + PATH_MAX * 2 + 16);
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(
        sql, cap, "CREATE OR REPLACE VIEW %s.%s AS SELECT * FROM read_parquet([", d->layer, name);
    for (int i = 0; i < d->files; i++) {
        char rel[PATH_MAX + 2];
        snprintf(rel, sizeof rel, "/%s", d->file[i].path);
        engine_sql_literal(rel, lit, sizeof lit);
        n += (size_t)snprintf(sql + n, cap - n, "%s\n    %s || %s", i ? "," : "", base, lit);
    }
    snprintf(sql + n, cap - n, "], hive_partitioning = false)");
    return sql;
}

static int dc_register(void *ctx, const struct lake_dataset *d, struct sl_err *err)
{
    struct duck_catalog *c = ctx;
    char *sql = view_sql(c->root, d);
    if (!sql)
        return sl_err_set(err, false, "catalog", d->name, "out of memory");
    int rc = duck_exec(c->con, sql, err, "catalog", d->name);
    free(sql);
    return rc;
}

static int dc_publish(void *ctx, struct sl_err *err)
{
    struct duck_catalog *c = ctx;
    char final[PATH_MAX + 32];
    snprintf(final, sizeof final, "%s/%s", c->root, CATALOG_DUCKDB_FILE);
    /* duckdb_close cannot report a failed checkpoint: checkpoint first and
     * check, so the file renamed into place holds every view (no WAL). */
    if (duck_exec(c->con, "COMMIT", err, "publish", c->tmp) ||
        duck_exec(c->con, "CHECKPOINT", err, "publish", c->tmp))
        return SL_ERROR;
    duckdb_disconnect(&c->con);
    duckdb_close(&c->db);
    int fd = open(c->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sl_err_set(err, sl_errno_transient(e), "publish", c->tmp, "cannot flush the catalog: %s",
                          strerror(e));
    }
    close(fd);
    if (!c->local) {
        /* One PUT: S3 replaces an object atomically, so readers get the
         * old catalog or the new one.  The local file goes either way. */
        int rc = store_put_file(c->store, c->tmp, CATALOG_DUCKDB_FILE, NULL, NULL, err);
        unlink(c->tmp);
        c->tmp[0] = 0;
        return rc;
    }
    if (rename(c->tmp, final))
        return sl_err_set(err, false, "publish", final, "cannot switch the catalog: %s",
                          strerror(errno));
    c->tmp[0] = 0;
    /* The rename itself survives a power loss once the folder is flushed. */
    fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return SL_OK;
}

static int read_published(const char *path, char *out, size_t size, struct sl_err *err);

/* The run in _snaplake.published of the file in place (not this run's). */
static int dc_published(void *ctx, char *out, size_t size, struct sl_err *err)
{
    struct duck_catalog *c = ctx;
    char path[PATH_MAX + 32];
    out[0] = 0;
    if (!c->local) {
        /* A copy of the lake's catalog file, read like a local one. */
        struct sl_buf b;
        sl_buf_init(&b, (size_t)1 << 30);
        int got = c->store->type->get(c->store->ctx, CATALOG_DUCKDB_FILE, &b, err);
        if (got != SL_OK) {
            sl_buf_free(&b);
            return got == STORE_NOT_FOUND ? SL_OK : SL_ERROR;
        }
        mkdir(c->work, 0777);
        snprintf(path, sizeof path, "%s/published-XXXXXX", c->work);
        int fd = mkstemp(path);
        int ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
        if (fd >= 0)
            close(fd);
        sl_buf_free(&b);
        int rc = ok ? read_published(path, out, size, err)
                    : sl_err_set(err, false, "recover", path, "cannot write a copy: %s",
                                 strerror(errno));
        unlink(path);
        return rc;
    }
    snprintf(path, sizeof path, "%s/" CATALOG_DUCKDB_FILE, c->root);
    if (access(path, F_OK))
        return SL_OK; /* a fresh lake: nothing published yet */
    return read_published(path, out, size, err);
}

/* The run in _snaplake.published of the catalog file at path. */
static int read_published(const char *path, char *out, size_t size, struct sl_err *err)
{
    duckdb_database db = NULL;
    duckdb_connection con = NULL;
    duckdb_result res;
    int rc = duck_open_readonly(path, &db, &con, err, "recover");
    if (rc == SL_OK) {
        if (duckdb_query(con, "SELECT run_id FROM _snaplake.published", &res) == DuckDBError) {
            char msg[1024];
            rc = sl_err_set(err, false, "recover", path,
                            "cannot read the published run from the catalog: %s",
                            duck_error_text(duckdb_result_error(&res), msg, sizeof msg));
        } else if (duckdb_row_count(&res) > 0) {
            char *v = duckdb_value_varchar(&res, 0, 0);
            snprintf(out, size, "%s", v ? v : "");
            duckdb_free(v);
        }
        duckdb_destroy_result(&res);
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

static void dc_close(void *ctx)
{
    dc_abort(ctx);
    free(ctx);
}

const struct catalog_type catalog_duckdb_type = {
    .name = "duckdb",
    .caps = CATALOG_CAP_ATOMIC,
    .open = dc_open,
    .register_dataset = dc_register,
    .begin = dc_begin,
    .publish = dc_publish,
    .abort = dc_abort,
    .published = dc_published,
    .close = dc_close,
};
