# Sourced by the project's scripts after scripts/setup.sh: puts the installed tools on PATH.
# wasm-pack finds wasm-opt (npm binaryen) and wasm-bindgen only through PATH.
RECOFUSE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$RECOFUSE_ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wasm-pack test and build: never fetch tools from the network behind our back.
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$HOME/.cache/.wasm-pack}"
