#!/usr/bin/env bash
# The main job: set up everything (services, Python venv, Rust kernel) and run every lab notebook headless,
# then print a summary. Executed copies land in .sourcelab/runs/.
source "$(dirname "$0")/common.sh"
prepare_venv &
venv=$!
build_sourcelab
wait "$venv" || cat "$VENV_LOG" >&2
step "running every notebook in notebooks/"
exec "$SOURCELAB" run "$@"
