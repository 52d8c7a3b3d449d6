#!/usr/bin/env bash
# inspect.sh — `snaplake inspect` shows field ids, key-value metadata, bloom
# filters and the page index (with --pages, every page), checked against an
# export with a bloom filter on one column and against hyparquet's reading of
# the same page index (tests/tools/pqindex.mjs).
. "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
# 300 000 rows: the writer cuts each column into several ~1 MB pages.
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
  INSERT INTO t(name) SELECT 'name number ' || x FROM c;"
write_cfg snaplake.yml "source: sqlite://a.db" "lake: ./lake" \
    'parquet: { bloom_filter_columns: ["t.name"] }'
sl export -q -c snaplake.yml
expect_rc export 0
f=$(ls "$T"/lake/raw/t/run=*/part-0.parquet)
run_id=$(cat lake/_snaplake/current)

sl inspect "$f"
expect_rc inspect-exit 0
cp "$T/out" "$T/plain"
# A table row: the cells of one line, blanks around '|' squeezed.
row() { sed 's/ *| */|/g; s/ *$//' "$T/plain" | grep -E "$1"; }
check "field id of id" test -n "$(row '^id\|INT64\|.*\|1$')"
check "field id of name" test -n "$(row '^name\|BYTE_ARRAY\|.*\|2$')"
check "kv metadata: run id" test -n "$(row "^snaplake.run_id\|$run_id$")"
check "kv metadata: source types, one line per column" \
    test -n "$(row '^source type of id\|INTEGER$')" -a -n "$(row '^source type of name\|TEXT$')"
check "bloom filter on name: offset and bytes" test -n "$(row '^0\|300000\|name\|.*\|[0-9]+ \([0-9]+ bytes\)$')"
check "no bloom filter on id" test -n "$(row '^0\|300000\|id\|.*\|none$')"
for c in id name; do
    check "page index of $c: column and offset index" \
        test -n "$(row "^0\|$c\|[0-9]+ \([0-9]+ bytes\)\|[0-9]+ \([0-9]+ bytes\)\|[0-9]+$")"
done

# --pages: as many pages, with the same first rows, as hyparquet reads.
node "$TOOLS/pqindex.mjs" "$f" >"$T/hyp" 2>&1
sl inspect --pages "$f"
expect_rc inspect-pages-exit 0
for c in id name; do
    want=$(sed -n "s/^rg=0 col=$c pages=\([0-9]*\) .* first_rows=\([0-9,]*\) .*/\1 \2/p" "$T/hyp")
    got=$(awk -v c="$c" '/^pages of rg 0 column /{on = ($NF == c); next} on && /^[0-9]/{n++; r = r (r == "" ? "" : ",") $3} /^$/{on = 0} END{print n, r}' "$T/out")
    if [ -n "$want" ] && [ "${want%% *}" -gt 1 ] && [ "$got" = "$want" ]; then
        pass "pages of $c match hyparquet"
    else
        fail "pages of $c match hyparquet" "inspect: $got" "hyparquet: $want"
    fi
done
grep -E '^0 +\| 0 +\| 4 ' "$T/out" >"$T/p0"
expect_grep "first page of id: min and max from the column index" "$T/p0" "| 1 "
check "every page has a compressed size" test -z "$(awk '/^pages of/{on=1; next} on && /^[0-9]/ && $7 !~ /^[1-9][0-9]*$/' "$T/out")"

# Usage errors through the log.
sl inspect --bogus "$f"
expect_rc bad-option-exit 2
expect_grep bad-option-message "$T/err" "inspect: unknown option '--bogus'"
sl inspect --pages
expect_rc no-file-exit 2
expect_grep no-file-message "$T/err" "inspect: no file or folder given"
sl inspect --help
expect_grep help-pages "$T/out" "--pages"
exit 0
