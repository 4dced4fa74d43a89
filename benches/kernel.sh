#!/usr/bin/env bash
# Kernel benchmark, side by side in one run (not a test; no timing is asserted anywhere):
#
#   ours    "Rust (sourcelab)": our kernel on evcxr's engine (this checkout)
#   stock   evcxr_jupyter 0.22 — the front we shipped before — with the design it served (commit be9d012: the same
#           thin crate, the library loaded into evcxr's child through a C ABI)
#   python  ipykernel, with the course's Python cells (boto3, pymysql)
#
# Part 1, the same steps on each kernel (benches/kernel_cells.json: DynamoDB connect, list, create table, put, get,
# scan, delete; then a SQL query — a `%%sql` cell for ours): start → ready (the kernel_info reply), the first cell,
# median and p90 of the others, the SQL cell, memory of the kernel's processes (RSS, children included).
# Part 2, every lab notebook headless on ours and on stock (stock runs be9d012's notebooks, the same labs): per
# notebook the kernel start, first cell, median / p90 / max cell and the total.
# Part 3, memory over a long session: ours runs the steps 30 times more, the kernel's RSS after each round.
#
#   bash benches/kernel.sh            every part (the stock kernel builds once: ~20 minutes on 2 cores)
#   bash benches/kernel.sh --quick    parts 1 and 3
# Needs the stack and the kernel installed (bash scripts/labs.sh once).
source "$(dirname "$0")/../scripts/common.sh"
build_sourcelab >/dev/null 2>&1 || build_sourcelab
BASE=be9d012
PY="$ROOT/.sourcelab/venv/bin/python"
SPECS="$ROOT/.sourcelab/venv/share/jupyter/kernels"
out="$SOURCELAB_CACHE/bench-kernel"
rm -rf "$out" && mkdir -p "$out"
"$SOURCELAB" kernel install >/dev/null

step "the stock front: evcxr_jupyter 0.22 and commit $BASE (built once, outside the checkout)"
stock="${BENCH_STOCK_DIR:-$SOURCELAB_CACHE/bench-stock}"
if [ ! -f "$stock/src/Cargo.toml" ]; then
  mkdir -p "$stock/src"
  git -C "$ROOT" archive "$BASE" | tar -x -C "$stock/src"
fi
(cd "$stock/src" && CARGO_TARGET_DIR="$stock/target" cargo build --quiet --lib)
if [ ! -x "$stock/evcxr/bin/evcxr_jupyter" ]; then
  cargo install --quiet evcxr_jupyter --locked --version 0.22.0 --root "$stock/evcxr"
fi
mkdir -p "$stock/config" "$stock/work" "$SPECS/sourcelab-stock"
sed "s|{{SOURCELAB_HOME}}|$stock/src|" "$stock/src/kernel/init.evcxr" >"$stock/config/init.evcxr"
cp "$stock/src/kernel/prelude.rs" "$stock/config/prelude.rs"
sysroot="$(rustc --print sysroot)"
host="$(rustc -vV | sed -n 's/^host: //p')"
"$PY" - "$SPECS/sourcelab-stock/kernel.json" <<PYEOF
import json, sys
json.dump({"argv": ["$stock/evcxr/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
           "display_name": "Rust (evcxr_jupyter 0.22)", "language": "rust", "interrupt_mode": "message",
           "env": {"EVCXR_TMPDIR": "$stock/work", "EVCXR_CONFIG_DIR": "$stock/config",
                   "SOURCELAB_LIBRARY": "$stock/target/debug/libsourcelab.so", "SOURCELAB_HOME": "$ROOT",
                   "LD_LIBRARY_PATH": "$sysroot/lib/rustlib/$host/lib:$sysroot/lib"}},
          open(sys.argv[1], "w"), indent=1)
PYEOF
"$PY" -m pip install --quiet --disable-pip-version-check pymysql==1.2.4

export JUPYTER_PATH="$ROOT/.sourcelab/venv/share/jupyter"
cells="$ROOT/benches/kernel_cells.json"
step "part 1: the same steps on each kernel (3 starts each; the cells in the first)"
# A first start of each builds or warms what it needs; not measured.
"$PY" "$ROOT/benches/kernel_bench.py" --kernel sourcelab-stock --label warm --cells "$cells" --set stock --starts 1 >/dev/null
"$PY" "$ROOT/benches/kernel_bench.py" --kernel sourcelab --label warm --cells "$cells" --set ours --starts 1 >/dev/null
for round in 1 2; do
  "$PY" "$ROOT/benches/kernel_bench.py" --kernel sourcelab-stock --label "stock evcxr_jupyter 0.22" --cells "$cells" \
    --set stock --starts 3 >>"$out/part1.jsonl"
  "$PY" "$ROOT/benches/kernel_bench.py" --kernel sourcelab --label "ours" --cells "$cells" --set ours --starts 3 \
    >>"$out/part1.jsonl"
  "$PY" "$ROOT/benches/kernel_bench.py" --kernel python3 --label "ipykernel (Python, boto3)" --cells "$cells" \
    --set python --starts 3 --prelude "BENCHES = '$ROOT/benches'; ENV_FILE = '$ROOT/.env'" >>"$out/part1.jsonl"
done
"$PY" "$ROOT/benches/kernel_report.py" --part1 "$out/part1.jsonl"

step "part 3: memory over a long session (ours: the steps 30 times more, the kernel's RSS after each round)"
"$PY" "$ROOT/benches/kernel_bench.py" --kernel sourcelab --label "ours, long session" --cells "$cells" --set ours \
  --starts 1 --rounds 30 >"$out/part3.jsonl"
"$PY" - "$out/part3.jsonl" <<'PYEOF'
import json, sys
r = json.loads(open(sys.argv[1]).read())
print(f"RSS after the first {len(r['cells'])} cells: {r['rss_mb']} MB; after each further round of "
      f"{len(r['cells']) - 1} cells: {r['rss_mb_by_round']}")
PYEOF
[ "${1:-}" = "--quick" ] && exit 0

step "part 2: every lab notebook, stock then ours"
# be9d012's code rewrites the stack's state file (lab 4's setup does) without what came after it: put the entries
# back afterwards, and let `up` rewrite the env files.
cp "$ROOT/.sourcelab/stack.json" "$out/stack-before.json"
"$PY" "$ROOT/kernel/run_notebooks.py" --kernel sourcelab-stock --out "$out/stock" "$stock/src"/notebooks/*.ipynb \
  >"$out/stock.jsonl" || true
"$PY" - "$out/stack-before.json" "$ROOT/.sourcelab/stack.json" <<'PYEOF'
import json, sys
before, now = (json.load(open(p)) for p in sys.argv[1:])
for key, value in before.items():
    now.setdefault(key, value)
json.dump(now, open(sys.argv[2], "w"), indent=2)
PYEOF
"$SOURCELAB" up >/dev/null
"$SOURCELAB" run --no-setup --report "$out/ours.json" --out "$out/ours" >/dev/null || true
"$PY" "$ROOT/benches/kernel_report.py" --part2 "$out/ours.json" "$out/stock.jsonl"
