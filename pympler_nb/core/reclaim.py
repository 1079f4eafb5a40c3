"""Why RSS is higher than the live objects: the process's resident memory split into parts.

:func:`rss_split` measures, one after the other and as close in time as it can:

- **python_live** — every live Python object (``muppy.get_objects()``, summarised by
  type with :func:`summary.summarize`), minus the native buffers below;
- **native_held** — memory that extension objects report in their C ``__sizeof__``
  beyond their object layout (a numpy array's data buffer, Arrow buffers, pandas'
  hash tables): kept alive by live objects, but outside the Python allocator;
- **allocator_free** — memory free *inside* the allocators, which RSS still counts:
  pymalloc's available blocks and unused pools (from the allocator's own statistics,
  ``sys._debugmallocstats()``; hidden while tracemalloc traces) plus the free heap of
  glibc's main arena that is still resident (``malloc_info`` and the ``[heap]``
  mapping's RSS: pages ``malloc_trim`` returned are not counted);
- **allocator_overhead** — pymalloc's pool headers, quantization, arena alignment and
  arena map;
- **traced_other** — tracemalloc's traced memory beyond the live objects and native
  buffers (0 when tracemalloc is off), and **tracemalloc_overhead**, tracemalloc's own
  memory;
- **mapped_files** — file-backed pages in RSS (``/proc/self/smaps``): the interpreter's
  and the extension modules' code and data, memory-mapped files;
- **native_unaccounted** — the rest of RSS: anonymous memory none of the above sees
  (C libraries' own heaps and caches, thread stacks, Arrow's pool overhead).

The parts add up to ``rss``. Live objects, pymalloc's available blocks, glibc's resident free
heap, the allocators' overhead and mapped files are taken as resident; pymalloc's unused
pools, native buffers and other traced allocations get at most what RSS leaves, in that
order (a pool never carved from its arena, a buffer allocated and never written is not
resident: ``not_resident`` says how much). When the resident parts alone exceed RSS (pages
swapped out) ``native_unaccounted`` is 0 and ``overcount`` says by how much.

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
from ._format import format_size, type_name
from .flatsize import CHEAP_MAX, SAFE_CATCH, c_sizeof, layout_size, max_flat, own_sizeof
from .process import current_rss, memory_segments
from .values import Frozen, check_int

__all__ = [
    "RssSplit",
    "TypeRow",
    "AllocatorStats",
    "TrimResult",
    "rss_split",
    "malloc_in_use",
    "allocator_stats",
    "trim",
    "glibc",
    "Holder",
    "releasable_holders",
    "debugmallocstats_text",
    "parse_debugmallocstats",
    "main_arena",
]

#: The parts of :class:`RssSplit`, in the order :meth:`RssSplit.parts` lists them.
PARTS = ("python_live", "native_held", "allocator_free", "allocator_overhead", "traced_other",
         "tracemalloc_overhead", "mapped_files", "native_unaccounted")


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
    plus unused pools), ``pymalloc_unused_pools`` (the unused pools' part of it: a pool
    never carved from its arena is not resident), ``pymalloc_overhead`` (pool headers,
    quantization, arena alignment, arena map), ``pymalloc_arenas`` (bytes of the arenas
    allocated now);
    ``malloc_in_use`` (glibc ``uordblks``), ``malloc_free`` (``fordblks``: free heap
    chunks, in every arena, resident or not), ``malloc_free_resident`` (the free bytes of
    glibc's main arena still in RSS: the ``[heap]`` mapping's RSS minus what is in use
    there; other threads' arenas are left to the native rest), ``malloc_releasable``
    (``keepcost``: what trimming the top of the heap gives back), ``malloc_mmapped``
    (``hblkhd``); ``notes``: why a figure is missing.
    """

    __slots__ = ("pymalloc_in_use", "pymalloc_free", "pymalloc_unused_pools", "pymalloc_overhead",
                 "pymalloc_arenas",
                 "malloc_in_use", "malloc_free", "malloc_free_resident", "malloc_releasable",
                 "malloc_mmapped", "notes")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    @property
    def free(self) -> int:
        """Free memory inside both allocators (missing figures count 0): pymalloc's available
        blocks and unused pools, glibc's resident free heap."""
        return (self.pymalloc_free or 0) + (self.malloc_free_resident or 0)

    @property
    def free_resident(self) -> int:
        """The part of :attr:`free` that is surely resident: pymalloc's available blocks
        (written when they were used) and glibc's resident free heap; unused pools may
        never have been touched."""
        return self.free - (self.pymalloc_unused_pools or 0)

    def __repr__(self) -> str:
        return (f"AllocatorStats(pymalloc_free={self.pymalloc_free}, "
                f"malloc_free={self.malloc_free})")


class RssSplit(Frozen):
    """The process's RSS split into parts (bytes); see the module docstring.

    Fields: ``rss``, the parts (:data:`PARTS`), ``overcount`` (how much the measured parts
    exceed RSS; 0 normally), ``not_resident`` (bytes of pymalloc's unused pools, native
    buffers and traced allocations that RSS does not hold: allocated but never written;
    ``allocator_free``, ``native_held`` and ``traced_other`` count only what RSS leaves for
    them), ``python_count`` (live objects), ``python_by_type`` and ``native_by_type``
    (tuples of :class:`TypeRow`, largest first, at most ``top`` rows plus one ``'other'``
    row), ``allocators`` (:class:`AllocatorStats`), ``tracing``
    (whether tracemalloc was on), ``notes`` (what could not be measured, and why),
    ``seconds`` (time taken).
    """

    __slots__ = ("rss",) + PARTS + ("overcount", "not_resident", "python_count", "python_by_type",
                                    "native_by_type", "allocators", "tracing", "notes",
                                    "seconds")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    def parts(self) -> list[tuple[str, int]]:
        """``[(part, bytes), ...]`` in :data:`PARTS` order; they sum to
        ``rss + overcount``."""
        return [(name, getattr(self, name)) for name in PARTS]

    def __repr__(self) -> str:
        return (f"<RssSplit rss={self.rss} python_live={self.python_live} "
                f"native_held={self.native_held} allocator_free={self.allocator_free} "
                f"native_unaccounted={self.native_unaccounted}>")

    def __str__(self) -> str:
        rss = self.rss or 1
        lines = [f"RSS {format_size(self.rss)}"]
        lines += [f"  {name:<22}{format_size(size):>12}  {100 * size / rss:5.1f} %"
                  for name, size in self.parts()]
        if self.overcount:
            lines.append(f"  {'overcount':<22}{format_size(self.overcount):>12}")
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
        return (f"RSS {format_size(self.rss_before)} -> {format_size(self.rss_after)}: "
                f"{format_size(self.returned)} returned to the OS. {self.message}")


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


def malloc_in_use() -> int | None:
    """Bytes the C allocator has handed out and not got back (glibc's ``uordblks +
    hblkhd``: arena chunks in use plus mmapped chunks), or None when the C library is not
    glibc. Unlike RSS it moves when an allocation reuses free heap that is still
    resident; a few microseconds a call.

    >>> n = malloc_in_use()
    >>> n is None or n > 0
    True
    """
    info, _ = _mallinfo(glibc())
    if info is None:
        return None
    return info["uordblks"] + info["hblkhd"]


_XML_TOTAL = re.compile(r'<total type="(fast|rest)" count="\d+" size="(\d+)"/>')
_XML_CURRENT = re.compile(r'<system type="current" size="(\d+)"/>')


def _malloc_info_text(libc) -> str:
    """glibc's ``malloc_info(0, fp)`` XML, written to a memory stream ("" if it fails)."""
    try:
        open_memstream, malloc_info = libc.open_memstream, libc.malloc_info
        fclose, free = libc.fclose, libc.free
    except AttributeError:
        return ""
    buf, size = ctypes.c_void_p(), ctypes.c_size_t()
    open_memstream.restype = ctypes.c_void_p
    open_memstream.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    fclose.argtypes = [ctypes.c_void_p]
    free.argtypes = [ctypes.c_void_p]
    fp = open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not fp:
        return ""
    try:
        malloc_info(0, fp)
    finally:
        fclose(fp)
    try:
        return ctypes.string_at(buf.value, size.value).decode("ascii", "replace") if buf.value else ""
    finally:
        free(buf)


def main_arena(xml: str) -> tuple[int, int] | None:
    """``(free bytes, bytes obtained from the system)`` of glibc's main arena (``<heap
    nr="0">`` of ``malloc_info``), or None.

    >>> main_arena('<heap nr="0"><total type="fast" count="1" size="32"/>'
    ...            '<total type="rest" count="2" size="1000"/><system type="current" size="4096"/>'
    ...            '</heap>')
    (1032, 4096)
    """
    start = xml.find('<heap nr="0">')
    end = xml.find("</heap>", start)
    if start < 0 or end < 0:
        return None
    part = xml[start:end]
    current = _XML_CURRENT.search(part)
    if current is None:
        return None
    return sum(int(size) for _, size in _XML_TOTAL.findall(part)), int(current.group(1))


def _resident_main_free(libc) -> tuple[int | None, str | None]:
    """Free bytes of glibc's main arena that are still resident: the ``[heap]`` mapping's
    RSS minus what the arena has in use, at most the arena's free bytes (free pages that
    ``malloc_trim`` already returned are not resident)."""
    arena = main_arena(_malloc_info_text(libc))
    if arena is None:
        return None, "glibc's malloc_info could not be read: free heap not counted"
    free, current = arena
    heap_rss = sum(s.rss for s in memory_segments() if s.kind == "heap")
    if not heap_rss:
        return None, "no [heap] mapping in /proc/self/smaps: glibc's free heap not counted"
    return max(0, min(free, heap_rss - (current - free))), None


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
        py_unused = stats.get("unused pools bytes", 0)
        py_free = stats.get("bytes in available blocks", 0) + py_unused
        py_over = sum(stats.get(k, 0) for k in ("bytes lost to pool headers",
                                                 "bytes lost to quantization",
                                                 "bytes lost to arena alignment",
                                                 "arena map bytes"))
        arenas = stats.get("arenas allocated current")
        arena_bytes = None
        if arenas is not None:
            arena_bytes = (py_in_use + py_free + py_over - stats.get("arena map bytes", 0))
    else:
        py_in_use = py_free = py_unused = py_over = arena_bytes = None
        if tracemalloc.is_tracing():
            notes.append("pymalloc's statistics are hidden while tracemalloc traces (CPython "
                         "reports them only when pymalloc is the installed allocator): its free "
                         "memory is counted in native_unaccounted")
        else:
            notes.append("pymalloc statistics unavailable (PYTHONMALLOC=%s or another allocator)"
                         % os.environ.get("PYTHONMALLOC", "not set"))
    libc = glibc()
    info, note = _mallinfo(libc)
    if note:
        notes.append(note)
    resident = None
    if info:
        resident, note = _resident_main_free(libc)
        if note:
            notes.append(note)
    info = info or {}
    return AllocatorStats(
        pymalloc_in_use=py_in_use, pymalloc_free=py_free, pymalloc_unused_pools=py_unused,
        pymalloc_overhead=py_over,
        pymalloc_arenas=arena_bytes, malloc_in_use=info.get("uordblks"),
        malloc_free=info.get("fordblks"), malloc_free_resident=resident,
        malloc_releasable=info.get("keepcost"),
        malloc_mmapped=info.get("hblkhd"), notes=tuple(notes))


# ---------------------------------------------------------------------------
# live objects
def _native_types(types: dict) -> dict:
    """``{id(type): (type, C __sizeof__)}`` (from ``{id(type): type}``) for the types whose
    C ``__sizeof__`` comes from a third-party extension (not the interpreter, not a
    standard-library module): the memory they report beyond their object layout is
    allocated outside the Python allocator (numpy's data buffers, pandas' hash tables).

    Left out: numpy scalars (their value is inline, not a buffer) and pyarrow's objects
    (an array and its chunks report the same buffers: Arrow memory is read once, from
    pyarrow's memory pool, by :func:`_arrow_pool`)."""
    out = {}
    for key, tp in types.items():
        desc = c_sizeof(tp)
        if desc is object.__sizeof__:
            continue
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
            owner = next((k for k in mro if own_sizeof(k) is desc), None)
            paths = [_class_path(k) for k in mro]
        except SAFE_CATCH:
            continue
        if owner is None or not _third_party(owner) or ("numpy", "generic") in paths \
                or any(type(m) is str and m.partition(".")[0] == "pyarrow" for m, _ in paths):
            continue
        out[key] = (tp, desc)
    return out


def _arrow_types(types: dict) -> set:
    """Ids of the pyarrow types among ``{id(type): type}`` (by module name)."""
    out = set()
    for key, tp in types.items():
        try:
            module = type.__dict__["__module__"].__get__(tp)
        except SAFE_CATCH:
            continue
        if type(module) is str and module.partition(".")[0] == "pyarrow":
            out.add(key)
    return out


def _arrow_pool() -> int:
    """Bytes allocated from pyarrow's default memory pool (0 when pyarrow is not
    imported: it is never imported here)."""
    module = sys.modules.get("pyarrow")
    fn = getattr(module, "total_allocated_bytes", None) if module is not None else None
    if fn is None:
        return 0
    try:
        size = fn()
    except SAFE_CATCH:
        return 0
    return size if type(size) is int and 0 <= size <= max_flat() else 0


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
    """What ``obj``'s C ``__sizeof__`` reports beyond its layout; 0 for a size no object
    of this process can have (a lying ``__sizeof__``: ``10**15``, a float)."""
    try:
        extra = desc(obj) - object.__sizeof__(obj)
    except SAFE_CATCH:
        return 0
    if type(extra) is not int or extra <= 0:
        return 0
    return extra if extra <= CHEAP_MAX or extra <= max_flat() else 0


def _array_types(natives: dict) -> set:
    """The types among ``natives`` that are numpy arrays (by name: ``numpy.ndarray`` in
    the MRO): their buffer's address is public (``__array_interface__``)."""
    out = set()
    for key, (tp, _desc) in natives.items():
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
            if any(_class_path(k) == ("numpy", "ndarray") for k in mro):
                out.add(key)
        except SAFE_CATCH:
            continue
    return out


def _class_path(klass) -> tuple:
    """``(module, name)`` of a class, read from the type's own slots (no metaclass code)."""
    return (type.__dict__["__module__"].__get__(klass), type.__dict__["__name__"].__get__(klass))


_LOW_BIT = bytes(i & 1 for i in range(256))


def _resident_buffer(obj, size: int) -> int:
    """Bytes of the array's own buffer (``size`` bytes from its data address) that are in
    RSS, by ``mincore``; ``size`` where that cannot be asked (not Linux, no address)."""
    libc = glibc()
    if libc is None or size <= 0:
        return size
    try:
        address = obj.__array_interface__["data"][0]
    except SAFE_CATCH:
        return size
    if type(address) is not int or address <= 0:
        return size
    page = _pagesize()
    start = address - address % page
    length = address + size - start
    pages = (length + page - 1) // page
    vec = (ctypes.c_ubyte * pages)()
    mincore = libc.mincore
    mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    mincore.restype = ctypes.c_int
    if mincore(start, length, vec) != 0:
        return size
    resident = bytes(vec).translate(_LOW_BIT).count(1)
    return min(size, resident * page)


def _pagesize() -> int:
    """The page size (``mmap.PAGESIZE``)."""
    import mmap

    return mmap.PAGESIZE


def _top(rows: dict[str, list[int]], top: int) -> tuple:
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0]))
    out = [TypeRow(name, n, size) for name, (n, size) in ranked[:top]]
    rest = ranked[top:]
    if rest:
        out.append(TypeRow("other", sum(n for _, (n, _s) in rest), sum(s for _, (_n, s) in rest)))
    return tuple(out)


def _live_objects() -> tuple[int, int, int, dict, dict]:
    """``(python bytes, native bytes, native bytes not resident, python rows, native rows)``
    of every live object; rows are ``{type name: [count, bytes]}``."""
    absent = 0
    objs = muppy.get_objects()
    try:
        table = {key: [n, size] for key, n, size in summary.summarize(objs)}
        # types keyed by id: a metaclass may make hashing a type raise
        types = {id(t): t for t in map(type, objs)}
        natives = _native_types(types)
        arrow = _arrow_types(types)
        if arrow:  # their size rule adds Arrow buffers: the pool counts those, once
            wrappers: dict[str, int] = {}
            for obj in compress(objs, map(arrow.__contains__, map(id, map(type, objs)))):
                key = summary.type_text(type(obj))
                wrappers[key] = wrappers.get(key, 0) + layout_size(obj)
            for key, size in wrappers.items():
                if key in table:
                    table[key][1] = size
            del obj
        native_rows: dict[str, list[int]] = {}
        if natives:
            hits = list(compress(objs, map(natives.__contains__, map(id, map(type, objs)))))
            arrays = _array_types(natives)
            for obj in hits:
                size = _native_size(natives[id(type(obj))][1], obj)
                if size:
                    key = summary.type_text(type(obj))
                    row = native_rows.setdefault(key, [0, 0])
                    row[0] += 1
                    row[1] += size
                    if id(type(obj)) in arrays:
                        absent += size - _resident_buffer(obj, size)
            del hits, obj
    finally:
        del objs
    pool = _arrow_pool()
    if pool:
        native_rows["pyarrow memory pool"] = [1, pool]
    native = 0
    for key, (_n, size) in native_rows.items():
        native += size
        if key in table:  # the summary's size includes the buffer: move it to native
            table[key][1] = max(0, table[key][1] - size)
    python = sum(size for _n, size in table.values())
    return python, native, absent, table, native_rows


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
    python, native, absent, table, native_rows = _live_objects()
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
    traced_beyond = max(0, traced - python - native) if tracing else 0
    free = allocators.free_resident
    pools = allocators.pymalloc_unused_pools or 0
    overhead = allocators.pymalloc_overhead or 0
    # live objects and the allocators' own figures are resident; native buffers and other
    # traced allocations may not be (np.zeros / np.empty pages never written, a zlib
    # window never filled): they get what RSS leaves, and the rest is reported
    segments = memory_segments()
    mapped = sum(seg.rss for seg in segments if seg.kind == "file")
    if not segments:
        notes.append("no /proc/self/smaps here: library code and mapped files are counted in "
                     "native_unaccounted")
    rest = rss - (python + free + overhead + tm_overhead + mapped)
    overcount = max(0, -rest)
    # pymalloc's unused pools: freed pools are resident, pools never carved from their arena
    # are not; they get what RSS leaves first (a fresh arena is mostly untouched pools)
    pools_resident = min(pools, max(0, rest))
    rest -= pools_resident
    free += pools_resident
    native_resident = min(native - absent, max(0, rest))
    rest -= native_resident
    traced_other = min(traced_beyond, max(0, rest))
    rest -= traced_other
    not_resident = ((native - native_resident) + (traced_beyond - traced_other)
                    + (pools - pools_resident))
    if not_resident:
        notes.append(f"{format_size(not_resident)} of native buffers, traced allocations or "
                     "unused pymalloc pools are not in RSS (allocated, never written: "
                     "np.zeros/np.empty pages, unused windows, pools not yet carved)")
    if rss <= 0:
        notes.append("RSS could not be read on this platform")
    return RssSplit(
        rss=rss, python_live=python, native_held=native_resident, allocator_free=free,
        allocator_overhead=overhead, traced_other=traced_other,
        tracemalloc_overhead=tm_overhead, mapped_files=mapped, native_unaccounted=max(0, rest),
        overcount=overcount, not_resident=not_resident, python_count=count,
        python_by_type=python_by_type, native_by_type=native_by_type, allocators=allocators,
        tracing=tracing, notes=tuple(notes), seconds=time.perf_counter() - start)


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


# ---------------------------------------------------------------------------
# the largest releasable holders
class Holder(Frozen):
    """A large object the session holds, with what releasing it takes (``%whyalive``'s
    plan): ``name`` (how the session reaches it: ``'df'``, ``'Out[3]'``,
    ``'sys.last_value'``), ``type``, ``deep_size`` (bytes), ``releasable_bytes`` (what the
    plan frees; ``None`` when the object is too large to compute it, then at most
    ``deep_size``), ``plan`` (the statements to run, in order), ``manual`` (holders no
    safe statement releases, in words), ``needs_collect`` (the bytes go at the next
    ``gc.collect()``), ``hidden_refs`` (references no visible holder explains),
    ``truncated`` (the search stopped early: more holders may exist)."""

    __slots__ = ("name", "type", "deep_size", "releasable_bytes", "plan", "manual",
                 "needs_collect", "hidden_refs", "truncated")

    def __init__(self, **fields) -> None:
        self._set(**fields)

    def __repr__(self) -> str:
        return (f"<Holder {self.name} {self.type} deep={self.deep_size} "
                f"releasable={self.releasable_bytes} plan={list(self.plan)}>")


def _skip_value(value) -> bool:
    """Values that are not data a user frees: modules, classes, functions, singletons."""
    import types as _types

    from .asizeof import is_static

    if value is None or value is True or value is False or value is Ellipsis:
        return True
    if isinstance(value, (_types.ModuleType, type, _types.FunctionType,
                          _types.BuiltinFunctionType, _types.MethodType)):
        return True
    try:
        return bool(is_static(value))
    except SAFE_CATCH:
        return True


def _locators(shell) -> list[tuple[str, object]]:
    """``[(name, getter)]``: where the session holds data — user variables, the output
    cache (``Out[n]``), ``_``/``__``/``___``, ``sys.last_value``. Getters re-read the
    slot, so nothing is kept between steps."""
    from .session import OUT_VAR, UNDERSCORES

    out: list[tuple[str, object]] = []
    if shell is not None:
        ns = getattr(shell, "user_ns", None) or {}
        hidden = getattr(shell, "user_ns_hidden", None) or {}
        skip = set(UNDERSCORES) | {"In", "Out", "_oh", "_ih", "_dh", "exit", "quit",
                                   "get_ipython"}
        for name in list(ns):
            if not isinstance(name, str) or name in skip or OUT_VAR.match(name) \
                    or name.startswith("_i") or (name in hidden and hidden[name] is ns.get(name)):
                continue
            out.append((name, lambda ns=ns, name=name: ns.get(name)))
        cache = ns.get("Out")
        if isinstance(cache, dict):
            for key in sorted(k for k in cache if isinstance(k, int)):
                out.append((f"Out[{key}]", lambda cache=cache, key=key: cache.get(key)))
        for name in UNDERSCORES:
            out.append((name, lambda ns=ns, name=name: ns.get(name)))
    else:
        main = sys.modules.get("__main__")
        ns = getattr(main, "__dict__", {})
        for name in list(ns):
            if isinstance(name, str) and not name.startswith("__"):
                out.append((name, lambda ns=ns, name=name: ns.get(name)))
    out.append(("sys.last_value", lambda: getattr(sys, "last_value", None)))
    return out


def releasable_holders(top: int = 3, min_size: int = 1 << 20, max_nodes: int = 200_000,
                       shell=None, outputs_after: int = 0) -> tuple:
    """The largest objects the session holds, each with ``%whyalive``'s release plan.

    Parameters
    ----------
    top : int, default 3
        How many holders to explain (the largest deep sizes first). Each costs one
        ``why_alive`` search over the heap (about a second per million objects).
    min_size : int, default 1 MiB
        Objects smaller than this (deep size) are not listed.
    max_nodes : int, default 200,000
        ``why_alive``'s bound: objects visited by the search, and the largest structure
        whose releasable bytes are computed (beyond it ``releasable_bytes`` is None: at
        most the deep size). The release computation costs about 10 µs per object.
    shell : optional
        The IPython shell (default: the running one; without one, ``__main__``'s globals).
    outputs_after : int, default 0
        As :func:`~pympler_nb.core.whyalive.why_alive`'s: 1 when the caller's result becomes
        the cell's output (``_`` moves to ``__``), so that plans name the underscores as
        they will read then.

    Returns
    -------
    tuple of Holder
        Largest releasable bytes first (unknown ones by deep size).
    """
    from . import asizeof as _asizeof
    from .session import own_ids, running_shell
    from .whyalive import why_alive

    check_int(top, "top", 0, meaning="holders to explain")
    check_int(min_size, "min_size", 0, meaning="bytes")
    check_int(max_nodes, "max_nodes", 1)
    check_int(outputs_after, "outputs_after", 0)
    if top == 0:
        return ()
    shell = running_shell() if shell is None else shell
    own = own_ids()
    seen: dict[int, tuple[str, int]] = {}
    for name, get in _locators(shell):
        value = get()
        if id(value) in seen or id(value) in own or _skip_value(value):
            continue
        try:
            deep = _asizeof.asizeof(value)
        except SAFE_CATCH:
            deep = 0
        seen[id(value)] = (name, deep)
    del value
    ranked = sorted(((deep, name) for name, deep in seen.values() if deep >= min_size),
                    key=lambda item: (-item[0], item[1]))[:top]
    getters = dict(_locators(shell))
    out = []
    for deep, name in ranked:
        obj = getters[name]()
        if obj is None:
            continue
        kind = type_name(obj, qualified=True, module=True)
        result = why_alive(obj, name=name, _own_refs=1, max_chains=20, max_nodes=max_nodes,
                           outputs_after=outputs_after)
        del obj
        plan = tuple(a.text for a in result.plan if a.runnable)
        manual = tuple(a.text for a in result.plan if not a.runnable)
        out.append(Holder(name=name, type=kind, deep_size=deep,
                          releasable_bytes=result.releasable_bytes, plan=plan, manual=manual,
                          needs_collect=result.needs_collect, hidden_refs=result.hidden_refs,
                          truncated=result.truncated))
    out.sort(key=lambda h: (-(h.releasable_bytes if h.releasable_bytes is not None
                              else h.deep_size), h.name))
    return tuple(out)
