#!/usr/bin/env bash
# setup.sh — install what snaplake needs to build and test, and nothing twice.
#
# Debian packages come from apt; DuckDB (not in Debian) comes from the npm
# registry as two pinned tarballs: the `duckdb` package carries the C header,
# `@duckdb/node-bindings-linux-x64` carries libduckdb.so.  Both are unpacked
# into .deps/duckdb (ignored by git); node is not needed at run time.  A system
# DuckDB (/usr/include/duckdb.h + libduckdb.so) is preferred when present.
#
# Usage: scripts/setup.sh [--test | --fuzz]   (--test also installs the test-only
# npm readers into .deps/node; --fuzz adds clang and its libFuzzer runtime for
# `make fuzz`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"
mkdir -p "$deps"

DUCKDB_VERSION=1.4.4
DUCKDB_BINDINGS=1.4.4-r.4
PACKAGES="build-essential pkg-config libsqlite3-dev sqlite3 libyaml-dev libjansson-dev
libzstd-dev libsnappy-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libpq-dev libmariadb-dev"
# The tests start real servers (PostgreSQL 15, MariaDB 10.11), time commands, and
# open the HTML report in headless Chromium (tests/e2e/report.sh).
if [ "${1:-}" = "--test" ]; then
    PACKAGES="$PACKAGES postgresql-15 postgresql-client-15 mariadb-server mariadb-client time chromium"
    command -v python3 >/dev/null 2>&1 || PACKAGES="$PACKAGES python3"
fi
# `make fuzz`: clang 14 with -fsanitize=fuzzer (libFuzzer is in the runtime package).
if [ "${1:-}" = "--fuzz" ]; then
    PACKAGES="$PACKAGES clang libclang-rt-14-dev"
fi
# node and npm fetch DuckDB and the test readers; take Debian's only when none is installed.
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing"
    if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

have_system_duckdb() {
    [ -f /usr/include/duckdb.h ] || [ -f /usr/local/include/duckdb.h ]
}
if ! have_system_duckdb && [ ! -f "$deps/duckdb/lib/libduckdb.so" ]; then
    echo "setup: fetching DuckDB $DUCKDB_VERSION from the npm registry"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "duckdb@$DUCKDB_VERSION" \
        "@duckdb/node-bindings-linux-x64@$DUCKDB_BINDINGS" >/dev/null)
    mkdir -p "$deps/duckdb/include" "$deps/duckdb/lib" "$tmp/h" "$tmp/l"
    tar -xzf "$tmp/duckdb-$DUCKDB_VERSION.tgz" -C "$tmp/h" package/src/duckdb/src/include/duckdb.h
    tar -xzf "$tmp/duckdb-node-bindings-linux-x64-$DUCKDB_BINDINGS.tgz" -C "$tmp/l" package/libduckdb.so
    cp "$tmp/h/package/src/duckdb/src/include/duckdb.h" "$deps/duckdb/include/"
    cp "$tmp/l/package/libduckdb.so" "$deps/duckdb/lib/"
    rm -rf "$tmp"
fi

# The test readers, pinned: hyparquet (+ its codecs) and arrow-rs compiled to
# WebAssembly (parquet-wasm, whose Arrow IPC output apache-arrow decodes).  Each
# is checked, and when one is missing or at another version the whole list is
# installed again, exact (npm would otherwise move the others to the newest
# version their caret range allows), so an existing .deps gains the ones added
# later.
NODE_READERS="hyparquet@1.31.5 hyparquet-compressors@1.1.2 parquet-wasm@0.8.0 apache-arrow@21.2.0"
if [ "${1:-}" = "--test" ]; then
    want=""
    for p in $NODE_READERS; do
        f="$deps/node/node_modules/${p%@*}/package.json"
        grep -q "\"version\": \"${p##*@}\"" "$f" 2>/dev/null || want="$want ${p%@*}"
    done
    if [ -n "$want" ]; then
        echo "setup: installing test readers from the npm registry:$want"
        mkdir -p "$deps/node"
        (cd "$deps/node" && npm install --silent --no-audit --no-fund --save-exact $NODE_READERS >/dev/null)
    fi
fi
exit 0
