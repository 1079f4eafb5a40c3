#!/usr/bin/env bash
# Set everything up from a fresh clone and open JupyterLab on the demo notebooks.
source "$(dirname "$0")/env.sh"
make_venv .venv "$PY311" dev
build_js
exec .venv/bin/jupyter lab --notebook-dir="$ROOT/notebooks" "$@"
