/*
 * sqlite.c — the SQLite source.
 *
 * Snapshot: a private copy of the whole database in the run's temporary
 * folder (DESIGN.md "Snapshots"): the file's bytes copied under a read
 * transaction's SHARED lock for rollback-journal databases, else the online
 * backup API in one step under one read transaction.  Workers then open
 * that copy read-only, each with its own connection, so the live database is
 * read once and every table comes from the same instant.  A writer holding
 * the database (BEGIN EXCLUSIVE, a commit) is waited for, with a line every
 * so often, up to BUSY_LIMIT seconds; a full disk names the snapshot folder.
 *
 * Tables: PRAGMA table_list's 'table' and 'virtual'.  A virtual table (FTS,
 * R*Tree) is read like a view of its visible columns, when this library has
 * its module; its shadow tables (notes_data, boxes_node …) never are
 * datasets.  Columns are those of SELECT *: generated ones included, hidden
 * ones of virtual tables left out (PRAGMA table_xinfo).
 *
 * Types: SQLite stores values by storage class, whatever the declared type.
 * The declared type picks the internal type, by these rules in order
 * (README "Type mapping"):
 *   contains BOOL                         → boolean (stored 0/1)
 *   DATETIME…, contains TIMESTAMP          → timestamp (… TZ / WITH TIME ZONE → timestamptz)
 *   DATE                                  → date (stored 'YYYY-MM-DD')
 *   DECIMAL(p,s), NUMERIC(p,s), (p)       → decimal(p,s) when p <= 38, else string
 *   JSON                                  → json (text)
 *   then SQLite's affinity rules: INT → int64; CHAR/CLOB/TEXT → string;
 *   BLOB → binary; REAL/FLOA/DOUB → double; other (NUMERIC affinity) → double;
 *   no declared type → string (numbers as their text, blobs refused).
 * A stored value that does not fit the column's type is an error naming
 * table, column and row (the rowid; in a WITHOUT ROWID table its primary
 * key, "key k='c'"); the coercions below are the only ones made:
 *   integer → double (exact below 2^53), integral real → int64,
 *   real/integer/text → decimal only when exact, a timestamp with a UTC
 *   offset → converted to UTC, a date alone in a timestamp column → midnight.
 *
 * Chunks: tables with a rowid are split into rowid ranges of about
 * CHUNK_ROWS rows, WITHOUT ROWID tables with a one-column integer PRIMARY
 * KEY into ranges of that key; other WITHOUT ROWID tables and virtual
 * tables are one chunk (read by one worker, however large).
 */
#include "source/source.h"
#include "util/datetime.h"
#include "util/decimal.h"
#include "util/log.h"
#include "util/utf8.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_ROWS 2000000
#define BATCH_FLUSH_BYTES (32u << 20) /* end a batch early past this much text */

struct snap {
    char path[PATH_MAX];   /* the private copy */
    char origin[PATH_MAX]; /* the live database */
    struct source_options opt;
};

struct reader {
    struct snap *snap;
    sqlite3 *db;
};

static int db_error(struct sl_err *err, sqlite3 *db, const char *object, const char *what)
{
    int code = sqlite3_errcode(db);
    bool transient = code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR;
    return sl_err_set(err, transient, "source", object, "%s: %s", what, sqlite3_errmsg(db));
}

static int url_path(const char *url, char *out, size_t size, struct sl_err *err)
{
    const char *p = url;
    if (!strncmp(p, "sqlite://", 9))
        p += 9;
    else if (!strncmp(p, "sqlite:", 7))
        p += 7;
    if (!*p)
        return sl_err_set(err, false, "source", url, "no database path in the sqlite URL");
    snprintf(out, size, "%s", p);
    return SL_OK;
}

/* Copy a file's bytes, in the kernel where it can (copy_file_range).
 * `slow` (the test switch SNAPLAKE_FAULT=snapshot:slow) copies 64 KiB at a
 * time with a pause between pieces, so a test can show that writers wait
 * for the copy instead of tearing it. */
static int copy_bytes(int in, int out, int slow)
{
    while (slow) {
        char buf[1 << 16];
        ssize_t r = read(in, buf, sizeof buf);
        if (r <= 0)
            return r < 0 ? -1 : 0;
        if (write(out, buf, (size_t)r) != r)
            return -1;
        usleep(2000);
    }
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
            return -1;
        char buf[1 << 16]; /* a filesystem without copy_file_range: read and write */
        ssize_t r;
        while ((r = read(in, buf, sizeof buf)) > 0)
            for (ssize_t w = 0; w < r;) {
                ssize_t k = write(out, buf + w, (size_t)(r - w));
                if (k < 0)
                    return -1;
                w += k;
            }
        return r < 0 ? -1 : 0;
    }
}

/* How long the snapshot waits for a writer that holds the database (a
 * long write transaction committing, BEGIN EXCLUSIVE): a line at
 * BUSY_FIRST_REPORT seconds, then every BUSY_REPORT_EVERY, and the run fails
 * after BUSY_LIMIT seconds.  A nightly run should outwait an application's
 * batch job, not hang on a stuck one. */
#define BUSY_FIRST_REPORT 2
#define BUSY_REPORT_EVERY 30
#define BUSY_LIMIT 300

struct busy {
    const char *origin;
    struct timespec start;
    int next_report; /* seconds */
    bool gave_up;
};

/* sqlite3_busy_handler callback: sleep and retry, saying why the snapshot
 * waits; 0 (give up) past BUSY_LIMIT. */
static int busy_wait(void *arg, int count)
{
    struct busy *b = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (count == 0) {
        b->start = now;
        b->next_report = BUSY_FIRST_REPORT;
    }
    double waited = (double)(now.tv_sec - b->start.tv_sec) +
                    (double)(now.tv_nsec - b->start.tv_nsec) / 1e9;
    if (waited >= BUSY_LIMIT) {
        b->gave_up = true;
        return 0;
    }
    if (waited >= b->next_report) {
        sl_info("waiting for a writer to release %s (busy for %d s)…", b->origin,
                b->next_report);
        b->next_report += b->next_report < BUSY_REPORT_EVERY ? BUSY_REPORT_EVERY - b->next_report
                                                             : BUSY_REPORT_EVERY;
    }
    usleep(50000);
    return 1;
}

static int busy_error(struct sl_err *err, const struct busy *b)
{
    return sl_err_set(err, true, "source", b->origin,
                      "the database stayed locked by a writer for %d s (a long write "
                      "transaction or an EXCLUSIVE lock held by another process); run again "
                      "once it is released",
                      BUSY_LIMIT);
}

/* A snapshot copy that the disk has no room for: name the folder that is
 * full, not the source.  Not transient: a retry would fill it again. */
static int full_error(struct sl_err *err, const struct snap *s, int errnum)
{
    struct stat st;
    double mib = stat(s->origin, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
    return sl_err_set(err, false, "source", s->opt.tmp_dir,
                      "%s while writing the snapshot copy of %s (%.1f MiB); free space in the "
                      "filesystem of this folder",
                      strerror(errnum), s->origin, mib);
}

enum { COPY_FALLBACK = 1 }; /* copy_under_lock: use the backup API instead */

/* The fast snapshot of a rollback-journal database (the usual mode): inside
 * a read transaction the connection holds SQLite's SHARED lock, and no
 * writer can change the file until it is released, so the file's bytes are
 * one point in time; copying them takes a fifth of the backup API's time.
 * WAL databases keep committed pages in the -wal file: COPY_FALLBACK, and
 * the caller uses the backup API (as on any other failure the backup API
 * may not share).  SL_ERROR (err set) when the database stayed locked or
 * the disk is full: the backup API would fail the same way. */
static int copy_under_lock(sqlite3 *src, const struct snap *s, const struct busy *b,
                           struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = COPY_FALLBACK, in = -1, out = -1, began = 0, write_errno = 0;
    if (sqlite3_prepare_v2(src, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        !strcasecmp((const char *)sqlite3_column_text(st, 0), "wal"))
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    began = 1;
    /* The first read takes the SHARED lock; the transaction keeps it. */
    if (sqlite3_prepare_v2(src, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto out;
    in = open(s->origin, O_RDONLY | O_CLOEXEC);
    out = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        write_errno = errno;
    const char *fault = getenv("SNAPLAKE_FAULT");
    /* One of the ';'-separated switches (flow/run_internal.h). */
    const char *at = fault ? strstr(fault, "snapshot:slow") : NULL;
    int slow = at && (at == fault || at[-1] == ';') && (!at[13] || at[13] == ';');
    if (in < 0 || out < 0)
        goto out;
    if (copy_bytes(in, out, slow) || fsync(out)) {
        write_errno = errno;
        goto out;
    }
    rc = SL_OK;
out:
    sqlite3_finalize(st);
    if (b->gave_up)
        rc = busy_error(err, b);
    if (began)
        sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) && rc == SL_OK) {
        write_errno = errno;
        rc = COPY_FALLBACK;
    }
    if (rc && (write_errno == ENOSPC || write_errno == EDQUOT))
        rc = full_error(err, s, write_errno);
    if (rc)
        unlink(s->path);
    return rc;
}

static int sqlite_open(const char *url, const struct source_options *opt, void **out,
                       struct sl_err *err)
{
    struct snap *s = calloc(1, sizeof *s);
    sqlite3 *src = NULL, *dst = NULL;
    int rc = SL_ERROR;
    if (!s)
        return sl_err_set(err, false, "source", url, "out of memory");
    s->opt = *opt;
    if (url_path(url, s->origin, sizeof s->origin, err))
        goto out;
    struct busy busy = {.origin = s->origin};
    struct stat st;
    if (stat(s->origin, &st) != 0) {
        sl_err_set(err, false, "source", s->origin,
                   "cannot open the SQLite database: %s; check `source:` in the config",
                   strerror(errno));
        goto out;
    }
    snprintf(s->path, sizeof s->path, "%s/snapshot.sqlite", opt->tmp_dir);
    /* A resumed run finds its snapshot copy, complete (the marker is written
     * after it), and goes on from the same point in time. */
    char done[PATH_MAX + 16];
    snprintf(done, sizeof done, "%s/snapshot.done", opt->tmp_dir);
    if (access(done, F_OK) == 0 && access(s->path, R_OK) == 0) {
        sl_info("snapshot: the copy kept by the run being resumed (%s)", s->path);
        *out = s;
        return SL_OK;
    }
    if (sqlite3_open_v2(s->origin, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        db_error(err, src, s->origin, "cannot open the SQLite database");
        goto out;
    }
    sqlite3_busy_handler(src, busy_wait, &busy);
    int copied = copy_under_lock(src, s, &busy, err);
    if (copied != COPY_FALLBACK) {
        rc = copied;
        goto out;
    }
    if (sqlite3_open_v2(s->path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        db_error(err, dst, s->path, "cannot create the snapshot file");
        goto out;
    }
    /* One step copies every page under a single read transaction: the
     * snapshot is one point in time even while writers keep going. */
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        db_error(err, dst, s->origin, "cannot start the snapshot");
        goto out;
    }
    int step = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (step == SQLITE_FULL) {
        full_error(err, s, ENOSPC);
        goto out;
    }
    if (busy.gave_up) {
        busy_error(err, &busy);
        goto out;
    }
    if (step != SQLITE_DONE) {
        sl_err_set(err, step == SQLITE_BUSY || step == SQLITE_LOCKED, "source", s->origin,
                   "snapshot copy failed: %s", sqlite3_errstr(step));
        goto out;
    }
    rc = SL_OK;
out:
    sqlite3_close(src);
    sqlite3_close(dst);
    if (rc == SL_OK) {
        /* The copy is complete: a resumed run of this run may use it. */
        int fd = open(done, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (rc) {
        if (s->path[0])
            unlink(s->path);
        free(s);
        return rc;
    }
    *out = s;
    return SL_OK;
}

static void sqlite_close(void *ctx)
{
    struct snap *s = ctx;
    if (!s)
        return;
    /* The copy stays in the run's folder (.snaplake/tmp/<run>), which the
     * run removes once published, or the next run once it cannot be
     * resumed any more. */
    free(s);
}

static void quote_ident(const char *in, char *out, size_t size)
{
    size_t o = 0;
    if (size < 3)
        return;
    out[o++] = '"';
    for (; *in && o + 3 < size; in++) {
        if (*in == '"')
            out[o++] = '"';
        out[o++] = *in;
    }
    out[o++] = '"';
    out[o] = 0;
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Map a declared type to the internal type, by the rules in the file essay.
 * Returns 1 when the mapping loses the declared meaning (a warning). */
static int map_declared(const char *decl, struct sl_column *c)
{
    char up[64];
    size_t n = 0;
    for (; decl[n] && n + 1 < sizeof up; n++)
        up[n] = (char)toupper((unsigned char)decl[n]);
    up[n] = 0;
    c->precision = c->scale = 0;
    if (contains(up, "BOOL")) {
        c->type = SL_T_BOOL;
    } else if (!strncmp(up, "DATETIME", 8) || contains(up, "TIMESTAMP")) {
        c->type = contains(up, "TZ") || contains(up, "WITH TIME ZONE") ? SL_T_TIMESTAMPTZ
                                                                        : SL_T_TIMESTAMP;
    } else if (!strcmp(up, "DATE")) {
        c->type = SL_T_DATE;
    } else if ((!strncmp(up, "DECIMAL", 7) || !strncmp(up, "NUMERIC", 7)) && strchr(up, '(')) {
        int p = 0, s = 0;
        const char *paren = strchr(up, '(');
        if (sscanf(paren, "(%d , %d)", &p, &s) < 1 || p < 1 || s < 0 || s > p) {
            c->type = SL_T_DOUBLE;
        } else if (p > SL_DECIMAL_MAX_PRECISION) {
            c->type = SL_T_STRING;
            return 1;
        } else {
            c->type = SL_T_DECIMAL;
            c->precision = p;
            c->scale = s;
        }
    } else if (!strcmp(up, "JSON") || !strcmp(up, "JSONB")) {
        c->type = SL_T_JSON;
    } else if (contains(up, "INT")) {
        c->type = SL_T_INT64;
    } else if (contains(up, "CHAR") || contains(up, "CLOB") || contains(up, "TEXT")) {
        c->type = SL_T_STRING;
    } else if (contains(up, "BLOB")) {
        c->type = SL_T_BINARY;
    } else if (!up[0]) {
        c->type = SL_T_STRING;
    } else {
        c->type = SL_T_DOUBLE; /* REAL, FLOAT, DOUBLE and NUMERIC affinity */
    }
    return 0;
}

/* The columns a user sees with SELECT *: PRAGMA table_xinfo, which unlike
 * table_info also lists generated columns (hidden 2 = VIRTUAL, 3 = STORED;
 * their values are read like any other).  Hidden columns of virtual tables
 * (hidden 1: an FTS table's own-name column, rank, docid) are left out. */
static int load_columns(sqlite3 *db, struct src_table *t, struct sl_err *err)
{
    char q[600], sql[700];
    quote_ident(t->name, q, sizeof q);
    snprintf(sql, sizeof sql, "PRAGMA table_xinfo(%s)", q);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(err, db, t->name, "cannot read the table's columns");
    int cap = 16, rc = SL_OK;
    t->columns.cols = calloc((size_t)cap, sizeof *t->columns.cols);
    while (t->columns.cols && sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 6) == 1)
            continue;
        if (t->columns.ncols == cap) {
            cap *= 2;
            void *p = realloc(t->columns.cols, sizeof *t->columns.cols * (size_t)cap);
            if (!p) {
                rc = sl_err_set(err, false, "source", t->name, "out of memory");
                break;
            }
            t->columns.cols = p;
        }
        struct sl_column *c = &t->columns.cols[t->columns.ncols++];
        memset(c, 0, sizeof *c);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *decl = (const char *)sqlite3_column_text(st, 2);
        snprintf(c->source_name, sizeof c->source_name, "%s", name ? name : "");
        snprintf(c->source_type, sizeof c->source_type, "%s", decl ? decl : "");
        if (map_declared(c->source_type, c))
            sl_warn("table %s, column %s: %s has more than 38 digits; exported as text",
                    t->name, c->source_name, c->source_type);
        c->nullable = sqlite3_column_int(st, 3) == 0;
        /* INTEGER PRIMARY KEY is the rowid: never NULL. */
        if (sqlite3_column_int(st, 5) > 0 && !strcasecmp(c->source_type, "INTEGER"))
            c->nullable = false;
    }
    sqlite3_finalize(st);
    if (!t->columns.cols)
        return sl_err_set(err, false, "source", t->name, "out of memory");
    if (rc == SL_OK && t->columns.ncols == 0)
        rc = sl_err_set(err, false, "source", t->name, "table has no columns");
    if (rc == SL_OK)
        src_safe_column_names(&t->columns);
    return rc;
}

/* The name that reaches the rowid of a table, into t->key: the first of
 * rowid, _rowid_, oid not shadowed by a column of that name and accepted by
 * SQLite (WITHOUT ROWID tables accept none: see split_key). */
static void find_rowid(sqlite3 *db, struct src_table *t)
{
    static const char *const names[] = {"rowid", "_rowid_", "oid"};
    char q[600], sql[700];
    quote_ident(t->name, q, sizeof q);
    t->key[0] = 0;
    for (int k = 0; k < 3; k++) {
        int shadowed = 0;
        for (int i = 0; i < t->columns.ncols; i++)
            shadowed |= !strcasecmp(t->columns.cols[i].source_name, names[k]);
        if (shadowed)
            continue;
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", names[k], q);
        int ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
        sqlite3_finalize(st);
        if (ok)
            snprintf(t->key, sizeof t->key, "%s", names[k]);
        return;
    }
}

/* A WITHOUT ROWID table whose PRIMARY KEY is one column of an integer type
 * is split by that key like a rowid table: t->key is then the column's
 * quoted name ("k"), which tells it from a rowid name.  Other keys (text,
 * several columns) leave the table in one chunk. */
static void split_key(sqlite3 *db, struct src_table *t)
{
    sqlite3_stmt *st = NULL;
    char name[300] = "", q[600];
    struct sl_column c = {0};
    int npk = 0;
    if (sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_xinfo(?1) WHERE pk > 0", -1,
                           &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && ++npk == 1) {
        const char *type = (const char *)sqlite3_column_text(st, 1);
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
        map_declared(type ? type : "", &c);
    }
    sqlite3_finalize(st);
    quote_ident(name, q, sizeof q);
    if (npk == 1 && c.type == SL_T_INT64 && strlen(name) < 200 && strlen(q) < sizeof t->key)
        snprintf(t->key, sizeof t->key, "%s", q);
}

/* The tables to export, by PRAGMA table_list (SQLite 3.37 and later):
 * 'table' and 'virtual'.  'shadow' tables — where FTS3/4/5 and R*Tree keep
 * their data (notes_data, notes_idx, boxes_node …) — are never datasets: the
 * virtual table over them is exported instead, read like a view of its
 * visible columns.  A library older than 3.37 has no table_list: the schema
 * table is read instead, virtual tables told by their SQL (shadow tables
 * are then not recognised). */
static const char *const LIST_TABLES =
    "SELECT name, type = 'virtual' FROM pragma_table_list "
    "WHERE schema = 'main' AND type IN ('table', 'virtual') "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
static const char *const LIST_TABLES_BEFORE_3_37 =
    "SELECT name, sql LIKE 'CREATE VIRTUAL%' FROM sqlite_schema "
    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

/* A virtual table can be read only when this library has its module (and
 * the module accepts the table's arguments, e.g. its FTS5 tokenizer):
 * false, with the line that says why, when it has not. */
static bool module_available(sqlite3 *db, const char *name)
{
    char q[600], sql[700];
    sqlite3_stmt *st = NULL;
    quote_ident(name, q, sizeof q);
    snprintf(sql, sizeof sql, "SELECT * FROM %s LIMIT 0", q);
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    if (!ok)
        sl_warn("skipping virtual table %s: this SQLite library cannot read it (%s); its rows "
                "are not exported",
                name, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

/* SQLite knows a shadow table only through its module: with the module
 * missing, table_list calls FTS and R*Tree storage ordinary tables.  A
 * table named <vtab>_<suffix>, for a virtual table that cannot be read and
 * a suffix FTS3/4/5 or R*Tree use, is taken for one of them. */
static bool orphan_shadow(const char *name, char (*unreadable)[256], int n)
{
    static const char *const suffixes[] = {"content", "segments", "segdir", "docsize",
                                           "stat",    "data",     "idx",    "config",
                                           "node",    "parent",   "rowid"};
    for (int i = 0; i < n; i++) {
        size_t len = strlen(unreadable[i]);
        if (strncmp(name, unreadable[i], len) || name[len] != '_')
            continue;
        for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++)
            if (!strcmp(name + len + 1, suffixes[k])) {
                sl_info("skipping table %s: the storage of virtual table %s", name,
                        unreadable[i]);
                return true;
            }
    }
    return false;
}

static int sqlite_list_tables(void *ctx, struct src_table **out, int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct src_table *t = NULL;
    char(*unreadable)[256] = NULL; /* virtual tables skipped */
    int n = 0, cap = 0, nunreadable = 0, rc = SL_ERROR;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        db_error(err, db, s->path, "cannot open the snapshot");
        goto out;
    }
    if (sqlite3_prepare_v2(db, LIST_TABLES, -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(db, LIST_TABLES_BEFORE_3_37, -1, &st, NULL) != SQLITE_OK) {
        db_error(err, db, s->origin, "cannot list tables");
        goto out;
    }
    /* Names come sorted, so a virtual table comes before its <name>_… tables. */
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (sqlite3_column_int(st, 1) && !module_available(db, name)) {
            void *p = realloc(unreadable, sizeof *unreadable * (size_t)(nunreadable + 1));
            if (!p) {
                sl_err_set(err, false, "source", s->origin, "out of memory");
                goto out;
            }
            unreadable = p;
            snprintf(unreadable[nunreadable++], sizeof *unreadable, "%s", name);
            continue;
        }
        if (orphan_shadow(name, unreadable, nunreadable))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            void *p = realloc(t, sizeof *t * (size_t)cap);
            if (!p) {
                sl_err_set(err, false, "source", s->origin, "out of memory");
                goto out;
            }
            t = p;
        }
        struct src_table *tt = &t[n++];
        memset(tt, 0, sizeof *tt);
        snprintf(tt->schema, sizeof tt->schema, "main");
        snprintf(tt->name, sizeof tt->name, "%s", name);
        src_safe_name(name, tt->dataset, sizeof tt->dataset, "t_");
        if (load_columns(db, tt, err))
            goto out;
        find_rowid(db, tt);
        if (!tt->key[0] && !sqlite3_column_int(st, 1))
            split_key(db, tt);
        char q[600], sql2[700];
        quote_ident(name, q, sizeof q);
        snprintf(sql2, sizeof sql2, "SELECT count(*) FROM %s", q);
        sqlite3_stmt *cnt = NULL;
        if (sqlite3_prepare_v2(db, sql2, -1, &cnt, NULL) == SQLITE_OK &&
            sqlite3_step(cnt) == SQLITE_ROW)
            tt->est_rows = sqlite3_column_int64(cnt, 0), tt->rows_exact = true;
        sqlite3_finalize(cnt);
        tt->est_bytes = tt->est_rows * tt->columns.ncols * 8;
    }
    rc = SL_OK;
out:
    free(unreadable);
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc) {
        src_tables_free(t, n);
        return rc;
    }
    *out = t;
    *nout = n;
    return SL_OK;
}

/* Virtual tables are read in one piece: their modules answer a rowid range
 * with a full scan (R*Tree) or not at all as a range (others). */
static bool is_virtual(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = sqlite3_prepare_v2(db,
                                  "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1 "
                                  "AND sql LIKE 'CREATE VIRTUAL%'",
                                  -1, &st, NULL) == SQLITE_OK &&
               sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
               sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static int sqlite_plan_chunks(void *ctx, const struct src_table *t, int ti,
                              struct src_chunk **out, int *nout, struct sl_err *err)
{
    struct snap *s = ctx;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t lo = 0, hi = -1, rows = t->est_rows;
    const char *rid = t->key[0] ? t->key : NULL;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = db_error(err, db, s->path, "cannot open the snapshot");
        sqlite3_close(db);
        return rc;
    }
    if (rid && rows > CHUNK_ROWS && is_virtual(db, t->name))
        rid = NULL;
    if (rid && rows > CHUNK_ROWS) {
        char q[600], sql[800];
        quote_ident(t->name, q, sizeof q);
        /* Two subqueries: SQLite answers a lone min() or max() from the end of
         * the b-tree, but min() and max() together with a full scan.  A
         * PRIMARY KEY's largest number: text and blobs sort after numbers. */
        if (rid[0] == '"')
            snprintf(sql, sizeof sql,
                     "SELECT (SELECT min(%s) FROM %s), (SELECT %s FROM %s WHERE %s <= "
                     "9223372036854775807 ORDER BY %s DESC LIMIT 1)",
                     rid, q, rid, q, rid, rid);
        else
            snprintf(sql, sizeof sql, "SELECT (SELECT min(%s) FROM %s), (SELECT max(%s) FROM %s)",
                     rid, q, rid, q);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL) {
            lo = sqlite3_column_int64(st, 0);
            hi = sqlite3_column_int64(st, 1);
        } else {
            rid = NULL; /* no number in the key: one chunk */
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    int n = 1;
    if (rid && rows > CHUNK_ROWS && hi >= lo)
        n = (int)src_chunk_count(rows, CHUNK_ROWS, INT_MAX);
    struct src_chunk *c = calloc((size_t)n, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "source", t->name, "out of memory");
    if (n == 1) {
        c[0] = (struct src_chunk){.table = ti, .index = 0, .whole = true, .est_rows = rows};
    } else {
        /* Even split of the key space; the last range ends past max.  In
         * 128 bits: the span of keys from -2^63 to 2^63-1 is 2^64. */
        __int128 span = (__int128)hi - lo + 1;
        for (int i = 0; i < n; i++) {
            c[i].table = ti;
            c[i].index = i;
            c[i].est_rows = rows / n;
            if (src_chunk_set_int(&c[i], i == 0 ? INT64_MIN : (int64_t)(lo + span * i / n),
                                  i == n - 1 ? INT64_MAX : (int64_t)(lo + span * (i + 1) / n))) {
                src_chunks_free(c, n);
                return sl_err_set(err, false, "source", t->name, "out of memory");
            }
        }
    }
    *out = c;
    *nout = n;
    return SL_OK;
}

static int sqlite_reader_open(void *ctx, void **out, struct sl_err *err)
{
    struct snap *s = ctx;
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        return sl_err_set(err, false, "source", s->path, "out of memory");
    r->snap = s;
    if (sqlite3_open_v2(s->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = db_error(err, r->db, s->path, "cannot open the snapshot");
        sqlite3_close(r->db);
        free(r);
        return rc;
    }
    sqlite3_exec(r->db, "PRAGMA cache_size = -16384", NULL, NULL,
                 NULL);
    *out = r;
    return SL_OK;
}

static void sqlite_reader_close(void *ctx)
{
    struct reader *r = ctx;
    if (!r)
        return;
    sqlite3_close(r->db);
    free(r);
}

/* sqlite3_interrupt only sets a flag that sqlite3_step checks between VDBE
 * instructions: safe from another thread while the reader is open (the
 * cancel token guarantees that), also with SQLITE_OPEN_NOMUTEX. */
static void sqlite_reader_cancel(void *ctx)
{
    struct reader *r = ctx;
    sqlite3_interrupt(r->db);
}

static const char *class_name(int t)
{
    switch (t) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
    }
}

/* The row being converted.  Its name in errors: the rowid; in a WITHOUT
 * ROWID table its PRIMARY KEY, read from `nkey` extra result columns that
 * conversion never touches (so their storage classes are as stored); else
 * its place in the table's scan. */
struct cursor {
    const struct src_table *t;
    sqlite3_stmt *st;
    bool by_rowid; /* result column ncols is the rowid */
    int nkey;      /* else result columns ncols … ncols+nkey-1 are the key */
    int64_t row;   /* 1-based position in this chunk */
    struct sl_err *err;
};

/* A value as SQL would write it (quote()): 1, 2.5, 'c', X'00ff', NULL. */
static void quote_value(sqlite3_stmt *st, int i, char *out, int size)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        sqlite3_snprintf(size, out, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT: sqlite3_snprintf(size, out, "%!.15g", sqlite3_column_double(st, i)); break;
    case SQLITE_TEXT:
        sqlite3_snprintf(size, out, "%.60Q", (const char *)sqlite3_column_text(st, i));
        break;
    case SQLITE_BLOB: {
        const unsigned char *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i), o = 0;
        o += snprintf(out + o, (size_t)(size - o), "X'");
        for (int k = 0; k < n && k < 16 && o + 6 < size; k++)
            o += snprintf(out + o, (size_t)(size - o), "%02x", p[k]);
        snprintf(out + o, (size_t)(size - o), n > 16 ? "…'" : "'");
        break;
    }
    default: snprintf(out, (size_t)size, "NULL");
    }
}

/* "rowid 42", "key k='c'", "key (a, b)=(1, 'x')" or "row 7". */
static void row_name(const struct cursor *cur, char *out, size_t size)
{
    int at = cur->t->columns.ncols;
    if (cur->by_rowid) {
        snprintf(out, size, "rowid %lld", (long long)sqlite3_column_int64(cur->st, at));
        return;
    }
    if (cur->nkey == 0) {
        snprintf(out, size, "row %lld", (long long)cur->row);
        return;
    }
    char names[400] = "", values[400] = "", v[100];
    size_t nn = 0, nv = 0;
    for (int k = 0; k < cur->nkey; k++) {
        quote_value(cur->st, at + k, v, sizeof v);
        nn += (size_t)snprintf(names + nn, nn < sizeof names ? sizeof names - nn : 0, "%s%s",
                               k ? ", " : "", sqlite3_column_name(cur->st, at + k));
        nv += (size_t)snprintf(values + nv, nv < sizeof values ? sizeof values - nv : 0, "%s%s",
                               k ? ", " : "", v);
    }
    if (cur->nkey == 1)
        snprintf(out, size, "key %s=%s", names, values);
    else
        snprintf(out, size, "key (%s)=(%s)", names, values);
}

/* Fail the row: what is wrong with the value, then what to do. */
static int report(struct cursor *cur, int col, const char *msg, const char *advice)
{
    const struct sl_column *c = &cur->t->columns.cols[col];
    char obj[1200], row[600];
    row_name(cur, row, sizeof row);
    snprintf(obj, sizeof obj, "table %s, column %s, %s", cur->t->name, c->source_name, row);
    return sl_err_set(cur->err, false, "export", obj, "%s; %s (declared %s)", msg, advice,
                      c->source_type[0] ? c->source_type : "without a type");
}

static int value_error(struct cursor *cur, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int value_error(struct cursor *cur, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(cur, col, msg,
                  "fix the value in the source or change the column's declared type");
}

/* Decimals without text: SQLite keeps '12.34' in a DECIMAL column as the
 * REAL nearest to 12.34, and formatting every REAL back to text costs more
 * than the rest of the export.  r = round(d * 10^s) is the answer exactly
 * when r / 10^s rounds back to the same double (the division is correctly
 * rounded while |r| < 2^53 and 10^s is exact, s <= 22).  Anything else —
 * too many digits, out of range — takes the exact text path, which also
 * words the error.  Returns 1 when *out is set. */
static int decimal_fast(sqlite3_stmt *st, int i, int vt, const struct sl_column *c,
                        sl_int128 *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (c->scale > 22)
        return 0;
    sl_int128 limit = sl_pow10_128(c->precision);
    if (vt == SQLITE_INTEGER) {
        /* |x| < 10^(p-s) first: x * 10^s must not overflow 128 bits. */
        sl_int128 x = sqlite3_column_int64(st, i), whole = sl_pow10_128(c->precision - c->scale);
        if (x >= whole || x <= -whole)
            return 0;
        *out = x * sl_pow10_128(c->scale);
        return 1;
    }
    if (vt != SQLITE_FLOAT)
        return 0;
    double d = sqlite3_column_double(st, i), scaled = d * p10[c->scale];
    if (!(fabs(scaled) < 9007199254740992.0))
        return 0;
    double r = nearbyint(scaled);
    if (r / p10[c->scale] != d)
        return 0;
    sl_int128 v = (sl_int128)(int64_t)r;
    if (v >= limit || v <= -limit)
        return 0;
    *out = v;
    return 1;
}

/* Convert column `i` of the current row into the batch. */
static int convert(struct cursor *cur, struct sl_batch *b, int i)
{
    sqlite3_stmt *st = cur->st;
    const struct sl_column *c = &cur->t->columns.cols[i];
    int vt = sqlite3_column_type(st, i);
    char why[256];
    if (vt == SQLITE_NULL) {
        sl_batch_set_null(b, i);
        return SL_OK;
    }
    switch (c->type) {
    case SL_T_INT64:
        if (vt == SQLITE_INTEGER) {
            sl_batch_set_i64(b, i, sqlite3_column_int64(st, i));
            return SL_OK;
        }
        if (vt == SQLITE_FLOAT) {
            /* [-2^63, 2^63): both bounds are exact doubles. */
            double d = sqlite3_column_double(st, i);
            if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
                sl_batch_set_i64(b, i, (int64_t)d);
                return SL_OK;
            }
            if (d == floor(d) && !isinf(d)) {
                /* SQLite keeps an integer it cannot hold in 64 bits (an
                 * UNSIGNED BIG INT above 2^63-1) as an approximate REAL. */
                char msg[300];
                snprintf(msg, sizeof msg,
                         "%.17g is out of the 64-bit integer range (-9223372036854775808 to "
                         "9223372036854775807): SQLite stored it as an approximate REAL",
                         d);
                return report(cur, i, msg,
                              "declare the column REAL or NUMERIC to export it as a double, or "
                              "store such values as TEXT in a TEXT column to keep every digit");
            }
        }
        return value_error(cur, i, "%s value '%.40s' is not an integer", class_name(vt),
                           (const char *)sqlite3_column_text(st, i));
    case SL_T_DOUBLE:
        if (vt == SQLITE_FLOAT) {
            sl_batch_set_f64(b, i, sqlite3_column_double(st, i));
            return SL_OK;
        }
        if (vt == SQLITE_INTEGER) {
            int64_t v = sqlite3_column_int64(st, i);
            if (v <= (1LL << 53) && v >= -(1LL << 53)) {
                sl_batch_set_f64(b, i, (double)v);
                return SL_OK;
            }
            return value_error(cur, i, "integer %lld cannot be held exactly by a double",
                               (long long)v);
        }
        return value_error(cur, i, "%s value '%.40s' is not a number", class_name(vt),
                           (const char *)sqlite3_column_text(st, i));
    case SL_T_BOOL:
        if (vt == SQLITE_INTEGER) {
            int64_t v = sqlite3_column_int64(st, i);
            if (v == 0 || v == 1) {
                sl_batch_set_bool(b, i, (uint8_t)v);
                return SL_OK;
            }
        }
        return value_error(cur, i, "%s value '%.40s' is not a boolean (0 or 1)", class_name(vt),
                           (const char *)sqlite3_column_text(st, i));
    case SL_T_DECIMAL: {
        sl_int128 v;
        if (decimal_fast(st, i, vt, c, &v)) {
            if (c->precision <= 18)
                sl_batch_set_i64(b, i, (int64_t)v);
            else
                sl_batch_set_i128(b, i, v);
            return SL_OK;
        }
        const char *txt = (const char *)sqlite3_column_text(st, i);
        int n = sqlite3_column_bytes(st, i);
        if (vt == SQLITE_BLOB)
            return value_error(cur, i, "a blob is not a decimal");
        if (sl_decimal_parse(txt, (size_t)n, c->precision, c->scale, &v, why, sizeof why))
            return value_error(cur, i, "%s does not fit DECIMAL(%d,%d): %s", class_name(vt),
                               c->precision, c->scale, why);
        if (c->precision <= 18)
            sl_batch_set_i64(b, i, (int64_t)v);
        else
            sl_batch_set_i128(b, i, v);
        return SL_OK;
    }
    case SL_T_DATE: {
        int32_t d;
        if (vt != SQLITE_TEXT)
            return value_error(cur, i, "%s is not a date; dates are stored as 'YYYY-MM-DD' text",
                               class_name(vt));
        if (sl_parse_date((const char *)sqlite3_column_text(st, i),
                          (size_t)sqlite3_column_bytes(st, i), &d, why, sizeof why))
            return value_error(cur, i, "'%.40s': %s", (const char *)sqlite3_column_text(st, i),
                               why);
        sl_batch_set_i32(b, i, d);
        return SL_OK;
    }
    case SL_T_TIMESTAMP:
    case SL_T_TIMESTAMPTZ: {
        int64_t us;
        if (vt != SQLITE_TEXT)
            return value_error(cur, i,
                               "%s is not a timestamp; timestamps are stored as "
                               "'YYYY-MM-DD HH:MM:SS[.ffffff]' text",
                               class_name(vt));
        if (sl_parse_timestamp((const char *)sqlite3_column_text(st, i),
                               (size_t)sqlite3_column_bytes(st, i), &us, NULL, why, sizeof why))
            return value_error(cur, i, "'%.40s': %s", (const char *)sqlite3_column_text(st, i),
                               why);
        sl_batch_set_i64(b, i, us);
        return SL_OK;
    }
    case SL_T_STRING:
    case SL_T_JSON: {
        if (vt == SQLITE_BLOB)
            return value_error(cur, i, "a blob in a text column");
        const unsigned char *p = sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (vt == SQLITE_TEXT && !sl_utf8_valid(p, n))
            return value_error(cur, i, "text is not valid UTF-8");
        if (sl_batch_set_bytes(b, i, p, n))
            return value_error(cur, i, "value of %zu bytes does not fit in a batch", n);
        return SL_OK;
    }
    case SL_T_BINARY: {
        if (vt != SQLITE_BLOB && vt != SQLITE_TEXT)
            return value_error(cur, i, "%s in a BLOB column", class_name(vt));
        const void *p = sqlite3_column_blob(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (sl_batch_set_bytes(b, i, p, n))
            return value_error(cur, i, "value of %zu bytes does not fit in a batch", n);
        return SL_OK;
    }
    default:
        return value_error(cur, i, "internal: type %s not produced by this source",
                           sl_type_name(c->type));
    }
}

static size_t var_bytes(const struct sl_batch *b)
{
    size_t n = 0;
    for (int i = 0; i < b->schema->ncols; i++)
        n += b->cols[i].data.len;
    return n;
}

/* A table without a rowid (WITHOUT ROWID, some virtual tables): its
 * PRIMARY KEY columns once more at the end of the SELECT list, to name a
 * row in errors (struct cursor).  *nkey = 0 when it has none. */
static int append_key(sqlite3 *db, const struct src_table *t, struct sl_buf *sql, int *nkey,
                      struct sl_err *err)
{
    sqlite3_stmt *st = NULL;
    char q[600];
    *nkey = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_xinfo(?1) WHERE pk > 0 ORDER BY pk",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(err, db, t->name, "cannot read the table's primary key");
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    int rc = SL_OK;
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        quote_ident((const char *)sqlite3_column_text(st, 0), q, sizeof q);
        if (sl_buf_append(sql, ", ", 2) || sl_buf_append(sql, q, strlen(q)))
            rc = sl_err_set(err, false, "export", t->name, "query too long");
        ++*nkey;
    }
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_read_chunk(void *ctx, const struct src_table *t, const struct src_chunk *ch,
                             struct sl_batch *b, src_emit_fn emit, void *arg, struct sl_err *err)
{
    struct reader *r = ctx;
    const char *rid = t->key[0] ? t->key : NULL;
    struct sl_buf sql;
    sl_buf_init(&sql, 1u << 24);
    int rc = SL_ERROR;
    char q[600];
    sqlite3_stmt *st = NULL;
    sl_buf_append(&sql, "SELECT ", 7);
    for (int i = 0; i < t->columns.ncols; i++) {
        quote_ident(t->columns.cols[i].source_name, q, sizeof q);
        if (i)
            sl_buf_append(&sql, ", ", 2);
        sl_buf_append(&sql, q, strlen(q));
    }
    /* The split key: a rowid name, or a quoted PRIMARY KEY column (split_key). */
    bool by_pk = rid && rid[0] == '"';
    struct cursor cur = {.t = t, .err = err, .by_rowid = rid && !by_pk};
    if (cur.by_rowid ? sl_buf_append(&sql, ", ", 2) || sl_buf_append(&sql, rid, strlen(rid))
                     : append_key(r->db, t, &sql, &cur.nkey, err))
        goto out;
    /* The first range has no lower end, the last none above: a PRIMARY KEY
     * may also hold reals beyond 64 bits, text and blobs (after numbers). */
    char tail[1600];
    int64_t lo, hi;
    if (src_bound_int(ch->lo, INT64_MIN, &lo) || src_bound_int(ch->hi, INT64_MAX, &hi)) {
        sl_err_set(err, false, "export", t->name,
                   "part %d: the chunk bounds '%s', '%s' are not rowids; start a new run "
                   "instead of --resume",
                   ch->index, ch->lo ? ch->lo : "", ch->hi ? ch->hi : "");
        goto out;
    }
    bool lower = rid && !ch->whole && lo != INT64_MIN,
         upper = rid && !ch->whole && hi != INT64_MAX;
    quote_ident(t->name, q, sizeof q);
    size_t o = (size_t)snprintf(tail, sizeof tail, " FROM %s", q); /* q < 600 bytes */
    if (lower)
        o += (size_t)snprintf(tail + o, sizeof tail - o, " WHERE %s >= ?1", rid);
    if (upper)
        snprintf(tail + o, sizeof tail - o, " %s %s < ?2", lower ? "AND" : "WHERE", rid);
    if (sl_buf_append(&sql, tail, strlen(tail) + 1)) {
        sl_err_set(err, false, "export", t->name, "query too long");
        goto out;
    }
    if (sqlite3_prepare_v2(r->db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
        db_error(err, r->db, t->name, "cannot read the table");
        goto out;
    }
    if (lower)
        sqlite3_bind_int64(st, 1, lo);
    if (upper)
        sqlite3_bind_int64(st, 2, hi);
    cur.st = st;
    int ncols = t->columns.ncols, step;
    sl_batch_reset(b);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        cur.row++;
        for (int i = 0; i < ncols; i++)
            if (convert(&cur, b, i))
                goto out;
        sl_batch_end_row(b);
        if (b->nrows == b->capacity || var_bytes(b) > BATCH_FLUSH_BYTES) {
            if (emit(arg, b, err))
                goto out;
            sl_batch_reset(b);
        }
    }
    if (step != SQLITE_DONE) {
        db_error(err, r->db, t->name, "reading the table failed");
        goto out;
    }
    if (b->nrows && emit(arg, b, err))
        goto out;
    rc = SL_OK;
out:
    sqlite3_finalize(st);
    sl_buf_free(&sql);
    return rc;
}

static char *sqlite_describe(void *ctx)
{
    struct snap *s = ctx;
    json_t *o = json_pack("{s:s, s:s}", "kind", "sqlite online backup", "database", s->origin);
    char *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return out;
}

const struct source_type src_sqlite_type = {
    .name = "sqlite",
    .schemes = {"sqlite", NULL},
    .open = sqlite_open,
    .list_tables = sqlite_list_tables,
    .plan_chunks = sqlite_plan_chunks,
    .reader_open = sqlite_reader_open,
    .read_chunk = sqlite_read_chunk,
    .reader_close = sqlite_reader_close,
    .reader_cancel = sqlite_reader_cancel,
    .describe = sqlite_describe,
    .close = sqlite_close,
};
