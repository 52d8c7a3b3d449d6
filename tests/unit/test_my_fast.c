/*
 * test_my_fast.c — the MySQL source's fast decoders against the general ones:
 *   - text protocol: my_decode_value's fast paths for DECIMAL, DATE and
 *     DATETIME (my_types.c) give exactly what sl_decimal_parse,
 *     sl_parse_date and sl_parse_timestamp give — value or failure — over
 *     generated values, malformed ones, the calendar's edges and the day
 *     cache;
 *   - binary protocol: my_binary_value (my_binary.c) on hand-made rows:
 *     integer ranges, FLOAT/DOUBLE bits, dates, zero dates, negative TIME,
 *     text through the text decoder, and that a failure stops decoding but
 *     still walks the row.
 */
#include "check.h"
#include "source/my_binary.h"
#include "source/my_types.h"
#include "util/datetime.h"
#include "util/decimal.h"
#include "util/err.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

struct one {
    struct sl_schema schema;
    struct sl_column col;
    enum my_kind kind;
    const char *cast;
    int64_t zero;
    struct my_day_cache cache;
    struct my_decoder dec;
    struct sl_batch *b;
    char why[256];
};

static void one_open(struct one *o, const char *dt, const char *ct, long prec, long scale)
{
    memset(o, 0, sizeof *o);
    my_type_map(dt, ct, prec, scale, &o->col, &o->kind, &o->cast);
    o->schema = (struct sl_schema){.ncols = 1, .cols = &o->col};
    o->dec = (struct my_decoder){
        .columns = &o->schema, .kinds = &o->kind, .zero = &o->zero, .days = &o->cache};
    o->b = sl_batch_new(&o->schema, 4, 1u << 20);
}

static int put(struct one *o, const char *text)
{
    sl_batch_reset(o->b);
    return my_decode_value(&o->dec, o->b, 0, text, strlen(text), o->why, sizeof o->why);
}

static int64_t i64(const struct one *o)
{
    return ((const int64_t *)o->b->cols[0].values)[0];
}

static sl_int128 i128(const struct one *o)
{
    return ((const sl_int128 *)o->b->cols[0].values)[0];
}

static unsigned long long lcg(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 17;
}

/* decimal(p,s) text vs sl_decimal_parse: same acceptance, same value. */
static void same_decimal(struct one *o, const char *v)
{
    sl_int128 want;
    char why[256];
    int wrc =
        sl_decimal_parse(v, strlen(v), o->col.precision, o->col.scale, &want, why, sizeof why);
    int rc = put(o, v);
    CHECK_EQ_INT(rc, wrc);
    if (rc != wrc)
        fprintf(stderr, "    value '%s' (decimal(%d,%d))\n", v, o->col.precision, o->col.scale);
    if (!rc && !wrc) {
        sl_int128 got = o->col.precision <= 18 ? (sl_int128)i64(o) : i128(o);
        CHECK(got == want);
        if (got != want)
            fprintf(stderr, "    value '%s'\n", v);
    }
}

static void test_decimal_fast_path(void)
{
    static const struct {
        long p, s;
    } types[] = {{12, 2}, {5, 2}, {18, 0}, {18, 18}, {10, 0}, {38, 10}, {20, 0}, {19, 4}, {1, 0}};
    static const char *const fixed[] = {"0",
                                        "-0",
                                        "0.00",
                                        "-0.00",
                                        "1",
                                        "-1",
                                        "999.99",
                                        "-999.99",
                                        "1000.00",
                                        "123.4",
                                        "123.456",
                                        "12.",
                                        ".5",
                                        "+1.00",
                                        "1e2",
                                        "00012.50",
                                        "",
                                        "-",
                                        "1.2.3",
                                        "1,00",
                                        "999999999999999999",
                                        "-999999999999999999",
                                        "9999999999999999.99",
                                        "99999999999999999.99",
                                        "0.000000000000000001",
                                        "999999999999999999.0000",
                                        "18446744073709551615",
                                        "9223372036854775808",
                                        " 1.00",
                                        "1.00 ",
                                        "12a.00"};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        struct one o;
        char desc[32];
        snprintf(desc, sizeof desc, "decimal(%ld,%ld)", types[t].p, types[t].s);
        one_open(&o, "decimal", desc, types[t].p, types[t].s);
        for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
            same_decimal(&o, fixed[k]);
        unsigned long long seed = 42 + t;
        for (int k = 0; k < 20000; k++) {
            /* the server's form: [-]int.frac with exactly s digits, int up to p-s+1 digits */
            char v[80];
            int len = 0,
                nint = 1 + (int)(lcg(&seed) % (unsigned long long)(types[t].p - types[t].s + 2));
            if (lcg(&seed) % 2)
                v[len++] = '-';
            for (int j = 0; j < nint; j++)
                v[len++] =
                    (char)('0' + (j == 0 && nint > 1 ? 1 + lcg(&seed) % 9 : lcg(&seed) % 10));
            if (types[t].s) {
                v[len++] = '.';
                int nf = (int)types[t].s + (k % 7 == 0 ? (int)(lcg(&seed) % 3) - 1 : 0);
                for (int j = 0; j < nf; j++)
                    v[len++] = (char)('0' + lcg(&seed) % 10);
            }
            v[len] = 0;
            same_decimal(&o, v);
        }
        sl_batch_free(o.b);
    }
    struct one o;
    one_open(&o, "bigint", "bigint(20) unsigned", 20, 0);
    same_decimal(&o, "18446744073709551615");
    same_decimal(&o, "999999999999999999");
    same_decimal(&o, "0");
    sl_batch_free(o.b);
}

/* datetime text vs sl_parse_timestamp (after the zero-date rule). */
static void same_datetime(struct one *o, const char *v, bool date)
{
    size_t n = strlen(v);
    bool zero = n >= 10 && ((v[5] == '0' && v[6] == '0') || (v[8] == '0' && v[9] == '0'));
    int64_t want = 0;
    int32_t wdays = 0;
    char why[256];
    int wrc = zero   ? SL_OK
              : date ? sl_parse_date(v, n, &wdays, why, sizeof why)
                     : sl_parse_timestamp(v, n, &want, NULL, why, sizeof why);
    int rc = put(o, v);
    CHECK_EQ_INT(rc, wrc);
    if (rc != wrc)
        fprintf(stderr, "    value '%s'\n", v);
    if (!rc && !wrc && !zero) {
        int64_t got = date ? ((const int32_t *)o->b->cols[0].values)[0] : i64(o);
        CHECK_EQ_INT(got, date ? wdays : want);
        if (got != (date ? wdays : want))
            fprintf(stderr, "    value '%s'\n", v);
    }
    if (!rc && zero)
        CHECK_EQ_INT(o->b->cols[0].valid[0], 0);
}

static void test_datetime_fast_path(void)
{
    static const char *const fixed[] = {"1970-01-01 00:00:00",
                                        "1969-12-31 23:59:59.999999",
                                        "0000-01-01 00:00:00",
                                        "9999-12-31 23:59:59.999999",
                                        "2000-02-29 12:00:00",
                                        "1900-02-29 12:00:00",
                                        "2100-02-29 00:00:00",
                                        "2024-02-29 00:00:00.5",
                                        "2023-02-29 00:00:00",
                                        "2024-04-31 00:00:00",
                                        "2024-13-01 00:00:00",
                                        "2024-01-32 00:00:00",
                                        "2024-01-01 24:00:00",
                                        "2024-01-01 23:60:00",
                                        "2024-01-01 23:59:60",
                                        "2024-01-01 23:59:59.",
                                        "2024-01-01 23:59:59.1234567",
                                        "2024-01-01 23:59:59.1200000",
                                        "2024-01-01T23:59:59",
                                        "2024-01-01 23:59",
                                        "2024-01-01",
                                        "2024-1-01 00:00:00",
                                        "2024-01-01 00:00:00Z",
                                        "2024-01-01 00:00:00+01:00",
                                        "0000-00-00 00:00:00",
                                        "2020-00-15 00:00:00",
                                        "2020-01-00 00:00:00",
                                        "abcd-01-01 00:00:00",
                                        "2024-01-01 0a:00:00",
                                        "2024-01-01 00:00:00.12a"};
    struct one o;
    one_open(&o, "datetime", "datetime(6)", 0, 0);
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
        same_datetime(&o, fixed[k], false);
    unsigned long long seed = 7;
    for (int k = 0; k < 50000; k++) {
        char v[40];
        int fd = (int)(lcg(&seed) % 7);
        int n = snprintf(v, sizeof v, "%04llu-%02llu-%02llu %02llu:%02llu:%02llu",
                         lcg(&seed) % 10000, lcg(&seed) % 14, lcg(&seed) % 33, lcg(&seed) % 25,
                         lcg(&seed) % 61, lcg(&seed) % 61);
        if (fd) {
            v[n++] = '.';
            for (int j = 0; j < fd; j++)
                v[n++] = (char)('0' + lcg(&seed) % 10);
            v[n] = 0;
        }
        same_datetime(&o, v, false);
        if (k % 3 == 0) /* the same day again: through the cache */
            same_datetime(&o, v, false);
    }
    sl_batch_free(o.b);

    one_open(&o, "date", "date", 0, 0);
    for (int k = 0; k < 20000; k++) {
        char v[40];
        snprintf(v, sizeof v, "%04llu-%02llu-%02llu", lcg(&seed) % 10000, lcg(&seed) % 14,
                 lcg(&seed) % 33);
        same_datetime(&o, v, true);
        same_datetime(&o, v, true);
    }
    same_datetime(&o, "2024-02-29", true);
    same_datetime(&o, "2024-02-2", true);
    same_datetime(&o, "2024-02-29 ", true);
    sl_batch_free(o.b);
}

/* ---- binary protocol ------------------------------------------------- */

struct brow {
    struct sl_column cols[8];
    enum my_kind kinds[8];
    enum my_wire wire[8];
    enum my_store store[8];
    MYSQL_FIELD fields[8];
    struct sl_schema schema;
    int64_t zero[8];
    struct my_day_cache days[8];
    struct my_decoder dec;
    struct my_binary_row st;
    struct sl_batch *b;
    int n;
};

static void add_col(struct brow *r, const char *dt, const char *ct, long prec, long scale,
                    enum enum_field_types type, unsigned flags)
{
    const char *cast;
    my_type_map(dt, ct, prec, scale, &r->cols[r->n], &r->kinds[r->n], &cast);
    r->fields[r->n].type = type;
    r->fields[r->n].flags = flags;
    r->n++;
}

static bool brow_open(struct brow *r)
{
    r->schema = (struct sl_schema){.ncols = r->n, .cols = r->cols};
    r->dec = (struct my_decoder){
        .columns = &r->schema, .kinds = r->kinds, .zero = r->zero, .days = r->days};
    r->b = sl_batch_new(&r->schema, 8, 1u << 20);
    r->st = (struct my_binary_row){
        .dec = &r->dec, .b = r->b, .wire = r->wire, .store = r->store, .bad = -1, .key_col = 0};
    return my_binary_plan(&r->dec, r->fields, (unsigned)r->n, r->wire, r->store);
}

/* Feed one value (bytes, or NULL) for column col; checks the callback moved
 * past exactly len bytes. */
static void feed(struct brow *r, int col, const void *bytes, size_t len)
{
    unsigned char buf[64];
    if (!bytes) {
        my_binary_value(&r->st, (unsigned)col, NULL);
        return;
    }
    memcpy(buf, bytes, len);
    unsigned char *p = buf;
    my_binary_value(&r->st, (unsigned)col, &p);
    CHECK_EQ_INT(p - buf, (long long)len);
}

static void test_binary_values(void)
{
    struct brow r;
    memset(&r, 0, sizeof r);
    add_col(&r, "bigint", "bigint(20)", 19, 0, MYSQL_TYPE_LONGLONG, 0);
    add_col(&r, "tinyint", "tinyint(3) unsigned", 3, 0, MYSQL_TYPE_TINY, UNSIGNED_FLAG);
    add_col(&r, "bigint", "bigint(20) unsigned", 20, 0, MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG);
    add_col(&r, "float", "float", 12, 0, MYSQL_TYPE_FLOAT, 0);
    add_col(&r, "datetime", "datetime(6)", 0, 0, MYSQL_TYPE_DATETIME, 0);
    add_col(&r, "time", "time(6)", 0, 0, MYSQL_TYPE_TIME, 0);
    add_col(&r, "decimal", "decimal(12,2)", 12, 2, MYSQL_TYPE_NEWDECIMAL, 0);
    add_col(&r, "year", "year(4)", 4, 0, MYSQL_TYPE_YEAR, UNSIGNED_FLAG);
    CHECK(brow_open(&r));

    static const unsigned char id[8] = {0, 0, 0, 0, 0, 0, 0, 0x80}; /* INT64_MIN */
    static const unsigned char tu = 255;
    static const unsigned char bu[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    float fmax = FLT_MAX;
    unsigned char fl[4];
    memcpy(fl, &fmax, 4); /* the test host is little-endian, as the wire is */
    static const unsigned char dtm[12] = {11, 0x0f, 0x27, 12, 31, 23, 59, 59, 0x3f, 0x42, 0x0f, 0};
    static const unsigned char tm[13] = {12, 1, 34, 0, 0, 0, 22, 59, 59, 1, 0, 0, 0};
    static const unsigned char dec[7] = {5, '-', '9', '.', '9', '9', 'x'};
    static const unsigned char yr[2] = {0x6b, 0x08}; /* 2155 */
    feed(&r, 0, id, 8);
    feed(&r, 1, &tu, 1);
    feed(&r, 2, bu, 8);
    feed(&r, 3, fl, 4);
    feed(&r, 4, dtm, 12);
    feed(&r, 5, tm, 13);
    feed(&r, 6, dec, 6); /* "-9.99": the 'x' is the next value's */
    feed(&r, 7, yr, 2);
    CHECK_EQ_INT(r.st.bad, -1);
    if (r.st.bad >= 0)
        fprintf(stderr, "    column %d: %s\n", r.st.bad, r.st.why);
    sl_batch_end_row(r.b);
    CHECK(((const int64_t *)r.b->cols[0].values)[0] == INT64_MIN);
    CHECK_EQ_INT(((const int32_t *)r.b->cols[1].values)[0], 255);
    CHECK(((const sl_int128 *)r.b->cols[2].values)[0] == (sl_int128)UINT64_MAX);
    CHECK(((const float *)r.b->cols[3].values)[0] == FLT_MAX);
    CHECK_EQ_INT(((const int64_t *)r.b->cols[4].values)[0], 253402300799999999LL);
    CHECK_EQ_INT(((const int64_t *)r.b->cols[5].values)[0], -3020399000001LL);
    CHECK_EQ_INT(((const int64_t *)r.b->cols[6].values)[0], -999);
    CHECK_EQ_INT(((const int32_t *)r.b->cols[7].values)[0], 2155);
    CHECK(r.st.key_set && r.st.key == INT64_MIN);

    /* Row 2: NULLs, a zero DATETIME (length 0), TIME zero (length 0). */
    static const unsigned char zero_len[1] = {0};
    static const unsigned char one[8] = {1};
    feed(&r, 0, one, 8);
    feed(&r, 1, NULL, 0);
    feed(&r, 2, NULL, 0);
    feed(&r, 3, NULL, 0);
    feed(&r, 4, zero_len, 1);
    feed(&r, 5, zero_len, 1);
    feed(&r, 6, NULL, 0);
    feed(&r, 7, NULL, 0);
    CHECK_EQ_INT(r.st.bad, -1);
    CHECK_EQ_INT(r.b->cols[4].valid[1], 0);
    CHECK_EQ_INT(r.zero[4], 1);
    CHECK_EQ_INT(((const int64_t *)r.b->cols[5].values)[1], 0);
    sl_batch_end_row(r.b);

    /* Row 3: 2023-02-29 is no date: a failure; the rest of the row is still
     * walked (the library needs the position) but not decoded. */
    static const unsigned char bad[5] = {4, 0xe7, 0x07, 2, 29};
    feed(&r, 0, one, 8);
    feed(&r, 1, &tu, 1);
    feed(&r, 2, bu, 8);
    feed(&r, 3, fl, 4);
    feed(&r, 4, bad, 5);
    feed(&r, 5, tm, 13);
    feed(&r, 6, dec, 6);
    feed(&r, 7, yr, 2);
    CHECK_EQ_INT(r.st.bad, 4);
    CHECK(strstr(r.st.why, "no such calendar date") != NULL);
    sl_batch_free(r.b);

    /* zero-dates=error: the message quotes the date as text. */
    memset(&r, 0, sizeof r);
    add_col(&r, "int", "int(11)", 10, 0, MYSQL_TYPE_LONG, 0);
    add_col(&r, "date", "date", 0, 0, MYSQL_TYPE_DATE, 0);
    CHECK(brow_open(&r));
    r.dec.zero_error = true;
    static const unsigned char d0[5] = {4, 0xe4, 0x07, 0, 15};
    static const unsigned char i3[4] = {3, 0, 0, 0};
    feed(&r, 0, i3, 4);
    feed(&r, 1, d0, 5);
    CHECK_EQ_INT(r.st.bad, 1);
    CHECK_EQ_STR(r.st.why, "a zero date '2020-00-15' (the source URL says zero-dates=error)");
    sl_batch_free(r.b);
    memset(&r, 0, sizeof r);
    add_col(&r, "int", "int(11)", 10, 0, MYSQL_TYPE_LONG, 0);
    add_col(&r, "datetime", "datetime", 0, 0, MYSQL_TYPE_DATETIME, 0);
    CHECK(brow_open(&r));
    r.dec.zero_error = true;
    static const unsigned char dt0[8] = {7, 0xe4, 0x07, 0, 15, 10, 11, 12};
    feed(&r, 0, i3, 4);
    feed(&r, 1, dt0, 8);
    CHECK_EQ_INT(r.st.bad, 1);
    CHECK_EQ_STR(r.st.why,
                 "a zero date '2020-00-15 10:11:12' (the source URL says zero-dates=error)");
    sl_batch_free(r.b);

    /* A wire type the column's decoder does not take: no binary plan. */
    memset(&r, 0, sizeof r);
    add_col(&r, "date", "date", 0, 0, MYSQL_TYPE_LONG, 0);
    CHECK(!brow_open(&r));
    sl_batch_free(r.b);
    /* An out-of-range integer for the column is an error, not a wrap. */
    memset(&r, 0, sizeof r);
    add_col(&r, "smallint", "smallint(6)", 5, 0, MYSQL_TYPE_LONG, 0);
    CHECK(brow_open(&r));
    static const unsigned char big[4] = {0, 0, 1, 0};
    feed(&r, 0, big, 4);
    CHECK_EQ_INT(r.st.bad, 0);
    sl_batch_free(r.b);
}

int main(void)
{
    RUN(test_decimal_fast_path);
    RUN(test_datetime_fast_path);
    RUN(test_binary_values);
    return CHECK_DONE();
}
