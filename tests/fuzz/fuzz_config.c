/*
 * fuzz_config.c — libFuzzer target for the snaplake.yml parser.
 *
 * The input is the file's text (cut at the first NUL, as config_load refuses
 * NUL bytes anyway).  It goes through config_parse with a folder that does
 * not exist, so relative paths are resolved lexically and nothing on disk is
 * read or written.  Two environment variables are set once so ${VAR}
 * expansion has something to expand (and one that is long, for the value
 * cap); the seeds in corpus/config use them.
 *
 * Checked beyond "no crash, no leak, no UB": a failure always fills the
 * error with stage "config" and an object; a success has the required keys
 * and the defaults' invariants, and config_table_selected runs on it.
 */
#include "config/config.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char big[70000];
    memset(big, 'x', sizeof big - 1);
    setenv("SNAPLAKE_FUZZ", "fuzz-value", 1);
    setenv("SNAPLAKE_FUZZ_BIG", big, 1);
    return 0;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config: broken promise: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct sl_config cfg;
    struct sl_err err = {0};
    if (config_parse(text, "fuzz.yml", "/nonexistent/fuzz", &cfg, &err) == SL_OK) {
        check(cfg.source && cfg.lake && cfg.dir && cfg.path, "required keys set on success");
        check(cfg.jobs >= 1 && cfg.jobs <= 256, "jobs in range");
        check(cfg.row_group_mb >= 1, "row_group_mb in range");
        check(cfg.n_include >= 0 && cfg.n_exclude >= 0, "pattern counts");
        (void)config_table_selected(&cfg, "main", "orders");
        (void)config_table_selected(&cfg, NULL, "audit_log");
        config_free(&cfg);
    } else {
        char line[4096];
        check(err.set, "error set on failure");
        check(!strcmp(err.stage, "config"), "error stage is config");
        check(err.object[0] != '\0', "error has an object");
        sl_err_format(&err, line, sizeof line);
        /* config_parse frees cfg itself on failure; a second free must be harmless. */
        config_free(&cfg);
    }
    free(text);
    return 0;
}
