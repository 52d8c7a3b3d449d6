/*
 * test_engine_cloud.c — the helpers of the remote engines (engine/cloud.h):
 * the rewrite of layer-qualified names, run tags, Hive/Trino column types.
 */
#include <stdlib.h>

#include "check.h"
#include "engine/cloud.h"

/* Every layer.name becomes <L>.<name>_r; stage2.skip is left as written. */
static int rename_fn(void *arg, const char *layer, const char *name, char *out, size_t size)
{
    (void)arg;
    if (!strcmp(name, "skip"))
        return 1;
    snprintf(out, size, "\"%c\".\"%s_r\"", layer[0] == 'r' ? 'R' : layer[5], name);
    return 0;
}

static void expect(const char *in, const char *want)
{
    char *got = engine_sql_qualify(in, strlen(in), rename_fn, NULL);
    CHECK_EQ_STR(got, want);
    free(got);
}

static void test_qualify(void)
{
    expect("SELECT * FROM raw.users", "SELECT * FROM \"R\".\"users_r\"");
    expect("select * from RAW.users u join stage1.orders o on o.id = u.id",
           "select * from \"R\".\"users_r\" u join \"1\".\"orders_r\" o on o.id = u.id");
    expect("SELECT * FROM \"stage1\".\"Big Name\"", "SELECT * FROM \"1\".\"Big Name_r\"");
    /* strings, comments, a name after a dot, a column called raw: untouched */
    expect("SELECT 'raw.users', raw -- raw.users\nFROM t.raw.users /* stage1.x */",
           "SELECT 'raw.users', raw -- raw.users\nFROM t.raw.users /* stage1.x */");
    expect("SELECT 'it''s raw.x' FROM raw.x", "SELECT 'it''s raw.x' FROM \"R\".\"x_r\"");
    expect("SELECT * FROM stage2.skip", "SELECT * FROM stage2.skip");
    expect("SELECT rawx.y, raw_1.z FROM raw . y", "SELECT rawx.y, raw_1.z FROM raw . y");
    /* only `len` bytes are read */
    char *got = engine_sql_qualify("SELECT 1 FROM raw.a; junk", 19, rename_fn, NULL);
    CHECK_EQ_STR(got, "SELECT 1 FROM \"R\".\"a_r\"");
    free(got);
}

static void test_names(void)
{
    char out[64];
    engine_run_tag("stage1/x/run=20261130T010203Z", out, sizeof out);
    CHECK_EQ_STR(out, "20261130t010203z");
    engine_table_name("Big-Name 2", out, sizeof out);
    CHECK_EQ_STR(out, "big_name_2");
}

static void test_types(void)
{
    struct sl_column cols[] = {
        {.name = "a", .type = SL_T_INT32},
        {.name = "b", .type = SL_T_DECIMAL, .precision = 12, .scale = 2},
        {.name = "c", .type = SL_T_STRING, .list = true},
        {.name = "d", .type = SL_T_TIMESTAMPTZ},
    };
    struct lake_dataset d = {.layer = "raw", .name = "t", .schema = {.ncols = 4, .cols = cols}};
    struct sl_err err = {0};
    char *hive = engine_column_list(&d, false, &err), *trino = engine_column_list(&d, true, &err);
    CHECK_EQ_STR(hive, "(`a` int, `b` decimal(12,2), `c` array<string>, `d` timestamp)");
    CHECK_EQ_STR(trino,
                 "(\"a\" integer, \"b\" decimal(12,2), \"c\" array(varchar), \"d\" timestamp(6))");
    free(hive);
    free(trino);
}

int main(void)
{
    RUN(test_qualify);
    RUN(test_names);
    RUN(test_types);
    return CHECK_DONE();
}
