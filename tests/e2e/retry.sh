#!/usr/bin/env bash
# retry.sh — a chunk that fails with a transient error is retried in the same
# snapshot and the run still publishes exact data; retries used up fail the
# run and publish nothing.  Faults come from the SNAPLAKE_FAULT test switch.
source "$(dirname "$0")/../tools/e2e-lib.sh"
work=$T
cd "$work"
"$SNAPLAKE" demo --dir d --rows 3000 >/dev/null 2>&1
check "demo publishes" test -f d/lake/_snaplake/current
first=$(cat d/lake/_snaplake/current)

SNAPLAKE_FAULT=export:receipts:2 "$SNAPLAKE" run -q -c d/snaplake.yml 2>err.txt
check "two transient faults then success → exit 0" test $? -eq 0
check "warnings name the retried chunk" grep -q "receipts part-0 failed (attempt 2), retrying" err.txt
second=$(cat d/lake/_snaplake/current)
check "a new run is published" test "$first" != "$second"
"$SNAPLAKE" status -c d/snaplake.yml "$second" >status.txt
check "status shows 3 attempts for the chunk" grep -Eq "receipts part-0 +done +3 " status.txt
rows=$("$SNAPLAKE" query -c d/snaplake.yml --format csv "SELECT count(*) AS n FROM raw.receipts" | tail -1)
src=$(sqlite3 d/shop.db "SELECT count(*) FROM receipts")
check "row count exact after retries ($rows)" test "$rows" = "$src"
same=$("$SNAPLAKE" query -c d/snaplake.yml --format csv \
    "SELECT count(*) FROM (SELECT * FROM read_parquet('$work/d/lake/raw/receipts/run=$first/*.parquet', hive_partitioning = false) EXCEPT ALL SELECT * FROM raw.receipts)" | tail -1)
check "data identical to the run without faults" test "$same" = "0"

SNAPLAKE_FAULT=export:receipts:9 "$SNAPLAKE" run -q -c d/snaplake.yml 2>err2.txt
check "retries used up → exit 1" test $? -eq 1
check "the error names the chunk" grep -q "receipts: injected fault" err2.txt
check "nothing published" test "$(cat d/lake/_snaplake/current)" = "$second"
"$SNAPLAKE" query -c d/snaplake.yml "SELECT count(*) FROM stage2.monthly_active_users" >q.txt
check "previous run still queryable" test $? -eq 0
