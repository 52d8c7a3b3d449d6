/*
 * test_checks.c — the pieces of the checks made before a run that a table
 * of cases shows best: where a model's statement ends (engine_sql_code_end:
 * an empty or comment-only model, and what trim_model cuts before wrapping
 * a model in COPY (…)), and the listing of a stage's model files.
 */
#include "engine/engine.h"
#include "flow/models.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* The statement part of `sql`, as trim_model keeps it. */
static const char *kept(const char *sql)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)engine_sql_code_end(sql), sql);
    return buf;
}

static void test_code_end(void)
{
    /* Nothing but blanks, ';' and comments: no statement. */
    CHECK_EQ_INT(engine_sql_code_end(""), 0);
    CHECK_EQ_INT(engine_sql_code_end(" \t\r\n;\n;"), 0);
    CHECK_EQ_INT(engine_sql_code_end("-- a model to come"), 0);
    CHECK_EQ_INT(engine_sql_code_end("-- one\n/* two /* nested */ still */ ;\n-- three\n"), 0);
    /* Trailing blanks, ';' and comments are cut; leading ones stay (positions). */
    CHECK_EQ_STR(kept("SELECT 1"), "SELECT 1");
    CHECK_EQ_STR(kept("-- x\nSELECT 1;\n"), "-- x\nSELECT 1");
    CHECK_EQ_STR(kept("SELECT 1; -- done\n/* end */\n;"), "SELECT 1");
    CHECK_EQ_STR(kept("SELECT a -- the a\nFROM t\n"), "SELECT a -- the a\nFROM t");
    /* Quoted text is text, whatever it holds. */
    CHECK_EQ_STR(kept("SELECT ';--' AS x; -- c"), "SELECT ';--' AS x");
    CHECK_EQ_STR(kept("SELECT 'it''s;' AS x;"), "SELECT 'it''s;' AS x");
    CHECK_EQ_STR(kept("SELECT \"a;--b\" FROM t;"), "SELECT \"a;--b\" FROM t");
    CHECK_EQ_STR(kept("SELECT $$a;--$$, $q$b$ -- $q$ ;--"), "SELECT $$a;--$$, $q$b$ -- $q$");
    CHECK_EQ_STR(kept("SELECT $1 ;"), "SELECT $1");
    /* An unterminated string runs to the end (DuckDB reports it); an unterminated
     * comment at the end is a comment. */
    CHECK_EQ_STR(kept("SELECT 'abc;  "), "SELECT 'abc;  ");
    CHECK_EQ_STR(kept("SELECT 1 /* open ;"), "SELECT 1");
    /* Two statements: the second is kept (the engine's error points at ';'). */
    CHECK_EQ_STR(kept("SELECT 1; SELECT 2;"), "SELECT 1; SELECT 2");
}

static void touch(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static void test_models_list(void)
{
    char root[] = "/tmp/sl_test_checks.XXXXXX", stage[PATH_MAX];
    struct flow_model_file *list = NULL;
    struct sl_err e = {0};
    int n = -1;
    CHECK(mkdtemp(root) != NULL);
    /* No stage folder: no models. */
    CHECK_EQ_INT(flow_models_list(root, "stage1", &list, &n, &e), SL_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(list == NULL);
    snprintf(stage, sizeof stage, "%s/stage1", root);
    mkdir(stage, 0777);
    touch(stage, "b_2.sql");
    touch(stage, "a.sql");
    touch(stage, "notes.txt");
    touch(stage, ".sql");
    CHECK_EQ_INT(flow_models_list(root, "stage1", &list, &n, &e), SL_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(list[0].name, "a");
        CHECK_EQ_STR(list[1].name, "b_2");
        CHECK(strstr(list[0].path, "/stage1/a.sql") != NULL);
    }
    free(list);
    /* A name that is not its own safe name: the file and the name to use. */
    touch(stage, "Daily Sales.sql");
    sl_err_clear(&e);
    CHECK_EQ_INT(flow_models_list(root, "stage1", &list, &n, &e), SL_ERROR);
    CHECK(strstr(e.object, "/stage1/Daily Sales.sql") != NULL);
    CHECK(strstr(e.msg, "rename it to daily_sales.sql") != NULL);
    CHECK(list == NULL);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/Daily Sales.sql", stage);
    unlink(path);
    /* A stage path that is a file. */
    snprintf(path, sizeof path, "%s/stage2", root);
    touch(root, "stage2");
    sl_err_clear(&e);
    CHECK_EQ_INT(flow_models_list(root, "stage2", &list, &n, &e), SL_ERROR);
    CHECK(strstr(e.msg, "cannot read the stage2 models folder") != NULL);
    unlink(path);
    const char *names[] = {"b_2.sql", "a.sql", "notes.txt", ".sql"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", stage, names[i]);
        unlink(path);
    }
    rmdir(stage);
    rmdir(root);
}

int main(void)
{
    RUN(test_code_end);
    RUN(test_models_list);
    return CHECK_DONE();
}
