/*
 * progress.h — the live display of a run on a terminal: per running
 * table its rows, bytes, rows/s, percent of the source's estimate and ETA,
 * per running model its time, and an overall line, redrawn in place four
 * times a second.
 *
 * Shown when stderr is a terminal whose TERM is set and not "dumb", and the
 * log is plain (not --log-json) and not quiet (-q).  SNAPLAKE_PROGRESS=always
 * shows it on any stderr (tests capture it so), =never never.  NO_COLOR set:
 * no colors.  When not shown, every call here is a cheap no-op and the log
 * is exactly the plain one-line-per-event log.
 *
 * Workers add rows and bytes per batch with atomics (no lock on the hot
 * path); a small thread draws.  Log lines written while the display is up
 * clear it first and redraw it after (sl_log_set_hook), so they never mix.
 * Process-wide, like the log: one export at a time.
 */
#ifndef SL_FLOW_PROGRESS_H
#define SL_FLOW_PROGRESS_H

#include <stdint.h>

/* Before the workers start: progress_begin with the number of tables, then
 * progress_table once per chunk to export (its table's name, copied, and
 * its estimated rows), then progress_show starts the display if it is
 * wanted (see above).  A table with no chunk to export is not counted. */
void progress_begin(int ntables);
/* The same for other tasks than tables, named `what` in the overall line
 * ("stage1 models"): each running one shows how long it has run (a model's
 * rows are known when it is done), the overall line the rows and bytes of
 * the done ones and the time elapsed. */
void progress_begin_as(int ntasks, const char *what);
void progress_table(int table, const char *name, int64_t est_rows);
void progress_show(void);

/* Hot path, any thread: rows and bytes of one batch (negative to take back
 * a failed attempt's). */
void progress_add(int table, int64_t rows, int64_t bytes);
/* Leader: a chunk of the table started, ended (done or failed), or the
 * table's last chunk is done. */
void progress_chunk(int table, int started);
void progress_table_done(int table);

/* After the workers: the display is cleared and the cursor shown again.
 * Idempotent. */
void progress_end(void);

#endif
