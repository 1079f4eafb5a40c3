"""``%memvars`` on a big namespace: 1,000 variables holding 2M objects in all.

Run ``python benchmarks/bench_memvars.py [--quick]`` from the repository root.

The namespace (``--quick``: a tenth of the objects, the same 1,000 names) mixes what a
notebook holds: lists of strings and floats, dicts of tuples, numpy arrays (sized by
their buffer: one object each), object arrays, pandas DataFrames with int, object,
categorical and Arrow string columns, frames sharing blocks (``df.iloc[:, :]``), numpy
views, names bound to the same object, and lru caches. Measured, best of ``--repeat``
(``gc.collect()`` before each; wall-clock and CPU seconds):

* ``namespace_sizes(ns)`` — the engine of ``%memvars``: shallow, deep and retained size
  of every name in one walk (target: <= 2 s for the full namespace);
* ``memvars_frame(ns)`` — the same plus the DataFrame;
* ``asizeof`` of each name (``pympler_nb.core.asizeof.asizeof``, one call per name: deep
  sizes only, no retained size) and Pympler 1.1's ``asizeof`` of each name, when
  installed; the ratios are ours over theirs.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import platform
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET = 2.0
NAMES = 1000


def build(scale: float) -> dict:
    import numpy as np
    import pandas as pd

    ns: dict = {}
    per = max(1, int(2000 * scale))  # objects per list-like variable (2M in all at scale 1)
    for i in range(NAMES):
        k = i % 20
        name = f"v{i:04d}"
        if k < 8:  # a list of strings and floats: 2 * per objects + the list
            ns[name] = [f"s{i}_{j}" for j in range(per)] + [j * 0.5 for j in range(per)]
        elif k < 12:  # a dict of int -> (int, str): ~4 objects per entry
            ns[name] = {j + 10_000: (j + 10_000, str(j)) for j in range(per // 2)}
        elif k < 15:  # a float array: one object, its buffer
            ns[name] = np.arange(per * 50, dtype=float)
        elif k == 15:  # an object array of strings
            ns[name] = np.array([f"o{j}" for j in range(per)], dtype=object)
        elif k == 16:
            ns[name] = pd.DataFrame({
                "x": np.arange(per), "s": pd.Series([f"r{j}" for j in range(per)], dtype=object),
                "c": pd.Categorical(["a", "b", "c", "d"] * (per // 4)),
                "t": pd.Series(["xy"] * per, dtype="string[pyarrow]")})
        elif k == 17:  # a frame sharing the previous one's blocks, a view of an array
            ns[name] = ns[f"v{i - 1:04d}"].iloc[:, :]
            ns[name + "_view"] = ns[f"v{i - 3:04d}"][::2]
        elif k == 18:  # a second name for an object
            ns[name] = ns[f"v{i - 18:04d}"]
        else:
            @functools.lru_cache(maxsize=None)
            def cached(n):
                return [float(j) for j in range(n)]

            cached(per)
            ns[name] = cached
    return ns


def best(fn, repeat: int) -> tuple[float, float]:
    wall = cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the objects, one repeat")
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    repeat = args.repeat or (1 if args.quick else 3)

    from pympler_nb.core.asizeof import asizeof
    from pympler_nb.core.namespace_sizes import namespace_sizes
    from pympler_nb.frames_vars import memvars_frame

    ns = build(scale)
    gc.collect()
    result = namespace_sizes(ns, hidden=False)
    objects = result.objects
    print(f"#### bench_memvars — Python {platform.python_version()}, {platform.machine()}; "
          f"{len(ns)} variables, {objects:,} objects{' (--quick)' if args.quick else ''}; best of {repeat}\n")
    rows = []
    ours = best(lambda: namespace_sizes(ns, hidden=False), repeat)
    rows.append(("namespace_sizes(ns): shallow, deep, retained of every name", ours))
    rows.append(("memvars_frame(ns): the same + the DataFrame",
                 best(lambda: memvars_frame(ns, hidden=False), repeat)))
    values = list(ns.values())
    each = best(lambda: [asizeof(v) for v in values], repeat)
    rows.append(("pympler_nb asizeof(v) for each name (deep only)", each))
    try:
        from pympler import asizeof as pympler_asizeof
    except ImportError:
        pympler = None
    else:
        pympler = best(lambda: [pympler_asizeof.asizeof(v) for v in values], repeat)
        rows.append(("Pympler 1.1 asizeof(v) for each name (deep only)", pympler))
    print("| measure | wall s | CPU s | ours / this (wall) | ours / this (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for label, (wall, cpu) in rows:
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {ours[0] / wall:.2f} | {ours[1] / cpu:.2f} |")
    target = "met" if ours[0] <= TARGET else "NOT met"
    print(f"\ntarget: namespace_sizes <= {TARGET:g} s wall-clock for 1,000 variables and 2M "
          f"objects ({'quick run: not the full size' if args.quick else target}; wall "
          f"{ours[0]:.2f} s, CPU {ours[1]:.2f} s)")
    # the figures agree: deep is asizeof's, retained <= deep
    diffs = [r.deep - asizeof(ns[r.name]) for r in result]
    print(f"deep size minus asizeof per row: {sum(d == 0 for d in diffs)} of {len(diffs)} rows equal, "
          f"the others {min(diffs)} to {max(diffs)} bytes (the walk also enters what asizeof's rules "
          f"leave out, e.g. a function's code); rows with retained > deep: "
          f"{sum(r.retained > r.deep for r in result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
