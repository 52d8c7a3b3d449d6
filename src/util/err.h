/*
 * err.h — errors as values with a place and a class.
 *
 * Every fallible function in snaplake returns an int status (0 = ok,
 * SL_ERROR otherwise) and, on failure, fills a `struct sl_err` owned by the
 * caller.  The struct says where the failure happened (stage and object:
 * "table receipts, column total, rowid 42" or "snaplake.yml:3:5") and whether
 * a retry can help (transient) or not (permanent).  The orchestrator reads
 * `transient` to decide on retries; nothing below main() exits the process.
 */
#ifndef SL_UTIL_ERR_H
#define SL_UTIL_ERR_H

#include <stdbool.h>

#define SL_OK 0
#define SL_ERROR (-1)

struct sl_err {
    bool set;          /* false until the first sl_err_set */
    bool transient;    /* a retry of the same work may succeed */
    bool capacity;     /* transient because a server refused one more client (too
                        * many connections): fewer workers can still go on */
    char stage[32];    /* "config", "export", "parquet", "stage1", … */
    char object[512];  /* file:line:col, table/column/row, model file … */
    char msg[1536];    /* what happened and what to do */
};

/* Fill `e` (if non-NULL) and return SL_ERROR, so callers can write
 * `return sl_err_set(err, false, "parquet", "", "…", …);`.  A second call on
 * an already set error keeps the first one: the root cause wins. */
int sl_err_set(struct sl_err *e, bool transient, const char *stage, const char *object,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prefix the object with more context: "receipts" + "rowid 7" → "receipts, rowid 7". */
void sl_err_context(struct sl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void sl_err_clear(struct sl_err *e);

/* Whether an operation that failed with errno `e` may succeed if retried:
 * interrupted, would block, an I/O error, a time-out.  Everything else is
 * permanent — a full disk (ENOSPC), an exceeded quota (EDQUOT), a read-only
 * filesystem, a permission: the retry would meet it again. */
bool sl_errno_transient(int e);

/* "stage: object: msg" into buf; returns buf. */
const char *sl_err_format(const struct sl_err *e, char *buf, unsigned long size);

#endif
