#!/usr/bin/env bash
# Set everything up from a fresh clone and run the whole test suite:
# Python 3.11 runs all tests; 3.12 and 3.13 (when present, e.g. under pyenv) run the
# core tests again, because CPython's object layouts differ between these versions.
source "$(dirname "$0")/env.sh"

if ! command -v dot >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "== installing graphviz (dot) for the render tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
fi

echo "== Python 3.11: setting up .venv"
make_venv .venv "$PY311" dev
status=0
echo "== Python 3.11: all tests"
.venv/bin/python -m pytest -q -p no:cacheprovider || status=1

for v in 3.12 3.13; do
  if py=$(find_python "$v"); then
    echo "== Python $v: setting up .venv$v"
    make_venv ".venv$v" "$py" test-core
    echo "== Python $v: core tests"
    ".venv$v/bin/python" -m pytest -q -p no:cacheprovider tests/core || status=1
  else
    echo "== Python $v not found: core tests not run under $v"
  fi
done
exit $status
