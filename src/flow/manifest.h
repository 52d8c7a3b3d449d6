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
 *   2  mixed_snapshots (true when the raw datasets come from more than one
 *      snapshot: a resume with --allow-mixed-snapshots); per raw dataset the
 *      identity of the snapshot its files come from, `snapshot` (one) or
 *      `snapshots` (several, each file then has `snapshot`, an index into
 *      them).  An identity: taken_at (ISO time) and what of snapshot_id,
 *      snapshot_time, lsn, binlog_file, binlog_position, gtid the source has.
 */
#ifndef SL_FLOW_MANIFEST_H
#define SL_FLOW_MANIFEST_H

#include "config/config.h"
#include "lake/dataset.h"
#include "flow/state.h"
#include "source/source.h"
#include "util/err.h"

#define FLOW_MANIFEST_SCHEMA_VERSION 2

/* Build the manifest text of run_id from what the run state recorded (its
 * snapshot, datasets and files); *out is malloc'd, caller frees. */
int flow_manifest_build(struct flow_state *state, const char *run_id, const struct sl_config *cfg,
                        double started, double ended, char **out, struct sl_err *err);

/* The identity of a snapshot, for an export chunk to record (state.h
 * flow_task_chunk): from the source's describe() text (may be NULL), the
 * fields that tell one snapshot from another, and taken_at.  Compact JSON;
 * caller frees; NULL when out of memory. */
char *flow_snapshot_identity(const char *describe, double taken_at);

/* A schema's columns as the manifest writes them (a JSON array, compact),
 * for the run state to keep; NULL when the schema has no columns.  Caller
 * frees. */
char *flow_manifest_columns(const struct sl_schema *schema);

#endif
