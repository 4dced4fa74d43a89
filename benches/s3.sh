#!/usr/bin/env bash
# S3 transfers against the local moto server, side by side in one run (release build of the Rust side):
# upload and download of a 1 GiB file and of 1,000 small objects (1–16 KiB), sourcelab's S3 helpers against
# boto3's upload_file/download_file. Prints MB/s or objects/s, and each process's peak memory.
# Needs the local stack (bash scripts/labs.sh or `sourcelab up`). BIG_MB=256 bash benches/s3.sh for a quicker run.
source "$(dirname "$0")/../scripts/common.sh"
PY="$ROOT/.sourcelab/venv/bin/python"
ENV_FILE="$ROOT/.sourcelab/local.env"
step "release build of the Rust side"
BIN=$(cargo build --release --bench s3_transfer --message-format=json 2>/dev/null \
  | "$PY" -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and m["target"]["name"] == "s3_transfer"][-1])')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
head -c "$(( ${BIG_MB:-1024} * 1024 * 1024 ))" /dev/urandom > "$WORK/big.bin"
mkdir "$WORK/small"
for i in $(seq 1 1000); do head -c $(( (i % 16 + 1) * 1024 )) /dev/urandom > "$WORK/small/$(printf %04d "$i").bin"; done
run() { # label command... -> its output lines, then its peak memory
  local out
  out=$( { /usr/bin/time -f "RSS %M" "$@"; } 2>&1 )
  echo "$out" | grep -v '^RSS'
  echo "$out" | sed -n 's/^RSS \(.*\)/peak_memory_MB \1/p' | awk '{printf "%s %.0f\n", $1, $2/1024}'
}
echo "== ${BIG_MB:-1024} MiB file, in the order sourcelab, boto3, boto3, sourcelab =="
# moto's first large upload into a fresh process is the slowest (it grows its memory), whoever makes it: one
# unmeasured upload goes first, and the order ABBA gives each side one early and one late run.
"$BIN" "$ENV_FILE" big "$WORK/big.bin" > /dev/null
run "$BIN" "$ENV_FILE" big "$WORK/big.bin"
run "$PY" "$ROOT/benches/s3.py" "$ENV_FILE" big "$WORK/big.bin"
run "$PY" "$ROOT/benches/s3.py" "$ENV_FILE" big "$WORK/big.bin"
run "$BIN" "$ENV_FILE" big "$WORK/big.bin"
echo "== 1,000 small objects =="
run "$BIN" "$ENV_FILE" small "$WORK/small"
run "$PY" "$ROOT/benches/s3.py" "$ENV_FILE" small "$WORK/small"
