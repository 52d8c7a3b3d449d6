/*
 * aws.h — the shared AWS client layer: Signature V4, the credential chain,
 * endpoints, and one retrying HTTP request function over libcurl, on which
 * the S3 store (store/s3.c), the Glue catalog (catalog/glue.c) and the
 * Athena engine build.
 *
 * Pieces, each usable alone:
 *
 *   aws_sign        SigV4 as a pure function: no clock, no environment, no
 *                   network; tested against the AWS signing test-suite
 *                   vectors (tests/unit/test_sigv4.c).  libcurl's own
 *                   CURLOPT_AWS_SIGV4 is not used: Debian's curl 7.88 signs
 *                   the raw path (a key with '=' fails) and sends no
 *                   x-amz-content-sha256, which S3 requires.
 *   aws_creds_*     the standard credential chain (aws_creds.c); see below.
 *   aws_endpoint    AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > AWS's.
 *   aws_request     one signed HTTP request, retried with exponential
 *                   backoff and full jitter on what a retry can cure.
 *   aws_json_call   the JSON 1.1 protocol (Glue, Athena) over aws_request.
 *
 * A `struct aws_client` ties them together: the region, the credential
 * provider, the retry policy, the interrupt flag and a pool of curl handles.
 * Every function taking a client is thread-safe (several upload threads sign
 * and send at once through one client).
 *
 * Credential chain, first that yields credentials wins (the order of the AWS
 * SDKs and CLI):
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *      [+ AWS_SESSION_TOKEN];
 *   2. web identity (EKS): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME] → STS AssumeRoleWithWebIdentity, at
 *      AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / https://sts.<region>.amazonaws.com;
 *   3. shared files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials)
 *      section [<profile>], then AWS_CONFIG_FILE (default ~/.aws/config)
 *      section [profile <profile>] ([default] for the default profile);
 *      profile = the client option, else AWS_PROFILE, else "default";
 *   4. ECS container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *      http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN (or _TOKEN_FILE) as Authorization;
 *   5. EC2 instance metadata, IMDSv2 (PUT /latest/api/token, then GET
 *      /latest/meta-data/iam/security-credentials/[<role>]) at
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254);
 *      skipped when AWS_EC2_METADATA_DISABLED=true.
 * Credentials with an expiry (from 2, 4 and 5; those of 1 and 3 carry none)
 * are fetched again by the first caller that finds them less than
 * AWS_CREDS_REFRESH_S seconds from expiry; the others keep signing with the
 * still valid ones meanwhile.  Within that margin the chain runs at most
 * once a second, and 10 s after a failed refresh (a warning while the
 * current ones still hold).
 *
 * Region: the client option, else AWS_REGION, else AWS_DEFAULT_REGION, else
 * the profile's `region` in the config file.  None is an error only when one
 * is needed (signing, AWS's endpoints), and the message says what to set.
 *
 * Secrets: the secret key, session token and web identity token are never
 * printed or logged; messages and -v lines name the access key id at most.
 *
 * Ownership: everything returned through an out-parameter belongs to the
 * caller and is released with the matching *_free / *_close (NULL-safe).
 */
#ifndef SL_AWS_AWS_H
#define SL_AWS_AWS_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/retry.h"

/* ------------------------------------------------------------ credentials */

/* Refresh expiring credentials this long before their expiry. */
#define AWS_CREDS_REFRESH_S 300

struct aws_creds {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[4096]; /* "" when none; STS tokens are ~1-2 KB */
    time_t expiration;        /* 0 = does not expire */
    char source[64];          /* "environment", "profile default", "web identity",
                               * "ecs", "imds": for messages */
};

/* Wipe the secret fields (memset that the compiler keeps). */
void aws_creds_clear(struct aws_creds *c);

/* Parse one INI-style AWS shared file (credentials or config) and look up
 * `key` in section `section` (exact section name, "default" or
 * "profile prod").  Returns 1 and copies the trimmed value into out (size
 * bytes) when found, 0 when the file, section or key is absent, SL_ERROR
 * (err filled, naming file:line) when the file cannot be read.  Exposed for
 * tests/unit/test_aws_creds.c. */
int aws_ini_lookup(const char *file, const char *section, const char *key, char *out, size_t size,
                   struct sl_err *err);

/* -------------------------------------------------------------- signing */

struct aws_header {
    const char *name;  /* any case */
    const char *value; /* leading/trailing blanks are trimmed when signed */
};

struct aws_sign_input {
    const char *method;               /* "GET", "PUT", … */
    const char *path;                 /* the path as sent on the request line, already
                                       * percent-encoded (aws_uri_encode_path); "" = "/" */
    const char *query;                /* the query as sent, without '?'; NULL or "" for none.
                                       * Each name and value is decoded and re-encoded
                                       * strictly, pairs sorted: any order may be sent */
    const struct aws_header *headers; /* all headers to sign; must include Host */
    size_t n_headers;
    const char *payload_sha256; /* lowercase hex of the body, or
                                 * "UNSIGNED-PAYLOAD"; NULL = hash of "" */
    const char *service;        /* signing name: "s3", "glue", "sts", … */
    const char *region;         /* "us-east-1" */
    time_t when;                /* signing time (UTC seconds) */
    /* S3 rules: the path is signed as sent (no second encoding, no "."/".."
     * normalisation) and x-amz-content-sha256 is added and signed.  Other
     * services: the path is normalised and encoded a second time, as the
     * SigV4 spec and its test suite require. */
    bool s3;
};

/* What aws_sign adds to the request: send X-Amz-Date, Authorization, and
 * (when non-empty) x-amz-content-sha256 and X-Amz-Security-Token (the
 * session token: the caller takes it from its creds).  An input header of
 * the same name (x-amz-date, …) is signed as given and not duplicated. */
struct aws_signature {
    char amz_date[17];       /* "20150830T123600Z" */
    char content_sha256[65]; /* "" unless s3 (hex or UNSIGNED-PAYLOAD) */
    char authorization[2048]; /* "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" */
    char signature[65];       /* hex, as in authorization */
};

/* Sign `in` with `creds` (creds->session_token, when set, is signed in as
 * x-amz-security-token unless the input headers already carry it).  When
 * canonical / string_to_sign are non-NULL they receive those texts
 * (appended; for tests and -v debugging; they hold no secret).  Returns
 * SL_OK, or SL_ERROR on a malformed input (missing Host, bad percent escape,
 * a value too long). */
int aws_sign(const struct aws_sign_input *in, const struct aws_creds *creds,
             struct aws_signature *out, struct sl_buf *canonical, struct sl_buf *string_to_sign,
             struct sl_err *err);

/* Percent-encode a raw path for the request line: every byte except
 * A-Z a-z 0-9 - . _ ~ and '/' becomes %XX (uppercase).  So a key
 * "run=7/a b.parquet" is sent and signed as "run%3D7/a%20b.parquet".
 * Appends to out; SL_ERROR when out's cap is reached. */
int aws_uri_encode_path(struct sl_buf *out, const char *raw);
/* The same for one query name or value: '/' is encoded too. */
int aws_uri_encode(struct sl_buf *out, const char *raw, size_t len);

/* Lowercase hex SHA-256 of data into hex[65]. */
void aws_sha256_hex(const void *data, size_t len, char hex[65]);

/* ------------------------------------------------------------- the client */

enum aws_s3_addressing {
    AWS_S3_AUTO,    /* path style for custom endpoints, virtual-hosted for AWS's */
    AWS_S3_PATH,    /* https://endpoint/bucket/key */
    AWS_S3_VIRTUAL, /* https://bucket.endpoint/key */
};

struct aws_client_options {
    const char *region;  /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile */
    const char *profile; /* NULL: AWS_PROFILE, else "default" */
    /* Retries of one HTTP request (max_attempts counts the first try).
     * max_attempts 0 = AWS_RETRY_DEFAULT.  interval is the base of the full
     * jitter backoff: wait uniform in [0, min(max_delay, interval·rate^k)). */
    struct sl_retry retry;
    /* When non-NULL and *stop becomes non-zero (a signal handler sets it), a
     * transfer in progress is aborted within about a second (curl calls its
     * progress hook at least that often) and no retry starts: the
     * call fails with a permanent "interrupted" error. */
    const volatile sig_atomic_t *stop;
    long connect_timeout_ms; /* 0 = 10 s */
    /* A transfer slower than low_speed_bytes per second for low_speed_s
     * seconds fails (and is retried): a stalled connection.  0 = 1 byte/s for
     * 60 s. */
    long low_speed_bytes, low_speed_s;
    enum aws_s3_addressing s3_addressing;
};

/* S3-style transient policy: 5 attempts, 0.2 s base, ×2, at most 20 s. */
#define AWS_RETRY_DEFAULT ((struct sl_retry){5, 0.2, 2.0, 20.0})

struct aws_client;

/* Open a client: reads the region and profile settings, no network yet
 * (credentials are fetched by the first request or aws_client_creds).
 * Call before starting threads that use it.  Caller closes it. */
int aws_client_open(struct aws_client **out, const struct aws_client_options *opt,
                    struct sl_err *err);
void aws_client_close(struct aws_client *c);

/* The region ("" when none was found). */
const char *aws_client_region(const struct aws_client *c);
/* The region, or SL_ERROR naming AWS_REGION / the profile's region to set. */
int aws_client_need_region(const struct aws_client *c, struct sl_err *err);

/* Current credentials (copied into out; refreshed first when they expire
 * within AWS_CREDS_REFRESH_S).  SL_ERROR when the chain finds none: the
 * message lists what was tried.  Use it to check credentials early
 * (config/precheck) with a clear message; aws_request calls it itself. */
int aws_client_creds(struct aws_client *c, struct aws_creds *out, struct sl_err *err);

/* The endpoint of `service` ("s3", "glue", "athena", "sts"), without a
 * trailing slash: AWS_ENDPOINT_URL_<SERVICE> (uppercase, e.g.
 * AWS_ENDPOINT_URL_S3), else AWS_ENDPOINT_URL, else
 * https://<service>.<region>.amazonaws.com.  *custom (may be NULL) is set
 * when it came from a variable. */
int aws_endpoint(const struct aws_client *c, const char *service, char *out, size_t size,
                 bool *custom, struct sl_err *err);

/* Whether S3 requests to `endpoint` for `bucket` use path style: always for
 * AWS_S3_PATH; never for AWS_S3_VIRTUAL; for AWS_S3_AUTO path style when the
 * endpoint host is an IP address, "localhost", or any custom endpoint
 * (S3-compatible stores mostly lack wildcard DNS), and when the bucket name
 * is not a valid DNS label (dots break TLS names, uppercase, '_'). */
bool aws_s3_path_style(const struct aws_client *c, const char *endpoint, bool custom,
                       const char *bucket);

/* The base URL and path prefix for S3 objects in `bucket`:
 *   virtual-hosted: base "https://bucket.s3.eu-west-1.amazonaws.com", prefix "";
 *   path style:     base "http://127.0.0.1:9000",                   prefix "/bucket".
 * An object's raw path is then prefix + "/" + key (for aws_request).  */
int aws_s3_base(const struct aws_client *c, const char *bucket, char *base, size_t base_size,
                char *prefix, size_t prefix_size, struct sl_err *err);

/* ------------------------------------------------------------- requests */

struct aws_query {
    const char *name;  /* raw (not encoded) */
    const char *value; /* raw; NULL or "" for a bare name ("?uploads" is signed "uploads=") */
};

struct aws_error {
    long status;          /* HTTP status; 0 when no response came */
    char code[128];       /* the service's error code ("NoSuchKey", "SlowDown",
                           * "EntityNotFoundException"), "" when none */
    char message[512];    /* the service's message, "" when none */
    char request_id[128]; /* x-amz-request-id / x-amzn-RequestId */
};

struct aws_request {
    const char *service; /* signing name: "s3", "glue", "athena", "sts" */
    const char *method;  /* "GET", "PUT", "POST", "DELETE", "HEAD" */
    const char *base;    /* "https://host[:port]" (no trailing '/'); NULL =
                          * aws_endpoint(service) */
    const char *path;    /* raw path, NOT encoded: "/bucket/run=7/a b.parquet";
                          * the client encodes it (aws_uri_encode_path). NULL = "/" */
    const struct aws_query *query;
    size_t n_query;
    /* Extra headers (Content-Type, X-Amz-Target, Content-MD5,
     * x-amz-checksum-crc32c, …); all are signed.  Host, X-Amz-Date,
     * Authorization, x-amz-content-sha256, X-Amz-Security-Token and
     * Content-Length are set by the client. */
    const struct aws_header *headers;
    size_t n_headers;

    /* Body from memory (body_len may be 0) … */
    const void *body;
    size_t body_len;
    /* … or from a callback (when read is non-NULL): read up to n bytes into
     * dst, return the count (0 at the end); body_len is then the exact
     * length.  rewind restarts the body for a retry (return 0, or SL_ERROR:
     * no retry).  Without rewind a read body is not retried. */
    size_t (*read)(void *dst, size_t n, void *arg);
    int (*rewind)(void *arg);
    void *read_arg;
    /* Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" (only over https is
     * that wise); NULL = computed from a memory body, UNSIGNED-PAYLOAD for a
     * read body. */
    const char *payload_sha256;

    /* Response body of a 2xx answer to a callback (streaming GET) instead of
     * resp->body: return n to go on, anything else aborts (permanent).
     * write_reset is called before a retry that follows a partly written
     * body (return 0 to go on); without it such a request is not retried.
     * Error bodies always go to resp->body. */
    size_t (*write)(const void *src, size_t n, void *arg);
    int (*write_reset)(void *arg);
    void *write_arg;
    size_t max_body; /* cap of resp->body; 0 = 64 MiB */
};

struct aws_response {
    long status;            /* last attempt's HTTP status, 0 = none */
    struct sl_buf body;     /* 2xx body (unless req->write) or the error body */
    struct sl_buf headers;  /* raw response header lines of the last attempt,
                             * "Name: value\r\n" each */
    char etag[256];         /* ETag header, quotes kept, "" when none */
    struct aws_error error; /* filled when the call failed */
    int attempts;           /* tries made */
};

/* Initialise before the first aws_request; free after the last (the
 * struct can be reused: aws_request resets it). */
void aws_response_init(struct aws_response *resp);
void aws_response_free(struct aws_response *resp);

/* A response header's value (first match, case-insensitive name), copied
 * into out; returns 1 when found, 0 when not. */
int aws_response_header(const struct aws_response *resp, const char *name, char *out, size_t size);

/* Send one request, signing each attempt afresh (new X-Amz-Date, current
 * credentials).  Retried (per the client's policy, backoff with full
 * jitter) on: connection failures and resets, timeouts, a body shorter
 * than its Content-Length, HTTP 5xx and 429, and the error codes SlowDown,
 * RequestTimeout, InternalError, ThrottlingException, Throttling,
 * ThrottledException, TooManyRequestsException,
 * ProvisionedThroughputExceededException, RequestLimitExceeded,
 * RequestTimeTooSkewed (clock skew: re-signed) whatever the status.
 *
 * Returns SL_OK for a 2xx status.  Otherwise SL_ERROR with err (stage
 * "aws", object "<service> <METHOD> <path>") naming the status, the code,
 * the message and the request id, transient when a later retry could help
 * (the retryable cases above, after the attempts ran out), permanent
 * otherwise (403, 404, 400 …, interrupted).  resp->status and resp->error
 * let the caller tell "not found" (404 / NoSuchKey) from other failures.
 * Error codes are parsed from S3's XML (<Code>, <Message>, <RequestId>) and
 * from JSON ("__type" after '#', "code"/"Code", "message"/"Message") and the
 * x-amzn-ErrorType header.  A HEAD answer has no body: its code stays ""
 * (callers test resp->status == 404). */
int aws_request(struct aws_client *c, const struct aws_request *req, struct aws_response *resp,
                struct sl_err *err);

/* The JSON 1.1 protocol (Glue, Athena): POST / with Content-Type
 * application/x-amz-json-1.1 and X-Amz-Target: target ("AWSGlue.GetTable",
 * "AmazonAthena.StartQueryExecution").  request is not consumed (NULL = {}).
 * On success *response is the parsed answer (caller json_decref's it).
 * On failure *response is NULL, err as aws_request, and aerr (may be NULL)
 * receives status/code/message/request id, e.g. code
 * "EntityNotFoundException". */
int aws_json_call(struct aws_client *c, const char *service, const char *target, json_t *request,
                  json_t **response, struct aws_error *aerr, struct sl_err *err);

#endif
