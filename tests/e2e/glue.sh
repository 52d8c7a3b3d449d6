#!/usr/bin/env bash
# glue.sh — `catalog: glue` against tests/tools/glue_endpoint.py, a local
# Glue that checks every request against botocore's Glue service model and
# verifies its SigV4 signature with botocore (the real Glue was not reached
# from this machine).  The demo pipeline (SQLite) publishes: databases and
# tables with the right columns, types, SerDe, locations and parameters; a
# second run updates with SkipArchive; a table gone from the source is
# dropped and reported; throttling is retried; a permanent failure mid-way
# leaves the tables mixed, published() says so, and the next run repairs it;
# a table snaplake did not make is never replaced.  The endpoint itself is
# proven strict first: botocore's own client is accepted, a wrong secret and
# a request of the wrong shape are refused.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD bash tests/e2e/glue.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"
PY=/usr/bin/python3

if ! $PY -c 'import botocore' 2>/dev/null; then
    (apt-get install -y -q python3-botocore || (apt-get update -q && apt-get install -y -q python3-botocore)) >"$T/apt.log" 2>&1
fi
if ! $PY -c 'import botocore' 2>/dev/null; then
    fail botocore "python3-botocore is not installed and apt-get could not install it: $(tail -3 "$T/apt.log")"
    exit 0
fi

EP=$T/endpoint
mkdir -p "$EP"
$PY "$TOOLS/glue_endpoint.py" --port-file "$EP/port" --log "$EP/calls.jsonl" --faults "$EP/faults.json" \
    --access-key AKIDGLUETEST --secret-key glue-test-secret --session-token glue-test-token 2>"$EP/stderr" &
EP_PID=$!
trap 'kill $EP_PID 2>/dev/null; wait $EP_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 600); do [ -s "$EP/port" ] && break; sleep 0.1; done # botocore loads slowly on a busy machine
PORT=$(cat "$EP/port" 2>/dev/null)
if [ -z "$PORT" ]; then
    fail endpoint-start "$(cat "$EP/stderr")"
    exit 0
fi
export AWS_ENDPOINT_URL_GLUE=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=AKIDGLUETEST \
    AWS_SECRET_ACCESS_KEY=glue-test-secret AWS_SESSION_TOKEN=glue-test-token AWS_REGION=eu-west-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE=$T/none AWS_CONFIG_FILE=$T/none
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION AWS_WEB_IDENTITY_TOKEN_FILE \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI

# glue PYTHON-CODE — run code with `c` a botocore Glue client on the endpoint
# (and `bad`, one with a wrong secret); prints what the code prints.
glue() {
    $PY - "$@" <<PYEOF
import json, os, sys, urllib.request, botocore.session, botocore.exceptions, botocore.auth, botocore.awsrequest, botocore.credentials
def client(secret):
    return botocore.session.get_session().create_client("glue", region_name="eu-west-1",
        endpoint_url=os.environ["AWS_ENDPOINT_URL_GLUE"], aws_access_key_id="AKIDGLUETEST",
        aws_secret_access_key=secret, aws_session_token="glue-test-token")
c, bad = client("glue-test-secret"), client("wrong-secret")
def tables(db):
    return {t["Name"]: t for p in c.get_paginator("get_tables").paginate(DatabaseName=db, PaginationConfig={"PageSize": 2}) for t in p["TableList"]}
$(cat)
PYEOF
}
# calls FROM — the endpoint's log lines from line FROM on, one "op status error" each.
calls() {
    tail -n +"$1" "$EP/calls.jsonl" | $PY -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    r = e["request"] or {}
    print(e["op"], e["status"], e["error"] or "-", "signed" if e["signed"] else "unsigned",
          "SkipArchive=%s" % r.get("SkipArchive") if e["op"] == "UpdateTable" else "")'
}
mark() { wc -l <"$EP/calls.jsonl" 2>/dev/null | awk '{print $1 + 1}' || echo 1; }

# ---- the endpoint is strict --------------------------------------------------------
out=$(glue <<'EOF2'
c.create_database(DatabaseInput={"Name": "probe"})
print("created", c.get_database(Name="probe")["Database"]["Name"])
try:
    bad.get_database(Name="probe")
except botocore.exceptions.ClientError as e:
    print("wrong-secret", e.response["Error"]["Code"])
# Signed correctly by botocore, but of the wrong shape for the model:
# TableInput missing, SkipArchive a string, an unknown member.
def raw(op, body):
    req = botocore.awsrequest.AWSRequest(method="POST", url=os.environ["AWS_ENDPOINT_URL_GLUE"] + "/",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSGlue." + op})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("AKIDGLUETEST", "glue-test-secret", "glue-test-token"),
        "glue", "eu-west-1").add_auth(req)
    p = req.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(p.url, data=p.body, headers=dict(p.headers), method="POST")) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
print("shape", *raw("UpdateTable", {"DatabaseName": "probe", "SkipArchive": "yes", "Bogus": 1}))
print("good", raw("GetDatabase", {"Name": "probe"})[0])
c.delete_database if False else None
EOF2
)
expect_out() { if grep -qF -- "$2" <<<"$out"; then pass "$1"; else fail "$1" "no '$2' in: $out"; fi; }
expect_out endpoint-botocore-client "created probe"
expect_out endpoint-refuses-wrong-secret "wrong-secret InvalidSignatureException"
expect_out endpoint-validator-bites "shape 400"
expect_out endpoint-validator-missing "Missing required parameter in input: \"TableInput\""
expect_out endpoint-validator-type "Invalid type for parameter SkipArchive"
expect_out endpoint-validator-unknown "Unknown parameter in input: \"Bogus\""
expect_out endpoint-raw-signed-ok "good 200"

# ---- first run: databases and tables created ----------------------------------------
D=$T/demo
L=$D/lake
CFG=$D/snaplake.yml
sl demo --dir "$D" --rows 300
expect_rc demo-exit 0
# A source table to remove later, and a table of the user's own in shop_raw.
$PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE promo (id INTEGER PRIMARY KEY, code TEXT, starts DATE, pct NUMERIC(5,2))"); c.execute("INSERT INTO promo VALUES (1, '"'"'X'"'"', '"'"'2024-01-01'"'"', 12.5)"); c.commit()' "$D/shop.db"
sed -i 's/^catalog: duckdb$/catalog: glue\nglue: { database: shop }/' "$CFG"
# A model with nested types: Glue must get array<>, struct<>, map<> (the
# footer's types), not the text the engine's schema calls them.
echo "SELECT [1, 2] AS ids, {'k': 1, 'v': 'x'} AS rec, MAP {'a': 1.5} AS m, gen_random_uuid() AS u" >"$D/models/stage1/nested.sql"
grep -q '^catalog: glue' "$CFG" || fail config "no catalog: glue in $CFG"
glue <<'EOF2' >/dev/null
c.create_database(DatabaseInput={"Name": "shop_raw"})
c.create_table(DatabaseName="shop_raw", TableInput={"Name": "users_notes", "TableType": "EXTERNAL_TABLE",
    "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "string"}], "Location": "s3://elsewhere/"}})
EOF2
M=$(mark)
sl run -c "$CFG"
expect_rc run1 0
RUN1=$(tr -d '\n' <"$L/_snaplake/current")
calls "$M" >"$T/run1.calls"
n_create=$(grep -c '^CreateTable 200' "$T/run1.calls")
n_db=$(grep -c '^CreateDatabase 200' "$T/run1.calls")
if [ "$n_create" -eq 13 ] && [ "$n_db" -eq 2 ] && ! grep -q unsigned "$T/run1.calls" &&
    ! grep -v EntityNotFoundException "$T/run1.calls" | grep -qv ' 200 '; then
    pass run1-calls
else
    fail run1-calls "want 13 CreateTable (6 raw + 7 stage) and 2 CreateDatabase (shop_raw existed), all signed and accepted" "$(sort "$T/run1.calls" | uniq -c | tr '\n' '|')"
fi
sl ddl -c "$CFG"
cp "$T/out" "$T/ddl.hive"
# Every dataset of the manifest is a table with the DDL's columns, the Parquet
# SerDe, its run folder and the run's parameters.
glue "$L" "$RUN1" "$T/ddl.hive" <<'EOF2' >"$T/tables.out"
import re
lake, run, ddl = sys.argv[1:]
m = json.load(open(f"{lake}/_snaplake/runs/{run}.json"))
text = open(ddl).read()
fails = []
seen = {}
for layer in ("raw", "stage1", "stage2"):
    seen[layer] = tables(f"shop_{layer}")
for d in m["datasets"]:
    t = seen[d["layer"]].get(d["name"])
    if not t:
        fails.append(f"no table shop_{d['layer']}.{d['name']}"); continue
    sd = t["StorageDescriptor"]
    got = [(col["Name"], col["Type"]) for col in sd["Columns"]]
    mm = re.search(rf"`shop_{d['layer']}`\.`{d['name']}` \(\n(.*?)\n\)", text, re.S)
    want = [tuple(re.fullmatch(r"  `(\w+)` (.*?),?", l).groups()) for l in mm[1].split("\n")] if mm else None
    if got != want: fails.append(f"{d['name']}: columns {got} vs ddl {want}")
    loc = f"file://{lake}/{d['location']}/"
    checks = {"Location": (sd.get("Location"), loc),
        "SerDe": (sd["SerdeInfo"].get("SerializationLibrary"), "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
        "InputFormat": (sd.get("InputFormat"), "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"),
        "OutputFormat": (sd.get("OutputFormat"), "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"),
        "TableType": (t.get("TableType"), "EXTERNAL_TABLE"),
        "classification": (t["Parameters"].get("classification"), "parquet"),
        "snaplake_run": (t["Parameters"].get("snaplake_run"), run)}
    for k, (g, w) in checks.items():
        if g != w: fails.append(f"{d['layer']}.{d['name']} {k}: {g!r}, expected {w!r}")
    folder = loc[len("file://"):]
    if sorted(os.listdir(folder)) != sorted(os.path.basename(f["path"]) for f in d["files"]):
        fails.append(f"{d['name']}: {folder} holds {os.listdir(folder)}")
n = sum(len(v) for v in seen.values())
if n != len(m["datasets"]) + 1: fails.append(f"{n} tables for {len(m['datasets'])} datasets + 1 of the user's")
promo = seen["raw"].get("promo", {}).get("StorageDescriptor", {}).get("Columns")
print("promo", promo)
print("nested", [(x["Name"], x["Type"]) for x in seen["stage1"].get("nested", {}).get("StorageDescriptor", {}).get("Columns", [])])
for f in fails: print("F", f)
EOF2
if grep -q '^F ' "$T/tables.out" || ! grep -q '^promo' "$T/tables.out"; then
    fail run1-tables "$(grep -v '^promo' "$T/tables.out" | head -20)"
else
    pass run1-tables
fi
expect_grep run1-promo-types "$T/tables.out" "{'Name': 'pct', 'Type': 'decimal(5,2)'}"
expect_grep run1-promo-date "$T/tables.out" "{'Name': 'starts', 'Type': 'date'}"
expect_grep run1-nested-types "$T/tables.out" "nested [('ids', 'array<int>'), ('rec', 'struct<k:int,v:string>'), ('m', 'map<string,decimal(2,1)>'), ('u', 'binary')]"

# ---- second run: UpdateTable with SkipArchive, no version archived ---------------
M=$(mark)
sl run -c "$CFG"
expect_rc run2 0
RUN2=$(tr -d '\n' <"$L/_snaplake/current")
calls "$M" >"$T/run2.calls"
if [ "$(grep -c '^UpdateTable 200 - signed SkipArchive=True' "$T/run2.calls")" -eq 13 ] &&
    ! grep -qE '^(CreateTable|CreateDatabase|UpdateTable .*SkipArchive=(None|False))' "$T/run2.calls"; then
    pass run2-update-skiparchive
else
    fail run2-update-skiparchive "$(sort "$T/run2.calls" | uniq -c | tr '\n' '|')"
fi
out=$(glue "$RUN2" <<'EOF2'
t = c.get_table(DatabaseName="shop_stage1", Name="sales_per_category")["Table"]
print("run", t["Parameters"]["snaplake_run"] == sys.argv[1], t["StorageDescriptor"]["Location"].endswith(f"/run={sys.argv[1]}/"))
print("versions", len(c.get_table_versions(DatabaseName="shop_stage1", TableName="sales_per_category")["TableVersions"]))
EOF2
)
expect_out run2-switched "run True True"
expect_out run2-no-archive "versions 1"

# ---- idempotent: publishing the same run again changes nothing ------------------
out=$(glue <<'EOF2'
print(json.dumps({l: {n: (t["Parameters"]["snaplake_run"], t["StorageDescriptor"]["Location"], t["StorageDescriptor"]["Columns"]) for n, t in tables(f"shop_{l}").items() if "Parameters" in t} for l in ("raw", "stage1", "stage2")}, sort_keys=True))
EOF2
)
echo "$out" >"$T/state2.json"

# ---- a source table dropped: its Glue table dropped and reported ----------------
$PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DROP TABLE promo"); c.commit()' "$D/shop.db"
M=$(mark)
sl run -c "$CFG"
expect_rc run3 0
RUN3=$(tr -d '\n' <"$L/_snaplake/current")
expect_grep run3-drop-warning "$T/err" "warning: glue: dropping table shop_raw.promo (last published by run $RUN2)"
calls "$M" >"$T/run3.calls"
expect_grep run3-batch-delete "$T/run3.calls" "BatchDeleteTable 200"
out=$(glue <<'EOF2'
print("promo" in tables("shop_raw"), "users_notes" in tables("shop_raw"))
EOF2
)
expect_out run3-promo-gone-user-table-kept "False True"

# ---- throttling: retried by the AWS layer ---------------------------------------------
echo '[{"op": "UpdateTable", "error": "ThrottlingException", "status": 400, "count": 2, "message": "Rate exceeded"}]' >"$EP/faults.json"
M=$(mark)
sl run -c "$CFG"
expect_rc throttled-run 0
calls "$M" >"$T/run4.calls"
n_thr=$(grep -c '^UpdateTable 400 ThrottlingException' "$T/run4.calls")
n_ok=$(grep -c '^UpdateTable 200' "$T/run4.calls")
if [ "$n_thr" -eq 2 ] && [ "$n_ok" -eq 12 ] && [ "$(cat "$EP/faults.json")" = "[]" ]; then
    pass throttling-retried
else
    fail throttling-retried "throttled $n_thr (want 2), updated $n_ok (want 12), faults left: $(cat "$EP/faults.json")"
fi
RUN4=$(tr -d '\n' <"$L/_snaplake/current")

# ---- a concurrent modification: the update is sent again ------------------------------
echo '[{"op": "UpdateTable", "error": "ConcurrentModificationException", "status": 400, "after": 3, "count": 1}]' >"$EP/faults.json"
M=$(mark)
sl run -c "$CFG"
expect_rc concurrent-run 0
expect_grep concurrent-warning "$T/err" "was modified concurrently; updating it again (2 of 3)"
calls "$M" >"$T/run4b.calls"
if [ "$(grep -c '^UpdateTable 200' "$T/run4b.calls")" -eq 12 ] && grep -q '^UpdateTable 400 ConcurrentModificationException' "$T/run4b.calls"; then
    pass concurrent-retried
else
    fail concurrent-retried "$(sort "$T/run4b.calls" | uniq -c | tr '\n' '|')"
fi
RUN4=$(tr -d '\n' <"$L/_snaplake/current")

# ---- a permanent failure mid-publish: tables mixed, reported, repaired ------------
echo '[{"op": "UpdateTable", "error": "AccessDeniedException", "status": 400, "after": 7, "count": 1, "message": "not allowed"}]' >"$EP/faults.json"
sl run -c "$CFG"
expect_rc partial-publish-fails 1
expect_grep partial-publish-message "$T/err" "AccessDeniedException"
RUN5=$(ls "$L/_snaplake/runs" 2>/dev/null | grep -c . ; true)
out=$(glue <<'EOF2'
runs = sorted({t["Parameters"]["snaplake_run"] for l in ("raw", "stage1", "stage2") for t in tables(f"shop_{l}").values() if "snaplake_run" in t.get("Parameters", {})})
print("mixed", len(runs))
EOF2
)
expect_out partial-publish-mixed "mixed 2"
# The tables that did switch read the failed run's files: its manifest stays
# (it describes them), and it says the switch was per table.
failed_run=$(grep -o 'run [0-9TZ_]* failed' "$T/err" | head -1 | cut -d' ' -f2)
check "partial publish: the failed run's manifest is kept" test -f "$L/_snaplake/runs/$failed_run.json"
check "partial publish: the manifest says the switch is per table" \
    grep -q '"switch": "per table"' "$L/_snaplake/runs/$failed_run.json"
expect_grep partial-publish-warns "$T/err" "may have switched some tables to run $failed_run"
sl status -c "$CFG"
expect_grep published-mixed-warning "$T/err" "a publish did not finish"
sl run -c "$CFG"
expect_rc repair-run 0
RUN6=$(tr -d '\n' <"$L/_snaplake/current")
out=$(glue "$RUN6" <<'EOF2'
runs = {t["Parameters"]["snaplake_run"] for l in ("raw", "stage1", "stage2") for t in tables(f"shop_{l}").values() if "snaplake_run" in t.get("Parameters", {})}
print("repaired", runs == {sys.argv[1]})
EOF2
)
expect_out repair-all-on-new-run "repaired True"

# ---- idempotent: the same run published twice ends the same ---------------------------
# (a resumed run calls publish again): the catalog's state after a run is
# only a function of the run, so republishing RUN6's datasets is a no-op.
out=$(glue "$RUN6" <<'EOF2'
before = {l: tables(f"shop_{l}") for l in ("raw", "stage1", "stage2")}
for l, ts in before.items():
    for n, t in ts.items():
        if "snaplake_run" not in t.get("Parameters", {}): continue
        inp = {k: t[k] for k in ("Name", "Description", "TableType", "Parameters", "StorageDescriptor", "PartitionKeys") if k in t}
        c.update_table(DatabaseName=f"shop_{l}", TableInput=inp, SkipArchive=True)
after = {l: tables(f"shop_{l}") for l in ("raw", "stage1", "stage2")}
strip = lambda s: {l: {n: {k: v for k, v in t.items() if k not in ("UpdateTime", "VersionId")} for n, t in ts.items()} for l, ts in s.items()}
print("same", strip(before) == strip(after))
EOF2
)
expect_out republish-same "same True"

# ---- a table snaplake did not make is never replaced -------------------------------
glue <<'EOF2' >/dev/null
c.create_table(DatabaseName="shop_stage2", TableInput={"Name": "clash", "TableType": "EXTERNAL_TABLE",
    "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "string"}], "Location": "s3://elsewhere/"}})
EOF2
echo "SELECT 1 AS x" >"$D/models/stage2/clash.sql"
sl run -c "$CFG"
expect_rc clash-refused 1
expect_grep clash-message "$T/err" "table shop_stage2.clash exists and was not made by snaplake"
rm "$D/models/stage2/clash.sql"

# ---- config: the database name is checked (at catalog open: config options
# have no validator hook yet, so the run fails before any export, exit 1) ----------
write_cfg "$T/bad.yml" "source: sqlite://$D/shop.db" "lake: $T/lake2" "catalog: glue" "glue: { database: Shop-DB }"
sl run -c "$T/bad.yml"
expect_rc bad-database-name 1
if ls "$T/lake2/raw" >/dev/null 2>&1; then fail bad-database-name-no-export "raw files were written"; else pass bad-database-name-no-export; fi
expect_grep bad-database-name-msg "$T/err" "glue.database 'Shop-DB': use lowercase letters"
exit 0
