"""Prints the criterion medians of the rerank benches as a markdown table with ratios to the baseline."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1]) / "rerank"
rows = {}
for est in root.glob("*/*/new/estimates.json"):
    name, size = est.parts[-4], est.parts[-3]
    median_ns = json.loads(est.read_text())["median"]["point_estimate"]
    rows.setdefault(int(size), {})[name] = median_ns
profile = root / "profile_build" / "new" / "estimates.json"
if profile.exists():
    print(f"profile_build (50 events): {json.loads(profile.read_text())['median']['point_estimate'] / 1000:.1f} µs\n")
print("| candidates | bench | median µs | × baseline |")
print("|---:|---|---:|---:|")
for size in sorted(rows):
    base = rows[size].get("baseline_sort_by_server_score")
    for name, ns in sorted(rows[size].items(), key=lambda kv: (kv[0] != "baseline_sort_by_server_score", kv[0])):
        ratio = f"{ns / base:.2f}" if base else "n/a"
        print(f"| {size} | {name} | {ns / 1000:.1f} | {ratio} |")
