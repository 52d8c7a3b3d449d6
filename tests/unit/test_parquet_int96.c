/*
 * test_parquet_int96.c — pq_options.timestamp_int96 (parquet.timestamp_type
 * int96): TIMESTAMP and TIMESTAMPTZ as INT96 (8-byte LE nanoseconds of the
 * day, 4-byte LE Julian day), without annotation, statistics, dictionary,
 * bloom filter or ColumnIndex; read back by DuckDB (as TIMESTAMP) and by
 * hyparquet (pqread.mjs) against the same rows written as INT64.
 */
#include "duck_check.h"
#include "parquet/writer.h"

#include <duckdb.h>
#include <stdlib.h>
#include <unistd.h>

/* Microseconds since 1970: 0001-01-01, the last microsecond before 1970,
 * 1970-01-01, a leap day at noon, 9999-12-31 23:59:59.999999. */
static const int64_t edges[] = {-62135596800000000LL, -1, 0, 951825600000000LL,
                                253402300799999999LL};
#define NEDGES (sizeof edges / sizeof edges[0])
#define ROWS 5000

static int64_t value(size_t i)
{
    if (i < NEDGES)
        return edges[i];
    /* spread over 1900..2100, with sub-second digits */
    return -2208988800000000LL + (int64_t)((i * 2654435761u) % 6311433600u) * 1000000 +
           (int64_t)(i * 7919 % 1000000);
}

static void write_file(const char *path, bool int96, int version)
{
    struct sl_column cols[3] = {0};
    snprintf(cols[0].name, sizeof cols[0].name, "id");
    cols[0].type = SL_T_INT64;
    snprintf(cols[1].name, sizeof cols[1].name, "ts");
    cols[1].type = SL_T_TIMESTAMP, cols[1].nullable = true;
    snprintf(cols[2].name, sizeof cols[2].name, "tz");
    cols[2].type = SL_T_TIMESTAMPTZ, cols[2].nullable = true;
    struct sl_schema s = {.ncols = 3, .cols = cols};
    static char *const bloom[] = {"t.*"};
    struct pq_options o;
    pq_options_default(&o);
    o.timestamp_int96 = int96;
    o.format_version = version;
    o.page_rows = 1000;
    o.bloom_columns = bloom, o.n_bloom_columns = 1, o.table = "t";
    struct sl_batch *b = sl_batch_new(&s, 700, 1 << 20);
    FILE *f = fopen(path, "wb");
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &s, &o, file_sink, f, &err), 0);
    for (size_t i = 0; w && i < ROWS; i++) {
        sl_batch_set_i64(b, 0, (int64_t)i);
        if (i % 9 == 8)
            sl_batch_set_null(b, 1);
        else
            sl_batch_set_i64(b, 1, value(i));
        if (i >= 1000 && i < 2000) /* a page of NULLs only */
            sl_batch_set_null(b, 2);
        else
            sl_batch_set_i64(b, 2, value(ROWS - 1 - i));
        sl_batch_end_row(b);
        if (b->nrows == b->capacity) {
            CHECK_EQ_INT(pq_writer_write(w, b, &err), 0);
            sl_batch_reset(b);
        }
    }
    if (w && b->nrows)
        CHECK_EQ_INT(pq_writer_write(w, b, &err), 0);
    if (w)
        CHECK_EQ_INT(pq_writer_finish(w, NULL, &err), 0);
    if (err.set)
        fprintf(stderr, "  %s: %s\n", err.object, err.msg);
    pq_writer_free(w);
    sl_batch_free(b);
    fclose(f);
}

/* pqread.mjs's rows of a file (JSON lines), malloc'ed; NULL on failure. */
static char *pqread(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node tests/tools/pqread.mjs '%s'",
             path);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 20, len = 0, n;
    char *out = malloc(cap);
    while (p && out && (n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096) {
            char *grown = realloc(out, cap *= 2);
            if (!grown)
                break;
            out = grown;
        }
    }
    int rc = p ? pclose(p) : -1;
    if (rc != 0 || !out) {
        free(out);
        return NULL;
    }
    out[len] = 0;
    return out;
}

/* Both format versions: every value as DuckDB and hyparquet read it equals
 * the INT64 file's; the footer has INT96 without annotation or statistics. */
static void test_int96_values(void)
{
    for (int version = 1; version <= 2; version++) {
        char a[64], b[64], sql[1024];
        snprintf(a, sizeof a, "/tmp/snaplake-test-int96-v%d-a.parquet", version);
        snprintf(b, sizeof b, "/tmp/snaplake-test-int96-v%d-b.parquet", version);
        write_file(a, false, version);
        write_file(b, true, version);
        /* DuckDB reads INT96 as TIMESTAMP (naive): compare microseconds */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || '|' || count(b.ts) || '|' || count(b.tz) || '|' || "
                 "sum(CASE WHEN epoch_us(a.ts) IS NOT DISTINCT FROM epoch_us(b.ts) AND "
                 "epoch_us(a.tz) IS NOT DISTINCT FROM epoch_us(b.tz) THEN 1 ELSE 0 END) "
                 "FROM read_parquet('%s') a JOIN read_parquet('%s') b USING (id)",
                 a, b);
        CHECK_SQL(sql, "5000|4445|4000|5000");
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(ts::VARCHAR, ',' ORDER BY id) FROM read_parquet('%s') "
                 "WHERE id < 5",
                 b);
        CHECK_SQL(sql, "0001-01-01 00:00:00,1969-12-31 23:59:59.999999,1970-01-01 00:00:00,"
                       "2000-02-29 12:00:00,9999-12-31 23:59:59.999999");
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(name || ':' || type || ':' || coalesce(converted_type, '-') "
                 "|| ':' || coalesce(logical_type::VARCHAR, '-'), ' ') FROM parquet_schema('%s') "
                 "WHERE name IN ('ts', 'tz')",
                 b);
        CHECK_SQL(sql, "ts:INT96:-:- tz:INT96:-:-");
        /* no statistics, no dictionary, no bloom filter */
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(path_in_schema || ':' || encodings || ':' || "
                 "coalesce(stats_min_value, '-') || ':' || coalesce(stats_null_count::VARCHAR, "
                 "'-') || ':' || (dictionary_page_offset IS NULL) || ':' || "
                 "(bloom_filter_offset IS NULL), ' ' ORDER BY column_id) "
                 "FROM parquet_metadata('%s') WHERE path_in_schema IN ('ts', 'tz')",
                 b);
        CHECK_SQL(sql, "ts:PLAIN, RLE:-:-:true:true tz:PLAIN, RLE:-:-:true:true");
        /* hyparquet: the same canonical text as from the INT64 file */
        char *ra = pqread(a), *rb = pqread(b);
        CHECK(ra && rb);
        if (ra && rb)
            CHECK(strcmp(ra, rb) == 0);
        CHECK(rb && strstr(rb, "\"ts\":\"0001-01-01 00:00:00.000000\""));
        CHECK(rb && strstr(rb, "\"ts\":\"1969-12-31 23:59:59.999999\""));
        free(ra);
        free(rb);
        /* the page index: OffsetIndex, no ColumnIndex (no bounds on INT96) */
        char cmd[512], line[8192];
        snprintf(cmd, sizeof cmd,
                 "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node "
                 "tests/tools/pqindex.mjs '%s'",
                 b);
        FILE *p = popen(cmd, "r");
        int ok = 0;
        while (p && fgets(line, sizeof line, p))
            ok += !strncmp(line, "rg=0 col=ts pages=5 ", 20) && strstr(line, "no-column-index");
        CHECK_EQ_INT(p ? pclose(p) : -1, 0);
        CHECK_EQ_INT(ok, 1);
        if (check_failed_now)
            return;
        unlink(a);
        unlink(b);
    }
}

int main(void)
{
    if (duckdb_open(NULL, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess) {
        fprintf(stderr, "cannot open DuckDB\n");
        return 1;
    }
    RUN(test_int96_values);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
