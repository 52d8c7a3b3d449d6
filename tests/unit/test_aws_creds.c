/*
 * test_aws_creds.c — the offline parts of src/aws/: the shared files, the
 * order of the credential chain, region, endpoints, S3 addressing.  Each
 * test starts from an environment without AWS_* variables and a fresh
 * temporary HOME; nothing here touches the network (instance metadata is
 * disabled, web identity is only half configured where it appears).
 * The network providers (web identity, ECS, IMDSv2) and refresh are tested
 * by tests/e2e/aws_creds.sh against local endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/aws.h"
#include "aws/internal.h"
#include "check.h"

extern char **environ;

static char home[256];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", home, rel);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/.aws", home);
    mkdir(dir, 0700);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* A clean slate: no AWS_* variable, an empty HOME, IMDS off. */
static void fresh_env(void)
{
    for (;;) {
        char *victim = NULL;
        for (char **e = environ; *e; e++)
            if (strncmp(*e, "AWS_", 4) == 0) {
                victim = *e;
                break;
            }
        if (!victim)
            break;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(victim, "="), victim);
        unsetenv(name);
    }
    char cmd[300];
    if (home[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
        if (system(cmd) != 0)
            fprintf(stderr, "  cannot remove %s\n", home);
    }
    snprintf(home, sizeof home, "/tmp/snaplake-aws-creds-XXXXXX");
    if (!mkdtemp(home))
        perror("mkdtemp");
    setenv("HOME", home, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static int creds_of(struct aws_creds *cr, struct sl_err *err)
{
    struct aws_client *c = NULL;
    memset(cr, 0, sizeof *cr);
    if (aws_client_open(&c, NULL, err))
        return SL_ERROR;
    int rc = aws_client_creds(c, cr, err);
    aws_client_close(c);
    return rc;
}

static void test_ini(void)
{
    fresh_env();
    write_file(".aws/config", "# comment\n"
                              "[default]\n"
                              "region = eu-west-1\n"
                              "s3 =\n"
                              "  region = nested-not-this\n"
                              "  max_concurrent_requests = 20\n"
                              "output=json\n"
                              "\n"
                              "[ profile   prod ]\n"
                              "; another comment\n"
                              "Region=us-east-2\n");
    char path[512], v[64];
    snprintf(path, sizeof path, "%s/.aws/config", home);
    struct sl_err err = {0};
    CHECK_EQ_INT(aws_ini_lookup(path, "default", "region", v, sizeof v, &err), 1);
    CHECK_EQ_STR(v, "eu-west-1");
    CHECK_EQ_INT(aws_ini_lookup(path, "default", "output", v, sizeof v, &err), 1);
    CHECK_EQ_STR(v, "json");
    CHECK_EQ_INT(aws_ini_lookup(path, "default", "max_concurrent_requests", v, sizeof v, &err), 0);
    CHECK_EQ_INT(aws_ini_lookup(path, "profile prod", "region", v, sizeof v, &err), 1);
    CHECK_EQ_STR(v, "us-east-2");
    CHECK_EQ_INT(aws_ini_lookup(path, "prod", "region", v, sizeof v, &err), 0);
    CHECK_EQ_INT(aws_ini_lookup("/nonexistent/file", "default", "region", v, sizeof v, &err), 0);
    write_file(".aws/bad", "[default\nregion=x\n");
    snprintf(path, sizeof path, "%s/.aws/bad", home);
    CHECK(aws_ini_lookup(path, "default", "region", v, sizeof v, &err) < 0);
    CHECK(strstr(err.msg, "bad:1") != NULL);
}

static void test_env_first(void)
{
    fresh_env();
    write_file(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\n"
                                   "aws_secret_access_key = profilesecret\n");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    struct aws_creds cr;
    struct sl_err err = {0};
    CHECK_EQ_INT(creds_of(&cr, &err), 0);
    CHECK_EQ_STR(cr.access_key_id, "AKIDENV");
    CHECK_EQ_STR(cr.secret_access_key, "envsecret");
    CHECK_EQ_STR(cr.session_token, "envtoken");
    CHECK_EQ_STR(cr.source, "environment");
    CHECK_EQ_INT(cr.expiration, 0);

    /* Half set: an error naming the missing one, not a silent fallback. */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    sl_err_clear(&err);
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not") != NULL);
}

static void test_web_identity_before_profile(void)
{
    fresh_env();
    write_file(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\n"
                                   "aws_secret_access_key = profilesecret\n");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/snaplake", 1);
    struct aws_creds cr;
    struct sl_err err = {0};
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL);
    /* A token file that cannot be read stops the chain too. */
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    sl_err_clear(&err);
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "web identity token") != NULL);
}

static void test_profiles(void)
{
    fresh_env();
    write_file(".aws/credentials", "[default]\naws_access_key_id = AKIDDEFAULT\n"
                                   "aws_secret_access_key = defaultsecret\n"
                                   "[prod]\naws_access_key_id = AKIDPROD\n"
                                   "aws_secret_access_key = prodsecret\n"
                                   "aws_session_token = prodtoken\n");
    write_file(".aws/config", "[default]\nregion = eu-central-1\n"
                              "[profile prod]\nregion = ap-south-1\n"
                              "[profile cfgonly]\naws_access_key_id = AKIDCFG\n"
                              "aws_secret_access_key = cfgsecret\n"
                              "[profile role]\nrole_arn = arn:aws:iam::1:role/x\n"
                              "source_profile = default\n"
                              "[profile nosecret]\naws_access_key_id = AKIDNOSECRET\n");
    struct aws_creds cr;
    struct sl_err err = {0};
    struct aws_client *c = NULL;
    CHECK_EQ_INT(creds_of(&cr, &err), 0);
    CHECK_EQ_STR(cr.access_key_id, "AKIDDEFAULT");
    CHECK_EQ_STR(cr.source, "profile default");
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "eu-central-1");
    aws_client_close(c);

    setenv("AWS_PROFILE", "prod", 1);
    CHECK_EQ_INT(creds_of(&cr, &err), 0);
    CHECK_EQ_STR(cr.access_key_id, "AKIDPROD");
    CHECK_EQ_STR(cr.secret_access_key, "prodsecret");
    CHECK_EQ_STR(cr.session_token, "prodtoken");
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "ap-south-1");
    aws_client_close(c);
    /* AWS_REGION wins over the profile, AWS_DEFAULT_REGION too. */
    setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "sa-east-1");
    aws_client_close(c);
    setenv("AWS_REGION", "us-west-2", 1);
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "us-west-2");
    aws_client_close(c);
    /* The option wins over everything. */
    struct aws_client_options o = {.region = "eu-north-1", .profile = "cfgonly"};
    CHECK_EQ_INT(aws_client_open(&c, &o, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "eu-north-1");
    CHECK_EQ_INT(aws_client_creds(c, &cr, &err), 0);
    CHECK_EQ_STR(cr.access_key_id, "AKIDCFG"); /* keys in the config file */
    aws_client_close(c);

    setenv("AWS_PROFILE", "role", 1);
    sl_err_clear(&err);
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "role_arn") != NULL);

    setenv("AWS_PROFILE", "nosecret", 1);
    sl_err_clear(&err);
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "no aws_secret_access_key") != NULL);
    CHECK(strstr(err.msg, "AKIDNOSECRET") != NULL);

    setenv("AWS_PROFILE", "missing", 1);
    sl_err_clear(&err);
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "profile missing not found") != NULL);

    /* Other file locations, "~/" expanded. */
    fresh_env();
    write_file("creds-elsewhere", "[default]\naws_access_key_id = AKIDELSEWHERE\n"
                                  "aws_secret_access_key = s\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "~/creds-elsewhere", 1);
    CHECK_EQ_INT(creds_of(&cr, &err), 0);
    CHECK_EQ_STR(cr.access_key_id, "AKIDELSEWHERE");
    write_file("config-elsewhere", "[profile x]\nregion = me-south-1\n");
    setenv("AWS_CONFIG_FILE", "~/config-elsewhere", 1);
    setenv("AWS_PROFILE", "x", 1);
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "me-south-1");
    aws_client_close(c);
}

static void test_nothing_found(void)
{
    fresh_env();
    struct aws_creds cr;
    struct sl_err err = {0};
    CHECK(creds_of(&cr, &err) != 0);
    CHECK(strstr(err.msg, "no AWS credentials found") != NULL);
    CHECK(strstr(err.msg, "AWS_EC2_METADATA_DISABLED") != NULL);
    CHECK(strstr(err.msg, "Set AWS_ACCESS_KEY_ID") != NULL);
    CHECK(!err.transient);
}

static void test_endpoints(void)
{
    fresh_env();
    struct aws_client *c = NULL;
    struct sl_err err = {0};
    char ep[256];
    bool custom = true;
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_STR(aws_client_region(c), "");
    CHECK(aws_endpoint(c, "glue", ep, sizeof ep, &custom, &err) != 0);
    CHECK(strstr(err.msg, "set AWS_REGION") != NULL);
    aws_client_close(c);

    setenv("AWS_REGION", "eu-west-1", 1);
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_INT(aws_endpoint(c, "glue", ep, sizeof ep, &custom, &err), 0);
    CHECK_EQ_STR(ep, "https://glue.eu-west-1.amazonaws.com");
    CHECK(!custom);
    CHECK_EQ_INT(aws_endpoint(c, "s3", ep, sizeof ep, &custom, &err), 0);
    CHECK_EQ_STR(ep, "https://s3.eu-west-1.amazonaws.com");
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
    CHECK_EQ_INT(aws_endpoint(c, "s3", ep, sizeof ep, &custom, &err), 0);
    CHECK_EQ_STR(ep, "http://127.0.0.1:4566");
    CHECK(custom);
    setenv("AWS_ENDPOINT_URL_S3", "http://localhost:9000", 1);
    CHECK_EQ_INT(aws_endpoint(c, "s3", ep, sizeof ep, &custom, &err), 0);
    CHECK_EQ_STR(ep, "http://localhost:9000"); /* the service's own wins */
    CHECK_EQ_INT(aws_endpoint(c, "athena", ep, sizeof ep, &custom, &err), 0);
    CHECK_EQ_STR(ep, "http://127.0.0.1:4566");
    setenv("AWS_ENDPOINT_URL_ATHENA", "ftp://x", 1);
    sl_err_clear(&err);
    CHECK(aws_endpoint(c, "athena", ep, sizeof ep, &custom, &err) != 0);
    CHECK(strstr(err.object, "AWS_ENDPOINT_URL_ATHENA") != NULL);
    aws_client_close(c);

    setenv("AWS_REGION", "eu-west-1; rm -rf /", 1);
    sl_err_clear(&err);
    CHECK(aws_client_open(&c, NULL, &err) != 0);
}

static void test_s3_addressing(void)
{
    fresh_env();
    setenv("AWS_REGION", "eu-west-1", 1);
    struct aws_client *c = NULL;
    struct sl_err err = {0};
    char base[256], prefix[128];
    CHECK_EQ_INT(aws_client_open(&c, NULL, &err), 0);
    CHECK_EQ_INT(aws_s3_base(c, "my-lake", base, sizeof base, prefix, sizeof prefix, &err), 0);
    CHECK_EQ_STR(base, "https://my-lake.s3.eu-west-1.amazonaws.com");
    CHECK_EQ_STR(prefix, "");
    /* A dotted bucket cannot be virtual-hosted over TLS. */
    CHECK_EQ_INT(aws_s3_base(c, "my.lake", base, sizeof base, prefix, sizeof prefix, &err), 0);
    CHECK_EQ_STR(base, "https://s3.eu-west-1.amazonaws.com");
    CHECK_EQ_STR(prefix, "/my.lake");
    CHECK(aws_s3_path_style(c, "http://127.0.0.1:9000", false, "b-1"));
    CHECK(aws_s3_path_style(c, "http://localhost:9000", false, "b-1"));
    CHECK(aws_s3_path_style(c, "http://[::1]:9000", false, "b-1"));
    CHECK(aws_s3_path_style(c, "https://minio.example.com", true, "b-1"));
    CHECK(!aws_s3_path_style(c, "https://s3.eu-west-1.amazonaws.com", false, "b-1"));
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", 1);
    CHECK_EQ_INT(aws_s3_base(c, "lake", base, sizeof base, prefix, sizeof prefix, &err), 0);
    CHECK_EQ_STR(base, "http://127.0.0.1:9000");
    CHECK_EQ_STR(prefix, "/lake");
    aws_client_close(c);
    struct aws_client_options o = {.s3_addressing = AWS_S3_VIRTUAL};
    CHECK_EQ_INT(aws_client_open(&c, &o, &err), 0);
    CHECK(!aws_s3_path_style(c, "https://minio.example.com", true, "b-1"));
    aws_client_close(c);
}

static void test_helpers(void)
{
    time_t t = 0;
    CHECK_EQ_INT(aws_parse_time("2026-11-30T13:00:00Z", &t), 0);
    CHECK_EQ_INT(t, 1796043600);
    CHECK_EQ_INT(aws_parse_time("2026-11-30T13:00:00.123Z", &t), 0);
    CHECK_EQ_INT(t, 1796043600);
    CHECK_EQ_INT(aws_parse_time("2026-11-30T13:00:00+00:00", &t), 0);
    CHECK(aws_parse_time("yesterday", &t) != 0);
    CHECK(aws_parse_time("2026-11-30T13:00:00+02:00", &t) != 0);
    const char *xml = "<Error><Code>SlowDown</Code><Message>Please &amp; reduce &lt;rate&gt;"
                      "</Message><RequestId>R1</RequestId></Error>";
    char v[64];
    CHECK_EQ_INT(aws_xml_value(xml, strlen(xml), "Code", v, sizeof v), 1);
    CHECK_EQ_STR(v, "SlowDown");
    CHECK_EQ_INT(aws_xml_value(xml, strlen(xml), "Message", v, sizeof v), 1);
    CHECK_EQ_STR(v, "Please & reduce <rate>");
    CHECK_EQ_INT(aws_xml_value(xml, strlen(xml), "HostId", v, sizeof v), 0);
}

int main(void)
{
    RUN(test_ini);
    RUN(test_env_first);
    RUN(test_web_identity_before_profile);
    RUN(test_profiles);
    RUN(test_nothing_found);
    RUN(test_endpoints);
    RUN(test_s3_addressing);
    RUN(test_helpers);
    fresh_env();
    rmdir(home);
    return CHECK_DONE();
}
