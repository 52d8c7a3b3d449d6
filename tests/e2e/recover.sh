#!/usr/bin/env bash
# recover.sh — a run killed (kill -9) after its catalog switch but before
# _snaplake/current is published all the same: the catalog is the truth.
# `snaplake status` shows it published (read-only); the next run repairs
# `current` and the state under its lock before anything else.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
st() { sqlite3 p/.snaplake/state.db "$1"; }
cat_id() { q p/snaplake.yml "SELECT run_id FROM _snaplake.published" | sed -n 's/.*"run_id": *"\([^"]*\)".*/\1/p'; }

# start_paused POINT — a run in the background, held at POINT; sets $pid.
start_paused() {
    : >"$T/err" # not a previous run's "paused at" while the child starts
    SNAPLAKE_FAULT=pause:$1 "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
    pid=$!
    for _ in $(seq 1200); do
        grep -q "paused at $1" "$T/err" && return 0
        sleep 0.05
    done
    return 1
}

mkdir p && cd p
sqlite3 db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');"
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake'
cd "$T"
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
run1=$(cat p/lake/_snaplake/current)

# Run 2, killed between the catalog switch and `current`.
check "switched: the run pauses after the catalog switch" start_paused switched
kill -9 $pid
wait $pid 2>/dev/null
run2=$(st "SELECT max(run_id) FROM runs")
check "killed: a second run was recorded" test "$run2" != "$run1"
check "killed: the catalog publishes run 2" test "$(cat_id)" = "$run2"
check "killed: current still says run 1" test "$(cat p/lake/_snaplake/current)" = "$run1"

# status tells the truth without writing anything.
sl status -c p/snaplake.yml
expect_rc "status: exits 0 (run 2 is published)" 0
expect_grep "status: says run 2 is published" "$T/out" "run $run2 is published (done)"
check "status: writes nothing (current unchanged)" test "$(cat p/lake/_snaplake/current)" = "$run1"
check "status: writes nothing (state unchanged)" test "$(st "SELECT state FROM runs WHERE run_id = '$run2'")" != done

# Run 3 repairs first thing, under its lock: held at its first step, it has
# already set `current` and the state to the catalog's run.
check "run 3: pauses at its first step" start_paused snapshot
check "run 3: current = the catalog's run before it publishes" test "$(cat p/lake/_snaplake/current)" = "$run2"
check "run 3: run 2 recorded done" test "$(st "SELECT state FROM runs WHERE run_id = '$run2'")" = done
check "run 3: run 2's publish task done" \
    test "$(st "SELECT state FROM tasks WHERE run_id = '$run2' AND task_id = 'publish'")" = done
expect_grep "run 3: warns, naming both ids" "$T/err" "_snaplake/current says run $run1 but the catalog publishes run $run2"
kill -9 $pid
wait $pid 2>/dev/null

# Run 4 ends normally: catalog, current and state agree; run 2's files stay.
sl run -q -c p/snaplake.yml
expect_rc "run 4: publishes" 0
run4=$(cat p/lake/_snaplake/current)
check "run 4: a new run is current" test "$run4" != "$run2"
check "run 4: the catalog agrees with current" test "$(cat_id)" = "$run4"
check "run 4: the state agrees (newest done run)" \
    test "$(st "SELECT max(run_id) FROM runs WHERE state = 'done'")" = "$run4"
check "run 4: run 2 is kept (a published run), its files stay" test -d "p/lake/raw/t/run=$run2"
sl status -c p/snaplake.yml "$run2"
expect_rc "status: run 2 done" 0

# A lake without a catalog (catalog: none): nothing to recover, runs go on.
mkdir n && cp p/db.sqlite n/
write_cfg n/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'catalog: none'
sl run -q -c n/snaplake.yml
expect_rc "catalog none: runs" 0
sl run -q -c n/snaplake.yml
expect_rc "catalog none: runs again" 0

exit $((NFAIL > 0))
