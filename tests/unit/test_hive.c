/*
 * test_hive.c — catalog/hive.c: DuckDB type spellings to Hive and Trino
 * types, for every type the lake's files hold (docs/cloud.md "Column
 * types"), nesting, and the types Hive cannot read.
 */
#include "catalog/hive.h"
#include "check.h"

static const char *map(const char *duck, enum hive_dialect d)
{
    static char out[HIVE_TYPE_MAX];
    struct sl_err err = {0};
    if (hive_type(duck, d, "t.c", out, sizeof out, &err))
        snprintf(out, sizeof out, "ERROR %s", err.msg);
    return out;
}

static void test_hive_scalars(void)
{
    static const char *cases[][3] = {
        {"BOOLEAN", "boolean", "boolean"},
        {"SMALLINT", "smallint", "smallint"},
        {"INTEGER", "int", "integer"},
        {"BIGINT", "bigint", "bigint"},
        {"TINYINT", "tinyint", "tinyint"},
        {"FLOAT", "float", "real"},
        {"DOUBLE", "double", "double"},
        {"DECIMAL(12,2)", "decimal(12,2)", "decimal(12,2)"},
        {"DECIMAL(38,10)", "decimal(38,10)", "decimal(38,10)"},
        {"VARCHAR", "string", "varchar"},
        {"JSON", "string", "varchar"},
        {"BLOB", "binary", "varbinary"},
        {"UUID", "binary", "varbinary"},
        {"DATE", "date", "date"},
        {"TIME", "bigint", "bigint"},
        {"TIMESTAMP", "timestamp", "timestamp(6)"},
        {"TIMESTAMP WITH TIME ZONE", "timestamp", "timestamp(6)"},
        {"TIMESTAMP_NS", "timestamp", "timestamp(9)"},
        {"HUGEINT", "decimal(38,0)", "decimal(38,0)"},
        {"UBIGINT", "decimal(20,0)", "decimal(20,0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_STR(map(cases[i][0], HIVE_DIALECT_HIVE), cases[i][1]);
        CHECK_EQ_STR(map(cases[i][0], HIVE_DIALECT_ATHENA), cases[i][1]);
        CHECK_EQ_STR(map(cases[i][0], HIVE_DIALECT_TRINO), cases[i][2]);
    }
}

static void test_hive_nested(void)
{
    CHECK_EQ_STR(map("INTEGER[]", HIVE_DIALECT_HIVE), "array<int>");
    CHECK_EQ_STR(map("DECIMAL(10,2)[]", HIVE_DIALECT_TRINO), "array(decimal(10,2))");
    CHECK_EQ_STR(map("VARCHAR[][]", HIVE_DIALECT_HIVE), "array<array<string>>");
    CHECK_EQ_STR(map("UUID[]", HIVE_DIALECT_HIVE), "array<binary>");
    CHECK_EQ_STR(map("STRUCT(a INTEGER, \"b c\" VARCHAR[])", HIVE_DIALECT_HIVE),
                 "struct<a:int,`b c`:array<string>>");
    CHECK_EQ_STR(map("STRUCT(a INTEGER, \"b c\" VARCHAR[])", HIVE_DIALECT_TRINO),
                 "row(a integer, \"b c\" array(varchar))");
    CHECK_EQ_STR(map("MAP(VARCHAR, STRUCT(x DOUBLE))", HIVE_DIALECT_HIVE),
                 "map<string,struct<x:double>>");
    CHECK_EQ_STR(map("MAP(VARCHAR, BIGINT[])", HIVE_DIALECT_TRINO), "map(varchar, array(bigint))");
}

static void test_hive_refused(void)
{
    struct sl_err err = {0};
    char out[64];
    CHECK(hive_type("INTERVAL", HIVE_DIALECT_HIVE, "stage1.m.gap", out, sizeof out, &err) ==
          SL_ERROR);
    CHECK_EQ_STR(err.object, "stage1.m.gap");
    CHECK(strstr(err.msg, "INTERVAL") && strstr(err.msg, "cast it in the model"));
    sl_err_clear(&err);
    CHECK(hive_type("TIME WITH TIME ZONE", HIVE_DIALECT_TRINO, "c", out, sizeof out, &err));
    sl_err_clear(&err);
    CHECK(hive_type("DECIMAL(40,2)", HIVE_DIALECT_HIVE, "c", out, sizeof out, &err));
    sl_err_clear(&err);
    CHECK(hive_type("BIGINT garbage", HIVE_DIALECT_HIVE, "c", out, sizeof out, &err));
    sl_err_clear(&err);
    CHECK(hive_type("STRUCT(a", HIVE_DIALECT_HIVE, "c", out, sizeof out, &err));
    sl_err_clear(&err);
    /* Too long for the buffer: an error, not a truncated type. */
    CHECK(hive_type(
        "STRUCT(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa INTEGER, bbbbbbbbbbbbbbbbbbbbbbbbbbbbb INTEGER)",
        HIVE_DIALECT_HIVE, "c", out, 32, &err));
}

static void test_hive_from_schema(void)
{
    /* sl_type_sql's spelling of every internal type maps without error. */
    for (int t = SL_T_BOOL; t <= SL_T_TIMESTAMPTZ; t++)
        for (int list = 0; list < 2; list++) {
            struct sl_column c = {
                .type = (enum sl_type)t, .precision = 20, .scale = 4, .list = list};
            char sql[64];
            sl_type_sql(&c, sql, sizeof sql);
            const char *h = map(sql, HIVE_DIALECT_HIVE);
            CHECK(strncmp(h, "ERROR", 5) != 0);
            CHECK(!list || !strncmp(h, "array<", 6));
        }
}

int main(void)
{
    RUN(test_hive_scalars);
    RUN(test_hive_nested);
    RUN(test_hive_refused);
    RUN(test_hive_from_schema);
    return CHECK_DONE();
}
