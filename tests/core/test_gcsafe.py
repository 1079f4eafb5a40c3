"""Our walks never corrupt the interpreter: CPython 3.12.0-3.12.5's ``_asyncio`` module
hands out freed objects to ``gc.get_referents`` (python/cpython#122695), after which the
next ``gc.collect()`` never ends. Any process that awaited a future (every Jupyter kernel)
has them, so every walk must go through ``core.gcsafe``."""

import subprocess
import sys
import textwrap

import pytest

from pympler_nb.core import gcsafe

_SCRIPT = textwrap.dedent("""
    import asyncio, gc, sys

    async def main():
        loop = asyncio.get_running_loop()
        for _ in range(5):
            fut = loop.create_future()
            loop.call_soon(fut.set_result, 1)
            await fut

    asyncio.run(main())   # FutureIter objects now wait on the module's free list

    import _asyncio
    from pympler_nb.core import asizeof, heap, muppy, refgraph, summary, whyalive
    from pympler_nb.core.tracker import SummaryTracker

    class Payload:
        pass

    holder = {"p": Payload()}
    steps = {
        "muppy": lambda: muppy.get_objects(),
        "muppy.get_referents": lambda: muppy.get_referents(_asyncio, level=2),
        "summary": lambda: summary.summarize(muppy.get_objects()),
        "tracker": lambda: SummaryTracker().diff(),
        "heap": lambda: heap.take().by_type(),
        "asizeof": lambda: asizeof.asizeof(_asyncio, sys.modules),
        "asized": lambda: asizeof.asized(_asyncio, detail=2),
        "why_alive": lambda: whyalive.why_alive(holder["p"]),
        "refs_graph": lambda: refgraph.refs_graph(_asyncio, max_depth=2),
    }
    for name, step in steps.items():
        for _ in range(3):
            step()
            gc.collect()   # hangs here if a walk handed out the freed objects
        print(name, "ok", flush=True)
""")


@pytest.mark.parametrize("_", ["walks"])
def test_walks_leave_asyncio_free_list_alone(_):
    """Every walk, three times, each followed by a collection, in a fresh process that
    awaited futures: the process ends (on 3.12.0-3.12.5 it hung before the guard)."""
    try:
        out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"a walk corrupted the interpreter (hung after: {e.stdout!r})")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split("\n")[-2] == "refs_graph ok", out.stdout


def test_guard_is_on_exactly_where_the_bug_is():
    v = sys.version_info[:3]
    assert gcsafe.ASYNCIO_FREELIST_BUG == ((3, 12, 0) <= v < (3, 12, 6))
    import _asyncio
    refs = gcsafe.get_referents(_asyncio, [1])
    assert _asyncio.__dict__ in refs and 1 in refs
