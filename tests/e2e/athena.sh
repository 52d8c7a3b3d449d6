#!/usr/bin/env bash
# athena.sh — `engine: athena` against tests/tools/athena_endpoint.py, a local
# Athena endpoint that checks every request with botocore (SigV4 for service
# athena; the body against athena's service-2.json) and replays Athena's
# documented answers (QUEUED → RUNNING → SUCCEEDED/FAILED, idempotent
# ClientRequestToken, StopQueryExecution).  No SQL is executed: a CTAS
# copies a prepared Parquet file into its external_location.  The real
# Athena was not reached.
#
# `snaplake run` with engine athena needs an S3 lake and the Glue catalog;
# the run-level checks here are the config errors.  The engine itself is
# driven through engine.h by build/tests/tools/athena_driver on a local lake
# (file:// locations the fake accepts), as a run's stage would.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
DRIVER=${ATHENA_DRIVER:-$SNAPLAKE_TOP/${BUILD:-build}/tests/tools/athena_driver}
PY=/usr/bin/python3
if ! $PY -c 'import botocore' 2>/dev/null; then
    apt-get install -y python3-botocore >/dev/null 2>&1 || true
fi

# --- config errors (the config core's `requires` and required options)
mkdir cfg
sqlite3 cfg/app.db "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');"
write_cfg cfg/a.yml "source: sqlite://app.db" "lake: ./lake" "engine: athena" "athena:" \
    "  output: s3://results/athena/"
sl run -c cfg/a.yml
expect_rc "athena with a local lake: config error" 2
expect_grep "athena needs an S3 lake, said at file:line:col" "$T/err" \
    "a.yml:3:9: 'engine: athena' needs lake: s3://… (this file has lake: "
write_cfg cfg/b.yml "source: sqlite://app.db" "lake: ./lake" "engine: athena"
sl run -c cfg/b.yml
expect_rc "athena without athena.output: config error" 2
expect_grep "athena.output is required, said at file:line:col" "$T/err" \
    "b.yml:3:9: 'engine: athena' needs 'athena.output'"
write_cfg cfg/c.yml "source: sqlite://app.db" "lake: s3://bucket/lake" "catalog: duckdb" \
    "engine: athena" "athena:" "  output: s3://results/athena/"
sl run -c cfg/c.yml
expect_rc "athena with the DuckDB catalog: config error" 2
if grep -q "s3://" "$T/err" && grep -q "not built" "$T/err"; then
    # Until the S3 store is in this build, lake: s3:// itself is refused first.
    expect_grep "athena without glue: refused (S3 lakes not built here)" "$T/err" "c.yml:2:7"
else
    expect_grep "athena needs catalog glue, said at file:line:col" "$T/err" \
        "c.yml:4:9: 'engine: athena' needs catalog: glue (this file has catalog: duckdb)"
fi

# --- a prepared result: a file as the DuckDB engine writes it (3 rows)
mkdir -p prep/models/stage1
cp cfg/app.db prep/
write_cfg prep/snaplake.yml "source: sqlite://app.db" "lake: ./lake"
echo "SELECT id, upper(name) AS name FROM raw.users" >prep/models/stage1/names.sql
sl run -q -c prep/snaplake.yml
expect_rc "prepared file made with the DuckDB engine" 0
PREP=$(ls prep/lake/stage1/names/run=*/*.parquet | head -1)
RAWP=$(ls prep/lake/raw/users/run=*/*.parquet | head -1)

FAKES=()
start_fake() {
    local n=$1
    shift
    LOG=$T/$n.log
    $PY "$TOOLS/athena_endpoint.py" --port-file "$T/$n.port" --log "$LOG" --parquet "$PREP" "$@" \
        2>"$T/$n.stderr" &
    FAKES+=($!)
    for _ in $(seq 600); do [ -s "$T/$n.port" ] && break; sleep 0.1; done # botocore loads slowly on a busy machine
    export AWS_ENDPOINT_URL_ATHENA=http://127.0.0.1:$(cat "$T/$n.port")
}
trap 'for p in "${FAKES[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
export AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=static-secret-do-not-print
export AWS_REGION=eu-west-1 AWS_EC2_METADATA_DISABLED=true ATHENA_OUTPUT=s3://results/athena/
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

# models DIR — stage1 reads raw, stage2 reads stage1
models() {
    mkdir -p "$1/stage1" "$1/stage2"
    printf -- '-- names\nSELECT u.id, upper(u.name) AS name -- upper case\nFROM raw.users AS u\n' \
        >"$1/stage1/names.sql"
    echo 'SELECT * FROM stage1.names;' >"$1/stage2/top.sql"
}
drive() { # LAKE MODEL... → $T/out, $T/err, $RC
    "$DRIVER" "$1" 20261130T010203Z "$RAWP" "${@:2}" >"$T/out" 2>"$T/err"
    RC=$?
}
no_violation() {
    if grep -q '"violation"\|"fake_bug"' "$LOG"; then
        fail "$1" "$(grep '"violation"\|"fake_bug"' "$LOG" | head -2 | cut -c1-400)"
    else
        pass "$1"
    fi
}

# --- a run of two models
start_fake ok
models m
drive "$T/lake" m/stage1/names.sql m/stage2/top.sql
expect_rc "two models through the Athena engine" 0
expect_grep "stage1 result: rows, files, columns from the footer" "$T/out" \
    "model names rows=3 files=1 cols=id:BIGINT,name:VARCHAR file=stage1/names/run=20261130T010203Z/"
expect_grep "stage2 result read back" "$T/out" "model top rows=3 files=1"
no_violation "every request signed (botocore SigV4) and valid for athena's service-2.json"
check "the sequence: databases, raw table, CTAS x2 (ZSTD, file location, names rewritten), drops" \
    $PY - "$LOG" <<'PY'
import json, re, sys
log = [json.loads(l) for l in open(sys.argv[1])]
starts = [e["params"] for e in log if e["op"] == "StartQueryExecution"]
sqls = [p["QueryString"] for p in starts]
assert all(p["WorkGroup"] == "primary" and p["ResultConfiguration"]["OutputLocation"] ==
           "s3://results/athena/" and re.fullmatch(r"[0-9a-f]{64}", p["ClientRequestToken"])
           for p in starts), starts[0]
assert sqls[:3] == ["CREATE DATABASE IF NOT EXISTS `shop_%s`" % l for l in ("raw", "stage1", "stage2")], sqls[:3]
assert re.fullmatch(r"CREATE EXTERNAL TABLE IF NOT EXISTS `shop_raw`.`users_20261130t010203z` "
                    r"\(`id` bigint, `name` string\) STORED AS PARQUET LOCATION "
                    r"'file:///.*/lake/raw/users/run=20261130T010203Z/'", sqls[3]), sqls[3]
ctas = [s for s in sqls if s.startswith("CREATE TABLE")]
assert len(ctas) == 2, ctas
assert ctas[0].startswith('CREATE TABLE "shop_stage1"."names_20261130t010203z" WITH (format = '
                          "'PARQUET', write_compression = 'ZSTD', external_location = 'file:///"), ctas[0]
assert 'upper case\nFROM "shop_raw"."users_20261130t010203z" AS u' in ctas[0], ctas[0]
assert 'SELECT * FROM "shop_stage1"."names_20261130t010203z"\n' in ctas[1], ctas[1]
drops = [s for s in sqls if s.startswith("DROP TABLE IF EXISTS")]
assert len(drops) == 3, drops
states = [e.get("state") for e in log if e["op"] == "GetQueryExecution"]
assert states[:3] == ["RUNNING", "SUCCEEDED", "RUNNING"] or "QUEUED" not in states, states
assert not [e for e in log if e["op"] == "StopQueryExecution"]
PY
crc=$($PY - "$T/lake" "$T/out" <<'PY'
import re, sys, zlib, os
ok = True
for path, size, crc in re.findall(r"file=(\S+):(\d+):([0-9a-f]{8})", open(sys.argv[2]).read()):
    data = open(os.path.join(sys.argv[1], path), "rb").read()
    ok &= len(data) == int(size) and zlib.crc32(data) == int(crc, 16)
print("ok" if ok else "bad")
PY
)
check "the files' bytes and CRC-32 as reported" test "$crc" = ok

# --- a model that reads no dataset: no raw table is defined
start_fake noread
mkdir -p n/stage1 && echo "SELECT 1 AS x" >n/stage1/one.sql
drive "$T/laken" n/stage1/one.sql
expect_rc "a model reading nothing" 0
check "raw.users, read by no model, got no table (nor a DROP)" \
    bash -c "! grep -q 'users_' '$LOG'"

# --- a model Athena rejects
start_fake fail
models f
printf 'SELECT id,\n       nosuchcolumn\nFROM raw.users\n' >f/stage1/names.sql
drive "$T/lakef" f/stage1/names.sql
expect_rc "a failing model: error" 1
expect_grep "the error names the model file and Athena's StateChangeReason" "$T/err" \
    "f/stage1/names.sql: Athena query"
expect_grep "Athena's reason is shown" "$T/err" \
    "failed: COLUMN_NOT_FOUND: line 3:8: Column 'nosuchcolumn' cannot be resolved"
expect_grep "a user error is permanent" "$T/err" "(transient=0)"

# --- GENERIC_INTERNAL_ERROR, Retryable: transient; the retry is a new execution
start_fake internal
models i
printf 'SELECT id, name /* internal_once */ FROM raw.users\n' >i/stage1/names.sql
drive "$T/lakei" i/stage1/names.sql
expect_rc "a retryable failure: retried, then done" 0
expect_grep "reported as transient" "$T/err" "retrying after transient error"
check "the retry has a new ClientRequestToken (a new execution, not the failed one)" \
    $PY - "$LOG" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
t = [e["params"]["ClientRequestToken"] for e in log
     if e["op"] == "StartQueryExecution" and "internal_once" in e["params"]["QueryString"]]
sys.exit(0 if len(t) == 2 and t[0] != t[1] else 1)
PY

# --- throttling and 503: the AWS layer retries
start_fake busy --fail503 1 --throttle 2
models b
drive "$T/lakeb" b/stage1/names.sql
expect_rc "503 and TooManyRequestsException: retried, done" 0
check "the fake answered 503 once and throttled twice" \
    test "$(grep -c '"fault": "503"' "$LOG") $(grep -c '"fault": "throttle"' "$LOG")" = "1 2"

# --- a lost StartQueryExecution answer: the retry's token returns the same execution
start_fake lost --lose-start 1
models l
drive "$T/lakel" l/stage1/names.sql
expect_rc "StartQueryExecution answer lost: retried, done" 0
check "the retry carried the same token and got the same execution (no second query)" \
    $PY - "$LOG" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1]) if '"StartQueryExecution"' in l]
first = log[0]
replay = [e for e in log if e.get("replay")]
ok = (first.get("fault") == "lost answer" and replay and replay[0]["replay"] == first["execution"]
      and replay[0]["params"]["ClientRequestToken"] == first["params"]["ClientRequestToken"])
sys.exit(0 if ok else 1)
PY

# --- SIGTERM while a query runs: StopQueryExecution
start_fake cancel
models c
printf 'SELECT id, name /* slow_forever */ FROM raw.users\n' >c/stage1/names.sql
"$DRIVER" "$T/lakec" 20261130T010203Z "$RAWP" c/stage1/names.sql >"$T/out" 2>"$T/err" &
pid=$!
# Signalled once the client polls the slow query (it knows the id to stop),
# not a fixed 0.5 s after the start was seen.
for _ in $(seq 600); do
    qid=$(grep slow_forever "$LOG" 2>/dev/null | grep -o '"execution": "[^"]*"' | head -1 | cut -d'"' -f4)
    [ -n "$qid" ] && [ "$(grep -c "GetQueryExecution.*$qid" "$LOG")" -ge 1 ] && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
RC=$?
expect_rc "SIGTERM during an Athena query: the model fails" 1
expect_grep "the error says interrupted" "$T/err" "interrupted (Athena query"
check "StopQueryExecution was sent for the running query" \
    $PY - "$LOG" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
slow = [e["execution"] for e in log if e["op"] == "StartQueryExecution" and "slow_forever" in e["params"]["QueryString"]]
stops = [e["params"]["QueryExecutionId"] for e in log if e["op"] == "StopQueryExecution"]
sys.exit(0 if slow and stops == slow[:1] else 1)
PY
no_violation "the cancel sequence is valid for athena's service-2.json"

# --- the query's state cannot be read (GetQueryExecution refused): it is
# stopped rather than left running (and billed) in Athena
start_fake denied
models d
printf 'SELECT id, name /* poll_denied */ FROM raw.users\n' >d/stage1/names.sql
"$DRIVER" "$T/laked" 20261130T010203Z "$RAWP" d/stage1/names.sql >"$T/out" 2>"$T/err"
RC=$?
expect_rc "GetQueryExecution refused: the model fails" 1
expect_grep "the refusal is reported" "$T/err" "athena:GetQueryExecution"
check "StopQueryExecution was sent for the query it could not follow" \
    $PY - "$LOG" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
q = [e["execution"] for e in log if e["op"] == "StartQueryExecution" and "poll_denied" in e["params"]["QueryString"]]
stops = [e["params"]["QueryExecutionId"] for e in log if e["op"] == "StopQueryExecution"]
sys.exit(0 if q and stops == q[:1] else 1)
PY
no_violation "the stop after a refused poll is valid for athena's service-2.json"

exit $((NFAIL > 0))
