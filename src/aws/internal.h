/*
 * internal.h — what the files of src/aws/ share and nothing outside uses:
 * the client struct, the credential cache, and a plain (unsigned) HTTP call
 * for the credential endpoints (STS web identity, ECS, IMDS).
 */
#ifndef SL_AWS_INTERNAL_H
#define SL_AWS_INTERNAL_H

#include <pthread.h>

#include "aws/aws.h"

/* Curl handles kept for reuse (each keeps its connections alive). */
#define AWS_POOL_MAX 64

struct aws_client {
    struct aws_client_options opt;
    char region[64];
    char profile[128];
    bool profile_explicit; /* from the option or AWS_PROFILE: a missing one is an error */

    /* lock guards cur, have, refreshing, stale; cond wakes callers waiting
     * for a refresh another thread runs (the network call runs unlocked). */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct aws_creds cur;
    bool have;
    bool refreshing;
    bool stale;       /* the service said the token expired: fetch again */
    time_t last_try;  /* when the chain last ran */
    bool last_failed; /* and whether it failed */

    /* pool_lock guards pool[] and n_pool. */
    pthread_mutex_t pool_lock;
    void *pool[AWS_POOL_MAX]; /* CURL * */
    int n_pool;
};

/* The service said the token of access_key_id expired: the next
 * aws_client_creds fetches again.  Returns whether a retry can get other
 * credentials (false for credentials without expiry: a retry would send
 * the same). */
bool aws_client_creds_stale(struct aws_client *c, const char *access_key_id);

/* Fetch credentials through the chain (creds.c), no caching. */
int aws_creds_fetch(struct aws_client *c, struct aws_creds *out, struct sl_err *err);

/* Read a profile setting (region, …): credentials file first when
 * `in_credentials`, then the config file. 1 found, 0 not, SL_ERROR. */
int aws_profile_value(const char *profile, const char *key, bool in_credentials, char *out,
                      size_t size, struct sl_err *err);

/* One unsigned HTTP call, no retry, timeout_ms for the whole call:
 * method "GET"/"PUT"/"POST", headers "Name: value" (NULL-terminated array,
 * may be NULL), body may be NULL.  *status gets the HTTP status; body gets
 * the response (cap 1 MiB).  SL_ERROR only when no answer came (err says
 * why, transient). */
int aws_http_plain(const char *method, const char *url, const char *const *headers,
                   const char *body, long timeout_ms, long *status, struct sl_buf *resp,
                   struct sl_err *err);

/* Parse an ISO 8601 UTC time ("2026-11-30T13:00:00Z", fractions and
 * "+00:00" accepted) into *t.  SL_ERROR when malformed. */
int aws_parse_time(const char *s, time_t *t);

/* The text of the first <tag>…</tag> in xml into out (entities decoded);
 * 1 found, 0 not. */
int aws_xml_value(const char *xml, size_t len, const char *tag, char *out, size_t size);

void aws_curl_global_init(void);

#endif
