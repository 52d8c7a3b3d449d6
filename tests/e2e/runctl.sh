#!/usr/bin/env bash
# runctl.sh — run control: run ids, `snaplake status` exit codes and crashed
# runs, a damaged run history, and the log (--log-json, -q, -v, ordering).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
csvq() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$T/qerr" | tail -n +2; }

# ---- run ids: unique within one second, and still sorted by time -------------------
mkdir ids && sqlite3 ids/db.sqlite "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { keep_runs: 3 }\n' >ids/snaplake.yml
T0=1795000000
ID0=$(date -u -d @$T0 +%Y%m%dT%H%M%SZ)
ids=()
for clock in $T0 $T0 $T0 $((T0 - 5)); do
    SNAPLAKE_FAULT=clock:$clock "$SNAPLAKE" export -q -c ids/snaplake.yml 2>>ids.err
    ids+=("$(cat ids/lake/_snaplake/current)")
done
"$SNAPLAKE" export -q -c ids/snaplake.yml 2>>ids.err
ids+=("$(cat ids/lake/_snaplake/current)")
check "run id: the start time in UTC" test "${ids[0]}" = $ID0
check "run id: a second run in the same second gets _2" test "${ids[1]}" = ${ID0}_2
check "run id: a third gets _3" test "${ids[2]}" = ${ID0}_3
check "run id: a clock set back keeps the newest run's second" test "${ids[3]}" = ${ID0}_4
check "run id: the next real run has the real time" test "${ids[4]}" \> ${ID0}_4 -a "${#ids[4]}" = 16
check "run id: status --list shows them newest first" \
    test "$("$SNAPLAKE" status -c ids/snaplake.yml --list | awk 'NR > 1 { printf "%s ", $1 }')" = \
    "${ids[4]} ${ids[3]} ${ids[2]} ${ids[1]} ${ids[0]} "
check "run id: the folder is run=<ID>" test -f "ids/lake/raw/t/run=${ids[3]}/part-0.parquet"
check "run id: retention keeps the newest 3 (…_3, …_4, now)" \
    test "$(LC_ALL=C ls ids/lake/raw/t | tr '\n' ' ')" = "run=${ids[2]} run=${ids[3]} run=${ids[4]} "
check "run id: … and their manifests" \
    test "$(LC_ALL=C ls ids/lake/_snaplake/runs | grep "\.json$" | tr '\n' ' ')" = "${ids[2]}.json ${ids[3]}.json ${ids[4]}.json "
check "run id: the catalog names the newest" test "$(csvq ids/snaplake.yml 'SELECT run_id FROM _snaplake.published')" = "${ids[4]}"

# ---- status: exit codes ------------------------------------------------------
mkdir st && sqlite3 st/db.sqlite "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { retries: 0 }\n' >st/snaplake.yml
"$SNAPLAKE" run -q -c st/snaplake.yml 2>/dev/null
good=$(cat st/lake/_snaplake/current)
sl status -c st/snaplake.yml
expect_rc "status: a published run exits 0" 0
sqlite3 st/db.sqlite "INSERT INTO t VALUES ('x');"
"$SNAPLAKE" run -q -c st/snaplake.yml 2>/dev/null
sl status -c st/snaplake.yml
expect_rc "status: a failed run exits 1" 1
expect_grep "status: … and is shown" "$T/out" ": failed"
sl status -c st/snaplake.yml "$good"
expect_rc "status: an older published run exits 0" 0
sl status -c st/snaplake.yml --list
expect_rc "status --list: exits 0 with a failed run in it" 0
sl status -c st/snaplake.yml --list "$good"
expect_rc "status --list RUN_ID: usage error" 2
expect_grep "status --list RUN_ID: says why" "$T/err" "--list shows the newest runs and takes no RUN_ID"
sqlite3 st/db.sqlite "DELETE FROM t WHERE typeof(i) = 'text';"

# ---- status: a run killed mid-run is interrupted, not running forever ------------
# The run held in an export chunk (SNAPLAKE_FAULT=pause:batch, at most 60 s)
# while we look at it and kill it: a slow snapshot copy instead could end
# before a slow `status` (ASan, a busy machine) saw the run.
SNAPLAKE_FAULT=pause:batch "$SNAPLAKE" run -q -c st/snaplake.yml 2>"$T/held" &
pid=$!
for _ in $(seq 1200); do grep -q "paused at batch" "$T/held" && break; sleep 0.05; done
seen=0
for _ in $(seq 100); do
    if "$SNAPLAKE" status -c st/snaplake.yml >"$T/live" 2>/dev/null && grep -q ": running" "$T/live"; then
        seen=1
        break
    fi
    sleep 0.1
done
check "crash: while it goes, status shows the run as running (exit 0)" test $seen = 1
killed=$(head -1 "$T/live" | sed 's/^run \([^:]*\):.*/\1/')
{ kill -9 $pid && wait $pid; } 2>/dev/null
sl status -c st/snaplake.yml
expect_rc "crash: status of the killed run exits 1" 1
expect_grep "crash: … and shows it interrupted" "$T/out" "run $killed: interrupted"
expect_grep "crash: … saying why" "$T/out" "ended without finishing"
sl status -c st/snaplake.yml --list
check "crash: --list shows it interrupted" grep -qE "^$killed +interrupted" "$T/out"
sl run -q -c st/snaplake.yml
expect_rc "crash: the next run succeeds" 0
expect_grep "crash: … and says the killed run was interrupted" "$T/err" "run $killed ended without finishing"
check "crash: … and records it so" \
    test "$(sqlite3 st/.snaplake/state.db "SELECT state FROM runs WHERE run_id = '$killed'")" = interrupted
check "crash: … with its running tasks" \
    test "$(sqlite3 st/.snaplake/state.db "SELECT count(*) FROM tasks WHERE run_id = '$killed' AND state = 'running'")" = 0

# ---- a damaged run history ---------------------------------------------------
mkdir dmg && sqlite3 dmg/db.sqlite "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\n' >dmg/snaplake.yml
"$SNAPLAKE" run -q -c dmg/snaplake.yml 2>/dev/null
"$SNAPLAKE" run -q -c dmg/snaplake.yml 2>/dev/null
published=$(cat dmg/lake/_snaplake/current)
cp dmg/.snaplake/state.db good-state.db
dd if=/dev/urandom of=dmg/.snaplake/state.db bs=4096 seek=1 count=1 conv=notrunc status=none
sl run -q -c dmg/snaplake.yml
expect_rc "damaged history (page 2): the run refuses, exit 1" 1
expect_grep "damaged history: names the file" "$T/err" "$T/dmg/.snaplake/state.db"
expect_grep "damaged history: says it is damaged" "$T/err" "the run history is damaged"
expect_grep "damaged history: the lake is not affected" "$T/err" "The lake is not affected"
expect_grep "damaged history: gives the exact command" "$T/err" "\`snaplake run -c dmg/snaplake.yml --new-history\`"
check "damaged history: nothing new published" test "$(cat dmg/lake/_snaplake/current)" = "$published"
sl status -c dmg/snaplake.yml
expect_rc "damaged history: status exits 1" 1
expect_grep "damaged history: status gives the command too" "$T/err" "--new-history"
sl run -q -c dmg/snaplake.yml --new-history
expect_rc "damaged history: --new-history runs" 0
expect_grep "damaged history: … saying where the old file went" "$T/err" "state.db.corrupt-"
check "damaged history: the damaged file is kept aside" test -f dmg/.snaplake/state.db.corrupt-*
check "damaged history: the new history has this run" \
    test "$("$SNAPLAKE" status -c dmg/snaplake.yml --list | tail -n +2 | wc -l)" = 1
check "damaged history: a new run is published" test "$(cat dmg/lake/_snaplake/current)" != "$published"
sl run -q -c dmg/snaplake.yml --new-history
expect_rc "healthy history: --new-history keeps it" 0
check "healthy history: … two runs in it" \
    test "$("$SNAPLAKE" status -c dmg/snaplake.yml --list | tail -n +2 | wc -l)" = 2
check "healthy history: … and no second file aside" test "$(ls dmg/.snaplake | grep -c corrupt)" = 1
cp good-state.db dmg/.snaplake/state.db
rm -f dmg/.snaplake/state.db-wal dmg/.snaplake/state.db-shm
printf 'this is not the header of an SQLite database, it is garbage' |
    dd of=dmg/.snaplake/state.db conv=notrunc status=none
sl run -q -c dmg/snaplake.yml
expect_rc "damaged history (header): the run refuses, exit 1" 1
expect_grep "damaged history (header): says it is damaged" "$T/err" "the run history is damaged"

# ---- the log: one stream, one prefix, JSON for every line, -q, -v ---------------
mkdir lg && sqlite3 lg/db.sqlite "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1), (2);"
mkdir -p lg/models/stage1 && echo "SELECT count(*) AS n FROM raw.t" >lg/models/stage1/m.sql
printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { retries: 1, on_success: "echo hook says hi; echo to stderr >&2", on_failure: "echo hook says bad" }\n' \
    >lg/snaplake.yml
alljson() { # file: every line is a JSON object with level and msg
    python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and "level" in o and "msg" in o, line
    n += 1
assert n > 0
' "$1" 2>"$T/json.err"
}
SNAPLAKE_FAULT=export:t:1 "$SNAPLAKE" --log-json run -c lg/snaplake.yml >log1 2>&1
check "log-json: a run with a retry and a hook: every line is JSON" alljson log1
check "log-json: … the retry warning among them" grep -q '"level":"warning".*retrying' log1
check "log-json: … the result line marked" grep -q '"event":"result","msg":"published run' log1
check "log-json: … the hook's output as lines of its own" grep -q '"event":"hook","msg":"hook on_success: to stderr"' log1
sqlite3 lg/db.sqlite "INSERT INTO t VALUES ('x');"
"$SNAPLAKE" --log-json run -c lg/snaplake.yml >log2 2>&1
check "log-json: a failed run: every line is JSON" alljson log2
check "log-json: … the error" grep -q '"level":"error","msg":"export: table t, column i, rowid 3' log2
check "log-json: … and the failed result line" grep -q '"level":"error","event":"result","msg":"run .* failed' log2
"$SNAPLAKE" --log-json run -c lg/snaplake.yml --bogus >log3 2>&1
check "log-json: a usage error is JSON too (no usage text)" alljson log3
"$SNAPLAKE" --log-json run -c lg/nowhere.yml >log4 2>&1
check "log-json: a config error is JSON too" alljson log4
"$SNAPLAKE" --log-json status -c lg/snaplake.yml --list 1 >/dev/null 2>log5
check "log-json: a status usage error is JSON too" alljson log5

"$SNAPLAKE" run -q -c lg/snaplake.yml >q1 2>&1
check "-q: a failed run prints its error and its result, nothing else" \
    test "$(grep -v '^hook says' q1 | wc -l)" = 2 -a \
    "$(grep -c '^snaplake: error: export: table t, column i, rowid 3\|^snaplake: error: run .* failed; nothing was published' q1)" = 2
sqlite3 lg/db.sqlite "DELETE FROM t WHERE typeof(i) = 'text';"
"$SNAPLAKE" run -q -c lg/snaplake.yml >q2 2>&1
check "-q: a published run prints one line (and its hook's)" \
    test "$(grep -v '^hook says\|^to stderr' q2 | wc -l)" = 1 -a "$(grep -c '^snaplake: published run' q2)" = 1

SNAPLAKE_FAULT=export:t:1 "$SNAPLAKE" run -c lg/snaplake.yml >log6 2>&1
check "prefix: every line of snaplake's starts with snaplake:" \
    test "$(grep -v '^hook says\|^to stderr' log6 | grep -vc '^snaplake: ')" = 0
first=$(grep -n '^snaplake: run ' log6 | head -1 | cut -d: -f1)
retry=$(grep -n 'retrying' log6 | head -1 | cut -d: -f1)
table=$(grep -n '^snaplake:   raw ' log6 | head -1 | cut -d: -f1)
result=$(grep -n '^snaplake: published run' log6 | cut -d: -f1)
hook=$(grep -n '^hook says hi' log6 | cut -d: -f1)
check "order: in a redirected log, the run line, the retry, the table, the result, the hook" \
    test "${first:-0}" -lt "${retry:-0}" -a "${retry:-0}" -lt "${table:-0}" -a "${table:-0}" -lt "${result:-0}" -a "${result:-0}" -lt "${hook:-0}"

"$SNAPLAKE" -v run -c lg/snaplake.yml >log7 2>&1
expect_grep "-v: the chunk plan" log7 "snaplake: debug: plan: table t (dataset t): 1 chunk, about 2 rows"
expect_grep "-v: the model file" log7 "snaplake: debug: stage1 model m: $T/lg/models/stage1/m.sql"
expect_grep "-v: the hook" log7 "snaplake: debug: hook on_success: sh -c"
SNAPLAKE_FAULT=export:t:1 "$SNAPLAKE" -v run -c lg/snaplake.yml >log8 2>&1
expect_grep "-v: the retry's backoff" log8 "attempt 2 in"
"$SNAPLAKE" run -c lg/snaplake.yml >log9 2>&1
if grep -q "debug" log9; then fail "no -v: no debug lines" "$(cat log9)"; else pass "no -v: no debug lines"; fi
