#!/usr/bin/env bash
# cli.sh — command-line mistakes on every command: exit 2, a message that
# names the command and the option, and with --log-json nothing but JSON
# lines on stderr (a cron job's log parser must not meet a usage text).
. "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

alljson() { # file: every line is a JSON object with level "error" and a msg
    python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and o.get("level") == "error" and "msg" in o, line
    n += 1
assert n > 0
' "$1" 2>"$T/json.err"
}

# usage NAME WANT ARGS... — exit 2 with WANT on stderr; the same with --log-json
# gives JSON lines only.
usage() {
    local name=$1 want=$2
    shift 2
    sl "$@"
    expect_rc "$name: exit 2" 2
    expect_grep "$name: message" "$T/err" "$want"
    "$SNAPLAKE" --log-json "$@" >/dev/null 2>"$T/jerr"
    check "$name: JSON only with --log-json" alljson "$T/jerr"
}

usage query-no-sql "query: no SQL given" query
usage query-two-args "query: one SQL argument, got 'SELECT' and '1'" query SELECT 1
usage query-empty "query: the SQL is empty" query "  -- nothing"
usage query-format "query: --format must be table, csv or json, got 'xml'" query --format xml "SELECT 1"
usage query-max-rows "query: --max-rows must be an integer of at least 0, got 'ten'" query -n ten "SELECT 1"
usage query-unknown "query: unknown option '--bogus'" query --bogus "SELECT 1"
usage demo-rows "demo: --rows must be an integer between 0 and 1000000000, got 'abc'" demo --rows abc
usage demo-missing-value "demo: option '-j' needs a value" demo -j
usage demo-extra "demo: unexpected argument 'extra'" demo extra
usage inspect-none "inspect: no file or folder given" inspect
usage inspect-two "inspect: one file or folder, got 'a' and 'b'" inspect a b
usage status-list "status: --list must be an integer between 1 and 1000000, got '0'" status --list=0
usage run-jobs-suffix "run: --jobs must be an integer between 1 and 256, got '4x'" run -j 4x
usage export-jobs-zero "export: --jobs must be an integer between 1 and 256, got '0'" export -j 0
usage run-missing-value "run: option '-c' needs a value" run -c
check "demo made nothing on a usage error" test ! -e snaplake-demo
exit 0
