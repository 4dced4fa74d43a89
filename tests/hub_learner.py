"""A learner at the class's JupyterHub, without a browser, for tests/class.rs (run with the class venv's Python).

Each call prints one JSON object:

  login BASE NAME PASSWORD            the hub's login form, as a browser posts it -> {"ok": bool, "token": …}
                                      (on success a token of the learner's own, made with their login cookie)
  spawn BASE NAME TOKEN               starts the learner's server and waits until it answers -> {"ok", "seconds"}
  run BASE NAME TOKEN NOTEBOOK KERNEL opens NOTEBOOK (a path in the learner's server) with KERNEL, as JupyterLab
                                      does (a session, then the kernel's websocket), runs every code cell in order
                                      -> {"cells": [{"status", "text", "ename", "evalue", "seconds"}],
                                          "kernel_ready_s": … (kernel info answered), "first_result_s": …}
  get BASE NAME TOKEN PATH            GET PATH on the hub with the token -> {"status": code}
  aws KEYS_ENV AT_ENV OP BUCKET       an AWS call with the keys of one env file at the endpoint of another (boto3):
                                      OP is put (bucket + object), buckets, get, delete, queues
                                      -> {"ok", "error" (AWS's code), "buckets"}
"""
import json
import sys
import time
import uuid

import requests
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect


def login(base, name, password):
    s = requests.Session()
    s.get(f"{base}hub/login", timeout=30)
    xsrf = s.cookies.get("_xsrf", "")
    r = s.post(f"{base}hub/login", data={"username": name, "password": password, "_xsrf": xsrf},
               allow_redirects=False, timeout=60)
    if r.status_code != 302:
        return {"ok": False, "status": r.status_code}
    xsrf = s.cookies.get("_xsrf", xsrf)
    t = s.post(f"{base}hub/api/users/{name}/tokens", json={"note": "tests/class.rs"},
               headers={"X-XSRFToken": xsrf, "Referer": f"{base}hub/"}, timeout=30)
    return {"ok": t.status_code in (200, 201), "status": t.status_code, "token": t.json().get("token")}


def spawn(base, name, token):
    """Asks the hub to start the learner's server, as the "Start My Server" button does, and waits until it is
    ready. A stop still finishing (the culler's, say) is waited out and the start asked again, as the hub's spawn
    page does; a start that failed is reported with the hub's view of the server."""
    h = {"Authorization": f"token {token}"}
    t0 = time.time()
    last = {}
    while time.time() - t0 < 180:
        r = requests.post(f"{base}hub/api/users/{name}/server", headers=h, timeout=120)
        if r.status_code in (201, 202) or (r.status_code == 400 and "already running" in r.text):
            break
        if not (r.status_code == 400 and "pending stop" in r.text):
            return {"ok": False, "status": r.status_code, "body": r.text[:300]}
        time.sleep(0.5)
    while time.time() - t0 < 180:
        me = requests.get(f"{base}hub/api/users/{name}", headers=h, timeout=30).json()
        last = me.get("servers", {}).get("", {})
        if last.get("ready"):
            return {"ok": True, "seconds": round(time.time() - t0, 2)}
        if not last:
            return {"ok": False, "status": "the server stopped while starting", "user": me}
        time.sleep(0.5)
    return {"ok": False, "status": "timeout", "server": last}


async def kernel_info(ws, timeout=120):
    """Asks the kernel for its info, as JupyterLab does when it connects; True once it answered."""
    msg_id = uuid.uuid4().hex
    ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "username": "", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "content": {},
    }))
    deadline = time.time() + timeout
    while time.time() < deadline:
        raw = await ws.read_message()
        if raw is None:
            return False
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") == msg_id and m["msg_type"] == "kernel_info_reply":
            return True
    return False


async def execute(ws, code, timeout=600):
    msg_id = uuid.uuid4().hex
    ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    cell = {"status": None, "text": "", "seconds": None}
    t0 = time.time()
    idle = False
    deadline = time.time() + timeout
    while not (idle and cell["status"]):
        if time.time() > deadline:
            cell["status"] = "timeout"
            break
        raw = await ws.read_message()
        if raw is None:
            cell["status"] = "closed"
            break
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = m["msg_type"], m["content"]
        if kind == "stream":
            cell["text"] += content["text"]
        elif kind in ("execute_result", "display_data"):
            cell["text"] += content["data"].get("text/plain", "") + "\n"
        elif kind == "error":
            cell["ename"], cell["evalue"] = content["ename"], content["evalue"]
        elif kind == "execute_reply":
            cell["status"] = content["status"]
            cell["seconds"] = round(time.time() - t0, 3)
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return cell


async def run(base, name, token, notebook, kernel):
    h = {"Authorization": f"token {token}"}
    nb = requests.get(f"{base}user/{name}/api/contents/{notebook}", headers=h, timeout=30).json()["content"]
    t0 = time.time()
    s = requests.post(f"{base}user/{name}/api/sessions", headers=h, timeout=120,
                      json={"path": notebook, "type": "notebook", "name": notebook, "kernel": {"name": kernel}})
    kid = s.json()["kernel"]["id"]
    ws_base = base.replace("http", "ws", 1)
    ws = await websocket_connect(HTTPRequest(f"{ws_base}user/{name}/api/kernels/{kid}/channels", headers=h))
    ready = round(time.time() - t0, 2) if await kernel_info(ws) else None
    cells, first = [], None
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        cell = await execute(ws, src)
        if first is None:
            first = round(time.time() - t0, 2)
        cells.append(cell)
        if cell["status"] != "ok":
            break
    ws.close()
    requests.delete(f"{base}user/{name}/api/sessions/{s.json()['id']}", headers=h, timeout=60)
    return {"cells": cells, "kernel_ready_s": ready, "first_result_s": first}


def env_file(path):
    pairs = (l.split("=", 1) for l in open(path).read().splitlines() if "=" in l and not l.startswith("#"))
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def aws(keys_env, at_env, op, bucket):
    import boto3
    import botocore.exceptions
    keys, at = env_file(keys_env), env_file(at_env)
    args = dict(endpoint_url=at["AWS_ENDPOINT_URL"], region_name="us-east-1",
                aws_access_key_id=keys["AWS_ACCESS_KEY_ID"], aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"])
    s3, sqs = boto3.client("s3", **args), boto3.client("sqs", **args)
    try:
        if op == "put":
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"mine")
        elif op == "buckets":
            return {"ok": True, "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"])}
        elif op == "get":
            s3.get_object(Bucket=bucket, Key="notes.txt")["Body"].read()
        elif op == "delete":
            s3.delete_object(Bucket=bucket, Key="notes.txt")
        elif op == "queues":
            sqs.list_queues()
        return {"ok": True}
    except botocore.exceptions.ClientError as e:
        return {"ok": False, "error": e.response["Error"]["Code"]}


def main():
    cmd, base, name = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "aws":
        print(json.dumps(aws(base, name, sys.argv[4], sys.argv[5])), flush=True)
        return
    if cmd == "login":
        out = login(base, name, sys.argv[4])
    elif cmd == "spawn":
        out = spawn(base, name, sys.argv[4])
    elif cmd == "run":
        out = IOLoop.current().run_sync(lambda: run(base, name, sys.argv[4], sys.argv[5], sys.argv[6]))
    elif cmd == "get":
        r = requests.get(f"{base}{sys.argv[5].lstrip('/')}", headers={"Authorization": f"token {sys.argv[4]}"},
                         timeout=30, allow_redirects=False)
        out = {"status": r.status_code}
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
