/*
 * test_parquet_bloom.c — xxHash64 and split-block bloom filters
 * (BloomFilter.md): known hash vectors, agreement with hyparquet's XXH64,
 * no false negatives, ~1 % false positives at the chosen size, and whole
 * files whose filters hyparquet reads (tests/tools/pqbloom.mjs) and DuckDB
 * reads the rows of.
 */
#include "check.h"
#include "parquet/bloom.h"
#include "parquet/writer.h"

#include <duckdb.h>
#include <stdlib.h>
#include <unistd.h>

static void test_xxh64_vectors(void)
{
    /* The reference implementation's published results for seed 0. */
    CHECK(pq_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL);
    CHECK(pq_xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
    CHECK(pq_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
}

/* Every length 0..99 (all paths: stripes, 8-, 4-, 1-byte tails) against
 * hyparquet's independent XXH64. */
static void test_xxh64_matches_hyparquet(void)
{
    static char cmd[40000];
    uint8_t data[100];
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    size_t o = (size_t)snprintf(cmd, sizeof cmd,
                                "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node "
                                "tests/tools/pqbloom.mjs --xxh64");
    for (int n = 0; n < 100; n++) {
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, " '");
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%02x", data[i]);
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, "'");
    }
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char line[64];
    int n = 0, bad = 0;
    while (p && fgets(line, sizeof line, p) && n < 100) {
        unsigned long long want = strtoull(line, NULL, 16);
        if (pq_xxh64(data, (size_t)n, 0) != want && bad++ < 3)
            fprintf(stderr, "  length %d: ours %016llx, hyparquet %s", n,
                    (unsigned long long)pq_xxh64(data, (size_t)n, 0), line);
        n++;
    }
    CHECK_EQ_INT(p ? pclose(p) : -1, 0);
    CHECK_EQ_INT(n, 100);
    CHECK_EQ_INT(bad, 0);
}

static void test_bloom_no_false_negatives(void)
{
    enum { N = 20000 };
    static uint64_t h[N];
    for (uint64_t i = 0; i < N; i++)
        h[i] = pq_xxh64(&i, 8, 0);
    struct sl_buf out;
    sl_buf_init(&out, 1 << 24);
    CHECK_EQ_INT(pq_bloom_build(h, N, &out), 0);
    size_t bytes = pq_bloom_size(N);
    CHECK_EQ_INT(bytes, 32768); /* 20000 * 10.5 bits = 26250 bytes → 2^15 */
    CHECK(out.len > bytes);
    const uint8_t *bitset = out.data + out.len - bytes;
    int missing = 0, fp = 0;
    for (uint64_t i = 0; i < N; i++)
        missing += !pq_bloom_check(bitset, bytes, pq_xxh64(&i, 8, 0));
    for (uint64_t i = N; i < N + 100000; i++)
        fp += pq_bloom_check(bitset, bytes, pq_xxh64(&i, 8, 0));
    CHECK_EQ_INT(missing, 0);
    CHECK(fp < 1500); /* < 1.5 % (about 0.3 % at 13 bits per value) */
    /* Header: numBytes 32768, BLOCK, XXHASH, UNCOMPRESSED. */
    static const uint8_t header[] = {0x15, 0x80, 0x80, 0x04, 0x1c, 0x1c, 0x00, 0x00, 0x1c,
                                     0x1c, 0x00, 0x00, 0x1c, 0x1c, 0x00, 0x00, 0x00};
    CHECK_EQ_INT(out.len - bytes, sizeof header);
    CHECK_MEM(out.data, header, sizeof header);
    sl_buf_free(&out);
}

static int file_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    (void)err;
    return fwrite(data, 1, n, ctx) == n ? SL_OK : SL_ERROR;
}

static const char *const cats[] = {"books", "food", "garden", "toys", "tools"};

/* id INT64, cat STRING, amount DECIMAL(12,2), code DECIMAL(30,0), flag BOOL;
 * filters asked for "shop.receipts.id", "receipts.c*", "*.code", "*.flag". */
static void write_file(const char *path, size_t rows)
{
    struct sl_column cols[5] = {0};
    snprintf(cols[0].name, sizeof cols[0].name, "id");
    cols[0].type = SL_T_INT64;
    snprintf(cols[1].name, sizeof cols[1].name, "cat");
    cols[1].type = SL_T_STRING, cols[1].nullable = true;
    snprintf(cols[2].name, sizeof cols[2].name, "amount");
    cols[2].type = SL_T_DECIMAL, cols[2].precision = 12, cols[2].scale = 2;
    snprintf(cols[3].name, sizeof cols[3].name, "code");
    cols[3].type = SL_T_DECIMAL, cols[3].precision = 30, cols[3].scale = 0;
    snprintf(cols[4].name, sizeof cols[4].name, "flag");
    cols[4].type = SL_T_BOOL;
    struct sl_schema s = {.ncols = 5, .cols = cols};
    struct sl_batch *b = sl_batch_new(&s, 1000, 1 << 24);
    char *patterns[] = {"shop.receipts.id", "receipts.c*", "*.code", "*.flag"};
    struct pq_options o;
    pq_options_default(&o);
    o.bloom_columns = patterns;
    o.n_bloom_columns = 4;
    o.table = "shop.receipts";
    o.row_group_bytes = 200 << 10; /* several row groups, one filter each */
    FILE *f = fopen(path, "wb");
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &s, &o, file_sink, f, &err), 0);
    for (size_t i = 0; i < rows; i++) {
        sl_batch_set_i64(b, 0, (int64_t)i * 2); /* even ids only */
        if (i % 4 == 3)
            sl_batch_set_null(b, 1);
        else
            sl_batch_set_bytes(b, 1, cats[i % 5], strlen(cats[i % 5]));
        sl_batch_set_i64(b, 2, (int64_t)i);
        sl_batch_set_i128(b, 3, (sl_int128)i * 1000000007);
        sl_batch_set_bool(b, 4, i % 2);
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

/* Run pqbloom.mjs; count its "=maybe" and "=absent" lines and row groups. */
static void probe(const char *path, const char *col, const char *values, int *maybe, int *absent,
                  int *groups, int *none)
{
    static char cmd[200000];
    snprintf(cmd, sizeof cmd,
             "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node tests/tools/pqbloom.mjs "
             "'%s' %s %s",
             path, col, values);
    *maybe = *absent = *groups = *none = 0;
    FILE *p = popen(cmd, "r");
    char line[256];
    while (p && fgets(line, sizeof line, p)) {
        *maybe += strstr(line, "=maybe") != NULL;
        *absent += strstr(line, "=absent") != NULL;
        *groups += strncmp(line, "rg=", 3) == 0 && strstr(line, " bytes=") != NULL;
        *none += strstr(line, " none") != NULL;
    }
    CHECK_EQ_INT(p ? pclose(p) : -1, 0);
}

static void test_bloom_file(void)
{
    const char *path = "/tmp/snaplake-test-bloom.parquet";
    enum { ROWS = 40000 };
    write_file(path, ROWS);
    int maybe, absent, groups, none;
    /* ids: every written (even) id of the first row group is maybe-present
     * there; odd ids are absent from nearly all filters. */
    static char vals[100000];
    size_t o = 0;
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(vals + o, sizeof vals - o, " %d", i * 2);
    probe(path, "id", vals, &maybe, &absent, &groups, &none);
    CHECK(groups > 1);
    CHECK_EQ_INT(none, 0);
    /* row group 0 holds ids 0..398: 200 maybe there; other groups mostly absent */
    CHECK(maybe >= 200);
    CHECK(absent > (groups - 1) * 200 * 95 / 100);
    o = 0;
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(vals + o, sizeof vals - o, " %d", i * 2 + 1);
    probe(path, "id", vals, &maybe, &absent, &groups, &none);
    CHECK(maybe < groups * 200 * 3 / 100);
    /* strings: each category present in every group, an unknown one absent */
    probe(path, "cat", "books food garden toys tools nope", &maybe, &absent, &groups, &none);
    CHECK_EQ_INT(maybe, groups * 5);
    CHECK(absent >= groups - 1);
    /* not asked for: no filter; booleans never get one */
    probe(path, "amount", "1", &maybe, &absent, &groups, &none);
    CHECK_EQ_INT(groups, 0);
    CHECK(none > 1);
    probe(path, "flag", "1", &maybe, &absent, &groups, &none);
    CHECK_EQ_INT(groups, 0);
    /* DECIMAL(30,0) as FLBA: hashed big-endian; hyparquet's probe hashes
     * text, so only check the filter exists and DuckDB reads the values. */
    probe(path, "code", "0", &maybe, &absent, &groups, &none);
    CHECK(groups > 1);

    duckdb_database db;
    duckdb_connection con;
    duckdb_result r;
    CHECK(duckdb_open(NULL, &db) == DuckDBSuccess);
    CHECK(duckdb_connect(db, &con) == DuckDBSuccess);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(id), count(cat), sum(code) FROM read_parquet('%s')", path);
    CHECK(duckdb_query(con, sql, &r) == DuckDBSuccess);
    CHECK_EQ_INT(duckdb_value_int64(&r, 0, 0), ROWS);
    CHECK_EQ_INT(duckdb_value_int64(&r, 1, 0), (int64_t)ROWS * (ROWS - 1));
    CHECK_EQ_INT(duckdb_value_int64(&r, 2, 0), ROWS - ROWS / 4);
    duckdb_destroy_result(&r);
    /* DuckDB's own bloom probe (1.4+): an absent id excluded, a present
     * one never. */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FILTER (bloom_filter_excludes), count(*) FROM "
             "parquet_bloom_probe('%s', 'id', 2)",
             path);
    if (duckdb_query(con, sql, &r) == DuckDBSuccess) {
        /* id 2 is in row group 0 only: every other group may exclude it */
        CHECK(duckdb_value_int64(&r, 0, 0) >= duckdb_value_int64(&r, 1, 0) - 2);
        duckdb_destroy_result(&r);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FILTER (NOT bloom_filter_excludes) FROM "
                 "parquet_bloom_probe('%s', 'cat', 'garden')",
                 path);
        CHECK(duckdb_query(con, sql, &r) == DuckDBSuccess);
        CHECK_EQ_INT(duckdb_value_int64(&r, 0, 0), groups);
        duckdb_destroy_result(&r);
    } else {
        fprintf(stderr, "  (DuckDB has no parquet_bloom_probe: %s)\n", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    if (!check_failed_now)
        unlink(path);
}

int main(void)
{
    RUN(test_xxh64_vectors);
    RUN(test_xxh64_matches_hyparquet);
    RUN(test_bloom_no_false_negatives);
    RUN(test_bloom_file);
    return CHECK_DONE();
}
