/*
 * s3_xml.c — lake URL splitting and the XML documents of S3 (see s3_xml.h).
 *
 * Documents read here, from the S3 API reference:
 *   ListBucketResult (ListObjectsV2): Contents{Key, Size}*, CommonPrefixes{Prefix}*,
 *     IsTruncated, NextContinuationToken;
 *   ListMultipartUploadsResult: Upload{Key, UploadId}*, IsTruncated,
 *     NextKeyMarker, NextUploadIdMarker;
 *   DeleteResult: Deleted{Key}*, Error{Key, Code, Message}*;
 *   Error: Code, Message (also inside a 200 answer of CompleteMultipartUpload).
 */
#include "store/s3_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

int store_s3_split_url(const char *url, char *bucket, size_t bucket_size, char *prefix,
                       size_t prefix_size, struct sl_err *err)
{
    if (strncmp(url, "s3://", 5))
        return sl_err_set(err, false, "store", url, "not an s3:// URL");
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen < 3 || blen > 63 || blen >= bucket_size)
        return sl_err_set(err, false, "store", url,
                          "the bucket name must be 3 to 63 characters: write the lake as "
                          "s3://BUCKET/PREFIX");
    for (size_t i = 0; i < blen; i++) {
        char c = b[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        bool edge = i == 0 || i == blen - 1;
        if (!ok || (edge && (c == '.' || c == '-')))
            return sl_err_set(err, false, "store", url,
                              "'%.*s' is not a valid bucket name (lowercase letters, digits, "
                              "'.' and '-', beginning and ending with a letter or digit)",
                              (int)blen, b);
    }
    memcpy(bucket, b, blen);
    bucket[blen] = 0;
    const char *p = slash ? slash : "";
    while (*p == '/')
        p++;
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/')
        plen--;
    if (plen >= prefix_size)
        return sl_err_set(err, false, "store", url, "the prefix is too long");
    memcpy(prefix, p, plen);
    prefix[plen] = 0;
    /* Components "", "." and "..": S3 keeps them literally, but every other
     * tool (the AWS CLI, DuckDB) would read another path. */
    for (const char *c = prefix; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return sl_err_set(err, false, "store", url,
                              "the prefix has an empty, '.' or '..' component");
        c += n;
        if (*c == '/')
            c++;
    }
    return SL_OK;
}

/* Decode the entities of [p, end) into out (size > 0). */
static void xml_decode(const char *p, const char *end, char *out, size_t size)
{
    size_t o = 0;
    while (p < end && o + 1 < size) {
        if (*p != '&') {
            out[o++] = *p++;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(end - p));
        static const struct {
            const char *name;
            char c;
        } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
        size_t n = semi ? (size_t)(semi - p - 1) : 0;
        bool done = false;
        for (size_t i = 0; semi && i < sizeof named / sizeof *named && !done; i++)
            if (strlen(named[i].name) == n && !memcmp(p + 1, named[i].name, n)) {
                out[o++] = named[i].c;
                done = true;
            }
        if (!done && semi && n >= 2 && p[1] == '#') {
            unsigned long cp = p[2] == 'x' ? strtoul(p + 3, NULL, 16) : strtoul(p + 2, NULL, 10);
            unsigned char u[4];
            size_t k = 0;
            if (cp < 0x80)
                u[k++] = (unsigned char)cp;
            else if (cp < 0x800)
                u[k++] = (unsigned char)(0xC0 | cp >> 6), u[k++] = (unsigned char)(0x80 | (cp & 0x3F));
            else if (cp < 0x10000)
                u[k++] = (unsigned char)(0xE0 | cp >> 12),
                u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
                u[k++] = (unsigned char)(0x80 | (cp & 0x3F));
            else
                u[k++] = (unsigned char)(0xF0 | cp >> 18),
                u[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)),
                u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
                u[k++] = (unsigned char)(0x80 | (cp & 0x3F));
            if (o + k < size) {
                memcpy(out + o, u, k);
                o += k;
            }
            done = true;
        }
        if (done) {
            p = semi + 1;
        } else {
            out[o++] = *p++; /* a lone '&': kept as is */
        }
    }
    out[o] = 0;
}

int store_s3_xml_find(const char *p, const char *end, const char *tag, const char **inner,
                      const char **inner_end)
{
    size_t tl = strlen(tag);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || (size_t)(end - lt) < tl + 2)
            return 0;
        p = lt + 1;
        if (memcmp(p, tag, tl))
            continue;
        char after = p[tl];
        if (after != '>' && after != ' ' && after != '/' && after != '\t' && after != '\r' &&
            after != '\n')
            continue;
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return 0;
        if (gt[-1] == '/') { /* <tag/> */
            *inner = *inner_end = gt + 1;
            return 1;
        }
        const char *q = gt + 1;
        /* The end tag "</tag>": the first one, as S3's elements do not nest
         * in themselves. */
        while (q < end) {
            const char *c = memchr(q, '<', (size_t)(end - q));
            if (!c || (size_t)(end - c) < tl + 3)
                return 0;
            if (c[1] == '/' && !memcmp(c + 2, tag, tl) && c[2 + tl] == '>') {
                *inner = gt + 1;
                *inner_end = c;
                return 1;
            }
            q = c + 1;
        }
        return 0;
    }
    return 0;
}

int store_s3_xml_text(const char *p, const char *end, const char *tag, char *out, size_t size,
                      const char **next)
{
    const char *a, *b;
    if (!store_s3_xml_find(p, end, tag, &a, &b))
        return 0;
    xml_decode(a, b, out, size);
    if (next)
        *next = b + strlen(tag) + 3 <= end ? b + strlen(tag) + 3 : end;
    return 1;
}

int store_s3_xml_escape(struct sl_buf *out, const char *s)
{
    for (; *s; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&apos;"; break;
        }
        if (e ? sl_buf_append(out, e, strlen(e)) : sl_buf_putc(out, (uint8_t)*s))
            return SL_ERROR;
    }
    return SL_OK;
}

void store_s3_page_free(struct store_s3_page *pg)
{
    for (int i = 0; i < pg->n; i++) {
        free(pg->entry[i].key);
        free(pg->entry[i].upload_id);
    }
    free(pg->entry);
    memset(pg, 0, sizeof *pg);
}

static int add_entry(struct store_s3_page *pg, int *cap, const char *key, int64_t size,
                     const char *upload_id)
{
    if (pg->n == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        void *p = realloc(pg->entry, sizeof *pg->entry * (size_t)nc);
        if (!p)
            return SL_ERROR;
        pg->entry = p;
        *cap = nc;
    }
    struct store_s3_entry *e = &pg->entry[pg->n];
    e->key = strdup(key);
    e->size = size;
    e->upload_id = upload_id ? strdup(upload_id) : NULL;
    if (!e->key || (upload_id && !e->upload_id)) {
        free(e->key);
        free(e->upload_id);
        return SL_ERROR;
    }
    pg->n++;
    return SL_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct store_s3_entry *)a)->key, ((const struct store_s3_entry *)b)->key);
}

/* IsTruncated "true" (any case). */
static bool is_truncated(const char *p, const char *end)
{
    char t[16];
    return store_s3_xml_text(p, end, "IsTruncated", t, sizeof t, NULL) && !strcasecmp(t, "true");
}

int store_s3_parse_list(const char *xml, size_t len, const char *what, struct store_s3_page *pg,
                        struct sl_err *err)
{
    const char *p = xml, *end = xml + len, *a, *b;
    memset(pg, 0, sizeof *pg);
    if (!store_s3_xml_find(p, end, "ListBucketResult", &a, &b))
        return sl_err_set(err, true, "store", what,
                          "the answer to ListObjectsV2 is not a ListBucketResult document");
    int cap = 0;
    char key[2048], size[32];
    const char *q = a, *ia, *ib;
    while (store_s3_xml_find(q, b, "Contents", &ia, &ib)) {
        if (!store_s3_xml_text(ia, ib, "Key", key, sizeof key, NULL))
            goto bad;
        int64_t sz = store_s3_xml_text(ia, ib, "Size", size, sizeof size, NULL)
                         ? strtoll(size, NULL, 10)
                         : 0;
        if (add_entry(pg, &cap, key, sz, NULL))
            goto oom;
        q = ib + strlen("</Contents>");
    }
    q = a;
    while (store_s3_xml_find(q, b, "CommonPrefixes", &ia, &ib)) {
        if (!store_s3_xml_text(ia, ib, "Prefix", key, sizeof key, NULL))
            goto bad;
        if (add_entry(pg, &cap, key, STORE_PREFIX_SIZE, NULL))
            goto oom;
        q = ib + strlen("</CommonPrefixes>");
    }
    if (pg->n > 1)
        qsort(pg->entry, (size_t)pg->n, sizeof *pg->entry, cmp_entry);
    pg->truncated = is_truncated(a, b);
    store_s3_xml_text(a, b, "NextContinuationToken", pg->next_token, sizeof pg->next_token, NULL);
    if (pg->truncated && !pg->next_token[0]) {
        store_s3_page_free(pg);
        return sl_err_set(err, true, "store", what,
                          "ListObjectsV2 answered a truncated page without a "
                          "NextContinuationToken");
    }
    return SL_OK;
bad:
    store_s3_page_free(pg);
    return sl_err_set(err, true, "store", what, "a listing entry without its Key or Prefix");
oom:
    store_s3_page_free(pg);
    return sl_err_set(err, false, "store", what, "out of memory");
}

int store_s3_parse_uploads(const char *xml, size_t len, const char *what,
                           struct store_s3_page *pg, struct sl_err *err)
{
    const char *end = xml + len, *a, *b;
    memset(pg, 0, sizeof *pg);
    if (!store_s3_xml_find(xml, end, "ListMultipartUploadsResult", &a, &b))
        return sl_err_set(err, true, "store", what,
                          "the answer to ListMultipartUploads is not a "
                          "ListMultipartUploadsResult document");
    int cap = 0;
    char key[2048], id[1024];
    const char *q = a, *ia, *ib;
    while (store_s3_xml_find(q, b, "Upload", &ia, &ib)) {
        if (!store_s3_xml_text(ia, ib, "Key", key, sizeof key, NULL) ||
            !store_s3_xml_text(ia, ib, "UploadId", id, sizeof id, NULL)) {
            store_s3_page_free(pg);
            return sl_err_set(err, true, "store", what, "an Upload entry without Key or UploadId");
        }
        if (add_entry(pg, &cap, key, 0, id)) {
            store_s3_page_free(pg);
            return sl_err_set(err, false, "store", what, "out of memory");
        }
        q = ib + strlen("</Upload>");
    }
    pg->truncated = is_truncated(a, b);
    store_s3_xml_text(a, b, "NextKeyMarker", pg->next_key, sizeof pg->next_key, NULL);
    store_s3_xml_text(a, b, "NextUploadIdMarker", pg->next_upload_id, sizeof pg->next_upload_id,
                      NULL);
    if (pg->truncated && !pg->next_key[0]) {
        store_s3_page_free(pg);
        return sl_err_set(err, true, "store", what,
                          "ListMultipartUploads answered a truncated page without a "
                          "NextKeyMarker");
    }
    return SL_OK;
}

int store_s3_parse_delete_errors(const char *xml, size_t len, char *key, size_t key_size,
                                 char *code, size_t code_size, char *msg, size_t msg_size)
{
    const char *q = xml, *end = xml + len, *ia, *ib;
    int n = 0;
    key[0] = code[0] = msg[0] = 0;
    while (store_s3_xml_find(q, end, "Error", &ia, &ib)) {
        if (n++ == 0) {
            store_s3_xml_text(ia, ib, "Key", key, key_size, NULL);
            store_s3_xml_text(ia, ib, "Code", code, code_size, NULL);
            store_s3_xml_text(ia, ib, "Message", msg, msg_size, NULL);
        }
        q = ib + strlen("</Error>");
    }
    return n;
}

bool store_s3_is_error(const char *xml, size_t len, char *code, size_t code_size, char *msg,
                       size_t msg_size)
{
    const char *end = xml + len, *a, *b;
    code[0] = msg[0] = 0;
    /* The document element, not an <Error> entry inside a result. */
    const char *p = xml;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p + 5 < end && !memcmp(p, "<?xml", 5)) {
        const char *e = memchr(p, '>', (size_t)(end - p));
        p = e ? e + 1 : end;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
    }
    if ((size_t)(end - p) < 7 || memcmp(p, "<Error", 6) || !store_s3_xml_find(p, end, "Error", &a, &b))
        return false;
    store_s3_xml_text(a, b, "Code", code, code_size, NULL);
    store_s3_xml_text(a, b, "Message", msg, msg_size, NULL);
    return true;
}
