/*
 * s3.c — the S3 store: a lake at "s3://bucket/prefix" on Amazon S3 or any
 * S3-compatible server, over the AWS client layer (aws/aws.h: signing,
 * credentials, endpoints, retries).
 *
 * Keys: the object of lake path P is "<prefix>/P".  Requests go path style
 * ("http://127.0.0.1:9000/bucket/key") to IP, localhost and custom
 * endpoints, virtual-hosted ("https://bucket.s3.<region>.amazonaws.com/key")
 * to AWS's (aws_s3_path_style decides).
 *
 * A put is a streaming multipart upload.  write() fills a part buffer of
 * part_size bytes (8 MiB; S3's minimum is 5 MiB for every part but the last);
 * a full buffer is handed to the store's upload threads while the writer
 * fills the next one.  Memory is bounded: at most `uploads` parts are queued
 * or uploading per store, and a writer that would exceed it waits, so the
 * store holds at most uploads + (one filling buffer per writer) parts.  The
 * multipart upload is created when the first part is handed over; a file
 * that never fills one part is a single PutObject at commit.  Every part and
 * every PutObject carries Content-MD5 (checked by S3, by s3rver and by the
 * test harness; x-amz-checksum-* is not known to s3rver).  Retries are the
 * AWS layer's (5xx, SlowDown, resets, timeouts, short bodies): a part is
 * sent again from its buffer.  commit() waits for the file's parts and
 * sends CompleteMultipartUpload; any failure, and abort(), sends
 * AbortMultipartUpload, so no incomplete upload is left unless the abort
 * itself fails — then the next run's sweep_incomplete (ListMultipartUploads
 * under the prefix) removes it.
 *
 * Local copies (STORE_CAP_LOCAL_COPY): with store_options.cache_dir every
 * put also writes its bytes to cache_dir/<path> (a temporary name renamed on
 * commit), so an engine without S3 support can read what this run wrote
 * (local_path).
 *
 * Threads: the upload threads take parts from one queue guarded by s3->mu;
 * the same mutex guards each file's part bookkeeping (pending, etag,
 * failed, err).  Everything else of a file belongs to its writer's thread.
 *
 * Options: the `s3:` section of snaplake.yml (store_s3_config below):
 * part_size_mb, uploads (parts in flight), region, profile.
 */
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/aws.h"
#include "config/config.h"
#include "store/s3_xml.h"
#include "util/log.h"

#define DELETE_BATCH 1000 /* DeleteObjects takes at most 1000 keys */
#define MAX_PARTS 10000   /* S3's limit on parts per upload */
#define SMALL_BODY_MAX ((size_t)16 << 20) /* listings, error documents */

struct part {
    struct part *next;
    struct store_file *f;
    int number; /* 1-based */
    unsigned char *data;
    size_t len;
};

struct s3 {
    struct aws_client *client;
    char bucket[64];
    char root[1024];       /* key prefix without '/' at either end; "" = bucket root */
    char base[512];        /* scheme://host[:port] of every request */
    char bucket_path[128]; /* "/bucket" (path style) or "" (virtual-hosted) */
    char endpoint[512];    /* for messages */
    char cache[PATH_MAX];  /* "" = no local copies */
    size_t part_size;
    int uploads;

    pthread_mutex_t mu; /* guards all below and each file's part state */
    pthread_cond_t work, done;
    struct part *head, *tail;
    int inflight; /* parts queued or uploading */
    bool stopping;
    pthread_t *threads;
    int nthreads;
};

struct store_file {
    struct s3 *s3;
    char path[1024]; /* lake path, for messages */
    char key[2048];
    unsigned char *buf; /* the part being filled (part_size bytes) */
    size_t len;
    int parts; /* handed to the upload threads */
    char upload_id[1024];
    FILE *copy; /* the local copy, or NULL */
    char copy_tmp[PATH_MAX], copy_final[PATH_MAX];
    /* Guarded by s3->mu: */
    int pending;         /* parts queued or uploading */
    char (*etag)[128];   /* per part number - 1 */
    int etag_cap;
    bool failed, cancel; /* a part failed (err says why); abort under way */
    struct sl_err err;
};

static atomic_uint copy_seq;

/* ---------------------------------------------------------------- helpers */

static void join_key(const struct s3 *s, const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", s->root, s->root[0] && path[0] ? "/" : "", path);
}

static void content_md5(const void *data, size_t n, char out[32])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data ? data : "", n, md, &len, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, (int)len);
}

/* Translate the AWS layer's error `e` of a request about `key` into err,
 * with the message a user acts on for a missing bucket or a denied access. */
static int fail(const struct s3 *s, const char *key, const char *what,
                const struct aws_response *resp, const struct sl_err *e, struct sl_err *err)
{
    char object[2200];
    snprintf(object, sizeof object, "s3://%s/%s", s->bucket, key);
    if (!strcmp(resp->error.code, "NoSuchBucket"))
        return sl_err_set(err, false, "store", object,
                          "bucket '%s' does not exist at %s: create it first (snaplake never "
                          "creates buckets) or correct `lake:` in snaplake.yml",
                          s->bucket, s->endpoint);
    if (resp->status == 403)
        return sl_err_set(err, false, "store", object,
                          "%s refused (403 %s): check the credentials and that they may %s in "
                          "bucket '%s' (docs/cloud.md lists the permissions)",
                          what, resp->error.code, what, s->bucket);
    return sl_err_set(err, e->transient, "store", object, "%s failed: %s", what, e->msg);
}

/* One request on the bucket (key NULL) or on an object. */
static int call(struct s3 *s, const char *method, const char *key, const struct aws_query *q,
                size_t nq, const struct aws_header *h, size_t nh, const void *body, size_t len,
                struct aws_response *resp, struct sl_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->bucket_path, key ? key : "");
    struct aws_request req = {
        .service = "s3",
        .method = method,
        .base = s->base,
        .path = path,
        .query = q,
        .n_query = nq,
        .headers = h,
        .n_headers = nh,
        .body = body,
        .body_len = len,
        .max_body = SMALL_BODY_MAX,
    };
    return aws_request(s->client, &req, resp, e);
}

/* The `s3:` section (config.h "Plug-in options"); the config core checks
 * types and ranges. */
static const struct config_option s3_options[] = {
    /* S3 refuses parts under 5 MiB (but the last) and allows 10 000 parts:
     * 8 MiB parts reach 78 GiB per file. */
    {.name = "part_size_mb", .kind = CONFIG_OPT_INT, .def = "8", .min = 5, .max = 5120},
    /* Parts queued or uploading per lake: memory is uploads × part_size_mb
     * plus one filling part per worker. */
    {.name = "uploads", .kind = CONFIG_OPT_INT, .def = "4", .min = 1, .max = 64},
    /* Else AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
    {.name = "region", .kind = CONFIG_OPT_STRING, .example = "region: eu-west-1"},
    /* Else AWS_PROFILE, else "default". */
    {.name = "profile", .kind = CONFIG_OPT_STRING, .example = "profile: prod"},
    {0},
};

const struct config_plugin store_s3_config = {
    .role = "lake", .name = "s3", .key = "s3", .options = s3_options};

static int mkdirs_for(const char *file)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", file);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return 0;
}

/* ------------------------------------------------------------ open/close */

static void s3_close(void *ctx)
{
    struct s3 *s = ctx;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->done);
    aws_client_close(s->client);
    free(s);
}

/* The bucket must exist and be readable: one ListObjectsV2 of at most one
 * key, so that a wrong bucket or endpoint is said at open, not after the
 * export. */
static int check_bucket(struct s3 *s, struct sl_err *err)
{
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s%s", s->root, s->root[0] ? "/" : "");
    struct aws_query q[] = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", prefix}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "GET", NULL, q, 3, NULL, 0, NULL, 0, &resp, &e);
    if (rc && resp.status == 404 && !resp.error.code[0])
        snprintf(resp.error.code, sizeof resp.error.code, "NoSuchBucket");
    if (rc)
        fail(s, "", "ListObjectsV2 (s3:ListBucket)", &resp, &e, err);
    aws_response_free(&resp);
    return rc;
}

static int s3_open(const char *url, const struct store_options *opt, void **out,
                   struct sl_err *err)
{
    struct s3 *s = calloc(1, sizeof *s);
    if (!s)
        return sl_err_set(err, false, "store", url, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->done, NULL);
    const struct sl_config *cfg = opt->config;
    s->part_size = (size_t)(cfg ? config_option_number(cfg, "s3", "part_size_mb", 8) : 8) << 20;
    s->uploads = cfg ? (int)config_option_number(cfg, "s3", "uploads", 4) : 4;
    if (opt->cache_dir && opt->cache_dir[0])
        snprintf(s->cache, sizeof s->cache, "%s", opt->cache_dir);
    struct aws_client_options co = {
        .region = cfg ? config_option(cfg, "s3", "region") : NULL,
        .profile = cfg ? config_option(cfg, "s3", "profile") : NULL,
        .retry = AWS_RETRY_DEFAULT,
        /* sig_atomic_t is int on the platforms we build for. */
        .stop = (const volatile sig_atomic_t *)opt->interrupt,
    };
    bool custom = false;
    int rc = SL_ERROR;
    if (store_s3_split_url(url, s->bucket, sizeof s->bucket, s->root, sizeof s->root, err) ||
        aws_client_open(&s->client, &co, err) ||
        aws_endpoint(s->client, "s3", s->endpoint, sizeof s->endpoint, &custom, err) ||
        aws_s3_base(s->client, s->bucket, s->base, sizeof s->base, s->bucket_path,
                    sizeof s->bucket_path, err) ||
        check_bucket(s, err))
        goto out;
    sl_debug("S3 lake: bucket %s, prefix '%s', %s%s, parts of %zu bytes, %d in flight", s->bucket,
             s->root, s->base, s->bucket_path, s->part_size, s->uploads);
    rc = SL_OK;
out:
    if (rc) {
        s3_close(s);
        return rc;
    }
    *out = s;
    return SL_OK;
}

/* ------------------------------------------------------------ multipart */

static int upload_part(struct s3 *s, struct store_file *f, const struct part *p, char *etag,
                       size_t etag_size, struct sl_err *e)
{
    char md5[32], num[16];
    content_md5(p->data, p->len, md5);
    snprintf(num, sizeof num, "%d", p->number);
    struct aws_query q[] = {{"partNumber", num}, {"uploadId", f->upload_id}};
    struct aws_header h[] = {{"Content-MD5", md5}};
    struct aws_response resp;
    aws_response_init(&resp);
    int rc = call(s, "PUT", f->key, q, 2, h, 1, p->data, p->len, &resp, e);
    if (rc) {
        struct sl_err tmp = *e;
        sl_err_clear(e);
        char what[64];
        snprintf(what, sizeof what, "UploadPart %d", p->number);
        fail(s, f->key, what, &resp, &tmp, e);
    } else if (!resp.etag[0]) {
        rc = sl_err_set(e, true, "store", f->key, "UploadPart %d: the answer has no ETag",
                        p->number);
    } else {
        snprintf(etag, etag_size, "%s", resp.etag);
    }
    aws_response_free(&resp);
    return rc;
}

static void *uploader(void *arg)
{
    struct s3 *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->work, &s->mu);
        if (!s->head)
            break;
        struct part *p = s->head;
        s->head = p->next;
        if (!s->head)
            s->tail = NULL;
        struct store_file *f = p->f;
        bool skip = f->failed || f->cancel;
        pthread_mutex_unlock(&s->mu);
        char etag[128] = "";
        struct sl_err e = {0};
        int rc = skip ? SL_ERROR : upload_part(s, f, p, etag, sizeof etag, &e);
        free(p->data);
        pthread_mutex_lock(&s->mu);
        if (!skip && rc && !f->failed) {
            f->failed = true;
            f->err = e;
        } else if (!skip && !rc) {
            snprintf(f->etag[p->number - 1], sizeof f->etag[0], "%s", etag);
        }
        f->pending--;
        s->inflight--;
        free(p);
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Called with s->mu held. */
static int start_threads(struct s3 *s)
{
    if (s->threads)
        return SL_OK;
    s->threads = calloc((size_t)s->uploads, sizeof *s->threads);
    if (!s->threads)
        return SL_ERROR;
    for (; s->nthreads < s->uploads; s->nthreads++)
        if (pthread_create(&s->threads[s->nthreads], NULL, uploader, s))
            break;
    return s->nthreads ? SL_OK : SL_ERROR;
}

static int create_upload(struct s3 *s, struct store_file *f, struct sl_err *err)
{
    struct aws_query q[] = {{"uploads", NULL}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "POST", f->key, q, 1, NULL, 0, NULL, 0, &resp, &e);
    if (rc)
        fail(s, f->key, "CreateMultipartUpload", &resp, &e, err);
    else if (!store_s3_xml_text((const char *)resp.body.data,
                                (const char *)resp.body.data + resp.body.len, "UploadId",
                                f->upload_id, sizeof f->upload_id, NULL) ||
             !f->upload_id[0])
        rc = sl_err_set(err, true, "store", f->key,
                        "CreateMultipartUpload: the answer has no UploadId");
    aws_response_free(&resp);
    return rc;
}

/* Hand the filled buffer to the upload threads as the next part; waits
 * while `uploads` parts are in flight. */
static int submit(struct store_file *f, struct sl_err *err)
{
    struct s3 *s = f->s3;
    if (f->parts == MAX_PARTS)
        return sl_err_set(err, false, "store", f->path,
                          "more than %d parts of %zu bytes: raise the part size", MAX_PARTS,
                          s->part_size);
    if (!f->upload_id[0] && create_upload(s, f, err))
        return SL_ERROR;
    struct part *p = calloc(1, sizeof *p);
    if (!p)
        return sl_err_set(err, false, "store", f->path, "out of memory");
    int rc = SL_OK;
    pthread_mutex_lock(&s->mu);
    if (f->parts == f->etag_cap) {
        int nc = f->etag_cap ? f->etag_cap * 2 : 16;
        void *e = realloc(f->etag, sizeof *f->etag * (size_t)nc);
        if (!e || start_threads(s)) {
            if (e)
                f->etag = e;
            pthread_mutex_unlock(&s->mu);
            free(p);
            return sl_err_set(err, false, "store", f->path,
                              "out of memory or threads for the upload");
        }
        f->etag = e;
        f->etag_cap = nc;
    }
    while (s->inflight >= s->uploads && !f->failed)
        pthread_cond_wait(&s->done, &s->mu);
    if (f->failed) {
        if (err && !err->set)
            *err = f->err;
        rc = SL_ERROR;
        free(p);
    } else {
        p->f = f;
        p->number = ++f->parts;
        p->data = f->buf;
        p->len = f->len;
        f->etag[p->number - 1][0] = 0;
        if (s->tail)
            s->tail->next = p;
        else
            s->head = p;
        s->tail = p;
        s->inflight++;
        f->pending++;
        f->buf = NULL;
        f->len = 0;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Wait until no part of f is queued or uploading; whether one failed. */
static bool wait_parts(struct store_file *f, bool cancel)
{
    struct s3 *s = f->s3;
    pthread_mutex_lock(&s->mu);
    if (cancel)
        f->cancel = true;
    while (f->pending)
        pthread_cond_wait(&s->done, &s->mu);
    bool failed = f->failed;
    pthread_mutex_unlock(&s->mu);
    return failed;
}

static int abort_upload(struct s3 *s, struct store_file *f, struct sl_err *err)
{
    struct aws_query q[] = {{"uploadId", f->upload_id}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "DELETE", f->key, q, 1, NULL, 0, NULL, 0, &resp, &e);
    if (rc && resp.status == 404) /* NoSuchUpload: already gone */
        rc = SL_OK;
    if (rc)
        fail(s, f->key, "AbortMultipartUpload", &resp, &e, err);
    aws_response_free(&resp);
    return rc;
}

static int complete_upload(struct s3 *s, struct store_file *f, struct sl_err *err)
{
    struct sl_buf body;
    sl_buf_init(&body, (size_t)f->parts * 256 + 4096);
    int rc = sl_buf_append(&body, "<CompleteMultipartUpload>", 25);
    for (int i = 0; rc == SL_OK && i < f->parts; i++) {
        char num[64];
        snprintf(num, sizeof num, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        rc = sl_buf_append(&body, num, strlen(num)) || store_s3_xml_escape(&body, f->etag[i]) ||
             sl_buf_append(&body, "</ETag></Part>", 14);
    }
    if (rc || sl_buf_append(&body, "</CompleteMultipartUpload>", 26)) {
        sl_buf_free(&body);
        return sl_err_set(err, false, "store", f->path, "out of memory");
    }
    char md5[32];
    content_md5(body.data, body.len, md5);
    struct aws_query q[] = {{"uploadId", f->upload_id}};
    struct aws_header h[] = {{"Content-Type", "application/xml"}, {"Content-MD5", md5}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    rc = call(s, "POST", f->key, q, 1, h, 2, body.data, body.len, &resp, &e);
    char code[128], msg[512];
    if (rc)
        fail(s, f->key, "CompleteMultipartUpload", &resp, &e, err);
    else if (store_s3_is_error((const char *)resp.body.data, resp.body.len, code, sizeof code,
                               msg, sizeof msg))
        /* S3 may answer 200 and fail later in the body. */
        rc = sl_err_set(err, true, "store", f->key, "CompleteMultipartUpload failed: %s: %s",
                        code, msg);
    aws_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

static int put_object(struct s3 *s, struct store_file *f, struct sl_err *err)
{
    char md5[32];
    content_md5(f->buf, f->len, md5);
    struct aws_header h[] = {{"Content-MD5", md5}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "PUT", f->key, NULL, 0, h, 1, f->buf, f->len, &resp, &e);
    if (rc)
        fail(s, f->key, "PutObject", &resp, &e, err);
    aws_response_free(&resp);
    return rc;
}

/* ------------------------------------------------------------------ puts */

static void free_file(struct store_file *f)
{
    if (f->copy) {
        fclose(f->copy);
        unlink(f->copy_tmp);
    }
    free(f->buf);
    free(f->etag);
    free(f);
}

static int s3_put_open(void *ctx, const char *path, struct store_file **out, struct sl_err *err)
{
    struct s3 *s = ctx;
    struct store_file *f = calloc(1, sizeof *f);
    if (!f)
        return sl_err_set(err, false, "store", path, "out of memory");
    f->s3 = s;
    snprintf(f->path, sizeof f->path, "%s", path);
    join_key(s, path, f->key, sizeof f->key);
    if (!path[0] || path[0] == '/' || strstr(path, "//")) {
        free(f);
        return sl_err_set(err, false, "store", path, "not a valid object path");
    }
    if (s->cache[0]) {
        snprintf(f->copy_final, sizeof f->copy_final, "%s/%s", s->cache, path);
        snprintf(f->copy_tmp, sizeof f->copy_tmp, "%s.tmp-%d-%u", f->copy_final, (int)getpid(),
                 atomic_fetch_add(&copy_seq, 1));
        if (mkdirs_for(f->copy_tmp) || !(f->copy = fopen(f->copy_tmp, "wb"))) {
            int rc = sl_err_set(err, sl_errno_transient(errno), "store", f->copy_tmp,
                                "cannot create the local copy: %s", strerror(errno));
            free(f);
            return rc;
        }
    }
    *out = f;
    return SL_OK;
}

static int s3_write(struct store_file *f, const void *data, size_t n, struct sl_err *err)
{
    struct s3 *s = f->s3;
    const unsigned char *p = data;
    if (f->copy && n && fwrite(data, 1, n, f->copy) != n)
        return sl_err_set(err, sl_errno_transient(errno), "store", f->copy_tmp,
                          "cannot write the local copy: %s", strerror(errno));
    while (n) {
        /* A full buffer is sent only when more data comes: a file of
         * exactly one part is then a single PutObject. */
        if (f->len == s->part_size && submit(f, err))
            return SL_ERROR;
        if (!f->buf && !(f->buf = malloc(s->part_size)))
            return sl_err_set(err, false, "store", f->path, "out of memory for a part of %zu bytes",
                              s->part_size);
        size_t k = s->part_size - f->len < n ? s->part_size - f->len : n;
        memcpy(f->buf + f->len, p, k);
        f->len += k;
        p += k;
        n -= k;
    }
    return SL_OK;
}

/* Stop f's upload: wait for its parts, abort the multipart upload. */
static int undo(struct store_file *f, struct sl_err *err)
{
    wait_parts(f, true);
    if (f->upload_id[0])
        return abort_upload(f->s3, f, err);
    return SL_OK;
}

static int s3_abort(struct store_file *f, struct sl_err *err)
{
    if (!f)
        return SL_OK;
    int rc = undo(f, err);
    free_file(f);
    return rc;
}

static int s3_commit(struct store_file *f, struct sl_err *err)
{
    struct s3 *s = f->s3;
    int rc = SL_OK;
    if (f->copy) {
        int e = fclose(f->copy) ? errno : 0;
        f->copy = NULL;
        if (e) {
            unlink(f->copy_tmp);
            rc = sl_err_set(err, sl_errno_transient(e), "store", f->copy_tmp,
                            "cannot write the local copy: %s", strerror(e));
            goto out;
        }
    }
    if (!f->upload_id[0]) {
        rc = put_object(s, f, err);
    } else {
        if (f->len)
            rc = submit(f, err);
        bool failed = wait_parts(f, false);
        if (rc == SL_OK && failed) {
            pthread_mutex_lock(&s->mu);
            if (err && !err->set)
                *err = f->err;
            pthread_mutex_unlock(&s->mu);
            rc = SL_ERROR;
        }
        if (rc == SL_OK)
            rc = complete_upload(s, f, err);
    }
out:
    if (rc) {
        struct sl_err e2 = {0};
        char buf[2200];
        if (undo(f, &e2))
            sl_warn("%s (the next run removes the incomplete upload)",
                    sl_err_format(&e2, buf, sizeof buf));
        if (f->copy_tmp[0])
            unlink(f->copy_tmp);
    } else if (f->copy_tmp[0] && rename(f->copy_tmp, f->copy_final)) {
        rc = sl_err_set(err, false, "store", f->copy_final, "cannot rename the local copy: %s",
                        strerror(errno));
        unlink(f->copy_tmp);
    }
    free_file(f);
    return rc;
}

/* ----------------------------------------------------------------- reads */

static int s3_get(void *ctx, const char *path, struct sl_buf *out, struct sl_err *err)
{
    struct s3 *s = ctx;
    char key[2048];
    join_key(s, path, key, sizeof key);
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "GET", key, NULL, 0, NULL, 0, NULL, 0, &resp, &e);
    if (rc && resp.status == 404 && strcmp(resp.error.code, "NoSuchBucket"))
        rc = STORE_NOT_FOUND;
    else if (rc)
        fail(s, key, "GetObject", &resp, &e, err);
    else if (sl_buf_append(out, resp.body.data, resp.body.len))
        rc = sl_err_set(err, false, "store", key, "object too large to read whole (%zu bytes)",
                        resp.body.len);
    aws_response_free(&resp);
    return rc;
}

/* GetObject streamed into a local file; a retry after part of the body
 * arrived starts the file again (write_reset). */
struct download {
    FILE *f;
};

static size_t download_write(const void *src, size_t n, void *arg)
{
    struct download *d = arg;
    return fwrite(src, 1, n, d->f) == n ? n : 0;
}

static int download_reset(void *arg)
{
    struct download *d = arg;
    return fflush(d->f) || ftruncate(fileno(d->f), 0) || fseek(d->f, 0, SEEK_SET) ? SL_ERROR
                                                                                   : SL_OK;
}

static int s3_get_file(void *ctx, const char *path, const char *local, struct sl_err *err)
{
    struct s3 *s = ctx;
    char key[2048], rpath[4096];
    join_key(s, path, key, sizeof key);
    snprintf(rpath, sizeof rpath, "%s/%s", s->bucket_path, key);
    struct download d = {.f = fopen(local, "wb")};
    if (!d.f)
        return sl_err_set(err, sl_errno_transient(errno), "store", local, "cannot create: %s",
                          strerror(errno));
    struct aws_request req = {
        .service = "s3",
        .method = "GET",
        .base = s->base,
        .path = rpath,
        .write = download_write,
        .write_reset = download_reset,
        .write_arg = &d,
        .max_body = SMALL_BODY_MAX,
    };
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = aws_request(s->client, &req, &resp, &e);
    if (rc && resp.status == 404 && strcmp(resp.error.code, "NoSuchBucket"))
        rc = STORE_NOT_FOUND;
    else if (rc)
        fail(s, key, "GetObject", &resp, &e, err);
    aws_response_free(&resp);
    if (fclose(d.f) && rc == SL_OK)
        rc = sl_err_set(err, sl_errno_transient(errno), "store", local, "cannot write: %s",
                        strerror(errno));
    return rc;
}

/* Every page of ListObjectsV2 under the key prefix `kp`; each entry to fn
 * with the key. */
typedef int (*page_fn)(void *arg, const struct store_s3_entry *e);

/* One page of a listing: GET with query q, the reply parsed by `parse`
 * into *pg (store_s3_page_free it on success).  `op` names the call in
 * an error. */
static int get_page(struct s3 *s, const char *kp, const char *op, const struct aws_query *q,
                    size_t nq,
                    int (*parse)(const char *xml, size_t len, const char *what,
                                 struct store_s3_page *pg, struct sl_err *err),
                    struct store_s3_page *pg, struct sl_err *err)
{
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    int rc = call(s, "GET", NULL, q, nq, NULL, 0, NULL, 0, &resp, &e);
    if (rc)
        fail(s, kp, op, &resp, &e, err);
    else
        rc = parse((const char *)resp.body.data, resp.body.len, kp, pg, err);
    aws_response_free(&resp);
    return rc;
}

static int list_keys(struct s3 *s, const char *kp, const char *delimiter, page_fn fn, void *arg,
                     struct sl_err *err)
{
    char token[1024] = "";
    int rc = SL_OK;
    do {
        struct aws_query q[4] = {{"list-type", "2"}, {"prefix", kp}};
        size_t nq = 2;
        if (delimiter)
            q[nq++] = (struct aws_query){"delimiter", delimiter};
        if (token[0])
            q[nq++] = (struct aws_query){"continuation-token", token};
        struct store_s3_page pg;
        rc = get_page(s, kp, "ListObjectsV2", q, nq, store_s3_parse_list, &pg, err);
        if (rc)
            break;
        for (int i = 0; rc == SL_OK && i < pg.n; i++)
            rc = fn(arg, &pg.entry[i]);
        token[0] = 0;
        if (pg.truncated)
            snprintf(token, sizeof token, "%s", pg.next_token);
        store_s3_page_free(&pg);
    } while (rc == SL_OK && token[0]);
    return rc;
}

struct list_arg {
    size_t skip; /* length of "<root>/" to strip from keys */
    store_list_fn fn;
    void *arg;
};

static int list_entry(void *arg, const struct store_s3_entry *e)
{
    struct list_arg *a = arg;
    if (strlen(e->key) <= a->skip)
        return SL_OK;
    char rel[2048];
    snprintf(rel, sizeof rel, "%s", e->key + a->skip);
    size_t n = strlen(rel);
    if (e->size == STORE_PREFIX_SIZE) {
        while (n && rel[n - 1] == '/')
            rel[--n] = 0;
    } else if (n && rel[n - 1] == '/') {
        return SL_OK; /* a "folder" marker object some tools create */
    }
    return a->fn(a->arg, rel, e->size) ? SL_ERROR : SL_OK;
}

/* The key prefix of everything under lake path `prefix` ("<root>/<prefix>/"). */
static void folder_key(const struct s3 *s, const char *prefix, char *out, size_t size)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", prefix);
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        p[--n] = 0;
    join_key(s, p, out, size);
    if (out[0] && strlen(out) + 1 < size)
        strcat(out, "/");
}

static int s3_list(void *ctx, const char *prefix, const char *delimiter, store_list_fn fn,
                   void *arg, struct sl_err *err)
{
    struct s3 *s = ctx;
    char kp[2048];
    folder_key(s, prefix, kp, sizeof kp);
    struct list_arg a = {.skip = s->root[0] ? strlen(s->root) + 1 : 0, .fn = fn, .arg = arg};
    return list_keys(s, kp, delimiter, list_entry, &a, err);
}

/* ---------------------------------------------------------------- removal */

struct keys {
    const char *exact; /* the key of the prefix itself (an object of that name) */
    size_t exact_len;
    char **key;
    int n, cap;
};

static int collect_key(void *arg, const struct store_s3_entry *e)
{
    struct keys *k = arg;
    /* "<p>" itself and "<p>/…", not "<p>x…". */
    if (strncmp(e->key, k->exact, k->exact_len) ||
        (e->key[k->exact_len] && e->key[k->exact_len] != '/'))
        return SL_OK;
    if (k->n == k->cap) {
        int nc = k->cap ? k->cap * 2 : 256;
        void *p = realloc(k->key, sizeof *k->key * (size_t)nc);
        if (!p)
            return SL_ERROR;
        k->key = p;
        k->cap = nc;
    }
    if (!(k->key[k->n] = strdup(e->key)))
        return SL_ERROR;
    k->n++;
    return SL_OK;
}

static int delete_batch(struct s3 *s, char **key, int n, struct sl_err *err)
{
    struct sl_buf body;
    sl_buf_init(&body, (size_t)n * 2200 + 4096);
    int rc = sl_buf_append(&body, "<Delete><Quiet>true</Quiet>", 27);
    for (int i = 0; rc == SL_OK && i < n; i++)
        rc = sl_buf_append(&body, "<Object><Key>", 13) || store_s3_xml_escape(&body, key[i]) ||
             sl_buf_append(&body, "</Key></Object>", 15);
    if (rc || sl_buf_append(&body, "</Delete>", 9)) {
        sl_buf_free(&body);
        return sl_err_set(err, false, "store", key[0], "out of memory");
    }
    char md5[32];
    content_md5(body.data, body.len, md5); /* S3 requires it on DeleteObjects */
    struct aws_query q[] = {{"delete", NULL}};
    struct aws_header h[] = {{"Content-Type", "application/xml"}, {"Content-MD5", md5}};
    struct aws_response resp;
    struct sl_err e = {0};
    aws_response_init(&resp);
    rc = call(s, "POST", NULL, q, 1, h, 2, body.data, body.len, &resp, &e);
    char k[2048], code[128], msg[512];
    int bad = 0;
    if (rc)
        fail(s, key[0], "DeleteObjects", &resp, &e, err);
    else if ((bad = store_s3_parse_delete_errors((const char *)resp.body.data, resp.body.len, k,
                                                 sizeof k, code, sizeof code, msg, sizeof msg)))
        rc = sl_err_set(err, !strcmp(code, "SlowDown") || !strcmp(code, "InternalError"), "store",
                        k, "DeleteObjects could not delete %d of %d keys, this one: %s: %s", bad, n,
                        code, msg);
    aws_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

static int s3_remove_prefix(void *ctx, const char *prefix, struct sl_err *err)
{
    struct s3 *s = ctx;
    if (!prefix[0])
        return sl_err_set(err, false, "store", "", "refusing to remove the whole lake");
    char exact[2048], p[1024];
    snprintf(p, sizeof p, "%s", prefix);
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        p[--n] = 0;
    join_key(s, p, exact, sizeof exact);
    struct keys k = {.exact = exact, .exact_len = strlen(exact)};
    /* Listed whole before deleting: a continuation token must not point at
     * keys deleted meanwhile. */
    int rc = list_keys(s, exact, NULL, collect_key, &k, err);
    if (rc && !(err && err->set))
        rc = sl_err_set(err, false, "store", prefix, "out of memory");
    for (int i = 0; rc == SL_OK && i < k.n; i += DELETE_BATCH)
        rc = delete_batch(s, k.key + i, k.n - i < DELETE_BATCH ? k.n - i : DELETE_BATCH, err);
    for (int i = 0; i < k.n; i++)
        free(k.key[i]);
    free(k.key);
    return rc;
}

static int s3_sweep_incomplete(void *ctx, const char *prefix, int *removed, struct sl_err *err)
{
    struct s3 *s = ctx;
    char kp[2048], key_marker[1024] = "", id_marker[1024] = "";
    folder_key(s, prefix, kp, sizeof kp);
    *removed = 0;
    int rc = SL_OK;
    do {
        struct aws_query q[4] = {{"uploads", NULL}, {"prefix", kp}};
        size_t nq = 2;
        if (key_marker[0])
            q[nq++] = (struct aws_query){"key-marker", key_marker};
        if (id_marker[0])
            q[nq++] = (struct aws_query){"upload-id-marker", id_marker};
        struct store_s3_page pg;
        rc = get_page(s, kp, "ListMultipartUploads", q, nq, store_s3_parse_uploads, &pg, err);
        if (rc)
            break;
        for (int i = 0; rc == SL_OK && i < pg.n; i++) {
            struct store_file f = {.s3 = s};
            snprintf(f.key, sizeof f.key, "%s", pg.entry[i].key);
            snprintf(f.upload_id, sizeof f.upload_id, "%s", pg.entry[i].upload_id);
            rc = abort_upload(s, &f, err);
            if (rc == SL_OK) {
                (*removed)++;
                sl_debug("aborted the incomplete upload of s3://%s/%s", s->bucket, f.key);
            }
        }
        key_marker[0] = id_marker[0] = 0;
        if (pg.truncated) {
            snprintf(key_marker, sizeof key_marker, "%s", pg.next_key);
            snprintf(id_marker, sizeof id_marker, "%s", pg.next_upload_id);
        }
        store_s3_page_free(&pg);
    } while (rc == SL_OK && key_marker[0]);
    return rc;
}

/* ------------------------------------------------------------- locations */

static void s3_url(void *ctx, const char *path, char *out, size_t size)
{
    struct s3 *s = ctx;
    char key[2048];
    join_key(s, path, key, sizeof key);
    snprintf(out, size, "s3://%s%s%s", s->bucket, key[0] ? "/" : "", key);
}

static int s3_local_path(void *ctx, const char *path, char *out, size_t size)
{
    struct s3 *s = ctx;
    struct stat st;
    if (!s->cache[0] || (size_t)snprintf(out, size, "%s%s%s", s->cache, path[0] ? "/" : "", path) >= size ||
        stat(out, &st))
        return STORE_NOT_FOUND;
    return SL_OK;
}

/* Two types of one implementation: the capabilities are a type's
 * constant, and only a store opened with a cache folder keeps local copies
 * (store.c picks by store_options.cache_dir). */
#define S3_OPERATIONS                                                                      \
    .open = s3_open, .close = s3_close, .put_open = s3_put_open, .write = s3_write,        \
    .commit = s3_commit, .abort = s3_abort, .get = s3_get, .list = s3_list,                \
    .remove_prefix = s3_remove_prefix, .sweep_incomplete = s3_sweep_incomplete,          \
    .url = s3_url, .get_file = s3_get_file, .local_path = s3_local_path

const struct store_type store_s3_type = {.name = "s3", .caps = 0, S3_OPERATIONS};
const struct store_type store_s3_copy_type = {
    .name = "s3", .caps = STORE_CAP_LOCAL_COPY, S3_OPERATIONS};
