/*
 * my_binary.h — MySQL / MariaDB values over the binary protocol (prepared
 * statements): integers, floats and dates arrive as machine values, so
 * neither the server formats nor the client parses them.  See my_binary.c.
 */
#ifndef SL_SOURCE_MY_BINARY_H
#define SL_SOURCE_MY_BINARY_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "source/my_types.h"

/* How one column's value is laid out in a binary-protocol row. */
enum my_wire {
    MYW_I8,
    MYW_U8,
    MYW_I16,
    MYW_U16,
    MYW_I32,
    MYW_U32,
    MYW_I64,
    MYW_U64,
    MYW_F32,
    MYW_F64,
    MYW_DATE,     /* length byte, then year(2) month day [h m s [µs(4)]] */
    MYW_DATETIME, /* the same */
    MYW_TIME,     /* length byte, then neg days(4) h m s [µs(4)] */
    MYW_TEXT,     /* length-encoded bytes in the text protocol's form */
};

/* Where a column's integer or float goes in the batch (from my_binary_plan). */
enum my_store {
    MYS_I32,         /* the wire's range fits the column's */
    MYS_I32_CHECKED, /* checked against INT16 or INT32 first */
    MYS_I64,
    MYS_I64_CHECKED, /* an unsigned 64-bit value must stay below 2^63 */
    MYS_U128,        /* BIGINT UNSIGNED → DECIMAL(20,0) */
    MYS_F32,
    MYS_F64,
    MYS_OTHER, /* dates, times, text */
};

/* One chunk's decoding state, handed to the library's row callback. */
struct my_binary_row {
    const struct my_decoder *dec;
    struct sl_batch *b;
    const enum my_wire *wire;   /* per column, from my_binary_plan */
    const enum my_store *store; /* per column, from my_binary_plan */
    size_t bytes;               /* bytes of variable-length values so far */
    int bad;                    /* -1, or the first column that failed (why says why) */
    char why[256];
    int key_col;  /* a one-column integer key, or -1: its value names the row */
    int64_t key;  /* in messages */
    bool key_set; /* key holds the current row's key */
};

/* Each column's wire layout from the prepared statement's result fields.
 * Returns false when some column's wire type does not fit its decoder (the
 * caller then reads the chunk over the text protocol). */
bool my_binary_plan(const struct my_decoder *d, const MYSQL_FIELD *fields, unsigned n,
                    enum my_wire *wire, enum my_store *store);

/* The STMT_ATTR_CB_RESULT callback (data is a struct my_binary_row): column
 * `col` of the current row is NULL (row == NULL) or starts at *row; decodes
 * it into the batch's current row and moves *row past it.  After the first
 * failure it only skips values. */
void my_binary_value(void *data, unsigned int col, unsigned char **row);

#endif
