#!/usr/bin/env bash
# deps.sh — models that read models of their own stage run after them
# (flow/deps.c): with jobs: 4 the dependants see their prerequisites'
# results; a cycle is refused before the export, naming it; a failed
# prerequisite leaves its dependants `skipped` in the status.  Then the
# retry policy of snaplake.yml (run.retry) decides how often a chunk is tried.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
"$SNAPLAKE" demo --dir d --rows 300 >/dev/null 2>&1
check "demo database made" test -f d/shop.db
mkdir -p p/models/stage2
cp d/shop.db p/
write_cfg p/snaplake.yml "source: sqlite://shop.db" "lake: ./lake" "jobs: 4" \
    "models: ./models" "run: { keep_runs: 5 }"
M=p/models/stage2
printf 'SELECT user_id, count(*) AS n FROM raw.receipts GROUP BY user_id\n' >$M/a.sql
printf -- '-- after stage2.a; not stage1.a\nSELECT CAST(sum(n) AS BIGINT) AS total FROM stage2.a\n' >$M/b.sql
printf 'SELECT count(*) AS users FROM raw.users\n' >$M/c.sql
printf 'SELECT total * 2 AS twice, '"'"'stage2.c'"'"' AS note FROM "STAGE2"."b" /* stage2.c */\n' >$M/d.sql

sl run -q -c p/snaplake.yml
expect_rc "b reads stage2.a, d reads \"STAGE2\".\"b\", jobs 4 → published" 0
receipts=$(sqlite3 p/shop.db "SELECT count(*) FROM receipts")
total=$("$SNAPLAKE" query -c p/snaplake.yml --format csv "SELECT total FROM stage2.b" | tail -1)
check "stage2.b sums stage2.a: $total = $receipts receipts" test "$total" = "$receipts"
twice=$("$SNAPLAKE" query -c p/snaplake.yml --format csv "SELECT twice FROM stage2.d" | tail -1)
check "stage2.d reads stage2.b: $twice" test "$twice" = "$((2 * receipts))"
"$SNAPLAKE" status -c p/snaplake.yml >status.txt
check "every stage2 model done" test "$(grep -cE '^stage2 +[abcd] +done' status.txt)" = 4
published=$(cat p/lake/_snaplake/current)

# A cycle: a → d → b → a.  Refused before the run starts: exit 2, no new run.
printf 'SELECT * FROM stage2.d\n' >$M/a.sql
sl run -q -c p/snaplake.yml
expect_rc "a cycle → exit 2" 2
expect_grep "the error names the cycle" "$T/err" "stage2 models form a cycle: a → d → b → a"
expect_grep "the error names the stage folder" "$T/err" "/p/models/stage2"
"$SNAPLAKE" status -c p/snaplake.yml --list >runs.txt
check "no run was started (no export)" test "$(grep -c '^20' runs.txt)" = 1
check "the published run stays" test "$(cat p/lake/_snaplake/current)" = "$published"

# A failing prerequisite: its dependants are skipped, not run, and say so.
printf 'SELECT user_id, count(*) AS n FROM raw.no_such_table GROUP BY user_id\n' >$M/a.sql
sl run -q -c p/snaplake.yml
expect_rc "a failing prerequisite → exit 1" 1
expect_grep "the error is a's" "$T/err" "a.sql"
"$SNAPLAKE" status -c p/snaplake.yml >status.txt
check "a failed" grep -Eq '^stage2 +a +failed' status.txt
check "b (reads a) skipped" grep -Eq '^stage2 +b +skipped' status.txt
check "d (reads b) skipped" grep -Eq '^stage2 +d +skipped' status.txt
expect_grep "a skipped model says why" status.txt \
    "not run: it needs a model of its stage that failed ($T/p/models/stage2/a.sql:1:36)"
check "nothing published" test "$(cat p/lake/_snaplake/current)" = "$published"

# A stage-2 name that is no model: the engine's error, with a hint.
printf 'SELECT * FROM stage2.missing\n' >$M/a.sql
sl run -q -c p/snaplake.yml
expect_rc "stage2.missing → exit 1" 1
expect_grep "the hint says no such model" "$T/err" \
    "No stage-2 model is named missing (models/stage2/missing.sql)."

# run.retry: two attempts in all, a tiny interval.
printf 'SELECT user_id, count(*) AS n FROM raw.receipts GROUP BY user_id\n' >$M/a.sql
write_cfg p/snaplake.yml "source: sqlite://shop.db" "lake: ./lake" "jobs: 2" \
    "models: ./models" "run:" "  keep_runs: 5" \
    "  retry: { max_attempts: 2, interval: 0.01, backoff_rate: 1.5, max_delay: 0.05 }"
SNAPLAKE_FAULT=export:receipts:1 "$SNAPLAKE" run -q -c p/snaplake.yml 2>err.txt
check "one transient fault, max_attempts 2 → exit 0" test $? -eq 0
"$SNAPLAKE" status -c p/snaplake.yml >status.txt
check "the chunk took 2 attempts" grep -Eq "receipts part-0 +done +2 " status.txt
SNAPLAKE_FAULT=export:receipts:2 "$SNAPLAKE" run -q -c p/snaplake.yml 2>err.txt
check "two transient faults, max_attempts 2 → exit 1" test $? -eq 1
"$SNAPLAKE" status -c p/snaplake.yml >status.txt
check "the chunk failed after 2 attempts" grep -Eq "receipts part-0 +failed +2 " status.txt
write_cfg p/snaplake.yml "source: sqlite://shop.db" "lake: ./lake" \
    "run: { retries: 1, retry: { max_attempts: 3 } }"
sl run -q -c p/snaplake.yml
expect_rc "run.retries and run.retry.max_attempts both → exit 2" 2
expect_grep "the error names both" "$T/err" \
    "'run.retry.max_attempts' and 'run.retries' (line 3, column 17) both set"
exit $((NFAIL > 0))
