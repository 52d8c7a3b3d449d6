#!/usr/bin/env bash
# types.sh — every declared type family of the SQLite source (src/source/sqlite.c)
# through a run, value by value: the source by the sqlite3 CLI, the files by
# hyparquet (tests/tools/pqread.mjs) and by arrow-rs (pqread_arrow.mjs), the
# catalog's views by DuckDB; the
# manifest's type mapping; one stage model round-tripping values through
# DuckDB; every Parquet compression; a WITHOUT ROWID table; and how
# `snaplake query` prints values of some DuckDB types.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/types.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

P=$T/types
mkdir -p "$P/models/stage1"
# sqlite3 complains about the TEXT values in the re-declared DECIMAL columns
# (PRAGMA integrity_check style notes); they are intended.
sqlite3 "$P/src.db" >/dev/null 2>"$T/sqlite.err" <<'SQL'
CREATE TABLE ints(id INTEGER PRIMARY KEY, i INTEGER, bi BIGINT, si SMALLINT, ti TINYINT, ui UNSIGNED BIG INT, nn INTEGER NOT NULL);
INSERT INTO ints VALUES (1, -9223372036854775808, 9223372036854775807, -32768, 127, 0, 1);
INSERT INTO ints VALUES (2, 9223372036854775807, -9223372036854775808, 32767, -128, 18446744073709551, 0);
INSERT INTO ints VALUES (3, 0, -1, 1, 0, 42, -1);
INSERT INTO ints VALUES (4, 3.0, -2.0, NULL, NULL, NULL, 9007199254740993);
INSERT INTO ints VALUES (5, NULL, NULL, NULL, NULL, NULL, 5);
CREATE TABLE reals(id INTEGER PRIMARY KEY, r REAL, d DOUBLE, f FLOAT, dp DOUBLE PRECISION, m MONEY);
INSERT INTO reals VALUES (1, 0.0, -0.0, 0.1, 1.0/3, 1.5);
INSERT INTO reals VALUES (2, 1e308, -1e308, 1.7976931348623157e308, 2.2250738585072014e-308, 7);
INSERT INTO reals VALUES (3, 5e-324, -5e-324, 4.9e-324, 1e-300, -2.5);
INSERT INTO reals VALUES (4, 123456789.123456789, 0.30000000000000004, 42, -42, 9007199254740992);
INSERT INTO reals VALUES (5, 1e999, -1e999, 3.141592653589793, 2.718281828459045, 1e20);
INSERT INTO reals VALUES (6, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE bools(id INTEGER PRIMARY KEY, b BOOLEAN, bb BOOL, bn BOOLEAN NOT NULL);
INSERT INTO bools VALUES (1, 0, 1, 1), (2, 1, 0, 0), (3, NULL, NULL, 1), (4, 1.0, 0.0, 1);
CREATE TABLE dates(id INTEGER PRIMARY KEY, d DATE);
INSERT INTO dates(d) VALUES ('0001-01-01'), ('1969-12-31'), ('1970-01-01'), ('9999-12-31'), ('2000-02-29'), ('1900-03-01'), ('2024-12-31'), (NULL), ('1582-10-10');
CREATE TABLE stamps(id INTEGER PRIMARY KEY, ts TIMESTAMP, tz TIMESTAMPTZ, dt DATETIME, wtz TIMESTAMP WITH TIME ZONE);
INSERT INTO stamps(ts) VALUES
 ('2024-01-02 03:04:05'), ('2024-01-02 03:04:05.1'), ('2024-01-02 03:04:05.12'), ('2024-01-02 03:04:05.123'),
 ('2024-01-02 03:04:05.1234'), ('2024-01-02 03:04:05.12345'), ('2024-01-02 03:04:05.123456'), ('2024-01-02 03:04:05.000000'),
 ('2024-01-02T03:04:05.5'), ('2024-01-02 03:04:05Z'), ('2024-01-02T03:04:05.25Z'), ('2024-01-02 03:04:05+09:00'),
 ('2024-01-01 01:00:00+09:00'), ('2024-01-02 03:04:05.75-05:30'), ('2024-01-02'), ('1969-12-31 23:59:59.999999'),
 ('1970-01-01 00:00:00'), ('0001-01-01 00:00:00'), ('9999-12-31 23:59:59.999999'), ('2000-02-29 12:00:00'), (NULL);
UPDATE stamps SET tz = ts, dt = ts, wtz = ts;
CREATE TABLE decimals(id INTEGER PRIMARY KEY, d2 DECIMAL(10,2), n5 NUMERIC(5), d9 DECIMAL(9,3), d0 DECIMAL(3,0), d18 DECIMAL(18,4), dbig DECIMAL(40,2));
INSERT INTO decimals VALUES (1, 0, 12345, 123456.789, 999, 1, '12345678901234567890123456789012345678.12');
INSERT INTO decimals VALUES (2, -0.01, -99999, -999999.999, -999, '-0.0001', '-1.5');
INSERT INTO decimals VALUES (3, 12.3, 0, 0.001, 0, '123.4500', '0');
INSERT INTO decimals VALUES (4, 99999999.99, 1, 1, 1, '1e3', 1);
INSERT INTO decimals VALUES (5, -99999999.99, 42.0, '-0.5', '7', 2.5, 2.5);
INSERT INTO decimals VALUES (6, '12.30', '1e4', '1.5e2', '1e2', -1234.5678, 'not a number');
INSERT INTO decimals VALUES (7, NULL, NULL, NULL, NULL, NULL, NULL);
-- Exact decimals kept as TEXT: NUMERIC affinity would turn them into REALs on
-- insert, so the table is made with TEXT columns and its declared types are
-- changed afterwards (as a database written by another tool may hold them).
CREATE TABLE decimals_text(id INTEGER PRIMARY KEY, d38 TEXT, d18 TEXT, d2 TEXT);
INSERT INTO decimals_text VALUES (1, '1234567890123456789012345678.0123456789', '99999999999999.9999', '12.30');
INSERT INTO decimals_text VALUES (2, '-9999999999999999999999999999.9999999999', '-99999999999999.9999', '-0.05');
INSERT INTO decimals_text VALUES (3, '9999999999999999999999999999.9999999999', '0.1000', '00012.1');
INSERT INTO decimals_text VALUES (4, '0.0000000001', '-0.0001', '+5');
INSERT INTO decimals_text VALUES (5, '-0.0000000001', '12345678901234.5678', '-0');
INSERT INTO decimals_text VALUES (6, '1', '5', '99999999.99');
INSERT INTO decimals_text VALUES (7, '99999999999999999999999999999999999999e-10', '1.5e3', '.5');
INSERT INTO decimals_text VALUES (8, NULL, NULL, NULL);
-- Negative zero: REAL affinity stores an integral real as an integer (the
-- sign is lost), so it goes in untyped and is declared REAL afterwards.
CREATE TABLE reals_raw(id INTEGER PRIMARY KEY, r);
INSERT INTO reals_raw VALUES (1, -0.0), (2, 0.0), (3, -1e-320), (4, NULL);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE TABLE decimals_text(id INTEGER PRIMARY KEY, d38 DECIMAL(38,10), d18 DECIMAL(18,4), d2 DECIMAL(10,2))' WHERE name = 'decimals_text';
UPDATE sqlite_schema SET sql = 'CREATE TABLE reals_raw(id INTEGER PRIMARY KEY, r REAL)' WHERE name = 'reals_raw';
PRAGMA writable_schema = OFF;
CREATE TABLE texts(id INTEGER PRIMARY KEY, t TEXT, v VARCHAR(10), c CHAR(3), cl CLOB, j JSON, nn TEXT NOT NULL);
INSERT INTO texts VALUES (1, 'plain', '', 'abc', 'ünïcødé 表 😀', '{"a": [1, 2.5, null], "b": "ü"}', 'x');
INSERT INTO texts VALUES (2, 'line1
line2
', 'tab	here', '''q''', 'quote '' and "dq" and \ backslash', '[]', '');
INSERT INTO texts VALUES (3, CAST(x'610062' AS TEXT), 'cr' || char(13) || 'lf' || char(10), char(127), 'ÿ€𝄞', 'null', ' ');
INSERT INTO texts VALUES (4, 42, 1.5, -0.0, 1e300, '"s"', 'y');
INSERT INTO texts VALUES (5, NULL, NULL, NULL, NULL, NULL, 'z');
CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB, bn BLOB NOT NULL);
INSERT INTO blobs VALUES (1, x'', x'00'), (2, x'00', x'0000'), (3, x'000102ff80', 'text in a blob column'), (4, zeroblob(5), x'5c78'), (5, NULL, x'');
CREATE TABLE untyped(id INTEGER PRIMARY KEY, u, w);
INSERT INTO untyped VALUES (1, 'text', ''), (2, 42, -9223372036854775808), (3, 1.5, -0.0), (4, 1e308, 0.1), (5, NULL, 1e-5), (6, '  spaced  ', 100.0);
CREATE TABLE empty(id INTEGER PRIMARY KEY, v TEXT, d DATE, n DECIMAL(10,2));
CREATE TABLE with_rowid_col(rowid TEXT, v INTEGER);
INSERT INTO with_rowid_col VALUES ('c', 3), ('a', 1), ('b', 2), (NULL, NULL);
CREATE TABLE shuffled(id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO shuffled VALUES (30, 'thirty'), (-5, 'minus five'), (10, 'ten'), (9223372036854775807, 'max');
CREATE TABLE all_null(a INTEGER, b REAL, c TEXT, d DATE, e TIMESTAMP, f DECIMAL(5,1), g BLOB, h BOOLEAN, i);
INSERT INTO all_null VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SQL
[ -s "$P/src.db" ] || fail build-source "$(cat "$T/sqlite.err")"
# A stage model that passes every typed value through DuckDB and back.
cat >"$P/models/stage1/roundtrip_stamps.sql" <<'SQL'
SELECT * FROM raw.stamps ORDER BY id
SQL
cat >"$P/models/stage1/roundtrip_decimals.sql" <<'SQL'
SELECT * FROM raw.decimals_text ORDER BY id
SQL
cat >"$P/models/stage1/roundtrip_misc.sql" <<'SQL'
SELECT i.id, i.i, i.bi, r.r, r.d, b.b, d.d, t.cl, t.j, bl.b AS blob
FROM raw.ints AS i
LEFT JOIN raw.reals AS r ON r.id = i.id
LEFT JOIN raw.bools AS b ON b.id = i.id
LEFT JOIN raw.dates AS d ON d.id = i.id
LEFT JOIN raw.texts AS t ON t.id = i.id
LEFT JOIN raw.blobs AS bl ON bl.id = i.id
ORDER BY i.id
SQL

CFG=$P/snaplake.yml
cfg() { # compression
    write_cfg "$CFG" "source: sqlite://src.db" "lake: ./lake" "jobs: 3" "models: ./models" \
        "parquet: {compression: $1}" "run: {keep_runs: 10}"
}

# ---- first run (zstd): mapping, values, stage round trip ----------------------------
cfg zstd
sl run -c "$CFG"
expect_rc run-exit 0
expect_grep decimal-over-38-warns "$T/err" "DECIMAL(40,2)"
RUN=$(cat "$P/lake/_snaplake/current" 2>/dev/null | tr -d '\n')

# The manifest's mapping of each declared type (sqlite.c's rules).
node -e '
const m = require(process.argv[1])
const want = {
  "ints": "id=int64! i=int64 bi=int64 si=int64 ti=int64 ui=int64 nn=int64!",
  "reals": "id=int64! r=double d=double f=double dp=double m=double",
  "reals_raw": "id=int64! r=double",
  "bools": "id=int64! b=boolean bb=boolean bn=boolean!",
  "dates": "id=int64! d=date",
  "stamps": "id=int64! ts=timestamp tz=timestamptz dt=timestamp wtz=timestamptz",
  "decimals": "id=int64! d2=decimal(10,2) n5=decimal(5,0) d9=decimal(9,3) d0=decimal(3,0) d18=decimal(18,4) dbig=string",
  "decimals_text": "id=int64! d38=decimal(38,10) d18=decimal(18,4) d2=decimal(10,2)",
  "texts": "id=int64! t=string v=string c=string cl=string j=json nn=string!",
  "blobs": "id=int64! b=binary bn=binary!",
  "untyped": "id=int64! u=string w=string",
  "empty": "id=int64! v=string d=date n=decimal(10,2)",
  "with_rowid_col": "rowid=string v=int64",
  "shuffled": "id=int64! v=string",
  "all_null": "a=int64 b=double c=string d=date e=timestamp f=decimal(5,1) g=binary h=boolean i=string",
}
const bad = []
const raws = m.datasets.filter(d => d.layer === "raw")
for (const [t, spec] of Object.entries(want)) {
  const d = raws.find(d => d.name === t)
  if (!d) { bad.push(`no dataset ${t}`); continue }
  const got = d.columns.map(c => `${c.name}=${c.type}${c.type === "decimal" ? `(${c.precision},${c.scale})` : ""}${c.nullable ? "" : "!"}`).join(" ")
  if (got !== spec) bad.push(`${t}: ${got}`, `${" ".repeat(t.length)}  want ${spec}`)
}
if (raws.length !== Object.keys(want).length) bad.push(`${raws.length} raw datasets: ${raws.map(d => d.name).join(" ")}`)
if (bad.length) { console.log(bad.join("\n")); process.exit(1) }
' "$P/lake/_snaplake/runs/$RUN.json" >"$T/map.out" 2>&1
if [ $? -eq 0 ]; then pass type-mapping; else fail type-mapping "$(cat "$T/map.out")"; fi

compare zstd --db "$P/src.db" --lake "$P/lake" --config "$CFG"

# Row counts straight from the manifest for the edge tables.
node -e '
const m = require(process.argv[1])
const rows = Object.fromEntries(m.datasets.filter(d => d.layer === "raw").map(d => [d.name, d.rows]))
const ok = rows.empty === 0 && rows.all_null === 2 && rows.shuffled === 4 && rows.with_rowid_col === 4
console.log(JSON.stringify({ empty: rows.empty, all_null: rows.all_null, shuffled: rows.shuffled, with_rowid_col: rows.with_rowid_col }))
process.exit(ok ? 0 : 1)
' "$P/lake/_snaplake/runs/$RUN.json" >"$T/rows.out" 2>&1
if [ $? -eq 0 ]; then pass edge-table-rows; else fail edge-table-rows "$(cat "$T/rows.out")"; fi

# Stage models written by DuckDB give back, through hyparquet (and through
# arrow-rs: the same name + "-arrow"), exactly the raw values.
roundtrip() { # name, model, raw table[, reader tool]
    local name=$1 model=$2 table=$3 tool=${4:-pqread}
    node "$TOOLS/$tool.mjs" "$P/lake/stage1/$model/run=$RUN/part-0.parquet" >"$T/stage.jsonl" 2>"$T/err" &&
        node "$TOOLS/$tool.mjs" "$P/lake/raw/$table/run=$RUN/part-0.parquet" >"$T/raw.jsonl" 2>>"$T/err"
    if [ $? -ne 0 ]; then
        fail "$name" "$(head -c 600 "$T/err")"
        return
    fi
    if cmp -s "$T/stage.jsonl" "$T/raw.jsonl"; then
        pass "$name"
    else
        fail "$name" "$(diff "$T/raw.jsonl" "$T/stage.jsonl" | head -6)"
    fi
}
roundtrip stage-roundtrip-timestamps roundtrip_stamps stamps
roundtrip stage-roundtrip-decimal38 roundtrip_decimals decimals_text
roundtrip stage-roundtrip-timestamps-arrow roundtrip_stamps stamps pqread_arrow
roundtrip stage-roundtrip-decimal38-arrow roundtrip_decimals decimals_text pqread_arrow
# The mixed model against the same join done on hyparquet's rows of the raw files
# (then all of it again with arrow-rs: stage-roundtrip-mixed-arrow).
for tool in pqread pqread_arrow; do
node --input-type=module -e '
const [top, lake, run, tool] = process.argv.slice(1)
const mod = await import(top + `/tests/tools/${tool}.mjs`)
const readParquet = mod.readParquet ?? mod.readParquetArrow
const raw = async t => await readParquet(`${lake}/raw/${t}/run=${run}/part-0.parquet`)
const by = rows => Object.fromEntries(rows.map(r => [r.id, r]))
const [ints, reals, bools, dates, texts, blobs] = await Promise.all(["ints", "reals", "bools", "dates", "texts", "blobs"].map(raw))
const R = by(reals), B = by(bools), D = by(dates), X = by(texts), L = by(blobs)
const want = ints.map(i => JSON.stringify({ id: i.id, i: i.i, bi: i.bi, r: R[i.id]?.r ?? null, d: R[i.id]?.d ?? null,
  b: B[i.id]?.b ?? null, d_1: D[i.id]?.d ?? null, cl: X[i.id]?.cl ?? null, j: X[i.id]?.j ?? null, blob: L[i.id]?.b ?? null }))
const got = (await readParquet(`${lake}/stage1/roundtrip_misc/run=${run}/part-0.parquet`)).map(r => JSON.stringify(r))
const bad = []
if (want.length !== got.length) bad.push(`${got.length} rows, want ${want.length}`)
for (let k = 0; k < Math.min(want.length, got.length); k++) if (want[k] !== got[k]) bad.push(`want ${want[k]}`, `got  ${got[k]}`)
if (bad.length) { console.log(bad.slice(0, 6).join("\n")); process.exit(1) }
' "$SNAPLAKE_TOP" "$P/lake" "$RUN" "$tool" >"$T/mix.out" 2>&1
    rc=$? name=stage-roundtrip-mixed
    [ "$tool" = pqread ] || name=$name-arrow
    if [ $rc -eq 0 ]; then pass $name; else fail $name "$(cat "$T/mix.out")"; fi
done

# ---- every compression ------------------------------------------------------------------
codecs_are() { # run, expected codec name[, arrow] → checks every file of the run (by hyparquet, or arrow-rs)
    node --input-type=module -e '
const [top, lake, run, want, arrow] = process.argv.slice(1)
const { parquetSchemaOf } = await import(top + "/tests/tools/pqread.mjs")
const { arrowSchemaOf } = arrow ? await import(top + "/tests/tools/pqread_arrow.mjs") : {}
const { readFileSync } = await import("node:fs")
const m = JSON.parse(readFileSync(`${lake}/_snaplake/runs/${run}.json`, "utf8"))
const bad = []
let n = 0
for (const d of m.datasets) {
  const files = Array.isArray(d.files) ? d.files.map(f => f.path) : [`${d.location}/part-0.parquet`]
  for (const f of files) {
    const s = arrow ? await arrowSchemaOf(`${lake}/${f}`) : await parquetSchemaOf(`${lake}/${f}`)
    n++
    const codecs = [...new Set(arrow ? s.row_groups.flatMap(g => g.columns.map(c => c.codec)) : s.columns.flatMap(c => c.codecs))]
    if ((arrow ? s.row_groups.length : s.row_groups) && (codecs.length !== 1 || codecs[0] !== want)) bad.push(`${f}: ${codecs.join(",")}`)
  }
}
if (n < 10) bad.push(`only ${n} files`)
if (bad.length) { console.log(bad.slice(0, 6).join("\n")); process.exit(1) }
' "$SNAPLAKE_TOP" "$P/lake" "$1" "$2" "${3:-}" >"$T/codec.out" 2>&1
}
for c in zstd:ZSTD snappy:SNAPPY gzip:GZIP none:UNCOMPRESSED; do
    name=${c%%:*}
    if [ "$name" != zstd ]; then
        cfg "$name"
        sl run -q -c "$CFG"
        expect_rc "run-$name-exit" 0
        RUN=$(cat "$P/lake/_snaplake/current" 2>/dev/null | tr -d '\n')
        compare "$name" --db "$P/src.db" --lake "$P/lake" --config "$CFG"
    fi
    if codecs_are "$RUN" "${c#*:}"; then pass "codec-$name"; else fail "codec-$name" "$(cat "$T/codec.out")"; fi
    if codecs_are "$RUN" "${c#*:}" arrow; then pass "codec-$name-arrow"; else fail "codec-$name-arrow" "$(cat "$T/codec.out")"; fi
done

# ---- a WITHOUT ROWID table (its own project: it may fail the whole run) ---------------
W=$T/without-rowid
mkdir -p "$W"
sqlite3 "$W/src.db" <<'SQL'
CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER, d DATE) WITHOUT ROWID;
INSERT INTO kv VALUES ('m', 2, '2024-02-02'), ('a', 1, NULL), ('z', 3, '2024-03-03');
CREATE TABLE pair(a INTEGER, b TEXT, c REAL, PRIMARY KEY (b, a)) WITHOUT ROWID;
INSERT INTO pair VALUES (2, 'x', 1.5), (1, 'x', NULL), (1, 'a', 2.5);
SQL
write_cfg "$W/snaplake.yml" "source: sqlite://src.db" "lake: ./lake"
sl run -q -c "$W/snaplake.yml"
expect_rc without-rowid-exit 0
if [ "$RC" -eq 0 ]; then
    compare without-rowid --db "$W/src.db" --lake "$W/lake" --config "$W/snaplake.yml"
fi

# ---- how `snaplake query` prints values ----------------------------------------------------
# compare.mjs steps around these (hex for text, TIMESTAMPTZ cast); here they are checked
# on their own.  Expected, as `--help` says: numbers, booleans and lists as JSON, other
# values as DuckDB's text (TIMESTAMPTZ in UTC).
printed() { # name, SQL, expected JSON
    local out
    out=$("$SNAPLAKE" query -c "$CFG" --format json "$2" 2>"$T/qerr")
    local rc=$?
    if [ $rc -eq 0 ] && [ "$out" = "$3" ]; then pass "$1"; else fail "$1" "exit $rc, got: $out" "want: $3" "$(head -c 300 "$T/qerr")"; fi
}
printed query-prints-timestamptz "SELECT CAST(tz AS VARCHAR) = '2024-01-01 18:04:05+00' AS utc, tz IS NOT NULL AS present FROM raw.stamps WHERE id = 12" '[{"utc":true,"present":true}]'
printed query-prints-timestamptz-value "SELECT tz FROM raw.stamps WHERE id = 12" '[{"tz":"2024-01-01 18:04:05+00"}]'
printed query-prints-embedded-nul "SELECT t FROM raw.texts WHERE id = 3" '[{"t":"a\u0000b"}]'
printed query-prints-uuid-then-column "SELECT UUID '00000000-0000-0000-0000-000000000001' AS u, 1 AS n" '[{"u":"00000000-0000-0000-0000-000000000001","n":1}]'
printed query-prints-list "SELECT [1, 2] AS l" '[{"l":[1,2]}]'
printed query-prints-blob "SELECT b FROM raw.blobs WHERE id = 3" '[{"b":"\\x00\\x01\\x02\\xFF\\x80"}]'
