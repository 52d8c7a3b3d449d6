#!/usr/bin/env bash
# deadline.sh — run.deadline and on_deadline_risk: the finish predicted from
# the step times of earlier published runs; the hook fires once, with the
# deadline and the prediction in its environment, only when the prediction
# passes the deadline; no history, no prediction; `status` shows it.  The
# clock is the test's (SNAPLAKE_FAULT=clock:<unix seconds>), in UTC.
source "$(dirname "$0")/../tools/e2e-lib.sh"
export TZ=UTC
P=$T/p
mkdir -p "$P"
sqlite3 "$P/db.sqlite" "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1), (2);"
cat >"$P/late.sh" <<'EOF'
#!/bin/sh
env | grep -E '^SNAPLAKE_(RUN_ID|DEADLINE|PREDICTED_END|STATUS)=' | sort >>late.out
echo --- >>late.out
EOF
chmod +x "$P/late.sh"
cfg() { # deadline
    printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { deadline: "%s", on_deadline_risk: ./late.sh }\n' \
        "$1" >"$P/snaplake.yml"
}
NINE=1767258000         # 2026-01-01T09:00:00Z
ELEVEN_PM=1767308400    # 2026-01-01T23:00:00Z
DB=$P/.snaplake/state.db

# ---- no history: no prediction, no hook, one debug line -----------------------
cfg 10:00
SNAPLAKE_FAULT=clock:$NINE sl -v run -c "$P/snaplake.yml"
expect_rc "no history: the run succeeds" 0
expect_grep "no history: a debug line says there is no prediction" "$T/err" "no earlier published run with step times, no prediction"
check "no history: no hook" test ! -e "$P/late.out"
if grep -q "snaplake: warning" "$T/err"; then fail "no history: no warning" "$(cat "$T/err")"; else pass "no history: no warning"; fi
check "no history: every step recorded" test "$(sqlite3 "$DB" "SELECT count(*) FROM steps")" = 7
sl status -c "$P/snaplake.yml"
check "no history: status shows the deadline, ended before it" grep -q "^deadline  .*: ended .*, [0-9]* min before the deadline" "$T/out"

# ---- a history of short runs: comfortably before the deadline ------------------
SNAPLAKE_FAULT=clock:$NINE sl -v run -c "$P/snaplake.yml"
expect_rc "in time: the run succeeds" 0
expect_grep "in time: a prediction is made" "$T/err" "predicted end 2026-01-01T09:00"
check "in time: no hook" test ! -e "$P/late.out"
if grep -q "snaplake: warning" "$T/err"; then fail "in time: no warning" "$(cat "$T/err")"; else pass "in time: no warning"; fi

# ---- the history says 20 minutes a step: 7 steps end at 11:20 ------------------
sqlite3 "$DB" "UPDATE steps SET ended_at = started_at + 1200"
SNAPLAKE_FAULT=clock:$NINE sl run -c "$P/snaplake.yml"
expect_rc "at risk: the run still succeeds" 0
run=$(sqlite3 "$DB" "SELECT max(run_id) FROM runs")
expect_grep "at risk: one warning line" "$T/err" "snaplake: warning: run $run predicted to finish at 11:20, after the deadline 10:00"
check "at risk: exactly one warning" test "$(grep -c 'after the deadline' "$T/err")" = 1
check "at risk: the hook ran exactly once" test "$(grep -c -- --- "$P/late.out" 2>/dev/null)" = 1
check "at risk: SNAPLAKE_RUN_ID" grep -qx "SNAPLAKE_RUN_ID=$run" "$P/late.out"
check "at risk: SNAPLAKE_STATUS=running" grep -qx "SNAPLAKE_STATUS=running" "$P/late.out"
check "at risk: SNAPLAKE_DEADLINE (ISO)" grep -qx "SNAPLAKE_DEADLINE=2026-01-01T10:00:00+00:00" "$P/late.out"
check "at risk: SNAPLAKE_PREDICTED_END (ISO)" grep -qx "SNAPLAKE_PREDICTED_END=2026-01-01T11:20:0[0-9]+00:00" "$P/late.out"
check "at risk: the deadline recorded an hour after the start" \
    test "$(sqlite3 "$DB" "SELECT round(deadline_at - started_at) BETWEEN 3590 AND 3600 FROM runs WHERE run_id = '$run'")" = 1
# The run as `status` sees it while it goes (its end not recorded yet, and
# its prediction past the deadline).
sqlite3 "$DB" "UPDATE runs SET state = 'running', ended_at = NULL, predicted_end = deadline_at + 1200 WHERE run_id = '$run'"
sl status -c "$P/snaplake.yml"
check "at risk: status shows the prediction after the deadline" grep -q "^deadline  .*: predicted end .*, after the deadline" "$T/out"
sqlite3 "$DB" "UPDATE runs SET state = 'done', ended_at = started_at + 5 WHERE run_id = '$run'"

# ---- 23:00 with a deadline of 06:00 aims at the next morning -------------------
rm -f "$P/late.out"
cfg 06:00
SNAPLAKE_FAULT=clock:$ELEVEN_PM sl -v run -c "$P/snaplake.yml"
expect_rc "next morning: the run succeeds" 0
expect_grep "next morning: the deadline is tomorrow's 06:00" "$T/err" "deadline 2026-01-02T06:00:00+00:00"
check "next morning: no hook (01:20 is before 06:00)" test ! -e "$P/late.out"

# ---- a deadline with a UTC offset ---------------------------------------------
cfg "10:30+02:00"
SNAPLAKE_FAULT=clock:$NINE sl -v run -c "$P/snaplake.yml"
expect_rc "offset: the run succeeds" 0
expect_grep "offset: 10:30+02:00 is 08:30 UTC, the next one tomorrow" "$T/err" "deadline 2026-01-02T08:30:00+00:00"

exit $((NFAIL > 0))
