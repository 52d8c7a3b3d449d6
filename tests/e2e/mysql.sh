#!/usr/bin/env bash
# mysql.sh — the MySQL / MariaDB source against a real MariaDB that this script
# starts (scripts/mariadb_test_server.sh, which installs the Debian packages
# when missing) and stops on exit.
#
#   types        a table with an edge value of every type family (unsigned
#                maxima, DECIMAL(38) and (65), FLT_MAX, TIME beyond ±24 h, zero
#                dates, utf8mb4 emoji, latin1 '€', JSON, GEOMETRY, BIT, ENUM,
#                SET, a generated column) read back through DuckDB (snaplake
#                query) and the independent readers (pqread.mjs, hyparquet;
#                pqread_arrow.mjs, arrow-rs),
#                value by value against the expected text; zero dates counted
#                in the manifest, or an error with ?zero-dates=error; read over
#                the binary protocol, and the same values with ?protocol=text
#   consistency  transfers between accounts and parent/child inserts run while
#                snaplake exports with jobs: 4 and many key-range chunks: the
#                lake's total is the constant, every child has its parent
#   fallback     a user without RELOAD: LOCK TABLES used, recorded in the
#                manifest; a user without LOCK TABLES either: one connection;
#                a user allowed 3 connections: fewer workers, said and recorded
#   kill         a worker connection killed mid-chunk: retried on a spare
#                connection of the same snapshot, the data exact; killed every
#                time: the run fails saying no spare is left, nothing published
#   names        hostile identifiers (backticks, spaces, unicode, reserved words)
#   password     never in the output, the run state or the manifest
#
# Prints "PASS mysql/…" / "FAIL mysql/…" lines (tests/run.sh).
source "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/my-lib.sh"
top=$SNAPLAKE_TOP
my_start || exit 1

expect_eq() { # name got want
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
BASE=mysql://root@127.0.0.1:$MYTEST_PORT

# A project folder: project NAME SOURCE-URL [extra yaml lines…]
project() {
    local d=$T/$1
    mkdir -p "$d"
    { echo "source: \"$2\""; echo "lake: ./lake"; echo "jobs: 2"; shift 2; printf '%s\n' "$@"; } >"$d/snaplake.yml"
    echo "$d/snaplake.yml"
}
# run_sl CFG ARGS… — a run; stdout in $T/out, stderr in $T/err, status in $RC
run_sl() {
    "$SNAPLAKE" run -q -c "$1" "${@:2}" >"$T/out" 2>"$T/err"
    RC=$?
}
sq() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$T/qerr" | tail -n +2; }
snapshot_field() { # CFG FIELD — a field of the published manifest's "snapshot"
    python3 -c 'import json,sys,os
d=os.path.join(os.path.dirname(sys.argv[1]),"lake","_snaplake")
cur=open(os.path.join(d,"current")).read().strip()
m=json.load(open(os.path.join(d,"runs",cur+".json")))
print(json.dumps(m["snapshot"][sys.argv[2]]))' "$1" "$2"
}

# ---- types -----------------------------------------------------------------
M -e "CREATE DATABASE types CHARACTER SET utf8mb4" || fail "createdb types"
M types <<'SQL' || fail "types: schema loads"
SET SESSION sql_mode = '';
SET SESSION time_zone = '+05:00';
CREATE TABLE t_types (
  id int PRIMARY KEY,
  ti tinyint, tu tinyint unsigned, si smallint, su smallint unsigned,
  mi mediumint, mu mediumint unsigned, i int, iu int unsigned,
  bi bigint, bu bigint unsigned,
  d38 decimal(38,10), d65 decimal(65,30), d52 decimal(5,2),
  f float, dbl double,
  dt date, dtm datetime(6), ts timestamp(6) NULL DEFAULT NULL, tm time(6), yr year,
  c char(10), vc varchar(20), tx text,
  lat varchar(10) CHARACTER SET latin1, u3 varchar(10) CHARACTER SET utf8mb3,
  bn binary(3), vb varbinary(10), bl blob,
  en enum('a', 'b c', 'ü'), st set('x', 'y', 'z'),
  js json, gm geometry, bt bit(10), b64 bit(64),
  gen int AS (ti * 2) VIRTUAL
);
INSERT INTO t_types (id, ti, tu, si, su, mi, mu, i, iu, bi, bu, d38, d65, d52, f, dbl, dt, dtm, ts, tm, yr,
  c, vc, tx, lat, u3, bn, vb, bl, en, st, js, gm, bt, b64) VALUES
 (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -9999999999999999999999999999.9999999999, -12345678901234567890123456789012345.123456789012345678901234567890,
  -999.99, -3.40282346638529e38, -1.7976931348623157e308,
  '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 05:00:01.000000', '-838:59:59.000000', 1901,
  'h€llo😀', '', 'tab	here
new line "q" \\ b', '€', 'ünï', 0x00ff00, '', 'abc', 'ü', 'x,z', '{"a": [1, 2], "b": null}',
  ST_GeomFromText('POINT(1 2)'), b'1111111111', 0xFFFFFFFFFFFFFFFF),
 (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
  9999999999999999999999999999.9999999999, 99999999999999999999999999999999999.999999999999999999999999999999,
  999.99, 3.40282346638529e38, 1.7976931348623157e308,
  '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 08:14:07.999999', '838:59:59.000000', 2155,
  '', 'x', '', 'Ä', '', 0x000000, 0x00, '', 'b c', '', '[]',
  ST_GeomFromText('LINESTRING(0 0, 1 1)'), b'0', 0),
 (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0000000001, 0.000000000000000000000000000001, 0, 0.1, 5e-324,
  '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '25:00:00.000001', 0,
  ' a', 'vc', 'x', '', '', NULL, NULL, NULL, 'a', 'y', 'null', NULL, b'1010', 1),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '2020-00-15', NULL, NULL, '-00:00:01.500000', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL);
CREATE VIEW v_types AS SELECT id FROM t_types;
SQL
cfg=$(project types "$BASE/types")
stmt_executes() { M -N -e "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'" | cut -f2; }
execs=$(stmt_executes)
run_sl "$cfg"
expect_eq "types: run succeeds" "$RC" 0
# The chunk is read over the binary protocol (a prepared statement).
[ "$(stmt_executes)" -gt "$execs" ] && pass "types: read over the binary protocol" ||
    fail "types: read over the binary protocol" "Com_stmt_execute stayed at $execs"
[ "$RC" -eq 0 ] || cat "$T/err"
expect_grep "types: zero dates warned with table and column" "$T/err" "table t_types, column dt: 2 zero date(s)"
expect_grep "types: DECIMAL(65) warned as text" "$T/err" "d65 (decimal(65,30))"

cat >"$T/expect.json" <<'JSON'
{
 "ti":  ["int", "-128", "127", "0", null],
 "tu":  ["int", "0", "255", "0", null],
 "si":  ["int", "-32768", "32767", "0", null],
 "su":  ["int", "0", "65535", "0", null],
 "mi":  ["int", "-8388608", "8388607", "0", null],
 "mu":  ["int", "0", "16777215", "0", null],
 "i":   ["int", "-2147483648", "2147483647", "0", null],
 "iu":  ["int", "0", "4294967295", "0", null],
 "bi":  ["int", "-9223372036854775808", "9223372036854775807", "0", null],
 "bu":  ["int", "0", "18446744073709551615", "0", null],
 "d38": ["int", "-9999999999999999999999999999.9999999999", "9999999999999999999999999999.9999999999", "0.0000000001", null],
 "d65": ["text", "-12345678901234567890123456789012345.123456789012345678901234567890", "99999999999999999999999999999999999.999999999999999999999999999999", "0.000000000000000000000000000001", null],
 "d52": ["int", "-999.99", "999.99", "0.00", null],
 "f":   ["float", "-3.40282346638529e38", "3.40282346638529e38", "0.1", null],
 "dbl": ["double", "-1.7976931348623157e308", "1.7976931348623157e308", "5e-324", null],
 "dt":  ["date", "1000-01-01", "9999-12-31", null, null],
 "dtm": ["ts", "1000-01-01 00:00:00.000000", "9999-12-31 23:59:59.999999", null, null],
 "ts":  ["tstz", "1970-01-01 00:00:01.000000", "2038-01-19 03:14:07.999999", null, null],
 "tm":  ["int", "-3020399000000", "3020399000000", "90000000001", "-1500000"],
 "yr":  ["int", "1901", "2155", "0", null],
 "c":   ["text", "h€llo😀", "", " a", null],
 "vc":  ["text", "", "x", "vc", null],
 "tx":  ["text", "tab\there\nnew line \"q\" \\ b", "", "x", null],
 "lat": ["text", "€", "Ä", "", null],
 "u3":  ["text", "ünï", "", "", null],
 "bn":  ["hex", "00ff00", "000000", null, null],
 "vb":  ["hex", "", "00", null, null],
 "bl":  ["hex", "616263", "", null, null],
 "en":  ["text", "ü", "b c", "a", null],
 "st":  ["text", "x,z", "", "y", null],
 "js":  ["text", "{\"a\": [1, 2], \"b\": null}", "[]", "null", null],
 "gm":  ["hex", "0101000000000000000000f03f0000000000000040", "01020000000200000000000000000000000000000000000000000000000000f03f000000000000f03f", null, null],
 "bt":  ["int", "1023", "0", "10", null],
 "b64": ["int", "18446744073709551615", "0", "1", null],
 "gen": ["int", "-256", "254", "0", null]
}
JSON
cat >"$T/cmp.py" <<'PY'
# The lake (DuckDB via snaplake query, pqread.mjs and pqread_arrow.mjs) against expected text, value by value.
import json, os, struct, subprocess, sys, glob
CFG, SNAPLAKE, LAKE, TOOLS = os.environ['CFG'], os.environ['SNAPLAKE'], os.environ['LAKE'], os.environ['TOOLS']
exp = json.load(open(sys.argv[1]))
table = sys.argv[2]
def duck_expr(col, kind):
    q = '"%s"' % col
    if kind in ('float', 'double'): return 'CAST(CAST(%s AS DOUBLE) AS VARCHAR)' % q
    if kind == 'ts': return "strftime(%s, '%%Y-%%m-%%d %%H:%%M:%%S.%%f')" % q
    if kind == 'tstz': return "strftime(timezone('UTC', %s), '%%Y-%%m-%%d %%H:%%M:%%S.%%f')" % q
    if kind == 'hex': return 'lower(hex(%s))' % q
    return 'CAST(%s AS VARCHAR)' % q
def same(kind, got, want):
    if got is None or want is None: return got is None and want is None
    if got in ('MISSING', 'NO ROW'): return False  # not a number for float() below
    if kind == 'float':
        f32 = lambda s: struct.unpack('f', struct.pack('f', float(s)))[0]
        return float(got) == f32(want)
    if kind == 'double': return float(got) == float(want)
    return got == want
cur = open(os.path.join(LAKE, '_snaplake', 'current')).read().strip()
def read_files(tool):  # {id: row} as the reader tool prints the part files
    rows = []
    for f in sorted(glob.glob(os.path.join(LAKE, 'raw', table, 'run=' + cur, '*.parquet'))):
        out = subprocess.run(['node', os.path.join(TOOLS, tool), f], capture_output=True, text=True, check=True).stdout
        rows += [json.loads(l) for l in out.splitlines() if l]
    return {r['id']: r for r in rows}
pq = read_files('pqread.mjs')
arrow = read_files('pqread_arrow.mjs')
sql = 'SELECT CAST(id AS VARCHAR) AS id, ' + ', '.join('%s AS "%s"' % (duck_expr(c, k[0]), c) for c, k in exp.items()) + ' FROM raw.%s ORDER BY id' % table
out = subprocess.run([SNAPLAKE, 'query', '-c', CFG, '--format', 'json', sql], capture_output=True, text=True)
duck = {r['id']: r for r in json.loads(out.stdout or '[]')}
bad = 0
for reader, got in (('pqread', pq), ('arrow', arrow), ('duckdb', duck)):
    errs = []
    for c, spec in exp.items():
        kind, want = spec[0], spec[1:]
        for i, w in enumerate(want):
            r = got.get(str(i + 1))
            g = r.get(c, 'MISSING') if r else 'NO ROW'
            if not same(kind, g, w): errs.append('%s id %d: got %r want %r' % (c, i + 1, g, w))
    if errs:
        bad += 1
        print('FAIL mysql/types: %s values' % reader)
        for e in errs[:20]: print('    ' + e)
        if reader == 'duckdb' and out.stderr: print('    ' + out.stderr[:500])
    else:
        print('PASS mysql/types: %s values' % reader)
PY
CFG=$cfg SNAPLAKE=$SNAPLAKE LAKE=$T/types/lake TOOLS=$TOOLS python3 "$T/cmp.py" "$T/expect.json" t_types
# The same values over the text protocol (?protocol=text: no prepared statement).
cfg_text=$(project typestext "$BASE/types?protocol=text")
execs=$(stmt_executes)
run_sl "$cfg_text"
expect_eq "types: protocol=text run succeeds" "$RC" 0
expect_eq "types: protocol=text prepares no statement" "$(stmt_executes)" "$execs"
CFG=$cfg_text SNAPLAKE=$SNAPLAKE LAKE=$T/typestext/lake TOOLS=$TOOLS python3 "$T/cmp.py" "$T/expect.json" t_types |
    sed 's|mysql/types: |mysql/types: protocol=text, |'
expect_eq "types: column types" "$(sq "$cfg" "SELECT string_agg(column_name || ' ' || data_type, '; ' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 't_types' AND column_name IN ('bu', 'd65', 'dtm', 'ts', 'tm', 'yr', 'f', 'js', 'gm', 'bt', 'b64', 'ti')" | tr -d '"')" \
    "b64 DECIMAL(20,0); bt BIGINT; bu DECIMAL(20,0); d65 VARCHAR; dtm TIMESTAMP; f FLOAT; gm BLOB; js JSON; ti SMALLINT; tm BIGINT; ts TIMESTAMP WITH TIME ZONE; yr SMALLINT"
expect_eq "types: zero dates counted in the manifest" "$(snapshot_field "$cfg" zero_dates)" \
    '[{"table": "t_types", "column": "dt", "count": 2}, {"table": "t_types", "column": "dtm", "count": 1}, {"table": "t_types", "column": "ts", "count": 1}]'
expect_eq "types: the view is skipped, in the manifest" "$(snapshot_field "$cfg" skipped)" '[{"table": "v_types", "reason": "view"}]'
"$SNAPLAKE" run -c "$cfg" >"$T/out" 2>"$T/err"
expect_grep "types: the view is skipped with a line" "$T/err" "skipping view v_types"
expect_eq "types: global read lock recorded" "$(snapshot_field "$cfg" guarantee)" '"global read lock"'
if [ "$(snapshot_field "$cfg" binlog_file)" != null ] && [ "$(snapshot_field "$cfg" gtid)" != null ]; then
    pass "types: binlog position and GTID recorded"
else
    fail "types: binlog position and GTID recorded" "$(snapshot_field "$cfg" binlog_file) $(snapshot_field "$cfg" gtid)"
fi

cfg=$(project zeroerr "$BASE/types?zero-dates=error")
run_sl "$cfg"
expect_eq "types: zero-dates=error fails the run" "$RC" 1
expect_grep "types: the zero date error names table, column and key" "$T/err" "table t_types, column dt, row id=3: a zero date '0000-00-00'"
cfg=$(project zeroerrtext "$BASE/types?zero-dates=error&protocol=text")
run_sl "$cfg"
expect_eq "types: zero-dates=error fails the run (protocol=text)" "$RC" 1
expect_grep "types: the zero date error is the same over the text protocol" "$T/err" "table t_types, column dt, row id=3: a zero date '0000-00-00'"

# ---- consistency under concurrent transfers --------------------------------
M -e "CREATE DATABASE bank" || fail "createdb bank"
{
    echo "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);"
    echo "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(20));"
    echo "CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, order_id int NOT NULL, qty int);"
    echo "INSERT INTO accounts VALUES"
    for i in $(seq 1 1999); do printf '(%d, 1000),' "$i"; done
    echo "(2000, 1000);"
    echo "ANALYZE TABLE accounts;"
} | M bank >/dev/null || fail "bank: schema loads"
transfers() { # an endless stream of transfers and parent/child inserts
    local a b k
    while :; do
        a=$((RANDOM % 2000 + 1)); b=$((RANDOM % 2000 + 1)); k=$((RANDOM % 100))
        echo "START TRANSACTION; UPDATE accounts SET balance = balance - $k WHERE id = $a;"
        echo "UPDATE accounts SET balance = balance + $k WHERE id = $b;"
        echo "INSERT INTO orders (note) VALUES ('t'); INSERT INTO items (order_id, qty) VALUES (LAST_INSERT_ID(), 1), (LAST_INSERT_ID(), 2); COMMIT;"
    done | M bank 2>/dev/null
}
transfers &
bg_pids+=($!)
# The runs start once the writers write (not after a fixed second).
for _ in $(seq 600); do [ "$(M -N bank -e 'SELECT count(*) > 0 FROM items' 2>/dev/null)" = 1 ] && break; sleep 0.1; done
cfg=$(project bank "$BASE/bank")
sed -i 's/^jobs: 2/jobs: 4/' "$cfg"
# The server's general log shows what ran while writers were held up.
glog=$MYTEST_DIR/data/general-bank.log
M -e "SET GLOBAL general_log_file = '$glog'; SET GLOBAL general_log = 1" || fail "general log on"
SNAPLAKE_MYSQL_CHUNK_ROWS=100 run_sl "$cfg"
M -e "SET GLOBAL general_log = 0" || fail "general log off"
expect_eq "consistency: run succeeds while transfers run" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
# Inside the lock only the six snapshot transactions start (jobs 4 + 2
# spares): every connection was opened before it.
inside=$(awk '/FLUSH TABLES WITH READ LOCK/ {on = 1} on && /UNLOCK TABLES/ {on = 0} on' "$glog")
expect_eq "consistency: no connection is opened while the lock is held" "$(grep -c 'Connect' <<<"$inside")" 0
expect_eq "consistency: the snapshots start inside the lock" \
    "$(grep -c 'START TRANSACTION WITH CONSISTENT SNAPSHOT' <<<"$inside")" 6
expect_eq "consistency: the connections were opened before it" \
    "$(awk '/FLUSH TABLES WITH READ LOCK/ {exit} /Connect/ {n++} END {print n + 0}' "$glog")" 7
held=$(snapshot_field "$cfg" lock_held_ms)
if awk -v h="$held" 'BEGIN {exit !(h + 0 > 0 && h + 0 < 60000)}'; then
    pass "consistency: how long the lock was held is in the manifest ($held ms)"
else
    fail "consistency: lock_held_ms in the manifest" "$held"
fi
parts=$(ls "$T/bank/lake/raw/accounts/"run=*/ 2>/dev/null | wc -l)
[ "$parts" -gt 4 ] && pass "consistency: accounts read in $parts key-range chunks" || fail "consistency: several chunks" "parts: $parts"
expect_eq "consistency: the total is constant" "$(sq "$cfg" "SELECT sum(balance), count(*) FROM raw.accounts")" "2000000,2000"
expect_eq "consistency: no orphan items" "$(sq "$cfg" "SELECT count(*) FROM raw.items i LEFT JOIN raw.orders o ON o.id = i.order_id WHERE o.id IS NULL")" "0"
expect_eq "consistency: every order has its two items" "$(sq "$cfg" "SELECT count(*) FROM raw.orders o WHERE (SELECT count(*) FROM raw.items i WHERE i.order_id = o.id) <> 2")" "0"

# ---- fallbacks without RELOAD ----------------------------------------------
M -e "CREATE USER locker@'127.0.0.1'; GRANT SELECT, LOCK TABLES ON bank.* TO locker@'127.0.0.1';
      CREATE USER reader@'127.0.0.1'; GRANT SELECT ON bank.* TO reader@'127.0.0.1';" || fail "users"
cfg=$(project locker "mysql://locker@127.0.0.1:$MYTEST_PORT/bank")
sed -i 's/^jobs: 2/jobs: 4/' "$cfg"
SNAPLAKE_MYSQL_CHUNK_ROWS=100 run_sl "$cfg"
expect_eq "fallback: without RELOAD the run succeeds" "$RC" 0
expect_grep "fallback: the table-lock fallback is warned" "$T/err" "no RELOAD privilege"
expect_eq "fallback: table locks recorded in the manifest" "$(snapshot_field "$cfg" guarantee)" '"table locks"'
expect_eq "fallback: the total is constant (table locks)" "$(sq "$cfg" "SELECT sum(balance) FROM raw.accounts")" "2000000"
expect_eq "fallback: no orphan items (table locks)" "$(sq "$cfg" "SELECT count(*) FROM raw.items i LEFT JOIN raw.orders o ON o.id = i.order_id WHERE o.id IS NULL")" "0"
cfg=$(project reader "mysql://reader@127.0.0.1:$MYTEST_PORT/bank")
sed -i 's/^jobs: 2/jobs: 4/' "$cfg"
SNAPLAKE_MYSQL_CHUNK_ROWS=100 run_sl "$cfg"
expect_eq "fallback: without LOCK TABLES the run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_grep "fallback: the single connection is warned" "$T/err" "reading everything through ONE connection"
expect_eq "fallback: single connection recorded in the manifest" "$(snapshot_field "$cfg" guarantee)" '"single connection"'
expect_eq "fallback: no lock held, none recorded" "$(snapshot_field "$cfg" lock_held_ms)" null
expect_eq "fallback: the total is constant (one connection)" "$(sq "$cfg" "SELECT sum(balance) FROM raw.accounts")" "2000000"
expect_eq "fallback: no orphan items (one connection)" "$(sq "$cfg" "SELECT count(*) FROM raw.items i LEFT JOIN raw.orders o ON o.id = i.order_id WHERE o.id IS NULL")" "0"
# A user the server lets open 3 connections: the coordinator and 2 of the
# 6 worker connections (opened at once, before the lock) get in; the run goes
# on with those, says so, and records it.
M -e "CREATE USER few@'127.0.0.1' WITH MAX_USER_CONNECTIONS 3;
      GRANT RELOAD, SELECT, LOCK TABLES ON *.* TO few@'127.0.0.1';" || fail "few user"
cfg=$(project few "mysql://few@127.0.0.1:$MYTEST_PORT/bank")
sed -i 's/^jobs: 2/jobs: 4/' "$cfg"
SNAPLAKE_MYSQL_CHUNK_ROWS=100 run_sl "$cfg"
expect_eq "fallback: with room for 2 worker connections the run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_grep "fallback: fewer connections are warned" "$T/err" "only 2 snapshot connections could be opened"
expect_eq "fallback: the connections recorded" "$(snapshot_field "$cfg" connections)" 2
expect_eq "fallback: the total is constant (2 connections)" "$(sq "$cfg" "SELECT sum(balance) FROM raw.accounts")" "2000000"
for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
bg_pids=()

# ---- a killed worker connection --------------------------------------------
M -e "CREATE DATABASE big" || fail "createdb big"
M big -e "CREATE TABLE big (id int PRIMARY KEY, pad varchar(300));
  SET SESSION max_recursive_iterations = 400000;
  INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 300000)
  SELECT n, REPEAT('x', 200) FROM s;" || fail "big: data loads"
M -e "CREATE USER killer@'127.0.0.1'; GRANT RELOAD, SELECT, LOCK TABLES ON *.* TO killer@'127.0.0.1';" || fail "killer user"
# The killer runs in the server, polling every 5 ms: a client spawned per
# poll (about 40 ms a round) could miss the chunk's query, which lasts a few
# tenths of a second, and the run then had no retry to report.  It kills the
# chunk's own query only (`SELECT `id`, `pad` FROM `big` …`): the planning
# queries (MIN/MAX, information_schema with 'big') also name the table.
# At most 60 s; KILL from a procedure goes through a prepared statement.
M big <<'SQL' || fail "killer procedure"
DELIMITER //
CREATE PROCEDURE kill_chunks(n INT)
BEGIN
  DECLARE done INT DEFAULT 0;
  DECLARE victim BIGINT;
  DECLARE until_ts DATETIME DEFAULT NOW() + INTERVAL 60 SECOND;
  WHILE (n = 0 OR done < n) AND NOW() < until_ts DO
    SET victim = (SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'killer'
                  AND COMMAND IN ('Query', 'Execute')
                  AND INFO LIKE 'SELECT `id`, `pad` FROM `big`%' LIMIT 1);
    IF victim IS NOT NULL THEN
      SET @kill_sql = CONCAT('KILL CONNECTION ', victim);
      PREPARE kill_stmt FROM @kill_sql;
      EXECUTE kill_stmt;
      DEALLOCATE PREPARE kill_stmt;
      SET done = done + 1;
    END IF;
    DO SLEEP(0.005);
  END WHILE;
END//
DELIMITER ;
SQL
killer() { # kill the first N chunk SELECTs of user killer (0: every one, for 60 s)
    M big -e "CALL kill_chunks(${1:-0})" 2>/dev/null
}
killer_stop() { # the procedure outlives its client: kill its connection
    local id
    id=$(M -N -e "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'CALL kill_chunks%' LIMIT 1")
    [ -n "$id" ] && M -e "KILL CONNECTION $id" 2>/dev/null
    kill "$kpid" 2>/dev/null
    wait "$kpid" 2>/dev/null
}
# jobs: 1, so the retry cannot borrow an idle worker's connection: it needs a spare.
cfg=$(project kill1 "mysql://killer@127.0.0.1:$MYTEST_PORT/big")
sed -i 's/^jobs: 2/jobs: 1/' "$cfg"
killer 1 &
bg_pids+=($!)
kpid=$!
run_sl "$cfg"
expect_eq "kill: a chunk killed once is retried and the run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_grep "kill: the retry is reported" "$T/err" "retrying"
expect_eq "kill: the data is exact" "$(sq "$cfg" "SELECT count(*), sum(id) FROM raw.big")" "300000,45000150000"
killer_stop
cfg=$(project killall "mysql://killer@127.0.0.1:$MYTEST_PORT/big")
sed -i 's/^jobs: 2/jobs: 1/' "$cfg"
killer 0 &
bg_pids+=($!)
kpid=$!
run_sl "$cfg"
killer_stop
expect_eq "kill: killed every time, the run fails" "$RC" 1
expect_grep "kill: the failure says no spare connection is left" "$T/err" "no spare is left"
[ ! -e "$T/killall/lake/_snaplake/current" ] && pass "kill: nothing published" || fail "kill: nothing published"

# ---- hostile identifiers -----------------------------------------------------
M -e "CREATE DATABASE \`we\`\`ird db\`" || fail "createdb hostile"
M "we\`ird db" <<'SQL' || fail "names: schema loads"
CREATE TABLE `select` (`from` int PRIMARY KEY, `a``b` varchar(5), `sp ace` int, `ünï` int);
INSERT INTO `select` VALUES (1, 'x', 2, 3), (2, 'y', 4, 5);
CREATE TABLE `we``ird tab` (`order` int, `Ünï Code` text);
INSERT INTO `we``ird tab` VALUES (7, 'ok');
SQL
cfg=$(project names "mysql://root@127.0.0.1:$MYTEST_PORT/we%60ird%20db")
SNAPLAKE_MYSQL_CHUNK_ROWS=1 run_sl "$cfg"
expect_eq "names: run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_eq "names: reserved words and backticks" "$(sq "$cfg" 'SELECT sum("from"), string_agg(a_b, $$,$$ ORDER BY "from"), sum(sp_ace) FROM raw."select"')" "3,\"x,y\",6"
expect_eq "names: backtick table" "$(sq "$cfg" 'SELECT count(*) FROM raw.we_ird_tab')" "1"
[ -z "$(find "$T/names" -name '*`*')" ] && pass "names: no backtick in the lake's paths" || fail "names: paths"

# ---- the password ------------------------------------------------------------
M -e "CREATE USER pw@'127.0.0.1' IDENTIFIED BY 'Zq7s3cretTAIL'; GRANT ALL ON bank.* TO pw@'127.0.0.1'; GRANT RELOAD ON *.* TO pw@'127.0.0.1';" || fail "pw user"
cfg=$(project pw "mysql://pw:Zq7s3cretTAIL@127.0.0.1:$MYTEST_PORT/bank")
run_sl "$cfg"
expect_eq "password: run succeeds" "$RC" 0
"$SNAPLAKE" status -c "$cfg" >>"$T/out" 2>&1
# Everything but the config file the user wrote.
if grep -rqa --exclude=snaplake.yml "Zq7s3cret" "$T/out" "$T/err" "$T/pw"; then
    fail "password: never shown or stored" "$(grep -rla --exclude=snaplake.yml "Zq7s3cret" "$T/out" "$T/err" "$T/pw")"
else
    pass "password: never shown or stored"
fi
cfg=$(project pwbad "mysql://pw:Zq7wrongTAIL@127.0.0.1:$MYTEST_PORT/bank")
run_sl "$cfg"
expect_eq "password: a refused password fails the run" "$RC" 1
expect_grep "password: the refusal is explained" "$T/err" "Access denied"
grep -rqa --exclude=snaplake.yml "Zq7wrong" "$T/out" "$T/err" "$T/pwbad" && fail "password: not in the refusal" || pass "password: not in the refusal"
cfg=$(project pwenv "mysql://pw@127.0.0.1:$MYTEST_PORT/bank")
MYSQL_PWD=Zq7s3cretTAIL run_sl "$cfg"
expect_eq "password: MYSQL_PWD is honoured" "$RC" 0
exit $((NFAIL > 0))
