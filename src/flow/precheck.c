/*
 * precheck.c — see precheck.h.
 *
 * Every check here is cheap (a few stat calls and reading the model files,
 * which the run reads anyway) and certain: it refuses only what the run
 * would fail on later, or what would publish something the user did not
 * mean (a mistyped `models:` folder publishes a catalog without its stage
 * datasets, and exits 0).
 */
#include "flow/precheck.h"
#include "engine/engine.h"
#include "flow/deps.h"
#include "flow/models.h"
#include "util/buf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE           "config"
#define MAX_MODEL_BYTES (64u << 20) /* as the run reads them */

static const char *const stages[] = {"stage1", "stage2"};

/* The file of a sqlite: source URL, as the SQLite source opens it: all after
 * "sqlite://".  A "?…" suffix that is not part of an existing file's name is
 * left to the source, which reads its options; `out` gets the name checked. */
static void sqlite_file(const char *url, char *out, size_t size)
{
    const char *p = !strncmp(url, "sqlite://", 9) ? url + 9 : url + 7;
    struct stat st;
    snprintf(out, size, "%s", p);
    char *q = strchr(out, '?');
    if (q && stat(out, &st) != 0)
        *q = '\0';
}

static int check_sqlite(const struct sl_config *cfg, struct sl_err *err)
{
    char file[PATH_MAX], where[PATH_MAX + 32];
    struct stat st;
    sqlite_file(cfg->source, file, sizeof file);
    config_where(cfg, cfg->source_at, where, sizeof where);
    if (stat(file, &st) != 0)
        return sl_err_set(
            err, false, STAGE, where,
            "the SQLite database %s %s; check `source:` (a sqlite://relative/path "
            "is relative to the config file's folder, sqlite:///abs/path is absolute)",
            file, errno == ENOENT ? "does not exist" : strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sl_err_set(err, false, STAGE, where,
                          "the SQLite database %s is %s, not a database file; check `source:`",
                          file, S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
    FILE *f = fopen(file, "rb");
    if (!f)
        return sl_err_set(err, false, STAGE, where, "cannot read the SQLite database %s: %s", file,
                          strerror(errno));
    char header[16] = {0};
    size_t n = fread(header, 1, sizeof header, f);
    fclose(f);
    /* An empty file is an empty database to SQLite; anything else must
     * start with the 16-byte magic of the file format. */
    if (st.st_size > 0 && (n < sizeof header || memcmp(header, "SQLite format 3", 16) != 0))
        return sl_err_set(err, false, STAGE, where,
                          "%s is not a SQLite database (its first bytes are not \"SQLite format "
                          "3\"); check `source:`",
                          file);
    return SL_OK;
}

static int check_lake(const struct sl_config *cfg, struct sl_err *err)
{
    char where[PATH_MAX + 32], parent[PATH_MAX];
    struct stat st;
    config_where(cfg, cfg->lake_at, where, sizeof where);
    if (!strncmp(cfg->lake, "s3://", 5))
        return SL_OK; /* the store checks its bucket when it opens */
    if (stat(cfg->lake, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return sl_err_set(err, false, STAGE, where,
                              "the lake %s is a file, not a folder; point `lake:` at a folder "
                              "(it is created when missing)",
                              cfg->lake);
        if (access(cfg->lake, W_OK | X_OK) != 0)
            return sl_err_set(err, false, STAGE, where, "the lake folder %s is not writable: %s",
                              cfg->lake, strerror(errno));
        return SL_OK;
    }
    /* Missing: the run creates it, so its nearest existing parent must be a
     * folder we may write in. */
    snprintf(parent, sizeof parent, "%s", cfg->lake);
    for (;;) {
        char *slash = strrchr(parent, '/');
        if (!slash)
            return SL_OK;
        if (slash == parent)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(parent, &st) == 0)
            break;
        if (slash == parent)
            return SL_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return sl_err_set(err, false, STAGE, where,
                          "the lake %s cannot be created: %s is a file, not a folder", cfg->lake,
                          parent);
    if (access(parent, W_OK | X_OK) != 0)
        return sl_err_set(err, false, STAGE, where, "the lake %s cannot be created in %s: %s",
                          cfg->lake, parent, strerror(errno));
    return SL_OK;
}

/* A model file that holds no statement: DuckDB's error about it would point
 * into snaplake's own wrapper. */
static int check_model_text(const struct flow_model_file *m, struct sl_err *err)
{
    FILE *f = fopen(m->path, "rb");
    if (!f)
        return sl_err_set(err, false, STAGE, m->path, "cannot read the model file: %s",
                          strerror(errno));
    struct sl_buf b;
    sl_buf_init(&b, MAX_MODEL_BYTES + 1);
    char chunk[8192];
    size_t n;
    int rc = SL_OK;
    while (rc == SL_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sl_buf_append(&b, chunk, n))
            rc = sl_err_set(err, false, STAGE, m->path, "the model file is larger than %u MiB",
                            MAX_MODEL_BYTES >> 20);
    if (rc == SL_OK && ferror(f))
        rc = sl_err_set(err, false, STAGE, m->path, "cannot read the model file");
    fclose(f);
    if (rc == SL_OK && sl_buf_putc(&b, '\0')) /* the cap (or memory) */
        rc = sl_err_set(err, false, STAGE, m->path, "the model file is larger than %u MiB",
                        MAX_MODEL_BYTES >> 20);
    const char *text = rc == SL_OK ? (const char *)b.data : NULL;
    if (rc == SL_OK && strlen(text) != b.len - 1)
        rc = sl_err_set(err, false, STAGE, m->path,
                        "the model file contains a NUL byte; is it text?");
    else if (rc == SL_OK && engine_sql_code_end(text) == 0)
        rc = sl_err_set(err, false, STAGE, m->path,
                        "the model file is empty (only blanks and comments); it must hold one "
                        "SELECT, whose result becomes the dataset %s",
                        m->name);
    sl_buf_free(&b);
    return rc;
}

/* .sql files directly in the models folder belong to no stage: the run
 * would skip them without a word.  The first by name is reported. */
static int check_stray_models(const struct sl_config *cfg, struct sl_err *err)
{
    DIR *d = opendir(cfg->models);
    if (!d)
        return sl_err_set(err, false, STAGE, cfg->models, "cannot read the models folder: %s",
                          strerror(errno));
    char first[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len >= 5 && !strcmp(e->d_name + len - 4, ".sql") &&
            (!first[0] || strcmp(e->d_name, first) < 0))
            snprintf(first, sizeof first, "%s", e->d_name);
    }
    closedir(d);
    if (!first[0])
        return SL_OK;
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", cfg->models, first);
    return sl_err_set(err, false, STAGE, path,
                      "a model file outside stage1/ and stage2/ is never run; move it into "
                      "%s/stage1/ (a model there reads raw.*) or %s/stage2/ (raw.* and stage1.*)",
                      cfg->models, cfg->models);
}

static int check_models(const struct sl_config *cfg, struct sl_err *err)
{
    char where[PATH_MAX + 32];
    struct stat st;
    config_where(cfg, cfg->models_at, where, sizeof where);
    if (stat(cfg->models, &st) != 0) {
        if (errno == ENOENT && cfg->models_at.line == 0)
            return SL_OK; /* the default ./models: no stage models */
        return sl_err_set(err, false, STAGE, where,
                          "the models folder %s %s; fix `models:` or remove it (without models "
                          "a run publishes raw.* only)",
                          cfg->models, errno == ENOENT ? "does not exist" : strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return sl_err_set(err, false, STAGE, where,
                          "the models folder %s is a file, not a folder; check `models:`",
                          cfg->models);
    if (check_stray_models(cfg, err))
        return SL_ERROR;
    for (size_t s = 0; s < sizeof stages / sizeof stages[0]; s++) {
        struct flow_model_file *list = NULL;
        int n = 0, rc = flow_models_list(cfg->models, stages[s], &list, &n, err);
        for (int i = 0; rc == SL_OK && i < n; i++)
            rc = check_model_text(&list[i], err);
        free(list);
        if (rc)
            return SL_ERROR;
        /* Models that read each other in a cycle could never run: say which. */
        struct flow_deps deps;
        if (flow_deps_load(cfg->models, stages[s], &deps, err))
            return SL_ERROR;
        flow_deps_free(&deps);
    }
    return SL_OK;
}

int flow_precheck(const struct sl_config *cfg, int export_only, struct sl_err *err)
{
    if (!strncmp(cfg->source, "sqlite:", 7) && check_sqlite(cfg, err))
        return SL_ERROR;
    if (check_lake(cfg, err))
        return SL_ERROR;
    if (!export_only && check_models(cfg, err))
        return SL_ERROR;
    return SL_OK;
}
