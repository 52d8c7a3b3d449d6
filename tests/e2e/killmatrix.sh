#!/usr/bin/env bash
# killmatrix.sh — a run killed at every phase (kill -9; and SIGTERM, SIGINT
# where interrupt.sh does not already stop it), then `snaplake run --resume`:
#   - the published data is never half-updated: right after the kill the
#     previous run is published whole (the same row counts and checksums per
#     dataset), or, killed after the catalog switch, the new one is, whole;
#   - the resumed run equals a clean run over the data of its snapshot (row
#     counts and a checksum per dataset), and no task of any run is left
#     running, retrying or pending (`snaplake status`).
# Phases (SNAPLAKE_FAULT=pause:<point>, docs/resume.md "Test switches"):
# snapshot, export (mid-chunk: batch), models (stage1, stage2), publish (before
# it, mid-manifest: manifest), and between the catalog switch and `current`
# (switched).  SQLite here; PostgreSQL for the export phase at the end, when
# its binaries are installed (scripts/pg_test_server.sh, as resume_pg.sh).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
st() { sqlite3 p/.snaplake/state.db "$1"; }
last() { st "SELECT max(run_id) FROM runs"; }
cat_id() { "$SNAPLAKE" query -c p/snaplake.yml --format csv "SELECT run_id FROM _snaplake.published" 2>/dev/null | tail -1; }

# sums CFG — "dataset rows checksum" of every dataset the catalog publishes:
# the rows' hashes added up, so the order of rows and files does not matter.
SETS="raw.t raw.u stage1.cnt stage1.by_a stage2.dbl"
sums() {
    local sql="" d
    for d in $SETS; do
        sql="$sql${sql:+ UNION ALL }SELECT '$d' AS d, count(*) AS n, sum(hash(x)) AS h FROM $d AS x"
    done
    "$SNAPLAKE" query -c "$1" --format csv "$sql ORDER BY d" 2>/dev/null | tail -n +2 | tr '\n' ' '
}

# change_source — new rows in t, a changed u: each run sees other data.
change_source() {
    sqlite3 p/db.sqlite "INSERT INTO t (s, v) SELECT 'more', i * 0.5 FROM t WHERE i % 40 = 0;
        UPDATE u SET n = n + 1 WHERE a = 'a'; INSERT INTO u VALUES ('z' || (SELECT count(*) FROM u), 1);"
}

# clean_sums — the sums of a clean run (a fresh project) over c/db.sqlite.
clean_sums() {
    rm -rf c/lake c/.snaplake
    "$SNAPLAKE" run -q -c c/snaplake.yml 2>/dev/null || echo "clean run failed"
    sums c/snaplake.yml
}

# start_paused POINT [ARGS] — a run in the background held at POINT; sets $pid.
start_paused() {
    rm -f p/hook.txt
    : >"$T/err" # not a previous run's "paused at" while the child starts
    SNAPLAKE_FAULT=pause:$1 "$SNAPLAKE" run -c p/snaplake.yml >"$T/out" 2>"$T/err" &
    pid=$!
    for _ in $(seq 1200); do
        grep -q "paused at $1" "$T/err" && return 0
        sleep 0.05
    done
    return 1
}

# no_task_left NAME — no task of any run is running, retrying or pending,
# in the state and as `snaplake status` shows the newest run.
no_task_left() {
    check "$1: no task of any run left running, retrying or pending" \
        test "$(st "SELECT count(*) FROM tasks WHERE state IN ('running', 'retrying', 'pending')")" = 0
    "$SNAPLAKE" status -c p/snaplake.yml >"$T/st" 2>&1
    check "$1: status shows no task running" sh -c "! grep -Eq ' (running|retrying|pending) ' '$T/st'"
}

# done_tasks — the export and model tasks of $killed recorded done, with
# their start times (a task run again would start later).
done_tasks() {
    st "SELECT task_id || '@' || started_at FROM tasks WHERE run_id = '$killed' AND state = 'done'
        AND kind IN ('export', 'stage1', 'stage2') ORDER BY task_id" | tr '\n' ' '
}

# subset A B — every word of A is in B.
subset() {
    local w
    for w in $1; do case " $2 " in *" $w "*) ;; *) return 1 ;; esac; done
}

# resumed NAME — after `run --resume`: published, the killed run, as a clean run.
resumed() {
    local n=$1
    expect_rc "$n: --resume publishes" 0
    check "$n: the resumed run is the killed one, published" test "$(cat p/lake/_snaplake/current)" = "$killed"
    check "$n: … and the catalog's" test "$(cat_id)" = "$killed"
    local got
    got=$(sums p/snaplake.yml)
    if [ "$got" = "$expected" ]; then pass "$n: the resumed result equals a clean run's"; else
        fail "$n: the resumed result equals a clean run's" "got:      $got" "expected: $expected"; fi
    expect_grep "$n: on_success ran for the resumed run" p/hook.txt "done $killed"
    no_task_left "$n"
}

mkdir -p p/models/stage1 p/models/stage2 c
sqlite3 p/db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT, v REAL);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
    INSERT INTO t SELECT i, 'row ' || i, i / 7.0 FROM n;
    CREATE TABLE u (a TEXT, n INTEGER); INSERT INTO u VALUES ('a', 1), ('b', 2);"
echo "SELECT count(*) AS n, sum(i) AS si, sum(CAST(v AS DECIMAL(18, 6))) AS sv FROM raw.t" >p/models/stage1/cnt.sql
echo "SELECT a, sum(n) AS n FROM raw.u GROUP BY a" >p/models/stage1/by_a.sql
echo "SELECT n * 2 AS n2, (SELECT count(*) FROM stage1.by_a) AS groups FROM stage1.cnt" >p/models/stage2/dbl.sql
write_cfg p/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 2' 'run:' '  retries: 0' \
    "  on_success: 'echo \"done \$SNAPLAKE_RUN_ID\" > hook.txt'" \
    "  on_failure: 'echo \"\$SNAPLAKE_STATUS \$SNAPLAKE_RUN_ID\" > hook.txt'"
cp -r p/models p/snaplake.yml c/
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null || fail "the first run publishes"

# ---- kill -9 at each phase ------------------------------------------------------
# killcase NAME POINT SNAPSHOT — SNAPSHOT "first": the resumed run keeps the
# first attempt's snapshot (SQLite's kept copy), so the source changes after
# the kill do not reach it; "new": the kill came before the snapshot.
killcase() {
    local n=$1 point=$2 snap=$3
    change_source
    sqlite3 p/db.sqlite ".backup c/db.sqlite"
    local prev prev_sums
    prev=$(cat p/lake/_snaplake/current)
    prev_sums=$(sums p/snaplake.yml)
    check "$n: the run is held at $point" start_paused "$point"
    kill -9 $pid
    wait $pid 2>/dev/null
    killed=$(last)
    check "$n: the killed run is a new one" test "$killed" != "$prev"
    check "$n: the previous run is still the published one" test "$(cat p/lake/_snaplake/current)" = "$prev"
    check "$n: … and the catalog's" test "$(cat_id)" = "$prev"
    check "$n: … whole: the same rows and checksums" test "$(sums p/snaplake.yml)" = "$prev_sums"
    check "$n: no manifest of the killed run" test ! -e "p/lake/_snaplake/runs/$killed.json"
    sl status -c p/snaplake.yml "$killed"
    expect_grep "$n: status shows the killed run interrupted" "$T/out" "run $killed: interrupted"
    change_source
    [ "$snap" = new ] && sqlite3 p/db.sqlite ".backup c/db.sqlite"
    expected=$(clean_sums)
    local done_before
    done_before=$(done_tasks)
    sl run --resume -c p/snaplake.yml
    resumed "$n"
    check "$n: the $(echo "$done_before" | wc -w) tasks done before the kill were kept, not run again" \
        subset "$done_before" "$(done_tasks)"
}

killcase "kill snapshot" snapshot new
killcase "kill export" batch first
check "kill export: the chunks done before the kill were kept" \
    grep -q "export chunks done, kept" "$T/err"
killcase "kill stage1" stage1 first
killcase "kill stage2" stage2 first
killcase "kill publish" publish first
killcase "kill manifest" manifest first

# Killed after the catalog switch: the new run is published, whole, though
# `current` still names the previous one (recover.sh); the next start
# repairs `current`, and there is nothing to resume.
change_source
sqlite3 p/db.sqlite ".backup c/db.sqlite"
expected=$(clean_sums)
prev=$(cat p/lake/_snaplake/current)
check "kill switched: the run is held after the catalog switch" start_paused switched
kill -9 $pid
wait $pid 2>/dev/null
killed=$(last)
check "kill switched: the catalog publishes the killed run" test "$(cat_id)" = "$killed"
check "kill switched: … whole: as a clean run" test "$(sums p/snaplake.yml)" = "$expected"
check "kill switched: current is one behind" test "$(cat p/lake/_snaplake/current)" = "$prev"
sl run --resume -c p/snaplake.yml
expect_rc "kill switched: --resume exits 0" 0
expect_grep "kill switched: … with nothing to resume" "$T/err" "nothing to resume"
check "kill switched: current repaired" test "$(cat p/lake/_snaplake/current)" = "$killed"
check "kill switched: the run recorded done" test "$(st "SELECT state FROM runs WHERE run_id = '$killed'")" = done
no_task_left "kill switched"

# ---- SIGTERM and SIGINT where interrupt.sh does not stop a run ------------------
# sigcase NAME POINT SIGNAL CODE — stopped by the signal: exit code, line,
# hook, status; the previous run intact; then --resume as a clean run.
sigcase() {
    local n=$1 point=$2 sig=$3 code=$4
    change_source
    sqlite3 p/db.sqlite ".backup c/db.sqlite"
    local prev prev_sums
    prev=$(cat p/lake/_snaplake/current)
    prev_sums=$(sums p/snaplake.yml)
    check "$n: the run is held at $point" start_paused "$point"
    kill -"${sig#SIG}" $pid
    wait $pid
    RC=$?
    killed=$(last)
    check "$n: exit $code" test "$RC" = "$code"
    expect_grep "$n: says nothing was published" "$T/err" "interrupted by $sig; nothing was published"
    expect_grep "$n: on_failure ran with SNAPLAKE_STATUS=interrupted" p/hook.txt "interrupted $killed"
    sl status -c p/snaplake.yml "$killed"
    expect_grep "$n: status shows it interrupted" "$T/out" "run $killed: interrupted"
    check "$n: no task of it left running, retrying or pending" \
        test "$(st "SELECT count(*) FROM tasks WHERE run_id = '$killed' AND state IN ('running', 'retrying', 'pending')")" = 0
    check "$n: the previous run is still published" test "$(cat_id) $(cat p/lake/_snaplake/current)" = "$prev $prev"
    check "$n: … whole" test "$(sums p/snaplake.yml)" = "$prev_sums"
    check "$n: no manifest of it" test -z "$(ls p/lake/_snaplake/runs | grep "^$killed\.json")"
    change_source
    [ "$point" = snapshot ] && sqlite3 p/db.sqlite ".backup c/db.sqlite"
    expected=$(clean_sums)
    sl run --resume -c p/snaplake.yml
    resumed "$n"
}
sigcase "sigint snapshot" snapshot SIGINT 130
sigcase "sigterm stage2" stage2 SIGTERM 143
# The signal comes while the manifest is being written: before the commit
# point, so nothing is published.
sigcase "sigterm manifest" manifest SIGTERM 143

# After the commit point a signal does not undo the run: it ends published.
change_source
sqlite3 p/db.sqlite ".backup c/db.sqlite"
expected=$(clean_sums)
check "sigint switched: the run is held after the catalog switch" start_paused switched
kill -INT $pid
wait $pid
RC=$?
killed=$(last)
check "sigint switched: exit 0 (published)" test "$RC" = 0
expect_grep "sigint switched: on_success ran" p/hook.txt "done $killed"
check "sigint switched: current and catalog name it" \
    test "$(cat_id) $(cat p/lake/_snaplake/current)" = "$killed $killed"
check "sigint switched: as a clean run" test "$(sums p/snaplake.yml)" = "$expected"
no_task_left "sigint switched"

# ---- PostgreSQL: kill -9 mid-export, resume in a new snapshot -------------------
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "killmatrix.sh: PostgreSQL 15 binaries not found; its case skipped"
    exit $((NFAIL > 0))
fi
chmod 755 "$T"
PGTEST_DIR=
trap '[ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"; rm -rf "$T"' EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || { fail "pg: server starts"; exit 1; }
URL=postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
P() { psql -XAtq -v ON_ERROR_STOP=1 "$URL" "$@"; }
P -c "CREATE TABLE t (i bigint PRIMARY KEY, s text, v double precision);
      INSERT INTO t SELECT i, repeat('x', 40), i / 7.0 FROM generate_series(1, 100000) i;
      CREATE TABLE u (a text, n int); INSERT INTO u VALUES ('a', 1), ('b', 2); ANALYZE;"
rm -rf p/lake p/.snaplake c/lake c/.snaplake
for d in p c; do
    write_cfg $d/snaplake.yml "source: \"$URL\"" 'lake: ./lake' 'jobs: 2' 'run:' '  retries: 0' \
        "  on_success: 'echo \"done \$SNAPLAKE_RUN_ID\" > hook.txt'"
done
export SNAPLAKE_PG_CHUNK_BYTES=2000000 # t in several chunks
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null || fail "pg: the first run publishes"
prev=$(cat p/lake/_snaplake/current)
prev_sums=$(sums p/snaplake.yml)
P -c "INSERT INTO t SELECT i, 'later', i FROM generate_series(100001, 100500) i; UPDATE u SET n = n + 1"
check "pg kill export: the run is held in a chunk" start_paused batch
kill -9 $pid
wait $pid 2>/dev/null
killed=$(last)
check "pg kill export: the previous run is still published" test "$(cat_id) $(cat p/lake/_snaplake/current)" = "$prev $prev"
check "pg kill export: … whole" test "$(sums p/snaplake.yml)" = "$prev_sums"
# The exported snapshot died with the killed process: --resume exports every
# table again in a new one, so it equals a clean run over the data now.
P -c "INSERT INTO t SELECT i, 'later still', i FROM generate_series(100501, 100600) i"
expected=$(clean_sums)
sl run --resume -c p/snaplake.yml
resumed "pg kill export"
exit $((NFAIL > 0))
