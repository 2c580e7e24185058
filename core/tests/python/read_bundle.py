#!/usr/bin/env python3
"""Reads a recofuse bundle with the official `safetensors` package and prints it as JSON.

Usage: python3 read_bundle.py PATH

Output: {"metadata": {...}, "tensors": {name: {"dtype", "numpy_dtype", "shape", "values"}},
         "data_sha256": hex SHA-256 of the data buffer recomputed here, "ids": decoded item ids}
Used by core/tests/bundle.rs (python_safetensors_reads_bundle) to prove interoperability.
"""
import hashlib
import json
import struct
import sys

from safetensors import safe_open
from safetensors.numpy import load_file


def main(path: str) -> None:
    arrays = load_file(path)  # the plain loader: validates the container, returns numpy arrays
    out = {"metadata": {}, "tensors": {}}
    with safe_open(path, framework="np") as f:  # the lazy reader: metadata and stored dtypes
        out["metadata"] = f.metadata() or {}
        for name in f.keys():
            array = arrays[name]
            assert (array == f.get_tensor(name)).all(), name
            out["tensors"][name] = {
                "dtype": f.get_slice(name).get_dtype(),
                "numpy_dtype": str(array.dtype),
                "shape": list(array.shape),
                # float16 -> float64 and float32 -> float64 are exact, so Rust can compare bit for bit.
                "values": [float(x) if array.dtype.kind == "f" else int(x) for x in array.reshape(-1)],
            }
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    out["data_sha256"] = hashlib.sha256(raw[8 + n :]).hexdigest()
    ids_bytes = arrays["items.ids.bytes"].tobytes()
    offsets = arrays["items.ids.offsets"].tolist()
    out["ids"] = [ids_bytes[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
