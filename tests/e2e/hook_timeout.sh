#!/usr/bin/env bash
# hook_timeout.sh — run.timeouts.hook: a hook that hangs (a notifier waiting
# on a dead endpoint) is stopped after its limit with everything it started,
# with a warning that names it; the run's own result stands.  Without a
# limit a hook is waited for as before.  on_deadline_risk (in the
# background) is held to the same limit at the run's end.
source "$(dirname "$0")/../tools/e2e-lib.sh"
export TZ=UTC
P=$T/p
mkdir -p "$P"
sqlite3 "$P/db.sqlite" "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
# The hook starts a child that outlives the shell unless its group is stopped;
# its marker argument tells it apart from any other sleep on the machine.
MARK=$((RANDOM * 32768 + RANDOM + 100000))
cat >"$P/hang.sh" <<EOF2
#!/bin/sh
echo started >>hang.out
echo HANG-LINE
sleep $MARK &
wait
EOF2
chmod +x "$P/hang.sh"
hookcfg() { # on_success, timeouts.hook ("" for none)
    local t=""
    [ -n "$2" ] && t=", timeouts: { hook: $2 }"
    printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { retries: 0, on_success: "%s"%s }\n' "$1" "$t" >"$P/snaplake.yml"
}
still_running() { # the killed child may take a moment to go: up to 5 s
    local i
    for i in $(seq 50); do
        pgrep -f "sleep $MARK" >/dev/null || return 1
        sleep 0.1
    done
}

# ---- a hanging on_success with a limit of 1 s ---------------------------------
hookcfg ./hang.sh 1
start=$(date +%s)
sl run -c "$P/snaplake.yml"
took=$(($(date +%s) - start))
expect_rc "limit: the run's own result stands (exit 0)" 0
expect_grep "limit: the warning names the hook, its command and the key" "$T/err" \
    "hook on_success ('./hang.sh') still running after 1 s (run.timeouts.hook): stopping it"
check "limit: the hook did start" grep -qx started "$P/hang.out"
# SIGTERM at 1 s; the 5 s SIGKILL grace is not needed for sh and sleep.
check "limit: the run ends soon after the limit (took ${took} s)" test "$took" -lt 60
if still_running; then fail "limit: what the hook started is stopped too" "$(pgrep -af "sleep $MARK")"; pkill -f "sleep $MARK"; else pass "limit: what the hook started is stopped too"; fi
check "limit: the run is published" test -s "$P/lake/_snaplake/current"

# ---- a JSON log: the hook's lines are logged, then it is stopped ----------------
sl --log-json run -c "$P/snaplake.yml"
expect_rc "json: exit 0" 0
expect_grep "json: the hook's output is logged as an event" "$T/err" "hook on_success: HANG-LINE"
expect_grep "json: the stop is logged" "$T/err" "run.timeouts.hook"
if still_running; then fail "json: what the hook started is stopped too"; pkill -f "sleep $MARK"; else pass "json: what the hook started is stopped too"; fi
if grep -v '^{' "$T/err" | grep -q .; then fail "json: stderr holds only JSON lines" "$(grep -v '^{' "$T/err" | head -3)"; else pass "json: stderr holds only JSON lines"; fi

# ---- a hook that ends in time is not touched -----------------------------------
hookcfg "echo quick >>quick.out; exit 3" 30
sl run -c "$P/snaplake.yml"
expect_rc "in time: exit 0" 0
check "in time: the hook ran" grep -qx quick "$P/quick.out"
expect_grep "in time: its own exit status is still reported" "$T/err" "exited with status 3"
if grep -q "run.timeouts.hook" "$T/err"; then fail "in time: no stop" "$(cat "$T/err")"; else pass "in time: no stop"; fi

# ---- without a limit the hook is waited for (it ends by itself here) -----------
cat >"$P/slow.sh" <<'EOF2'
#!/bin/sh
sleep 2
echo done >>slow.out
EOF2
chmod +x "$P/slow.sh"
hookcfg ./slow.sh ""
sl run -c "$P/snaplake.yml"
expect_rc "no limit: exit 0" 0
check "no limit: the hook was waited for to its end" grep -qx done "$P/slow.out"

# ---- on_deadline_risk, in the background, is held to the same limit -------------
NINE=1767258000 # 2026-01-01T09:00:00Z
printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { deadline: "10:00", on_deadline_risk: ./hang.sh, timeouts: { hook: 1 } }\n' >"$P/snaplake.yml"
DB=$P/.snaplake/state.db
# A history of 20-minute steps: the prediction passes the deadline at once.
sqlite3 "$DB" "UPDATE steps SET ended_at = started_at + 1200"
rm -f "$P/hang.out"
SNAPLAKE_FAULT=clock:$NINE sl run -c "$P/snaplake.yml"
expect_rc "deadline hook: the run succeeds" 0
check "deadline hook: it started" grep -qx started "$P/hang.out"
expect_grep "deadline hook: stopped at its limit, with a warning" "$T/err" \
    "hook on_deadline_risk ('./hang.sh') still running after 1 s (run.timeouts.hook): stopping it"
if still_running; then fail "deadline hook: what it started is stopped too"; pkill -f "sleep $MARK"; else pass "deadline hook: what it started is stopped too"; fi

# ---- a bad value is an error at its place ----------------------------------------
hookcfg ./hang.sh '"5x"'
sl run -c "$P/snaplake.yml"
expect_rc "bad value: exit 2" 2
expect_grep "bad value: named with its place" "$T/err" "'run.timeouts.hook' must be a duration"
exit $((NFAIL > 0))
