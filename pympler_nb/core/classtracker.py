"""Lifetimes and sizes of the instances of chosen classes (drop-in for ``pympler.classtracker``).

A :class:`ClassTracker` watches *tracked objects*: single objects given to
:meth:`~ClassTracker.track_object`, and every instance of the classes given to
:meth:`~ClassTracker.track_class` (whose ``__init__`` it wraps). It records when each
object is born and dies, and :meth:`~ClassTracker.create_snapshot` samples the deep
size of every live tracked object. :attr:`ClassTracker.stats` turns the samples into
tables (:mod:`.classtracker_stats`), which can be saved as JSON and reloaded.

>>> from pympler_nb.core.classtracker import ClassTracker
>>> class Employee:
...     def __init__(self, name):
...         self.name = name
>>> tracker = ClassTracker()
>>> tracker.track_class(Employee, name="Employee")
>>> staff = [Employee("worker %d" % i) for i in range(10)]
>>> tracker.create_snapshot("hired")
>>> tracker.stats.annotate_snapshot(tracker.snapshots[-1])["Employee"]["active"]
10
>>> tracker.close()

Semantics (those of Pympler's manual):

* **Inheritance.** Instances of a subclass of a tracked class are tracked too; when
  several classes in an instance's MRO are tracked, the most specialised one decides
  the name and options.
* **Shared data** reachable from several tracked objects is counted once, for the
  first tracked object (in the order they were announced) that reaches it.
* **Tracked objects referenced from other tracked objects** are never added to them:
  each snapshot sizes all tracked objects with one :class:`~.asizeof.Asizer` that does
  not follow references to the other tracked objects.
* **Morphing** (``obj.__class__ = Other``): a tracked instance stays tracked under its
  first name; its ``repr`` (refreshed at every snapshot) shows the new class.
* **Weak references.** Tracked instances are held by weak references and their death
  is recorded by a weakref callback; ``keep=True`` holds them strongly instead.
  Instances of classes that cannot be weakly referenced (``__slots__`` without
  ``'__weakref__'``) raise a :class:`TypeError` that names the fix, unless tracked
  with ``keep=True`` (then the tracker holds a strong reference until
  :meth:`~ClassTracker.detach_all`).
* **Threads.** Snapshots and index updates are serialized by one re-entrant lock, so
  snapshots taken by the ``'BackgroundMonitor'`` thread
  (:meth:`~ClassTracker.start_periodic_snapshots`) see consistent counts: an object
  counted ``active`` in a snapshot has a size sample in it, and the other way round.

Differences from Pympler 1.1, on purpose:

* Timestamps are seconds since this module was imported, read from the monotonic
  :func:`time.perf_counter` (Pympler uses the wall clock).
* Dead objects get no more (zero) size samples, and :attr:`ClassTracker.objects`
  drops them at the next snapshot.
* :attr:`ClassTracker.history` is computed from the index (births and deaths) when
  read, instead of being appended to at every birth and death; after
  :meth:`~ClassTracker.detach_all` it is empty like the index.
* :meth:`~ClassTracker.detach_class` restores the class exactly: an inherited
  ``__init__`` is removed again rather than copied into the class; wrapped classes
  whose ``__init__`` takes no part in inheritance keep working (``object.__init__`` is
  called without arguments, as without the tracker).
* :meth:`~ClassTracker.close` also stops periodic snapshots.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import warnings
import weakref
from array import array
from collections.abc import Iterator
from functools import update_wrapper
from linecache import getline
from operator import attrgetter
from types import FunctionType
from typing import IO, Any

from . import _layout
from . import asizeof as _asizeof
from ._format import class_name, clip_text, safe_repr

__all__ = ["ClassTracker", "PeriodicThread", "Snapshot", "TrackedObject"]

_START = time.perf_counter()
#: wall-clock time (seconds since the epoch) of timestamp 0.0
EPOCH = time.time()

_REPR_CLIP = 128  # like Pympler's TrackedObject.repr


def _get_time() -> float:
    """Seconds since this module was imported (monotonic)."""
    return time.perf_counter() - _START


def _check_level(resolution_level: Any) -> int:
    if isinstance(resolution_level, bool) or not isinstance(resolution_level, int) or resolution_level < 0:
        raise ValueError(
            f"resolution_level={resolution_level!r}: use an int >= 0 "
            "(0 sizes the object as a whole, 1 also each direct referent, ...)"
        )
    return resolution_level


def _check_name(name: Any) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name={name!r}: use a str, or None for the default name")


_WEAKREFOFFSET = type.__dict__["__weakrefoffset__"].__get__


def _type_repr_method(tp: type) -> Any:
    """``tp.__repr__``, found without running a metaclass's code (None if that fails)."""
    try:
        return _layout.type_lookup(tp, "__repr__")
    except Exception:  # noqa: BLE001
        return None


def _weakrefable(tp: type) -> bool:
    return bool(_WEAKREFOFFSET(tp))  # type's own getter: no metaclass code runs


def _not_weakrefable(tp: type) -> TypeError:
    qual = type.__dict__["__qualname__"].__get__(tp)
    return TypeError(
        f"cannot track instances of {qual!r}: they cannot be weakly referenced "
        f"(its __slots__ has no '__weakref__'). Fix: add '__weakref__' to "
        f"{qual}.__slots__, or track with keep=True (the tracker then holds a strong "
        f"reference until detach_all())"
    )


# ---------------------------------------------------------------------------
# references held by a TrackedObject
class _Ref(weakref.ref):
    """Weak reference that knows its :class:`TrackedObject` (one shared callback)."""

    __slots__ = ("tobj",)


class _HookRef(_Ref):
    """:class:`_Ref` that also calls ``on_delete()`` (``TrackedObject(on_delete=...)``)."""

    __slots__ = ("on_delete",)


def _on_death(ref: _Ref) -> None:
    """Weakref callback: record the death time (runs in whatever thread frees the object)."""
    try:
        now = _get_time()  # read before the check: a snapshot that saw the object dead
        tobj = ref.tobj    # and wrote its death first must not be overwritten by a later time
        if tobj.death is None:
            tobj.death = now
        if type(ref) is _HookRef:
            ref.on_delete()
    except Exception:  # noqa: BLE001 - interpreter shutdown, or a failing hook: nothing to record
        pass


class _StrongRef:
    """Callable like a weak reference, but holding the object (``keep=True`` without weakrefs)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __call__(self) -> Any:
        return self.obj


_REF_TYPES = (_Ref, _HookRef, _StrongRef)
_data_of = attrgetter("_data")
_ref_of = attrgetter("ref")
_death_of = attrgetter("death")
_repr_of = attrgetter("_repr")
_trees_of = attrgetter("_trees")


def _dead_ref() -> None:
    """The ``ref`` of objects loaded from a file or released by the tracker."""
    return


# ---------------------------------------------------------------------------
def _capture_trace() -> list[tuple]:
    """The caller's stack, outermost first, without this module's frames.

    Each record is ``(filename, lineno, function, [source line] or None, 0)`` — the
    fields of :func:`inspect.stack` records without the frame, as in Pympler.
    """
    frame = sys._getframe(1)
    here = __file__
    while frame is not None and frame.f_code.co_filename == here:
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


def _type_name(tp: type) -> str:
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

    __slots__ = ("_data", "_repr", "_resolution_level", "_trees", "death", "id", "name", "ref", "trace", "type")

    def __init__(self, instance: Any, name: str, resolution_level: int = 0, trace: bool = False,
                 on_delete: Any = None, *, _strong: bool = False, _birth_size: int | None = None,
                 _type: str | None = None) -> None:
        if _strong:
            self.ref = _StrongRef(instance)
        else:
            if on_delete is not None:
                ref = _HookRef(instance, _on_death)
                ref.on_delete = on_delete
            else:
                ref = _Ref(instance, _on_death)
            ref.tobj = self
            self.ref = ref
        self.id = id(instance)
        self._repr = ""
        self.type = _type if _type is not None else _type_name(type(instance))
        self.name = name
        self.death = None
        self.trace = _capture_trace() if trace else None
        self._resolution_level = _check_level(resolution_level)
        if _birth_size is None:
            _birth_size = _asizeof.basicsize(instance)
        self._data = array("d", (_get_time(), _birth_size))
        self._trees = None

    @classmethod
    def _restore(cls, *, id: int, name: str, repr: str, type: str, birth: float, death: float | None,
                 trace: list | None, resolution_level: int, birth_size: int, samples: list) -> TrackedObject:
        """A dead TrackedObject with the given data (``samples``: ``(ts, size, flat, tree or None)``)."""
        self = cls.__new__(cls)
        self.ref = _dead_ref
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
        return self

    def __repr__(self) -> str:
        state = "alive" if self.death is None else "dead"
        return (f"<TrackedObject {self.name!r} id={self.id:#x} {state} "
                f"samples={(len(self._data) - 2) // 3} max_size={self.get_max_size()}>")

    # -- identity ------------------------------------------------------------------
    @property
    def repr(self) -> str:
        """Clipped ``repr()`` of the object at the last snapshot (``''`` before the first)."""
        text = self._repr
        if text is None:  # object.__repr__: made from the type and id when asked
            return clip_text(f"<{self.type} object at {self.id:#x}>", _REPR_CLIP)
        return text

    @repr.setter
    def repr(self, value: str) -> None:
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

    # -- samples -------------------------------------------------------------------
    def _iter_samples(self) -> Iterator[tuple[float, int, int, _asizeof.Asized | None]]:
        """``(timestamp, size, flat, tree or None)`` of each snapshot sample, oldest first."""
        data = self._data
        trees = self._trees
        for i in range(2, len(data), 3):
            ts = data[i]
            size, flat = int(data[i + 1]), int(data[i + 2])
            tree = trees.get(ts) if trees else None
            if type(tree) is _InstanceTree:
                tree = tree.asized(size, flat)
            yield ts, size, flat, tree

    @property
    def snapshots(self) -> list[tuple[float, _asizeof.Asized]]:
        """``[(timestamp, Asized), ...]``: the basic size at birth, then each snapshot's sample."""
        size = self.birth_size
        out = [(self.birth, _asizeof.Asized(size, size))]
        for ts, size, flat, tree in self._iter_samples():
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
        self._resolution_level = _check_level(resolution_level)

    def track_size(self, ts: float, sizer: _asizeof.Asizer) -> None:
        """Sample the object's size now with ``sizer`` (stored under timestamp ``ts``).

        ``sizer`` is an accumulating :class:`~.asizeof.Asizer`: what it sized before
        counts 0. :meth:`ClassTracker.create_snapshot` does not call this; it sizes
        all tracked objects in one pass.
        """
        obj = self.ref()
        if obj is None:
            return
        tree = sizer.asized(obj, detail=self._resolution_level)[0]
        self._add_sample(ts, tree.size, tree.flat, tree if tree.refs else None)
        self.repr = safe_repr(obj, _REPR_CLIP)
        self.type = _type_name(type(obj))

    def _add_sample(self, ts: float, size: int, flat: int, tree: _asizeof.Asized | None) -> None:
        self._data.extend((ts, size, flat))
        if tree is not None:
            if self._trees is None:
                self._trees = {}
            self._trees[ts] = tree

    def finalize(self, ref: Any = None) -> None:
        """Record the death time now (the weakref callback does this by itself)."""
        if self.death is None:
            self.death = _get_time()


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


# ---------------------------------------------------------------------------
class PeriodicThread(threading.Thread):
    """Daemon thread named ``'BackgroundMonitor'`` that snapshots every ``interval`` seconds."""

    def __init__(self, tracker: ClassTracker, interval: float, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("name", "BackgroundMonitor")
        kwargs.setdefault("daemon", True)
        super().__init__(*args, **kwargs)
        self.interval = interval
        self.tracker = tracker
        self.error: BaseException | None = None
        self._halt = threading.Event()

    @property
    def stop(self) -> bool:
        """``True`` once asked to stop (set it to ``True`` to ask)."""
        return self._halt.is_set()

    @stop.setter
    def stop(self, value: bool) -> None:
        if value:
            self._halt.set()
        else:
            self._halt.clear()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.tracker.create_snapshot()
            except BaseException as exc:  # noqa: BLE001 - reported by stop_periodic_snapshots
                self.error = exc
                return
            self._halt.wait(self.interval)


class _Observer:
    """Options of one tracked class, its original ``__init__`` and the wrapper."""

    __slots__ = ("active", "cls", "detail", "had_own", "keep", "name", "orig", "trace", "wrapper")

    def __init__(self, cls: type, name: str, detail: int, keep: bool, trace: bool) -> None:
        self.cls = cls
        self.name = name
        self.detail = detail
        self.keep = keep
        self.trace = trace
        self.had_own = "__init__" in cls.__dict__
        self.orig = cls.__dict__.get("__init__")
        self.wrapper = None
        self.active = True


def _make_wrapper(tracker: ClassTracker, observer: _Observer):
    """The ``__init__`` put into a tracked class: track the instance, then initialize it."""
    cls = observer.cls
    note = tracker._instance_created
    if observer.had_own:
        orig = cls.__dict__["__init__"]
        if isinstance(orig, FunctionType):

            def __init__(self, *args, **kwargs):
                if observer.active:
                    note(self)
                return orig(self, *args, **kwargs)

        else:  # a descriptor or callable object: bind it like attribute lookup would

            def __init__(self, *args, **kwargs):
                if observer.active:
                    note(self)
                bind = getattr(type(orig), "__get__", None)
                if bind is None:
                    return orig(self, *args, **kwargs)
                return bind(orig, self, type(self))(*args, **kwargs)

        template = orig
    else:

        def __init__(self, *args, **kwargs):
            if observer.active:
                note(self)
            mro = type(self).__mro__
            try:
                start = mro.index(cls) + 1
            except ValueError:  # called on a foreign instance: behave like super()
                return super(cls, self).__init__(*args, **kwargs)
            for klass in mro[start:]:
                if "__init__" in klass.__dict__:
                    nxt = klass.__dict__["__init__"]
                    break
            else:  # pragma: no cover - object always defines __init__
                nxt = object.__init__
            if nxt is object.__init__:
                if (args or kwargs) and type(self).__new__ is object.__new__:
                    raise TypeError(f"{type(self).__name__}() takes no arguments")
                return None
            return nxt.__get__(self, type(self))(*args, **kwargs)

        template = cls.__init__
    try:
        update_wrapper(__init__, template)
    except (AttributeError, TypeError):  # pragma: no cover - exotic callables
        pass
    __init__.__pympler_nb_tracker__ = observer
    return __init__


class ClassTracker:
    """Track instances of classes and single objects; sample their sizes in snapshots.

    Parameters
    ----------
    stream : file-like, optional
        Where :attr:`stats` prints (default ``sys.stdout``).

    Attributes
    ----------
    index : dict[str, list[TrackedObject]]
        Tracked objects by name, dead ones included (a tracked class appears as soon
        as it is tracked).
    objects : dict[int, TrackedObject]
        Live tracked objects by ``id``.
    snapshots : list[Snapshot]
        The snapshots taken, oldest first.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.index: dict[str, list[TrackedObject]] = {}
        self.objects: dict[int, TrackedObject] = {}
        self.snapshots: list[Snapshot] = []
        self._keepalive: list[Any] = []
        self._observers: dict[type, _Observer] = {}
        self._observer_of: dict[type, _Observer | None] = {}
        self._type_info: dict[int, tuple[type, int, str]] = {}  # id -> type, basic size, name
        self._periodic_thread: PeriodicThread | None = None
        self._tree_bytes = 0  # bytes of the Asized trees stored in the records
        self._stream = stream
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (f"<ClassTracker classes={len(self._observers)} objects={len(self.objects)} "
                f"snapshots={len(self.snapshots)}>")

    def __enter__(self) -> ClassTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def snapshot_lock(self) -> threading.RLock:
        """The re-entrant lock around snapshots and index updates (Pympler's name)."""
        return self._lock

    # -- results -------------------------------------------------------------------
    @property
    def stats(self):
        """A :class:`~.classtracker_stats.ConsoleStats` over this tracker's data."""
        from .classtracker_stats import ConsoleStats

        return ConsoleStats(tracker=self, stream=self._stream)

    @property
    def history(self) -> dict[str, list[tuple[float, int]]]:
        """``{name: [(timestamp, live instances), ...]}``, one entry per birth and death."""
        from .classtracker_stats import _history

        with self._lock:
            return _history(self.index)

    # -- tracking ------------------------------------------------------------------
    def _info(self, tp: type, instance: Any) -> tuple[int, str]:
        """Basic size and name of ``tp`` (cached: instances share one name string)."""
        # keyed by id (a metaclass's __hash__/__eq__ may raise); the entry holds the type
        info = self._type_info.get(id(tp))
        if info is None or info[0] is not tp:
            if len(self._type_info) > 4096:  # bound the cache (it holds the classes)
                self._type_info.clear()
            info = self._type_info[id(tp)] = (tp, _asizeof.basicsize(instance), _type_name(tp))
        return info[1:]

    def _observer_for(self, tp: type) -> _Observer | None:
        """The active observer of the most specialised tracked class in ``tp``'s MRO."""
        found = self._observer_of.get(tp, False)
        if found is False or (found is not None and not found.active):
            with self._lock:
                found = None
                observers = self._observers
                for klass in tp.__mro__:
                    obs = observers.get(klass)
                    if obs is not None and obs.active:
                        found = obs
                        break
                self._observer_of[tp] = found
        return found

    def _instance_created(self, instance: Any) -> None:
        """Called by the wrapped ``__init__`` of tracked classes."""
        obs = self._observer_for(type(instance))
        if obs is not None:
            self._track(instance, obs.name, obs.detail, obs.keep, obs.trace)

    def _track(self, instance: Any, name: str, level: int, keep: bool, trace: bool) -> None:
        tp = type(instance)
        weak = _weakrefable(tp)
        if not weak and not keep:
            raise _not_weakrefable(tp)
        with self._lock:
            key = id(instance)
            old = self.objects.get(key)
            if old is not None:
                if old.ref() is instance:
                    return  # tracked already: the first (most specialised) call decided
                del self.objects[key]  # the id of a dead tracked object is reused
                if old.death is None:
                    old.death = _get_time()
            size, tname = self._info(tp, instance)
            tobj = TrackedObject(instance, name, level, False, _strong=not weak, _birth_size=size, _type=tname)
            if trace:
                tobj.trace = _capture_trace()
            self.objects[tobj.id] = tobj  # the key is the record's own int: stored once
            bucket = self.index.get(name)
            if bucket is None:
                bucket = self.index[name] = []
            bucket.append(tobj)
            if keep and weak:
                self._keepalive.append(instance)

    def track_object(self, instance: Any, name: str | None = None, resolution_level: int = 0,
                     keep: bool = False, trace: bool = False) -> None:
        """Track one object: record its lifetime and sample its size in snapshots.

        Parameters
        ----------
        instance : object
            An object that can be weakly referenced (class instances, functions,
            sets, ...; not ``int``, ``str``, ``list``, ``dict`` or ``tuple``), or any
            object with ``keep=True``.
        name : str, optional
            Name to track it under; default: its class's ``__name__``.
        resolution_level : int
            0 sizes the object as a whole; 1 also each direct referent; 2 their
            referents too, and so on (kept as :class:`~.asizeof.Asized` trees).
        keep : bool
            Hold a strong reference so that the object stays alive.
        trace : bool
            Record the stack of this call.

        Raises
        ------
        TypeError
            If the object cannot be weakly referenced and ``keep`` is false.
        """
        _check_name(name)
        level = _check_level(resolution_level)
        tp = type(instance)
        if not _weakrefable(tp) and not keep:
            if any(tp is b for b in (int, str, list, dict, tuple, float, bytes, bool, type(None))):
                raise TypeError(
                    f"cannot track a {tp.__name__} object: built-in {tp.__name__} objects cannot be "
                    "weakly referenced. Fix: track an object that holds it, or pass keep=True"
                )
            raise _not_weakrefable(tp)
        if name is None:
            name = type.__dict__["__name__"].__get__(tp)  # no metaclass code runs
        self._track(instance, name, level, keep, trace)

    def track_class(self, cls: type, name: str | None = None, resolution_level: int = 0,
                    keep: bool = False, trace: bool = False) -> None:
        """Track every instance of ``cls`` (and of its subclasses) created from now on.

        The class's ``__init__`` is wrapped (restored by :meth:`detach_class`,
        :meth:`detach_all_classes` and :meth:`close`). Calling it again for a tracked
        class changes its name and options for instances created afterwards.

        Parameters
        ----------
        cls : type
            The class.
        name : str, optional
            Default: ``cls.__module__ + '.' + cls.__name__``.
        resolution_level, keep, trace
            As for :meth:`track_object` (``trace`` records each instantiation's stack).

        Raises
        ------
        TypeError
            If ``cls`` is not a class, its ``__init__`` cannot be replaced (built-in and
            extension types), or its instances cannot be weakly referenced and ``keep``
            is false.
        """
        if not isinstance(cls, type):
            raise TypeError(f"track_class({cls!r}): only classes can be tracked; use track_object() "
                            "for single objects")
        _check_name(name)
        level = _check_level(resolution_level)
        if not _weakrefable(cls) and not keep:
            raise _not_weakrefable(cls)
        if name is None:
            name = f"{cls.__module__}.{cls.__name__}"
        with self._lock:
            obs = self._observers.get(cls)
            if obs is not None:
                obs.name, obs.detail, obs.keep, obs.trace = name, level, bool(keep), bool(trace)
            else:
                obs = _Observer(cls, name, level, bool(keep), bool(trace))
                obs.wrapper = _make_wrapper(self, obs)
                try:
                    cls.__init__ = obs.wrapper
                except (TypeError, AttributeError) as exc:
                    raise TypeError(
                        f"cannot track class {cls.__qualname__!r}: its __init__ cannot be replaced "
                        f"({exc}). Track single objects with track_object() instead"
                    ) from None
                self._observers[cls] = obs
                self._observer_of.clear()
            self.index.setdefault(name, [])

    def track_change(self, instance: Any, resolution_level: int = 0) -> None:
        """Size the tracked ``instance`` at ``resolution_level`` from the next snapshot on.

        Raises
        ------
        KeyError
            If ``instance`` is not tracked.
        """
        level = _check_level(resolution_level)
        with self._lock:
            tobj = self.objects.get(id(instance))
            if tobj is None or tobj.ref() is not instance:
                raise KeyError(f"{type(instance).__name__} object at {id(instance):#x} is not tracked; "
                               "track it first with track_object() or track_class()")
            tobj.set_resolution_level(level)

    # -- detaching -----------------------------------------------------------------
    def _restore(self, obs: _Observer) -> None:
        cls = obs.cls
        obs.active = False  # a wrapper that cannot be removed becomes a pass-through
        # unwrap from the top while the top is a detached wrapper (ours or another tracker's)
        while True:
            top = cls.__dict__.get("__init__")
            owner = getattr(top, "__pympler_nb_tracker__", None)
            if type(owner) is not _Observer or owner.active or owner.cls is not cls or top is not owner.wrapper:
                break
            if owner.had_own:
                cls.__init__ = owner.orig
            else:
                delattr(cls, "__init__")

    def detach_class(self, cls: type) -> None:
        """Stop tracking new instances of ``cls``; its existing instances stay tracked.

        Raises
        ------
        KeyError
            If ``cls`` is not tracked.
        """
        with self._lock:
            obs = self._observers.pop(cls, None)
            if obs is None:
                tracked = ", ".join(sorted(c.__qualname__ for c in self._observers)) or "none"
                raise KeyError(f"class {getattr(cls, '__qualname__', cls)!r} is not tracked "
                               f"(tracked: {tracked})")
            self._restore(obs)
            self._observer_of.clear()

    def detach_all_classes(self) -> None:
        """Restore the ``__init__`` of every tracked class."""
        with self._lock:
            for cls in list(self._observers):
                self.detach_class(cls)

    def detach_all(self) -> None:
        """Detach from all classes and objects, and forget the tracked objects."""
        with self._lock:
            self.detach_all_classes()
            for tobj in self.objects.values():
                if type(tobj.ref) is _StrongRef:
                    tobj.ref = _dead_ref
            self.objects.clear()
            self.index.clear()
            self._keepalive.clear()
            self._type_info.clear()
            self._tree_bytes = 0

    def clear(self) -> None:
        """Like :meth:`detach_all`, and drop the snapshots too."""
        with self._lock:
            self.detach_all()
            self.snapshots.clear()

    def close(self) -> None:
        """Stop periodic snapshots and restore the constructors of tracked classes.

        Tracked objects and snapshots stay available (``contextlib.closing`` and
        ``with ClassTracker() as tracker:`` call this).
        """
        self.stop_periodic_snapshots()
        self.detach_all_classes()

    # -- background monitoring ------------------------------------------------------
    def start_periodic_snapshots(self, interval: float = 1.0) -> None:
        """Take a snapshot every ``interval`` seconds in a daemon thread ``'BackgroundMonitor'``.

        If periodic snapshots run already, only the interval changes.
        """
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval >= 0:
            raise ValueError(f"interval={interval!r}: use a number of seconds >= 0")
        thread = self._periodic_thread
        if thread is not None and thread.is_alive() and not thread.stop:
            thread.interval = interval
            return
        thread = PeriodicThread(self, interval, name="BackgroundMonitor")
        self._periodic_thread = thread
        thread.start()

    def stop_periodic_snapshots(self) -> None:
        """Stop the periodic snapshots and wait for the thread to end.

        A snapshot that failed in the thread is reported here as a
        :class:`RuntimeWarning`.
        """
        thread = self._periodic_thread
        if thread is None:
            return
        thread.stop = True
        if thread is not threading.current_thread():
            thread.join()
        self._periodic_thread = None
        if thread.error is not None:
            warnings.warn(f"a periodic snapshot failed: {thread.error!r}", RuntimeWarning, stacklevel=2)

    # -- snapshots -----------------------------------------------------------------
    def _overhead(self, sizer: _asizeof.Asizer) -> int:
        """Bytes of the tracker's own data (``sizer`` has sized the tracked objects).

        The same number as ``sizer.asizeof(self)``, without walking every record at every
        snapshot: the walk stops at the :class:`TrackedObject` records, whose own parts
        (the record, its reference, its size array, its death time and repr, its id once
        it left :attr:`objects`) are added up with :func:`sys.getsizeof`, and whose
        Asized trees were sized once, when they were stored (``_tree_bytes``).
        """
        records = [t for tobjs in self.index.values() for t in tobjs]
        if not records:
            return sizer.asizeof(self) + self._tree_bytes
        total = _asizeof_excluding(sizer, self, records)  # names, ids in `objects`, snapshots, ...
        size = sys.getsizeof
        total += sum(map(size, records))
        total += sum(map(size, map(_data_of, records)))
        refs = list(map(_ref_of, records))
        total += sum(size(r) for r in refs if type(r) in _REF_TYPES)
        total += sum(size(d) for d in map(_death_of, records) if d is not None)
        total += sum(size(r) for r in map(_repr_of, records) if r)
        live = self.objects
        total += sum(size(t.id) for t in records if live.get(t.id) is not t)
        holders = [h for h in map(_trees_of, records) if h is not None]
        total += sum(map(size, holders)) + self._tree_bytes
        extra = [t.trace for t in records if t.trace is not None]
        extra += [r.on_delete for r in refs if type(r) is _HookRef]
        if extra:
            total += sizer.asizeof(*extra)
        return total

    def create_snapshot(self, description: str = "", compute_total: bool = False) -> None:
        """Sample the size of every live tracked object and the process's memory.

        Each byte reachable from tracked objects is counted once, for the first
        tracked object (in tracking order) that reaches it; references from one
        tracked object to another are not followed.

        Parameters
        ----------
        description : str
            Shown in the statistics (``Snapshot.desc``).
        compute_total : bool
            Also size every object known to the gc (``Snapshot.asizeof_total``; slow).
        """
        from .process import ProcessMemoryInfo

        with self._lock:
            tobjs = []
            objs = []
            levels = []
            dead = []
            for key, tobj in self.objects.items():
                obj = tobj.ref()
                if obj is None:
                    dead.append(key)
                    if tobj.death is None:  # freed, its callback not run yet
                        tobj.death = _get_time()
                    continue
                tobjs.append(tobj)
                objs.append(obj)
                levels.append(tobj._resolution_level)
            for key in dead:
                del self.objects[key]
            timestamp = _get_time()
            sizer = _asizeof.Asizer()
            was_enabled = gc.isenabled()
            gc.disable()  # the many small records made here must not set off full collections
            try:
                results = _size_all(sizer, objs, levels)
                tracked_total = sizer.total
                new_trees = []
                for tobj, res in zip(tobjs, results):
                    if type(res) is tuple:
                        if len(res) == 2:
                            tobj._data.extend((timestamp, res[0], res[1]))
                        else:  # (size, flat, _InstanceTree)
                            tobj._add_sample(timestamp, res[0], res[1], res[2])
                            new_trees.append(res[2])
                    elif res.refs:
                        tobj._add_sample(timestamp, res.size, res.flat, res)
                        new_trees.append(res)
                    else:
                        tobj._add_sample(timestamp, res.size, res.flat, None)
                results = None
                if new_trees:  # trees never change: size each once, not at every later snapshot
                    self._tree_bytes += sizer.asizeof(*new_trees)
            finally:
                if was_enabled:
                    gc.enable()
            snapshot = Snapshot(timestamp, str(description), ProcessMemoryInfo())
            snapshot.tracked_total = tracked_total
            if compute_total:
                snapshot.asizeof_total = _asizeof.asizeof(all=True, code=True)
            if tracked_total:
                snapshot.overhead = self._overhead(sizer)
                if snapshot.asizeof_total:
                    snapshot.asizeof_total -= snapshot.overhead
            self.snapshots.append(snapshot)
        # user __repr__ code runs outside the lock; object.__repr__ texts are made when read
        plain: dict[int, tuple[bool, str]] = {}  # by id(type): objs keep the types alive
        default_repr = object.__repr__
        for tobj, obj in zip(tobjs, objs):
            tp = type(obj)
            kind = plain.get(id(tp))
            if kind is None:
                kind = plain[id(tp)] = (_type_repr_method(tp) is default_repr, self._info(tp, obj)[1])
            tobj._repr = None if kind[0] else safe_repr(obj, _REPR_CLIP)
            tobj.type = kind[1]
        objs = None


# ---------------------------------------------------------------------------
def _size_all(sizer: _asizeof.Asizer, objs: list, levels: list) -> list:
    """Size ``objs`` in order with one ``sizer``, not following references among them.

    Returns, per object, ``(size, flat)`` for resolution level 0 or an
    :class:`~.asizeof.Asized` tree of that depth. Objects are sized one after the
    other (shared data goes to the first), in one sizing session
    (:meth:`Asizer.session <pympler_nb.core.asizeof.Asizer.session>`), so the work is
    linear in the number of objects. The result equals :func:`_size_all_public`.
    """
    with sizer.session(others=list(map(id, objs))) as session:
        if _bulk_ok(sizer, session, objs, levels):
            res = session.size_many(objs)
            if res is not None:  # else an order the bulk walk cannot keep: one at a time
                return _bulk_results(sizer, objs, levels, *res)
        out = []
        append = out.append
        for obj, level in zip(objs, levels):
            append(session.size(obj) if level == 0 else session.tree(obj, level))
        return out


def _bulk_ok(sizer: _asizeof.Asizer, session: _asizeof.SizingSession, objs: list, levels: list) -> bool:
    """Whether :func:`_bulk_results` can give every object's result: levels 0 and 1
    only, and at level 1 plain instances whose attributes are in a values array (the
    tree is then the instance, its ``__dict__`` and its ``__class__``)."""
    if not objs or max(levels) > 1 or sizer.code:
        return False
    plain: dict[int, bool] = {}  # by id(type): objs keep the types alive
    has_values = _layout.has_values
    for obj, level in zip(objs, levels):
        if level:
            tp = type(obj)
            ok = plain.get(id(tp))
            if ok is None:
                ok = plain[id(tp)] = session.plain_instances(tp)
            if not ok or not has_values(obj, tp, True):
                return False
    return True


def _bulk_results(sizer: _asizeof.Asizer, objs: list, levels: list, sizes: list, flats: list,
                  hiddens: list) -> list:
    """Per object, what :func:`_size_all` gives, from :meth:`SizingSession.size_many`'s lists.

    A level-1 tree of a plain instance is its flat part, a ``'__dict__'`` node holding
    the values array (the hidden part) and all the values reach, and a ``'__class__'``
    node that counts 0 (classes are sized only with ``code=True``).
    """
    clip = sizer.clip
    out = []
    append = out.append
    for obj, level, size, flat, hidden in zip(objs, levels, sizes, flats, hiddens):
        if level == 0:
            append((size, flat))
        else:
            append((size, flat - hidden, _InstanceTree(safe_repr(obj, clip), hidden)))
    return out


class _InstanceTree:
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


def _asizeof_excluding(sizer: _asizeof.Asizer, root: Any, excluded: list) -> int:
    """``sizer.asizeof(root)`` without following references to ``excluded`` objects."""
    with sizer.session(roots=(root,), others=list(map(id, excluded))) as session:
        return session.size(root)[0]


def _size_all_public(sizer: _asizeof.Asizer, objs: list, levels: list) -> list:
    """:func:`_size_all` through the public Asizer API (quadratic in ``len(objs)``)."""
    sizer.exclude_refs(*objs)
    out = []
    for obj, level in zip(objs, levels):
        tree = sizer.asized(obj, detail=level)[0]
        out.append((tree.size, tree.flat) if level == 0 else tree)
    return out
