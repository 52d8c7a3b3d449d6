#!/usr/bin/env bash
# parquet_int96.sh — parquet.timestamp_type int96 through a run: the
# timestamp tables of tests/e2e/types.sh exported with int64 (default) and
# int96; hyparquet reads the same values from both (pqread.mjs prints INT96
# and INT64 timestamps alike), DuckDB reads them as TIMESTAMP through the
# catalog; the footer has INT96 without statistics; a wrong value is refused
# with its place in the config file.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/parquet_int96.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

awk '/^sqlite3 "\$P\/src.db"/{on=1; next} on && /^SQL$/{exit} on' \
    "$SNAPLAKE_TOP/tests/e2e/types.sh" >types.sql
check "types.sh's tables found" grep -q "CREATE TABLE stamps" types.sql
sqlite3 src.db <types.sql >/dev/null 2>&1

for t in int64 int96; do
    mkdir -p "$t"
    write_cfg "$t/snaplake.yml" "source: sqlite://$T/src.db" "lake: ./lake" \
        'tables: { include: ["stamps"] }' "parquet: { timestamp_type: $t }"
    sl run -q -c "$t/snaplake.yml"
    expect_rc "run-$t" 0
done
a=$(ls "$T"/int64/lake/raw/stamps/run=*/part-0.parquet)
b=$(ls "$T"/int96/lake/raw/stamps/run=*/part-0.parquet)

node "$TOOLS/pqread.mjs" "$a" >a.jsonl 2>err && node "$TOOLS/pqread.mjs" "$b" >b.jsonl 2>>err
if [ $? -ne 0 ]; then
    fail "hyparquet: int96 values = int64 values" "$(head -c 600 err)"
elif cmp -s a.jsonl b.jsonl && [ "$(wc -l <b.jsonl)" -eq 21 ]; then
    pass "hyparquet: int96 values = int64 values"
else
    fail "hyparquet: int96 values = int64 values" "$(diff a.jsonl b.jsonl | head -6)"
fi
check "hyparquet: 1969-12-31 23:59:59.999999 (time of day kept positive)" \
    grep -q '"ts":"1969-12-31 23:59:59.999999"' b.jsonl

# arrow-rs (parquet-wasm) reads INT96 as Timestamp(NANOSECOND): it wraps
# outside 1677-09-21..2262-04-11 (recorded in docs/parquet.md); within that
# range its values equal the INT64 file's.
node "$TOOLS/pqread_arrow.mjs" "$a" >aa.jsonl 2>err && node "$TOOLS/pqread_arrow.mjs" "$b" >ab.jsonl 2>>err
if [ $? -ne 0 ]; then
    fail "arrow-rs: int96 values = int64 values within its nanosecond range" "$(head -c 600 err)"
else
    in_range() { grep -v '"0001-\|"9999-' "$1"; }
    ids=$(grep -n '"0001-\|"9999-' aa.jsonl | sed 's/^\([0-9]*\):.*/\1/' | tr '\n' ' ')
    check "arrow-rs: the out-of-range rows are the years 1 and 9999 only (lines $ids)" test "$ids" = "18 19 "
    if diff <(in_range aa.jsonl) <(sed '18,19d' ab.jsonl) >/dev/null; then
        pass "arrow-rs: int96 values = int64 values within its nanosecond range"
    else
        fail "arrow-rs: int96 values = int64 values within its nanosecond range" "$(diff <(in_range aa.jsonl) <(sed '18,19d' ab.jsonl) | head -6)"
    fi
fi

# DuckDB through the catalog: every timestamp column, as microseconds.
sums() {
    q "$1/snaplake.yml" "SELECT count(ts) AS n, sum(epoch_us(ts)) AS ts, sum(epoch_us(tz)) AS tz,
        sum(epoch_us(dt)) AS dt, sum(epoch_us(wtz)) AS wtz FROM raw.stamps"
}
want=$(sums int64)
check "duckdb catalog: int96 sums = int64 sums ($want)" test -n "$want" -a "$(sums int96)" = "$want"
check "duckdb: INT96 read as TIMESTAMP" \
    test "$(q int96/snaplake.yml "SELECT typeof(tz) AS t FROM raw.stamps LIMIT 1")" = '[{"t":"TIMESTAMP"}]'
mkdir -p int96/lake/cmp && cp "$b" int96/lake/cmp/b.parquet
check "footer: INT96, no annotation, no statistics" \
    test "$(q int96/snaplake.yml "SELECT string_agg(DISTINCT s.type || ':' || coalesce(s.converted_type, '-') || ':' || coalesce(m.stats_null_count::VARCHAR, '-'), ',') AS x
        FROM parquet_schema('$T/int96/lake/cmp/b.parquet') s JOIN parquet_metadata('$T/int96/lake/cmp/b.parquet') m
        ON m.path_in_schema = s.name WHERE s.name IN ('ts', 'tz', 'dt', 'wtz')")" = '[{"x":"INT96:-:-"}]'

write_cfg bad.yml "source: sqlite://$T/src.db" "lake: ./lake" "parquet: { timestamp_type: int32 }"
sl export -q -c bad.yml
expect_rc bad-timestamp-type-exit 2
expect_grep bad-timestamp-type-message "$T/err" "bad.yml:3:28: 'parquet.timestamp_type'"
exit 0
