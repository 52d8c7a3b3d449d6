/*
 * log.c — see log.h.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum sl_log_level min_level = SL_LOG_INFO;
static int as_json;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards stderr lines */
static void (*hook)(int after, void *arg); /* the live display (sl_log_set_hook) */
static void *hook_arg;

void sl_log_set_hook(void (*fn)(int after, void *arg), void *arg)
{
    pthread_mutex_lock(&lock);
    hook = fn;
    hook_arg = arg;
    pthread_mutex_unlock(&lock);
}

void sl_log_locked(void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&lock);
    fn(arg);
    pthread_mutex_unlock(&lock);
}

/* With the lock held: whatever is drawn below the log clears itself before
 * a line (after = 0) and redraws after it (after = 1). */
static void around(int after)
{
    if (hook)
        hook(after, hook_arg);
}

void sl_log_setup(enum sl_log_level level, int json)
{
    min_level = level;
    as_json = json;
}

void sl_log_set_level(enum sl_log_level level) { min_level = level; }
enum sl_log_level sl_log_level(void) { return min_level; }
int sl_log_json(void) { return as_json; }

/* Append s to line[*n] JSON-escaped, never past size - 8 (room for the tail). */
static void json_escape(char *line, size_t *n, size_t size, const char *s)
{
    for (; *s && *n + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            *n += (size_t)snprintf(line + *n, size - *n, "\\%c", c);
        else if (c < 0x20)
            *n += (size_t)snprintf(line + *n, size - *n, "\\u%04x", c);
        else
            line[(*n)++] = (char)c;
    }
    line[*n] = 0;
}

static void emit(enum sl_log_level level, const char *event, const char *fmt, va_list ap)
{
    static const char *names[] = {"debug", "info", "warning", "error", "quiet"};
    char msg[4096], line[8192];
    size_t n;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (as_json) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        n = (size_t)snprintf(line, sizeof line,
                             "{\"schema_version\":1,\"ts\":%lld.%03ld,\"level\":\"%s\",%s%s%s"
                             "\"msg\":\"",
                             (long long)ts.tv_sec, ts.tv_nsec / 1000000, names[level],
                             event ? "\"event\":\"" : "", event ? event : "", event ? "\"," : "");
        json_escape(line, &n, sizeof line, msg);
        n += (size_t)snprintf(line + n, sizeof line - n, "\"}\n");
    } else {
        /* A message of several lines (a DuckDB error with its context)
         * keeps them: the prefix marks where each message starts. */
        const char *tag = level == SL_LOG_INFO ? "" : names[level];
        n = (size_t)snprintf(line, sizeof line, "snaplake: %s%s%s\n", tag, *tag ? ": " : "",
                             msg);
    }
    if (n >= sizeof line) { /* cut: end the line all the same */
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    pthread_mutex_lock(&lock);
    around(0);
    fwrite(line, 1, n, stderr);
    fflush(stderr);
    around(1);
    pthread_mutex_unlock(&lock);
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, NULL, fmt, ap);
    va_end(ap);
}

void sl_log_event(enum sl_log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, event, fmt, ap);
    va_end(ap);
}

void sl_log_result(bool failed, const char *fmt, ...)
{
    if (min_level >= SL_LOG_QUIET)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(failed ? SL_LOG_ERROR : SL_LOG_INFO, "result", fmt, ap);
    va_end(ap);
}

void sl_log_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(SL_LOG_ERROR, NULL, fmt, ap);
    va_end(ap);
    if (!as_json && usage) {
        pthread_mutex_lock(&lock);
        around(0);
        fputs(usage, stderr);
        fflush(stderr);
        around(1);
        pthread_mutex_unlock(&lock);
    }
}
