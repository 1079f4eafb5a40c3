"""``%memwatch``: what recording costs per cell, on a heap of a million objects.

Run ``python benchmarks/bench_memwatch.py [--quick]`` from the repository root.

A real IPython shell with the extension loaded holds a heap of about 1,000,000 objects
(dicts, lists, strings, floats). The same idle cell (``x = 1``) is run in batches of
``--cells`` cells with ``%memwatch`` off and on (then on with ``--light``), the off and on
batches alternating ``--repeat`` times; the overhead per cell is the difference of the
median single-cell wall times (a median, so that a cell delayed by another process on a
loaded machine does not count; the difference of the means is shown too).
Targets (issue 19, item 5): <= 150 ms on the pure-Python path, <= 40 ms with the compiled
core, <= 2 ms with ``--light``. The pure path runs in a second process
(``PYMPLER_NB_PURE=1``).

A notable cell (one that grows RSS by 64 MiB) costs one heap summary on top: the last
column shows that extra cost (the time of the whole recorded cell minus the same cell
unrecorded), so that the gate (quiet cells are not walked) is visible.

``--quick``: 300,000 objects, 20 cells, 1 repeat.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGETS = {"full": {"compiled": 0.040, "pure": 0.150}, "light": {"compiled": 0.002, "pure": 0.002}}


def _heap(n: int) -> list:
    out = []
    for i in range(n // 4):
        out.append({"k": i})
        out.append([i])
        out.append(f"s{i}")
        out.append(i * 0.5)
    return out


def _cell_times(shell, src: str, cells: int) -> list[float]:
    """Wall time of each of ``cells`` runs of ``src`` (output captured)."""
    from IPython.utils.capture import capture_output

    times = []
    with capture_output():
        for _ in range(cells):
            t0 = time.perf_counter()
            shell.run_cell(src, store_history=True)
            times.append(time.perf_counter() - t0)
    return times


def _per_cell(shell, src: str, cells: int, repeat: int) -> float:
    """The median per-cell time over ``repeat`` batches of ``cells`` cells (a median of
    single cells: a cell delayed by another process on a loaded machine does not count)."""
    times: list[float] = []
    for _ in range(repeat):
        times += _cell_times(shell, src, cells)
    return statistics.median(times)


def measure(objects: int, cells: int, repeat: int) -> dict:
    """One process: per-cell times off / on / light, and the extra cost of a notable cell."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from pympler_nb.core import pure_path_note

    shell = InteractiveShell.instance()
    with capture_output():
        shell.run_cell("%load_ext pympler_nb", store_history=True)
    shell.user_ns["heap"] = _heap(objects)
    gc.collect()
    heap_objects = len(gc.get_objects())
    idle = "x = 1"
    notable = "big = b'x' * (64 * 2**20); del big"
    out = {"path": "pure" if pure_path_note() else "compiled", "gc_objects": heap_objects}
    _per_cell(shell, idle, 3, 1)  # warm up
    out["notable_off"] = _per_cell(shell, notable, 2, 1)
    off: list[float] = []
    for mode, line in (("full", "%memwatch on"), ("light", "%memwatch on --light")):
        on: list[float] = []
        for _ in range(repeat):  # off and on batches alternate: a load that drifts hits both
            off += _cell_times(shell, idle, cells)
            with capture_output():
                shell.run_cell(line, store_history=True)
            on += _cell_times(shell, idle, cells)
            with capture_output():
                shell.run_cell("%memwatch off", store_history=True)
        out[mode] = statistics.median(on)
        out[f"{mode}_mean"] = statistics.fmean(on)
        with capture_output():
            shell.run_cell(line, store_history=True)
        out[f"notable_{mode}"] = _per_cell(shell, notable, 2, 1)
        with capture_output():
            shell.run_cell("%memwatch off", store_history=True)
    out["off"] = statistics.median(off)
    out["off_mean"] = statistics.fmean(off)
    return out


def _row(res: dict) -> list[str]:
    path = res["path"]
    cells = [path, f"{res['gc_objects']:,}", f"{res['off'] * 1e3:.2f}"]
    for mode in ("full", "light"):
        over = res[mode] - res["off"]
        mean = res[f"{mode}_mean"] - res["off_mean"]
        target = TARGETS[mode][path]
        cells.append(f"{over * 1e3:+.2f} ({'ok' if over <= target else 'over'} <= {target * 1e3:g}); "
                     f"mean {mean * 1e3:+.2f}")
    cells.append(f"{(res['notable_full'] - res['notable_off']) * 1e3:+.0f}")
    cells.append(f"{(res['notable_light'] - res['notable_off']) * 1e3:+.1f}")
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300k objects, 20 cells, 1 repeat")
    parser.add_argument("--cells", type=int, default=50, help="idle cells per batch (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="batches, the median is taken (default 3)")
    parser.add_argument("--objects", type=int, default=1_000_000, help="objects on the heap (default 1M)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.objects, args.cells, args.repeat = 300_000, 20, 1
    if args.child:
        print(json.dumps(measure(args.objects, args.cells, args.repeat)))
        return 0
    results = []
    for pure in (False, True):
        env = dict(os.environ)
        env.pop("PYMPLER_NB_PURE", None)
        if pure:
            env["PYMPLER_NB_PURE"] = "1"
        cmd = [sys.executable, os.path.abspath(__file__), "--child", f"--objects={args.objects}",
               f"--cells={args.cells}", f"--repeat={args.repeat}"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"Python {platform.python_version()}, {args.objects:,} objects built, {args.cells} idle cells "
          f"x {args.repeat}; times in ms per cell\n")
    head = ["path", "gc objects", "idle cell, off (median)", "overhead, on: median; mean",
            "overhead, --light: median; mean",
            "notable cell extra, on", "notable cell extra, --light"]
    rows = [head, ["---"] * len(head)] + [_row(r) for r in results]
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
