#!/usr/bin/env bash
# s3.sh — the S3 store (src/store/s3.c) end to end against s3rver behind the
# verifying proxy (scripts/s3_test_server.sh, tests/tools/s3_proxy.py), every
# object read back by an independent client (Debian's aws CLI):
#
#   export       `snaplake export` of the demo database plus a 12 MiB table of
#                random bytes to `lake: s3://lake/prefix` (catalog: none, parts
#                of 5 MiB): the downloaded run compared value by value with the
#                source (compare.mjs: schema, rows, sizes, CRC-32s, values); the
#                big file went up as a multipart upload of 3 parts, each with
#                Content-MD5; no incomplete upload left
#   faults       503 SlowDown on parts and on a PutObject, a reset in the middle
#                of a part's body, a truncated answer to a part and to a
#                GetObject (the 404 of a manifest not yet written): retried,
#                content exact, nothing incomplete left
#   fail-all     every request failing once the export has started: exit 1,
#                `_snaplake/current` unchanged, the previous run intact
#   interrupt    SIGINT while a part upload is stalled: exit 130 at once,
#                nothing published
#   contract     tests/unit/test_s3.c's store contract on the server (not
#                found, listing with a delimiter, multipart read back, local
#                copies, abort, sweep, remove_prefix)
#   sweep        an incomplete upload made with the aws CLI (and those the
#                failed and the interrupted runs left) are gone after the next run
#   retention    keep_runs: 1 removes older runs through DeleteObjects
#   gc           `snaplake gc` sweeps incomplete uploads too
#   bucket       a missing bucket: a clear error naming bucket and endpoint
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/s3.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

: "${S3SRV:=$SNAPLAKE_TOP/scripts/s3_test_server.sh}"
S3D=$T/s3
trap '"$S3SRV" stop "$S3D" >/dev/null 2>&1; rm -rf "$T"' EXIT
mkdir -p "$S3D"
if ! "$S3SRV" start "$S3D" >"$T/s3env" 2>"$T/s3err"; then
    fail server "scripts/s3_test_server.sh start failed: $(tail -c 600 "$T/s3err" | tr '\n' '|')"
    exit 1
fi
# shellcheck disable=SC1090
source "$T/s3env"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
awscli() { "$S3SRV" aws "$S3D" "$@"; }
faults() { printf '%s\n' "$1" >"$S3D/faults.json"; }
fired() { # fault name [file] → times it fired
    node -e 'const f=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(f[process.argv[2]]||0)' \
        "${2:-$S3D/faults.fired.json}" "$1" 2>/dev/null || echo 0
}
uploads_left() { # incomplete multipart uploads under the lake, one key a line
    awscli s3api list-multipart-uploads --bucket lake --prefix prefix/ --output json 2>"$T/awserr" |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=s.trim()?JSON.parse(s):{};for(const u of j.Uploads||[])console.log(u.Key)})'
}
current() { awscli s3 cp s3://lake/prefix/_snaplake/current - 2>/dev/null | tr -d '\n'; }
download() { # dir — the whole lake prefix
    rm -rf "$1"
    awscli s3 cp --recursive --only-show-errors s3://lake/prefix "$1" >"$T/dl.err" 2>&1
}

# ---- the project: the demo database and one table bigger than three parts ----
sl demo --dir "$T/demo" --rows 3000
expect_rc demo-database 0
P=$T/p
mkdir -p "$P"
cp "$T/demo/shop.db" "$P/shop.db"
sqlite3 "$P/shop.db" "CREATE TABLE big(id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
INSERT INTO big SELECT i, randomblob(1024) FROM n;"
CFG=$P/snaplake.yml
write_cfg "$CFG" "source: sqlite://shop.db" "lake: s3://lake/prefix" "catalog: none" "jobs: 3" \
    "s3: { part_size_mb: 5 }"

# ---- export ------------------------------------------------------------------
: >"$S3D/requests.log"
sl export -c "$CFG"
expect_rc export-exit 0
RUN1=$(current)
if [[ "$RUN1" =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then pass export-current; else
    fail export-current "_snaplake/current holds '$RUN1'" "stderr: $(tail -c 600 "$T/err" | tr '\n' '|')"
fi
download "$T/dl1"
[ -s "$T/dl1/_snaplake/runs/$RUN1.json" ] && pass export-manifest || fail export-manifest "$(cat "$T/dl.err")"
compare export --db "$P/shop.db" --lake "$T/dl1" --run "$RUN1" --readers pqread
cp "$S3D/requests.log" "$T/requests1.log"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
const parts = lines.filter(r => r.method === "PUT" && /\/raw\/big\//.test(r.path) && /partNumber=/.test(r.query) && r.status === 200)
const nums = new Set(parts.map(r => /partNumber=(\d+)/.exec(r.query)[1]))
const done = lines.filter(r => r.method === "POST" && /\/raw\/big\//.test(r.path) && /uploadId=/.test(r.query) && r.status === 200)
if (nums.size === 3 && done.length === 1) console.log(`PASS ${process.argv[2]}/export-multipart`)
else console.log(`FAIL ${process.argv[2]}/export-multipart\n    parts ${[...nums]} completes ${done.length}`)
' "$T/requests1.log" "$SUITE"
left=$(uploads_left)
[ -z "$left" ] && pass export-no-incomplete || fail export-no-incomplete "left: $left"

# ---- faults: retried, exact, nothing left ------------------------------------
faults '{"faults": [
 {"name": "slow", "kind": "slowdown", "method": "PUT", "query": "partNumber=2", "nth": 1, "times": 2},
 {"name": "reset", "kind": "reset", "method": "PUT", "query": "partNumber=1", "nth": 1},
 {"name": "trunc_part", "kind": "truncate", "method": "PUT", "query": "partNumber=3", "nth": 1},
 {"name": "trunc_get", "kind": "truncate", "method": "GET", "path": "_snaplake/runs/.*json", "nth": 1},
 {"name": "slow_put", "kind": "slowdown", "method": "PUT", "path": "/raw/stores/", "nth": 1}
]}'
sl export -c "$CFG"
expect_rc faults-exit 0
cp "$S3D/faults.fired.json" "$T/fired.json" 2>/dev/null
faults '{"faults": []}' # before the aws CLI reads anything
RUN2=$(current)
[ -n "$RUN2" ] && [ "$RUN2" != "$RUN1" ] && pass faults-published || fail faults-published "current '$RUN2' (run 1 '$RUN1')"
missed=""
for f in slow reset trunc_part trunc_get slow_put; do
    [ "$(fired "$f" "$T/fired.json")" -ge 1 ] || missed="$missed $f"
done
[ -z "$missed" ] && pass faults-fired || fail faults-fired "did not fire:$missed" "$(cat "$T/fired.json" 2>/dev/null)"
download "$T/dl2"
# Values of the small tables; the big one's file by its size and CRC-32
# against the manifest (its values were compared after the first export).
SMALL=products,receipt_items,receipts,stores,users
compare faults --db "$P/shop.db" --lake "$T/dl2" --run "$RUN2" --readers pqread --tables "$SMALL"
compare faults --db "$P/shop.db" --lake "$T/dl2" --run "$RUN2" --readers "" --tables big
left=$(uploads_left)
[ -z "$left" ] && pass faults-no-incomplete || fail faults-no-incomplete "left: $left"

# ---- all requests failing once the export has started ------------------------
# The requests before the first raw/ upload of run 1 (open, recovery, sweep)
# go through; from the second raw/ request on, everything fails.
n=$(node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
console.log(lines.findIndex(r => /\/raw\//.test(r.path)) + 2)' "$T/requests1.log")
faults "{\"faults\": [{\"name\": \"down\", \"kind\": \"fail_all_after\", \"nth\": $n, \"status\": 503, \"code\": \"ServiceUnavailable\"}]}"
# One try per task (each request is still tried 5 times): the run fails sooner.
write_cfg "$P/down.yml" "source: sqlite://shop.db" "lake: s3://lake/prefix" "catalog: none" "jobs: 3" \
    "s3: { part_size_mb: 5 }" \
    "run: { retries: 0 }"
sl export -c "$P/down.yml"
expect_rc fail-all-exit 1
faults '{"faults": []}'
[ "$(fired down)" -ge 1 ] && pass fail-all-fired || fail fail-all-fired "the fault never fired (nth $n)"
got=$(current)
[ "$got" = "$RUN2" ] && pass fail-all-current-unchanged || fail fail-all-current-unchanged "current '$got', want '$RUN2'"
download "$T/dl3"
compare fail-all-previous-intact --db "$P/shop.db" --lake "$T/dl3" --run "$RUN2" --readers pqread --tables "$SMALL"
compare fail-all-previous-intact --db "$P/shop.db" --lake "$T/dl3" --run "$RUN2" --readers "" --tables big
expect_grep fail-all-message "$T/err" "503"

# ---- interrupt: a stalled part upload stops at once ---------------------------
faults '{"faults": [{"name": "stall", "kind": "delay", "method": "PUT", "query": "partNumber=2", "seconds": 30, "times": 0}]}'
"$SNAPLAKE" export -c "$CFG" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 300); do
    [ "$(fired stall)" -ge 1 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
t0=$(date +%s%N)
kill -INT "$pid" 2>/dev/null
wait "$pid"
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
faults '{"faults": []}'
expect_rc interrupt-exit 130
# 15 s: half the stall's 30 s, above a slow exit under ASan on a busy machine.
[ "$ms" -lt 15000 ] && pass interrupt-prompt || fail interrupt-prompt "exit took $ms ms after SIGINT"
got=$(current)
[ "$got" = "$RUN2" ] && pass interrupt-current-unchanged || fail interrupt-current-unchanged "current '$got', want '$RUN2'"

# ---- the store's contract on S3 (tests/unit/test_s3.c with S3_TEST_LAKE) ------
UNIT=$(dirname "$SNAPLAKE")/tests/test_s3
if [ -x "$UNIT" ]; then
    # The 11 MiB object's first GetObject (to memory) and its second (streamed
    # to a file) come back truncated: both retried, the file started afresh.
    # (A request counts only for the faults up to the first that fires.)
    faults '{"faults": [
     {"name": "trunc_mem", "kind": "truncate", "method": "GET", "path": "/unit/c/big\\.bin$", "nth": 1},
     {"name": "trunc_file", "kind": "truncate", "method": "GET", "path": "/unit/c/big\\.bin$", "nth": 2}]}'
    S3_TEST_LAKE=s3://lake/unit "$UNIT" 2>"$T/unit.err" | sed -E "s#^(PASS|FAIL) #\1 $SUITE/contract:#"
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail contract "test_s3 failed: $(head -c 800 "$T/unit.err" | tr '\n' '|')"
    [ "$(fired trunc_mem)" -ge 1 ] && [ "$(fired trunc_file)" -ge 1 ] && pass contract-truncated-gets ||
        fail contract-truncated-gets "fired: $(cat "$S3D/faults.fired.json")"
    faults '{"faults": []}'
else
    fail contract "$UNIT is not built (make unit)"
fi

# ---- sweep of incomplete uploads at run start --------------------------------
awscli s3api create-multipart-upload --bucket lake --key prefix/raw/orphan/part-0.parquet >/dev/null 2>"$T/awserr"
left=$(uploads_left)
if echo "$left" | grep -q orphan; then pass sweep-setup; else fail sweep-setup "no incomplete upload made: $(cat "$T/awserr")"; fi
sl export -c "$CFG"
expect_rc sweep-exit 0
left=$(uploads_left)
[ -z "$left" ] && pass sweep-gone || fail sweep-gone "left: $left"
expect_grep sweep-reported "$T/err" "unfinished upload"
RUN3=$(current)

# ---- retention through DeleteObjects -----------------------------------------
write_cfg "$CFG" "source: sqlite://shop.db" "lake: s3://lake/prefix" "catalog: none" "jobs: 3" \
    "s3: { part_size_mb: 5 }" \
    "run: { keep_runs: 1 }"
sl export -c "$CFG"
expect_rc retention-exit 0
RUN4=$(current)
awscli s3 ls --recursive s3://lake/prefix/raw/ >"$T/ls" 2>&1
old=$(grep -cE "run=($RUN1|$RUN2|$RUN3)/" "$T/ls")
new=$(grep -c "run=$RUN4/" "$T/ls")
[ "$old" -eq 0 ] && [ "$new" -ge 6 ] && pass retention-deleted ||
    fail retention-deleted "old runs' objects left: $old, run $RUN4's: $new" "$(head -c 600 "$T/ls" | tr '\n' '|')"

# ---- snaplake gc sweeps too ----------------------------------------------------
awscli s3api create-multipart-upload --bucket lake --key prefix/raw/orphan/part-1.parquet >/dev/null 2>"$T/awserr"
sl gc -c "$CFG"
expect_rc gc-exit 0
left=$(uploads_left)
[ -z "$left" ] && pass gc-swept || fail gc-swept "left: $left" "$(tail -c 400 "$T/err")"

# ---- a missing bucket --------------------------------------------------------
write_cfg "$P/nobucket.yml" "source: sqlite://shop.db" "lake: s3://no-such-bucket/x" "catalog: none"
sl export -c "$P/nobucket.yml"
expect_rc bucket-exit 1
expect_grep bucket-message "$T/err" "bucket 'no-such-bucket' does not exist at $S3TEST_ENDPOINT"

exit $((NFAIL > 0))
