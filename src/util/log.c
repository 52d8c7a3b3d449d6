/*
 * log.c — see log.h.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum sl_log_level min_level = SL_LOG_INFO;
static int as_json;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards stderr lines */

void sl_log_setup(enum sl_log_level level, int json)
{
    min_level = level;
    as_json = json;
}

static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    static const char *names[] = {"debug", "info", "warning", "error", "quiet"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&lock);
    if (as_json) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        fprintf(stderr, "{\"schema_version\":1,\"ts\":%lld.%03ld,\"level\":\"%s\",\"msg\":\"",
                (long long)ts.tv_sec, ts.tv_nsec / 1000000, names[level]);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else if (level >= SL_LOG_WARN) {
        fprintf(stderr, "snaplake: %s: %s\n", names[level], msg);
    } else {
        fprintf(stderr, "%s\n", msg);
    }
    pthread_mutex_unlock(&lock);
}
