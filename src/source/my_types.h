/*
 * my_types.h — MySQL / MariaDB column types: how each maps to a batch type
 * (docs/mysql.md "Types") and how its text-protocol value is decoded.
 */
#ifndef SL_SOURCE_MY_TYPES_H
#define SL_SOURCE_MY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"

/* How a column's text is decoded. */
enum my_kind {
    MYK_INT,     /* → int16/int32/int64 (c->type) */
    MYK_UINT64,  /* BIGINT UNSIGNED → decimal(20,0) */
    MYK_DECIMAL, /* DECIMAL(p<=38,s) */
    MYK_FLOAT,   /* FLOAT, read as CAST(… AS DOUBLE) */
    MYK_DOUBLE,
    MYK_DATE,
    MYK_DATETIME, /* DATETIME and TIMESTAMP (UTC session) */
    MYK_TIME,     /* → int64 microseconds, signed */
    MYK_BIT,      /* raw big-endian bytes → int64, or decimal(20,0) for BIT(64) */
    MYK_TEXT,     /* UTF-8 text (checked) */
    MYK_BYTES,    /* binary strings, WKB */
};

/* Map one column (information_schema DATA_TYPE, COLUMN_TYPE, precision,
 * scale) to its batch type (c->type, precision, scale) and decoder; *cast
 * gets the SELECT expression form ("%s" = the quoted column).  Returns false
 * when the type has no exact mapping (exported as text). */
bool my_type_map(const char *dt, const char *ct, long prec, long scale, struct sl_column *c,
                 enum my_kind *k, const char **cast);

/* The last date part a DATE or DATETIME column decoded (the text
 * "YYYY-MM-DD" as 8 + 2 bytes, or the binary protocol's year-month-day with
 * tail 0xffff, which text never has), and its day number: rows read in key
 * order often share the day. */
struct my_day_cache {
    uint64_t head;
    uint16_t tail;
    int32_t days;
    bool valid;
};

/* What decoding one table's values needs. */
struct my_decoder {
    const struct sl_schema *columns;
    const enum my_kind *kinds;
    int64_t *zero;             /* per column: zero dates turned into NULL */
    bool zero_error;           /* a zero date is an error instead */
    struct my_day_cache *days; /* per column, or NULL: no cache */
};

/* Decode one non-NULL value v[0..n) into column i of the current row.
 * Returns 0, or SL_ERROR with the reason in why. */
int my_decode_value(const struct my_decoder *d, struct sl_batch *b, int i, const char *v,
                    unsigned long n, char *why, size_t wsize);

/* Decode one row of the text protocol (row[i] NULL for SQL NULL, len[i]
 * from mysql_fetch_lengths) into the batch's current row and end it; adds
 * the row's bytes to *bytes.  Returns 0, or SL_ERROR with the column in
 * *col and the reason in why (the row is then not ended). */
int my_decode_row(const struct my_decoder *d, struct sl_batch *b, char *const *row,
                  const unsigned long *len, size_t *bytes, int *col, char *why, size_t wsize);

#endif
