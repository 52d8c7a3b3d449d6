#!/usr/bin/env bash
# pg_connect.sh — a PostgreSQL source that refuses connections at the start
# (issue 9, item 11), against a real PostgreSQL 15 (scripts/pg_test_server.sh)
# that requires the password of role app (scram-sha-256).
#
#   restart        the server is down when the run starts and comes up two
#                  seconds later: the snapshot is retried with the run's
#                  policy (run.retries, backoff with jitter), one warning line
#                  an attempt, and the run succeeds
#   down           the server stays down: retries: 1 → two attempts, one
#                  retry line, exit 1
#   starting_up    a fake server that answers every connection as PostgreSQL
#   shutting_down  does while it starts or stops (FATAL 57P03): transient,
#                  retries: 2 → two retry lines naming it, exit 1
#   wrong_password authentication failed: permanent, no retry, exit 1 at once
#   wrong_db       database does not exist: permanent, no retry, exit 1
set -u
. "$(dirname "$0")/../tools/e2e-lib.sh"

PG_BIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PG_BIN/initdb" ] || ! command -v psql >/dev/null || ! command -v sqlite3 >/dev/null; then
    echo "pg_connect.sh: PostgreSQL 15 binaries or sqlite3 not found; skipped"
    exit 0
fi
PGTEST_DIR=
bg=
cleanup() {
    [ -n "$bg" ] && kill "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
    [ -n "$PGTEST_DIR" ] && "$SNAPLAKE_TOP/scripts/pg_test_server.sh" stop "$PGTEST_DIR"
    rm -rf "$T"
}
trap cleanup EXIT
eval "$("$SNAPLAKE_TOP/scripts/pg_test_server.sh" start)" || {
    fail "server starts"
    exit 1
}
unset PGPASSWORD PGSERVICE
export PGPASSFILE=$T/no-pgpass
PORT=$PGTEST_PORT

as_owner() { # as scripts/pg_test_server.sh: the cluster belongs to postgres under root
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_stop() { as_owner "$PG_BIN/pg_ctl" -D "$PGTEST_DIR/data" -m fast -w stop >/dev/null 2>&1; }
pg_start() {
    as_owner "$PG_BIN/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/server.log" -w -t 30 \
        -o "-p $PORT" start >/dev/null 2>&1
}

P() { psql -XAtq -v ON_ERROR_STOP=1 -h "$PGTEST_DIR" -p "$PORT" -U postgres "$@"; }
P -d postgres -c "CREATE DATABASE shop" || fail "createdb"
P -d postgres -c "CREATE ROLE app LOGIN PASSWORD 'right-pw'" || fail "create role"
P -d shop <<'SQL' || fail "create table"
CREATE TABLE orders (id int PRIMARY KEY, item text);
INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 20) g;
GRANT SELECT ON orders TO app;
SQL
cat >"$PGTEST_DIR/data/pg_hba.conf" <<'EOF'
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
EOF
P -d postgres -c "SELECT pg_reload_conf()" >/dev/null || fail "reload"

cfg() { # NAME SOURCE RETRIES → config path
    mkdir -p "$T/$1"
    write_cfg "$T/$1/snaplake.yml" "source: \"$2\"" "lake: ./lake" "jobs: 2" "run: { retries: $3 }"
    echo "$T/$1/snaplake.yml"
}
GOOD="postgres://app:right-pw@127.0.0.1:$PORT/shop"

# ---- restart: down at the start, up once the first attempt failed ---------
c=$(cfg restart "$GOOD" 6)
pg_stop || fail "restart/server stops"
"$SNAPLAKE" run -c "$c" >"$T/out" 2>"$T/err" &
bg=$!
# Up again once the first attempt has failed (a fixed 2 s could pass before a
# slow start even tried, and then nothing was retried).
for _ in $(seq 600); do grep -q 'snapshot failed (attempt 1 of 7)' "$T/err" && break; sleep 0.1; done
pg_start || fail "restart/server starts again"
wait "$bg"
RC=$?
bg=
expect_rc restart/run 0
expect_grep restart/attempt-line "$T/err" "snapshot failed (attempt 1 of 7), retrying: source: postgres://app@127.0.0.1:$PORT/shop: cannot connect to PostgreSQL"
expect_grep restart/rows "$T/err" "20 rows"
n=$(grep -c "retrying" "$T/err")
ok=$([ "$n" -ge 1 ] && [ "$n" -le 6 ] && echo 1)
for k in $(seq 1 "$n"); do
    [ "$(grep -c "(attempt $k of 7), retrying" "$T/err")" -eq 1 ] || ok=
done
if [ -n "$ok" ]; then
    pass restart/one-line-an-attempt
else
    fail restart/one-line-an-attempt "$n retry lines; stderr:" "$(cat "$T/err")"
fi
# The run state counts the attempts of the snapshot task: the failed ones and the last.
got=$(sqlite3 "$T/restart/.snaplake/state.db" \
    "SELECT state || ' ' || attempts FROM tasks WHERE task_id = 'snapshot'" 2>&1)
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
expect_eq restart/state-attempts "$got" "done $((n + 1))"

# ---- down: the retries run out ----------------------------------------------
c=$(cfg down "$GOOD" 1)
pg_stop || fail "down/server stops"
sl run -c "$c"
expect_rc down/run 1
n=$(grep -c "retrying" "$T/err")
if [ "$n" -eq 1 ]; then pass down/one-retry; else fail down/one-retry "$n retry lines: $(tr '\n' '|' <"$T/err")"; fi
expect_grep down/error "$T/err" "cannot connect to PostgreSQL"
pg_start || fail "down/server starts again"

# ---- starting up / shutting down: FATAL 57P03 before authentication -----------
# fake_pg MESSAGE: a server that refuses every connection with that message, as
# the postmaster does (after declining SSL and GSS encryption); prints its port.
cat >"$T/fake_pg.py" <<'PY'
import socket, struct, sys
def exact(c, n):
    b = b""
    while len(b) < n:
        r = c.recv(n - len(b))
        if not r:
            raise EOFError
        b += r
    return b
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
body = b"SFATAL\0VFATAL\0C57P03\0M" + sys.argv[1].encode() + b"\0\0"
while True:
    c, _ = s.accept()
    try:
        while True:
            n = struct.unpack("!I", exact(c, 4))[0]
            code = struct.unpack("!I", exact(c, n - 4)[:4])[0]
            if code not in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                break
            c.sendall(b"N")
        c.sendall(b"E" + struct.pack("!I", len(body) + 4) + body)
    except (EOFError, OSError):
        pass
    c.close()
PY
for what in "starting up" "shutting down"; do
    name=${what// /_}
    python3 "$T/fake_pg.py" "the database system is $what" >"$T/fake_port" &
    bg=$!
    for _ in $(seq 600); do [ -s "$T/fake_port" ] && break; sleep 0.1; done
    c=$(cfg "$name" "postgres://app:right-pw@127.0.0.1:$(cat "$T/fake_port")/shop" 2)
    sl run -c "$c"
    expect_rc "$name/run" 1
    n=$(grep -c "retrying: .*the database system is $what" "$T/err")
    if [ "$n" -eq 2 ]; then pass "$name/retried"; else fail "$name/retried" "$n retry lines:" "$(cat "$T/err")"; fi
    kill "$bg"
    wait "$bg" 2>/dev/null
    bg=
done

# ---- permanent: wrong password, missing database ----------------------------
c=$(cfg wrong_password "postgres://app:wrong-pw@127.0.0.1:$PORT/shop" 5)
start=$SECONDS
sl run -c "$c"
expect_rc wrong_password/run 1
expect_grep wrong_password/error "$T/err" "password authentication failed"
if ! grep -q "retrying" "$T/err" && [ $((SECONDS - start)) -le 5 ]; then
    pass wrong_password/no-retry
else
    fail wrong_password/no-retry "$((SECONDS - start)) s; stderr: $(tr '\n' '|' <"$T/err")"
fi

c=$(cfg wrong_db "postgres://app:right-pw@127.0.0.1:$PORT/nope" 5)
sl run -c "$c"
expect_rc wrong_db/run 1
expect_grep wrong_db/error "$T/err" 'database "nope" does not exist'
if grep -q "retrying" "$T/err"; then fail wrong_db/no-retry "$(tr '\n' '|' <"$T/err")"; else pass wrong_db/no-retry; fi
exit 0
