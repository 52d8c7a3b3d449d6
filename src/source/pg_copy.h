/*
 * pg_copy.h — the parser of PostgreSQL's binary COPY stream (COPY … TO
 * STDOUT (FORMAT binary)): CopyData messages in, rows of a batch out.
 *
 * Internal to the PostgreSQL source: postgres.c runs the COPY and feeds each
 * message here; tests/unit/test_pg_copy.c feeds synthetic streams split at
 * every byte.  See pg_copy.c for the stream format and the parsing strategy.
 */
#ifndef SL_SOURCE_PG_COPY_H
#define SL_SOURCE_PG_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "source/pg_types.h"
#include "source/source.h"
#include "util/buf.h"
#include "util/err.h"

/* One COPY stream being parsed.  The caller fills the first block (all
 * borrowed) and zeroes the rest, e.g. with a designated initializer. */
struct pg_copy {
    const struct src_table *t;     /* names and columns, for messages */
    int ncols;                     /* the table's columns */
    int key_col;                   /* names rows in errors; -1: a trailing ctid field does */
    const enum pg_kind *kinds;     /* per column */
    const enum pg_kind *elem_kinds; /* per column, for PGK_ARRAY */
    struct pg_decoder *dec;
    struct sl_buf *pending;        /* a tuple split across messages; empty at start */
    struct sl_batch *b;            /* empty at start */
    src_emit_fn emit;              /* called with each full batch, then the batch is reset */
    void *arg;
    struct sl_err *err;

    bool header_done, trailer_seen;
    size_t batch_bytes;
    int64_t rows;
};

/* Parse one CopyData message (n bytes at p).  Complete tuples go into the
 * batch (full batches to emit); an incomplete tail waits in pending.
 * 0, or SL_ERROR having filled err (a malformed stream, a value that does
 * not fit — naming the table, column and row — or emit's error). */
int pg_copy_feed(struct pg_copy *cs, const uint8_t *p, size_t n);

/* Whether a key column of this kind can name rows in errors (key_col). */
bool pg_copy_names_rows(enum pg_kind k);

/* Fill err with "binary COPY stream: <message>" for the table; SL_ERROR. */
int pg_copy_error(struct pg_copy *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
