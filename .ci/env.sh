# Shared set-up for .ci/test.sh and .ci/lab.sh (sourced, not run).
# Creates .venv (Python 3.11, everything) and, when the interpreters exist, .venv3.12 and
# .venv3.13 (what the core and kernel-level tests need: the test-kernel extra), installing
# from this repo's pyproject.toml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

find_python() {  # find_python 3.12 -> path of a python3.12 interpreter, or nothing
  local v=$1 p
  for p in "$(command -v "python$v" 2>/dev/null || true)" \
           "$(pyenv prefix "$v" 2>/dev/null | head -n1)/bin/python" \
           "$HOME"/.pyenv/versions/"$v"*/bin/python; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$v'.split('.'))))" 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  return 1
}

make_venv() {  # make_venv DIR PYTHON EXTRAS [more pip args]
  # (pip builds the widgets' JavaScript: pyproject's hatch-jupyter-builder hook runs npm)
  local dir=$1 py=$2 extras=$3; shift 3
  ensure_node
  if [ ! -x "$dir/bin/python" ]; then
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
  fi
  "$dir/bin/python" -m pip install -q -e ".[$extras]" "$@"
}

PY311=$(find_python 3.11) || { echo "Python 3.11 is required (not found on PATH or under pyenv)" >&2; exit 1; }

node_requirement() {  # the one statement of the Node.js version: package.json "engines"
  "$PY311" -c 'import json; print(json.load(open("package.json"))["engines"]["node"])'
}

ensure_node() {  # Node.js and npm, to build the widgets' front end (apt-get when missing)
  if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== apt-get install nodejs npm (to build the widgets' JavaScript)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  command -v npm >/dev/null 2>&1 || {
    echo "Node.js $(node_requirement) and npm are required to build the widgets (js/): install them" >&2
    return 1; }
}

build_js() {  # (re)build the widgets' front end into pympler_nb/static/ (git-ignored)
  ensure_node
  # npm ci only when node_modules is missing or older than the lock file
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  echo "== npm run build (pympler_nb/static/)"
  npm run --silent build
}
