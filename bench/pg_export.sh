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
# and prints the wall seconds, the client's CPU seconds (user + sys), the
# server's CPU seconds during the step (all its processes, from /proc) and
# peak RSS of each, and the ratios (d)/(a), (b)/(d), (c)/(d); the writer
# issue's goal is (d)/(a) <= 1.0.  (a) and (d) are then run ROUNDS - 1 more
# times (env, default 3 in all), alternating, and the median of the per-round
# ratios (d)/(a) is printed too: on a shared machine one pair can land on a
# busy second.
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

rounds=${ROUNDS:-3}
# The server's CPU ticks, all its processes (the backends come and go; a
# backend's ticks are read before it exits only if it lives across both
# reads, so each step's connections are counted through the postmaster's
# children-time fields 16 and 17 as well).
server_ticks() {
    local pm s=0 p
    pm=$(head -1 "$PGTEST_DIR/data/postmaster.pid")
    for p in $pm $(pgrep -P "$pm"); do
        s=$((s + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$s"
}
timed() { # label, command… → $secs $rss_mb $cpu (the client's user+sys s) $srv (the server's s)
    local out="$work/time.$1" t0 t1
    shift
    sync # the previous step's files are written back now, not during this one
    t0=$(server_ticks)
    /usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >/dev/null
    t1=$(server_ticks)
    read -r secs rss_kb usr sys <"$out"
    rss_mb=$((rss_kb / 1024))
    cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
    srv=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b - a) / hz}')
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

cat >"$work/snaplake.yml" <<YML
source: postgres://postgres@127.0.0.1:$PGTEST_PORT/postgres
lake: ./lake
jobs: $jobs
YML
snaplake_export() { rm -rf "$work/lake" "$work/.snaplake"; "$snaplake" export -q -c "$work/snaplake.yml"; }
export -f snaplake_export
export snaplake

load0=$(cut -d' ' -f1 /proc/loadavg)
timed a bash -c copy_binary;            a_s=$secs a_m=$rss_mb a_c=$cpu a_v=$srv
timed b bash -c old_way;                b_s=$secs b_m=$rss_mb b_c=$cpu b_v=$srv
timed c pg_dump -Fd -j "$jobs" -f "$work/dump";  c_s=$secs c_m=$rss_mb c_c=$cpu c_v=$srv
timed d bash -c snaplake_export;        d_s=$secs d_m=$rss_mb d_c=$cpu d_v=$srv
lake_mb=$(du -sm "$work/lake" | cut -f1)
ratios=$(awk -v a="$a_s" -v d="$d_s" 'BEGIN{printf "%.2f", d/a}')
for r in $(seq 2 "$rounds"); do
    timed a bash -c copy_binary; ra=$secs
    timed d bash -c snaplake_export; rd=$secs
    ratios="$ratios $(awk -v a="$ra" -v d="$rd" 'BEGIN{printf "%.2f", d/a}')"
done
load1=$(cut -d' ' -f1 /proc/loadavg)

printf '%-44s %8s %8s %8s %8s\n' "pipeline (scale $scale, receipts $rows, jobs $jobs)" seconds client server "RSS MB"
printf '%-44s %8s %8s %8s %8s\n' "" "(wall)" "CPU s" "CPU s" "(peak)"
printf '%-44s %8.2f %8.2f %8.2f %8d\n' "(a) COPY binary > /dev/null, per table" "$a_s" "$a_c" "$a_v" "$a_m"
printf '%-44s %8.2f %8.2f %8.2f %8d\n' "(b) old way: CSV COPY + DuckDB → Parquet" "$b_s" "$b_c" "$b_v" "$b_m"
printf '%-44s %8.2f %8.2f %8.2f %8d\n' "(c) pg_dump -Fd -j $jobs" "$c_s" "$c_c" "$c_v" "$c_m"
printf '%-44s %8.2f %8.2f %8.2f %8d\n' "(d) snaplake export ($lake_mb MB of Parquet)" "$d_s" "$d_c" "$d_v" "$d_m"
awk -v a="$a_s" -v b="$b_s" -v c="$c_s" -v d="$d_s" \
    'BEGIN{printf "(d)/(a) = %.2f   (b)/(d) = %.2f   (c)/(d) = %.2f\n", d/a, b/d, c/d}'
echo "$ratios" | tr ' ' '\n' | sort -n | awk -v n="$rounds" '{r[NR] = $1; all = all " " $1}
    END{printf "(d)/(a) over %d alternating rounds:%s; median %.2f (goal <= 1.0)\n", n, all, r[int((NR + 1) / 2)]}'
echo "load average (1 min) before / after: $load0 / $load1 on $(nproc) cores"
