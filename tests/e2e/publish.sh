#!/usr/bin/env bash
# publish.sh — publish, retention and crash leftovers: what the catalog
# switch guarantees, and the edge cases of the SQLite export found in review.
source "$(dirname "$0")/../tools/e2e-lib.sh"
work=$T
q() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$work/qerr" | tail -n +2; }
cd "$work"

# ---- retention never deletes the run it publishes -------------------------
mkdir p1 && sqlite3 p1/db.sqlite "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { keep_runs: 1 }\n' >p1/snaplake.yml
"$SNAPLAKE" run -q -c p1/snaplake.yml 2>/dev/null
first=$(cat p1/lake/_snaplake/current)
cp "p1/lake/_snaplake/runs/$first.json" p1/lake/_snaplake/runs/20991231T000000Z.json
"$SNAPLAKE" run -q -c p1/snaplake.yml 2>/dev/null
check "retention: run with a later foreign manifest exits 0" test $? -eq 0
second=$(cat p1/lake/_snaplake/current)
check "retention: the published run keeps its files" test -f "p1/lake/raw/t/run=$second/part-0.parquet"
check "retention: the published run is queryable" test "$(q p1/snaplake.yml 'SELECT count(*) FROM raw.t')" = 2
check "retention: the older run is removed (keep_runs 1)" test ! -e "p1/lake/raw/t/run=$first"
check "retention: the foreign manifest is left alone" test -f p1/lake/_snaplake/runs/20991231T000000Z.json

# ---- after the catalog switch the run is published ---------------------------
rm -f p1/lake/_snaplake/current && mkdir -p p1/lake/_snaplake/current/x
"$SNAPLAKE" run -q -c p1/snaplake.yml 2>err.txt
check "current: unwritable _snaplake/current does not fail a published run" test $? -eq 0
check "current: … and says so" grep -q "was not updated" err.txt
published=$(q p1/snaplake.yml 'SELECT run_id FROM _snaplake.published')
check "current: the catalog names the new run" test "$published" != "$second" -a -n "$published"
# _snaplake.published: one row, the run and when its catalog was built (a
# TIMESTAMPTZ within the run: the run id starts with its start, to the
# second, UTC; a second run in the same second adds "_2").
row=$(q p1/snaplake.yml "SELECT count(*) || '|' || typeof(any_value(published_at)) || '|' || (any_value(published_at) >= strptime(left(any_value(run_id), 16), '%Y%m%dT%H%M%SZ')::TIMESTAMPTZ AND any_value(published_at) <= now()) AS r FROM _snaplake.published")
check "current: _snaplake.published is one row, published_at a TIMESTAMPTZ within the run" \
    test "$row" = "1|TIMESTAMP WITH TIME ZONE|true"
rm -rf p1/lake/_snaplake/current

# ---- crash leftovers are removed by the next run --------------------------------
mkdir -p p1/.snaplake/tmp/20200101T000000Z && echo x >p1/.snaplake/tmp/20200101T000000Z/snapshot.sqlite
echo x >p1/lake/_snaplake/catalog-20200101T000000Z.duckdb
"$SNAPLAKE" run -q -c p1/snaplake.yml 2>/dev/null
check "leftovers: run succeeds" test $? -eq 0
check "leftovers: old snapshot copy removed" test ! -e p1/.snaplake/tmp/20200101T000000Z
check "leftovers: unpublished catalog removed" test ! -e p1/lake/_snaplake/catalog-20200101T000000Z.duckdb
check "leftovers: catalog still published" test "$(q p1/snaplake.yml 'SELECT count(*) FROM raw.t')" = 2

# ---- decimals: integers too large for the scale are an error, not a wrap ------
mkdir p2 && sqlite3 p2/db.sqlite "CREATE TABLE d (id INTEGER PRIMARY KEY, x DECIMAL(38,22)); INSERT INTO d VALUES (1, 5), (2, 100000000000000000);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\n' >p2/snaplake.yml
"$SNAPLAKE" run -q -c p2/snaplake.yml 2>err2.txt
check "decimal: 18 integer digits in DECIMAL(38,22) → exit 1" test $? -eq 1
check "decimal: the error names the row" grep -q "table d, column x, rowid 2" err2.txt
sqlite3 p2/db.sqlite "DELETE FROM d WHERE id = 2; INSERT INTO d VALUES (3, 9999999999999999), (4, -9999999999999999);"
"$SNAPLAKE" run -q -c p2/snaplake.yml 2>/dev/null
check "decimal: 16 integer digits fit DECIMAL(38,22)" \
    test "$(q p2/snaplake.yml 'SELECT CAST(sum(x) AS VARCHAR) FROM raw.d')" = "5.0000000000000000000000"

# ---- the largest rowid is exported (the last chunk has no upper bound) --------
mkdir p3 && sqlite3 p3/db.sqlite "CREATE TABLE big (v INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000001) INSERT INTO big SELECT i FROM n;
INSERT INTO big (rowid, v) VALUES (9223372036854775807, -1);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\njobs: 2\n' >p3/snaplake.yml
"$SNAPLAKE" run -q -c p3/snaplake.yml 2>err3.txt
check "rowid: table split into chunks exports" test $? -eq 0
check "rowid: two chunks" test "$(ls p3/lake/raw/big/run=*/ | wc -l)" = 2
check "rowid: every row including rowid 2^63-1" \
    test "$(q p3/snaplake.yml 'SELECT count(*), min(v) FROM raw.big')" = "2000002,-1"

# ---- export: the raw layer alone ------------------------------------------------
mkdir -p p1/models/stage1 && echo "SELECT count(*) AS n FROM raw.t" >p1/models/stage1/m.sql
"$SNAPLAKE" export -q -c p1/snaplake.yml 2>/dev/null
check "export: exits 0" test $? -eq 0
check "export: publishes raw" test "$(q p1/snaplake.yml 'SELECT count(*) FROM raw.t')" = 2
check "export: builds no models" test ! -e p1/lake/stage1/m
"$SNAPLAKE" run -q -c p1/snaplake.yml 2>/dev/null
check "export: a later run builds them" test "$(q p1/snaplake.yml 'SELECT n FROM stage1.m')" = 2

# ---- hooks ----------------------------------------------------------------------
mkdir p4 && sqlite3 p4/db.sqlite "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
cat >p4/snaplake.yml <<YML
source: sqlite://db.sqlite
lake: ./lake
run: { on_success: "echo ok \$SNAPLAKE_STATUS \$SNAPLAKE_RUN_ID >> $work/p4/hooks.txt",
       on_failure: "echo bad \$SNAPLAKE_STATUS \$SNAPLAKE_RUN_ID >> $work/p4/hooks.txt" }
YML
"$SNAPLAKE" run -q -c p4/snaplake.yml 2>/dev/null
check "hooks: on_success runs with the status and run id" \
    grep -qx "ok done $(cat p4/lake/_snaplake/current)" p4/hooks.txt
sqlite3 p4/db.sqlite "INSERT INTO t VALUES ('not a number');"
"$SNAPLAKE" run -q -c p4/snaplake.yml 2>/dev/null
check "hooks: on_failure runs for a failed run" grep -q "^bad failed " p4/hooks.txt
check "hooks: on_success did not run again" test "$(grep -c '^ok ' p4/hooks.txt)" = 1

# ---- run history ------------------------------------------------------------------
"$SNAPLAKE" status -c p4/snaplake.yml --list >hist.txt
check "history: status --list exits 0" test $? -eq 0
check "history: one line per run, newest first" \
    test "$(awk 'NR > 1 { print $2 }' hist.txt | tr '\n' ' ')" = "failed done "
check "history: the failed run's error is shown" grep -q "not an integer" hist.txt
"$SNAPLAKE" status -c p4/snaplake.yml --list=1 >hist1.txt
check "history: --list=1 shows one run" test "$(wc -l <hist1.txt)" = 2
