#!/usr/bin/env bash
# parquet_v2.sh — parquet.format_version 2 through a run: data page v2 with
# DELTA_BINARY_PACKED, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.  The tables of
# tests/e2e/types.sh (every SQLite type family and its edge values) plus a
# 50 000-row table whose chunks are not dictionary-encoded are exported with
# format_version 1 and with 2; every value of the v2 files, read by DuckDB
# and by hyparquet, must equal the source (compare.mjs) and the v1 files;
# `snaplake inspect --pages` shows the v2 pages and their encodings; a wrong
# value of the key is refused with its place in the config file.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/parquet_v2.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

# The source: types.sh's tables (its SQL, taken from the script so the two
# never drift apart) and `big`.
awk '/^sqlite3 "\$P\/src.db"/{on=1; next} on && /^SQL$/{exit} on' \
    "$SNAPLAKE_TOP/tests/e2e/types.sh" >types.sql
check "types.sh's tables found" grep -q "CREATE TABLE stamps" types.sql
sqlite3 src.db <types.sql >/dev/null 2>&1
sqlite3 src.db "CREATE TABLE big(id INTEGER PRIMARY KEY, n INTEGER, small SMALLINT,
    ts TIMESTAMP NOT NULL, day DATE, amount DECIMAL(12,2), big_amount DECIMAL(30,4),
    x DOUBLE, r REAL, key TEXT, note TEXT, flag BOOLEAN);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50000)
  INSERT INTO big SELECT i,
    CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN -9223372036854775808
         WHEN i % 5 = 1 THEN 9223372036854775807 ELSE random() END,
    CASE WHEN i % 3 = 0 THEN -32768 ELSE i % 32768 END,
    strftime('%Y-%m-%d %H:%M:%f', 1704067200 + i * 0.731 + abs(random() % 60), 'unixepoch'),
    date(19000 * 86400 + i * 3600, 'unixepoch'),
    abs(random() % 10000000) / 100.0, CASE WHEN i % 11 = 0 THEN NULL ELSE (random() % 1000000) / 10000.0 END,
    CASE WHEN i % 13 = 0 THEN NULL ELSE random() / 3.0 END, abs(random() % 100000) / 7.0,
    printf('key/%06d/%s', i, substr('abcdefghij', 1 + i % 10)),
    CASE WHEN i % 3 = 0 THEN NULL WHEN i % 1000 = 0 THEN printf('%.20000c', 'z')
         ELSE 'note ' || hex(randomblob(6)) END,
    CASE WHEN i % 17 = 0 THEN NULL ELSE i % 2 END
  FROM g;"

for v in 1 2; do
    mkdir -p "v$v"
    write_cfg "v$v/snaplake.yml" "source: sqlite://$T/src.db" "lake: ./lake" \
        "parquet: { format_version: $v }"
    sl export -q -c "v$v/snaplake.yml"
    expect_rc "export-v$v" 0
done

# Every value against the source, as DuckDB and hyparquet read the v2 files.
compare v2-source --db "$T/src.db" --lake "$T/v2/lake" --config "$T/v2/snaplake.yml"

# v2 files against v1 files: DuckDB (rows as sets with multiplicity, each
# carrying its id) and hyparquet (every value, in order, as text).
mkdir -p v2/lake/cmp
for d in v1/lake/raw/*/; do
    t=$(basename "$d")
    cp "$d"run=*/part-0.parquet "v2/lake/cmp/$t.v1.parquet"
    cp v2/lake/raw/"$t"/run=*/part-0.parquet "v2/lake/cmp/$t.v2.parquet"
done
tables=$(ls v1/lake/raw)
for t in $tables; do
    a=$T/v2/lake/cmp/$t.v1.parquet b=$T/v2/lake/cmp/$t.v2.parquet
    got=$(q v2/snaplake.yml "SELECT (SELECT count(*) FROM (FROM '$a' EXCEPT ALL FROM '$b')) +
        (SELECT count(*) FROM (FROM '$b' EXCEPT ALL FROM '$a')) AS d,
        (SELECT count(*) FROM '$a') = (SELECT count(*) FROM '$b') AS n")
    check "duckdb: $t v2 = v1" test "$got" = '[{"d":0,"n":true}]'
    node "$TOOLS/pqread.mjs" "$a" >"$T/a.jsonl" 2>"$T/err" &&
        node "$TOOLS/pqread.mjs" "$b" >"$T/b.jsonl" 2>>"$T/err"
    if [ $? -ne 0 ]; then
        fail "hyparquet: $t v2 = v1" "$(head -c 600 "$T/err")"
    elif cmp -s "$T/a.jsonl" "$T/b.jsonl"; then
        pass "hyparquet: $t v2 = v1"
    else
        fail "hyparquet: $t v2 = v1" "$(diff "$T/a.jsonl" "$T/b.jsonl" | head -6)"
    fi
done

# The encodings: big's columns without dictionary use the v2 encodings; the
# v1 file has none of them.
b=$T/v2/lake/cmp/big.v2.parquet
encodings() {
    q v2/snaplake.yml "SELECT string_agg(DISTINCT e, ',' ORDER BY e) AS e FROM
        (SELECT unnest(string_split(encodings, ', ')) AS e FROM parquet_metadata('$1'))"
}
e2=$(encodings "$b") e1=$(encodings "$T/v2/lake/cmp/big.v1.parquet")
for e in BYTE_STREAM_SPLIT DELTA_BINARY_PACKED DELTA_BYTE_ARRAY; do
    check "v2 file: $e" grep -q "$e" <<<"$e2"
done
check "v1 file: PLAIN and RLE, none of v2's ($e1)" \
    test -z "$(grep -E 'DELTA|BYTE_STREAM' <<<"$e1")" -a -n "$(grep PLAIN <<<"$e1")"
check "v2 file: FileMetaData.version 2" \
    test "$(q v2/snaplake.yml "SELECT format_version AS v FROM parquet_file_metadata('$b')")" = '[{"v":2}]'

# inspect --pages: the page headers are v2, with their encodings.
sl inspect --pages "$b"
expect_rc inspect-v2-exit 0
page_col() { # column → "type encoding" of its first page
    awk -v c="$1" '/^pages of rg 0 column /{on = ($NF == c); next}
        on && /^0 /{print $(NF - 2), $NF; exit}' "$T/out"
}
check "inspect: id in DATA_PAGE_V2 DELTA_BINARY_PACKED" test "$(page_col id)" = "DATA_PAGE_V2 DELTA_BINARY_PACKED"
check "inspect: key in DATA_PAGE_V2 DELTA_BYTE_ARRAY" test "$(page_col key)" = "DATA_PAGE_V2 DELTA_BYTE_ARRAY"
check "inspect: x in DATA_PAGE_V2 BYTE_STREAM_SPLIT" test "$(page_col x)" = "DATA_PAGE_V2 BYTE_STREAM_SPLIT"
check "inspect: no v1 page in the v2 file" test -z "$(awk '/^[0-9]+ +\|/ && / DATA_PAGE +\|/' "$T/out")"
sl inspect --pages "$T/v2/lake/cmp/big.v1.parquet"
check "inspect: v1 file in DATA_PAGE PLAIN" test "$(page_col id)" = "DATA_PAGE PLAIN"

# The key's value is checked, with its place in the file.
write_cfg bad.yml "source: sqlite://$T/src.db" "lake: ./lake" "parquet: { format_version: 3 }"
sl export -q -c bad.yml
expect_rc bad-version-exit 2
expect_grep bad-version-message "$T/err" \
    "bad.yml:3:28: 'parquet.format_version' must be an integer between 1 and 2, got '3'"
write_cfg bad2.yml "source: sqlite://$T/src.db" "lake: ./lake" "parquet:" "  format_version: v2"
sl export -q -c bad2.yml
expect_rc bad-version-text-exit 2
expect_grep bad-version-text-message "$T/err" "bad2.yml:4:19: 'parquet.format_version'"
exit 0
