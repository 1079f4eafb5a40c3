"""``%reclaim``'s split on realistic workloads: does it add up, what it says, what it costs.

Run ``python benchmarks/bench_reclaim.py [--quick]`` from the repository root.

Each workload runs in a fresh interpreter (freed memory stays in a process's RSS, so
workloads must not share one) and calls :func:`pympler_nb.core.reclaim.rss_split` once
after building it (and, where the workload frees something, once more after) and
:func:`~pympler_nb.core.reclaim.trim` at the end. The table gives RSS, the main parts,
``overcount`` as a percentage of RSS (the split "adds up to RSS within 5 %" means at most
5; a workload whose overcount exceeds it makes the script exit 1), the split's
wall-clock time, and the RSS ``trim()`` returned (``gc.collect()`` +
``malloc_trim(0)``).

Workloads (``--quick``: a quarter of the size):

* ``small objects, del`` — 1.5M 70-char strings (~200 MB), every 64th kept, the rest
  deleted: pymalloc keeps the pinned pools (allocator free, not returnable by trim);
* ``700 B strings, del`` — 300,000 strings of 700 bytes (glibc's heap), every 100th kept:
  glibc's free heap, which ``malloc_trim`` returns;
* ``numpy`` — an 80 MB array of ones and a 400 MB ``np.zeros`` array written for a
  quarter (native buffers; unwritten pages are not resident);
* ``pandas`` — a 1M-row DataFrame with object, categorical and ``string[pyarrow]``
  columns, and an ``lru_cache`` of 50,000 lists;
* ``tracemalloc`` — the pandas workload built while tracemalloc traces.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRELUDE = """
import json, time
from pympler_nb.core import reclaim
out = []
def record(label):
    s = reclaim.rss_split()
    d = dict(s.parts()); d.update(label=label, rss=s.rss, overcount=s.overcount,
                                  seconds=s.seconds, objects=s.python_count)
    out.append(d)
def finish():
    r = reclaim.trim()
    out.append(dict(label="trim", returned=r.returned))
    print(json.dumps(out))
"""


def strings_then_del(count: int, repeat: int, keep_every: int) -> str:
    """A workload: ``count`` strings of ``7 * repeat`` characters, every ``keep_every``-th
    kept, the list deleted (split once built, once deleted)."""
    return f"""
        data = [("%07d" % i) * {repeat} for i in range(int({count:_} * SCALE))]
        keep = data[::{keep_every}]
        record("built")
        del data
        record("deleted")
    """


WORKLOADS = {
    "small objects, del": strings_then_del(1_500_000, 10, 64),
    "700 B strings, del": strings_then_del(300_000, 100, 100),
    "numpy": """
        import numpy as np
        ones = np.ones(int(80 * 2**20 * SCALE) // 8)
        zeros = np.zeros(int(400 * 2**20 * SCALE) // 8)
        zeros[: len(zeros) // 4] = 1.0
        record("arrays")
    """,
    "pandas": """
        import functools, numpy as np, pandas as pd
        n = int(1_000_000 * SCALE)
        df = pd.DataFrame({"obj": [f"name-{i}" for i in range(n)],
                           "cat": pd.Categorical(np.arange(n) % 50),
                           "arrow": pd.array([f"s{i}" for i in range(n)], dtype="string[pyarrow]"),
                           "num": np.arange(n, dtype="float64")})
        @functools.lru_cache(maxsize=None)
        def f(i):
            return [i] * 20
        for i in range(int(50_000 * SCALE)):
            f(i)
        record("frame")
    """,
}
WORKLOADS["tracemalloc"] = "import tracemalloc\ntracemalloc.start()\n" + textwrap.dedent(WORKLOADS["pandas"])


def run(name: str, scale: float) -> list[dict]:
    code = PRELUDE + f"SCALE = {scale}\n" + textwrap.dedent(WORKLOADS[name]) + "finish()\n"
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


def mb(n: int) -> str:
    return f"{n / 2**20:,.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the sizes")
    args = parser.parse_args(argv)
    scale = 0.25 if args.quick else 1.0
    print(f"#### %reclaim split: CPython {platform.python_version()}, {platform.machine()}"
          f"{' (--quick)' if args.quick else ''}\n")
    print("| workload | step | RSS MB | live MB | native MB | allocator free MB | "
          "traced other MB | mapped files MB | native rest MB | overcount % | split s | trim returned MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for name in WORKLOADS:
        rows = run(name, scale)
        returned = rows[-1]["returned"]
        for i, d in enumerate(rows[:-1]):
            over = 100.0 * d["overcount"] / d["rss"]
            worst = max(worst, over)
            last = i == len(rows) - 2
            print(f"| {name} | {d['label']} | {mb(d['rss'])} | {mb(d['python_live'])} | "
                  f"{mb(d['native_held'])} | {mb(d['allocator_free'])} | {mb(d['traced_other'])} | "
                  f"{mb(d['mapped_files'])} | {mb(d['native_unaccounted'])} | {over:.1f} | {d['seconds']:.2f} | "
                  f"{mb(returned) if last else ''} |", flush=True)
    print(f"\nLargest overcount: {worst:.1f} % of RSS (target: <= 5 %).")
    return 0 if worst <= 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())
