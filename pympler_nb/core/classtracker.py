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

This module holds :class:`ClassTracker` (tracking, detaching, snapshots) and re-exports
the parts it is built from: :mod:`.classtracker_objects` (the records:
:class:`TrackedObject`, :class:`Snapshot`), :mod:`.classtracker_sampling` (sizing all
tracked objects in one pass, :class:`PeriodicThread`); the statistics are in
:mod:`.classtracker_stats`.

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
import threading
import warnings
from functools import update_wrapper
from types import FunctionType
from typing import IO, Any

from . import _layout
from . import asizeof as _asizeof
from ._format import safe_repr
from .classtracker_reports import ConsoleStats
from .classtracker_objects import (
    EPOCH,
    REPR_CLIP,
    ProcessMemorySample,
    Snapshot,
    StrongRef,
    TrackedObject,
    capture_trace,
    check_level,
    dead_ref,
    get_time,
    history,
    records_own_size,
    type_name,
)
from .classtracker_sampling import PeriodicThread, asizeof_excluding, size_all
from .process import ProcessMemoryInfo

__all__ = ["EPOCH", "ClassTracker", "PeriodicThread", "ProcessMemorySample", "Snapshot", "TrackedObject"]


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
            # the next class that defines __init__ (object, the last one, always does)
            nxt = next(k.__dict__["__init__"] for k in mro[start:] if "__init__" in k.__dict__)
            if nxt is object.__init__:
                if (args or kwargs) and type(self).__new__ is object.__new__:
                    raise TypeError(f"{type(self).__name__}() takes no arguments")
                return None
            return nxt.__get__(self, type(self))(*args, **kwargs)

        template = cls.__init__
    try:
        update_wrapper(__init__, template)
    except Exception:  # noqa: BLE001 - a callable with a non-str __name__ or hostile attributes
        pass  # the wrapper keeps its own name and docstring
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
        return ConsoleStats(tracker=self, stream=self._stream)

    @property
    def history(self) -> dict[str, list[tuple[float, int]]]:
        """``{name: [(timestamp, live instances), ...]}``, one entry per birth and death."""
        with self._lock:
            return history(self.index)

    # -- tracking ------------------------------------------------------------------
    def _info(self, tp: type, instance: Any) -> tuple[int, str]:
        """Basic size and name of ``tp`` (cached: instances share one name string)."""
        # keyed by id (a metaclass's __hash__/__eq__ may raise); the entry holds the type
        info = self._type_info.get(id(tp))
        if info is None or info[0] is not tp:
            if len(self._type_info) > 4096:  # bound the cache (it holds the classes)
                self._type_info.clear()
            info = self._type_info[id(tp)] = (tp, _asizeof.basicsize(instance), type_name(tp))
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
                    old.death = get_time()
            size, tname = self._info(tp, instance)
            tobj = TrackedObject(instance, name, level, False, _strong=not weak, _birth_size=size, _type=tname)
            if trace:
                tobj.trace = capture_trace(__file__)
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
        level = check_level(resolution_level)
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
        class changes its name and options for instances created afterwards; the old
        name leaves :attr:`index` unless instances were tracked under it.

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
        level = check_level(resolution_level)
        if not _weakrefable(cls) and not keep:
            raise _not_weakrefable(cls)
        if name is None:
            name = f"{cls.__module__}.{cls.__name__}"
        with self._lock:
            obs = self._observers.get(cls)
            if obs is not None:
                old_name = obs.name
                obs.name, obs.detail, obs.keep, obs.trace = name, level, bool(keep), bool(trace)
                # a renamed class leaves no empty entry under its old name (as in Pympler,
                # where a name enters the index with its first instance); instances
                # tracked under the old name stay listed there
                if (old_name != name and not self.index.get(old_name, True)
                        and all(o.name != old_name for o in self._observers.values())):
                    del self.index[old_name]
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
        level = check_level(resolution_level)
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
            # our wrappers are plain functions: no attribute of the user's own __init__ is read
            owner = getattr(top, "__pympler_nb_tracker__", None) if type(top) is FunctionType else None
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
                if type(tobj.ref) is StrongRef:
                    tobj.ref = dead_ref
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
        total = asizeof_excluding(sizer, self, records)  # names, ids in `objects`, snapshots, ...
        own, extra = records_own_size(records, self.objects)
        total += own + self._tree_bytes
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
                        tobj.death = get_time()
                    continue
                tobjs.append(tobj)
                objs.append(obj)
                levels.append(tobj.resolution_level)
            for key in dead:
                del self.objects[key]
            timestamp = get_time()
            sizer = _asizeof.Asizer()
            was_enabled = gc.isenabled()
            gc.disable()  # the many small records made here must not set off full collections
            try:
                results = size_all(sizer, objs, levels)
                tracked_total = sizer.total
                new_trees = []
                for tobj, res in zip(tobjs, results):
                    if type(res) is tuple:
                        if len(res) == 2:
                            tobj.add_sample(timestamp, res[0], res[1])
                        else:  # (size, flat, InstanceTree)
                            tobj.add_sample(timestamp, res[0], res[1], res[2])
                            new_trees.append(res[2])
                    elif res.refs:
                        tobj.add_sample(timestamp, res.size, res.flat, res)
                        new_trees.append(res)
                    else:
                        tobj.add_sample(timestamp, res.size, res.flat, None)
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
            tobj.repr = None if kind[0] else safe_repr(obj, REPR_CLIP)  # None: made when read
            tobj.type = kind[1]
        objs = None
