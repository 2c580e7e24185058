#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the WebAssembly package (pkg/), write the
# demo bundle of a small generated catalog (target/demo/demo.bundle) and serve the demo storefront on
# http://127.0.0.1:${PORT:-8080}/ until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

RECOFUSE_SETUP=build bash scripts/setup.sh   # the browser and Python are only needed by the tests
source scripts/env.sh

echo "== building the WebAssembly package (wasm-pack build --release --target web)"
build_pkg

echo "== writing the demo bundle (target/demo/demo.bundle)"
mkdir -p target/demo
cargo run --quiet --release -p recofuse-train --bin recofuse -- demo-bundle --out target/demo/demo.bundle

echo "== serving www/ (the package at /pkg/, the bundle at /models/demo.bundle)"
exec node scripts/serve.mjs
