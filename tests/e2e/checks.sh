#!/usr/bin/env bash
# checks.sh — mistakes caught before any work starts, and errors that point
# at the user's own files:
#   (a) `snaplake demo` validates its arguments as `run` does (exit 2);
#   (b) config values naming features not built yet, exit 2 at FILE:LINE:COLUMN;
#   (c) filesystem checks before the snapshot (missing SQLite file, lake that
#       is a file, models folder set but missing, unsafe or empty model files):
#       exit 2, nothing recorded in the run history;
#   (d) a model's SQL error points into the model file, with its line and a caret;
#       a stage-1 model reading stage1.* is told it belongs in stage 2;
#   (e) `snaplake inspect` on folders, non-Parquet and missing files.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/checks.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

# ---- (a) demo arguments --------------------------------------------------------
demo_usage() { # name, expected message fragment, args...
    local name=$1 want=$2
    shift 2
    sl demo --dir "$T/demo-usage" "$@"
    if [ "$RC" -eq 2 ] && grep -qF -- "$want" "$T/err" && [ ! -e "$T/demo-usage" ]; then
        pass "$name"
    else
        fail "$name" "exit $RC (want 2), stderr: $(head -c 400 "$T/err" | tr '\n' '|')" \
            "created $T/demo-usage: $([ -e "$T/demo-usage" ] && echo yes || echo no)"
    fi
}
demo_usage demo-rows-text "--rows must be an integer between 0 and" --rows abc
demo_usage demo-rows-negative "--rows must be an integer between 0 and" --rows -5
demo_usage demo-rows-trailing "got '12x'" --rows 12x
demo_usage demo-jobs-zero "--jobs must be an integer between 1 and 256, got '0'" -j 0
demo_usage demo-jobs-text "--jobs must be an integer between 1 and 256, got 'x'" --jobs x
demo_usage demo-seed-text "--seed must be an integer" --seed x
demo_usage demo-extra-arg "unexpected argument 'more'" more
