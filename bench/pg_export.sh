#!/usr/bin/env bash
# pg_export.sh — snaplake against the peers on the same PostgreSQL data.
#
#   bench/pg_export.sh [PGBENCH_SCALE] [RECEIPT_ROWS] [JOBS]   (defaults 10 5000000 2)
#
# Starts a throwaway PostgreSQL 15 on loopback (scripts/pg_test_server.sh),
# loads `pgbench -i -s SCALE` plus a receipts-like table (bigint, int,
# timestamptz, numeric(12,2), text with NULLs, boolean), then measures in one
# run, for the same tables:
#   (a) COPY … TO STDOUT (FORMAT binary) > /dev/null per table: the read limit
#   (b) the old way: CSV COPY per table, then DuckDB converts CSV → Parquet
#   (c) pg_dump -Fd -j JOBS
#   (d) snaplake export with jobs: JOBS
# and prints seconds and peak RSS of each and the ratios (d)/(a), (b)/(d), (c)/(d).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
scale=${1:-10}
rows=${2:-5000000}
jobs=${3:-2}
snaplake="$top/$BUILD/snaplake"
duck="$top/$BUILD/bench/duckdb_sql"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
eval "$("$top/scripts/pg_test_server.sh" start)"
work=$(mktemp -d)
chmod 777 "$work"
cleanup() { "$top/scripts/pg_test_server.sh" stop "$PGTEST_DIR" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
export PGHOST=127.0.0.1 PGPORT=$PGTEST_PORT PGUSER=postgres PGDATABASE=postgres

echo "loading: pgbench scale $scale, receipts $rows rows …"
pgbench -i -q -s "$scale" >/dev/null 2>&1
psql -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE receipts (id bigint PRIMARY KEY, user_id int NOT NULL, purchased_at timestamptz NOT NULL,
                       total numeric(12,2) NOT NULL, note text, paid boolean NOT NULL);
INSERT INTO receipts
SELECT g, (g * 7919) % 100000, timestamptz '2024-01-01 00:00:00+00' + g * interval '1.234567 second',
       ((g * 104729) % 1000000) / 100.0, CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || (g % 1000) END,
       g % 5 <> 0
FROM generate_series(1::bigint, $rows) g;
VACUUM ANALYZE;
SQL
tables="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history receipts"

timed() { # label, command… → $secs $rss_mb
    local out="$work/time.$1"
    shift
    /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null
    read -r secs rss_kb <"$out"
    rss_mb=$((rss_kb / 1024))
}

copy_binary() { for t in $tables; do psql -c "COPY $t TO STDOUT (FORMAT binary)" >/dev/null; done; }
old_way() {
    mkdir -p "$work/old"
    for t in $tables; do
        psql -c "COPY $t TO STDOUT (FORMAT csv, HEADER)" >"$work/old/$t.csv"
        "$duck" "COPY (SELECT * FROM read_csv('$work/old/$t.csv')) TO '$work/old/$t.parquet' (FORMAT parquet, COMPRESSION zstd)"
    done
}
export -f copy_binary old_way
export tables work duck

timed a bash -c copy_binary;            a_s=$secs a_m=$rss_mb
timed b bash -c old_way;                b_s=$secs b_m=$rss_mb
timed c pg_dump -Fd -j "$jobs" -f "$work/dump";  c_s=$secs c_m=$rss_mb
cat >"$work/snaplake.yml" <<YML
source: postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
lake: ./lake
jobs: $jobs
YML
timed d "$snaplake" export -q -c "$work/snaplake.yml";  d_s=$secs d_m=$rss_mb

printf '%-44s %9s %12s\n' "pipeline (scale $scale, receipts $rows, jobs $jobs)" seconds "peak RSS MB"
printf '%-44s %9.2f %12d\n' "(a) COPY binary > /dev/null, per table" "$a_s" "$a_m"
printf '%-44s %9.2f %12d\n' "(b) old way: CSV COPY + DuckDB → Parquet" "$b_s" "$b_m"
printf '%-44s %9.2f %12d\n' "(c) pg_dump -Fd -j $jobs" "$c_s" "$c_m"
printf '%-44s %9.2f %12d\n' "(d) snaplake export" "$d_s" "$d_m"
awk -v a="$a_s" -v b="$b_s" -v c="$c_s" -v d="$d_s" \
    'BEGIN{printf "(d)/(a) = %.2f   (b)/(d) = %.2f   (c)/(d) = %.2f\n", d/a, b/d, c/d}'
