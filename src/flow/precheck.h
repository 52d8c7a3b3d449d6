/*
 * precheck.h — what can be checked before a run starts, checked before it.
 *
 * config.c refuses what is wrong in the file itself; these checks look at
 * the filesystem the file points at.  A mistake found here costs nothing:
 * no lock, no run id, no snapshot, no failed run in the history, and the
 * command exits 2 (usage or configuration error) instead of 1 after the
 * whole export.
 */
#ifndef SL_FLOW_PRECHECK_H
#define SL_FLOW_PRECHECK_H

#include "config/config.h"
#include "util/err.h"

/* Check, in this order:
 *   - a sqlite:// source: the file exists, is a regular file, can be read and
 *     starts with the SQLite header;
 *   - the lake: a folder when it exists, else creatable (its nearest existing
 *     parent is a writable folder);
 *   - unless `export_only`: the models folder exists when `models:` was set in
 *     the file (the default ./models may be missing), holds no .sql file
 *     outside stage1/ and stage2/, and every model file has a safe name and
 *     holds more than blanks and comments, and the models of a stage do not
 *     read each other in a cycle (deps.h).
 * Errors have stage "config"; the object is the config's FILE:LINE:COLUMN of
 * the value concerned, or the model file. */
int flow_precheck(const struct sl_config *cfg, int export_only, struct sl_err *err);

#endif
