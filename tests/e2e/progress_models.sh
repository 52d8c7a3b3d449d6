#!/usr/bin/env bash
# progress_models.sh — the live display covers the models too
# (flow/progress.c): while a stage's models run, each running model shows
# how long it has run and the overall line counts the stage's models.
source "$(dirname "$0")/../tools/e2e-lib.sh"
cd "$T"
sqlite3 db.sqlite "CREATE TABLE t (i INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);"
mkdir -p models/stage1
# Slow enough for a few frames: a cross join DuckDB has to compute row by
# row (a plain count(*) of one it answers from the inputs' sizes at once).
printf 'SELECT sum((a.range * 31 + b.range) %% 7) AS n FROM range(10000) a, range(10000) b\n' \
    >models/stage1/slow.sql
printf 'SELECT count(*) AS n FROM raw.t\n' >models/stage1/quick.sql
write_cfg snaplake.yml 'source: sqlite://db.sqlite' 'lake: ./lake' 'jobs: 2'
SNAPLAKE_PROGRESS=always NO_COLOR=1 "$SNAPLAKE" run -c snaplake.yml >out.txt 2>err.txt
check "run ok" test $? = 0
check "a running model shows its time" grep -qaP 'slow +running [0-9]+:[0-9]{2}' err.txt
check "the overall line counts the stage's models" grep -qaP 'stage1 models [0-9]/2 .* elapsed' err.txt
SNAPLAKE_PROGRESS=never "$SNAPLAKE" run -c snaplake.yml >out2.txt 2>err2.txt
check "SNAPLAKE_PROGRESS=never: no model frame" bash -c "! grep -qa 'stage1 models' err2.txt"
[ "$NFAIL" -eq 0 ]
