#!/usr/bin/env bash
# query.sh — `snaplake query` as analysts and attackers use it:
#   (a) confined: statements that write, attach, install, load or change
#       settings are refused (exit 1) before they run, files outside the lake
#       cannot be read, the catalog and the lake stay byte for byte the same;
#       ordinary queries still work;
#   (b) --format json keeps JSON types; empty SQL is a usage error; a script
#       of several queries prints every result;
#   (c) the views name the run's files: a missing part is an error naming the
#       file, a stray copy next to the parts is not read;
#   (d) a moved or copied lake answers from where it is now.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/query.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:  $2" "want: $3" "stderr: $(head -c 400 "$T/err" | tr '\n' '|')"; fi
}

P=$T/p
mkdir -p "$P"
# big: 2 000 002 rows, more than one SQLite chunk, so the run writes two parts.
sqlite3 "$P/src.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, d REAL, big INTEGER);
INSERT INTO t VALUES (1, 'a', 1.5, 9007199254740993), (2, NULL, NULL, NULL);
CREATE TABLE big (v INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000002) INSERT INTO big SELECT i FROM n;"
write_cfg "$P/snaplake.yml" "source: sqlite://src.db" "lake: ./lake" "jobs: 2"
sl run -q -c "$P/snaplake.yml"
expect_rc setup-run 0
L=$P/lake
CFG=$P/snaplake.yml

# ---- (a) confinement -------------------------------------------------------------
snapshot() { (cd "$L" && find . -type f -print0 | sort -z | xargs -0 md5sum) }
before=$(snapshot)
echo "not to be overwritten" >"$T/victim.txt"

refused() { # name, SQL — exit 1, nothing on stdout
    sl query -c "$CFG" "$2"
    if [ "$RC" -eq 1 ] && [ ! -s "$T/out" ]; then
        pass "$1"
    else
        fail "$1" "exit $RC (want 1)" "stdout: $(head -c 300 "$T/out")" "stderr: $(head -c 300 "$T/err")"
    fi
}
refused copy-outside "COPY (SELECT * FROM raw.t) TO '$T/x.csv'"
check copy-outside-no-file test ! -e "$T/x.csv"
expect_grep copy-outside-message "$T/err" "COPY is refused: snaplake query only reads the lake"
refused copy-into-lake "COPY (SELECT 1) TO '$L/x.csv'"
refused copy-over-file "COPY (SELECT 1) TO '$T/victim.txt'"
check copy-over-file-unchanged grep -q "not to be overwritten" "$T/victim.txt"
refused export-database "EXPORT DATABASE '$T/exp'"
refused export-database-in-lake "EXPORT DATABASE '$L/exp'"
check export-no-folder test ! -e "$T/exp" -a ! -e "$L/exp"
expect_grep export-message "$T/err" "EXPORT is refused"
refused read-etc-passwd "SELECT * FROM read_csv('/etc/passwd')"
expect_grep read-etc-passwd-message "$T/err" "reads only files inside the lake"
if grep -q "root:" "$T/out" "$T/err"; then fail read-etc-passwd-not-printed "$(head -c 300 "$T/err")"; else pass read-etc-passwd-not-printed; fi
refused read-text-passwd "SELECT content FROM read_text('/etc/passwd')"
refused read-dotdot "SELECT * FROM read_text('$L/../src.db')"
refused read-source-db "SELECT * FROM sqlite_scan('$P/src.db', 't')"
refused install "INSTALL httpfs"
expect_grep install-message "$T/err" "INSTALL is refused"
refused load "LOAD json"
refused attach-sqlite "ATTACH '$P/src.db' AS s (TYPE sqlite)"
refused attach-new "ATTACH '$T/other.duckdb' AS o"
check attach-no-file test ! -e "$T/other.duckdb"
refused attach-in-lake "ATTACH '$L/other.duckdb' AS o"
refused create-table "CREATE TABLE raw.x AS SELECT 1"
refused drop-view "DROP VIEW raw.t"
refused insert "INSERT INTO _snaplake.published VALUES ('x', NULL)"
refused set-access "SET enable_external_access = true"
refused set-allowed "SET allowed_directories = ['/']"
refused pragma "PRAGMA enable_profiling"
refused explain-analyze-copy "EXPLAIN ANALYZE COPY (SELECT 1) TO '$L/x.csv'"
refused script-ending-in-copy "SELECT 1 AS one; COPY (SELECT 1) TO '$T/y.csv'"
check script-ending-in-copy-no-file test ! -e "$T/y.csv"
expect_grep script-names-statement "$T/err" "statement 2: COPY is refused"
refused query-function-copy "SELECT * FROM query('COPY (SELECT 1) TO ''$L/q.csv''')"
check lake-unchanged test "$(snapshot)" = "$before"

sl query -c "$CFG" --format csv "SELECT count(*) AS n, (SELECT count(*) FROM read_parquet('$L/raw/t/*/*.parquet')) AS f FROM raw.t"
expect_rc ordinary-query 0
expect_eq ordinary-query-values "$(cat "$T/out")" $'n,f\n2,2'
sl query -c "$CFG" "DESCRIBE raw.t"
expect_rc describe 0
sl query -c "$CFG" "EXPLAIN SELECT count(*) FROM raw.t"
expect_rc explain 0

# ---- (b) output ------------------------------------------------------------------
sl query -c "$CFG" --format json "SELECT 1 AS i, 1.5::DOUBLE AS d, 1.10::DECIMAL(5,2) AS dec,
  12345678901234567890.123456789::DECIMAL(38,9) AS wide, 9007199254740993::BIGINT AS big,
  170141183460469231731687303715884105727::HUGEINT AS huge, true AS b, NULL AS n, [1, NULL] AS l,
  {'a': 1, 'b': 'x'} AS s, 'nan'::DOUBLE AS nan, '-inf'::DOUBLE AS ninf, 'x\"y' AS str,
  DATE '2024-01-02' AS day"
expect_rc json-types 0
expect_eq json-types-values "$(cat "$T/out")" '[{"i":1,"d":1.5,"dec":1.1,"wide":12345678901234567890.123456789,"big":9007199254740993,"huge":170141183460469231731687303715884105727,"b":true,"n":null,"l":[1,null],"s":{"a":1,"b":"x"},"nan":"NaN","ninf":"-Infinity","str":"x\"y","day":"2024-01-02"}]'
expect_eq json-lake-values "$(q "$CFG" "SELECT * FROM raw.t ORDER BY id")" \
    '[{"id":1,"v":"a","d":1.5,"big":9007199254740993},{"id":2,"v":null,"d":null,"big":null}]'
expect_eq json-no-rows "$(q "$CFG" "SELECT * FROM raw.t WHERE false")" '[]'
for sql in "" "   " $'\n\t' "-- only a comment" "/* nothing */ ;"; do
    sl query -c "$CFG" "$sql"
    expect_rc "empty-sql-usage:$(printf '%q' "$sql")" 2
done
expect_grep empty-sql-message "$T/err" "the SQL is empty"
sl query -c "$CFG" --format json "SELECT 1 AS a; SELECT 'x;y' AS b -- two results;"
expect_rc multi-json 0
expect_eq multi-json-lines "$(cat "$T/out")" $'[{"a":1}]\n[{"b":"x;y"}]'
sl query -c "$CFG" --format csv "SELECT 1 AS a; SELECT 2 AS b"
expect_eq multi-csv "$(cat "$T/out")" $'a\n1\n\nb\n2'
sl query -c "$CFG" "SELECT 1 AS a; SELECT * FROM no_such_table"
expect_rc multi-error 1
expect_grep multi-error-names-statement "$T/err" "statement 2"

# ---- (c) the views name the run's files --------------------------------------------
RUN=$(tr -d '\n' <"$L/_snaplake/current")
parts=$L/raw/big/run=$RUN
check two-parts test -f "$parts/part-0.parquet" -a -f "$parts/part-1.parquet"
cp "$parts/part-0.parquet" "$parts/part-7.parquet"
sl query -c "$CFG" --format csv "SELECT count(*) AS n FROM raw.big"
expect_eq stray-file-ignored "$(cat "$T/out")" $'n\n2000002'
rm "$parts/part-7.parquet"
mv "$parts/part-1.parquet" "$T/part-1.parquet"
sl query -c "$CFG" --format csv "SELECT count(*) AS n FROM raw.big"
expect_rc missing-file-fails 1
expect_grep missing-file-named "$T/err" "raw/big/run=$RUN/part-1.parquet"
expect_grep missing-file-message "$T/err" "is missing from the lake"
mv "$T/part-1.parquet" "$parts/part-1.parquet"

# ---- (d) a moved lake, a copied lake ---------------------------------------------
mv "$P" "$T/moved"
sl query -c "$T/moved/snaplake.yml" --format csv "SELECT count(*) AS n FROM raw.big"
expect_rc moved-lake 0
expect_eq moved-lake-count "$(cat "$T/out")" $'n\n2000002'
cp -a "$T/moved" "$T/copy"
rm -rf "$T/moved/lake/raw"
sl query -c "$T/copy/snaplake.yml" --format csv "SELECT count(*) AS n FROM raw.t"
expect_rc copied-lake-original-gone 0
expect_eq copied-lake-count "$(cat "$T/out")" $'n\n2'

exit $((NFAIL > 0))
