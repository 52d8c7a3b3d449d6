#!/usr/bin/env bash
# interrupt.sh — SIGTERM and SIGINT stop a run within seconds: exit 143/130,
# one line saying nothing was published, the run and its unfinished tasks
# recorded interrupted, on_failure run with SNAPLAKE_STATUS=interrupted, the
# previous run still published.  A second SIGINT ends the process at once.
# And no run, however it ends, leaves a task running, retrying or pending.
# SNAPLAKE_FAULT=pause:<point> holds the run at a point until a signal.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

mkdir p && cd p
sqlite3 db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO t SELECT i, 'row ' || i FROM n;
    CREATE TABLE u (a TEXT); INSERT INTO u VALUES ('x');"
mkdir -p models/stage1
echo "SELECT count(*) AS n FROM raw.t" >models/stage1/cnt.sql
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'run:' '  retries: 0' \
    "  on_failure: 'env | grep ^SNAPLAKE_ | sort > hook.env'"
cd "$T"
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
good=$(cat p/lake/_snaplake/current)

# start_paused POINT — a run in the background, held at POINT; sets $pid.
# The run says "paused at stage1" for the point "models".  $T/err is emptied
# first: the child truncates it only once it runs, and until then the grep
# would read the previous run's lines.
start_paused() {
    local at=${1%%,*}
    [ "$at" = models ] && at=stage1
    rm -f p/hook.env
    : >"$T/err"
    SNAPLAKE_FAULT=pause:$1 "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
    pid=$!
    for _ in $(seq 1200); do
        grep -q "paused at $at" "$T/err" && return 0
        sleep 0.05
    done
    return 1
}

# stopped NAME SIGNAL CODE — after the run ended: exit code, line, state, hook.
stopped() {
    local n=$1 sig=$2 code=$3
    check "$n: exit $code" test "$RC" = "$code"
    expect_grep "$n: says so" "$T/err" "interrupted by $sig; nothing was published"
    local id
    id=$(sqlite3 p/.snaplake/state.db "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1")
    check "$n: the run is recorded interrupted" \
        test "$(sqlite3 p/.snaplake/state.db "SELECT state || ' ' || error FROM runs WHERE run_id = '$id'")" = \
        "interrupted run: $id: interrupted by $sig"
    check "$n: no task left running, retrying or pending" \
        test "$(sqlite3 p/.snaplake/state.db "SELECT count(*) FROM tasks WHERE run_id = '$id' AND state IN ('running', 'retrying', 'pending')")" = 0
    expect_grep "$n: on_failure ran with SNAPLAKE_STATUS=interrupted" p/hook.env "SNAPLAKE_STATUS=interrupted"
    expect_grep "$n: … and the run id" p/hook.env "SNAPLAKE_RUN_ID=$id"
    check "$n: the previous run is still published" test "$(cat p/lake/_snaplake/current)" = "$good"
    check "$n: … and queryable" \
        test "$("$SNAPLAKE" query -c p/snaplake.yml --format csv 'SELECT n FROM stage1.cnt' 2>/dev/null | tail -1)" = 20000
    "$SNAPLAKE" status -c p/snaplake.yml "$id" >"$T/st" 2>&1
    expect_grep "$n: status shows it interrupted" "$T/st" "run $id: interrupted"
}

# SIGTERM while chunks are being read: workers stop at the next batch.
start_paused batch
check "sigterm: the run was held in an export chunk" test $? = 0
t0=$(date +%s)
kill -TERM $pid
wait $pid
RC=$?
# 20 s: far below the pause's 60 s, above a slow exit under ASan on a busy machine.
check "sigterm: stops within seconds" test $(($(date +%s) - t0)) -le 20
stopped sigterm SIGTERM 143
check "sigterm: the chunks not done are interrupted" \
    test "$(sqlite3 p/.snaplake/state.db "SELECT count(*) FROM tasks WHERE run_id = (SELECT max(run_id) FROM runs) AND kind = 'export' AND state = 'interrupted'")" = 2
check "sigterm: the chunk being read is interrupted" \
    test "$(sqlite3 p/.snaplake/state.db "SELECT state FROM tasks WHERE task_id = 'export/t/0' ORDER BY run_id DESC LIMIT 1")" = interrupted

# SIGINT before the models; and before publish.
start_paused models
check "sigint-models: the run was held before the models" test $? = 0
kill -INT $pid
wait $pid
RC=$?
stopped "sigint-models" SIGINT 130
start_paused publish
kill -INT $pid
wait $pid
RC=$?
stopped "sigint-publish" SIGINT 130
check "sigint-publish: no manifest of it in the lake" \
    test "$(ls p/lake/_snaplake/runs | grep -c "\.json$")" = "$(sqlite3 p/.snaplake/state.db "SELECT count(*) FROM runs WHERE state = 'done'")"

# A second SIGINT ends the process at once (the default action): the run is
# held where it ends interrupted, before it records so.
start_paused batch,ending
kill -INT $pid
for _ in $(seq 1200); do grep -q "paused at ending" "$T/err" && break; sleep 0.05; done
kill -INT $pid
wait $pid
RC=$?
check "second sigint: killed by the signal (130)" test "$RC" = 130
check "second sigint: … without the graceful end" \
    sh -c "! grep -q 'nothing was published' '$T/err'"
sl status -c p/snaplake.yml
expect_grep "second sigint: status shows the run interrupted" "$T/out" ": interrupted"
sl run -q -c p/snaplake.yml
expect_rc "after the interrupts: the next run publishes" 0

# However a run ends, none of its tasks stays running or retrying: here a
# chunk is waiting for its retry when another one fails for good.
write_cfg p/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 2' 'run: { retries: 3 }'
SNAPLAKE_FAULT=export:*:9 "$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
check "failed run: exit 1" test $? = 1
check "failed run: no task left running, retrying or pending" \
    test "$(sqlite3 p/.snaplake/state.db "SELECT count(*) FROM tasks WHERE state IN ('running', 'retrying', 'pending')")" = 0

# A run killed at once (kill -9, a second signal) leaves tasks that never
# started as pending: the next run records them skipped, not pending for ever.
sqlite3 p/.snaplake/state.db "INSERT INTO runs (run_id, state, started_at) VALUES ('20000101T000000Z', 'running', 946684800);
    INSERT INTO tasks (run_id, task_id, kind, name, state, seq) VALUES
      ('20000101T000000Z', 'export/t/0', 'export', 't', 'running', 1),
      ('20000101T000000Z', 'stage1/m', 'stage1', 'm', 'pending', 2);"
"$SNAPLAKE" run -q -c p/snaplake.yml >/dev/null 2>&1
check "killed run: its pending task is recorded skipped, its running one interrupted" \
    test "$(sqlite3 p/.snaplake/state.db "SELECT group_concat(state, ' ') FROM (SELECT state FROM tasks WHERE run_id = '20000101T000000Z' ORDER BY seq)")" = "interrupted skipped"
exit $((NFAIL > 0))
