#!/usr/bin/env bash
# End-to-end tests in Debian's Chromium (playwright-core): the storefront on the MovieLens bundle and the
# Vite and webpack examples. Expects pkg/ (build_pkg), target/demo/movielens.{bundle,json}
# (scripts/movielens.sh) and examples/{vite,webpack}/dist (npm run build there, after build_pkg_bundler for
# webpack), as scripts/test.sh prepares them. Screenshots of the main states are written to
# target/e2e-artifacts/. Prints "test result: ok. N passed; M failed" (or FAILED) for the summary of
# scripts/test.sh and fails when a test fails.
set -uo pipefail
cd "$(dirname "$0")/.."

LOG=$(mktemp "${TMPDIR:-/tmp}/recofuse-e2e.XXXXXX")
trap 'rm -f "$LOG"' EXIT
node --test --test-concurrency=1 --test-reporter=tap tests/e2e/ 2>&1 | tee "$LOG"
STATUS=${PIPESTATUS[0]}
PASS=$(awk '/^# pass / { print $3 }' "$LOG")
FAIL=$(awk '/^# fail / { print $3 }' "$LOG")
PASS=${PASS:-0}
FAIL=${FAIL:-0}
if [ "$STATUS" = 0 ] && [ "$FAIL" = 0 ] && [ "$PASS" != 0 ]; then
  echo "test result: ok. $PASS passed; $FAIL failed (end-to-end, Chromium)"
else
  echo "test result: FAILED. $PASS passed; $(( FAIL > 0 ? FAIL : 1 )) failed (end-to-end, Chromium)"
  exit 1
fi
