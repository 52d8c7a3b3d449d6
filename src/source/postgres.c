/*
 * postgres.c — the PostgreSQL source (libpq, exported snapshot, binary COPY).
 *
 * URL: `postgres://user@host:port/db?sslmode=…` (or postgresql://) is handed
 * to libpq as is; `postgres:` followed by a conninfo string
 * (`postgres:host=/run/pg dbname=shop`) passes that string.  libpq honours
 * the PG* environment variables and ~/.pgpass for whatever the URL leaves out.
 *
 * Snapshot (DESIGN.md "Snapshots"): open() connects the coordinator, runs
 *   BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
 *   SELECT pg_export_snapshot(), now(), …;
 * and keeps that transaction open until close().  Every worker reader opens
 * its own connection (application_name "snaplake-worker") and runs
 *   BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
 *   SET TRANSACTION SNAPSHOT '<id>';
 * so all workers read the same instant.  plan_chunks() also takes an ACCESS
 * SHARE lock on each selected table in the coordinator (as pg_dump does), so
 * no TRUNCATE or ALTER can change a table under the export.
 *
 * Tables: ordinary ('r') and partitioned ('p') tables outside pg_catalog,
 * information_schema and pg_toast, not partitions themselves (a partitioned
 * table is one dataset, read through its parent).  Views, materialized
 * views, foreign, temporary and unlogged tables are skipped with an info
 * line; tables without SELECT privilege and tables without columns with a
 * warning.  Both lists go into the manifest (describe()).  Dataset names:
 * schema public → the table name, other schemas → "<schema>_<table>", both
 * through src_safe_name.
 *
 * Chunks: a table whose main fork is larger than the chunk size (128 MB, or
 * SNAPLAKE_PG_CHUNK_BYTES — a test switch read once at open) is split into
 * ctid block ranges `ctid >= '(lo,0)' AND ctid < '(hi,0)'`, which PostgreSQL
 * 14+ reads with TID range scans; the first range has no lower bound and the
 * last none upper, so rows in blocks added after planning are still read.
 * Partitioned tables split the same way: each range applies to every
 * partition's blocks.  Older servers read each table as one chunk.
 *
 * Reading: COPY (SELECT cols… FROM [ONLY] "s"."t" WHERE …) TO STDOUT
 * (FORMAT binary); the stream is parsed straight into the batch (pg_copy.c;
 * pg_types.c decodes each field).  A value error names its row by the
 * table's primary key when that is one integer, text or uuid column, else by
 * its ctid, which is then selected as a trailing column.
 * Errors: a lost connection, terminated backend, cancelled statement,
 * serialization failure or lack of resources is transient (the orchestrator
 * retries the chunk in the same snapshot with a new reader); a snapshot that
 * is gone, a value that does not fit and everything else is permanent.
 *
 * Threads: the snap (and its coordinator connection) is used by the leader
 * only — open, list_tables, plan_chunks, describe, close; workers read the
 * snap's immutable fields (conninfo, snapshot id, table plans) and own their
 * reader.
 */
#include "source/pg_copy.h"
#include "source/pg_types.h"
#include "source/source.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHUNK_BYTES (128LL << 20)
#define MAX_CHUNKS 4096
#define MAX_FIELD_BYTES ((size_t)1 << 30) /* PostgreSQL's own limit per value */
#define APP_COORDINATOR "snaplake"
#define APP_WORKER "snaplake-worker"

/* Session settings every connection pins, so text forms do not depend on
 * the server's or role's configuration. */
static const char session_sql[] =
    "SET search_path = pg_catalog; SET DateStyle = ISO; SET IntervalStyle = postgres; "
    "SET TimeZone = 'UTC'; SET extra_float_digits = 1; SET bytea_output = hex; "
    "SET idle_in_transaction_session_timeout = 0";

/* What a reader needs to read one table; built by list_tables, read-only
 * afterwards (shared by the workers). */
struct table_plan {
    char schema[256];
    char name[256];
    char relkind;
    int ncols;
    enum pg_kind *kinds;
    enum pg_kind *elem_kinds; /* of PGK_ARRAY columns */
    char *select_list; /* "\"a\", \"b\"::text, …" and ", ctid" when key_col < 0 */
    int key_col;       /* the one-column primary key that names rows in errors, or -1 */
    int64_t blocks;    /* main fork blocks (largest partition) */
    int64_t bytes;     /* main fork bytes (all partitions) */
};

struct snap {
    PGconn *coord;
    char conninfo[4096];
    char display[1024]; /* redacted, for messages */
    char snapshot_id[128];
    char snapshot_time[64];
    char lsn[64];
    char server_version[64];
    char database[256];
    int version_num;
    int block_size;
    bool sql_ascii;
    int64_t chunk_bytes;
    struct table_plan *plans;
    int nplans;
    json_t *text_columns; /* [{table, column, type}] exported as text */
    json_t *skipped;      /* [{table, reason}] */
};

struct reader {
    struct snap *snap;
    PGconn *conn; /* NULL after a failure: the next chunk reconnects */
    /* conn's cancel request (PQcancel needs no lock on conn): pg_reader_cancel
     * runs on another thread while a COPY waits, so the worker swaps it
     * under cancel_mu whenever conn changes. */
    pthread_mutex_t cancel_mu;
    PGcancel *cancel;
    struct sl_buf sql;
    struct sl_buf pending; /* a tuple split across CopyData messages */
    struct pg_decoder dec;
};

/* ---- errors ------------------------------------------------------------ */

/* One line of libpq's message, without "ERROR:  " and the newline. */
static void one_line(const char *in, char *out, size_t size)
{
    if (!in || !*in)
        in = "no message from the server";
    if (!strncmp(in, "ERROR:  ", 8))
        in += 8;
    else if (!strncmp(in, "FATAL:  ", 8))
        in += 8;
    snprintf(out, size, "%s", in);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(out);
    while (n && out[n - 1] == ' ')
        out[--n] = 0;
}

static bool sqlstate_transient(const char *s)
{
    if (!s)
        return false;
    return !strncmp(s, "08", 2) || !strncmp(s, "53", 2) || !strcmp(s, "57P01") ||
           !strcmp(s, "57P02") || !strcmp(s, "57P03") || !strcmp(s, "57014") ||
           !strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03");
}

/* Fill err from a failed result (res may be NULL: the connection's error). */
static int pg_error(struct sl_err *err, PGconn *conn, const PGresult *res, const char *stage,
                    const char *object, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool transient = !conn || PQstatus(conn) == CONNECTION_BAD || sqlstate_transient(state);
    char msg[1024];
    one_line(res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                  : PQerrorMessage(conn),
             msg, sizeof msg);
    return sl_err_set(err, transient, stage, object, "%s: %s", what, msg);
}

/* Run a statement that returns no rows. */
static int exec_ok(PGconn *conn, const char *sql, const char *stage, const char *object,
                   const char *what, struct sl_err *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = SL_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_error(err, conn, res, stage, object, what);
    PQclear(res);
    return rc;
}

/* ---- identifiers ------------------------------------------------------- */

/* "name" with embedded quotes doubled (quote_ident, always quoted). */
static int append_ident(struct sl_buf *b, const char *name)
{
    int rc = sl_buf_putc(b, '"');
    for (const char *p = name; *p && rc == SL_OK; p++) {
        if (*p == '"')
            rc = sl_buf_putc(b, '"');
        if (rc == SL_OK)
            rc = sl_buf_putc(b, (uint8_t)*p);
    }
    return rc ? rc : sl_buf_putc(b, '"');
}

static int append_str(struct sl_buf *b, const char *s) { return sl_buf_append(b, s, strlen(s)); }

/* ---- connections ------------------------------------------------------- */

/* The conninfo or URI libpq gets from a source URL. */
static void url_conninfo(const char *url, char *out, size_t size)
{
    const char *colon = strchr(url, ':');
    if (colon && strncmp(colon, "://", 3) != 0) {
        const char *p = colon + 1;
        while (*p == ' ')
            p++;
        snprintf(out, size, "%s", p); /* postgres:host=… dbname=… */
    } else {
        snprintf(out, size, "%s", url);
    }
}

/* libpq reads a string as a conninfo or URI when it starts with a URI
 * prefix or holds '=' (fe-connect.c, recognized_connection_string); else it
 * is a database name (connect_db passes it as dbname, expanded). */
static bool is_conninfo(const char *s)
{
    return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11) || strchr(s, '=');
}

/* libpq's options for a conninfo, or NULL when libpq cannot parse it.
 * libpq's parse message is dropped unread: it quotes the token it stumbled
 * on ("missing "=" after "TAIL1""), which may be a piece of the password.
 * Caller frees with PQconninfoFree. */
static PQconninfoOption *parse_conninfo(const char *conninfo)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    PQfreemem(msg);
    return opts;
}

static const char *option(const PQconninfoOption *opts, const char *keyword)
{
    for (; opts && opts->keyword; opts++)
        if (!strcmp(opts->keyword, keyword))
            return opts->val && *opts->val ? opts->val : NULL;
    return NULL;
}

/* How many comma-separated elements a list has (0 for NULL). */
static int items(const char *list)
{
    int n = list ? 1 : 0;
    for (; list && (list = strchr(list, ',')); list++)
        n++;
    return n;
}

/* The n-th (0-based) comma-separated element of list into out; "" past the end. */
static void list_item(const char *list, int n, char *out, size_t size)
{
    for (; n > 0 && list; n--) {
        list = strchr(list, ',');
        if (list)
            list++;
    }
    size_t len = list ? strcspn(list, ",") : 0;
    snprintf(out, size, "%.*s", (int)len, list ? list : "");
}

/* describe_url: postgres://user@host:port/dbname from libpq's own parse of
 * the URL or conninfo — never the password, nor any other option (options=,
 * sslpassword=, … can hold secrets).  Unix sockets: ?host=/path. */
static void pg_describe_url(const char *url, char *out, size_t size)
{
    char conninfo[4096], item[1024], port_item[64];
    url_conninfo(url, conninfo, sizeof conninfo);
    PQconninfoOption *opts = NULL;
    const char *user = NULL, *host = NULL, *port = NULL, *db = conninfo;
    if (is_conninfo(conninfo)) {
        opts = parse_conninfo(conninfo);
        if (!opts) {
            snprintf(out, size, "postgres:(a connection string libpq cannot parse)");
            return;
        }
        user = option(opts, "user");
        host = option(opts, "host");
        if (!host)
            host = option(opts, "hostaddr");
        port = option(opts, "port");
        db = option(opts, "dbname");
    }
    size_t o = 0;
    out[0] = 0;
    src_url_put(out, size, &o, "postgres://", ":/");
    if (user) {
        src_url_put(out, size, &o, user, "");
        src_url_put(out, size, &o, "@", "@");
    }
    /* Several hosts pair with as many ports, or share the one port given. */
    bool socket = host && (strchr(host, '/') || host[0] == '@');
    int nhosts = items(host), nports = items(port);
    for (int i = 0; !socket && i < nhosts; i++) {
        list_item(host, i, item, sizeof item);
        list_item(port, nports == 1 ? 0 : i, port_item, sizeof port_item);
        bool v6 = strchr(item, ':') != NULL;
        src_url_put(out, size, &o, i ? "," : "", ",");
        src_url_put(out, size, &o, v6 ? "[" : "", "[");
        src_url_put(out, size, &o, item, ":");
        src_url_put(out, size, &o, v6 ? "]" : "", "]");
        src_url_put(out, size, &o, port_item[0] ? ":" : "", ":");
        src_url_put(out, size, &o, port_item, "");
    }
    if (!host && port) { /* the default host, another port */
        src_url_put(out, size, &o, ":", ":");
        src_url_put(out, size, &o, port, ",");
    }
    src_url_put(out, size, &o, "/", "/");
    if (db)
        src_url_put(out, size, &o, db, "");
    if (socket) {
        src_url_put(out, size, &o, "?host=", "?=");
        src_url_put(out, size, &o, host, "/,@");
        if (port) {
            src_url_put(out, size, &o, "&port=", "&=");
            src_url_put(out, size, &o, port, ",");
        }
    }
    PQconninfoFree(opts);
}

/* Replace in msg every occurrence of the password, and of each of its
 * space-separated pieces of 3 bytes or more, by "***".  libpq does not put
 * the password in its messages; this is a net under that promise, for
 * whatever a future libpq or a server relays. */
static void scrub_password(char *msg, const char *password)
{
    char piece[1024];
    for (const char *p = password; p && *p;) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (n >= 3 && n < sizeof piece) {
            memcpy(piece, p, n);
            piece[n] = 0;
            for (char *hit; (hit = strstr(msg, piece));) {
                memcpy(hit, "***", 3);
                memmove(hit + 3, hit + n, strlen(hit + n) + 1);
            }
        }
        p += n;
    }
}

static int connect_db(const char *conninfo, const char *app, const char *display,
                      PGconn **out, struct sl_err *err)
{
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo, app, "UTF8", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn)
        return sl_err_set(err, true, "source", display, "out of memory connecting");
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[1024];
        one_line(PQerrorMessage(conn), msg, sizeof msg);
        /* PQpass: the password libpq used, from the URL, PGPASSWORD or .pgpass. */
        scrub_password(msg, PQpass(conn));
        /* A refused password will not be accepted on a retry. */
        bool transient = !PQconnectionUsedPassword(conn) && !PQconnectionNeedsPassword(conn) &&
                         !strstr(msg, "authentication") && !strstr(msg, "does not exist");
        /* SQLSTATE 53300 comes after the password was accepted: a slot may free up. */
        bool full = strstr(msg, "too many connections") || strstr(msg, "connection slots");
        sl_err_set(err, transient || full, "source", display,
                   "cannot connect to PostgreSQL: %s; check `source:` in the config, the PG* "
                   "environment variables and ~/.pgpass",
                   msg);
        if (full && err)
            err->capacity = true;
        PQfinish(conn);
        return SL_ERROR;
    }
    if (exec_ok(conn, session_sql, "source", display, "cannot set up the session", err)) {
        PQfinish(conn);
        return SL_ERROR;
    }
    *out = conn;
    return SL_OK;
}

static void pg_close(void *ctx);

static int pg_open(const char *url, const struct source_options *opt, void **out,
                   struct sl_err *err)
{
    (void)opt;
    struct snap *s = calloc(1, sizeof *s);
    PGresult *res = NULL;
    if (!s)
        return sl_err_set(err, false, "source", "postgres", "out of memory");
    src_redact_url(url, s->display, sizeof s->display);
    url_conninfo(url, s->conninfo, sizeof s->conninfo);
    s->chunk_bytes = src_env_size("SNAPLAKE_PG_CHUNK_BYTES", 8192, DEFAULT_CHUNK_BYTES, "bytes");
    s->text_columns = json_array();
    s->skipped = json_array();
    if (is_conninfo(s->conninfo)) {
        /* Checked here, not by PQconnectdb: its message would quote the bad token. */
        PQconninfoOption *opts = parse_conninfo(s->conninfo);
        if (!opts) {
            sl_err_set(err, false, "source", s->display,
                       "libpq cannot read the connection string (its message is not shown: it "
                       "may quote the password); in a conninfo quote a value with spaces as "
                       "password='a b' (\\' and \\\\ inside), in a URL %%-encode it "
                       "(%%20 for a space); or keep the password out of the config: "
                       "PGPASSWORD or ~/.pgpass");
            goto fail;
        }
        PQconninfoFree(opts);
    }
    if (connect_db(s->conninfo, APP_COORDINATOR, s->display, &s->coord, err))
        goto fail;
    s->version_num = PQserverVersion(s->coord);
    if (s->version_num < 120000) {
        sl_err_set(err, false, "source", s->display,
                   "PostgreSQL %d.%d is not supported; snaplake needs 12 or later",
                   s->version_num / 10000, s->version_num / 100 % 100);
        goto fail;
    }
    if (exec_ok(s->coord, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "snapshot",
                s->display, "cannot start the snapshot transaction", err))
        goto fail;
    res = PQexec(s->coord,
                 "SELECT pg_catalog.pg_export_snapshot(), "
                 "pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                 "pg_catalog.current_setting('server_version'), pg_catalog.current_database(), "
                 "pg_catalog.current_setting('server_encoding'), "
                 "pg_catalog.current_setting('block_size')");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        pg_error(err, s->coord, res, "snapshot", s->display, "cannot export a snapshot");
        goto fail;
    }
    snprintf(s->snapshot_id, sizeof s->snapshot_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(s->snapshot_time, sizeof s->snapshot_time, "%s", PQgetvalue(res, 0, 1));
    snprintf(s->server_version, sizeof s->server_version, "%s", PQgetvalue(res, 0, 2));
    snprintf(s->database, sizeof s->database, "%s", PQgetvalue(res, 0, 3));
    s->sql_ascii = !strcmp(PQgetvalue(res, 0, 4), "SQL_ASCII");
    s->block_size = atoi(PQgetvalue(res, 0, 5));
    if (s->block_size <= 0)
        s->block_size = 8192;
    PQclear(res);
    /* The LSN is a nice-to-have: a standby or Aurora may refuse the call, and
     * an error must not abort the snapshot transaction, hence the savepoint. */
    res = PQexec(s->coord, "SAVEPOINT snaplake_lsn");
    PQclear(res);
    res = PQexec(s->coord, "SELECT (CASE WHEN pg_catalog.pg_is_in_recovery() "
                           "THEN pg_catalog.pg_last_wal_replay_lsn() "
                           "ELSE pg_catalog.pg_current_wal_lsn() END)::text");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        snprintf(s->lsn, sizeof s->lsn, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (exec_ok(s->coord, "ROLLBACK TO SAVEPOINT snaplake_lsn; RELEASE SAVEPOINT snaplake_lsn",
                "snapshot", s->display, "snapshot transaction", err))
        goto fail;
    sl_info("postgres snapshot %s at %s (lsn %s)", s->snapshot_id, s->snapshot_time,
            s->lsn[0] ? s->lsn : "unknown");
    *out = s;
    return SL_OK;
fail:
    PQclear(res);
    pg_close(s);
    return SL_ERROR;
}

static void pg_close(void *ctx)
{
    struct snap *s = ctx;
    if (!s)
        return;
    if (s->coord) {
        PGresult *res = PQexec(s->coord, "ROLLBACK");
        PQclear(res);
        PQfinish(s->coord);
    }
    for (int i = 0; i < s->nplans; i++) {
        free(s->plans[i].kinds);
        free(s->plans[i].elem_kinds);
        free(s->plans[i].select_list);
    }
    free(s->plans);
    json_decref(s->text_columns);
    json_decref(s->skipped);
    free(s);
}

/* ---- tables ------------------------------------------------------------ */

static void note_skipped(struct snap *s, const char *schema, const char *name, const char *why)
{
    char full[600];
    snprintf(full, sizeof full, "%s.%s", schema, name);
    json_array_append_new(s->skipped, json_pack("{s:s, s:s}", "table", full, "reason", why));
}

/* Resolve a domain (possibly of a domain) to its base type. */
static int resolve_domain(struct snap *s, struct pg_type_info *ti, char *name, size_t nsize,
                          struct sl_err *err)
{
    for (int depth = 0; ti->typtype == 'd' && depth < 32; depth++) {
        char oid[16];
        snprintf(oid, sizeof oid, "%u", ti->oid);
        const char *params[1] = {oid};
        PGresult *res = PQexecParams(
            s->coord,
            "SELECT b.oid, d.typtypmod, b.typtype, b.typcategory, b.typname "
            "FROM pg_catalog.pg_type d JOIN pg_catalog.pg_type b ON b.oid = d.typbasetype "
            "WHERE d.oid = $1::pg_catalog.oid",
            1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
            int rc = pg_error(err, s->coord, res, "snapshot", s->display,
                              "cannot resolve a domain type");
            PQclear(res);
            return rc;
        }
        ti->oid = (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
        /* The outermost typmod wins: a domain over numeric(10,2) keeps (10,2). */
        if (ti->typmod < 0)
            ti->typmod = atoi(PQgetvalue(res, 0, 1));
        ti->typtype = PQgetvalue(res, 0, 2)[0];
        ti->typcategory = PQgetvalue(res, 0, 3)[0];
        snprintf(name, nsize, "%s", PQgetvalue(res, 0, 4));
        PQclear(res);
    }
    return SL_OK;
}

/* The element type of an array type, domains resolved; its typmod is the
 * column's (numeric(10,2)[] keeps (10,2) per element). */
static int array_element(struct snap *s, const struct pg_type_info *ti, struct pg_type_info *eti,
                         char *name, size_t nsize, struct sl_err *err)
{
    char oid[16];
    snprintf(oid, sizeof oid, "%u", ti->oid);
    const char *params[1] = {oid};
    PGresult *res = PQexecParams(
        s->coord,
        "SELECT e.oid, e.typtype, e.typcategory, e.typname FROM pg_catalog.pg_type a "
        "JOIN pg_catalog.pg_type e ON e.oid = a.typelem WHERE a.oid = $1::pg_catalog.oid",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        int rc = pg_error(err, s->coord, res, "snapshot", s->display,
                          "cannot resolve an array's element type");
        PQclear(res);
        return rc;
    }
    snprintf(name, nsize, "%s", PQgetvalue(res, 0, 3));
    *eti = (struct pg_type_info){.oid = (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10),
                                 .typmod = ti->typmod,
                                 .typtype = PQgetvalue(res, 0, 1)[0],
                                 .typcategory = PQgetvalue(res, 0, 2)[0],
                                 .name = name};
    PQclear(res);
    return eti->typtype == 'd' ? resolve_domain(s, eti, name, nsize, err) : SL_OK;
}

/* Columns of one table, their kinds and the SELECT list. */
static int load_columns(struct snap *s, const char *oid, struct src_table *t,
                        struct table_plan *plan, struct sl_err *err)
{
    const char *params[1] = {oid};
    PGresult *res = PQexecParams(
        s->coord,
        "SELECT a.attname, a.attnotnull, a.atttypid, a.atttypmod, "
        "pg_catalog.format_type(a.atttypid, a.atttypmod), ty.typtype, ty.typcategory, "
        "ty.typname, EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid "
        "AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum) "
        "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
        "WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        1, NULL, params, NULL, NULL, 0);
    struct sl_buf sel;
    sl_buf_init(&sel, 1u << 24);
    char full[600], list[1024] = "";
    int rc = SL_ERROR;
    snprintf(full, sizeof full, "%s.%s", t->schema, t->name);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_error(err, s->coord, res, "snapshot", full, "cannot read the table's columns");
        goto out;
    }
    int n = PQntuples(res);
    t->columns.cols = calloc((size_t)(n ? n : 1), sizeof *t->columns.cols);
    plan->kinds = calloc((size_t)(n ? n : 1), sizeof *plan->kinds);
    plan->elem_kinds = calloc((size_t)(n ? n : 1), sizeof *plan->elem_kinds);
    if (!t->columns.cols || !plan->kinds || !plan->elem_kinds) {
        sl_err_set(err, false, "snapshot", full, "out of memory");
        goto out;
    }
    t->columns.ncols = plan->ncols = n;
    plan->key_col = -1;
    for (int i = 0; i < n; i++) {
        struct sl_column *c = &t->columns.cols[i];
        char tname[256];
        snprintf(c->source_name, sizeof c->source_name, "%s", PQgetvalue(res, i, 0));
        c->nullable = PQgetvalue(res, i, 1)[0] != 't';
        snprintf(c->source_type, sizeof c->source_type, "%s", PQgetvalue(res, i, 4));
        snprintf(tname, sizeof tname, "%s", PQgetvalue(res, i, 7));
        struct pg_type_info ti = {.oid = (uint32_t)strtoul(PQgetvalue(res, i, 2), NULL, 10),
                                  .typmod = atoi(PQgetvalue(res, i, 3)),
                                  .typtype = PQgetvalue(res, i, 5)[0],
                                  .typcategory = PQgetvalue(res, i, 6)[0],
                                  .name = tname};
        if (ti.typtype == 'd' && resolve_domain(s, &ti, tname, sizeof tname, err))
            goto out;
        bool lossy;
        if (ti.typcategory == 'A') {
            /* Arrays of a mapped element type become LIST; others stay text. */
            struct pg_type_info eti;
            char ename[256];
            if (array_element(s, &ti, &eti, ename, sizeof ename, err))
                goto out;
            enum pg_kind ek = pg_type_map(&eti, c, &lossy);
            if (!lossy && ek != PGK_CAST_TEXT && eti.typcategory != 'A') {
                c->list = true;
                plan->kinds[i] = PGK_ARRAY;
                plan->elem_kinds[i] = ek;
            } else {
                c->type = SL_T_STRING;
                c->precision = c->scale = 0;
                plan->kinds[i] = PGK_CAST_TEXT;
                lossy = true;
            }
        } else {
            plan->kinds[i] = pg_type_map(&ti, c, &lossy);
        }
        if (lossy) {
            json_array_append_new(s->text_columns,
                                  json_pack("{s:s, s:s, s:s}", "table", full, "column",
                                            c->source_name, "type", c->source_type));
            size_t l = strlen(list);
            if (l < sizeof list - 80)
                snprintf(list + l, sizeof list - l, "%s%s (%s)", l ? ", " : "", c->source_name,
                         c->source_type);
        }
        if ((i && append_str(&sel, ", ")) || append_ident(&sel, c->source_name) ||
            (plan->kinds[i] == PGK_CAST_TEXT && append_str(&sel, "::pg_catalog.text"))) {
            sl_err_set(err, false, "snapshot", full, "column list too long");
            goto out;
        }
        if (PQgetvalue(res, i, 8)[0] == 't' && pg_copy_names_rows(plan->kinds[i]))
            plan->key_col = i;
    }
    /* Rows are named in value errors by their primary key when it is one
     * column pg_copy can print, else by their ctid.  Selecting ctid costs the
     * server about a tenth of its CPU (a projection per row and one more
     * field to send), so it is selected only when no key can name the row. */
    if (plan->key_col < 0 && append_str(&sel, n ? ", ctid" : "ctid")) {
        sl_err_set(err, false, "snapshot", full, "column list too long");
        goto out;
    }
    if (list[0])
        sl_warn("table %s: no exact mapping for column(s) %s; exported as text", full, list);
    if (sl_buf_putc(&sel, 0)) {
        sl_err_set(err, false, "snapshot", full, "column list too long");
        goto out;
    }
    plan->select_list = (char *)sel.data;
    sel.data = NULL;
    src_safe_column_names(&t->columns);
    rc = SL_OK;
out:
    sl_buf_free(&sel);
    PQclear(res);
    return rc;
}

static const char *skip_reason(char relkind, char persistence)
{
    switch (relkind) {
    case 'v': return "view";
    case 'm': return "materialized view";
    case 'f': return "foreign table";
    default: break;
    }
    if (persistence == 't')
        return "temporary table";
    if (persistence == 'u')
        return "unlogged table";
    return NULL;
}

/* Every table with its sizes: partitioned tables sum their leaf partitions
 * (largest leaf for the block count that ctid ranges span). */
static const char list_sql[] =
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, "
    "pg_catalog.has_table_privilege(c.oid, 'SELECT'), "
    "CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.sum(l.reltuples) FROM "
    "   pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l ON l.oid = pt.relid "
    "   WHERE pt.isleaf AND l.reltuples > 0) ELSE c.reltuples::numeric END, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.bool_or(l.reltuples < 0) FROM "
    "   pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l ON l.oid = pt.relid "
    "   WHERE pt.isleaf) ELSE c.reltuples < 0 END, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.sum(pg_catalog.pg_relation_size(l.oid)) "
    "   FROM pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l "
    "   ON l.oid = pt.relid WHERE pt.isleaf AND l.relkind = 'r') "
    "   ELSE pg_catalog.pg_relation_size(c.oid) END, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.max(pg_catalog.pg_relation_size(l.oid)) "
    "   FROM pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l "
    "   ON l.oid = pt.relid WHERE pt.isleaf AND l.relkind = 'r') "
    "   ELSE pg_catalog.pg_relation_size(c.oid) END, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT pg_catalog.sum(pg_catalog.pg_table_size(l.oid)) "
    "   FROM pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l "
    "   ON l.oid = pt.relid WHERE pt.isleaf AND l.relkind = 'r') "
    "   ELSE pg_catalog.pg_table_size(c.oid) END, "
    "CASE WHEN c.relkind = 'p' THEN 0 ELSE c.relpages END "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_' "
    "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

static int64_t num(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : (int64_t)strtod(PQgetvalue(res, row, col), NULL);
}

/* Row estimate (for scheduling and the manifest): reltuples scaled to the
 * current size, as the planner does.  A table never analyzed is counted when
 * it is one chunk at most; a larger one is guessed from its size and width. */
static int64_t estimate_rows(struct snap *s, const struct src_table *t, const PGresult *res,
                             int row, int64_t bytes)
{
    int64_t tuples = num(res, row, 6), pages = num(res, row, 11);
    bool unknown = PQgetvalue(res, row, 7)[0] == 't';
    int64_t cur_pages = bytes / s->block_size;
    if (!unknown && pages > 0 && cur_pages > 0)
        return (int64_t)((double)tuples / (double)pages * (double)cur_pages);
    if (!unknown)
        return tuples;
    int64_t guess = bytes / (28 + 8 * (int64_t)t->columns.ncols);
    if (bytes > s->chunk_bytes)
        return guess;
    struct sl_buf q;
    sl_buf_init(&q, 4096);
    int64_t n = guess;
    if (!append_str(&q, "SELECT pg_catalog.count(*) FROM ") && !append_ident(&q, t->schema) &&
        !sl_buf_putc(&q, '.') && !append_ident(&q, t->name) && !sl_buf_putc(&q, 0)) {
        PGresult *r = PQexec(s->coord, (const char *)q.data);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    sl_buf_free(&q);
    return n;
}

static int pg_list_tables(void *ctx, struct src_table **out, int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    struct src_table *t = NULL;
    int n = 0, rc = SL_ERROR;
    PGresult *res = PQexec(s->coord, list_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_error(err, s->coord, res, "snapshot", s->display, "cannot list tables");
        goto out;
    }
    int rows = PQntuples(res);
    for (int i = 0; i < s->nplans; i++) {
        free(s->plans[i].kinds);
        free(s->plans[i].elem_kinds);
        free(s->plans[i].select_list);
    }
    free(s->plans);
    s->nplans = 0;
    t = calloc((size_t)(rows ? rows : 1), sizeof *t);
    s->plans = calloc((size_t)(rows ? rows : 1), sizeof *s->plans);
    if (!t || !s->plans) {
        sl_err_set(err, false, "snapshot", s->display, "out of memory");
        goto out;
    }
    for (int i = 0; i < rows; i++) {
        const char *schema = PQgetvalue(res, i, 1), *name = PQgetvalue(res, i, 2);
        char relkind = PQgetvalue(res, i, 3)[0];
        const char *why = skip_reason(relkind, PQgetvalue(res, i, 4)[0]);
        if (why) {
            sl_info("skipping %s %s.%s", why, schema, name);
            note_skipped(s, schema, name, why);
            continue;
        }
        if (PQgetvalue(res, i, 5)[0] != 't') {
            sl_warn("table %s.%s: no SELECT privilege for this user; not exported", schema,
                    name);
            note_skipped(s, schema, name, "no SELECT privilege");
            continue;
        }
        struct src_table *tt = &t[n];
        struct table_plan *p = &s->plans[s->nplans];
        memset(tt, 0, sizeof *tt);
        snprintf(tt->schema, sizeof tt->schema, "%s", schema);
        snprintf(tt->name, sizeof tt->name, "%s", name);
        if (!strcmp(schema, "public")) {
            src_safe_name(name, tt->dataset, sizeof tt->dataset, "t_");
        } else {
            char both[600];
            snprintf(both, sizeof both, "%s_%s", schema, name);
            src_safe_name(both, tt->dataset, sizeof tt->dataset, "t_");
        }
        snprintf(p->schema, sizeof p->schema, "%s", schema);
        snprintf(p->name, sizeof p->name, "%s", name);
        p->relkind = relkind;
        s->nplans++;
        if (load_columns(s, PQgetvalue(res, i, 0), tt, p, err)) {
            sl_schema_free(&tt->columns);
            goto out;
        }
        if (tt->columns.ncols == 0) {
            sl_warn("table %s.%s has no columns; not exported", schema, name);
            note_skipped(s, schema, name, "no columns");
            sl_schema_free(&tt->columns);
            continue;
        }
        p->bytes = num(res, i, 8);
        p->blocks = (num(res, i, 9) + s->block_size - 1) / s->block_size;
        tt->est_bytes = num(res, i, 10);
        tt->est_rows = estimate_rows(s, tt, res, i, p->bytes);
        n++;
    }
    /* Dataset name clashes are checked by the orchestrator, after include/exclude. */
    rc = SL_OK;
out:
    PQclear(res);
    if (rc) {
        src_tables_free(t, n);
        return rc;
    }
    *out = t;
    *nout = n;
    return SL_OK;
}

static const struct table_plan *find_plan(const struct snap *s, const struct src_table *t)
{
    for (int i = 0; i < s->nplans; i++)
        if (!strcmp(s->plans[i].schema, t->schema) && !strcmp(s->plans[i].name, t->name))
            return s->plans[i].ncols == t->columns.ncols ? &s->plans[i] : NULL;
    return NULL;
}

/* "ONLY "s"."t"" for ordinary tables (old-style inheritance children are
 * their own datasets), the parent for partitioned ones. */
static int append_relation(struct sl_buf *b, const struct table_plan *p)
{
    return (p->relkind != 'p' && append_str(b, "ONLY ")) || append_ident(b, p->schema) ||
           sl_buf_putc(b, '.') || append_ident(b, p->name);
}

/* ---- chunks ------------------------------------------------------------ */

static int pg_plan_chunks(void *ctx, const struct src_table *t, int ti, struct src_chunk **out,
                          int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    char full[600];
    snprintf(full, sizeof full, "%s.%s", t->schema, t->name);
    const struct table_plan *p = find_plan(s, t);
    if (!p)
        return sl_err_set(err, false, "export", full, "internal: table not listed by the source");
    /* Hold the table against TRUNCATE/ALTER until the export ends. */
    struct sl_buf q;
    sl_buf_init(&q, 4096);
    /* Never queue forever behind a pending ACCESS EXCLUSIVE lock while the
     * snapshot is held (pg_dump --lock-wait-timeout does the same). */
    int rc = append_str(&q, "SET LOCAL lock_timeout = '60s'; LOCK TABLE ") ||
             append_relation(&q, p) ||
             append_str(&q, " IN ACCESS SHARE MODE") || sl_buf_putc(&q, 0);
    if (rc == SL_OK)
        rc = exec_ok(s->coord, (const char *)q.data, "snapshot", full, "cannot lock the table",
                     err);
    sl_buf_free(&q);
    if (rc)
        return rc;

    int64_t n = 1;
    if (p->bytes > s->chunk_bytes && p->blocks > 1 && s->version_num >= 140000) {
        n = src_chunk_count(p->bytes, s->chunk_bytes, MAX_CHUNKS);
        if (n > p->blocks)
            n = p->blocks;
    }
    struct src_chunk *c = calloc((size_t)n, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "export", full, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        c[i].table = ti;
        c[i].index = (int)i;
        c[i].whole = n == 1;
        c[i].est_rows = t->est_rows / n;
        if (n > 1 && src_chunk_set_int(&c[i], i == 0 ? INT64_MIN : p->blocks * i / n,
                                       i == n - 1 ? INT64_MAX : p->blocks * (i + 1) / n)) {
            src_chunks_free(c, (int)n);
            return sl_err_set(err, false, "export", full, "out of memory");
        }
    }
    *out = c;
    *nout = (int)n;
    return SL_OK;
}

/* ---- readers ----------------------------------------------------------- */

static int reader_connect(struct reader *r, struct sl_err *err)
{
    struct snap *s = r->snap;
    PGconn *conn = NULL;
    char sql[200];
    if (connect_db(s->conninfo, APP_WORKER, s->display, &conn, err))
        return SL_ERROR;
    if (exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "export", s->display,
                "cannot start a transaction", err))
        goto fail;
    snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", s->snapshot_id);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (PQstatus(conn) == CONNECTION_OK && state && !strcmp(state, "22023")) {
            char msg[512];
            one_line(PQresultErrorMessage(res), msg, sizeof msg);
            sl_err_set(err, false, "export", s->display,
                       "the snapshot %s is gone (%s): the coordinator connection was closed or "
                       "the server restarted; start the run again",
                       s->snapshot_id, msg);
        } else {
            pg_error(err, conn, res, "export", s->display, "cannot import the snapshot");
        }
        PQclear(res);
        goto fail;
    }
    PQclear(res);
    r->conn = conn;
    pthread_mutex_lock(&r->cancel_mu);
    r->cancel = PQgetCancel(conn);
    pthread_mutex_unlock(&r->cancel_mu);
    return SL_OK;
fail:
    PQfinish(conn);
    return SL_ERROR;
}

/* Close the reader's connection (and forget its cancel request). */
static void reader_disconnect(struct reader *r)
{
    pthread_mutex_lock(&r->cancel_mu);
    PQfreeCancel(r->cancel);
    r->cancel = NULL;
    pthread_mutex_unlock(&r->cancel_mu);
    PQfinish(r->conn);
    r->conn = NULL;
}

/* A cancel request for the statement running on the connection: the
 * server stops a COPY waiting for a lock or sending rows, and the worker's
 * PQgetCopyData returns the error (57014 query_canceled).  PQcancel is
 * thread-safe; it opens a connection of its own to the server. */
static void pg_reader_cancel(void *ctx)
{
    struct reader *r = ctx;
    char buf[256];
    pthread_mutex_lock(&r->cancel_mu);
    if (r->cancel && !PQcancel(r->cancel, buf, sizeof buf))
        sl_debug("postgres: cancel request not sent: %s", buf);
    pthread_mutex_unlock(&r->cancel_mu);
}

static int pg_reader_open(void *ctx, void **out, struct sl_err *err)
{
    struct snap *s = ctx;
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        return sl_err_set(err, false, "export", s->display, "out of memory");
    r->snap = s;
    pthread_mutex_init(&r->cancel_mu, NULL);
    sl_buf_init(&r->sql, 1u << 24);
    sl_buf_init(&r->pending, MAX_FIELD_BYTES * 2);
    sl_buf_init(&r->dec.scratch, 1u << 20);
    r->dec.check_utf8 = s->sql_ascii;
    if (reader_connect(r, err)) {
        pthread_mutex_destroy(&r->cancel_mu);
        free(r);
        return SL_ERROR;
    }
    *out = r;
    return SL_OK;
}

static void pg_reader_close(void *ctx)
{
    struct reader *r = ctx;
    if (!r)
        return;
    reader_disconnect(r);
    pthread_mutex_destroy(&r->cancel_mu);
    sl_buf_free(&r->sql);
    sl_buf_free(&r->pending);
    sl_buf_free(&r->dec.scratch);
    free(r);
}

static int build_copy_sql(struct reader *r, const struct table_plan *p, const struct src_chunk *c)
{
    struct sl_buf *b = &r->sql;
    char range[128];
    int64_t lo, hi;
    sl_buf_reset(b);
    /* Block numbers (src_chunk_set_int); a bad one was caught by the caller. */
    if (src_bound_int(c->lo, INT64_MIN, &lo) || src_bound_int(c->hi, INT64_MAX, &hi))
        return SL_ERROR;
    int rc = append_str(b, "COPY (SELECT ") || append_str(b, p->select_list) ||
             append_str(b, " FROM ") || append_relation(b, p);
    if (!c->whole && lo > 0) {
        snprintf(range, sizeof range, " WHERE ctid >= '(%" PRId64 ",0)'::pg_catalog.tid", lo);
        rc = rc || append_str(b, range);
    }
    if (!c->whole && hi != INT64_MAX) {
        snprintf(range, sizeof range, " %s ctid < '(%" PRId64 ",0)'::pg_catalog.tid",
                 lo > 0 ? "AND" : "WHERE", hi);
        rc = rc || append_str(b, range);
    }
    return rc || append_str(b, ") TO STDOUT (FORMAT binary)") || sl_buf_putc(b, 0);
}

static int pg_read_chunk(void *ctx, const struct src_table *t, const struct src_chunk *c,
                         struct sl_batch *b, src_emit_fn emit, void *arg, struct sl_err *err)
{
    struct reader *r = ctx;
    char full[600];
    snprintf(full, sizeof full, "%s.%s", t->schema, t->name);
    const struct table_plan *p = find_plan(r->snap, t);
    if (!p)
        return sl_err_set(err, false, "export", full, "internal: table not listed by the source");
    int64_t block;
    if (src_bound_int(c->lo, INT64_MIN, &block) || src_bound_int(c->hi, INT64_MAX, &block))
        return sl_err_set(err, false, "export", full,
                          "part %d: the chunk bounds '%s', '%s' are not block numbers; start a "
                          "new run instead of --resume",
                          c->index, c->lo ? c->lo : "", c->hi ? c->hi : "");
    if (!r->conn && reader_connect(r, err))
        return SL_ERROR;
    if (build_copy_sql(r, p, c))
        return sl_err_set(err, false, "export", full, "query too long");
    struct pg_copy cs = {.t = t, .ncols = p->ncols, .key_col = p->key_col, .kinds = p->kinds,
                         .elem_kinds = p->elem_kinds, .dec = &r->dec, .pending = &r->pending,
                         .b = b, .emit = emit, .arg = arg, .err = err};
    int rc = SL_ERROR;
    sl_buf_reset(&r->pending);
    sl_batch_reset(b);
    PGresult *res = PQexec(r->conn, (const char *)r->sql.data);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        pg_error(err, r->conn, res, "export", full, "cannot read the table");
        PQclear(res);
        goto out;
    }
    PQclear(res);
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(r->conn, &buf, 0);
        if (n == -1)
            break;
        if (n < 0) {
            pg_error(err, r->conn, NULL, "export", full, "reading the table failed");
            goto out;
        }
        int frc = pg_copy_feed(&cs, (const uint8_t *)buf, (size_t)n);
        PQfreemem(buf);
        if (frc)
            goto out;
    }
    res = PQgetResult(r->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_error(err, r->conn, res, "export", full, "reading the table failed");
        PQclear(res);
        goto out;
    }
    PQclear(res);
    while ((res = PQgetResult(r->conn)))
        PQclear(res);
    if (!cs.trailer_seen || r->pending.len) {
        pg_copy_error(&cs, "ended without its trailer");
        goto out;
    }
    if (b->nrows && emit(arg, b, err))
        goto out;
    rc = SL_OK;
out:
    if (rc) {
        /* Mid-COPY the connection is unusable (and its transaction may be
         * aborted): drop it; the next chunk on this reader reconnects. */
        reader_disconnect(r);
    }
    return rc;
}

/* ---- manifest ---------------------------------------------------------- */

static char *pg_describe(void *ctx)
{
    struct snap *s = ctx;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
                          "postgresql exported snapshot", "isolation",
                          "repeatable read, read only", "snapshot_id", s->snapshot_id,
                          "snapshot_time", s->snapshot_time, "server_version", s->server_version,
                          "database", s->database, "source", s->display);
    if (!o)
        return NULL;
    json_object_set_new(o, "lsn", s->lsn[0] ? json_string(s->lsn) : json_null());
    json_object_set(o, "text_columns", s->text_columns);
    json_object_set(o, "skipped", s->skipped);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

const struct source_type src_pg_type = {
    .name = "postgres",
    .schemes = {"postgres", "postgresql", NULL},
    .open = pg_open,
    .list_tables = pg_list_tables,
    .plan_chunks = pg_plan_chunks,
    .reader_open = pg_reader_open,
    .read_chunk = pg_read_chunk,
    .reader_close = pg_reader_close,
    .reader_cancel = pg_reader_cancel,
    .describe = pg_describe,
    .close = pg_close,
    .describe_url = pg_describe_url,
};
