"""Executes notebooks headless with nbclient and reports each one as a JSON line on stdout.

Called by `sourcelab run`; not meant to be run by hand. For every notebook it writes the executed copy
(.ipynb) and an HTML rendering into the output folder, and prints one JSON object:
{"notebook", "cells", "seconds", "startup_seconds", "cell_seconds", "status", "failed_cell", "error"}.
"""
import argparse
import json
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter


def run_one(path, args):
    nb = nbformat.read(path, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    cell_seconds = {}
    started = {}

    def on_cell_start(cell, cell_index):
        started[cell_index] = time.perf_counter()

    name = pathlib.Path(path).name

    def on_cell_executed(cell, cell_index, execute_reply):
        cell_seconds[cell_index] = time.perf_counter() - started.get(cell_index, time.perf_counter())
        print(f"  {name}: {len(cell_seconds)}/{len(code_cells)} cells ({cell_seconds[cell_index]:.2f} s)",
              file=sys.stderr, flush=True)

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        resources={"metadata": {"path": str(pathlib.Path(path).parent)}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    result = {"notebook": str(path), "cells": len(code_cells), "status": "ok", "failed_cell": None, "error": None}
    print(f"sourcelab: running {name} ({len(code_cells)} cells): starting the kernel", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    startup = None
    try:
        with client.setup_kernel():
            startup = time.perf_counter() - t0
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    except CellExecutionError as e:
        result["status"] = "failed"
        result["failed_cell"] = next((i for i in code_cells if i not in cell_seconds or _has_error(nb.cells[i])), None)
        result["error"] = _short(str(e))
    except (CellTimeoutError, DeadKernelError, RuntimeError, TimeoutError) as e:
        result["status"] = "failed"
        result["failed_cell"] = next((i for i in code_cells if i not in cell_seconds), None)
        result["error"] = f"{type(e).__name__}: {_short(str(e))}"
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result["startup_seconds"] = None if startup is None else round(startup, 2)
    result["cell_seconds"] = [round(cell_seconds.get(i, -1.0), 3) for i in code_cells]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = pathlib.Path(path).stem
    nbformat.write(nb, out / f"{stem}.ipynb")
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / f"{stem}.html").write_text(html, encoding="utf-8")
    return result


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
    p.add_argument("notebooks", nargs="+")
    args = p.parse_args()
    failed = False
    for path in args.notebooks:
        result = run_one(path, args)
        failed |= result["status"] != "ok"
        print(json.dumps(result), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
