/*
 * test_query.c — cmd_query_lake on catalogs made here with the DuckDB C API:
 * a catalog from before the views followed the lake (absolute globs), moved
 * away from its files, gets a message naming both places; statement
 * splitting around quotes and comments; JSON for NaN inside lists.
 */
#include "check.h"
#include "catalog/catalog.h"
#include "cmd/cmd.h"
#include "util/duck.h"

#include <stdlib.h>
#include <unistd.h>

static char top[64];

/* A lake at <top>/<name> whose catalog has one view raw.t over a glob of
 * absolute paths, as catalogs were written before the views named files. */
static void old_style_lake(const char *name)
{
    char dir[256], sql[1024];
    snprintf(dir, sizeof dir, "mkdir -p %s/%s/raw/t/run=1", top, name);
    CHECK_EQ_INT(system(dir), 0);
    snprintf(dir, sizeof dir, "%s/%s/%s", top, name, CATALOG_DUCKDB_FILE);
    duckdb_database db;
    duckdb_connection con;
    struct sl_err err = {0};
    CHECK_EQ_INT(duck_open(dir, &db, &con, &err, "test"), 0);
    snprintf(sql, sizeof sql,
             "COPY (SELECT 1 AS a UNION ALL SELECT 2) TO '%s/%s/raw/t/run=1/part-0.parquet' "
             "(FORMAT parquet); CREATE SCHEMA raw; CREATE VIEW raw.t AS SELECT * FROM "
             "read_parquet('%s/%s/raw/t/run=1/*.parquet')",
             top, name, top, name);
    CHECK_EQ_INT(duck_exec(con, sql, &err, "test", ""), 0);
    duckdb_disconnect(&con);
    duckdb_close(&db);
}

/* Run sql on <top>/<lake>; the printed text into out (caller frees). */
static int query(const char *lake, const char *sql, enum cmd_format fmt, char **out,
                 struct sl_err *err)
{
    char dir[256];
    size_t n;
    snprintf(dir, sizeof dir, "%s/%s", top, lake);
    FILE *f = open_memstream(out, &n);
    int rc = cmd_query_lake(dir, sql, fmt, 0, f, err);
    fclose(f);
    return rc;
}

static void test_old_catalog_moved(void)
{
    char *out = NULL, from[256], to[256];
    struct sl_err err = {0};
    old_style_lake("old");
    CHECK_EQ_INT(query("old", "SELECT count(*) AS n FROM raw.t", FORMAT_CSV, &out, &err), 0);
    CHECK_EQ_STR(out, "n\n2\n");
    free(out);
    snprintf(from, sizeof from, "%s/old", top);
    snprintf(to, sizeof to, "%s/new", top);
    CHECK_EQ_INT(rename(from, to), 0);
    CHECK(query("new", "SELECT count(*) AS n FROM raw.t", FORMAT_CSV, &out, &err) != 0);
    free(out);
    CHECK(strstr(err.msg, "outside this lake") != NULL);
    CHECK(strstr(err.msg, from) != NULL); /* where the catalog reads */
    CHECK(strstr(err.msg, to) != NULL);   /* where the lake is now */
    CHECK(strstr(err.msg, "snaplake run") != NULL);
}

static void test_statements(void)
{
    char *out = NULL;
    struct sl_err err = {0};
    /* ';' inside strings, quoted names and comments does not split. */
    CHECK_EQ_INT(query("new", "SELECT 'a;b' AS \"c;d\" -- e;f\n; /* g;h */ SELECT 'it''s;' AS x;;",
                       FORMAT_CSV, &out, &err),
                 0);
    CHECK_EQ_STR(out, "c;d\na;b\n\nx\nit's;\n");
    free(out);
    CHECK_EQ_INT(query("new", "SELECT [1, 'nan'::DOUBLE, '-inf'::DOUBLE] AS l, {'NaN': 'x'} AS s",
                       FORMAT_JSON, &out, &err),
                 0);
    CHECK_EQ_STR(out, "[{\"l\":[1.0,\"NaN\",\"-Infinity\"],\"s\":{\"NaN\":\"x\"}}]\n");
    free(out);
    CHECK(cmd_sql_is_blank(" -- x\n /* y */ ; ;"));
    CHECK(!cmd_sql_is_blank(" -- x\n SELECT 1"));
}

int main(void)
{
    snprintf(top, sizeof top, "/tmp/snaplake-test-query.XXXXXX");
    if (!mkdtemp(top))
        return 1;
    RUN(test_old_catalog_moved);
    RUN(test_statements);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", top);
    if (system(rm) != 0)
        return 1;
    return CHECK_DONE();
}
