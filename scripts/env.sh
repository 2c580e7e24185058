# Sourced by the project's scripts after scripts/setup.sh: puts the installed tools on PATH.
# wasm-pack finds wasm-opt (npm binaryen) and wasm-bindgen only through PATH.
RECOFUSE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$RECOFUSE_ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wasm-pack test and build: never fetch tools from the network behind our back.
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$HOME/.cache/.wasm-pack}"

# Builds the release npm package into pkg/ (or the --out-dir given), optimised for size: opt-level "z"
# for the wasm build only (native release builds keep opt-level 3), then wasm-opt -Oz through wasm-pack.
build_pkg() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=z wasm-pack --log-level warn build --release --target web --out-dir pkg "$@"
}

# Builds the same package for bundlers (wasm-pack --target bundler: the module imports its .wasm, for
# webpack 5's asyncWebAssembly; no init() call) into pkg-bundler/. Cargo's build of the wasm is shared with
# build_pkg (same profile and target), so after build_pkg this only reruns wasm-bindgen and wasm-opt.
build_pkg_bundler() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=z wasm-pack --log-level warn build --release --target bundler --out-dir pkg-bundler "$@"
}
