#!/usr/bin/env bash
# arrow_reader.sh — files with every optional structure the writer adds, read
# by arrow-rs (parquet-wasm, tests/tools/pqread_arrow.mjs) next to hyparquet and
# DuckDB, each value compared with the SQLite source (compare.mjs):
#   row-groups   parquet.row_group_mb: 1 → many row groups, each with its
#                page index and a bloom filter on every non-boolean column
#   pages        one 60 000-row row group → several pages per column chunk
# NULLs in every column but the key, decimals, timestamps with microseconds,
# booleans, blobs of 0–8 bytes.  hyparquet confirms the structures are there
# (pqindex.mjs, pqbloom.mjs), so arrow-rs reading the values right means they
# do not disturb it; it has no API to read them itself (docs/parquet.md).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, x REAL, s TEXT, d DECIMAL(12,2), ts TIMESTAMP, b BOOLEAN, bl BLOB);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60000)
INSERT INTO t(k, x, s, d, ts, b, bl) SELECT
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919) % 1000 END,
  CASE WHEN i % 11 = 0 THEN NULL ELSE i * 0.25 - 3 END,
  CASE WHEN i % 13 = 0 THEN NULL ELSE 'row ' || i || ' ' || hex(randomblob(4)) END,
  CASE WHEN i % 5 = 0 THEN NULL ELSE printf('%d.%02d', i * 31 - 1000000, i % 100) END,
  CASE WHEN i % 17 = 0 THEN NULL ELSE datetime(1700000000 + i * 37, 'unixepoch') || '.' || printf('%06d', i) END,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 END,
  CASE WHEN i % 19 = 0 THEN NULL ELSE randomblob(i % 9) END
FROM c;" || fail source "sqlite3 failed"

for layout in row-groups pages; do
    mkdir -p "$layout"
    rg=128
    [ "$layout" = row-groups ] && rg=1
    write_cfg "$layout/snaplake.yml" "source: sqlite://../a.db" "lake: ./lake" \
        "parquet: { row_group_mb: $rg, bloom_filter_columns: [\"t.*\"] }"
    sl export -q -c "$layout/snaplake.yml"
    expect_rc "$layout: export" 0
    f=$(ls "$layout"/lake/raw/t/run=*/part-0.parquet 2>/dev/null | head -1)
    # The structures are there (hyparquet's view): row groups, pages, bloom filters.
    node "$TOOLS/pqindex.mjs" "$f" >"$T/index" 2>&1
    groups=$(grep -c '^rg=[0-9]* col=id ' "$T/index")
    pages=$(sed -n 's/^rg=0 col=s pages=\([0-9]*\).*/\1/p' "$T/index")
    node "$TOOLS/pqbloom.mjs" "$f" s 'row 1 x' >"$T/bloom" 2>&1
    if [ "$layout" = row-groups ]; then
        check "$layout: several row groups, each with a bloom filter on s" \
            test "$groups" -gt 3 -a "$(grep -c '^rg=[0-9]* bytes=[1-9]' "$T/bloom")" -eq "$groups"
    else
        check "$layout: one row group, several pages per chunk, a bloom filter on s" \
            test "$groups" -eq 1 -a "${pages:-0}" -gt 2 -a "$(grep -c '^rg=0 bytes=[1-9]' "$T/bloom")" -eq 1
    fi
    # arrow-rs sees as many row groups as hyparquet, and the footer's rows.
    node --input-type=module -e '
const [top, f, groups] = process.argv.slice(1)
const { arrowSchemaOf } = await import(top + "/tests/tools/pqread_arrow.mjs")
const s = await arrowSchemaOf(f)
const rows = s.row_groups.reduce((n, g) => n + g.rows, 0)
if (s.row_groups.length !== Number(groups) || rows !== 60000 || s.num_rows !== 60000) {
  console.log(`arrow-rs: ${s.row_groups.length} row groups (hyparquet ${groups}), ${rows} rows in them, footer ${s.num_rows}`)
  process.exit(1)
}
' "$SNAPLAKE_TOP" "$f" "$groups" >"$T/groups" 2>&1
    if [ $? -eq 0 ]; then pass "$layout: arrow-rs row groups"; else fail "$layout: arrow-rs row groups" "$(head -c 600 "$T/groups")"; fi
    compare "$layout" --db a.db --lake "$layout/lake" --config "$layout/snaplake.yml"
done
exit 0
