/*
 * models.h — the model files of one stage: <models>/<stage>/<name>.sql.
 *
 * A model's file name is its dataset's name (stage1.<name>, and the lake's
 * folder <stage>/<name>/), so it must be a safe name as src_safe_name makes
 * them: lowercase ASCII letters, digits and '_', not starting with a digit.
 * Shared by the checks made before a run (precheck.c) and the run itself.
 */
#ifndef SL_FLOW_MODELS_H
#define SL_FLOW_MODELS_H

#include <limits.h>

#include "util/err.h"

struct flow_model_file {
    char name[128];      /* the file name without ".sql": the dataset's name */
    char path[PATH_MAX]; /* <models>/<stage>/<name>.sql */
};

/* The *.sql files of <models_dir>/<stage>, sorted by name, into *out (caller
 * frees with free()) and *n.  A missing stage folder is no models (SL_OK,
 * *n = 0).  A file name that is not a safe name is an error whose object is
 * the file and whose message gives the safe name to use; a stage path that
 * is not a folder is an error too.  Stage "config". */
int flow_models_list(const char *models_dir, const char *stage, struct flow_model_file **out,
                     int *n, struct sl_err *err);

#endif
