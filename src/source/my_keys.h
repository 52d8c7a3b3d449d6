/*
 * my_keys.h — the MySQL / MariaDB split key of a table whose primary key is
 * composite or not an integer: which key types can bound a chunk, the text a
 * chunk bound is recorded as (source.h: the source's own encoding), and the
 * SQL that compares the key with a bound.  mysql.c samples the boundaries;
 * docs/mysql.md "Chunks and reading" explains why this partitions the rows.
 */
#ifndef SL_SOURCE_MY_KEYS_H
#define SL_SOURCE_MY_KEYS_H

#include <mysql.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/buf.h"

#define MY_KEY_MAX 16 /* MySQL's and MariaDB's limit of columns in one index */

/* How a key column's value goes into a bound and back into SQL. */
enum my_key_class {
    MYKEY_NONE,     /* cannot bound a chunk (FLOAT, ENUM, BIT, TEXT, …): FLOAT's text
                     * has 6 digits, so bounds would collapse into empty chunks; ENUM
                     * sorts by its index but compares with a string as a string */
    MYKEY_NUMBER,   /* integers, YEAR, DECIMAL: the digits, unquoted */
    MYKEY_TEXT,     /* CHAR, VARCHAR: a string literal, compared in the column's collation */
    MYKEY_BINARY,   /* BINARY, VARBINARY: a hex literal X'…', compared byte by byte */
    MYKEY_TEMPORAL, /* DATE, DATETIME, TIMESTAMP, TIME: a quoted literal (session time
                     * zone UTC); TIME's text ('-838:59:59.000000') is exact and the
                     * server compares it as a TIME, in the order ORDER BY sorts */
};

/* A table's split key: its primary key's columns in key order. */
struct my_key {
    int n; /* 0: none (the table is one chunk) */
    int col[MY_KEY_MAX];
    enum my_key_class cls[MY_KEY_MAX];
};

/* The chunks of a table split by a one-column integer primary key whose
 * values span [lo, hi], about chunk_rows rows each and at most max_chunks
 * (and never more than the key has values).  The server's row estimate
 * (est_rows) is a sample; a primary key holds at most one row per value,
 * so an estimate above hi - lo + 1 is capped by it: InnoDB's was 3.5 %
 * high on 2 M dense keys, 5 chunks where 4 hold them.  *rows gets the row
 * count the chunks were planned for. */
int64_t my_range_chunks(int64_t est_rows, int64_t lo, int64_t hi, int64_t chunk_rows,
                        int64_t max_chunks, int64_t *rows);

/* The class of an information_schema DATA_TYPE. */
enum my_key_class my_key_class_of(const char *data_type);

/* The bound text of one key tuple — row[k->col[i]] of row[0..) with
 * lengths len — into *out (malloc'd, caller frees): a JSON array of
 * strings, one per key column, binary values as hex ("[\"7\",\"Ärger\"]").
 * SL_ERROR when out of memory or a text value is not UTF-8. */
int my_key_encode(const struct my_key *k, char **row, const unsigned long *len, char **out);

/* `a`, `b`: the key's columns (ORDER BY, SELECT list). */
int my_key_columns(struct sl_buf *b, const struct my_key *k, const struct sl_schema *cols);

/* Append the condition "key >= bound" (lower = true) or "key < bound" on
 * the key's columns, lexicographically, written as ORs of equalities and
 * one comparison (a > x OR (a = x AND b >= y)) because MariaDB uses an
 * index for that form and not for a row constructor (a, b) >= (x, y).
 * Text values are escaped for conn's character set.  SL_ERROR when the
 * bound does not decode to one value per key column of its class (a run
 * state from another table layout), why[] saying so; or out of memory. */
int my_key_condition(struct sl_buf *b, MYSQL *conn, const struct my_key *k,
                     const struct sl_schema *cols, const char *bound, bool lower, char *why,
                     size_t wsize);

/* `name` quoted with backticks (embedded ones doubled). */
int my_append_ident(struct sl_buf *b, const char *name);

/* s[0..n) as a string literal, escaped for the connection's character set. */
int my_append_literal(struct sl_buf *b, MYSQL *conn, const char *s, size_t n);

#endif
