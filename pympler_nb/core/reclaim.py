"""Why RSS is higher than the live objects: the process's resident memory split into parts.

:func:`rss_split` measures, one after the other and as close in time as it can:

- **python_live** — every live Python object (``muppy.get_objects()``, summarised by
  type with :func:`summary.summarize`), minus the native buffers below;
- **native_held** — memory that extension objects report in their C ``__sizeof__``
  beyond their object layout (a numpy array's data buffer, Arrow buffers, pandas'
  hash tables): kept alive by live objects, but outside the Python allocator;
- **allocator_free** — memory free *inside* the allocators, which RSS still counts:
  pymalloc's available blocks and unused pools (from the allocator's own statistics,
  ``sys._debugmallocstats()``) plus glibc's free heap (``mallinfo2().fordblks``);
- **allocator_overhead** — pymalloc's pool headers, quantization, arena alignment and
  arena map;
- **traced_other** — tracemalloc's traced memory beyond the live objects and native
  buffers (0 when tracemalloc is off), and **tracemalloc_overhead**, tracemalloc's own
  memory;
- **native_unaccounted** — the rest of RSS: interpreter and library code, C stacks,
  memory of C libraries that none of the above sees.

The parts add up to ``rss``; when the measured parts exceed RSS (memory counted as free
that was never touched, or pages swapped out) ``native_unaccounted`` is 0 and
``overcount`` says by how much.

:func:`trim` runs ``gc.collect()`` and returns free heap to the operating system
(``malloc_trim(0)`` on glibc; elsewhere it says why it cannot) and reports RSS before and
after.

>>> split = rss_split(top=3)
>>> sum(size for _, size in split.parts()) == split.rss + split.overcount
True
>>> len(split.python_by_type) <= 4
True

Standard library only.
"""

from __future__ import annotations

import ctypes
import gc
import os
import re
import sys
import tempfile
import time
import tracemalloc
from itertools import compress

from . import muppy, summary
from ._format import pp
from .flatsize import SAFE_CATCH, c_sizeof
from .process import current_rss
from .values import Frozen, check_int

__all__ = [
    "RssSplit",
    "TypeRow",
    "AllocatorStats",
    "TrimResult",
    "rss_split",
    "allocator_stats",
    "trim",
    "glibc",
]

#: The parts of :class:`RssSplit`, in the order :meth:`RssSplit.parts` lists them.
PARTS = ("python_live", "native_held", "allocator_free", "allocator_overhead", "traced_other",
         "tracemalloc_overhead", "native_unaccounted")


class TypeRow(Frozen):
    """One row of a by-type table: ``name`` (type, or ``'other'``), ``count``, ``size`` (bytes)."""

    __slots__ = ("name", "count", "size")

    def __init__(self, name: str, count: int, size: int) -> None:
        self._set(name=name, count=count, size=size)

    def __repr__(self) -> str:
        return f"TypeRow({self.name!r}, count={self.count}, size={self.size})"

    def __eq__(self, other):
        return type(other) is TypeRow and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())


class AllocatorStats(Frozen):
    """The allocators' own statistics, in bytes (``None``: not available here).

    ``pymalloc_in_use`` (bytes in allocated blocks), ``pymalloc_free`` (available blocks
    plus unused pools), ``pymalloc_overhead`` (pool headers, quantization, arena alignment,
    arena map), ``pymalloc_arenas`` (bytes of the arenas allocated now);
    ``malloc_in_use`` (glibc ``uordblks``), ``malloc_free`` (``fordblks``: free heap
    chunks), ``malloc_releasable`` (``keepcost``: what trimming the top of the heap gives
    back), ``malloc_mmapped`` (``hblkhd``); ``notes``: why a figure is missing.
    """

    __slots__ = ("pymalloc_in_use", "pymalloc_free", "pymalloc_overhead", "pymalloc_arenas",
                 "malloc_in_use", "malloc_free", "malloc_releasable", "malloc_mmapped", "notes")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    @property
    def free(self) -> int:
        """Free memory inside both allocators (missing figures count 0)."""
        return (self.pymalloc_free or 0) + (self.malloc_free or 0)

    def __repr__(self) -> str:
        return (f"AllocatorStats(pymalloc_free={self.pymalloc_free}, "
                f"malloc_free={self.malloc_free})")


class RssSplit(Frozen):
    """The process's RSS split into parts (bytes); see the module docstring.

    Fields: ``rss``, the parts (:data:`PARTS`), ``overcount`` (how much the measured parts
    exceed RSS; 0 normally), ``python_count`` (live objects), ``python_by_type`` and
    ``native_by_type`` (tuples of :class:`TypeRow`, largest first, at most ``top`` rows
    plus one ``'other'`` row), ``allocators`` (:class:`AllocatorStats`), ``tracing``
    (whether tracemalloc was on), ``notes`` (what could not be measured, and why),
    ``seconds`` (time taken).
    """

    __slots__ = ("rss",) + PARTS + ("overcount", "python_count", "python_by_type",
                                    "native_by_type", "allocators", "tracing", "notes",
                                    "seconds")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    def parts(self) -> list[tuple[str, int]]:
        """``[(part, bytes), ...]`` in :data:`PARTS` order; they sum to
        ``rss + overcount``."""
        return [(name, getattr(self, name)) for name in PARTS]

    @property
    def allocator_free_pymalloc(self) -> int:
        """The part of ``allocator_free`` inside pymalloc's arenas."""
        return self.allocators.pymalloc_free or 0

    def __repr__(self) -> str:
        return (f"<RssSplit rss={self.rss} python_live={self.python_live} "
                f"native_held={self.native_held} allocator_free={self.allocator_free} "
                f"native_unaccounted={self.native_unaccounted}>")

    def __str__(self) -> str:
        rss = self.rss or 1
        lines = [f"RSS {pp(self.rss)}"]
        lines += [f"  {name:<22}{pp(size):>12}  {100 * size / rss:5.1f} %"
                  for name, size in self.parts()]
        if self.overcount:
            lines.append(f"  {'overcount':<22}{pp(self.overcount):>12}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


class TrimResult(Frozen):
    """What :func:`trim` did: ``rss_before``, ``rss_after``, ``returned``
    (``rss_before - rss_after``, bytes), ``collected`` (objects ``gc.collect()`` found
    unreachable), ``trimmed`` (whether ``malloc_trim`` ran and released memory: its
    return value; ``None`` when it could not run), ``message``."""

    __slots__ = ("rss_before", "rss_after", "returned", "collected", "trimmed", "message")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    def __repr__(self) -> str:
        return (f"<TrimResult returned={self.returned} rss_before={self.rss_before} "
                f"rss_after={self.rss_after} trimmed={self.trimmed}>")

    def __str__(self) -> str:
        return (f"RSS {pp(self.rss_before)} -> {pp(self.rss_after)}: "
                f"{pp(self.returned)} returned to the OS. {self.message}")


# ---------------------------------------------------------------------------
# the C library
_GLIBC: list = []  # [CDLL or None], looked up once


def glibc():
    """The C library through ctypes if it is glibc (``malloc_trim``, ``mallinfo2``), else None."""
    if not _GLIBC:
        _GLIBC.append(_find_glibc())
    return _GLIBC[0]


def _find_glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version
        libc.malloc_trim  # noqa: B018 - the lookup is the check
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    return libc


def _no_glibc_message() -> str:
    return (f"the C library here is not glibc ({sys.platform}): free heap cannot be returned "
            "to the OS from Python (malloc_trim is glibc's); restarting the kernel does")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]


class _Mallinfo(ctypes.Structure):  # glibc < 2.33: int fields (wrap above 2 GiB)
    _fields_ = [(name, ctypes.c_int) for name, _ in _Mallinfo2._fields_]


def _mallinfo(libc) -> tuple[dict | None, str | None]:
    """glibc's heap statistics as a dict, or ``(None, why)``."""
    if libc is None:
        return None, "malloc statistics: " + _no_glibc_message()
    try:
        fn = libc.mallinfo2
        fn.restype = _Mallinfo2
        note = None
    except AttributeError:
        try:
            fn = libc.mallinfo
        except AttributeError:
            return None, "glibc has neither mallinfo2 nor mallinfo"
        fn.restype = _Mallinfo
        note = "glibc < 2.33: mallinfo's int fields wrap above 2 GiB"
    info = fn()
    return {name: int(getattr(info, name)) % (1 << 64) for name, _ in _Mallinfo2._fields_}, note


# ---------------------------------------------------------------------------
# pymalloc's statistics
_STAT_LINE = re.compile(r"^#\s*(?P<key>[a-z ]+?)\s*=\s*(?P<value>[\d,]+)\s*$")
_UNUSED_POOLS = re.compile(r"^(?P<n>[\d,]+) unused pools \* (?P<size>[\d,]+) bytes\s*=\s*(?P<value>[\d,]+)")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def debugmallocstats_text() -> str:
    """What ``sys._debugmallocstats()`` writes to the C ``stderr``, captured by pointing
    file descriptor 2 at a temporary file for the call ("" when it cannot)."""
    fn = getattr(sys, "_debugmallocstats", None)
    if fn is None:
        return ""
    try:
        sys.stderr.flush()
    except SAFE_CATCH:
        pass
    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            try:
                fn()
            finally:
                os.dup2(saved, 2)
        finally:
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode("ascii", "replace")


def parse_debugmallocstats(text: str) -> dict[str, int]:
    """The ``# key = value`` figures of ``sys._debugmallocstats()`` output, keyed by their
    label (``'bytes in available blocks'``), plus ``'unused pools bytes'``; the
    arena-map losses are summed under ``'arena map bytes'``.

    >>> parse_debugmallocstats('''# bytes in available blocks  =   1,024
    ... 3 unused pools * 16384 bytes     =   49,152''')
    {'bytes in available blocks': 1024, 'unused pools bytes': 49152}
    """
    out: dict[str, int] = {}
    for line in text.splitlines():
        line = line.strip()
        match = _STAT_LINE.match(line)
        if match:
            key, value = match["key"], _number(match["value"])
            if key.startswith("bytes lost to arena map"):
                out["arena map bytes"] = out.get("arena map bytes", 0) + value
            else:
                out.setdefault(key, value)  # the first block: the main allocator
            continue
        match = _UNUSED_POOLS.match(line)
        if match:
            out.setdefault("unused pools bytes", _number(match["value"]))
    return out


def allocator_stats() -> AllocatorStats:
    """The allocators' statistics now (:class:`AllocatorStats`)."""
    notes = []
    stats = parse_debugmallocstats(debugmallocstats_text())
    if "bytes in allocated blocks" in stats:
        py_in_use = stats["bytes in allocated blocks"]
        py_free = stats.get("bytes in available blocks", 0) + stats.get("unused pools bytes", 0)
        py_over = sum(stats.get(k, 0) for k in ("bytes lost to pool headers",
                                                 "bytes lost to quantization",
                                                 "bytes lost to arena alignment",
                                                 "arena map bytes"))
        arenas = stats.get("arenas allocated current")
        arena_bytes = None
        if arenas is not None:
            arena_bytes = (py_in_use + py_free + py_over - stats.get("arena map bytes", 0))
    else:
        py_in_use = py_free = py_over = arena_bytes = None
        notes.append("pymalloc statistics unavailable (PYTHONMALLOC=%s or another allocator)"
                     % os.environ.get("PYTHONMALLOC", "?"))
    info, note = _mallinfo(glibc())
    if note:
        notes.append(note)
    info = info or {}
    return AllocatorStats(
        pymalloc_in_use=py_in_use, pymalloc_free=py_free, pymalloc_overhead=py_over,
        pymalloc_arenas=arena_bytes, malloc_in_use=info.get("uordblks"),
        malloc_free=info.get("fordblks"), malloc_releasable=info.get("keepcost"),
        malloc_mmapped=info.get("hblkhd"), notes=tuple(notes))


# ---------------------------------------------------------------------------
# live objects
def _native_types(types: set) -> dict:
    """``{type: C __sizeof__}`` for the types whose C ``__sizeof__`` comes from a
    third-party extension (not the interpreter, not a standard-library module): the
    memory they report beyond their object layout is allocated outside the Python
    allocator (numpy's data buffers, Arrow buffers, pandas' hash tables)."""
    out = {}
    for tp in types:
        desc = c_sizeof(tp)
        if desc is object.__sizeof__ or not _third_party(getattr(desc, "__objclass__", None)):
            continue
        out[tp] = desc
    return out


_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}


def _third_party(owner) -> bool:
    """Whether the class ``owner`` comes from outside the interpreter and the standard
    library (its module's top-level package is not a stdlib module)."""
    if owner is None:
        return False
    try:
        module = type.__dict__["__module__"].__get__(owner)
    except SAFE_CATCH:
        return False
    if type(module) is not str:
        return False
    return module.partition(".")[0] not in _STDLIB


def _native_size(desc, obj) -> int:
    try:
        extra = desc(obj) - object.__sizeof__(obj)
    except SAFE_CATCH:
        return 0
    return extra if type(extra) is int and extra > 0 else 0


def _top(rows: dict[str, list[int]], top: int) -> tuple:
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0]))
    out = [TypeRow(name, n, size) for name, (n, size) in ranked[:top]]
    rest = ranked[top:]
    if rest:
        out.append(TypeRow("other", sum(n for _, (n, _s) in rest), sum(s for _, (_n, s) in rest)))
    return tuple(out)


def _live_objects() -> tuple[int, int, dict, dict]:
    """``(python bytes, native bytes, python rows, native rows)`` of every live object;
    rows are ``{type name: [count, bytes]}``."""
    objs = muppy.get_objects()
    try:
        table = {key: [n, size] for key, n, size in summary.summarize(objs)}
        natives = _native_types(set(map(type, objs)))
        native_rows: dict[str, list[int]] = {}
        if natives:
            hits = list(compress(objs, map(natives.__contains__, map(type, objs))))
            for obj in hits:
                size = _native_size(natives[type(obj)], obj)
                if size:
                    key = summary.type_text(type(obj))
                    row = native_rows.setdefault(key, [0, 0])
                    row[0] += 1
                    row[1] += size
            del hits, obj
    finally:
        del objs
    native = 0
    for key, (_n, size) in native_rows.items():
        native += size
        if key in table:  # the summary's size includes the buffer: move it to native
            table[key][1] = max(0, table[key][1] - size)
    python = sum(size for _n, size in table.values())
    return python, native, table, native_rows


# ---------------------------------------------------------------------------
# the public functions
def rss_split(top: int = 10) -> RssSplit:
    """Split the process's RSS into parts (:class:`RssSplit`).

    Parameters
    ----------
    top : int, default 10
        Rows of the by-type tables (the rest is summed in an ``'other'`` row).

    Walks the whole heap once (about 0.3 µs per live object) after ``gc.collect()``;
    reads the allocators' statistics and RSS after the walk's temporaries are freed.
    """
    check_int(top, "top", 1, meaning="rows of the by-type tables")
    start = time.perf_counter()
    gc.collect()
    python, native, table, native_rows = _live_objects()
    count = sum(n for n, _s in table.values())
    python_by_type, native_by_type = _top(table, top), _top(native_rows, top)
    del table, native_rows
    notes: list[str] = []
    tracing = tracemalloc.is_tracing()
    traced = tm_overhead = 0
    if tracing:
        traced = tracemalloc.get_traced_memory()[0]
        tm_overhead = tracemalloc.get_tracemalloc_memory()
    else:
        notes.append("tracemalloc is off: traced_other is 0 (start it to see other traced "
                     "allocations)")
    allocators = allocator_stats()
    rss = current_rss()
    notes.extend(allocators.notes)
    traced_other = max(0, traced - python - native) if tracing else 0
    free = allocators.free
    overhead = allocators.pymalloc_overhead or 0
    measured = python + native + free + overhead + traced_other + tm_overhead
    rest = rss - measured
    if rss <= 0:
        notes.append("RSS could not be read on this platform")
    return RssSplit(
        rss=rss, python_live=python, native_held=native, allocator_free=free,
        allocator_overhead=overhead, traced_other=traced_other,
        tracemalloc_overhead=tm_overhead, native_unaccounted=max(0, rest),
        overcount=max(0, -rest), python_count=count, python_by_type=python_by_type,
        native_by_type=native_by_type, allocators=allocators, tracing=tracing,
        notes=tuple(notes), seconds=time.perf_counter() - start)


def trim() -> TrimResult:
    """``gc.collect()``, then return free heap to the OS (``malloc_trim(0)``, glibc).

    Returns a :class:`TrimResult` with RSS before and after; elsewhere than glibc only the
    collection runs and ``message`` says why no heap was returned.
    """
    before = current_rss()
    collected = gc.collect()
    libc = glibc()
    if libc is None:
        trimmed = None
        message = "gc.collect() ran; " + _no_glibc_message() + "."
    else:
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        trimmed = bool(libc.malloc_trim(0))
        message = ("gc.collect() and malloc_trim(0) ran; "
                   + ("glibc released free heap." if trimmed else "glibc had no heap to release."))
    after = current_rss()
    return TrimResult(rss_before=before, rss_after=after, returned=before - after,
                      collected=collected, trimmed=trimmed, message=message)
