#!/usr/bin/env bash
# errors.sh — what goes wrong, and what snaplake does then:
#   (a) a model with an SQL error fails the run and publishes nothing: the
#       previous run stays current and queryable;
#   (b) configuration errors exit 2 with FILE:LINE:COLUMN;
#   (c) source values that do not fit their column fail the run naming table,
#       column and rowid, and publish nothing;
#   (d) hostile table names stay inside lake/raw/<safe name>/ and still compare;
#   (e) keep_runs removes older runs' manifests and folders;
#   (f) command line usage errors exit 2; --help and --version exit 0.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/errors.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

# A project folder with a SQLite database made by the given SQL (stdin).
# Every case gets its own project: run state and RUN_IDs never interfere.
# A run right after a failed one, before the wall clock passes the failed
# run's RUN_ID, trips over the RUN_ID bug that run-after-failed-run checks;
# elsewhere we wait that long so one bug does not fail unrelated checks.
# A run id: the start second, "_2" … "_9" for more runs in that second.
failed_id() { sed -n 's/.*run \([0-9]\{8\}T[0-9]\{6\}Z\(_[0-9]\)\{0,1\}\) failed.*/\1/p' "$T/err" | head -1; }
wait_past() { # RUN_ID
    [ -n "$1" ] || return 0
    while [[ ! "$(date -u +%Y%m%dT%H%M%SZ)" > "$1" ]]; do sleep 0.05; done
}

project() { # dir
    mkdir -p "$1"
    sqlite3 "$1/src.db" || echo "sqlite3 failed building $1/src.db" >&2
    write_cfg "$1/snaplake.yml" "source: sqlite://src.db" "lake: ./lake" "jobs: 2" "models: ./models"
    mkdir -p "$1/models" # set in the config, so it must exist (checked before a run)
}

# ---- (a) a broken model --------------------------------------------------------
A=$T/a
project "$A" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
INSERT INTO t(v, n) VALUES ('a', 1), ('b', 2), ('c', NULL);
EOF
mkdir -p "$A/models/stage1" "$A/models/stage2"
echo "SELECT id, upper(v) AS u, n * 10 AS n10 FROM raw.t" >"$A/models/stage1/good.sql"
echo "SELECT count(*) AS c FROM stage1.good" >"$A/models/stage2/total.sql"
sl run -c "$A/snaplake.yml"
expect_rc model-first-run 0
RUN1=$(cat "$A/lake/_snaplake/current" 2>/dev/null | tr -d '\n')
SQL="SELECT g.*, (SELECT c FROM stage2.total) AS c, (SELECT run_id FROM _snaplake.published) AS run FROM stage1.good AS g ORDER BY id"
before=$(q "$A/snaplake.yml" "$SQL")
want='[{"id":1,"u":"A","n10":10,"c":3,"run":"'$RUN1'"},{"id":2,"u":"B","n10":20,"c":3,"run":"'$RUN1'"},{"id":3,"u":"C","n10":null,"c":3,"run":"'$RUN1'"}]'
if [ "$before" = "$want" ]; then pass model-first-run-values; else fail model-first-run-values "got $before" "want $want"; fi

printf -- '-- a syntax error on purpose\nSELEC id, FROM raw.t\n' >"$A/models/stage1/broken.sql"
sqlite3 "$A/src.db" "INSERT INTO t(v, n) VALUES ('d', 4)"
sl run -c "$A/snaplake.yml"
expect_rc model-error-exit 1
expect_grep model-error-names-file "$T/err" "broken.sql"
if grep -qiE 'Parser Error|syntax error' "$T/err"; then pass model-error-duckdb-message; else fail model-error-duckdb-message "$(head -c 600 "$T/err")"; fi
FAILED=$(failed_id)
cur=$(cat "$A/lake/_snaplake/current" 2>/dev/null | tr -d '\n')
if [ "$cur" = "$RUN1" ]; then pass model-error-current-unchanged; else fail model-error-current-unchanged "current '$cur', was $RUN1"; fi
manifests=$(ls "$A/lake/_snaplake/runs" | grep "\.json$" | tr '\n' ' ')
if [ "$manifests" = "$RUN1.json " ]; then pass model-error-no-new-manifest; else fail model-error-no-new-manifest "runs/: $manifests"; fi
after=$(q "$A/snaplake.yml" "$SQL")
if [ "$after" = "$before" ]; then pass model-error-catalog-unchanged; else fail model-error-catalog-unchanged "before $before" "after $after $(cat "$T/qerr")"; fi
out=$(q "$A/snaplake.yml" "SELECT count(*) AS n FROM raw.t")
if [ "$out" = '[{"n":3}]' ]; then pass model-error-raw-unchanged; else fail model-error-raw-unchanged "got $out (the source has 4 rows now; the published run had 3)"; fi
sl status -c "$A/snaplake.yml" "$FAILED"
# A failed run's status exits 1 (README "Exit codes").
if [ "$RC" -eq 1 ] && grep -q failed "$T/out" && grep -q broken "$T/out"; then
    pass model-error-status
else
    fail model-error-status "status $FAILED: exit $RC: $(head -c 600 "$T/out" "$T/err")"
fi
# Fixed, the next run publishes again.
rm "$A/models/stage1/broken.sql"
wait_past "$FAILED"
sl run -q -c "$A/snaplake.yml"
expect_rc model-fixed-run 0
cur=$(cat "$A/lake/_snaplake/current" 2>/dev/null | tr -d '\n')
out=$(q "$A/snaplake.yml" "SELECT count(*) AS n, (SELECT c FROM stage2.total) AS c FROM raw.t")
if [ "$cur" != "$RUN1" ] && [ "$out" = '[{"n":4,"c":4}]' ]; then pass model-fixed-published; else fail model-fixed-published "current $cur, got $out"; fi

# A model error in stage 2 (stage 1 fine): also nothing published.
echo "SELECT no_such_column FROM stage1.good" >"$A/models/stage2/bad2.sql"
cur0=$(cat "$A/lake/_snaplake/current")
sl run -q -c "$A/snaplake.yml"
expect_rc model-stage2-error-exit 1
if grep -q bad2.sql "$T/err" && grep -q no_such_column "$T/err"; then pass model-stage2-error-message; else fail model-stage2-error-message "$(head -c 600 "$T/err")"; fi
if [ "$(cat "$A/lake/_snaplake/current")" = "$cur0" ]; then pass model-stage2-error-current-unchanged; else fail model-stage2-error-current-unchanged; fi
rm -f "$A/models/stage2/bad2.sql"

# ---- (b) configuration errors ------------------------------------------------------
cfg_case() { # name, expected stderr fragment, config lines...
    local name=$1 frag=$2
    shift 2
    local d=$T/b/$name
    mkdir -p "$d"
    cp "$A/src.db" "$d/src.db"
    write_cfg "$d/snaplake.yml" "$@"
    sl run -c "$d/snaplake.yml"
    expect_rc "config-$name-exit" 2
    expect_grep "config-$name-message" "$T/err" "$frag"
    if [ ! -e "$d/lake" ]; then pass "config-$name-writes-nothing"; else fail "config-$name-writes-nothing" "$(find "$d/lake" | head -5)"; fi
}
cfg_case unknown-key "snaplake.yml:3:1" "source: sqlite://src.db" "lake: ./lake" "jbos: 4"
expect_grep config-unknown-key-names-key "$T/err" "jbos"
cfg_case wrong-type "snaplake.yml:3:7" "source: sqlite://src.db" "lake: ./lake" "jobs: many"
expect_grep config-wrong-type-names-value "$T/err" "many"
cfg_case missing-lake "lake" "source: sqlite://src.db" "jobs: 2"
expect_grep config-missing-lake-names-file "$T/err" "snaplake.yml"
cfg_case bad-compression "snaplake.yml:3:24" "source: sqlite://src.db" "lake: ./lake" "parquet: {compression: lz5}"
cfg_case nested-at-top "snaplake.yml:3:1" "source: sqlite://src.db" "lake: ./lake" "compression: zstd"
expect_grep config-nested-at-top-hint "$T/err" "parquet"
cfg_case duplicate-key "snaplake.yml:4:1" "source: sqlite://src.db" "lake: ./lake" "jobs: 2" "jobs: 3"
cfg_case bad-keep-runs "snaplake.yml:4:" "source: sqlite://src.db" "lake: ./lake" "run:" "  keep_runs: 0"
cfg_case yaml-syntax "snaplake.yml:" "source: [a, b" "lake: ./lake"
cfg_case unset-env "NO_SUCH_VAR_SNAPLAKE" "source: sqlite://\${NO_SUCH_VAR_SNAPLAKE}/src.db" "lake: ./lake"
sl run -c "$T/b/none/snaplake.yml"
expect_rc config-missing-file 2
"$SNAPLAKE" query -c "$T/b/unknown-key/snaplake.yml" "SELECT 1" >"$T/out" 2>"$T/err"
RC=$?
expect_rc config-error-in-query 2
"$SNAPLAKE" status -c "$T/b/wrong-type/snaplake.yml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc config-error-in-status 2

# ---- (c) values that do not fit ------------------------------------------------------
# Each: the column's declaration and a bad value for rowid 2 (rows 1 and 3 are fine).
value_case() { # name, declaration, bad value (SQL literal), expected message fragment
    local name=$1 decl=$2 val=$3 frag=$4 col=${2%% *}
    local d=$T/c/$name
    project "$d" <<EOF
CREATE TABLE fine(id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO fine(v) VALUES ('ok');
CREATE TABLE "bad table"(id INTEGER PRIMARY KEY, $decl);
INSERT INTO "bad table"(id, $col) VALUES (1, NULL), (2, $val), (3, NULL);
EOF
    sl run -q -c "$d/snaplake.yml"
    expect_rc "value-$name-exit" 1
    expect_grep "value-$name-names-row" "$T/err" "table bad table, column $col, rowid 2"
    [ -n "$frag" ] && expect_grep "value-$name-says-why" "$T/err" "$frag"
    local pub
    pub=$(cd "$d/lake" 2>/dev/null && ls _snaplake/current catalog.duckdb _snaplake/runs/*.json 2>/dev/null | tr '\n' ' ')
    if [ -z "$pub" ]; then pass "value-$name-nothing-published"; else fail "value-$name-nothing-published" "found: $pub"; fi
}
value_case text-in-integer "c INTEGER" "'abc'" "abc"
value_case bad-date "c DATE" "'not a date'" "not a date"
value_case no-such-date "c DATE" "'2023-02-29'" "2023-02-29"
value_case decimal-scale "c DECIMAL(10,2)" "'12.345'" "DECIMAL(10,2)"
value_case decimal-precision "c DECIMAL(5,2)" "'1234.5'" "DECIMAL(5,2)"
value_case blob-in-text "c TEXT" "x'00ff'" "blob"
value_case invalid-utf8 "c TEXT" "CAST(x'c328' AS TEXT)" "UTF-8"
value_case blob-untyped "c" "x'01'" "blob"
value_case boolean-2 "c BOOLEAN" "2" "boolean"
value_case timestamp-nanos "c TIMESTAMP" "'2024-01-01 00:00:00.1234567'" "2024-01-01 00:00:00.1234567"
value_case timestamp-month-13 "c TIMESTAMP" "'2024-13-01 00:00:00'" "2024-13-01"
value_case integer-as-number "c NUMBER" "9007199254740993" "9007199254740993"
value_case real-fraction-in-integer "c INTEGER" "2.5" "2.5"
value_case text-in-real "c REAL" "'1.5x'" "1.5x"

# After a published run, a bad value leaves the published run alone.
C=$T/c/after-good
project "$C" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, d DATE);
INSERT INTO t(d) VALUES ('2024-01-01'), ('2024-01-02');
EOF
sl run -q -c "$C/snaplake.yml"
expect_rc value-after-good-first 0
cur0=$(cat "$C/lake/_snaplake/current" 2>/dev/null)
sqlite3 "$C/src.db" "INSERT INTO t(d) VALUES ('yesterday')"
sl run -q -c "$C/snaplake.yml"
expect_rc value-after-good-exit 1
expect_grep value-after-good-names-row "$T/err" "table t, column d, rowid 3"
out=$(q "$C/snaplake.yml" "SELECT count(*) AS n FROM raw.t")
if [ "$(cat "$C/lake/_snaplake/current")" = "$cur0" ] && [ "$out" = '[{"n":2}]' ]; then
    pass value-after-good-previous-run-stays
else
    fail value-after-good-previous-run-stays "current $(cat "$C/lake/_snaplake/current"), was $cur0; count $out"
fi
# A failed run, then at once another run: it must get its own RUN_ID (the
# failed one is in the run state even though it has no manifest).
sqlite3 "$C/src.db" "DELETE FROM t WHERE d = 'yesterday'"
sl run -q -c "$C/snaplake.yml"
expect_rc run-after-failed-run 0

# ---- (d) hostile table names ----------------------------------------------------------
Dd=$T/d/p
mkdir -p "$Dd"
touch "$T/d/marker"
sleep 0.01
project "$Dd" <<'EOF'
CREATE TABLE "../x"(id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE "a/b"(id INTEGER, "we ird/col" TEXT, "Select" INTEGER);
CREATE TABLE "Mixed Case"(v TEXT);
CREATE TABLE "it's ""quoted"""(v TEXT);
CREATE TABLE "ünïcødé 表"(v TEXT);
CREATE TABLE "..\y"(v TEXT);
CREATE TABLE "/abs"(v TEXT);
CREATE TABLE ".."(v TEXT);
CREATE TABLE "."(v TEXT);
CREATE TABLE "x;DROP TABLE y"(v TEXT);
INSERT INTO "../x"(v) VALUES ('up'), ('up2');
INSERT INTO "a/b" VALUES (1, 'slash', 7);
INSERT INTO "Mixed Case" VALUES ('mixed');
INSERT INTO "it's ""quoted""" VALUES ('quote''s "q"');
INSERT INTO "ünïcødé 表" VALUES ('ü 表');
INSERT INTO "..\y" VALUES ('back');
INSERT INTO "/abs" VALUES ('abs');
INSERT INTO ".." VALUES ('dotdot');
INSERT INTO "." VALUES ('dot');
INSERT INTO "x;DROP TABLE y" VALUES ('inject');
EOF
sl run -q -c "$Dd/snaplake.yml"
expect_rc names-exit 0
# Everything written since the marker is inside the project folder, and in the
# lake only at the expected places with safe names.
outside=$(find "$T/d" -newer "$T/d/marker" ! -path "$Dd" ! -path "$Dd/*" | tr '\n' ' ')
bad=$(cd "$Dd/lake" && find . -type f | sed 's|^\./||' | grep -vE '^(raw/[a-z0-9_]+/run=[0-9]{8}T[0-9]{6}Z(_[2-9])?/part-[0-9]+\.parquet|_snaplake/runs/[0-9]{8}T[0-9]{6}Z(_[2-9])?\.(json|html)|_snaplake/current|catalog\.duckdb)$' | tr '\n' ' ')
ntables=$(ls "$Dd/lake/raw" 2>/dev/null | wc -l)
if [ -z "$outside" ] && [ -z "$bad" ] && [ "$ntables" -eq 10 ] && [ ! -e /abs ] && [ ! -e "$T/x" ] && [ ! -e "$Dd/x" ]; then
    pass names-files-inside-lake
else
    fail names-files-inside-lake "outside the project: $outside" "unexpected in the lake: $bad" "raw/ has $ntables folders: $(ls "$Dd/lake/raw" | tr '\n' ' ')"
fi
compare names --db "$Dd/src.db" --lake "$Dd/lake" --config "$Dd/snaplake.yml"
# Two tables mapping to one dataset name: refused, naming both.
project "$T/d/clash" <<'EOF'
CREATE TABLE "A b"(v TEXT);
CREATE TABLE a_b(v TEXT);
EOF
sl run -q -c "$T/d/clash/snaplake.yml"
expect_rc names-clash-exit 1
if grep -qF "'A b'" "$T/err" && grep -qF "'a_b'" "$T/err"; then pass names-clash-message; else fail names-clash-message "$(head -c 400 "$T/err")"; fi
# … and `tables: exclude` resolves it, as the message says.
echo 'tables: {exclude: ["A b"]}' >>"$T/d/clash/snaplake.yml"
wait_past "$(failed_id)"
sl run -q -c "$T/d/clash/snaplake.yml"
expect_rc names-clash-excluded 0

# ---- (e) keep_runs ----------------------------------------------------------------------
E=$T/e
project "$E" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t(v) VALUES ('a');
EOF
mkdir -p "$E/models/stage1"
echo "SELECT count(*) AS n FROM raw.t" >"$E/models/stage1/m.sql"
echo "run: {keep_runs: 2}" >>"$E/snaplake.yml"
runs=()
for i in 1 2 3; do
    sqlite3 "$E/src.db" "INSERT INTO t(v) VALUES ('r$i')"
    sl run -q -c "$E/snaplake.yml"
    expect_rc "keep-runs-run$i" 0
    runs+=("$(cat "$E/lake/_snaplake/current" 2>/dev/null | tr -d '\n')")
done
# Byte order (LC_ALL=C): run ids sort by time in it, "…Z_2" after "…Z".
left_m=$(LC_ALL=C ls "$E/lake/_snaplake/runs" | grep "\.json$" | tr '\n' ' ')
left_raw=$(LC_ALL=C ls "$E/lake/raw/t" | tr '\n' ' ')
left_s1=$(LC_ALL=C ls "$E/lake/stage1/m" | tr '\n' ' ')
if [ "$left_m" = "${runs[1]}.json ${runs[2]}.json " ] && [ "$left_raw" = "run=${runs[1]} run=${runs[2]} " ] && [ "$left_s1" = "$left_raw" ]; then
    pass keep-runs-two-left
else
    fail keep-runs-two-left "runs ${runs[*]}" "manifests: $left_m" "raw/t: $left_raw" "stage1/m: $left_s1"
fi
out=$(q "$E/snaplake.yml" "SELECT n FROM stage1.m")
if [ "$out" = '[{"n":4}]' ]; then pass keep-runs-current-queryable; else fail keep-runs-current-queryable "got $out $(cat "$T/qerr")"; fi

# ---- (f) command line ------------------------------------------------------------------------
sl
expect_rc usage-no-command 2
sl bogus
expect_rc usage-unknown-command 2
expect_grep usage-unknown-command-message "$T/err" "bogus"
sl --bogus
expect_rc usage-unknown-global-option 2
sl run --bogus
expect_rc usage-run-unknown-option 2
sl run -c "$E/snaplake.yml" extra-arg
expect_rc usage-run-extra-argument 2
sl run -c "$E/snaplake.yml" -j 0
expect_rc usage-run-jobs-0 2
sl query -c "$E/snaplake.yml"
expect_rc usage-query-no-sql 2
sl query -c "$E/snaplake.yml" --format xml "SELECT 1"
expect_rc usage-query-bad-format 2
sl query -c "$E/snaplake.yml" "SELECT * FROM no_such_table"
expect_rc query-sql-error 1
sl status -c "$E/snaplake.yml" a b
expect_rc usage-status-two-ids 2
sl inspect
expect_rc usage-inspect-no-file 2
sl inspect "$T/no-such.parquet"
expect_rc usage-inspect-missing-file 2
sl demo --rows -5 --dir "$T/f-demo"
expect_rc usage-demo-negative-rows 2
for cmd in demo run status query inspect; do
    sl "$cmd" --help
    if [ "$RC" -eq 0 ] && grep -q "usage: snaplake $cmd" "$T/out"; then pass "help-$cmd"; else fail "help-$cmd" "exit $RC: $(head -c 300 "$T/out" "$T/err")"; fi
done
sl --help
if [ "$RC" -eq 0 ] && grep -q "usage: snaplake" "$T/out"; then pass help-top; else fail help-top "exit $RC"; fi
sl --version
expect_rc version-exit 0
if grep -qE '^snaplake (version )?[0-9]+\.[0-9]+' "$T/out"; then pass version-text; else fail version-text "printed: $(cat "$T/out")"; fi
f=$(ls "$E/lake/raw/t/run=${runs[2]}"/part-0.parquet)
sl inspect "$f"
if [ "$RC" -eq 0 ] && grep -q "snaplake version" "$T/out" && grep -q "ZSTD" "$T/out"; then pass inspect-file; else fail inspect-file "exit $RC: $(head -c 300 "$T/out" "$T/err")"; fi
