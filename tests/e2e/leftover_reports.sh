#!/usr/bin/env bash
# leftover_reports.sh — a run killed while writing its local HTML report
# leaves .snaplake/reports/<run>.html.tmp; the next run removes it (reports
# are saved under the run lock, so no live run is writing one then).  A run
# that ends holds its lock until its report is saved: a run waiting for the
# lock starts only after.
source "$(dirname "$0")/../tools/e2e-lib.sh"
P=$T/p
mkdir -p "$P/.snaplake/reports"
sqlite3 "$P/db.sqlite" "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
printf 'source: sqlite://db.sqlite\nlake: ./lake\n' >"$P/snaplake.yml"
R=$P/.snaplake/reports
echo partial >"$R/20260101T000000Z-dead.html.tmp"
touch -d '1 hour ago' "$R/20260101T000000Z-dead.html.tmp"
echo keep >"$R/notes.txt"
touch -d '1 hour ago' "$R/notes.txt"
sl -v run -c "$P/snaplake.yml"
expect_rc "the run succeeds" 0
check "an old unfinished report is removed" test ! -e "$R/20260101T000000Z-dead.html.tmp"
expect_grep "its removal is logged (debug)" "$T/err" "removed the unfinished report"
check "other files are left alone" test -e "$R/notes.txt"
check "this (published) run's report is in the lake" test "$(ls "$P"/lake/_snaplake/runs/*.html | wc -l)" = 1
exit $((NFAIL > 0))
