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

# A fresh project: its own folder, a SQLite database, a config (lines as args).
project() { # dir, config lines...
    local d=$1
    shift
    mkdir -p "$d"
    sqlite3 "$d/src.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b');"
    write_cfg "$d/snaplake.yml" "$@"
}

# refused NAME DIR OBJECT MESSAGE [COMMAND] — `snaplake run` (or COMMAND) on DIR's
# config exits 2 with "config: OBJECT: …MESSAGE…", and leaves no run history.
refused() {
    local name=$1 d=$2 object=$3 msg=$4 cmd=${5:-run}
    sl "$cmd" -q -c "$d/snaplake.yml"
    local line
    line=$(grep -F "snaplake: error: config: $object: " "$T/err" | head -1)
    if [ "$RC" -eq 2 ] && [ -n "$line" ] && grep -qF -- "$msg" "$T/err" && [ ! -e "$d/.snaplake/state.db" ]; then
        pass "$name"
    else
        fail "$name" "exit $RC (want 2); want 'config: $object: …$msg…'" \
            "stderr: $(head -c 600 "$T/err" | tr '\n' '|')" \
            "state.db: $([ -e "$d/.snaplake/state.db" ] && echo "written (a run was recorded)" || echo none)"
    fi
}

# ---- (b) features not built yet: refused where they are written ----------------
B=$T/b
for v in "catalog: hive"; do # engines: tests/e2e/athena.sh, trino.sh
    d=$B/${v#*: }
    project "$d" "source: sqlite://src.db" "lake: ./lake" "$v"
    key=${v%%:*}
    col=$((${#key} + 3))
    refused "not-built-${v#*: }" "$d" "$d/snaplake.yml:3:$col" "'$v' is not built yet"
done
# glue is built: its required option is refused at the choice when missing.
project "$B/glue" "source: sqlite://src.db" "lake: ./lake" "catalog: glue"
refused glue-needs-database "$B/glue" "$B/glue/snaplake.yml:3:10" "'catalog: glue' needs 'glue.database'"
project "$B/export" "source: sqlite://src.db" "lake: ./lake" "catalog: hive"
refused not-built-export "$B/export" "$B/export/snaplake.yml:3:10" "'catalog: hive' is not built yet" export

# ---- (c) the filesystem, before the snapshot -------------------------------------
C=$T/c
project "$C/nodb" "source: sqlite://shop.db" "lake: ./lake"
refused sqlite-missing "$C/nodb" "$C/nodb/snaplake.yml:1:9" "the SQLite database $C/nodb/shop.db does not exist"
refused sqlite-missing-export "$C/nodb" "$C/nodb/snaplake.yml:1:9" "does not exist" export
project "$C/dirdb" "lake: ./lake" "source: sqlite:///$C/dirdb"
refused sqlite-folder "$C/dirdb" "$C/dirdb/snaplake.yml:2:9" "is a folder, not a database file"
project "$C/notdb" "source: sqlite://snaplake.yml" "lake: ./lake"
refused sqlite-not-a-database "$C/notdb" "$C/notdb/snaplake.yml:1:9" "is not a SQLite database"

project "$C/lakefile" "source: sqlite://src.db" "lake: ./lake.txt"
echo "not a folder" >"$C/lakefile/lake.txt"
refused lake-is-file "$C/lakefile" "$C/lakefile/snaplake.yml:2:7" "the lake $C/lakefile/lake.txt is a file, not a folder"
project "$C/lakeunder" "source: sqlite://src.db" "lake: ./snaplake.yml/lake"
refused lake-under-file "$C/lakeunder" "$C/lakeunder/snaplake.yml:2:7" "cannot be created: $C/lakeunder/snaplake.yml is a file"

project "$C/models" "source: sqlite://src.db" "lake: ./lake" "models: ./modles"
mkdir -p "$C/models/models/stage1"
echo "SELECT * FROM raw.t" >"$C/models/models/stage1/m.sql"
refused models-missing "$C/models" "$C/models/snaplake.yml:3:9" "the models folder $C/models/modles does not exist"
# `export` runs no models: a wrong models folder is not its business.
sl export -q -c "$C/models/snaplake.yml"
expect_rc models-missing-export-runs 0
# The default ./models may be missing: no stage models, the run publishes raw.*.
project "$C/nomodels" "source: sqlite://src.db" "lake: ./lake"
sl run -q -c "$C/nomodels/snaplake.yml"
expect_rc models-default-missing-ok 0

unsafe() { # name, stage, file, safe name
    local d=$C/unsafe-$1
    project "$d" "source: sqlite://src.db" "lake: ./lake"
    mkdir -p "$d/models/stage1" "$d/models/stage2"
    echo "SELECT * FROM raw.t" >"$d/models/stage1/ok.sql"
    echo "SELECT 1 AS one" >"$d/models/$2/$3"
    refused "model-name-$1" "$d" "$d/models/$2/$3" "rename it to $4.sql"
}
unsafe space stage2 "My Model.sql" my_model
unsafe dash stage1 "a-b.sql" a_b
unsafe digit stage2 "2024_sales.sql" m_2024_sales
unsafe upper stage1 "Sales.sql" sales

empty() { # name, contents (printf format)
    local d=$C/empty-$1
    project "$d" "source: sqlite://src.db" "lake: ./lake"
    mkdir -p "$d/models/stage1" "$d/models/stage2"
    echo "SELECT * FROM raw.t" >"$d/models/stage1/ok.sql"
    printf -- "$2" >"$d/models/stage2/nothing.sql"
    refused "model-empty-$1" "$d" "$d/models/stage2/nothing.sql" "the model file is empty"
}
empty zero-bytes ''
empty blanks '  \n\t\n;\n'
empty comments '-- a model to come\n/* one day /* nested */ */ ;\n'
# A comment-only model next to a real one is not confused with it.
d=$C/notempty
project "$d" "source: sqlite://src.db" "lake: ./lake"
mkdir -p "$d/models/stage1"
printf -- '-- the ids\nSELECT id FROM raw.t -- all of them\n' >"$d/models/stage1/ids.sql"
sl run -q -c "$d/snaplake.yml"
expect_rc model-with-comments-runs 0

d=$C/stray
project "$d" "source: sqlite://src.db" "lake: ./lake"
mkdir -p "$d/models/stage1"
echo "SELECT 1 AS one" >"$d/models/one.sql"
refused model-outside-stage "$d" "$d/models/one.sql" "is never run; move it into $d/models/stage1/"

# ---- (d) a model's SQL error points into the model file --------------------------
# model_fails NAME STAGE FILE-CONTENTS(printf format): a fresh project whose only
# model fails; stderr in $T/err.
model_fails() {
    local d=$T/d/$1
    project "$d" "source: sqlite://src.db" "lake: ./lake"
    mkdir -p "$d/models/stage1" "$d/models/stage2"
    printf -- "$3" >"$d/models/$2/m.sql"
    sl run -q -c "$d/snaplake.yml"
    M=$d/models/$2/m.sql
}
# no_wrapper NAME: the message shows none of snaplake's own statement.
no_wrapper() {
    if grep -qE 'COPY \(|\.snaplake/tmp|LINE [0-9]+:' "$T/err"; then
        fail "$1" "$(head -c 600 "$T/err" | tr '\n' '|')"
    else
        pass "$1"
    fi
}
model_fails binder stage2 '-- monthly totals\nSELECT id,\n       v || nosuch AS w\nFROM raw.t;\n'
expect_rc model-error-exit 1
expect_grep model-error-file-line-column "$T/err" "snaplake: error: model: $M:3:13: Binder Error: Referenced column \"nosuch\" not found"
expect_grep model-error-shows-line "$T/err" "    3 |        v || nosuch AS w"
expect_grep model-error-caret "$T/err" "      | $(printf '%12s' '')^"
no_wrapper model-error-no-wrapper

model_fails first-line stage1 'SELEC id FROM raw.t'
expect_grep model-error-first-line-column "$T/err" "$M:1:1: Parser Error: syntax error at or near \"SELEC\""
no_wrapper model-error-first-line-no-wrapper

model_fails utf8 stage1 "SELECT 'é', 'ü', nosuch FROM raw.t"
expect_grep model-error-column-in-characters "$T/err" "$M:1:18: Binder Error"

model_fails incomplete stage1 'SELECT id\nFROM raw.t\nWHERE id =\n\n'
expect_grep model-error-incomplete "$T/err" "$M:3:11: Parser Error: syntax error at the end of the model"
no_wrapper model-error-incomplete-no-wrapper

model_fails two-statements stage1 'SELECT 1 AS a; SELECT 2 AS b'
expect_grep model-error-two-statements "$T/err" "$M:1:14: Parser Error"
expect_grep model-error-two-statements-hint "$T/err" "A model file holds one SELECT"

model_fails stage1-reads-stage1 stage1 '-- needs the other model\nSELECT * FROM stage1.customers\n'
expect_grep stage1-model-reads-stage1-place "$T/err" "$M:2:15: Catalog Error: Table with name customers does not exist"
expect_grep stage1-model-reads-stage1-hint "$T/err" "No stage-1 model is named customers (models/stage1/customers.sql)."
if grep -q 'information_schema' "$T/err"; then fail stage1-model-no-system-table-guess "$(head -c 400 "$T/err")"; else pass stage1-model-no-system-table-guess; fi

# ---- (e) snaplake inspect ---------------------------------------------------------
E=$T/e
project "$E" "source: sqlite://src.db" "lake: ./lake"
sqlite3 "$E/src.db" "CREATE TABLE u(k INTEGER PRIMARY KEY, s TEXT, d DECIMAL(10,2)); INSERT INTO u(s, d) VALUES ('x', 1.5);"
sl run -q -c "$E/snaplake.yml"
expect_rc inspect-setup-run 0
RUN=$(cat "$E/lake/_snaplake/current" 2>/dev/null | tr -d '\n')
# no_sql NAME: no SQL of snaplake's own in the output.
no_sql() {
    if grep -qiE 'SELECT|parquet_(file_)?metadata|parquet_schema|LINE [0-9]' "$T/err" "$T/out"; then
        fail "$1" "$(head -c 600 "$T/err" | tr '\n' '|')"
    else
        pass "$1"
    fi
}
sl inspect "$E/lake/raw/"
files=$(sed -n 's/^file \(.*\) ([0-9]* bytes)$/\1/p' "$T/out" | tr '\n' ' ')
want="$E/lake/raw/t/run=$RUN/part-0.parquet $E/lake/raw/u/run=$RUN/part-0.parquet "
if [ "$RC" -eq 0 ] && [ "$files" = "$want" ]; then pass inspect-dir-every-file-sorted; else fail inspect-dir-every-file-sorted "exit $RC, files: $files" "want: $want" "$(head -c 300 "$T/err")"; fi
expect_grep inspect-dir-count "$T/out" "2 Parquet files under $E/lake/raw"
expect_grep inspect-int-width "$T/out" "INT(64, signed)"
expect_grep inspect-decimal "$T/out" "DECIMAL(10, 2)"
expect_grep inspect-string "$T/out" "| STRING "
if grep -qE 'IntType|bitWidth|StringType' "$T/out"; then fail inspect-no-thrift-names "$(grep -E 'IntType|bitWidth|StringType' "$T/out" | head -3)"; else pass inspect-no-thrift-names; fi

sl inspect "$E/snaplake.yml"
expect_rc inspect-not-parquet-exit 1
expect_grep inspect-not-parquet-message "$T/err" "snaplake: error: inspect: $E/snaplake.yml: not a Parquet file"
no_sql inspect-not-parquet-no-sql
sl inspect "$E/nothing.parquet"
expect_rc inspect-missing-exit 2
expect_grep inspect-missing-message "$T/err" "snaplake: error: inspect: $E/nothing.parquet: no such file or folder"
mkdir -p "$E/empty/sub"
sl inspect "$E/empty"
expect_rc inspect-dir-without-parquet-exit 1
expect_grep inspect-dir-without-parquet-message "$T/err" "$E/empty: no .parquet files in this folder or below"
no_sql inspect-dir-without-parquet-no-sql
# A file with the magic bytes and a broken footer: DuckDB's complaint, without our SQL.
mkdir -p "$E/mixed"
cp "$E/lake/raw/t/run=$RUN/part-0.parquet" "$E/mixed/a.parquet"
printf 'PAR1garbage-that-is-no-footer\001\000\000\000PAR1' >"$E/mixed/b.parquet"
sl inspect "$E/mixed"
expect_rc inspect-dir-bad-file-exit 1
expect_grep inspect-dir-bad-file-named "$T/err" "snaplake: error: inspect: $E/mixed/b.parquet: cannot read the Parquet metadata"
expect_grep inspect-dir-good-file-shown "$T/out" "file $E/mixed/a.parquet"
no_sql inspect-bad-file-no-sql
model_fails stage2-reads-missing stage2 'SELECT * FROM stage1.nope'
expect_grep stage2-model-missing-stage1-hint "$T/err" "No stage-1 model is named nope (models/stage1/nope.sql)."

# A model ending in ';' and a comment runs (only blanks, ';' and comments after
# its last token are cut; a ';' or '--' inside a string stays text).
d=$T/d/trailing
project "$d" "source: sqlite://src.db" "lake: ./lake"
mkdir -p "$d/models/stage1"
printf -- "SELECT id, ';--' AS s, \$\$a;b\$\$ AS t FROM raw.t;\n-- end of model\n" >"$d/models/stage1/m.sql"
sl run -q -c "$d/snaplake.yml"
expect_rc model-trailing-comment-runs 0
# CSV: the JSON format's types are another item's business.
out=$("$SNAPLAKE" query -c "$d/snaplake.yml" --format csv "SELECT id, s, t FROM stage1.m ORDER BY id" 2>&1 | tr '\n' ' ')
if [ "$out" = 'id,s,t 1,;--,a;b 2,;--,a;b ' ]; then pass model-trailing-comment-values; else fail model-trailing-comment-values "got $out"; fi
