/*
 * s3_xml.h — the pure parts of the S3 store (s3.c), apart so that the unit
 * tests (tests/unit/test_s3.c) reach them without a server: the lake URL
 * split into bucket and prefix, and the few XML documents S3 answers with.
 *
 * S3's XML is flat and machine-written: no DTD, no CDATA, elements of one
 * name never nested in themselves.  So a reader that finds "<Tag>…</Tag>"
 * and decodes the five predefined entities and numeric references is
 * enough; a full XML parser would be a dependency for nothing.
 */
#ifndef SL_STORE_S3_XML_H
#define SL_STORE_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* "s3://bucket/some/prefix/" → bucket "bucket", prefix "some/prefix" (no
 * leading or trailing '/'; "" for the bucket's root).  SL_ERROR (err naming
 * the URL and what is wrong) for a missing bucket, an invalid bucket name
 * (S3's rules: 3-63 characters of a-z 0-9 . -, starting and ending with a
 * letter or digit) or "." / ".." components in the prefix. */
int store_s3_split_url(const char *url, char *bucket, size_t bucket_size, char *prefix,
                       size_t prefix_size, struct sl_err *err);

/* The text of the first <tag>…</tag> element in [p, end) into out
 * (entities decoded, truncated to size-1).  Returns 1 when found, 0 when not.
 * *next (may be NULL) receives the position after its end tag. */
int store_s3_xml_text(const char *p, const char *end, const char *tag, char *out, size_t size,
                      const char **next);

/* The inside of the first <tag>…</tag> (or <tag attr…>…</tag>) element in
 * [p, end): *inner and *inner_end.  <tag/> is found, empty.  Returns 1 / 0. */
int store_s3_xml_find(const char *p, const char *end, const char *tag, const char **inner,
                      const char **inner_end);

/* Append s to out with & < > " ' escaped: a key inside an XML request body. */
int store_s3_xml_escape(struct sl_buf *out, const char *s);

/* One entry of a listing page. */
struct store_s3_entry {
    char *key;    /* the whole key (or common prefix, with its trailing delimiter) */
    int64_t size; /* STORE_PREFIX_SIZE for a common prefix */
    char *upload_id; /* ListMultipartUploads only */
};

/* A page of ListObjectsV2 (Contents and CommonPrefixes merged in key order)
 * or of ListMultipartUploads (Upload elements). */
struct store_s3_page {
    struct store_s3_entry *entry;
    int n;
    bool truncated;
    char next_token[1024];      /* ListObjectsV2: NextContinuationToken */
    char next_key[1024];        /* ListMultipartUploads: NextKeyMarker */
    char next_upload_id[1024];  /* ListMultipartUploads: NextUploadIdMarker */
};

void store_s3_page_free(struct store_s3_page *pg);

/* Parse a ListBucketResult (ListObjectsV2).  Entries sorted by key.
 * SL_ERROR on out of memory or a document that is not one (err names
 * `what`).  A truncated page without a continuation token is an error (the
 * listing could never end). */
int store_s3_parse_list(const char *xml, size_t len, const char *what, struct store_s3_page *pg,
                        struct sl_err *err);

/* Parse a ListMultipartUploadsResult.  Same contract. */
int store_s3_parse_uploads(const char *xml, size_t len, const char *what,
                           struct store_s3_page *pg, struct sl_err *err);

/* A DeleteResult: the number of <Error> entries; the first one's key, code
 * and message into the buffers.  S3 answers 200 even when some keys could not
 * be deleted. */
int store_s3_parse_delete_errors(const char *xml, size_t len, char *key, size_t key_size,
                                 char *code, size_t code_size, char *msg, size_t msg_size);

/* Whether a 200 answer is in fact an <Error> document (CompleteMultipartUpload
 * and CopyObject can fail after sending 200); code / message filled then. */
bool store_s3_is_error(const char *xml, size_t len, char *code, size_t code_size, char *msg,
                       size_t msg_size);

#endif
