#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), kept here so that they can be run and tested outside GitHub.
#   install: SADPATH_PYTHON, SADPATH_VERSION (empty: this checkout), SADPATH_SOURCE (the action's folder);
#            into a venv (SADPATH_VENV, default $RUNNER_TEMP/sadpath-venv) whose bin/ goes on $GITHUB_PATH
#   check:   SADPATH_ARGS, SADPATH_SARIF (true/false), SADPATH_SARIF_FILE; writes exit-code and sarif-written
#            to $GITHUB_OUTPUT and never fails itself (the action's last step does, after the upload)
set -uo pipefail
step="${1:?usage: action.sh install|check}"
output="${GITHUB_OUTPUT:-/dev/null}"
case "$step" in
  install)
    python="${SADPATH_PYTHON:-python3}"
    if [ -n "${SADPATH_VERSION:-}" ]; then
      case "$SADPATH_VERSION" in
        *.whl | */* | *://*) requirement="$SADPATH_VERSION" ;;
        *) requirement="sadpath==$SADPATH_VERSION" ;;
      esac
    else
      requirement="${SADPATH_SOURCE:?SADPATH_SOURCE is not set}"
    fi
    # an environment of its own: the runner's system Python may refuse `pip install` (PEP 668)
    venv="${SADPATH_VENV:-${RUNNER_TEMP:-/tmp}/sadpath-venv}"
    "$python" -m venv "$venv" || exit 1
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$requirement" || exit 1
    "$venv/bin/sadpath" --version || exit 1
    if [ -n "${GITHUB_PATH:-}" ]; then echo "$venv/bin" >> "$GITHUB_PATH"; fi
    ;;
  check)
    read -r -a args <<< "${SADPATH_ARGS:-.}"
    if [ "${SADPATH_SARIF:-true}" = "true" ]; then
      sarif="${SADPATH_SARIF_FILE:-sadpath.sarif}"
      sadpath check --output-format sarif --output-file "$sarif" "${args[@]}"
      status=$?
      # a concise list in the log too, without running the analysis again: the cache serves it
      sadpath check --output-format concise --exit-zero "${args[@]}" || true
      if [ -s "$sarif" ]; then echo "sarif-written=true" >> "$output"; else echo "sarif-written=false" >> "$output"; fi
    else
      sadpath check --output-format github "${args[@]}"
      status=$?
      echo "sarif-written=false" >> "$output"
    fi
    echo "exit-code=$status" >> "$output"
    ;;
  *)
    echo "action.sh: unknown step $step" >> /dev/stderr
    exit 2
    ;;
esac
exit 0
