#!/usr/bin/env bash
# s3_pipeline.sh — the whole demo pipeline with the lake on S3 (s3rver
# behind the verifying proxy, tests/tools/s3-lib.sh) and the default
# catalog and engine: the models read local copies of the run's raw files
# (DuckDB here cannot read s3://), the DuckDB catalog is uploaded as
# <prefix>/catalog.duckdb with views naming s3:// paths, and `snaplake
# query` reads a local copy of the published run checked against the
# manifest.  The results equal those of the same project on a local lake.
source "$(dirname "$0")/../tools/e2e-lib.sh"
. "$TOOLS/s3-lib.sh"
cd "$T"
s3_start || exit 1

"$SNAPLAKE" demo --dir d --rows 2000 >/dev/null 2>&1
check "demo project made" test -f d/shop.db
mkdir -p s3p local
cp -r d/models d/shop.db s3p/
cp -r d/models d/shop.db local/
write_cfg s3p/snaplake.yml "source: sqlite://shop.db" "lake: s3://$S3TEST_BUCKET/shop" "jobs: 2" \
    "s3: { part_size_mb: 5 }" "run: { keep_runs: 2 }"
write_cfg local/snaplake.yml "source: sqlite://shop.db" "lake: ./lake" "jobs: 2"

sl run -c s3p/snaplake.yml
expect_rc "run on S3 with models and the DuckDB catalog" 0
sl run -q -c local/snaplake.yml
expect_rc "the same project on a local lake" 0

s3_aws s3 ls --recursive "s3://$S3TEST_BUCKET/shop/"
check "catalog.duckdb uploaded" grep -q " shop/catalog.duckdb$" "$T/aws.out"
check "stage2 outputs uploaded" grep -q " shop/stage2/monthly_active_users/run=.*/part-0.parquet$" "$T/aws.out"
check "current uploaded" grep -q " shop/_snaplake/current$" "$T/aws.out"
run_id=$(s3_aws s3 cp "s3://$S3TEST_BUCKET/shop/_snaplake/current" - && cat "$T/aws.out")
s3_aws s3 cp "s3://$S3TEST_BUCKET/shop/_snaplake/runs/$run_id.json" "$T/manifest.json"
check "the manifest says the catalog switch is atomic" grep -q '"switch": "atomic"' "$T/manifest.json"

# The uploaded catalog names s3:// paths (any DuckDB with httpfs reads them).
s3_aws s3 cp "s3://$S3TEST_BUCKET/shop/catalog.duckdb" "$T/cat.duckdb"
views=$(strings "$T/cat.duckdb" | grep -c "s3://$S3TEST_BUCKET/shop" || true)
check "the catalog's views name s3:// paths" test "$views" -gt 0

# query: every dataset equal to the local lake's, through the local copy
for ds in raw.users raw.receipts stage1.daily_sales_per_store stage2.monthly_active_users; do
    a=$("$SNAPLAKE" query -c s3p/snaplake.yml --format csv \
        "SELECT count(*), sum(hash(t)) FROM $ds t" 2>>"$T/qerr") || true
    b=$("$SNAPLAKE" query -c local/snaplake.yml --format csv \
        "SELECT count(*), sum(hash(t)) FROM $ds t" 2>/dev/null) || true
    check "query $ds on S3 = local ($(echo "$a" | tail -1))" test -n "$a" -a "$a" = "$b"
done
check "query says it copied the run" grep -q "copied from s3://$S3TEST_BUCKET/shop" "$T/qerr"
"$SNAPLAKE" query -c s3p/snaplake.yml --format csv "SELECT count(*) FROM raw.users" >/dev/null 2>"$T/qerr2"
check "a second query downloads nothing" bash -c "! grep -q copied '$T/qerr2'"

# A file changed in the lake behind snaplake's back: refused by its CRC.
part=$(grep -o "shop/raw/users/run=[^ ]*/part-0.parquet" <(s3_aws s3 ls --recursive "s3://$S3TEST_BUCKET/shop/raw/users/" && cat "$T/aws.out") | head -1)
rm -rf s3p/.snaplake/cache
printf 'not parquet' >"$T/bad"
s3_aws s3 cp "$T/bad" "s3://$S3TEST_BUCKET/$part"
sl query -c s3p/snaplake.yml "SELECT count(*) FROM raw.users"
expect_rc "a changed file: query fails" 1
expect_grep "the error names the file and the manifest" "$T/err" "does not match the manifest of run $run_id"
[ "$NFAIL" -eq 0 ]
