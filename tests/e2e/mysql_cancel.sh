#!/usr/bin/env bash
# mysql_cancel.sh — a MySQL chunk blocked in the server (here: waiting for a
# metadata lock that another session holds, as a migration would) is stopped
# there: past run.timeouts.export_chunk and on SIGTERM, snaplake sends KILL
# QUERY from a connection of its own, instead of waiting for the lock to go.
#
# The run reads `a` first (largest first, jobs 1), whose first attempt hangs
# after its first batch (SNAPLAKE_FAULT=slow:a:1): time for this script to
# take LOCK TABLES b WRITE after the snapshot, so that b's SELECT waits.
source "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/my-lib.sh"
top=$SNAPLAKE_TOP
# check NAME COMMAND… — e2e-lib.sh's, with the run's stderr under a FAIL.
check() {
    local n=$1
    shift
    if "$@"; then pass "$n"; else fail "$n" "failed: $*" "stderr: $(tail -c 800 "$T/err" | tr '\n' '|')"; fi
}
my_start || exit 1
M -e "CREATE DATABASE c" && M c -e "
  CREATE TABLE a (id int PRIMARY KEY, pad varchar(100));
  CREATE TABLE b (id int PRIMARY KEY, v int);
  SET SESSION max_recursive_iterations = 100000;
  INSERT INTO a WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 30000)
    SELECT n, REPEAT('x', 80) FROM s;
  INSERT INTO b VALUES (1, 10), (2, 20), (3, 30);" || fail "data loads"

P=$T/p
mkdir -p "$P"
cfg() { # run: mapping
    printf 'source: "mysql://root@127.0.0.1:%s/c"\nlake: ./lake\njobs: 1\nrun: %s\n' "$MYTEST_PORT" "$1" >"$P/snaplake.yml"
}
# start_blocked — a run in the background whose b chunk waits for the lock.
start_blocked() {
    : >"$T/err"
    SNAPLAKE_FAULT=slow:a:1 "$SNAPLAKE" -v run -c "$P/snaplake.yml" >"$T/out" 2>"$T/err" &
    RUN_PID=$!
    local i
    for i in $(seq 1200); do grep -q 'mysql snapshot' "$T/err" && break; sleep 0.05; done
    # Held for 60 s: a run that waits for it takes that long.
    M c -e "LOCK TABLES b WRITE; SELECT SLEEP(60);" >/dev/null 2>&1 &
    LOCK_PID=$!
    bg_pids+=("$LOCK_PID")
}
waiting_on_b() {
    [ "$(M -N -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT %FROM \`b\`%' AND STATE LIKE '%metadata lock%'")" != 0 ]
}
release_lock() {
    kill "$LOCK_PID" 2>/dev/null
    M -N -e "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(60)'" |
        while read -r id; do M -e "KILL $id"; done
    wait "$LOCK_PID" 2>/dev/null
}

# ---- past run.timeouts.export_chunk ------------------------------------------
cfg '{ retries: 1, retry: { interval: 0.1 }, timeouts: { export_chunk: 2 } }'
start=$SECONDS
start_blocked
wait "$RUN_PID"
RC=$?
took=$((SECONDS - start))
check "timeout: the run fails (exit 1, got $RC)" test "$RC" = 1
check "timeout: it did not wait for the lock (${took} s, the lock is held 60 s)" test "$took" -lt 40
check "timeout: the error names the limit" grep -q "table b, part 0: timed out after 2 s (run.timeouts.export_chunk)" "$T/err"
check "timeout: the statement was stopped in the server (KILL QUERY)" grep -q "KILL QUERY [0-9]*: the chunk's statement was stopped" "$T/err"
if waiting_on_b; then fail "timeout: no statement of the run is left waiting in the server"; else pass "timeout: no statement of the run is left waiting in the server"; fi
release_lock

# ---- SIGTERM while the chunk waits in the server -------------------------------
# a's hang ends at its 3 s limit (then b starts and waits); the signal comes
# as soon as b waits, long before b's own limit.
cfg '{ retries: 1, retry: { interval: 0.1 }, timeouts: { export_chunk: 3 } }'
start_blocked
for i in $(seq 1200); do waiting_on_b && break; sleep 0.05; done
check "sigterm: b's SELECT waits for the lock" waiting_on_b
start=$SECONDS
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RC=$?
took=$((SECONDS - start))
check "sigterm: exit 143 (got $RC)" test "$RC" = 143
check "sigterm: the statement was stopped in the server (KILL QUERY)" grep -q "KILL QUERY [0-9]*: the chunk's statement was stopped" "$T/err"
check "sigterm: stopped within seconds (${took} s, the lock is held 60 s)" test "$took" -lt 30
if waiting_on_b; then fail "sigterm: no statement of the run is left waiting in the server"; else pass "sigterm: no statement of the run is left waiting in the server"; fi
release_lock

# ---- and without the lock the same project runs, the data exact ------------------
cfg '{ retries: 1, timeouts: { export_chunk: 60 } }'
"$SNAPLAKE" run -q -c "$P/snaplake.yml" >"$T/out" 2>"$T/err"
check "free: the run succeeds" test $? = 0
got=$("$SNAPLAKE" query -c "$P/snaplake.yml" --format csv "SELECT (SELECT count(*) FROM raw.a) || '/' || (SELECT sum(v) FROM raw.b)" | tail -n 1)
check "free: the data is exact ($got)" test "$got" = "30000/60"
exit $((NFAIL > 0))
