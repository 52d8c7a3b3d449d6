#!/usr/bin/env bash
# s3_harness.sh — the S3 test harness itself (scripts/s3_test_server.sh:
# s3rver behind tests/tools/s3_proxy.py), checked with Debian's aws CLI, an
# S3 client independent of snaplake, and with hand-made requests signed by
# botocore (tests/tools/s3_req.py).
#
#   start        the server starts on 127.0.0.1 and the bucket exists
#   roundtrip    a tree with keys holding = and spaces goes up (one PUT
#                answered 503 SlowDown first: fired, counted, retried) and
#                comes back byte for byte
#   list         delimiter listing keeps deeper folders (s3rver drops them),
#                paging with a small page size returns every key once, in
#                order, over several requests
#   multipart    a 9 MB file goes up in parts, part 2's connection reset
#                mid-body first; it comes back exact through a truncated
#                first answer; list-multipart-uploads and abort work
#   auth         a wrong secret is refused (403 SignatureDoesNotMatch); curl
#                7.88's SigV4 (no x-amz-content-sha256, = signed raw) too
#   edge         tests/tools/s3_edge.py, in one process: signing traps (= vs
#                %3D, payload hash, unsigned headers, skew, region, temporary
#                keys and their expiry), checksums, Complete's checks, unknown
#                upload ids, DeleteObjects, ListObjects v1, the delay and
#                fail_all_after faults
#
# The aws CLI takes 1-4 s to start on a busy machine: it runs 10 times here.
# Prints "PASS s3_harness/…" / "FAIL s3_harness/…" lines (tests/run.sh).
SUITE=s3_harness
. "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/s3-lib.sh"
PY=$S3PY

s3_start || exit 1
case "$S3TEST_ENDPOINT" in
http://127.0.0.1:*) pass start ;;
*) fail start "endpoint $S3TEST_ENDPOINT is not on 127.0.0.1" ;;
esac
awsx() { s3_aws "$@"; }
log_count() { s3_log_count "$@"; }
fired() { s3_fired "$@"; }
faults() { printf '%s\n' "$1" >"$S3DIR/faults.json"; }
expect_eq() { # name got want
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2'" "want '$3'"; fi
}
S0=$(date +%s%N)
section() { [ -z "${S3H_TIME:-}" ] || echo "  line $1: $((($(date +%s%N) - S0) / 1000000)) ms" >&2; }

section "$LINENO"
# ---------------------------------------------------------------- roundtrip
printf 'hello, lake\n' >"$T/small"
mkdir -p "$T/tree/a/b/d" "$T/tree/z/deep/er" "$T/tree/run=1"
for k in a/b/c.txt a/b/d/e.txt a/x.txt top.txt z/deep/er/f a-b "run=1/a b.txt"; do
    head -c $((RANDOM % 3000)) /dev/urandom >"$T/tree/$k"
done
faults '{"faults": [{"name": "slow", "kind": "slowdown", "method": "PUT", "path": "^/lake/t/top.txt$"}]}'
awsx s3 cp --recursive "$T/tree" s3://lake/t/ --only-show-errors
expect_eq roundtrip/put "$?" 0
expect_eq roundtrip/slowdown-fired "$(fired slow)" 1
expect_eq roundtrip/slowdown-logged "$(log_count 'r["path"]=="/lake/t/top.txt" and r["status"]==503 and r["error"]=="SlowDown"')" 1
awsx s3 cp --recursive s3://lake/t/ "$T/tree.back" --only-show-errors
check roundtrip/get diff -r "$T/tree" "$T/tree.back"

section "$LINENO"
# ---------------------------------------------------------------- listing
# s3rver alone drops t/z/ (no object directly under it) and cannot page.
awsx s3api list-objects-v2 --bucket lake --prefix t/ --delimiter / --page-size 1 --output json \
    --query '{c: Contents[].Key, p: CommonPrefixes[].Prefix}'
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d["c"] or []), "|", " ".join(d["p"] or []))' "$T/aws.out")
expect_eq list/delimiter "$got" "t/a-b t/top.txt | t/a/ t/run=1/ t/z/"
before=$(log_count 'r["method"]=="GET" and "list-type=2" in r["query"] and "continuation-token" in r["query"]')
awsx s3api list-objects-v2 --bucket lake --prefix t/ --page-size 3 --output text --query 'Contents[].Key'
got=$(tr '\t' '\n' <"$T/aws.out" | tr -s '\n' ' ')
expect_eq list/paging "$got" "t/a-b t/a/b/c.txt t/a/b/d/e.txt t/a/x.txt t/run=1/a b.txt t/top.txt t/z/deep/er/f "
after=$(log_count 'r["method"]=="GET" and "list-type=2" in r["query"] and "continuation-token" in r["query"]')
expect_eq list/paging-requests "$((after - before))" 2

section "$LINENO"
# ---------------------------------------------------------------- multipart
head -c 9000000 /dev/urandom >"$T/big"
faults '{"faults": [{"name": "reset", "kind": "reset", "method": "PUT", "path": "^/lake/big/x.bin$", "query": "partNumber=2"},
  {"name": "trunc", "kind": "truncate", "method": "GET", "path": "^/lake/big/x.bin$"}]}'
awsx s3 cp "$T/big" s3://lake/big/x.bin --only-show-errors
expect_eq multipart/put "$?" 0
expect_eq multipart/parts "$(log_count 'r["method"]=="PUT" and r["path"]=="/lake/big/x.bin" and "partNumber=2" in r["query"] and r["status"]==200')" 1
expect_eq multipart/reset-fired "$(fired reset)" 1
expect_eq multipart/reset-logged "$(log_count 'r["path"]=="/lake/big/x.bin" and r["status"]=="reset" and 0 < r["bytes_in"] < 9000000')" 1
awsx s3 cp s3://lake/big/x.bin "$T/big.back" --only-show-errors
expect_eq multipart/truncate-fired "$(fired trunc)" 1
check multipart/content cmp -s "$T/big" "$T/big.back"
check multipart/stored cmp -s "$T/big" "$(s3_object big/x.bin)"
faults '{"faults": []}'
awsx s3api create-multipart-upload --bucket lake --key mp/one --output text --query UploadId
up=$(cat "$T/aws.out")
awsx s3api list-multipart-uploads --bucket lake --output text --query 'Uploads[].[Key,UploadId]'
expect_eq multipart/listed "$(tr -s '\t' ' ' <"$T/aws.out")" "mp/one $up"
awsx s3api abort-multipart-upload --bucket lake --key mp/one --upload-id "$up"
expect_eq multipart/abort "$?/$(log_count 'r["method"]=="DELETE" and r["status"]==204')" 0/1
expect_eq multipart/none-left "$(s3_uploads_left)" 0

section "$LINENO"
# ---------------------------------------------------------------- auth
AWS_SECRET_ACCESS_KEY=wrong-secret awsx s3api head-object --bucket lake --key t/top.txt
expect_grep auth/cli-wrong-secret "$T/aws.err" "403"
check auth/cli-wrong-secret-logged test "$(log_count 'r["status"]==403 and r["error"]=="SignatureDoesNotMatch"')" -ge 1

# Debian's curl 7.88 (--aws-sigv4, as libcurl's CURLOPT_AWS_SIGV4) falls into
# both traps of issue 11: no x-amz-content-sha256, and = signed raw.
curl_put() { # url [header] → HTTP status
    curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT --data-binary abc ${2:+-H "$2"} "$1"
}
sha="x-amz-content-sha256: $(printf abc | sha256sum | cut -d' ' -f1)"
expect_eq auth/curl-no-content-sha "$(curl_put "$S3TEST_ENDPOINT/lake/c/plain")" 400
expect_eq auth/curl-with-content-sha "$(curl_put "$S3TEST_ENDPOINT/lake/c/plain" "$sha")" 200
expect_eq auth/curl-equals-raw "$(curl_put "$S3TEST_ENDPOINT/lake/c/run=1" "$sha")" 403
expect_eq auth/curl-equals-encoded "$(curl_put "$S3TEST_ENDPOINT/lake/c/run%3D1" "$sha")" 200

section "$LINENO"
# ---------------------------------------------------------------- edge
"$PY" "$TOOLS/s3_edge.py" "$SUITE" "$S3DIR" 2>"$T/edge.err" || fail edge "$(tail -c 600 "$T/edge.err" | tr '\n' '|')"

section "$LINENO"
# ---------------------------------------------------------------- stop
pids="$(cat "$S3DIR/proxy.pid" "$S3DIR/s3rver.pid")"
_s3_cleanup
check stop test ! -e "$T/s3/proxy.pid"
for p in $pids; do
    case "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" in
    "" | Z) ;;
    *) fail stop-processes "process $p still runs" ;;
    esac
done
exit 0
