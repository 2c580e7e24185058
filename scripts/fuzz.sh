#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/) for SECONDS each (default 780), two at a time, on the stable
# toolchain (RUSTC_BOOTSTRAP=1 for libFuzzer's flags; no nightly toolchain is installed or changed) without
# sanitizers (-s none: the code is safe Rust, the findings are panics). Needs `cargo install cargo-fuzz`.
# Each corpus starts from fuzz/seeds/<target>/ and grows in fuzz/corpus/<target>/ (not committed); crashes
# go to fuzz/artifacts/<target>/: minimise one (`cargo fuzz tmin`) and add it to fuzz/seeds/<target>/, where
# the replay tests of `cargo test` (core/tests/fuzz_replay.rs, train/tests/fuzz_replay.rs) run it.
# Prints each target's executions and time (libFuzzer's final stats). Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${1:-780}
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none
BIN=target/x86_64-unknown-linux-gnu/release
run() {
  mkdir -p "corpus/$1" "artifacts/$1"
  cp -n "seeds/$1/"* "corpus/$1/" 2>/dev/null || true
  "$BIN/$1" "corpus/$1" -artifact_prefix="artifacts/$1/" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    > "artifacts/$1.log" 2>&1 || { echo "fuzz: $1 FOUND A CRASH (artifacts/$1/, log artifacts/$1.log)"; return 1; }
  echo "fuzz: $1 $(grep -m1 '^Done' "artifacts/$1.log")"
}
status=0
run bundle & a=$!; run history & b=$!; wait $a || status=1; wait $b || status=1
run bundle_values & a=$!; run readers & b=$!; wait $a || status=1; wait $b || status=1
exit $status
