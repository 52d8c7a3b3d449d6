/*
 * my_stream.c — one chunk's rows, streamed (see my_stream.h).
 *
 * Both protocols read unbuffered — mysql_use_result for the text protocol,
 * mysql_stmt_fetch without mysql_stmt_store_result for prepared statements
 * — so a chunk never sits in client memory: rows go into the batch, which
 * goes to the Parquet writer every 8192 rows or 32 MB.
 *
 * The binary protocol is tried first: the server sends integers, floats and
 * dates as machine values (a sixth to a quarter less server CPU on the
 * benchmark table) and the client decodes them without parsing text (my_binary.c).
 * A chunk falls back to the text protocol, before any row is read, when a
 * column's wire type has no binary decoder, when the library lacks the
 * row callback (STMT_ATTR_CB_RESULT, MariaDB Connector/C 3.1 and later) or
 * when the server will not prepare the statement.  Both give the same
 * values: strings, DECIMAL and BIT arrive in the same text form either way,
 * and FLOAT is selected as CAST(… AS DOUBLE) for both (exact over binary
 * too: float → double → float is the identity).
 */
#include "source/my_stream.h"
#include "source/my_binary.h"

#include <errmsg.h>
#include <inttypes.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_FLUSH_BYTES (32u << 20)

/* The value error of column `col` in row `row` of the chunk, named by the
 * row's key (key: its text, or NULL) or its number. */
static int value_error(const struct my_stream *s, int col, const char *key, size_t keylen,
                       int64_t row, const char *why, struct sl_err *err)
{
    const struct sl_column *c = &s->t->columns.cols[col];
    char obj[900];
    if (key)
        snprintf(obj, sizeof obj, "table %s, column %s, row %s=%.*s", s->t->name, c->source_name,
                 s->t->columns.cols[s->key_col].source_name, (int)keylen, key);
    else
        snprintf(obj, sizeof obj, "table %s, column %s, row %" PRId64 " of part %d", s->t->name,
                 c->source_name, row, s->part);
    return sl_err_set(err, false, "export", obj,
                      "%s; fix the value in the source or exclude the table (type %s)", why,
                      c->source_type);
}

static int db_error(struct my_stream *s, unsigned code, const char *msg, const char *what)
{
    s->code = code;
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    s->what = what;
    return MY_STREAM_DB_ERROR;
}

/* A prepared statement's failure.  A connection lost while fetching is
 * reported on the connection, not the statement (libmariadb's unbuffered
 * fetch leaves the statement's error empty): look there too. */
static int stmt_error(struct my_stream *s, MYSQL_STMT *st, const char *msg, const char *what)
{
    if (mysql_stmt_errno(st))
        return db_error(s, mysql_stmt_errno(st), msg ? msg : mysql_stmt_error(st), what);
    if (mysql_errno(s->conn))
        return db_error(s, mysql_errno(s->conn), msg ? msg : mysql_error(s->conn), what);
    return db_error(s, CR_SERVER_LOST, msg ? msg : "the connection was lost", what);
}

/* Hand the batch over when full; 0 or emit's error. */
static int maybe_emit(struct my_stream *s, size_t *bytes, struct sl_err *err)
{
    if (s->b->nrows < s->b->capacity && *bytes <= BATCH_FLUSH_BYTES)
        return SL_OK;
    if (s->emit(s->arg, s->b, err))
        return SL_ERROR;
    sl_batch_reset(s->b);
    *bytes = 0;
    return SL_OK;
}

static int read_text(struct my_stream *s, struct sl_err *err)
{
    MYSQL_RES *res = NULL;
    int rc = SL_ERROR;
    size_t bytes = 0;
    int64_t nrow = 0;
    char why[256];
    if (mysql_query(s->conn, s->sql) || !(res = mysql_use_result(s->conn)))
        return db_error(s, mysql_errno(s->conn), mysql_error(s->conn), "cannot read the table");
    if ((int)mysql_num_fields(res) != s->t->columns.ncols) {
        sl_err_set(err, false, "export", s->t->name, "the table has %u columns, expected %d",
                   mysql_num_fields(res), s->t->columns.ncols);
        goto out;
    }
    for (MYSQL_ROW row; (row = mysql_fetch_row(res));) {
        unsigned long *len = mysql_fetch_lengths(res);
        int bad;
        nrow++;
        if (my_decode_row(s->dec, s->b, row, len, &bytes, &bad, why, sizeof why)) {
            int k = s->key_col;
            value_error(s, bad, k >= 0 ? row[k] : NULL, k >= 0 ? len[k] : 0, nrow, why, err);
            goto out;
        }
        if (maybe_emit(s, &bytes, err))
            goto out;
    }
    if (mysql_errno(s->conn)) {
        rc = db_error(s, mysql_errno(s->conn), mysql_error(s->conn), "reading the table failed");
        goto out;
    }
    if (s->b->nrows && s->emit(s->arg, s->b, err))
        goto out;
    rc = SL_OK;
out:
    mysql_free_result(res); /* reads what is left of the stream */
    return rc;
}

/* The chunk over the binary protocol.  *fallback set (and 0 returned)
 * when it cannot be: nothing was read then. */
static int read_binary(struct my_stream *s, bool *fallback, struct sl_err *err)
{
    MYSQL_STMT *st = mysql_stmt_init(s->conn);
    MYSQL_RES *meta = NULL;
    int ncols = s->t->columns.ncols;
    enum my_wire *wire = calloc((size_t)(ncols ? ncols : 1), sizeof *wire);
    enum my_store *store = calloc((size_t)(ncols ? ncols : 1), sizeof *store);
    struct my_binary_row br = {
        .dec = s->dec, .b = s->b, .wire = wire, .store = store, .bad = -1, .key_col = s->key_col};
    int rc = SL_ERROR, f;
    int64_t nrow = 0;
    *fallback = false;
    if (!st || !wire || !store) {
        rc = sl_err_set(err, false, "export", s->t->name, "out of memory");
        goto out;
    }
    if (mysql_stmt_prepare(st, s->sql, strlen(s->sql))) {
        unsigned code = mysql_stmt_errno(st);
        if (code == ER_UNSUPPORTED_PS || code == ER_MAX_PREPARED_STMT_COUNT_REACHED ||
            code == ER_NEED_REPREPARE) {
            *fallback = true;
            rc = SL_OK;
        } else {
            rc = stmt_error(s, st, NULL, "cannot read the table");
        }
        goto out;
    }
    meta = mysql_stmt_result_metadata(st);
    if (!meta ||
        !my_binary_plan(s->dec, mysql_fetch_fields(meta), mysql_num_fields(meta), wire, store) ||
        mysql_stmt_attr_set(st, STMT_ATTR_CB_USER_DATA, &br) ||
        mysql_stmt_attr_set(st, STMT_ATTR_CB_RESULT, (const void *)my_binary_value)) {
        *fallback = true;
        rc = SL_OK;
        goto out;
    }
    if (mysql_stmt_execute(st)) {
        rc = stmt_error(s, st, NULL, "cannot read the table");
        goto out;
    }
    s->used_binary = true;
    while ((f = mysql_stmt_fetch(st)) == 0) {
        nrow++;
        if (br.bad >= 0) {
            char key[32] = "";
            if (br.key_set)
                snprintf(key, sizeof key, "%" PRId64, br.key);
            value_error(s, br.bad, br.key_set ? key : NULL, strlen(key), nrow, br.why, err);
            goto out;
        }
        sl_batch_end_row(s->b);
        br.key_set = false;
        if (maybe_emit(s, &br.bytes, err))
            goto out;
    }
    if (f != MYSQL_NO_DATA) {
        rc = stmt_error(s, st, f == MYSQL_DATA_TRUNCATED ? "data truncated" : NULL,
                        "reading the table failed");
        goto out;
    }
    if (s->b->nrows && s->emit(s->arg, s->b, err))
        goto out;
    rc = SL_OK;
out:
    mysql_free_result(meta);
    if (st)
        mysql_stmt_close(st); /* reads what is left of the stream */
    free(wire);
    free(store);
    return rc;
}

int my_stream_read(struct my_stream *s, struct sl_err *err)
{
    s->used_binary = false;
    sl_batch_reset(s->b);
    if (s->binary) {
        bool fallback;
        int rc = read_binary(s, &fallback, err);
        if (!fallback)
            return rc;
        sl_batch_reset(s->b);
    }
    return read_text(s, err);
}
