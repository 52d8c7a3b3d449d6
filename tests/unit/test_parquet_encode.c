/*
 * test_parquet_encode.c — the writer's hot encodings at their edges:
 * bit-packing (encode.c, word at a time, one instance per width), the
 * RLE/bit-packing hybrid around it, and the open-addressing dictionaries
 * (dict.c) under forced hash collisions and growth.  The bytes are compared
 * with a bit-by-bit reference encoder, so a faster packer must produce the
 * very same pages; a file whose dictionaries outgrow dict_max_bytes is read
 * back by DuckDB value by value.
 */
#include "check.h"
#include "duck_check.h"
#include "parquet/dict.h"
#include "parquet/encode.h"
#include "parquet/writer.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- reference encoder: the hybrid's rules, one bit at a time ---------- */

static size_t ref_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* values [0, count) of v packed into groups * bw bytes, zero-padded */
static size_t ref_pack(uint8_t *p, const uint32_t *v, size_t count, size_t groups, int bw)
{
    size_t bytes = groups * (size_t)bw;
    memset(p, 0, bytes);
    size_t bit = 0;
    for (size_t i = 0; i < count; i++)
        for (int j = 0; j < bw; j++, bit++)
            if (v[i] >> j & 1)
                p[bit / 8] |= (uint8_t)(1u << (bit % 8));
    return bytes;
}

/* The run rule of encode.c: a run of >= 8 equal values is an RLE run,
 * otherwise 8 values join the pending bit-packed run. */
static size_t ref_rle(uint8_t *p, const uint32_t *v, size_t n, int bw)
{
    size_t o = 0, i = 0, bp = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i >= 8) {
            if (i > bp) {
                size_t groups = (i - bp) / 8;
                o += ref_varint(p + o, groups << 1 | 1);
                o += ref_pack(p + o, v + bp, i - bp, groups, bw);
            }
            o += ref_varint(p + o, (uint64_t)(j - i) << 1);
            for (int k = 0; k < (bw + 7) / 8; k++)
                p[o++] = (uint8_t)(v[i] >> (8 * k));
            i = bp = j;
        } else {
            i = n - i > 8 ? i + 8 : n;
        }
    }
    if (i > bp) {
        size_t groups = (i - bp + 7) / 8;
        o += ref_varint(p + o, groups << 1 | 1);
        o += ref_pack(p + o, v + bp, i - bp, groups, bw);
    }
    return o;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Pattern k of n values below 2^bw: random, all the largest value, runs of
 * 1..20 (so runs end at every offset within a group of 8), alternating. */
static void pattern(uint32_t *v, size_t n, int bw, int k)
{
    uint32_t mask = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case 0: v[i] = next32() & mask; break;
        case 1: v[i] = mask; break;
        case 2: v[i] = i && next32() % 20 ? v[i - 1] : next32() & mask; break;
        default: v[i] = (i / (1 + i % 11)) % 2 ? mask : 0; break;
        }
    }
}

static bool same_as_reference(const uint32_t *v, size_t n, int bw, bool as_u8)
{
    static uint8_t want[1 << 18];
    static uint8_t v8[1 << 14];
    struct sl_buf got;
    sl_buf_init(&got, 1 << 20);
    sl_buf_append(&got, "\x55", 1); /* encoders append: keep what is there */
    int rc;
    if (as_u8) {
        for (size_t i = 0; i < n; i++)
            v8[i] = (uint8_t)v[i];
        rc = pq_rle_encode_u8(&got, v8, n, bw);
    } else {
        rc = pq_rle_encode_u32(&got, v, n, bw);
    }
    size_t wn = ref_rle(want, v, n, bw);
    bool ok = rc == 0 && got.len == 1 + wn && got.data[0] == 0x55 &&
              memcmp(got.data + 1, want, wn) == 0 && wn <= pq_rle_bound(n, bw);
    if (!ok)
        fprintf(stderr, "  bw %d, n %zu, %s: %zu bytes, reference %zu\n", bw, n,
                as_u8 ? "u8" : "u32", got.len - 1, wn);
    sl_buf_free(&got);
    return ok;
}

/* Every width 1..32, lengths around group and run boundaries. */
static void test_hybrid_every_width(void)
{
    static const size_t lens[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 63, 64, 65, 1000,
                                  1003, 4099};
    static uint32_t v[8192];
    for (int bw = 1; bw <= 32; bw++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
            for (int k = 0; k < 4; k++) {
                pattern(v, lens[l], bw, k);
                CHECK(same_as_reference(v, lens[l], bw, false));
                if (bw <= 8)
                    CHECK(same_as_reference(v, lens[l], bw, true));
            }
}

/* Width 0 is what a one-value dictionary needs: the writer rounds it up to
 * 1; pq_bit_width's edges. */
static void test_bit_width(void)
{
    CHECK_EQ_INT(pq_bit_width(0), 0);
    CHECK_EQ_INT(pq_bit_width(1), 1);
    for (int k = 1; k <= 32; k++) {
        uint64_t top = ((uint64_t)1 << k) - 1;
        CHECK_EQ_INT(pq_bit_width(top), k);
        CHECK_EQ_INT(pq_bit_width(top + 1), k + 1);
    }
}

/* PLAIN booleans and v1 definition levels: the multiply path for 8 values
 * at a time, any tail, values other than 0/1 counted by their low bit. */
static void test_booleans_and_levels(void)
{
    static uint8_t v[200];
    for (size_t n = 0; n <= 200; n++) {
        for (size_t i = 0; i < n; i++)
            v[i] = (uint8_t)(next32() % 3 == 0 ? 1 : next32() % 5 == 0 ? 3 : 0);
        struct sl_buf b;
        sl_buf_init(&b, 1 << 16);
        CHECK_EQ_INT(pq_plain_bool(&b, v, n), 0);
        CHECK_EQ_INT(b.len, (n + 7) / 8);
        bool ok = true;
        for (size_t i = 0; i < (n + 7) / 8 * 8; i++) {
            int bit = b.data[i / 8] >> (i % 8) & 1;
            ok &= bit == (i < n ? (v[i] & 1) : 0);
        }
        CHECK(ok);
        sl_buf_reset(&b);
        uint32_t v32[200];
        for (size_t i = 0; i < n; i++)
            v[i] &= 1, v32[i] = v[i];
        CHECK_EQ_INT(pq_levels_encode(&b, v, n), 0);
        static uint8_t want[1024];
        size_t wn = ref_rle(want, v32, n, 1);
        CHECK_EQ_INT(b.len, 4 + wn);
        CHECK_EQ_INT(b.data[0] | b.data[1] << 8 | b.data[2] << 16 | b.data[3] << 24, wn);
        CHECK(b.len == 4 + wn && memcmp(b.data + 4, want, wn) == 0);
        sl_buf_free(&b);
    }
}

/* ---- dictionaries ------------------------------------------------------ */

/* The inverse of the W8 hash multiplier modulo 2^64: x and x + j·inv hash
 * to h and h + j, so they share their slot (the top bits): a probe chain
 * as long as we like, also one that wraps past the table's end. */
static uint64_t inverse64(uint64_t a)
{
    uint64_t x = a; /* Newton: each step doubles the correct low bits */
    for (int i = 0; i < 6; i++)
        x *= 2 - a * x;
    return x;
}

static void test_dict_collisions(void)
{
    const uint64_t K = 0x9E3779B97F4A7C15ull, inv = inverse64(K);
    CHECK(K * inv == 1);
    enum { N = 3000 };
    static uint64_t v[2 * N];
    static uint32_t idx[2 * N];
    /* chain 1 starts at hash 0; chain 2 at the very top, so it wraps */
    for (int i = 0; i < N; i++) {
        v[i] = (uint64_t)i * inv;
        v[N + i] = (uint64_t)(-(int64_t)N / 2 + i) * inv;
    }
    struct pq_dict d;
    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_W8, 8), 0);
    /* in small slices, so the table grows (and rehashes) between them */
    for (size_t at = 0; at < 2 * N; at += 100)
        CHECK_EQ_INT(pq_dict_put_w8(&d, v + at, 100, idx + at), 0);
    /* The second chain's first half is new (entries N…), its second half
     * repeats the first chain's start: v[N + i] == v[i - N/2]. */
    bool ok = true;
    for (int i = 0; i < 2 * N; i++) {
        uint32_t want = i < N ? (uint32_t)i : i - N < N / 2 ? (uint32_t)i : (uint32_t)(i - N - N / 2);
        ok &= idx[i] == want;
    }
    CHECK(ok);
    CHECK_EQ_INT(d.count, N + N / 2);
    /* looking everything up again finds the same entries, adds none */
    static uint32_t again[2 * N];
    CHECK_EQ_INT(pq_dict_put_w8(&d, v, 2 * N, again), 0);
    CHECK_MEM(again, idx, sizeof idx);
    CHECK_EQ_INT(d.count, N + N / 2);
    for (uint32_t e = 0; e < d.count; e++) {
        uint32_t l;
        const uint8_t *p = pq_dict_entry_bytes(&d, e, &l);
        uint64_t x;
        memcpy(&x, p, 8);
        ok &= l == 8 && x == v[e];
    }
    CHECK(ok);
    pq_dict_free(&d);

    /* byte strings sharing long prefixes and lengths: hash and memcmp both
     * needed; growth from the first slot table on */
    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_BYTES, 0), 0);
    char s[64];
    const uint8_t *p[1];
    uint32_t len[1], ix[1];
    ok = true;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 20000; i++) {
            len[0] = (uint32_t)snprintf(s, sizeof s, "%040d", i);
            p[0] = (const uint8_t *)s;
            ok &= pq_dict_put_bytes(&d, p, len, 1, ix) == 0 && ix[0] == (uint32_t)i;
        }
    CHECK(ok);
    CHECK_EQ_INT(d.count, 20000);
    CHECK_EQ_INT(pq_dict_bytes(&d), 20000 * 44);
    pq_dict_free(&d);
}

/* ---- a file read back by DuckDB ---------------------------------------- */

static int mem_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    if (sl_buf_append(ctx, data, n))
        return sl_err_set(err, false, "test", "", "memory sink full");
    return SL_OK;
}

/* Row i, r = (i*7919) % 100003 (no pattern zstd would find in PLAIN):
 * k int32 r % 50 for the first 60000 rows, then r — a dictionary that pays
 * at first and outgrows dict_max_bytes mid-chunk; s string 'v' || r % 97,
 * NULL when i % 7 == 3 — a dictionary that stays; b bool i % 3 == 0; w int64 with
 * runs of 13 equal values (RLE runs not on group boundaries). */
static void test_fallback_read_back(void)
{
    enum { ROWS = 120000 };
    struct sl_column cols[4];
    memset(cols, 0, sizeof cols);
    snprintf(cols[0].name, sizeof cols[0].name, "k");
    cols[0].type = SL_T_INT32;
    snprintf(cols[1].name, sizeof cols[1].name, "s");
    cols[1].type = SL_T_STRING;
    cols[1].nullable = true;
    snprintf(cols[2].name, sizeof cols[2].name, "b");
    cols[2].type = SL_T_BOOL;
    snprintf(cols[3].name, sizeof cols[3].name, "w");
    cols[3].type = SL_T_INT64;
    struct sl_schema schema = {4, cols};
    struct pq_options opt;
    pq_options_default(&opt);
    opt.dict_max_bytes = 64 * 1024;
    opt.codec = PQ_CODEC_NONE; /* zstd on PLAIN would win against small dictionaries */
    opt.page_rows = 7001;
    struct sl_buf file;
    sl_buf_init(&file, (size_t)1 << 28);
    struct sl_err err = {0};
    struct pq_writer *w = NULL;
    struct sl_batch *b = sl_batch_new(&schema, 4096, 1 << 24);
    int rc = pq_writer_open(&w, &schema, &opt, mem_sink, &file, &err);
    for (int i = 0; rc == 0 && i < ROWS; i++) {
        int32_t r = (int32_t)((int64_t)i * 7919 % 100003);
        sl_batch_set_i32(b, 0, i < 60000 ? r % 50 : r);
        if (i % 7 == 3) {
            sl_batch_set_null(b, 1);
        } else {
            char s[32];
            int n = snprintf(s, sizeof s, "v%d", r % 97);
            sl_batch_set_bytes(b, 1, s, (size_t)n);
        }
        sl_batch_set_bool(b, 2, i % 3 == 0);
        sl_batch_set_i64(b, 3, (int64_t)(i / 13) * 1000003);
        sl_batch_end_row(b);
        if (b->nrows == b->capacity || i == ROWS - 1) {
            rc = pq_writer_write(w, b, &err);
            sl_batch_reset(b);
        }
    }
    if (rc == 0)
        rc = pq_writer_finish(w, NULL, &err);
    CHECK_EQ_INT(rc, 0);
    pq_writer_free(w);
    sl_batch_free(b);
    char path[64];
    snprintf(path, sizeof path, "snaplake_test_encode_%d.parquet", (int)getpid());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(file.data, 1, file.len, f) == file.len);
    if (f)
        fclose(f);
    sl_buf_free(&file);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM read_parquet('%s', file_row_number=true) WHERE "
             "k IS DISTINCT FROM CASE WHEN file_row_number < 60000 THEN file_row_number * 7919 %% 100003 %% 50 "
             "ELSE file_row_number * 7919 %% 100003 END "
             "OR s IS DISTINCT FROM CASE WHEN file_row_number %% 7 = 3 THEN NULL "
             "ELSE 'v' || (file_row_number * 7919 %% 100003 %% 97) END "
             "OR b IS DISTINCT FROM (file_row_number %% 3 = 0) "
             "OR w IS DISTINCT FROM (file_row_number // 13) * 1000003",
             path);
    CHECK_SQL(sql, "0");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "120000");
    /* k fell back (both encodings in the chunk), s kept its dictionary */
    snprintf(sql, sizeof sql,
             "SELECT string_agg(DISTINCT path_in_schema || ':' || encodings, ' ' ORDER BY "
             "path_in_schema || ':' || encodings) FROM parquet_metadata('%s') WHERE "
             "path_in_schema IN ('k', 's')",
             path);
    char *enc = scalar(sql);
    bool both = enc && strstr(enc, "k:") && strstr(enc, "PLAIN") && strstr(enc, "RLE_DICTIONARY");
    CHECK(both);
    if (!both)
        fprintf(stderr, "  encodings: %s\n", enc ? enc : "(query failed)");
    free(enc);
    unlink(path);
}

int main(void)
{
    RUN(test_bit_width);
    RUN(test_hybrid_every_width);
    RUN(test_booleans_and_levels);
    RUN(test_dict_collisions);
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "cannot open DuckDB\n");
        return 1;
    }
    RUN(test_fallback_read_back);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
