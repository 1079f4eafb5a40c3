"""``%memsize`` on big containers: its whole cost against ``asizeof`` of the same object.

Run ``python benchmarks/bench_memsize.py [--quick]`` from the repository root.

``%memsize x`` (default options: ``-d 1``, the largest 20 children and one
``other (K more)`` row) is run in a real IPython shell with the extension loaded, its
output captured: the time covers sizing, the table, the size tree widget and the display
(the widget's ``text/plain`` and ``text/html`` fallbacks are rendered). The anchor is
``asizeof(x)`` (``pympler_nb.core.asizeof``, default options) measured in the same run
on the same object; the figure is the ratio ``%memsize / asizeof`` (target: <= 1.5).

Inputs (``--quick``: a quarter of the size):

* ``list 1M``: a list of 1,000,000 numbers, ints and floats alternating;
* ``dict 300k``: 300,000 entries ``str -> list`` of three floats;
* ``DataFrame 1M``: a 1,000,000-row pandas DataFrame, an int64 and an object (str) column;
* ``nested``: a deep-ish structure: 4 levels of dicts of 20 keys over lists of 5 floats
  (160,000 leaf lists).

Each case is the best of ``--repeat`` runs (default 3; 1 with ``--quick``), with
``gc.collect()`` before each; the table of the previous run is dropped first. Both the
wall-clock time and the process's CPU time are measured (on a shared, loaded machine the
wall clock measures the load too; the CPU-time ratio does not). Before the first case,
``asizeof`` and ``%memsize`` are warmed up on a tiny object. The last
column is the table's total minus ``asizeof`` (0 but where the sizing rules of a type
name other referents than they follow, issue 13 item 1).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET = 1.5


def build(name: str, scale: float):
    n = int(1_000_000 * scale)
    if name == "list 1M":
        return [i * 0.5 if i % 2 else i + 10**6 for i in range(n)]
    if name == "dict 300k":
        m = int(300_000 * scale)
        return {f"key{i}": [i * 0.5, i * 1.5, i * 2.5] for i in range(m)}
    if name == "DataFrame 1M":
        import pandas as pd

        return pd.DataFrame({"id": range(n), "label": pd.Series([f"item-{i % 50_000}" for i in range(n)],
                                                                  dtype=object)})
    if name == "nested":
        fan = 20 if scale >= 1 else 14
        leaf = 0

        def level(depth):
            nonlocal leaf
            if depth == 0:
                leaf += 1
                return [leaf * 0.5 + k for k in range(5)]
            return {f"k{depth}_{j}": level(depth - 1) for j in range(fan)}

        return level(4)  # recursion only here, to build the input (4 levels)
    raise ValueError(name)


CASES = ("list 1M", "dict 300k", "DataFrame 1M", "nested")


def _best(fn, repeat: int) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of ``fn()``, each the best of ``repeat`` runs."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="inputs a quarter of the size, one run each")
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (best is kept)")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = parser.parse_args(argv)
    scale = 0.25 if args.quick else 1.0
    repeat = args.repeat or (1 if args.quick else 3)

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from pympler_nb.core.asizeof import asizeof

    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext pympler_nb").raise_error()
    shell.run_cell("1 + 1")  # the shell has displayed before (formatters exist)

    print(f"# %memsize benchmark ({'quick' if args.quick else 'full'}): CPython {platform.python_version()}, "
          f"best of {repeat}")
    print()
    print("| input | asizeof (s) | %memsize (s) | %memsize / asizeof | CPU: asizeof (s) | CPU: %memsize (s) | "
          "CPU ratio | table rows | asizeof bytes | table total - asizeof |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    asizeof([1.5])  # warm-up: the first sizing of the process also lists the module dicts
    shell.run_cell("df = %memsize -q [1]")  # warm-up (imports)
    worst = worst_cpu = 0.0
    for name in CASES:
        if args.only and args.only not in name:
            continue
        obj = build(name, scale)
        shell.user_ns["x"] = obj
        t_asizeof, c_asizeof = _best(lambda obj=obj: asizeof(obj), repeat)
        size = asizeof(obj)

        def run_magic(name=name):
            shell.user_ns.pop("df", None)
            with capture_output() as cap:
                result = shell.run_cell("df = %memsize x")
            if result.error_before_exec or result.error_in_exec:
                raise RuntimeError(f"%memsize failed on {name}: {result.error_before_exec or result.error_in_exec}")
            if len(cap.outputs) != 2:  # the total and the size tree
                raise RuntimeError(f"%memsize displayed {len(cap.outputs)} outputs on {name}, expected 2")

        t_memsize, c_memsize = _best(run_magic, repeat)
        df = shell.user_ns["df"]
        total = int(df["size"].iloc[0])
        ratio = t_memsize / t_asizeof
        ratio_cpu = c_memsize / c_asizeof
        worst = max(worst, ratio)
        worst_cpu = max(worst_cpu, ratio_cpu)
        print(f"| {name} | {t_asizeof:.3f} | {t_memsize:.3f} | {ratio:.2f}x | {c_asizeof:.3f} | {c_memsize:.3f} | "
              f"{ratio_cpu:.2f}x | {len(df):,} | {size:,} | {total - size:+,} |", flush=True)
        shell.user_ns.pop("x", None)
        shell.user_ns.pop("df", None)
        obj = df = None
    print()
    print(f"worst ratio {worst:.2f}x wall clock, {worst_cpu:.2f}x CPU time (target <= {TARGET}x): "
          f"{'met' if worst <= TARGET else 'NOT met'} (wall), {'met' if worst_cpu <= TARGET else 'NOT met'} (CPU)")
    print(f"load average while it ran: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(wall-clock ratios are only meaningful on an idle machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
