/*
 * log.h — one line per event on stderr, plain or JSON lines.
 *
 * The only process-wide state in snaplake besides nothing: the log level and
 * format are set once by main() before any thread starts; writes are atomic
 * per line (one fprintf under a mutex).
 */
#ifndef SL_UTIL_LOG_H
#define SL_UTIL_LOG_H

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_QUIET };

void sl_log_setup(enum sl_log_level level, int json);
void sl_log(enum sl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sl_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

#endif
