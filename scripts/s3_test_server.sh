#!/usr/bin/env bash
# s3_test_server.sh — a throwaway S3 endpoint for the tests and benchmarks:
# npm s3rver behind a verifying proxy (tests/tools/s3_proxy.py).
#
#   scripts/s3_test_server.sh start [DIR]   start both in DIR (default: a new
#                                           temporary folder), create the bucket
#                                           "lake", print shell assignments
#                                           (also written to DIR/env):
#       export S3TEST_DIR=/tmp/snaplake-s3.XXXX
#       export S3TEST_ENDPOINT=http://127.0.0.1:PORT     the proxy (use this)
#       export S3TEST_UPSTREAM=http://127.0.0.1:PORT2    s3rver itself (unchecked)
#       export S3TEST_BUCKET=lake
#       export S3TEST_TEMP_ACCESS_KEY_ID=… S3TEST_TEMP_SECRET_ACCESS_KEY=…
#       export S3TEST_TEMP_SESSION_TOKEN=…              a temporary key pair
#       export AWS_ENDPOINT_URL_S3=$S3TEST_ENDPOINT
#       export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… AWS_REGION=us-east-1
#       export AWS_DEFAULT_REGION=us-east-1
#     use as: eval "$(scripts/s3_test_server.sh start)"
#   scripts/s3_test_server.sh stop DIR      stop both and remove DIR (only a
#                                           DIR this script made is removed;
#                                           a DIR given to start is emptied of
#                                           nothing but stopped)
#   scripts/s3_test_server.sh aws DIR ARGS… Debian's aws CLI against DIR's
#                                           endpoint (an independent client)
#
# Both listen on 127.0.0.1 only.  DIR holds data/ (s3rver's objects),
# keys.json (credentials the proxy accepts; edit to rotate or expire keys),
# faults.json (fault injection, written by the tests), faults.fired.json,
# requests.log (one JSON line per request), and the logs and pid files.
# docs/testing-s3.md describes what the proxy verifies and the fault format.
#
# Installs what is missing: npm s3rver (pinned) into .deps/node, Debian's
# awscli, python3-botocore and python3-crc32c with apt-get.  Debian's python is used
# explicitly (/usr/bin/python3, /usr/bin/aws): a python3 earlier in PATH may
# not see Debian's botocore.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
S3RVER_VERSION=3.7.1
PY=/usr/bin/python3
AWS=/usr/bin/aws
NODE_DIR=$top/.deps/node
S3RVER_BIN=$NODE_DIR/node_modules/s3rver/bin/s3rver.js
BUCKET=lake

install_missing() {
    local pkgs="" sudo=
    [ -x "$AWS" ] || pkgs="$pkgs awscli"
    "$PY" -c 'import botocore' 2>/dev/null || pkgs="$pkgs python3-botocore"
    # Optional: the proxy checks x-amz-checksum-crc32c in pure Python without it.
    "$PY" -c 'import crc32c' 2>/dev/null || pkgs="$pkgs python3-crc32c"
    if [ -n "$pkgs" ]; then
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        echo "s3_test_server: installing Debian packages:$pkgs" >&2
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
            --no-install-recommends $pkgs >/dev/null
    fi
    if [ ! -f "$S3RVER_BIN" ] ||
        ! grep -q "\"version\": \"$S3RVER_VERSION\"" "$NODE_DIR/node_modules/s3rver/package.json"; then
        echo "s3_test_server: installing s3rver $S3RVER_VERSION from the npm registry" >&2
        mkdir -p "$NODE_DIR"
        # One install at a time: several test scripts may start at once.
        (
            flock 9
            [ -f "$S3RVER_BIN" ] ||
                npm install --prefix "$NODE_DIR" --silent --no-audit --no-fund \
                    "s3rver@$S3RVER_VERSION" >&2
        ) 9>"$NODE_DIR/.s3rver.lock"
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

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

wait_port() { # port seconds → 0 when something listens
    local i
    for i in $(seq 1 $(($2 * 10))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

stop_pid() { # pidfile
    local pid i
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            # A zombie (no init reaping it in a container) is gone too.
            case "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" in Z | "") break ;; esac
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

aws_cli() { # DIR args… — the aws CLI with DIR's environment, nothing from ~/.aws
    local dir=$1
    shift
    (
        # shellcheck disable=SC1091
        . "$dir/env"
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
            AWS_PAGER="" AWS_SESSION_TOKEN="${AWS_SESSION_TOKEN:-}" \
            "$AWS" --endpoint-url "$S3TEST_ENDPOINT" "$@"
    )
}

start() {
    local dir=${1:-} made=0 port pport ak sk tak tsk ttok attempt
    install_missing || { echo "s3_test_server: cannot install what it needs" >&2; return 1; }
    if [ -z "$dir" ]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/snaplake-s3.XXXXXX")
        made=1
    fi
    mkdir -p "$dir/data"
    dir=$(cd "$dir" && pwd)
    [ "$made" -eq 1 ] && : >"$dir/.made-by-s3_test_server"
    ak=AKIASNAPLAKE$(rand_hex 4 | tr a-f A-F)
    sk=$(rand_hex 20)
    tak=ASIASNAPLAKE$(rand_hex 4 | tr a-f A-F)
    tsk=$(rand_hex 20)
    ttok=FwoTEST$(rand_hex 32)
    cat >"$dir/keys.json" <<EOF
{"keys": {
  "$ak": {"secret": "$sk"},
  "$tak": {"secret": "$tsk", "token": "$ttok", "expires": null}
}}
EOF
    : >"$dir/requests.log"
    rm -f "$dir/faults.json" "$dir/faults.fired.json"  # a reused DIR starts without faults
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || break
        # --openssl-legacy-provider: s3rver's continuation tokens use DES,
        # which Node 20's OpenSSL 3 refuses otherwise.
        node --openssl-legacy-provider "$S3RVER_BIN" -d "$dir/data" -a 127.0.0.1 -p "$port" \
            --no-vhost-buckets >"$dir/s3rver.log" 2>&1 &
        echo $! >"$dir/s3rver.pid"
        if wait_port "$port" 60; then break; fi # node starts slowly on a busy machine
        stop_pid "$dir/s3rver.pid"
        port=
    done
    if [ -z "${port:-}" ]; then
        echo "s3_test_server: s3rver did not start; log:" >&2
        tail -20 "$dir/s3rver.log" >&2
        return 1
    fi
    rm -f "$dir/proxy.port"
    "$PY" "$top/tests/tools/s3_proxy.py" --upstream "http://127.0.0.1:$port" --data-dir "$dir/data" \
        --state-dir "$dir" >"$dir/proxy.log" 2>&1 &
    echo $! >"$dir/proxy.pid"
    for attempt in $(seq 1 600); do # botocore loads slowly on a busy machine
        [ -s "$dir/proxy.port" ] && break
        kill -0 "$(cat "$dir/proxy.pid")" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$dir/proxy.port" ]; then
        echo "s3_test_server: the proxy did not start; log:" >&2
        tail -20 "$dir/proxy.log" >&2
        stop "$dir" >/dev/null 2>&1 || true
        return 1
    fi
    pport=$(cat "$dir/proxy.port")
    cat >"$dir/env" <<EOF
export S3TEST_DIR=$dir
export S3TEST_ENDPOINT=http://127.0.0.1:$pport
export S3TEST_UPSTREAM=http://127.0.0.1:$port
export S3TEST_BUCKET=$BUCKET
export S3TEST_TEMP_ACCESS_KEY_ID=$tak
export S3TEST_TEMP_SECRET_ACCESS_KEY=$tsk
export S3TEST_TEMP_SESSION_TOKEN=$ttok
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$pport
export AWS_ACCESS_KEY_ID=$ak
export AWS_SECRET_ACCESS_KEY=$sk
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
EOF
    # Through the proxy, signed by botocore (quicker to start than the aws CLI).
    if ! (. "$dir/env" && "$PY" "$top/tests/tools/s3_req.py" PUT "/$BUCKET") >"$dir/create-bucket.log" 2>&1 ||
        ! grep -q '^200 ' "$dir/create-bucket.log"; then
        echo "s3_test_server: cannot create bucket $BUCKET:" >&2
        cat "$dir/create-bucket.log" >&2
        stop "$dir" >/dev/null 2>&1 || true
        return 1
    fi
    cat "$dir/env"
}

stop() {
    local dir=${1:?usage: s3_test_server.sh stop DIR}
    if [ ! -f "$dir/env" ] && [ ! -f "$dir/s3rver.pid" ] && [ ! -f "$dir/proxy.pid" ]; then
        echo "s3_test_server: $dir is not a folder started by this script" >&2
        return 1
    fi
    stop_pid "$dir/proxy.pid"
    stop_pid "$dir/s3rver.pid"
    if [ -f "$dir/.made-by-s3_test_server" ]; then rm -rf "$dir"; fi
}

case "${1:-}" in
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
aws)
    [ -n "${2:-}" ] || { echo "usage: $0 aws DIR ARGS..." >&2; exit 2; }
    d=$2
    shift 2
    aws_cli "$d" "$@"
    ;;
*)
    echo "usage: $0 start [DIR] | stop DIR | aws DIR ARGS..." >&2
    exit 2
    ;;
esac
