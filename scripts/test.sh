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

# The VS Code extension: TypeScript unit tests and the VSIX build (needs node and npm).
if command -v npm >/dev/null 2>&1; then
  # this machine's platform VSIX (linux-x64 here: a bundle for CPython 3.10-3.14); `npm run package:all` builds
  # every target and the universal one (client-vscode/README.md, "Building the VSIXes")
  TARGET=$(node -p 'process.platform + "-" + process.arch')
  VSIX="$ROOT/client-vscode/sadpath-$TARGET.vsix"
  echo "== VS Code extension: unit tests and the $TARGET VSIX"
  (cd "$ROOT/client-vscode" && npm ci --no-audit --no-fund --loglevel=error && npm test \
    && SADPATH_BUNDLE_PYTHON="${SADPATH_BUNDLE_PYTHON:-$VENV/bin/python}" npm run package --silent)
  echo "== the VSIX's bundled server under every CPython on this machine"
  SADPATH_VSIX="$VSIX" "$VENV/bin/python" -m pytest tests/test_bundled_server.py
  if [ "${SADPATH_REQUIRE_EDITORS:-0}" = "1" ] || [ -x "${E2E_DIR:-$HOME/.cache/sadpath-e2e}/node_modules/.bin/code-server" ]; then
    echo "== real VS Code workbench (code-server + headless chromium)"
    bash "$ROOT/client-vscode/e2e/setup.sh"
    VSIX="$VSIX" OUT="$ROOT/e2e-out" bash "$ROOT/client-vscode/e2e/run.sh"
  else
    echo "== skipped: real VS Code workbench (run client-vscode/e2e/setup.sh once to enable it)"
  fi
elif [ "${SADPATH_REQUIRE_EDITORS:-0}" = "1" ]; then
  echo "npm is required (SADPATH_REQUIRE_EDITORS=1) but not installed" >&2
  exit 1
else
  echo "== skipped: VS Code extension (npm not installed)"
fi
