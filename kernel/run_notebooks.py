"""Executes notebooks headless with nbclient and reports each one as a JSON line on stdout.

Called by `sourcelab run` and `sourcelab grade`; not meant to be run by hand. For every notebook it writes the
executed copy (.ipynb) and an HTML rendering into the output folder, and prints one JSON object:
{"notebook", "cells", "seconds", "startup_seconds", "cell_seconds", "status", "failed_cell", "error", "checks"};
"checks" has, for every cell that calls a check, whether it ran, the ✓ line it printed and the error the kernel
reported for it (ename, evalue, traceback: a check that fails returns an error whose first line starts "check ").

`sourcelab run` stops a notebook at its first failed cell (status "failed"). With --grade (`sourcelab grade`) every
cell runs whatever the earlier ones did, within --limit seconds per notebook; the status is "ok", "timeout" (a
cell or the notebook ran out of time), "dead" (the kernel died) or "broken" (the file is not a notebook).

Each notebook gets a fresh kernel. The next notebook's kernel starts while the current one runs: a Rust kernel
spends its first seconds warming its engine (rust-analyzer, the notebook crate), and most cells wait on a service,
so the warm-up costs the run almost nothing instead of a few seconds per notebook.
"""
import argparse
import json
import pathlib
import sys
import time

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter


def start_kernel(path, args):
    """A kernel for the notebook at `path`, started now (in its folder, as nbclient would start it)."""
    km = AsyncKernelManager(kernel_name=args.kernel)
    run_sync(km.start_kernel)(cwd=str(pathlib.Path(path).parent))
    return km


def stop_kernel(km):
    """Stops a kernel this script started (its process only), and frees its connection files."""
    if km is None:
        return
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=False)
    except RuntimeError:
        pass
    finally:
        run_sync(km.cleanup_resources)()


def run_one(path, args, km):
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # not JSON, or not a notebook: reported, never fatal to the other notebooks
        return {"notebook": str(path), "cells": 0, "status": "broken", "failed_cell": None, "seconds": 0,
                "startup_seconds": None, "cell_seconds": [], "checks": [],
                "error": f"the file is not a notebook: {_short(str(e), 300)}"}
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    cell_seconds = {}
    started = {}
    failures = []

    def on_cell_start(cell, cell_index):
        started[cell_index] = time.perf_counter()

    name = pathlib.Path(path).name

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if execute_reply else {}
        if content.get("status") == "error":
            failures.append((cell_index, f"{content.get('ename')}: {content.get('evalue')}"))
        cell_seconds[cell_index] = time.perf_counter() - started.get(cell_index, time.perf_counter())
        print(f"  {name}: {len(cell_seconds)}/{len(code_cells)} cells ({cell_seconds[cell_index]:.2f} s)",
              file=sys.stderr, flush=True)

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        resources={"metadata": {"path": str(pathlib.Path(path).parent)}},
        allow_errors=args.grade,
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
        km=km,
    )
    result = {"notebook": str(path), "cells": len(code_cells), "status": "ok", "failed_cell": None, "error": None}
    print(f"sourcelab: running {name} ({len(code_cells)} cells): waiting for its kernel", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    startup = None
    try:
        with client.setup_kernel():
            startup = time.perf_counter() - t0
            for index, cell in enumerate(nb.cells):
                if args.grade and time.perf_counter() - t0 > args.limit:
                    result["status"] = "timeout"
                    result["error"] = f"the notebook ran longer than {args.limit} s"
                    break
                client.execute_cell(cell, index)
                if failures and not args.grade:
                    result["status"] = "failed"
                    result["failed_cell"], result["error"] = failures[0]
                    break
    except CellExecutionError as e:
        result["status"] = "failed"
        result["failed_cell"] = next((i for i in code_cells if i not in cell_seconds or _has_error(nb.cells[i])), None)
        result["error"] = _short(str(e))
    except (CellTimeoutError, DeadKernelError, RuntimeError, TimeoutError) as e:
        result["status"] = "failed"
        if args.grade:
            result["status"] = "dead" if isinstance(e, DeadKernelError) else "timeout"
        result["failed_cell"] = next((i for i in code_cells if i not in cell_seconds), None)
        result["error"] = f"{type(e).__name__}: {_short(str(e))}"
    finally:
        if client.kc is not None:  # the kernel is the caller's (km=): nbclient leaves its client open
            client.kc.stop_channels()
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["startup_seconds"] = None if startup is None else round(startup, 2)
    result["cell_seconds"] = [round(cell_seconds.get(i, -1.0), 3) for i in code_cells]
    # Every check cell, so that `sourcelab grade` (and a test of the solutions) can judge each exercise.
    result["checks"] = [_check(nb.cells[i], i, i in cell_seconds) for i in code_cells if "check::" in nb.cells[i].source]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = pathlib.Path(path).stem
    nbformat.write(nb, out / f"{stem}.ipynb")
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / f"{stem}.html").write_text(html, encoding="utf-8")
    return result


def _check(cell, index, executed):
    """What one check cell did: its ✓ line, or the error the kernel reported."""
    passed = None
    for o in cell.get("outputs", []):
        texts = [o.get("text", "")] + [v for v in o.get("data", {}).values() if isinstance(v, str)]
        passed = passed or next((t.strip() for t in texts if isinstance(t, str) and t.strip().startswith("✓")), None)
    error = next(({"ename": o.get("ename"), "evalue": o.get("evalue"), "traceback": o.get("traceback", [])}
                  for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    return {"cell": index, "executed": executed, "passed": passed, "error": error}


def _has_error(cell):
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _short(text, limit=4000):
    return text if len(text) <= limit else text[:limit] + "…"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--startup-timeout", type=int, default=3600)
    p.add_argument("--grade", action="store_true")
    p.add_argument("--limit", type=int, default=600)
    p.add_argument("notebooks", nargs="+")
    args = p.parse_args()
    failed = False
    kernels = [start_kernel(args.notebooks[0], args)]
    try:
        for i, path in enumerate(args.notebooks):
            if i + 1 < len(args.notebooks):
                kernels.append(start_kernel(args.notebooks[i + 1], args))
            result = run_one(path, args, kernels[0])
            stop_kernel(kernels.pop(0))
            failed |= result["status"] != "ok"
            print(json.dumps(result), flush=True)
    finally:
        for km in kernels:
            stop_kernel(km)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
