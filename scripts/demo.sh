#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the WebAssembly package (pkg/), fetch
# MovieLens-100K (from the recbole 1.2.1 wheel on PyPI) and train it into the storefront's bundle
# (target/demo/movielens.bundle + movielens.json, scripts/movielens.sh), then serve the demo storefront on
# http://127.0.0.1:${PORT:-8080}/ until Ctrl-C. A second run reuses everything already built.
set -euo pipefail
cd "$(dirname "$0")/.."

RECOFUSE_SETUP=build bash scripts/setup.sh   # the browser and Python are only needed by the tests
source scripts/env.sh

echo "== building the WebAssembly package (wasm-pack build --release --target web)"
build_pkg

echo "== fetching MovieLens-100K and training the storefront's bundle (scripts/movielens.sh)"
bash scripts/movielens.sh

echo "== serving www/ (the package at /pkg/, bundles and catalogs at /models/)"
exec node scripts/serve.mjs
