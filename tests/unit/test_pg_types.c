/*
 * test_pg_types.c — PostgreSQL type mapping and binary field decoding
 * (src/source/pg_types.c), on hand-made send-format bytes: the cases a live
 * server rarely produces (malformed fields, digits past int128) as well as
 * the edges tests/e2e/postgres.sh checks end to end.
 */
#include "check.h"
#include "util/utf8.h"
#include "source/pg_types.h"
#include "util/decimal.h"
#include "util/err.h"

#include <limits.h>
#include <stdlib.h>

/* A binary numeric: sign, weight, dscale and base-10000 digits. */
static size_t numeric_bytes(uint8_t *out, uint16_t sign, int weight, int dscale, int n,
                            const int *digits)
{
    int16_t head[4] = {(int16_t)n, (int16_t)weight, (int16_t)sign, (int16_t)dscale};
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        out[o++] = (uint8_t)((uint16_t)head[i] >> 8);
        out[o++] = (uint8_t)head[i];
    }
    for (int i = 0; i < n; i++) {
        out[o++] = (uint8_t)(digits[i] >> 8);
        out[o++] = (uint8_t)digits[i];
    }
    return o;
}

struct one {
    struct sl_column col;
    struct sl_schema schema;
    struct sl_batch *b;
    struct pg_decoder dec;
    char why[256];
};

static void one_open(struct one *o, enum sl_type t, int p, int s)
{
    memset(o, 0, sizeof *o);
    o->col.type = t;
    o->col.precision = p;
    o->col.scale = s;
    snprintf(o->col.name, sizeof o->col.name, "c");
    o->schema.ncols = 1;
    o->schema.cols = &o->col;
    o->b = sl_batch_new(&o->schema, 4, 1 << 20);
    sl_buf_init(&o->dec.scratch, 1 << 20);
}

static void one_close(struct one *o)
{
    sl_batch_free(o->b);
    sl_buf_free(&o->dec.scratch);
}

static int decode(struct one *o, enum pg_kind k, const uint8_t *p, size_t n)
{
    sl_batch_reset(o->b);
    o->why[0] = 0;
    return pg_decode_field(&o->dec, k, &o->col, p, n, o->b, 0, o->why, sizeof o->why);
}

static sl_int128 dec_value(const struct one *o)
{
    return o->col.precision <= 18 ? (sl_int128)((int64_t *)o->b->cols[0].values)[0]
                                  : ((sl_int128 *)o->b->cols[0].values)[0];
}

static void test_numeric_decimal(void)
{
    struct one o;
    uint8_t buf[64];
    char txt[64];
    one_open(&o, SL_T_DECIMAL, 10, 2);
    /* 12345.67: weight 1, digits 1 2345 6700 */
    int d1[] = {1, 2345, 6700};
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 1, 2, 3, d1)), 0);
    sl_decimal_format(dec_value(&o), 2, txt, sizeof txt);
    CHECK_EQ_STR(txt, "12345.67");
    /* -0.01: weight -1, digit 100 */
    int d2[] = {100};
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0x4000, -1, 2, 1, d2)), 0);
    sl_decimal_format(dec_value(&o), 2, txt, sizeof txt);
    CHECK_EQ_STR(txt, "-0.01");
    /* zero has no digits */
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 0, 0, 0, NULL)), 0);
    CHECK(dec_value(&o) == 0);
    /* 100000000.00 needs 11 digits: does not fit (10,2) */
    int d3[] = {1};
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 2, 0, 1, d3)), SL_ERROR);
    CHECK(strstr(o.why, "does not fit DECIMAL(10,2)") != NULL);
    /* 0.001 has more fractional digits than the scale */
    int d4[] = {10};
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, -1, 3, 1, d4)), SL_ERROR);
    CHECK(strstr(o.why, "fractional digits") != NULL);
    /* NaN */
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0xC000, 0, 0, 0, NULL)),
                 SL_ERROR);
    CHECK(strstr(o.why, "NaN") != NULL);
    /* malformed: length disagrees with ndigits, digit > 9999, bad sign */
    numeric_bytes(buf, 0, 0, 0, 2, (int[]){1, 2});
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, 10), SL_ERROR);
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 0, 0, 1, (int[]){10000})),
                 SL_ERROR);
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0x1234, 0, 0, 1, d3)),
                 SL_ERROR);
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, 3), SL_ERROR);
    one_close(&o);

    /* 38 nines at scale 10: 10 base-10000 groups, more than int128 before scaling */
    one_open(&o, SL_T_DECIMAL, 38, 10);
    int d5[] = {9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9900};
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0x4000, 6, 10, 10, d5)), 0);
    sl_decimal_format(dec_value(&o), 10, txt, sizeof txt);
    CHECK_EQ_STR(txt, "-9999999999999999999999999999.9999999999");
    /* 10^28 does not fit */
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 7, 0, 1, d3)), SL_ERROR);
    /* a huge weight is an error, not an overflow */
    CHECK_EQ_INT(decode(&o, PGK_NUMERIC, buf, numeric_bytes(buf, 0, 3000, 0, 1, d3)), SL_ERROR);
    one_close(&o);
}

static void test_numeric_text(void)
{
    struct one o;
    uint8_t buf[64];
    one_open(&o, SL_T_STRING, 0, 0);
    struct {
        uint16_t sign;
        int weight, dscale, n, d[4];
        const char *want;
    } cases[] = {
        {0, 1, 4, 3, {1, 2345, 6700}, "12345.6700"},
        {0x4000, -1, 5, 1, {100}, "-0.01000"},
        {0, -2, 6, 1, {1200}, "0.000012"},
        {0, -2, 8, 1, {12}, "0.00000012"},
        {0, 2, 0, 1, {5}, "500000000"},
        {0, 0, 0, 0, {0}, "0"},
        {0, 0, 2, 0, {0}, "0.00"},
        {0xC000, 0, 0, 0, {0}, "NaN"},
        {0xD000, 0, 0, 0, {0}, "Infinity"},
        {0xF000, 0, 0, 0, {0}, "-Infinity"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = numeric_bytes(buf, cases[i].sign, cases[i].weight, cases[i].dscale,
                                 cases[i].n, cases[i].d);
        CHECK_EQ_INT(decode(&o, PGK_NUMERIC_TEXT, buf, n), 0);
        uint32_t len;
        const uint8_t *p = sl_batch_bytes(o.b, 0, 0, &len);
        char got[64];
        snprintf(got, sizeof got, "%.*s", (int)len, (const char *)p);
        CHECK_EQ_STR(got, cases[i].want);
    }
    one_close(&o);
}

static void test_dates_and_times(void)
{
    struct one o;
    one_open(&o, SL_T_DATE, 0, 0);
    uint8_t d0[4] = {0, 0, 0, 0}; /* 2000-01-01 */
    CHECK_EQ_INT(decode(&o, PGK_DATE, d0, 4), 0);
    CHECK_EQ_INT(((int32_t *)o.b->cols[0].values)[0], 10957);
    uint8_t inf[4] = {0x7f, 0xff, 0xff, 0xff}, ninf[4] = {0x80, 0, 0, 0};
    CHECK_EQ_INT(decode(&o, PGK_DATE, inf, 4), SL_ERROR);
    CHECK_EQ_STR(o.why, "infinity cannot be exported exactly");
    CHECK_EQ_INT(decode(&o, PGK_DATE, ninf, 4), SL_ERROR);
    CHECK_EQ_STR(o.why, "-infinity cannot be exported exactly");
    CHECK_EQ_INT(decode(&o, PGK_DATE, d0, 3), SL_ERROR);
    one_close(&o);

    one_open(&o, SL_T_TIMESTAMP, 0, 0);
    uint8_t ts[8] = {0xff, 0xfc, 0xa2, 0xfe, 0xc4, 0xc8, 0x20, 0x00}; /* -946684800000000: 1970 */
    CHECK_EQ_INT(decode(&o, PGK_TIMESTAMP, ts, 8), 0);
    CHECK_EQ_INT(((int64_t *)o.b->cols[0].values)[0], 0);
    uint8_t tinf[8] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ_INT(decode(&o, PGK_TIMESTAMPTZ, tinf, 8), SL_ERROR);
    uint8_t tbig[8] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00}; /* overflows with +epoch */
    CHECK_EQ_INT(decode(&o, PGK_TIMESTAMP, tbig, 8), SL_ERROR);
    one_close(&o);

    one_open(&o, SL_T_TIME, 0, 0);
    uint8_t t24[8] = {0, 0, 0, 0x14, 0x1d, 0xd7, 0x60, 0x00}; /* 86400000000 = 24:00:00 */
    CHECK_EQ_INT(decode(&o, PGK_TIME, t24, 8), 0);
    uint8_t tneg[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ_INT(decode(&o, PGK_TIME, tneg, 8), SL_ERROR);
    one_close(&o);
}

static void test_mapping(void)
{
    struct sl_column c;
    bool lossy;
    struct pg_type_info num = {.oid = 1700, .typmod = ((12 << 16) | 2) + 4, .typtype = 'b'};
    CHECK_EQ_INT(pg_type_map(&num, &c, &lossy), PGK_NUMERIC);
    CHECK(c.type == SL_T_DECIMAL && c.precision == 12 && c.scale == 2 && !lossy);
    num.typmod = ((3 << 16) | (-2 & 0x7ff)) + 4; /* numeric(3,-2) */
    CHECK_EQ_INT(pg_type_map(&num, &c, &lossy), PGK_NUMERIC);
    CHECK(c.precision == 5 && c.scale == 0);
    num.typmod = ((2 << 16) | 5) + 4; /* numeric(2,5) */
    pg_type_map(&num, &c, &lossy);
    CHECK(c.precision == 5 && c.scale == 5);
    num.typmod = -1;
    CHECK_EQ_INT(pg_type_map(&num, &c, &lossy), PGK_NUMERIC_TEXT);
    CHECK(c.type == SL_T_STRING && lossy);
    num.typmod = ((39 << 16) | 0) + 4;
    CHECK_EQ_INT(pg_type_map(&num, &c, &lossy), PGK_NUMERIC_TEXT);
    struct pg_type_info money = {.oid = 790, .typmod = -1, .typtype = 'b'};
    CHECK_EQ_INT(pg_type_map(&money, &c, &lossy), PGK_MONEY);
    CHECK(c.precision == 19 && c.scale == 2);
    struct pg_type_info en = {.oid = 99999, .typmod = -1, .typtype = 'e'};
    CHECK_EQ_INT(pg_type_map(&en, &c, &lossy), PGK_TEXT);
    CHECK(!lossy);
    struct pg_type_info ci = {.oid = 99998, .typmod = -1, .typtype = 'b', .name = "citext"};
    CHECK_EQ_INT(pg_type_map(&ci, &c, &lossy), PGK_TEXT);
    struct pg_type_info iv = {.oid = 1186, .typmod = -1, .typtype = 'b', .name = "interval"};
    CHECK_EQ_INT(pg_type_map(&iv, &c, &lossy), PGK_CAST_TEXT);
    CHECK(lossy && c.type == SL_T_STRING);
}

static void test_text_checks(void)
{
    struct one o;
    one_open(&o, SL_T_JSON, 0, 0);
    const uint8_t jsonb[] = {1, '{', '}'};
    CHECK_EQ_INT(decode(&o, PGK_JSONB, jsonb, 3), 0);
    uint32_t len;
    sl_batch_bytes(o.b, 0, 0, &len);
    CHECK_EQ_INT(len, 2);
    const uint8_t jsonb2[] = {2, '{', '}'};
    CHECK_EQ_INT(decode(&o, PGK_JSONB, jsonb2, 3), SL_ERROR);
    o.dec.check_utf8 = true;
    const uint8_t bad[] = {'a', 0xc3};
    CHECK_EQ_INT(decode(&o, PGK_TEXT, bad, 2), SL_ERROR);
    const uint8_t good[] = {'a', 0xc3, 0xa9};
    CHECK_EQ_INT(decode(&o, PGK_TEXT, good, 3), 0);
    one_close(&o);
    CHECK(sl_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
    CHECK(!sl_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
    CHECK(!sl_utf8_valid((const uint8_t *)"\xc0\x80", 2));     /* overlong */
}

int main(void)
{
    RUN(test_numeric_decimal);
    RUN(test_numeric_text);
    RUN(test_dates_and_times);
    RUN(test_mapping);
    RUN(test_text_checks);
    return CHECK_DONE();
}
