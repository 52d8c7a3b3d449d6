/*
 * test_parquet_v2.c — parquet.format_version 2: data page v2 and the
 * DELTA_BINARY_PACKED / DELTA_BYTE_ARRAY / BYTE_STREAM_SPLIT encodings
 * (src/parquet/delta.c), read back by DuckDB value by value.
 *
 * Each case writes the same rows twice: format_version 1 without
 * dictionary (PLAIN, checked by the older tests) and format_version 2 —
 * and DuckDB must read identical rows from both (EXCEPT ALL both ways, each
 * row carrying its id), plus exact text for the values where equality
 * could hide a difference (-0.0, NaN, extremes).
 */
#include "duck_check.h"
#include "parquet/delta.h"
#include "parquet/encode.h"
#include "parquet/writer.h"

#include <duckdb.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

/* The columns of every case: one per value kind of the writer. */
enum {
    C_ID,
    C_I64,
    C_I32,
    C_TS,
    C_DATE,
    C_DEC9,
    C_DEC18,
    C_DEC30,
    C_F64,
    C_F32,
    C_STR,
    C_BOOL,
    C_UUID,
    C_NULLS,
    C_GAPS,
    C_TAGS,
    NCOLS
};

static struct sl_column cols[NCOLS];
static struct sl_schema schema = {.ncols = NCOLS, .cols = cols};

static void schema_init(void)
{
    static const struct {
        const char *name;
        enum sl_type type;
        bool nullable;
    } def[NCOLS] = {
        {"id", SL_T_INT64, false},     {"i64", SL_T_INT64, true},
        {"i32", SL_T_INT32, true},     {"ts", SL_T_TIMESTAMPTZ, true},
        {"d", SL_T_DATE, true},        {"dec9", SL_T_DECIMAL, true},
        {"dec18", SL_T_DECIMAL, true}, {"dec30", SL_T_DECIMAL, true},
        {"f64", SL_T_DOUBLE, true},    {"f32", SL_T_FLOAT, true},
        {"s", SL_T_STRING, true},      {"b", SL_T_BOOL, true},
        {"u", SL_T_UUID, true},        {"all_null", SL_T_INT64, true},
        {"gaps", SL_T_STRING, true},   {"tags", SL_T_INT32, true},
    };
    for (int i = 0; i < NCOLS; i++) {
        snprintf(cols[i].name, sizeof cols[i].name, "%s", def[i].name);
        cols[i].type = def[i].type;
        cols[i].nullable = def[i].nullable;
    }
    cols[C_DEC9].precision = 9, cols[C_DEC9].scale = 2;
    cols[C_DEC18].precision = 18, cols[C_DEC18].scale = 3;
    cols[C_DEC30].precision = 30, cols[C_DEC30].scale = 2;
    cols[C_TAGS].list = true;
}

static const int64_t i64_edge[] = {
    INT64_MIN, INT64_MAX, 0, -1, INT64_MIN, 1, INT64_MAX, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1};
static const int32_t i32_edge[] = {
    INT32_MIN, INT32_MAX, 0, -1, INT32_MIN, 1, INT32_MAX, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1};

/* Row i of the test table.  Long strings every 997 rows (40 000 bytes),
 * sorted-looking keys sharing long prefixes, runs of equal strings, empty
 * strings; rows [1000, 2500) NULL in `gaps` (whole pages without values). */
static void fill_row(struct sl_batch *b, size_t i, char *big)
{
    uint64_t m = mix(i);
    sl_batch_set_i64(b, C_ID, (int64_t)i);
    if (i % 11 == 4)
        sl_batch_set_null(b, C_I64);
    else
        sl_batch_set_i64(b, C_I64, i % 3 ? i64_edge[i % 10] : (int64_t)m);
    if (i % 13 == 5)
        sl_batch_set_null(b, C_I32);
    else
        sl_batch_set_i32(b, C_I32, i % 3 ? i32_edge[i % 10] : (int32_t)m);
    sl_batch_set_i64(b, C_TS, 1704067200000000LL + (int64_t)i * 1234567 + (int64_t)(m % 1000));
    sl_batch_set_i32(b, C_DATE, (int32_t)(19000 + i / 7));
    sl_batch_set_i64(b, C_DEC9, (int64_t)(m % 2000000000) - 999999999);
    sl_batch_set_i64(b, C_DEC18,
                     i % 5 ? (int64_t)(m % 1000000000000000000ULL) * (i % 2 ? 1 : -1)
                           : 999999999999999999LL);
    sl_batch_set_i128(b, C_DEC30, (sl_int128)m * 1000003 * (i % 2 ? 1 : -1));
    static const double dspecial[] = {0.0, -0.0, INFINITY, -INFINITY, 1e308, 5e-324, -1e-300};
    double d = i % 17 == 3 ? NAN : i % 4 == 0 ? dspecial[(i / 4) % 7] : (double)(m % 100003) / 7.0;
    sl_batch_set_f64(b, C_F64, d);
    if (i % 9 == 8)
        sl_batch_set_null(b, C_F32);
    else
        sl_batch_set_f32(b, C_F32, i % 5 == 0 ? -0.0f : (float)(m % 10007) / 3.0f);
    char s[128];
    int n;
    if (i % 997 == 500) {
        memset(big, 'a' + (int)(i % 26), 40000);
        n = snprintf(big, 40, "long/%zu/", i);
        big[n] = 'x';
        CHECK_EQ_INT(sl_batch_set_bytes(b, C_STR, big, 40000), 0);
    } else if (i % 23 == 0) {
        CHECK_EQ_INT(sl_batch_set_bytes(b, C_STR, "", 0), 0);
    } else if (i % 31 == 7) {
        sl_batch_set_null(b, C_STR);
    } else {
        /* runs of 3 equal values; each a prefix-extension of a shared stem */
        n = snprintf(s, sizeof s, "customers/eu-west/store-%04zu/receipt-%06zu", i / 50, i / 3);
        CHECK_EQ_INT(sl_batch_set_bytes(b, C_STR, s, (size_t)n), 0);
    }
    if (i % 7 == 6)
        sl_batch_set_null(b, C_BOOL);
    else
        sl_batch_set_bool(b, C_BOOL, (uint8_t)(m & 1));
    uint8_t u[16];
    for (int k = 0; k < 16; k++)
        u[k] = (uint8_t)(mix(i * 16 + (size_t)k) >> 7);
    sl_batch_set_fixed(b, C_UUID, u, 16);
    sl_batch_set_null(b, C_NULLS);
    if (i >= 1000 && i < 2500) {
        sl_batch_set_null(b, C_GAPS);
    } else {
        n = snprintf(s, sizeof s, "g%zu", m % 100000);
        CHECK_EQ_INT(sl_batch_set_bytes(b, C_GAPS, s, (size_t)n), 0);
    }
    if (i % 6 == 1) {
        sl_batch_set_null(b, C_TAGS);
    } else {
        sl_batch_list_begin(b, C_TAGS);
        for (size_t k = 0; k < i % 4; k++) { /* empty lists too */
            if (k == 2) {
                CHECK_EQ_INT(sl_batch_list_push_null(b, C_TAGS), 0);
            } else {
                int32_t *slot = sl_batch_list_push(b, C_TAGS);
                CHECK(slot != NULL);
                if (slot)
                    *slot = (int32_t)(i * 10 + k) * (k ? -1 : 1);
            }
        }
        sl_batch_list_end(b, C_TAGS);
    }
}

/* Rows [0, rows) into path with options o. */
static void write_file(const char *path, size_t rows, const struct pq_options *o)
{
    struct sl_batch *b = sl_batch_new(&schema, 500, (size_t)1 << 26);
    char *big = malloc(40000);
    FILE *f = fopen(path, "wb");
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK(b && big && f);
    if (!b || !big || !f)
        goto out;
    CHECK_EQ_INT(pq_writer_open(&w, &schema, o, file_sink, f, &err), 0);
    for (size_t i = 0; w && i < rows; i++) {
        fill_row(b, i, big);
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
out:
    pq_writer_free(w);
    sl_batch_free(b);
    free(big);
    if (f)
        fclose(f);
}

/* DuckDB reads the same rows from a and b: none in one and not the other. */
static void check_same_rows(const char *a, const char *b, size_t rows)
{
    char sql[1024], want[64];
    snprintf(
        sql, sizeof sql,
        "SELECT (SELECT count(*) FROM read_parquet('%1$s')) || '|' || "
        "(SELECT count(*) FROM (FROM read_parquet('%1$s') EXCEPT ALL FROM read_parquet('%2$s'))) "
        "|| '|' || "
        "(SELECT count(*) FROM (FROM read_parquet('%2$s') EXCEPT ALL FROM read_parquet('%1$s')))",
        a, b);
    snprintf(want, sizeof want, "%zu|0|0", rows);
    CHECK_SQL(sql, want);
}

static void options(struct pq_options *o, int version, enum pq_codec codec, size_t page_rows)
{
    pq_options_default(o);
    o->format_version = version;
    o->codec = codec;
    o->page_rows = page_rows;
    o->dict_max_bytes = 0;       /* every chunk in the value encoding */
    o->v2_encodings_only = true; /* never PLAIN instead: test the encoders */
}

/* v2 against v1 for row counts around the block (128) and miniblock (32)
 * sizes — 0 values in a page, 1 value, full and partial miniblocks — and
 * pages of 1000 rows, with every codec (none and snappy store some value
 * sections uncompressed: is_compressed false). */
static void test_v2_reads_like_v1(void)
{
    static const size_t counts[] = {1, 2, 31, 32, 33, 129, 130, 3001};
    static const enum pq_codec codecs[] = {PQ_CODEC_ZSTD, PQ_CODEC_NONE, PQ_CODEC_SNAPPY,
                                           PQ_CODEC_GZIP};
    /* A new name per file: DuckDB caches footers by path (and a rewrite of
     * the same size within a second looks unchanged to it). */
    char v1[64], v2[64];
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        snprintf(v1, sizeof v1, "/tmp/snaplake-test-v2-a%zu.parquet", k);
        snprintf(v2, sizeof v2, "/tmp/snaplake-test-v2-b%zu.parquet", k);
        struct pq_options o;
        enum pq_codec codec = codecs[k % 4];
        options(&o, 1, codec, 1000);
        write_file(v1, counts[k], &o);
        options(&o, 2, codec, 1000);
        write_file(v2, counts[k], &o);
        check_same_rows(v1, v2, counts[k]);
        if (check_failed_now) {
            fprintf(stderr, "  (rows %zu, codec %s)\n", counts[k], pq_codec_name(codec));
            return;
        }
        if (k + 1 < sizeof counts / sizeof counts[0]) {
            unlink(v1);
            unlink(v2);
        }
    }
    /* the encodings each column got (3001 rows, gzip) */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(path_in_schema || ':' || encodings, ' ' ORDER BY column_id) "
             "FROM parquet_metadata('%s') WHERE row_group_id = 0",
             v2);
    CHECK_SQL(sql, "id:DELTA_BINARY_PACKED i64:RLE, DELTA_BINARY_PACKED "
                   "i32:RLE, DELTA_BINARY_PACKED ts:RLE, DELTA_BINARY_PACKED "
                   "d:RLE, DELTA_BINARY_PACKED dec9:RLE, DELTA_BINARY_PACKED "
                   "dec18:RLE, DELTA_BINARY_PACKED dec30:PLAIN, RLE "
                   "f64:RLE, BYTE_STREAM_SPLIT f32:RLE, BYTE_STREAM_SPLIT "
                   "s:RLE, DELTA_BYTE_ARRAY b:PLAIN, RLE u:PLAIN, RLE "
                   "all_null:RLE, DELTA_BINARY_PACKED gaps:RLE, DELTA_BYTE_ARRAY "
                   "tags, list, element:RLE, DELTA_BINARY_PACKED");
    snprintf(sql, sizeof sql, "SELECT format_version FROM parquet_file_metadata('%s')", v2);
    CHECK_SQL(sql, "2");
    /* Without v2_encodings_only each chunk keeps the smaller of its v2
     * encoding and PLAIN: ascending timestamps as deltas, the random
     * integers PLAIN (their deltas would carry a sign and more bits). */
    struct pq_options o;
    options(&o, 2, PQ_CODEC_ZSTD, 1000);
    o.v2_encodings_only = false;
    unlink(v2);
    snprintf(v2, sizeof v2, "/tmp/snaplake-test-v2-mixed.parquet");
    write_file(v2, 3001, &o);
    check_same_rows(v1, v2, 3001);
    snprintf(sql, sizeof sql,
             "SELECT string_agg(path_in_schema || ':' || encodings, ' ' ORDER BY column_id) "
             "FROM parquet_metadata('%s') WHERE row_group_id = 0 AND path_in_schema IN "
             "('id', 'ts', 'i32', 'dec9', 's')",
             v2);
    CHECK_SQL(sql, "id:DELTA_BINARY_PACKED i32:PLAIN, RLE ts:RLE, DELTA_BINARY_PACKED "
                   "dec9:PLAIN, RLE s:PLAIN, RLE");
    unlink(v1);
    unlink(v2);
}

/* Exact values where `=` would hide a difference: the INT64/INT32
 * extremes in a row (each delta overflows and must wrap), -0.0, NaN. */
static void test_v2_exact_values(void)
{
    const char *v2 = "/tmp/snaplake-test-v2-c.parquet";
    struct pq_options o;
    options(&o, 2, PQ_CODEC_ZSTD, 1000);
    write_file(v2, 50, &o);
    char sql[512], want[4096];
    size_t at = 0;
    for (size_t i = 0; i < 50; i++) {
        if (i % 11 == 4 || i % 3 == 0)
            continue;
        at += (size_t)snprintf(want + at, sizeof want - at, "%s%lld", at ? "," : "",
                               (long long)i64_edge[i % 10]);
    }
    snprintf(sql, sizeof sql,
             "SELECT string_agg(i64::VARCHAR, ',' ORDER BY id) FROM read_parquet('%s') "
             "WHERE id %% 3 <> 0",
             v2);
    CHECK_SQL(sql, want);
    at = 0;
    for (size_t i = 0; i < 50; i++) {
        if (i % 13 == 5 || i % 3 == 0)
            continue;
        at +=
            (size_t)snprintf(want + at, sizeof want - at, "%s%d", at ? "," : "", i32_edge[i % 10]);
    }
    snprintf(sql, sizeof sql,
             "SELECT string_agg(i32::VARCHAR, ',' ORDER BY id) FROM read_parquet('%s') "
             "WHERE id %% 3 <> 0",
             v2);
    CHECK_SQL(sql, want);
    snprintf(sql, sizeof sql,
             "SELECT string_agg(f64::VARCHAR, ',' ORDER BY id) FROM read_parquet('%s') "
             "WHERE id IN (0, 3, 4, 8, 12, 16, 20, 24, 48)",
             v2);
    CHECK_SQL(sql, "0.0,nan,-0.0,inf,-inf,1e+308,nan,-1e-300,5e-324");
    snprintf(sql, sizeof sql,
             "SELECT count(*) || '|' || count(all_null) || '|' || count(tags) || '|' || "
             "sum(len(tags)) FROM read_parquet('%s')",
             v2);
    CHECK_SQL(sql, "50|0|41|56");
    unlink(v2);
}

/* Dictionary first, as with v1: repeated values keep RLE_DICTIONARY on v2
 * pages; a dictionary that outgrows dict_max_bytes falls back to the value
 * encoding for the rest of the chunk (both listed); the page index and
 * bloom filters work on v2 pages. */
static void test_v2_dictionary_fallback_index_bloom(void)
{
    const char *v1 = "/tmp/snaplake-test-v2-d.parquet", *v2 = "/tmp/snaplake-test-v2-e.parquet";
    static char *const bloom[] = {"t.s", "t.i64"};
    struct pq_options o;
    pq_options_default(&o);
    o.page_rows = 500;
    o.dict_max_bytes = 3000;
    o.bloom_columns = bloom, o.n_bloom_columns = 2, o.table = "t";
    write_file(v1, 6000, &o);
    o.format_version = 2;
    o.v2_encodings_only = true;
    write_file(v2, 6000, &o);
    check_same_rows(v1, v2, 6000);
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(path_in_schema || ':' || encodings, ' ' ORDER BY column_id) "
             "FROM parquet_metadata('%s') WHERE row_group_id = 0 AND path_in_schema IN "
             "('s', 'i64', 'b', 'dec9')",
             v2);
    CHECK_SQL(sql, "i64:PLAIN, RLE, DELTA_BINARY_PACKED, RLE_DICTIONARY "
                   "dec9:RLE, DELTA_BINARY_PACKED s:RLE, DELTA_BYTE_ARRAY b:PLAIN, RLE");
    /* encoding_stats (hyparquet): v2 data pages counted per encoding */
    const char *want_stats[] = {
        "rg=0 col=i64 encodings=PLAIN,RLE,DELTA_BINARY_PACKED,RLE_DICTIONARY "
        "stats=DICTIONARY_PAGE:PLAIN:1,DATA_PAGE_V2:RLE_DICTIONARY:3,"
        "DATA_PAGE_V2:DELTA_BINARY_PACKED:9",
        "rg=0 col=f64 encodings=PLAIN,RLE,RLE_DICTIONARY,BYTE_STREAM_SPLIT "
        "stats=DICTIONARY_PAGE:PLAIN:1,DATA_PAGE_V2:RLE_DICTIONARY:2,"
        "DATA_PAGE_V2:BYTE_STREAM_SPLIT:10",
        "rg=0 col=s encodings=RLE,DELTA_BYTE_ARRAY stats=DATA_PAGE_V2:DELTA_BYTE_ARRAY:12",
        "rg=0 col=b encodings=PLAIN,RLE stats=DATA_PAGE_V2:PLAIN:12",
    };
    char cmd[512], line[8192];
    snprintf(cmd, sizeof cmd,
             "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node tests/tools/pqencodings.mjs "
             "'%s'",
             v2);
    FILE *p = popen(cmd, "r");
    int found = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        for (size_t k = 0; k < sizeof want_stats / sizeof want_stats[0]; k++)
            found += !strcmp(line, want_stats[k]);
    }
    CHECK_EQ_INT(p ? pclose(p) : -1, 0);
    CHECK_EQ_INT(found, 4);
    /* bloom filters: present values not excluded, absent ones excluded */
    snprintf(sql, sizeof sql,
             "SELECT string_agg(bloom_filter_excludes::VARCHAR, ',') FROM ("
             "SELECT * FROM parquet_bloom_probe('%1$s', 's', "
             "'customers/eu-west/store-0001/receipt-000020') UNION ALL "
             "SELECT * FROM parquet_bloom_probe('%1$s', 's', 'nope') UNION ALL "
             "SELECT * FROM parquet_bloom_probe('%1$s', 'i64', '-9223372036854775808') UNION ALL "
             "SELECT * FROM parquet_bloom_probe('%1$s', 'i64', '12345'))",
             v2);
    CHECK_SQL(sql, "false,true,false,true");
    /* page index: hyparquet checks the OffsetIndex against the chunk and
     * reads the ColumnIndex of the v2 pages */
    snprintf(cmd, sizeof cmd,
             "NODE_PATH=\"${NODE_PATH:-.deps/node/node_modules}\" node tests/tools/pqindex.mjs "
             "'%s'",
             v2);
    p = popen(cmd, "r");
    int id_ok = 0, errors = 0;
    while (p && fgets(line, sizeof line, p)) {
        errors += !strncmp(line, "ERROR", 5);
        if (!strncmp(line, "rg=0 col=id ", 12) &&
            strstr(line, " pages=12 order=ASCENDING first_rows=0,500,1000,") &&
            strstr(line, " min=0,500,1000,"))
            id_ok = 1;
    }
    CHECK_EQ_INT(p ? pclose(p) : -1, 0);
    CHECK_EQ_INT(errors, 0);
    CHECK_EQ_INT(id_ok, 1);
    /* page statistics in DataPageHeaderV2 and chunk statistics */
    snprintf(sql, sizeof sql,
             "SELECT stats_min_value || '|' || stats_max_value || '|' || stats_null_count FROM "
             "parquet_metadata('%s') WHERE row_group_id = 0 AND path_in_schema = 'i64'",
             v2);
    CHECK_SQL(sql, "-9223372036854775808|9223372036854775807|546");
    if (!check_failed_now) {
        unlink(v1);
        unlink(v2);
    }
}

/* The encoders' bytes for the spec's own examples (Encodings.md), with the
 * block size 128 / 4 miniblocks the writer uses. */
static void test_delta_bytes(void)
{
    struct sl_buf b, sc;
    sl_buf_init(&b, 1 << 20);
    sl_buf_init(&sc, 1 << 20);
    /* 1..5: header 128, 4, 5, zigzag(1)=2; block: min delta 1 (zz 2),
     * widths 0 0 0 0, no data */
    const int32_t five[] = {1, 2, 3, 4, 5};
    CHECK_EQ_INT(pq_delta_binary_i32(&b, five, 5), 0);
    const uint8_t want1[] = {0x80, 0x01, 4, 5, 2, 2, 0, 0, 0, 0};
    CHECK_EQ_INT(b.len, sizeof want1);
    CHECK_MEM(b.data, want1, sizeof want1);
    /* 0 values and 1 value: the header alone */
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_delta_binary_i64(&b, NULL, 0), 0);
    const uint8_t want0[] = {0x80, 0x01, 4, 0, 0};
    CHECK_EQ_INT(b.len, sizeof want0);
    CHECK_MEM(b.data, want0, sizeof want0);
    sl_buf_reset(&b);
    const int64_t one[] = {-3};
    CHECK_EQ_INT(pq_delta_binary_i64(&b, one, 1), 0);
    const uint8_t want_one[] = {0x80, 0x01, 4, 1, 5};
    CHECK_EQ_INT(b.len, sizeof want_one);
    CHECK_MEM(b.data, want_one, sizeof want_one);
    /* INT64_MAX then INT64_MIN: delta +1 after wrapping (not 65 bits) */
    sl_buf_reset(&b);
    const int64_t wrap[] = {INT64_MAX, INT64_MIN, INT64_MAX};
    CHECK_EQ_INT(pq_delta_binary_i64(&b, wrap, 3), 0);
    /* header 5 bytes + zigzag(INT64_MAX) 10 bytes; min delta -1 (zz 1);
     * relative deltas 2, 0: width 2, one miniblock of 8 bytes */
    CHECK_EQ_INT(b.len, 4 + 10 + 1 + 4 + 8);
    CHECK_EQ_INT(b.data[14], 1);
    CHECK_EQ_INT(b.data[15], 2);
    CHECK_EQ_INT(b.data[19], 2); /* 2, 0 packed LSB first */
    /* INT32 deltas wrap at 32 bits: INT32_MIN after INT32_MAX is +1, so the
     * relative deltas need 2 bits, not 33 (the spec forbids more than 32) */
    sl_buf_reset(&b);
    const int32_t wrap32[] = {INT32_MIN, INT32_MAX, INT32_MIN};
    CHECK_EQ_INT(pq_delta_binary_i32(&b, wrap32, 3), 0);
    /* header 4 + zigzag(INT32_MIN) 5 bytes; min delta -1 (zz 1); widths */
    CHECK_EQ_INT(b.len, 4 + 5 + 1 + 4 + 8);
    CHECK_EQ_INT(b.data[9], 1);
    CHECK_EQ_INT(b.data[10], 2);
    /* DELTA_BYTE_ARRAY of the spec's "axis", "axle", "babble", "babyhood":
     * prefixes 0 2 0 3, suffixes 4 2 6 5, "axislebabbleyhood" */
    struct sl_buf plain;
    sl_buf_init(&plain, 1 << 20);
    const uint8_t *p[] = {(const uint8_t *)"axis", (const uint8_t *)"axle",
                          (const uint8_t *)"babble", (const uint8_t *)"babyhood"};
    const uint32_t l[] = {4, 4, 6, 8};
    CHECK_EQ_INT(pq_plain_bytes(&plain, p, l, 4), 0);
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_delta_bytes(&b, &sc, plain.data, plain.len, 4), 0);
    CHECK(b.len > 17 && memcmp(b.data + b.len - 17, "axislebabbleyhood", 17) == 0);
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_delta_length_bytes(&b, &sc, plain.data, plain.len, 4), 0);
    CHECK(b.len > 22 && memcmp(b.data + b.len - 22, "axisaxlebabblebabyhood", 22) == 0);
    /* a malformed PLAIN buffer is an error, not a read past its end */
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_delta_bytes(&b, &sc, plain.data, plain.len - 1, 4), SL_ERROR);
    /* v2 levels: one NULL in eleven rows costs the hybrid encoder's short
     * RLE runs more than one bit-packed run of all 88 values (11 bytes) */
    uint8_t lv[88];
    for (int i = 0; i < 88; i++)
        lv[i] = i % 11 != 10;
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_levels_v2(&b, lv, 88, 1), 0);
    CHECK_EQ_INT(b.len, 12);
    CHECK_EQ_INT(b.data[0], 11 << 1 | 1);
    CHECK_EQ_INT(b.data[1], 0xff);
    CHECK_EQ_INT(b.data[2], 0xfb); /* values 8..15: 1 1 0 1 1 1 1 1, LSB first */
    /* all ones: one RLE run is smaller, and kept */
    memset(lv, 1, sizeof lv);
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_levels_v2(&b, lv, 88, 1), 0);
    CHECK_EQ_INT(b.len, 3);
    /* BYTE_STREAM_SPLIT: the spec's example */
    const uint8_t f[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    const uint8_t want_bss[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4,
                                0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_byte_stream_split(&b, f, 3, 4), 0);
    CHECK_EQ_INT(b.len, 12);
    CHECK_MEM(b.data, want_bss, 12);
    sl_buf_free(&b);
    sl_buf_free(&sc);
    sl_buf_free(&plain);
}

/* A format_version other than 1 or 2 is refused when the writer opens. */
static void test_v2_bad_version(void)
{
    struct pq_options o;
    pq_options_default(&o);
    o.format_version = 3;
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &schema, &o, file_sink, stdout, &err), SL_ERROR);
    CHECK(w == NULL);
    CHECK(strstr(err.msg, "format_version 3") != NULL);
}

int main(void)
{
    schema_init();
    if (duckdb_open(NULL, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess) {
        fprintf(stderr, "cannot open DuckDB\n");
        return 1;
    }
    RUN(test_delta_bytes);
    RUN(test_v2_reads_like_v1);
    RUN(test_v2_exact_values);
    RUN(test_v2_dictionary_fallback_index_bloom);
    RUN(test_v2_bad_version);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
