#!/usr/bin/env bash
# The tests: formatting, lints, then every test against the real local stack (which this starts), including
# every notebook executed headless.
source "$(dirname "$0")/common.sh"
step "checking formatting (cargo fmt --check)"
cargo fmt --check
step "lints (cargo clippy -D warnings)"
cargo clippy --all-targets --quiet -- -D warnings
build_sourcelab
step "starting the local stack"
"$SOURCELAB" up
step "installing and preparing the Rust kernel"
"$SOURCELAB" kernel install
step "running the tests"
cargo test "$@"
