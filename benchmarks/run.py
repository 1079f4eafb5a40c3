"""Run every pympler_nb benchmark, each in a fresh process, and print their tables.

Usage::

    .venv/bin/python benchmarks/run.py            # all (about 7 minutes on 2 cores, quiet)
    .venv/bin/python benchmarks/run.py asizeof    # only some: asizeof heap graphs classtracker
                                                  # alloc_heap memsize reclaim memvars memwatch dask

Every table compares pympler_nb with the anchors (Pympler 1.1, guppy3, objgraph,
tracemalloc's ground truth; for ``%memsize``, ``asizeof`` of the same object) measured
in the same run, as ratios. Run it on a quiet
machine: the figures are wall-clock times.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

BENCHES = ("asizeof", "heap", "graphs", "classtracker", "alloc_heap", "memsize", "reclaim", "memvars", "memwatch",
           "dask")


def main(argv: list[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}: use {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    here = pathlib.Path(__file__).resolve().parent
    status = 0
    for name in names:
        print(f"\n## {name}\n", flush=True)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, str(here / f"bench_{name}.py")], cwd=here.parent)
        status |= done.returncode
        print(f"\n<!-- bench_{name}.py: {time.perf_counter() - t0:.0f} s -->", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
