/*
 * stub.c — placeholders for the AWS client layer (aws.h) while it is being
 * written: every call fails with a permanent error.  Replaced by sigv4.c,
 * creds.c and client.c.
 */
#include <string.h>

#include "aws/aws.h"

static int todo(struct sl_err *err, const char *what)
{
    return sl_err_set(err, false, "aws", what, "not implemented yet");
}

void aws_creds_clear(struct aws_creds *c) { memset(c, 0, sizeof *c); }
int aws_ini_lookup(const char *file, const char *section, const char *key, char *out,
                   size_t size, struct sl_err *err)
{
    (void)section, (void)key, (void)out, (void)size;
    return todo(err, file);
}
int aws_sign(const struct aws_sign_input *in, const struct aws_creds *creds,
             struct aws_signature *out, struct sl_buf *canonical, struct sl_buf *string_to_sign,
             struct sl_err *err)
{
    (void)in, (void)creds, (void)out, (void)canonical, (void)string_to_sign;
    return todo(err, "aws_sign");
}
int aws_uri_encode_path(struct sl_buf *out, const char *raw) { (void)out, (void)raw; return SL_ERROR; }
int aws_uri_encode(struct sl_buf *out, const char *raw, size_t len) { (void)out, (void)raw, (void)len; return SL_ERROR; }
void aws_sha256_hex(const void *data, size_t len, char hex[65]) { (void)data, (void)len; hex[0] = 0; }
int aws_client_open(struct aws_client **out, const struct aws_client_options *opt, struct sl_err *err)
{
    (void)opt;
    *out = NULL;
    return todo(err, "aws_client_open");
}
void aws_client_close(struct aws_client *c) { (void)c; }
const char *aws_client_region(const struct aws_client *c) { (void)c; return ""; }
int aws_client_need_region(const struct aws_client *c, struct sl_err *err) { (void)c; return todo(err, "region"); }
int aws_client_creds(struct aws_client *c, struct aws_creds *out, struct sl_err *err) { (void)c, (void)out; return todo(err, "creds"); }
int aws_endpoint(const struct aws_client *c, const char *service, char *out, size_t size, bool *custom, struct sl_err *err)
{
    (void)c, (void)out, (void)size, (void)custom;
    return todo(err, service);
}
bool aws_s3_path_style(const struct aws_client *c, const char *endpoint, bool custom, const char *bucket)
{
    (void)c, (void)endpoint, (void)bucket;
    return custom;
}
int aws_s3_base(const struct aws_client *c, const char *bucket, char *base, size_t base_size, char *prefix, size_t prefix_size, struct sl_err *err)
{
    (void)c, (void)base, (void)base_size, (void)prefix, (void)prefix_size;
    return todo(err, bucket);
}
void aws_response_init(struct aws_response *resp) { memset(resp, 0, sizeof *resp); }
void aws_response_free(struct aws_response *resp) { sl_buf_free(&resp->body); sl_buf_free(&resp->headers); }
int aws_response_header(const struct aws_response *resp, const char *name, char *out, size_t size) { (void)resp, (void)name, (void)out, (void)size; return 0; }
int aws_request(struct aws_client *c, const struct aws_request *req, struct aws_response *resp, struct sl_err *err)
{
    (void)c, (void)req, (void)resp;
    return todo(err, "aws_request");
}
int aws_json_call(struct aws_client *c, const char *service, const char *target, json_t *request, json_t **response, struct aws_error *aerr, struct sl_err *err)
{
    (void)c, (void)service, (void)request, (void)aerr;
    *response = NULL;
    return todo(err, target);
}
