/*
 * my_stream.h — one chunk's SELECT streamed into batches (see my_stream.c):
 * the binary protocol where every column's wire type has a decoder, else the
 * text protocol.
 */
#ifndef SL_SOURCE_MY_STREAM_H
#define SL_SOURCE_MY_STREAM_H

#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

#include "source/my_types.h"
#include "source/source.h"
#include "util/err.h"

/* my_stream_read's return when the server or the connection failed: the
 * library's error is in code/msg (err is not set; the caller words it). */
#define MY_STREAM_DB_ERROR 1

struct my_stream {
    /* in */
    MYSQL *conn;
    const char *sql; /* NUL-terminated */
    const struct my_decoder *dec;
    const struct src_table *t; /* names in messages */
    int part;                  /* the chunk's index, in messages */
    int key_col;               /* a one-column integer key naming rows in messages, or -1 */
    bool binary;               /* try the binary protocol */
    struct sl_batch *b;
    src_emit_fn emit;
    void *arg;
    /* out */
    bool used_binary;
    unsigned code;    /* MY_STREAM_DB_ERROR: the library's error number … */
    char msg[512];    /* … and message */
    const char *what; /* … and what failed ("cannot read the table") */
};

/* Run s->sql on s->conn and hand its rows to s->emit in batches of up to
 * the batch's capacity or 32 MB, never holding more in memory.  Returns 0;
 * SL_ERROR with err set (a value that does not decode, named by table,
 * column and row; or emit's error); or MY_STREAM_DB_ERROR.  After an error
 * the connection may be mid-stream: the caller must not reuse it. */
int my_stream_read(struct my_stream *s, struct sl_err *err);

#endif
