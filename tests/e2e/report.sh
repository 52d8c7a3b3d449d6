#!/usr/bin/env bash
# report.sh — `snaplake report`: one self-contained HTML page per run.
#   (a) reports of a successful run, a run with a retried chunk, a run failed
#       by a broken model and a run failed by a bad value in a table with a
#       hostile name: exit 0, the path on stdout, the run id, task names,
#       the failed task's error on top, retries shown;
#   (b) the page is self-contained (no URL, no script, no external anything)
#       and parses as HTML with balanced tags; hostile text stays text;
#   (c) a run with no task and a run still going (lock held) or interrupted;
#   (d) usage errors exit 2, an unknown run exits 1;
#   (e) headless Chromium renders the successful and the failed report, and
#       the screenshots are not blank (red on the failed one, green on the
#       other).
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/report.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

failed_id() { sed -n 's/.*run \([0-9]\{8\}T[0-9]\{6\}Z\(_[0-9]\)\{0,1\}\) failed.*/\1/p' "$T/err" | head -1; }

P=$T/p
mkdir -p "$P/models/stage1" "$P/models/stage2" "$T/cwd"
sqlite3 "$P/src.db" <<'EOF'
CREATE TABLE orders(id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO orders(v) VALUES ('a'), ('b'), ('c');
CREATE TABLE "x<script>alert('t&q')</script>"(id INTEGER PRIMARY KEY, d DATE);
INSERT INTO "x<script>alert('t&q')</script>"(d) VALUES ('2024-01-01');
EOF
write_cfg "$P/snaplake.yml" "source: sqlite://src.db" "lake: ./lake" "jobs: 2" "models: ./models"
echo "SELECT id, upper(v) AS u FROM raw.orders" >"$P/models/stage1/clean_orders.sql"
echo "SELECT count(*) AS c FROM stage1.clean_orders" >"$P/models/stage2/order_count.sql"
CFG=$P/snaplake.yml

# ---- (a) four runs, four reports ----------------------------------------------------
sl run -q -c "$CFG"
expect_rc ok-run 0
OK=$(cat "$P/lake/_snaplake/current")
SNAPLAKE_FAULT=export:orders:1 sl run -q -c "$CFG"
expect_rc retry-run 0
RETRY=$(cat "$P/lake/_snaplake/current")
printf 'SELEC id FROM raw."<img src=x onerror=alert(1)>&amp;"\n' >"$P/models/stage1/broken.sql"
sl run -q -c "$CFG"
expect_rc broken-model-run 1
BROKEN=$(failed_id)
rm "$P/models/stage1/broken.sql"
sqlite3 "$P/src.db" "INSERT INTO \"x<script>alert('t&q')</script>\"(d) VALUES ('yesterday')"
sl run -q -c "$CFG"
expect_rc bad-value-run 1
BADVALUE=$(failed_id)

# The newest run by default, into report-<RUN_ID>.html here; the path on stdout.
cd "$T/cwd" && sl report -c "$CFG"; cd "$OLDPWD"
expect_rc default-exit 0
if [ "$(cat "$T/out")" = "report-$BADVALUE.html" ] && [ -s "$T/cwd/report-$BADVALUE.html" ]; then
    pass default-newest-run-here
else
    fail default-newest-run-here "stdout '$(cat "$T/out")', want report-$BADVALUE.html" "$(ls "$T/cwd")"
fi
for r in OK RETRY BROKEN BADVALUE; do
    sl report -c "$CFG" "${!r}" -o "$T/$r.html"
    expect_rc "$r-exit" 0
    if [ "$(cat "$T/out")" = "$T/$r.html" ] && [ -s "$T/$r.html" ]; then pass "$r-written"; else fail "$r-written" "stdout $(cat "$T/out")"; fi
    expect_grep "$r-run-id" "$T/$r.html" "${!r}"
done
sl report -c "$CFG" "$OK" -o -
expect_rc stdout-exit 0
if head -c 15 "$T/out" | grep -q '<!DOCTYPE html>' && grep -q "$OK" "$T/out"; then pass stdout-page; else fail stdout-page "$(head -c 200 "$T/out")"; fi
ls "$T"/*.tmp-* >/dev/null 2>&1 && fail no-temporary-files "$(ls "$T"/*.tmp-*)" || pass no-temporary-files
for name in snapshot 'orders part-0' clean_orders order_count publish retention 'Task graph' Timeline; do
    expect_grep "ok-has-$name" "$T/OK.html" "$name"
done
expect_grep ok-state "$T/OK.html" '<span class="pill" style="background:#1f9d55">done</span>'
expect_grep ok-trend-previous "$T/RETRY.html" 'The previous 1 successful run:'
if grep -q 'class="alert' "$T/OK.html"; then fail ok-no-alert "an error box on a successful run"; else pass ok-no-alert; fi
expect_grep retry-attempts "$T/RETRY.html" '2 attempts'
expect_grep retry-hatched "$T/RETRY.html" 'fill="url(#sl-hatch)"'

# The failed task and its error come first: the alert before the task graph.
python3 - "$T/BROKEN.html" "$T/BADVALUE.html" >"$T/py" 2>&1 <<'PY'
import sys
for path, task, words in ((sys.argv[1], "stage1/broken", "Parser Error"),
                          (sys.argv[2], "export/x_script_alert_t_q_script", "column d, rowid 2")):
    s = open(path, encoding="utf-8").read()
    a, g = s.find('<section class="alert">'), s.find("<h2>Task graph</h2>")
    alert = s[a:g]
    ok = 0 <= a < g and task in alert and words in alert and "Nothing of this run was published" in alert
    print(("ok " if ok else "bad ") + path + ": " + alert[:300].replace("\n", "|"))
PY
if [ "$(grep -c '^ok ' "$T/py")" = 2 ]; then pass failed-task-error-on-top; else fail failed-task-error-on-top "$(cat "$T/py")"; fi

# ---- (b) self-contained, parses, hostile text escaped --------------------------------
cat >"$T/check.py" <<'PY'
# check.py FILE... — one line "ok FILE" or "bad FILE: why" per file.
import html.parser, re, sys
VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.text = [], [], set(), []
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "srcset") and not (v or "").startswith(("data:", "#")):
                self.errors.append("external %s=%r" % (k, v))
            if k.startswith("on"):
                self.errors.append("event handler %s" % k)
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)
for path in sys.argv[1:]:
    raw = open(path, encoding="utf-8").read()
    p = Page()
    try:
        p.feed(raw)
        p.close()
    except Exception as e:
        p.errors.append("parser: %s" % e)
    if p.stack:
        p.errors.append("unclosed: %s" % p.stack)
    for bad in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"):
        if bad in p.tags:
            p.errors.append("<%s> element" % bad)
    # Attributes are checked above; this catches URLs in CSS and SVG.
    url = re.search(r".{0,40}(https?:|ftp:|@import|url\((?!#)).{0,40}", raw, re.I)
    if url:
        p.errors.append("a URL: %s" % url.group(0))
    if not raw.startswith("<!DOCTYPE html>") or "Content-Security-Policy" not in raw:
        p.errors.append("no doctype or no CSP")
    text = "".join(p.text)
    print(("bad %s: %s" % (path, "; ".join(p.errors[:5]))) if p.errors else "ok " + path)
    open(path + ".txt", "w", encoding="utf-8").write(text)
PY
python3 "$T/check.py" "$T"/OK.html "$T"/RETRY.html "$T"/BROKEN.html "$T"/BADVALUE.html >"$T/py" 2>&1
if [ "$(grep -c '^ok ' "$T/py")" = 4 ]; then pass self-contained-balanced-html; else fail self-contained-balanced-html "$(cat "$T/py")"; fi
# The hostile texts come back as text (no element made of them).
expect_grep hostile-model-sql-is-text "$T/BROKEN.html.txt" '<img src=x onerror=alert(1)>&amp;'
expect_grep hostile-table-name-is-text "$T/BADVALUE.html.txt" "table x<script>alert('t&q')</script>, column d"
expect_grep hostile-table-name-escaped "$T/BADVALUE.html" 'x&lt;script&gt;alert(&#39;t&amp;q&#39;)&lt;/script&gt;'

# ---- (c) no task; still going; interrupted ------------------------------------------
DB=$P/.snaplake/state.db
sqlite3 "$DB" "INSERT INTO runs (run_id, state, started_at, ended_at, source, lake, error) VALUES ('20000101T000000Z', 'failed', 946684800, 946684801, 'sqlite://gone.db', '/lake', 'cannot open <gone.db>')"
sl report -c "$CFG" 20000101T000000Z -o "$T/none.html"
expect_rc no-tasks-exit 0
expect_grep no-tasks-said "$T/none.html" 'No task was recorded for this run'
expect_grep no-tasks-run-error "$T/none.html" 'cannot open &lt;gone.db&gt;'
LIVE="$(date -u +%Y%m%dT%H%M%SZ)_9"
NOW=$(date +%s)
sqlite3 "$DB" "INSERT INTO runs (run_id, state, started_at, source, lake) VALUES ('$LIVE', 'running', $NOW - 5, 'sqlite://src.db', '/lake');
INSERT INTO tasks (run_id, task_id, kind, name, state, attempts, started_at, ended_at, rows, bytes, seq) VALUES
 ('$LIVE', 'snapshot', 'snapshot', 'snapshot', 'done', 1, $NOW - 5, $NOW - 4, 3, 0, 0),
 ('$LIVE', 'export/orders/0', 'export', 'orders part-0', 'running', 1, $NOW - 4, NULL, 0, 0, 1),
 ('$LIVE', 'export/orders/1', 'export', 'orders part-1', 'retrying', 2, $NOW - 4, NULL, 0, 0, 2),
 ('$LIVE', 'export/orders/2', 'export', 'orders part-2', 'pending', 0, NULL, NULL, 0, 0, 3);"
# A run holds the project's lock while it goes (fcntl; flow_run_active).
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(120)' \
    "$P/.snaplake/lock" >"$T/lock.out" &
LOCKER=$!
for _ in $(seq 1200); do grep -q locked "$T/lock.out" && break; sleep 0.05; done
cd "$T/cwd" && sl report -c "$CFG"; cd "$OLDPWD"
expect_rc running-exit 0
expect_grep running-newest-default "$T/out" "report-$LIVE.html"
expect_grep running-state "$T/cwd/report-$LIVE.html" '<span class="pill" style="background:#2f80ed">running</span>'
expect_grep running-so-far "$T/cwd/report-$LIVE.html" 'so far'
expect_grep running-never-started "$T/cwd/report-$LIVE.html" '1 task never started.'
if grep -q 'class="alert' "$T/cwd/report-$LIVE.html"; then fail running-no-alert "an error box on a live run"; else pass running-no-alert; fi
kill "$LOCKER" 2>/dev/null
wait "$LOCKER" 2>/dev/null
sl report -c "$CFG" "$LIVE" -o "$T/gone.html"
expect_rc interrupted-exit 0
expect_grep interrupted-state "$T/gone.html" '<span class="pill" style="background:#8e44ad">interrupted</span>'
expect_grep interrupted-tasks "$T/gone.html" '2 tasks stopped unfinished'
python3 "$T/check.py" "$T/none.html" "$T/cwd/report-$LIVE.html" "$T/gone.html" >"$T/py" 2>&1
if [ "$(grep -c '^ok ' "$T/py")" = 3 ]; then pass special-runs-balanced-html; else fail special-runs-balanced-html "$(cat "$T/py")"; fi

# ---- (d) usage and unknown runs -------------------------------------------------------
sl report -c "$CFG" a b
expect_rc usage-two-ids 2
expect_grep usage-two-ids-message "$T/err" "report: one RUN_ID at most, got 'a' and 'b'"
sl report -c "$CFG" --bogus
expect_rc usage-unknown-option 2
sl report -c "$CFG" -o
expect_rc usage-output-needs-value 2
sl report -c "$CFG" 19990101T000000Z -o "$T/nope.html"
expect_rc unknown-run-exit 1
expect_grep unknown-run-message "$T/err" "19990101T000000Z: no run with this id"
[ -e "$T/nope.html" ] && fail unknown-run-no-file "$T/nope.html written" || pass unknown-run-no-file
mkdir -p "$T/empty"
write_cfg "$T/empty/snaplake.yml" "source: sqlite://src.db" "lake: ./lake"
sqlite3 "$T/empty/src.db" "CREATE TABLE t(v)"
sl report -c "$T/empty/snaplake.yml"
expect_rc no-history-exit 1
expect_grep no-history-message "$T/err" "run \`snaplake run\` first"
sl report --help
expect_rc help-exit 0
expect_grep help-text "$T/out" "usage: snaplake report [-c FILE] [RUN_ID] [-o OUT.html]"
sl --help
expect_grep help-lists-report "$T/out" "  report    "

# ---- (e) headless Chromium ------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 chromium >"$T/apt.log" 2>&1
    CHROMIUM=$(command -v chromium || true)
fi
# check_png FILE MIN-NONWHITE-% COLOUR-NAME: decode the PNG (zlib, no library)
# and count pixels: not white, and near the colour (red: failed, green: done).
cat >"$T/png.py" <<'PY'
import struct, sys, zlib
path, min_pct, colour = sys.argv[1], float(sys.argv[2]), sys.argv[3]
want = {"red": (0xd6, 0x45, 0x45), "green": (0x1f, 0x9d, 0x55)}[colour]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and not interlace, "unexpected PNG format %d/%d" % (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, i, nonwhite, near = bytearray(stride), 0, 0, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if r < 235 or g < 235 or bl < 235:
            nonwhite += 1
        if abs(r - want[0]) < 24 and abs(g - want[1]) < 24 and abs(bl - want[2]) < 24:
            near += 1
    prev = line
pct = 100.0 * nonwhite / (w * h)
ok = pct >= min_pct and near >= 200
print("%s %s: %dx%d, %.1f%% not white, %d pixels %s" % ("ok" if ok else "bad", path, w, h, pct, near, colour))
PY
if [ -z "$CHROMIUM" ]; then
    fail chromium-installed "no chromium: install Debian's chromium (scripts/setup.sh --test does)" \
        "$(tail -3 "$T/apt.log" 2>/dev/null | tr '\n' '|')"
else
    pass chromium-installed
    for r in OK BROKEN; do
        colour=green
        [ "$r" = BROKEN ] && colour=red
        rm -f "$T/$r.png"
        timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$T/chrome" --screenshot="$T/$r.png" --window-size=1280,900 \
            "file://$T/$r.html" >"$T/chrome.log" 2>&1
        if [ -s "$T/$r.png" ]; then pass "$r-screenshot"; else fail "$r-screenshot" "$(tail -5 "$T/chrome.log" | tr '\n' '|')"; fi
        python3 "$T/png.py" "$T/$r.png" 3 "$colour" >"$T/py" 2>&1
        if grep -q '^ok ' "$T/py"; then pass "$r-screenshot-not-blank"; else fail "$r-screenshot-not-blank" "$(cat "$T/py")"; fi
        # Keep the pictures for a person to look at (SNAPLAKE_REPORT_SHOTS=DIR).
        [ -n "${SNAPLAKE_REPORT_SHOTS:-}" ] && cp "$T/$r.png" "$T/$r.html" "$SNAPLAKE_REPORT_SHOTS/" 2>/dev/null
    done
fi
exit $((NFAIL > 0))
