#!/usr/bin/env bash
# One-time, cacheable set-up of the real-workbench test: Debian's chromium, code-server and playwright-core from npm.
# Usage: E2E_DIR=~/.cache/sadpath-e2e bash client-vscode/e2e/setup.sh   (idempotent; a second run takes a second)
set -euo pipefail
E2E_DIR=${E2E_DIR:-$HOME/.cache/sadpath-e2e}
CODE_SERVER_VERSION=4.100.3   # the last code-server whose engines.node is 20 (4.101+ need node 22)
PLAYWRIGHT_VERSION=1.65.1
mkdir -p "$E2E_DIR"
stamp="$E2E_DIR/.ready-$CODE_SERVER_VERSION-$PLAYWRIGHT_VERSION"
if [ -f "$stamp" ] && [ -x "$E2E_DIR/node_modules/.bin/code-server" ] && command -v chromium >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || [ ! -e /usr/include/gssapi/gssapi.h ]; then
  apt-get update -qq
  apt-get install -y -qq chromium build-essential pkg-config libkrb5-dev ripgrep curl >/dev/null
fi
# @vscode/ripgrep's postinstall downloads rg from GitHub, which is out of reach; it looks in this cache first.
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RG_CACHE"
tmp=$(mktemp -d); cp "$(command -v rg)" "$tmp/rg"
tar czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp" rg; rm -rf "$tmp"
cd "$E2E_DIR"
[ -f package.json ] || echo '{"name":"sadpath-e2e-tools","private":true}' > package.json
# root needs --unsafe-perm for code-server's postinstall; node-pty's postinstall runs npx (npm_config_yes);
# native modules build against the nodejs deb's headers (npm_config_nodedir) instead of downloading them.
npm_config_yes=true npm_config_nodedir=/usr npm install --unsafe-perm --no-audit --no-fund \
  "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
"$E2E_DIR/node_modules/.bin/code-server" --version >/dev/null
touch "$stamp"
