/*
 * models.c — see models.h.
 */
#include "flow/models.h"
#include "source/source.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_model(const void *a, const void *b)
{
    return strcmp(((const struct flow_model_file *)a)->name,
                  ((const struct flow_model_file *)b)->name);
}

int flow_models_list(const char *models_dir, const char *stage, struct flow_model_file **out,
                     int *n, struct sl_err *err)
{
    char dir[PATH_MAX];
    struct flow_model_file *list = NULL;
    int count = 0, rc = SL_OK;
    *out = NULL;
    *n = 0;
    snprintf(dir, sizeof dir, "%s/%s", models_dir, stage);
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return SL_OK; /* no folder: no models for this stage */
        return sl_err_set(err, false, "config", dir, "cannot read the %s models folder: %s", stage,
                          strerror(errno));
    }
    struct dirent *e;
    while (rc == SL_OK && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql"))
            continue;
        struct flow_model_file *grown = realloc(list, sizeof *list * (size_t)(count + 1));
        if (!grown) {
            rc = sl_err_set(err, false, "config", dir, "out of memory");
            break;
        }
        list = grown;
        struct flow_model_file *m = &list[count++];
        snprintf(m->name, sizeof m->name, "%.*s", (int)(len - 4), e->d_name);
        snprintf(m->path, sizeof m->path, "%s/%s", dir, e->d_name);
        char safe[sizeof m->name];
        src_safe_name(m->name, safe, sizeof safe, "m_");
        if (strcmp(safe, m->name) || len - 4 >= sizeof m->name)
            rc = sl_err_set(err, false, "config", m->path,
                            "a model's file name is its dataset name (%s.<name>) and must use "
                            "only lowercase letters, digits and '_', not starting with a digit: "
                            "rename it to %s.sql",
                            stage, safe);
    }
    closedir(d);
    if (rc != SL_OK) {
        free(list);
        return rc;
    }
    if (list)
        qsort(list, (size_t)count, sizeof *list, cmp_model);
    *out = list;
    *n = count;
    return SL_OK;
}
