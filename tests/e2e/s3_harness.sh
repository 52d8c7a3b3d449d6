#!/usr/bin/env bash
# s3_harness.sh — the S3 test harness itself (scripts/s3_test_server.sh:
# s3rver behind tests/tools/s3_proxy.py), checked with Debian's aws CLI, an
# S3 client independent of snaplake, and with hand-made requests signed by
# botocore (tests/tools/s3_req.py).
#
#   start        the server starts on 127.0.0.1 and the bucket exists
#   roundtrip    put/get of a key with = and a space; bytes exact
#   list         delimiter listing keeps deeper folders (s3rver drops them),
#                paging with a small page size returns every key once, in
#                order, over several requests (v2 and v1)
#   multipart    a 9 MB file goes up in parts and comes back exact
#   uploads      list-multipart-uploads, list-parts, abort; a part to an
#                aborted upload is NoSuchUpload; Complete checks part ETags and
#                the 5 MiB minimum part size
#   auth         wrong secret, unknown key, a path signed with = instead of
#                %3D, missing / wrong x-amz-content-sha256, an unsigned
#                x-amz-* header, a temporary key without its token: all refused
#   faults       slowdown, reset mid-upload, truncated response, delay:
#                fired, counted, and the aws CLI's retry succeeds;
#                fail_all_after: every request fails, the CLI gives up
#
# Prints "PASS s3_harness/…" / "FAIL s3_harness/…" lines (tests/run.sh).
SUITE=s3_harness
. "$(dirname "$0")/../tools/e2e-lib.sh"
S3DIR=
cleanup() {
    [ -n "$S3DIR" ] && "$SNAPLAKE_TOP/scripts/s3_test_server.sh" stop "$S3DIR" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
PY=/usr/bin/python3

if ! "$SNAPLAKE_TOP/scripts/s3_test_server.sh" start >"$T/env" 2>"$T/start.err"; then
    fail start "$(tail -c 800 "$T/start.err" | tr '\n' '|')"
    exit 1
fi
. "$T/env"
S3DIR=$S3TEST_DIR
case "$S3TEST_ENDPOINT" in
http://127.0.0.1:*) pass start ;;
*) fail start "endpoint $S3TEST_ENDPOINT is not on 127.0.0.1" ;;
esac

# The CLI with the harness's environment only (no ~/.aws, no instance
# metadata probe); its output in $T/aws.out, errors in $T/aws.err.
awsx() {
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
        AWS_PAGER="" /usr/bin/aws --endpoint-url "$S3TEST_ENDPOINT" "$@" >"$T/aws.out" 2>"$T/aws.err"
}
expect_eq() { # name got want
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2'" "want '$3'"; fi
}
# log_count JQ-LIKE-PYTHON-EXPR — requests in requests.log for which the
# Python expression (over r) holds.
log_count() {
    "$PY" -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if eval(sys.argv[2]): n+=1
print(n)' "$S3DIR/requests.log" "$1"
}
fired() { # fault name → times fired
    "$PY" -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get(sys.argv[2],0))
except FileNotFoundError: print(0)' "$S3DIR/faults.fired.json" "$1"
}
S0=$(date +%s%N)
section() { [ -z "${S3H_TIME:-}" ] || echo "  line $1: $((($(date +%s%N) - S0) / 1000000)) ms" >&2; }
faults() { printf '%s\n' "$1" >"$S3DIR/faults.json"; }

section "$LINENO"
# ---------------------------------------------------------------- roundtrip
printf 'hello, lake\n' >"$T/small"
awsx s3 cp "$T/small" "s3://lake/raw/run=1/a b.txt" --quiet
awsx s3 cp "s3://lake/raw/run=1/a b.txt" "$T/small.back" --quiet
check roundtrip cmp -s "$T/small" "$T/small.back"

section "$LINENO"
# ---------------------------------------------------------------- listing
for k in t/a/b/c.txt t/a/b/d/e.txt t/a/x.txt t/top.txt t/z/deep/er/f t/a-b; do
    awsx s3api put-object --bucket lake --key "$k" --body "$T/small" || fail "list-put" "$k: $(cat "$T/aws.err")"
done
awsx s3api list-objects-v2 --bucket lake --prefix t/ --delimiter / --output json \
    --query '{c: Contents[].Key, p: CommonPrefixes[].Prefix}'
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["c"] or []), "|", " ".join(d["p"] or []))' "$T/aws.out")
expect_eq list/delimiter "$got" "t/a-b t/top.txt | t/a/ t/z/"
awsx s3api list-objects-v2 --bucket lake --prefix t/a/ --delimiter / --output json \
    --query '{c: Contents[].Key, p: CommonPrefixes[].Prefix}'
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["c"] or []), "|", " ".join(d["p"] or []))' "$T/aws.out")
expect_eq list/delimiter-prefix "$got" "t/a/x.txt | t/a/b/"

before=$(log_count 'r["method"]=="GET" and "list-type=2" in r["query"] and "continuation-token" in r["query"]')
awsx s3api list-objects-v2 --bucket lake --prefix t/ --page-size 2 --output text --query 'Contents[].Key'
got=$(tr '\t' '\n' <"$T/aws.out" | tr -s '\n' ' ')
expect_eq list/paging "$got" "t/a-b t/a/b/c.txt t/a/b/d/e.txt t/a/x.txt t/top.txt t/z/deep/er/f "
after=$(log_count 'r["method"]=="GET" and "list-type=2" in r["query"] and "continuation-token" in r["query"]')
expect_eq list/paging-requests "$((after - before))" 2
awsx s3api list-objects-v2 --bucket lake --prefix t/ --delimiter / --page-size 1 --output json \
    --query '{c: Contents[].Key, p: CommonPrefixes[].Prefix}'
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["c"] or []), "|", " ".join(d["p"] or []))' "$T/aws.out")
expect_eq list/paging-delimiter "$got" "t/a-b t/top.txt | t/a/ t/z/"
awsx s3api list-objects --bucket lake --prefix t/ --delimiter / --page-size 1 --output json \
    --query '{c: Contents[].Key, p: CommonPrefixes[].Prefix}'
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["c"] or []), "|", " ".join(d["p"] or []))' "$T/aws.out")
expect_eq list/v1-paging-delimiter "$got" "t/a-b t/top.txt | t/a/ t/z/"
awsx s3 ls s3://lake/raw/run=1/
expect_grep list/s3-ls "$T/aws.out" "a b.txt"

section "$LINENO"
# ---------------------------------------------------------------- multipart
head -c 9000000 /dev/urandom >"$T/big"
awsx s3 cp "$T/big" s3://lake/big/x.bin --quiet
awsx s3 cp s3://lake/big/x.bin "$T/big.back" --quiet
check multipart/content cmp -s "$T/big" "$T/big.back"
expect_eq multipart/parts "$(log_count 'r["method"]=="PUT" and r["path"]=="/lake/big/x.bin" and "partNumber=2" in r["query"] and r["status"]==200')" 1
awsx s3api list-multipart-uploads --bucket lake --output text --query 'length(Uploads || `[]`)'
expect_eq multipart/none-left "$(cat "$T/aws.out")" 0

section "$LINENO"
# ---------------------------------------------------------------- uploads
awsx s3api create-multipart-upload --bucket lake --key mp/one --output text --query UploadId
up=$(cat "$T/aws.out")
awsx s3api list-multipart-uploads --bucket lake --prefix mp/ --output text --query 'Uploads[].[Key,UploadId]'
expect_eq uploads/listed "$(tr -s '\t' ' ' <"$T/aws.out")" "mp/one $up"
awsx s3api upload-part --bucket lake --key mp/one --upload-id "$up" --part-number 1 --body "$T/small" \
    --output text --query ETag
etag1=$(cat "$T/aws.out")
awsx s3api upload-part --bucket lake --key mp/one --upload-id "$up" --part-number 2 --body "$T/small" \
    --output text --query ETag
etag2=$(cat "$T/aws.out")
awsx s3api list-parts --bucket lake --key mp/one --upload-id "$up" --output text --query 'Parts[].PartNumber'
expect_eq uploads/list-parts "$(tr -s '\t' ' ' <"$T/aws.out")" "1 2"
printf '{"Parts":[{"PartNumber":1,"ETag":%s},{"PartNumber":2,"ETag":%s}]}' \
    "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$etag1")" \
    "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$etag2")" >"$T/parts.json"
awsx s3api complete-multipart-upload --bucket lake --key mp/one --upload-id "$up" \
    --multipart-upload "file://$T/parts.json"
expect_grep uploads/entity-too-small "$T/aws.err" EntityTooSmall
printf '{"Parts":[{"PartNumber":1,"ETag":"\\"0123\\""}]}' >"$T/bad.json"
awsx s3api complete-multipart-upload --bucket lake --key mp/one --upload-id "$up" \
    --multipart-upload "file://$T/bad.json"
expect_grep uploads/invalid-part "$T/aws.err" InvalidPart
awsx s3api abort-multipart-upload --bucket lake --key mp/one --upload-id "$up"
expect_eq uploads/abort-status "$(log_count 'r["method"]=="DELETE" and r["status"]==204')" 1
awsx s3api list-multipart-uploads --bucket lake --output text --query 'length(Uploads || `[]`)'
expect_eq uploads/aborted-gone "$(cat "$T/aws.out")" 0
awsx s3api upload-part --bucket lake --key mp/one --upload-id "$up" --part-number 3 --body "$T/small"
expect_grep uploads/part-after-abort "$T/aws.err" NoSuchUpload
awsx s3api upload-part --bucket lake --key mp/one --upload-id 00000000000000000000000000000000 \
    --part-number 1 --body "$T/small"
expect_grep uploads/unknown-id "$T/aws.err" NoSuchUpload
check uploads/no-folder-created test ! -e "$S3DIR/data/lake/._S3rver_uploads/00000000000000000000000000000000"

section "$LINENO"
# ---------------------------------------------------------------- auth
AWS_SECRET_ACCESS_KEY=wrong-secret awsx s3api head-object --bucket lake --key "raw/run=1/a b.txt"
AWS_SECRET_ACCESS_KEY=wrong-secret awsx s3 cp "s3://lake/raw/run=1/a b.txt" "$T/x" --only-show-errors
expect_grep auth/wrong-secret "$T/aws.err" "403"
check auth/wrong-secret-counted test "$(log_count 'r["status"]==403 and r["error"]=="SignatureDoesNotMatch"')" -ge 2
AWS_ACCESS_KEY_ID=AKIAUNKNOWN00000 awsx s3api head-object --bucket lake --key "raw/run=1/a b.txt"
check auth/unknown-key test "$(log_count 'r["error"]=="InvalidAccessKeyId"')" -ge 1
req() { "$PY" "$TOOLS/s3_req.py" "$@" 2>"$T/req.err"; }
expect_eq auth/equals-encoded "$(req PUT '/lake/raw/run=2/k' --body abc)" "200 -"
expect_eq auth/equals-signed-raw "$(req PUT '/lake/raw/run=2/k' --body abc --sign-raw-path)" "403 SignatureDoesNotMatch"
expect_eq auth/no-content-sha "$(req PUT /lake/raw/k --body abc --no-sha)" "400 InvalidRequest"
expect_eq auth/wrong-content-sha "$(req PUT /lake/raw/k --body abc --wrong-sha)" "400 XAmzContentSHA256Mismatch"
expect_eq auth/unsigned-amz-header "$(req PUT /lake/raw/k --body abc --unsigned-header x-amz-meta-a:b)" "403 AccessDenied"
tmp_env() {
    AWS_ACCESS_KEY_ID=$S3TEST_TEMP_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$S3TEST_TEMP_SECRET_ACCESS_KEY \
        AWS_SESSION_TOKEN=$S3TEST_TEMP_SESSION_TOKEN "$@"
}
expect_eq auth/temp-key "$(tmp_env req GET /lake/raw/run=2/k)" "200 -"
expect_eq auth/temp-key-no-token "$(tmp_env req GET /lake/raw/k --skip-token)" "403 InvalidAccessKeyId"
expect_eq auth/temp-key-bad-token "$(AWS_ACCESS_KEY_ID=$S3TEST_TEMP_ACCESS_KEY_ID \
    AWS_SECRET_ACCESS_KEY=$S3TEST_TEMP_SECRET_ACCESS_KEY AWS_SESSION_TOKEN=bad req GET /lake/raw/k)" "400 InvalidToken"

section "$LINENO"
# ---------------------------------------------------------------- faults
# Each fault fires on the first matching request; the CLI retries it.
faults '{"faults": [{"name": "slow", "kind": "slowdown", "method": "PUT", "path": "^/lake/f/slow$"}]}'
awsx s3 cp "$T/small" s3://lake/f/slow --quiet
expect_eq faults/slowdown-fired "$(fired slow)" 1
expect_eq faults/slowdown-logged "$(log_count 'r["path"]=="/lake/f/slow" and r["status"]==503 and r["error"]=="SlowDown"')" 1
awsx s3 cp s3://lake/f/slow "$T/slow.back" --quiet
check faults/slowdown-retried cmp -s "$T/small" "$T/slow.back"

faults '{"faults": [{"name": "reset", "kind": "reset", "method": "PUT", "path": "^/lake/big/reset$", "query": "partNumber=2"}]}'
awsx s3 cp "$T/big" s3://lake/big/reset --quiet
expect_eq faults/reset-fired "$(fired reset)" 1
expect_eq faults/reset-logged "$(log_count 'r["path"]=="/lake/big/reset" and r["status"]=="reset" and 0 < r["bytes_in"] < 9000000')" 1
awsx s3 cp s3://lake/big/reset "$T/reset.back" --quiet
check faults/reset-retried cmp -s "$T/big" "$T/reset.back"

faults '{"faults": [{"name": "trunc", "kind": "truncate", "method": "GET", "path": "^/lake/big/x.bin$"}]}'
rm -f "$T/big.back"
awsx s3 cp s3://lake/big/x.bin "$T/big.back" --quiet
expect_eq faults/truncate-fired "$(fired trunc)" 1
check faults/truncate-retried cmp -s "$T/big" "$T/big.back"

faults '{"faults": [{"name": "slowly", "kind": "delay", "seconds": 1, "method": "HEAD"}]}'
s=$(date +%s%N)
awsx s3api head-object --bucket lake --key f/slow
ms=$((($(date +%s%N) - s) / 1000000))
expect_eq faults/delay-fired "$(fired slowly)" 1
check faults/delay-waited test "$ms" -ge 1000

faults '{"faults": [{"name": "down", "kind": "fail_all_after", "nth": 2, "method": "*", "path": "^/lake/f/"}]}'
awsx s3api put-object --bucket lake --key f/ok --body "$T/small"
RC=$?
expect_eq faults/fail-all-first-ok "$RC" 0
awsx s3api put-object --bucket lake --key f/down --body "$T/small"
RC=$?
check faults/fail-all-gives-up test "$RC" -ne 0
expect_grep faults/fail-all-error "$T/aws.err" InternalError
check faults/fail-all-counted test "$(fired down)" -ge 2
awsx s3api head-object --bucket lake --key raw/run=2/k
expect_eq faults/fail-all-other-paths "$?" 0
faults '{"faults": []}'
awsx s3api put-object --bucket lake --key f/down --body "$T/small"
expect_eq faults/cleared "$?" 0

section "$LINENO"
# ---------------------------------------------------------------- stop
"$SNAPLAKE_TOP/scripts/s3_test_server.sh" stop "$S3DIR"
check stop test ! -e "$S3DIR"
S3DIR=
exit 0
