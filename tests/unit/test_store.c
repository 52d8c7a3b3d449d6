/*
 * test_store.c — the store interface's contract on the local-folder store:
 * "not found" is a status, listing with and without a delimiter, a sweep of
 * unfinished puts, abort.  The S3 store is held to the same contract by its
 * end-to-end tests.
 */
#include "check.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];
static struct store st;

struct seen {
    char text[1024];
};

static int collect(void *arg, const char *path, int64_t size)
{
    struct seen *s = arg;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s%s", path, size == STORE_PREFIX_SIZE ? "/ " : " ");
    return 0;
}

static void put(const char *path, const char *text)
{
    struct sl_err err = {0};
    CHECK_EQ_INT(store_put_all(&st, path, text, strlen(text), &err), SL_OK);
}

static void test_get_not_found_is_a_status(void)
{
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct sl_err err = {0};
    CHECK_EQ_INT(st.type->get(st.ctx, "_snaplake/current", &b, &err), STORE_NOT_FOUND);
    CHECK(!err.set);
    put("_snaplake/current", "R1\n");
    CHECK_EQ_INT(st.type->get(st.ctx, "_snaplake/current", &b, &err), SL_OK);
    CHECK(b.len == 3 && !memcmp(b.data, "R1\n", 3));
    sl_buf_free(&b);
}

static void test_list_with_and_without_delimiter(void)
{
    put("raw/a/run=1/part-0.parquet", "x");
    put("raw/a/run=2/part-0.parquet", "xy");
    put("raw/b/run=1/part-0.parquet", "xyz");
    put("raw/top.txt", "t");
    struct sl_err err = {0};
    struct seen all = {{0}}, folders = {{0}};
    CHECK_EQ_INT(st.type->list(st.ctx, "raw", NULL, collect, &all, &err), SL_OK);
    CHECK_EQ_STR(all.text, "raw/a/run=1/part-0.parquet raw/a/run=2/part-0.parquet "
                           "raw/b/run=1/part-0.parquet raw/top.txt ");
    CHECK_EQ_INT(st.type->list(st.ctx, "raw", "/", collect, &folders, &err), SL_OK);
    CHECK_EQ_STR(folders.text, "raw/a/ raw/b/ raw/top.txt ");
}

static void test_sweep_and_abort(void)
{
    struct sl_err err = {0};
    struct store_file *f = NULL;
    /* an unfinished put, as a killed run leaves it: never listed, swept */
    CHECK_EQ_INT(st.type->put_open(st.ctx, "raw/c/run=1/part-0.parquet", &f, &err), SL_OK);
    CHECK_EQ_INT(st.type->write(f, "abc", 3, &err), SL_OK);
    struct seen s = {{0}};
    CHECK_EQ_INT(st.type->list(st.ctx, "raw/c", NULL, collect, &s, &err), SL_OK);
    CHECK_EQ_STR(s.text, "");
    int removed = -1;
    CHECK_EQ_INT(st.type->sweep_incomplete(st.ctx, "", &removed, &err), SL_OK);
    CHECK_EQ_INT(removed, 1);
    /* the handle's file is gone already: abort still frees it and succeeds */
    CHECK_EQ_INT(st.type->abort(f, &err), SL_OK);
    CHECK_EQ_INT(st.type->abort(NULL, &err), SL_OK);
    char local[4096];
    CHECK_EQ_INT(st.type->local_path(st.ctx, "raw/top.txt", local, sizeof local), SL_OK);
    CHECK_EQ_INT(st.type->local_path(st.ctx, "raw/none.txt", local, sizeof local), STORE_NOT_FOUND);
    CHECK(st.type->caps & STORE_CAP_LOCAL);
}

/* A large put in pieces of every size, through the write buffer and past
 * several writeback steps, reads back byte for byte. */
static void test_large_put(void)
{
    struct sl_err err = {0};
    struct store_file *f = NULL;
    size_t total = (size_t)13 << 20, at = 0, piece = 1;
    unsigned char *data = malloc(total);
    CHECK(data != NULL);
    if (!data)
        return;
    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    CHECK_EQ_INT(st.type->put_open(st.ctx, "raw/big/part-0.parquet", &f, &err), SL_OK);
    while (at < total) {
        size_t n = piece < total - at ? piece : total - at;
        CHECK_EQ_INT(st.type->write(f, data + at, n, &err), SL_OK);
        at += n;
        piece = piece * 3 + 7; /* 1 B … past the 1 MiB buffer, then again small */
        if (piece > ((size_t)3 << 20))
            piece = 5;
    }
    CHECK_EQ_INT(st.type->commit(f, &err), SL_OK);
    struct sl_buf b;
    sl_buf_init(&b, (size_t)64 << 20);
    CHECK_EQ_INT(st.type->get(st.ctx, "raw/big/part-0.parquet", &b, &err), SL_OK);
    CHECK(b.len == total && !memcmp(b.data, data, total));
    sl_buf_free(&b);
    free(data);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/sl-store-XXXXXX");
    if (!mkdtemp(root))
        return 1;
    struct sl_err err = {0};
    if (store_open(&st, root, NULL, &err))
        return 1;
    RUN(test_get_not_found_is_a_status);
    RUN(test_list_with_and_without_delimiter);
    RUN(test_sweep_and_abort);
    RUN(test_large_put);
    store_close(&st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd))
        return 1;
    return CHECK_DONE();
}
