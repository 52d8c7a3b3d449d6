#!/usr/bin/env bash
# run.sh — the whole test suite: unit binaries, then end-to-end scripts.
#
# Every test prints lines "PASS name" / "FAIL name"; this script counts them
# and ends with one line "N passed, N failed" (CI reads it).  A test program
# that crashes or exits non-zero without printing a FAIL, or prints no PASS or
# FAIL line at all, counts as a failure.
# Each program's line ends with its wall time in seconds, to find slow scripts.
#
# Environment: BUILD (build folder, default build), SAN=1 under sanitizers
# (and SNAPLAKE_PIPE=1 unless set).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export SNAPLAKE="$top/$BUILD/snaplake"
export SNAPLAKE_TOP="$top"
export NODE_PATH="$top/.deps/node/node_modules"
# Leaks inside libduckdb's own static state are not ours to fix.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The plain suite takes the export's own choice of writer thread (on this
# 2-core machine with `jobs: 2`, mostly none); the sanitizer suite forces one
# per chunk (export.c use_pipe), so that both ways are run end to end.
if [ "${SAN:-0}" = 1 ]; then
    export SNAPLAKE_PIPE=${SNAPLAKE_PIPE:-1}
fi
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() { # name, command...
    local name=$1
    shift
    local out="$log/$(echo "$name" | tr '/ ' '__').out"
    local start=$SECONDS
    "$@" >"$out" 2>&1
    local rc=$?
    local secs=$((SECONDS - start))
    local p f
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAIL $name (exit $rc)" >>"$out"
    elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        # A script that checked nothing (its server never started, say)
        # must not pass unnoticed.
        f=1
        echo "FAIL $name (no PASS or FAIL line)" >>"$out"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        echo "---- $name: $p passed, $f failed (${secs}s)"
        cat "$out"
    else
        echo "ok   $name: $p passed (${secs}s)"
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    run_one "e2e/$(basename "$t" .sh)" bash "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
