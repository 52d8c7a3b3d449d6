/*
 * test_parquet_pages.c — how the writer lays out column chunks: dictionary
 * or PLAIN chosen per chunk by measured size, and the page index
 * (ColumnIndex/OffsetIndex, PageIndex.md), read back by DuckDB.
 */
#include "duck_check.h"
#include "parquet/writer.h"

#include <duckdb.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const cats[] = {"books", "food", "garden", "toys", "tools"};

/* A receipts-like table: id unique ascending, cat one of five words at
 * random, amount DECIMAL(12,2) mostly distinct, note (one of 1000) NULL on
 * two rows of three and on every row in [10000, 20000). */
static void write_receipts(const char *path, size_t rows, const struct pq_options *o)
{
    struct sl_column cols[4] = {0};
    snprintf(cols[0].name, sizeof cols[0].name, "id");
    cols[0].type = SL_T_INT64;
    snprintf(cols[1].name, sizeof cols[1].name, "cat");
    cols[1].type = SL_T_STRING;
    snprintf(cols[2].name, sizeof cols[2].name, "amount");
    cols[2].type = SL_T_DECIMAL, cols[2].precision = 12, cols[2].scale = 2;
    snprintf(cols[3].name, sizeof cols[3].name, "note");
    cols[3].type = SL_T_STRING, cols[3].nullable = true;
    struct sl_schema s = {.ncols = 4, .cols = cols};
    struct sl_batch *b = sl_batch_new(&s, 1000, 1 << 24);
    FILE *f = fopen(path, "wb");
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &s, o, file_sink, f, &err), 0);
    char tmp[64];
    for (size_t i = 0; i < rows; i++) {
        sl_batch_set_i64(b, 0, (int64_t)i + 1000000);
        const char *cat = cats[mix(i) % 5];
        sl_batch_set_bytes(b, 1, cat, strlen(cat));
        sl_batch_set_i64(b, 2, (int64_t)((i * 104729) % 1000000));
        if (i % 3 || (i >= 10000 && i < 20000)) {
            sl_batch_set_null(b, 3);
        } else {
            int n = snprintf(tmp, sizeof tmp, "note %llu", (unsigned long long)(mix(i) % 1000));
            sl_batch_set_bytes(b, 3, tmp, (size_t)n);
        }
        sl_batch_end_row(b);
        if (b->nrows == b->capacity) {
            CHECK_EQ_INT(pq_writer_write(w, b, &err), 0);
            sl_batch_reset(b);
        }
    }
    if (b->nrows)
        CHECK_EQ_INT(pq_writer_write(w, b, &err), 0);
    CHECK_EQ_INT(pq_writer_finish(w, NULL, &err), 0);
    if (err.set)
        fprintf(stderr, "  %s: %s\n", err.object, err.msg);
    pq_writer_free(w);
    sl_batch_free(b);
    fclose(f);
}

/* Mostly distinct values (id, amount) are smaller PLAIN; repeated ones
 * (cat, note) keep their dictionary.  Before the choice was measured, every
 * chunk started with a dictionary and id/amount carried one. */
static void test_dictionary_by_measured_size(void)
{
    char path[64]; /* per process: two suites at once (SAN=1 beside the plain one) */
    snprintf(path, sizeof path, "/tmp/snaplake-test-pages-dict-%d.parquet", (int)getpid());
    struct pq_options o;
    pq_options_default(&o);
    write_receipts(path, 60000, &o);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(path_in_schema || '=' || (dictionary_page_offset IS NOT NULL), ',' "
             "ORDER BY column_id) FROM parquet_metadata('%s') WHERE row_group_id = 0",
             path);
    CHECK_SQL(sql, "id=false,cat=true,amount=false,note=true");
    snprintf(sql, sizeof sql,
             "SELECT count(*) || '|' || sum(id) || '|' || sum(amount) || '|' || count(note) || '|' "
             "|| count(DISTINCT cat) FROM read_parquet('%s')",
             path);
    /* sum(id) = 60000 * 1000000 + sum(0..59999); amount summed in SQL below */
    char *got = scalar(sql);
    char want[256];
    long long amount = 0;
    for (long long i = 0; i < 60000; i++)
        amount += (i * 104729) % 1000000;
    snprintf(want, sizeof want, "60000|%lld|%lld.%02lld|16667|5",
             60000LL * 1000000 + 59999LL * 60000 / 2, amount / 100, amount % 100);
    CHECK_EQ_STR(got, want);
    free(got);
    unlink(path);
}

/* The line of `node pqindex.mjs` for column `col` of row group 0, or the
 * first line starting with `col` when it is "field_ids" or "kv …" (caller
 * frees), or NULL. */
static char *index_line(const char *path, const char *col)
{
    char cmd[512], line[8192], key[64];
    snprintf(
        cmd, sizeof cmd,
        "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node tests/tools/pqindex.mjs '%s'",
        path);
    if (!strncmp(col, "field_ids", 9) || !strncmp(col, "kv ", 3))
        snprintf(key, sizeof key, "%s", col);
    else
        snprintf(key, sizeof key, "rg=0 col=%s ", col);
    FILE *p = popen(cmd, "r");
    char *found = NULL;
    while (p && fgets(line, sizeof line, p)) {
        if (!strncmp(line, "ERROR", 5))
            fprintf(stderr, "  pqindex: %s", line);
        if (!found && !strncmp(line, key, strlen(key))) {
            line[strcspn(line, "\n")] = 0;
            found = strdup(line);
        }
    }
    int rc = p ? pclose(p) : -1;
    CHECK_EQ_INT(rc, 0);
    return found;
}

/* Every column chunk has an OffsetIndex and a ColumnIndex that hyparquet
 * reads: page locations contiguous from data_page_offset, first_row_index
 * per page, per-page min/max, null counts, null pages, boundary order. */
static void test_page_index(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/snaplake-test-pages-index-%d.parquet", (int)getpid());
    struct pq_options o;
    pq_options_default(&o);
    o.page_rows = 5000;
    write_receipts(path, 30000, &o);
    char *id = index_line(path, "id");
    CHECK_EQ_STR(id,
                 "rg=0 col=id pages=6 order=ASCENDING first_rows=0,5000,10000,15000,20000,25000 "
                 "min=1000000,1005000,1010000,1015000,1020000,1025000 "
                 "max=1004999,1009999,1014999,1019999,1024999,1029999 "
                 "nulls=0,0,0,0,0,0 null_pages=0,0,0,0,0,0");
    free(id);
    /* note: pages 2 and 3 hold only NULLs; the others 2/3 NULLs */
    char *note = index_line(path, "note");
    CHECK(note && strstr(note, " nulls=3333,3333,5000,5000,3333,3334 null_pages=0,0,1,1,0,0"));
    CHECK(note && strstr(note, " max=note 999,note 999,-,-,note 999,note 999 "));
    free(note);
    char *amount = index_line(path, "amount");
    CHECK(amount && strstr(amount, " order=UNORDERED "));
    free(amount);
    /* DuckDB reads the same file. */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) || '|' || count(note) FROM read_parquet('%s')",
             path);
    CHECK_SQL(sql, "30000|6667");
    if (!check_failed_now)
        unlink(path);
}

/* Field ids on every column (a LIST's element too) and key-value metadata
 * with each column's source type and the run id, as DuckDB and hyparquet
 * read them. */
static void test_field_ids_and_metadata(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/snaplake-test-pages-ids-%d.parquet", (int)getpid());
    struct sl_column cols[3] = {0};
    snprintf(cols[0].name, sizeof cols[0].name, "a");
    snprintf(cols[0].source_type, sizeof cols[0].source_type, "integer");
    cols[0].type = SL_T_INT32;
    snprintf(cols[1].name, sizeof cols[1].name, "tags");
    snprintf(cols[1].source_type, sizeof cols[1].source_type, "text[]");
    cols[1].type = SL_T_STRING, cols[1].list = true, cols[1].nullable = true;
    snprintf(cols[2].name, sizeof cols[2].name, "total");
    snprintf(cols[2].source_type, sizeof cols[2].source_type, "numeric(12,2) \"x\"");
    cols[2].type = SL_T_DECIMAL, cols[2].precision = 12, cols[2].scale = 2;
    struct sl_schema s = {.ncols = 3, .cols = cols};
    struct sl_batch *b = sl_batch_new(&s, 10, 1 << 20);
    struct pq_options o;
    pq_options_default(&o);
    o.run_id = "20261130T101500Z";
    FILE *f = fopen(path, "wb");
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &s, &o, file_sink, f, &err), 0);
    sl_batch_set_i32(b, 0, 7);
    sl_batch_list_begin(b, 1);
    CHECK_EQ_INT(sl_batch_list_push_bytes(b, 1, "x", 1), 0);
    sl_batch_list_end(b, 1);
    sl_batch_set_i64(b, 2, 1234);
    sl_batch_end_row(b);
    CHECK_EQ_INT(pq_writer_write(w, b, &err), 0);
    CHECK_EQ_INT(pq_writer_finish(w, NULL, &err), 0);
    pq_writer_free(w);
    sl_batch_free(b);
    fclose(f);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(name || '=' || coalesce(field_id::VARCHAR, '-'), ',') "
             "FROM parquet_schema('%s')",
             path);
    CHECK_SQL(sql, "schema=-,a=1,tags=2,list=-,element=4,total=3");
    snprintf(sql, sizeof sql,
             "SELECT string_agg(decode(key) || '=' || decode(value), '|' ORDER BY key) "
             "FROM parquet_kv_metadata('%s')",
             path);
    CHECK_SQL(sql, "snaplake.run_id=20261130T101500Z|snaplake.source_types="
                   "{\"a\":\"integer\",\"tags\":\"text[]\",\"total\":\"numeric(12,2) \\\"x\\\"\"}");
    snprintf(sql, sizeof sql, "SELECT tags[1] || a || total FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "x712.34");
    /* hyparquet sees the same */
    char *ids = index_line(path, "field_ids");
    CHECK_EQ_STR(ids, "field_ids schema=-,a=1,tags=2,list=-,element=4,total=3");
    free(ids);
    char *run = index_line(path, "kv snaplake.run_id");
    CHECK_EQ_STR(run, "kv snaplake.run_id=20261130T101500Z");
    free(run);
    unlink(path);
}

int main(void)
{
    CHECK(duckdb_open(NULL, &db) == DuckDBSuccess);
    CHECK(duckdb_connect(db, &con) == DuckDBSuccess);
    RUN(test_dictionary_by_measured_size);
    RUN(test_page_index);
    RUN(test_field_ids_and_metadata);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
