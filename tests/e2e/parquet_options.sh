#!/usr/bin/env bash
# parquet_options.sh — writer options that reach the files through a run:
# parquet.bloom_filter_columns (globs on <table>.<column>, with or without the
# schema) and the run id in the key-value metadata.
. "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, note TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
  INSERT INTO t(name, note) SELECT 'n' || x, 'note ' || x FROM c;"
write_cfg snaplake.yml "source: sqlite://a.db" "lake: ./lake" \
    'parquet: { bloom_filter_columns: ["main.t.name", "t.no*"] }'
sl export -q -c snaplake.yml
expect_rc export 0
f=$(ls "$T"/lake/raw/t/run=*/part-0.parquet)
run_id=$(cat lake/_snaplake/current)
probe() { # column value → true when the filter excludes the value
    q snaplake.yml "SELECT bloom_filter_excludes AS x FROM parquet_bloom_probe('$f', '$1', '$2')"
}
check "bloom (schema.table.column): a present value is not excluded" \
    test "$(probe name n1234)" = '[{"x":false}]'
check "bloom (schema.table.column): an absent value is excluded" \
    test "$(probe name nope)" = '[{"x":true}]'
check "bloom (table.glob): an absent value is excluded" \
    test "$(probe note 'note 99999')" = '[{"x":true}]'
check "bloom: a column not named has no filter (nothing excluded)" \
    test "$(probe id 99999)" = '[{"x":false}]'
check "key-value metadata: the run id" \
    test "$(q snaplake.yml "SELECT decode(value) AS v FROM parquet_kv_metadata('$f') WHERE decode(key) = 'snaplake.run_id'")" = "[{\"v\":\"$run_id\"}]"
exit 0
