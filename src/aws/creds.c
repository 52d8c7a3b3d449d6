/*
 * creds.c — the AWS credential chain (order and variables in aws.h) and the
 * shared config/credentials files.
 *
 * Each provider answers one of three ways: credentials (the chain stops),
 * "not configured here" (the chain goes on), or an error (the chain stops:
 * a provider the user configured and that fails must not be hidden by a
 * later one — the AWS SDKs behave the same).  When no provider answers, the
 * error lists what was tried and what to set.
 *
 * Caching and refresh live in client.c (aws_client_creds); this file only
 * fetches.  Secrets read here (secret key, session token, web identity
 * token, container authorization token) go into struct aws_creds or local
 * buffers that are wiped, never into messages or logs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/internal.h"
#include "util/log.h"

enum { FOUND = 1, ABSENT = 0 };

void aws_creds_clear(struct aws_creds *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* ------------------------------------------------------------ INI files */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* "[ profile   prod ]" → "profile prod". */
static void section_name(char *s, char *out, size_t size)
{
    s = trim(s);
    size_t o = 0;
    bool space = false;
    for (; *s && o + 1 < size; s++) {
        if (isspace((unsigned char)*s)) {
            space = true;
            continue;
        }
        if (space && o && o + 2 < size)
            out[o++] = ' ';
        space = false;
        out[o++] = *s;
    }
    out[o] = 0;
}

int aws_ini_lookup(const char *file, const char *section, const char *key, char *out, size_t size,
                   struct sl_err *err)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ABSENT;
        return sl_err_set(err, false, "aws", file, "cannot read: %s", strerror(errno));
    }
    char line[8192], cur[256] = "";
    bool in_section = false, nested = false;
    int lineno = 0, rc = ABSENT;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        bool indented = line[0] == ' ' || line[0] == '\t';
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close) {
                rc = sl_err_set(err, false, "aws", "", "%s:%d: a section header without ']'", file,
                                lineno);
                break;
            }
            *close = 0;
            section_name(s + 1, cur, sizeof cur);
            in_section = strcmp(cur, section) == 0;
            nested = false;
            continue;
        }
        /* "s3 =" followed by indented "key = value" lines: a nested block,
         * whose keys are not the profile's own. */
        if (indented && nested)
            continue;
        nested = false;
        char *eq = strchr(s, '=');
        if (!eq)
            continue;
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        if (!*v) {
            nested = true;
            continue;
        }
        if (in_section && strcasecmp(k, key) == 0) {
            snprintf(out, size, "%s", v);
            rc = FOUND;
            break;
        }
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    return rc;
}

/* AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE or ~/.aws/<name>; a
 * leading "~/" is expanded as the CLI does. */
static void aws_file(const char *var, const char *name, char *out, size_t size)
{
    const char *v = env(var), *home = env("HOME");
    if (!home)
        home = ".";
    if (v && v[0] == '~' && v[1] == '/')
        snprintf(out, size, "%s/%s", home, v + 2);
    else if (v)
        snprintf(out, size, "%s", v);
    else
        snprintf(out, size, "%s/.aws/%s", home, name);
}

int aws_profile_value(const char *profile, const char *key, bool in_credentials, char *out,
                      size_t size, struct sl_err *err)
{
    char path[1024], section[300];
    if (in_credentials) {
        aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
        int rc = aws_ini_lookup(path, profile, key, out, size, err);
        if (rc != ABSENT)
            return rc;
    }
    aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
    snprintf(section, sizeof section, "profile %s", profile);
    int rc = aws_ini_lookup(path, section, key, out, size, err);
    if (rc == ABSENT && strcmp(profile, "default") == 0)
        rc = aws_ini_lookup(path, "default", key, out, size, err);
    return rc;
}

/* Whether the profile has a section in either file (to tell "no such
 * profile" from "a profile without keys"). */
static bool profile_exists(const char *profile)
{
    char path[1024], section[300], line[1024];
    const char *names[2] = {profile, section};
    snprintf(section, sizeof section, "profile %s", profile);
    for (int i = 0; i < 2; i++) {
        if (i == 0)
            aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
        else
            aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool found = false;
        while (!found && fgets(line, sizeof line, f)) {
            char *s = trim(line), cur[300];
            char *close = *s == '[' ? strchr(s, ']') : NULL;
            if (!close)
                continue;
            *close = 0;
            section_name(s + 1, cur, sizeof cur);
            found = strcmp(cur, names[i]) == 0 ||
                    (i == 1 && strcmp(profile, "default") == 0 && strcmp(cur, "default") == 0);
        }
        fclose(f);
        if (found)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ providers */

static int from_env(struct aws_creds *out, struct sl_err *err)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret)
        return ABSENT;
    if (!id || !secret)
        return sl_err_set(err, false, "aws", "credentials",
                          "%s is set but %s is not: set both (or neither, to use a profile or "
                          "the instance's role)",
                          id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    snprintf(out->access_key_id, sizeof out->access_key_id, "%s", id);
    snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", secret);
    const char *token = env("AWS_SESSION_TOKEN");
    snprintf(out->session_token, sizeof out->session_token, "%s", token ? token : "");
    snprintf(out->source, sizeof out->source, "environment");
    return FOUND;
}

static int from_profile(struct aws_client *c, struct aws_creds *out, struct sl_err *err)
{
    char id[128] = "", secret[128] = "";
    int rc = aws_profile_value(c->profile, "aws_access_key_id", true, id, sizeof id, err);
    if (rc < 0)
        return rc;
    if (rc == ABSENT) {
        char other[512];
        const char *unsupported[] = {"role_arn", "credential_process", "sso_session",
                                     "sso_start_url", "web_identity_token_file"};
        for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
            if (aws_profile_value(c->profile, unsupported[i], true, other, sizeof other, err) ==
                FOUND)
                return sl_err_set(err, false, "aws", "credentials",
                                  "profile %s uses %s, which snaplake does not support: give the "
                                  "profile aws_access_key_id and aws_secret_access_key, or set "
                                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (for example from "
                                  "`aws configure export-credentials --format env`)",
                                  c->profile, unsupported[i]);
        if (c->profile_explicit && !profile_exists(c->profile))
            return sl_err_set(err, false, "aws", "credentials",
                              "profile %s not found in ~/.aws/credentials nor ~/.aws/config "
                              "(AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE): check AWS_PROFILE",
                              c->profile);
        return ABSENT;
    }
    rc = aws_profile_value(c->profile, "aws_secret_access_key", true, secret, sizeof secret, err);
    if (rc < 0)
        return rc;
    if (rc == ABSENT)
        return sl_err_set(err, false, "aws", "credentials",
                          "profile %s has aws_access_key_id %s but no aws_secret_access_key",
                          c->profile, id);
    snprintf(out->access_key_id, sizeof out->access_key_id, "%s", id);
    snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", secret);
    OPENSSL_cleanse(secret, sizeof secret);
    rc = aws_profile_value(c->profile, "aws_session_token", true, out->session_token,
                           sizeof out->session_token, err);
    if (rc < 0)
        return rc;
    snprintf(out->source, sizeof out->source, "profile %s", c->profile);
    return FOUND;
}

/* Copy one string field of a JSON credentials answer. */
static int json_field(json_t *j, const char *name, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(j, name));
    if (!v || strlen(v) >= size)
        return SL_ERROR;
    memcpy(out, v, strlen(v) + 1);
    return SL_OK;
}

/* The JSON shape shared by ECS and IMDS: AccessKeyId, SecretAccessKey,
 * Token, Expiration. */
static int parse_json_creds(const struct sl_buf *body, const char *what, struct aws_creds *out,
                            struct sl_err *err)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)body->data, body->len, 0, &je);
    int rc = SL_OK;
    if (!j || json_field(j, "AccessKeyId", out->access_key_id, sizeof out->access_key_id) ||
        json_field(j, "SecretAccessKey", out->secret_access_key, sizeof out->secret_access_key)) {
        rc = sl_err_set(err, true, "aws", what,
                        "the credentials answer lacks AccessKeyId/SecretAccessKey (not JSON from "
                        "a credentials endpoint?)");
        goto out;
    }
    json_field(j, "Token", out->session_token, sizeof out->session_token);
    const char *exp = json_string_value(json_object_get(j, "Expiration"));
    if (exp && aws_parse_time(exp, &out->expiration))
        rc = sl_err_set(err, true, "aws", what, "cannot read Expiration \"%.40s\"", exp);
out:
    json_decref(j);
    return rc;
}

static bool loopback_or_container_host(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *ok[] = {"127.",           "localhost:",     "localhost/",      "[::1]",
                        "169.254.170.2:", "169.254.170.2/", "169.254.170.23:", "169.254.170.23/"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strncmp(h, ok[i], strlen(ok[i])) == 0)
            return true;
    return strcmp(h, "localhost") == 0 || strcmp(h, "169.254.170.2") == 0 ||
           strcmp(h, "169.254.170.23") == 0;
}

static int read_small_file(const char *path, char *out, size_t size, const char *what,
                           struct sl_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_err_set(err, false, "aws", path, "cannot read the %s: %s", what, strerror(errno));
    size_t n = fread(out, 1, size - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    out[n] = 0;
    if (more)
        return sl_err_set(err, false, "aws", path, "the %s is larger than %zu bytes", what,
                          size - 1);
    char *t = trim(out);
    memmove(out, t, strlen(t) + 1);
    return SL_OK;
}

static int from_ecs(struct aws_creds *out, struct sl_err *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!rel && !full)
        return ABSENT;
    char url[2048];
    if (rel)
        snprintf(url, sizeof url, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
    else
        snprintf(url, sizeof url, "%s", full);
    if (!rel && strncmp(url, "https://", 8) != 0 && !loopback_or_container_host(url))
        return sl_err_set(err, false, "aws", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "%s: plain http is accepted only to a loopback address or the "
                          "container credentials addresses (169.254.170.2, 169.254.170.23)",
                          url);
    char token[8192] = "", auth[8300];
    const char *tfile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tfile && read_small_file(tfile, token, sizeof token, "container authorization token", err))
        return SL_ERROR;
    if (!tfile && env("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        snprintf(token, sizeof token, "%s", env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    snprintf(auth, sizeof auth, "Authorization: %s", token);
    const char *headers[] = {auth, NULL};
    struct sl_buf body;
    sl_buf_init(&body, 1 << 20);
    long status = 0;
    int rc = SL_ERROR;
    for (int attempt = 1; attempt <= 3; attempt++) {
        sl_err_clear(err);
        rc = aws_http_plain("GET", url, token[0] ? headers : NULL, NULL, 2000, &status, &body, err);
        if (rc == SL_OK && status >= 500)
            rc = sl_err_set(err, true, "aws", url, "container credentials endpoint: HTTP %ld",
                            status);
        if (rc == SL_OK || attempt == 3)
            break;
        usleep(200000u << (attempt - 1));
    }
    OPENSSL_cleanse(token, sizeof token);
    OPENSSL_cleanse(auth, sizeof auth);
    if (rc == SL_OK && status != 200)
        rc = sl_err_set(err, false, "aws", url,
                        "container credentials endpoint answered HTTP %ld (check the task role "
                        "and AWS_CONTAINER_AUTHORIZATION_TOKEN)",
                        status);
    if (rc == SL_OK)
        rc = parse_json_creds(&body, url, out, err);
    OPENSSL_cleanse(body.data, body.cap);
    sl_buf_free(&body);
    if (rc == SL_OK)
        snprintf(out->source, sizeof out->source, "ecs");
    return rc == SL_OK ? FOUND : SL_ERROR;
}

static long env_long(const char *name, long dflt)
{
    const char *v = env(name);
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *end == 0 && n > 0 ? n : dflt;
}

static int from_imds(struct aws_creds *out, char *why, size_t why_size, struct sl_err *err)
{
    const char *disabled = env("AWS_EC2_METADATA_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0) {
        snprintf(why, why_size, "disabled by AWS_EC2_METADATA_DISABLED");
        return ABSENT;
    }
    char base[1024];
    const char *e = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    snprintf(base, sizeof base, "%s", e ? e : "http://169.254.169.254");
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        base[--bl] = 0;
    long timeout_ms = env_long("AWS_METADATA_SERVICE_TIMEOUT", 1) * 1000;
    long attempts = env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1);

    char url[1400], token[256] = "", hdr[400], role[256] = "";
    struct sl_buf body;
    sl_buf_init(&body, 1 << 20);
    long status = 0;
    int rc = SL_ERROR;
    struct sl_err local = {0};
    /* Step 1: the session token.  No answer: not on EC2 (or IMDS off). */
    snprintf(url, sizeof url, "%s/latest/api/token", base);
    const char *ttl[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL};
    for (long a = 1; a <= attempts; a++) {
        sl_err_clear(&local);
        rc = aws_http_plain("PUT", url, ttl, "", timeout_ms, &status, &body, &local);
        if (rc == SL_OK && status < 500)
            break;
    }
    if (rc != SL_OK || status != 200 || body.len == 0 || body.len >= sizeof token) {
        if (rc != SL_OK)
            snprintf(why, why_size, "no answer from %s: %s", base, local.msg);
        else
            snprintf(why, why_size, "%s answered HTTP %ld to the IMDSv2 token request", base,
                     status);
        rc = ABSENT;
        goto out;
    }
    memcpy(token, body.data, body.len);
    token[body.len] = 0;
    snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", token);
    const char *th[] = {hdr, NULL};

    /* Step 2: the instance profile's role name. */
    snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/", base);
    rc = aws_http_plain("GET", url, th, NULL, timeout_ms, &status, &body, err);
    if (rc)
        goto out;
    if (status == 404) {
        rc = sl_err_set(err, false, "aws", "EC2 instance metadata",
                        "this instance has no IAM role (instance profile): attach one, or set "
                        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        goto out;
    }
    size_t n = 0;
    while (n < body.len && n + 1 < sizeof role && body.data[n] != '\n' && body.data[n] != '\r')
        role[n] = (char)body.data[n], n++;
    role[n] = 0;
    if (status != 200 || !role[0]) {
        rc = sl_err_set(err, true, "aws", url, "instance metadata answered HTTP %ld", status);
        goto out;
    }

    /* Step 3: the role's temporary credentials. */
    snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/%s", base, role);
    rc = aws_http_plain("GET", url, th, NULL, timeout_ms, &status, &body, err);
    if (rc)
        goto out;
    if (status != 200) {
        rc = sl_err_set(err, true, "aws", url, "instance metadata answered HTTP %ld", status);
        goto out;
    }
    rc = parse_json_creds(&body, "EC2 instance metadata", out, err);
    if (rc == SL_OK) {
        snprintf(out->source, sizeof out->source, "imds role %s", role);
        rc = FOUND;
    }
out:
    OPENSSL_cleanse(token, sizeof token);
    OPENSSL_cleanse(hdr, sizeof hdr);
    if (body.data)
        OPENSSL_cleanse(body.data, body.cap);
    sl_buf_free(&body);
    return rc;
}

/* Append "&name=" + encoded value to a form body. */
static int form_add(struct sl_buf *b, const char *name, const char *value)
{
    if ((b->len && sl_buf_putc(b, '&')) || sl_buf_append(b, name, strlen(name)) ||
        sl_buf_putc(b, '='))
        return SL_ERROR;
    return aws_uri_encode(b, value, strlen(value));
}

static int from_web_identity(struct aws_client *c, struct aws_creds *out, struct sl_err *err)
{
    const char *file = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env("AWS_ROLE_ARN");
    if (!file && !role)
        return ABSENT;
    if (!file || !role)
        return sl_err_set(err, false, "aws", "credentials",
                          "%s is set but %s is not: web identity needs both",
                          file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
                          file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
    char session[128];
    const char *sn = env("AWS_ROLE_SESSION_NAME");
    if (sn)
        snprintf(session, sizeof session, "%s", sn);
    else
        snprintf(session, sizeof session, "snaplake-%ld-%ld", (long)getpid(), (long)time(NULL));

    char endpoint[1024];
    bool custom = env("AWS_ENDPOINT_URL_STS") || env("AWS_ENDPOINT_URL");
    if (custom || c->region[0]) {
        if (aws_endpoint(c, "sts", endpoint, sizeof endpoint, NULL, err))
            return SL_ERROR;
    } else {
        snprintf(endpoint, sizeof endpoint, "https://sts.amazonaws.com");
    }
    char url[1100];
    snprintf(url, sizeof url, "%s/", endpoint);

    /* The token file is read at every refresh: Kubernetes rotates it. */
    static const size_t token_max = 16384;
    char *token = malloc(token_max);
    struct sl_buf form, body;
    sl_buf_init(&form, 64 * 1024);
    sl_buf_init(&body, 1 << 20);
    int rc = token ? read_small_file(file, token, token_max, "web identity token", err)
                   : sl_err_set(err, false, "aws", "credentials", "out of memory");
    if (rc)
        goto out;
    if (form_add(&form, "Action", "AssumeRoleWithWebIdentity") ||
        form_add(&form, "Version", "2011-06-15") || form_add(&form, "RoleArn", role) ||
        form_add(&form, "RoleSessionName", session) || form_add(&form, "WebIdentityToken", token) ||
        sl_buf_putc(&form, 0)) {
        rc = sl_err_set(err, false, "aws", "credentials", "web identity request too large");
        goto out;
    }
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/xml", NULL};
    long status = 0;
    for (int attempt = 1; attempt <= 4; attempt++) {
        sl_err_clear(err);
        rc = aws_http_plain("POST", url, headers, (const char *)form.data, 10000, &status, &body,
                            err);
        if (rc == SL_OK && status == 200)
            break;
        char code[128] = "";
        if (rc == SL_OK) {
            aws_xml_value((const char *)body.data, body.len, "Code", code, sizeof code);
            bool transient = status >= 500 || status == 429 ||
                             strcmp(code, "IDPCommunicationError") == 0 ||
                             strcmp(code, "Throttling") == 0;
            char msg[512] = "";
            aws_xml_value((const char *)body.data, body.len, "Message", msg, sizeof msg);
            rc = sl_err_set(err, transient, "aws", url,
                            "STS AssumeRoleWithWebIdentity for %s: HTTP %ld %s%s%s", role, status,
                            code, msg[0] ? ": " : "", msg);
            if (!transient)
                break;
        }
        if (attempt < 4)
            usleep(200000u << (attempt - 1));
    }
    if (rc)
        goto out;
    const char *xml = (const char *)body.data;
    char exp[64] = "";
    if (aws_xml_value(xml, body.len, "AccessKeyId", out->access_key_id,
                      sizeof out->access_key_id) != 1 ||
        aws_xml_value(xml, body.len, "SecretAccessKey", out->secret_access_key,
                      sizeof out->secret_access_key) != 1 ||
        aws_xml_value(xml, body.len, "SessionToken", out->session_token,
                      sizeof out->session_token) != 1) {
        rc = sl_err_set(err, true, "aws", url,
                        "the STS answer lacks AccessKeyId/SecretAccessKey/SessionToken");
        goto out;
    }
    if (aws_xml_value(xml, body.len, "Expiration", exp, sizeof exp) == 1 &&
        aws_parse_time(exp, &out->expiration)) {
        rc = sl_err_set(err, true, "aws", url, "cannot read Expiration \"%.40s\"", exp);
        goto out;
    }
    snprintf(out->source, sizeof out->source, "web identity");
    rc = FOUND;
out:
    if (token)
        OPENSSL_cleanse(token, token_max);
    free(token);
    if (form.data)
        OPENSSL_cleanse(form.data, form.cap);
    if (body.data)
        OPENSSL_cleanse(body.data, body.cap);
    sl_buf_free(&form);
    sl_buf_free(&body);
    return rc;
}

int aws_creds_fetch(struct aws_client *c, struct aws_creds *out, struct sl_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = from_env(out, err);
    if (rc == ABSENT)
        rc = from_web_identity(c, out, err);
    if (rc == ABSENT)
        rc = from_profile(c, out, err);
    if (rc == ABSENT)
        rc = from_ecs(out, err);
    char why[700] = "";
    if (rc == ABSENT)
        rc = from_imds(out, why, sizeof why, err);
    if (rc == FOUND) {
        sl_debug("aws: credentials from %s, access key id %s%s", out->source, out->access_key_id,
                 out->expiration ? ", expiring" : "");
        return SL_OK;
    }
    if (rc == ABSENT)
        return sl_err_set(err, false, "aws", "credentials",
                          "no AWS credentials found: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are "
                          "unset, no web identity (AWS_WEB_IDENTITY_TOKEN_FILE), profile %s has "
                          "no keys in ~/.aws/credentials or ~/.aws/config, no container "
                          "credentials (AWS_CONTAINER_CREDENTIALS_*), EC2 instance metadata: %s. "
                          "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
                          c->profile, why);
    aws_creds_clear(out);
    return SL_ERROR;
}
