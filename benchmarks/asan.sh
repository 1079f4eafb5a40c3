#!/usr/bin/env bash
# Build pympler_nb._speedups with AddressSanitizer and run the core tests on it (issue 18).
#
#   bash benchmarks/asan.sh                                   # tests/core (long)
#   bash benchmarks/asan.sh tests/core/test_speedups.py -x    # any pytest arguments
#
# PYTHON (default: .venv/bin/python, else python3) must have the test-core extra. The
# tracked files are copied to a temporary directory, where the extension is built with
# -fsanitize=address (the checkout's own build is left alone); the interpreter is not
# instrumented, so libasan is preloaded (leak detection off: CPython keeps its caches
# until exit; a 16 MB quarantine of freed memory, not the default 256 MB, which stays
# resident and fails the tests that bound RSS growth). Any ASan report aborts the run
# with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$WORK"
cd "$WORK"
"$PY" hatch_build.py --asan
LIBASAN=$(${CC:-gcc} -print-file-name=libasan.so)
[ -f "$LIBASAN" ] || { echo "asan.sh: libasan.so not found (install gcc's libasan)"; exit 1; }
[ $# -gt 0 ] || set -- tests/core
export LD_PRELOAD="$LIBASAN" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:quarantine_size_mb=16 PYTHONPATH="$WORK"
"$PY" -c "import pympler_nb.core as c; assert c.ACCELERATED, 'the ASan build did not load'; print('ASan build of', c._accel.speedups().__file__)"
# ASan brings its own malloc: no glibc heap ([heap] segment, malloc_trim) and freed memory
# held in quarantine, so the tests of glibc's heap and of RSS returned by a free do not apply
GLIBC_HEAP=(--deselect tests/core/test_process.py::test_memory_segments_of_this_process_cover_rss
            --deselect tests/core/test_reclaim.py::test_trim_returns_freed_heap_on_glibc
            --deselect tests/core/test_ledger.py::test_recorder_on_a_shell)
"$PY" -m pytest -q -p no:cacheprovider "${GLIBC_HEAP[@]}" "$@"
