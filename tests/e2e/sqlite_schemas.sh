#!/usr/bin/env bash
# sqlite_schemas.sh — SQLite schemas that real applications have (issue 9,
# items 3–6), through a run, values compared with the source:
#   (a) generated columns, VIRTUAL and STORED, are exported with their values;
#   (b) FTS5, FTS4 and R*Tree tables are exported like views of their visible
#       columns; their shadow tables (notes_data, boxes_node …) are not
#       datasets; a virtual table whose module is missing is skipped with one
#       line and the run succeeds; a large one is read in one piece;
#   (c) WITHOUT ROWID tables: a bad value names the row by its primary key
#       (one column and composite); a large one is exported whole, or split
#       by its integer PRIMARY KEY;
#   (d) an integer beyond 64 bits (stored by SQLite as REAL) says it is out of
#       range and what to do; reals just below 2^63 still fit.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/sqlite_schemas.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

project() { # dir [tables-include] — a database from stdin and a config
    mkdir -p "$1"
    sqlite3 "$1/src.db" >/dev/null || echo "sqlite3 failed building $1/src.db" >&2
    write_cfg "$1/snaplake.yml" "source: sqlite://src.db" "lake: ./lake" "jobs: 2"
    [ -z "${2:-}" ] || echo "tables: { include: [$2] }" >>"$1/snaplake.yml"
}

# same NAME DIR SOURCE-SQL LAKE-SQL — one query's rows, by sqlite3 on the
# source and by snaplake on the published lake, are equal (and not empty);
# values joined by ',' (none of the values here holds ',' or '"').
same() {
    local want got
    want=$(sqlite3 -separator , "$2/src.db" "$3" 2>&1)
    got=$("$SNAPLAKE" query -c "$2/snaplake.yml" --format csv "$4" 2>&1 | tail -n +2)
    if [ -n "$want" ] && [ "$want" = "$got" ]; then
        pass "$1"
    else
        fail "$1" "source: $(echo "$want" | head -5 | tr '\n' '|')" \
            "lake:   $(echo "$got" | head -5 | tr '\n' '|')"
    fi
}

# ---- (a) + (b): one application database -----------------------------------------
A=$T/app
project "$A" <<'SQL'
CREATE TABLE items (id INTEGER PRIMARY KEY, price INT, qty INT,
    total INT GENERATED ALWAYS AS (price * qty) VIRTUAL,
    label TEXT GENERATED ALWAYS AS ('#' || id || ' x' || qty) STORED NOT NULL);
INSERT INTO items (price, qty) VALUES (250, 2), (999, 1), (5, 40);

CREATE VIRTUAL TABLE notes USING fts5(title, body);
INSERT INTO notes (title, body) VALUES ('groceries', 'milk eggs bread'),
    ('büro', 'Stifte und Papier'), ('trip', 'train tickets to Lyon');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO notes (title, body) SELECT 'note ' || i, 'word' || (i % 17) || ' text ' || i FROM n;

CREATE VIRTUAL TABLE docs USING fts4(subject, content);
INSERT INTO docs (subject, content) VALUES ('a', 'alpha beta'), ('b', 'gamma delta');

CREATE VIRTUAL TABLE boxes USING rtree(id, minx, maxx, miny, maxy, +label);
INSERT INTO boxes VALUES (1, 0.5, 1.5, -2, 2, 'left'), (7, 10, 12.25, 3, 4, 'right');
CREATE VIRTUAL TABLE cells USING rtree_i32(id, x0, x1);
INSERT INTO cells VALUES (1, -5, 5), (2, 100, 200);
SQL
sl run -c "$A/snaplake.yml"
expect_rc app-run-succeeds 0

# (a) generated columns
same generated-columns-values "$A" \
    "SELECT id, price, qty, total, label FROM items ORDER BY id" \
    "SELECT id, price, qty, total, label FROM raw.items ORDER BY id"
same generated-columns-types "$A" "SELECT 'BIGINT', 'VARCHAR'" \
    "SELECT max(CASE WHEN column_name = 'total' THEN data_type END), max(CASE WHEN column_name = 'label' THEN data_type END) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'items'"

# (b) virtual tables: their content, their visible columns only
same fts5-values "$A" "SELECT title, body FROM notes ORDER BY title" \
    "SELECT title, body FROM raw.notes ORDER BY title"
same fts5-visible-columns "$A" "SELECT 'title body'" \
    "SELECT string_agg(column_name, ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'notes'"
same fts4-values "$A" "SELECT subject, content FROM docs ORDER BY subject" \
    "SELECT subject, content FROM raw.docs ORDER BY subject"
same fts4-visible-columns "$A" "SELECT 'subject content'" \
    "SELECT string_agg(column_name, ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'docs'"
same rtree-values "$A" \
    "SELECT id, printf('%.2f %.2f %.2f %.2f', minx, maxx, miny, maxy), label FROM boxes ORDER BY id" \
    "SELECT id, printf('%.2f %.2f %.2f %.2f', minx, maxx, miny, maxy), label FROM raw.boxes ORDER BY id"
same rtree-i32-values "$A" "SELECT id, x0, x1 FROM cells ORDER BY id" \
    "SELECT id, x0, x1 FROM raw.cells ORDER BY id"
datasets=$(ls "$A/lake/raw" 2>/dev/null | tr '\n' ' ')
if [ "$datasets" = "boxes cells docs items notes " ]; then
    pass shadow-tables-are-not-datasets
else
    fail shadow-tables-are-not-datasets "lake/raw holds: $datasets"
fi

# A virtual table whose module this SQLite lacks: one line, the rest exported.
sqlite3 "$A/src.db" "PRAGMA writable_schema = ON;
INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql)
VALUES ('table', 'ghost', 'ghost', 0, 'CREATE VIRTUAL TABLE ghost USING nosuchmodule(a, b)');"
sl run -c "$A/snaplake.yml"
expect_rc unknown-module-run-succeeds 0
if [ "$(grep -c ghost "$T/err")" = 1 ]; then pass unknown-module-one-line; else
    fail unknown-module-one-line "stderr: $(tr '\n' '|' <"$T/err" | head -c 600)"; fi
expect_grep unknown-module-says-why "$T/err" "skipping virtual table ghost: this SQLite library cannot read it (no such module: nosuchmodule)"
same unknown-module-rest-exported "$A" "SELECT count(*) FROM notes" "SELECT count(*) FROM raw.notes"

# An FTS5 table whose module is missing (its SQL names one this SQLite lacks):
# SQLite no longer knows memo_data & co. for shadow tables; snaplake does.
sqlite3 "$A/src.db" "CREATE VIRTUAL TABLE memo USING fts5(t);
INSERT INTO memo SELECT 'memo ' || title FROM notes;
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE VIRTUAL TABLE memo USING fts5_custom(t)' WHERE name = 'memo';"
sl run -c "$A/snaplake.yml"
expect_rc missing-fts-module-run-succeeds 0
expect_grep missing-fts-module-says-why "$T/err" "skipping virtual table memo: this SQLite library cannot read it (no such module: fts5_custom)"
run=$(cat "$A/lake/_snaplake/current" 2>/dev/null)
datasets=$(ls "$A/lake/raw" | while read -r d; do [ -d "$A/lake/raw/$d/run=$run" ] && echo "$d"; done | tr '\n' ' ')
if [ "$datasets" = "boxes cells docs items notes " ]; then
    pass missing-fts-module-storage-not-datasets
else
    fail missing-fts-module-storage-not-datasets "datasets of run $run: $datasets"
fi

# A virtual table larger than one rowid chunk is read in one piece (R*Tree
# would scan the whole tree once per rowid range).
V=$T/vbig
project "$V" <<'SQL'
CREATE VIRTUAL TABLE words USING fts5(w, detail = none);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000001)
INSERT INTO words SELECT 'w' || (i % 10) FROM n;
SQL
sl run -q -c "$V/snaplake.yml"
expect_rc virtual-large-run 0
check "virtual-large: one part" test "$(ls "$V"/lake/raw/words/run=*/ | wc -l)" = 1
same virtual-large-values "$V" "SELECT count(*), count(DISTINCT w) FROM words" \
    "SELECT count(*), count(DISTINCT w) FROM raw.words"

# ---- (c) WITHOUT ROWID --------------------------------------------------------------
C=$T/wr
project "$C" tags <<'SQL'
CREATE TABLE tags (k TEXT PRIMARY KEY, n INT) WITHOUT ROWID;
INSERT INTO tags VALUES ('a', 1), ('b', 2), ('c', 'many'), ('d', 4);
CREATE TABLE pairs (a INT, b TEXT, n INT, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO pairs VALUES (1, 'w', 1), (1, 'x', 'lots'), (2, 'x', 3);
SQL
sl run -c "$C/snaplake.yml"
expect_rc without-rowid-bad-value-fails 1
expect_grep without-rowid-names-key "$T/err" "table tags, column n, key k='c': text value 'many' is not an integer"
sed -i 's/include: \[tags\]/include: [pairs]/' "$C/snaplake.yml"
sl run -c "$C/snaplake.yml"
expect_rc without-rowid-composite-fails 1
expect_grep without-rowid-names-composite-key "$T/err" "table pairs, column n, key (a, b)=(1, 'x'): text value 'lots'"

# More rows than one rowid chunk (2 000 000): one part, every row.
W=$T/wide
project "$W" <<'SQL'
CREATE TABLE wide (a INT, b TEXT, v INT, PRIMARY KEY (b, a)) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100000)
INSERT INTO wide SELECT i, 'k' || (i % 7), i % 1000 FROM n;
SQL
sl run -q -c "$W/snaplake.yml"
expect_rc without-rowid-large-run 0
same without-rowid-large-values "$W" \
    "SELECT count(*), count(DISTINCT a), sum(a), sum(v), max(b) FROM wide" \
    "SELECT count(*), count(DISTINCT a), sum(a), sum(v), max(b) FROM raw.wide"

# An integer PRIMARY KEY splits a WITHOUT ROWID table like a rowid: two
# parts, every row, the extreme keys included.
E=$T/events
project "$E" <<'SQL'
CREATE TABLE ev (id INTEGER PRIMARY KEY, v INT) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100000)
INSERT INTO ev SELECT i * 3, i % 100 FROM n;
INSERT INTO ev VALUES (-9223372036854775808, 1), (9223372036854775807, 2), (-7, 3);
SQL
sl run -q -c "$E/snaplake.yml"
expect_rc without-rowid-int-key-run 0
check "without-rowid-int-key: two parts" test "$(ls "$E"/lake/raw/ev/run=*/ | wc -l)" = 2
same without-rowid-int-key-values "$E" \
    "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(v), sum(id / 1000) FROM ev WHERE id BETWEEN -9223372036854775808 AND 9223372036854775807" \
    "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(v), sum(id // 1000) FROM raw.ev"
sqlite3 "$E/src.db" "UPDATE ev SET v = 'x' WHERE id = 6300000"
sl run -q -c "$E/snaplake.yml"
expect_rc without-rowid-int-key-bad-value 1
expect_grep without-rowid-int-key-names-key "$T/err" "table ev, column v, key id=6300000: text value 'x'"

# ---- (d) beyond 64 bits -------------------------------------------------------------
D=$T/big
project "$D" <<'SQL'
CREATE TABLE ids (id INTEGER PRIMARY KEY, u UNSIGNED BIG INT);
INSERT INTO ids VALUES (1, 42), (2, 18446744073709551615);
CREATE TABLE near (id INTEGER PRIMARY KEY, n REAL);
INSERT INTO near VALUES (1, 9210000000000000000.0), (2, 9223372036854774784.0),
    (3, -9223372036854775808.0);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE TABLE near (id INTEGER PRIMARY KEY, n INTEGER)' WHERE name = 'near';
SQL
sl run -c "$D/snaplake.yml"
expect_rc out-of-range-fails 1
expect_grep out-of-range-says-range "$T/err" "table ids, column u, rowid 2: 1.8446744073709552e+19 is out of the 64-bit integer range"
expect_grep out-of-range-says-what-to-do "$T/err" "declare the column REAL or NUMERIC to export it as a double, or store such values as TEXT"
if grep -q "is not an integer" "$T/err"; then fail out-of-range-not-not-an-integer "$(cat "$T/err")"; else pass out-of-range-not-not-an-integer; fi
sed -i '$a tables: { include: [near] }' "$D/snaplake.yml"
sl run -c "$D/snaplake.yml"
expect_rc just-in-range-runs 0
# reals with integral values in [-2^63, 2^63) are the integers they hold
same just-in-range-values "$D" "SELECT id, typeof(n), CAST(n AS INTEGER) FROM near ORDER BY id" \
    "SELECT id, 'real', n FROM raw.near ORDER BY id"

exit $((NFAIL > 0))
