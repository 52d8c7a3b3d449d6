#!/usr/bin/env bash
# timeouts.sh — run.timeouts {export_chunk, model, run}, Step Functions'
# TimeoutSeconds per task kind:
#   config        bad values and keys are errors at FILE:LINE:COLUMN; "1h30m" works
#   export_chunk  an attempt past the limit is stopped and retried (transient):
#                 a chunk held by the fault switch (SNAPLAKE_FAULT=slow) passes on
#                 its second attempt; one that always times out fails the run,
#                 its attempts recorded; a real SQLite read of a million rows is
#                 stopped by a limit it cannot meet
#   model         a model past the limit is interrupted in DuckDB and fails (not
#                 retried), naming models/stage1/<name>.sql and the limit
#   run           the whole run past the limit: exit 1, nothing published, the
#                 run recorded failed ("run timed out after …"), no task left
#                 running, on_failure run; SIGTERM stops a slow model too
#   postgres      a COPY blocked in the server (waiting for a lock) is cancelled
#                 (PQcancel) and retried; nothing of it keeps running
# Time bounds are generous (a busy machine is slow): they only tell "stopped by
# the limit" from "ran to its natural end" (which takes minutes or forever).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
# `timeout` around runs that would not end without the limit: a missing limit
# fails the test instead of hanging it.
LIMIT=120

mkdir -p p/models/stage1
sqlite3 p/db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO t SELECT i, 'row ' || i FROM n;
    CREATE TABLE u (a TEXT); INSERT INTO u VALUES ('x');"
echo "SELECT count(*) AS n FROM raw.t" >p/models/stage1/cnt.sql
cfg() { # run: lines…
    write_cfg p/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 2' 'run:' \
        "  on_failure: 'env | grep ^SNAPLAKE_ | sort > hook.env'" "$@"
}
st() { sqlite3 p/.snaplake/state.db "$1"; }
last() { st "SELECT max(run_id) FROM runs"; }
cnt() { "$SNAPLAKE" query -c p/snaplake.yml --format csv 'SELECT n FROM stage1.cnt' 2>/dev/null | tail -1; }

# ---- config ---------------------------------------------------------------------
bad() { # name, value line (under run: timeouts:), expected where, expected text
    write_cfg bad.yml 'source: sqlite://p/db.sqlite' 'lake: ./lake' 'run:' '  timeouts:' "$2"
    sl run -c bad.yml
    expect_rc "config $1: exit 2" 2
    expect_grep "config $1: at its place" "$T/err" "$3"
    expect_grep "config $1: says what is expected" "$T/err" "$4"
}
bad zero '    model: 0' "bad.yml:5:12" "'run.timeouts.model' must be a duration above 0"
bad unit '    export_chunk: 5x' "bad.yml:5:19" \
    "'run.timeouts.export_chunk' must be a duration above 0 and at most 604800 s: seconds (30, 0.5) or \"90s\", \"30m\", \"2h\", \"1h30m\", got '5x'"
bad negative '    run: -3' "bad.yml:5:10" "'run.timeouts.run' must be a duration"
bad order '    run: 30m1h' "bad.yml:5:10" "'run.timeouts.run' must be a duration"
bad key '    modle: 5' "bad.yml:5:5" "unknown key 'modle' in 'run.timeouts'"
write_cfg bad.yml 'source: sqlite://p/db.sqlite' 'lake: ./lake' 'run:' '  timeouts: 5'
sl run -c bad.yml
expect_rc "config not a mapping: exit 2" 2
expect_grep "config not a mapping: says so" "$T/err" "bad.yml:4:13"

# A good config with every form; the first published run, with no limit met.
cfg '  timeouts: {export_chunk: 1h30m, model: "90s", run: 2h}'
sl run -c p/snaplake.yml
expect_rc "durations 1h30m, \"90s\", 2h are accepted" 0
good=$(cat p/lake/_snaplake/current)

# ---- export_chunk: a chunk stuck once is retried ------------------------------------
# 3 s: the second attempt reads the 20000 rows for real, within the limit
# even under sanitizers on a loaded machine.
cfg '  retry: {max_attempts: 3, interval: 0.1}' '  timeouts: {export_chunk: 3}'
SNAPLAKE_FAULT=slow:t:1 timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "export_chunk retried: the run publishes" 0
expect_grep "export_chunk retried: a warning names the chunk and the limit" "$T/err" \
    "t part-0 failed (attempt 1), retrying: export: table t, part 0: timed out after 3 s (run.timeouts.export_chunk)"
id=$(last)
check "export_chunk retried: the task is done after 2 attempts" \
    test "$(st "SELECT state || ' ' || attempts FROM tasks WHERE run_id = '$id' AND task_id = 'export/t/0'")" = "done 2"
check "export_chunk retried: the data is exact" test "$(cnt)" = 20000
"$SNAPLAKE" status -c p/snaplake.yml "$id" >"$T/st" 2>&1
check "export_chunk retried: status shows 2 attempts" grep -Eq "t part-0 +done +2 " "$T/st"
good=$(cat p/lake/_snaplake/current)

# ---- export_chunk: every attempt times out -------------------------------------------
cfg '  retry: {max_attempts: 3, interval: 0.1}' '  timeouts: {export_chunk: 1}'
t0=$(date +%s)
SNAPLAKE_FAULT=slow:t:9 timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "export_chunk always: exit 1" 1
check "export_chunk always: stopped by the limit, not the fault's minute" test $(($(date +%s) - t0)) -le 40
expect_grep "export_chunk always: the error names the chunk and the limit" "$T/err" \
    "error: export: table t, part 0: timed out after 1 s (run.timeouts.export_chunk)"
id=$(last)
check "export_chunk always: the task failed after 3 attempts" \
    test "$(st "SELECT state || ' ' || attempts FROM tasks WHERE run_id = '$id' AND task_id = 'export/t/0'")" = "failed 3"
"$SNAPLAKE" status -c p/snaplake.yml "$id" >"$T/st" 2>&1
check "export_chunk always: status shows the failed chunk's 3 attempts" grep -Eq "t part-0 +failed +3 " "$T/st"
expect_grep "export_chunk always: … and its error" "$T/st" "timed out after 1 s (run.timeouts.export_chunk)"
check "export_chunk always: nothing published" test "$(cat p/lake/_snaplake/current)" = "$good"
check "export_chunk always: the previous run is queryable" test "$(cnt)" = 20000

# ---- export_chunk: a real read stopped (sqlite3_interrupt / the batch check) ----------
mkdir -p big
sqlite3 big/db.sqlite "CREATE TABLE big (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
    INSERT INTO big SELECT i, printf('%050d', i) FROM n;"
write_cfg big/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'run:' \
    '  retry: {max_attempts: 2, interval: 0.1}' '  timeouts: {export_chunk: 0.05}'
sl run -c big/snaplake.yml
expect_rc "export_chunk real read: a million rows in 0.05 s cannot be: exit 1" 1
expect_grep "export_chunk real read: timed out" "$T/err" \
    "error: export: table big, part 0: timed out after 0.05 s (run.timeouts.export_chunk)"
check "export_chunk real read: 2 attempts recorded" \
    test "$(sqlite3 big/.snaplake/state.db "SELECT state || ' ' || attempts FROM tasks WHERE task_id = 'export/big/0'")" = "failed 2"
check "export_chunk real read: no part file left" \
    test -z "$(find big/lake -name 'part-*' 2>/dev/null)"

# ---- model ------------------------------------------------------------------------------
# 10^12 rows of a cross join: hours in DuckDB, unless interrupted.
echo "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b" \
    >p/models/stage1/slow.sql
cfg '  timeouts: {model: 2}'
t0=$(date +%s)
timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "model: exit 1" 1
check "model: stopped by the limit" test $(($(date +%s) - t0)) -le 60
expect_grep "model: the error names the model file and the limit" "$T/err" \
    "error: stage1: $T/p/models/stage1/slow.sql: timed out after 2 s (run.timeouts.model); the model was stopped"
id=$(last)
check "model: the model failed after 1 attempt (a timeout of a model is not retried)" \
    test "$(st "SELECT state || ' ' || attempts FROM tasks WHERE run_id = '$id' AND task_id = 'stage1/slow'")" = "failed 1"
check "model: the run is recorded failed" test "$(st "SELECT state FROM runs WHERE run_id = '$id'")" = failed
expect_grep "model: on_failure names the task" p/hook.env "SNAPLAKE_FAILED_TASK=stage1/slow"
check "model: nothing published" test "$(cat p/lake/_snaplake/current)" = "$good"

# ---- run -----------------------------------------------------------------------------------
# 10 s: the run must reach the slow model before its limit (snapshot, export
# and DuckDB's start take seconds under sanitizers on a loaded machine; with
# 3 s the limit sometimes fired during the export and the model was skipped).
cfg '  timeouts: {run: 10s}'
rm -f p/hook.env
t0=$(date +%s)
timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "run: exit 1 (failed, not interrupted)" 1
check "run: stopped by the limit" test $(($(date +%s) - t0)) -le 60
id=$(last)
expect_grep "run: the error says so" "$T/err" "error: run: $id: run timed out after 10 s (run.timeouts.run)"
expect_grep "run: nothing was published" "$T/err" "run $id failed; nothing was published"
check "run: the run is recorded failed with the reason" \
    test "$(st "SELECT state || ' ' || error FROM runs WHERE run_id = '$id'")" = \
    "failed run: $id: run timed out after 10 s (run.timeouts.run)"
check "run: no task left running, retrying or pending" \
    test "$(st "SELECT count(*) FROM tasks WHERE run_id = '$id' AND state IN ('running', 'retrying', 'pending')")" = 0
check "run: the model being run was stopped, and says why" \
    test "$(st "SELECT state || ' ' || error FROM tasks WHERE run_id = '$id' AND task_id = 'stage1/slow'")" = \
    "interrupted stage1: $T/p/models/stage1/slow.sql: stopped: the run timed out (run.timeouts.run)"
expect_grep "run: on_failure ran with SNAPLAKE_STATUS=failed" p/hook.env "SNAPLAKE_STATUS=failed"
expect_grep "run: … and the error" p/hook.env "SNAPLAKE_ERROR=run: $id: run timed out after 10 s"
check "run: nothing published" test "$(cat p/lake/_snaplake/current)" = "$good"
check "run: the previous run is queryable" test "$(cnt)" = 20000
"$SNAPLAKE" status -c p/snaplake.yml "$id" >"$T/st" 2>&1
expect_grep "run: status shows it failed" "$T/st" "run $id: failed"

# The run's limit during an export chunk stuck in its read (held there by the
# fault switch until cancelled; 10 s, as above, for a slow start to reach it).
rm p/models/stage1/slow.sql
SNAPLAKE_FAULT=slow:t:9 timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "run during export: exit 1" 1
id=$(last)
expect_grep "run during export: timed out" "$T/err" "run timed out after 10 s (run.timeouts.run)"
check "run during export: the chunk is recorded stopped, none left running" \
    test "$(st "SELECT group_concat(state, ' ') FROM tasks WHERE run_id = '$id' AND task_id = 'export/t/0'")" = interrupted

# SIGTERM during a slow model: the model is interrupted in DuckDB at once.
echo "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b" \
    >p/models/stage1/slow.sql
cfg '  retries: 0'
timeout -k 5 $LIMIT "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 600); do
    [ "$(st "SELECT state FROM tasks WHERE task_id = 'stage1/slow' ORDER BY run_id DESC LIMIT 1" 2>/dev/null)" = running ] && break
    sleep 0.1
done
t0=$(date +%s)
kill -TERM $pid
wait $pid
RC=$?
expect_rc "sigterm in a model: exit 143" 143
check "sigterm in a model: stops within seconds" test $(($(date +%s) - t0)) -le 15
rm p/models/stage1/slow.sql

# ---- postgres: a COPY blocked in the server --------------------------------------------------
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "timeouts.sh: PostgreSQL 15 binaries not found; postgres part skipped"
    exit 0
fi
chmod 755 "$T"
PGTEST_DIR=
hold_pid=
trap '[ -n "$hold_pid" ] && kill $hold_pid 2>/dev/null; [ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"; rm -rf "$T"' EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || { fail "postgres: server starts"; exit 1; }
URL=postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
P() { psql -XAtq -v ON_ERROR_STOP=1 "$URL" "$@"; }
# Rows of t are visible to the role `reader` only through a policy that takes a
# shared advisory lock: while a session holds that lock exclusively, every COPY
# of t waits in the server, as behind a table lock held by a migration.
P -c "CREATE TABLE t (i bigint PRIMARY KEY, s text);
      INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 5000) i;
      CREATE TABLE u (a text); INSERT INTO u VALUES ('one');
      CREATE FUNCTION gate() RETURNS boolean LANGUAGE sql VOLATILE
          AS 'SELECT pg_advisory_xact_lock_shared(4242) IS NOT NULL';
      ALTER TABLE t ENABLE ROW LEVEL SECURITY;
      CREATE POLICY gated ON t FOR SELECT USING (gate());
      CREATE ROLE reader LOGIN;
      GRANT SELECT ON t, u TO reader; ANALYZE;"
mkdir -p pg
RURL=postgres://reader@127.0.0.1:$PGTEST_PORT/postgres
pgcfg() { write_cfg pg/snaplake.yml "source: \"$RURL\"" 'lake: ./lake' 'jobs: 1' 'run:' "$@"; }
hold() { # seconds: hold the gate's lock exclusively in the background
    PGAPPNAME=gatekeeper psql -XAtq "$URL" -c "SELECT pg_advisory_lock(4242), pg_sleep($1)" >/dev/null 2>&1 &
    hold_pid=$!
    for _ in $(seq 600); do
        [ "$(P -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted")" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}
release() { # end the holding session (its backend, which a killed psql leaves behind)
    P -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'gatekeeper'" >/dev/null
    wait $hold_pid 2>/dev/null
    hold_pid=
}
copies() { P -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'snaplake-worker' AND query LIKE 'COPY%' AND state = 'active'"; }

# Held longer than every attempt: each one is cancelled, the run fails fast.
pgcfg '  retry: {max_attempts: 2, interval: 0.1}' '  timeouts: {export_chunk: 1}'
check "postgres always: the gate is held" hold 600
t0=$(date +%s)
timeout -k 5 $LIMIT "$SNAPLAKE" run -c pg/snaplake.yml >"$T/out" 2>"$T/err"
RC=$?
expect_rc "postgres always: exit 1" 1
check "postgres always: the blocked COPY was cancelled, not waited for" test $(($(date +%s) - t0)) -le 40
expect_grep "postgres always: timed out" "$T/err" "table t, part 0: timed out after 1 s (run.timeouts.export_chunk)"
check "postgres always: 2 attempts recorded" \
    test "$(sqlite3 pg/.snaplake/state.db "SELECT state || ' ' || attempts FROM tasks WHERE task_id = 'export/t/0'")" = "failed 2"
# A backend ends a moment after its client went: wait for it (a COPY never
# cancelled would wait for the 600 s lock, far longer).
for _ in $(seq 300); do [ "$(copies)" = 0 ] && break; sleep 0.1; done
check "postgres always: no COPY of ours still runs in the server" test "$(copies)" = 0
release

# Held until the first attempt has timed out (a fixed hold of a few seconds
# could end before a slow start reached its COPY): then a later one passes.
pgcfg '  retry: {max_attempts: 30, interval: 0.2, backoff_rate: 1}' '  timeouts: {export_chunk: 1}'
check "postgres retried: the gate is held" hold 600
timeout -k 5 $LIMIT "$SNAPLAKE" run -c pg/snaplake.yml >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 600); do grep -q "retrying" "$T/err" && break; sleep 0.1; done
release
wait $pid
RC=$?
expect_rc "postgres retried: the run publishes" 0
expect_grep "postgres retried: an attempt timed out" "$T/err" \
    "t part-0 failed (attempt 1), retrying: export: table t, part 0: timed out after 1 s (run.timeouts.export_chunk)"
check "postgres retried: the data is exact" \
    test "$("$SNAPLAKE" query -c pg/snaplake.yml --format csv 'SELECT count(*) FROM raw.t' 2>/dev/null | tail -1)" = 5000
exit 0
