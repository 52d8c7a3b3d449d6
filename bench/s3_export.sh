#!/usr/bin/env bash
# s3_export.sh — the same export to a local folder and to S3, and the AWS
# CLI uploading the same files.
#
#   bench/s3_export.sh [RECEIPT_ITEMS]     (default 5000000)
#
# The sample shop database (snaplake demo's generator) is built once and kept
# in bench/.data.  An S3-compatible server (npm s3rver behind the verifying
# proxy of the tests, scripts/s3_test_server.sh) runs on 127.0.0.1.  Then, in
# one run on the same machine state:
#   (a) snaplake export to a local folder (lake: ./lake, catalog none);
#   (b) snaplake export to S3 (lake: s3://lake/bench, catalog none): the
#       upload streams while the writer fills the next part;
#   (c) Debian's aws CLI copying (a)'s files to S3 (`aws s3 cp --recursive`):
#       what "export locally, then upload" would add to (a).
# Printed: wall time and peak RSS of each, and the ratios (b)/(a) — the
# target is ≤ 1.3: the upload hidden behind the export — and (b)/((a)+(c)).
# On loopback the "network" is the same two cores as the export, so the
# ratio is pessimistic for a real S3 endpoint.  Not part of `make test`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
rows=${1:-5000000}
snaplake="$top/$BUILD/snaplake"
data="$top/bench/.data"
mkdir -p "$data"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
db="$data/shop-$rows.db"
if [ ! -f "$db" ]; then
    echo "generating $db …"
    "$snaplake" demo --dir "$data/gen-$rows" --rows "$rows" --jobs 2 >/dev/null
    mv "$data/gen-$rows/shop.db" "$db"
    rm -rf "$data/gen-$rows"
fi
work=$(mktemp -d)
s3dir="$work/s3"
mkdir -p "$s3dir"
eval "$("$top/scripts/s3_test_server.sh" start "$s3dir")"
trap '"$top/scripts/s3_test_server.sh" stop "$s3dir" >/dev/null 2>&1; rm -rf "$work"' EXIT

measure() { # label, command… → sets secs, rss_mb
    local out="$work/time.$1"
    shift
    /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$work/err.$1" ||
        { echo "$1 failed:"; tail -5 "$work/err.$1"; exit 1; }
    read -r secs rss_kb <"$out"
    rss_mb=$((rss_kb / 1024))
}

mkdir -p "$work/local" "$work/s3p"
printf 'source: sqlite://%s\nlake: ./lake\ncatalog: none\njobs: 2\n' "$db" >"$work/local/snaplake.yml"
printf 'source: sqlite://%s\nlake: s3://%s/bench\ncatalog: none\njobs: 2\n' "$db" "$S3TEST_BUCKET" \
    >"$work/s3p/snaplake.yml"

measure local "$snaplake" export -q -c "$work/local/snaplake.yml"
a_secs=$secs a_rss=$rss_mb
measure s3 "$snaplake" export -q -c "$work/s3p/snaplake.yml"
b_secs=$secs b_rss=$rss_mb
measure cli "$top/scripts/s3_test_server.sh" aws "$s3dir" s3 cp --recursive --quiet \
    "$work/local/lake/raw" "s3://$S3TEST_BUCKET/cli/raw"
c_secs=$secs

bytes=$(du -sb "$work/local/lake/raw" | cut -f1)
printf '%-44s %8s %8s\n' "" "seconds" "peak MB"
printf '%-44s %8.2f %8d\n' "(a) snaplake export → local folder" "$a_secs" "$a_rss"
printf '%-44s %8.2f %8d\n' "(b) snaplake export → S3 (loopback)" "$b_secs" "$b_rss"
printf '%-44s %8.2f %8s\n' "(c) aws s3 cp of (a)'s files" "$c_secs" "-"
printf 'data: %d MiB of Parquet\n' $((bytes / 1048576))
awk -v a="$a_secs" -v b="$b_secs" -v c="$c_secs" 'BEGIN {
    printf "ratio (b)/(a)       = %.2f  (target <= 1.3: the upload hidden behind the export)\n", b / a
    printf "ratio (b)/((a)+(c)) = %.2f  (against exporting, then uploading)\n", b / (a + c) }' 
