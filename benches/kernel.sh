#!/usr/bin/env bash
# Kernel benchmark, side by side in one run: every lab notebook headless with the thin-crate kernel of this
# checkout, and the same notebooks with the design it replaced — every cell compiled and linked against the whole
# library (commit 7f7f5dc, whose notebooks are the same cells with `.await`). Both kernels talk to this checkout's
# stack, .env and data. Reports per notebook: kernel start, the first cell, median / p90 / max of the other cells,
# cells that store a new variable, the cells above 1 s, and the total.
#
#   bash benches/kernel.sh             both designs (the old one's first run builds its kernel: ~7 minutes, once)
#   bash benches/kernel.sh --new-only  only this checkout's kernel
# Needs the stack and the kernel installed (bash scripts/labs.sh once).
source "$(dirname "$0")/../scripts/common.sh"
build_sourcelab >/dev/null 2>&1 || build_sourcelab
BASE=7f7f5dc92666e8016d846e887c0e2af30e514bc2
PY="$ROOT/.sourcelab/venv/bin/python"
# The raw results stay after the run (the last run's), so a report can be printed again without a rerun:
#   python3 benches/kernel_report.py "$SOURCELAB_CACHE/bench-kernel/new.json" "$SOURCELAB_CACHE/bench-kernel/old.jsonl"
out="$SOURCELAB_CACHE/bench-kernel"
rm -rf "$out" && mkdir -p "$out"
"$SOURCELAB" kernel install >/dev/null

if [ "${1:-}" != "--new-only" ]; then
  step "the old design (commit ${BASE:0:7}): preparing its kernel"
  base="$SOURCELAB_CACHE/baseline-${BASE:0:12}"
  if [ ! -f "$base/Cargo.toml" ]; then
    mkdir -p "$base"
    git -C "$ROOT" archive "$BASE" | tar -x -C "$base"
  fi
  config="$base/.evcxr-config"
  mkdir -p "$config" "$SOURCELAB_CACHE/baseline-work"
  sed "s|{{SOURCELAB_HOME}}|$base|" "$base/kernel/init.evcxr" >"$config/init.evcxr"
  cp "$base/kernel/prelude.rs" "$config/prelude.rs"
  sysroot="$(rustc --print sysroot)"
  host="$(rustc -vV | sed -n 's/^host: //p')"
  spec="$ROOT/.sourcelab/venv/share/jupyter/kernels/sourcelab-baseline"
  mkdir -p "$spec"
  "$PY" - "$spec/kernel.json" <<PYEOF
import json, sys
json.dump({"argv": ["$SOURCELAB_CACHE/evcxr-0.22.0/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
           "display_name": "Rust (sourcelab, old design)", "language": "rust", "interrupt_mode": "message",
           "env": {"EVCXR_TMPDIR": "$SOURCELAB_CACHE/baseline-work", "EVCXR_CONFIG_DIR": "$config",
                   "XDG_CACHE_HOME": "$SOURCELAB_CACHE/baseline-cache", "SOURCELAB_HOME": "$ROOT",
                   "SOURCELAB_BIN": "$SOURCELAB", "LD_LIBRARY_PATH": "$sysroot/lib/rustlib/$host/lib:$sysroot/lib"}},
          open(sys.argv[1], "w"), indent=1)
PYEOF
  "$PY" - "$out/warm.ipynb" <<'PYEOF'
import nbformat, sys
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("sourcelab::frame::MAX_ROWS")]
nb.metadata["kernelspec"] = {"name": "sourcelab-baseline", "display_name": "old", "language": "rust"}
nbformat.write(nb, sys.argv[1])
PYEOF
  JUPYTER_PATH="$ROOT/.sourcelab/venv/share/jupyter" "$PY" "$ROOT/kernel/run_notebooks.py" \
    --kernel sourcelab-baseline --startup-timeout 3600 --out "$out/warm" "$out/warm.ipynb" >/dev/null \
    || { echo "error: the old design's kernel did not start (above)" >&2; exit 1; }
  step "the old design: every lab notebook"
  # The old design's code rewrites the stack's state file (lab 4's setup does) without what came after it, such
  # as lab 6's moto and its administrator's keys: put that entry back afterwards, and let `up` rewrite the env files.
  cp "$ROOT/.sourcelab/stack.json" "$out/stack-before.json"
  JUPYTER_PATH="$ROOT/.sourcelab/venv/share/jupyter" "$PY" "$ROOT/kernel/run_notebooks.py" \
    --kernel sourcelab-baseline --out "$out/old" "$base"/notebooks/*.ipynb >"$out/old.jsonl" || true
  "$PY" - "$out/stack-before.json" "$ROOT/.sourcelab/stack.json" <<'PYEOF'
import json, sys
before, now = (json.load(open(p)) for p in sys.argv[1:])
for key, value in before.items():
    now.setdefault(key, value)
json.dump(now, open(sys.argv[2], "w"), indent=2)
PYEOF
  "$SOURCELAB" up >/dev/null
fi

# The same cells on both sides: the notebooks the old design has, as this checkout writes them; labs added since
# then are measured too, and reported on their own.
same=() added=()
for nb in "$ROOT"/notebooks/*.ipynb; do
  if [ -f "${base:-/nonexistent}/notebooks/$(basename "$nb")" ]; then same+=("$nb"); else added+=("$nb"); fi
done
step "this checkout: every lab notebook"
"$SOURCELAB" run --no-setup --report "$out/new.json" --out "$out/new" "${same[@]}" "${added[@]}" >/dev/null || true
"$PY" "$ROOT/benches/kernel_report.py" "$out/new.json" "$out/old.jsonl"
