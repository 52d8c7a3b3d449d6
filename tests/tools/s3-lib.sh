# s3-lib.sh — sourced by e2e tests that need an S3 endpoint, after
# tests/tools/e2e-lib.sh (it uses $T, pass, fail).  docs/testing-s3.md.
#
#   s3_start            start scripts/s3_test_server.sh in $T/s3 (stopped on
#                       exit), export its environment (AWS_ENDPOINT_URL_S3,
#                       AWS_ACCESS_KEY_ID, …, S3TEST_*); S3DIR is its folder.
#                       Returns 1 (after a FAIL line) when it cannot start.
#   s3_aws ARGS…        Debian's aws CLI against it, nothing from ~/.aws;
#                       stdout in $T/aws.out, stderr in $T/aws.err, status returned
#   s3_faults JSON      replace the fault list: s3_faults '[{"kind": "slowdown", …}]'
#   s3_fired NAME       how often the fault NAME fired
#   s3_log_count EXPR   requests in requests.log for which the Python
#                       expression over r holds, e.g. 'r["status"] == 503'
#   s3_uploads_left     unfinished multipart uploads in the bucket (data folder)
#   s3_object KEY       path of KEY's bytes in s3rver's data folder
S3PY=/usr/bin/python3
S3DIR=

_s3_cleanup() {
    [ -z "$S3DIR" ] || "$SNAPLAKE_TOP/scripts/s3_test_server.sh" stop "$S3DIR" >/dev/null 2>&1
    S3DIR=
}

s3_start() {
    mkdir -p "$T/s3"
    if ! "$SNAPLAKE_TOP/scripts/s3_test_server.sh" start "$T/s3" >"$T/s3.env" 2>"$T/s3.err"; then
        fail s3-start "$(tail -c 800 "$T/s3.err" | tr '\n' '|')"
        "$SNAPLAKE_TOP/scripts/s3_test_server.sh" stop "$T/s3" >/dev/null 2>&1
        return 1
    fi
    # shellcheck disable=SC1091
    . "$T/s3.env"
    S3DIR=$S3TEST_DIR
    # Stop the servers before e2e-lib.sh's trap removes $T.
    trap '_s3_cleanup; rm -rf "$T"' EXIT
}

s3_aws() {
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
        AWS_PAGER="" /usr/bin/aws --endpoint-url "$S3TEST_ENDPOINT" "$@" >"$T/aws.out" 2>"$T/aws.err"
}

s3_faults() {
    printf '{"faults": %s}\n' "$1" >"$S3DIR/faults.json.tmp" && mv "$S3DIR/faults.json.tmp" "$S3DIR/faults.json"
}

s3_fired() {
    "$S3PY" -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))
except FileNotFoundError: print(0)' "$S3DIR/faults.fired.json" "$1"
}

s3_log_count() {
    "$S3PY" -c 'import json,sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if eval(sys.argv[2]): n += 1
print(n)' "$S3DIR/requests.log" "$1"
}

s3_uploads_left() {
    local d=$S3DIR/data/$S3TEST_BUCKET/._S3rver_uploads
    if [ -d "$d" ]; then find "$d" -mindepth 2 -maxdepth 2 -name key | wc -l; else echo 0; fi
}

s3_object() {
    local key=$1 dir=${1%/*} base=${1##*/}
    [ "$dir" = "$key" ] && dir= || dir=$dir/
    echo "$S3DIR/data/$S3TEST_BUCKET/$dir$base._S3rver_object"
}
