#!/usr/bin/env bash
# progress.sh — the live export display (flow/progress.c).  Under a pseudo
# terminal (util-linux `script`) it is redrawn in place: cursor up, lines
# ending "\e[K", rows/s and ETA, the cursor hidden and shown again at the
# end, the per-table lines and the published line printed whole.  Not a
# terminal, --log-json, -q, TERM=dumb, SNAPLAKE_PROGRESS=never: no escape
# sequence at all (--log-json: every line JSON).  NO_COLOR: no colors.
# SNAPLAKE_PROGRESS=always: the display on any stderr.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"

# Big enough for a couple of seconds with two workers.
sqlite3 db.sqlite "CREATE TABLE big (i INTEGER PRIMARY KEY, s TEXT, x REAL);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000)
    INSERT INTO big SELECT i, 'row ' || i || ' ' || hex(randomblob(12)), i * 0.5 FROM n;
    CREATE TABLE big2 AS SELECT * FROM big WHERE i <= 1000000;
    CREATE TABLE small (a TEXT); INSERT INTO small VALUES ('x');"
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 2' \
    'catalog: duckdb' 'engine: duckdb'

# in_pty OUT ENV... -- ARGS... — snaplake under a pseudo terminal, all its
# output (stdout and stderr: one terminal) in OUT.
in_pty() {
    local out=$1
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env -u NO_COLOR -u SNAPLAKE_PROGRESS TERM=xterm "${envs[@]}" \
        script -qfec "$SNAPLAKE $*" /dev/null >"$out" 2>&1 </dev/null
    RC=$?
}
has() { grep -qaP -- "$2" "$1"; } # FILE PERL-REGEX
no_esc() { ! grep -qaP '\x1b' "$1"; }

in_pty tty.txt -- run -c snaplake.yml
check "tty: run ok" test "$RC" = 0
check "tty: lines rewritten (\\e[K)" has tty.txt '\x1b\[K'
check "tty: cursor moved up over the frame" has tty.txt '\x1b\[[0-9]+A'
check "tty: rows/s shown" has tty.txt '[0-9]+ rows/s'
check "tty: ETA shown" has tty.txt 'ETA [0-9]+:[0-9]{2}'
check "tty: percent of the estimate" has tty.txt ' [0-9]+%  ETA'
check "tty: overall line" has tty.txt 'tables [0-9]+/3'
check "tty: cursor hidden" has tty.txt '\x1b\[\?25l'
check "tty: colors when NO_COLOR is unset" has tty.txt '\x1b\[3[0-9]m'
# After the cursor is shown again: plain lines only, ending with the result.
tail=$(awk 'BEGIN{RS="\x1b\\[\\?25h"} {last=$0} END{printf "%s", last}' tty.txt)
check "tty: cursor shown again at the end" has tty.txt '\x1b\[\?25h'
check "tty: nothing drawn after the display ends" bash -c "! printf '%s' \"\$1\" | grep -qaP '\x1b'" _ "$tail"
# The result line, then only the line that says where the run's report is.
check "tty: published line last" bash -c "printf '%s' \"\$1\" | tr -d '\r' | grep -v '^snaplake: report: ' | tail -n 1 | grep -q '^snaplake: published run'" _ "$tail"
for t in big big2 small; do
    check "tty: table line for $t printed whole" has tty.txt "(^|\x1b\[J)snaplake:   raw     $t +[0-9]+ rows"
done

in_pty nocolor.txt NO_COLOR=1 -- run -c snaplake.yml
check "NO_COLOR: still redrawn" has nocolor.txt '\x1b\[K'
check "NO_COLOR: no color codes" bash -c "! grep -qaP '\x1b\[3[0-9]?m' nocolor.txt"

"$SNAPLAKE" run -c snaplake.yml >plain.out 2>plain.err
check "not a terminal: run ok" test $? = 0
check "not a terminal: no escape sequences" no_esc plain.err
expect_grep "not a terminal: table lines" plain.err "snaplake:   raw     big "
expect_grep "not a terminal: published line" plain.err "snaplake: published run"

in_pty json.txt -- --log-json run -c snaplake.yml
check "--log-json: no escape sequences" no_esc json.txt
check "--log-json: every line JSON" python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().replace("\r", "").split("\n") if l]
assert lines
for l in lines: json.loads(l)' json.txt

in_pty quiet.txt -- run -q -c snaplake.yml
check "-q: run ok" test "$RC" = 0
check "-q: no progress" no_esc quiet.txt
check "-q: no rows/s" bash -c "! grep -q 'rows/s' quiet.txt"

in_pty dumb.txt TERM=dumb -- run -c snaplake.yml
check "TERM=dumb: no escape sequences" no_esc dumb.txt
in_pty never.txt SNAPLAKE_PROGRESS=never -- run -c snaplake.yml
check "SNAPLAKE_PROGRESS=never: no escape sequences" no_esc never.txt

SNAPLAKE_PROGRESS=always NO_COLOR=1 "$SNAPLAKE" run -c snaplake.yml >always.out 2>always.err
check "SNAPLAKE_PROGRESS=always: drawn on a file too" has always.err '\x1b\[K'

# SIGTERM while the display is up: the cursor is shown again and the frame
# cleared before the lines saying the run was interrupted.
(env -u NO_COLOR TERM=xterm script -qfec \
    "SNAPLAKE_FAULT=pause:batch $SNAPLAKE run -c snaplake.yml & echo \$! >pid; wait \$!" \
    /dev/null >term.txt 2>&1 </dev/null) &
spid=$!
for _ in $(seq 1200); do
    grep -qa "paused at batch" term.txt 2>/dev/null && grep -qaP '\x1b\[K' term.txt && break
    sleep 0.05
done
kill -TERM "$(cat pid)"
wait "$spid"
tail=$(awk 'BEGIN{RS="\x1b\\[\\?25h"} {last=$0} END{printf "%s", last}' term.txt)
check "SIGTERM: cursor shown again" has term.txt '\x1b\[\?25h'
check "SIGTERM: plain lines after it" bash -c "! printf '%s' \"\$1\" | grep -qaP '\x1b'" _ "$tail"
check "SIGTERM: says so after it" bash -c "printf '%s' \"\$1\" | grep -q 'interrupted by SIGTERM'" _ "$tail"

[ "$NFAIL" -eq 0 ]
