#!/usr/bin/env bash
# Installs what recofuse's build and tests need and is missing on this machine. Idempotent: every step
# checks first, so a second run takes about a second. Assumes Rust (rustup), Node 20+ with npm, Python 3
# and git; installs the rest:
#   - rustup target wasm32-unknown-unknown and component rust-src (the release package rebuilds std)
#   - wasm-pack (crates.io; the npm package downloads a binary at install time and fails offline mirrors)
#   - wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock
#   - tools/node_modules via `npm ci` (binaryen's wasm-opt, TypeScript, playwright-core), pinned by
#     tools/package-lock.json. Never Debian's binaryen: its old wasm-opt breaks the module silently.
#   - chromium + chromium-driver from Debian (browser tests)
#   - Python safetensors + numpy (bundle interoperability test)
#   - Java 17 (Debian default-jre-headless) and pyspark (PyPI) for the Spark job's parity test (issue 19)
# With RECOFUSE_SETUP=build (used by scripts/demo.sh) the last two, needed only by the tests, are skipped.
# Prints nothing but what it installs. Scripts that need the tools source scripts/env.sh for PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
log() { printf 'setup: %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

for tool in cargo rustup node npm python3; do
  command -v "$tool" >/dev/null || { log "missing $tool: install Rust (rustup), Node 20+ and Python 3 first"; exit 1; }
done

# 1. Rust target for the browser build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 1b. The standard library's sources: the release package rebuilds std for size (see build_pkg in env.sh).
if ! rustup component list --installed | grep -q '^rust-src'; then
  log "adding rust component rust-src"
  rustup component add rust-src
fi

# 2. wasm-pack.
if ! command -v wasm-pack >/dev/null || [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
  log "installing wasm-pack $WASM_PACK_VERSION (about 90 s)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
fi

# 3. wasm-bindgen-cli: must match the wasm-bindgen crate in Cargo.lock exactly, or wasm-pack silently
#    builds its own copy into ~/.cache/.wasm-pack.
if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile >/dev/null 2>&1 || true
fi
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock 2>/dev/null || true)
WB_VERSION=${WB_VERSION:-0.2.130}
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 2 min)"
  # No --locked: its lock file pins a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi
# wasm-pack needs its cache directory to exist, or fails with a bare "No such file or directory".
mkdir -p "$HOME/.cache/.wasm-pack"

# 4. Node tools, pinned by tools/package-lock.json. Reinstalled when the lock file changes.
LOCK_SUM=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
STAMP=tools/node_modules/.recofuse-lock-sha256
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ] || [ ! -x tools/node_modules/.bin/wasm-opt ] \
  || [ ! -x tools/node_modules/.bin/tsc ]; then
  log "installing node tools (npm ci in tools/)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  echo "$LOCK_SUM" >"$STAMP"
fi

# 5. Chromium and chromedriver (Debian packages: the same version, and chromedriver finds chromium).
TESTS=1
if [ "${RECOFUSE_SETUP:-all}" = build ]; then TESTS=0; fi
if [ "$TESTS" = 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  log "installing chromium and chromium-driver (apt)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 6. Python safetensors + numpy for the interoperability test.
if [ "$TESTS" = 1 ] && ! python3 -c 'import safetensors, numpy' 2>/dev/null; then
  log "installing python safetensors + numpy (pip)"
  python3 -m pip install --quiet --disable-pip-version-check safetensors numpy
fi

# 7. Java and pyspark for spark/recofuse_tables.py and its parity test (scripts/test.sh's Spark section).
if [ "$TESTS" = 1 ] && ! command -v java >/dev/null; then
  log "installing default-jre-headless (apt, Java 17 for Spark)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi
if [ "$TESTS" = 1 ] && ! python3 -c 'import pyspark' 2>/dev/null; then
  log "installing python pyspark (pip, about 450 MB)"
  python3 -m pip install --quiet --disable-pip-version-check 'pyspark>=4,<5'
fi
