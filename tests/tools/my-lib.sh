# my-lib.sh — sourced by the e2e tests that need MariaDB, after
# tests/tools/e2e-lib.sh (it uses $T, $SNAPLAKE_TOP and fail).
#
#   my_start      start scripts/mariadb_test_server.sh (which installs the
#                 Debian packages when missing) in a folder of its own,
#                 stopped on exit, with MYTEST_PORT, MYTEST_DIR, … set; a
#                 machine without MariaDB where the packages cannot be
#                 installed (not root) skips the suite with one line.
#                 Returns 1 after a FAIL line when the server does not start.
#   M ARGS…       the mariadb client against it: root, utf8mb4, no option
#                 files (the tests' own ~/.my.cnf cases set their own)
#   bg_pids       background processes of the test (a lock holder, a
#                 killer), killed on exit before the server stops
MYTEST_DIR=
bg_pids=()

_my_cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -z "$MYTEST_DIR" ] || "$SNAPLAKE_TOP/scripts/mariadb_test_server.sh" stop "$MYTEST_DIR"
    MYTEST_DIR=
}
# Stop the server before e2e-lib.sh's trap removes $T.
trap '_my_cleanup; rm -rf "$T"' EXIT
# The server runs as its own user and reads files the tests leave in $T.
chmod 755 "$T"

my_start() {
    if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ] && [ "$(id -u)" -ne 0 ]; then
        echo "$SUITE: MariaDB not installed (scripts/setup.sh --test installs it); skipped"
        exit 0
    fi
    local env
    if ! env=$("$SNAPLAKE_TOP/scripts/mariadb_test_server.sh" start); then
        fail "server starts"
        return 1
    fi
    eval "$env"
}

M() { mariadb --no-defaults --default-character-set=utf8mb4 -uroot -h127.0.0.1 -P"$MYTEST_PORT" "$@"; }
