"""Prints benches/kernel.sh's comparison: per design and notebook, the cell latencies that matter to a learner."""
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


new, old = load(sys.argv[1]), load(sys.argv[2]) if len(sys.argv) > 2 else []
names = {pathlib.Path(r["notebook"]).name for r in old}
if old:
    report("this checkout (thin notebook crate, library loaded once): the old design's notebooks",
           [r for r in new if pathlib.Path(r["notebook"]).name in names])
    report("the old design (commit 7f7f5dc: every cell linked against the whole library)", old)
    report("this checkout: labs added since", [r for r in new if pathlib.Path(r["notebook"]).name not in names])
else:
    report("this checkout (thin notebook crate, library loaded once)", new)
