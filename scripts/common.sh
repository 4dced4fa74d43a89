# Shared by scripts/labs.sh and scripts/test.sh: where caches live, and the sourcelab binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Everything slow to rebuild lives outside the checkout, so reruns and other clones reuse it:
# the Rust build output, evcxr_jupyter and the kernel's compile cache.
export SOURCELAB_CACHE="${SOURCELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sourcelab}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SOURCELAB_CACHE/target}"
export SOURCELAB_HOME="$ROOT"
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install Rust (1.95 or newer) with rustup: https://rustup.rs" >&2
  exit 1
fi
step() { printf '\n==> %s\n' "$*" >&2; }
SOURCELAB="$CARGO_TARGET_DIR/debug/sourcelab"
build_sourcelab() {
  step "building sourcelab: the command and the library the kernel loads (about 7 minutes the first time)"
  cargo build --lib --bin sourcelab
}
