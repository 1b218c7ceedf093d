#!/usr/bin/env bash
# Headless Neovim (Debian bookworm ships 0.7.2) opens a file of examples/ with sadpath as its language server
# and must receive sadpath's diagnostics, a hover and code actions. Exit non-zero otherwise.
# Usage: PYTHON=.venv/bin/python tests/nvim/run_nvim_check.sh [FILE] [OUT]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FILE=${1:-$ROOT/examples/orders_service/payments.py}
OUT=${2:-${TMPDIR:-/tmp}/sadpath-nvim-check.txt}
# realpath -s keeps the venv's bin/python (resolving the link would run the base interpreter without sadpath)
export SADPATH_PYTHON=$(realpath -s "${PYTHON:-$ROOT/.venv/bin/python}") OUT
cd "$ROOT/examples"
# timeout: a Lua error during start-up leaves headless nvim waiting instead of exiting
timeout 90 nvim --headless -n -i NONE -u "$HERE/lsp_check.lua" "$FILE"
