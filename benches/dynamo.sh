#!/usr/bin/env bash
# DynamoDB, side by side in one run (release build of the Rust side):
#  (1) converters on the same 100k generated items of mixed types, both directions: sourcelab's marshal functions,
#      serde_dynamo (from/to a Rust struct) and boto3's TypeSerializer/TypeDeserializer;
#  (2) bulk load of 10k items into the local moto server: Dynamo::batch_write against boto3's batch_writer().
# Prints items/s for each. Needs the local stack (bash scripts/labs.sh or `sourcelab up`).
source "$(dirname "$0")/../scripts/common.sh"
PY="$ROOT/.sourcelab/venv/bin/python"
ENV_FILE="$ROOT/.sourcelab/local.env"
step "release build of the Rust side"
bench_bin() {
  cargo build --release --bench "$1" --message-format=json 2>/dev/null \
    | "$PY" -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and m["target"]["name"] == sys.argv[1]][-1])' "$1"
}
MARSHAL=$(bench_bin marshal)
LOAD=$(bench_bin dynamo_load)
ITEMS=$(mktemp --suffix=.jsonl)
trap 'rm -f "$ITEMS"' EXIT
echo "== converters, 100k items (items/s) =="
"$MARSHAL" "$ITEMS"
"$PY" "$ROOT/benches/dynamo.py" convert "$ITEMS"
echo "== bulk load into moto, 10k items (items/s) =="
"$LOAD" "$ENV_FILE"
"$PY" "$ROOT/benches/dynamo.py" load "$ENV_FILE"
