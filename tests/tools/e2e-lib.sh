# e2e-lib.sh — sourced by tests/e2e/*.sh (not a test itself).
#
# Sets SNAPLAKE, SNAPLAKE_TOP, NODE_PATH when run alone, makes a temporary
# folder $T removed on exit, and offers small check helpers that print the
# runner's "PASS name" / "FAIL name" lines (details indented under a FAIL).
set -u
: "${SNAPLAKE_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SNAPLAKE:=$SNAPLAKE_TOP/build/snaplake}"
: "${NODE_PATH:=$SNAPLAKE_TOP/.deps/node/node_modules}"
export SNAPLAKE SNAPLAKE_TOP NODE_PATH
TOOLS=$SNAPLAKE_TOP/tests/tools
SUITE=${SUITE:-$(basename "$0" .sh)}
T=$(mktemp -d "${TMPDIR:-/tmp}/snaplake-e2e-$SUITE.XXXXXX")
trap 'rm -rf "$T"' EXIT
NFAIL=0

pass() { echo "PASS $SUITE/$1"; }
fail() { # name, detail lines...
    local n=$1
    shift
    NFAIL=$((NFAIL + 1))
    echo "FAIL $SUITE/$n"
    local l
    for l in "$@"; do printf '    %s\n' "$l"; done
}

# check NAME COMMAND... — PASS when the command succeeds.
check() {
    local n=$1
    shift
    if "$@"; then pass "$n"; else fail "$n" "failed: $*"; fi
}

# sl ARGS... — run snaplake, stdout in $T/out, stderr in $T/err, status in $RC.
sl() {
    "$SNAPLAKE" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# expect_rc NAME CODE — after sl: PASS when $RC is CODE.
expect_rc() {
    if [ "$RC" -eq "$2" ]; then
        pass "$1"
    else
        fail "$1" "exit $RC, expected $2" "stderr: $(tail -c 600 "$T/err" | tr '\n' '|')" \
            "stdout: $(tail -c 300 "$T/out" | tr '\n' '|')"
    fi
}

# expect_grep NAME FILE FIXED-STRING — PASS when FILE contains the string.
expect_grep() {
    if grep -qF -- "$3" "$2"; then
        pass "$1"
    else
        fail "$1" "no '$3' in $(basename "$2"): $(head -c 600 "$2" | tr '\n' '|')"
    fi
}

# compare NAME-PREFIX ARGS... — tests/tools/compare.mjs; its PASS/FAIL lines
# are prefixed with the suite.
compare() {
    local label=$1
    shift
    node "$TOOLS/compare.mjs" --label "$SUITE/$label" "$@" 2>&1
    local rc=$?
    [ "$rc" -le 1 ] || fail "$label" "compare.mjs exited $rc"
}

# q CFG SQL — a query's JSON result on stdout (empty on error).
q() {
    "$SNAPLAKE" query -c "$1" --format json "$2" 2>"$T/qerr"
}

# A config file: write_cfg FILE LINE...
write_cfg() {
    local f=$1
    shift
    printf '%s\n' "$@" >"$f"
}
