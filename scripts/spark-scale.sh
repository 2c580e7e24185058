#!/usr/bin/env bash
# The cost model of docs/scale.md: seconds per table of the Spark job (spark/recofuse_tables.py,
# local[2]) and of the Rust trainer's fits (train/examples/table_costs.rs, all cores = 2 here), at three
# sizes: MovieLens-100K, Amazon Beauty (../shared/data), and a 10x synthetic log (MovieLens-100K with
# every user copied ten times under new ids: 10x events and users, same items and per-user lengths).
# Writes target/spark-scale/<size>.{spark,rust}.json and prints one Markdown table row per size and step.
# Usage: bash scripts/spark-scale.sh [ml100k beauty ml100k-x10]   (default: all three)
# SPARK_SCALE_SKIP="factors" (or item_cf, transitions) passes --skip to the job for every size.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
OUT=target/spark-scale
mkdir -p "$OUT"
SIZES=("$@")
if [ ${#SIZES[@]} = 0 ]; then SIZES=(ml100k beauty ml100k-x10); fi

if [ ! -d "$DATA" ]; then
  echo "spark-scale: $DATA is absent (the shared datasets); nothing to measure" >&2
  exit 0
fi
if [ ! -f "$OUT/ml100k-x10.tsv" ]; then
  python3 - "$DATA/movielens-100k/u.data" "$OUT/ml100k-x10.tsv" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(src)]
with open(dst, "w") as f:
    f.write("user_id\titem_id\trating\ttimestamp\n")
    for r in range(10):
        for u, i, x, t in rows:
            f.write(f"{u}#{r}\t{i}\t{x}\t{t}\n")
PY
fi

cargo build --quiet --release -p recofuse-train --example table_costs
for size in "${SIZES[@]}"; do
  case $size in
    ml100k) LOG=$DATA/movielens-100k/u.data ;;
    beauty) LOG=$DATA/amazon-beauty/interactions.tsv ;;
    ml100k-x10) LOG=$OUT/ml100k-x10.tsv ;;
    *) echo "spark-scale: unknown size $size" >&2; exit 2 ;;
  esac
  target/release/examples/table_costs "$LOG" >"$OUT/$size.rust.json"
  start=$SECONDS
  spark-submit --master 'local[2]' --driver-memory 4g --conf spark.ui.enabled=false \
    spark/recofuse_tables.py --input "$LOG" --out "$OUT/$size.tables" --partitions 4 \
    $(for s in ${SPARK_SCALE_SKIP:-}; do printf -- '--skip %s ' "$s"; done) 2>"$OUT/$size.spark.log" >/dev/null
  cp "$OUT/$size.tables/config.json" "$OUT/$size.spark.json"
  python3 - "$OUT/$size.rust.json" "$OUT/$size.spark.json" "$size" "$((SECONDS - start))" <<'PY'
import json, sys
rust, spark = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
size, wall = sys.argv[3], int(sys.argv[4])
ev = rust["events"]
pairs = {"popularity": "popularity", "item_cf": "item_cf", "transitions": "transitions",
         "als_and_kmeans_fit": "embedding", "prototypes": "prototypes"}
print(f"| {size} | {ev:,} events, {rust['users']:,} users, {rust['items']:,} items | spark-submit wall {wall} s |")
for s_name, r_name in pairs.items():
    s, r = spark["seconds"].get(s_name), rust["seconds"].get(r_name)
    per = lambda t: f"{ev / t / 2:,.0f}" if t else "-"
    print(f"| {size} | {s_name} | {s} s | {per(s)} | {r} s | {per(r)} |")
PY
done
