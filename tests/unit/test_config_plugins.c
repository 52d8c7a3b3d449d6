/*
 * test_config_plugins.c — plug-in option sections (config.h "Plug-in
 * options"), against a plug-in table of the test's own: this file defines
 * config_plugins, so the linker does not take plugins.c's from the library.
 * The real plug-ins' options are tested with the plug-ins.
 */
#include "config/config.h"

#include <stdlib.h>

#include "check.h"

static const struct config_option fake_options[] = {
    {.name = "database", .kind = CONFIG_OPT_STRING, .required = true,
     .example = "database: shop"},
    {.name = "part_mb", .kind = CONFIG_OPT_INT, .def = "8", .min = 5, .max = 5120},
    {.name = "poll", .kind = CONFIG_OPT_NUMBER, .def = "0.5", .min = 0.1, .max = 60},
    {.name = "path_style", .kind = CONFIG_OPT_BOOL},
    {0},
};
static const char *const fake_requires[] = {"catalog=duckdb", NULL};
static const struct config_plugin catalog_duckdb = {.role = "catalog", .name = "duckdb"};
static const struct config_plugin catalog_fake = {
    .role = "catalog", .name = "fake", .key = "fake", .options = fake_options};
static const struct config_plugin engine_duckdb = {.role = "engine", .name = "duckdb"};
static const struct config_plugin engine_needy = {
    .role = "engine", .name = "needy", .requires = fake_requires};
static const struct config_plugin engine_later = {.role = "engine", .name = "later",
                                                  .planned = true};
const struct config_plugin *const config_plugins[] = {
    &catalog_duckdb, &catalog_fake, &engine_duckdb, &engine_needy, &engine_later, NULL};

#define MINIMAL "source: sqlite:///data/app.db\nlake: /tmp/lake\n"

static int parse(const char *text, struct sl_config *cfg, struct sl_err *err)
{
    sl_err_clear(err);
    return config_parse(text, "t.yml", "/tmp", cfg, err);
}

#define CHECK_FAILS(text, want_object, want_msg)                                    \
    do {                                                                            \
        struct sl_config c_;                                                        \
        struct sl_err e_;                                                           \
        CHECK_EQ_INT(parse((text), &c_, &e_), SL_ERROR);                            \
        CHECK_EQ_STR(e_.object, (want_object));                                     \
        if (!strstr(e_.msg, (want_msg)))                                            \
            fprintf(stderr, "  message: %s\n", e_.msg), check_failed_now = 1;       \
    } while (0)

static void test_values_and_defaults(void)
{
    struct sl_config cfg;
    struct sl_err err;
    setenv("SL_TEST_DB", "shop", 1);
    CHECK_EQ_INT(parse(MINIMAL "catalog: fake\nfake: { database: \"${SL_TEST_DB}\", "
                               "path_style: yes }\n",
                       &cfg, &err),
                 SL_OK);
    CHECK_EQ_STR(config_option(&cfg, "fake", "database"), "shop");
    CHECK_EQ_STR(config_option(&cfg, "fake", "part_mb"), "8"); /* the table's default */
    CHECK(config_option_number(&cfg, "fake", "poll", 9) == 0.5);
    CHECK(config_option_bool(&cfg, "fake", "path_style", false));
    CHECK(config_option(&cfg, "fake", "nothing") == NULL);
    CHECK(config_option(&cfg, "other", "database") == NULL);
    char where[256];
    CHECK_EQ_STR(config_option_where(&cfg, "fake", "database", where, sizeof where), "t.yml:4:19");
    CHECK_EQ_STR(config_option_where(&cfg, "fake", "part_mb", where, sizeof where), "t.yml");
    config_free(&cfg);
    /* a section of a plug-in not chosen is checked but harmless */
    CHECK_EQ_INT(parse(MINIMAL "fake: { part_mb: 16 }\n", &cfg, &err), SL_OK);
    CHECK_EQ_INT((int)config_option_number(&cfg, "fake", "part_mb", 0), 16);
    config_free(&cfg);
}

static void test_errors_at_their_place(void)
{
    CHECK_FAILS(MINIMAL "catalog: fake\nfake: { databse: shop }\n", "t.yml:4:9",
                "unknown key 'databse' in 'fake'; expected one of: database, part_mb, poll, "
                "path_style; did you mean 'database'?");
    CHECK_FAILS(MINIMAL "catalog: fake\nfake: { database: shop, part_mb: 2 }\n", "t.yml:4:34",
                "'fake.part_mb' must be an integer between 5 and 5120, got '2'");
    CHECK_FAILS(MINIMAL "fake: { poll: soon }\n", "t.yml:3:15",
                "'fake.poll' must be a number between 0.1 and 60, got 'soon'");
    CHECK_FAILS(MINIMAL "fake: { path_style: maybe }\n", "t.yml:3:21",
                "'fake.path_style' must be true or false");
    CHECK_FAILS(MINIMAL "fake: { database: [a] }\n", "t.yml:3:19",
                "'fake.database' must be a non-empty string, got a list");
    CHECK_FAILS(MINIMAL "fake: shop\n", "t.yml:3:7", "'fake' must be a mapping");
    CHECK_FAILS(MINIMAL "fake: { part_mb: 8, part_mb: 9 }\n", "t.yml:3:21", "duplicate key 'part_mb'");
    /* the chosen plug-in's required option, at the choice */
    CHECK_FAILS(MINIMAL "catalog: fake\n", "t.yml:3:10",
                "'catalog: fake' needs 'fake.database' (fake: { database: shop })");
    /* what a plug-in needs of the others */
    CHECK_FAILS(MINIMAL "catalog: fake\nfake: { database: x }\nengine: needy\n", "t.yml:5:9",
                "'engine: needy' needs catalog: duckdb (this file has catalog: fake)");
    CHECK_FAILS(MINIMAL "engine: later\n", "t.yml:3:9", "'engine: later' is not built yet");
    CHECK_FAILS(MINIMAL "fkae: {}\n", "t.yml:3:1", "unknown key 'fkae'");
}

int main(void)
{
    RUN(test_values_and_defaults);
    RUN(test_errors_at_their_place);
    return CHECK_DONE();
}
