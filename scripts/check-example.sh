#!/usr/bin/env bash
# The main job: install sadpath (first run only) and check the bundled example service.
# Exits 1 because the example is full of findings; that is the point of it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec "$VENV/bin/sadpath" check examples/ "$@"
