#!/usr/bin/env bash
# hooks.sh — on_success / on_failure as cron runs them: in the config file's
# folder whatever the working folder, with the run's id, status, error and
# failed task in their environment, and their own exit status (or signal) in
# the log.
source "$(dirname "$0")/../tools/e2e-lib.sh"
P=$T/p
mkdir -p "$P"
sqlite3 "$P/db.sqlite" "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1);"
cat >"$P/notify.sh" <<'SH'
#!/bin/sh
{
    echo "pwd=$(pwd)"
    echo "status=$SNAPLAKE_STATUS"
    echo "run=$SNAPLAKE_RUN_ID"
    echo "task=$SNAPLAKE_FAILED_TASK"
    echo "error=$SNAPLAKE_ERROR"
    echo "inherited=$HOOKS_TEST_VAR"
    env | grep -c '^SNAPLAKE_STATUS=' | sed 's/^/nstatus=/'
} >>hook.out
SH
chmod +x "$P/notify.sh"
hookcfg() { # on_success, on_failure
    printf 'source: sqlite://db.sqlite\nlake: ./lake\nrun: { retries: 0, on_success: "%s", on_failure: "%s" }\n' \
        "$1" "$2" >"$P/snaplake.yml"
}

# ---- ./notify.sh from another working folder (as cron runs it) ----------------
hookcfg ./notify.sh ./notify.sh
(cd / && HOOKS_TEST_VAR=kept SNAPLAKE_STATUS=stale "$SNAPLAKE" run -c "$P/snaplake.yml" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "relative hook: run exits 0" 0
run=$(cat "$P/lake/_snaplake/current")
check "relative hook: ran in the config file's folder" grep -qx "pwd=$P" "$P/hook.out"
check "relative hook: SNAPLAKE_STATUS done" grep -qx "status=done" "$P/hook.out"
check "relative hook: SNAPLAKE_RUN_ID" grep -qx "run=$run" "$P/hook.out"
check "relative hook: SNAPLAKE_FAILED_TASK empty on success" grep -qx "task=" "$P/hook.out"
check "relative hook: SNAPLAKE_ERROR empty on success" grep -qx "error=" "$P/hook.out"
check "relative hook: the rest of the environment is passed on" grep -qx "inherited=kept" "$P/hook.out"
check "relative hook: an inherited SNAPLAKE_STATUS is replaced, not doubled" grep -qx "nstatus=1" "$P/hook.out"
if grep -q "snaplake: warning" "$T/err"; then fail "relative hook: no warning for a hook that succeeded" "$(cat "$T/err")"; else pass "relative hook: no warning for a hook that succeeded"; fi

# ---- a failed run: the error and the failed task ----------------------------------
rm -f "$P/hook.out"
sqlite3 "$P/db.sqlite" "INSERT INTO t VALUES ('not a number');"
(cd / && "$SNAPLAKE" run -c "$P/snaplake.yml" >"$T/out" 2>"$T/err")
RC=$?
expect_rc "failed run: exits 1" 1
check "failed run: SNAPLAKE_STATUS failed" grep -qx "status=failed" "$P/hook.out"
check "failed run: SNAPLAKE_FAILED_TASK names the task" grep -qx "task=export/t/0" "$P/hook.out"
check "failed run: SNAPLAKE_ERROR holds the error text" grep -q "^error=.*not an integer" "$P/hook.out"
sqlite3 "$P/db.sqlite" "DELETE FROM t WHERE typeof(i) = 'text';"

# ---- the hook's own exit status ------------------------------------------------
hookcfg "exit 3" "exit 4"
sl run -c "$P/snaplake.yml"
expect_rc "exit 3: the run still succeeds" 0
expect_grep "exit 3: logged as status 3 (not 768)" "$T/err" "exited with status 3"
if grep -q 768 "$T/err"; then fail "exit 3: no raw wait status" "$(cat "$T/err")"; else pass "exit 3: no raw wait status"; fi

hookcfg "no-such-command-snaplake-test" ""
sl run -c "$P/snaplake.yml"
expect_rc "missing command: the run still succeeds" 0
expect_grep "missing command: status 127" "$T/err" "exited with status 127: command not found"
expect_grep "missing command: names the folder it ran in" "$T/err" "in $P"

hookcfg 'kill -TERM $$' ""
sl run -c "$P/snaplake.yml"
expect_rc "signal: the run still succeeds" 0
expect_grep "signal: the signal is named" "$T/err" "signal 15 (Terminated)"

# ---- the hook's output comes after the run's lines in a shared log ----------------
hookcfg "echo HOOK-LINE" ""
"$SNAPLAKE" run -c "$P/snaplake.yml" >"$T/log" 2>&1
last=$(tail -n 1 "$T/log")
check "order: the hook's output is last in a shared log" test "$last" = "HOOK-LINE"

exit $((NFAIL > 0))
