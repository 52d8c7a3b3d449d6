#!/usr/bin/env bash
# mariadb_test_server.sh — a throwaway MariaDB for the tests and benchmarks.
#
#   scripts/mariadb_test_server.sh start     mariadb-install-db + mariadbd in a new
#                                            temporary folder; prints shell assignments:
#                                              MYTEST_DIR=/tmp/snaplake-my.XXXX
#                                              MYTEST_PORT=34567
#                                              MYTEST_SOCKET=/tmp/snaplake-my.XXXX/mysqld.sock
#                                              MYTEST_URL=mariadb://root@127.0.0.1:34567
#                                            use as: eval "$(scripts/mariadb_test_server.sh start)"
#   scripts/mariadb_test_server.sh stop DIR  stop that server and remove DIR
#
# The server listens on 127.0.0.1 at a free port, with its own Unix socket and
# pid file in DIR, the binary log on (so the snapshot's binlog position and
# GTID can be recorded), and no other option file read (--no-defaults): the
# system's MariaDB service and its /etc/mysql configuration are never
# touched.  root@localhost and root@127.0.0.1 have no password (throwaway
# data).  Installs the Debian packages mariadb-server and mariadb-client
# with apt-get when mariadbd is missing (as scripts/setup.sh --test does).
# As root the server runs as the system user "mysql" (the package creates it).
# MYTEST_BUFFER_POOL sets the InnoDB buffer pool (default 128M; the MySQL
# benchmark sizes it to hold its tables).
set -eu

find_bin() { # name… → the first found, in PATH or /usr/sbin
    local n
    for n in "$@"; do
        if command -v "$n" >/dev/null 2>&1; then command -v "$n"; return 0; fi
        if [ -x "/usr/sbin/$n" ]; then echo "/usr/sbin/$n"; return 0; fi
    done
    return 1
}

install_packages() {
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "mariadb_test_server: installing mariadb-server and mariadb-client with apt-get" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        mariadb-server mariadb-client >/dev/null
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
    local dir port mariadbd installdb client user=() i
    if ! find_bin mariadbd mysqld >/dev/null || ! find_bin mariadb mysql >/dev/null; then
        install_packages || { echo "mariadb_test_server: cannot install MariaDB" >&2; return 1; }
    fi
    mariadbd=$(find_bin mariadbd mysqld)
    installdb=$(find_bin mariadb-install-db mysql_install_db)
    client=$(find_bin mariadb mysql)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/snaplake-my.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown mysql: "$dir"
        user=(--user=mysql)
    fi
    "$installdb" --no-defaults "${user[@]}" --datadir="$dir/data" --auth-root-authentication-method=normal \
        --skip-test-db >"$dir/install.log" 2>&1 || {
        cat "$dir/install.log" >&2
        rm -rf "$dir"
        return 1
    }
    local pid
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || break
        # Each attempt's own log: an earlier attempt's "already in use" must
        # not end this one's wait.
        : >"$dir/server.log"
        "$mariadbd" --no-defaults "${user[@]}" --datadir="$dir/data" --bind-address=127.0.0.1 \
            --port="$port" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
            --log-error="$dir/server.log" --log-bin="$dir/binlog" --server-id=1 \
            --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 --innodb-buffer-pool-size="${MYTEST_BUFFER_POOL:-128M}" \
            --max-connections=200 --skip-name-resolve >/dev/null 2>&1 &
        pid=$!
        for i in $(seq 1 150); do
            if "$client" --no-defaults -uroot --socket="$dir/mysqld.sock" -e 'SELECT 1' \
                >/dev/null 2>&1; then
                # 127.0.0.1 is not "localhost" to the grant tables: give root that host too.
                "$client" --no-defaults -uroot --socket="$dir/mysqld.sock" -e \
                    "CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION" >&2
                echo "MYTEST_DIR=$dir"
                echo "MYTEST_PORT=$port"
                echo "MYTEST_SOCKET=$dir/mysqld.sock"
                echo "MYTEST_URL=mariadb://root@127.0.0.1:$port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break # it gave up (a port taken meanwhile)
            sleep 0.2
        done
        # Gone before the next attempt: a server still shutting down holds
        # the data folder's locks (aria_log_control) and the next one fails.
        stop_server "$dir"
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -f "$dir/mysqld.pid"
    done
    echo "mariadb_test_server: cannot start MariaDB; log:" >&2
    tail -20 "$dir/server.log" >&2 || true
    rm -rf "$dir"
    return 1
}

stop_server() { # DIR: kill the server whose pid file is in DIR, and wait for it
    local pid i
    pid=$(cat "$1/mysqld.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    local dir=${1:?usage: mariadb_test_server.sh stop DIR}
    case "$dir" in
    */snaplake-my.*) ;;
    *)
        echo "mariadb_test_server: $dir is not a folder made by this script" >&2
        return 1
        ;;
    esac
    stop_server "$dir"
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
