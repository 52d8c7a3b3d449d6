/*
 * err.c — see err.h.
 */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fill(struct sl_err *e, bool transient, const char *stage, const char *object,
                const char *fmt, va_list ap)
{
    e->set = true;
    e->transient = transient;
    e->capacity = false;
    snprintf(e->stage, sizeof e->stage, "%s", stage ? stage : "");
    snprintf(e->object, sizeof e->object, "%s", object ? object : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return SL_ERROR;
}

int sl_err_set(struct sl_err *e, bool transient, const char *stage, const char *object,
               const char *fmt, ...)
{
    if (!e || e->set)
        return SL_ERROR;
    va_list ap;
    va_start(ap, fmt);
    fill(e, transient, stage, object, fmt, ap);
    va_end(ap);
    return SL_ERROR;
}

void sl_err_context(struct sl_err *e, const char *fmt, ...)
{
    if (!e)
        return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof e->object];
    memcpy(old, e->object, sizeof old);
    if (old[0])
        snprintf(e->object, sizeof e->object, "%s, %s", prefix, old);
    else
        snprintf(e->object, sizeof e->object, "%s", prefix);
}

void sl_err_clear(struct sl_err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

bool sl_errno_transient(int e)
{
    return e == EINTR || e == EAGAIN || e == EIO || e == ETIMEDOUT || e == EBUSY;
}

const char *sl_err_format(const struct sl_err *e, char *buf, unsigned long size)
{
    if (!e->set)
        snprintf(buf, size, "unknown error");
    else if (e->object[0])
        snprintf(buf, size, "%s: %s: %s", e->stage, e->object, e->msg);
    else
        snprintf(buf, size, "%s: %s", e->stage, e->msg);
    return buf;
}
