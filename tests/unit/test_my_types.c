/*
 * test_my_types.c — MySQL / MariaDB type mapping and text-value decoding
 * (src/source/my_types.c): the edges of every family, zero dates, and the
 * values that must fail rather than be rounded or wrapped.
 */
#include "check.h"
#include "source/my_types.h"
#include "util/err.h"

#include <stdlib.h>

/* One column of the given MySQL type, mapped, and a one-row batch for it. */
struct one {
    struct sl_schema schema;
    struct sl_column col;
    enum my_kind kind;
    const char *cast;
    int64_t zero;
    struct my_decoder dec;
    struct sl_batch *b;
    char why[256];
};

static bool one_open(struct one *o, const char *dt, const char *ct, long prec, long scale)
{
    memset(o, 0, sizeof *o);
    bool exact = my_type_map(dt, ct, prec, scale, &o->col, &o->kind, &o->cast);
    o->schema = (struct sl_schema){.ncols = 1, .cols = &o->col};
    o->dec = (struct my_decoder){.columns = &o->schema, .kinds = &o->kind, .zero = &o->zero};
    o->b = sl_batch_new(&o->schema, 4, 1u << 20);
    return exact;
}

static int put(struct one *o, const char *text)
{
    sl_batch_reset(o->b);
    o->why[0] = 0;
    return my_decode_value(&o->dec, o->b, 0, text, strlen(text), o->why, sizeof o->why);
}

static int64_t i64(const struct one *o)
{
    return ((const int64_t *)o->b->cols[0].values)[0];
}
static int32_t i32(const struct one *o)
{
    return ((const int32_t *)o->b->cols[0].values)[0];
}

static void test_integers(void)
{
    struct one o;
    one_open(&o, "bigint", "bigint(20)", 19, 0);
    CHECK_EQ_INT(o.col.type, SL_T_INT64);
    CHECK_EQ_INT(put(&o, "-9223372036854775808"), SL_OK);
    CHECK(i64(&o) == INT64_MIN);
    CHECK_EQ_INT(put(&o, "9223372036854775807"), SL_OK);
    CHECK(i64(&o) == INT64_MAX);
    CHECK_EQ_INT(put(&o, "9223372036854775808"), SL_ERROR); /* never wraps */
    CHECK_EQ_INT(put(&o, "-9223372036854775809"), SL_ERROR);
    CHECK_EQ_INT(put(&o, "12a"), SL_ERROR);
    CHECK_EQ_INT(put(&o, "-"), SL_ERROR);
    CHECK_EQ_INT(put(&o, ""), SL_ERROR);
    sl_batch_free(o.b);

    one_open(&o, "bigint", "bigint(20) unsigned", 20, 0);
    CHECK_EQ_INT(o.col.type, SL_T_DECIMAL);
    CHECK_EQ_INT(o.col.precision, 20);
    CHECK_EQ_INT(put(&o, "18446744073709551615"), SL_OK);
    CHECK(((const sl_int128 *)o.b->cols[0].values)[0] == (sl_int128)UINT64_MAX);
    sl_batch_free(o.b);

    one_open(&o, "tinyint", "tinyint(3) unsigned", 3, 0);
    CHECK_EQ_INT(o.col.type, SL_T_INT16);
    CHECK_EQ_INT(put(&o, "255"), SL_OK);
    CHECK_EQ_INT(i32(&o), 255);
    sl_batch_free(o.b);

    one_open(&o, "int", "int(10) unsigned", 10, 0);
    CHECK_EQ_INT(o.col.type, SL_T_INT64);
    CHECK_EQ_INT(put(&o, "4294967295"), SL_OK);
    CHECK_EQ_INT(i64(&o), 4294967295LL);
    sl_batch_free(o.b);
}

static void test_decimals_and_floats(void)
{
    struct one o;
    CHECK(one_open(&o, "decimal", "decimal(38,10)", 38, 10));
    CHECK_EQ_INT(put(&o, "-9999999999999999999999999999.9999999999"), SL_OK);
    CHECK_EQ_INT(put(&o, "1.00000000001"), SL_ERROR); /* more digits than the scale */
    sl_batch_free(o.b);
    CHECK(!one_open(&o, "decimal", "decimal(65,30)", 65, 30));
    CHECK_EQ_INT(o.col.type, SL_T_STRING);
    sl_batch_free(o.b);
    CHECK(one_open(&o, "float", "float", 12, 0));
    CHECK_EQ_STR(o.cast, "CAST(%s AS DOUBLE)");
    CHECK_EQ_INT(put(&o, "3.4028234663852886e38"), SL_OK);
    CHECK(((const float *)o.b->cols[0].values)[0] == 3.4028234663852886e38f);
    sl_batch_free(o.b);
    CHECK(one_open(&o, "double", "double", 22, 0));
    CHECK_EQ_INT(put(&o, "5e-324"), SL_OK);
    CHECK(((const double *)o.b->cols[0].values)[0] == 5e-324);
    CHECK_EQ_INT(put(&o, "1e400x"), SL_ERROR);
    sl_batch_free(o.b);
}

static void test_time_and_dates(void)
{
    struct one o;
    one_open(&o, "time", "time(6)", 0, 0);
    CHECK_EQ_INT(o.col.type, SL_T_INT64);
    CHECK_EQ_INT(put(&o, "-838:59:59.000000"), SL_OK);
    CHECK_EQ_INT(i64(&o), -3020399000000LL);
    CHECK_EQ_INT(put(&o, "25:00:00.000001"), SL_OK);
    CHECK_EQ_INT(i64(&o), 90000000001LL);
    CHECK_EQ_INT(put(&o, "-00:00:01.5"), SL_OK);
    CHECK_EQ_INT(i64(&o), -1500000);
    CHECK_EQ_INT(put(&o, "12:60:00"), SL_ERROR);
    CHECK_EQ_INT(put(&o, "12:00:00.1234567"), SL_ERROR); /* past microseconds */
    sl_batch_free(o.b);

    one_open(&o, "date", "date", 0, 0);
    CHECK_EQ_INT(put(&o, "1970-01-02"), SL_OK);
    CHECK_EQ_INT(i32(&o), 1);
    CHECK_EQ_INT(put(&o, "0000-00-00"), SL_OK);
    CHECK_EQ_INT(o.b->cols[0].valid[0], 0);
    CHECK_EQ_INT(put(&o, "2020-00-15"), SL_OK);
    CHECK_EQ_INT(put(&o, "2020-01-00"), SL_OK);
    CHECK_EQ_INT(o.zero, 3);
    o.dec.zero_error = true;
    CHECK_EQ_INT(put(&o, "0000-00-00"), SL_ERROR);
    CHECK(strstr(o.why, "zero-dates=error") != NULL);
    sl_batch_free(o.b);

    one_open(&o, "timestamp", "timestamp(6)", 0, 0);
    CHECK_EQ_INT(o.col.type, SL_T_TIMESTAMPTZ);
    CHECK_EQ_INT(put(&o, "1970-01-01 00:00:01.000001"), SL_OK);
    CHECK_EQ_INT(i64(&o), 1000001);
    CHECK_EQ_INT(put(&o, "0000-00-00 00:00:00"), SL_OK);
    CHECK_EQ_INT(o.zero, 1);
    sl_batch_free(o.b);
    one_open(&o, "datetime", "datetime", 0, 0);
    CHECK_EQ_INT(o.col.type, SL_T_TIMESTAMP);
    sl_batch_free(o.b);
}

static void test_bits_text_and_others(void)
{
    struct one o;
    one_open(&o, "bit", "bit(10)", 10, 0);
    CHECK_EQ_INT(o.col.type, SL_T_INT64);
    CHECK_EQ_INT(put(&o, "\x03\xff"), SL_OK);
    CHECK_EQ_INT(i64(&o), 1023);
    sl_batch_free(o.b);
    one_open(&o, "bit", "bit(64)", 64, 0);
    CHECK_EQ_INT(o.col.type, SL_T_DECIMAL);
    CHECK_EQ_INT(put(&o, "\xff\xff\xff\xff\xff\xff\xff\xff"), SL_OK);
    CHECK(((const sl_int128 *)o.b->cols[0].values)[0] == (sl_int128)UINT64_MAX);
    sl_batch_free(o.b);

    one_open(&o, "varchar", "varchar(10)", 0, 0);
    CHECK_EQ_INT(put(&o, "h\xe2\x82\xacllo"), SL_OK);
    CHECK_EQ_INT(put(&o, "\x80"), SL_ERROR); /* not UTF-8: the charset lied */
    sl_batch_free(o.b);
    one_open(&o, "json", "json", 0, 0);
    CHECK_EQ_INT(o.col.type, SL_T_JSON);
    sl_batch_free(o.b);
    one_open(&o, "point", "point", 0, 0);
    CHECK_EQ_INT(o.col.type, SL_T_BINARY);
    CHECK_EQ_STR(o.cast, "ST_AsBinary(%s)");
    sl_batch_free(o.b);
    CHECK(!one_open(&o, "inet6", "inet6", 0, 0));
    CHECK_EQ_INT(o.col.type, SL_T_STRING);
    CHECK_EQ_STR(o.cast, "CAST(%s AS CHAR)");
    sl_batch_free(o.b);
}

int main(void)
{
    RUN(test_integers);
    RUN(test_decimals_and_floats);
    RUN(test_time_and_dates);
    RUN(test_bits_text_and_others);
    return CHECK_DONE();
}
