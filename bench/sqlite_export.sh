#!/usr/bin/env bash
# sqlite_export.sh — snaplake vs the old way, on the same SQLite database.
#
#   bench/sqlite_export.sh [RECEIPT_ITEMS]     (default 10000000)
#
# The sample shop database (snaplake demo's generator) is built once and kept
# in bench/.data.  Then, in one run on the same machine state:
#   (a) the old way: per table `sqlite3 -csv` dump, then DuckDB converts each
#       CSV to Parquet (zstd) — the two steps of the nightly CSV pipeline;
#   (b) snaplake export: snapshot + export of every table to Parquet (zstd),
#       catalog publish; no models.
# Printed: wall time and peak RSS of each, the ratio (a)/(b), and the bytes
# each wrote.  Times are wall clock (the machine is noisy: compare ratios).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
rows=${1:-10000000}
snaplake="$top/$BUILD/snaplake"
duck="$top/$BUILD/bench/duckdb_sql"
data="$top/bench/.data"
mkdir -p "$data"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
db="$data/shop-$rows.db"
if [ ! -f "$db" ]; then
    echo "generating $db …"
    "$snaplake" demo --dir "$data/gen-$rows" --rows "$rows" --jobs 2 >/dev/null
    mv "$data/gen-$rows/shop.db" "$db"
    rm -rf "$data/gen-$rows"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tables=$(sqlite3 "$db" "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")

measure() { # label, command… → sets secs, rss_mb
    local out="$work/time.$1"
    shift
    /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null
    read -r secs rss_kb <"$out"
    rss_mb=$((rss_kb / 1024))
}

old_way() {
    mkdir -p "$work/old"
    local peak=0
    for t in $tables; do
        /usr/bin/time -f '%M' -o "$work/rss.dump" sqlite3 -csv -header "$db" "SELECT * FROM \"$t\"" >"$work/old/$t.csv"
        /usr/bin/time -f '%M' -o "$work/rss.conv" "$duck" \
            "COPY (SELECT * FROM read_csv('$work/old/$t.csv')) TO '$work/old/$t.parquet' (FORMAT parquet, COMPRESSION zstd)"
        for f in "$work/rss.dump" "$work/rss.conv"; do
            r=$(cat "$f"); [ "$r" -gt "$peak" ] && peak=$r
        done
    done
    echo "$peak" >"$work/old.peak"
}

cat >"$work/snaplake.yml" <<YML
source: sqlite://$db
lake: ./lake
jobs: 2
parquet: { compression: zstd }
YML

echo "receipt_items=$rows  tables: $(echo $tables | tr '\n' ' ')"
start=$(date +%s.%N)
old_way
old_secs=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.2f", a-b}')
old_rss=$(( $(cat "$work/old.peak") / 1024 ))
old_bytes=$(du -cb "$work"/old/*.parquet | tail -1 | cut -f1)

measure snaplake "$snaplake" export -q -c "$work/snaplake.yml"
new_secs=$secs
new_rss=$rss_mb
new_bytes=$(du -cb "$work"/lake/raw | tail -1 | cut -f1)

printf '%-34s %9s %12s %14s\n' "pipeline" "seconds" "peak RSS MB" "parquet bytes"
printf '%-34s %9.2f %12d %14d\n' "old: sqlite3 CSV + DuckDB convert" "$old_secs" "$old_rss" "$old_bytes"
printf '%-34s %9.2f %12d %14d\n' "snaplake export (jobs 2)" "$new_secs" "$new_rss" "$new_bytes"
awk -v o="$old_secs" -v n="$new_secs" -v ro="$old_rss" -v rn="$new_rss" \
    'BEGIN{printf "snaplake is %.2fx faster; the old way peaks at %.2fx its memory\n", o/n, (rn>0? ro/rn : 0)}'
