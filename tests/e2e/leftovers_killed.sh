#!/usr/bin/env bash
# leftovers_killed.sh — runs killed (kill -9) while a file is being written
# leave its "*.tmp-*" temp file: the manifest's in _snaplake/runs, a part's
# in the run's folder.  An unfinished write is never finished later, so the
# next run (resumed or not) and `snaplake gc` remove them when they start,
# under the run lock; the killed runs' folders go once they cannot be
# resumed any more.  The lake holds exactly the files of the runs kept, and
# no temp file.  (leftovers.sh covers the dataset folders of failed and
# killed runs.)
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
st() { sqlite3 p/.snaplake/state.db "$1"; }
temps() { (cd p/lake && find . -name '*.tmp-*' | sort | tr '\n' ' '); }
# Every run id the lake's file names hold, and the runs its manifests keep.
ids_in_lake() { (cd p/lake && find . -type f | grep -o '[0-9]\{8\}T[0-9]\{6\}Z\(_[0-9]\)\?' | sort -u | tr '\n' ' '); }
ids_kept() { (cd p/lake/_snaplake/runs && ls *.json | sed 's/\.json$//' | sort | tr '\n' ' '); }

# kill_at POINT — a run held at POINT, then killed with -9; sets $killed.
kill_at() {
    : >"$T/err" # not a previous run's "paused at" while the child starts
    SNAPLAKE_FAULT=pause:$1 "$SNAPLAKE" run "${@:2}" -c p/snaplake.yml >"$T/out" 2>"$T/err" &
    local pid=$!
    for _ in $(seq 1200); do grep -q "paused at $1" "$T/err" && break; sleep 0.05; done
    kill -9 $pid
    wait $pid 2>/dev/null
    killed=$(st "SELECT max(run_id) FROM runs")
}

mkdir -p p/models/stage1
sqlite3 p/db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO t SELECT i, 'row ' || i FROM n;"
echo "SELECT count(*) AS n FROM raw.t" >p/models/stage1/cnt.sql
write_cfg p/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 1' 'run: { keep_runs: 2 }'
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null

# ---- killed while the manifest is written; then a new run ----------------------
kill_at manifest
m1=$killed
check "manifest: the kill left the manifest's temp file" \
    sh -c "ls p/lake/_snaplake/runs | grep -q '^$m1\.json\.tmp-'"
sl gc -c p/snaplake.yml
check "manifest: gc removes it (an unfinished write is never finished later)" test -z "$(temps)"
check "manifest: … but keeps the run's folders while it can be resumed" test -d "p/lake/raw/t/run=$m1"
kill_at manifest
check "manifest: killed again there" sh -c "ls p/lake/_snaplake/runs | grep -q '\.json\.tmp-'"
sl run -q -c p/snaplake.yml
expect_rc "manifest: the next run publishes" 0
check "manifest: no temp file left in the lake" test -z "$(temps)"
check "manifest: the lake holds the runs kept, no other" test "$(ids_in_lake)" = "$(ids_kept)"

# ---- gc removes unfinished writes wherever they are ------------------------------
kill_at manifest
m2=$killed
sl run -q -c p/snaplake.yml # m2 cannot be resumed any more: cleaned
touch "p/lake/_snaplake/runs/$m2.json.tmp-1-1" "p/lake/_snaplake/current.tmp-1-2" \
    "p/lake/raw/t/run=$(cat p/lake/_snaplake/current)/part-0.parquet.tmp-1-3"
sl gc -c p/snaplake.yml
expect_rc "gc: exits 0" 0
check "gc: the temp files are gone" test -z "$(temps)"
check "gc: the lake holds the runs kept, no other" test "$(ids_in_lake)" = "$(ids_kept)"

# ---- killed while a part is written, then resumed -------------------------------
kill_at batch
check "resume: the kill left a part's temp file" sh -c "ls p/lake/raw/t/run=$killed/ | grep -q '\.tmp-'"
sl run --resume -q -c p/snaplake.yml
expect_rc "resume (part): publishes the killed run" 0
check "resume (part): the run is the published one" test "$(cat p/lake/_snaplake/current)" = "$killed"
check "resume (part): the first attempt's temp file is gone" test -z "$(temps)"

# ---- killed while the manifest is written, then resumed -------------------------
kill_at manifest
check "resume: the kill left the manifest's temp file" \
    sh -c "ls p/lake/_snaplake/runs | grep -q '^$killed\.json\.tmp-'"
sl run --resume -q -c p/snaplake.yml
expect_rc "resume (manifest): publishes the killed run" 0
check "resume (manifest): no temp file left" test -z "$(temps)"
check "resume (manifest): the lake holds the runs kept, no other" test "$(ids_in_lake)" = "$(ids_kept)"
check "resume (manifest): keep_runs: 2 runs kept" test "$(ids_kept | wc -w)" = 2

# ---- a report being written when killed (after the run let go of its lock) ------
old=$(ids_kept | cut -d' ' -f1)
touch "p/lake/_snaplake/runs/$old.html.tmp-1-1"
sl run -q -c p/snaplake.yml
expect_rc "retention: publishes" 0
check "retention: the report's temp file is gone" test -z "$(temps)"
check "retention: the lake holds the runs kept, no other" test "$(ids_in_lake)" = "$(ids_kept)"
sl query -c p/snaplake.yml "SELECT n FROM stage1.cnt"
expect_rc "the published run is queryable" 0
exit $((NFAIL > 0))
