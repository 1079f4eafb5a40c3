"""Ground truth for object sizes: what CPython really allocated, measured by ``tracemalloc``.

This is the accuracy oracle of the test-suite (``tests/core/test_asizeof_truth.py``) and of
the benchmark (``benchmarks/bench_asizeof.py``).  It knows nothing about
``pympler_nb.core.asizeof``: it only watches the allocator while an object is built.

``ground_truth(build)`` returns a :class:`Truth` whose ``obj`` is the object ``build()``
returned, and whose ``raw`` is the number of bytes of all the allocations made while
building it that are still alive afterwards.  See :func:`ground_truth` for the protocol and
its caveats.
"""

from __future__ import annotations

import gc
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["NUMPY_TRACE_DOMAIN", "Truth", "ground_truth", "round16", "traced_leftover"]

#: the tracemalloc domain numpy reports its data buffers in (``NPY_TRACE_DOMAIN``).
NUMPY_TRACE_DOMAIN = 389047


def round16(size: int) -> int:
    """``size`` rounded up to a multiple of 16 (pymalloc's size classes on 64-bit)."""
    return (size + 15) & ~15


class Truth(NamedTuple):
    """What building an object cost, as seen by the allocators.

    raw          bytes CPython requested (sum of the traced allocations' sizes,
                 plus Arrow's bytes, see ``arrow``)
    rounded16    the same with every traced allocation rounded up to 16 bytes
                 (``arrow`` is added as is: Arrow already pads to 64 bytes)
    allocations  number of traced allocations
    obj          the object ``build()`` returned (alive: size it next)
    arrow        bytes held by pyarrow's default memory pool (included in raw and rounded16)
    by_domain    ``{tracemalloc domain: raw bytes}``; 0 is Python's allocators,
                 389047 numpy's data buffers
    """

    raw: int
    rounded16: int
    allocations: int
    obj: Any
    arrow: int = 0
    by_domain: dict | None = None

    def __repr__(self) -> str:  # never the repr of a million-element obj
        return (
            f"Truth(raw={self.raw}, rounded16={self.rounded16}, allocations={self.allocations}, "
            f"obj=<{type(self.obj).__name__}>, arrow={self.arrow}, by_domain={self.by_domain})"
        )


def _arrow_bytes() -> int | None:
    """Bytes currently allocated by pyarrow's default pool, or None if pyarrow is not loaded."""
    pa = sys.modules.get("pyarrow")
    if pa is None:
        return None
    return int(pa.total_allocated_bytes())


_THIS_FILE = os.path.normcase(os.path.abspath(__file__))
_TRACEMALLOC_FILE = os.path.normcase(os.path.abspath(tracemalloc.__file__))


def _code_lines(func: Callable) -> range:
    code = func.__code__
    last = max((line for _, _, line in code.co_lines() if line is not None), default=code.co_firstlineno)
    return range(code.co_firstlineno, last + 1)


def _collect_and_get_traces() -> tuple[list, int | None]:
    """Collect garbage (and empty freelists), then copy the traces and read Arrow's pool.

    Every allocation whose innermost frame is this function is the measurement's own: the
    list ``_get_traces()`` returns is allocated before the traces are copied.
    """
    gc.collect()
    arrow = _arrow_bytes()
    # take_snapshot() is _get_traces() wrapped into a Snapshot; the raw list of
    # (domain, size, traceback, ...) tuples is all we need and is much cheaper to
    # walk for millions of traces than Trace objects.
    return tracemalloc._get_traces(), arrow


def _traced_run(action: Callable[[], Any], nframes: int) -> tuple[Any, list, int]:
    """Run ``action()`` under tracemalloc; return its result, the traces still alive and
    the change of pyarrow's allocated bytes (0 without pyarrow).

    Garbage is collected first (a full ``gc.collect()`` also empties CPython's freelists
    of floats, tuples, lists, dicts, dict keys, contexts and async generators) and the
    collector is disabled while ``action`` runs, so no unrelated collection frees or
    reuses memory in the middle.  After ``action`` a second full collection frees the
    cyclic temporaries of ``action`` and empties the freelists again: a temporary parked
    in a freelist is still allocated and traced, and must not count.
    """
    if tracemalloc.is_tracing():
        raise RuntimeError("ground truth needs tracemalloc for itself: it is already tracing")
    gc.collect()
    # read after the collection: Arrow buffers of earlier cyclic garbage are freed by now
    arrow_before = _arrow_bytes()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    # gc.callbacks observe collections and may allocate (hypothesis times every collection):
    # not part of what is measured, so muted for the window
    callbacks = gc.callbacks[:]
    gc.callbacks.clear()
    try:
        tracemalloc.start(nframes)
        try:
            result = action()
            traces, arrow_after = _collect_and_get_traces()
        finally:
            tracemalloc.stop()
    finally:
        gc.callbacks[:] = callbacks
        if gc_was_enabled:
            gc.enable()
    arrow = 0 if arrow_after is None else arrow_after - (arrow_before or 0)
    return result, traces, arrow


# Lines whose allocations are the measurement's own, never the object's.
_OWN_LINES = frozenset(_code_lines(_collect_and_get_traces)) | frozenset(_code_lines(_arrow_bytes))


def _own(traceback: tuple) -> bool:
    """True for a trace allocated by the measurement itself, not by the measured code."""
    if not traceback:
        return False
    filename, lineno = traceback[0]
    kind = _FILE_KIND.get(filename)
    if kind is None:
        path = os.path.normcase(os.path.abspath(filename)) if filename else ""
        kind = _FILE_KIND[filename] = 2 if path == _TRACEMALLOC_FILE else 1 if path == _THIS_FILE else 0
    return kind == 2 or (kind == 1 and lineno in _OWN_LINES)


_FILE_KIND: dict[str, int] = {}


def ground_truth(build: Callable[[], Any], *, warmup: bool = True, nframes: int = 1) -> Truth:
    """Build an object under ``tracemalloc`` and measure the memory it holds.

    Protocol: (optionally build once and throw it away, see ``warmup``), ``gc.collect()``,
    ``gc.disable()``, ``tracemalloc.start()``, ``obj = build()``, ``gc.collect()``, take
    the traces, ``tracemalloc.stop()``, ``gc.enable()``.  Tracing starts right before
    ``build`` runs, so every trace alive at the end was allocated while building and is
    still held; the temporaries of ``build`` are freed and gone.  Traces made by the
    measurement itself (the traces list, tracemalloc's own frames) are excluded.

    * ``raw``: sum of the sizes of those allocations, over all tracemalloc domains: numpy
      reports its data buffers (which it allocates with ``malloc``) in domain 389047.
    * ``rounded16``: each allocation rounded up to 16 bytes, then summed: what pymalloc
      really hands out for a small block.
    * Arrow: pyarrow allocates its buffers from its own memory pool (mimalloc/jemalloc),
      which tracemalloc cannot see.  If pyarrow is imported, the change of
      ``pyarrow.total_allocated_bytes()`` over the build is added to ``raw`` and
      ``rounded16`` and reported as ``arrow``.

    Caveats (what this oracle cannot see, or sees although it is not the object's):

    * Memory that does not go through ``PyMem``/``PyObject``/``PyTraceMalloc_Track`` or
      Arrow's pool is invisible: C++ ``new`` of Arrow's metadata (``ArrayData``,
      ``shared_ptr`` blocks: a few hundred bytes per array), private C caches of
      extensions.  Allocations served from a cache filled before tracing are invisible too:
      CPython's freelists are emptied by ``gc.collect()`` first, but numpy's small
      dimension/stride cache and the one-slot slice cache are not.
    * Anything ``build`` leaves alive counts, reachable from ``obj`` or not: lazily built
      module-level caches, imports, interned strings, the growth of a class's shared keys.
      ``warmup=True`` (default) builds and discards one object first so that first-use
      costs are paid before tracing.  Objects that ``obj`` refers to but that existed
      before ``build`` (classes, code objects, interned names, small ints, singletons)
      do not count.
    * The truth is what was *allocated*, which can depend on how an object was made, not
      only on what it is now: a 1-digit int is 32 bytes from ``PyLong_FromLong`` (range,
      arithmetic) but 28 from ``_PyLong_New(1)`` (``int(str)``, json); a sum of
      multi-digit ints keeps one unused digit; ``PyType_GenericAlloc`` gives var-sized
      heap subclasses (namedtuples, int/bytes subclasses) one item more than
      ``sys.getsizeof`` reports.  Workloads that compare a sizer with this oracle should
      make their objects in one stated way.
    * Allocations of other threads while ``build`` runs count too: run it alone.
    * ``tracemalloc`` must not be tracing already (it is started and stopped here).
    """
    if warmup:
        build()  # pays first-use costs (imports, caches, shared keys); the result dies here
    obj, traces, arrow = _traced_run(build, nframes)

    raw = rounded = count = 0
    by_domain: dict[int, int] = {}
    for trace in traces:
        domain, size, traceback = trace[0], trace[1], trace[2]
        if _own(traceback):
            continue
        raw += size
        rounded += (size + 15) & ~15
        count += 1
        by_domain[domain] = by_domain.get(domain, 0) + size
    del traces
    return Truth(raw + arrow, rounded + arrow, count, obj, arrow, by_domain)


def traced_leftover(action: Callable[[], Any], *, nframes: int = 1) -> int:
    """Bytes that ``action()`` leaves allocated once its result is dropped and garbage
    is collected (the observer effect of, e.g., sizing an object): 0 for a clean action.

    Same protocol as :func:`ground_truth` (``gc.collect()`` before and after, so freelists
    are empty on both sides), but the result of ``action`` is discarded before the second
    collection.  Only the measurement's own traces are excluded; Arrow bytes left
    allocated count too.
    """

    def run() -> None:
        action()  # the result is dropped right away

    _, traces, arrow = _traced_run(run, nframes)
    return sum(t[1] for t in traces if not _own(t[2])) + arrow
