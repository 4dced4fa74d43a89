#!/usr/bin/env bash
# Kernel benchmark: start the "Rust (sourcelab)" kernel, load the library, run 20 one-line helper-call cells
# (benches/kernel_cells.ipynb), and report kernel start → library ready, the first helper call, and the median and
# max per-cell latency. `--cold` also measures a kernel whose work folder and compile cache are empty (≈6+ min).
# Needs the stack and the kernel installed (bash scripts/labs.sh once).
source "$(dirname "$0")/../scripts/common.sh"
build_sourcelab >/dev/null 2>&1 || build_sourcelab
report() {
  "$ROOT/.sourcelab/venv/bin/python" - "$1" "$2" <<'PY'
import json, statistics, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))[0]
cells = r["cell_seconds"]
later = cells[1:]
print(f"{label:<6} kernel start → library ready {r['startup_seconds']:7.1f} s | first cell (stores env) {cells[0]:5.2f} s"
      f" | first helper call (cell 2) {cells[1]:5.2f} s | cells 2-20: median {statistics.median(later):.2f} s,"
      f" max {max(later):.2f} s | status {r['status']}")
PY
}
nb="$ROOT/benches/kernel_cells.ipynb"
out="$(mktemp -d)"
if [ "${1:-}" = "--cold" ]; then
  cold="$(mktemp -d)"
  ln -s "$SOURCELAB_CACHE/evcxr-0.22.0" "$cold/evcxr-0.22.0"
  SOURCELAB_CACHE="$cold" "$SOURCELAB" run --no-setup --report "$out/cold.json" --out "$out/cold" "$nb" >/dev/null
  report cold "$out/cold.json"
  rm -rf "$cold"
fi
"$SOURCELAB" run --no-setup --report "$out/warm.json" --out "$out/warm" "$nb" >/dev/null
report warm "$out/warm.json"
rm -rf "$out"
