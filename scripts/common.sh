# Shared by scripts/labs.sh and scripts/test.sh: where caches live, and the sourcelab binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Everything slow to rebuild lives outside the checkout, so reruns and other clones reuse it:
# the Rust build output and the kernel's compile folders.
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
  step "building sourcelab: the command, the library and the kernel (about 10 minutes the first time)"
  cargo build --bin sourcelab
}
# The Python venv (JupyterLab, nbclient, moto) installs while cargo builds: mostly downloads, little CPU. It is the
# same list `sourcelab up` installs (kernel/requirements.txt); when this fails, `up` says why and tries again.
VENV_LOG=.sourcelab/venv.log
prepare_venv() {
  mkdir -p .sourcelab
  if cmp -s kernel/requirements.txt .sourcelab/venv/sourcelab-requirements.txt 2>/dev/null; then
    return 0
  fi
  step "installing the Python venv in the background (log: $VENV_LOG)"
  {
    python3 -m venv .sourcelab/venv &&
      .sourcelab/venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -q \
        -r kernel/requirements.txt &&
      cp kernel/requirements.txt .sourcelab/venv/sourcelab-requirements.txt
  } >"$VENV_LOG" 2>&1
}
