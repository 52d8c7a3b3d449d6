#!/usr/bin/env bash
# aws_creds.sh — the AWS client layer (src/aws/) against local endpoints.
#
# tests/tools/aws_fake.py on 127.0.0.1 plays IMDSv2, ECS container
# credentials, STS AssumeRoleWithWebIdentity and a service endpoint that
# checks every request's SigV4 signature with botocore (python3-botocore,
# an independent signer).  build/tests/tools/aws_probe makes the requests
# through aws_request / aws_json_call.
#
#   sign_*        S3 keys with '=' and spaces, a query, a PUT body, a non-S3
#                 service (double-encoded path), a JSON 1.1 call: all
#                 accepted by botocore's S3SigV4Auth / SigV4Auth
#   chain_*       env, web identity, ECS, IMDSv2 each yield credentials that
#                 sign accepted requests; order: env before the others
#   refresh_*     credentials expiring in 303 s (refresh margin 300 s) are
#                 fetched again before they expire, by one thread of eight;
#                 an ExpiredToken answer makes the client fetch new ones
#   retry_*       503 SlowDown, a reset connection, a truncated body, a
#                 JSON ThrottlingException: retried and then succeed;
#                 404 not retried; endless 503: transient error after N tries
#   interrupt     the stop flag ends a stalled transfer (the server waits 30 s)
#                 within 15 s, process start and exit included (slow under ASan)
#   no_secret     no secret, session token or web identity token appears in
#                 any output (-v debug logs included)
set -u
. "$(dirname "$0")/../tools/e2e-lib.sh"

PY=/usr/bin/python3
if ! $PY -c 'import botocore.auth' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-botocore >/dev/null 2>&1
fi
if ! $PY -c 'import botocore.auth' 2>/dev/null; then
    fail botocore "python3-botocore is not installed and could not be installed"
    exit 1
fi
PROBE=${AWS_PROBE:-$SNAPLAKE_TOP/${BUILD:-build}/tests/tools/aws_probe}
if [ ! -x "$PROBE" ]; then
    fail probe "$PROBE not built (make unit)"
    exit 1
fi

SRV_PID=
trap '[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; rm -rf "$T"' EXIT
$PY "$TOOLS/aws_fake.py" --port-file "$T/port" --log "$T/log" --ttl 303 >"$T/srv.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done # botocore loads slowly on a busy machine
if [ ! -s "$T/port" ]; then
    fail server "aws_fake.py did not start: $(head -c 400 "$T/srv.out")"
    exit 1
fi
PORT=$(cat "$T/port")
URL=http://127.0.0.1:$PORT

# A clean AWS environment for every probe: nothing of the machine's.
for v in $(env | grep -o '^AWS_[A-Z_]*'); do unset "$v"; done
export HOME=$T/home
mkdir -p "$HOME"
export AWS_REGION=eu-west-1 AWS_ENDPOINT_URL=$URL AWS_EC2_METADATA_DISABLED=true
STATIC=(AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=static-secret-do-not-print)
ALL_OUT=$T/all-output
: >"$ALL_OUT"

# probe NAME ENV... -- ARGS...: run aws_probe -v with extra environment;
# output in $T/NAME.out, status in $RC.
probe() {
    local name=$1
    shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$PROBE" -v "$@" >"$T/$name.out" 2>&1
    RC=$?
    cat "$T/$name.out" >>"$ALL_OUT"
}
ok_probe() { # NAME: exit 0 and every server check passed so far
    if [ "$RC" -eq 0 ] && ! grep -q '"ok": false' "$T/log"; then
        pass "$1"
    else
        fail "$1" "exit $RC: $(tail -c 600 "$T/$1.out" | tr '\n' '|')" \
            "server: $(grep '"ok": false' "$T/log" | tail -n 2 | tr '\n' '|')"
    fi
}

# ------------------------------------------------------------- signing
probe sign_s3_key "${STATIC[@]}" -- request GET s3 '/lake/shop/run=20260101T000000Z/a b+c.parquet?list-type=2&prefix=shop/run=1/&delimiter=/'
ok_probe sign_s3_key
expect_grep sign_s3_key_encoded "$T/log" '/lake/shop/run%3D20260101T000000Z/a%20b%2Bc.parquet?'
probe sign_s3_put "${STATIC[@]}" -- request PUT s3 '/lake/k=v/data file.bin' 'some body, signed'
ok_probe sign_s3_put
expect_grep sign_s3_put_etag "$T/sign_s3_put.out" "etag=\"$(printf 'some body, signed' | md5sum | cut -c1-32)\""
probe sign_other_service "${STATIC[@]}" -- request GET execute-api '/stage/a b/c=d?x=1 2&y=%'
ok_probe sign_other_service
probe sign_json "${STATIC[@]}" -- json glue AWSGlue.GetTable '{"DatabaseName":"shop_raw","Name":"orders"}'
ok_probe sign_json
expect_grep sign_json_echo "$T/sign_json.out" 'ok {"echo":{"DatabaseName":"shop_raw","Name":"orders"},"target":"AWSGlue.GetTable"}'
probe json_error "${STATIC[@]}" -- json glue Test.NotFound '{}'
expect_grep json_error_code "$T/json_error.out" 'status=400 code=EntityNotFoundException message=Table x not found request_id=JSONREQ1 transient=0'
# A wrong secret is refused by the verifier: the check is not a rubber stamp.
probe sign_wrong_secret AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=wrong-do-not-print -- request GET s3 /lake/x
if [ "$RC" -ne 0 ] && grep -q 'HTTP 403 SignatureDoesNotMatch' "$T/sign_wrong_secret.out"; then
    pass sign_wrong_secret_refused
else
    fail sign_wrong_secret_refused "$(tr '\n' '|' <"$T/sign_wrong_secret.out")"
fi
sed -i '/"ok": false/d' "$T/log" # that refusal was expected

# ------------------------------------------------------------- chain
echo web-identity-do-not-print >"$T/webtoken"
WEB=(AWS_WEB_IDENTITY_TOKEN_FILE=$T/webtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/snaplake
    AWS_ROLE_SESSION_NAME=nightly AWS_ENDPOINT_URL_STS=$URL/sts)
ECS=(AWS_CONTAINER_CREDENTIALS_FULL_URI=$URL/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-auth-do-not-print)
IMDS=(AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$URL/)

probe chain_web_identity "${WEB[@]}" -- request GET s3 /lake/web
ok_probe chain_web_identity
expect_grep chain_web_identity_source "$T/chain_web_identity.out" 'credentials from web identity, access key id AKIDISSUED'
expect_grep chain_web_identity_session "$T/log" '"kind": "sts", "ok": true, "session": "nightly"'
probe chain_ecs "${ECS[@]}" -- request GET s3 /lake/ecs
ok_probe chain_ecs
expect_grep chain_ecs_source "$T/chain_ecs.out" 'credentials from ecs, access key id AKIDISSUED'
probe chain_imds "${IMDS[@]}" -- request GET s3 /lake/imds
ok_probe chain_imds
expect_grep chain_imds_source "$T/chain_imds.out" 'credentials from imds role snaplake-role, access key id AKIDISSUED'
# Order: the environment first, then web identity, then the profile files,
# then ECS, then IMDS.
probe chain_order_env "${STATIC[@]}" "${WEB[@]}" "${ECS[@]}" "${IMDS[@]}" -- creds
expect_grep chain_order_env "$T/chain_order_env.out" 'source=environment akid=AKIDSTATIC'
printf '[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p-do-not-print\n' >"$HOME/creds"
probe chain_order_web "${WEB[@]}" "${ECS[@]}" "${IMDS[@]}" AWS_SHARED_CREDENTIALS_FILE=$HOME/creds -- creds
expect_grep chain_order_web "$T/chain_order_web.out" 'source=web identity akid=AKIDISSUED'
probe chain_order_profile "${ECS[@]}" "${IMDS[@]}" AWS_SHARED_CREDENTIALS_FILE=$HOME/creds -- creds
expect_grep chain_order_profile "$T/chain_order_profile.out" 'source=profile default akid=AKIDPROFILE expiring=0'
probe chain_order_ecs "${ECS[@]}" "${IMDS[@]}" -- creds
expect_grep chain_order_ecs "$T/chain_order_ecs.out" 'source=ecs akid=AKIDISSUED'
probe chain_ecs_denied AWS_CONTAINER_CREDENTIALS_FULL_URI=$URL/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-do-not-print -- creds
expect_grep chain_ecs_denied "$T/chain_ecs_denied.out" 'container credentials endpoint answered HTTP 401'
probe chain_imds_off "${IMDS[@]}" AWS_EC2_METADATA_DISABLED=true -- creds
expect_grep chain_imds_off "$T/chain_imds_off.out" 'EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED'
probe chain_web_bad_token AWS_WEB_IDENTITY_TOKEN_FILE=$T/port AWS_ROLE_ARN=arn:aws:iam::1:role/x AWS_ENDPOINT_URL_STS=$URL/sts -- creds
expect_grep chain_web_bad_token "$T/chain_web_bad_token.out" 'STS AssumeRoleWithWebIdentity for arn:aws:iam::1:role/x: HTTP 400 InvalidIdentityToken: bad token'
sed -i '/"ok": false/d' "$T/log" # that refusal was expected

# ------------------------------------------------------------- refresh
# Credentials valid 303 s, refreshed 300 s before expiry: after ~3 s every
# signer needs new ones.  8 threads × 6 requests, one every second.
before=$(grep -c '"kind": "ecs-creds"' "$T/log")
start=$(date +%s%N)
probe refresh_threads "${ECS[@]}" -- --threads 8 --repeat 6 --interval-ms 1000 request GET s3 /lake/refresh
ok_probe refresh_threads
fetches=$(($(grep -c '"kind": "ecs-creds"' "$T/log") - before))
# At most one fetch per 2 s (the 3 s margin, less the Expiration's rounding)
# and the first: 4 for the ~6 s the requests take, more if a loaded machine
# stretched them (a fixed 4 would fail a slow run that refreshes correctly).
most=$((($(date +%s%N) - start) / 2000000000 + 1))
[ "$most" -ge 4 ] || most=4
keys=$(grep '"path": "/lake/refresh"' "$T/log" | grep -o 'AKIDISSUED[0-9]*' | sort -u | wc -l)
if [ "$fetches" -ge 2 ] && [ "$fetches" -le "$most" ] && [ "$keys" -ge 2 ]; then
    pass refresh_before_expiry
else
    fail refresh_before_expiry "credential fetches: $fetches (expected 2..$most), keys used: $keys (expected ≥ 2)"
fi
probe refresh_expired_token "${ECS[@]}" -- request GET s3 /lake/expired1/x
ok_probe refresh_expired_token
if grep -q 'status=200 attempts=2' "$T/refresh_expired_token.out" &&
    [ "$(grep -c 'credentials from ecs, access key id' "$T/refresh_expired_token.out")" -eq 2 ]; then
    pass refresh_expired_token_refetch
else
    fail refresh_expired_token_refetch "$(tr '\n' '|' <"$T/refresh_expired_token.out")"
fi
# A refresh that fails while the credentials still hold: a warning, the
# requests go on, and the endpoint is asked again only after 10 s (one
# refresh = 3 tries of the ECS provider).
probe refresh_fails AWS_CONTAINER_CREDENTIALS_FULL_URI=$URL/ecs/once AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-auth-do-not-print -- --threads 4 --repeat 6 --interval-ms 1000 request GET s3 /lake/refresh-fails
ok_probe refresh_fails
tries=$(grep -c '"kind": "ecs-fail"' "$T/log")
warns=$(grep -c 'warning: aws: refreshing credentials failed' "$T/refresh_fails.out")
if [ "$tries" -eq 3 ] && [ "$warns" -eq 1 ]; then
    pass refresh_fails_backs_off
else
    fail refresh_fails_backs_off "failed ECS calls: $tries (expected 3), warnings: $warns (expected 1)"
fi
# Static keys cannot be refreshed: ExpiredToken is final at once.
probe expired_static "${STATIC[@]}" -- --attempts 4 request GET s3 /lake/expired9/x
expect_grep expired_static "$T/expired_static.out" 'status=400 attempts=1 code=ExpiredToken transient=0'

# ------------------------------------------------------------- retries
probe retry_503 "${STATIC[@]}" -- --attempts 4 request GET s3 /lake/fail503x2/k
ok_probe retry_503
expect_grep retry_503_attempts "$T/retry_503.out" 'status=200 attempts=3'
probe retry_reset "${STATIC[@]}" -- --attempts 4 request PUT s3 /lake/reset1/k 'a body sent twice'
ok_probe retry_reset
expect_grep retry_reset_attempts "$T/retry_reset.out" 'status=200 attempts=2'
probe retry_truncated "${STATIC[@]}" -- --attempts 4 request GET s3 /lake/truncate1/k
ok_probe retry_truncated
expect_grep retry_truncated_attempts "$T/retry_truncated.out" 'status=200 attempts=2 etag= request_id=REQ'
expect_grep retry_truncated_debug "$T/retry_truncated.out" 'response shorter than its Content-Length'
# Streamed bodies: a GET written through req.write, cut short once, is
# restarted from empty (write_reset); a PUT read through req.read, reset
# once, is sent again whole (rewind).
probe retry_stream_get "${STATIC[@]}" -- --attempts 4 --stream-out "$T/streamed" request GET s3 /lake/truncate1/stream
ok_probe retry_stream_get
if grep -q 'status=200 attempts=2' "$T/retry_stream_get.out" && [ "$(cat "$T/streamed")" = "ok GET /lake/truncate1/stream" ]; then
    pass retry_stream_get_exact
else
    fail retry_stream_get_exact "file: $(head -c 300 "$T/streamed")" "$(tr '\n' '|' <"$T/retry_stream_get.out")"
fi
probe retry_read_body "${STATIC[@]}" -- --attempts 4 --read-body request PUT s3 /lake/reset1/read 'a body from a callback'
ok_probe retry_read_body
expect_grep retry_read_body_exact "$T/retry_read_body.out" "status=200 attempts=2 etag=\"$(printf 'a body from a callback' | md5sum | cut -c1-32)\""
probe retry_throttle "${STATIC[@]}" AWS_ENDPOINT_URL_GLUE=$URL/throttle2 -- --attempts 4 json glue AWSGlue.GetTable '{}'
ok_probe retry_throttle
expect_grep retry_throttle_logged "$T/retry_throttle.out" 'HTTP 400 ThrottlingException: Rate exceeded'
probe no_retry_404 "${STATIC[@]}" -- --attempts 4 request GET s3 /lake/missing/k
expect_grep no_retry_404 "$T/no_retry_404.out" 'status=404 attempts=1 code=NoSuchKey transient=0'
probe head_404 "${STATIC[@]}" -- request HEAD s3 /lake/missing/k
expect_grep head_404 "$T/head_404.out" 'status=404 attempts=1 code= transient=0'
probe empty_post "${STATIC[@]}" -- request POST s3 '/lake/k?uploads'
ok_probe empty_post
probe retry_gives_up "${STATIC[@]}" -- --attempts 3 request GET s3 /lake/always503/k
if [ "$RC" -eq 1 ] && grep -q 'status=503 attempts=3 code=SlowDown transient=1' "$T/retry_gives_up.out" &&
    grep -q 'HTTP 503 SlowDown: Please reduce your request rate. (request id REQ[0-9]*) (after 3 attempts)' "$T/retry_gives_up.out"; then
    pass retry_gives_up
else
    fail retry_gives_up "exit $RC: $(tr '\n' '|' <"$T/retry_gives_up.out")"
fi

# ------------------------------------------------------------- interrupt
start=$(date +%s%N)
probe interrupt "${STATIC[@]}" -- --stop-after-ms 300 request GET s3 /lake/slow/k
ms=$((($(date +%s%N) - start) / 1000000))
# 15 s: half the slow answer's 30 s, above a slow start under ASan on a busy machine.
if [ "$RC" -eq 1 ] && grep -q 'interrupted' "$T/interrupt.out" && [ "$ms" -lt 15000 ]; then
    pass interrupt
else
    fail interrupt "exit $RC after $ms ms: $(tr '\n' '|' <"$T/interrupt.out")"
fi

# ------------------------------------------------------------- secrets
if grep -n 'do-not-print' "$ALL_OUT" >"$T/leaks"; then
    fail no_secret "$(head -c 600 "$T/leaks" | tr '\n' '|')"
else
    pass no_secret
fi
[ "$NFAIL" -eq 0 ]
