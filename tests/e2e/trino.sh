#!/usr/bin/env bash
# trino.sh — `engine: trino` against tests/tools/trino_endpoint.py, a local
# coordinator that follows Trino's client protocol and checks it (nextUri
# order, headers, known schemas and tables) but runs no SQL: a CTAS copies a
# prepared Parquet file into its external_location.  A real Trino was not
# reached.  The lake is a local folder (file:// locations).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

# A prepared result: a model's file as the DuckDB engine writes it (3 rows).
mkdir -p prep/models/stage1
sqlite3 prep/app.db "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');"
write_cfg prep/snaplake.yml "source: sqlite://app.db" "lake: ./lake"
echo "SELECT id, upper(name) AS name FROM raw.users" >prep/models/stage1/names.sql
sl run -q -c prep/snaplake.yml
expect_rc "prepared file made with the DuckDB engine" 0
PREP=$(ls prep/lake/stage1/names/run=*/*.parquet | head -1)

# start_fake NAME ARGS... — a fake on a free port; PORT and LOG set.
FAKES=()
start_fake() {
    local n=$1
    shift
    LOG=$T/$n.log
    rm -f "$T/$n.port"
    python3 "$TOOLS/trino_endpoint.py" --port-file "$T/$n.port" --log "$LOG" \
        --parquet "$PREP" --rows 3 "$@" &
    FAKES+=($!)
    for _ in $(seq 600); do [ -s "$T/$n.port" ] && break; sleep 0.1; done # python starts slowly on a busy machine
    PORT=$(cat "$T/$n.port")
}
trap 'for p in "${FAKES[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# project DIR PORT — the source, a lake, two models (stage1 reads raw, stage2 reads stage1).
project() {
    mkdir -p "$1/models/stage1" "$1/models/stage2"
    cp prep/app.db "$1/"
    write_cfg "$1/snaplake.yml" "source: sqlite://app.db" "lake: ./lake" "engine: trino" \
        "trino:" "  url: http://127.0.0.1:$2/" "  schema_prefix: nightly" "run:" \
        "  retry: { max_attempts: 2, interval: 0.1 }"
    printf -- '-- names\nSELECT u.id, upper(u.name) AS name -- upper case\nFROM raw.users AS u\n' \
        >"$1/models/stage1/names.sql"
    echo 'SELECT * FROM "stage1".names' >"$1/models/stage2/top.sql"
}

# --- config errors
mkdir cfg && cp prep/app.db cfg/
write_cfg cfg/a.yml "source: sqlite://app.db" "lake: ./lake" "engine: trino"
sl run -c cfg/a.yml
expect_rc "engine trino without trino.url: config error" 2
expect_grep "the error names file:line:col and trino.url" "$T/err" \
    "a.yml:3:9: 'engine: trino' needs 'trino.url'"
write_cfg cfg/b.yml "source: sqlite://app.db" "lake: ./lake" "engine: trino" "trino:" \
    "  url: http://127.0.0.1:1" "  colour: blue"
sl run -c cfg/b.yml
expect_rc "unknown trino option: config error" 2
expect_grep "unknown trino option named at its place" "$T/err" "b.yml:6:3"
write_cfg cfg/c.yml "source: sqlite://app.db" "lake: ./lake" "engine: trino" "trino:" \
    "  url: ftp://x"
sl run -c cfg/c.yml
expect_rc "trino.url not http(s): error" 1
expect_grep "trino.url not http(s): named at its place" "$T/err" "c.yml:5:8"

# --- a run through the engine
start_fake ok
project ok "$PORT"
sqlite3 ok/app.db "CREATE TABLE audit (id INTEGER PRIMARY KEY); INSERT INTO audit VALUES (1);"
sl run -c ok/snaplake.yml
expect_rc "run with engine trino" 0
py() { python3 - "$LOG" "$@"; }
check "every request followed the protocol (no violation)" \
    py <<'PY'
import json, sys
bad = [e for e in map(json.loads, open(sys.argv[1])) if e.get("violation")]
sys.exit(1 if bad else 0)
PY
check "headers: X-Trino-User snaplake, catalog hive, source, ZSTD session" py <<'PY'
import json, sys
posts = [e for e in map(json.loads, open(sys.argv[1])) if e["method"] == "POST"]
ok = posts and all(e["user"] == "snaplake" and e["catalog"] == "hive" and e["source"] == "snaplake"
                   and e["session"] == "hive.compression_codec=ZSTD" for e in posts)
sys.exit(0 if ok else 1)
PY
check "schemas, the raw table a model reads (not raw.audit), CTAS x2, drops at the end" py <<'PY'
import json, re, sys
sqls = [e["sql"] for e in map(json.loads, open(sys.argv[1])) if e["method"] == "POST"]
assert any(s == 'CREATE SCHEMA IF NOT EXISTS "hive"."nightly_raw"' for s in sqls), sqls
raw = [s for s in sqls if s.startswith('CREATE TABLE IF NOT EXISTS "hive"."nightly_raw"."users_')]
assert raw and '("id" bigint, "name" varchar)' in raw[0] and "external_location = 'file://" in raw[0], raw
ctas = [s for s in sqls if re.match(r'CREATE TABLE "hive"."nightly_stage\d"', s)]
assert len(ctas) == 2, ctas
assert re.search(r"external_location = 'file:///.*/lake/stage1/names/run=\d{8}T\d{6}Z/'\) AS\n", ctas[0]), ctas[0]
# raw.users became the run's table; the comment and the line breaks kept
assert re.search(r'upper case\nFROM "hive"."nightly_raw"."users_\d{8}t\d{6}z" AS u', ctas[0]), ctas[0]
assert re.search(r'SELECT \* FROM "hive"."nightly_stage1"."names_\d{8}t\d{6}z"', ctas[1]), ctas[1]
drops = [s for s in sqls if s.startswith("DROP TABLE IF EXISTS")]
assert len(drops) >= 3, drops
# raw.audit, read by no model, got no table
assert not [s for s in sqls if "audit" in s], [s for s in sqls if "audit" in s]
PY
m=$(ls ok/lake/_snaplake/runs/*.json | head -1)
check "manifest: the files Trino wrote, bytes/CRC/rows read back, columns from the footer" \
    python3 - "$m" <<'PY'
import json, os, sys, zlib
m = json.load(open(sys.argv[1]))
lake = os.path.dirname(os.path.dirname(os.path.dirname(sys.argv[1])))
for name in ("names", "top"):
    d = [d for d in m["datasets"] if d["name"] == name][0]
    assert d["rows"] == 3 and len(d["files"]) == 1, d
    f = d["files"][0]
    data = open(os.path.join(lake, f["path"]), "rb").read()
    assert zlib.crc32(data) == int(f["crc32"], 16) and len(data) == f["bytes"], f
    assert [c["name"] for c in d["columns"]] == ["id", "name"], d["columns"]
PY
q ok/snaplake.yml "SELECT count(*) AS n FROM stage2.top" >"$T/q.json"
expect_grep "the published stage2 dataset answers queries" "$T/q.json" '"n":3'

# --- a failing model: Trino's message, the model file and its line
start_fake fail
project fail "$PORT"
printf 'SELECT id,\n       nosuchcolumn\nFROM raw.users\n' >fail/models/stage1/names.sql
sl run -c fail/snaplake.yml
expect_rc "a model Trino rejects: the run fails" 1
expect_grep "the error names the model file and line 2" "$T/err" "models/stage1/names.sql:2"
expect_grep "Trino's error name and message are shown" "$T/err" \
    "Trino COLUMN_NOT_FOUND (USER_ERROR): line 3:8: Column 'nosuchcolumn' cannot be resolved"
check "USER_ERROR is permanent: the CTAS was sent once" \
    test "$(grep -c '"sql": "CREATE TABLE \\"hive\\".\\"nightly_stage1' "$LOG")" = 1

# --- 503 from the coordinator: retried
start_fake busy --fail503 3
project busy "$PORT"
sl run -c busy/snaplake.yml
expect_rc "three 503 answers: retried, the run succeeds" 0
check "the fake answered 503 three times" test "$(grep -c '"fault": "503"' "$LOG")" = 3

# --- INTERNAL_ERROR: transient, the model is run again
start_fake internal
project internal "$PORT"
printf 'SELECT id, name /* internal_once */ FROM raw.users\n' >internal/models/stage1/names.sql
sl run -c internal/snaplake.yml
expect_rc "an INTERNAL_ERROR once: the model is retried and the run succeeds" 0
check "the CTAS was sent twice (failed INTERNAL_ERROR, then done)" \
    test "$(grep -c '"sql": "CREATE TABLE \\"hive\\".\\"nightly_stage1' "$LOG")" = 2

# --- SIGTERM while a query runs: the query is cancelled (DELETE nextUri)
start_fake cancel
project cancel "$PORT"
printf 'SELECT id, name /* slow_forever */ FROM raw.users\n' >cancel/models/stage1/names.sql
"$SNAPLAKE" run -c cancel/snaplake.yml >"$T/out" 2>"$T/err" &
pid=$!
# Signalled once the client polls the slow query (it holds the nextUri to
# cancel), not a fixed 0.5 s after the POST was seen.
for _ in $(seq 600); do
    qid=$(grep slow_forever "$LOG" 2>/dev/null | grep -o '"query": "[^"]*"' | head -1 | cut -d'"' -f4)
    [ -n "$qid" ] && [ "$(grep -c "\"GET\".*$qid" "$LOG")" -ge 1 ] && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
RC=$?
expect_rc "SIGTERM during a Trino query: exit 143" 143
check "the query was cancelled with DELETE on its nextUri" grep -q '"kind": "cancel"' "$LOG"
if grep -q violation "$LOG"; then
    fail "no violation in the cancel sequence" "$(grep violation "$LOG" | head -3)"
else
    pass "no violation in the cancel sequence"
fi

# --- run.timeouts.model: the model's cancel token fires, the query is cancelled
start_fake timeout
project timeout "$PORT"
printf 'SELECT id, name /* slow_forever */ FROM raw.users\n' >timeout/models/stage1/names.sql
echo "  timeouts: { model: 1s }" >>timeout/snaplake.yml
sl run -c timeout/snaplake.yml
expect_rc "a model past run.timeouts.model: the run fails" 1
expect_grep "the error names the time limit" "$T/err" "run.timeouts.model"
check "the timed-out query was cancelled with DELETE" grep -q '"kind": "cancel"' "$LOG"

# --- a page that cannot be read (403 from a proxy): the query is cancelled,
# not left running on the cluster
start_fake refused
project refused "$PORT"
printf 'SELECT id, name /* poll_refused */ FROM raw.users\n' >refused/models/stage1/names.sql
sl run -c refused/snaplake.yml
expect_rc "a refused page: the run fails" 1
check "the query it could not follow was cancelled with DELETE" grep -q '"kind": "cancel"' "$LOG"

exit $((NFAIL > 0))
