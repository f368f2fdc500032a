#!/usr/bin/env bash
# Prints the medians of the last `cargo bench --bench poll` run as the README's table:
# one row per measurement, one column per target size.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
python3 - "$target_dir/criterion" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
sizes = [100, 1000, 10000]
rows = ["cheap", "census", "census_tui", "maps", "all", "report_json",
        "floor_cat_task_stat", "floor_ls_fd", "floor_stat_and_fd"]
def median(size, row):
    f = root / f"poll_{size}" / row / "new" / "estimates.json"
    if not f.exists():
        return None
    return json.loads(f.read_text())["median"]["point_estimate"] / 1e6
def fmt(ms):
    if ms is None:
        return "–"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.3g} ms"
print("| one poll of … | " + " | ".join(f"{s:,} threads" for s in sizes) + " |")
print("|---|" + "---|" * len(sizes))
for row in rows:
    print(f"| {row} | " + " | ".join(fmt(median(s, row)) for s in sizes) + " |")
ratio = []
for s in sizes:
    r, f = median(s, "report_json"), median(s, "floor_stat_and_fd")
    ratio.append(f"{r / f:.2f}×" if r and f else "–")
print("| report --json ÷ floor | " + " | ".join(ratio) + " |")
PY
