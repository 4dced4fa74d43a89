#!/usr/bin/env bash
# The tests: formatting, lints, then every test against the real local stack (which this starts), including
# every notebook executed headless. The Python venv installs while sourcelab builds; the stack and the kernel are
# prepared in the background while clippy and the test build use the CPU.
source "$(dirname "$0")/common.sh"
step "checking formatting (cargo fmt --check)"
cargo fmt --check
prepare_venv &
venv=$!
build_sourcelab
wait "$venv" || cat "$VENV_LOG" >&2
step "starting the local stack and preparing the Rust kernel, in the background (log: .sourcelab/setup.log)"
"$SOURCELAB" kernel install >.sourcelab/setup.log 2>&1 &
setup=$!
step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "building the tests"
cargo test --workspace --no-run --quiet
step "waiting for the stack and the kernel"
if ! wait "$setup"; then
  cat .sourcelab/setup.log >&2
  echo "error: setting up the stack or the kernel failed (above)" >&2
  exit 1
fi
cat .sourcelab/setup.log >&2
step "running the tests"
cargo test --workspace "$@"
