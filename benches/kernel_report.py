"""Prints benches/kernel.sh's comparison: per kernel, and per notebook, the latencies that matter to a learner.

  kernel_report.py --part1 part1.jsonl          the same steps on each kernel (kernel_bench.py's lines)
  kernel_report.py --part2 ours.json stock.jsonl every lab notebook on both Rust kernels (run_notebooks.py's reports)
"""
import json
import pathlib
import re
import statistics
import sys


def load(path):
    p = pathlib.Path(path)
    if not p.is_file():
        return []
    text = p.read_text()
    if text.lstrip().startswith("["):
        return json.loads(text)
    # One JSON object per line; anything else on stdout (a kernel's own chatter) is not ours.
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def sources(notebook):
    nb = json.loads(pathlib.Path(notebook).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def stores(src):
    """A top-level `let`: the cell stores a new variable."""
    return any(re.match(r"let\s", line) for line in src.splitlines())


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))] if xs else float("nan")


def report(label, runs):
    if not runs:
        return
    print(f"\n{label}")
    print(f"{'notebook':<24} {'status':<7} {'start':>6} {'first':>6} {'median':>7} {'p90':>6} {'max':>6} {'let med':>8} {'total':>7}")
    all_later, all_lets, total = [], [], 0.0
    slow = []
    for r in runs:
        cells, srcs = r["cell_seconds"], sources(r["notebook"])
        later = [s for s in cells[1:] if s >= 0]
        lets = [s for s, src in zip(cells[1:], srcs[1:]) if s >= 0 and stores(src)]
        all_later += later
        all_lets += lets
        total += r["seconds"]
        name = pathlib.Path(r["notebook"]).name
        med = statistics.median(later) if later else float("nan")
        lmed = statistics.median(lets) if lets else float("nan")
        print(f"{name:<24} {r['status']:<7} {r['startup_seconds'] or 0:6.1f} {cells[0]:6.2f} {med:7.2f} {p90(later):6.2f}"
              f" {max(later, default=0):6.2f} {lmed:8.2f} {r['seconds']:7.1f}")
        slow += [(name, i + 1, s, src.strip().splitlines()[0][:70]) for i, (s, src) in enumerate(zip(cells, srcs)) if i > 0 and s > 1.0]
    print(f"{'all notebooks':<24} {'':<7} {'':>6} {'':>6} {statistics.median(all_later):7.2f} {p90(all_later):6.2f}"
          f" {max(all_later):6.2f} {statistics.median(all_lets) if all_lets else float('nan'):8.2f} {total:7.1f}")
    if slow:
        print(f"cells above 1 s ({len(slow)}):")
        for name, i, s, first in slow:
            print(f"  {name} cell {i}: {s:.2f} s  {first}")


def part1(path):
    """Part 1: per kernel, the runs side by side (start → ready, first cell, median / p90, SQL cell, memory)."""
    runs = load(path)
    print(f"\n{'kernel':<28} {'start→ready s':>15} {'first cell s':>14} {'median':>7} {'p90':>6} {'SQL cell':>9}"
          f" {'MB':>6}")
    for r in runs:
        starts = "/".join(f"{s:.1f}" for s in r["start_to_ready_s"])
        firsts = "/".join(f"{s:.1f}" for s in r["first_cell_s"])
        sql = "" if r["sql_cell_s"] is None else f"{r['sql_cell_s']:.3f}"
        print(f"{r['label']:<28} {starts:>15} {firsts:>14} {r['median_cell_s']:7.3f} {r['p90_cell_s']:6.3f} {sql:>9}"
              f" {r['rss_mb']:6}")
        for e in r["errors"]:
            print(f"  error in {e['name']}: {e['error']}")
    print("\nper cell (seconds, the first run of each kernel):")
    seen = set()
    for r in runs:
        if r["label"] in seen:
            continue
        seen.add(r["label"])
        print(f"  {r['label']:<28} " + "  ".join(f"{c['name']} {c['seconds']:.3f}" for c in r["cells"]))


if sys.argv[1] == "--part1":
    part1(sys.argv[2])
elif sys.argv[1] == "--part2":
    ours, stock = load(sys.argv[2]), load(sys.argv[3])
    report("ours (our kernel on evcxr's engine)", ours)
    report("stock evcxr_jupyter 0.22 (commit be9d012's notebooks)", stock)
