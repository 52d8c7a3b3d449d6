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
check "run id: a second run in the same second gets -2" test "${ids[1]}" = $ID0-2
check "run id: a third gets -3" test "${ids[2]}" = $ID0-3
check "run id: a clock set back keeps the newest run's second" test "${ids[3]}" = $ID0-4
check "run id: the next real run has the real time" test "${ids[4]}" \> $ID0-4 -a "${#ids[4]}" = 16
check "run id: status --list shows them newest first" \
    test "$("$SNAPLAKE" status -c ids/snaplake.yml --list | awk 'NR > 1 { printf "%s ", $1 }')" = \
    "${ids[4]} ${ids[3]} ${ids[2]} ${ids[1]} ${ids[0]} "
check "run id: the folder is run=<ID>" test -f "ids/lake/raw/t/run=${ids[3]}/part-0.parquet"
check "run id: retention keeps the newest 3 (…-3, …-4, now)" \
    test "$(ls ids/lake/raw/t | tr '\n' ' ')" = "run=${ids[2]} run=${ids[3]} run=${ids[4]} "
check "run id: … and their manifests" \
    test "$(ls ids/lake/_snaplake/runs | tr '\n' ' ')" = "${ids[2]}.json ${ids[3]}.json ${ids[4]}.json "
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
# A large file to copy slowly (SNAPLAKE_FAULT=snapshot:slow: 64 KiB every 2 ms)
# gives the time to look at the run while it goes and to kill it.
sqlite3 st/db.sqlite "CREATE TABLE pad (b BLOB);
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
    INSERT INTO pad SELECT zeroblob(20000) FROM n;"
SNAPLAKE_FAULT=snapshot:slow "$SNAPLAKE" run -q -c st/snaplake.yml 2>/dev/null &
pid=$!
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
kill -9 $pid
wait $pid 2>/dev/null
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
