#!/usr/bin/env bash
# Builds other variants of the release wasm package for the speed/size measurements of issue 14
# (docs/benchmarks.md, "A build for speed"): each into target/variants/<name>/ (wasm-bindgen --target web
# output, run through wasm-opt with its name section kept, so that CPU profiles show function names), and
# prints its size as shipped (the same wasm-opt run without names): raw and gzip -9.
# Usage: bash scripts/wasm-variants.sh NAME OPT_LEVEL [simd] [wasm-opt level, default -Oz]
#   e.g. bash scripts/wasm-variants.sh o3-simd 3 simd -O3
# NAME "base" with no build: names the current release build (after build_pkg / wasm-size.sh --rebuild).
# Each variant builds in its own target/variant-build/<name>/ (a full std + dependency build the first
# time), so switching between them never rebuilds pkg/'s.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
NAME=$1
OPT=${2:-z}
SIMD=${3:-}
WOPT=${4:--Oz}
FEATURES="$RECOFUSE_WASM_FEATURES"
WFLAGS="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals"
if [ "$SIMD" = simd ]; then
  FEATURES="$FEATURES,+simd128"
  WFLAGS="$WFLAGS --enable-simd"
fi
if [ "$NAME" = base ]; then
  WASM=target/wasm32-unknown-unknown/release/recofuse.wasm
else
  export CARGO_TARGET_DIR=target/variant-build/$NAME
  RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=$OPT \
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none $FEATURES" \
    cargo build --quiet --release --lib --target wasm32-unknown-unknown -Z build-std=std,panic_abort
  WASM=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/recofuse.wasm
fi
OUT=target/variants/$NAME
rm -rf "$OUT"
wasm-bindgen --target web --out-dir "$OUT" "$WASM"
# shellcheck disable=SC2086
wasm-opt $WOPT --converge $WFLAGS "$OUT/recofuse_bg.wasm" -o "$OUT/shipped.wasm"
# shellcheck disable=SC2086
wasm-opt $WOPT --converge -g $WFLAGS "$OUT/recofuse_bg.wasm" -o "$OUT/recofuse_bg.wasm"
printf '%s (opt-level %s%s, wasm-opt %s): %d bytes raw, %d bytes gzip -9\n' "$NAME" "$OPT" \
  "${SIMD:+, simd128}" "$WOPT" "$(wc -c <"$OUT/shipped.wasm")" "$(gzip -9 -c "$OUT/shipped.wasm" | wc -c)"
