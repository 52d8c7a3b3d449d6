/*
 * client.c — the AWS client: options, region, the credential cache with
 * refresh before expiry, endpoints and S3 addressing (see aws.h).  The HTTP
 * request itself is in http.c, the chain of credential providers in
 * creds.c.
 *
 * Credential refresh, thread by thread: the first caller that finds the
 * cached credentials within AWS_CREDS_REFRESH_S of their expiry (or none,
 * or marked stale by an ExpiredToken answer) becomes the refresher: it sets
 * `refreshing`, drops the lock, runs the chain (network), and publishes the
 * result.  Meanwhile the other callers keep the cached credentials while
 * they are still valid for 10 more seconds; otherwise they wait on `cond`.
 * A failed refresh with credentials still valid is a warning, not an error:
 * a caller 10 s later tries again.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <curl/curl.h>

#include "aws/internal.h"
#include "util/log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void aws_curl_global_init(void)
{
    pthread_once(&curl_once, curl_init_once);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int aws_client_open(struct aws_client **out, const struct aws_client_options *opt,
                    struct sl_err *err)
{
    *out = NULL;
    aws_curl_global_init();
    struct aws_client *c = calloc(1, sizeof *c);
    if (!c)
        return sl_err_set(err, false, "aws", "", "out of memory");
    if (opt)
        c->opt = *opt;
    if (c->opt.retry.max_attempts <= 0)
        c->opt.retry = AWS_RETRY_DEFAULT;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    pthread_mutex_init(&c->pool_lock, NULL);

    const char *profile = c->opt.profile && *c->opt.profile ? c->opt.profile : env("AWS_PROFILE");
    c->profile_explicit = profile != NULL;
    snprintf(c->profile, sizeof c->profile, "%s", profile ? profile : "default");

    const char *region = c->opt.region && *c->opt.region ? c->opt.region : env("AWS_REGION");
    if (!region)
        region = env("AWS_DEFAULT_REGION");
    if (region) {
        snprintf(c->region, sizeof c->region, "%s", region);
    } else if (aws_profile_value(c->profile, "region", false, c->region, sizeof c->region, err) <
               0) {
        aws_client_close(c);
        return SL_ERROR;
    }
    for (const char *p = c->region; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-') {
            int rc = sl_err_set(err, false, "aws", "region",
                                "\"%s\" is not an AWS region name (like eu-west-1)", c->region);
            aws_client_close(c);
            return rc;
        }
    *out = c;
    return SL_OK;
}

void aws_client_close(struct aws_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    aws_creds_clear(&c->cur);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->pool_lock);
    free(c);
}

const char *aws_client_region(const struct aws_client *c)
{
    return c->region;
}

int aws_client_need_region(const struct aws_client *c, struct sl_err *err)
{
    if (c->region[0])
        return SL_OK;
    return sl_err_set(err, false, "aws", "region",
                      "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or `region` in "
                      "profile %s of ~/.aws/config",
                      c->profile);
}

/* ----------------------------------------------------------- credentials */

static bool fresh(const struct aws_creds *cr, time_t now, time_t margin)
{
    return cr->expiration == 0 || now + margin < cr->expiration;
}

int aws_client_creds(struct aws_client *c, struct aws_creds *out, struct sl_err *err)
{
    pthread_mutex_lock(&c->lock);
    for (;;) {
        time_t now = time(NULL);
        /* Within the margin, fetch at most once a second (every 10 s after
         * a failure) while the current ones still hold: IMDS hands out the
         * same credentials until it rotates them, and a failing endpoint
         * must not be hammered by every request. */
        bool recently = now - c->last_try < (c->last_failed ? 10 : 1);
        if (c->have && !c->stale &&
            (fresh(&c->cur, now, AWS_CREDS_REFRESH_S) || (recently && fresh(&c->cur, now, 10)))) {
            *out = c->cur;
            pthread_mutex_unlock(&c->lock);
            return SL_OK;
        }
        if (!c->refreshing)
            break;
        /* Another thread refreshes: sign with the current ones while they
         * still have 10 s, else wait for the new ones. */
        if (c->have && !c->stale && fresh(&c->cur, now, 10)) {
            *out = c->cur;
            pthread_mutex_unlock(&c->lock);
            return SL_OK;
        }
        pthread_cond_wait(&c->cond, &c->lock);
    }
    c->refreshing = true;
    pthread_mutex_unlock(&c->lock);

    struct aws_creds fetched;
    struct sl_err ferr = {0};
    int rc = aws_creds_fetch(c, &fetched, &ferr);

    pthread_mutex_lock(&c->lock);
    c->refreshing = false;
    time_t now = time(NULL);
    c->last_try = now;
    c->last_failed = rc != SL_OK;
    if (rc == SL_OK) {
        if (c->have && c->cur.expiration)
            sl_debug("aws: credentials from %s refreshed, access key id %s", fetched.source,
                     fetched.access_key_id);
        c->cur = fetched;
        c->have = true;
        c->stale = false;
        *out = c->cur;
    } else if (c->have && !c->stale && fresh(&c->cur, now, 0)) {
        /* Keep signing with what still works; the next caller retries. */
        sl_warn("aws: refreshing credentials failed (%s); the current ones (access key id %s) "
                "are valid for %ld s more",
                ferr.msg, c->cur.access_key_id, (long)(c->cur.expiration - now));
        *out = c->cur;
        rc = SL_OK;
    } else {
        *err = ferr;
    }
    aws_creds_clear(&fetched);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

bool aws_client_creds_stale(struct aws_client *c, const char *access_key_id)
{
    bool marked = false;
    pthread_mutex_lock(&c->lock);
    if (c->have && c->cur.expiration && strcmp(c->cur.access_key_id, access_key_id) == 0)
        c->stale = marked = true;
    else if (c->have && strcmp(c->cur.access_key_id, access_key_id) != 0)
        marked = true; /* already replaced by another thread: retry with the new ones */
    pthread_mutex_unlock(&c->lock);
    return marked;
}

/* ------------------------------------------------------------- endpoints */

int aws_endpoint(const struct aws_client *c, const char *service, char *out, size_t size,
                 bool *custom, struct sl_err *err)
{
    char var[64];
    size_t n = (size_t)snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", service);
    for (size_t i = 17; i < n && i < sizeof var; i++)
        var[i] = var[i] == '-' || var[i] == ' ' ? '_' : (char)toupper((unsigned char)var[i]);
    const char *v = env(var);
    if (!v)
        v = env("AWS_ENDPOINT_URL");
    if (custom)
        *custom = v != NULL;
    if (v) {
        if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
            return sl_err_set(err, false, "aws", var[0] && env(var) ? var : "AWS_ENDPOINT_URL",
                              "\"%s\" is not an http:// or https:// URL", v);
        snprintf(out, size, "%s", v);
        size_t l = strlen(out);
        while (l && out[l - 1] == '/')
            out[--l] = 0;
        return SL_OK;
    }
    if (aws_client_need_region(c, err))
        return SL_ERROR;
    snprintf(out, size, "https://%s.%s.amazonaws.com", service, c->region);
    return SL_OK;
}

/* The host part of a URL ("http://h:1/x" → "h"; "[::1]" kept bracketed). */
static void url_host(const char *url, char *out, size_t size)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n;
    if (*h == '[') {
        const char *e = strchr(h, ']');
        n = e ? (size_t)(e - h) + 1 : strlen(h);
    } else {
        n = strcspn(h, ":/?");
    }
    snprintf(out, size, "%.*s", (int)n, h);
}

static bool dns_compatible_bucket(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return false; /* dots too: *.s3.amazonaws.com's certificate covers one label */
    return b[0] != '-' && b[n - 1] != '-';
}

bool aws_s3_path_style(const struct aws_client *c, const char *endpoint, bool custom,
                       const char *bucket)
{
    enum aws_s3_addressing a = c ? c->opt.s3_addressing : AWS_S3_AUTO;
    if (a == AWS_S3_PATH)
        return true;
    if (a == AWS_S3_VIRTUAL)
        return false;
    char host[256];
    url_host(endpoint, host, sizeof host);
    unsigned char addr[16];
    if (host[0] == '[' || inet_pton(AF_INET, host, addr) == 1 || strcasecmp(host, "localhost") == 0)
        return true;
    return custom || !dns_compatible_bucket(bucket);
}

int aws_s3_base(const struct aws_client *c, const char *bucket, char *base, size_t base_size,
                char *prefix, size_t prefix_size, struct sl_err *err)
{
    char endpoint[1024];
    bool custom = false;
    if (aws_endpoint(c, "s3", endpoint, sizeof endpoint, &custom, err))
        return SL_ERROR;
    if (aws_s3_path_style(c, endpoint, custom, bucket)) {
        snprintf(base, base_size, "%s", endpoint);
        snprintf(prefix, prefix_size, "/%s", bucket);
        return SL_OK;
    }
    const char *h = strstr(endpoint, "://") + 3;
    snprintf(base, base_size, "%.*s%s.%s", (int)(h - endpoint), endpoint, bucket, h);
    if (prefix_size)
        prefix[0] = 0;
    return SL_OK;
}

/* ---------------------------------------------------------------- helpers */

int aws_parse_time(const char *s, time_t *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return SL_ERROR;
    const char *r = s + n;
    if (*r == '.')
        for (r++; isdigit((unsigned char)*r); r++)
            ;
    if (!(strcmp(r, "Z") == 0 || strcmp(r, "+00:00") == 0 || strcmp(r, "+0000") == 0 || *r == 0))
        return SL_ERROR;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = timegm(&tm);
    return SL_OK;
}

int aws_xml_value(const char *xml, size_t len, const char *tag, char *out, size_t size)
{
    char open[160], close[160];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *b = memmem(xml, len, open, strlen(open));
    if (!b)
        return 0;
    b += strlen(open);
    const char *e = memmem(b, len - (size_t)(b - xml), close, strlen(close));
    if (!e)
        return 0;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    for (const char *p = b; p < e && o + 1 < size;) {
        bool done = false;
        for (size_t i = 0; *p == '&' && i < sizeof ents / sizeof *ents && !done; i++) {
            size_t el = strlen(ents[i].ent);
            if ((size_t)(e - p) >= el && memcmp(p, ents[i].ent, el) == 0) {
                out[o++] = ents[i].c;
                p += el;
                done = true;
            }
        }
        if (!done)
            out[o++] = *p++;
    }
    out[o] = 0;
    return 1;
}
