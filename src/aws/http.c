/*
 * http.c — one signed, retried HTTP request over libcurl (aws_request), the
 * JSON 1.1 protocol on top (aws_json_call), and the plain calls the
 * credential providers make (aws_http_plain).  See aws.h for the contract.
 *
 * One attempt: take current credentials (client.c refreshes them), sign
 * with the current time, send through a curl handle from the client's pool,
 * collect status, headers and body.  Then classify:
 *
 *   2xx                                   done
 *   curl: connect/send/recv failure, reset, timeout, nothing received,
 *         short body (CURLE_PARTIAL_FILE)  retry
 *   5xx (not 501), 429, throttling codes  retry
 *   ExpiredToken & co.                    credentials marked stale, retry
 *   anything else (400, 403, 404 …)       fail at once, permanent
 *
 * Waits between attempts are "full jitter" (uniform in [0, cap)) with
 * cap = min(max_delay, interval · backoff_rate^(attempt-1)): failures of many
 * upload threads at once spread out instead of retrying together.  The
 * wait is cut into 50 ms naps that watch the interrupt flag.
 *
 * Curl handles: a handle keeps its connection cache, so handles are pooled
 * (a stack under pool_lock) rather than made per request; each request uses
 * one handle alone, so any number of threads can call aws_request.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/internal.h"
#include "util/log.h"

#define DEFAULT_MAX_BODY (64u << 20)

/* --------------------------------------------------------------- response */

void aws_response_init(struct aws_response *resp)
{
    memset(resp, 0, sizeof *resp);
    sl_buf_init(&resp->body, DEFAULT_MAX_BODY);
    sl_buf_init(&resp->headers, 256 * 1024);
}

void aws_response_free(struct aws_response *resp)
{
    if (!resp)
        return;
    sl_buf_free(&resp->body);
    sl_buf_free(&resp->headers);
}

static int header_in(const uint8_t *data, size_t len, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    const char *p = (const char *)data, *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            snprintf(out, size, "%.*s", (int)(ve - v), v);
            return 1;
        }
        p = eol + 1;
    }
    return 0;
}

int aws_response_header(const struct aws_response *resp, const char *name, char *out, size_t size)
{
    return header_in(resp->headers.data, resp->headers.len, name, out, size);
}

/* ------------------------------------------------------------ curl pool */

static CURL *handle_get(struct aws_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->n_pool)
        h = c->pool[--c->n_pool];
    pthread_mutex_unlock(&c->pool_lock);
    return h ? h : curl_easy_init();
}

static void handle_put(struct aws_client *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_lock);
    if (c->n_pool < AWS_POOL_MAX) {
        c->pool[c->n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

/* ------------------------------------------------------------ transfer */

struct xfer {
    const struct aws_request *req;
    struct aws_response *resp;
    CURL *curl;
    const volatile sig_atomic_t *stop;
    size_t sent;       /* body bytes handed to curl */
    size_t delivered;  /* 2xx body bytes handed to req->write */
    bool write_failed; /* req->write refused: abort, permanent */
    bool body_full;    /* resp->body cap reached */
    bool interrupted;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    /* A new status line (after 100 Continue, or a retry): start over. */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        sl_buf_reset(&x->resp->headers);
    if (sl_buf_append(&x->resp->headers, p, len))
        return 0;
    return len;
}

static bool ok_status(long s)
{
    return s >= 200 && s < 300;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    if (x->req->write && ok_status(status)) {
        size_t w = x->req->write(p, len, x->req->write_arg);
        x->delivered += w;
        if (w != len) {
            x->write_failed = true;
            return 0;
        }
        return len;
    }
    if (sl_buf_append(&x->resp->body, p, len)) {
        x->body_full = true;
        return 0;
    }
    return len;
}

static size_t on_read(char *dst, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t want = size * n;
    const struct aws_request *r = x->req;
    if (r->read) {
        size_t got = r->read(dst, want, r->read_arg);
        x->sent += got;
        return got;
    }
    size_t left = r->body_len - x->sent;
    if (want > left)
        want = left;
    if (want)
        memcpy(dst, (const char *)r->body + x->sent, want);
    x->sent += want;
    return want;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct xfer *x = arg;
    if (x->stop && *x->stop) {
        x->interrupted = true;
        return 1;
    }
    return 0;
}

static bool interrupted(const struct aws_client *c)
{
    return c->opt.stop && *c->opt.stop;
}

/* ------------------------------------------------------ error parsing */

static void parse_error(struct aws_response *resp)
{
    struct aws_error *e = &resp->error;
    e->status = resp->status;
    char v[256];
    if (header_in(resp->headers.data, resp->headers.len, "x-amz-request-id", v, sizeof v) ||
        header_in(resp->headers.data, resp->headers.len, "x-amzn-RequestId", v, sizeof v))
        snprintf(e->request_id, sizeof e->request_id, "%s", v);
    if (header_in(resp->headers.data, resp->headers.len, "x-amzn-ErrorType", v, sizeof v)) {
        v[strcspn(v, ":")] = 0;
        snprintf(e->code, sizeof e->code, "%s", v);
    }
    const char *b = (const char *)resp->body.data;
    size_t len = resp->body.len;
    size_t i = 0;
    while (i < len && isspace((unsigned char)b[i]))
        i++;
    if (i < len && b[i] == '<') {
        if (!e->code[0])
            aws_xml_value(b, len, "Code", e->code, sizeof e->code);
        aws_xml_value(b, len, "Message", e->message, sizeof e->message);
        if (!e->request_id[0])
            aws_xml_value(b, len, "RequestId", e->request_id, sizeof e->request_id);
    } else if (i < len && b[i] == '{') {
        json_t *j = json_loadb(b, len, 0, NULL);
        const char *type = json_string_value(json_object_get(j, "__type"));
        if (!type)
            type = json_string_value(json_object_get(j, "code"));
        if (!type)
            type = json_string_value(json_object_get(j, "Code"));
        if (type && !e->code[0]) {
            const char *hash = strrchr(type, '#');
            snprintf(e->code, sizeof e->code, "%s", hash ? hash + 1 : type);
            e->code[strcspn(e->code, ":")] = 0;
        }
        const char *msg = json_string_value(json_object_get(j, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(j, "Message"));
        if (msg)
            snprintf(e->message, sizeof e->message, "%s", msg);
        json_decref(j);
    }
}

static bool retryable_code(const char *code)
{
    static const char *const codes[] = {"SlowDown",
                                        "RequestTimeout",
                                        "InternalError",
                                        "ThrottlingException",
                                        "Throttling",
                                        "ThrottledException",
                                        "TooManyRequestsException",
                                        "ProvisionedThroughputExceededException",
                                        "RequestLimitExceeded",
                                        "RequestThrottled",
                                        "RequestThrottledException",
                                        "BandwidthLimitExceeded",
                                        "RequestTimeTooSkewed",
                                        "InternalFailure",
                                        "ServiceUnavailable",
                                        "PriorRequestNotComplete",
                                        "IDPCommunicationError",
                                        "EC2ThrottledException",
                                        "TransactionInProgressException"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

static bool expired_code(const char *code)
{
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
           strcmp(code, "RequestExpired") == 0;
}

static bool retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    /* The connection died while the body was being sent and curl wanted to
     * rewind it itself (it has no seek callback): the next attempt sends it
     * again from the start. */
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_WEIRD_SERVER_REPLY: return true;
    default: return false;
    }
}

/* ------------------------------------------------------------ building */

/* Split "scheme://host[:port][/base]" into the part before the path, the
 * Host header value, and the base path (no trailing '/'). */
static int split_base(const char *base, char *origin, size_t osize, char *host, size_t hsize,
                      char *bpath, size_t bsize)
{
    const char *h = strstr(base, "://");
    if (!h)
        return SL_ERROR;
    h += 3;
    size_t hl = strcspn(h, "/?#");
    if (hl == 0)
        return SL_ERROR;
    snprintf(origin, osize, "%.*s", (int)(h - base + (ptrdiff_t)hl), base);
    /* Default ports are not written in Host (curl would not either). */
    bool https = strncmp(base, "https", 5) == 0;
    const char *port_from = h;
    const char *bracket = h[0] == '[' ? memchr(h, ']', hl) : NULL;
    if (bracket)
        port_from = bracket;
    const char *colon = memchr(port_from, ':', hl - (size_t)(port_from - h));
    size_t keep = hl;
    if (colon) {
        const char *port = colon + 1;
        size_t pl = hl - (size_t)(port - h);
        if ((https && pl == 3 && memcmp(port, "443", 3) == 0) ||
            (!https && pl == 2 && memcmp(port, "80", 2) == 0))
            keep = (size_t)(colon - h);
    }
    snprintf(host, hsize, "%.*s", (int)keep, h);
    const char *p = h + hl;
    size_t pl = strcspn(p, "?#");
    while (pl && p[pl - 1] == '/')
        pl--;
    snprintf(bpath, bsize, "%.*s", (int)pl, p);
    return SL_OK;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (!line)
        return SL_ERROR;
    snprintf(line, n, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(*list, line);
    OPENSSL_cleanse(line, n);
    free(line);
    if (!l)
        return SL_ERROR;
    *list = l;
    return SL_OK;
}

/* Query as sent: name=value pairs, each part strictly encoded. */
static int build_query(struct sl_buf *q, const struct aws_request *req)
{
    for (size_t i = 0; i < req->n_query; i++) {
        const char *n = req->query[i].name, *v = req->query[i].value ? req->query[i].value : "";
        if ((i && sl_buf_putc(q, '&')) || aws_uri_encode(q, n, strlen(n)) || sl_buf_putc(q, '=') ||
            aws_uri_encode(q, v, strlen(v)))
            return SL_ERROR;
    }
    return sl_buf_putc(q, 0);
}

static unsigned int seed_for_thread(void)
{
    static _Thread_local unsigned int seed;
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (unsigned int)ts.tv_nsec ^ (unsigned int)(uintptr_t)&seed ^ (unsigned int)getpid();
        if (!seed)
            seed = 1;
    }
    return rand_r(&seed);
}

/* Sleep `s` seconds in 50 ms naps; false when interrupted. */
static bool nap(const struct aws_client *c, double s)
{
    while (s > 0) {
        if (interrupted(c))
            return false;
        double step = s < 0.05 ? s : 0.05;
        usleep((useconds_t)(step * 1e6));
        s -= step;
    }
    return !interrupted(c);
}

static double backoff(const struct sl_retry *r, int failed_attempt)
{
    double cap = r->interval;
    for (int i = 1; i < failed_attempt && cap < r->max_delay; i++)
        cap *= r->backoff_rate;
    if (cap > r->max_delay)
        cap = r->max_delay;
    return cap * ((double)seed_for_thread() / ((double)RAND_MAX + 1));
}

/* ------------------------------------------------------------- request */

struct attempt_result {
    CURLcode cc;
    char curl_msg[CURL_ERROR_SIZE];
    bool retry;   /* a later attempt may succeed */
    bool refresh; /* the credentials expired under us */
};

static int one_attempt(struct aws_client *c, const struct aws_request *req, const char *url,
                       const char *host, const char *wire_path, const char *query,
                       const char *payload_hash, struct aws_response *resp,
                       struct attempt_result *ar, struct sl_err *err)
{
    struct aws_creds cr;
    if (aws_client_creds(c, &cr, err))
        return SL_ERROR;
    size_t nh = req->n_headers;
    struct aws_header *hs = calloc(nh + 1, sizeof *hs);
    if (!hs) {
        aws_creds_clear(&cr);
        return sl_err_set(err, false, "aws", "", "out of memory");
    }
    hs[0].name = "Host";
    hs[0].value = host;
    for (size_t i = 0; i < nh; i++)
        hs[i + 1] = req->headers[i];
    bool s3 = strcmp(req->service, "s3") == 0;
    struct aws_sign_input in = {.method = req->method,
                                .path = wire_path,
                                .query = query,
                                .headers = hs,
                                .n_headers = nh + 1,
                                .payload_sha256 = payload_hash,
                                .service = req->service,
                                .region = c->region,
                                .when = time(NULL),
                                .s3 = s3};
    struct aws_signature sig;
    int rc = aws_sign(&in, &cr, &sig, NULL, NULL, err);
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < nh + 1 && rc == SL_OK; i++)
        rc = add_header(&list, hs[i].name, hs[i].value);
    if (rc == SL_OK)
        rc = add_header(&list, "X-Amz-Date", sig.amz_date) ||
             add_header(&list, "Authorization", sig.authorization) ||
             (sig.content_sha256[0] &&
              add_header(&list, "x-amz-content-sha256", sig.content_sha256)) ||
             (cr.session_token[0] && add_header(&list, "X-Amz-Security-Token", cr.session_token)) ||
             !(list = curl_slist_append(list, "Expect:")) ||
             !(list = curl_slist_append(list, "Accept:"));
    char akid[128];
    snprintf(akid, sizeof akid, "%s", cr.access_key_id);
    aws_creds_clear(&cr);
    free(hs);
    if (rc) {
        curl_slist_free_all(list);
        sl_err_set(err, false, "aws", "", "cannot build the request (out of memory)");
        return SL_ERROR;
    }

    CURL *h = handle_get(c);
    if (!h) {
        curl_slist_free_all(list);
        return sl_err_set(err, true, "aws", "", "curl_easy_init failed");
    }
    struct xfer x = {.req = req, .resp = resp, .curl = h, .stop = c->opt.stop};
    sl_buf_reset(&resp->body);
    sl_buf_reset(&resp->headers);
    resp->status = 0;
    resp->etag[0] = 0;
    memset(&resp->error, 0, sizeof resp->error);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     c->opt.connect_timeout_ms > 0 ? c->opt.connect_timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                     c->opt.low_speed_bytes > 0 ? c->opt.low_speed_bytes : 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->opt.low_speed_s > 0 ? c->opt.low_speed_s : 60L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    bool has_body = req->read || req->body || strcmp(req->method, "PUT") == 0 ||
                    strcmp(req->method, "POST") == 0;
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        /* UPLOAD streams the body through on_read and adds no
         * Content-Type of its own; CUSTOMREQUEST turns its PUT into POST. */
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &x);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "PUT") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    ar->cc = curl_easy_perform(h);
    snprintf(ar->curl_msg, sizeof ar->curl_msg, "%s",
             errbuf[0] ? errbuf : curl_easy_strerror(ar->cc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    handle_put(c, h);
    curl_slist_free_all(list);
    aws_response_header(resp, "ETag", resp->etag, sizeof resp->etag);

    ar->retry = ar->refresh = false;
    if (x.interrupted || interrupted(c))
        return sl_err_set(err, false, "aws", "", "interrupted");
    if (x.write_failed)
        return sl_err_set(err, false, "aws", "", "the response body could not be stored");
    if (x.body_full)
        return sl_err_set(err, false, "aws", "", "the response body is larger than %zu bytes",
                          resp->body.max);
    if (ar->cc != CURLE_OK) {
        ar->retry = retryable_curl(ar->cc);
        return sl_err_set(
            err, ar->retry, "aws", "", "%s%s", ar->curl_msg,
            ar->cc == CURLE_PARTIAL_FILE ? " (response shorter than its Content-Length)" : "");
    }
    if (ok_status(resp->status))
        return SL_OK;
    parse_error(resp);
    const char *code = resp->error.code;
    ar->refresh = expired_code(code) && aws_client_creds_stale(c, akid);
    ar->retry = ar->refresh || (resp->status >= 500 && resp->status != 501) ||
                resp->status == 429 || retryable_code(code);
    char rid[160] = "";
    if (resp->error.request_id[0])
        snprintf(rid, sizeof rid, " (request id %s)", resp->error.request_id);
    return sl_err_set(err, ar->retry, "aws", "", "HTTP %ld%s%s%s%s%s", resp->status,
                      code[0] ? " " : "", code, resp->error.message[0] ? ": " : "",
                      resp->error.message, rid);
}

int aws_request(struct aws_client *c, const struct aws_request *req, struct aws_response *resp,
                struct sl_err *err)
{
    char object[600];
    const char *raw_path = req->path && *req->path ? req->path : "/";
    snprintf(object, sizeof object, "%s %s %s", req->service, req->method, raw_path);
    if (!resp->body.max)
        aws_response_init(resp);
    memset(&resp->error, 0, sizeof resp->error);
    resp->attempts = 0;
    if (req->max_body)
        resp->body.max = req->max_body;

    char base[1024];
    if (req->base)
        snprintf(base, sizeof base, "%s", req->base);
    else if (aws_endpoint(c, req->service, base, sizeof base, NULL, err))
        return SL_ERROR;
    if (aws_client_need_region(c, err))
        return SL_ERROR;
    char origin[1024], host[512], bpath[512];
    if (split_base(base, origin, sizeof origin, host, sizeof host, bpath, sizeof bpath))
        return sl_err_set(err, false, "aws", object, "\"%s\" is not an http(s):// endpoint URL",
                          base);

    struct sl_buf path, query, url;
    sl_buf_init(&path, 64 * 1024);
    sl_buf_init(&query, 1 << 20);
    sl_buf_init(&url, 2 << 20);
    int rc = SL_OK;
    if (sl_buf_append(&path, bpath, strlen(bpath)) ||
        aws_uri_encode_path(&path, raw_path[0] == '/' ? raw_path : "/") ||
        (raw_path[0] != '/' && aws_uri_encode_path(&path, raw_path)) || sl_buf_putc(&path, 0) ||
        build_query(&query, req) || sl_buf_append(&url, origin, strlen(origin)) ||
        sl_buf_append(&url, path.data, path.len - 1) ||
        (query.len > 1 &&
         (sl_buf_putc(&url, '?') || sl_buf_append(&url, query.data, query.len - 1))) ||
        sl_buf_putc(&url, 0)) {
        rc = sl_err_set(err, false, "aws", object, "path or query too long");
        goto out;
    }

    char hash[65];
    const char *payload = req->payload_sha256;
    if (!payload && req->read)
        payload = "UNSIGNED-PAYLOAD";
    if (!payload) {
        aws_sha256_hex(req->body, req->body ? req->body_len : 0, hash);
        payload = hash;
    }

    const struct sl_retry *policy = &c->opt.retry;
    struct sl_err attempt_err;
    for (int attempt = 1;; attempt++) {
        struct attempt_result ar = {0};
        sl_err_clear(&attempt_err);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = one_attempt(c, req, (const char *)url.data, host, (const char *)path.data,
                         (const char *)query.data, payload, resp, &ar, &attempt_err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        resp->attempts = attempt;
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        sl_debug("aws: %s → %ld%s%s (%ld ms, attempt %d)", object, resp->status,
                 resp->error.code[0] ? " " : "", resp->error.code, ms, attempt);
        if (rc == SL_OK)
            break;
        bool again = ar.retry && attempt < policy->max_attempts;
        if (again && (req->read || req->write)) {
            if (req->read && (!req->rewind || req->rewind(req->read_arg)))
                again = false;
            /* A streamed body already partly delivered must be reset. */
            if (again && req->write && resp->status && ok_status(resp->status) &&
                (!req->write_reset || req->write_reset(req->write_arg)))
                again = false;
        }
        if (!again)
            break;
        double wait = ar.refresh ? 0 : backoff(policy, attempt);
        sl_debug("aws: %s: %s; retrying in %.2f s", object, attempt_err.msg, wait);
        if (!nap(c, wait)) {
            sl_err_clear(&attempt_err);
            sl_err_set(&attempt_err, false, "aws", "", "interrupted");
            rc = SL_ERROR;
            break;
        }
    }
    if (rc) {
        if (resp->attempts > 1 && attempt_err.transient)
            snprintf(attempt_err.msg + strlen(attempt_err.msg),
                     sizeof attempt_err.msg - strlen(attempt_err.msg), " (after %d attempts)",
                     resp->attempts);
        if (!attempt_err.object[0])
            snprintf(attempt_err.object, sizeof attempt_err.object, "%s", object);
        if (err && !err->set)
            *err = attempt_err;
        if (!resp->error.status)
            resp->error.status = resp->status;
    }
out:
    sl_buf_free(&path);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

/* ------------------------------------------------------------- JSON 1.1 */

int aws_json_call(struct aws_client *c, const char *service, const char *target, json_t *request,
                  json_t **response, struct aws_error *aerr, struct sl_err *err)
{
    *response = NULL;
    if (aerr)
        memset(aerr, 0, sizeof *aerr);
    char *body = request ? json_dumps(request, JSON_COMPACT) : strdup("{}");
    if (!body)
        return sl_err_set(err, false, "aws", target, "cannot encode the request");
    struct aws_header h[] = {{"Content-Type", "application/x-amz-json-1.1"},
                             {"X-Amz-Target", target}};
    struct aws_request req = {.service = service,
                              .method = "POST",
                              .path = "/",
                              .headers = h,
                              .n_headers = 2,
                              .body = body,
                              .body_len = strlen(body)};
    struct aws_response resp;
    aws_response_init(&resp);
    int rc = aws_request(c, &req, &resp, err);
    if (rc == SL_OK) {
        json_error_t je;
        *response = json_loadb((const char *)resp.body.data, resp.body.len, 0, &je);
        if (!*response && resp.body.len == 0)
            *response = json_object();
        if (!*response)
            rc = sl_err_set(err, true, "aws", target, "the answer is not JSON: %s", je.text);
    } else {
        sl_err_context(err, "%s", target);
    }
    if (aerr)
        *aerr = resp.error;
    free(body);
    aws_response_free(&resp);
    return rc;
}

/* ----------------------------------------------------- plain HTTP calls */

struct plain {
    struct sl_buf *out;
    const char *body;
    size_t sent, len;
};

static size_t plain_write(char *p, size_t size, size_t n, void *arg)
{
    struct plain *pl = arg;
    return sl_buf_append(pl->out, p, size * n) ? 0 : size * n;
}

static size_t plain_read(char *dst, size_t size, size_t n, void *arg)
{
    struct plain *pl = arg;
    size_t want = size * n, left = pl->len - pl->sent;
    if (want > left)
        want = left;
    memcpy(dst, pl->body + pl->sent, want);
    pl->sent += want;
    return want;
}

int aws_http_plain(const char *method, const char *url, const char *const *headers,
                   const char *body, long timeout_ms, long *status, struct sl_buf *resp,
                   struct sl_err *err)
{
    aws_curl_global_init();
    *status = 0;
    sl_buf_reset(resp);
    CURL *h = curl_easy_init();
    if (!h)
        return sl_err_set(err, true, "aws", url, "curl_easy_init failed");
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    struct plain pl = {.out = resp, .body = body, .len = body ? strlen(body) : 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, plain_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &pl);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (body) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, plain_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &pl);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)pl.len);
        if (strcmp(method, "PUT") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        return sl_err_set(err, true, "aws", url, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return SL_OK;
}
