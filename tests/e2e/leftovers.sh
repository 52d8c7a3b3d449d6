#!/usr/bin/env bash
# leftovers.sh — what failed, interrupted and killed runs leave (dataset
# folders, *.tmp-* files of unfinished writes, snapshot copies) is removed
# once they cannot be resumed any more: by the next successful run's
# retention, and by `snaplake gc`.  The newest failed run, which can still be
# resumed, keeps everything.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
st() { sqlite3 p/.snaplake/state.db "$1"; }
runs_in() { (cd "p/lake/$1" 2>/dev/null && ls | tr '\n' ' '); }

mkdir p && cd p
sqlite3 db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO t SELECT i, 'row ' || i FROM n;"
mkdir -p models/stage1
echo "SELECT count(*) AS n FROM raw.t" >models/stage1/cnt.sql
# jobs: 1, so that models run one at a time in name order: cnt is done
# before zbad fails (with two workers, zbad's failure could stop the stage
# before cnt started, and cnt would have no folder to keep).
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 1' 'run: { keep_runs: 5 }'
cd "$T"
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
good=$(cat p/lake/_snaplake/current)

# A failed run (a broken model): raw/t and stage1/cnt of it stay for --resume.
echo "SELECT nope FROM raw.t" >p/models/stage1/zbad.sql
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
failed=$(st "SELECT max(run_id) FROM runs")
rm p/models/stage1/zbad.sql
check "failed: its folders stay while it can be resumed" test -d "p/lake/raw/t/run=$failed" -a -d "p/lake/stage1/cnt/run=$failed"
check "failed: … and its snapshot copy" test -d "p/.snaplake/tmp/$failed"
sl gc -c p/snaplake.yml
expect_rc "gc: exits 0" 0
check "gc: keeps the newest failed run (it can be resumed)" test -d "p/lake/raw/t/run=$failed" -a -d "p/.snaplake/tmp/$failed"

# A killed run (kill -9 while a chunk is being written): a *.tmp-* part file.
SNAPLAKE_FAULT=pause:batch "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1200); do grep -q "paused at batch" "$T/err" && break; sleep 0.05; done
kill -9 $pid
wait $pid 2>/dev/null
killed=$(st "SELECT max(run_id) FROM runs")
check "killed: it left an unfinished part file" sh -c "ls p/lake/raw/t/run=$killed/ | grep -q '\.tmp-'"

# The next successful run removes both.
sl run -q -c p/snaplake.yml
expect_rc "next run: publishes" 0
new=$(cat p/lake/_snaplake/current)
check "next run: raw/t holds the published runs only" test "$(runs_in raw/t)" = "run=$good run=$new "
check "next run: stage1/cnt too" test "$(runs_in stage1/cnt)" = "run=$good run=$new "
check "next run: no snapshot copy left" test -z "$(ls p/.snaplake/tmp)"
check "next run: the runs are recorded cleaned" \
    test "$(st "SELECT count(*) FROM runs WHERE run_id IN ('$failed', '$killed') AND cleaned_at IS NOT NULL")" = 2

# gc does the same for runs it finds not cleaned (as a run from before gc,
# or one whose retention failed, left them).
mkdir -p "p/lake/raw/t/run=$failed"
touch "p/lake/raw/t/run=$failed/part-0.parquet.tmp-1-1"
st "UPDATE runs SET cleaned_at = NULL WHERE run_id = '$failed'"
sl gc -c p/snaplake.yml
expect_rc "gc: exits 0 again" 0
expect_grep "gc: says how many runs" "$T/err" "gc: removed the files of 1 run that cannot be resumed any more"
check "gc: the folder and its temp file are gone" test ! -e "p/lake/raw/t/run=$failed"
check "gc: the published runs are untouched" test "$(runs_in raw/t)" = "run=$good run=$new "
sl query -c p/snaplake.yml "SELECT n FROM stage1.cnt"
expect_rc "gc: the published run is queryable" 0
exit $((NFAIL > 0))
