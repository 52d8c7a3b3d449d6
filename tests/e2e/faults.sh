#!/usr/bin/env bash
# faults.sh — the test switch SNAPLAKE_FAULT fails any task kind: the first
# n attempts of a snapshot, an export chunk, a model, publish or retention,
# transiently (retried where the kind retries) or, with :permanent, the n-th
# for good; several switches separated by ';' (src/flow/run_internal.h).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
st() { sqlite3 p/.snaplake/state.db "$1"; }
last() { st "SELECT max(run_id) FROM runs"; }
task() { st "SELECT state || ' ' || attempts FROM tasks WHERE run_id = '$(last)' AND task_id = '$1'"; }
csvq() { "$SNAPLAKE" query -c p/snaplake.yml --format csv "$1" 2>/dev/null | tail -n +2; }

mkdir -p p/models/stage1 p/models/stage2
sqlite3 p/db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');
    CREATE TABLE u (a TEXT); INSERT INTO u VALUES ('x');"
echo "SELECT count(*) AS n FROM raw.t" >p/models/stage1/cnt.sql
echo "SELECT n * 2 AS n2 FROM stage1.cnt" >p/models/stage2/dbl.sql
write_cfg p/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 1' \
    'run: { retry: { max_attempts: 4, interval: 0.01 } }'
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
good=$(cat p/lake/_snaplake/current)

# Export: transient faults are retried; :permanent ends the retries.
SNAPLAKE_FAULT=export:t:2 sl run -q -c p/snaplake.yml
expect_rc "export transient: retried, published" 0
check "export transient: the third attempt did it" test "$(task export/t/0)" = "done 3"
SNAPLAKE_FAULT=export:u/0:1 sl run -q -c p/snaplake.yml
expect_rc "export one chunk (u/0): retried, published" 0
check "export one chunk (u/0): u's chunk tried twice" test "$(task export/u/0)" = "done 2"
check "export one chunk (u/0): t's once" test "$(task export/t/0)" = "done 1"
SNAPLAKE_FAULT=export:t:2:permanent sl run -q -c p/snaplake.yml
expect_rc "export permanent: the run fails" 1
check "export permanent: no retry after the permanent failure" test "$(task export/t/0)" = "failed 2"
expect_grep "export permanent: the error says so" "$T/err" "t: injected fault (SNAPLAKE_FAULT), attempt 2, permanent"
good=$(cat p/lake/_snaplake/current)

# The snapshot retries too.
SNAPLAKE_FAULT=snapshot:2 sl run -q -c p/snaplake.yml
expect_rc "snapshot transient: retried, published" 0
check "snapshot transient: three attempts" test "$(task snapshot)" = "done 3"
SNAPLAKE_FAULT=snapshot:1:permanent sl run -q -c p/snaplake.yml
expect_rc "snapshot permanent: the run fails" 1
check "snapshot permanent: one attempt" test "$(task snapshot)" = "failed 1"
good=$(cat p/lake/_snaplake/current)

# Models of either stage, by name: a transient failure is retried under
# run.retry (a remote engine's lost worker, stage.c); a permanent one fails
# the run, the other models unaffected; --resume then finishes the run.
SNAPLAKE_FAULT=model:dbl:1 sl run -q -c p/snaplake.yml
expect_rc "model transient: retried, published" 0
check "model transient: two attempts" test "$(task stage2/dbl)" = "done 2"
good=$(cat p/lake/_snaplake/current)
SNAPLAKE_FAULT=model:dbl:1:permanent sl run -q -c p/snaplake.yml
expect_rc "model permanent: the run fails" 1
check "model permanent: stage2/dbl failed" test "$(task stage2/dbl)" = "failed 1"
check "model permanent: stage1/cnt done" test "$(task stage1/cnt)" = "done 1"
expect_grep "model permanent: the error names the stage and the model" "$T/err" \
    "stage2: $T/p/models/stage2/dbl.sql: injected fault (SNAPLAKE_FAULT), attempt 1, permanent"
check "model permanent: nothing published" test "$(cat p/lake/_snaplake/current)" = "$good"
sl run --resume -q -c p/snaplake.yml
expect_rc "model permanent: --resume publishes" 0
check "model permanent: the resumed run is published" test "$(cat p/lake/_snaplake/current)" = "$(last)"
check "model permanent: dbl's result" test "$(csvq 'SELECT n2 FROM stage2.dbl')" = 4
SNAPLAKE_FAULT='model:cnt:1:permanent' sl run -q -c p/snaplake.yml
expect_rc "model permanent: the run fails" 1
expect_grep "model permanent: the error says permanent" "$T/err" "cnt.sql: injected fault (SNAPLAKE_FAULT), attempt 1, permanent"
check "model permanent: stage2 does not start" test -z "$(task stage2/dbl)"
good=$(cat p/lake/_snaplake/current)

# Publish fails just before the catalog switch: no manifest stays, the
# previous run stays published.
SNAPLAKE_FAULT=publish:1 sl run -q -c p/snaplake.yml
expect_rc "publish: the run fails" 1
check "publish: the publish task failed" test "$(task publish)" = "failed 1"
check "publish: current unchanged" test "$(cat p/lake/_snaplake/current)" = "$good"
check "publish: no manifest of the run" test ! -e "p/lake/_snaplake/runs/$(last).json"
check "publish: the catalog still publishes the previous run" \
    test "$(csvq 'SELECT run_id FROM _snaplake.published')" = "$good"

# Retention fails after the commit point: a warning, the run is published.
SNAPLAKE_FAULT=retention:1 sl run -q -c p/snaplake.yml
expect_rc "retention: published all the same" 0
expect_grep "retention: a warning" "$T/err" "retention: injected fault (SNAPLAKE_FAULT), attempt 1, transient"
if grep -q "retention: retention" "$T/err"; then fail "retention: the step is named once" "$(cat "$T/err")"; else pass "retention: the step is named once"; fi
check "retention: its task failed" test "$(task retention)" = "failed 1"

# Several switches at once, separated by ';'.
SNAPLAKE_FAULT='snapshot:1;export:u:1;model:dbl:1:permanent' sl run -q -c p/snaplake.yml
expect_rc "several: the run fails (the model)" 1
check "several: the snapshot retried once" test "$(task snapshot)" = "done 2"
check "several: u's chunk retried once" test "$(task export/u/0)" = "done 2"
check "several: t's chunk untouched" test "$(task export/t/0)" = "done 1"
check "several: the model failed" test "$(task stage2/dbl)" = "failed 1"
SNAPLAKE_FAULT='export:*:1;pause:nowhere' sl run -q -c p/snaplake.yml
expect_rc "several: '*' and a pause elsewhere" 0
check "several: every chunk retried once" \
    test "$(st "SELECT group_concat(attempts) FROM tasks WHERE run_id = '$(last)' AND kind = 'export'")" = 2,2

# A switch it does not understand is said, not silently ignored.
SNAPLAKE_FAULT='model:dbl:1:forever' sl run -q -c p/snaplake.yml
expect_rc "unknown mode: the run goes on" 0
expect_grep "unknown mode: a warning" "$T/err" "SNAPLAKE_FAULT: 'model:dbl:1:forever' ignored"
exit $((NFAIL > 0))
