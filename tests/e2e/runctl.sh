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
