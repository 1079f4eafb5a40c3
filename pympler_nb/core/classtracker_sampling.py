"""The sampling engine of the Class Tracker: all tracked objects sized in one pass, and
the thread that takes periodic snapshots.

:func:`size_all` sizes the live tracked objects of a snapshot in tracking order with
one :class:`~.asizeof.Asizer` session (shared data counted once, for the first object;
references among tracked objects not followed); :func:`size_all_public` is the same
through the public Asizer API (quadratic, the reference for tests);
:class:`PeriodicThread` is the ``'BackgroundMonitor'`` daemon thread of
:meth:`ClassTracker.start_periodic_snapshots <.classtracker.ClassTracker.start_periodic_snapshots>`.

>>> from pympler_nb.core.asizeof import Asizer
>>> shared = list(range(100))
>>> a, b = [shared], [shared]
>>> first, second = size_all(Asizer(), [a, b], [0, 0])
>>> first[0] > second[0]  # the shared list counts for the first object only
True
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import _layout
from . import asizeof as _asizeof
from ._format import safe_repr
from .classtracker_objects import InstanceTree

if TYPE_CHECKING:
    from .classtracker import ClassTracker

__all__ = ["PeriodicThread", "asizeof_excluding", "size_all", "size_all_public"]


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


def size_all(sizer: _asizeof.Asizer, objs: list, levels: list) -> list:
    """Size ``objs`` in order with one ``sizer``, not following references among them.

    Returns, per object, ``(size, flat)`` for resolution level 0 or an
    :class:`~.asizeof.Asized` tree of that depth. Objects are sized one after the
    other (shared data goes to the first), in one sizing session
    (:meth:`Asizer.session <pympler_nb.core.asizeof.Asizer.session>`), so the work is
    linear in the number of objects. The result equals :func:`size_all_public`.
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
    """Per object, what :func:`size_all` gives, from :meth:`SizingSession.size_many`'s lists.

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
            append((size, flat - hidden, InstanceTree(safe_repr(obj, clip), hidden)))
    return out



def asizeof_excluding(sizer: _asizeof.Asizer, root: Any, excluded: list) -> int:
    """``sizer.asizeof(root)`` without following references to ``excluded`` objects."""
    with sizer.session(roots=(root,), others=list(map(id, excluded))) as session:
        return session.size(root)[0]


def size_all_public(sizer: _asizeof.Asizer, objs: list, levels: list) -> list:
    """:func:`size_all` through the public Asizer API (quadratic in ``len(objs)``)."""
    sizer.exclude_refs(*objs)
    out = []
    for obj, level in zip(objs, levels):
        tree = sizer.asized(obj, detail=level)
        out.append((tree.size, tree.flat) if level == 0 else tree)
    return out
