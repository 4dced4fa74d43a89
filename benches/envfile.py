"""Reads sourcelab's env files (KEY=value lines, # comments) for the Python side of the benchmarks."""


def settings(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v.strip("'\"")
    return env
