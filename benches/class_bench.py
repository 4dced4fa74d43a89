"""A class under load (benches/class.sh runs it; not a test): N learners at once log in to the class's hub, start
their servers and run lab 1 (the solved notebook) in "Rust (sourcelab)", as tests/hub_learner.py does it.

Per learner: login → first result (log in, server with its stack, kernel, first cell), the kernel's start alone
(session opened → kernel info answered) and its first cell's result, each cell's latency, the memory of all their
processes (PSS: shared pages split among their users; sampled every second, the peak) and the CPU time they used.
Prints one JSON object: the per-learner figures and the class's medians.

  python class_bench.py BASE_URL learner1 learner2 …
"""
import json
import pathlib
import statistics
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
import hub_learner  # noqa: E402
from tornado.ioloop import IOLoop  # noqa: E402

CLK = 100  # clock ticks a second (Linux)


def uid_of(name):
    for line in pathlib.Path("/etc/passwd").read_text().splitlines():
        f = line.split(":")
        if f[0] == name:
            return int(f[2])
    raise SystemExit(f"no user {name}")


def usage(uid):
    """(memory MiB, CPU seconds) of every process of `uid` now. Memory is PSS: a page shared by several processes
    (the sourcelab binary is mapped by the kernel, the engine, the server wrapper and the moto guard) counts once,
    split between them; RSS would count it in each."""
    mem, cpu = 0, 0.0
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            status = (p / "status").read_text()
            if int(next(l.split()[1] for l in status.splitlines() if l.startswith("Uid:"))) != uid:
                continue
            rollup = (p / "smaps_rollup").read_text()
            mem += int(next((l.split()[1] for l in rollup.splitlines() if l.startswith("Pss:")), "0"))
            stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
            cpu += sum(int(x) for x in stat[11:15]) / CLK  # its own and its finished children's (cargo, rustc)
        except (OSError, StopIteration, ValueError, IndexError):
            pass
    return mem / 1024, cpu


def learner(base, name, out):
    t0 = time.time()
    token = hub_learner.login(base, name, f"{name}-bench-pw")["token"]
    spawned = hub_learner.spawn(base, name, token)
    if not spawned.get("ok"):
        raise SystemExit(f"{name}: the server did not start: {spawned}")
    result = IOLoop().run_sync(lambda: hub_learner.run(base, name, token, "notebooks/01_sql.solution.ipynb", "sourcelab"))
    cells = result["cells"]
    out[name] = {
        "login_to_first_result_s": round(time.time() - t0 - sum(c["seconds"] or 0 for c in cells[1:]), 2),
        "kernel_ready_s": result["kernel_ready_s"],
        "first_result_s": result["first_result_s"],
        "cells": [c["seconds"] for c in cells],
        "failed": [c for c in cells if c["status"] != "ok"],
        "wall_s": round(time.time() - t0, 1),
    }


def main():
    base, names = sys.argv[1], sys.argv[2:]
    uids = {n: uid_of(n) for n in names}
    out, peak, cpu_start = {}, {n: 0.0 for n in names}, {n: usage(u)[1] for n, u in uids.items()}
    threads = [threading.Thread(target=learner, args=(base, n, out)) for n in names]
    t0 = time.time()
    for t in threads:
        t.start()
    cpu_end = dict(cpu_start)
    while any(t.is_alive() for t in threads):
        for n, u in uids.items():
            mem, cpu = usage(u)
            peak[n] = max(peak[n], mem)
            cpu_end[n] = max(cpu_end[n], cpu)
        time.sleep(1)
    wall = time.time() - t0
    later = sorted(s for r in out.values() for s in r["cells"][1:] if s is not None)
    p90 = later[min(len(later) - 1, int(round(0.9 * (len(later) - 1))))] if later else None
    summary = {
        "learners": len(names),
        "wall_s": round(wall, 1),
        "login_to_first_result_s": sorted(r["login_to_first_result_s"] for r in out.values()),
        "kernel_ready_s": sorted(r["kernel_ready_s"] or -1 for r in out.values()),
        "first_cell_result_s": sorted(r["first_result_s"] or -1 for r in out.values()),
        "cell_median_s": round(statistics.median(later), 3) if later else None,
        "cell_p90_s": p90,
        "peak_pss_mib_per_learner": round(statistics.median(peak.values())),
        "cpu_s_per_learner": round(statistics.median(cpu_end[n] - cpu_start[n] for n in names), 1),
        "failed_cells": sum(len(r["failed"]) for r in out.values()),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
