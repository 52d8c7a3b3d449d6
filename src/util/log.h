/*
 * log.h — snaplake's log: every line it writes as log (progress, warnings,
 * errors, the one-line result of a run) goes to stderr, plain or JSON lines.
 *
 * One stream, so that a log redirected to a file (`>log 2>&1`, cron, systemd)
 * holds the lines in the order they happened; stdout carries only what a
 * command prints as data (query results, `status`, `inspect`).  Each line is
 * formatted whole and written with one call under a mutex, so lines of
 * different threads never mix.
 *
 * Plain lines all start with "snaplake: "; warnings and errors say so
 * ("snaplake: warning: …", "snaplake: error: …"), debug lines too.  JSON
 * lines (--log-json) are objects, one a line:
 *   {"schema_version":1,"ts":1764494400.123,"level":"info","msg":"…"}
 * with "event":"result" on a run's final line and "event":"hook" on a line
 * a hook printed (with --log-json a hook's output is read and logged, so
 * that the log holds nothing but JSON lines).  schema_version 1: these
 * fields.
 *
 * The only process-wide state in snaplake: level and format are set by
 * main() (and a subcommand's -q) before any thread starts.
 */
#ifndef SL_UTIL_LOG_H
#define SL_UTIL_LOG_H

#include <stdbool.h>

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_QUIET };

void sl_log_setup(enum sl_log_level level, int json);
/* Lines below `level` are dropped (-q: SL_LOG_WARN; -v: SL_LOG_DEBUG). */
void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_level(void);
int sl_log_json(void);

void sl_log(enum sl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sl_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

/* A line with an "event" field in JSON ("result", "hook"); plain lines
 * show no event. */
void sl_log_event(enum sl_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A run's one-line result: shown even with -q (an info line, or an error
 * line when `failed`), marked "event":"result" in JSON. */
void sl_log_result(bool failed, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A command-line mistake: an error line, then (plain format only: a JSON
 * log holds nothing but JSON lines) the command's usage text on stderr. */
void sl_log_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A live display below the log (flow/progress.c): fn is called with the
 * log's lock held before each line is written (after = 0: clear the
 * display) and after it (after = 1: redraw).  NULL removes it. */
void sl_log_set_hook(void (*fn)(int after, void *arg), void *arg);
/* fn(arg) with the log's lock held: the display draws between lines. */
void sl_log_locked(void (*fn)(void *arg), void *arg);

#endif
