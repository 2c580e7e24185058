#!/usr/bin/env bash
# Runs the native criterion benches of one rerank and prints medians and ratios to the baseline measured
# in the same run (sorting candidates by the server score). Usage: bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench -p recofuse-core --bench rerank -- --noplot "$@" >&2
python3 scripts/bench_table.py "${CARGO_TARGET_DIR:-target}/criterion"
