/*
 * sigv4.c — AWS Signature Version 4, as a pure function (see aws.h).
 *
 * The algorithm (AWS General Reference, "Create a signed AWS API request"):
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
 *                      CanonicalHeaders \n SignedHeaders \n HexPayloadHash
 *   StringToSign     = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n Hex(SHA256(CanonicalRequest))
 *   Scope            = yyyymmdd/region/service/aws4_request
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, yyyymmdd), region), service),
 * "aws4_request") Signature        = Hex(HMAC(SigningKey, StringToSign))
 *
 * The parts where signers go wrong, and what this one does:
 *   - CanonicalURI: for S3 the path exactly as sent, which the caller has
 *     percent-encoded once (a key "run=7" is sent and signed "run%3D7");
 *     for every other service the path is normalised (".", "..", "//") and
 *     encoded once more, so "%20" on the wire is "%2520" in the signature.
 *   - CanonicalQuery: each name and value decoded, then encoded with only
 *     A-Za-z0-9-._~ left bare; pairs sorted by name, then value; a bare
 *     name is "name=".
 *   - CanonicalHeaders: names lowercased, values trimmed and inner runs of
 *     blanks collapsed to one; sorted by name; repeated names joined by ','.
 *
 * HMAC and SHA-256 come from OpenSSL's libcrypto.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "aws/aws.h"

#define TEXT_MAX (4u << 20) /* canonical request cap: headers and query are small */

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[p[i] >> 4];
        out[2 * i + 1] = hexdigits[p[i] & 15];
    }
    out[2 * n] = 0;
}

void aws_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data ? data : (const void *)"", len, md);
    to_hex(md, sizeof md, hex);
}

static void hmac(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n);
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int encode(struct sl_buf *out, const char *s, size_t len, bool keep_slash)
{
    if (sl_buf_reserve(out, len * 3))
        return SL_ERROR;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            out->data[out->len++] = c;
        } else {
            out->data[out->len++] = '%';
            out->data[out->len++] = (uint8_t) "0123456789ABCDEF"[c >> 4];
            out->data[out->len++] = (uint8_t) "0123456789ABCDEF"[c & 15];
        }
    }
    return SL_OK;
}

int aws_uri_encode_path(struct sl_buf *out, const char *raw)
{
    return encode(out, raw, strlen(raw), true);
}

int aws_uri_encode(struct sl_buf *out, const char *raw, size_t len)
{
    return encode(out, raw, len, false);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..len) into out (NUL-terminated); '+' stays '+' (SigV4
 * is not form encoding).  SL_ERROR on a bad escape. */
static int decode(struct sl_buf *out, const char *s, size_t len)
{
    if (sl_buf_reserve(out, len + 1))
        return SL_ERROR;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int a = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
            int b = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
            int h = a < 0 || b < 0 ? -1 : a * 16 + b;
            if (h < 0)
                return SL_ERROR;
            out->data[out->len++] = (uint8_t)h;
            i += 2;
        } else {
            out->data[out->len++] = (uint8_t)s[i];
        }
    }
    out->data[out->len] = 0;
    return SL_OK;
}

/* ---------------------------------------------------------- canonical URI */

/* Normalise a path per RFC 3986 5.2.4 as the SigV4 suite wants: empty and
 * "." segments dropped, ".." removes the previous one; a trailing slash is
 * kept.  Writes into out (NUL-terminated). */
static int normalize_path(struct sl_buf *out, const char *path)
{
    size_t n = strlen(path);
    if (sl_buf_reserve(out, n + 2))
        return SL_ERROR;
    size_t base = out->len;
    out->data[out->len++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t seg = e ? (size_t)(e - p) : strlen(p);
        if (seg == 0)
            break;
        if (seg == 1 && p[0] == '.') {
            /* dropped */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
            if (out->len > base + 1) {
                out->len--; /* the '/' after the last segment */
                while (out->len > base + 1 && out->data[out->len - 1] != '/')
                    out->len--;
            }
        } else {
            memcpy(out->data + out->len, p, seg);
            out->len += seg;
            out->data[out->len++] = '/';
        }
        p += seg;
    }
    /* Keep the trailing slash only when the input had one. */
    size_t in_len = strlen(path);
    bool trailing = in_len > 0 && path[in_len - 1] == '/';
    if (out->len > base + 1 && !trailing)
        out->len--;
    out->data[out->len] = 0;
    return SL_OK;
}

static int canonical_uri(struct sl_buf *cr, const struct aws_sign_input *in)
{
    const char *path = in->path && *in->path ? in->path : "/";
    if (in->s3)
        return sl_buf_append(cr, path, strlen(path));
    struct sl_buf norm;
    sl_buf_init(&norm, TEXT_MAX);
    int rc = normalize_path(&norm, path);
    if (!rc)
        rc = encode(cr, (const char *)norm.data, norm.len, true);
    sl_buf_free(&norm);
    return rc;
}

/* -------------------------------------------------------- canonical query */

struct pair {
    char *name, *value; /* encoded, NUL-terminated, malloc'd together in one block */
};

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Re-encode one decoded name or value into a fresh string. */
static char *reencode(const char *s, size_t len)
{
    struct sl_buf dec, enc;
    sl_buf_init(&dec, TEXT_MAX);
    sl_buf_init(&enc, TEXT_MAX);
    char *r = NULL;
    if (decode(&dec, s, len) == SL_OK &&
        encode(&enc, (const char *)dec.data, dec.len, false) == SL_OK &&
        sl_buf_putc(&enc, 0) == SL_OK) {
        r = (char *)enc.data;
        enc.data = NULL;
    }
    sl_buf_free(&dec);
    sl_buf_free(&enc);
    return r;
}

static int canonical_query(struct sl_buf *cr, const char *query)
{
    if (!query || !*query)
        return SL_OK;
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    struct pair *pairs = calloc(n, sizeof *pairs);
    if (!pairs)
        return SL_ERROR;
    size_t count = 0;
    int rc = SL_OK;
    const char *p = query;
    while (*p && rc == SL_OK) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t nl = eq ? (size_t)(eq - p) : len;
            pairs[count].name = reencode(p, nl);
            pairs[count].value = eq ? reencode(eq + 1, len - nl - 1) : reencode("", 0);
            if (!pairs[count].name || !pairs[count].value)
                rc = SL_ERROR;
            count++;
        }
        p += len + (e != NULL);
    }
    if (rc == SL_OK)
        qsort(pairs, count, sizeof *pairs, pair_cmp);
    for (size_t i = 0; i < count && rc == SL_OK; i++) {
        if ((i && sl_buf_putc(cr, '&')) ||
            sl_buf_append(cr, pairs[i].name, strlen(pairs[i].name)) || sl_buf_putc(cr, '=') ||
            sl_buf_append(cr, pairs[i].value, strlen(pairs[i].value)))
            rc = SL_ERROR;
    }
    for (size_t i = 0; i < count; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    return rc;
}

/* ------------------------------------------------------ canonical headers */

struct hdr {
    char name[128];    /* lowercase */
    const char *value; /* not yet trimmed */
    size_t order;      /* input position: repeated names keep their order */
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Value trimmed, inner runs of blanks (and of line folds) collapsed to one. */
static int put_value(struct sl_buf *cr, const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    bool space = false;
    for (; *v; v++) {
        bool blank = *v == ' ' || *v == '\t' || *v == '\r' || *v == '\n';
        if (blank) {
            space = true;
            continue;
        }
        if (space && sl_buf_putc(cr, ' '))
            return SL_ERROR;
        space = false;
        if (sl_buf_putc(cr, (uint8_t)*v))
            return SL_ERROR;
    }
    return SL_OK;
}

static bool has_header(const struct hdr *h, size_t n, const char *lname)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].name, lname) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ sign */

int aws_sign(const struct aws_sign_input *in, const struct aws_creds *creds,
             struct aws_signature *out, struct sl_buf *canonical, struct sl_buf *string_to_sign,
             struct sl_err *err)
{
    memset(out, 0, sizeof *out);
    struct tm tm;
    gmtime_r(&in->when, &tm);
    strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
    char day[9];
    memcpy(day, out->amz_date, 8);
    day[8] = 0;

    const char *payload = in->payload_sha256;
    char empty_hash[65];
    if (!payload) {
        aws_sha256_hex("", 0, empty_hash);
        payload = empty_hash;
    }
    if (in->s3)
        snprintf(out->content_sha256, sizeof out->content_sha256, "%s", payload);

    size_t nh = in->n_headers;
    struct hdr *h = calloc(nh + 3, sizeof *h);
    if (!h)
        return sl_err_set(err, false, "aws", "sign", "out of memory");
    for (size_t i = 0; i < nh; i++) {
        size_t len = strlen(in->headers[i].name);
        if (len >= sizeof h[i].name) {
            free(h);
            return sl_err_set(err, false, "aws", "sign", "header name too long: %.60s…",
                              in->headers[i].name);
        }
        for (size_t k = 0; k <= len; k++)
            h[i].name[k] = (char)tolower((unsigned char)in->headers[i].name[k]);
        h[i].value = in->headers[i].value ? in->headers[i].value : "";
        h[i].order = i;
    }
    if (!has_header(h, nh, "host")) {
        free(h);
        return sl_err_set(err, false, "aws", "sign", "no Host header to sign");
    }
    size_t total = nh;
    if (!has_header(h, nh, "x-amz-date")) {
        strcpy(h[total].name, "x-amz-date");
        h[total].value = out->amz_date;
        h[total].order = total;
        total++;
    }
    if (in->s3 && !has_header(h, nh, "x-amz-content-sha256")) {
        strcpy(h[total].name, "x-amz-content-sha256");
        h[total].value = out->content_sha256;
        h[total].order = total;
        total++;
    }
    if (creds->session_token[0] && !has_header(h, nh, "x-amz-security-token")) {
        strcpy(h[total].name, "x-amz-security-token");
        h[total].value = creds->session_token;
        h[total].order = total;
        total++;
    }
    qsort(h, total, sizeof *h, hdr_cmp);

    struct sl_buf cr, sh, sts;
    sl_buf_init(&cr, TEXT_MAX);
    sl_buf_init(&sh, 64 * 1024);
    sl_buf_init(&sts, 4096);
    int rc = SL_OK;
    const char *method = in->method;
    if (sl_buf_append(&cr, method, strlen(method)) || sl_buf_putc(&cr, '\n') ||
        canonical_uri(&cr, in) || sl_buf_putc(&cr, '\n'))
        rc = SL_ERROR;
    if (!rc && (canonical_query(&cr, in->query) || sl_buf_putc(&cr, '\n')))
        rc = sl_err_set(err, false, "aws", "sign", "bad query string (a stray '%%'?): %.200s",
                        in->query);
    for (size_t i = 0; i < total && !rc; i++) {
        bool repeat = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (repeat) {
            cr.len--; /* the '\n' of the previous line */
            rc = sl_buf_putc(&cr, ',') || put_value(&cr, h[i].value) || sl_buf_putc(&cr, '\n');
            continue;
        }
        size_t ln = strlen(h[i].name);
        rc = sl_buf_append(&cr, h[i].name, ln) || sl_buf_putc(&cr, ':') ||
             put_value(&cr, h[i].value) || sl_buf_putc(&cr, '\n');
        if (!rc)
            rc = (sh.len && sl_buf_putc(&sh, ';')) || sl_buf_append(&sh, h[i].name, ln);
    }
    if (!rc)
        rc = sl_buf_putc(&cr, '\n') || sl_buf_append(&cr, sh.data, sh.len) ||
             sl_buf_putc(&cr, '\n') || sl_buf_append(&cr, payload, strlen(payload));
    if (rc) {
        sl_err_set(err, false, "aws", "sign", "the request to sign is too large or malformed");
        goto out;
    }

    char cr_hash[65];
    aws_sha256_hex(cr.data, cr.len, cr_hash);
    char scope[256];
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", day, in->region, in->service);
    char line[512];
    int ll =
        snprintf(line, sizeof line, "AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date, scope, cr_hash);
    if (sl_buf_append(&sts, line, (size_t)ll)) {
        rc = sl_err_set(err, false, "aws", "sign", "region or service name too long");
        goto out;
    }

    /* The signing key chain; the secret lives only in these stack buffers,
     * wiped before return. */
    unsigned char k[32];
    char secret[4 + sizeof creds->secret_access_key];
    int sl = snprintf(secret, sizeof secret, "AWS4%s", creds->secret_access_key);
    hmac(secret, (size_t)sl, day, strlen(day), k);
    hmac(k, 32, in->region, strlen(in->region), k);
    hmac(k, 32, in->service, strlen(in->service), k);
    hmac(k, 32, "aws4_request", 12, k);
    unsigned char sig[32];
    hmac(k, 32, sts.data, sts.len, sig);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(k, sizeof k);
    to_hex(sig, 32, out->signature);

    int n =
        snprintf(out->authorization, sizeof out->authorization,
                 "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%.*s, Signature=%s",
                 creds->access_key_id, scope, (int)sh.len, (const char *)sh.data, out->signature);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        rc = sl_err_set(err, false, "aws", "sign", "too many signed headers");
        goto out;
    }
    if (canonical && sl_buf_append(canonical, cr.data, cr.len))
        rc = sl_err_set(err, false, "aws", "sign", "canonical request buffer full");
    if (!rc && string_to_sign && sl_buf_append(string_to_sign, sts.data, sts.len))
        rc = sl_err_set(err, false, "aws", "sign", "string-to-sign buffer full");
out:
    sl_buf_free(&cr);
    sl_buf_free(&sh);
    sl_buf_free(&sts);
    free(h);
    return rc;
}
