#!/usr/bin/env bash
# The real-workbench end-to-end test: installs the VSIX into a fresh code-server profile, opens a copy of
# examples/ and lets ui_check.mjs drive it in headless chromium. Exit 0 = every check passed.
# Usage: VSIX=client-vscode/sadpath.vsix [E2E_DIR=~/.cache/sadpath-e2e] [OUT=e2e-out] bash client-vscode/e2e/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E_DIR=${E2E_DIR:-$HOME/.cache/sadpath-e2e}
PORT=${PORT:-18123}
: "${VSIX:?set VSIX to the packaged extension}"
OUT=$(mkdir -p "${OUT:-$ROOT/e2e-out}" && cd "${OUT:-$ROOT/e2e-out}" && pwd)
# A Python other than the one that built the VSIX (pyenv's 3.13, else 3.12): the bundle must carry its compiled
# modules. It has neither pygls nor libcst installed: everything comes from the VSIX.
PYTHON_FOR_SERVER=${PYTHON_FOR_SERVER:-}
for candidate in "$HOME/.pyenv/versions/3.13"*/bin/python3 "$HOME/.pyenv/versions/3.12"*/bin/python3 "$(command -v python3)"; do
  if [ -z "$PYTHON_FOR_SERVER" ] && [ -x "$candidate" ]; then PYTHON_FOR_SERVER=$(realpath -s "$candidate"); fi
done
SERVER_PYTHON_VERSION=$("$PYTHON_FOR_SERVER" -c 'import platform; print(platform.python_version())')
echo "server interpreter: $PYTHON_FOR_SERVER (Python $SERVER_PYTHON_VERSION)"
RUN=$(mktemp -d /tmp/sadpath-vscode.XXXXXX)
mkdir -p "$RUN/ud/User" "$RUN/exts"
cp -r "$ROOT/examples" "$RUN/ws"
cp "$HERE/workspace/rates.ipynb" "$RUN/ws/rates.ipynb"   # the notebook step
cp "$HERE/workspace/fx.py" "$RUN/ws/fx.py"               # the typed syntax error and the three-state hover
cat > "$RUN/ud/User/settings.json" <<JSON
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "sadpath.interpreter": ["$PYTHON_FOR_SERVER"],
  "sadpath.importStrategy": "useBundled",
  "sadpath.debounceMs": 0,
  "editor.autoClosingBrackets": "never",
  "editor.hover.above": false,
  "notebook.codeActionsOnSave": { "notebook.source.fixAll.sadpath": "explicit" }
}
JSON
CS="$E2E_DIR/node_modules/.bin/code-server"
COMMON=(--config "$RUN/config.yaml" --user-data-dir "$RUN/ud" --extensions-dir "$RUN/exts")
"$CS" "${COMMON[@]}" --install-extension "$(cd "$(dirname "$VSIX")" && pwd)/$(basename "$VSIX")" > "$OUT/install.log" 2>&1
setsid "$CS" "${COMMON[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust "$RUN/ws" > "$OUT/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill -- -"$CS_PID" 2>/dev/null || true
  wait "$CS_PID" 2>/dev/null || true
  cp -r "$RUN/ud/logs" "$OUT/vscode-logs" 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
cp "$HERE/ui_check.mjs" "$E2E_DIR/sadpath_ui_check.mjs"   # ESM resolves playwright-core from the script's folder
timeout 420 node "$E2E_DIR/sadpath_ui_check.mjs" "http://127.0.0.1:$PORT/?folder=$RUN/ws" "$OUT" "$SERVER_PYTHON_VERSION"
