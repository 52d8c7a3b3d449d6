/*
 * aws_probe.c — a test program that makes requests through src/aws/ (the
 * client, the credential chain, aws_request, aws_json_call), for
 * tests/e2e/aws_creds.sh.  Built by `make unit` into build/tests/tools/.
 * It prints what the tests check (status, attempts, error code, the access
 * key id) and never a secret.
 *
 *   aws_probe [options] creds
 *   aws_probe [options] request METHOD SERVICE PATH[?name=value&…] [BODY]
 *   aws_probe [options] json SERVICE TARGET JSON
 *
 * Options: -v (debug log), --threads N and --repeat N (each of N threads
 * repeats the call), --interval-ms N (pause between repeats),
 * --attempts N (retry policy, 0.05 s base), --stop-after-ms N (set the
 * interrupt flag after N ms), --base URL (instead of the service endpoint),
 * --header "Name: value", --stream-out FILE (a 2xx body through req.write
 * into FILE, write_reset truncating it), --read-body (BODY through
 * req.read, with rewind).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/aws.h"
#include "util/log.h"

static volatile sig_atomic_t stop_flag;
static struct aws_client *client;
static int repeat = 1, interval_ms = 0;
static char **cmd;
static int ncmd;
static const char *base;
static struct aws_header extra[8];
static size_t n_extra;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *stream_out; /* --stream-out FILE: 2xx body through req.write */
static bool read_body;         /* --read-body: BODY through req.read/rewind */

struct body_reader {
    const char *data;
    size_t len, pos;
};

static size_t read_cb(void *dst, size_t n, void *arg)
{
    struct body_reader *r = arg;
    size_t left = r->len - r->pos;
    if (n > left)
        n = left;
    memcpy(dst, r->data + r->pos, n);
    r->pos += n;
    return n;
}

static int rewind_cb(void *arg)
{
    ((struct body_reader *)arg)->pos = 0;
    return 0;
}

static size_t write_cb(const void *src, size_t n, void *arg)
{
    return fwrite(src, 1, n, arg);
}

static int write_reset_cb(void *arg)
{
    FILE *f = arg;
    fflush(f);
    return ftruncate(fileno(f), 0) || fseek(f, 0, SEEK_SET) ? SL_ERROR : SL_OK;
}

static int do_creds(void)
{
    struct aws_creds cr;
    struct sl_err err = {0};
    if (aws_client_creds(client, &cr, &err)) {
        char buf[2200];
        printf("error: %s\n", sl_err_format(&err, buf, sizeof buf));
        return 1;
    }
    printf("source=%s akid=%s expiring=%d token=%d\n", cr.source, cr.access_key_id,
           cr.expiration != 0, cr.session_token[0] != 0);
    aws_creds_clear(&cr);
    return 0;
}

static int do_request(void)
{
    if (ncmd < 4) {
        fprintf(stderr, "request METHOD SERVICE PATH [BODY]\n");
        return 2;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s", cmd[3]);
    struct aws_query q[16];
    size_t nq = 0;
    char *qs = strchr(path, '?');
    if (qs) {
        *qs++ = 0;
        for (char *tok = strtok(qs, "&"); tok && nq < 16; tok = strtok(NULL, "&")) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq++ = 0;
            q[nq].name = tok;
            q[nq].value = eq;
            nq++;
        }
    }
    struct aws_request req = {.service = cmd[2],
                              .method = cmd[1],
                              .base = base,
                              .path = path,
                              .query = q,
                              .n_query = nq,
                              .headers = extra,
                              .n_headers = n_extra,
                              .body = ncmd > 4 ? cmd[4] : NULL,
                              .body_len = ncmd > 4 ? strlen(cmd[4]) : 0};
    struct body_reader reader = {req.body, req.body_len, 0};
    if (read_body) {
        req.body = NULL;
        req.read = read_cb;
        req.rewind = rewind_cb;
        req.read_arg = &reader;
    }
    FILE *out = NULL;
    if (stream_out) {
        out = fopen(stream_out, "w");
        req.write = write_cb;
        req.write_reset = write_reset_cb;
        req.write_arg = out;
    }
    struct aws_response resp;
    aws_response_init(&resp);
    struct sl_err err = {0};
    int rc = aws_request(client, &req, &resp, &err);
    if (out)
        fclose(out);
    char rid[128] = "";
    aws_response_header(&resp, "x-amz-request-id", rid, sizeof rid);
    pthread_mutex_lock(&out_lock);
    if (rc) {
        char buf[2200];
        printf("error: %s\n", sl_err_format(&err, buf, sizeof buf));
        printf("status=%ld attempts=%d code=%s transient=%d\n", resp.status, resp.attempts,
               resp.error.code, err.transient);
    } else {
        printf("status=%ld attempts=%d etag=%s request_id=%s body=%.*s\n", resp.status,
               resp.attempts, resp.etag, rid, (int)(resp.body.len > 300 ? 300 : resp.body.len),
               (const char *)resp.body.data);
    }
    pthread_mutex_unlock(&out_lock);
    aws_response_free(&resp);
    return rc ? 1 : 0;
}

static int do_json(void)
{
    if (ncmd < 4) {
        fprintf(stderr, "json SERVICE TARGET JSON\n");
        return 2;
    }
    json_error_t je;
    json_t *in = json_loads(cmd[3], 0, &je), *out = NULL;
    struct aws_error aerr;
    struct sl_err err = {0};
    int rc = aws_json_call(client, cmd[1], cmd[2], in, &out, &aerr, &err);
    if (rc) {
        char buf[2200];
        printf("error: %s\n", sl_err_format(&err, buf, sizeof buf));
        printf("status=%ld code=%s message=%s request_id=%s transient=%d\n", aerr.status, aerr.code,
               aerr.message, aerr.request_id, err.transient);
    } else {
        char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        printf("ok %s\n", s);
        free(s);
    }
    json_decref(in);
    json_decref(out);
    return rc ? 1 : 0;
}

static void *worker(void *arg)
{
    (void)arg;
    int failed = 0;
    for (int i = 0; i < repeat; i++) {
        int rc = strcmp(cmd[0], "creds") == 0     ? do_creds()
                 : strcmp(cmd[0], "request") == 0 ? do_request()
                 : strcmp(cmd[0], "json") == 0    ? do_json()
                                                  : 2;
        failed |= rc;
        if (interval_ms && i + 1 < repeat)
            usleep((useconds_t)interval_ms * 1000);
    }
    return (void *)(intptr_t)failed;
}

static void *stopper(void *arg)
{
    usleep((useconds_t)(intptr_t)arg * 1000);
    stop_flag = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 1, attempts = 0, i = 1;
    long stop_after = 0;
    enum sl_log_level level = SL_LOG_INFO;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0)
            level = SL_LOG_DEBUG;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--interval-ms") == 0 && i + 1 < argc)
            interval_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--attempts") == 0 && i + 1 < argc)
            attempts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--stop-after-ms") == 0 && i + 1 < argc)
            stop_after = atol(argv[++i]);
        else if (strcmp(argv[i], "--stream-out") == 0 && i + 1 < argc)
            stream_out = argv[++i];
        else if (strcmp(argv[i], "--read-body") == 0)
            read_body = true;
        else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
            base = argv[++i];
        else if (strcmp(argv[i], "--header") == 0 && i + 1 < argc && n_extra < 8) {
            char *h = argv[++i], *colon = strchr(h, ':');
            if (!colon)
                return 2;
            *colon = 0;
            extra[n_extra].name = h;
            extra[n_extra].value = colon + 1;
            n_extra++;
        } else {
            fprintf(stderr, "aws_probe: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: aws_probe [options] creds|request|json …\n");
        return 2;
    }
    cmd = argv + i;
    ncmd = argc - i;
    sl_log_setup(level, 0);
    struct aws_client_options opt = {.stop = &stop_flag};
    if (attempts > 0)
        opt.retry = (struct sl_retry){attempts, 0.05, 2.0, 1.0};
    struct sl_err err = {0};
    if (aws_client_open(&client, &opt, &err)) {
        char buf[2200];
        printf("error: %s\n", sl_err_format(&err, buf, sizeof buf));
        return 1;
    }
    pthread_t stopper_thread;
    if (stop_after)
        pthread_create(&stopper_thread, NULL, stopper, (void *)(intptr_t)stop_after);
    pthread_t t[64];
    if (threads < 1 || threads > 64)
        threads = 1;
    for (int k = 0; k < threads; k++)
        pthread_create(&t[k], NULL, worker, NULL);
    int failed = 0;
    for (int k = 0; k < threads; k++) {
        void *r;
        pthread_join(t[k], &r);
        failed |= (int)(intptr_t)r;
    }
    if (stop_after)
        pthread_join(stopper_thread, NULL);
    aws_client_close(client);
    return failed;
}
