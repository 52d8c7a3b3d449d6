#!/usr/bin/env bash
# resume_snapshots.sh — the manifest records each table's snapshot, and
# `snaplake status` shows a mix (docs/resume.md): a PostgreSQL run resumed
# with --allow-mixed-snapshots keeps the chunks of the first attempt's
# snapshot and exports the rest in a new one; the manifest says
# mixed_snapshots, gives each raw dataset its snapshot (or snapshots, with
# each file's), and the state records each chunk's (tasks.snapshot).  A run
# of one snapshot — SQLite's resume from its kept copy too — is not mixed.
# Starts a throwaway PostgreSQL 15 (scripts/pg_test_server.sh), stopped on exit.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
man() { jq -r "$2" "$1/lake/_snaplake/runs/$(cat "$1/lake/_snaplake/current").json"; }

# ---- SQLite: resumed from the kept copy, one snapshot ---------------------------
mkdir s
sqlite3 s/db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);
    CREATE TABLE u (a TEXT); INSERT INTO u VALUES ('x');"
write_cfg s/snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 1' 'run: { retries: 0 }'
SNAPLAKE_FAULT=export:u:1 "$SNAPLAKE" run -q -c s/snaplake.yml 2>/dev/null
check "sqlite: the first attempt fails on u" test $? = 1
sleep 1 # a resume a second later: the same snapshot all the same
sl run --resume -c s/snaplake.yml
expect_rc "sqlite: --resume publishes" 0
check "sqlite: not mixed" test "$(man s .mixed_snapshots)" = false
check "sqlite: t and u name the same snapshot" \
    test "$(man s '[.datasets[] | select(.layer == "raw") | .snapshot.taken_at] | unique | length')" = 1
check "sqlite: … with the time it was taken" \
    test "$(man s '.datasets[0].snapshot.taken_at' | cut -c1-2)" = 20
check "sqlite: models carry no snapshot" \
    test "$(man s '[.datasets[] | select(.layer != "raw") | has("snapshot")] | any')" = false

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "resume_snapshots.sh: PostgreSQL 15 binaries not found; its cases skipped"
    exit $((NFAIL > 0))
fi
chmod 755 "$T"
PGTEST_DIR=
trap '[ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"; rm -rf "$T"' EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || { fail "server starts"; exit 1; }
URL=postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
P() { psql -XAtq -v ON_ERROR_STOP=1 "$URL" "$@"; }
st() { sqlite3 p/.snaplake/state.db "$1"; }
last() { st "SELECT max(run_id) FROM runs"; }
P -c "CREATE TABLE t (i bigint PRIMARY KEY, s text);
      INSERT INTO t SELECT i, repeat('x', 40) FROM generate_series(1, 100000) i;
      CREATE TABLE u (a text); INSERT INTO u VALUES ('one'); ANALYZE;"
mkdir p
write_cfg p/snaplake.yml "source: \"$URL\"" 'lake: ./lake' 'jobs: 1' 'run: { retries: 0 }'
export SNAPLAKE_PG_CHUNK_BYTES=2000000 # t in several chunks

# ---- one snapshot: every table names it ------------------------------------------
sl run -q -c p/snaplake.yml
expect_rc "one: publishes" 0
check "one: not mixed" test "$(man p .mixed_snapshots)" = false
snap=$(man p .snapshot.snapshot_id)
check "one: t and u name the run's snapshot" \
    test "$(man p '[.datasets[] | select(.layer == "raw") | .snapshot.snapshot_id] | unique | join(",")')" = "$snap"
last_part=$(st "SELECT max(chunk_index) FROM tasks WHERE run_id = '$(last)' AND dataset = 't'")
check "one: t has several chunks" test "$last_part" -ge 2
sl status -c p/snaplake.yml
check "one: status shows no mix" sh -c "! grep -q 'mixed snapshots' '$T/out'"

# ---- mixed: t's last chunk and u fail, the rest of t is kept ---------------------
# jobs: 1 exports the largest chunks first: t's last (smallest) part fails
# after the others are done, and the run stops before u.
SNAPLAKE_FAULT="export:t/$last_part:1" "$SNAPLAKE" run -q -c p/snaplake.yml 2>/dev/null
check "mixed: the first attempt fails" test $? = 1
id=$(last)
first=$(st "SELECT json_extract(snapshot, '$.snapshot_id') FROM runs WHERE run_id = '$id'")
kept=$(st "SELECT count(*) FROM tasks WHERE run_id = '$id' AND dataset = 't' AND state = 'done'")
check "mixed: t's other chunks were done" test "$kept" = "$last_part"
check "mixed: the state records their snapshot" \
    test "$(st "SELECT DISTINCT json_extract(snapshot, '$.snapshot_id') FROM tasks WHERE run_id = '$id' AND dataset = 't' AND state = 'done'")" = "$first"
P -c "INSERT INTO u VALUES ('two')"
sl run --resume --allow-mixed-snapshots -c p/snaplake.yml
expect_rc "mixed: --resume publishes" 0
M="p/lake/_snaplake/runs/$id.json"
check "mixed: the manifest says mixed_snapshots" test "$(jq .mixed_snapshots "$M")" = true
check "mixed: the run's snapshot stays the first attempt's" test "$(jq -r .snapshot.snapshot_id "$M")" = "$first"
tq() { jq -r ".datasets[] | select(.name == \"t\") | $1" "$M"; }
check "mixed: t lists two snapshots" test "$(tq '.snapshots | length')" = 2
check "mixed: … the first attempt's first" test "$(tq '.snapshots[0].snapshot_id')" = "$first"
second=$(tq '.snapshots[1].snapshot_id')
check "mixed: … and a new one" test -n "$second" -a "$second" != "$first"
check "mixed: t's kept files point at the first, its last part at the new" \
    test "$(tq '[.files[] | .snapshot] | map(tostring) | join(",")')" = "$(printf '0,%.0s' $(seq "$last_part"))1"
check "mixed: u (exported on resume) names the new snapshot" \
    test "$(jq -r '.datasets[] | select(.name == "u") | .snapshot.snapshot_id' "$M")" = "$second"
check "mixed: u has the row added after the first attempt" \
    test "$(jq '.datasets[] | select(.name == "u") | .rows' "$M")" = 2
sl status -c p/snaplake.yml "$id"
expect_rc "mixed: status exits 0" 0
expect_grep "mixed: status names the first snapshot's tables" "$T/out" "snapshot $first taken"
expect_grep "mixed: … and their parts" "$T/out" "t ($last_part parts) (mixed snapshots)"
expect_grep "mixed: … and the new one's" "$T/out" "t (1 part), u (1 part) (mixed snapshots)"
exit $((NFAIL > 0))
