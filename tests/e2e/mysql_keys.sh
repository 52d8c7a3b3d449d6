#!/usr/bin/env bash
# mysql_keys.sh — MySQL / MariaDB tables split by a composite or non-integer
# primary key at sampled boundaries (docs/mysql.md "Chunks and reading"),
# against a MariaDB this script starts (scripts/mariadb_test_server.sh) and
# stops on exit:
#
#   split    a composite (INT, VARCHAR) key with few distinct INT values, a
#            VARCHAR key of mixed case and accents in utf8mb4_general_ci ('a'
#            and 'A' sort together), a VARBINARY key with NUL, quote and
#            backslash bytes, a DATETIME(6) key, a TIME(6) key from -838:59:59
#            to 838:59:59 (negative, fractional, beyond a day), a BIGINT UNSIGNED key next
#            to 2^64 (beyond a double's precision), a table whose only key is
#            UNIQUE NOT NULL: each in several chunks,
#            every row exported exactly once (count, distinct row tags, sum,
#            and a digest of the keys equal to the source's); the bounds in
#            the run state are the source's JSON text; a key with a FLOAT
#            column is one chunk
#   resume   a run whose last chunk fails (a zero date with ?zero-dates=error)
#            resumed with --allow-mixed-snapshots after the source changed: the
#            done chunks kept, the failed one read with the recorded bounds
#            (the plan is not made again), every row once
#
# Prints "PASS mysql_keys/…" / "FAIL mysql_keys/…" lines (tests/run.sh).
source "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/my-lib.sh"
top=$SNAPLAKE_TOP
my_start || exit 1

expect_eq() { # name got want
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
expect_ge() { # name got min
    if [ "$2" -ge "$3" ] 2>/dev/null; then pass "$1"; else fail "$1" "got '$2', want >= $3"; fi
}
MQ() { M -N -B "$@"; } # bare values
BASE=mysql://root@127.0.0.1:$MYTEST_PORT

project() { # NAME SOURCE-URL [extra yaml lines…] → the config path
    local d=$T/$1
    mkdir -p "$d"
    { echo "source: \"$2\""; echo "lake: ./lake"; shift 2; printf '%s\n' "$@"; } >"$d/snaplake.yml"
    echo "$d/snaplake.yml"
}
run_sl() { # CFG ARGS… — status in $RC, stderr in $T/err
    "$SNAPLAKE" run -q -c "$1" "${@:2}" >"$T/out" 2>"$T/err"
    RC=$?
}
sq() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$T/qerr" | tail -n +2; }
files() { # CFG DATASET — files of the dataset in the published manifest
    local d
    d=$(dirname "$1")/lake/_snaplake
    jq --arg n "$2" '[.datasets[] | select(.name == $n) | .files[]] | length' "$d/runs/$(cat "$d/current").json"
}
largest() { # CFG DATASET — "ok" when no file of it holds more than 800 rows
    local d
    d=$(dirname "$1")/lake/_snaplake
    jq -r --arg n "$2" '[.datasets[] | select(.name == $n) | .files[].rows] | max | if . <= 800 then "ok" else . end' \
        "$d/runs/$(cat "$d/current").json"
}
state() { sqlite3 "$(dirname "$1")/.snaplake/state.db" "$2"; }

# ---- split -------------------------------------------------------------------
N=3000
M -e "CREATE DATABASE ky CHARACTER SET utf8mb4" || fail "createdb ky"
M ky <<SQL >/dev/null || fail "split: schema loads"
CREATE TABLE comp (a int NOT NULL, b varchar(20) NOT NULL, v int NOT NULL, PRIMARY KEY (a, b));
INSERT INTO comp SELECT seq % 3, CONCAT(ELT(seq % 4 + 1, 'k', 'K', 'é', 'E'), seq), seq FROM seq_1_to_$N;
CREATE TABLE ci (k varchar(30) COLLATE utf8mb4_general_ci PRIMARY KEY, v int NOT NULL);
INSERT INTO ci SELECT CONCAT(ELT(seq % 8 + 1, 'a', 'A', 'é', 'E', 'ü', 'U', 'ß', 'z'), LPAD(seq, 5, '0')), seq
  FROM seq_1_to_$N;
CREATE TABLE bin (k varbinary(16) PRIMARY KEY, v int NOT NULL);
INSERT INTO bin SELECT UNHEX(LEFT(MD5(seq), 2 + 2 * (seq % 5))), seq FROM seq_1_to_$N
  ON DUPLICATE KEY UPDATE v = v;
INSERT INTO bin VALUES (0x00, $N + 1), (0x27, $N + 2), (0x5c, $N + 3), (0x27005c, $N + 4), (X'', $N + 5)
  ON DUPLICATE KEY UPDATE v = VALUES(v);
CREATE TABLE dt (k datetime(6) PRIMARY KEY, v int NOT NULL);
INSERT INTO dt SELECT '2020-01-01' + INTERVAL seq * 37 SECOND + INTERVAL seq MICROSECOND, seq FROM seq_1_to_$N;
CREATE TABLE ubig (k bigint unsigned PRIMARY KEY, v int NOT NULL);
INSERT INTO ubig SELECT 18446744073709551615 - seq, seq FROM seq_1_to_$N;
CREATE TABLE uq (k varchar(20) NOT NULL, v int NOT NULL, UNIQUE KEY (k));
INSERT INTO uq SELECT CONCAT('u', seq * 7 % $N), seq FROM seq_1_to_$N;
CREATE TABLE tm (k time(6) PRIMARY KEY, v int NOT NULL);
INSERT INTO tm SELECT SEC_TO_TIME((seq - $N / 2) * 557 + seq * 0.000001), seq FROM seq_1_to_$N;
INSERT INTO tm VALUES ('-838:59:59', $N + 1), ('838:59:59', $N + 2), ('-00:00:00.5', $N + 3);
CREATE TABLE fl (a int NOT NULL, f float NOT NULL, v int NOT NULL, PRIMARY KEY (a, f));
INSERT INTO fl SELECT seq, seq / 3, seq FROM seq_1_to_$N;
ANALYZE TABLE comp, ci, bin, dt, ubig, uq, tm, fl;
SQL
cfg=$(project ky "$BASE/ky" "jobs: 3")
SNAPLAKE_MYSQL_CHUNK_ROWS=400 run_sl "$cfg"
expect_eq "split: run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
digest_src() { # TABLE KEY-EXPR
    MQ ky -e "SET SESSION group_concat_max_len = 1 << 24;
        SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT v), '/', SUM(v), '/',
                      MD5(GROUP_CONCAT($2 ORDER BY v SEPARATOR '|'))) FROM \`$1\`"
}
digest_lake() { # TABLE KEY-EXPR
    sq "$cfg" "SELECT count(*) || '/' || count(DISTINCT v) || '/' || sum(v) || '/' ||
                      md5(string_agg($2, '|' ORDER BY v)) FROM raw.$1"
}
for spec in "comp|CONCAT(a, ':', b)|a || ':' || b" "ci|k|k" "bin|HEX(k)|hex(k)" \
    "dt|DATE_FORMAT(k, '%Y-%m-%d %H:%i:%s.%f')|strftime(k, '%Y-%m-%d %H:%M:%S.%f')" \
    "ubig|k|CAST(k AS VARCHAR)" "uq|k|k" \
    "tm|CAST(ROUND(TIME_TO_SEC(k) * 1000000) AS SIGNED)|CAST(k AS VARCHAR)"; do
    IFS='|' read -r tb src lake <<<"$spec"
    expect_ge "split: $tb in several chunks" "$(files "$cfg" "$tb")" 3
    # Even chunks: the boundaries were sampled in the order the server
    # compares them in (each file about 400 rows, the chunk size asked for).
    expect_eq "split: $tb: no chunk more than twice the size asked" "$(largest "$cfg" "$tb")" ok
    want=$(digest_src "$tb" "$src")
    case $want in [1-9]*) ;; *) fail "split: $tb: the source's digest" "got '$want'" ;; esac
    expect_eq "split: $tb: every row once, keys as in the source" "$(digest_lake "$tb" "$lake")" "$want"
done
expect_eq "split: a FLOAT in the key: one chunk" "$(files "$cfg" fl)" 1
expect_eq "split: … with every row" "$(sq "$cfg" "SELECT count(*) FROM raw.fl")" $N
id=$(state "$cfg" "SELECT max(run_id) FROM runs")
expect_eq "split: the state keeps the bounds as the source's JSON text" \
    "$(state "$cfg" "SELECT count(*) FROM tasks WHERE run_id = '$id' AND dataset = 'comp'
        AND chunk_index = 1 AND json_valid(chunk_lo) AND json_array_length(chunk_lo) = 2")" 1
expect_eq "split: an open end is NULL" \
    "$(state "$cfg" "SELECT count(*) FROM tasks WHERE run_id = '$id' AND dataset = 'ci'
        AND ((chunk_index = 0 AND chunk_lo IS NULL) OR (chunk_hi IS NULL AND chunk_lo IS NOT NULL))")" 2

# ---- resume ------------------------------------------------------------------
M -e "CREATE DATABASE res CHARACTER SET utf8mb4" || fail "createdb res"
M res <<SQL >/dev/null || fail "resume: schema loads"
SET SESSION sql_mode = '';
CREATE TABLE rz (a int NOT NULL, b varchar(20) NOT NULL, d date, v int NOT NULL, PRIMARY KEY (a, b));
INSERT INTO rz SELECT seq DIV 1000, CONCAT('Ü', LPAD(seq, 5, '0')), '2020-01-01', seq FROM seq_1_to_$N;
UPDATE rz SET d = '0000-00-00' WHERE v = $N;
ANALYZE TABLE rz;
SQL
cfg=$(project res "$BASE/res?zero-dates=error" "jobs: 1" "run: { retries: 0 }")
SNAPLAKE_MYSQL_CHUNK_ROWS=400 run_sl "$cfg"
expect_eq "resume: the first attempt fails on the last chunk" "$RC" 1
id=$(state "$cfg" "SELECT max(run_id) FROM runs")
nchunks=$(state "$cfg" "SELECT count(*) FROM tasks WHERE run_id = '$id' AND dataset = 'rz'")
expect_ge "resume: rz in several chunks" "$nchunks" 3
expect_eq "resume: … all done but the last" \
    "$(state "$cfg" "SELECT count(*) FROM tasks WHERE run_id = '$id' AND dataset = 'rz' AND state = 'done'")" \
    $((nchunks - 1))
plan() { state "$cfg" "SELECT group_concat(chunk_index || ':' || ifnull(chunk_lo, '-') || ':' || ifnull(chunk_hi, '-'), ' ')
    FROM (SELECT * FROM tasks WHERE run_id = '$id' AND dataset = 'rz' ORDER BY chunk_index)"; }
done_tasks() { state "$cfg" "SELECT group_concat(task_id || started_at) FROM tasks WHERE run_id = '$id' AND dataset = 'rz' AND state = 'done'"; }
before=$(plan)
kept=$(done_tasks)
# The source changes: the zero date fixed, and rows in the first chunk's
# range that a new plan would count (the kept chunk is of the first snapshot).
M res -e "UPDATE rz SET d = '2020-01-02' WHERE v = $N;
    INSERT INTO rz SELECT -1, CONCAT('x', seq), '2020-01-01', $N + seq FROM seq_1_to_900; ANALYZE TABLE rz;" >/dev/null
SNAPLAKE_MYSQL_CHUNK_ROWS=400 run_sl "$cfg" --resume --allow-mixed-snapshots
expect_eq "resume: --resume publishes" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_eq "resume: the recorded plan was used (bounds unchanged)" "$(plan)" "$before"
expect_eq "resume: the done chunks were kept" "$(state "$cfg" "SELECT group_concat(task_id || started_at) FROM tasks WHERE run_id = '$id' AND dataset = 'rz' AND state = 'done' AND chunk_index < $((nchunks - 1))")" "$kept"
expect_eq "resume: every row of the first snapshot once" \
    "$(sq "$cfg" "SELECT count(*) || '/' || count(DISTINCT v) || '/' || sum(v) || '/' || max(d) FROM raw.rz")" \
    "$N/$N/$((N * (N + 1) / 2))/2020-01-02"
exit $((NFAIL > 0))
