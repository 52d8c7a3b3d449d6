/*
 * test_util.c — dates, decimals, safe names, capped buffers.
 */
#include "check.h"
#include "source/source.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/decimal.h"
#include "util/mem.h"

#include <stdlib.h>

static void test_days_from_civil(void)
{
    CHECK_EQ_INT(sl_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(sl_days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(sl_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(sl_days_from_civil(1, 1, 1), -719162);
    CHECK_EQ_INT(sl_days_from_civil(9999, 12, 31), 2932896);
    for (int64_t d = -800000; d < 3000000; d += 997) {
        int64_t y;
        unsigned m, dd;
        sl_civil_from_days(d, &y, &m, &dd);
        CHECK_EQ_INT(sl_days_from_civil(y, m, dd), d);
    }
}

static void test_parse_date(void)
{
    int32_t d;
    char why[128];
    CHECK_EQ_INT(sl_parse_date("2024-02-29", 10, &d, why, sizeof why), 0);
    CHECK_EQ_INT(d, 19782);
    CHECK(sl_parse_date("2023-02-29", 10, &d, why, sizeof why) != 0);
    CHECK(sl_parse_date("2024-13-01", 10, &d, why, sizeof why) != 0);
    CHECK(sl_parse_date("2024-1-01", 9, &d, why, sizeof why) != 0);
    CHECK(sl_parse_date("2024-01-01 00:00", 16, &d, why, sizeof why) != 0);
    CHECK(sl_parse_date("not a date", 10, &d, why, sizeof why) != 0);
}

static void test_parse_timestamp(void)
{
    int64_t us;
    int off;
    char why[128], buf[64];
    const char *s = "2024-03-05 17:42:09.123456";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    sl_format_timestamp(us, buf, sizeof buf);
    CHECK_EQ_STR(buf, s);
    CHECK_EQ_INT(off, 0);
    s = "2024-03-05T17:42:09.5+09:00";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    sl_format_timestamp(us, buf, sizeof buf);
    CHECK_EQ_STR(buf, "2024-03-05 08:42:09.500000");
    CHECK_EQ_INT(off, 1);
    s = "1969-12-31 23:59:59.999999Z";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    CHECK_EQ_INT(us, -1);
    s = "2024-03-05";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    CHECK_EQ_INT(us % 86400000000LL, 0);
    s = "2024-03-05 10:00:00.1234567";
    CHECK(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why) != 0);
    s = "2024-03-05 10:00:00.1234560";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    s = "2024-03-05 24:00:00";
    CHECK(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why) != 0);
    s = "9999-12-31T23:59:59.3-01"; /* an hour past 9999 in UTC */
    CHECK(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why) != 0);
    s = "0000-01-01 00:00+01";
    CHECK(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why) != 0);
    s = "9999-12-31 23:59:59.999999";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    s = "0000-01-01 00:00:00";
    CHECK_EQ_INT(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why), 0);
    s = "2024-03-05 10:00:00 junk";
    CHECK(sl_parse_timestamp(s, strlen(s), &us, &off, why, sizeof why) != 0);
}

static void dec_ok(const char *s, int p, int sc, const char *expect)
{
    sl_int128 v;
    char why[256], buf[64];
    int rc = sl_decimal_parse(s, strlen(s), p, sc, &v, why, sizeof why);
    CHECK_EQ_INT(rc, 0);
    if (rc == 0) {
        sl_decimal_format(v, sc, buf, sizeof buf);
        CHECK_EQ_STR(buf, expect);
    } else {
        fprintf(stderr, "  %s: %s\n", s, why);
    }
}

static void dec_bad(const char *s, int p, int sc)
{
    sl_int128 v;
    char why[256];
    int rc = sl_decimal_parse(s, strlen(s), p, sc, &v, why, sizeof why);
    if (rc == 0)
        fprintf(stderr, "  accepted %s as DECIMAL(%d,%d)\n", s, p, sc);
    CHECK(rc != 0);
}

static void test_decimal(void)
{
    dec_ok("12.34", 10, 2, "12.34");
    dec_ok("-12.3", 10, 2, "-12.30");
    dec_ok("0", 10, 2, "0.00");
    dec_ok("-0.05", 10, 2, "-0.05");
    dec_ok("007.10", 10, 2, "7.10");
    dec_ok("1.0e-05", 10, 5, "0.00001");
    dec_ok("1.5e3", 10, 2, "1500.00");
    dec_ok("99999999.99", 10, 2, "99999999.99");
    dec_ok("12345", 5, 0, "12345");
    dec_ok("-99999999999999999999999999999999999999", 38, 0,
           "-99999999999999999999999999999999999999");
    dec_ok("1234567890123456789012345678.0123456789", 38, 10,
           "1234567890123456789012345678.0123456789");
    dec_ok("0e-5", 10, 2, "0.00");
    dec_ok("0.000e-5", 10, 2, "0.00");
    dec_ok("-0E-10", 10, 0, "0");
    dec_bad("12.345", 10, 2);
    dec_bad("100000000.00", 10, 2);
    dec_bad("abc", 10, 2);
    dec_bad("", 10, 2);
    dec_bad(".", 10, 2);
    dec_bad("1.2.3", 10, 2);
    dec_bad("123456", 5, 0);
}

static void test_safe_name(void)
{
    char out[64];
    src_safe_name("Mixed Case", out, sizeof out, "t_");
    CHECK_EQ_STR(out, "mixed_case");
    src_safe_name("../x", out, sizeof out, "t_");
    CHECK_EQ_STR(out, "x");
    src_safe_name("a/b", out, sizeof out, "t_");
    CHECK_EQ_STR(out, "a_b");
    src_safe_name("1st", out, sizeof out, "t_");
    CHECK_EQ_STR(out, "t_1st");
    src_safe_name("..", out, sizeof out, "t_");
    CHECK(strncmp(out, "t_", 2) == 0 && strlen(out) == 8);
    src_safe_name("日本", out, sizeof out, "t_");
    CHECK(strncmp(out, "t_", 2) == 0);
    char other[64];
    src_safe_name("中国", other, sizeof other, "t_");
    CHECK(strcmp(out, other) != 0);
    src_safe_name("ünï码", out, sizeof out, "t_");
    src_safe_name("änä码", other, sizeof other, "t_");
    CHECK(strncmp(out, "n_", 2) == 0 && strlen(out) == 8);
    CHECK(strcmp(out, other) != 0);
    src_safe_name("café", out, 8, "t_"); /* truncated: still ends with the hash */
    CHECK_EQ_INT(strlen(out), 7);

    struct sl_column cols[3] = {0};
    snprintf(cols[0].source_name, sizeof cols[0].source_name, "A b");
    snprintf(cols[1].source_name, sizeof cols[1].source_name, "a_b");
    snprintf(cols[2].source_name, sizeof cols[2].source_name, "a-b");
    struct sl_schema s = {.ncols = 3, .cols = cols};
    src_safe_column_names(&s);
    CHECK_EQ_STR(cols[0].name, "a_b");
    CHECK_EQ_STR(cols[1].name, "a_b_2");
    CHECK_EQ_STR(cols[2].name, "a_b_3");
}

static void test_buf_cap(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1000);
    char x[600] = {0};
    CHECK_EQ_INT(sl_buf_append(&b, x, sizeof x), 0);
    CHECK(sl_buf_append(&b, x, sizeof x) != 0);
    CHECK_EQ_INT(b.len, 600);
    CHECK_EQ_INT(sl_buf_append(&b, x, 400), 0);
    CHECK_EQ_INT(b.len, 1000);
    sl_buf_free(&b);
    sl_buf_free(&b);
}

/* sl_grow keeps the used bytes on each of its paths (a small block
 * reallocated, a heap block moved into a prefaulted one, an mmap block
 * grown by realloc) and the new room is writable. */
static void test_grow(void)
{
    static const size_t sizes[] = {100, 4096, 200000, 900000, 3u << 20, 9u << 20};
    uint8_t *p = NULL;
    size_t used = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        uint8_t *q = sl_grow(p, used, sizes[i]);
        CHECK(q != NULL);
        if (!q)
            break;
        p = q;
        for (size_t j = 0; j < used; j++)
            if (p[j] != (uint8_t)(j * 7 + used)) {
                CHECK(!"sl_grow lost a used byte");
                break;
            }
        used = sizes[i] - sizes[i] / 3; /* not the whole block: only `used` must move */
        for (size_t j = 0; j < used; j++)
            p[j] = (uint8_t)(j * 7 + used);
        p[sizes[i] - 1] = 1;
    }
    free(p);
    sl_prefault(NULL, 0);
    uint8_t odd[3];
    sl_prefault(odd + 1, 1); /* below the threshold: nothing */
    p = malloc(100000);
    sl_prefault(p + 3, 99990); /* unaligned: rounded outward within the block's pages */
    p[0] = p[99999] = 5;
    CHECK_EQ_INT(p[0] + p[99999], 10);
    free(p);
}

/* sl_buf maps its room a step ahead: never past its capacity, always past
 * what it holds, a step (not a doubling) beyond a large write. */
static void test_buf_ready(void)
{
    struct sl_buf b;
    sl_buf_init(&b, (size_t)64 << 20);
    static uint8_t piece[3000];
    int ok = 1;
    for (int i = 0; i < 4000 && ok; i++) {
        memset(piece, i, sizeof piece);
        ok = sl_buf_append(&b, piece, sizeof piece) == 0 && b.ready <= b.cap && b.ready >= b.len &&
             b.data[b.len - 1] == (uint8_t)i && b.data[b.len - sizeof piece] == (uint8_t)i;
    }
    CHECK(ok);
    CHECK_EQ_INT(b.len, 4000 * sizeof piece);
    /* 12 MB held in a 16 MiB block: mapped at most 2 MiB (an eighth) beyond. */
    CHECK(b.cap == (size_t)16 << 20);
    CHECK(b.ready - b.len <= (size_t)2 << 20);
    sl_buf_reset(&b);
    CHECK_EQ_INT(sl_buf_append(&b, piece, 10), 0);
    CHECK(b.ready >= b.len && b.ready <= b.cap);
    sl_buf_free(&b);
    CHECK_EQ_INT(b.ready, 0);
    CHECK_EQ_INT(sl_buf_append(&b, piece, 1), 0); /* a freed buffer grows again */
    CHECK(b.ready >= 1 && b.ready <= b.cap);
    sl_buf_free(&b);
}

static void test_env_size(void)
{
    unsetenv("SNAPLAKE_TEST_SIZE");
    CHECK_EQ_INT(src_env_size("SNAPLAKE_TEST_SIZE", 8, 100, "rows"), 100);
    setenv("SNAPLAKE_TEST_SIZE", "64", 1);
    CHECK_EQ_INT(src_env_size("SNAPLAKE_TEST_SIZE", 8, 100, "rows"), 64);
    setenv("SNAPLAKE_TEST_SIZE", "4", 1); /* below the minimum */
    CHECK_EQ_INT(src_env_size("SNAPLAKE_TEST_SIZE", 8, 100, "rows"), 100);
    setenv("SNAPLAKE_TEST_SIZE", "12k", 1);
    CHECK_EQ_INT(src_env_size("SNAPLAKE_TEST_SIZE", 8, 100, "rows"), 100);
    setenv("SNAPLAKE_TEST_SIZE", "", 1);
    CHECK_EQ_INT(src_env_size("SNAPLAKE_TEST_SIZE", 8, 100, "rows"), 100);
    unsetenv("SNAPLAKE_TEST_SIZE");
}

int main(void)
{
    RUN(test_days_from_civil);
    RUN(test_parse_date);
    RUN(test_parse_timestamp);
    RUN(test_decimal);
    RUN(test_safe_name);
    RUN(test_buf_cap);
    RUN(test_grow);
    RUN(test_buf_ready);
    RUN(test_env_size);
    return CHECK_DONE();
}
