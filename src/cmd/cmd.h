/*
 * cmd.h — one function per subcommand (src/cmd/<name>.c), called by main().
 *
 * Exit codes (README "Exit codes"): 0 success, 1 the run (or query) failed,
 * 2 usage or configuration error.
 */
#ifndef SL_CMD_CMD_H
#define SL_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include <duckdb.h>

#include "config/config.h"
#include "util/err.h"

#define EXIT_OK 0
#define EXIT_RUN_FAILED 1
#define EXIT_USAGE 2

int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_ddl(int argc, char **argv);
int cmd_report_html(int argc, char **argv); /* `snaplake report` (cmd_report logs errors) */

/* Log "snaplake: error: <stage>: <object>: <message>" on stderr (a JSON
 * line with --log-json). */
void cmd_report(const struct sl_err *err);

/* getopt_long returned ':' or '?' (with opterr = 0 and ":" leading the
 * short options): log "<cmd>: option '…' needs a value" or "unknown
 * option" with the usage text (sl_log_usage: JSON with --log-json). */
void cmd_option_error(const char *cmd, const char *usage, int c, char **argv);

/* A whole decimal integer in [min, max] for `option`, or a usage error
 * logged that names the command and the option: atol's "abc" → 0 and
 * "12x" → 12 made typos silent.  Returns SL_OK or SL_ERROR. */
int cmd_parse_int(const char *cmd, const char *option, const char *text, long long min,
                  long long max, long long *out);

/* Load the config or report its error; returns EXIT_OK or EXIT_USAGE. */
int cmd_load_config(const char *path, struct sl_config *cfg);

enum cmd_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };
int cmd_parse_format(const char *s, enum cmd_format *out);

/* Print a DuckDB result.  Table: aligned columns, NULL as "NULL", at most
 * max_rows rows (0 = all) and a "(N rows)" footer. */
void cmd_print_result(duckdb_result *res, enum cmd_format fmt, size_t max_rows, FILE *out);

/* True when sql holds nothing but blanks, comments and ';'. */
bool cmd_sql_is_blank(const char *sql);

/* Run sql on the lake's published catalog, confined: the catalog is
 * opened read-only, only queries run (anything else is refused before
 * it runs), and no file outside the lake can be read.  A script of several
 * queries prints every result, in order.  Returns SL_OK or SL_ERROR with err
 * set. */
int cmd_query_lake(const char *lake, const char *sql, enum cmd_format fmt, size_t max_rows,
                   FILE *out, struct sl_err *err);

#endif
