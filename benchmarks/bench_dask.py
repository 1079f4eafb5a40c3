"""pympler_nb.distributed on a LocalCluster: wall time of each call and the size of what
comes back, with a small and a large heap on the workers (the results stay bounded).

Usage::

    .venv/bin/python benchmarks/bench_dask.py            # 2 workers; 200,000 and 2,000,000 extra objects each
    .venv/bin/python benchmarks/bench_dask.py --quick    # 2 workers; 20,000 and 200,000

Needs the dask extra (``pip install "pympler_nb[dask]"``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import pickle
import platform
import sys
import time


def _ballast(n):
    import sys as _sys
    import types

    mod = _sys.modules.setdefault("bench_dask_ballast", types.ModuleType("bench_dask_ballast"))
    mod.items = [{"i": i, "name": f"row {i}"} for i in range(n // 3)]  # ~3 objects per row
    return n


def _measure(client, pdd) -> list[tuple[str, float, int, int]]:
    out = []

    def timed(name, fn):
        t0 = time.perf_counter()
        df = fn()
        seconds = time.perf_counter() - t0
        out.append((name, seconds, len(df), len(pickle.dumps(df))))

    timed("heap_summary(top=10)", lambda: pdd.heap_summary(client, top=10))

    def block():
        with pdd.memdiff(client, top=10) as md:
            client.run(_ballast, 3000)
        return md.frame

    timed("memdiff(top=10) around a call", block)
    timed("unmanaged(top=10)", lambda: pdd.unmanaged(client, top=10))
    timed("whyalive('dict', limit=1)", lambda: pdd.whyalive(client, "dict", limit=1, max_chains=3))
    timed("workers_frame()", lambda: pdd.workers_frame(client))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller heaps (CI smoke run)")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    from pympler_nb import distributed as pdd

    sizes = (20_000, 200_000) if args.quick else (200_000, 2_000_000)
    import dask
    import distributed

    print(f"#### pympler_nb.distributed on a LocalCluster (2 workers x 1 thread, processes): "
          f"CPython {platform.python_version()}, dask {dask.__version__}, distributed {distributed.__version__}"
          + (" (--quick)" if args.quick else ""))
    print()
    print("| call | extra objects per worker | seconds | rows | pickled result bytes |")
    print("|---|---:|---:|---:|---:|")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        for n in sizes:
            client.run(_ballast, n)
            for name, seconds, rows, nbytes in _measure(client, pdd):
                print(f"| {name} | {n:,} | {seconds:.2f} | {rows} | {nbytes:,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
