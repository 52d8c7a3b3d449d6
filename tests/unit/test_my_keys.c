/*
 * test_my_keys.c — chunk bounds as text (source.h: integers; my_keys.c: a
 * MySQL composite or string key as a JSON array) and the conditions a bound
 * turns back into: binary-safe, exact for numbers, and refused when the
 * recorded text does not fit the table's key (a resumed run's table changed).
 */
#include "check.h"
#include "source/my_keys.h"
#include "source/source.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>

static void test_integer_bounds(void)
{
    struct src_chunk c = {0};
    int64_t v;
    CHECK_EQ_INT(src_chunk_set_int(&c, INT64_MIN, 42), SL_OK);
    CHECK(c.lo == NULL);
    CHECK_EQ_STR(c.hi, "42");
    CHECK_EQ_INT(src_chunk_set_int(&c, -7, INT64_MAX), SL_OK);
    CHECK_EQ_STR(c.lo, "-7");
    CHECK(c.hi == NULL);
    CHECK_EQ_INT(src_bound_int(c.lo, INT64_MIN, &v), SL_OK);
    CHECK_EQ_INT(v, -7);
    CHECK_EQ_INT(src_bound_int(NULL, INT64_MAX, &v), SL_OK);
    CHECK(v == INT64_MAX);
    /* Open ends as a run state before version "text bounds" wrote them. */
    CHECK_EQ_INT(src_bound_int("9223372036854775807", INT64_MIN, &v), SL_OK);
    CHECK(v == INT64_MAX);
    CHECK_EQ_INT(src_bound_int("-9223372036854775808", INT64_MIN, &v), SL_OK);
    CHECK(v == INT64_MIN);
    CHECK_EQ_INT(src_bound_int("[\"1\"]", INT64_MIN, &v), SL_ERROR);
    CHECK_EQ_INT(src_bound_int("", INT64_MIN, &v), SL_ERROR);
    CHECK_EQ_INT(src_bound_int("99999999999999999999", INT64_MIN, &v), SL_ERROR);
    struct src_chunk *list = calloc(2, sizeof *list);
    CHECK_EQ_INT(src_chunk_set_int(&list[1], 1, 2), SL_OK);
    src_chunks_free(list, 2);
    src_chunks_free(NULL, 0);
    free(c.lo);
    free(c.hi);
}

/* Chunk counts: ceil(amount / per chunk), at least 1, at most the limit;
 * an integer key's: the estimate, capped by the key's values. */
static void test_range_chunks(void)
{
    CHECK_EQ_INT((int)src_chunk_count(0, 100, 4096), 1);
    CHECK_EQ_INT((int)src_chunk_count(100, 100, 4096), 1);
    CHECK_EQ_INT((int)src_chunk_count(101, 100, 4096), 2);
    CHECK_EQ_INT((int)src_chunk_count(500, 100, 4096), 5);
    CHECK_EQ_INT((int)src_chunk_count(INT64_MAX, 1, 4096), 4096);
    CHECK_EQ_INT((int)src_chunk_count(500, 0, 4096), 1);
    int64_t rows;
    /* InnoDB's 2 070 145 for 2 M dense keys: planned for 2 M, 4 chunks */
    CHECK_EQ_INT((int)my_range_chunks(2070145, 1, 2000000, 500000, 4096, &rows), 4);
    CHECK(rows == 2000000);
    /* a sparse key keeps the estimate */
    CHECK_EQ_INT((int)my_range_chunks(2070145, 1, 20000000, 500000, 4096, &rows), 5);
    CHECK(rows == 2070145);
    /* an estimate below the range, exact multiples, the limit */
    CHECK_EQ_INT((int)my_range_chunks(1000000, 1, 2000000, 500000, 4096, &rows), 2);
    CHECK_EQ_INT((int)my_range_chunks(1000001, 1, 2000000, 500000, 4096, &rows), 3);
    CHECK_EQ_INT((int)my_range_chunks(INT64_MAX / 2, INT64_MIN, INT64_MAX, 10, 4096, &rows), 4096);
    /* never more chunks than key values, never fewer than one */
    CHECK_EQ_INT((int)my_range_chunks(5000, 10, 12, 1, 4096, &rows), 3);
    CHECK(rows == 3);
    CHECK_EQ_INT((int)my_range_chunks(0, 5, 5, 100, 4096, &rows), 1);
    /* the whole int64 range: hi - lo + 1 wraps to 0, no cap */
    CHECK_EQ_INT((int)my_range_chunks(900, INT64_MIN, INT64_MAX, 100, 4096, &rows), 9);
    CHECK(rows == 900);
}

static void test_key_classes(void)
{
    CHECK_EQ_INT(my_key_class_of("int"), MYKEY_NUMBER);
    CHECK_EQ_INT(my_key_class_of("DECIMAL"), MYKEY_NUMBER);
    CHECK_EQ_INT(my_key_class_of("varchar"), MYKEY_TEXT);
    CHECK_EQ_INT(my_key_class_of("varbinary"), MYKEY_BINARY);
    CHECK_EQ_INT(my_key_class_of("datetime"), MYKEY_TEMPORAL);
    CHECK_EQ_INT(my_key_class_of("time"), MYKEY_TEMPORAL); /* exact text, compared as TIME */
    /* ORDER BY and comparison disagree (ENUM: index vs text), or the text
     * protocol rounds (FLOAT): no split. */
    CHECK_EQ_INT(my_key_class_of("enum"), MYKEY_NONE);
    CHECK_EQ_INT(my_key_class_of("float"), MYKEY_NONE);
    CHECK_EQ_INT(my_key_class_of("text"), MYKEY_NONE);
}

/* A key (INT, VARBINARY, VARCHAR) over columns 2, 0, 1 of a row. */
static struct my_key three(void)
{
    struct my_key k = {.n = 3};
    k.col[0] = 2, k.cls[0] = MYKEY_NUMBER;
    k.col[1] = 0, k.cls[1] = MYKEY_BINARY;
    k.col[2] = 1, k.cls[2] = MYKEY_TEXT;
    return k;
}

static void test_encode(void)
{
    struct my_key k = three();
    char bin[] = {0, '\'', '\\', (char)0xff};
    char *row[] = {bin, "Zoë \"q\"", "-18"};
    unsigned long len[] = {4, 8, 3};
    char *out = NULL;
    CHECK_EQ_INT(my_key_encode(&k, row, len, &out), SL_OK);
    CHECK_EQ_STR(out, "[\"-18\",\"00275cff\",\"Zo\xc3\xab \\\"q\\\"\"]");
    free(out);
    row[1] = "\xff not UTF-8"; /* refused, never written half */
    len[1] = 11;
    CHECK_EQ_INT(my_key_encode(&k, row, len, &out), SL_ERROR);
    CHECK(out == NULL);
    row[1] = NULL; /* a key column is never NULL */
    CHECK_EQ_INT(my_key_encode(&k, row, len, &out), SL_ERROR);
}

static void test_condition(void)
{
    struct my_key k = three();
    struct sl_column cols[3] = {0};
    snprintf(cols[0].source_name, sizeof cols[0].source_name, "b");
    snprintf(cols[1].source_name, sizeof cols[1].source_name, "c`x");
    snprintf(cols[2].source_name, sizeof cols[2].source_name, "a");
    struct sl_schema s = {.ncols = 3, .cols = cols};
    MYSQL *conn = mysql_init(NULL);
    struct sl_buf b;
    char why[256] = "";
    sl_buf_init(&b, 1u << 20);
    CHECK_EQ_INT(
        my_key_condition(&b, conn, &k, &s, "[\"-18\",\"00ff\",\"x'y\"]", true, why, sizeof why),
        SL_OK);
    sl_buf_putc(&b, 0);
    CHECK_EQ_STR((const char *)b.data, "((`a` > -18) OR (`a` = -18 AND `b` > X'00ff') OR "
                                       "(`a` = -18 AND `b` = X'00ff' AND `c``x` >= 'x\\'y'))");
    sl_buf_reset(&b);
    CHECK_EQ_INT(my_key_condition(&b, conn, &k, &s, "[\"7\",\"\",\"\"]", false, why, sizeof why),
                 SL_OK);
    sl_buf_putc(&b, 0);
    CHECK_EQ_STR((const char *)b.data, "((`a` < 7) OR (`a` = 7 AND `b` < X'') OR "
                                       "(`a` = 7 AND `b` = X'' AND `c``x` < ''))");
    /* Text that is not this key's bound: refused, with the reason. */
    const char *bad[] = {"42",
                         "[\"1\",\"00\"]",
                         "[\"1 OR 1\",\"00\",\"x\"]",
                         "[\"1\",\"0g\",\"x\"]",
                         "[\"1\",\"000\",\"x\"]",
                         "[1,\"00\",\"x\"]",
                         "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_buf_reset(&b);
        why[0] = 0;
        CHECK_EQ_INT(my_key_condition(&b, conn, &k, &s, bad[i], true, why, sizeof why), SL_ERROR);
        CHECK(why[0] != 0);
    }
    sl_buf_free(&b);
    mysql_close(conn);
}

int main(void)
{
    RUN(test_integer_bounds);
    RUN(test_range_chunks);
    RUN(test_key_classes);
    RUN(test_encode);
    RUN(test_condition);
    return CHECK_DONE();
}
