#!/usr/bin/env bash
# sqlite_wait_full.sh — a SQLite source that is busy, and disks that are full
# (issue 9, items 11 and 21):
#   (a) a writer holding BEGIN EXCLUSIVE for a few seconds: the snapshot says
#       it waits, then proceeds when the lock is released;
#   (b) a full .snaplake/tmp (a 1 MiB tmpfs) while copying the snapshot, in
#       both journal modes: "No space left on device", naming the folder, not
#       the source;
#   (c) a full lake while writing Parquet: permanent, not retried;
#   (d) a full lake at publish: DuckDB's message without its C++ stack trace.
# (b)–(d) mount small tmpfs filesystems and need root; elsewhere they are
# skipped with a line.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/sqlite_wait_full.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

MOUNTS=()
cleanup() {
    local m
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

project() { # dir lake
    mkdir -p "$1"
    write_cfg "$1/snaplake.yml" "source: sqlite://src.db" "lake: $2" "jobs: 2" "run: { retries: 3 }"
}

# ---- (a) a writer holds the database -----------------------------------------------
A=$T/busy
project "$A" ./lake
sqlite3 "$A/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b');"
# The writer: takes the EXCLUSIVE lock, says so (a file), keeps it until the
# run says it waits (at most 60 s), then 1 s more: a fixed hold would be
# over before a slow start (a loaded machine, sanitizers) reached the wait.
sqlite3 "$A/src.db" "BEGIN EXCLUSIVE; INSERT INTO t (v) VALUES ('c');" ".shell touch $T/locked" \
    ".shell for i in \$(seq 1200); do grep -qs 'waiting for a writer' $T/err && break; sleep 0.05; done; sleep 1" \
    "COMMIT;" >"$T/writer.out" 2>&1 &
writer=$!
for _ in $(seq 1200); do [ -e "$T/locked" ] && break; sleep 0.05; done
start=$(date +%s)
sl run -c "$A/snaplake.yml"
took=$(($(date +%s) - start))
wait "$writer"
expect_rc busy-run-succeeds 0
expect_grep busy-says-it-waits "$T/err" "waiting for a writer to release $A/src.db (busy for 2 s)"
check "busy: waited for the writer (${took} s)" test "$took" -ge 3
check "busy: the snapshot holds the writer's row" \
    test "$(q "$A/snaplake.yml" 'SELECT count(*) AS n FROM raw.t')" = '[{"n":3}]'

# ---- full disks -----------------------------------------------------------------------
tmpfs() { # dir size — a small filesystem, unmounted on exit
    mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null && MOUNTS+=("$1")
}
if ! tmpfs "$T/probe" 64k; then
    echo "sqlite_wait_full: cannot mount tmpfs (not root?): disk-full cases skipped"
    exit $((NFAIL > 0))
fi

# A 3 MB database of incompressible blobs.
make_db() { # path journal-mode
    sqlite3 "$1" "PRAGMA journal_mode = $2; CREATE TABLE t (x BLOB);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
        INSERT INTO t SELECT randomblob(10000) FROM n;" >/dev/null
}

# (b) the snapshot copy into a full .snaplake/tmp
for mode in delete wal; do
    B=$T/tmp-$mode
    project "$B" ./lake
    make_db "$B/src.db" "$mode"
    tmpfs "$B/disk" 1m
    mkdir -p "$B/.snaplake" "$B/disk/tmp"
    ln -s "$B/disk/tmp" "$B/.snaplake/tmp"
    sl run -c "$B/snaplake.yml"
    expect_rc "tmp-full-$mode-fails" 1
    expect_grep "tmp-full-$mode-says-no-space" "$T/err" "No space left on device while writing the snapshot copy"
    expect_grep "tmp-full-$mode-names-folder" "$T/err" "snaplake: error: source: $B/.snaplake/tmp/"
    if grep -q "database or disk is full" "$T/err"; then
        fail "tmp-full-$mode-not-sqlite-words" "$(cat "$T/err")"
    else
        pass "tmp-full-$mode-not-sqlite-words"
    fi
done

# (c) Parquet into a full lake: one attempt, no retries
C=$T/lake-full
project "$C" ./disk/lake
make_db "$C/src.db" delete
tmpfs "$C/disk" 1m
sl run -c "$C/snaplake.yml"
expect_rc lake-full-fails 1
expect_grep lake-full-says-no-space "$T/err" "write failed: No space left on device"
if grep -q retrying "$T/err"; then fail lake-full-not-retried "$(cat "$T/err")"; else pass lake-full-not-retried; fi

# (d) the catalog into a full lake: the Parquet fits, the catalog does not
D=$T/publish-full
project "$D" ./disk/lake
sqlite3 "$D/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);"
tmpfs "$D/disk" 200k
sl run -c "$D/snaplake.yml"
expect_rc publish-full-fails 1
expect_grep publish-full-says-no-space "$T/err" "No space left on device"
if grep -qE "Stack Trace|libduckdb" "$T/err"; then
    fail publish-full-no-stack-trace "$(head -c 600 "$T/err")"
else
    pass publish-full-no-stack-trace
fi
check "publish-full: two error lines (error, run failed)" test "$(grep -c 'snaplake: error:' "$T/err")" -le 2

exit $((NFAIL > 0))
