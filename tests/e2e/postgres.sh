#!/usr/bin/env bash
# postgres.sh — the PostgreSQL source against a real PostgreSQL 15 that this
# script starts (scripts/pg_test_server.sh) and stops on exit.
#
#   types        a table per type family with edge values and NULLs; DuckDB
#                (snaplake query) and the independent readers (pqread.mjs,
#                hyparquet; pqread_arrow.mjs, arrow-rs) agree with psql value
#                by value in a canonical text form
#   errors       ±infinity dates, NaN in numeric(p,s): the run fails naming
#                table, column and row (ctid); nothing published
#   names        hostile identifiers land under safe dataset/column names,
#                inside the lake
#   tables       a partitioned table is one dataset; empty table; views and
#                unlogged tables skipped; unreadable tables reported
#   consistency  transfers between accounts (total constant) and parent/child
#                inserts run while snaplake exports with jobs: 2 and small
#                ctid chunks; the lake's total is the constant, every FK
#                resolves
#   kill         worker backends terminated mid-COPY (pg_terminate_backend):
#                the chunk is retried in the same snapshot, the data is exact
#   wide / big   1 600 columns; a 100 MB text value
#
# Prints "PASS postgres/…" / "FAIL postgres/…" lines (tests/run.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SNAPLAKE=${SNAPLAKE:-$top/build/snaplake}
TOOLS=$top/tests/tools
export NODE_PATH=${NODE_PATH:-$top/.deps/node/node_modules}
SUITE=postgres
T=$(mktemp -d "${TMPDIR:-/tmp}/snaplake-e2e-pg.XXXXXX")
chmod 755 "$T"
PGTEST_DIR=
bg_pids=()
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$PGTEST_DIR" ] && "$top/scripts/pg_test_server.sh" stop "$PGTEST_DIR"
    rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS $SUITE/$1"; }
fail() {
    local n=$1
    shift
    echo "FAIL $SUITE/$n"
    local l
    for l in "$@"; do printf '    %s\n' "$l"; done
}
check() { # name command…
    local n=$1
    shift
    if "$@"; then pass "$n"; else fail "$n" "failed: $*"; fi
}
expect_eq() { # name got want
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
expect_grep() { # name file fixed-string
    if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1" "no '$3' in: $(head -c 800 "$2" | tr '\n' '|')"; fi
}

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "postgres.sh: PostgreSQL 15 binaries not found; skipped"
    exit 0
fi
eval "$("$top/scripts/pg_test_server.sh" start)" || { fail "server starts"; exit 1; }
BASE=postgres://postgres@127.0.0.1:$PGTEST_PORT
P() { psql -XAtq -v ON_ERROR_STOP=1 "$BASE/$1" "${@:2}"; }
for db in types names tables bank wide; do P postgres -c "CREATE DATABASE $db" || fail "createdb $db"; done

# A project folder: project NAME SOURCE-URL [extra yaml lines…]
project() {
    local d=$T/$1
    mkdir -p "$d"
    { echo "source: \"$2\""; echo "lake: ./lake"; echo "jobs: 2"; shift 2; printf '%s\n' "$@"; } >"$d/snaplake.yml"
    echo "$d/snaplake.yml"
}
# sl CFG ARGS… — a run; stderr in $T/err, status in $RC
run_sl() {
    "$SNAPLAKE" run -q -c "$1" "${@:2}" >"$T/out" 2>"$T/err"
    RC=$?
}
sq() { "$SNAPLAKE" query -c "$1" --format csv "$2" 2>>"$T/qerr" | tail -n +2; }

# ---- types ---------------------------------------------------------------
cat >"$T/types.sql" <<'SQL'
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcode mood');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN price AS numeric(8,3);
CREATE DOMAIN price2 AS price;
CREATE TYPE pair AS (a int, b text);

CREATE TABLE t_int (id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, o oid, dm posint);
INSERT INTO t_int VALUES
 (1, -32768, -2147483648, -9223372036854775808, 0, 1),
 (2, 32767, 2147483647, 9223372036854775807, 4294967295, 2147483647),
 (3, 0, 0, 0, 1, 42),
 (4, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_float (id int PRIMARY KEY, r real, d double precision);
INSERT INTO t_float VALUES
 (1, 'NaN', 'NaN'), (2, 'Infinity', 'Infinity'), (3, '-Infinity', '-Infinity'),
 (4, '-0', '-0'), (5, 0.1, 0.1), (6, 3.4028235e38, 1.7976931348623157e308),
 (7, 1.4e-45, 5e-324), (8, -1.17549435e-38, -2.2250738585072014e-308),
 (9, 123456.79, 1234567890.1234567), (10, NULL, NULL);

CREATE TABLE t_numeric (id int PRIMARY KEY, n10_2 numeric(10,2), n38_10 numeric(38,10),
  n18 numeric(18,0), n19_4 numeric(19,4), nneg numeric(3,-2), nsmall numeric(2,5),
  n1 numeric(1,0), nfree numeric, nbig numeric(50,5), m money, dp price2);
INSERT INTO t_numeric VALUES
 (1, 99999999.99, 9999999999999999999999999999.9999999999, 999999999999999999, 999999999999999.9999,
  99900, 0.00099, 9, 'NaN', 123456789012345678901234567890123456789012345.12345, '92233720368547758.07', 99999.999),
 (2, -99999999.99, -9999999999999999999999999999.9999999999, -999999999999999999, -999999999999999.9999,
  -99900, -0.00099, -9, 'Infinity', -0.00001, '-92233720368547758.08', -99999.999),
 (3, 0, 0, 0, 0, 0, 0, 0, '-Infinity', 0, 0, 0),
 (4, 0.01, 0.0000000001, 1, 0.0001, 100, 0.00001, 1, 0.000000000000000000001, 1, 0.01, 0.001),
 (5, 12345.6, 12345678901234567890.123, 10000, 10000.5, 1200, 0.0001, 0, 1e30, 100000, 1234.56, 1.5),
 (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, 1, 1, 1, 1, 1, 0, 1, 1.00, 1, 1, 1);

CREATE TABLE t_text (id int PRIMARY KEY, t text, vc varchar(10), c char(5), nm name, ci citext, e mood);
INSERT INTO t_text VALUES
 (1, 'héllo wörld ✓ 😀', 'abc', 'ab', 'pg_name', 'MiXeD', 'happy'),
 (2, '', '', '', '', '', 'sad'),
 (3, E'tab\there\nnew line "quotes" \\ back', 'x', 'abcde', repeat('n', 63), 'ünï', 'ünïcode mood'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, repeat('long text ', 10000), '0123456789', ' ', 'x', 'y', 'ok');

CREATE TABLE t_time (id int PRIMARY KEY, d date, t time, ts timestamp, tz timestamptz);
SET TimeZone = 'America/Sao_Paulo';
INSERT INTO t_time VALUES
 (1, '1970-01-01', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00'),
 (2, '1969-12-31', '23:59:59.999999', '1969-12-31 23:59:59.999999', '2024-01-01 00:00:00'),
 (3, '0001-01-01', '12:34:56.5', '0001-01-01 00:00:00', '2024-07-01 12:00:00.000001'),
 (4, '4713-01-01 BC', '24:00:00', '4713-01-01 00:00:00 BC', '1900-01-01 00:00:00+01'),
 (5, '9999-12-31', '00:00:00.000001', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00'),
 (6, '5874897-12-31', '01:02:03', '12345-06-07 08:09:10.111213', '2000-02-29 12:00:00-08'),
 (7, '2024-02-29', NULL, '2024-02-29 12:00:00.123456', NULL),
 (8, NULL, NULL, NULL, NULL);
RESET TimeZone;

CREATE TABLE t_misc (id int PRIMARY KEY, b boolean, by bytea, u uuid, j json, jb jsonb,
  arr int[], tarr text[], iv interval, ip inet, cid cidr, mac macaddr, bits bit(4), vb varbit,
  rng int4range, comp pair, ttz timetz, pt point, x xml, ch "char");
INSERT INTO t_misc VALUES
 (1, true, '\x00ff00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2], "b":null}', '{"b": 1, "a": [1, 2]}',
  '{1,2,NULL}', '{"a b","c,d",NULL,""}', '1 year 2 mons 3 days 04:05:06.789', '192.168.0.1/24', '10.0.0.0/8',
  '08:00:2b:01:02:03', B'1010', B'101', '[1,10)', ROW(1, 'x y'), '12:34:56+05:30', '(1.5,2)', '<a>x</a>', 'z'),
 (2, false, '\x', '00000000-0000-0000-0000-000000000000', '[]', '"ünï"',
  '{}', '{}', '-3 mons', '::1', '::/0', '00:00:00:00:00:00', B'0000', B'', 'empty', ROW(NULL, NULL), '00:00:00-12', '(0,0)', '', 'a'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, true, decode(repeat('00', 1000), 'hex'), 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', 'null',
  '{4}', '{"x\"y"}', '0', '2001:db8::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'1111', B'1', '(,)', ROW(-1, ''), '23:59:59.999999+14', '(-1e300,1e-300)', '<?xml version="1.0"?><r/>', ' ');

CREATE TABLE t_empty (id int PRIMARY KEY, v text);

CREATE TABLE t_arrays (id int PRIMARY KEY, ints int[], bigs bigint[] NOT NULL, texts text[],
  nums numeric(10,2)[], days date[], stamps timestamptz[], ids uuid[], flags bool[], moods mood[],
  prices price[], spans interval[]);
INSERT INTO t_arrays VALUES
 (1, '{1,2,3}', '{}', '{a,"b c","",NULL}', '{1.50,-2.25}', '{2024-01-01,1969-12-31}',
  '{"2024-01-01 10:00:00.123456+00"}', '{00000000-0000-0000-0000-000000000001}', '{t,f,NULL}',
  '{sad,happy}', '{1.5}', '{1 day}'),
 (2, NULL, '{9223372036854775807,-9223372036854775808}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, '{}', '{NULL}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
 (4, '{NULL,5}', '{1}', '{NULL,"ü"}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}'),
 (5, '[0:1]={7,8}', '{2}', '{x}', '{0.01}', '{0001-01-01}', '{"1900-01-01 00:00:00+00"}',
  '{ffffffff-ffff-ffff-ffff-ffffffffffff}', '{t}', '{ok}', '{-99999.999}', '{2 hours}');
SQL
P types -f "$T/types.sql" >/dev/null 2>"$T/psql.err" || fail "types: schema loads" "$(cat "$T/psql.err")"
# A password in the URL must never show up (trust auth: libpq never sends it).
cfg=$(project types "postgres://postgres:s3cretpw@127.0.0.1:$PGTEST_PORT/types")
run_sl "$cfg"
expect_eq "types: run succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
cat >"$T/cmp.py" <<'PY'
# Compare PostgreSQL (psql) with the lake (DuckDB via snaplake query, pqread.mjs and
# pqread_arrow.mjs, whose rows have the same form) value by value.
import json, os, re, struct, subprocess, sys, glob, math

PGURL = os.environ['PGURL']; CFG = os.environ['CFG']; SNAPLAKE = os.environ['SNAPLAKE']
LAKE = os.environ['LAKE']; TOOLS = os.environ['TOOLS']; SUITE = os.environ.get('SUITE', 'postgres')
spec = json.loads(sys.argv[1])  # {table: [[column, kind], ...]}, id is the first column

def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468

def parse_date(s):  # YYYY-MM-DD, year may be negative or > 4 digits
    neg = s.startswith('-')
    y, m, d = s[1:].split('-') if neg else s.split('-')
    return days_from_civil(-int(y) if neg else int(y), int(m), int(d))

def parse_clock(s):  # HH:MM:SS[.ffffff] → micros
    hms, _, frac = s.partition('.')
    h, mi, se = hms.split(':')
    return ((int(h) * 60 + int(mi)) * 60 + int(se)) * 1000000 + int((frac + '000000')[:6])

def fbits(s, single):
    f = float(s)
    if math.isnan(f):
        return 'nan'
    if single:
        return struct.pack('>f', f).hex()
    return struct.pack('>d', f).hex()

FILE_READERS = {'pqread': 'pqread.mjs', 'arrow': 'pqread_arrow.mjs'}  # hyparquet, arrow-rs

# arrow-rs (parquet-wasm 0.8) reads a UUID column as FixedSizeBinary(16) without
# the UUID annotation, so pqread_arrow.mjs prints its 16 bytes as plain hex: psql's
# UUIDs are compared with it as their 32 hex digits (docs/parquet.md, Readers).
UUID_TEXT = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
def uuid_bytes(v):
    if isinstance(v, list): return [uuid_bytes(e) for e in v]
    return v.replace('-', '') if isinstance(v, str) and UUID_TEXT.fullmatch(v) else v

def norm(kind, v, src):
    if v is None:
        return None
    if kind == 'f8': return fbits(v, False)
    if kind == 'dec' and (v.startswith('.') or v.startswith('-.')):
        return v.replace('.', '0.', 1)  # DuckDB prints DECIMAL(5,5) as .00099
    if kind == 'f4': return fbits(v, True)
    if kind == 'arr':  # psql/DuckDB give JSON text, pqread a list of canonical strings
        items = v if isinstance(v, list) else json.loads(v, parse_float=str, parse_int=str)
        return [None if x is None else ('true' if x is True else 'false' if x is False else str(x))
                for x in items]
    if kind == 'date' and src in FILE_READERS: return str(parse_date(v))
    if kind == 'ts' and src in FILE_READERS:
        day, _, clock = v.partition(' ')
        return str(parse_date(day) * 86400000000 + parse_clock(clock))
    if kind == 'time':
        if src == 'pg': return v
        us = parse_clock(v)
        return str(us)
    return v

def pg_expr(c, kind):
    q = '"%s"' % c
    return {'int': q + '::text', 'f8': q + '::text', 'f4': q + '::text', 'dec': q + '::text',
            'money': q + '::numeric::text', 'text': q + '::text', 'bytea': "encode(%s, 'hex')" % q,
            'bool': q + '::text', 'bpchar': 'CASE WHEN %s IS NOT NULL THEN concat(%s) END' % (q, q), 'date': "(%s - date '1970-01-01')::text" % q,
            'ts': '(extract(epoch from %s) * 1000000)::bigint::text' % q,
            'time': '(extract(epoch from %s) * 1000000)::bigint::text' % q,
            'uuid': q + '::text', 'json': q + '::text',
            'arr': 'array_to_json(%s)::text' % q}[kind]

def duck_expr(c, kind):
    q = '"%s"' % c
    return {'bytea': 'lower(hex(%s))' % q,
            'date': "CAST(date_diff('day', DATE '1970-01-01', %s) AS VARCHAR)" % q,
            'ts': 'CAST(epoch_us(%s) AS VARCHAR)' % q,
            'arr': 'CAST(to_json(list_transform(%s, x -> CAST(x AS VARCHAR))) AS VARCHAR)' % q}.get(kind, 'CAST(%s AS VARCHAR)' % q)

fails = 0
def report(name, bad):
    global fails
    if bad:
        fails += 1
        print('FAIL %s/%s' % (SUITE, name))
        for b in bad[:8]:
            print('    ' + b)
    else:
        print('PASS %s/%s' % (SUITE, name))

for table, cols in spec.items():
    key = cols[0][0]
    pgsql = 'SELECT coalesce(json_agg(json_build_array(%s) ORDER BY "%s"), \'[]\') FROM "%s"' % (
        ', '.join(pg_expr(c, k) for c, k in cols), key, table)
    out = subprocess.run(['psql', '-XAtq', PGURL, '-c', pgsql], capture_output=True, text=True)
    if out.returncode:
        report('%s: psql' % table, [out.stderr.strip()])
        continue
    pg = json.loads(out.stdout)
    dsql = 'SELECT %s FROM raw."%s" ORDER BY "%s"' % (
        ', '.join('%s AS c%d' % (duck_expr(c, k), i) for i, (c, k) in enumerate(cols)), table, key)
    out = subprocess.run([SNAPLAKE, 'query', '-c', CFG, '--format', 'json', dsql], capture_output=True, text=True)
    if out.returncode:
        report('%s: duckdb query' % table, [out.stderr.strip()])
        continue
    duck = [[r['c%d' % i] for i in range(len(cols))] for r in json.loads(out.stdout)]
    cur = open(os.path.join(LAKE, '_snaplake', 'current')).read().strip()
    readers = [('duckdb', duck)]
    for name, tool in FILE_READERS.items():
        rows = []
        for f in sorted(glob.glob(os.path.join(LAKE, 'raw', table, 'run=' + cur, '*.parquet'))):
            out = subprocess.run(['node', os.path.join(TOOLS, tool), f], capture_output=True, text=True)
            if out.returncode:
                report('%s: %s' % (table, name), [out.stderr.strip()[:300]])
                break
            rows += [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
        readers.append((name, sorted(([r.get(c) for c, k in cols] for r in rows), key=lambda r: int(r[0]))))
    for name, other in readers:
        bad = []
        if len(other) != len(pg):
            bad.append('rows: postgres %d, %s %d' % (len(pg), name, len(other)))
        for a, b in zip(pg, other):
            for i, (c, k) in enumerate(cols):
                x, y = norm(k, a[i], 'pg'), norm(k, b[i], name)
                if name == 'arrow' and k in ('uuid', 'arr'):
                    x = uuid_bytes(x)
                if k == 'time' and name in FILE_READERS and x is not None and y is not None:
                    x = str(int(x) % 86400000000)  # pqread(_arrow) prints 24:00:00 as 00:00:00
                if x != y:
                    bad.append('%s.%s id=%s: postgres %r, %s %r' % (table, c, a[0], a[i][:80] if isinstance(a[i], str) else a[i], name, b[i][:80] if isinstance(b[i], str) else b[i]))
        report('types: %s values (%s)' % (table, name), bad)
sys.exit(1 if fails else 0)
PY
PGURL=$BASE/types CFG=$cfg SNAPLAKE=$SNAPLAKE LAKE=$T/types/lake TOOLS=$TOOLS SUITE=$SUITE python3 "$T/cmp.py" '{
"t_int": [["id","int"],["i2","int"],["i4","int"],["i8","int"],["o","int"],["dm","int"]],
"t_float": [["id","int"],["r","f4"],["d","f8"]],
"t_numeric": [["id","int"],["n10_2","dec"],["n38_10","dec"],["n18","dec"],["n19_4","dec"],["nneg","dec"],["nsmall","dec"],["n1","dec"],["nfree","text"],["nbig","text"],["m","money"],["dp","dec"]],
"t_text": [["id","int"],["t","text"],["vc","text"],["c","bpchar"],["nm","text"],["ci","text"],["e","text"]],
"t_time": [["id","int"],["d","date"],["t","time"],["ts","ts"],["tz","ts"]],
"t_misc": [["id","int"],["b","bool"],["by","bytea"],["u","uuid"],["j","json"],["jb","json"],["arr","arr"],["tarr","arr"],["iv","text"],["ip","text"],["cid","text"],["mac","text"],["bits","text"],["vb","text"],["rng","text"],["comp","text"],["ttz","text"],["pt","text"],["x","text"],["ch","text"]],
"t_empty": [["id","int"],["v","text"]],
"t_arrays": [["id","int"],["ints","arr"],["bigs","arr"],["texts","arr"],["nums","arr"],["moods","arr"],["flags","arr"],["ids","arr"],["spans","text"]]
}'
types_sql=$(sq "$cfg" "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 't_numeric'")
expect_eq "types: numeric column types in the catalog" "$types_sql" \
    '"id INTEGER, n10_2 DECIMAL(10,2), n38_10 DECIMAL(38,10), n18 DECIMAL(18,0), n19_4 DECIMAL(19,4), nneg DECIMAL(5,0), nsmall DECIMAL(5,5), n1 DECIMAL(1,0), nfree VARCHAR, nbig VARCHAR, m DECIMAL(19,2), dp DECIMAL(8,3)"'
types_sql=$(sq "$cfg" "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 't_time'")
expect_eq "types: date/time column types in the catalog" "$types_sql" \
    '"id INTEGER, d DATE, t TIME, ts TIMESTAMP, tz TIMESTAMP WITH TIME ZONE"'
types_sql=$(sq "$cfg" "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 't_arrays'")
expect_eq "types: arrays are LISTs in the catalog (interval[] as text)" "$types_sql" \
    '"id INTEGER, ints INTEGER[], bigs BIGINT[], texts VARCHAR[], nums DECIMAL(10,2)[], days DATE[], stamps TIMESTAMP WITH TIME ZONE[], ids UUID[], flags BOOLEAN[], moods VARCHAR[], prices DECIMAL(8,3)[], spans VARCHAR"'
expect_eq "types: date, timestamptz and domain arrays" \
    "$(sq "$cfg" "SELECT CAST(list_transform(days, x -> CAST(x AS VARCHAR)) AS VARCHAR) || ' ' || CAST(list_transform(stamps, x -> CAST(epoch_us(x) AS VARCHAR)) AS VARCHAR) || ' ' || CAST(prices AS VARCHAR) FROM raw.t_arrays WHERE id = 5")" \
    '[0001-01-01] [-2208988800000000] [-99999.999]'
man=$(ls "$T/types/lake/_snaplake/runs/"*.json | head -1)
python3 - "$man" >"$T/man.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
s = m['snapshot']
print('kind', s['kind'])
print('lsn', 'yes' if s.get('lsn') else 'no')
print('time', 'yes' if s.get('snapshot_time', '').endswith('Z') else 'no')
print('text', ' '.join(sorted(c['table'] + '.' + c['column'] for c in s['text_columns'])))
PY
expect_grep "types: manifest snapshot kind" "$T/man.txt" "kind postgresql exported snapshot"
expect_grep "types: manifest records the LSN" "$T/man.txt" "lsn yes"
expect_grep "types: manifest records the snapshot time" "$T/man.txt" "time yes"
expect_grep "types: manifest lists columns exported as text" "$T/man.txt" "public.t_misc.iv"
expect_grep "types: numeric without typmod listed as text" "$T/man.txt" "public.t_numeric.nfree"
expect_grep "types: text fallback warned on stderr" "$T/err" "iv (interval)"
if grep -rqa --exclude=snaplake.yml s3cretpw "$T/types" "$T/err" "$T/out"; then
    fail "types: the password appears nowhere" "$(grep -rla --exclude=snaplake.yml s3cretpw "$T/types" "$T/err" "$T/out")"
else
    pass "types: the password appears nowhere"
fi
# URL forms: parameters in the query string; and everything from PG* variables.
cfg2=$(project url2 "postgresql:///types?host=127.0.0.1&port=$PGTEST_PORT&user=postgres" \
    'tables: { include: ["public.t_int"] }')
run_sl "$cfg2"
expect_eq "types: postgresql:// URL with query parameters works" "$RC" 0
expect_eq "types: … and reads the rows" "$(sq "$cfg2" "SELECT sum(i4::BIGINT) FROM raw.t_int")" "-1"
cfg2=$(project url3 "postgres:///types" 'tables: { include: ["public.t_int"] }')
PGHOST=127.0.0.1 PGPORT=$PGTEST_PORT PGUSER=postgres run_sl "$cfg2"
expect_eq "types: PGHOST/PGPORT/PGUSER honoured" "$RC" 0

# ---- values that cannot be exported exactly --------------------------------
P types -c "CREATE TABLE bad_inf (id int, d date); INSERT INTO bad_inf VALUES (1, '2020-01-01'), (2, 'infinity')" \
    -c "CREATE TABLE bad_tsinf (id int, ts timestamptz); INSERT INTO bad_tsinf VALUES (1, '-infinity')" \
    -c "CREATE TABLE bad_nan (id int, n numeric(10,2)); INSERT INTO bad_nan VALUES (1, 'NaN')" \
    -c "CREATE TABLE bad_md (id int, m int[]); INSERT INTO bad_md VALUES (1, '{1}'), (2, '{{1,2},{3,4}}')" \
    -c "CREATE TABLE bad_pk (id bigint PRIMARY KEY, n numeric(10,2)); INSERT INTO bad_pk VALUES (-7, 1), (-9000000000, 'NaN')" \
    -c "CREATE TABLE bad_pkt (d date, code varchar(20) PRIMARY KEY); INSERT INTO bad_pkt VALUES ('2020-01-01', 'a'), ('infinity', 'it''s')" \
    -c "CREATE TABLE bad_pku (u uuid PRIMARY KEY, d date); INSERT INTO bad_pku VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'infinity')" \
    -c "CREATE TABLE bad_pk2 (a int, b int, d date, PRIMARY KEY (a, b)); INSERT INTO bad_pk2 VALUES (1, 2, 'infinity')"
# Rows are named by a one-column primary key, else by ctid.
for t in "bad_inf:d:infinity:ctid (0," "bad_tsinf:ts:-infinity:ctid (0," "bad_nan:n:NaN:ctid (0," \
    "bad_md:m:2-dimensional:ctid (0," "bad_pk:n:NaN:id=-9000000000" "bad_pkt:d:infinity:code='it''s'" \
    "bad_pku:d:infinity:u='a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'" "bad_pk2:d:infinity:ctid (0,"; do
    IFS=: read -r tab col what row <<<"$t"
    cfg=$(project "err_$tab" "$BASE/types" "tables: { include: [\"public.$tab\"] }")
    run_sl "$cfg"
    expect_eq "errors: $tab fails the run" "$RC" 1
    expect_grep "errors: $tab error names table, column, row" "$T/err" "table public.$tab, column $col, row $row"
    expect_grep "errors: $tab error says why" "$T/err" "$what"
    check "errors: $tab publishes nothing" test ! -e "$T/err_$tab/lake/_snaplake/current"
done

# ---- hostile identifiers ---------------------------------------------------
long_tab=$(printf 't%.0s' $(seq 1 63))
long_col=$(printf 'c%.0s' $(seq 1 63))
P names <<SQL
CREATE TABLE "Mixed Case" ("Col A" int, "select" text, "a/b" int, "quo""te" text, "ünï" text, "$long_col" int);
INSERT INTO "Mixed Case" VALUES (1, 'x', 2, 'q', 'u', 3);
CREATE TABLE "a/b" (id int);          INSERT INTO "a/b" VALUES (1), (2);
CREATE TABLE "../escape" (id int);    INSERT INTO "../escape" VALUES (7);
CREATE TABLE "order" ("group" int);   INSERT INTO "order" VALUES (5);
CREATE TABLE "$long_tab" (id int);    INSERT INTO "$long_tab" VALUES (9);
CREATE TABLE "表" ("列" text);        INSERT INTO "表" VALUES ('値');
CREATE TABLE "with ""quote""" (id int); INSERT INTO "with ""quote""" VALUES (11);
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Orders" (id int); INSERT INTO "Sales Dept"."Orders" VALUES (1), (2), (3);
SQL
cfg=$(project names "$BASE/names")
run_sl "$cfg"
expect_eq "names: hostile identifiers export" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
got=$(ls "$T/names/lake/raw" | sort | tr '\n' ' ')
want_hash=$(ls "$T/names/lake/raw" | grep '^t_' | grep -v "^t_$long_tab" | head -1)
expect_eq "names: safe dataset names" "$got" \
    "a_b escape mixed_case order sales_dept_orders $want_hash $long_tab with_quote "
check "names: nothing written outside the lake" test -z "$(find "$T/names" -name '*.parquet' -not -path "$T/names/lake/raw/*")"
names_got=$(sq "$cfg" "SELECT string_agg(column_name, ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'mixed_case'")
if [[ "$names_got" =~ ^col_a\ select\ a_b\ quo_te\ n(_[0-9a-f]+)?\ $long_col$ ]]; then
    pass "names: safe column names"
else
    fail "names: safe column names" "got '$names_got'"
fi
expect_eq "names: values under safe names" "$(sq "$cfg" 'SELECT "col_a" + a_b FROM raw.mixed_case')" "3"
expect_eq "names: non-public schema table" "$(sq "$cfg" 'SELECT count(*) FROM raw.sales_dept_orders')" "3"
expect_eq "names: quoted table name" "$(sq "$cfg" 'SELECT id FROM raw.with_quote')" "11"
expect_eq "names: reserved word" "$(sq "$cfg" 'SELECT "group" FROM raw."order"')" "5"
expect_eq "names: unicode table" "$(sq "$cfg" "SELECT * FROM raw.$want_hash")" "値"
P names -c 'CREATE TABLE "A B" (id int); CREATE TABLE "a_b" (id int)'
run_sl "$cfg"
expect_eq "names: two tables on one dataset name refused" "$RC" 1
expect_grep "names: … with a message saying which" "$T/err" "both map to the dataset name 'a_b'"
cfg=$(project names_ex "$BASE/names" 'tables: { exclude: ["public.A B", "public.a/b"] }')
run_sl "$cfg"
expect_eq "names: excluding the other tables resolves the clash" "$RC" 0
expect_eq "names: … and exports the one left" "$(sq "$cfg" 'SELECT count(*) FROM raw.a_b')" "0"

# ---- table kinds -----------------------------------------------------------
P tables <<'SQL'
CREATE TABLE events (id int, region text, amount int) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us') PARTITION BY RANGE (id);
CREATE TABLE events_us_lo PARTITION OF events_us FOR VALUES FROM (0) TO (1000);
CREATE TABLE events_us_hi PARTITION OF events_us FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE events_other PARTITION OF events DEFAULT;
INSERT INTO events SELECT g, (ARRAY['eu','us','ap'])[g % 3 + 1], g FROM generate_series(1, 3000) g;
CREATE TABLE empty (id int, v text);
CREATE VIEW v_events AS SELECT * FROM events;
CREATE MATERIALIZED VIEW mv_events AS SELECT region, count(*) FROM events GROUP BY region;
CREATE UNLOGGED TABLE scratch (id int);
CREATE TABLE parent_inh (id int); CREATE TABLE child_inh () INHERITS (parent_inh);
INSERT INTO parent_inh VALUES (1); INSERT INTO child_inh VALUES (2), (3);
CREATE TABLE secret (id int); INSERT INTO secret VALUES (1);
CREATE TABLE nocols (); 
CREATE ROLE reader LOGIN;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
REVOKE SELECT ON secret FROM reader;
SQL
cfg=$(project tables "postgres://reader@127.0.0.1:$PGTEST_PORT/tables")
"$SNAPLAKE" run -c "$cfg" >"$T/out" 2>"$T/err"
RC=$?
expect_eq "tables: run as a restricted user succeeds" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_eq "tables: datasets" "$(ls "$T/tables/lake/raw" | tr '\n' ' ')" "child_inh empty events parent_inh "
expect_eq "tables: partitioned table is one dataset with every row" \
    "$(sq "$cfg" "SELECT count(*) || ' ' || sum(amount) || ' ' || count(DISTINCT region) FROM raw.events")" "3000 4501500 3"
expect_eq "tables: inheritance parent without its children (ONLY)" "$(sq "$cfg" 'SELECT count(*) FROM raw.parent_inh')" "1"
expect_eq "tables: empty table" "$(sq "$cfg" 'SELECT count(*) FROM raw.empty')" "0"
expect_grep "tables: view skipped with a line" "$T/err" "skipping view public.v_events"
expect_grep "tables: materialized view skipped" "$T/err" "skipping materialized view public.mv_events"
expect_grep "tables: unlogged table skipped" "$T/err" "skipping unlogged table public.scratch"
expect_grep "tables: unreadable table reported" "$T/err" "table public.secret: no SELECT privilege"
# More workers than the role may open connections: the refused workers stop, the others go on.
P tables -c "CREATE ROLE few LOGIN CONNECTION LIMIT 2" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO few"
cfg=$(project few "postgres://few@127.0.0.1:$PGTEST_PORT/tables" 'tables: { exclude: ["public.secret"] }')
"$SNAPLAKE" run -q -j 4 -c "$cfg" >"$T/out" 2>"$T/err"
RC=$?
expect_eq "tables: jobs above the role's connection limit still export" "$RC" 0
expect_grep "tables: … the refused workers stop with a line" "$T/err" "too many connections"
expect_eq "tables: … and every row is there" "$(sq "$cfg" 'SELECT count(*) FROM raw.events')" "3000"
man=$(ls "$T/tables/lake/_snaplake/runs/"*.json | head -1)
skipped=$(python3 -c 'import json,sys; print(" ".join(s["table"] + "=" + s["reason"] for s in json.load(open(sys.argv[1]))["snapshot"]["skipped"]))' "$man")
expect_eq "tables: manifest lists skipped tables" "$skipped" \
    "public.mv_events=materialized view public.nocols=no columns public.scratch=unlogged table public.secret=no SELECT privilege public.v_events=view"

# ---- consistency under concurrent writes -------------------------------------
ACCOUNTS=300000
P bank <<SQL
CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, pad text);
INSERT INTO accounts SELECT g, 1000, repeat('p', 80) FROM generate_series(1, $ACCOUNTS) g;
CREATE SEQUENCE acc_seq START $((ACCOUNTS + 1));
CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts, note text);
INSERT INTO orders (account_id, note) SELECT g, 'seed' FROM generate_series(1, $ACCOUNTS, 10) g;
VACUUM ANALYZE;
SQL
TOTAL=$((ACCOUNTS * 1000))
cat >"$T/transfer.sql" <<SQL
\set a random(1, $ACCOUNTS)
\set b random(1, $ACCOUNTS)
\set amt random(1, 100)
BEGIN;
UPDATE accounts SET balance = balance - :amt WHERE id = :a;
UPDATE accounts SET balance = balance + :amt WHERE id = :b;
COMMIT;
SQL
cat >"$T/child.sql" <<'SQL'
BEGIN;
INSERT INTO accounts (id, balance, pad) VALUES (nextval('acc_seq'), 0, 'new');
INSERT INTO orders (account_id, note) VALUES (currval('acc_seq'), 'child');
COMMIT;
SQL
# -T 600: the writers run until killed below (with -T 60 they could end before
# "writers were running" on a slow machine); the runs start once they write.
pgbench -n -c 4 -j 2 -T 600 -f "$T/transfer.sql" -f "$T/child.sql" "$BASE/bank" >"$T/pgbench.log" 2>&1 &
bench_pid=$!
bg_pids+=("$bench_pid")
for _ in $(seq 600); do [ "$(P bank -c "SELECT count(*) > 0 FROM orders WHERE note = 'child'")" = t ] && break; sleep 0.1; done
cfg=$(project bank "$BASE/bank" "run: { retries: 5 }")
bank_check() { # label
    expect_eq "consistency: $1: lake total equals the constant" \
        "$(sq "$cfg" 'SELECT sum(balance) FROM raw.accounts')" "$TOTAL"
    expect_eq "consistency: $1: every order's account is in the lake" \
        "$(sq "$cfg" 'SELECT count(*) FROM raw.orders o WHERE NOT EXISTS (SELECT 1 FROM raw.accounts a WHERE a.id = o.account_id)')" "0"
    expect_eq "consistency: $1: no duplicate rows across chunks" \
        "$(sq "$cfg" 'SELECT count(*) - count(DISTINCT id) FROM raw.accounts')" "0"
}
for i in 1 2; do
    SNAPLAKE_PG_CHUNK_BYTES=2000000 run_sl "$cfg"
    expect_eq "consistency: run $i under concurrent writes succeeds" "$RC" 0
    [ "$RC" -eq 0 ] || cat "$T/err"
    bank_check "run $i"
done
cur=$(cat "$T/bank/lake/_snaplake/current")
nparts=$(ls "$T/bank/lake/raw/accounts/run=$cur" | wc -l)
check "consistency: accounts was read in several ctid chunks ($nparts)" test "$nparts" -ge 8
if kill -0 "$bench_pid" 2>/dev/null; then pass "consistency: writers were running"; else
    fail "consistency: writers were running" "$(tail -5 "$T/pgbench.log")"; fi

# ---- a worker killed mid-COPY ----------------------------------------------
# A server-side loop terminates an active snaplake-worker backend running
# COPY, up to KILLS times; every killed chunk must be retried in the same
# snapshot.  (pg_stat_clear_snapshot: pg_stat_activity is cached per
# transaction otherwise.)
killer() { # KILLS COORDINATOR-TOO(0/1)
    PGAPPNAME=snaplake-killer P bank -c "DO \$\$ DECLARE k int := 0; n int; BEGIN
        FOR i IN 1..30000 LOOP
            PERFORM pg_stat_clear_snapshot();
            IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'snaplake-worker'
                       AND state = 'active' AND query LIKE 'COPY%') THEN
                IF $2 = 1 THEN
                    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'snaplake';
                END IF;
                SELECT count(*) INTO n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE application_name = 'snaplake-worker' AND state = 'active' AND query LIKE 'COPY%' LIMIT 1) t;
                k := k + n;
                EXIT WHEN k >= $1;
                PERFORM pg_sleep(0.05);
            END IF;
            PERFORM pg_sleep(0.001);
        END LOOP; END \$\$" >/dev/null 2>&1
}
killer_ready() { # the killer's loop is running in the server (not a fixed 0.3 s)
    for _ in $(seq 600); do
        [ "$(P bank -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'snaplake-killer' AND state = 'active'")" = 1 ] && return
        sleep 0.1
    done
}
stop_killer() {
    P bank -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'snaplake-killer'" >/dev/null
    wait "$killer_pid" 2>/dev/null
}
killer 2 0 &
killer_pid=$!
bg_pids+=("$killer_pid")
killer_ready
SNAPLAKE_PG_CHUNK_BYTES=1000000 "$SNAPLAKE" run -c "$cfg" >"$T/out" 2>"$T/err"
RC=$?
stop_killer
expect_eq "kill: run with terminated workers succeeds" "$RC" 0
expect_grep "kill: a chunk was retried after the backend was terminated" "$T/err" "retrying"
# The worker sees the server's FATAL "terminating connection …" or, when the
# socket closes before that message is read, libpq's "server closed the
# connection unexpectedly": both are the termination.
if grep -qE "terminating connection|server closed the connection unexpectedly" "$T/err"; then
    pass "kill: … because of the termination"
else
    fail "kill: … because of the termination" "$(head -c 600 "$T/err" | tr '\n' '|')"
fi
bank_check "after kills"
kill "$bench_pid" 2>/dev/null
wait "$bench_pid" 2>/dev/null

# The coordinator gone (its snapshot with it), then a worker killed: the retry
# cannot import the snapshot any more, and the run fails saying so.
killer 1 1 &
killer_pid=$!
bg_pids+=("$killer_pid")
killer_ready
before=$(cat "$T/bank/lake/_snaplake/current")
SNAPLAKE_PG_CHUNK_BYTES=500000 "$SNAPLAKE" run -c "$cfg" >"$T/out" 2>"$T/err"
RC=$?
stop_killer
expect_eq "snapshot lost: the run fails" "$RC" 1
expect_grep "snapshot lost: the message says the snapshot is gone" "$T/err" "is gone"
expect_eq "snapshot lost: nothing published" "$(cat "$T/bank/lake/_snaplake/current")" "$before"

# ---- wide and big ------------------------------------------------------------
cols=$(seq 1 1600 | sed 's/^/c/; s/$/ int/' | paste -sd,)
vals=$(seq 1 1600 | paste -sd,)
P wide -c "CREATE TABLE wide ($cols)" -c "INSERT INTO wide VALUES ($vals), ($vals)" \
    -c "CREATE TABLE big (id int, v text)" \
    -c "INSERT INTO big VALUES (1, repeat('0123456789abcdef', 100 * 65536)), (2, 'small')"
cfg=$(project wide "$BASE/wide")
run_sl "$cfg"
expect_eq "wide: 1600 columns and a 100 MB value export" "$RC" 0
[ "$RC" -eq 0 ] || cat "$T/err"
expect_eq "wide: all 1600 columns in the catalog" \
    "$(sq "$cfg" "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'wide'")" "1600"
expect_eq "wide: values" "$(sq "$cfg" "SELECT sum(c1) || ' ' || sum(c800) || ' ' || sum(c1600) FROM raw.wide")" "2 1600 3200"
expect_eq "big: the 100 MB value is exact" "$(sq "$cfg" 'SELECT length(v) || md5(v) FROM raw.big WHERE id = 1')" \
    "$(P wide -c 'SELECT length(v) || md5(v) FROM big WHERE id = 1')"
