#!/usr/bin/env bash
# report_saved.sh — every run keeps its HTML report: a published run's in the
# lake next to its manifest, a failed run's in .snaplake/reports; both go
# with the run's files (retention, keep_runs: 1).
. "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b');"
mkdir -p models/stage1
echo "SELECT * FROM raw.t" >models/stage1/m.sql
write_cfg snaplake.yml "source: sqlite://a.db" "lake: ./lake" "run: { keep_runs: 1 }"

sl run -c snaplake.yml
expect_rc "published: run" 0
id1=$(cat lake/_snaplake/current)
check "published: report next to the manifest" test -s "lake/_snaplake/runs/$id1.html"
expect_grep "published: the report names the run" "lake/_snaplake/runs/$id1.html" "$id1"
expect_grep "published: the log says where it is" "$T/err" "report: $T/lake/_snaplake/runs/$id1.html"

echo "SELEC oops" >models/stage1/m.sql
sl run -c snaplake.yml
expect_rc "failed: run" 1
id2=$(ls .snaplake/reports/ 2>/dev/null | sed -n 's/\.html$//p' | head -1)
check "failed: report kept in the project" test -n "$id2" -a -s ".snaplake/reports/$id2.html"
check "failed: nothing of it in the lake" test ! -e "lake/_snaplake/runs/$id2.html"
expect_grep "failed: the report shows the error" ".snaplake/reports/$id2.html" "SELEC"

echo "SELECT * FROM raw.t" >models/stage1/m.sql
sleep 1.1 # a later second: the ids need not be suffixed
sl run -q -c snaplake.yml
sleep 1.1
sl run -q -c snaplake.yml
id4=$(cat lake/_snaplake/current)
check "retention: the old run's report goes with its manifest" test ! -e "lake/_snaplake/runs/$id1.html"
check "retention: the kept run's report stays" test -s "lake/_snaplake/runs/$id4.html"
check "retention: the failed run's report goes with its files" test ! -e ".snaplake/reports/$id2.html"
exit 0
