#!/usr/bin/env bash
# pg_test_server.sh — a throwaway PostgreSQL 15 for the tests and benchmarks.
#
#   scripts/pg_test_server.sh start        initdb + pg_ctl start in a new temporary
#                                          folder; prints shell assignments:
#                                            PGTEST_DIR=/tmp/snaplake-pg.XXXX
#                                            PGTEST_PORT=54321
#                                            PGTEST_URL=postgres://postgres@127.0.0.1:54321/postgres
#                                          use as: eval "$(scripts/pg_test_server.sh start)"
#   scripts/pg_test_server.sh stop DIR     stop that server and remove DIR
#
# The server listens on 127.0.0.1 at a free port, with its unix socket in DIR,
# trust authentication for the superuser "postgres", fsync off (throwaway
# data).  initdb refuses to run as root, so as root the server runs as the
# system user "postgres" (created if missing) and DIR is handed to it.
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
set -eu
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_owner() { # run a command as the user owning the cluster
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Below the kernel's ephemeral range (32768-60999 on Debian): a port there can
# be taken by any outgoing connection's local end between this check and the
# server's bind (seen: "Address already in use" while the suite ran).
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % 22000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

start() {
    local dir port
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/snaplake-pg.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        return 1
    }
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 64MB
log_min_messages = warning
EOF
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || break
        if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-p $port" start >/dev/null 2>&1; then
            echo "PGTEST_DIR=$dir"
            echo "PGTEST_PORT=$port"
            echo "PGTEST_URL=postgres://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
    done
    echo "pg_test_server: cannot start PostgreSQL; log:" >&2
    tail -20 "$dir/server.log" >&2 || true
    rm -rf "$dir"
    return 1
}

stop() {
    local dir=${1:?usage: pg_test_server.sh stop DIR}
    case "$dir" in
    */snaplake-pg.*) ;;
    *)
        echo "pg_test_server: $dir is not a folder made by this script" >&2
        return 1
        ;;
    esac
    if [ -d "$dir/data" ]; then
        as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
