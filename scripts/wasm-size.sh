#!/usr/bin/env bash
# Prints the size of the release WebAssembly module, raw and `gzip -9`, against the goal of 120 KB gzip
# (issue 2), and fails above the regression ceiling. The goal is read in decimal kB, 120,000 bytes
# gzipped (stricter than 120 KiB = 122,880 B), and is met that way too: 117,847 B at the commit that set
# this ceiling (see docs/benchmarks.md). The ceiling is the goal itself, 120,000 B (override with
# RECOFUSE_WASM_BUDGET=<bytes>). Builds pkg/ first unless it is already there (pass --rebuild to force a
# build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

GOAL=120000
BUDGET=${RECOFUSE_WASM_BUDGET:-120000}
WASM=pkg/recofuse_bg.wasm
if [ "${1:-}" = "--rebuild" ] || [ ! -f "$WASM" ]; then
  build_pkg
fi
RAW=$(wc -c <"$WASM")
GZ=$(gzip -9 -c "$WASM" | wc -c)
JS=$(wc -c <pkg/recofuse.js)
JS_GZ=$(gzip -9 -c pkg/recofuse.js | wc -c)
awk -v f="$WASM" -v raw="$RAW" -v gz="$GZ" -v b="$BUDGET" 'BEGIN {
  printf "wasm  %s: %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB; ceiling %d bytes)\n", f, raw, raw / 1024, gz, gz / 1024, b
}'
printf 'glue  pkg/recofuse.js: %d bytes raw, %d bytes gzip -9\n' "$JS" "$JS_GZ"
# The facade's own JavaScript (src/glue.js), which the glue imports: one more file on the wire.
for f in pkg/snippets/*/*.js pkg/snippets/*/*/*.js; do
  if [ -f "$f" ]; then
    printf 'glue  %s: %d bytes raw, %d bytes gzip -9\n' "$f" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
  fi
done
if [ "$GZ" -gt "$BUDGET" ]; then
  echo "wasm-size: FAIL: gzip -9 size $GZ bytes is over the budget of $BUDGET bytes" >&2
  exit 1
fi
if [ "$GZ" -gt "$GOAL" ]; then
  echo "wasm-size: ok under the regression ceiling; the goal of $GOAL bytes gzip is NOT met yet ($((GZ - GOAL)) bytes over)"
else
  echo "wasm-size: ok (goal of $GOAL bytes gzip met)"
fi
