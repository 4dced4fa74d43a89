"""Times kernels the way a learner meets them, through jupyter_client (benches/kernel.sh runs it; not a test).

For each kernel: start → ready (the kernel_info reply), then each cell of its list in order (execute → idle), then
the memory of the kernel's processes (RSS of the kernel and its children), then shut down. Several starts give
the start figures; the cells run in the first. Prints one JSON object per kernel.

  python kernel_bench.py --kernel sourcelab --cells benches/kernel_cells.json --set ours --starts 3

With --rounds N the first start then runs the cells after the first N more times, as a long session does, and
reports the memory after each round (`rss_mb_by_round`): whether a kernel's memory grows with the cells it ran.

The Python cells name BENCHES and ENV_FILE, which --prelude sets (untimed).
"""
import argparse
import json
import pathlib
import statistics
import time

from jupyter_client.manager import start_new_kernel


def rss_kb(pid):
    """Resident memory of a process and all its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = pathlib.Path(f"/proc/{p}/status").read_text()
            total += int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:")))
            # Children of every thread: the kernel starts its engine process from a thread of its own.
            for task in pathlib.Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            pass
    return total


def run(kc, code, timeout=900):
    t = time.perf_counter()
    msg_id = kc.execute(code)
    status = None
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "error":
            status = f"{m['content']['ename']}: {m['content']['evalue']}"
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    return time.perf_counter() - t, status


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--cells", required=True)
    p.add_argument("--set", required=True)
    p.add_argument("--prelude", default="", help="code run (untimed) before the cells, e.g. Python globals")
    p.add_argument("--starts", type=int, default=3)
    p.add_argument("--rounds", type=int, default=0, help="then run the cells after the first this many times more")
    args = p.parse_args()
    cells = json.loads(pathlib.Path(args.cells).read_text())[args.set]
    starts, first_cells, result = [], [], None
    for attempt in range(args.starts):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name=args.kernel, startup_timeout=900)
        ready = time.perf_counter() - t0
        starts.append(ready)
        if args.prelude:
            run(kc, args.prelude)
        if attempt == 0:
            timed = []
            for cell in cells:
                seconds, error = run(kc, cell["code"])
                timed.append({"name": cell["name"], "seconds": round(seconds, 3), "error": error})
            first_cells.append(timed[0]["seconds"])
            pid = km.provisioner.process.pid
            result = {"cells": timed, "rss_mb": round(rss_kb(pid) / 1024), "rss_mb_by_round": []}
            for _ in range(args.rounds):
                for cell in cells[1:]:
                    run(kc, cell["code"])
                result["rss_mb_by_round"].append(round(rss_kb(pid) / 1024))
        else:
            seconds, _ = run(kc, cells[0]["code"])
            first_cells.append(seconds)
        km.shutdown_kernel(now=False)
        kc.stop_channels()
    later = [c["seconds"] for c in result["cells"][1:] if not c["name"].startswith("sql")]
    sql = [c["seconds"] for c in result["cells"] if c["name"].startswith("sql")]
    later.sort()
    summary = {
        "label": args.label,
        "start_to_ready_s": [round(s, 2) for s in starts],
        "first_cell_s": [round(s, 2) for s in first_cells],
        "median_cell_s": round(statistics.median(later), 3) if later else None,
        "p90_cell_s": round(later[min(len(later) - 1, int(round(0.9 * (len(later) - 1))))], 3) if later else None,
        "sql_cell_s": round(statistics.median(sql), 3) if sql else None,
        "rss_mb": result["rss_mb"],
        "rss_mb_by_round": result["rss_mb_by_round"],
        "errors": [c for c in result["cells"] if c["error"]],
        "cells": result["cells"],
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
