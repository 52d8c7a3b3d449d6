#!/usr/bin/env bash
# demo.sh — `snaplake demo` end to end: the lake layout, every raw value
# against the SQLite source through DuckDB, hyparquet and arrow-rs, the stage models'
# files and two of their results recomputed in SQLite, the catalog from
# another folder, a second run switching `current`, and `status`.
#
# Alone: SNAPLAKE=$PWD/build/snaplake SNAPLAKE_TOP=$PWD \
#        NODE_PATH=$PWD/.deps/node/node_modules bash tests/e2e/demo.sh
source "$(dirname "$0")/../tools/e2e-lib.sh"

D=$T/demo
L=$D/lake
CFG=$D/snaplake.yml

# ---- first run ---------------------------------------------------------------
sl demo --dir "$D" --rows 5000
expect_rc demo-exit 0
RUN1=$(cat "$L/_snaplake/current" 2>/dev/null | tr -d '\n')
if [[ "$RUN1" =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then pass run-id-format; else fail run-id-format "current holds '$RUN1'"; fi

missing=()
for t in products receipt_items receipts stores users; do
    [ -s "$L/raw/$t/run=$RUN1/part-0.parquet" ] || missing+=("raw/$t/run=$RUN1/part-0.parquet")
done
nmodels=0
for stage in stage1 stage2; do
    for m in "$D/models/$stage"/*.sql; do
        [ -e "$m" ] || continue
        nmodels=$((nmodels + 1))
        n=$(basename "$m" .sql)
        [ -s "$L/$stage/$n/run=$RUN1/part-0.parquet" ] || missing+=("$stage/$n/run=$RUN1/part-0.parquet")
    done
done
[ "$nmodels" -ge 2 ] || missing+=("models/stage*/*.sql (found $nmodels)")
for f in "_snaplake/runs/$RUN1.json" _snaplake/current catalog.duckdb; do
    [ -s "$L/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then pass layout; else fail layout "${missing[@]}"; fi

# Nothing but the lake's own entries at its top level.
extra=$(ls -A "$L" | grep -vxE 'raw|stage1|stage2|_snaplake|catalog\.duckdb' | tr '\n' ' ')
if [ -z "$extra" ]; then pass layout-top-level; else fail layout-top-level "unexpected: $extra"; fi

# ---- raw values: source vs DuckDB view vs hyparquet vs arrow-rs ------------
compare raw --db "$D/shop.db" --lake "$L" --config "$CFG" --run "$RUN1"

# ---- stage models: every file readable, rows as in the manifest --------------
node --input-type=module -e '
const [lake, run, cfg, suite, top, bin] = process.argv.slice(1)
const { readParquet } = await import(top + "/tests/tools/pqread.mjs")
const { readFileSync, readdirSync } = await import("node:fs")
const { spawnSync } = await import("node:child_process")
const m = JSON.parse(readFileSync(`${lake}/_snaplake/runs/${run}.json`, "utf8"))
const stages = m.datasets.filter(d => d.layer !== "raw")
if (stages.length === 0) console.log(`FAIL ${suite}/stage-datasets\n    no stage datasets in the manifest`)
for (const d of stages) {
  const name = `stage-rows:${d.layer}.${d.name}`
  try {
    const dir = `${lake}/${d.location}`
    const files = readdirSync(dir).filter(f => f.endsWith(".parquet"))
    let n = 0
    for (const f of files) n += (await readParquet(`${dir}/${f}`)).length
    const r = spawnSync(bin, ["query", "-c", cfg, "--format", "json", `SELECT count(*) AS n FROM ${d.layer}."${d.name}"`], { encoding: "utf8" })
    const dn = r.status === 0 ? Number(JSON.parse(r.stdout)[0].n) : `error ${r.stderr.trim()}`
    if (files.length && n === d.rows && dn === d.rows && d.rows > 0) console.log(`PASS ${suite}/${name}`)
    else console.log(`FAIL ${suite}/${name}\n    files=${files.length} pqread=${n} duckdb=${dn} manifest=${d.rows}`)
  } catch (e) {
    console.log(`FAIL ${suite}/${name}\n    ${e.message}`)
  }
}
' "$L" "$RUN1" "$CFG" "$SUITE" "$SNAPLAKE_TOP" "$SNAPLAKE"

# Two model results recomputed from the source by SQLite, compared with what
# hyparquet reads from the models' files (sorted on the key; decimals in cents),
# and with what arrow-rs reads (the same name + ":arrow").
stage_values() { # name, parquet file, sqlite SQL, key columns
    local name=$1 file=$2 sql=$3 keys=$4 tool
    for tool in pqread pqread_arrow; do
        [ "$tool" = pqread ] || name="$1:arrow"
        stage_values_with "$tool" "$name" "$file" "$sql" "$keys"
    done
}
stage_values_with() { # reader tool, name, parquet file, sqlite SQL, key columns
    local tool=$1 name=$2 file=$3 sql=$4 keys=$5
    sqlite3 -json "$D/shop.db" "$sql" >"$T/want.json" 2>"$T/err"
    node "$TOOLS/$tool.mjs" "$file" >"$T/got.jsonl" 2>>"$T/err"
    node -e '
const fs = require("fs")
const [want, got, keys] = [JSON.parse(fs.readFileSync(process.argv[1], "utf8") || "[]"),
  fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean).map(JSON.parse), process.argv[3].split(",")]
const norm = rows => rows.map(r => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])))).sort()
const a = norm(want), b = norm(got)
const bad = []
if (a.length !== b.length) bad.push(`rows: sqlite ${a.length}, parquet ${b.length}`)
for (let i = 0; i < Math.min(a.length, b.length) && bad.length < 5; i++) if (a[i] !== b[i]) bad.push(`sqlite ${a[i]} | parquet ${b[i]}`)
if (!a.length) bad.push("no rows")
if (bad.length) { console.log(bad.join("\n")); process.exit(1) }
' "$T/want.json" "$T/got.jsonl" "$keys" >"$T/diff" 2>&1
    if [ $? -eq 0 ]; then pass "$name"; else fail "$name" "$(cat "$T/diff" "$T/err" | head -8)"; fi
}
stage_values stage-values:stage1.monthly_spend_per_user \
    "$L/stage1/monthly_spend_per_user/run=$RUN1/part-0.parquet" \
    "SELECT substr(purchased_at, 1, 7) || '-01' AS month, CAST(user_id AS TEXT) AS user_id,
            CAST(count(*) AS TEXT) AS receipts,
            printf('%d.%02d', sum(CAST(round(total * 100) AS INTEGER)) / 100,
                              sum(CAST(round(total * 100) AS INTEGER)) % 100) AS spend
     FROM receipts GROUP BY 1, 2" month,user_id
stage_values stage-values:stage2.monthly_active_users \
    "$L/stage2/monthly_active_users/run=$RUN1/part-0.parquet" \
    "SELECT m.month, CAST(count(*) AS TEXT) AS active_users,
            CAST(sum(u.is_premium) AS TEXT) AS premium_active_users
     FROM (SELECT DISTINCT substr(purchased_at, 1, 7) || '-01' AS month, user_id FROM receipts) AS m
     JOIN users AS u ON u.id = m.user_id GROUP BY m.month" month

# ---- the catalog from another working directory ------------------------------
out=$(cd / && "$SNAPLAKE" query -c "$CFG" --format json \
    "SELECT (SELECT count(*) FROM raw.receipt_items) AS items, (SELECT count(*) FROM stage2.monthly_active_users) AS mau, (SELECT run_id FROM _snaplake.published) AS run" 2>&1)
want_mau=$(node -e 'const m=require(process.argv[1]);console.log(m.datasets.find(d=>d.name==="monthly_active_users").rows)' "$L/_snaplake/runs/$RUN1.json" 2>/dev/null)
if [ "$out" = "[{\"items\":5000,\"mau\":$want_mau,\"run\":\"$RUN1\"}]" ]; then
    pass catalog-from-root
else
    fail catalog-from-root "got: $out"
fi
# The catalog file itself, opened from / with a relative config path resolved by us.
out=$(cd / && "$SNAPLAKE" query -c "${CFG#/}" --format csv "SELECT count(*) AS n FROM raw.users" 2>&1)
if [ "$out" = $'n\n50' ]; then pass catalog-relative-config; else fail catalog-relative-config "got: $out"; fi

# ---- second run: a new RUN_ID, `current` switches -----------------------------
sl demo --dir "$D"
expect_rc demo-second-exit 0
RUN2=$(cat "$L/_snaplake/current" 2>/dev/null | tr -d '\n')
if [[ "$RUN2" =~ ^[0-9]{8}T[0-9]{6}Z(_[2-9])?$ ]] && [ "$RUN2" != "$RUN1" ] && [[ "$RUN2" > "$RUN1" ]]; then
    pass second-run-new-id
else
    fail second-run-new-id "first $RUN1, second '$RUN2'"
fi
out=$(q "$CFG" "SELECT run_id FROM _snaplake.published")
if [ "$out" = "[{\"run_id\":\"$RUN2\"}]" ]; then pass catalog-switched; else fail catalog-switched "got: $out $(cat "$T/qerr")"; fi
# The views read the new run's files.
out=$(q "$CFG" "SELECT count(*) AS n FROM duckdb_views() WHERE schema_name IN ('raw', 'stage1', 'stage2') AND sql LIKE '%/run=$RUN2/%'")
want=$(node -e 'console.log(require(process.argv[1]).datasets.length)' "$L/_snaplake/runs/$RUN2.json" 2>/dev/null)
if [ "$out" = "[{\"n\":$want}]" ]; then pass views-read-new-run; else fail views-read-new-run "got: $out, want $want views $(cat "$T/qerr")"; fi
if [ -s "$L/_snaplake/runs/$RUN1.json" ] && [ -s "$L/_snaplake/runs/$RUN2.json" ] && [ -d "$L/raw/receipts/run=$RUN1" ]; then
    pass first-run-kept
else
    fail first-run-kept "$(ls "$L/_snaplake/runs" "$L/raw/receipts" | tr '\n' ' ')"
fi
compare raw-run2 --db "$D/shop.db" --lake "$L" --config "$CFG" --readers duckdb --tables receipts,users
# Time travel: the first run's files are untouched and still match the source.
compare raw-run1-after --db "$D/shop.db" --lake "$L" --run "$RUN1" --readers pqread --tables receipts

# ---- status ----------------------------------------------------------------------
sl status -c "$CFG"
expect_rc status-exit 0
expect_grep status-names-run "$T/out" "$RUN2"
ok=1
for w in snapshot receipt_items monthly_active_users publish done; do grep -q "$w" "$T/out" || ok=0; done
if [ $ok = 1 ]; then pass status-tasks; else fail status-tasks "$(head -c 800 "$T/out")"; fi
sl status -c "$CFG" "$RUN1"
expect_rc status-first-run 0
expect_grep status-first-run-id "$T/out" "$RUN1"
sl status -c "$CFG" BADID
expect_rc status-bad-id 1
expect_grep status-bad-id-message "$T/err" "BADID"
