/*
 * test_parquet_config.c — the writer's keys in snaplake.yml's `parquet`
 * mapping that the writer work added: bloom_filter_columns (globs on
 * "<table>.<column>"), its default and its error.
 */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

static int parse(const char *text, struct sl_config *cfg, struct sl_err *err)
{
    sl_err_clear(err);
    return config_parse(text, "t.yml", "/tmp", cfg, err);
}

static void test_bloom_filter_columns(void)
{
    struct sl_config cfg = {0};
    struct sl_err err = {0};
    CHECK_EQ_INT(parse("source: sqlite:///a.db\nlake: ./lake\n", &cfg, &err), 0);
    CHECK_EQ_INT(cfg.n_bloom_filter_columns, 0);
    config_free(&cfg);
    CHECK_EQ_INT(parse("source: sqlite:///a.db\nlake: ./lake\n"
                       "parquet: { bloom_filter_columns: [\"orders.customer_id\", \"*.email\"] }\n",
                       &cfg, &err),
                 0);
    CHECK_EQ_INT(cfg.n_bloom_filter_columns, 2);
    if (cfg.n_bloom_filter_columns == 2) {
        CHECK_EQ_STR(cfg.bloom_filter_columns[0], "orders.customer_id");
        CHECK_EQ_STR(cfg.bloom_filter_columns[1], "*.email");
    }
    config_free(&cfg);
    CHECK_EQ_INT(parse("source: sqlite:///a.db\nlake: ./lake\n"
                       "parquet:\n  bloom_filter_columns: email\n",
                       &cfg, &err),
                 SL_ERROR);
    CHECK_EQ_STR(err.object, "t.yml:4:25");
    CHECK(strstr(err.msg, "entries are \"<table>.<column>\"") != NULL);
    CHECK(strstr(err.msg, "got \"email\"") != NULL);
    config_free(&cfg);
}

int main(void)
{
    RUN(test_bloom_filter_columns);
    return CHECK_DONE();
}
