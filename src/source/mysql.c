/*
 * mysql.c — the MySQL / MariaDB source (libmariadb, Connector/C): URL,
 * connections, snapshot, tables, chunks, the row stream.  Type mapping and
 * value decoding are in my_types.c.
 *
 * URL: `mysql://user:pass@host:port/db?ssl-mode=…&ssl-ca=…&socket=…` or
 * `mariadb://…` (the same reader; the scheme is only shown back).  User,
 * password and database are %-decoded.  A password left out of the URL comes
 * from MYSQL_PWD, else from the [client] group of the option files libmariadb
 * reads (/etc/my.cnf, ~/.my.cnf); user and host likewise.  "localhost" means
 * the Unix socket, as for every MySQL client.  The password is never shown:
 * describe_url rebuilds mysql://user@host:port/db from the parsed parts.
 *
 * Snapshot (docs/mysql.md "One point in time"): InnoDB gives each
 * transaction started WITH CONSISTENT SNAPSHOT its own read view, at the
 * instant it starts; to give N workers the same instant, no commit may land
 * between the first and the last START TRANSACTION.  open() therefore
 *   1. opens jobs + SPARES worker connections (open_pool, several at once),
 *      each SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ — before
 *      any lock, so that writers never wait for a handshake;
 *   2. takes FLUSH TABLES WITH READ LOCK on the coordinator (needs RELOAD);
 *      without that privilege LOCK TABLES … READ on every base table of the
 *      database; without that either, one connection only;
 *   3. reads the binlog file/position (SHOW MASTER STATUS) and the GTID set
 *      (@@gtid_binlog_pos on MariaDB, @@gtid_executed on MySQL) under it;
 *   4. START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY on each worker
 *      connection (start_snapshots);
 *   5. UNLOCK TABLES at once; how long it was held goes to the manifest.
 * The guarantee taken is recorded in describe() ("guarantee").  A worker's
 * reader_open hands out one of these pre-opened connections; a connection
 * that fails is closed and never reused (a new one would read a later
 * instant): the retry takes a spare, and when none is left the chunk fails
 * permanently with a message that says so.  With no connection left for a
 * new worker (and none lost) reader_open reports "capacity", and the worker
 * retires: in the single-connection fallback one worker reads everything.
 *
 * Tables: BASE TABLEs of the URL's database (information_schema.TABLES);
 * views and sequences skipped with a line.  Types (load_columns,
 * my_type_map) map to batch.h types; docs/mysql.md has the table.  Rows are
 * streamed by my_stream.c (never a whole table in client memory), over the
 * binary protocol where every column has a binary decoder, else the text
 * protocol; exact either way because the SELECT list casts where the text
 * form would round: FLOAT as CAST(… AS DOUBLE) (the text protocol prints
 * FLOAT with 6 digits; a double prints shortest round-trip, and
 * float→double is exact), GEOMETRY as ST_AsBinary (WKB).  Session: time_zone '+00:00' (TIMESTAMP
 * values come in UTC), NAMES utf8mb4 (the server converts latin1 — cp1252 —
 * and utf8mb3 text to UTF-8).
 *
 * Zero dates ('0000-00-00', a zero month or day) become NULL; each column's
 * count is in describe() ("zero_dates") and a warning names table, column
 * and count after the chunk.  `?zero-dates=error` in the URL makes them an
 * error instead.
 *
 * Chunks: a table whose primary key is one signed integer column is split
 * into key ranges [lo, hi) by MIN/MAX and TABLE_ROWS (about CHUNK_ROWS rows
 * each, or SNAPLAKE_MYSQL_CHUNK_ROWS — a test switch read at open), bounds
 * as decimal text.  A composite or other key (VARCHAR, BINARY, DATETIME,
 * DECIMAL, BIGINT UNSIGNED …; my_keys.h says which) is split at boundaries
 * sampled in key order (sample_chunks), each bound the JSON text of one
 * key tuple.  Either way the first range has no lower bound and the last
 * none upper.  Tables without a usable key are one chunk.
 *
 * Errors: a lost or killed connection, a lock wait time-out or deadlock is
 * transient (retried on a spare connection); everything else, and a value
 * that does not parse (named by table, column and key or row number), is
 * permanent.
 *
 * Threads: the coordinator connection and the table plans belong to the
 * leader (open, list_tables, plan_chunks, describe, close); workers share
 * only the connection pool and the zero-date counters, both under `mu`.
 */
#include "source/my_keys.h"
#include "source/my_stream.h"
#include "source/my_types.h"
#include "source/source.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_ROWS 1000000
#define MAX_CHUNKS 4096
#define SPARES     2 /* connections beyond `jobs` in the snapshot, for retries */

struct table_plan {
    char name[256];
    int ncols;
    enum my_kind *kinds;
    char *select_list;
    int key_col;         /* column index of a one-column integer primary key, or -1 */
    struct my_key key;   /* else a composite or non-integer key to sample (my_keys.h) */
    bool transactional;  /* InnoDB (or another engine with MVCC snapshots) */
    int64_t *zero_dates; /* per column, under snap.mu */
    char (*names)[256];  /* column source names, for the manifest */
};

struct params {
    char user[256], password[512], host[256], database[256], socket[1024];
    unsigned port;
    bool have_password;
    bool zero_dates_error; /* ?zero-dates=error */
    bool text_protocol;    /* ?protocol=text: no prepared statements */
    char ssl_mode[32], ssl_ca[1024], ssl_cert[1024], ssl_key[1024];
};

struct snap {
    MYSQL *coord;
    struct params par;
    char display[1024];
    char scheme[16];
    char server_version[128];
    char snapshot_time[64];
    char guarantee[32]; /* "global read lock", "table locks", "single connection" */
    double lock_ms;     /* how long writers were held up by the lock; -1 without one */
    char binlog_file[256];
    char binlog_position[32];
    char *gtid;
    bool mariadb;
    int64_t chunk_rows;
    pthread_mutex_t mu; /* guards pool, npool, lost and every plan's zero_dates */
    MYSQL **pool;
    int npool, opened, lost;
    struct table_plan *plans;
    int nplans;
    json_t *skipped;           /* [{table, reason}] */
    json_t *text_columns;      /* [{table, column, type}] */
    json_t *non_transactional; /* [table] */
};

struct reader {
    struct snap *snap;
    MYSQL *conn; /* NULL after a failure */
    struct sl_buf sql;
    /* conn's server thread id while a chunk reads, else 0: what
     * my_reader_cancel kills (read from the cancelling thread). */
    unsigned long thread_id;
};

/* ---- errors ------------------------------------------------------------ */

static bool code_transient(unsigned code)
{
    return code == CR_SERVER_LOST || code == CR_SERVER_GONE_ERROR || code == CR_CONNECTION_ERROR ||
           code == CR_CONN_HOST_ERROR || code == ER_LOCK_WAIT_TIMEOUT || code == ER_LOCK_DEADLOCK ||
           code == ER_QUERY_INTERRUPTED || code == ER_SERVER_SHUTDOWN ||
           code == ER_CON_COUNT_ERROR || code == 1927 /* MariaDB ER_CONNECTION_KILLED */ ||
           code == ER_NET_READ_ERROR || code == ER_NET_WRITE_INTERRUPTED ||
           code == ER_NET_READ_INTERRUPTED;
}

/* Replace every occurrence of the password (3 bytes or more) by "***": a
 * net under the server's and the library's promise never to echo it. */
static void scrub(char *msg, const char *password)
{
    size_t n = strlen(password);
    if (n < 3)
        return;
    for (char *hit; (hit = strstr(msg, password));) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + n, strlen(hit + n) + 1);
    }
}

static int my_error(struct sl_err *err, struct snap *s, MYSQL *conn, const char *stage,
                    const char *object, const char *what)
{
    unsigned code = conn ? mysql_errno(conn) : CR_SERVER_LOST;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", conn ? mysql_error(conn) : "no connection");
    scrub(msg, s->par.password);
    return sl_err_set(err, code_transient(code), stage, object, "%s: %s (error %u)", what, msg,
                      code);
}

static int exec_ok(struct snap *s, MYSQL *conn, const char *sql, const char *stage,
                   const char *object, const char *what, struct sl_err *err)
{
    if (mysql_query(conn, sql))
        return my_error(err, s, conn, stage, object, what);
    MYSQL_RES *res = mysql_store_result(conn);
    mysql_free_result(res);
    return SL_OK;
}

/* ---- identifiers ------------------------------------------------------- */

static int append_str(struct sl_buf *b, const char *s)
{
    return sl_buf_append(b, s, strlen(s));
}

/* 'text' as a string literal, escaped for the connection's character set. */
static int append_literal(struct sl_buf *b, MYSQL *conn, const char *s)
{
    return my_append_literal(b, conn, s, strlen(s));
}

/* ---- URL --------------------------------------------------------------- */

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* %-decode in[0..n) into out; false on a bad escape or overflow. */
static bool decode(const char *in, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            int h = i + 2 < n ? hexval(in[i + 1]) : -1, l = i + 2 < n ? hexval(in[i + 2]) : -1;
            if (h < 0 || l < 0)
                return false;
            c = h * 16 + l;
            i += 2;
        }
        if (o + 1 >= size)
            return false;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return true;
}

/* Parse scheme://[user[:password]@]host[:port][/db][?k=v&…].  Returns 0 or
 * SL_ERROR with a message that never quotes the password. */
static int parse_url(const char *url, struct params *p, char *scheme, size_t ssize, char *why,
                     size_t wsize)
{
    memset(p, 0, sizeof *p);
    const char *sep = strstr(url, "://");
    if (!sep) {
        snprintf(why, wsize, "expected mysql://user@host:port/database");
        return SL_ERROR;
    }
    snprintf(scheme, ssize, "%.*s", (int)(sep - url), url);
    const char *a = sep + 3;
    const char *end = a + strcspn(a, "/?");
    const char *at = NULL;
    for (const char *q = a; q < end; q++)
        if (*q == '@')
            at = q; /* the last '@' before the path: a raw '@' in a password still works */
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        size_t ulen = colon ? (size_t)(colon - a) : (size_t)(at - a);
        if (!decode(a, ulen, p->user, sizeof p->user)) {
            snprintf(why, wsize, "the user name has a bad %%-escape or is too long");
            return SL_ERROR;
        }
        if (colon) {
            if (!decode(colon + 1, (size_t)(at - colon - 1), p->password, sizeof p->password)) {
                snprintf(why, wsize,
                         "the password has a bad %%-escape or is too long "
                         "(%%-encode '%%', '@', '/', '?' and ':' in it)");
                return SL_ERROR;
            }
            p->have_password = true;
        }
        a = at + 1;
    }
    const char *hend = a;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (!rb) {
            snprintf(why, wsize, "an IPv6 host needs its closing ']'");
            return SL_ERROR;
        }
        snprintf(p->host, sizeof p->host, "%.*s", (int)(rb - a - 1), a + 1);
        hend = rb + 1;
    } else {
        hend = a + strcspn(a, ":/?");
        if (hend > end)
            hend = end;
        if (!decode(a, (size_t)(hend - a), p->host, sizeof p->host)) {
            snprintf(why, wsize, "the host has a bad %%-escape");
            return SL_ERROR;
        }
    }
    if (*hend == ':') {
        char *e;
        unsigned long port = strtoul(hend + 1, &e, 10);
        if (e == hend + 1 || e != end || port == 0 || port > 65535) {
            snprintf(why, wsize, "the port must be a number from 1 to 65535");
            return SL_ERROR;
        }
        p->port = (unsigned)port;
    }
    const char *rest = end;
    if (*rest == '/') {
        size_t n = strcspn(rest + 1, "?");
        if (!decode(rest + 1, n, p->database, sizeof p->database)) {
            snprintf(why, wsize, "the database name has a bad %%-escape");
            return SL_ERROR;
        }
        rest += 1 + n;
    }
    if (*rest == '?') {
        for (const char *q = rest + 1; *q;) {
            size_t n = strcspn(q, "&");
            const char *eq = memchr(q, '=', n);
            char key[64], val[1024];
            if (!eq || (size_t)(eq - q) >= sizeof key ||
                !decode(eq + 1, n - (size_t)(eq - q) - 1, val, sizeof val)) {
                snprintf(why, wsize, "a URL option is not key=value");
                return SL_ERROR;
            }
            snprintf(key, sizeof key, "%.*s", (int)(eq - q), q);
            for (char *k = key; *k; k++)
                if (*k == '_')
                    *k = '-';
            if (!strcmp(key, "ssl-mode")) {
                for (char *v = val; *v; v++)
                    *v = (char)tolower((unsigned char)*v);
                for (char *v = val; *v; v++)
                    if (*v == '-')
                        *v = '_';
                if (strcmp(val, "disabled") && strcmp(val, "preferred") &&
                    strcmp(val, "required") && strcmp(val, "verify_ca") &&
                    strcmp(val, "verify_identity")) {
                    snprintf(why, wsize,
                             "ssl-mode must be disabled, preferred, required, "
                             "verify_ca or verify_identity");
                    return SL_ERROR;
                }
                snprintf(p->ssl_mode, sizeof p->ssl_mode, "%s", val);
            } else if (!strcmp(key, "ssl-ca")) {
                snprintf(p->ssl_ca, sizeof p->ssl_ca, "%s", val);
            } else if (!strcmp(key, "ssl-cert")) {
                snprintf(p->ssl_cert, sizeof p->ssl_cert, "%s", val);
            } else if (!strcmp(key, "ssl-key")) {
                snprintf(p->ssl_key, sizeof p->ssl_key, "%s", val);
            } else if (!strcmp(key, "socket")) {
                snprintf(p->socket, sizeof p->socket, "%s", val);
            } else if (!strcmp(key, "protocol")) {
                if (strcmp(val, "binary") && strcmp(val, "text")) {
                    snprintf(why, wsize, "protocol must be binary or text");
                    return SL_ERROR;
                }
                p->text_protocol = !strcmp(val, "text");
            } else if (!strcmp(key, "zero-dates")) {
                if (strcmp(val, "null") && strcmp(val, "error")) {
                    snprintf(why, wsize, "zero-dates must be null or error");
                    return SL_ERROR;
                }
                p->zero_dates_error = !strcmp(val, "error");
            } else {
                snprintf(why, wsize,
                         "unknown URL option '%s'; known: ssl-mode, ssl-ca, ssl-cert, "
                         "ssl-key, socket, zero-dates, protocol",
                         key);
                return SL_ERROR;
            }
            q += n;
            if (*q == '&')
                q++;
        }
    }
    return SL_OK;
}

/* describe_url: scheme://user@host:port/db[?socket=…] — never the password
 * nor any other option. */
static void my_describe_url(const char *url, char *out, size_t size)
{
    struct params p;
    char scheme[16], why[256];
    if (parse_url(url, &p, scheme, sizeof scheme, why, sizeof why)) {
        snprintf(out, size, "%s://(a URL that cannot be read: %s)",
                 !strncmp(url, "mariadb:", 8) ? "mariadb" : "mysql", why);
        return;
    }
    size_t o = 0;
    char port[16];
    out[0] = 0;
    src_url_put(out, size, &o, scheme, "");
    src_url_put(out, size, &o, "://", ":/");
    if (p.user[0]) {
        src_url_put(out, size, &o, p.user, "");
        src_url_put(out, size, &o, "@", "@");
    }
    bool v6 = strchr(p.host, ':') != NULL;
    src_url_put(out, size, &o, v6 ? "[" : "", "[");
    src_url_put(out, size, &o, p.host, v6 ? ":" : "");
    src_url_put(out, size, &o, v6 ? "]" : "", "]");
    if (p.port) {
        snprintf(port, sizeof port, ":%u", p.port);
        src_url_put(out, size, &o, port, ":");
    }
    src_url_put(out, size, &o, "/", "/");
    src_url_put(out, size, &o, p.database, "");
    if (p.socket[0]) {
        src_url_put(out, size, &o, "?socket=", "?=");
        src_url_put(out, size, &o, p.socket, "/");
    }
}

/* ---- connections ------------------------------------------------------- */

static const char *const session_sql[] = {
    "SET time_zone = '+00:00'",
    "SET NAMES utf8mb4",
    /* Rows are streamed (mysql_use_result) while the worker writes Parquet:
     * the server must not give up on a slow reader, nor on an idle spare. */
    "SET SESSION net_write_timeout = 86400",
    "SET SESSION wait_timeout = 86400",
    NULL,
};

static int connect_db(struct snap *s, MYSQL **out, struct sl_err *err)
{
    const struct params *p = &s->par;
    MYSQL *conn = mysql_init(NULL);
    if (!conn)
        return sl_err_set(err, true, "source", s->display, "out of memory connecting");
    unsigned timeout = 30;
    mysql_options(conn, MYSQL_READ_DEFAULT_GROUP, "client");
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!strcmp(p->ssl_mode, "required") || !strcmp(p->ssl_mode, "verify_ca") ||
        !strcmp(p->ssl_mode, "verify_identity") || p->ssl_ca[0]) {
        my_bool on = 1;
        mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &on);
        if (strcmp(p->ssl_mode, "required") && strcmp(p->ssl_mode, "preferred"))
            mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    if (p->ssl_ca[0])
        mysql_options(conn, MYSQL_OPT_SSL_CA, p->ssl_ca);
    if (p->ssl_cert[0])
        mysql_options(conn, MYSQL_OPT_SSL_CERT, p->ssl_cert);
    if (p->ssl_key[0])
        mysql_options(conn, MYSQL_OPT_SSL_KEY, p->ssl_key);
    const char *pwd = p->have_password ? p->password : getenv("MYSQL_PWD");
    if (!mysql_real_connect(conn, p->host[0] ? p->host : NULL, p->user[0] ? p->user : NULL, pwd,
                            p->database, p->port, p->socket[0] ? p->socket : NULL, 0)) {
        unsigned code = mysql_errno(conn);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", mysql_error(conn));
        scrub(msg, p->password);
        if (pwd)
            scrub(msg, pwd);
        bool denied = code == ER_ACCESS_DENIED_ERROR || code == ER_DBACCESS_DENIED_ERROR ||
                      code == ER_BAD_DB_ERROR;
        sl_err_set(err, !denied, "source", s->display,
                   "cannot connect to MySQL/MariaDB: %s (error %u); check `source:` in the "
                   "config, MYSQL_PWD and ~/.my.cnf",
                   msg, code);
        if (code == ER_CON_COUNT_ERROR && err)
            err->capacity = true;
        mysql_close(conn);
        return SL_ERROR;
    }
    for (int i = 0; session_sql[i]; i++)
        if (exec_ok(s, conn, session_sql[i], "source", s->display, "cannot set up the session",
                    err)) {
            mysql_close(conn);
            return SL_ERROR;
        }
    *out = conn;
    return SL_OK;
}

/* One row of one-column (or more) text, or NULL; caller frees res. */
static MYSQL_ROW query_row(MYSQL *conn, const char *sql, MYSQL_RES **res)
{
    *res = NULL;
    if (mysql_query(conn, sql))
        return NULL;
    *res = mysql_store_result(conn);
    return *res ? mysql_fetch_row(*res) : NULL;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Worker connections are opened before the lock, all at once: connecting
 * (TCP, TLS, authentication, the session's settings) is most of the time
 * a snapshot takes, and done inside the lock it held every writer of the
 * database up — for jobs + SPARES round trips and handshakes, a good part
 * of a second against a remote Aurora with TLS.  Inside the lock each
 * connection only starts its transaction (start_snapshots). */
#define OPENERS 8 /* connections opened at once */

struct opener {
    struct snap *s;
    MYSQL *conn;
    struct sl_err err;
    int rc;
};

struct openers {
    struct opener *o;
    int n;
    atomic_int next;
};

static void *open_some(void *arg)
{
    struct openers *all = arg;
    for (int i; (i = atomic_fetch_add(&all->next, 1)) < all->n;) {
        struct opener *o = &all->o[i];
        o->rc = connect_db(o->s, &o->conn, &o->err);
        if (o->rc == SL_OK &&
            (o->rc = exec_ok(o->s, o->conn,
                             "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "snapshot",
                             o->s->display, "cannot set the isolation level", &o->err))) {
            mysql_close(o->conn);
            o->conn = NULL;
        }
    }
    return NULL;
}

/* Open `want` connections, OPENERS at a time, into s->pool; fewer (with a
 * warning) when the server refuses some, an error when it refuses all. */
static int open_pool(struct snap *s, int want, struct sl_err *err)
{
    struct openers all = {.o = calloc((size_t)want, sizeof *all.o), .n = want};
    pthread_t th[OPENERS];
    int nth = 0, rc = SL_OK;
    s->pool = calloc((size_t)want, sizeof *s->pool);
    if (!s->pool || !all.o) {
        free(all.o);
        return sl_err_set(err, false, "snapshot", s->display, "out of memory");
    }
    atomic_init(&all.next, 0);
    for (int i = 0; i < want; i++)
        all.o[i].s = s;
    while (nth < OPENERS - 1 && nth < want - 1 &&
           pthread_create(&th[nth], NULL, open_some, &all) == 0)
        nth++;
    open_some(&all); /* this thread opens its share too */
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    int failed = -1;
    for (int i = 0; i < want; i++)
        if (all.o[i].rc == SL_OK)
            s->pool[s->npool++] = all.o[i].conn;
        else if (failed < 0)
            failed = i;
    if (!s->npool)
        *err = all.o[failed].err, rc = SL_ERROR;
    else if (failed >= 0)
        sl_warn("only %d snapshot connections could be opened (%s); fewer workers and retries",
                s->npool, all.o[failed].err.msg);
    free(all.o);
    return rc;
}

/* Inside the lock: every pooled connection starts its snapshot.  One that
 * cannot is closed (fewer workers); none that can is an error. */
static int start_snapshots(struct snap *s, struct sl_err *err)
{
    struct sl_err e2 = {0};
    int kept = 0, n = s->npool;
    for (int i = 0; i < n; i++) {
        if (exec_ok(s, s->pool[i], "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
                    "snapshot", s->display, "cannot start the snapshot transaction", &e2)) {
            mysql_close(s->pool[i]);
            continue;
        }
        s->pool[kept++] = s->pool[i];
    }
    s->npool = s->opened = kept;
    if (!kept) {
        *err = e2;
        return SL_ERROR;
    }
    if (kept < n)
        sl_warn("only %d of %d connections started the snapshot (%s); fewer workers and retries",
                kept, n, e2.msg);
    return SL_OK;
}

/* LOCK TABLES `a` READ, `b` READ, … on every base table of the database. */
static int lock_tables(struct snap *s, struct sl_err *err)
{
    MYSQL_RES *res = NULL;
    if (mysql_query(s->coord, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', "
                              "'SYSTEM VERSIONED')") ||
        !(res = mysql_store_result(s->coord)))
        return my_error(err, s, s->coord, "snapshot", s->display, "cannot list tables");
    struct sl_buf q;
    sl_buf_init(&q, 1u << 26);
    int rc = append_str(&q, "LOCK TABLES ");
    int n = 0;
    for (MYSQL_ROW row; rc == SL_OK && (row = mysql_fetch_row(res)); n++)
        rc = (n && append_str(&q, ", ")) || my_append_ident(&q, row[0]) || append_str(&q, " READ");
    mysql_free_result(res);
    rc = rc || sl_buf_putc(&q, 0);
    if (rc == SL_OK && n > 0 && mysql_query(s->coord, (const char *)q.data))
        rc = my_error(err, s, s->coord, "snapshot", s->display, "LOCK TABLES … READ failed");
    sl_buf_free(&q);
    return rc;
}

static void my_close(void *ctx);

/* Under the lock: binlog position, GTID set, time. */
static void read_positions(struct snap *s, MYSQL *conn)
{
    MYSQL_RES *res = NULL;
    /* MySQL 8.4 renamed it SHOW BINARY LOG STATUS. */
    MYSQL_ROW row = query_row(conn, "SHOW MASTER STATUS", &res);
    if (!row && !res) {
        mysql_free_result(res);
        row = query_row(conn, "SHOW BINARY LOG STATUS", &res);
    }
    if (row && row[0] && row[1]) {
        snprintf(s->binlog_file, sizeof s->binlog_file, "%s", row[0]);
        snprintf(s->binlog_position, sizeof s->binlog_position, "%s", row[1]);
    }
    mysql_free_result(res);
    row = query_row(conn, s->mariadb ? "SELECT @@gtid_binlog_pos" : "SELECT @@gtid_executed", &res);
    if (row && row[0]) {
        free(s->gtid);
        s->gtid = strdup(row[0]);
    }
    mysql_free_result(res);
    row = query_row(conn, "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ')", &res);
    if (row && row[0])
        snprintf(s->snapshot_time, sizeof s->snapshot_time, "%s", row[0]);
    mysql_free_result(res);
}

/* Open up to `want` snapshot connections into the pool.  The first failure
 * stops: with none open it is the open's error; else the pool is smaller. */
static int my_open(const char *url, const struct source_options *opt, void **out,
                   struct sl_err *err)
{
    struct snap *s = calloc(1, sizeof *s);
    char why[256];
    MYSQL_RES *res = NULL;
    if (!s)
        return sl_err_set(err, false, "source", "mysql", "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->lock_ms = -1;
    s->skipped = json_array();
    s->text_columns = json_array();
    s->non_transactional = json_array();
    s->chunk_rows = src_env_size("SNAPLAKE_MYSQL_CHUNK_ROWS", 1, CHUNK_ROWS, "rows");
    src_redact_url(url, s->display, sizeof s->display);
    if (parse_url(url, &s->par, s->scheme, sizeof s->scheme, why, sizeof why)) {
        sl_err_set(err, false, "source", s->display, "cannot read the source URL: %s", why);
        goto fail;
    }
    if (!s->par.database[0]) {
        sl_err_set(err, false, "source", s->display,
                   "the URL names no database; write %s://user@host:port/<database>", s->scheme);
        goto fail;
    }
    if (connect_db(s, &s->coord, err))
        goto fail;
    snprintf(s->server_version, sizeof s->server_version, "%s", mysql_get_server_info(s->coord));
    s->mariadb = strstr(s->server_version, "MariaDB") != NULL;
    /* Do not queue behind a long statement for ever while holding writers up. */
    exec_ok(s, s->coord, "SET SESSION lock_wait_timeout = 60", "snapshot", s->display, "", NULL);
    int want = (opt && opt->jobs > 0 ? opt->jobs : 1) + SPARES;
    if (open_pool(s, want, err))
        goto fail;
    double locked = now_seconds();
    if (mysql_query(s->coord, "FLUSH TABLES WITH READ LOCK") == 0) {
        snprintf(s->guarantee, sizeof s->guarantee, "global read lock");
    } else {
        unsigned code = mysql_errno(s->coord);
        if (code != ER_SPECIFIC_ACCESS_DENIED_ERROR && code != ER_ACCESS_DENIED_ERROR &&
            code != ER_DBACCESS_DENIED_ERROR) {
            my_error(err, s, s->coord, "snapshot", s->display,
                     "FLUSH TABLES WITH READ LOCK failed");
            goto fail;
        }
        struct sl_err e2 = {0};
        if (lock_tables(s, &e2) == SL_OK) {
            sl_warn("%s: no RELOAD privilege for FLUSH TABLES WITH READ LOCK; the workers' "
                    "snapshots are aligned with LOCK TABLES … READ on the database's tables "
                    "instead (consistent for those tables only)",
                    s->display);
            snprintf(s->guarantee, sizeof s->guarantee, "table locks");
        } else {
            sl_warn("%s: neither FLUSH TABLES WITH READ LOCK nor LOCK TABLES is allowed "
                    "(%s); reading everything through ONE connection, so that every table "
                    "comes from one point in time (no parallel reads)",
                    s->display, e2.msg);
            snprintf(s->guarantee, sizeof s->guarantee, "single connection");
            while (s->npool > 1) /* one connection reads everything: no spare either */
                mysql_close(s->pool[--s->npool]);
        }
    }
    read_positions(s, s->coord);
    int frc = start_snapshots(s, err);
    if (!strcmp(s->guarantee, "single connection") && frc == SL_OK && s->mariadb) {
        /* Without a lock, the binlog position of the snapshot itself. */
        MYSQL_ROW row;
        s->binlog_file[0] = s->binlog_position[0] = 0;
        if (!mysql_query(s->pool[0], "SHOW STATUS LIKE 'binlog_snapshot_%'") &&
            (res = mysql_store_result(s->pool[0]))) {
            while ((row = mysql_fetch_row(res)))
                if (row[0] && row[1] && !strcmp(row[0], "Binlog_snapshot_file"))
                    snprintf(s->binlog_file, sizeof s->binlog_file, "%s", row[1]);
                else if (row[0] && row[1] && !strcmp(row[0], "Binlog_snapshot_position"))
                    snprintf(s->binlog_position, sizeof s->binlog_position, "%s", row[1]);
            mysql_free_result(res);
            res = NULL;
        }
        free(s->gtid);
        s->gtid = NULL; /* @@gtid_binlog_pos was read outside the snapshot */
    }
    if (strcmp(s->guarantee, "single connection") &&
        exec_ok(s, s->coord, "UNLOCK TABLES", "snapshot", s->display, "UNLOCK TABLES failed",
                frc ? NULL : err))
        frc = SL_ERROR;
    if (frc)
        goto fail;
    if (strcmp(s->guarantee, "single connection")) {
        s->lock_ms = (now_seconds() - locked) * 1e3;
        sl_info("mysql snapshot (%s, held %.1f ms) at %s, binlog %s:%s, %d connections",
                s->guarantee, s->lock_ms, s->snapshot_time,
                s->binlog_file[0] ? s->binlog_file : "-",
                s->binlog_position[0] ? s->binlog_position : "-", s->npool);
    } else {
        sl_info("mysql snapshot (%s) at %s, binlog %s:%s", s->guarantee, s->snapshot_time,
                s->binlog_file[0] ? s->binlog_file : "-",
                s->binlog_position[0] ? s->binlog_position : "-");
    }
    *out = s;
    return SL_OK;
fail:
    mysql_free_result(res);
    my_close(s);
    return SL_ERROR;
}

static void free_plans(struct snap *s)
{
    for (int i = 0; i < s->nplans; i++) {
        free(s->plans[i].kinds);
        free(s->plans[i].select_list);
        free(s->plans[i].zero_dates);
        free(s->plans[i].names);
    }
    free(s->plans);
    s->plans = NULL;
    s->nplans = 0;
}

static void my_close(void *ctx)
{
    struct snap *s = ctx;
    if (!s)
        return;
    if (s->coord)
        mysql_close(s->coord);
    for (int i = 0; i < s->npool; i++)
        mysql_close(s->pool[i]);
    free(s->pool);
    free_plans(s);
    free(s->gtid);
    json_decref(s->skipped);
    json_decref(s->text_columns);
    json_decref(s->non_transactional);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- tables ------------------------------------------------------------ */

static void note_skipped(struct snap *s, const char *name, const char *why)
{
    json_array_append_new(s->skipped, json_pack("{s:s, s:s}", "table", name, "reason", why));
}

/* The JSON columns of a MariaDB table: its JSON type is LONGTEXT with a
 * CHECK (json_valid(`col`)) constraint.  out[i] set for each such column. */
static void mariadb_json_columns(struct snap *s, const char *table, const struct sl_schema *cols,
                                 bool *out)
{
    struct sl_buf q;
    sl_buf_init(&q, 1u << 20);
    MYSQL_RES *res = NULL;
    if (!append_str(&q, "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "
                        "CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ") &&
        !append_literal(&q, s->coord, table) && !sl_buf_putc(&q, 0) &&
        !mysql_query(s->coord, (const char *)q.data) && (res = mysql_store_result(s->coord))) {
        for (MYSQL_ROW row; (row = mysql_fetch_row(res));)
            for (int i = 0; row[0] && i < cols->ncols; i++) {
                sl_buf_reset(&q);
                if (!append_str(&q, "json_valid(") &&
                    !my_append_ident(&q, cols->cols[i].source_name) && !append_str(&q, ")") &&
                    !sl_buf_putc(&q, 0) && !strcmp(row[0], (const char *)q.data))
                    out[i] = true;
            }
    }
    mysql_free_result(res);
    sl_buf_free(&q);
}

static const char columns_sql[] =
    "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, "
    "COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
    "TABLE_NAME = ";

static const char key_sql[] =
    "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS WHERE "
    "TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND TABLE_NAME = ";

/* The split key of a table whose primary key is composite or not a signed
 * integer (my_keys.h): the PRIMARY index's columns in key order (or, with
 * none, the unique index information_schema shows as PRI), when every one
 * is NOT NULL, whole (no prefix index: the rows are ordered by the whole
 * value) and of a type a bound can carry.  Otherwise none: one chunk. */
static int load_key(struct snap *s, struct src_table *t, struct table_plan *plan, char (*dt)[64],
                    struct sl_err *err)
{
    struct sl_buf q;
    sl_buf_init(&q, 1u << 16);
    MYSQL_RES *res = NULL;
    struct my_key k = {0};
    char index[256] = "";
    bool usable = true;
    if (append_str(&q, key_sql) || append_literal(&q, s->coord, t->name) ||
        append_str(&q, " ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX") ||
        sl_buf_putc(&q, 0)) {
        sl_buf_free(&q);
        return sl_err_set(err, false, "snapshot", t->name, "table name too long");
    }
    if (mysql_query(s->coord, (const char *)q.data) || !(res = mysql_store_result(s->coord))) {
        sl_buf_free(&q);
        return my_error(err, s, s->coord, "snapshot", t->name, "cannot read the primary key");
    }
    sl_buf_free(&q);
    for (MYSQL_ROW row; (row = mysql_fetch_row(res));) {
        if (!index[0])
            snprintf(index, sizeof index, "%s", row[0] ? row[0] : "");
        if (strcmp(index, row[0] ? row[0] : ""))
            break; /* the first unique index only */
        int c = 0;
        while (c < plan->ncols && strcmp(plan->names[c], row[1] ? row[1] : ""))
            c++;
        if (c == plan->ncols || k.n == MY_KEY_MAX || row[2] || t->columns.cols[c].nullable ||
            (k.cls[k.n] = my_key_class_of(dt[c])) == MYKEY_NONE) {
            usable = false;
            break;
        }
        k.col[k.n++] = c;
    }
    mysql_free_result(res);
    if (!usable || k.n == 0)
        return SL_OK;
    plan->key = k;
    size_t o = 0;
    for (int i = 0; i < k.n && o + 1 < sizeof t->key; i++)
        o += (size_t)snprintf(t->key + o, sizeof t->key - o, "%s%s", i ? "," : "",
                              t->columns.cols[k.col[i]].source_name);
    return SL_OK;
}

/* Columns of one table, their kinds, the SELECT list and the split key. */
static int load_columns(struct snap *s, struct src_table *t, struct table_plan *plan,
                        struct sl_err *err)
{
    struct sl_buf q, sel;
    sl_buf_init(&q, 1u << 20);
    sl_buf_init(&sel, 1u << 24);
    MYSQL_RES *res = NULL;
    bool *json = NULL;
    int rc = SL_ERROR, npk = 0, pk = -1;
    char list[1024] = "";
    if (append_str(&q, columns_sql) || append_literal(&q, s->coord, t->name) ||
        append_str(&q, " ORDER BY ORDINAL_POSITION") || sl_buf_putc(&q, 0)) {
        sl_err_set(err, false, "snapshot", t->name, "table name too long");
        goto out;
    }
    if (mysql_query(s->coord, (const char *)q.data) || !(res = mysql_store_result(s->coord))) {
        my_error(err, s, s->coord, "snapshot", t->name, "cannot read the table's columns");
        goto out;
    }
    int n = (int)mysql_num_rows(res);
    t->columns.cols = calloc((size_t)(n ? n : 1), sizeof *t->columns.cols);
    plan->kinds = calloc((size_t)(n ? n : 1), sizeof *plan->kinds);
    plan->zero_dates = calloc((size_t)(n ? n : 1), sizeof *plan->zero_dates);
    plan->names = calloc((size_t)(n ? n : 1), sizeof *plan->names);
    json = calloc((size_t)(n ? n : 1), sizeof *json);
    if (!t->columns.cols || !plan->kinds || !plan->zero_dates || !plan->names || !json) {
        sl_err_set(err, false, "snapshot", t->name, "out of memory");
        goto out;
    }
    t->columns.ncols = plan->ncols = n;
    char(*dt)[64] = calloc((size_t)(n ? n : 1), sizeof *dt);
    long *prec = calloc((size_t)(n ? n : 1), sizeof *prec),
         *scale = calloc((size_t)(n ? n : 1), sizeof *scale);
    if (!dt || !prec || !scale) {
        free(dt), free(prec), free(scale);
        sl_err_set(err, false, "snapshot", t->name, "out of memory");
        goto out;
    }
    MYSQL_ROW row;
    for (int i = 0; (row = mysql_fetch_row(res)) && i < n; i++) {
        struct sl_column *c = &t->columns.cols[i];
        snprintf(c->source_name, sizeof c->source_name, "%s", row[0] ? row[0] : "");
        memcpy(plan->names[i], c->source_name, sizeof plan->names[i]);
        snprintf(dt[i], sizeof dt[i], "%s", row[1] ? row[1] : "");
        snprintf(c->source_type, sizeof c->source_type, "%s", row[2] ? row[2] : dt[i]);
        c->nullable = !row[3] || strcmp(row[3], "NO") != 0;
        prec[i] = row[4] ? strtol(row[4], NULL, 10) : 0;
        scale[i] = row[5] ? strtol(row[5], NULL, 10) : 0;
        if (row[6] && !strcmp(row[6], "PRI")) {
            npk++;
            pk = i;
        }
    }
    mysql_free_result(res);
    res = NULL;
    if (s->mariadb)
        mariadb_json_columns(s, t->name, &t->columns, json);
    for (int i = 0; i < n; i++) {
        struct sl_column *c = &t->columns.cols[i];
        const char *cast;
        bool exact =
            my_type_map(dt[i], c->source_type, prec[i], scale[i], c, &plan->kinds[i], &cast);
        if (json[i] && c->type == SL_T_STRING)
            c->type = SL_T_JSON;
        if (!exact) {
            json_array_append_new(s->text_columns,
                                  json_pack("{s:s, s:s, s:s}", "table", t->name, "column",
                                            c->source_name, "type", c->source_type));
            size_t l = strlen(list);
            if (l < sizeof list - 80)
                snprintf(list + l, sizeof list - l, "%s%s (%s)", l ? ", " : "", c->source_name,
                         c->source_type);
        }
        /* The quoted column, in the cast's "%s". */
        const char *pct = strstr(cast, "%s");
        if ((i && append_str(&sel, ", ")) || sl_buf_append(&sel, cast, (size_t)(pct - cast)) ||
            my_append_ident(&sel, c->source_name) || append_str(&sel, pct + 2)) {
            sl_err_set(err, false, "snapshot", t->name, "column list too long");
            free(dt), free(prec), free(scale);
            goto out;
        }
    }
    /* Split key: a one-column primary key of a signed integer type (an
     * unsigned BIGINT may not fit the int64 bounds of a chunk). */
    plan->key_col = -1;
    plan->key.n = 0;
    if (npk == 1 && plan->kinds[pk] == MYK_INT && t->columns.cols[pk].type != SL_T_DECIMAL &&
        strcmp(dt[pk], "year")) {
        plan->key_col = pk;
        snprintf(t->key, sizeof t->key, "%.63s", t->columns.cols[pk].source_name);
    } else if (npk >= 1 && load_key(s, t, plan, dt, err)) {
        free(dt), free(prec), free(scale);
        goto out;
    }
    free(dt), free(prec), free(scale);
    if (list[0])
        sl_warn("table %s: no exact mapping for column(s) %s; exported as text", t->name, list);
    if (sl_buf_putc(&sel, 0)) {
        sl_err_set(err, false, "snapshot", t->name, "column list too long");
        goto out;
    }
    plan->select_list = (char *)sel.data;
    sel.data = NULL;
    src_safe_column_names(&t->columns);
    rc = SL_OK;
out:
    free(json);
    mysql_free_result(res);
    sl_buf_free(&q);
    sl_buf_free(&sel);
    return rc;
}

static bool engine_transactional(const char *engine)
{
    return engine && (!strcasecmp(engine, "InnoDB") || !strcasecmp(engine, "XtraDB") ||
                      !strcasecmp(engine, "TokuDB") || !strcasecmp(engine, "RocksDB"));
}

static int my_list_tables(void *ctx, struct src_table **out, int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    struct src_table *t = NULL;
    MYSQL_RES *res = NULL;
    int n = 0, rc = SL_ERROR;
    if (mysql_query(s->coord, "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH "
                              "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                              "ORDER BY BINARY TABLE_NAME") ||
        !(res = mysql_store_result(s->coord))) {
        my_error(err, s, s->coord, "snapshot", s->display, "cannot list tables");
        goto out;
    }
    int rows = (int)mysql_num_rows(res);
    free_plans(s);
    t = calloc((size_t)(rows ? rows : 1), sizeof *t);
    s->plans = calloc((size_t)(rows ? rows : 1), sizeof *s->plans);
    if (!t || !s->plans) {
        sl_err_set(err, false, "snapshot", s->display, "out of memory");
        goto out;
    }
    json_array_clear(s->skipped);
    json_array_clear(s->text_columns);
    json_array_clear(s->non_transactional);
    for (MYSQL_ROW row; (row = mysql_fetch_row(res));) {
        const char *name = row[0] ? row[0] : "", *type = row[1] ? row[1] : "";
        if (strcmp(type, "BASE TABLE") && strcmp(type, "SYSTEM VERSIONED")) {
            const char *why = !strcmp(type, "VIEW")       ? "view"
                              : !strcmp(type, "SEQUENCE") ? "sequence"
                                                          : type;
            sl_info("skipping %s %s", why, name);
            note_skipped(s, name, why);
            continue;
        }
        struct src_table *tt = &t[n];
        struct table_plan *p = &s->plans[s->nplans];
        memset(tt, 0, sizeof *tt);
        snprintf(tt->schema, sizeof tt->schema, "%s", s->par.database);
        snprintf(tt->name, sizeof tt->name, "%s", name);
        src_safe_name(name, tt->dataset, sizeof tt->dataset, "t_");
        snprintf(p->name, sizeof p->name, "%s", name);
        p->transactional = engine_transactional(row[2]);
        s->nplans++;
        if (load_columns(s, tt, p, err)) {
            sl_schema_free(&tt->columns);
            goto out;
        }
        if (!p->transactional) {
            sl_warn("table %s uses the %s engine, which has no consistent snapshots: it is "
                    "read as it is when its chunk runs",
                    name, row[2] ? row[2] : "(unknown)");
            json_array_append_new(s->non_transactional, json_string(name));
        }
        tt->est_rows = row[3] ? strtoll(row[3], NULL, 10) : 0;
        tt->est_bytes = row[4] ? strtoll(row[4], NULL, 10) : 0;
        n++;
    }
    rc = SL_OK;
out:
    mysql_free_result(res);
    if (rc) {
        src_tables_free(t, n);
        return rc;
    }
    *out = t;
    *nout = n;
    return SL_OK;
}

static struct table_plan *find_plan(const struct snap *s, const struct src_table *t)
{
    for (int i = 0; i < s->nplans; i++)
        if (!strcmp(s->plans[i].name, t->name))
            return s->plans[i].ncols == t->columns.ncols ? &s->plans[i] : NULL;
    return NULL;
}

/* ---- chunks ------------------------------------------------------------ */

/* Chunks of a table split by a composite or non-integer key (my_keys.h):
 * n - 1 boundaries, each the key of the row `step` rows after the previous
 * boundary in key order —
 *   SELECT key FROM t WHERE key >= prev ORDER BY key LIMIT 1 OFFSET step
 * — so that every chunk holds about `step` rows.  Each query walks `step`
 * index entries from the previous boundary: one pass over the key in all,
 * and n - 1 rows over the network.  (OFFSET k*step from the start would walk
 * the key n/2 times; streaming every key to the client would send it all.)
 * The boundaries are read on the coordinator, outside the snapshot: they
 * only decide how even the chunks are.  That every row lands in exactly one
 * chunk follows from the ranges alone: the first has no lower bound, the
 * last none upper, and each boundary is both the (exclusive) upper bound of
 * one chunk and the (inclusive) lower bound of the next, compared by the
 * server in the key's own collation, the one ORDER BY used.  A table smaller
 * than its estimate gets fewer chunks. */
static int sample_chunks(struct snap *s, const struct src_table *t, const struct table_plan *p,
                         int ti, struct src_chunk **out, int *nout, struct sl_err *err)
{
    int64_t n = src_chunk_count(t->est_rows, s->chunk_rows, MAX_CHUNKS);
    int64_t step = t->est_rows / n > 0 ? t->est_rows / n : 1;
    char **bound = calloc((size_t)n, sizeof *bound), why[512], num[64];
    struct src_chunk *c = calloc((size_t)n, sizeof *c);
    struct sl_buf q;
    sl_buf_init(&q, 1u << 26);
    int nb = 0, rc = SL_OK;
    if (!bound || !c)
        rc = sl_err_set(err, false, "export", t->name, "out of memory");
    snprintf(num, sizeof num, " LIMIT 1 OFFSET %" PRId64, step);
    while (rc == SL_OK && nb < n - 1) {
        sl_buf_reset(&q);
        MYSQL_RES *res = NULL;
        if (append_str(&q, "SELECT ") || my_key_columns(&q, &p->key, &t->columns) ||
            append_str(&q, " FROM ") || my_append_ident(&q, t->name) ||
            (nb && (append_str(&q, " WHERE ") ||
                    my_key_condition(&q, s->coord, &p->key, &t->columns, bound[nb - 1], true, why,
                                     sizeof why))) ||
            append_str(&q, " ORDER BY ") || my_key_columns(&q, &p->key, &t->columns) ||
            append_str(&q, num) || sl_buf_putc(&q, 0)) {
            rc = sl_err_set(err, false, "export", t->name, "cannot sample the key: query too long");
            break;
        }
        MYSQL_ROW row = query_row(s->coord, (const char *)q.data, &res);
        if (!row && mysql_errno(s->coord)) {
            rc = my_error(err, s, s->coord, "export", t->name, "cannot sample the key");
        } else if (row) {
            /* The sample's columns are the key's, in order. */
            struct my_key k = p->key;
            for (int i = 0; i < k.n; i++)
                k.col[i] = i;
            if (my_key_encode(&k, row, mysql_fetch_lengths(res), &bound[nb])) {
                sl_debug("table %s: a key value is not UTF-8; %d chunk(s)", t->name, nb + 1);
                row = NULL;
            } else {
                nb++;
            }
        }
        mysql_free_result(res);
        if (!row)
            break; /* fewer rows than estimated: the last chunk takes the rest */
    }
    sl_buf_free(&q);
    for (int i = 0; rc == SL_OK && i <= nb; i++) {
        c[i].table = ti;
        c[i].index = i;
        c[i].whole = nb == 0;
        c[i].est_rows = t->est_rows / (nb + 1);
        c[i].hi = i < nb ? bound[i] : NULL; /* moved */
        if (i < nb)
            bound[i] = NULL;
        if (i > 0 && !(c[i].lo = strdup(c[i - 1].hi)))
            rc = sl_err_set(err, false, "export", t->name, "out of memory");
    }
    for (int i = 0; bound && i < nb; i++)
        free(bound[i]);
    free(bound);
    if (rc) {
        src_chunks_free(c, (int)n);
        return rc;
    }
    *out = c;
    *nout = nb + 1;
    return SL_OK;
}

static int my_plan_chunks(void *ctx, const struct src_table *t, int ti, struct src_chunk **out,
                          int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    const struct table_plan *p = find_plan(s, t);
    if (!p)
        return sl_err_set(err, false, "export", t->name,
                          "internal: table not listed by the source");
    if (p->key.n > 0 && t->est_rows > s->chunk_rows)
        return sample_chunks(s, t, p, ti, out, nout, err);
    int64_t n = 1, lo = 0, hi = 0, est = t->est_rows;
    if (p->key_col >= 0 && t->est_rows > s->chunk_rows) {
        /* MIN/MAX on the coordinator, outside the snapshot: the first and
         * last chunks are open-ended, so rows outside [min, max] are read. */
        struct sl_buf q;
        sl_buf_init(&q, 1u << 16);
        const char *k = t->columns.cols[p->key_col].source_name;
        MYSQL_RES *res = NULL;
        MYSQL_ROW row = NULL;
        if (!append_str(&q, "SELECT MIN(") && !my_append_ident(&q, k) &&
            !append_str(&q, "), MAX(") && !my_append_ident(&q, k) && !append_str(&q, ") FROM ") &&
            !my_append_ident(&q, t->name) && !sl_buf_putc(&q, 0))
            row = query_row(s->coord, (const char *)q.data, &res);
        sl_buf_free(&q);
        if (row && row[0] && row[1]) {
            lo = strtoll(row[0], NULL, 10);
            hi = strtoll(row[1], NULL, 10);
            n = my_range_chunks(t->est_rows, lo, hi, s->chunk_rows, MAX_CHUNKS, &est);
        } else if (!row && mysql_errno(s->coord)) {
            int rc = my_error(err, s, s->coord, "export", t->name, "cannot read the key range");
            mysql_free_result(res);
            return rc;
        }
        mysql_free_result(res);
    }
    struct src_chunk *c = calloc((size_t)n, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "export", t->name, "out of memory");
    /* Bounds in unsigned arithmetic: hi - lo may exceed INT64_MAX. */
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    for (int64_t i = 0; i < n; i++) {
        c[i].table = ti;
        c[i].index = (int)i;
        c[i].whole = n == 1;
        c[i].est_rows = est / n;
        int64_t a = (int64_t)((uint64_t)lo +
                              (uint64_t)((unsigned __int128)span * (uint64_t)i / (uint64_t)n)),
                z = (int64_t)((uint64_t)lo + (uint64_t)((unsigned __int128)span *
                                                        (uint64_t)(i + 1) / (uint64_t)n));
        if (n > 1 && src_chunk_set_int(&c[i], i == 0 ? INT64_MIN : a, i == n - 1 ? INT64_MAX : z)) {
            src_chunks_free(c, (int)n);
            return sl_err_set(err, false, "export", t->name, "out of memory");
        }
    }
    *out = c;
    *nout = (int)n;
    return SL_OK;
}

/* ---- readers ----------------------------------------------------------- */

/* A snapshot connection from the pool into *conn.  Permanent error when one
 * was lost and none is left; "capacity" when the others are all in use. */
static int take_conn(struct snap *s, MYSQL **conn, const char *object, struct sl_err *err)
{
    pthread_mutex_lock(&s->mu);
    *conn = s->npool ? s->pool[--s->npool] : NULL;
    int lost = s->lost, opened = s->opened;
    pthread_mutex_unlock(&s->mu);
    if (*conn)
        return SL_OK;
    if (lost) {
        return sl_err_set(err, false, "export", object,
                          "%d of the %d connections that share the snapshot failed and no spare "
                          "is left; a new connection would read a later point in time, so the "
                          "export stops: run it again",
                          lost, opened);
    }
    sl_err_set(err, true, "export", object,
               "the snapshot's %d connection(s) are all taken by other workers (%s)", opened,
               s->guarantee);
    err->capacity = true;
    return SL_ERROR;
}

static int my_reader_open(void *ctx, void **out, struct sl_err *err)
{
    struct snap *s = ctx;
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        return sl_err_set(err, false, "export", s->display, "out of memory");
    r->snap = s;
    sl_buf_init(&r->sql, 1u << 26);
    if (take_conn(s, &r->conn, s->display, err)) {
        sl_buf_free(&r->sql);
        free(r);
        return SL_ERROR;
    }
    *out = r;
    return SL_OK;
}

/* Give a healthy connection back to the pool (the end of the export);
 * a reader whose connection failed has none. */
static void my_reader_close(void *ctx)
{
    struct reader *r = ctx;
    if (!r)
        return;
    if (r->conn) {
        struct snap *s = r->snap;
        pthread_mutex_lock(&s->mu);
        s->pool[s->npool++] = r->conn;
        pthread_mutex_unlock(&s->mu);
    }
    sl_buf_free(&r->sql);
    free(r);
}

/* The chunk's SELECT into r->sql.  SL_ERROR with err set when its bounds
 * are not the table's key's (a resumed run's table changed). */
static int build_sql(struct reader *r, const struct src_table *t, const struct table_plan *p,
                     const struct src_chunk *c, struct sl_err *err)
{
    struct sl_buf *b = &r->sql;
    char num[64], why[512] = "";
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    sl_buf_reset(b);
    int rc = append_str(b, "SELECT ") || append_str(b, p->select_list) || append_str(b, " FROM ") ||
             my_append_ident(b, t->name);
    if (!c->whole && p->key.n > 0 && (c->lo || c->hi)) {
        rc = rc || append_str(b, " WHERE ") ||
             (c->lo &&
              my_key_condition(b, r->conn, &p->key, &t->columns, c->lo, true, why, sizeof why)) ||
             (c->lo && c->hi && append_str(b, " AND ")) ||
             (c->hi &&
              my_key_condition(b, r->conn, &p->key, &t->columns, c->hi, false, why, sizeof why));
    } else if (!c->whole && p->key_col >= 0 && (c->lo || c->hi)) {
        if (src_bound_int(c->lo, INT64_MIN, &lo) || src_bound_int(c->hi, INT64_MAX, &hi))
            snprintf(why, sizeof why, "the chunk bounds %.100s, %.100s are not integers",
                     c->lo ? c->lo : "", c->hi ? c->hi : "");
        const char *k = t->columns.cols[p->key_col].source_name;
        rc = rc || why[0] || append_str(b, " WHERE ");
        if (lo != INT64_MIN) {
            snprintf(num, sizeof num, " >= %" PRId64, lo);
            rc = rc || my_append_ident(b, k) || append_str(b, num);
        }
        if (hi != INT64_MAX) {
            snprintf(num, sizeof num, " < %" PRId64, hi);
            rc = rc || (lo != INT64_MIN && append_str(b, " AND ")) || my_append_ident(b, k) ||
                 append_str(b, num);
        }
    } else if (!c->whole && (c->lo || c->hi)) {
        snprintf(why, sizeof why, "the table has no split key now");
    }
    if (why[0] && strcmp(why, "query too long"))
        return sl_err_set(err, false, "export", t->name,
                          "part %d: %s (key %s): the table changed since the run being resumed "
                          "planned its chunks; start a new run instead of --resume",
                          c->index, why, t->key[0] ? t->key : "none");
    if (rc || sl_buf_putc(b, 0))
        return sl_err_set(err, false, "export", t->name, "query too long");
    return SL_OK;
}

static int my_read_chunk(void *ctx, const struct src_table *t, const struct src_chunk *c,
                         struct sl_batch *b, src_emit_fn emit, void *arg, struct sl_err *err)
{
    struct reader *r = ctx;
    struct snap *s = r->snap;
    struct table_plan *p = find_plan(s, t);
    if (!p)
        return sl_err_set(err, false, "export", t->name,
                          "internal: table not listed by the source");
    if (!r->conn && take_conn(s, &r->conn, t->name, err)) {
        err->capacity = false;
        err->transient = false;
        return SL_ERROR;
    }
    __atomic_store_n(&r->thread_id, mysql_thread_id(r->conn), __ATOMIC_RELEASE);
    if (build_sql(r, t, p, c, err))
        return SL_ERROR;
    int64_t *zero = calloc((size_t)(p->ncols ? p->ncols : 1), sizeof *zero);
    struct my_day_cache *days = calloc((size_t)(p->ncols ? p->ncols : 1), sizeof *days);
    if (!zero || !days) {
        free(zero);
        free(days);
        return sl_err_set(err, false, "export", t->name, "out of memory");
    }
    struct my_decoder dec = {.columns = &t->columns,
                             .kinds = p->kinds,
                             .zero = zero,
                             .zero_error = s->par.zero_dates_error,
                             .days = days};
    struct my_stream st = {.conn = r->conn,
                           .sql = (const char *)r->sql.data,
                           .dec = &dec,
                           .t = t,
                           .part = c->index,
                           .key_col = p->key_col,
                           .binary = !s->par.text_protocol,
                           .b = b,
                           .emit = emit,
                           .arg = arg};
    int rc = my_stream_read(&st, err);
    if (rc == MY_STREAM_DB_ERROR) {
        char msg[sizeof st.msg];
        snprintf(msg, sizeof msg, "%s", st.msg);
        scrub(msg, s->par.password);
        sl_err_set(err, code_transient(st.code), "export", t->name, "%s: %s (error %u)", st.what,
                   msg, st.code);
        rc = SL_ERROR;
    }
    __atomic_store_n(&r->thread_id, 0, __ATOMIC_RELEASE);
    if (rc) {
        /* The connection may be broken, or mid-stream: never reuse it (a
         * new one would not share the snapshot). */
        mysql_close(r->conn);
        r->conn = NULL;
        pthread_mutex_lock(&s->mu);
        s->lost++;
        pthread_mutex_unlock(&s->mu);
    } else {
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < p->ncols; i++)
            p->zero_dates[i] += zero[i];
        pthread_mutex_unlock(&s->mu);
        for (int i = 0; i < p->ncols; i++)
            if (zero[i])
                sl_warn("table %s, column %s: %" PRId64 " zero date(s) (0000-00-00 or a zero "
                        "month/day) exported as NULL",
                        t->name, t->columns.cols[i].source_name, zero[i]);
    }
    free(zero);
    free(days);
    return rc;
}

/* ---- manifest ---------------------------------------------------------- */

static char *my_describe(void *ctx)
{
    struct snap *s = ctx;
    const char *iso = "repeatable read, consistent snapshot, read only";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "kind",
                          s->mariadb ? "mariadb consistent snapshot" : "mysql consistent snapshot",
                          "isolation", iso, "guarantee", s->guarantee, "snapshot_time",
                          s->snapshot_time, "server_version", s->server_version, "database",
                          s->par.database, "source", s->display, "connections", s->opened);
    if (!o)
        return NULL;
    json_object_set_new(o, "binlog_file",
                        s->binlog_file[0] ? json_string(s->binlog_file) : json_null());
    json_object_set_new(o, "binlog_position",
                        s->binlog_position[0] ? json_integer(strtoll(s->binlog_position, NULL, 10))
                                              : json_null());
    json_object_set_new(o, "gtid", s->gtid ? json_string(s->gtid) : json_null());
    json_object_set_new(o, "lock_held_ms",
                        s->lock_ms >= 0 ? json_real((double)(int64_t)(s->lock_ms * 10 + 0.5) / 10)
                                        : json_null());
    json_t *zd = json_array();
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->nplans; i++)
        for (int k = 0; k < s->plans[i].ncols; k++)
            if (s->plans[i].zero_dates[k])
                json_array_append_new(zd, json_pack("{s:s, s:s, s:I}", "table", s->plans[i].name,
                                                    "column", s->plans[i].names[k], "count",
                                                    (json_int_t)s->plans[i].zero_dates[k]));
    pthread_mutex_unlock(&s->mu);
    json_object_set_new(o, "zero_dates", zd);
    json_object_set(o, "text_columns", s->text_columns);
    json_object_set(o, "non_transactional", s->non_transactional);
    json_object_set(o, "skipped", s->skipped);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

/* KILL QUERY from a connection of its own: it stops the chunk's statement
 * also while it waits in the server (a metadata lock held by a migration,
 * a slow disk), where no check between batches would see it.  The
 * worker's connection and its snapshot transaction survive a KILL QUERY,
 * but the read fails mid-stream and my_read_chunk gives the connection up:
 * the retry takes a spare, as after a lost connection.  The killing
 * connection is outside the snapshot, which a KILL does not need (the same
 * user may kill its own statements without any privilege).  Called only
 * while a read runs (util/cancel.h), and repeated every second while it
 * still does. */
static void my_reader_cancel(void *ctx)
{
    struct reader *r = ctx;
    unsigned long id = __atomic_load_n(&r->thread_id, __ATOMIC_ACQUIRE);
    if (!id)
        return;
    MYSQL *k = NULL;
    struct sl_err e = {0};
    char sql[64], buf[2200];
    if (connect_db(r->snap, &k, &e)) {
        sl_warn("cannot stop MySQL statement %lu (the chunk stops at its next batch): %s", id,
                sl_err_format(&e, buf, sizeof buf));
        return;
    }
    snprintf(sql, sizeof sql, "KILL QUERY %lu", id);
    if (mysql_query(k, sql)) /* ended meanwhile: "Unknown thread id" */
        sl_debug("%s: %s", sql, mysql_error(k));
    else
        sl_debug("%s: the chunk's statement was stopped", sql);
    mysql_close(k);
}

const struct source_type src_mysql_type = {
    .name = "mysql",
    .schemes = {"mysql", "mariadb", NULL},
    .open = my_open,
    .list_tables = my_list_tables,
    .plan_chunks = my_plan_chunks,
    .reader_open = my_reader_open,
    .read_chunk = my_read_chunk,
    .reader_close = my_reader_close,
    .reader_cancel = my_reader_cancel,
    .describe = my_describe,
    .close = my_close,
    .describe_url = my_describe_url,
};
