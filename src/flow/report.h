/*
 * report.h — one run as one self-contained HTML page.
 *
 * The page is read from the run history (.snaplake/state.db, state.h) alone:
 * the run's header (id, state, source, lake, times), the failed task and its
 * error on top when the run failed or was interrupted, the task graph
 * (snapshot → export chunks per table → stage-1 → stage-2 → publish →
 * retention) coloured by state, a timeline of the tasks against wall-clock
 * time (retried tasks hatched), a table of every task with its throughput,
 * and the run's duration next to the previous runs'.
 *
 * Self-contained: inline CSS and inline SVG, no script, no font, image or
 * style from anywhere else, and a Content-Security-Policy that forbids them,
 * so the file opens the same from a mail attachment, a CI artifact or a
 * machine without network.  Every text from the history (task names,
 * errors, the source) is escaped for HTML.
 *
 * The history is opened read-only with this file's own queries of the
 * `runs` and `tasks` tables (their schema-1 columns, which later schema
 * versions keep), so a report never changes the history it reads.
 */
#ifndef SL_FLOW_REPORT_H
#define SL_FLOW_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

/* Write the report of run_id from the history at state_db_path to out.
 * live_run is the run going now (it holds the run lock), or NULL when none
 * is: a run recorded as running that is not live_run ended without
 * recording its end and is shown as interrupted, as `snaplake status`
 * shows it.  Returns SL_OK, or SL_ERROR with *err set (no history, no such
 * run, the history unreadable, out cannot be written). */
int flow_report_write(const char *state_db_path, const char *run_id, const char *live_run,
                      FILE *out, struct sl_err *err);

/* The newest run's id into out[size] ("" when no run is recorded).
 * Returns SL_OK, or SL_ERROR with *err set when the history cannot be
 * read. */
int flow_report_newest_run(const char *state_db_path, char *out, size_t size, struct sl_err *err);

#endif
