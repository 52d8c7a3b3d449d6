#!/usr/bin/env bash
# model_columns.sh — the engine says what a model wrote (engine.h
# model_result): its files with sizes and CRCs, and its columns, which the
# manifest records for stage datasets as for raw ones (catalogs that need
# typed columns — Glue, `snaplake ddl` — read them from there).
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
mkdir -p p/models/stage1
sqlite3 p/app.db "CREATE TABLE t (id INTEGER PRIMARY KEY, price TEXT, ts TEXT);
    INSERT INTO t VALUES (1, '12.50', '2024-01-02 03:04:05'), (2, '7.25', '2024-02-03 04:05:06');"
write_cfg p/snaplake.yml "source: sqlite://app.db" "lake: ./lake"
cat >p/models/stage1/typed.sql <<'SQL'
SELECT id, CAST(price AS DECIMAL(12,2)) AS price, CAST(ts AS TIMESTAMP) AS ts,
       CAST(ts AS TIMESTAMPTZ) AS ts_utc, [id, id * 2] AS ids, id > 1 AS later,
       CAST(ts AS DATE) AS day, 'x' AS label
FROM raw.t
SQL
sl run -q -c p/snaplake.yml
expect_rc "run with a typed model" 0
m=$(ls p/lake/_snaplake/runs/*.json)
cols=$(python3 - "$m" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
d = [d for d in m["datasets"] if d["layer"] == "stage1" and d["name"] == "typed"][0]
print(" ".join("%s:%s%s" % (c["name"], c["sql_type"], "[]" if c.get("list") else "") for c in d["columns"]))
PY
)
check "typed model's columns in the manifest ($cols)" test "$cols" = \
    "id:BIGINT price:DECIMAL(12,2) ts:TIMESTAMP ts_utc:TIMESTAMP WITH TIME ZONE ids:BIGINT[] later:BOOLEAN day:DATE label:VARCHAR"
crc=$(python3 - "$m" <<'PY'
import json, sys, zlib, os
m = json.load(open(sys.argv[1]))
d = [d for d in m["datasets"] if d["name"] == "typed"][0]
lake = os.path.dirname(os.path.dirname(os.path.dirname(sys.argv[1])))
ok = all(zlib.crc32(open(os.path.join(lake, f["path"]), "rb").read()) == int(f["crc32"], 16) and
         os.path.getsize(os.path.join(lake, f["path"])) == f["bytes"] for f in d["files"])
print("ok" if ok and d["files"] else "bad")
PY
)
check "the model's file: bytes and CRC-32 as recorded" test "$crc" = ok
