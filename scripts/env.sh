# Sourced by the project's scripts after scripts/setup.sh: puts the installed tools on PATH.
# wasm-pack finds wasm-opt (npm binaryen) and wasm-bindgen only through PATH.
RECOFUSE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$RECOFUSE_ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wasm-pack test and build: never fetch tools from the network behind our back.
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$HOME/.cache/.wasm-pack}"

# Builds the release npm package into pkg/ (or the --out-dir given), optimised for size: opt-level "z"
# for the wasm build only (native release builds keep opt-level 3), the standard library rebuilt with the
# `immediate-abort` panic strategy (a panic traps at once: no panic machinery, messages or locations in
# the module; the engine has no panic on any input path, and the test builds keep the usual strategy with
# the panic hook), then wasm-opt -Os --converge --low-memory-unused (flags in Cargo.toml) through
# wasm-pack. The std rebuild needs the rust-src component (scripts/setup.sh adds it) and unstable cargo/rustc flags, enabled on the stable toolchain
# by RUSTC_BOOTSTRAP=1 for this build only; docs/benchmarks.md ("WebAssembly size") has what each saves.
# `-Z location-detail=none`: no file/line data for the panic sites (a panic traps either way).
# `-C target-cpu=mvp` plus the features the module relies on: no reference types and no multi-value
# returns, so wasm-bindgen keeps JavaScript values in its JS-side heap instead of emitting an externref
# shim and a multi-value shim per export (smaller module and smaller module + glue; measured in
# docs/benchmarks.md).
RECOFUSE_WASM_FEATURES="-Ctarget-cpu=mvp -Ctarget-feature=+bulk-memory,+sign-ext,+nontrapping-fptoint,+mutable-globals"
wasm_release_build() {
  RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
    RUSTFLAGS="${RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none $RECOFUSE_WASM_FEATURES" \
    wasm-pack --log-level warn build --release "$@" . -Z build-std=std,panic_abort
}

build_pkg() {
  wasm_release_build --target web --out-dir pkg "$@"
}

# The package with bundles in pieces (Cargo feature `pieces`, issue 15: `fromUrl(url, { lazy: true })`,
# `prepare`) into pkg-pieces/; about 20 KB gzip more wasm than build_pkg's, so not the default.
build_pkg_pieces() {
  RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
    RUSTFLAGS="${RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort" \
    wasm-pack --log-level warn build --release --target web --out-dir pkg-pieces . \
    -Z build-std=std,panic_abort --features pieces
}

# Builds the same package for bundlers (wasm-pack --target bundler: the module imports its .wasm, for
# webpack 5's asyncWebAssembly; no init() call) into pkg-bundler/. Cargo's build of the wasm is shared with
# build_pkg (same profile, flags and target), so after build_pkg this only reruns wasm-bindgen and wasm-opt.
build_pkg_bundler() {
  wasm_release_build --target bundler --out-dir pkg-bundler "$@"
}
