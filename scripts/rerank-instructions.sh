#!/usr/bin/env bash
# Instructions per cached rerank of 1,000 candidates (20,000-item catalog, 64-d int8 embeddings,
# 50-event history, as in the criterion benches), for the whole rerank and per stage, counted by
# callgrind. Unlike wall time on a shared virtual machine, whose speed drifts by up to 2x within
# minutes, the count is the same from run to run, so a change to the engine can be judged by it.
#
# A signal's figure is the whole rerank minus the rerank with that signal's weight set to 0 (the
# stage taken out by `RERANK_LOOP_ZERO`, see core/examples/rerank_loop.rs): it includes the signal's
# share of fusion. The id lookup is the whole rerank minus `engine::pipeline::rank`, the pipeline
# after it (`scorers::rank` before issue 13).
#
# Needs valgrind (`apt-get install -y valgrind`); a development tool, not part of the tests.
# Usage: bash scripts/rerank-instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  echo "rerank-instructions: needs valgrind (apt-get install -y valgrind)" >&2
  exit 1
fi
cargo build --release -p recofuse-core --example rerank_loop
bin=target/release/examples/rerank_loop
rounds=5 # blocks of 200 reranks (and 200 baseline sorts, not counted)
reranks=$((rounds * 200))

# count FUNCTION [VAR=value ...]: instructions per rerank spent inside FUNCTION (callees included).
count() {
  local fn=$1 n
  shift
  n=$(env "$@" valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file=/dev/null \
    "$bin" "$rounds" interleaved 2>&1 | awk -v r="$reranks" '/Collected :/ { gsub(",", "", $4); printf "%.0f", $4 / r }')
  if [ -z "$n" ] || [ "$n" = 0 ]; then
    echo "rerank-instructions: nothing counted in $fn (inlined in this build?)" >&2
    exit 1
  fi
  echo "$n"
}

rerank='recofuse_core::engine::Engine::rerank'
whole=$(count "$rerank")
after_lookup=$(count 'recofuse_core::engine::pipeline::rank')
fusion=$(count 'recofuse_core::fusion::fuse_dense')

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$(awk -v x="$2" 'BEGIN { printf "%.0f", x / 1000 }')"; }
echo
echo "| part of a cached rerank of 1,000 candidates | instructions | per candidate |"
echo "|---|---:|---:|"
row "whole rerank (\`Engine::rerank\`)" "$whole"
row "id lookup (whole minus \`pipeline::rank\`)" "$((whole - after_lookup))"
row "fusion (\`fuse_dense\`, all columns)" "$fusion"
for spec in "0,1,2:item-CF, sequential and user-CF columns" "3:embedding column" "4:content column" \
  "5:popularity column" "6:server column"; do
  without=$(count "$rerank" RERANK_LOOP_ZERO="${spec%%:*}")
  row "${spec#*:} (whole minus the rerank without it)" "$((whole - without))"
done
