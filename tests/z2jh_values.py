"""Checks Zero to JupyterHub values as helm does, for tests/k8s.rs: the values files merged over the chart's
defaults in order (a map merges key by key, a null removes the default, anything else replaces it), then the
result validated against the chart's schema (JSON Schema draft 7). Runs with the stack's venv's Python, whose
PyYAML (from moto) and jsonschema (from JupyterLab) it uses.

usage: z2jh_values.py CHART_DIR VALUES.yaml...
prints one JSON object: {"errors": [{"path": "singleuser.memory", "message": ...}], "values": <merged>,
                         "app_version": <the chart's JupyterHub>}
"""
import json
import sys

import yaml
from jsonschema import Draft7Validator


def merge(base, over):
    out = dict(base)
    for key, value in (over or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def main():
    chart, files = sys.argv[1], sys.argv[2:]
    values = yaml.safe_load(open(f"{chart}/values.yaml"))
    for f in files:
        values = merge(values, yaml.safe_load(open(f)))
    schema = yaml.safe_load(open(f"{chart}/values.schema.yaml"))
    errors = [{"path": ".".join(str(p) for p in e.absolute_path) or "(top)", "message": e.message}
              for e in Draft7Validator(schema).iter_errors(values)]
    app_version = yaml.safe_load(open(f"{chart}/Chart.yaml"))["appVersion"]
    print(json.dumps({"errors": errors, "values": values, "app_version": app_version}, default=str))


if __name__ == "__main__":
    main()
