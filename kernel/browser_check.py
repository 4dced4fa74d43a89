"""Runs notebooks in JupyterLab in headless Chromium, the way a person would, and reports what the page showed.

Called by `sourcelab browser-check` (and its test); not meant to be run by hand. It starts the venv's JupyterLab on
a free port with a fresh token, rooted at --root (copies of the notebooks, so nothing in the checkout changes),
drives Chromium with Playwright, and for every notebook: opens it from the file browser, waits for the kernel the
notebook names to become idle, picks Run > Run All Cells from the menu, waits for the last cell, saves it with
File > Save Notebook and takes a screenshot. With --restart NAME:CELL it then restarts that notebook's kernel from
the Kernel menu, runs the code cell at index CELL again and records what it printed.

Prints one JSON object on stdout: {"notebooks": [...], "restart": {...} | null, "error": str | null}. Every wait
is bounded; a step that does not happen in time is an error naming the step, with a screenshot of the page then.
"""
import argparse
import json
import os
import pathlib
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

# JupyterLab's settings for this run only (a settings folder of its own): every cell stays in the page (no
# windowing), no autosave, no news popup over the notebook.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}

# What the page shows of one notebook: per code cell its prompt and outputs (mime type, text), the header row of
# every HTML table, and every image (its natural size and whether it takes room on the page).
CELLS_JS = """
panel => Array.from(panel.querySelectorAll('.jp-Cell.jp-CodeCell')).map(cell => ({
  prompt: (cell.querySelector('.jp-InputPrompt') || {}).innerText || '',
  outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => ({
    mime: o.getAttribute('data-mime-type') || '',
    text: (o.innerText || '').trim().slice(0, 400),
  })),
  tables: Array.from(cell.querySelectorAll('.jp-OutputArea-output table')).map(t =>
    Array.from((t.querySelector('thead tr') || t.querySelector('tr') || {children: []}).children)
      .map(th => th.innerText.trim())),
  images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img')).map(img => ({
    natural_width: img.naturalWidth, natural_height: img.naturalHeight,
    visible: img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0,
  })),
}))
"""


class StepError(Exception):
    """A step of the check that did not happen: the message names it."""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jupyter", required=True)
    p.add_argument("--chromium", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--kernel", required=True, help="the kernel's display name")
    p.add_argument("--limit", type=int, default=900, help="seconds one notebook may take to run")
    p.add_argument("--restart", help="NAME:CELL")
    p.add_argument("--learner", help="a notebook to try as a learner: Run All stops at its failing cell, then Tab")
    p.add_argument("notebooks", nargs="+")
    args = p.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"notebooks": [], "restart": None, "learner": None, "error": None}
    server = None
    try:
        if not os.access(args.chromium, os.X_OK):
            raise StepError(f"Chromium is not at {args.chromium}: install the Debian package chromium")
        from playwright.sync_api import sync_playwright, Error as PlaywrightError
        server, base, token = start_jupyterlab(args, out)
        with sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=args.chromium, headless=True, timeout=60_000,
                                             args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
            except PlaywrightError as e:
                raise StepError(f"Chromium at {args.chromium} did not start: {first_line(str(e))}")
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            try:
                drive(page, args, out, base, token, report)
            except PlaywrightError as e:
                shot(page, out / "failure.png")
                raise StepError(f"{first_line(str(e))} (the page then: {out / 'failure.png'})")
            except StepError as e:
                shot(page, out / "failure.png")
                raise StepError(f"{e} (the page then: {out / 'failure.png'})")
            finally:
                browser.close()
    except StepError as e:
        report["error"] = str(e)
    except ImportError:
        report["error"] = "Playwright is not installed in the venv: run `sourcelab browser-check` to install it"
    finally:
        if server is not None:
            stop(server)
    print(json.dumps(report), flush=True)
    sys.exit(0 if report["error"] is None else 1)


def drive(page, args, out, base, token, report):
    step(f"opening JupyterLab at {base}/lab")
    page.goto(f"{base}/lab?token={token}", timeout=120_000)
    page.locator(".jp-DirListing-content").wait_for(timeout=120_000)
    restart_name, restart_cell = (args.restart.rsplit(":", 1) + [None])[:2] if args.restart else (None, None)
    for name in args.notebooks:
        panel = open_notebook(page, name)
        report["notebooks"].append(run_all(page, panel, name, args, out))
    if args.learner:
        panel = open_notebook(page, args.learner)
        report["learner"] = as_a_learner(page, panel, args.learner, args)
    if restart_name:
        panel = open_notebook(page, restart_name)
        report["restart"] = restart_and_run(page, panel, restart_name, int(restart_cell), args)


def open_notebook(page, name):
    """Double-clicks `name` in the file browser (or picks its tab when it is open) and returns its panel."""
    step(f"{name}: opening it from the file browser")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)
    if tab.count() > 0:
        tab.first.click()
    else:
        item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText",
                                                                   has_text=re.compile(f"^{re.escape(name)}$")))
        item.first.dblclick(timeout=30_000)
    panel = page.locator("#jp-main-dock-panel .jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    return panel


def kernel_name(panel):
    return panel.locator(".jp-KernelName, [data-jp-item-name='kernelName']").first.inner_text().strip()


def kernel_status(page):
    """The status bar's kernel item, "Rust (sourcelab) | Idle"; its second half, lowercased."""
    text = page.locator(".jp-StatusBar-Widget .jp-StatusBar-TextItem", has_text="|").first.inner_text()
    return text.rsplit("|", 1)[-1].strip().lower()


def wait_for(what, condition, limit, interval=0.25):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise StepError(f"{what}: not within {limit} s")


def wait_kernel(page, panel, name, limit):
    wait_for(f"{name}: the kernel {kernel_label(panel)!r} becoming idle", lambda: kernel_status(page) == "idle", limit)


def kernel_label(panel):
    try:
        return kernel_name(panel)
    except Exception:
        return "?"


def menu(page, top, item):
    """Clicks `top` in the menu bar, then `item` in the menu that opens."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{re.escape(top)}$")).first.click()
    page.locator(".lm-Menu:visible .lm-Menu-item",
                 has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))).first.click()


def run_all(page, panel, name, args, out):
    step(f"{name}: waiting for its kernel")
    wait_for(f"{name}: the notebook's kernel being picked", lambda: kernel_label(panel) == args.kernel, 120)
    wait_kernel(page, panel, name, 600)
    code_cells = panel.locator(".jp-Cell.jp-CodeCell").count()
    step(f"{name}: Run > Run All Cells ({code_cells} code cells)")
    menu(page, "Run", "Run All Cells")
    # Done when no cell waits ("[*]:") and the kernel is idle again; a failed cell stops the rest (they stay "[ ]:").
    t0 = time.monotonic()

    def finished():
        prompts = panel.locator(".jp-Cell.jp-CodeCell .jp-InputPrompt").all_inner_texts()
        busy = any("*" in p for p in prompts)
        return not busy and time.monotonic() - t0 > 1 and kernel_status(page) == "idle"

    wait_for(f"{name}: Run All Cells finishing", finished, args.limit, interval=0.5)
    seconds = round(time.monotonic() - t0, 1)
    step(f"{name}: ran in {seconds} s; File > Save Notebook, screenshot")
    menu(page, "File", "Save Notebook")
    wait_for(f"{name}: the save finishing", lambda: not panel_dirty(page), 60)
    cells = panel.element_handle().evaluate(CELLS_JS)
    shot(page, out / f"{pathlib.Path(name).stem}.png")
    saved = saved_outputs(pathlib.Path(args.root) / name)
    return {"notebook": name, "kernel": kernel_name(panel), "seconds": seconds, "cells": cells,
            "saved": saved, "screenshot": str(out / f"{pathlib.Path(name).stem}.png")}


def panel_dirty(page):
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count() > 0


def saved_outputs(path):
    """Per code cell of the saved file: its execution count and the errors among its outputs (the kernel's and
    the ones a cell returned with `?`, recorded by the notebook crate)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        errors = []
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                errors.append(f"{o.get('ename')}: {o.get('evalue')}")
        cells.append({"execution_count": c.get("execution_count"), "errors": errors})
    return cells


def as_a_learner(page, panel, name, args):
    """Run All on a notebook whose second cell fails (the rest must not run), then, in its last (empty) cell,
    `db.qu`, Tab, Enter on the match, the arguments typed after it, and the cell run."""
    step(f"{name}: waiting for its kernel")
    wait_for(f"{name}: the notebook's kernel being picked", lambda: kernel_label(panel) == args.kernel, 120)
    wait_kernel(page, panel, name, 600)
    step(f"{name}: Run > Run All Cells (the second cell fails)")
    menu(page, "Run", "Run All Cells")
    t0 = time.monotonic()

    def finished():
        prompts = panel.locator(".jp-Cell.jp-CodeCell .jp-InputPrompt").all_inner_texts()
        return not any("*" in p for p in prompts) and time.monotonic() - t0 > 1 and kernel_status(page) == "idle"

    wait_for(f"{name}: Run All Cells stopping", finished, args.limit, interval=0.5)
    after_run_all = panel.element_handle().evaluate(CELLS_JS)
    last = panel.locator(".jp-Cell.jp-CodeCell").last
    editor = last.locator(".cm-content")
    completer = page.locator(".jp-Completer:visible").first
    step(f"{name}: db. and Tab in the last cell: the members, and the documentation beside the selected one")
    editor.click()
    page.keyboard.type("db.")
    page.keyboard.press("Tab")
    completer.wait_for(state="visible", timeout=30_000)
    members = completer.locator(".jp-Completer-item .jp-Completer-match").all_inner_texts()
    docs = completer.locator(".jp-Completer-docpanel")
    try:
        documentation = wait_for(f"{name}: the documentation beside the match", lambda: docs.inner_text().strip(), 15)
    except StepError:
        documentation = ""
    page.keyboard.press("Escape")
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    step(f"{name}: db.qu, Tab, Enter, then the arguments")
    page.keyboard.type("db.qu")
    page.keyboard.press("Tab")
    offered = []
    try:
        completer.wait_for(state="visible", timeout=5_000)
        offered = completer.locator(".jp-Completer-item .jp-Completer-match").all_inner_texts()
        page.keyboard.press("Enter")
    except Exception:
        pass  # a single match goes in at once
    page.keyboard.type('("SELECT 1 AS one")?')
    typed = editor.inner_text()
    page.keyboard.press("Control+Enter")
    wait_for(f"{name}: the completed line running",
             lambda: re.search(r"\[\d+\]", last.locator(".jp-InputPrompt").inner_text()) is not None
             and kernel_status(page) == "idle", 300, interval=0.25)
    ran = panel.element_handle().evaluate(CELLS_JS)[-1]
    shot(page, pathlib.Path(args.out) / f"{pathlib.Path(name).stem}.png")
    return {"notebook": name, "cells": after_run_all, "members": members, "documentation": documentation[:600],
            "offered": offered, "typed": typed, "ran": ran}


def restart_and_run(page, panel, name, cell, args):
    step(f"{name}: Kernel > Restart Kernel…, then running code cell {cell} again")
    menu(page, "Kernel", "Restart Kernel…")
    page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=30_000)
    # The status leaves "idle" while the kernel restarts; then it comes back.
    try:
        wait_for(f"{name}: the kernel restarting", lambda: kernel_status(page) != "idle", 10, interval=0.1)
    except StepError:
        pass  # it restarted faster than we looked
    wait_kernel(page, panel, name, 600)
    target = panel.locator(".jp-Cell.jp-CodeCell").nth(cell)
    target.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")
    wait_for(f"{name}: code cell {cell} running after the restart",
             lambda: re.search(r"\[\d+\]", target.locator(".jp-InputPrompt").inner_text()) is not None
             and kernel_status(page) == "idle", 300, interval=0.25)
    after = panel.element_handle().evaluate(CELLS_JS)[cell]
    return {"notebook": name, "cell": cell, "kernel": kernel_name(panel), "prompt": after["prompt"],
            "outputs": after["outputs"]}


def start_jupyterlab(args, out):
    """Starts the venv's JupyterLab on a free port with a fresh token; returns (process, base URL, token)."""
    step("starting JupyterLab")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    settings = out / "jupyterlab-settings"
    for rel, value in SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value), encoding="utf-8")
    log = open(out / "jupyterlab.log", "w", encoding="utf-8")
    server = subprocess.Popen(
        [args.jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={args.root}",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={out / 'jupyterlab-workspaces'}",
         "--ServerApp.port_retries=0"] + (["--allow-root"] if os.geteuid() == 0 else []),
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={**os.environ, "JUPYTER_TOKEN": token})
    base = f"http://127.0.0.1:{port}"

    def answers():
        if server.poll() is not None:
            raise StepError(f"JupyterLab exited ({server.returncode}); its log: {out / 'jupyterlab.log'}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for("JupyterLab answering", answers, 120, interval=0.5)
    except StepError:
        stop(server)
        raise
    return server, base, token


def stop(server):
    """Stops the JupyterLab this script started (it shuts its kernels down), by its pid."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def shot(page, path):
    try:
        page.screenshot(path=str(path))
    except Exception:
        pass


def step(text):
    print(f"sourcelab browser-check: {text}", file=sys.stderr, flush=True)


def first_line(text):
    return text.strip().splitlines()[0] if text.strip() else text


if __name__ == "__main__":
    main()
