#!/usr/bin/env bash
# sqlite_snapshot.sh — the SQLite snapshot is one point in time while a writer
# keeps moving money between accounts (the total never changes), in both
# journal modes: rollback journal (file copy under a SHARED lock) and WAL
# (online backup API).  SNAPLAKE_FAULT=snapshot:slow stretches the file copy
# so that a copy without the lock would be torn by the writer.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

writer() { # db — transfers until stopped; each one its own transaction
    local i=0
    while :; do
        i=$((i + 1))
        sqlite3 -cmd ".timeout 60000" "$1" \
            "BEGIN IMMEDIATE; UPDATE acc SET bal = bal - 7 WHERE id = $((i % 50));
             UPDATE acc SET bal = bal + 7 WHERE id = $(((i * 7 + 3) % 50));
             UPDATE moves SET n = n + 1; COMMIT;" 2>/dev/null
    done
}

for mode in delete wal; do
    mkdir "$mode"
    sqlite3 "$mode/db.sqlite" "PRAGMA journal_mode = $mode;
        CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, pad BLOB);
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
        INSERT INTO acc SELECT i, 1000, randomblob(20000) FROM n;
        CREATE TABLE moves (n INTEGER NOT NULL); INSERT INTO moves VALUES (0);
        CREATE TABLE filler (x BLOB);
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
        INSERT INTO filler SELECT randomblob(1000) FROM n;" >/dev/null
    printf 'source: sqlite://db.sqlite\nlake: ./lake\ntables: { include: [acc] }\nrun: { keep_runs: 10 }\n' \
        >"$mode/snaplake.yml"
    writer "$mode/db.sqlite" &
    wpid=$!
    ok=0
    for run in 1 2 3 4 5; do
        SNAPLAKE_FAULT=snapshot:slow "$SNAPLAKE" export -q -c "$mode/snaplake.yml" 2>>"$T/err.$mode" &&
            [ "$("$SNAPLAKE" query -c "$mode/snaplake.yml" --format csv 'SELECT sum(bal) FROM raw.acc' | tail -1)" = 50000 ] &&
            ok=$((ok + 1))
    done
    kill "$wpid" 2>/dev/null
    wait "$wpid" 2>/dev/null
    # counted, not read off the balances: every 50 transfers each account has
    # lost 7 once and gained 7 once, so balances alone can all be back at 1000
    moved=$(sqlite3 -cmd ".timeout 5000" "$mode/db.sqlite" "SELECT n FROM moves")
    check "$mode: the writer was moving money" test "$moved" -gt 0
    check "$mode: 5 exports, every one with the constant total" test "$ok" = 5
    check "$mode: the source still holds the constant total" \
        test "$(sqlite3 -cmd ".timeout 5000" "$mode/db.sqlite" "SELECT sum(bal) FROM acc")" = 50000
done
