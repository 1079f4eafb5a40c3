"""Allocation tracing over :mod:`tracemalloc`: per-line statistics, peaks, diffs.

The block tracer (the contract ``%%memdiff --trace`` builds on)
----------------------------------------------------------------

>>> from pympler_nb.core import allocations
>>> with allocations.trace(frames=1) as t:
...     data = [bytearray(1000) for _ in range(100)]
>>> t.peak >= 100 * 1000
True
>>> top = t.statistics("lineno")[0]         # the block's line 2: 100 bytearrays and the list
>>> top.lineno, top.count > 100, top.size > 100 * 1000
(2, True, True)

``trace(frames=1)`` returns a :class:`Tracer`; ``with`` it around the code to observe:

- **Enter.** Starts ``tracemalloc`` with ``frames`` frames per traceback *if it was not
  tracing*.  If it was already tracing, tracing goes on with the user's depth (tracemalloc
  cannot change the depth without dropping every trace; ``t.frames`` tells the depth in
  effect) and a start snapshot is taken so that only what the block did is reported.
  Then it records the traced memory (``t.start_memory``) and resets the peak.
- **Exit** (also when the block raises; the exception propagates).  Reads the traced
  memory, takes a snapshot without the tool's own allocations (traces whose most recent
  frame is in the ``pympler_nb`` package or in ``tracemalloc.py``), and stops tracing
  *only if it started it*.
- **Results** (valid after the block; read-only):

  ``t.peak``
      highest traced memory during the block, in bytes above the level at entry;
  ``t.current``
      traced memory at exit minus at entry (net growth, may be negative);
  ``t.statistics(key='lineno', *, filename=None, cumulative=False, limit=None)``
      list of :class:`Stat` (``filename``, ``lineno``, ``size``, ``count``, ``traceback``):
      the memory allocated during the block and still allocated at its end, grouped by
      ``'lineno'``, ``'filename'`` or ``'traceback'``, largest first.  ``filename`` (an
      ``fnmatch`` pattern, e.g. the cell's file name) keeps only allocations made by
      those files: each trace is attributed to its most recent frame that matches,
      so a line that calls into a library is charged with the library's allocations
      (this needs ``frames`` deep enough to reach the line: ``frames=1`` sees only
      allocations made directly by the matching code; ``trace(frames=25)`` is a good
      choice for notebook cells).  Traces without a matching frame are left out;
  ``t.snapshot``
      the filtered end :class:`Snapshot` (``t.start_snapshot``: the start one, or None
      when the tracer started tracemalloc itself, since then every trace is new).

  Peaks of nested tracers stay right: an inner tracer (or :func:`reset_peak`) records
  the peak so far into every active tracer before it resets tracemalloc's peak.  A
  tracer started with tracing off cannot know the user's earlier peak (there was none);
  with tracing on, tracemalloc's peak is reset (the previous peak is kept in
  ``t.previous_peak``).

The rest is a thin, safer layer over :mod:`tracemalloc`: :func:`start`, :func:`stop`,
:func:`is_tracing`, :func:`take_snapshot` (own allocations filtered out),
:class:`Snapshot` (``statistics``, ``compare_to``, ``filter_traces``, ``dump``, ``load``),
:class:`Filter` / :class:`DomainFilter` (tracemalloc's own), :func:`get_traced_memory`,
:func:`reset_peak`.  Results are small immutable records (:class:`Stat`,
:class:`StatDiff`); ``pympler_nb.frames.alloc_stats_frame`` /
``alloc_diff_frame`` turn them into DataFrames.

``dump``/``load`` use tracemalloc's own file format (a pickle of a
``tracemalloc.Snapshot``), so files are interchangeable with ``tracemalloc``.
:func:`load` does not unpickle: a reader of our own interprets only the opcodes of a
snapshot file and builds only tracemalloc's snapshot classes and plain data, without
calling, hashing or printing anything, so a hostile file can neither run code nor
expand shared references exponentially (it raises :class:`SnapshotFormatError`, in
time and memory linear in its size).  ``tracemalloc.Snapshot.load`` has no such guard.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import time
import tracemalloc
from itertools import compress
from operator import itemgetter, not_
from tracemalloc import DomainFilter, Filter
from typing import NamedTuple

from . import _safeio
from ._format import format_size
from ._layout import count_elements
from .alloc_sites import Frame, Traceback, object_frames
from .tracemalloc_file import SnapshotFormatError, pickle_sniffer, read_pickle, validate_snapshot
from .values import Frozen, check_int

__all__ = [
    "trace",
    "Tracer",
    "start",
    "stop",
    "is_tracing",
    "get_traceback_limit",
    "take_snapshot",
    "Snapshot",
    "Stat",
    "StatDiff",
    "Filter",
    "DomainFilter",
    "TracedMemory",
    "get_traced_memory",
    "reset_peak",
    "own_filters",
    "load",
    "SnapshotFormatError",
    "KEY_TYPES",
    "Frame",
    "Traceback",
    "get_object_traceback",
    "clear_traces",
    "get_tracemalloc_memory",
]

KEY_TYPES = ("lineno", "filename", "traceback")

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TRACEMALLOC_FILE = tracemalloc.__file__


def _normalize(filename: str) -> str:
    """tracemalloc's file name normalization (``.pyc`` -> ``.py``)."""
    return filename[:-1] if filename.lower().endswith(".pyc") else filename


def _is_own_file(filename: str) -> bool:
    filename = _normalize(filename)
    return filename == _TRACEMALLOC_FILE or filename.startswith(_PACKAGE_DIR + os.sep)


def own_filters() -> list:
    """The filters that remove the tool's own allocations (most recent frame only).

    Equivalent to what :func:`take_snapshot` applies; useful with a plain
    ``tracemalloc.Snapshot.filter_traces``.
    """
    return [Filter(False, os.path.join(_PACKAGE_DIR, "*")), Filter(False, _TRACEMALLOC_FILE)]


# raw traces are (domain, size, traceback, total_nframe); a traceback is its frames,
# most recent first; a frame is (filename, lineno)
_trace_size = itemgetter(1)
_trace_frames = itemgetter(2)
_newest_frame = itemgetter(0)
_frame_file = itemgetter(0)


def _without_own(raw: list) -> list:
    """Raw traces whose most recent frame is not in our files (C-level loops)."""
    try:
        names = list(map(_frame_file, map(_newest_frame, map(_trace_frames, raw))))
    except IndexError:  # a trace without frames (hand-made snapshot): slow path
        return [t for t in raw if not (t[2] and _is_own_file(t[2][0][0]))]
    own = {name for name in set(names) if _is_own_file(name)}
    if not own:
        return raw if isinstance(raw, list) else list(raw)
    return list(compress(raw, map(not_, map(own.__contains__, names))))


# --------------------------------------------------------------------------
# result records
# --------------------------------------------------------------------------

def _format_frames(traceback: tuple) -> str:
    return "\n".join("  %s:%s" % frame for frame in traceback)


class _Record(Frozen):
    """An immutable record with fields ``__slots__`` (set once, by position), equal by
    value."""

    __slots__ = ()

    def __init__(self, *values):
        if len(values) != len(self.__slots__):
            raise TypeError("%s takes %d values (%s)" % (type(self).__name__, len(self.__slots__),
                                                        ", ".join(self.__slots__)))
        self._set(**dict(zip(self.__slots__, values)))

    def _where(self) -> str:
        return self.filename if self.lineno is None else "%s:%s" % (self.filename, self.lineno)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash(self._values())


class Stat(_Record):
    """Memory allocated by one line (or file, or traceback): an immutable record.

    Attributes
    ----------
    filename : str
        The file (for ``key='traceback'``: of the most recent frame).
    lineno : int or None
        The line; None when grouped by ``'filename'``.
    size : int
        Bytes (for a block tracer: net bytes allocated during the block).
    count : int
        Memory blocks.
    traceback : Traceback
        The frames (:class:`Frame` ``(filename, lineno)``), **most recent first**; one
        frame unless ``key='traceback'``.  ``traceback.format()`` gives tracemalloc's
        lines (oldest first, as ``tracemalloc.Traceback.format``).
    """

    __slots__ = ("filename", "lineno", "size", "count", "traceback")

    @property
    def average(self) -> float:
        """Mean block size in bytes (0 when ``count`` is 0)."""
        return self.size / self.count if self.count else 0.0

    def __str__(self):
        text = "%s: size=%s, count=%i" % (self._where(), format_size(self.size), self.count)
        if self.count:
            text += ", average=%s" % format_size(int(self.average))
        return text

    def __repr__(self):
        return "<Stat %s size=%i count=%i>" % (self._where(), self.size, self.count)

    def format(self) -> str:
        """The line and its traceback frames (most recent first), one per line."""
        return "%s\n%s" % (self, _format_frames(self.traceback))


class StatDiff(_Record):
    """Difference of one line (file, traceback) between two snapshots (immutable).

    Attributes: ``filename``, ``lineno`` (None for ``'filename'``), ``size`` and
    ``count`` (in the new snapshot), ``size_diff`` and ``count_diff`` (new - old),
    ``traceback`` (frames, most recent first).
    """

    __slots__ = ("filename", "lineno", "size", "size_diff", "count", "count_diff", "traceback")

    def __str__(self):
        return "%s: size=%s (%s), count=%i (%+i)" % (
            self._where(), format_size(self.size), format_size(self.size_diff, sign=True),
            self.count, self.count_diff)

    def __repr__(self):
        return "<StatDiff %s size=%i (%+i) count=%i (%+i)>" % (
            self._where(), self.size, self.size_diff, self.count, self.count_diff)


class TracedMemory(NamedTuple):
    """Traced memory in bytes: ``current`` and ``peak`` (a named tuple)."""

    current: int
    peak: int


# --------------------------------------------------------------------------
# grouping raw traces
# --------------------------------------------------------------------------

def _check_key(key_type: object, cumulative: object) -> None:
    if key_type not in KEY_TYPES:
        raise ValueError("unknown key_type %r: use one of %s"
                         % (key_type, ", ".join(map(repr, KEY_TYPES))))
    if not isinstance(cumulative, (bool, int)):
        raise TypeError("cumulative must be True or False, got %r" % (cumulative,))
    if cumulative and key_type == "traceback":
        raise ValueError("cumulative=True works with key_type 'lineno' or 'filename', "
                         "not 'traceback'")


def _matcher(pattern: str | None):
    """``filename -> bool`` for an fnmatch pattern (cached per file name)."""
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TypeError("filename must be a str (an fnmatch pattern) or None, got %r" % (pattern,))
    pat = _normalize(pattern)
    cache: dict[str, bool] = {}

    def match(name: str) -> bool:
        got = cache.get(name)
        if got is None:
            got = cache[name] = fnmatch.fnmatch(_normalize(name), pat)
        return got

    return match


def _group(raw: list, key_type: str, cumulative: bool, pattern: str | None) -> dict:
    """``{key: [size, count, traceback]}`` of raw tracemalloc traces.

    Keys: ``(filename, lineno)`` for 'lineno', ``(filename, None)`` for 'filename',
    the frames tuple for 'traceback'.  With ``pattern`` every trace is attributed to
    its most recent frame matching it (cumulative: every matching frame, once each).
    """
    match = _matcher(pattern)
    acc: dict = {}
    # 1. each distinct traceback -> its keys (few distinct tracebacks, many traces)
    # (by identity first: tracemalloc shares one tuple per distinct traceback, and
    # hashing deep tuples per trace would cost more than the rest)
    tbs = list(map(_trace_frames, raw))
    ids = list(map(id, tbs))
    counts: dict = {}
    count_elements(counts, ids)
    sizes = dict.fromkeys(counts, 0)
    for tid, size in zip(ids, map(_trace_size, raw)):
        sizes[tid] += size
    by_id = dict(zip(ids, tbs))
    del tbs, ids
    merged: dict = {}
    for tid, size in sizes.items():
        tb = by_id[tid]
        slot = merged.get(tb)
        if slot is None:
            merged[tb] = [size, counts[tid]]
        else:
            slot[0] += size
            slot[1] += counts[tid]
    del by_id, sizes, counts
    for tb, (size, count) in merged.items():
        if not tb:
            tb = (("<unknown>", 0),)
        if match is None:
            frames = tb if cumulative else tb[:1]
        else:
            frames = [f for f in tb if match(f[0])]
            if not frames:
                continue
            if not cumulative:
                frames = frames[:1]
        if key_type == "traceback":
            keys = [(tb, tb)] if match is None else [(tb[tb.index(frames[0]):],) * 2]
        elif key_type == "lineno":
            keys = [(f, (f,)) for f in dict.fromkeys(frames)]
        else:
            keys = [((f[0], None), ((f[0], 0),)) for f in dict.fromkeys(frames)]
            keys = list(dict(keys).items())
        for key, frames_of_key in keys:
            slot = acc.get(key)
            if slot is None:
                acc[key] = [size, count, frames_of_key]
            else:
                slot[0] += size
                slot[1] += count
    return acc


def _split_key(key, key_type: str) -> tuple:
    if key_type == "traceback":
        return key[0][0], key[0][1]
    return key[0], key[1]


def _stats_from(acc: dict, key_type: str, limit: int | None) -> list:
    out = []
    for key, (size, count, frames) in acc.items():
        filename, lineno = _split_key(key, key_type)
        if key_type == "filename":
            frames = ((filename, 0),)
        out.append(Stat(filename, lineno, size, count, Traceback(frames)))
    out.sort(key=lambda s: (-s.size, -s.count, s.filename, s.lineno or 0))
    return out if limit is None else out[:limit]


def _diffs_from(new: dict, old: dict, key_type: str, limit: int | None) -> list:
    out = []
    for key, (size, count, frames) in new.items():
        prev = old.get(key)
        osize, ocount = (prev[0], prev[1]) if prev is not None else (0, 0)
        filename, lineno = _split_key(key, key_type)
        out.append(StatDiff(filename, lineno, size, size - osize, count, count - ocount,
                            Traceback(frames)))
    for key, (size, count, frames) in old.items():
        if key not in new:
            filename, lineno = _split_key(key, key_type)
            out.append(StatDiff(filename, lineno, 0, -size, 0, -count, Traceback(frames)))
    out.sort(key=lambda s: (-abs(s.size_diff), -s.size, -abs(s.count_diff), -s.count,
                            s.filename, s.lineno or 0))
    return out if limit is None else out[:limit]


# --------------------------------------------------------------------------
# snapshots
# --------------------------------------------------------------------------

class Snapshot(Frozen):
    """An immutable tracemalloc snapshot with pympler_nb's statistics.

    Wraps a ``tracemalloc.Snapshot`` (``raw``).  Operations return new objects.

    Attributes
    ----------
    raw : tracemalloc.Snapshot
    traceback_limit : int
        Frames stored per traceback when the snapshot was taken.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: tracemalloc.Snapshot):
        if not isinstance(raw, tracemalloc.Snapshot):
            raise TypeError("Snapshot wraps a tracemalloc.Snapshot, got %s (use "
                            "allocations.take_snapshot() or allocations.load(path))"
                            % type(raw).__name__)
        self._set(raw=raw)

    @property
    def traceback_limit(self) -> int:
        return self.raw.traceback_limit

    @property
    def _traces(self) -> list:
        return self.raw.traces._traces

    def __len__(self) -> int:
        """Number of traces (allocated memory blocks)."""
        return len(self._traces)

    @property
    def size(self) -> int:
        """Total traced bytes in the snapshot."""
        return sum(map(_trace_size, self._traces))

    def __repr__(self):
        return "<allocations.Snapshot traces=%d size=%s traceback_limit=%s>" % (
            len(self), format_size(self.size), self.traceback_limit)

    def statistics(self, key_type: str = "lineno", cumulative: bool = False, *,
                   filename: str | None = None, limit: int | None = None) -> list:
        """Allocated memory grouped by ``key_type``, largest first: a list of :class:`Stat`.

        Parameters
        ----------
        key_type : {'lineno', 'filename', 'traceback'}
        cumulative : bool
            Count a trace in every frame of its traceback (each distinct frame once),
            not just the most recent one.
        filename : str, optional
            fnmatch pattern: keep allocations made by matching files, each charged to
            its most recent matching frame.
        limit : int, optional
            Return at most this many rows.
        """
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        return _stats_from(_group(self._traces, key_type, cumulative, filename), key_type, limit)

    def compare_to(self, old_snapshot: "Snapshot", key_type: str = "lineno",
                   cumulative: bool = False, *, filename: str | None = None,
                   limit: int | None = None) -> list:
        """Differences from ``old_snapshot``: a list of :class:`StatDiff` sorted by the
        absolute size difference (then size, absolute count difference, count)."""
        old = _as_snapshot(old_snapshot, "old_snapshot")
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        new_acc = _group(self._traces, key_type, cumulative, filename)
        old_acc = _group(old._traces, key_type, cumulative, filename)
        return _diffs_from(new_acc, old_acc, key_type, limit)

    def filter_traces(self, filters) -> "Snapshot":
        """A new snapshot keeping the traces that pass ``filters`` (tracemalloc's rules:
        a trace must match one inclusive filter, if any, and no exclusive one)."""
        if isinstance(filters, (Filter, DomainFilter)):
            filters = [filters]
        filters = list(filters)
        for f in filters:
            if not isinstance(f, (Filter, DomainFilter)):
                raise TypeError("filters must be allocations.Filter or DomainFilter objects, "
                                "got %r" % (f,))
        return Snapshot(self.raw.filter_traces(filters))

    def without_own(self) -> "Snapshot":
        """A new snapshot without the tool's own allocations (see :func:`own_filters`)."""
        return Snapshot(tracemalloc.Snapshot(_without_own(self._traces), self.traceback_limit))

    def dump(self, path) -> None:
        """Write the snapshot in tracemalloc's format (``tracemalloc.Snapshot.dump``)."""
        self.raw.dump(_safeio.fspath(path, "tracemalloc snapshot"))

    @staticmethod
    def load(path, *, max_bytes: int = _safeio.MAX_BYTES) -> "Snapshot":
        """Read a snapshot file safely; see :func:`load`."""
        return load(path, max_bytes=max_bytes)


def _as_snapshot(obj, name: str) -> Snapshot:
    if isinstance(obj, Snapshot):
        return obj
    if isinstance(obj, tracemalloc.Snapshot):
        return Snapshot(obj)
    raise TypeError("%s must be an allocations.Snapshot (or tracemalloc.Snapshot), got %s"
                    % (name, type(obj).__name__))


def load(path, *, max_bytes: int = _safeio.MAX_BYTES) -> Snapshot:
    """Load a snapshot written by :meth:`Snapshot.dump` or ``tracemalloc.Snapshot.dump``.

    Safe: the file is read by a pickle interpreter of our own that knows only the
    opcodes of a snapshot file and can create only ``tracemalloc.Snapshot`` / its
    trace list and plain tuples, lists, ints and strings, without calling, hashing or
    printing anything it builds; shared references stay shared (a "DAG bomb" is not
    expanded).  The result is checked field by field.  Anything else raises
    :class:`SnapshotFormatError` (a ``ValueError``) naming the file, in time and memory
    linear in its size.  A file larger than ``max_bytes`` (default 128 MiB) is refused
    before it is read; a missing or unreadable file or a directory raises an
    :class:`OSError` naming it.
    """
    name = _safeio.display_path(_safeio.fspath(path, "tracemalloc snapshot"))
    data, name = _safeio.read_file(path, what="tracemalloc snapshot", max_bytes=max_bytes,
                                   error=SnapshotFormatError, sniff=pickle_sniffer(name))
    raw = read_pickle(data, name)
    del data
    return Snapshot(validate_snapshot(raw, name))


# --------------------------------------------------------------------------
# tracing state
# --------------------------------------------------------------------------

def start(frames: int = 1) -> None:
    """Start tracing with ``frames`` frames per traceback (no-op if already tracing:
    tracemalloc keeps its depth then; see :func:`get_traceback_limit`)."""
    tracemalloc.start(check_int(frames, "frames", 1, meaning="frames stored per traceback"))


def stop() -> None:
    """Stop tracing and drop every trace (``tracemalloc.stop``)."""
    tracemalloc.stop()


def is_tracing() -> bool:
    return tracemalloc.is_tracing()


def get_traceback_limit() -> int:
    return tracemalloc.get_traceback_limit()


def get_traced_memory() -> TracedMemory:
    """``(current, peak)`` traced bytes as a named tuple; ``(0, 0)`` when not tracing."""
    return TracedMemory(*tracemalloc.get_traced_memory())


_active: list = []  # block tracers inside their block, outermost first


def reset_peak() -> None:
    """Reset tracemalloc's peak to the current traced memory.

    Active :class:`Tracer` blocks first record the peak so far, so their own
    ``peak`` stays right.
    """
    if _active:
        peak = tracemalloc.get_traced_memory()[1]
        for t in _active:
            t._note_peak(peak)
    tracemalloc.reset_peak()


def take_snapshot(own: bool = False) -> Snapshot:
    """A snapshot of the traces, without the tool's own allocations unless ``own``.

    Raises
    ------
    RuntimeError
        If tracemalloc is not tracing (call :func:`start` first, or use :func:`trace`).
    """
    if not tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is not tracing: call allocations.start(frames) "
                           "first, or use `with allocations.trace():`")
    raw = tracemalloc.take_snapshot()
    if own:
        return Snapshot(raw)
    return Snapshot(tracemalloc.Snapshot(_without_own(raw.traces._traces), raw.traceback_limit))


# --------------------------------------------------------------------------
# the block tracer
# --------------------------------------------------------------------------

class Tracer:
    """Traces the allocations of a ``with`` block; see the module docstring.

    Create it with :func:`trace`.  Single use: entering it twice raises.
    """

    __slots__ = ("_frames", "frames", "started", "start_memory", "previous_peak",
                 "start_snapshot", "snapshot", "_end", "elapsed", "_peak_seen", "_state", "_t0", "_with_line")

    def __init__(self, frames: int = 1):
        self._frames = check_int(frames, "frames", 1, meaning="frames stored per traceback")
        self.frames: int | None = None
        self.started = False
        self.start_memory = 0
        self.previous_peak: int | None = None
        self.start_snapshot: Snapshot | None = None
        self.snapshot: Snapshot | None = None
        self._end: tuple | None = None  # (current, peak) at exit
        self.elapsed: float | None = None
        self._peak_seen = 0
        self._state = "new"
        self._t0 = 0.0
        self._with_line: tuple | None = None

    def __repr__(self):
        if self._state != "done":
            return "<allocations.Tracer %s frames=%s>" % (self._state, self.frames or self._frames)
        return "<allocations.Tracer peak=%s current=%s frames=%d>" % (
            format_size(self.peak), format_size(self.current, sign=True), self.frames)

    def _note_peak(self, peak: int) -> None:
        if peak > self._peak_seen:
            self._peak_seen = peak

    def __enter__(self) -> "Tracer":
        if self._state != "new":
            raise RuntimeError("a Tracer can be used once: call allocations.trace() again")
        if tracemalloc.is_tracing():
            self.previous_peak = tracemalloc.get_traced_memory()[1]
            caller = sys._getframe(1)
            # the `with` line itself holds interpreter temporaries (the bound
            # __enter__ is alive in the start snapshot only): not the block's doing
            self._with_line = (caller.f_code.co_filename, caller.f_lineno)
            del caller
            self.start_snapshot = take_snapshot()
        else:
            tracemalloc.start(self._frames)
            self.started = True
        self.frames = tracemalloc.get_traceback_limit()
        reset_peak()  # (records the peak so far into enclosing tracers)
        self.start_memory = tracemalloc.get_traced_memory()[0]
        self._peak_seen = self.start_memory
        self._state = "active"
        _active.append(self)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> bool:
        elapsed = time.perf_counter() - self._t0
        try:
            _active.remove(self)
        except ValueError:
            pass
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            self._note_peak(peak)
            try:
                self.snapshot = take_snapshot()
            finally:
                if self.started:
                    tracemalloc.stop()
            # (a plain tuple: a named tuple's __new__ lives in "<string>", which the
            # own-allocation filter cannot recognise inside an enclosing tracer)
            self._end = (current, self._peak_seen)
        else:  # someone stopped tracemalloc inside the block: no traces to report
            self._end = (self.start_memory, self._peak_seen)
        for outer in _active:  # our peak belongs to the enclosing blocks too
            outer._note_peak(self._peak_seen)
        self.elapsed = elapsed
        self._state = "done"
        return False

    # -- results -------------------------------------------------------------

    @property
    def end_memory(self) -> TracedMemory | None:
        """``(current, peak)`` traced bytes at exit (absolute; None before the exit)."""
        return None if self._end is None else TracedMemory(*self._end)

    @property
    def peak(self) -> int:
        """Highest traced memory during the block, in bytes above the level at entry."""
        if self._state == "active":
            return max(self._peak_seen, tracemalloc.get_traced_memory()[1]) - self.start_memory
        self._require_done()
        return self._end[1] - self.start_memory

    @property
    def current(self) -> int:
        """Traced memory at exit minus at entry, in bytes (net growth of the block)."""
        if self._state == "active":
            return tracemalloc.get_traced_memory()[0] - self.start_memory
        self._require_done()
        return self._end[0] - self.start_memory

    def _require_done(self) -> None:
        if self._state != "done":
            raise RuntimeError("the block has not run yet: use `with allocations.trace() as t:` "
                               "and read the results after the block")

    def _require_snapshot(self) -> Snapshot:
        self._require_done()
        if self.snapshot is None:
            raise RuntimeError("tracemalloc was stopped inside the traced block: no "
                               "allocation statistics are available")
        return self.snapshot

    def statistics(self, key_type: str = "lineno", *, filename: str | None = None,
                   cumulative: bool = False, limit: int | None = None) -> list:
        """What the block allocated and still held at its end, as :class:`Stat` rows.

        ``size``/``count`` are net: bytes and blocks allocated during the block minus
        those of the same line freed during it (lines with no net change are left out).
        Sorted by size, largest first.  See :meth:`Snapshot.statistics` for the
        parameters.
        """
        snap = self._require_snapshot()
        _check_key(key_type, cumulative)
        check_int(limit, "limit", none="no limit")
        if self.start_snapshot is None:
            new = _group(snap._traces, key_type, cumulative, filename)
        else:
            new = _group(self._block_traces(snap), key_type, cumulative, filename)
            old = _group(self._block_traces(self.start_snapshot), key_type, cumulative, filename)
            for key, (size, count, frames) in old.items():
                slot = new.get(key)
                if slot is None:
                    new[key] = [-size, -count, frames]
                else:
                    slot[0] -= size
                    slot[1] -= count
            new = {k: v for k, v in new.items() if v[0] or v[1]}
        return _stats_from(new, key_type, limit)

    def _block_traces(self, snap: Snapshot) -> list:
        raw = snap._traces
        line = self._with_line
        if line is None:
            return raw
        return [t for t in raw if not (t[2] and t[2][0] == line)]

    def compare(self, key_type: str = "lineno", *, filename: str | None = None,
                cumulative: bool = False, limit: int | None = None) -> list:
        """The end snapshot against the start, as :class:`StatDiff` rows (sizes at the
        end and their change).  Without a start snapshot (the tracer started tracing),
        every row is new: ``size_diff == size``."""
        snap = self._require_snapshot()
        old = self.start_snapshot
        if old is None:
            old = Snapshot(tracemalloc.Snapshot([], snap.traceback_limit))
        return snap.compare_to(old, key_type, cumulative, filename=filename, limit=limit)


def trace(frames: int = 1) -> Tracer:
    """A :class:`Tracer` for ``with allocations.trace(frames) as t:``; see the module
    docstring for what it does and reports."""
    return Tracer(frames)


# --------------------------------------------------------------------------
# tracemalloc's object tracebacks and trace table
# --------------------------------------------------------------------------

def get_object_traceback(obj) -> Traceback | None:
    """Where ``obj`` was allocated (``tracemalloc.get_object_traceback``): a
    :class:`Traceback`, **most recent frame first** (as every traceback of this module;
    its ``format()`` prints oldest first, exactly as tracemalloc's), or None when
    tracemalloc is not tracing or did not trace the object's memory (allocated before
    tracing started, or since :func:`clear_traces`; objects reused from a free list,
    as small lists and dicts often are, are not new allocations).

    >>> start(); data = bytearray(1000); tb = get_object_traceback(data); stop()
    >>> tb is not None and tb[0].lineno > 0 and tb.format()[0].startswith('  File "')
    True
    """
    raw = tracemalloc.get_object_traceback(obj)
    if raw is None:  # (on CPython 3.11 it misses instances of plain classes: looked up again)
        frames = object_frames(obj)
        return None if frames is None else Traceback(frames)
    return Traceback([(f.filename, f.lineno) for f in reversed(raw)], raw.total_nframe)


def clear_traces() -> None:
    """Drop every trace, keep tracing (``tracemalloc.clear_traces``): traced memory and
    its peak start again from 0.  Active :class:`Tracer` blocks first record the peak
    so far (their ``peak`` stays right); their ``current`` then counts from 0."""
    if _active:
        peak = tracemalloc.get_traced_memory()[1]
        for t in _active:
            t._note_peak(peak)
    tracemalloc.clear_traces()


def get_tracemalloc_memory() -> int:
    """Bytes tracemalloc itself uses to store the traces
    (``tracemalloc.get_tracemalloc_memory``)."""
    return tracemalloc.get_tracemalloc_memory()
