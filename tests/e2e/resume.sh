#!/usr/bin/env bash
# resume.sh — `snaplake run --resume [RUN_ID]`: a failed or interrupted run
# goes on with its done tasks kept (their files reused from the state's
# records) and the others run; a SQLite run reads the same snapshot copy
# (the same point in time) however the source changed meanwhile.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
csvq() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$T/qerr" | tail -n +2; }
st() { sqlite3 p/.snaplake/state.db "$1"; }

mkdir p && cd p
sqlite3 db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
    INSERT INTO t SELECT i, 'row ' || i FROM n;
    CREATE TABLE u (a TEXT); INSERT INTO u VALUES ('x'), ('y');"
mkdir -p models/stage1 models/stage2
echo "SELECT count(*) AS n FROM raw.t" >models/stage1/cnt.sql
# bad reads cnt, so cnt is done before bad fails: a failure stops the pool
# taking new work, and two independent models would race to start.
echo "SELECT nope FROM stage1.cnt" >models/stage1/bad.sql
echo "SELECT n * 2 AS n2 FROM stage1.cnt" >models/stage2/dbl.sql
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake'
cd "$T"
cp -r p clean # the same project and data, for a clean run to compare with

sl run --resume -c p/snaplake.yml
expect_rc "nothing yet: --resume exits 0" 0
expect_grep "nothing yet: … and says so" "$T/err" "nothing to resume: there is no run yet"

# ---- a broken model: fix it, resume: only the models run ----------------------
sl run -c p/snaplake.yml
expect_rc "broken model: the run fails" 1
id=$(st "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1")
before=$(st "SELECT task_id, attempts, started_at, ended_at FROM tasks WHERE run_id = '$id' AND (kind = 'export' OR task_id = 'stage1/cnt') ORDER BY task_id")
check "broken model: its snapshot copy is kept for --resume" test -f "p/.snaplake/tmp/$id/snapshot.sqlite"
echo "SELECT 1 AS ok" >p/models/stage1/bad.sql
sqlite3 p/db.sqlite "INSERT INTO t (s) VALUES ('after the snapshot')"
sl run --resume -c p/snaplake.yml
expect_rc "broken model: --resume publishes" 0
expect_grep "broken model: … the same run" "$T/err" "run $id (resumed)"
expect_grep "broken model: … from the kept snapshot copy" "$T/err" "the copy kept by the run being resumed"
check "broken model: current is the resumed run" test "$(cat p/lake/_snaplake/current)" = "$id"
after=$(st "SELECT task_id, attempts, started_at, ended_at FROM tasks WHERE run_id = '$id' AND (kind = 'export' OR task_id = 'stage1/cnt') ORDER BY task_id")
check "broken model: export chunks and the good model were not run again" test "$before" = "$after"
check "broken model: the fixed model ran" test "$(st "SELECT state FROM tasks WHERE run_id = '$id' AND task_id = 'stage1/bad'")" = done
check "broken model: stage 2 ran" test "$(st "SELECT state FROM tasks WHERE run_id = '$id' AND task_id = 'stage2/dbl'")" = done
check "broken model: the run is done" test "$(st "SELECT state FROM runs WHERE run_id = '$id'")" = done
check "broken model: the data is of the first snapshot" test "$(csvq p/snaplake.yml 'SELECT n2 FROM stage2.dbl')" = 60000
check "broken model: the manifest lists the kept files" \
    test "$(jq '[.datasets[].files | length] | add' "p/lake/_snaplake/runs/$id.json")" = 5
check "broken model: its snapshot copy is gone once published" test ! -e "p/.snaplake/tmp/$id"
sl status -c p/snaplake.yml "$id"
expect_rc "broken model: status exits 0" 0
sl run --resume -c p/snaplake.yml
expect_rc "published: --resume exits 0" 0
expect_grep "published: … saying there is nothing to resume" "$T/err" "nothing to resume: the newest run $id is done"
sl run --resume 20200101T000000Z -c p/snaplake.yml
expect_rc "unknown run: --resume exits 0" 0
expect_grep "unknown run: … and says so" "$T/err" "nothing to resume: there is no run 20200101T000000Z"
sl run --allow-mixed-snapshots -c p/snaplake.yml
expect_rc "--allow-mixed-snapshots without --resume: usage error" 2

# ---- interrupted while exporting: resume gives what a clean run gives ---------
sqlite3 p/db.sqlite "DELETE FROM t WHERE s = 'after the snapshot'"
SNAPLAKE_FAULT=pause:batch "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1200); do grep -q "paused at batch" "$T/err" && break; sleep 0.05; done
kill -TERM $pid
wait $pid
check "interrupted: exit 143" test $? = 143
id2=$(st "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1")
check "interrupted: a new run" test "$id2" != "$id"
sqlite3 p/db.sqlite "INSERT INTO t (s) VALUES ('after the snapshot'); DELETE FROM u"
sl run --resume "$id2" -c p/snaplake.yml
expect_rc "interrupted: --resume RUN_ID publishes" 0
check "interrupted: current is the resumed run" test "$(cat p/lake/_snaplake/current)" = "$id2"
"$SNAPLAKE" run -q -c clean/snaplake.yml 2>/dev/null || true # fails on bad.sql: fix it first
echo "SELECT 1 AS ok" >clean/models/stage1/bad.sql
"$SNAPLAKE" run -q -c clean/snaplake.yml 2>/dev/null
counts() { jq -c '[.datasets[] | [.layer, .name, .rows]]' "$1/lake/_snaplake/runs/$(cat "$1/lake/_snaplake/current").json"; }
check "interrupted: the resumed result equals a clean run's row counts" test "$(counts p)" = "$(counts clean)"
check "interrupted: … 30000 rows of t, 2 of u (the snapshot, not the source now)" \
    test "$(csvq p/snaplake.yml 'SELECT (SELECT count(*) FROM raw.t) || (SELECT count(*) FROM raw.u)')" = 300002
check "interrupted: no task left unfinished" \
    test "$(st "SELECT count(*) FROM tasks WHERE run_id = '$id2' AND state <> 'done'")" = 0

# ---- a new run abandons the failed one: its snapshot copy goes ----------------
echo "SELECT nope FROM raw.t" >p/models/stage1/bad.sql
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
id3=$(st "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1")
check "abandoned: the failed run keeps its copy" test -d "p/.snaplake/tmp/$id3"
echo "SELECT 1 AS ok" >p/models/stage1/bad.sql
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
check "abandoned: the next run removes it" test ! -e "p/.snaplake/tmp/$id3"
sl run --resume "$id3" -c p/snaplake.yml
expect_rc "abandoned: --resume of it exits 0" 0
expect_grep "abandoned: … saying a later run was published" "$T/err" "cannot be resumed any more"
exit $((NFAIL > 0))
