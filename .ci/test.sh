#!/usr/bin/env bash
# Set everything up from a fresh clone and run the whole test suite:
# Python 3.11 runs ruff and all tests (every tier, doctests included); 3.12 and 3.13 (when
# present, e.g. under pyenv) run the core tests again, with the doctests, the kernel-level
# tests and the comparisons with Pympler, because CPython's object layouts differ between
# these versions (the slow, notebooks and browser tiers run on 3.11 only). The core tests
# run twice per version: on the compiled core (pympler_nb._speedups, built by pip install)
# and on the pure-Python path (PYMPLER_NB_PURE=1). CPU-bound tiers run on two pytest-xdist
# workers; the notebooks and browser tiers (JupyterLab, kernels, chromium) one at a time.
source "$(dirname "$0")/env.sh"

# system packages: graphviz (dot) for the render tests, Debian's chromium for the
# real-browser test (driven by the playwright Python package; no browser download)
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== Python 3.11: setting up .venv"
make_venv .venv "$PY311" dev
build_js
status=0
echo "== ruff check"
.venv/bin/ruff check --no-cache pympler_nb tests benchmarks || status=1
PYTEST=(-m pytest -q -p no:cacheprovider)
echo "== Python 3.11: all tests but the notebooks and browser tiers (compiled core; two workers)"
.venv/bin/python "${PYTEST[@]}" -n 2 -m "not notebooks and not browser" || status=1
echo "== Python 3.11: the notebooks and browser tiers"
.venv/bin/python "${PYTEST[@]}" -m "notebooks or browser" || status=1
echo "== Python 3.11: core tests on the pure-Python path"
PYMPLER_NB_PURE=1 .venv/bin/python "${PYTEST[@]}" -n 2 tests/core || status=1

for v in 3.12 3.13; do
  if py=$(find_python "$v"); then
    echo "== Python $v: setting up .venv$v"
    make_venv ".venv$v" "$py" test-kernel
    echo "== Python $v: core tests, doctests, kernel-level tests, comparisons with Pympler"
    ".venv$v/bin/python" "${PYTEST[@]}" -n 2 tests/core pympler_nb || status=1
    echo "== Python $v: core tests on the pure-Python path"
    PYMPLER_NB_PURE=1 ".venv$v/bin/python" "${PYTEST[@]}" -n 2 tests/core || status=1
  else
    echo "== Python $v not found: core tests not run under $v"
  fi
done
exit $status
