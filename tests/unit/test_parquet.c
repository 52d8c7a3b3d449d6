/*
 * test_parquet.c — unit tests of the Parquet writer's pieces (Thrift compact
 * encoder, RLE/bit-packing hybrid, dictionary, statistics order, decimal
 * layout) against bytes worked out by hand from the specs, and end-to-end
 * tests that write files through a memory sink and read them back with
 * DuckDB's read_parquet (values, types, metadata, every codec).
 */
#include "check.h"

#include "duckdb.h"
#include "parquet/compress.h"
#include "parquet/dict.h"
#include "parquet/encode.h"
#include "parquet/stats.h"
#include "parquet/thrift.h"
#include "parquet/writer.h"
#include "util/version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static bool buf_is(const struct sl_buf *b, const uint8_t *want, size_t n)
{
    if (b->len != n || memcmp(b->data, want, n) != 0) {
        fprintf(stderr, "  got:  ");
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, "%02X ", b->data[i]);
        fprintf(stderr, "\n  want: ");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%02X ", want[i]);
        fprintf(stderr, "\n");
        return false;
    }
    return true;
}

/* ---- Thrift compact protocol --------------------------------------------- */

static void test_thrift_logical_type_string(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_empty_struct(&t, 1); /* StringType, as union field 1 */
    pq_thrift_struct_end(&t);
    CHECK_EQ_INT(pq_thrift_end(&t), 0);
    CHECK(buf_is(&b, BYTES(0x1C, 0x00, 0x00)));
    sl_buf_free(&b);
}

static void test_thrift_fields(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_i32(&t, 1, 1);         /* 15 02 */
    pq_thrift_i32(&t, 20, -3);       /* delta 19 > 15: 05, zigzag(20)=28, zigzag(-3)=05 */
    pq_thrift_i64(&t, 21, -1);       /* 16 01 */
    pq_thrift_i64(&t, 22, 64);       /* 16 80 01 */
    pq_thrift_i32(&t, 23, INT32_MIN); /* 15 FF FF FF FF 0F */
    pq_thrift_bool(&t, 24, true);    /* 11 */
    pq_thrift_bool(&t, 25, false);   /* 12 */
    pq_thrift_binary(&t, 26, "ab", 2); /* 18 02 61 62 */
    pq_thrift_i8(&t, 27, -2);        /* 13 FE */
    pq_thrift_struct_begin(&t, 28);  /* 1C */
    pq_thrift_i32(&t, 3, -64);       /* inner delta from 0: 35 7F */
    pq_thrift_struct_end(&t);        /* 00 */
    pq_thrift_i32(&t, 29, 0);        /* outer delta from 28: 15 00 */
    pq_thrift_double(&t, 30, 1.0);   /* 17 00 00 00 00 00 00 F0 3F */
    pq_thrift_i32(&t, 10, 7);        /* id goes down: 05 14 0E */
    pq_thrift_struct_end(&t);
    CHECK_EQ_INT(pq_thrift_end(&t), 0);
    CHECK(buf_is(&b, BYTES(0x15, 0x02, 0x05, 0x28, 0x05, 0x16, 0x01, 0x16, 0x80, 0x01, 0x15,
                           0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x11, 0x12, 0x18, 0x02, 0x61, 0x62, 0x13,
                           0xFE, 0x1C, 0x35, 0x7F, 0x00, 0x15, 0x00, 0x17, 0, 0, 0, 0, 0, 0,
                           0xF0, 0x3F, 0x05, 0x14, 0x0E, 0x00)));
    sl_buf_free(&b);
}

static void test_thrift_lists(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_list_begin(&t, 2, PQ_TT_I32, 3); /* 29 35 */
    pq_thrift_elem_i32(&t, 0);
    pq_thrift_elem_i32(&t, 3);
    pq_thrift_elem_i32(&t, 8);
    pq_thrift_list_begin(&t, 3, PQ_TT_BINARY, 1); /* 19 18 01 78 */
    pq_thrift_elem_binary(&t, "x", 1);
    pq_thrift_list_begin(&t, 4, PQ_TT_STRUCT, 2); /* 19 2C */
    for (int i = 0; i < 2; i++) {
        pq_thrift_elem_struct_begin(&t);
        pq_thrift_i32(&t, 1, i); /* 15 00 / 15 02 */
        pq_thrift_struct_end(&t);
    }
    pq_thrift_i32(&t, 5, 1); /* delta from 4 even after the list's structs: 15 02 */
    pq_thrift_struct_end(&t);
    CHECK_EQ_INT(pq_thrift_end(&t), 0);
    CHECK(buf_is(&b, BYTES(0x29, 0x35, 0x00, 0x06, 0x10, 0x19, 0x18, 0x01, 0x78, 0x19, 0x2C,
                           0x15, 0x00, 0x00, 0x15, 0x02, 0x00, 0x15, 0x02, 0x00)));

    /* Long list: 0xF0 | type, then the size as a varint. */
    sl_buf_reset(&b);
    pq_thrift_init(&t, &b);
    pq_thrift_list_begin(&t, 1, PQ_TT_I32, 15);
    for (int i = 0; i < 15; i++)
        pq_thrift_elem_i32(&t, 1);
    CHECK_EQ_INT(b.len, 1 + 2 + 15);
    CHECK_EQ_INT(b.data[0], 0x19);
    CHECK_EQ_INT(b.data[1], 0xF5);
    CHECK_EQ_INT(b.data[2], 15);
    sl_buf_reset(&b);
    pq_thrift_list_header(&t, PQ_TT_STRUCT, 300);
    CHECK(buf_is(&b, BYTES(0xFC, 0xAC, 0x02)));
    sl_buf_reset(&b);
    pq_thrift_list_header(&t, PQ_TT_I64, 14);
    CHECK(buf_is(&b, BYTES(0xE6)));
    sl_buf_free(&b);
}

/* ---- RLE / bit-packing hybrid --------------------------------------------- */

static void test_rle_levels(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    uint8_t ten[10];
    memset(ten, 1, sizeof ten);
    CHECK_EQ_INT(pq_levels_encode(&b, ten, 10), 0);
    CHECK(buf_is(&b, BYTES(0x02, 0x00, 0x00, 0x00, 0x14, 0x01)));

    /* Alternating levels: one bit-packed run of 2 groups, LSB first. */
    sl_buf_reset(&b);
    const uint8_t alt[10] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1};
    CHECK_EQ_INT(pq_levels_encode(&b, alt, 10), 0);
    CHECK(buf_is(&b, BYTES(0x03, 0x00, 0x00, 0x00, 0x05, 0x55, 0x03)));

    /* 1000 ones: RLE count 1000 << 1 = 2000 = varint D0 0F. */
    uint8_t many[1000];
    memset(many, 1, sizeof many);
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_rle_encode_u8(&b, many, 1000, 1), 0);
    CHECK(buf_is(&b, BYTES(0xD0, 0x0F, 0x01)));

    /* All NULL: a run of zeros. */
    memset(many, 0, sizeof many);
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_rle_encode_u8(&b, many, 9, 1), 0);
    CHECK(buf_is(&b, BYTES(0x12, 0x00)));
    sl_buf_free(&b);
}

static void test_rle_bitpacked(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    /* Encodings.md example: 0..7 with bit width 3 → 88 C6 FA. */
    const uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    CHECK_EQ_INT(pq_rle_encode_u32(&b, seq, 8, 3), 0);
    CHECK(buf_is(&b, BYTES(0x03, 0x88, 0xC6, 0xFA)));

    /* RLE run of ten 5s, then 1,2,3 bit-packed in one zero-padded group. */
    sl_buf_reset(&b);
    const uint32_t mix[13] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 2, 3};
    CHECK_EQ_INT(pq_rle_encode_u32(&b, mix, 13, 3), 0);
    CHECK(buf_is(&b, BYTES(0x14, 0x05, 0x03, 0xD1, 0x00, 0x00)));

    /* Bit width 9: the RLE value takes 2 bytes LE. */
    uint32_t wide[16];
    for (int i = 0; i < 16; i++)
        wide[i] = 300;
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_rle_encode_u32(&b, wide, 16, 9), 0);
    CHECK(buf_is(&b, BYTES(0x20, 0x2C, 0x01)));

    /* Bit-packed groups, then a run: the pending groups are flushed first. */
    uint32_t v[24];
    for (int i = 0; i < 8; i++)
        v[i] = (uint32_t)i & 1;
    for (int i = 8; i < 24; i++)
        v[i] = 1;
    sl_buf_reset(&b);
    CHECK_EQ_INT(pq_rle_encode_u32(&b, v, 24, 1), 0);
    CHECK(buf_is(&b, BYTES(0x03, 0xAA, 0x20, 0x01)));

    CHECK_EQ_INT(pq_bit_width(0), 0);
    CHECK_EQ_INT(pq_bit_width(1), 1);
    CHECK_EQ_INT(pq_bit_width(2), 2);
    CHECK_EQ_INT(pq_bit_width(3), 2);
    CHECK_EQ_INT(pq_bit_width(255), 8);
    CHECK_EQ_INT(pq_bit_width(256), 9);

    sl_buf_reset(&b);
    const uint8_t bools[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    CHECK_EQ_INT(pq_plain_bool(&b, bools, 9), 0);
    CHECK(buf_is(&b, BYTES(0x0D, 0x01)));
    sl_buf_free(&b);
}

/* Decode a hybrid stream (test oracle) and compare with the input. */
static bool rle_roundtrip(const uint32_t *v, size_t n, int bw)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 26);
    if (pq_rle_encode_u32(&b, v, n, bw))
        return false;
    size_t pos = 0, k = 0;
    bool ok = true;
    while (k < n && pos < b.len && ok) {
        uint64_t h = 0;
        int shift = 0;
        uint8_t c;
        do {
            c = b.data[pos++];
            h |= (uint64_t)(c & 0x7F) << shift;
            shift += 7;
        } while (c & 0x80);
        if (h & 1) {
            size_t count = (size_t)(h >> 1) * 8;
            size_t bitpos = pos * 8;
            for (size_t i = 0; i < count && k < n; i++, k++) {
                uint32_t x = 0;
                for (int j = 0; j < bw; j++, bitpos++)
                    x |= (uint32_t)((b.data[bitpos / 8] >> (bitpos % 8)) & 1) << j;
                ok &= x == v[k];
            }
            pos += (size_t)(h >> 1) * (size_t)bw;
        } else {
            uint32_t x = 0;
            for (int j = 0; j < (bw + 7) / 8; j++)
                x |= (uint32_t)b.data[pos++] << (8 * j);
            for (size_t i = 0; i < (h >> 1); i++, k++)
                ok &= k < n && x == v[k];
        }
    }
    ok &= k == n && pos == b.len;
    sl_buf_free(&b);
    return ok;
}

static void test_rle_roundtrip(void)
{
    enum { N = 100000 };
    uint32_t *v = malloc(N * sizeof *v);
    uint64_t s = 42;
    for (int bw = 1; bw <= 32; bw += 3) {
        uint32_t mask = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
        for (int i = 0; i < N; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            /* runs of random length mixed with noise */
            v[i] = (s >> 60) < 6 && i ? v[i - 1] : (uint32_t)(s >> 32) & mask;
        }
        CHECK(rle_roundtrip(v, N, bw));
        CHECK(rle_roundtrip(v, 13, bw));
        CHECK(rle_roundtrip(v, 1, bw));
    }
    free(v);
}

/* ---- dictionary ----------------------------------------------------------- */

static void test_dict_bytes(void)
{
    struct pq_dict d;
    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_BYTES, 0), 0);
    const char *words[] = {"a", "b", "a", "", "b", "longer than sixteen bytes!", ""};
    const uint8_t *p[7];
    uint32_t len[7], idx[7];
    for (int i = 0; i < 7; i++) {
        p[i] = (const uint8_t *)words[i];
        len[i] = (uint32_t)strlen(words[i]);
    }
    CHECK_EQ_INT(pq_dict_put_bytes(&d, p, len, 7, idx), 0);
    const uint32_t want[7] = {0, 1, 0, 2, 1, 3, 2};
    CHECK_MEM(idx, want, sizeof want);
    CHECK_EQ_INT(d.count, 4);
    CHECK_EQ_INT(pq_dict_bytes(&d), 4 * 4 + 1 + 1 + 0 + 26);
    CHECK_MEM(d.plain.data, "\x01\x00\x00\x00" "a" "\x01\x00\x00\x00" "b", 10);
    uint32_t l;
    const uint8_t *e = pq_dict_entry_bytes(&d, 3, &l);
    CHECK_EQ_INT(l, 26);
    CHECK_MEM(e, words[5], 26);

    /* Many distinct values: growth keeps indices stable. */
    char tmp[64];
    const uint8_t *pp[1];
    uint32_t ll[1], ii[1];
    bool ok = true;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 50000; i++) {
            int n = snprintf(tmp, sizeof tmp, "value-%d", i);
            pp[0] = (const uint8_t *)tmp;
            ll[0] = (uint32_t)n;
            pq_dict_put_bytes(&d, pp, ll, 1, ii);
            ok &= ii[0] == (uint32_t)(4 + i);
        }
    CHECK(ok);
    CHECK_EQ_INT(d.count, 50004);
    pq_dict_reset(&d);
    CHECK_EQ_INT(d.count, 0);
    CHECK_EQ_INT(pq_dict_bytes(&d), 0);
    CHECK_EQ_INT(pq_dict_put_bytes(&d, p, len, 2, idx), 0);
    CHECK_EQ_INT(idx[1], 1);
    pq_dict_free(&d);
}

static void test_dict_fixed(void)
{
    struct pq_dict d;
    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_W4, 4), 0);
    const float f[5] = {0.0f, -0.0f, 1.5f, 0.0f, NAN};
    uint32_t idx[5];
    CHECK_EQ_INT(pq_dict_put_w4(&d, f, 5, idx), 0);
    /* by bit pattern: -0.0 and +0.0 are distinct, PLAIN round-trips them */
    CHECK_EQ_INT(idx[0], 0);
    CHECK_EQ_INT(idx[1], 1);
    CHECK_EQ_INT(idx[2], 2);
    CHECK_EQ_INT(idx[3], 0);
    CHECK_EQ_INT(idx[4], 3);
    CHECK_EQ_INT(pq_dict_bytes(&d), 16);
    pq_dict_free(&d);

    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_W8, 8), 0);
    enum { N = 200000 };
    int64_t *v = malloc(N * sizeof *v);
    uint32_t *ix = malloc(N * sizeof *ix);
    for (int i = 0; i < N; i++)
        v[i] = (int64_t)(i % 70000) * 1000003 - 5;
    CHECK_EQ_INT(pq_dict_put_w8(&d, v, N, ix), 0);
    bool ok = true;
    for (int i = 0; i < N; i++)
        ok &= ix[i] == (uint32_t)(i % 70000);
    CHECK(ok);
    CHECK_EQ_INT(d.count, 70000);
    CHECK_EQ_INT(pq_dict_bytes(&d), 70000 * 8);
    free(v);
    free(ix);
    pq_dict_free(&d);

    /* Decimals keyed as 16-byte values, 9 bytes each on the page. */
    CHECK_EQ_INT(pq_dict_init(&d, PQ_DICT_W16, 9), 0);
    const sl_int128 dv[4] = {-1, (sl_int128)1 << 80, -1, 7};
    CHECK_EQ_INT(pq_dict_put_w16(&d, dv, 4, idx), 0);
    CHECK_EQ_INT(idx[2], 0);
    CHECK_EQ_INT(idx[3], 2);
    CHECK_EQ_INT(pq_dict_bytes(&d), 27);
    pq_dict_free(&d);
}

/* ---- statistics ----------------------------------------------------------- */

static void encode_stats(const struct pq_stats *s, bool *have, struct sl_buf *mn,
                         struct sl_buf *mx, bool *emin, bool *emax)
{
    static uint8_t a[PQ_STATS_MAX_BYTES + 16], b[PQ_STATS_MAX_BYTES + 16];
    size_t la = 0, lb = 0;
    *have = pq_stats_encode(s, a, &la, emin, b, &lb, emax);
    sl_buf_reset(mn);
    sl_buf_reset(mx);
    if (*have) {
        sl_buf_append(mn, a, la);
        sl_buf_append(mx, b, lb);
    }
}

static void test_stats_strings_unsigned(void)
{
    struct pq_stats s;
    struct sl_buf mn, mx;
    bool have, emin, emax;
    sl_buf_init(&mn, 1 << 20);
    sl_buf_init(&mx, 1 << 20);
    pq_stats_init(&s, PQ_STATS_BYTES, 0, true);
    const char *w[] = {"z", "\xC3\xA9t\xC3\xA9", "abc", "ab", "\x7F"};
    const uint8_t *p[5];
    uint32_t l[5];
    for (int i = 0; i < 5; i++) {
        p[i] = (const uint8_t *)w[i];
        l[i] = (uint32_t)strlen(w[i]);
    }
    CHECK_EQ_INT(pq_stats_update_bytes(&s, p, l, 5), 0);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(have && emin && emax);
    CHECK(buf_is(&mn, BYTES('a', 'b')));
    CHECK(buf_is(&mx, BYTES(0xC3, 0xA9, 't', 0xC3, 0xA9))); /* "été" > "z" unsigned */

    /* merge of page stats into chunk stats */
    struct pq_stats c;
    pq_stats_init(&c, PQ_STATS_BYTES, 0, true);
    s.null_count = 3;
    CHECK_EQ_INT(pq_stats_merge(&c, &s), 0);
    pq_stats_reset(&s);
    p[0] = (const uint8_t *)"\xFF";
    l[0] = 1;
    p[1] = (const uint8_t *)"";
    l[1] = 0;
    pq_stats_update_bytes(&s, p, l, 2);
    s.null_count = 2;
    CHECK_EQ_INT(pq_stats_merge(&c, &s), 0);
    CHECK_EQ_INT(c.null_count, 5);
    encode_stats(&c, &have, &mn, &mx, &emin, &emax);
    CHECK(have);
    CHECK_EQ_INT(mn.len, 0);
    CHECK(buf_is(&mx, BYTES(0xFF)));

    /* UUIDs: fixed 16 bytes, unsigned. */
    struct pq_stats u;
    pq_stats_init(&u, PQ_STATS_BYTES, 0, false);
    uint8_t uu[3][16];
    memset(uu[0], 0x80, 16);
    memset(uu[1], 0x7F, 16);
    memset(uu[2], 0x00, 16);
    uu[2][15] = 1;
    pq_stats_update_fixed(&u, &uu[0][0], 3, 16);
    encode_stats(&u, &have, &mn, &mx, &emin, &emax);
    CHECK(mn.len == 16 && memcmp(mn.data, uu[2], 16) == 0);
    CHECK(mx.len == 16 && memcmp(mx.data, uu[0], 16) == 0);
    pq_stats_free(&u);
    pq_stats_free(&c);
    pq_stats_free(&s);
    sl_buf_free(&mn);
    sl_buf_free(&mx);
}

static void test_stats_truncation(void)
{
    struct pq_stats s;
    struct sl_buf mn, mx;
    bool have, emin, emax;
    sl_buf_init(&mn, 1 << 20);
    sl_buf_init(&mx, 1 << 20);
    enum { L = 5000 };
    uint8_t *a = malloc(L), *z = malloc(L);
    memset(a, 'a', L);
    memset(z, 'z', L);
    const uint8_t *p[2] = {a, z};
    uint32_t l[2] = {L, L};
    pq_stats_init(&s, PQ_STATS_BYTES, 0, true);
    pq_stats_update_bytes(&s, p, l, 2);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(have && !emin && !emax);
    CHECK_EQ_INT(mn.len, PQ_STATS_MAX_BYTES);
    CHECK_EQ_INT(mx.len, PQ_STATS_MAX_BYTES);
    CHECK(memcmp(mn.data, a, PQ_STATS_MAX_BYTES) == 0);
    CHECK(memcmp(mx.data, z, PQ_STATS_MAX_BYTES - 1) == 0 && mx.data[PQ_STATS_MAX_BYTES - 1] == '{');

    /* A UTF-8 character across the cut: both bounds end before it; the max
     * increments the last whole character. */
    memcpy(z + PQ_STATS_MAX_BYTES - 1, "\xC3\xA9", 2);
    pq_stats_reset(&s);
    p[0] = z;
    pq_stats_update_bytes(&s, p, l, 1);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(have && !emin && !emax);
    CHECK_EQ_INT(mn.len, PQ_STATS_MAX_BYTES - 1);
    CHECK_EQ_INT(mx.len, PQ_STATS_MAX_BYTES - 1);
    CHECK(mx.data[PQ_STATS_MAX_BYTES - 2] == '{');

    /* Binary of 0xFF only: no upper bound exists, so no min/max at all. */
    pq_stats_free(&s);
    pq_stats_init(&s, PQ_STATS_BYTES, 0, false);
    memset(z, 0xFF, L);
    p[0] = z;
    pq_stats_update_bytes(&s, p, l, 1);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(!have);
    /* Binary with a bumpable byte: FF tail dropped, previous byte + 1. */
    z[10] = 0x41;
    memset(z + 11, 0x42, 100);
    pq_stats_reset(&s);
    pq_stats_update_bytes(&s, p, l, 1);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(have && mx.len == 111 && mx.data[110] == 0x43 && mx.data[0] == 0xFF);
    pq_stats_free(&s);
    free(a);
    free(z);
    sl_buf_free(&mn);
    sl_buf_free(&mx);
}

static void test_stats_floats(void)
{
    struct pq_stats s;
    struct sl_buf mn, mx;
    bool have, emin, emax;
    sl_buf_init(&mn, 1 << 20);
    sl_buf_init(&mx, 1 << 20);
    pq_stats_init(&s, PQ_STATS_F64, 0, false);
    const double v[] = {NAN, 1.0, -2.5, NAN};
    pq_stats_update_f64(&s, v, 4);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    double lo, hi;
    memcpy(&lo, mn.data, 8);
    memcpy(&hi, mx.data, 8);
    CHECK(have && lo == -2.5 && hi == 1.0);

    pq_stats_reset(&s);
    const double nans[] = {NAN, NAN};
    pq_stats_update_f64(&s, nans, 2);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(!have); /* all NaN: no bounds */

    /* zeros: min written as -0.0, max as +0.0, whichever zero was seen */
    pq_stats_reset(&s);
    const double zeros[] = {0.0, 0.0};
    pq_stats_update_f64(&s, zeros, 2);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    memcpy(&lo, mn.data, 8);
    memcpy(&hi, mx.data, 8);
    CHECK(have && lo == 0 && signbit(lo) && hi == 0 && !signbit(hi));
    pq_stats_reset(&s);
    const double mixed[] = {-0.0, -1.0};
    pq_stats_update_f64(&s, mixed, 2);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    memcpy(&hi, mx.data, 8);
    CHECK(hi == 0 && !signbit(hi));
    pq_stats_free(&s);

    pq_stats_init(&s, PQ_STATS_F32, 0, false);
    const float f[] = {NAN, -0.0f, 3.0f};
    pq_stats_update_f32(&s, f, 3);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(buf_is(&mn, BYTES(0x00, 0x00, 0x00, 0x80)));
    CHECK(buf_is(&mx, BYTES(0x00, 0x00, 0x40, 0x40)));
    pq_stats_free(&s);

    /* signed ints, little-endian; BOOLEAN false < true */
    pq_stats_init(&s, PQ_STATS_I32, 0, false);
    const int32_t iv[] = {5, -7, 3};
    pq_stats_update_i32(&s, iv, 3);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(buf_is(&mn, BYTES(0xF9, 0xFF, 0xFF, 0xFF)));
    CHECK(buf_is(&mx, BYTES(0x05, 0x00, 0x00, 0x00)));
    pq_stats_free(&s);
    pq_stats_init(&s, PQ_STATS_BOOL, 0, false);
    const uint8_t bv[] = {1, 1};
    pq_stats_update_bool(&s, bv, 2);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(buf_is(&mn, BYTES(1)) && buf_is(&mx, BYTES(1)));
    pq_stats_free(&s);
    sl_buf_free(&mn);
    sl_buf_free(&mx);
}

static void test_stats_decimal(void)
{
    struct pq_stats s;
    struct sl_buf mn, mx;
    bool have, emin, emax;
    sl_buf_init(&mn, 1 << 20);
    sl_buf_init(&mx, 1 << 20);
    pq_stats_init(&s, PQ_STATS_DECIMAL, 9, false);
    /* bytewise, -1 (FF…) would be the max; by value it is not */
    const sl_int128 v[] = {5, -1, -300, 2};
    pq_stats_update_i128(&s, v, 4);
    encode_stats(&s, &have, &mn, &mx, &emin, &emax);
    CHECK(buf_is(&mn, BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xD4)));
    CHECK(buf_is(&mx, BYTES(0, 0, 0, 0, 0, 0, 0, 0, 5)));

    /* the Statistics struct: null_count, max_value, min_value, exactness */
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct pq_thrift t;
    pq_thrift_init(&t, &b);
    s.null_count = 2;
    pq_stats_write(&s, &t, 12, true);
    pq_thrift_struct_end(&t);
    CHECK_EQ_INT(pq_thrift_end(&t), 0);
    /* FLBA decimals get no deprecated min/max: field 3 comes first */
    CHECK(buf_is(&b, BYTES(0xCC, 0x36, 0x04, 0x28, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0x18, 0x09,
                           0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xD4, 0x11, 0x11, 0x00,
                           0x00)));
    sl_buf_free(&b);
    pq_stats_free(&s);
    sl_buf_free(&mn);
    sl_buf_free(&mx);
}

static void test_decimal_encoding(void)
{
    const int want[][2] = {{1, 1},  {2, 1},  {3, 2},   {4, 2},   {5, 3},   {9, 4},
                           {10, 5}, {18, 8}, {19, 9},  {20, 9},  {21, 9},  {22, 10},
                           {28, 12}, {33, 14}, {38, 16}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_EQ_INT(pq_decimal_width(want[i][0]), want[i][1]);
    uint8_t out[16];
    pq_decimal_be(out, -1, 9);
    CHECK_MEM(out, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 9);
    pq_decimal_be(out, -129, 2);
    CHECK_MEM(out, "\xFF\x7F", 2);
    pq_decimal_be(out, 258, 2);
    CHECK_MEM(out, "\x01\x02", 2);
    sl_int128 big = -((sl_int128)1 << 100);
    pq_decimal_be(out, big, 16);
    CHECK_MEM(out, "\xFF\xFF\xFF\xF0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    const sl_int128 v[2] = {1, -2};
    CHECK_EQ_INT(pq_plain_decimal(&b, v, 2, 3), 0);
    CHECK(buf_is(&b, BYTES(0, 0, 1, 0xFF, 0xFF, 0xFE)));
    sl_buf_free(&b);
}

/* ---- end to end through DuckDB ------------------------------------------- */

static int mem_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    if (sl_buf_append(ctx, data, n))
        return sl_err_set(err, false, "test", "", "memory sink full");
    return SL_OK;
}

static bool save(const struct sl_buf *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

static duckdb_database db;
static duckdb_connection con;

/* Run sql; on error print it and return false. */
static bool query(const char *sql, duckdb_result *res)
{
    if (duckdb_query(con, sql, res) == DuckDBError) {
        fprintf(stderr, "  duckdb: %s\n  sql: %s\n", duckdb_result_error(res), sql);
        duckdb_destroy_result(res);
        return false;
    }
    return true;
}

/* The single value of a one-row query, as text ("" on error; caller frees). */
static char *scalar(const char *sql)
{
    duckdb_result r;
    if (!query(sql, &r))
        return strdup("");
    char *v = duckdb_row_count(&r) ? duckdb_value_varchar(&r, 0, 0) : NULL;
    char *out = strdup(v ? v : "(null)");
    duckdb_free(v);
    duckdb_destroy_result(&r);
    return out;
}

#define CHECK_SQL(sql, want)                                                        \
    do {                                                                            \
        char *got_ = scalar(sql);                                                   \
        CHECK_EQ_STR(got_, want);                                                   \
        free(got_);                                                                 \
    } while (0)

static void fmt_decimal(char *out, size_t size, sl_int128 v, int scale)
{
    char digits[64];
    int n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        digits[n++] = '0';
    size_t k = 0;
    if (neg)
        out[k++] = '-';
    for (int i = n - 1; i >= 0 && k + 2 < size; i--) {
        out[k++] = digits[i];
        if (i == scale && scale > 0)
            out[k++] = '.';
    }
    out[k] = 0;
}

enum {
    C_B, C_I16, C_I32, C_I64, C_F, C_D, C_DEC9, C_DEC18, C_DEC38, C_DEC20, C_S, C_J, C_BIN,
    C_U, C_DT, C_TM, C_TS, C_TZ, C_FB, C_NCOLS
};

static struct sl_column col(const char *name, enum sl_type t, bool nullable, int p, int s)
{
    struct sl_column c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.type = t;
    c.nullable = nullable;
    c.precision = p;
    c.scale = s;
    return c;
}

static sl_int128 dec38_value(int i)
{
    return (sl_int128)(i - 25000) * ((sl_int128)100000000000000000ll * 1000) + i;
}

static bool is_null_at(int c, int i)
{
    switch (c) {
    case C_B: return i % 3 == 0;
    case C_I32: return i % 10 == 0;
    case C_F: return i % 7 == 0;
    case C_DEC38: return i % 5 == 1;
    case C_S: return i % 11 == 0;
    case C_BIN: return i % 4 == 2;
    case C_U: return i % 6 == 5;
    case C_TZ: return i >= 100; /* NULL after the first rows: all-NULL pages */
    default: return false;
    }
}

/* Column fb: a few values repeated over the first page (3000 rows in
 * test_e2e_all_types), so the writer picks a dictionary, then unique values
 * that overflow it: the chunk falls back to PLAIN mid-way. */
static int fb_value(char *buf, size_t size, int i)
{
    if (i < 3000)
        return snprintf(buf, size, "repeated_value_%d", i % 7);
    return snprintf(buf, size, "unique_value_%08d", i);
}

static void fill_row(struct sl_batch *b, int i)
{
    char tmp[64];
    for (int c = 0; c < C_NCOLS; c++) {
        if (is_null_at(c, i)) {
            sl_batch_set_null(b, c);
            continue;
        }
        switch (c) {
        case C_B: sl_batch_set_bool(b, c, (uint8_t)(i % 2)); break;
        case C_I16: sl_batch_set_i32(b, c, i % 65536 - 32768); break;
        case C_I32: sl_batch_set_i32(b, c, i * 7 - 100000); break;
        case C_I64: sl_batch_set_i64(b, c, (int64_t)i * 1000003 - ((int64_t)1 << 40)); break;
        case C_F: sl_batch_set_f32(b, c, (float)i * 0.5f - 100.0f); break;
        case C_D: sl_batch_set_f64(b, c, i / 3.0); break;
        case C_DEC9: sl_batch_set_i64(b, c, (int64_t)i * 101 - 50000); break;
        case C_DEC18: sl_batch_set_i64(b, c, ((int64_t)i - 30000) * 1000000007ll); break;
        case C_DEC38: sl_batch_set_i128(b, c, dec38_value(i)); break;
        case C_DEC20: sl_batch_set_i128(b, c, (sl_int128)(i % 300) - 150); break;
        case C_S: {
            int n = snprintf(tmp, sizeof tmp, "%s_%d", i % 2 ? "cat" : "\xC3\xA9t\xC3\xA9", i % 50);
            sl_batch_set_bytes(b, c, tmp, (size_t)n);
            break;
        }
        case C_J: {
            int n = snprintf(tmp, sizeof tmp, "{\"k\":%d}", i % 1000);
            sl_batch_set_bytes(b, c, tmp, (size_t)n);
            break;
        }
        case C_BIN: {
            uint8_t raw[4] = {0x00, 0xFF, (uint8_t)i, (uint8_t)(i >> 8)};
            sl_batch_set_bytes(b, c, raw, (size_t)(i % 5));
            break;
        }
        case C_U: {
            uint8_t u[16];
            for (int k = 0; k < 16; k++)
                u[k] = (uint8_t)(i * 31 + k * 17);
            sl_batch_set_fixed(b, c, u, 16);
            break;
        }
        case C_DT: sl_batch_set_i32(b, c, i - 20000); break;
        case C_TM: sl_batch_set_i64(b, c, (int64_t)i * 1000003 % 86400000000ll); break;
        case C_TS: sl_batch_set_i64(b, c, 1600000000000000ll + (int64_t)i * 1000003); break;
        case C_TZ: sl_batch_set_i64(b, c, -1000000ll * i); break;
        case C_FB: {
            int n = fb_value(tmp, sizeof tmp, i);
            sl_batch_set_bytes(b, c, tmp, (size_t)n);
            break;
        }
        }
    }
    sl_batch_end_row(b);
}

static struct sl_column all_cols[C_NCOLS];
static struct sl_schema all_schema = {C_NCOLS, all_cols};

static void all_types_schema(void)
{
    all_cols[C_B] = col("b", SL_T_BOOL, true, 0, 0);
    all_cols[C_I16] = col("i16", SL_T_INT16, false, 0, 0);
    all_cols[C_I32] = col("i32", SL_T_INT32, true, 0, 0);
    all_cols[C_I64] = col("i64", SL_T_INT64, false, 0, 0);
    all_cols[C_F] = col("f", SL_T_FLOAT, true, 0, 0);
    all_cols[C_D] = col("d", SL_T_DOUBLE, false, 0, 0);
    all_cols[C_DEC9] = col("dec9", SL_T_DECIMAL, false, 9, 2);
    all_cols[C_DEC18] = col("dec18", SL_T_DECIMAL, true, 18, 4);
    all_cols[C_DEC38] = col("dec38", SL_T_DECIMAL, true, 38, 10);
    all_cols[C_DEC20] = col("dec20", SL_T_DECIMAL, false, 20, 0);
    all_cols[C_S] = col("s", SL_T_STRING, true, 0, 0);
    all_cols[C_J] = col("j", SL_T_JSON, true, 0, 0);
    all_cols[C_BIN] = col("bin", SL_T_BINARY, true, 0, 0);
    all_cols[C_U] = col("u", SL_T_UUID, true, 0, 0);
    all_cols[C_DT] = col("dt", SL_T_DATE, true, 0, 0);
    all_cols[C_TM] = col("tm", SL_T_TIME, true, 0, 0);
    all_cols[C_TS] = col("ts", SL_T_TIMESTAMP, true, 0, 0);
    all_cols[C_TZ] = col("tz", SL_T_TIMESTAMPTZ, true, 0, 0);
    all_cols[C_FB] = col("fb", SL_T_STRING, false, 0, 0);
}

/* Write `rows` rows of the all-types table into *out; 0 on success. */
static int write_all_types(struct sl_buf *out, int rows, const struct pq_options *opt,
                           struct pq_file_info *info)
{
    struct sl_err err = {0};
    struct pq_writer *w = NULL;
    struct sl_batch *b = sl_batch_new(&all_schema, 7000, 1 << 24);
    int rc = pq_writer_open(&w, &all_schema, opt, mem_sink, out, &err);
    for (int i = 0; rc == 0 && i < rows; i++) {
        fill_row(b, i);
        if (b->nrows == b->capacity || i == rows - 1) {
            rc = pq_writer_write(w, b, &err);
            sl_batch_reset(b);
        }
    }
    if (rc == 0)
        rc = pq_writer_finish(w, info, &err);
    if (rc) {
        char msg[2200];
        fprintf(stderr, "  writer: %s\n", sl_err_format(&err, msg, sizeof msg));
    }
    pq_writer_free(w);
    sl_batch_free(b);
    return rc;
}

#define ALL_ROWS 50000
static const char *all_path = "snaplake_test_all_types.parquet";

static void test_e2e_all_types(void)
{
    all_types_schema();
    struct sl_buf out;
    sl_buf_init(&out, (size_t)1 << 30);
    struct pq_options opt;
    pq_options_default(&opt);
    opt.page_rows = 3000;            /* several pages per chunk */
    opt.row_group_bytes = 400 << 10; /* several row groups */
    opt.dict_max_bytes = 2000;       /* fb (then unique strings) falls back mid-chunk */
    struct pq_file_info info;
    CHECK_EQ_INT(write_all_types(&out, ALL_ROWS, &opt, &info), 0);
    CHECK_EQ_INT(info.rows, ALL_ROWS);
    CHECK_EQ_INT(info.bytes, (int64_t)out.len);
    CHECK(info.row_groups > 1);
    CHECK(out.len > 12 && memcmp(out.data, "PAR1", 4) == 0 &&
          memcmp(out.data + out.len - 4, "PAR1", 4) == 0);
    CHECK(save(&out, all_path));
    sl_buf_free(&out);

    char sql[4096];
    snprintf(sql, sizeof sql,
             "SELECT b, i16, i32, i64, f, d, dec9::VARCHAR, dec18::VARCHAR, dec38::VARCHAR, "
             "dec20::VARCHAR, s, j::VARCHAR, hex(bin), u::VARCHAR, dt - DATE '1970-01-01', "
             "datediff('microsecond', TIME '00:00:00', tm), epoch_us(ts), epoch_us(tz), fb "
             "FROM read_parquet('%s', file_row_number = true) ORDER BY file_row_number",
             all_path);
    duckdb_result r;
    if (!query(sql, &r)) {
        CHECK(0);
        return;
    }
    CHECK_EQ_INT(duckdb_row_count(&r), ALL_ROWS);
    int bad = 0;
    char want[128];
    for (int i = 0; i < ALL_ROWS && bad < 10; i++) {
        for (int c = 0; c < C_NCOLS; c++) {
            bool null = duckdb_value_is_null(&r, (idx_t)c, (idx_t)i);
            bool ok = null == is_null_at(c, i);
            if (ok && !null) {
                char *got = duckdb_value_varchar(&r, (idx_t)c, (idx_t)i);
                int64_t iv = duckdb_value_int64(&r, (idx_t)c, (idx_t)i);
                want[0] = 0;
                switch (c) {
                case C_B: ok = iv == i % 2; break;
                case C_I16: ok = iv == i % 65536 - 32768; break;
                case C_I32: ok = iv == i * 7 - 100000; break;
                case C_I64: ok = iv == (int64_t)i * 1000003 - ((int64_t)1 << 40); break;
                case C_F: ok = duckdb_value_float(&r, (idx_t)c, (idx_t)i) == (float)i * 0.5f - 100.0f; break;
                case C_D: ok = duckdb_value_double(&r, (idx_t)c, (idx_t)i) == i / 3.0; break;
                case C_DEC9: fmt_decimal(want, sizeof want, (int64_t)i * 101 - 50000, 2); break;
                case C_DEC18:
                    fmt_decimal(want, sizeof want, ((int64_t)i - 30000) * 1000000007ll, 4);
                    break;
                case C_DEC38: fmt_decimal(want, sizeof want, dec38_value(i), 10); break;
                case C_DEC20: fmt_decimal(want, sizeof want, (sl_int128)(i % 300) - 150, 0); break;
                case C_S:
                    snprintf(want, sizeof want, "%s_%d", i % 2 ? "cat" : "\xC3\xA9t\xC3\xA9", i % 50);
                    break;
                case C_J: snprintf(want, sizeof want, "{\"k\":%d}", i % 1000); break;
                case C_BIN: {
                    static const char *hexd = "0123456789ABCDEF";
                    uint8_t raw[4] = {0x00, 0xFF, (uint8_t)i, (uint8_t)(i >> 8)};
                    int n = i % 5;
                    for (int k = 0; k < n; k++) {
                        want[2 * k] = hexd[raw[k] >> 4];
                        want[2 * k + 1] = hexd[raw[k] & 15];
                    }
                    want[2 * n] = 0;
                    break;
                }
                case C_U: {
                    char *p = want;
                    for (int k = 0; k < 16; k++) {
                        p += sprintf(p, "%02x", (uint8_t)(i * 31 + k * 17));
                        if (k == 3 || k == 5 || k == 7 || k == 9)
                            *p++ = '-';
                    }
                    break;
                }
                case C_DT: ok = iv == i - 20000; break;
                case C_TM: ok = iv == (int64_t)i * 1000003 % 86400000000ll; break;
                case C_TS: ok = iv == 1600000000000000ll + (int64_t)i * 1000003; break;
                case C_TZ: ok = iv == -1000000ll * i; break;
                case C_FB: fb_value(want, sizeof want, i); break;
                }
                if (want[0] || c == C_BIN)
                    ok = got && strcmp(got, want) == 0;
                if (!ok)
                    fprintf(stderr, "  row %d col %d: got \"%s\" want \"%s\"\n", i, c,
                            got ? got : "(null)", want);
                duckdb_free(got);
            } else if (!ok) {
                fprintf(stderr, "  row %d col %d: null %d, want %d\n", i, c, null,
                        is_null_at(c, i));
            }
            if (!ok)
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    duckdb_destroy_result(&r);

    /* Types as DuckDB sees them (logical types honoured). */
    snprintf(sql, sizeof sql,
             "SELECT string_agg(column_type, ',') FROM (DESCRIBE SELECT * FROM read_parquet('%s'))",
             all_path);
    CHECK_SQL(sql, "BOOLEAN,SMALLINT,INTEGER,BIGINT,FLOAT,DOUBLE,DECIMAL(9,2),DECIMAL(18,4),"
                   "DECIMAL(38,10),DECIMAL(20,0),VARCHAR,JSON,BLOB,UUID,DATE,TIME,TIMESTAMP,"
                   "TIMESTAMP WITH TIME ZONE,VARCHAR");

    /* Metadata: dictionary, fallback, encodings, offsets, statistics. */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM parquet_metadata('%s') WHERE path_in_schema = 's' AND "
             "(dictionary_page_offset IS NULL OR dictionary_page_offset >= data_page_offset "
             "OR encodings NOT LIKE '%%RLE_DICTIONARY%%')",
             all_path);
    CHECK_SQL(sql, "0");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM parquet_metadata('%s') WHERE path_in_schema = 'fb' AND "
             "encodings LIKE '%%PLAIN%%' AND encodings LIKE '%%RLE_DICTIONARY%%' "
             "AND dictionary_page_offset IS NOT NULL",
             all_path);
    char *n = scalar(sql);
    CHECK(atoi(n) >= 1);
    free(n);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM parquet_metadata('%s') WHERE path_in_schema = 'b' AND "
             "dictionary_page_offset IS NOT NULL",
             all_path);
    CHECK_SQL(sql, "0");
    snprintf(sql, sizeof sql,
             "SELECT min(stats_min_value::INTEGER) || '|' || max(stats_max_value::INTEGER) || '|' || "
             "sum(stats_null_count) FROM parquet_metadata('%s') WHERE path_in_schema = 'i32'",
             all_path);
    CHECK_SQL(sql, "-99993|249993|5000");
    snprintf(sql, sizeof sql,
             "SELECT sum(num_values) || '|' || count(DISTINCT row_group_id) FROM "
             "parquet_metadata('%s') WHERE path_in_schema = 'dec38'",
             all_path);
    snprintf(want, sizeof want, "%d|%d", ALL_ROWS, info.row_groups);
    CHECK_SQL(sql, want);
    snprintf(sql, sizeof sql,
             "SELECT created_by LIKE 'snaplake version %s (build %%)' FROM "
             "parquet_file_metadata('%s')",
             SL_VERSION, all_path);
    CHECK_SQL(sql, "true");
    /* Statistics are used for filtering: results must match full scans. */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM read_parquet('%s') WHERE s = 'cat_7' OR dec38 < 0 AND "
             "dec38 > -2000000 OR u = '%s'",
             all_path, "00112233-4455-6677-8899-aabbccddeeff");
    char *filtered = scalar(sql);
    CHECK(atoi(filtered) > 0);
    free(filtered);
}

static void test_e2e_codecs(void)
{
    all_types_schema();
    const enum pq_codec codecs[] = {PQ_CODEC_NONE, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"};
    char first[512] = "";
    for (int k = 0; k < 4; k++) {
        struct sl_buf out;
        sl_buf_init(&out, (size_t)1 << 30);
        struct pq_options opt;
        pq_options_default(&opt);
        opt.codec = codecs[k];
        CHECK_EQ_INT(write_all_types(&out, 20000, &opt, NULL), 0);
        char path[256], sql[1024];
        snprintf(path, sizeof path, "snaplake_test_codec_%s.parquet", pq_codec_name(codecs[k]));
        CHECK(save(&out, path));
        sl_buf_free(&out);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || '|' || sum(i64) || '|' || count(s) || '|' || "
                 "max(fb) || '|' || sum(dec38) FROM read_parquet('%s')",
                 path);
        char *got = scalar(sql);
        if (k == 0) {
            /* sum(i64) = 1000003 * sum(0..19999) - 20000 * 2^40 */
            CHECK(strncmp(got, "20000|-21790241955550000|18181|unique_value_00019999|", 53) == 0);
            snprintf(first, sizeof first, "%s", got);
        } else {
            CHECK_EQ_STR(got, first);
        }
        free(got);
        snprintf(sql, sizeof sql,
                 "SELECT string_agg(DISTINCT compression, ',') FROM parquet_metadata('%s')", path);
        CHECK_SQL(sql, names[k]);
    }
}

static void test_e2e_zero_rows_and_options(void)
{
    all_types_schema();
    struct sl_buf out;
    sl_buf_init(&out, (size_t)1 << 30);
    struct pq_file_info info;
    CHECK_EQ_INT(write_all_types(&out, 0, NULL, &info), 0);
    CHECK_EQ_INT(info.rows, 0);
    CHECK_EQ_INT(info.row_groups, 0);
    const char *path = "snaplake_test_empty.parquet";
    CHECK(save(&out, path));
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT num_rows || '|' || num_row_groups FROM parquet_file_metadata('%s')", path);
    CHECK_SQL(sql, "0|0");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "0");

    /* Dictionaries disabled: every chunk PLAIN; custom created_by. */
    sl_buf_reset(&out);
    struct pq_options opt;
    pq_options_default(&opt);
    opt.dict_max_bytes = 0;
    opt.created_by = "snaplake version 9.9.9 (build test)";
    CHECK_EQ_INT(write_all_types(&out, 1000, &opt, &info), 0);
    path = "snaplake_test_nodict.parquet";
    CHECK(save(&out, path));
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM parquet_metadata('%s') WHERE dictionary_page_offset IS NOT "
             "NULL OR encodings LIKE '%%DICTIONARY%%'",
             path);
    CHECK_SQL(sql, "0");
    snprintf(sql, sizeof sql, "SELECT created_by FROM parquet_file_metadata('%s')", path);
    CHECK_SQL(sql, "snaplake version 9.9.9 (build test)");
    snprintf(sql, sizeof sql, "SELECT count(*) || '|' || count(b) FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "1000|666");

    /* Tiny limits: pages of 7 rows or 100 value bytes, a row group per slice. */
    sl_buf_reset(&out);
    pq_options_default(&opt);
    opt.page_rows = 7;
    opt.page_bytes = 100;
    opt.row_group_bytes = 1;
    CHECK_EQ_INT(write_all_types(&out, 9000, &opt, &info), 0);
    CHECK_EQ_INT(info.row_groups, 3); /* batches of 7000 rows: 4096 + 2904 + 2000 */
    path = "snaplake_test_tiny.parquet";
    CHECK(save(&out, path));
    snprintf(sql, sizeof sql,
             "SELECT count(*) || '|' || count(s) || '|' || max(fb) || '|' || min(dec38) "
             "FROM read_parquet('%s')",
             path);
    CHECK_SQL(sql, "9000|8181|unique_value_00008999|-250000000000000.0000000000");
    sl_buf_free(&out);

    /* Errors: NULL in a NOT NULL column; unknown codec name. */
    struct sl_err err = {0};
    struct pq_writer *w = NULL;
    struct sl_buf sink;
    sl_buf_init(&sink, 1 << 20);
    struct sl_batch *b = sl_batch_new(&all_schema, 10, 1 << 20);
    CHECK_EQ_INT(pq_writer_open(&w, &all_schema, NULL, mem_sink, &sink, &err), 0);
    fill_row(b, 1);
    b->cols[C_I64].valid[0] = 0;
    CHECK_EQ_INT(pq_writer_write(w, b, &err), SL_ERROR);
    CHECK_EQ_STR(err.stage, "parquet");
    CHECK_EQ_STR(err.object, "i64");
    pq_writer_free(w);
    sl_batch_free(b);
    sl_buf_free(&sink);
    enum pq_codec c;
    CHECK_EQ_INT(pq_codec_parse("zstd", &c), 0);
    CHECK_EQ_INT(c, PQ_CODEC_ZSTD);
    CHECK_EQ_INT(pq_codec_parse("lz4", &c), SL_ERROR);
}

int main(void)
{
    /* The files are written in a folder of this process's own, so two test
     * runs at once (CI and a developer, or several worktrees) never share one. */
    char dir[] = "/tmp/snaplake_test_parquet.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir)) {
        perror(dir);
        return 1;
    }
    RUN(test_thrift_logical_type_string);
    RUN(test_thrift_fields);
    RUN(test_thrift_lists);
    RUN(test_rle_levels);
    RUN(test_rle_bitpacked);
    RUN(test_rle_roundtrip);
    RUN(test_dict_bytes);
    RUN(test_dict_fixed);
    RUN(test_stats_strings_unsigned);
    RUN(test_stats_truncation);
    RUN(test_stats_floats);
    RUN(test_stats_decimal);
    RUN(test_decimal_encoding);
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "cannot open DuckDB\n");
        return 1;
    }
    RUN(test_e2e_all_types);
    RUN(test_e2e_codecs);
    RUN(test_e2e_zero_rows_and_options);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    /* The files stay while the tests run (for a look after a failure), not after. */
    const char *const files[] = {all_path, "snaplake_test_empty.parquet",
                                 "snaplake_test_nodict.parquet",
                                 "snaplake_test_tiny.parquet"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    for (int k = 0; k < 4; k++) {
        static const enum pq_codec codecs[] = {PQ_CODEC_NONE, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                                               PQ_CODEC_ZSTD};
        char path[128];
        snprintf(path, sizeof path, "snaplake_test_codec_%s.parquet",
                 pq_codec_name(codecs[k]));
        unlink(path);
    }
    if (chdir("/") == 0)
        rmdir(dir);
    return CHECK_DONE();
}
