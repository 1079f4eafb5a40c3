"""The records of the Class Tracker: tracked objects, their size samples, snapshots.

The data model of :mod:`.classtracker` (which creates and samples these records) and of
:mod:`.classtracker_stats` (which tabulates, saves and loads them): a
:class:`TrackedObject` per tracked object (lifetime, size samples, trees), a
:class:`Snapshot` per :meth:`ClassTracker.create_snapshot <.classtracker.ClassTracker.create_snapshot>`,
and :func:`history` (live counts over time). Neither module is imported here.

>>> class Point:
...     pass
>>> p = Point()
>>> tobj = TrackedObject(p, "Point")
>>> tobj.name, tobj.death is None, list(tobj.iter_samples())
('Point', True, [])
"""

from __future__ import annotations

import sys
import time
import weakref
from array import array
from collections.abc import Iterator
from linecache import getline
from typing import Any

from . import asizeof as _asizeof
from ._format import class_name, clip_text, safe_repr
from .values import check_int

__all__ = ["EPOCH", "REF_TYPES", "REPR_CLIP", "HookRef", "InstanceTree", "ProcessMemorySample", "Snapshot",
           "StrongRef", "TrackedObject", "capture_trace", "check_level", "dead_ref", "get_time", "history",
           "records_own_size", "type_name"]


_START = time.perf_counter()
#: wall-clock time (seconds since the epoch) of timestamp 0.0
EPOCH = time.time()

REPR_CLIP = 128  # like Pympler's TrackedObject.repr


def get_time() -> float:
    """Seconds since this module was imported (monotonic)."""
    return time.perf_counter() - _START


def check_level(resolution_level: Any) -> int:
    return check_int(resolution_level, "resolution_level",
                     meaning="0 sizes the object as a whole, 1 also each direct referent, ...")


# ---------------------------------------------------------------------------
# references held by a TrackedObject
class _Ref(weakref.ref):
    """Weak reference that knows its :class:`TrackedObject` (one shared callback)."""

    __slots__ = ("tobj",)


class HookRef(_Ref):
    """:class:`_Ref` that also calls ``on_delete()`` (``TrackedObject(on_delete=...)``)."""

    __slots__ = ("on_delete",)


def _on_death(ref: _Ref) -> None:
    """Weakref callback: record the death time (runs in whatever thread frees the object)."""
    try:
        now = get_time()  # read before the check: a snapshot that saw the object dead
        tobj = ref.tobj    # and wrote its death first must not be overwritten by a later time
        if tobj.death is None:
            tobj.death = now
        if type(ref) is HookRef:
            ref.on_delete()
    except Exception:  # noqa: BLE001 - interpreter shutdown, or a failing hook: nothing to record
        pass


class StrongRef:
    """Callable like a weak reference, but holding the object (``keep=True`` without weakrefs)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __call__(self) -> Any:
        return self.obj


REF_TYPES = (_Ref, HookRef, StrongRef)


def dead_ref() -> None:
    """The ``ref`` of objects loaded from a file or released by the tracker."""
    return


# ---------------------------------------------------------------------------
def capture_trace(skip: str = "") -> list[tuple]:
    """The caller's stack, outermost first, without the frames of this module and of ``skip``
    (the file name of the caller's module: :mod:`.classtracker` leaves itself out).

    Each record is ``(filename, lineno, function, [source line] or None, 0)`` — the
    fields of :func:`inspect.stack` records without the frame, as in Pympler.
    """
    frame = sys._getframe(1)
    here = (__file__, skip)
    while frame is not None and frame.f_code.co_filename in here:
        frame = frame.f_back
    out = []
    while frame is not None:
        code = frame.f_code
        lineno = frame.f_lineno or 0
        line = getline(code.co_filename, lineno) if lineno else ""
        out.append((code.co_filename, lineno, code.co_name, [line] if line else None, 0 if line else None))
        frame = frame.f_back
    out.reverse()
    return out


def type_name(tp: type) -> str:
    """``module.qualname`` of a class (just ``qualname`` for builtins), as ``object.__repr__`` shows it."""
    return class_name(tp)  # read by type's own getters: no metaclass code runs


class TrackedObject:
    """Lifetime and size samples of one tracked object.

    Attributes
    ----------
    ref : callable
        ``ref()`` returns the object, or ``None`` once it is dead (or for objects
        loaded from a file).
    id : int
        ``id()`` of the object.
    repr : str
        Clipped ``repr`` of the object, refreshed at every snapshot (``''`` before).
    type : str
        ``module.qualname`` of the object's class when last seen (shows morphing).
    name : str
        The name it is tracked under (the key in :attr:`ClassTracker.index`).
    birth, death : float or None
        Timestamps (seconds, see :data:`EPOCH`); ``death`` is ``None`` while alive.
    trace : list of tuple or None
        Instantiation stack (``trace=True``): ``(filename, lineno, function, lines,
        index)`` records, outermost first.

    Sizes are kept compactly (one ``array('d')`` of birth, basic size and
    ``timestamp, size, flat`` per snapshot, plus the :class:`~.asizeof.Asized` trees
    of resolution levels > 0); :attr:`snapshots` builds Pympler's list from them.
    """

    __slots__ = ("_data", "_repr", "_resolution_level", "_sort", "_trees", "death", "id", "name", "ref", "trace",
                 "type")

    def __init__(self, instance: Any, name: str, resolution_level: int = 0, trace: bool = False,
                 on_delete: Any = None, *, _strong: bool = False, _birth_size: int | None = None,
                 _type: str | None = None) -> None:
        if _strong:
            self.ref = StrongRef(instance)
        else:
            if on_delete is not None:
                ref = HookRef(instance, _on_death)
                ref.on_delete = on_delete
            else:
                ref = _Ref(instance, _on_death)
            ref.tobj = self
            self.ref = ref
        self.id = id(instance)
        self._repr = ""
        self.type = _type if _type is not None else type_name(type(instance))
        self.name = name
        self.death = None
        self.trace = capture_trace() if trace else None
        self._resolution_level = check_level(resolution_level)
        if _birth_size is None:
            _birth_size = _asizeof.basicsize(instance)
        self._data = array("d", (get_time(), _birth_size))
        self._trees = None
        self._sort = None

    @classmethod
    def restore(cls, *, id: int, name: str, repr: str, type: str, birth: float, death: float | None,
                 trace: list | None, resolution_level: int, birth_size: int, samples: list) -> TrackedObject:
        """A dead TrackedObject with the given data (``samples``: ``(ts, size, flat, tree or None)``);
        what a loaded stats file holds."""
        self = cls.__new__(cls)
        self.ref = dead_ref
        self.id = id
        self.name = name
        self._repr = repr
        self.type = type
        self.death = death
        self.trace = trace
        self._resolution_level = resolution_level
        data = array("d", (birth, birth_size))
        trees = None
        for ts, size, flat, tree in samples:
            data.extend((ts, size, flat))
            if tree is not None:
                if trees is None:
                    trees = {}
                trees[ts] = tree
        self._data = data
        self._trees = trees
        self._sort = None
        return self

    _restore = restore  # its former name (tests/core/test_files_hostile.py uses it)

    def __repr__(self) -> str:
        state = "alive" if self.death is None else "dead"
        return (f"<TrackedObject {self.name!r} id={self.id:#x} {state} "
                f"samples={self.sample_count} max_size={self.get_max_size()}>")

    # -- identity ------------------------------------------------------------------
    @property
    def repr(self) -> str:
        """Clipped ``repr()`` of the object at the last snapshot (``''`` before the first)."""
        text = self._repr
        if text is None:  # object.__repr__: made from the type and id when asked
            return clip_text(f"<{self.type} object at {self.id:#x}>", REPR_CLIP)
        return text

    @repr.setter
    def repr(self, value: str | None) -> None:
        """``None``: the object has ``object.__repr__``, its text is made from :attr:`type` and :attr:`id`."""
        self._repr = value

    @property
    def birth(self) -> float:
        """When tracking began (seconds)."""
        return self._data[0]

    @property
    def birth_size(self) -> int:
        """Basic size of the object when tracking began (its first entry in :attr:`snapshots`)."""
        return int(self._data[1])

    @property
    def resolution_level(self) -> int:
        """Depth of the per-referent :class:`~.asizeof.Asized` trees of later snapshots."""
        return self._resolution_level

    # -- the sort keys of Stats.sort_stats (Pympler sets these attributes) ---------------
    @property
    def classname(self) -> str:
        """The name it is listed under in the statistics (the key in ``Stats.index``)."""
        return self._sort[0] if self._sort is not None else self.name

    @property
    def size(self) -> int:
        """The largest size sampled, as of the last :meth:`Stats.sort_stats
        <.classtracker_model.Stats.sort_stats>` (before: :meth:`get_max_size` now)."""
        return self._sort[1] if self._sort is not None else self.get_max_size()

    @property
    def tsize(self) -> int:
        """The size in the snapshot with the largest tracked total, as of the last
        :meth:`Stats.sort_stats <.classtracker_model.Stats.sort_stats>` (0 before)."""
        return self._sort[2] if self._sort is not None else 0

    def set_sort_keys(self, classname: str, size: int, tsize: int) -> None:
        """Record the keys :meth:`Stats.sort_stats <.classtracker_model.Stats.sort_stats>`
        sorts by (:attr:`classname`, :attr:`size`, :attr:`tsize`)."""
        self._sort = (classname, size, tsize)

    # -- samples -------------------------------------------------------------------
    def iter_samples(self) -> Iterator[tuple[float, int, int, _asizeof.Asized | None]]:
        """``(timestamp, size, flat, tree or None)`` of each snapshot sample, oldest first."""
        data = self._data
        trees = self._trees
        for i in range(2, len(data), 3):
            ts = data[i]
            size, flat = int(data[i + 1]), int(data[i + 2])
            tree = trees.get(ts) if trees else None
            if type(tree) is InstanceTree:
                tree = tree.asized(size, flat)
            yield ts, size, flat, tree

    @property
    def sample_count(self) -> int:
        """The number of snapshot samples (the basic size at birth not counted)."""
        return (len(self._data) - 2) // 3

    def iter_sizes(self) -> Iterator[tuple[float, int, int]]:
        """``(timestamp, size, flat)`` of each snapshot sample, oldest first (no trees built)."""
        data = self._data
        for i in range(2, len(data), 3):
            yield data[i], int(data[i + 1]), int(data[i + 2])

    @property
    def snapshots(self) -> list[tuple[float, _asizeof.Asized]]:
        """``[(timestamp, Asized), ...]``: the basic size at birth, then each snapshot's sample."""
        size = self.birth_size
        out = [(self.birth, _asizeof.Asized(size, size))]
        for ts, size, flat, tree in self.iter_samples():
            out.append((ts, tree if tree is not None else _asizeof.Asized(size, flat)))
        return out

    def get_max_size(self) -> int:
        """The largest size sampled (including the basic size at birth)."""
        data = self._data  # [birth, birth_size, ts, size, flat, ts, size, flat, ...]
        return int(max(data[1], max(data[3::3], default=0)))

    def get_size_at_time(self, timestamp: float) -> int:
        """The size sampled at ``timestamp`` (a snapshot's), or 0 if not sampled then."""
        data = self._data
        for i in range(len(data) - 3, 1, -3):
            if data[i] == timestamp:
                return int(data[i + 1])
        return 0

    def set_resolution_level(self, resolution_level: int) -> None:
        """Use ``resolution_level`` from the next snapshot on."""
        self._resolution_level = check_level(resolution_level)

    def track_size(self, ts: float, sizer: _asizeof.Asizer) -> None:
        """Sample the object's size now with ``sizer`` (stored under timestamp ``ts``).

        ``sizer`` is an accumulating :class:`~.asizeof.Asizer`: what it sized before
        counts 0. :meth:`ClassTracker.create_snapshot` does not call this; it sizes
        all tracked objects in one pass.
        """
        obj = self.ref()
        if obj is None:
            return
        tree = sizer.asized(obj, detail=self._resolution_level)
        self.add_sample(ts, tree.size, tree.flat, tree if tree.refs else None)
        self.repr = safe_repr(obj, REPR_CLIP)
        self.type = type_name(type(obj))

    def add_sample(self, ts: float, size: int, flat: int, tree: Any = None) -> None:
        """Record a snapshot's sample (``tree``: an :class:`~.asizeof.Asized` or :class:`InstanceTree`)."""
        self._data.extend((ts, size, flat))
        if tree is not None:
            if self._trees is None:
                self._trees = {}
            self._trees[ts] = tree

    def finalize(self, ref: Any = None) -> None:
        """Record the death time now (the weakref callback does this by itself)."""
        if self.death is None:
            self.death = get_time()


# ---------------------------------------------------------------------------
class _ProcessUnavailable:
    """Stand-in for a process memory reading that was not taken."""

    __slots__ = ()
    available = False
    rss = 0
    vsz = 0

    def __repr__(self) -> str:
        return "<process memory not read>"


class ProcessMemorySample:
    """Process memory numbers of a snapshot loaded from a file (``rss``, ``vsz`` in bytes)."""

    __slots__ = ("available", "rss", "vsz")

    def __init__(self, available: bool, rss: int, vsz: int) -> None:
        self.available = available
        self.rss = rss
        self.vsz = vsz

    def __repr__(self) -> str:
        return f"ProcessMemorySample(available={self.available}, rss={self.rss}, vsz={self.vsz})"


class Snapshot:
    """Sizes of the tracked objects and of the process at one instant.

    Attributes
    ----------
    timestamp : float
        When it was taken (seconds since the module's import).
    desc : str
        Its description.
    tracked_total : int
        Bytes of all tracked objects (each byte counted once).
    asizeof_total : int
        Bytes of all objects known to the gc, minus ``overhead`` (only with
        ``create_snapshot(compute_total=True)``, else 0).
    overhead : int
        Bytes of the tracker's own bookkeeping (tracked objects not included).
    system_total : ProcessMemoryInfo-like
        ``rss``, ``vsz`` (bytes) and ``available`` of the process.
    classes : dict or None
        Per-class summary filled in by :meth:`.Stats.annotate_snapshot`.
    """

    __slots__ = ("asizeof_total", "classes", "desc", "overhead", "system_total", "timestamp", "tracked_total")

    def __init__(self, timestamp: float, description: str = "", system_total: Any = None) -> None:
        self.timestamp = timestamp
        self.desc = description
        self.tracked_total = 0
        self.asizeof_total = 0
        self.overhead = 0
        self.system_total = system_total if system_total is not None else _ProcessUnavailable()
        self.classes = None

    @property
    def total(self) -> int:
        """The process's virtual size if known, else ``asizeof_total``, else ``tracked_total``."""
        if getattr(self.system_total, "available", False):
            return self.system_total.vsz
        if self.asizeof_total:
            return self.asizeof_total
        return self.tracked_total

    @property
    def label(self) -> str:
        """``'desc (1.234s)'``, or ``'1.234s'`` without a description."""
        if not self.desc:
            return "%.3fs" % self.timestamp
        return "%s (%.3fs)" % (self.desc, self.timestamp)

    def __repr__(self) -> str:
        return f"<Snapshot {self.label!r} tracked_total={self.tracked_total}>"


class InstanceTree:
    """A level-1 size tree of a plain instance, kept as its two facts that are not in
    the size record (the root's name, the values array's size); :meth:`asized` makes
    the :class:`~.asizeof.Asized` tree when asked."""

    __slots__ = ("hidden", "name")

    def __init__(self, name: str, hidden: int) -> None:
        self.name = name
        self.hidden = hidden

    def asized(self, size: int, own: int) -> _asizeof.Asized:
        node = _asizeof.Asized
        kids = (node(size - own, self.hidden, (), "__dict__"), node(0, 0, (), "__class__"))
        return node(size, own, kids, self.name)


def records_own_size(records: list[TrackedObject], live: dict[int, TrackedObject]) -> tuple[int, list]:
    """Bytes of the records' own parts, and the objects they hold that are to be sized deeply.

    The own parts (by :func:`sys.getsizeof`): each record, its weak reference, its size
    array, its death time and repr, its tree holder, and its id once it left ``live``
    (:attr:`ClassTracker.objects <.classtracker.ClassTracker.objects>`). The list holds the
    traces and ``on_delete`` hooks. The Asized trees are not included.
    """
    size = sys.getsizeof
    total = sum(map(size, records))
    total += sum(size(t._data) for t in records)
    refs = [t.ref for t in records]
    total += sum(size(r) for r in refs if type(r) in REF_TYPES)
    total += sum(size(t.death) for t in records if t.death is not None)
    total += sum(size(t._repr) for t in records if t._repr)
    total += sum(size(t.id) for t in records if live.get(t.id) is not t)
    total += sum(size(t._trees) for t in records if t._trees is not None)
    extra = [t.trace for t in records if t.trace is not None]
    extra += [r.on_delete for r in refs if type(r) is HookRef]
    return total, extra


def history(index: dict[str, list[TrackedObject]]) -> dict[str, list[tuple[float, int]]]:
    """``{name: [(timestamp, live count), ...]}`` from births and deaths, in time order."""
    out = {}
    for name, tobjs in index.items():
        events = []
        for tobj in tobjs:
            events.append((tobj.birth, 1))
            if tobj.death is not None:
                events.append((tobj.death, -1))
        events.sort(key=lambda e: (e[0], -e[1]))
        count = 0
        series = []
        for t, step in events:
            count += step
            series.append((t, count))
        out[name] = series
    return out
