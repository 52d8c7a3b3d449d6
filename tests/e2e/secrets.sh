#!/usr/bin/env bash
# secrets.sh — a PostgreSQL password never shows (issue 9, item 1).
#
# A real PostgreSQL 15 (scripts/pg_test_server.sh) that requires the password
# (scram-sha-256 in pg_hba.conf) for role app.  The password has spaces, a
# quote, a backslash and an '&': every form libpq accepts for it runs a real
# export, plain and with --log-json:
#
#   url_pct      postgres://app:<%-encoded>@host:port/shop
#   url_param    postgresql://app@host:port/shop?password=<%-encoded>
#   ci_quoted    postgres:host=… password='… \' … \\ …'
#   ci_escaped   postgres:host=… password=…\ …\'…\\…   (unquoted, backslash escapes)
#   ci_spaced    postgres: host = … password = '…'      (spaces around '=')
#   env          PGPASSWORD
#   pgpass       a PGPASSFILE entry
#
# and two that fail: wrong_db (database "nope") and unparsable (an unquoted
# password with a space: libpq's own message would quote a piece of it).
# No piece of the password (ZqK7, TAILone, …) may appear in stdout, stderr,
# the state (file bytes and `sqlite3 .dump`), the manifests, the catalog, any
# other file of the project, or `snaplake status` (and `status --list`).
# Each run must show the description postgres://app@127.0.0.1:<port>/shop.
set -u
. "$(dirname "$0")/../tools/e2e-lib.sh"

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null ||
    ! command -v sqlite3 >/dev/null; then
    echo "secrets.sh: PostgreSQL 15 binaries or sqlite3 not found; skipped"
    exit 0
fi
PGTEST_DIR=
trap '[ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"; rm -rf "$T"' EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || {
    fail "server starts"
    exit 1
}
unset PGPASSWORD PGPASSFILE PGSERVICE PGSERVICEFILE
export PGPASSFILE=$T/no-pgpass # libpq must not find a ~/.pgpass of the machine

# The password, and as the conninfo forms write it (read -r keeps the backslashes).
{
    read -r PW
    read -r PW_QUOTED
    read -r PW_ESCAPED
    read -r PW_PGPASS
} <<'EOF'
ZqK7 A&TAILone TAILtwo'TAILthree\TAILfour
'ZqK7 A&TAILone TAILtwo\'TAILthree\\TAILfour'
ZqK7\ A&TAILone\ TAILtwo\'TAILthree\\TAILfour
ZqK7 A&TAILone TAILtwo'TAILthree\\TAILfour
EOF
FRAGMENTS=(ZqK7 TAILone TAILtwo TAILthree TAILfour)
PW_PCT=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PW")
PORT=$PGTEST_PORT
HOST=127.0.0.1
SHOWN="postgres://app@$HOST:$PORT/shop"

P() { psql -XAtq -v ON_ERROR_STOP=1 -h "$PGTEST_DIR" -p "$PORT" -U postgres "$@"; }
P -d postgres -c "CREATE DATABASE shop" || fail "createdb"
P -d postgres -v pw="$PW" <<'SQL' || fail "create role"
SET password_encryption = 'scram-sha-256';
CREATE ROLE app LOGIN PASSWORD :'pw';
SQL
P -d shop <<'SQL' || fail "create table"
CREATE TABLE orders (id int PRIMARY KEY, item text);
INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 50) g;
GRANT SELECT ON orders TO app;
SQL
# The superuser keeps trust over the socket; app over TCP must give the password.
cat >"$PGTEST_DIR/data/pg_hba.conf" <<'EOF'
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
EOF
P -d postgres -c "SELECT pg_reload_conf()" >/dev/null || fail "reload"
if psql -XAtq -w "postgres://app@$HOST:$PORT/shop" -c "SELECT 1" >/dev/null 2>&1; then
    fail "server requires a password" "app connected without one"
else
    pass "server requires a password"
fi

# A project for one form: project NAME SOURCE → config path
project() {
    local d=$T/$1
    mkdir -p "$d"
    local q=${2//\'/\'\'} # YAML single quotes: '' for ', backslashes literal
    write_cfg "$d/snaplake.yml" "source: '$q'" "lake: ./lake" "jobs: 2" "run: { retries: 0 }"
    echo "$d/snaplake.yml"
}

# no_leak NAME FILE... — PASS when no file holds any piece of the password.
no_leak() {
    local n=$1 f w hits=
    shift
    for f in "$@"; do
        [ -e "$f" ] || continue
        for w in "${FRAGMENTS[@]}"; do
            if grep -aqF -- "$w" "$f"; then
                hits+="$w in ${f#"$T"/}: $(grep -aF -m1 -- "$w" "$f" | tr -c '[:print:]' ' ' |
                    head -c 200)|"
            fi
        done
    done
    if [ -z "$hits" ]; then pass "$n"; else fail "$n" "$hits"; fi
}

# check_form NAME SOURCE RC [ENV=VALUE…] — two runs (plain, --log-json) and the
# status; every output and every file of the project free of the password.
check_form() {
    local name=$1 src=$2 want=$3
    shift 3
    local cfg d
    cfg=$(project "$name" "$src")
    d=$(dirname "$cfg")
    env "$@" "$SNAPLAKE" run -c "$cfg" >"$d/out1" 2>"$d/err1"
    RC=$?
    cp "$d/out1" "$T/out"
    cp "$d/err1" "$T/err"
    expect_rc "$name/run" "$want"
    env "$@" "$SNAPLAKE" --log-json run -c "$cfg" >"$d/out2" 2>"$d/err2"
    RC=$?
    cp "$d/out2" "$T/out"
    cp "$d/err2" "$T/err"
    expect_rc "$name/run --log-json" "$want"
    "$SNAPLAKE" status -c "$cfg" >"$d/status" 2>&1
    "$SNAPLAKE" --log-json status -c "$cfg" >>"$d/status" 2>&1
    "$SNAPLAKE" status --list -c "$cfg" >>"$d/status" 2>&1
    sqlite3 "$d/.snaplake/state.db" .dump >"$d/state.sql" 2>&1
    no_leak "$name/output" "$d/out1" "$d/err1" "$d/out2" "$d/err2"
    no_leak "$name/status" "$d/status"
    no_leak "$name/state" "$d/.snaplake/state.db" "$d/state.sql"
    if [ "$want" -eq 0 ]; then
        local manifests=("$d"/lake/_snaplake/runs/*.json)
        if [ -e "${manifests[0]}" ]; then pass "$name/manifest written"; else fail "$name/manifest written"; fi
        no_leak "$name/manifest" "${manifests[@]}"
        no_leak "$name/catalog" "$d/lake/catalog.duckdb"
        expect_grep "$name/manifest names the source" "${manifests[0]}" "\"$SHOWN\""
        expect_grep "$name/run line names the source" "$d/err1" "$SHOWN"
        expect_grep "$name/rows" "$d/err1" "50 rows"
        expect_grep "$name/status names the source" "$d/status" "$SHOWN"
    fi
    # Everything else the runs left (parquet, temp files, logs), the config aside.
    local rest=()
    while IFS= read -r -d '' f; do rest+=("$f"); done < <(find "$d" -type f ! -name snaplake.yml -print0)
    no_leak "$name/project files" "${rest[@]}"
}

CI="host=$HOST port=$PORT dbname=shop user=app"
check_form url_pct "postgres://app:$PW_PCT@$HOST:$PORT/shop" 0
check_form url_param "postgresql://app@$HOST:$PORT/shop?password=$PW_PCT&connect_timeout=10" 0
check_form ci_quoted "postgres:$CI password=$PW_QUOTED" 0
check_form ci_escaped "postgres:$CI password=$PW_ESCAPED" 0
check_form ci_spaced "postgres: host = $HOST  port = $PORT dbname = shop user = app password = $PW_QUOTED" 0
check_form env "postgres://app@$HOST:$PORT/shop" 0 PGPASSWORD="$PW"
printf '%s:%s:shop:app:%s\n' "$HOST" "$PORT" "$PW_PGPASS" >"$T/pgpass.conf"
chmod 600 "$T/pgpass.conf"
check_form pgpass "postgres://app@$HOST:$PORT/shop" 0 PGPASSFILE="$T/pgpass.conf"

# Failing runs print their error, still without the password.
check_form wrong_db "postgres:host=$HOST port=$PORT dbname=nope user=app password=$PW_QUOTED" 1
expect_grep wrong_db/error "$T/wrong_db/err1" 'database "nope" does not exist'
check_form unparsable "postgres:$CI password=$PW" 1
expect_grep unparsable/error "$T/unparsable/err1" "libpq cannot read the connection string"
check_form wrong_password "postgres://app:wrong@$HOST:$PORT/shop" 1 PGPASSWORD="$PW"
expect_grep wrong_password/error "$T/wrong_password/err1" "password authentication failed"
exit 0
