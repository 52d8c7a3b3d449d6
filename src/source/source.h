/*
 * source.h — where rows come from.
 *
 * A source type is a constant struct of operations (like sqlite3_vfs); an
 * open source is a small instance {type, ctx}.  The pipeline drives every
 * source the same way:
 *
 *   open(url)          connect and take ONE snapshot for all tables
 *   list_tables        the tables in the snapshot, with columns mapped to
 *                      internal types (batch.h) and a size estimate
 *   plan_chunks        split one table into work items (rowid / ctid / PK
 *                      ranges) that workers can read in parallel
 *   reader_open        a per-worker connection bound to the same snapshot
 *   read_chunk         decode one chunk into batches, handing each full batch
 *                      to `emit` (the Parquet writer)
 *   reader_close, close
 *
 * Adding a source (postgres.c, mysql.c) is one new file that fills a
 * `struct source_type` and one line in the table in source.c.
 * Thread model: the snapshot ctx is shared read-only by workers; each worker
 * owns its reader.  Errors: a chunk failure that a retry may fix (connection
 * lost, busy) is transient; a value that does not fit its type is permanent
 * and names table, column and row.
 */
#ifndef SL_SOURCE_SOURCE_H
#define SL_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

struct src_table {
    char schema[256];    /* "main" for SQLite, "public" for PostgreSQL */
    char name[256];      /* as in the source */
    char dataset[128];   /* safe lake/catalog name (see src_safe_name) */
    int64_t est_rows;
    int64_t est_bytes;
    struct sl_schema columns; /* owned */
    char key[64]; /* the source's split and order key ("rowid", "ctid"), "" = none */
    bool rows_exact; /* est_rows is a count in the snapshot, not a statistic */
};

/* A chunk's bounds are text in an encoding of the source's own choosing
 * (DESIGN.md: the plan is persisted in the run state and a resumed run hands
 * it back to the source, which alone reads it): a decimal integer for an
 * integer split key (SQLite rowid, PostgreSQL block number, a MySQL integer
 * key; src_chunk_set_int / src_bound_int), a JSON array of the key's values
 * for a MySQL composite or string key.  The run state stores it as is. */
struct src_chunk {
    int table;     /* index into the table list */
    int index;     /* part number within the table: part-<index>.parquet */
    bool whole;    /* read the whole table; lo/hi NULL */
    char *lo, *hi; /* half-open range [lo, hi) in the source's split key;
                      NULL = open end; malloc'd, owned by the chunk */
    int64_t est_rows;
};

/* Free the bounds of chunks[0..n) and the array itself; NULL is a no-op. */
void src_chunks_free(struct src_chunk *chunks, int n);

/* Set c's bounds to the integers [lo, hi) as decimal text, INT64_MIN and
 * INT64_MAX meaning an open end (NULL).  SL_ERROR when out of memory. */
int src_chunk_set_int(struct src_chunk *c, int64_t lo, int64_t hi);

/* The integer a bound encodes into *out: `open` for NULL (INT64_MIN for a
 * lower bound, INT64_MAX for an upper one, so that bounds recorded as those
 * numbers read the same as open ones).  SL_ERROR when the text is not a
 * decimal integer (a run state written by something else). */
int src_bound_int(const char *bound, int64_t open, int64_t *out);

/* A chunk size from the environment (the tests' switch for small chunks):
 * the integer in `name` when it is at least `min`, else `fallback` — with
 * a warning naming `unit` when the variable is set but not such a number. */
int64_t src_env_size(const char *name, int64_t min, int64_t fallback, const char *unit);

/* How many chunks of at most `per_chunk` hold `amount` (rows, bytes):
 * ceil(amount / per_chunk), at least 1 and at most `max`. */
int64_t src_chunk_count(int64_t amount, int64_t per_chunk, int64_t max);

/* Called by read_chunk for every full batch and once for the last partial
 * one (never for an empty batch).  The batch is reused after the call. */
typedef int (*src_emit_fn)(void *arg, const struct sl_batch *b, struct sl_err *err);

struct source_options {
    int jobs;            /* workers that will read in parallel */
    const char *tmp_dir; /* where a source may keep snapshot files */
    size_t batch_rows;   /* rows per batch, default 8192 */
};

struct source_type {
    const char *name;
    const char *schemes[4]; /* URL schemes, NULL-terminated */

    int (*open)(const char *url, const struct source_options *opt, void **snap,
                struct sl_err *err);
    /* *tables is owned by the caller: free with src_tables_free. */
    int (*list_tables)(void *snap, struct src_table **tables, int *ntables, struct sl_err *err);
    /* *chunks owned by the caller (src_chunks_free).  At least one chunk per table. */
    int (*plan_chunks)(void *snap, const struct src_table *t, int table_index,
                       struct src_chunk **chunks, int *nchunks, struct sl_err *err);
    int (*reader_open)(void *snap, void **reader, struct sl_err *err);
    int (*read_chunk)(void *reader, const struct src_table *t, const struct src_chunk *c,
                      struct sl_batch *batch, src_emit_fn emit, void *arg, struct sl_err *err);
    void (*reader_close)(void *reader);
    /* Stop the read_chunk now running on `reader`, from another thread (a
     * time limit or an interrupt, flow/export.c): the read then fails soon,
     * also when it waits for the server.  Never called at the same time as
     * reader_close (util/cancel.h); a call while no read runs may do
     * nothing.  A source that cannot stop a read says so in a no-op. */
    void (*reader_cancel)(void *reader);
    /* Snapshot facts for the manifest (JSON object text), or NULL. Caller frees. */
    char *(*describe)(void *snap);
    void (*close)(void *snap);
    /* The URL as shown to people (messages, run state, manifests), rebuilt
     * from its parsed parts so that no secret in it can show.  NULL for a
     * source whose URL is a file path and holds no secret: shown as written.
     * A source whose URL can carry a password must set it. */
    void (*describe_url)(const char *url, char *out, size_t size);
};

struct source {
    const struct source_type *type;
    void *snap;
};

/* Pick the type by URL scheme and open it. */
int source_open(struct source *s, const char *url, const struct source_options *opt,
                struct sl_err *err);
void source_close(struct source *s);

void src_tables_free(struct src_table *tables, int n);

/* Make a name safe for paths, Glue and Athena: lowercase ASCII letters,
 * digits and '_'; everything else becomes '_', runs of '_' collapse, a
 * leading digit gets a 't_' prefix (column: 'c_'), empty becomes 't' + hash,
 * and the result is at most `size`-1 bytes.  "../x" → "x", "A b" → "a_b". */
void src_safe_name(const char *in, char *out, size_t size, const char *prefix);

/* Give every column of `s` a unique safe name (suffix _2, _3 on clashes). */
void src_safe_column_names(struct sl_schema *s);

/* The source URL as every message, log line, run record and manifest shows
 * it: never the user's string, but a description its type rebuilds from the
 * parsed parts (postgres://app@db:5432/shop, no password, no options); a
 * sqlite URL is its path; an unknown scheme shows only the scheme
 * (mysql://…), a string without a scheme nothing of itself.  Always
 * NUL-terminates `out` (size > 0). */
void src_redact_url(const char *url, char *out, size_t size);

/* Append `s` to out[*o] (capacity size, always terminated), %-encoding
 * every byte but RFC 3986's unreserved characters and those in `keep`:
 * the pieces of a source description (describe_url). */
void src_url_put(char *out, size_t size, size_t *o, const char *s, const char *keep);

extern const struct source_type src_sqlite_type;
extern const struct source_type src_pg_type;

#endif
