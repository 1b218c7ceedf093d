#!/usr/bin/env bash
# The whole test suite: install (first run only), run pytest, check sadpath's own code with sadpath,
# and run the real-editor checks whose editors are installed (CI installs them all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
"$VENV/bin/python" -m pytest "$@"
echo "== sadpath check server/ (the project passes its own check)"
"$VENV/bin/sadpath" check server/
if [ -x "$ROOT/tests/nvim/run_nvim_check.sh" ]; then
  if command -v nvim >/dev/null 2>&1; then
    echo "== headless Neovim LSP check"
    PYTHON="$VENV/bin/python" "$ROOT/tests/nvim/run_nvim_check.sh"
  elif [ "${SADPATH_REQUIRE_EDITORS:-0}" = "1" ]; then
    echo "nvim is required (SADPATH_REQUIRE_EDITORS=1) but not installed" >&2
    exit 1
  else
    echo "== skipped: headless Neovim check (nvim not installed; CI installs it)"
  fi
fi
