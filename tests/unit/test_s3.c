/*
 * test_s3.c — the S3 store's pure parts (store/s3_xml.h): the lake URL
 * split into bucket and prefix, and the XML documents of ListObjectsV2,
 * ListMultipartUploads, DeleteObjects and errors, as the S3 API reference
 * shows them.
 *
 * With S3_TEST_LAKE set (s3://bucket/prefix on a server, with the AWS_*
 * variables: tests/e2e/s3.sh runs it so against its test server), the store
 * interface's contract as tests/unit/test_store.c holds the local store to
 * it, on S3: "not found" is a status, listing with and without a delimiter,
 * multipart puts read back whole, local copies, abort, sweep of an
 * unfinished put, removal of a prefix.  Without it those tests pass empty.
 */
#include "check.h"
#include "config/config.h"
#include "store/s3_xml.h"
#include "store/store.h"

#include <stdlib.h>
#include <sys/stat.h>

static void test_split_url(void)
{
    char b[64], p[256];
    struct sl_err err = {0};
    CHECK_EQ_INT(store_s3_split_url("s3://lake/prefix/deeper/", b, sizeof b, p, sizeof p, &err),
                 SL_OK);
    CHECK_EQ_STR(b, "lake");
    CHECK_EQ_STR(p, "prefix/deeper");
    CHECK_EQ_INT(store_s3_split_url("s3://my.bucket-1", b, sizeof b, p, sizeof p, &err), SL_OK);
    CHECK_EQ_STR(b, "my.bucket-1");
    CHECK_EQ_STR(p, "");
    CHECK_EQ_INT(store_s3_split_url("s3://lake/", b, sizeof b, p, sizeof p, &err), SL_OK);
    CHECK_EQ_STR(p, "");
    static const char *bad[] = {"s3://", "s3://ab/x", "s3://Lake/x", "s3://-lake/x", "s3://lake_1",
                                "s3://lake/a//b", "s3://lake/a/../b", "s3://lake/./b",
                                "file:///tmp/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct sl_err e = {0};
        CHECK_EQ_INT(store_s3_split_url(bad[i], b, sizeof b, p, sizeof p, &e), SL_ERROR);
        CHECK(e.set && strstr(e.object, bad[i]));
    }
    struct sl_err e = {0};
    store_s3_split_url("s3://Lake/x", b, sizeof b, p, sizeof p, &e);
    CHECK(strstr(e.msg, "not a valid bucket name"));
}

static void test_xml_text_and_entities(void)
{
    const char *x = "<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Empty/>"
                    "<Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x263A;</Key>"
                    "<KeyMarker></KeyMarker></R>";
    const char *end = x + strlen(x);
    char out[128];
    CHECK_EQ_INT(store_s3_xml_text(x, end, "Key", out, sizeof out, NULL), 1);
    CHECK_EQ_STR(out, "a&b <c> \"d\" 'e' \xC3\xA9\xE2\x98\xBA");
    CHECK_EQ_INT(store_s3_xml_text(x, end, "Empty", out, sizeof out, NULL), 1);
    CHECK_EQ_STR(out, "");
    /* "Key" must not match "<KeyMarker>". */
    CHECK_EQ_INT(store_s3_xml_text(x, end, "KeyMarker", out, sizeof out, NULL), 1);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(store_s3_xml_text(x, end, "Missing", out, sizeof out, NULL), 0);
    /* Truncated to the buffer. */
    char small[4];
    CHECK_EQ_INT(store_s3_xml_text(x, end, "Key", small, sizeof small, NULL), 1);
    CHECK_EQ_STR(small, "a&b");

    struct sl_buf b;
    sl_buf_init(&b, 1024);
    CHECK_EQ_INT(store_s3_xml_escape(&b, "run=1/a&b<\"'>.parquet"), SL_OK);
    sl_buf_putc(&b, 0);
    CHECK_EQ_STR((char *)b.data, "run=1/a&amp;b&lt;&quot;&apos;&gt;.parquet");
    sl_buf_free(&b);
}

static void test_parse_list(void)
{
    /* Contents and CommonPrefixes come as two runs; the store reports them
     * merged in key order, as the local store does. */
    const char *x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>lake</Name><Prefix>p/raw/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
        "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
        "<Contents><Key>p/raw/top.txt</Key><LastModified>2026-11-30T12:00:00.000Z</LastModified>"
        "<ETag>&quot;abc&quot;</ETag><Size>17</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<CommonPrefixes><Prefix>p/raw/a/</Prefix></CommonPrefixes>"
        "<CommonPrefixes><Prefix>p/raw/z&amp;z/</Prefix></CommonPrefixes>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "</ListBucketResult>";
    struct store_s3_page pg;
    struct sl_err err = {0};
    CHECK_EQ_INT(store_s3_parse_list(x, strlen(x), "p/raw/", &pg, &err), SL_OK);
    CHECK_EQ_INT(pg.n, 3);
    if (pg.n == 3) {
        CHECK_EQ_STR(pg.entry[0].key, "p/raw/a/");
        CHECK_EQ_INT(pg.entry[0].size, STORE_PREFIX_SIZE);
        CHECK_EQ_STR(pg.entry[1].key, "p/raw/top.txt");
        CHECK_EQ_INT(pg.entry[1].size, 17);
        CHECK_EQ_STR(pg.entry[2].key, "p/raw/z&z/");
    }
    CHECK(pg.truncated);
    CHECK_EQ_STR(pg.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    store_s3_page_free(&pg);

    const char *empty = "<ListBucketResult><Name>lake</Name><IsTruncated>false</IsTruncated>"
                        "</ListBucketResult>";
    CHECK_EQ_INT(store_s3_parse_list(empty, strlen(empty), "x", &pg, &err), SL_OK);
    CHECK_EQ_INT(pg.n, 0);
    CHECK(!pg.truncated);
    store_s3_page_free(&pg);

    /* A truncated page without a token would list forever. */
    const char *endless = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    struct sl_err e = {0};
    CHECK_EQ_INT(store_s3_parse_list(endless, strlen(endless), "x", &pg, &e), SL_ERROR);
    CHECK(strstr(e.msg, "NextContinuationToken"));
    /* An HTML page from a proxy is not a listing. */
    struct sl_err e2 = {0};
    const char *html = "<html><body>Bad gateway</body></html>";
    CHECK_EQ_INT(store_s3_parse_list(html, strlen(html), "x", &pg, &e2), SL_ERROR);
    CHECK(e2.transient);
}

static void test_parse_uploads(void)
{
    const char *x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>lake</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
        "<NextKeyMarker>p/raw/b</NextKeyMarker><NextUploadIdMarker>id-2</NextUploadIdMarker>"
        "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
        "<Upload><Key>p/raw/a</Key><UploadId>id-1</UploadId><Initiator><ID>x</ID></Initiator>"
        "<StorageClass>STANDARD</StorageClass><Initiated>2026-11-30T12:00:00.000Z</Initiated></Upload>"
        "<Upload><Key>p/raw/b</Key><UploadId>id-2</UploadId></Upload>"
        "</ListMultipartUploadsResult>";
    struct store_s3_page pg;
    struct sl_err err = {0};
    CHECK_EQ_INT(store_s3_parse_uploads(x, strlen(x), "p/", &pg, &err), SL_OK);
    CHECK_EQ_INT(pg.n, 2);
    if (pg.n == 2) {
        CHECK_EQ_STR(pg.entry[0].key, "p/raw/a");
        CHECK_EQ_STR(pg.entry[0].upload_id, "id-1");
        CHECK_EQ_STR(pg.entry[1].key, "p/raw/b");
        CHECK_EQ_STR(pg.entry[1].upload_id, "id-2");
    }
    CHECK(pg.truncated);
    CHECK_EQ_STR(pg.next_key, "p/raw/b");
    CHECK_EQ_STR(pg.next_upload_id, "id-2");
    store_s3_page_free(&pg);

    const char *none = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                       "</ListMultipartUploadsResult>";
    CHECK_EQ_INT(store_s3_parse_uploads(none, strlen(none), "p/", &pg, &err), SL_OK);
    CHECK_EQ_INT(pg.n, 0);
    store_s3_page_free(&pg);
}

static void test_errors(void)
{
    char k[64], code[64], msg[128];
    const char *del = "<DeleteResult><Deleted><Key>a</Key></Deleted>"
                      "<Error><Key>b&amp;c</Key><Code>AccessDenied</Code><Message>Access Denied"
                      "</Message></Error><Error><Key>d</Key><Code>InternalError</Code></Error>"
                      "</DeleteResult>";
    CHECK_EQ_INT(store_s3_parse_delete_errors(del, strlen(del), k, sizeof k, code, sizeof code, msg,
                                              sizeof msg),
                 2);
    CHECK_EQ_STR(k, "b&c");
    CHECK_EQ_STR(code, "AccessDenied");
    CHECK_EQ_STR(msg, "Access Denied");
    const char *ok = "<DeleteResult><Deleted><Key>a</Key></Deleted></DeleteResult>";
    CHECK_EQ_INT(store_s3_parse_delete_errors(ok, strlen(ok), k, sizeof k, code, sizeof code, msg,
                                              sizeof msg),
                 0);

    /* CompleteMultipartUpload may answer 200 with an error document. */
    const char *e200 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError"
                       "</Code><Message>We encountered an internal error. Please try again."
                       "</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>";
    CHECK(store_s3_is_error(e200, strlen(e200), code, sizeof code, msg, sizeof msg));
    CHECK_EQ_STR(code, "InternalError");
    CHECK(strstr(msg, "internal error"));
    const char *done = "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Location>x"
                       "</Location><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
                       "</CompleteMultipartUploadResult>";
    CHECK(!store_s3_is_error(done, strlen(done), code, sizeof code, msg, sizeof msg));
}

/* The `s3:` section is the store's (store_s3_config): checked by the config
 * core against its table. */
static void test_config_section(void)
{
    struct sl_config c;
    struct sl_err e = {0};
    const char *base = "source: sqlite:///a.db\nlake: s3://lake/p\n";
    char text[256];
    snprintf(text, sizeof text, "%ss3: { part_size_mb: 16, uploads: 2, region: eu-west-1 }\n",
             base);
    CHECK_EQ_INT(config_parse(text, "t.yml", "/tmp", &c, &e), SL_OK);
    if (!e.set) {
        CHECK_EQ_STR(config_option(&c, "s3", "part_size_mb"), "16");
        CHECK_EQ_STR(config_option(&c, "s3", "uploads"), "2");
        CHECK_EQ_STR(config_option(&c, "s3", "region"), "eu-west-1");
        CHECK(config_option(&c, "s3", "profile") == NULL);
        config_free(&c);
    }
    snprintf(text, sizeof text, "%ss3: { part_size_mb: 4 }\n", base);
    sl_err_clear(&e);
    CHECK_EQ_INT(config_parse(text, "t.yml", "/tmp", &c, &e), SL_ERROR);
    CHECK_EQ_STR(e.object, "t.yml:3:21"); /* the value 4 */
    CHECK(strstr(e.msg, "part_size_mb"));
    snprintf(text, sizeof text, "%ss3: { part_size: 8 }\n", base);
    sl_err_clear(&e);
    CHECK_EQ_INT(config_parse(text, "t.yml", "/tmp", &c, &e), SL_ERROR);
    CHECK(strstr(e.msg, "part_size"));
}

/* ---- the store contract on a server (S3_TEST_LAKE) ---- */

static struct store st;
static char cache[64];

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
    if (err.set)
        fprintf(stderr, "  put %s: %s\n", path, err.msg);
}

static void test_server_not_found_is_a_status(void)
{
    if (!st.ctx)
        return;
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    struct sl_err err = {0};
    CHECK_EQ_INT(st.type->get(st.ctx, "c/none", &b, &err), STORE_NOT_FOUND);
    CHECK(!err.set);
    put("c/one", "R1\n");
    CHECK_EQ_INT(st.type->get(st.ctx, "c/one", &b, &err), SL_OK);
    CHECK(b.len == 3 && !memcmp(b.data, "R1\n", 3));
    sl_buf_free(&b);
}

static void test_server_list(void)
{
    if (!st.ctx)
        return;
    put("c/raw/a/run=1/part-0.parquet", "x");
    put("c/raw/a/run=2/part-0.parquet", "xy");
    put("c/raw/b/run=1/part-0.parquet", "xyz");
    put("c/raw/top.txt", "t");
    put("c/rawx", "not under c/raw");
    struct sl_err err = {0};
    struct seen all = {{0}}, folders = {{0}};
    CHECK_EQ_INT(st.type->list(st.ctx, "c/raw", NULL, collect, &all, &err), SL_OK);
    CHECK_EQ_STR(all.text, "c/raw/a/run=1/part-0.parquet c/raw/a/run=2/part-0.parquet "
                           "c/raw/b/run=1/part-0.parquet c/raw/top.txt ");
    CHECK_EQ_INT(st.type->list(st.ctx, "c/raw/", "/", collect, &folders, &err), SL_OK);
    CHECK_EQ_STR(folders.text, "c/raw/a/ c/raw/b/ c/raw/top.txt ");
    char url[256];
    st.type->url(st.ctx, "c/raw/top.txt", url, sizeof url);
    CHECK_EQ_STR(url, "s3://lake/unit/c/raw/top.txt");
    /* "c/raw" and what is under it, not its sibling "c/rawx". */
    CHECK_EQ_INT(st.type->remove_prefix(st.ctx, "c/raw", &err), SL_OK);
    struct seen left = {{0}};
    CHECK_EQ_INT(st.type->list(st.ctx, "c", NULL, collect, &left, &err), SL_OK);
    CHECK_EQ_STR(left.text, "c/one c/rawx ");
}

/* 11 MiB through small writes: parts of 8 MiB and 3 MiB read back byte for
 * byte, and its local copy. */
static void test_server_multipart_and_local_copy(void)
{
    if (!st.ctx)
        return;
    size_t n = (size_t)11 << 20;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)((i * 2654435761u) >> 13);
    struct sl_err err = {0};
    struct store_file *f = NULL;
    CHECK_EQ_INT(st.type->put_open(st.ctx, "c/big.bin", &f, &err), SL_OK);
    for (size_t o = 0; f && o < n; o += 65536)
        CHECK_EQ_INT(st.type->write(f, data + o, n - o < 65536 ? n - o : 65536, &err), SL_OK);
    if (f)
        CHECK_EQ_INT(st.type->commit(f, &err), SL_OK);
    if (err.set)
        fprintf(stderr, "  %s: %s\n", err.object, err.msg);
    struct sl_buf b;
    sl_buf_init(&b, (size_t)32 << 20);
    CHECK_EQ_INT(st.type->get(st.ctx, "c/big.bin", &b, &err), SL_OK);
    CHECK(b.len == n && !memcmp(b.data, data, n));
    sl_buf_free(&b);
    char local[512];
    CHECK(st.type->caps & STORE_CAP_LOCAL_COPY);
    CHECK_EQ_INT(st.type->local_path(st.ctx, "c/big.bin", local, sizeof local), SL_OK);
    FILE *fp = fopen(local, "rb");
    unsigned char *back = malloc(n + 1);
    size_t got = fp ? fread(back, 1, n + 1, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(got == n && !memcmp(back, data, n));
    CHECK_EQ_INT(st.type->local_path(st.ctx, "c/none", local, sizeof local), STORE_NOT_FOUND);
    /* Streamed into a file (store_get_file, the lake cache's read). */
    char file[128];
    snprintf(file, sizeof file, "%s/got.bin", cache);
    int64_t bytes = 0;
    CHECK_EQ_INT(store_get_file(&st, "c/big.bin", file, &bytes, NULL, &err), SL_OK);
    CHECK_EQ_INT(bytes, (int64_t)n);
    fp = fopen(file, "rb");
    got = fp ? fread(back, 1, n + 1, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(got == n && !memcmp(back, data, n));
    CHECK_EQ_INT(store_get_file(&st, "c/none", file, NULL, NULL, &err), STORE_NOT_FOUND);
    CHECK(!err.set);
    free(back);
    free(data);
}

/* An unfinished multipart put is never listed and is swept; the handle's
 * abort then still succeeds (the upload is gone already).  An aborted put
 * leaves neither an object nor a local copy. */
static void test_server_sweep_and_abort(void)
{
    if (!st.ctx)
        return;
    size_t n = (size_t)9 << 20; /* more than one part: the upload is created */
    unsigned char *data = calloc(1, n);
    struct sl_err err = {0};
    struct store_file *f = NULL;
    CHECK_EQ_INT(st.type->put_open(st.ctx, "c/unfinished.bin", &f, &err), SL_OK);
    CHECK_EQ_INT(st.type->write(f, data, n, &err), SL_OK); /* part 1 is on its way */
    struct seen s = {{0}};
    CHECK_EQ_INT(st.type->list(st.ctx, "c", NULL, collect, &s, &err), SL_OK);
    CHECK(!strstr(s.text, "unfinished"));
    int removed = -1;
    CHECK_EQ_INT(st.type->sweep_incomplete(st.ctx, "", &removed, &err), SL_OK);
    CHECK_EQ_INT(removed, 1);
    CHECK_EQ_INT(st.type->abort(f, &err), SL_OK);
    CHECK_EQ_INT(st.type->abort(NULL, &err), SL_OK);
    if (err.set)
        fprintf(stderr, "  %s: %s\n", err.object, err.msg);

    f = NULL;
    CHECK_EQ_INT(st.type->put_open(st.ctx, "c/aborted.bin", &f, &err), SL_OK);
    CHECK_EQ_INT(st.type->write(f, data, n, &err), SL_OK);
    CHECK_EQ_INT(st.type->abort(f, &err), SL_OK);
    removed = -1;
    CHECK_EQ_INT(st.type->sweep_incomplete(st.ctx, "", &removed, &err), SL_OK);
    CHECK_EQ_INT(removed, 0);
    struct sl_buf b;
    sl_buf_init(&b, 1 << 20);
    CHECK_EQ_INT(st.type->get(st.ctx, "c/aborted.bin", &b, &err), STORE_NOT_FOUND);
    sl_buf_free(&b);
    char local[512];
    CHECK_EQ_INT(st.type->local_path(st.ctx, "c/aborted.bin", local, sizeof local), STORE_NOT_FOUND);
    free(data);
}

int main(void)
{
    const char *lake = getenv("S3_TEST_LAKE");
    if (lake && *lake) {
        snprintf(cache, sizeof cache, "/tmp/sl-s3cache-XXXXXX");
        struct sl_err err = {0};
        struct store_options opt = {.cache_dir = mkdtemp(cache)};
        if (store_open(&st, lake, &opt, &err)) {
            fprintf(stderr, "S3_TEST_LAKE %s: %s: %s\n", lake, err.object, err.msg);
            return 1;
        }
    }
    RUN(test_split_url);
    RUN(test_xml_text_and_entities);
    RUN(test_parse_list);
    RUN(test_parse_uploads);
    RUN(test_errors);
    RUN(test_config_section);
    RUN(test_server_not_found_is_a_status);
    RUN(test_server_list);
    RUN(test_server_multipart_and_local_copy);
    RUN(test_server_sweep_and_abort);
    if (st.ctx) {
        struct sl_err err = {0};
        CHECK_EQ_INT(st.type->remove_prefix(st.ctx, "c", &err), SL_OK);
        store_close(&st);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
        if (system(cmd))
            return 1;
    }
    return CHECK_DONE();
}
