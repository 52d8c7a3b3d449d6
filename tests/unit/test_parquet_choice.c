/*
 * test_parquet_choice.c — when a column chunk gives up its dictionary
 * (page.c, pq_decide_encoding).  The trial encodes each page both ways
 * until the sizes decide; a chunk whose distinct values, estimated from
 * how fast the dictionary grows, would overflow dict_max_bytes stops the
 * trial after its second page, and so does one that, projected to the
 * chunk's expected length, costs more than PLAIN (the "projection" rule),
 * while a dictionary that will fit and may pay keeps going.  White box: the column's state is
 * read between pages, before the chunk ends.
 */
#include "check.h"
#include "parquet/writer.h"
#include "parquet/writer_internal.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>

#define PAGE_ROWS 4096

static int mem_sink(void *ctx, const void *data, size_t n, struct sl_err *err)
{
    if (sl_buf_append(ctx, data, n))
        return sl_err_set(err, false, "test", "", "memory sink full");
    return SL_OK;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) /* xorshift64: the same draws on every run */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

enum gen { UNIQUE, FEW, FITS, UNIQUE_TEXT };

static void value(struct sl_batch *b, enum gen g, int64_t i)
{
    char s[32];
    switch (g) {
    case UNIQUE: sl_batch_set_i64(b, 0, i * 1000003); break;
    case FEW: sl_batch_set_i64(b, 0, (int64_t)(next() % 2000) * 7); break;
    case FITS: sl_batch_set_i64(b, 0, (int64_t)(next() % 100000) * 7); break;
    case UNIQUE_TEXT:
        sl_batch_set_bytes(b, 0, s, (size_t)snprintf(s, sizeof s, "user-%lld", (long long)i));
        break;
    }
}

/* Write `pages` full pages of generator g into one chunk, the writer told
 * to expect `expected` rows (0 = unknown); *deciding and *use_dict are the
 * column's state after them (the chunk still open). */
static void write_pages(enum gen g, int pages, int64_t expected, bool *deciding, bool *use_dict)
{
    struct sl_column col = {.type = g == UNIQUE_TEXT ? SL_T_STRING : SL_T_INT64};
    snprintf(col.name, sizeof col.name, "v");
    struct sl_schema schema = {1, &col};
    struct pq_options opt;
    pq_options_default(&opt);
    opt.page_rows = PAGE_ROWS;
    opt.expected_rows = expected;
    struct sl_buf file;
    sl_buf_init(&file, (size_t)1 << 28);
    struct sl_err err = {0};
    struct pq_writer *w = NULL;
    struct sl_batch *b = sl_batch_new(&schema, 1024, 1 << 20);
    int rc = pq_writer_open(&w, &schema, &opt, mem_sink, &file, &err);
    /* One row more than the pages: the last page is cut by the next row. */
    for (int64_t i = 0; rc == 0 && i <= (int64_t)pages * PAGE_ROWS; i++) {
        value(b, g, i);
        sl_batch_end_row(b);
        if (b->nrows == b->capacity || i == (int64_t)pages * PAGE_ROWS) {
            rc = pq_writer_write(w, b, &err);
            sl_batch_reset(b);
        }
    }
    CHECK_EQ_INT(rc, 0);
    *deciding = w->cols[0].deciding;
    *use_dict = w->cols[0].use_dict;
    CHECK_EQ_INT(pq_writer_finish(w, NULL, &err), 0);
    pq_writer_free(w);
    sl_batch_free(b);
    sl_buf_free(&file);
}

/* Distinct ids: every value new, no dictionary can fit 1 MiB of them —
 * PLAIN after the second page (12 pages of 32 KiB would fit, so only the
 * estimate can have decided). */
static void test_unique_ints_stop_early(void)
{
    bool deciding, use_dict;
    write_pages(UNIQUE, 3, 0, &deciding, &use_dict);
    CHECK(!deciding);
    CHECK(!use_dict);
}

static void test_unique_strings_stop_early(void)
{
    bool deciding, use_dict;
    write_pages(UNIQUE_TEXT, 3, 0, &deciding, &use_dict);
    CHECK(!deciding);
    CHECK(!use_dict);
}

/* 100 000 distinct values (800 KB as a dictionary, under 1 MiB): the first
 * pages are mostly new values, yet the dictionary is kept on trial — over a
 * long chunk it pays (the receipts table's user_id). */
static void test_fitting_dictionary_stays_on_trial(void)
{
    bool deciding, use_dict;
    write_pages(FITS, 3, 0, &deciding, &use_dict);
    CHECK(use_dict);
}

/* The same 100 000 values in a chunk expected to end after three pages:
 * its ~12 000 entries cost more than PLAIN's 12 288 values, so PLAIN after
 * the second page; expected to run 10 M rows, the dictionary stays. */
static void test_projection_to_expected_rows(void)
{
    bool deciding, use_dict;
    write_pages(FITS, 3, 3 * PAGE_ROWS, &deciding, &use_dict);
    CHECK(!deciding);
    CHECK(!use_dict);
    write_pages(FITS, 3, 10000000, &deciding, &use_dict);
    CHECK(use_dict);
}

static void test_few_values_keep_dictionary(void)
{
    bool deciding, use_dict;
    write_pages(FEW, 3, 0, &deciding, &use_dict);
    CHECK(use_dict);
    write_pages(FEW, 3, 3 * PAGE_ROWS, &deciding, &use_dict);
    CHECK(use_dict);
}

int main(void)
{
    RUN(test_unique_ints_stop_early);
    RUN(test_unique_strings_stop_early);
    RUN(test_fitting_dictionary_stays_on_trial);
    RUN(test_projection_to_expected_rows);
    RUN(test_few_values_keep_dictionary);
    return CHECK_DONE();
}
