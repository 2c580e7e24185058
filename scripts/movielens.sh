#!/usr/bin/env bash
# Fetches MovieLens-100K and trains the storefront's default bundle. Idempotent: every step is skipped when
# its output exists and is newer than its inputs.
#   1. `pip download --no-deps recbole==1.2.1` into target/demo-data/ (the public RecBole wheel on PyPI
#      carries MovieLens-100K in RecBole atomic format), then ml-100k.inter and ml-100k.item extracted
#      with Python's zipfile into target/demo-data/ml-100k/.
#   2. `recofuse train` (release build, with the per-item bounds of $KEEP below) writes
#      target/demo/movielens.bundle and the page's display
#      catalog target/demo/movielens.json (titles, years, genres).
#   3. `recofuse demo-bundle` writes target/demo/demo.bundle (a generated catalog without display
#      catalog: the page then shows ids; the end-to-end tests load it by URL).
# Needs cargo, python3 with pip. Sourced env is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=target/demo-data
ML="$DATA/ml-100k"
OUT=target/demo
WHEEL="$DATA/recbole-1.2.1-py3-none-any.whl"
log() { printf 'movielens: %s\n' "$*" >&2; }

if [ ! -f "$WHEEL" ]; then
  log "downloading the recbole 1.2.1 wheel from PyPI (2 MB, for its MovieLens-100K copy)"
  mkdir -p "$DATA"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps recbole==1.2.1 -d "$DATA"
fi
if [ ! -f "$ML/ml-100k.inter" ] || [ ! -f "$ML/ml-100k.item" ]; then
  log "extracting ml-100k.inter and ml-100k.item"
  python3 - "$WHEEL" "$ML" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in ("ml-100k.inter", "ml-100k.item"):
        data = z.read(f"recbole/dataset_example/ml-100k/{name}")
        tmp = os.path.join(out, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, name))
PY
fi

log "building the trainer (cargo build --release -p recofuse-train)"
cargo build --quiet --release -p recofuse-train --bin recofuse
BIN="${CARGO_TARGET_DIR:-target}/release/recofuse"
# What the bundle keeps per item: the smallest setting of the size/quality frontier within 2 % of the
# unconstrained test NDCG@10 (`recofuse frontier`, docs/quality.md "Bytes per item"): 3 item-CF
# neighbours, 10 transitions, no embedding, no text terms; about 112 B per item instead of 1,260.
# RECOFUSE_TRAIN_ARGS replaces it (RECOFUSE_TRAIN_ARGS=" " trains unconstrained).
KEEP="--keep-neighbours 3 --keep-transitions 10 --embedding-dim 0 --text-terms 0"
if [ ! -f "$OUT/movielens.bundle" ] || [ ! -f "$OUT/movielens.json" ] || [ "$BIN" -nt "$OUT/movielens.bundle" ] \
  || [ "$ML/ml-100k.inter" -nt "$OUT/movielens.bundle" ]; then
  log "training the MovieLens bundle (recofuse train)"
  mkdir -p "$OUT"
  "$BIN" train --quiet --interactions "$ML/ml-100k.inter" --items "$ML/ml-100k.item" \
    --out "$OUT/movielens.bundle" --catalog-json "$OUT/movielens.json" ${RECOFUSE_TRAIN_ARGS:-$KEEP}
fi
if [ ! -f "$OUT/demo.bundle" ] || [ "$BIN" -nt "$OUT/demo.bundle" ]; then
  "$BIN" demo-bundle --out "$OUT/demo.bundle" 2>/dev/null
fi
