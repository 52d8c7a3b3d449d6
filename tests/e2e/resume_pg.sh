#!/usr/bin/env bash
# resume_pg.sh — `snaplake run --resume` with PostgreSQL, whose exported
# snapshot dies with its connection (docs/resume.md):
#   export not finished  every table is exported again in a new snapshot
#   --allow-mixed-snapshots  the done chunks are kept, the rest is new
#   export finished      the models go on; the files and the manifest's
#                        snapshot stay those of the first attempt
# Starts a throwaway PostgreSQL 15 (scripts/pg_test_server.sh), stopped on exit.
source "$(dirname "$0")/../tools/e2e-lib.sh"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "resume_pg.sh: PostgreSQL 15 binaries not found; skipped"
    exit 0
fi
chmod 755 "$T"
PGTEST_DIR=
trap '[ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"; rm -rf "$T"' EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || { fail "server starts"; exit 1; }
URL=postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
P() { psql -XAtq -v ON_ERROR_STOP=1 "$URL" "$@"; }
cd "$T"
csvq() { "$SNAPLAKE" query -c p/snaplake.yml --format csv "$1" 2>>"$T/qerr" | tail -n +2; }
st() { sqlite3 p/.snaplake/state.db "$1"; }
last() { st "SELECT max(run_id) FROM runs"; }

P -c "CREATE TABLE t (i bigint PRIMARY KEY, s text);
      INSERT INTO t SELECT i, repeat('x', 40) FROM generate_series(1, 100000) i;
      CREATE TABLE u (a text); INSERT INTO u VALUES ('one'); ANALYZE;"
mkdir -p p/models/stage1
write_cfg p/snaplake.yml "source: \"$URL\"" 'lake: ./lake' 'jobs: 1' 'run: { retries: 0 }'
echo "SELECT count(*) AS n FROM raw.t" >p/models/stage1/cnt.sql
export SNAPLAKE_PG_CHUNK_BYTES=2000000 # t in several chunks

# ---- export not finished: a new snapshot for every table ----------------------
SNAPLAKE_FAULT=export:u:1 "$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
check "unfinished: the first attempt fails on u" test $? = 1
id=$(last)
done_t=$(st "SELECT count(*) FROM tasks WHERE run_id = '$id' AND kind = 'export' AND dataset = 't' AND state = 'done'")
check "unfinished: … after t's chunks were done" test "$done_t" -ge 2
P -c "INSERT INTO t SELECT i, 'later' FROM generate_series(100001, 100010) i"
sl run --resume -c p/snaplake.yml
expect_rc "unfinished: --resume publishes" 0
expect_grep "unfinished: … exporting every table again" "$T/err" "every table is exported again in the new snapshot"
check "unfinished: t is of the new snapshot (100010 rows)" test "$(csvq 'SELECT count(*) FROM raw.t')" = 100010
check "unfinished: … and so is the model" test "$(csvq 'SELECT n FROM stage1.cnt')" = 100010
check "unfinished: the manifest's files are the new ones only" \
    test "$(jq '[.datasets[] | select(.name == "t") | .rows] | add' "p/lake/_snaplake/runs/$id.json")" = 100010

# ---- --allow-mixed-snapshots: the done chunks are kept --------------------------
SNAPLAKE_FAULT=export:u:1 "$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
id=$(last)
P -c "INSERT INTO t SELECT i, 'later' FROM generate_series(100011, 100020) i; INSERT INTO u VALUES ('two')"
before=$(st "SELECT group_concat(task_id || started_at) FROM tasks WHERE run_id = '$id' AND dataset = 't'")
sl run --resume "$id" --allow-mixed-snapshots -c p/snaplake.yml
expect_rc "mixed: --resume publishes" 0
expect_grep "mixed: … says the chunks come from another snapshot" "$T/err" "(from another snapshot: mixed)"
check "mixed: t's chunks were not exported again" \
    test "$(st "SELECT group_concat(task_id || started_at) FROM tasks WHERE run_id = '$id' AND dataset = 't'")" = "$before"
check "mixed: t is of the first snapshot (100010 rows)" test "$(csvq 'SELECT count(*) FROM raw.t')" = 100010
check "mixed: u is of the new one (2 rows)" test "$(csvq 'SELECT count(*) FROM raw.u')" = 2

# ---- export finished: the models go on ------------------------------------------
echo "SELECT nope FROM raw.t" >p/models/stage1/bad.sql
"$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
id=$(last)
snap=$(st "SELECT snapshot FROM runs WHERE run_id = '$id'" | jq -r .snapshot_id)
echo "SELECT 1 AS ok" >p/models/stage1/bad.sql
P -c "INSERT INTO t SELECT i, 'later' FROM generate_series(100021, 100030) i"
sl run --resume -c p/snaplake.yml
expect_rc "finished: --resume publishes" 0
expect_grep "finished: … keeping every chunk" "$T/err" "export chunks done, kept"
check "finished: t is of the first snapshot (100020 rows)" test "$(csvq 'SELECT count(*) FROM raw.t')" = 100020
check "finished: the manifest names the first attempt's snapshot" \
    test "$(jq -r .snapshot.snapshot_id "p/lake/_snaplake/runs/$id.json")" = "$snap"
exit $((NFAIL > 0))
