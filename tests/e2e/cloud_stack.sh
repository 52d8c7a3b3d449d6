#!/usr/bin/env bash
# cloud_stack.sh — the demo switch of docs/cloud.md: `lake: s3://…`,
# `catalog: glue`, `engine: athena`, one whole `snaplake run` against the
# three local endpoints at once: s3rver behind the SigV4-verifying proxy
# (tests/tools/s3-lib.sh), the Glue endpoint and the Athena endpoint, both
# validating every request against botocore's service models.  Athena's fake
# executes no SQL: a CTAS puts a prepared Parquet file into its
# external_location on the S3 endpoint (botocore's own S3 client).  The real
# AWS was not reached.
source "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/s3-lib.sh"
cd "$T"
PY=/usr/bin/python3
s3_start || exit 1
# One key for the three endpoints: the proxy accepts the Athena fake's static key too.
AK=AKIDSTATIC SK=static-secret-do-not-print
$PY - "$S3DIR/keys.json" "$AK" "$SK" <<'PYEOF'
import json, sys
k = json.load(open(sys.argv[1]))
k["keys"][sys.argv[2]] = {"secret": sys.argv[3]}
json.dump(k, open(sys.argv[1], "w"))
PYEOF

# A prepared model result (what the Athena fake copies for each CTAS),
# written by the DuckDB engine on a local lake.
mkdir -p prep/models/stage1
sqlite3 prep/app.db "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');"
write_cfg prep/snaplake.yml "source: sqlite://app.db" "lake: ./lake"
echo "SELECT id, upper(name) AS name FROM raw.users" >prep/models/stage1/names.sql
sl run -q -c prep/snaplake.yml
expect_rc "prepared file made with the DuckDB engine" 0
PREP=$(ls prep/lake/stage1/names/run=*/*.parquet | head -1)

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; _s3_cleanup; rm -rf "$T"' EXIT
start() { # NAME SCRIPT ARGS… → its port in $PORT
    local n=$1 script=$2
    shift 2
    $PY "$TOOLS/$script" --port-file "$T/$n.port" --log "$T/$n.log" "$@" 2>"$T/$n.stderr" &
    PIDS+=($!)
    for _ in $(seq 600); do [ -s "$T/$n.port" ] && break; sleep 0.1; done # botocore loads slowly on a busy machine
    PORT=$(cat "$T/$n.port" 2>/dev/null)
}
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE=$T/none AWS_CONFIG_FILE=$T/none
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_WEB_IDENTITY_TOKEN_FILE
start glue glue_endpoint.py --access-key "$AK" --secret-key "$SK"
check "glue endpoint started" test -n "$PORT"
export AWS_ENDPOINT_URL_GLUE=http://127.0.0.1:$PORT
start athena athena_endpoint.py --parquet "$PREP"
check "athena endpoint started" test -n "$PORT"
export AWS_ENDPOINT_URL_ATHENA=http://127.0.0.1:$PORT

# The demo switch: three lines (and their options) changed.
mkdir -p p/models/stage1 p/models/stage2
cp prep/app.db p/
echo "SELECT id, upper(name) AS name FROM raw.users" >p/models/stage1/names.sql
echo "SELECT * FROM stage1.names" >p/models/stage2/top.sql
write_cfg p/snaplake.yml "source: sqlite://app.db" "lake: s3://$S3TEST_BUCKET/shop" \
    "catalog: glue" "glue: { database: shop }" \
    "engine: athena" "athena: { output: \"s3://$S3TEST_BUCKET/athena-results/\" }"
sl run -c p/snaplake.yml
expect_rc "run: S3 lake, Glue catalog, Athena engine" 0
RUN=$(s3_aws s3 cp "s3://$S3TEST_BUCKET/shop/_snaplake/current" - && tr -d '\n' <"$T/aws.out")
check "published run $RUN" test -n "$RUN"

# Athena ran each model as a CTAS into the run's folder on S3.
for m in stage1/names stage2/top; do
    check "athena CTAS of $m into s3://$S3TEST_BUCKET/shop/$m/run=$RUN/" \
        grep -q "external_location = 's3://$S3TEST_BUCKET/shop/$m/run=$RUN/'" "$T/athena.log"
    s3_aws s3 ls "s3://$S3TEST_BUCKET/shop/$m/run=$RUN/"
    check "$m's output is in the lake" test -s "$T/aws.out"
done
check "athena: no request violated the service model" bash -c "! grep -q '\"violation\"' '$T/athena.log'"

# Glue: one table per dataset, located at its run folder on S3.
out=$($PY - <<'PYEOF'
import os, botocore.session
c = botocore.session.get_session().create_client(
    "glue", endpoint_url=os.environ["AWS_ENDPOINT_URL_GLUE"], region_name="us-east-1",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
for db, t in (("shop_raw", "users"), ("shop_stage1", "names"), ("shop_stage2", "top")):
    tb = c.get_table(DatabaseName=db, Name=t)["Table"]
    print(db, t, tb["StorageDescriptor"]["Location"],
          ",".join(col["Name"] + ":" + col["Type"] for col in tb["StorageDescriptor"]["Columns"]))
PYEOF
)
for line in "shop_raw users s3://$S3TEST_BUCKET/shop/raw/users/run=$RUN" \
    "shop_stage1 names s3://$S3TEST_BUCKET/shop/stage1/names/run=$RUN" \
    "shop_stage2 top s3://$S3TEST_BUCKET/shop/stage2/top/run=$RUN"; do
    check "glue: $line" grep -q "^$line/\? " <<<"$out"
done
# (EntityNotFoundException answers are the first run's probes for databases
# and tables that do not exist yet; any other error is a refused request.)
refused=$($PY -c 'import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for c in calls if c.get("status", 200) >= 400 and c.get("error") != "EntityNotFoundException"))' "$T/glue.log")
check "glue: every call valid and signed ($refused refused)" test "$refused" = 0
check "glue: the model's columns are typed (id:bigint,name:string)" \
    grep -q "^shop_stage1 names .* id:bigint,name:string$" <<<"$out"

# The manifest: per-table switch, the models' files with the CRC of what is on S3.
s3_aws s3 cp "s3://$S3TEST_BUCKET/shop/_snaplake/runs/$RUN.json" "$T/m.json"
check "manifest: the Glue switch is per table" grep -q '"switch": "per table"' "$T/m.json"
bad=$($PY - "$T/m.json" "$S3DIR" "$S3TEST_BUCKET" <<'PYEOF'
import json, sys, zlib, os
m = json.load(open(sys.argv[1]))
bad = []
for d in m["datasets"]:
    if d["layer"] == "raw":
        continue
    for f in d["files"]:
        key = "shop/" + f["path"]
        dirname, base = os.path.split(key)
        data = open(os.path.join(sys.argv[2], "data", sys.argv[3], dirname, base + "._S3rver_object"), "rb").read()
        if zlib.crc32(data) != int(f["crc32"], 16) or len(data) != f["bytes"]:
            bad.append(key)
print(len(bad), *bad)
PYEOF
)
check "manifest: the models' files match the objects on S3 (size, CRC-32)" test "$bad" = 0
[ "$NFAIL" -eq 0 ]
