/*
 * test_parquet_spare.c — writers that hand their memory on (writer.h,
 * pq_spare).  Three files through one spare — table A, then table B with
 * other columns and types, then A again — each read back by DuckDB value by
 * value: memory a writer takes from the spare must carry nothing of the
 * file before it.  The third file shows the buffers came back column by
 * column (its chunk buffers open at the size A's first file grew them to),
 * and its unique column gives up the dictionary after a trial, so the
 * PLAIN trial pages are copied into a buffer that held another file.
 */
#include "check.h"
#include "duck_check.h"
#include "parquet/writer.h"
#include "parquet/writer_internal.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ROWS 150000

/* Table A: a unique key (PLAIN after its trial), a category of 37 values
 * in no short period (keeps its dictionary: in a period of 37 rows, PLAIN
 * compresses smaller), an amount and a note with NULLs. */
static struct sl_column a_cols[4];
static struct sl_schema a_schema = {4, a_cols};
/* Table B: other types in other places. */
static struct sl_column b_cols[2];
static struct sl_schema b_schema = {2, b_cols};

static void schemas(void)
{
    a_cols[0] = (struct sl_column){.type = SL_T_INT64};
    a_cols[1] = (struct sl_column){.type = SL_T_STRING};
    a_cols[2] = (struct sl_column){.type = SL_T_DOUBLE, .nullable = true};
    a_cols[3] = (struct sl_column){.type = SL_T_STRING, .nullable = true};
    snprintf(a_cols[0].name, sizeof a_cols[0].name, "id");
    snprintf(a_cols[1].name, sizeof a_cols[1].name, "cat");
    snprintf(a_cols[2].name, sizeof a_cols[2].name, "amount");
    snprintf(a_cols[3].name, sizeof a_cols[3].name, "note");
    b_cols[0] = (struct sl_column){.type = SL_T_STRING};
    b_cols[1] = (struct sl_column){.type = SL_T_INT32, .nullable = true};
    snprintf(b_cols[0].name, sizeof b_cols[0].name, "s");
    snprintf(b_cols[1].name, sizeof b_cols[1].name, "n");
}

/* Row i of table A, shifted by `base` (the two A files differ). */
static void a_row(struct sl_batch *b, int64_t base, int64_t i)
{
    char s[48];
    int64_t k = base + i;
    sl_batch_set_i64(b, 0, (int64_t)(mix((uint64_t)k) >> 20));
    CHECK_EQ_INT(
        sl_batch_set_bytes(b, 1, s,
                           (size_t)snprintf(s, sizeof s, "cat-%d", (int)(k * 7919 % 100003 % 37))),
        0);
    if (k % 11 == 0)
        sl_batch_set_null(b, 2);
    else
        sl_batch_set_f64(b, 2, (double)(k % 100000) / 100.0);
    if (k % 3 == 0)
        sl_batch_set_null(b, 3);
    else
        CHECK_EQ_INT(
            sl_batch_set_bytes(b, 3, s,
                               (size_t)snprintf(s, sizeof s, "note %lld", (long long)(k % 5000))),
            0);
}

static void b_row(struct sl_batch *b, int64_t i)
{
    char s[48];
    CHECK_EQ_INT(sl_batch_set_bytes(b, 0, s,
                                    (size_t)snprintf(s, sizeof s, "row-%lld-%llx", (long long)i,
                                                     (unsigned long long)mix((uint64_t)i))),
                 0);
    if (i % 5 == 0)
        sl_batch_set_null(b, 1);
    else
        sl_batch_set_i32(b, 1, (int32_t)(i % 1000) - 500);
}

/* Write one file of `rows` rows to path through the spare; *pages_cap is
 * column 0's chunk buffer capacity as the writer opened (before a row). */
static void write_file(const char *path, const struct sl_schema *schema, struct pq_spare *spare,
                       int64_t base, int64_t rows, size_t *pages_cap)
{
    struct pq_options opt;
    pq_options_default(&opt);
    opt.spare = spare;
    opt.expected_rows = rows;
    struct sl_err err = {0};
    struct pq_writer *w = NULL;
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    struct sl_batch *b = sl_batch_new(schema, 4096, 1 << 22);
    int rc = f && b ? pq_writer_open(&w, schema, &opt, file_sink, f, &err) : SL_ERROR;
    if (rc == 0 && pages_cap)
        *pages_cap = w->cols[0].pages.cap;
    for (int64_t i = 0; rc == 0 && i < rows; i++) {
        if (schema == &a_schema)
            a_row(b, base, i);
        else
            b_row(b, i);
        sl_batch_end_row(b);
        if (b->nrows == b->capacity || i == rows - 1) {
            rc = pq_writer_write(w, b, &err);
            sl_batch_reset(b);
        }
    }
    if (rc == 0)
        rc = pq_writer_finish(w, NULL, &err);
    if (rc)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    pq_writer_free(w);
    sl_batch_free(b);
    if (f)
        fclose(f);
}

/* Every value of an A file against the generator, in SQL. */
static void check_a(const char *path, int64_t base)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "150000");
    /* id is mix(k) >> 20; DuckDB has no splitmix: compare a digest the C
     * side computes too. */
    uint64_t sum = 0;
    for (int64_t i = 0; i < ROWS; i++)
        sum += mix((uint64_t)(base + i)) >> 20;
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)sum);
    snprintf(sql, sizeof sql,
             "SELECT (sum(id::HUGEINT) %% 18446744073709551616)::UBIGINT FROM read_parquet('%s')",
             path);
    CHECK_SQL(sql, want);
    snprintf(
        sql, sizeof sql,
        "SELECT count(*) FROM (SELECT *, %lld + file_row_number AS k FROM read_parquet('%s', "
        "file_row_number = true)) WHERE cat IS DISTINCT FROM 'cat-' || (k * 7919 %% 100003 %% 37) "
        "OR amount IS DISTINCT FROM CASE WHEN k %% 11 = 0 THEN NULL ELSE (k %% 100000) / 100.0 END "
        "OR note IS DISTINCT FROM CASE WHEN k %% 3 = 0 THEN NULL ELSE 'note ' || (k %% 5000) END",
        (long long)base, path);
    CHECK_SQL(sql, "0");
    /* The unique key gave up its dictionary, the category kept one. */
    snprintf(sql, sizeof sql,
             "SELECT string_agg(path_in_schema || ':' || encodings, ' ' ORDER BY path_in_schema) "
             "FROM parquet_metadata('%s') WHERE path_in_schema IN ('id', 'cat')",
             path);
    char *enc = scalar(sql);
    bool as_chosen = enc && strstr(enc, "cat:") && strstr(strstr(enc, "cat:"), "RLE_DICTIONARY") &&
                     strstr(enc, "id:PLAIN") && !strstr(strstr(enc, "id:"), "DICTIONARY");
    CHECK(as_chosen);
    if (!as_chosen)
        fprintf(stderr, "  %s encodings: %s\n", path, enc ? enc : "(query failed)");
    free(enc);
}

static void check_b(const char *path)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM read_parquet('%s')", path);
    CHECK_SQL(sql, "150000");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT *, file_row_number AS i FROM read_parquet('%s', "
             "file_row_number = true)) WHERE NOT starts_with(s, 'row-' || i || '-') "
             "OR n IS DISTINCT FROM CASE WHEN i %% 5 = 0 THEN NULL ELSE (i %% 1000) - 500 END",
             path);
    CHECK_SQL(sql, "0");
}

static void test_three_files_one_spare(void)
{
    schemas();
    struct pq_spare *spare = pq_spare_new();
    CHECK(spare != NULL);
    char a1[64], b1[64], a2[64];
    snprintf(a1, sizeof a1, "snaplake_test_spare_a1_%d.parquet", (int)getpid());
    snprintf(b1, sizeof b1, "snaplake_test_spare_b_%d.parquet", (int)getpid());
    snprintf(a2, sizeof a2, "snaplake_test_spare_a2_%d.parquet", (int)getpid());
    size_t first = 1, again = 0, other = 0;
    write_file(a1, &a_schema, spare, 0, ROWS, &first);
    CHECK_EQ_INT((long long)first, 0); /* an empty spare: nothing to take */
    write_file(b1, &b_schema, spare, 0, ROWS, &other);
    CHECK(other > 0); /* B's first column opens with A's first column's buffer */
    write_file(a2, &a_schema, spare, 7777777, ROWS, &again);
    CHECK(again >= other); /* … and A, after B, gets it back, at least as grown */
    check_a(a1, 0);
    check_b(b1);
    check_a(a2, 7777777);
    unlink(a1);
    unlink(b1);
    unlink(a2);
    pq_spare_free(spare);
    pq_spare_free(NULL);
}

/* No spare: the writer allocates and frees its own, as before. */
static void test_no_spare(void)
{
    schemas();
    char a1[64];
    snprintf(a1, sizeof a1, "snaplake_test_spare_none_%d.parquet", (int)getpid());
    size_t cap = 1;
    write_file(a1, &a_schema, NULL, 5, ROWS, &cap);
    CHECK_EQ_INT((long long)cap, 0);
    check_a(a1, 5);
    unlink(a1);
}

int main(void)
{
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "cannot open DuckDB\n");
        return 1;
    }
    RUN(test_three_files_one_spare);
    RUN(test_no_spare);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return CHECK_DONE();
}
