/*
 * test_parquet_list.c — LIST columns (three-level lists with repetition
 * levels): NULL lists, empty lists, NULL elements, long lists across pieces
 * and pages, dictionary and PLAIN, read back by DuckDB value by value.
 */
#include "check.h"
#include "parquet/writer.h"

#include <duckdb.h>
#include <stdlib.h>
#include <unistd.h>

static int file_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    (void)err;
    return fwrite(data, 1, n, ctx) == n ? SL_OK : SL_ERROR;
}

/* Row i's expected list as DuckDB prints it, built the same way as the data. */
static void expect_ints(size_t i, char *buf, size_t size)
{
    if (i % 7 == 3) {
        snprintf(buf, size, "NULL");
        return;
    }
    size_t n = i == 100 ? 3000 : i % 5; /* row 100: longer than one writer piece */
    size_t o = (size_t)snprintf(buf, size, "[");
    for (size_t j = 0; j < n && o < size; j++) {
        if (j % 4 == 2)
            o += (size_t)snprintf(buf + o, size - o, "%sNULL", j ? ", " : "");
        else
            o += (size_t)snprintf(buf + o, size - o, "%s%lld", j ? ", " : "",
                                  (long long)(i * 10 + j) - 50);
    }
    snprintf(buf + o, size - o, "]");
}

static const char *const words[] = {"a", "bb", "ccc", "été", ""};

/* via_copy: each batch reaches the writer through sl_batch_copy into a
 * second batch, reused from batch to batch, as export.c's writer thread
 * gets them. */
static void write_file(const char *path, size_t rows, size_t dict_max, size_t page_rows,
                       bool via_copy)
{
    struct sl_column cols[3] = {0};
    snprintf(cols[0].name, sizeof cols[0].name, "ints");
    cols[0].type = SL_T_INT64, cols[0].nullable = true, cols[0].list = true;
    snprintf(cols[1].name, sizeof cols[1].name, "words");
    cols[1].type = SL_T_STRING, cols[1].nullable = false, cols[1].list = true;
    snprintf(cols[2].name, sizeof cols[2].name, "id");
    cols[2].type = SL_T_INT32, cols[2].nullable = false;
    struct sl_schema s = {.ncols = 3, .cols = cols};
    struct sl_batch *b = sl_batch_new(&s, 256, 1 << 24);
    struct sl_batch *copy = via_copy ? sl_batch_new(&s, 256, 1 << 24) : NULL;
    FILE *f = fopen(path, "wb");
    struct pq_options o;
    pq_options_default(&o);
    o.dict_max_bytes = dict_max;
    o.page_rows = page_rows;
    struct pq_writer *w = NULL;
    struct sl_err err = {0};
    CHECK_EQ_INT(pq_writer_open(&w, &s, &o, file_sink, f, &err), 0);
    for (size_t i = 0; i < rows; i++) {
        if (i % 7 == 3) {
            sl_batch_set_null(b, 0);
        } else {
            size_t n = i == 100 ? 3000 : i % 5;
            sl_batch_list_begin(b, 0);
            for (size_t j = 0; j < n; j++) {
                if (j % 4 == 2) {
                    CHECK_EQ_INT(sl_batch_list_push_null(b, 0), 0);
                } else {
                    int64_t *slot = sl_batch_list_push(b, 0);
                    CHECK(slot != NULL);
                    *slot = (int64_t)(i * 10 + j) - 50;
                }
            }
            sl_batch_list_end(b, 0);
        }
        sl_batch_list_begin(b, 1);
        for (size_t j = 0; j < i % 3; j++)
            CHECK_EQ_INT(sl_batch_list_push_bytes(b, 1, words[(i + j) % 5],
                                                  strlen(words[(i + j) % 5])), 0);
        sl_batch_list_end(b, 1);
        sl_batch_set_i32(b, 2, (int32_t)i);
        sl_batch_end_row(b);
        if (b->nrows == b->capacity) {
            if (copy)
                CHECK_EQ_INT(sl_batch_copy(copy, b), 0);
            CHECK_EQ_INT(pq_writer_write(w, copy ? copy : b, &err), 0);
            sl_batch_reset(b);
        }
    }
    if (b->nrows && copy)
        CHECK_EQ_INT(sl_batch_copy(copy, b), 0);
    if (b->nrows)
        CHECK_EQ_INT(pq_writer_write(w, copy ? copy : b, &err), 0);
    struct pq_file_info info;
    CHECK_EQ_INT(pq_writer_finish(w, &info, &err), 0);
    CHECK_EQ_INT(info.rows, (long long)rows);
    if (err.set)
        fprintf(stderr, "  %s: %s\n", err.object, err.msg);
    pq_writer_free(w);
    sl_batch_free(b);
    sl_batch_free(copy);
    fclose(f);
}

static void check_file(const char *path, size_t rows)
{
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    CHECK(duckdb_open(NULL, &db) == DuckDBSuccess);
    CHECK(duckdb_connect(db, &con) == DuckDBSuccess);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, ints::VARCHAR, words::VARCHAR, typeof(ints), typeof(words) "
             "FROM read_parquet('%s') ORDER BY id", path);
    if (duckdb_query(con, sql, &res) != DuckDBSuccess) {
        fprintf(stderr, "  %s\n", duckdb_result_error(&res));
        CHECK(0);
    } else {
        CHECK_EQ_INT(duckdb_row_count(&res), (long long)rows);
        char *t1 = duckdb_value_varchar(&res, 3, 0), *t2 = duckdb_value_varchar(&res, 4, 0);
        CHECK_EQ_STR(t1, "BIGINT[]");
        CHECK_EQ_STR(t2, "VARCHAR[]");
        duckdb_free(t1);
        duckdb_free(t2);
        static char want[65536];
        int bad = 0;
        for (size_t i = 0; i < rows && bad < 3; i++) {
            char *got = duckdb_value_is_null(&res, 1, i) ? NULL : duckdb_value_varchar(&res, 1, i);
            expect_ints(i, want, sizeof want);
            if (strcmp(got ? got : "NULL", want)) {
                fprintf(stderr, "  row %zu: ints %.80s, want %.80s\n", i, got ? got : "NULL", want);
                bad++;
            }
            duckdb_free(got);
            char *wd = duckdb_value_varchar(&res, 2, i);
            size_t o = (size_t)snprintf(want, sizeof want, "[");
            for (size_t j = 0; j < i % 3; j++)
                o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", j ? ", " : "",
                                      words[(i + j) % 5][0] ? words[(i + j) % 5] : "''");
            snprintf(want + o, sizeof want - o, "]");
            if (strcmp(wd, want)) {
                fprintf(stderr, "  row %zu: words %s, want %s\n", i, wd, want);
                bad++;
            }
            duckdb_free(wd);
        }
        CHECK_EQ_INT(bad, 0);
    }
    duckdb_destroy_result(&res);
    /* list_count over all rows agrees with what was written */
    snprintf(sql, sizeof sql,
             "SELECT sum(len(ints)), count(ints), sum(len(words)) FROM read_parquet('%s')", path);
    CHECK(duckdb_query(con, sql, &res) == DuckDBSuccess);
    int64_t elems = 0, lists = 0, wl = 0;
    for (size_t i = 0; i < rows; i++) {
        if (i % 7 != 3)
            elems += i == 100 ? 3000 : (int64_t)(i % 5), lists++;
        wl += (int64_t)(i % 3);
    }
    CHECK_EQ_INT(duckdb_value_int64(&res, 0, 0), elems);
    CHECK_EQ_INT(duckdb_value_int64(&res, 1, 0), lists);
    CHECK_EQ_INT(duckdb_value_int64(&res, 2, 0), wl);
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&db);
}

static void test_list_dictionary(void)
{
    const char *path = "/tmp/snaplake-test-list-dict.parquet";
    write_file(path, 5000, 1 << 20, 20000, false);
    check_file(path, 5000);
    unlink(path);
}

static void test_list_plain_small_pages(void)
{
    const char *path = "/tmp/snaplake-test-list-plain.parquet";
    write_file(path, 3000, 0, 37, false);
    check_file(path, 3000);
    unlink(path);
}

static void test_list_fallback(void)
{
    const char *path = "/tmp/snaplake-test-list-fallback.parquet";
    write_file(path, 4000, 600, 500, false);
    check_file(path, 4000);
    unlink(path);
}

/* The same rows through sl_batch_copy (the pipelined export's path): NULL
 * lists, NULL elements, a 3000-element list growing the copy's child. */
static void test_list_through_copy(void)
{
    const char *path = "/tmp/snaplake-test-list-copy.parquet";
    write_file(path, 5000, 1 << 20, 20000, true);
    check_file(path, 5000);
    unlink(path);
}

int main(void)
{
    RUN(test_list_dictionary);
    RUN(test_list_plain_small_pages);
    RUN(test_list_fallback);
    RUN(test_list_through_copy);
    return CHECK_DONE();
}
