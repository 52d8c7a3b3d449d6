/*
 * test_s3.c — the S3 store's pure parts (store/s3_xml.h): the lake URL
 * split into bucket and prefix, and the XML documents of ListObjectsV2,
 * ListMultipartUploads, DeleteObjects and errors, as the S3 API reference
 * shows them.  The requests themselves are tested end to end
 * (tests/e2e/s3.sh).
 */
#include "check.h"
#include "store/s3_xml.h"
#include "store/store.h"

#include <stdlib.h>

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

int main(void)
{
    RUN(test_split_url);
    RUN(test_xml_text_and_entities);
    RUN(test_parse_list);
    RUN(test_parse_uploads);
    RUN(test_errors);
    return CHECK_DONE();
}
