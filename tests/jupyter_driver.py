"""Drives a Jupyter kernel with jupyter_client (the client JupyterLab's server and nbclient use), for tests/kernel.rs.

Reads one JSON request per line on stdin and answers one JSON line on stdout:

  {"start": "sourcelab"}                          starts the kernel  -> {"seconds": …, "info": kernel_info reply content}
  {"execute": [code, …], "stop_on_error": true}   sends every cell at once (as Run All does), then collects each
                                                  one's reply and outputs -> {"cells": [{"status", "outputs", …}]}
  {"execute": [code], "interrupt_after": 1.0}     interrupts the kernel that many seconds after sending
  {"complete": code, "cursor": n}                 -> the complete_reply content
  {"inspect": code, "cursor": n}                  -> the inspect_reply content
  {"is_complete": code}                           -> the is_complete_reply content
  {"restart": true}                               -> {"seconds": …}
  {"stop": true}                                  shuts the kernel down
  {"console": [line, …], "kernel": "sourcelab", "wait_for": text}
                                                  types the lines into `jupyter console` (in a terminal, so a block
                                                  that is not closed takes more lines), waits for the text
                                                  -> {"transcript": …}
"""
import json
import os
import re
import sys
import threading
import time

from jupyter_client.manager import start_new_kernel

km = kc = None


def collect(msg_ids, timeout):
    """Replies and iopub outputs for each request, until each one's idle status."""
    cells = {m: {"outputs": [], "reply": None, "idle": False} for m in msg_ids}
    deadline = time.time() + timeout
    while not all(c["idle"] and c["reply"] is not None for c in cells.values()):
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError("the kernel did not answer in time")
        try:
            m = kc.get_iopub_msg(timeout=min(left, 0.2))
            parent = m["parent_header"].get("msg_id")
            if parent in cells:
                kind = m["msg_type"]
                if kind == "status":
                    if m["content"]["execution_state"] == "idle":
                        cells[parent]["idle"] = True
                elif kind != "execute_input":
                    cells[parent]["outputs"].append({"type": kind, **m["content"]})
        except Exception:
            pass
        try:
            while True:
                r = kc.get_shell_msg(timeout=0.01)
                parent = r["parent_header"].get("msg_id")
                if parent in cells:
                    cells[parent]["reply"] = r["content"]
        except Exception:
            pass
    return [{"status": cells[m]["reply"]["status"], "reply": cells[m]["reply"], "outputs": cells[m]["outputs"]}
            for m in msg_ids]


def shell_request(send, timeout=60):
    msg_id = send()
    while True:
        r = kc.get_shell_msg(timeout=timeout)
        if r["parent_header"].get("msg_id") == msg_id:
            return r["content"]


def handle(req):
    global km, kc
    if "start" in req:
        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name=req["start"], startup_timeout=600)
        info = shell_request(kc.kernel_info)
        return {"seconds": time.perf_counter() - t, "info": info}
    if "execute" in req:
        stop = req.get("stop_on_error", True)
        ids = [kc.execute(code, stop_on_error=stop) for code in req["execute"]]
        if "interrupt_after" in req:
            threading.Timer(req["interrupt_after"], km.interrupt_kernel).start()
        t = time.perf_counter()
        cells = collect(ids, req.get("timeout", 600))
        return {"cells": cells, "seconds": time.perf_counter() - t}
    if "complete" in req:
        return shell_request(lambda: kc.complete(req["complete"], req["cursor"]))
    if "inspect" in req:
        return shell_request(lambda: kc.inspect(req["inspect"], req["cursor"]))
    if "is_complete" in req:
        return shell_request(lambda: kc.is_complete(req["is_complete"]))
    if "restart" in req:
        t = time.perf_counter()
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=600)
        return {"seconds": time.perf_counter() - t}
    if "console" in req:
        return console(req["kernel"], req["console"], req["wait_for"])
    if "stop" in req:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        return {}
    raise ValueError(f"unknown request {req}")


def console(kernel, lines, wait_for):
    """`jupyter console` in a pseudo-terminal: each line typed and Enter pressed, as a person does. Then the
    console is quit at once (Ctrl+\\), and the answer names its kernels still running a few seconds later."""
    import pexpect
    child = pexpect.spawn(os.path.join(os.path.dirname(sys.executable), "jupyter"),
                          ["console", "--kernel", kernel, "--ZMQTerminalInteractiveShell.confirm_exit=False",
                           "--ZMQTerminalInteractiveShell.kernel_is_complete_timeout=30"],
                          encoding="utf-8", timeout=600, dimensions=(50, 200))
    child.expect(r"In .{0,40}1.{0,40}\]: ")  # the first prompt, between colour codes
    for line in lines:
        child.send(line + "\r")
        time.sleep(0.5)
    # Until the last output is there, then Ctrl+\ (leave at once).
    child.expect_exact(wait_for)
    seen = child.before + child.after
    kernels = _children(child.pid)
    if not kernels:
        raise RuntimeError("found no kernel process started by the console")
    child.sendcontrol("\\")
    # The console leaves without shutting its kernel down; what it showed is all read.
    if child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=10) == 1:
        child.terminate(force=True)
    # Its kernel notices that its parent is gone and exits.
    deadline = time.time() + 10
    while kernels and time.time() < deadline:
        kernels = [k for k in kernels if _running(k)]
        time.sleep(0.2)
    # Without the terminal's colours and cursor moves.
    return {"transcript": re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen), "orphans": kernels}


def _stat(pid):
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid):
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _children(parent):
    """Pids of the processes `parent` started."""
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    return [p for p in pids if (_stat(p) or ("", 0))[1] == parent]


def main():
    for line in sys.stdin:
        try:
            out = handle(json.loads(line))
        except Exception as e:  # reported to the test, which fails with it
            out = {"driver_error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
