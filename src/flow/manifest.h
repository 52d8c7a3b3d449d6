/*
 * manifest.h — <lake>/_snaplake/runs/<RUN_ID>.json, the record of one run.
 *
 * schema_version history:
 *   1  run_id, snaplake_version, source (rebuilt from parsed parts, never the
 *      user's string: no password), snapshot (what the source says of it), lake,
 * started_at/ended_at/seconds, datasets[] with layer, name, source_table, location, rows,
 * source_rows (a count in the snapshot) or source_rows_estimate (a statistic, e.g. PostgreSQL's
 * reltuples), bytes, files[] {path, rows, bytes, crc32 (zlib, hex), seconds}, columns[] {name,
 * source_name, source_type, type, sql_type, nullable, precision, scale}.
 */
#ifndef SL_FLOW_MANIFEST_H
#define SL_FLOW_MANIFEST_H

#include "config/config.h"
#include "lake/dataset.h"
#include "flow/state.h"
#include "source/source.h"
#include "util/err.h"

#define FLOW_MANIFEST_SCHEMA_VERSION 1

/* Build the manifest text of run_id from what the run state recorded (its
 * snapshot, datasets and files); *out is malloc'd, caller frees. */
int flow_manifest_build(struct flow_state *state, const char *run_id, const struct sl_config *cfg,
                        double started, double ended, char **out, struct sl_err *err);

/* A schema's columns as the manifest writes them (a JSON array, compact),
 * for the run state to keep; NULL when the schema has no columns.  Caller
 * frees. */
char *flow_manifest_columns(const struct sl_schema *schema);

#endif
