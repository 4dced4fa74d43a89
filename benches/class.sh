#!/usr/bin/env bash
# A class under load (not a test; no timing is asserted anywhere). As root: a class of N bench learners on this
# machine's hub, everyone at once logging in and running lab 1 (the solved notebook) in "Rust (sourcelab)"
# through the hub's websockets, each against their own stack. Rounds of 1, then N/2, then N learners; per round:
# login → first result, cell latency (median, p90), peak memory and CPU seconds per learner; then what a 16-core,
# 64 GB server holds, from the largest round.
#
#   sudo bash benches/class.sh [N]      N defaults to 8
source "$(dirname "$0")/../scripts/common.sh"
[ "$(id -u)" = 0 ] || { echo "error: a class creates system users: run as root" >&2; exit 1; }
N="${1:-8}"
build_sourcelab >/dev/null 2>&1 || build_sourcelab
# Learners must reach the class folder (the cache under /root would not let them through).
export SOURCELAB_CLASS_DIR=/srv/sourcelab-bench-class
out="$SOURCELAB_CACHE/bench-class-results"
rm -rf "$out" && mkdir -p "$out"
names=()
for i in $(seq -w 1 "$N"); do names+=("slbench$i"); done
cleanup() {
  "$SOURCELAB" class down >/dev/null 2>&1 || true
  for n in "${names[@]}"; do
    "$SOURCELAB" class remove "$n" >/dev/null 2>&1 || true
    rm -rf "/home/$n"
  done
}
trap cleanup EXIT
cleanup
step "a class of $N learners (system users, labs in their homes), the hub, the shared build"
"$SOURCELAB" class add "${names[@]}" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SOURCELAB" class up --ip 127.0.0.1 --port "$port" --idle-minutes 120 >&2
"$SOURCELAB" class release 1 --solution >/dev/null
PY="$SOURCELAB_CLASS_DIR/venv/bin/python"
half=$(( (N + 1) / 2 ))
for round in "1:${names[0]}" "$half:${names[*]:0:$half}" "$N:${names[*]}"; do
  count="${round%%:*}"
  step "$count learner(s) at once"
  # Each round starts from logged-out learners (servers and stacks stopped, files kept) with lab 1 at its start:
  # its first cells create tables, so a second run in the same database would fail.
  "$SOURCELAB" class up --ip 127.0.0.1 --port "$port" --idle-minutes 120 >/dev/null 2>&1
  for n in ${round#*:}; do "$SOURCELAB" class reset "$n" 1 >/dev/null; done
  # shellcheck disable=SC2086
  "$PY" "$ROOT/benches/class_bench.py" "http://127.0.0.1:$port/" ${round#*:} | tee -a "$out/rounds.jsonl"
done
"$PY" - "$out/rounds.jsonl" <<'PYEOF'
import json, os, sys
rounds = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'learners':>8} {'login→first result (s)':>24} {'cell median':>12} {'cell p90':>9} {'MiB/learner (peak PSS)':>22} {'CPU s/learner':>14} {'failed':>7}")
for r in rounds:
    first = r["login_to_first_result_s"]
    print(f"{r['learners']:>8} {min(first):>10.1f} – {max(first):>9.1f} {r['cell_median_s']:>12} {r['cell_p90_s']:>9} "
          f"{r['peak_pss_mib_per_learner']:>22} {r['cpu_s_per_learner']:>14} {r['failed_cells']:>7}")
big = rounds[-1]
mem = big["peak_pss_mib_per_learner"]
# A learner works through a lab in about an hour; lab 1's CPU seconds are spent in the few minutes it runs, so
# the CPU a working learner needs is bounded by this lab's CPU over the time a person takes for it (60 min).
cores_per_learner = big["cpu_s_per_learner"] / 3600
by_mem = int(64 * 1024 * 0.85 // mem)
by_cpu = int(16 / cores_per_learner) if cores_per_learner else 0
print(f"16 cores, 64 GB: {by_mem} learners by memory ({mem} MiB each, 85% of 64 GB), {by_cpu} by CPU "
      f"({big['cpu_s_per_learner']} CPU s per lab-hour) → about {min(by_mem, by_cpu)} learners at once")
PYEOF
