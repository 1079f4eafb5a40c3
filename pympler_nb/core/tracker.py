"""Heap diffs over time (drop-in for ``pympler.tracker``).

:class:`SummaryTracker` answers "what did this step add?": each
:meth:`~SummaryTracker.diff` summarizes the heap (see :mod:`.muppy` and
:mod:`.summary`) and subtracts the previous summary.  It is *quiet*: with nothing
happening between two diffs the diff is empty, in a plain interpreter and inside
an IPython shell, and a step that creates 1,000 dicts shows exactly those dicts.
What a tracker leaves out of its summaries is chosen by object identity, never by
hiding a whole type:

1. **The tracker's own objects** (``ignore_self=True``): the tracker, its
   containers, the summaries it stores (``s0``, ``summaries``) and the summaries
   and diffs it has handed out, while they are alive (a displayed diff sits in
   IPython's output cache).  They are skipped during the heap walk, so what only
   they reference (their strings and integers) is not found either; a string the
   program also holds is still counted.
2. **The interactive session's bookkeeping** (``ignore_session=True``): when an
   IPython shell runs in this process (found through ``sys.modules``; IPython is
   never imported), what it keeps per executed cell rather than because of what
   the cell does: input history lists and their strings, the output-cache table
   (not the cached values), the ``_iN``/``_N`` names and the namespace tables
   they grow, captured outputs, the cell source cache (``linecache`` entries of
   cells), the last input line, the current and last ``ExecutionResult``,
   stored exception reports and, under ipykernel, message headers, the digest
   history and the pending callbacks of the kernel's event loops.
3. **The act of diffing itself**: the code that runs the current cell (the
   frames below the cell) holds the cell's text, syntax tree and code objects
   and a few transient containers while ``diff()`` runs.  These are skipped:
   the syntax tree and code objects of the running cell explicitly, the rest
   when ``sys.getrefcount`` shows that only those frames (their locals, counted
   with ``gc.get_referents``) and other such objects hold them.  Before
   measuring, the tracker also waits (at most 1 s) for IPython's history-saving
   thread to finish writing the cell to its database.

Outputs themselves (``Out[n]``, ``_``) and everything the user's code holds are
counted.  Summaries a tracker makes leave out these objects, so compare them with
summaries of the same tracker (``create_summary``/``store_summary``), not with
``summary.summarize(muppy.get_objects())``.

Known limits: on Python 3.11 a running frame's value stack is invisible to the
collector, so a cell whose *shape* differs from the previous diff's (statement
count, loops) can leave a few list/tuple rows in the next diff; a second diff is
quiet.  Inside a Jupyter kernel, diffs are quiet up to an occasional few bytes of
message strings (their length varies with message counters).

:class:`ObjectTracker` diffs by object identity and keeps strong references to
every object of its last listing until the next diff (Pympler's documented
behaviour); objects that only the listing keeps alive are dropped from the next
listing, so they show up in ``'-'`` and are freed.  A diff is linear in the heap
size.

>>> from pympler_nb.core.tracker import SummaryTracker
>>> tr = SummaryTracker()
>>> store = [{} for _ in range(100)]
>>> d = tr.diff()
>>> [row for row in d if row[0] == "dict"]
[['dict', 100, 6400]]
"""

from __future__ import annotations

import gc
import sys
import weakref
from contextlib import nullcontext
from functools import partial
from collections.abc import Iterable, Iterator
from itertools import compress, repeat
from operator import eq
from typing import Any

from . import muppy, summary
from .objwalk import SINGLE_REFCOUNT as _SINGLE_RC
from .flatsize import own_size
from .objwalk import is_iterable, OthersWait, walk_flat, walk_heap
from .session import Discount, kernel_background, own_objects, refcounts, register_own, session_bookkeeping
from .gcsafe import get_referents

_SINGLE_RC_MINUS_ONE = _SINGLE_RC - 1  # a listing's element that nothing else references

__all__ = ["SummaryTracker", "ObjectTracker"]


class _Summary(list):
    """A summary handed out by a tracker: a plain list of rows that can be weakly referenced.

    The tracker remembers the summaries and diffs it returned (weakly) so that
    they are not counted while the caller (or IPython's output cache) holds them.
    """

    __slots__ = ("__weakref__",)


class _Rows(list):
    """A summary a tracker keeps for itself (``s0``/``s1``): rows as tuples.

    Tuples of strings and integers are untracked by the collector's next pass, so
    the heap walk never lists them; the tracker leaves out just this one list.
    """

    __slots__ = ()


def _frozen(rows: Iterable) -> _Rows:
    return _Rows(map(tuple, rows))


class _Handed(list):
    """The tracker's weak references to what it handed out (a type of its own)."""

    __slots__ = ()


class _Summaries(dict):
    """``SummaryTracker.summaries``: a plain dict of stored summaries, by key."""

    __slots__ = ()


class _Diff(dict):
    """``{'+': [...], '-': [...]}`` returned by :meth:`ObjectTracker.get_diff` (weakly referable)."""

    __slots__ = ("__weakref__",)


# --------------------------------------------------------------------------
# summaries with discounts
# --------------------------------------------------------------------------

def _summarize_heap(out: Discount, late: bool = False, frames: bool = False) -> list[list]:
    """Summary of the heap without ``out.skip`` and minus ``out.subtract``; ``late``: also
    without the kernel's background objects, found right before the heap is listed
    (:func:`~pympler_nb.core.session.kernel_background`); ``frames``: frame objects (and
    what only they hold) are listed too, except the tracker's own.

    ``out`` is filled before the walk; it is emptied before returning so that
    it keeps nothing alive.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # freshly built big lists must not be traversed by a young collection
    # in a kernel its threads change their queues and tables all the time: they wait until
    # everything is listed and sized, so that both summaries of a diff see one heap each
    hold = OthersWait() if late else nullcontext()
    try:
        with hold:
            table: dict = {}
            listing = partial(kernel_background, out) if late else None  # (no lambda: its cell)
            flat = walk_flat(frames, skip=out.skip, before_listing=listing)
            if flat is not None:  # the C walk: the whole heap in one list, counted and
                summary.tabulate(flat[0], None, table, consume=True)  # released in one pass
                del flat
            else:
                for part in walk_heap(frames, True, skip=out.skip, before_listing=listing):
                    summary.tabulate(part.objects, part.types, table, part.codes, part.frequent)
                    del part
            if out.subtract:
                key = summary.row_key_function()
                for obj in out.subtract.values():
                    acc = table.get(key(obj))
                    if acc is not None:
                        acc[0] -= 1
                        acc[1] -= own_size(obj)
    finally:
        if was_enabled:
            gc.enable()
    out.skip.clear()
    out.subtract.clear()
    return [[k, n, size] for k, (n, size) in table.items() if n or size]


_LIVE_TRACKERS: weakref.WeakSet = weakref.WeakSet()


def _trackers_own() -> list:
    """Our own objects of every live summary tracker (and the registry's weak references)."""
    own: list = [_LIVE_TRACKERS, _LIVE_TRACKERS.data]
    own.extend(_LIVE_TRACKERS.data)
    for tr in list(_LIVE_TRACKERS):
        own.extend(tr._own_objects())
    return own


register_own(_trackers_own)


class SummaryTracker:
    """Diff summaries of the heap over time.

    A first summary is taken when the tracker is created; :meth:`diff` with no
    arguments returns what changed since the previous call (or creation).

    Parameters
    ----------
    ignore_self : bool, default True
        Leave the tracker's own objects out of its summaries (see the module
        docstring); with ``False`` they show up, as in Pympler.
    ignore_session : bool, default True
        Leave the IPython session's per-cell bookkeeping out of its summaries.
    frames : bool, default False
        Count frame objects too (Pympler's summaries leave them out): a frame kept
        alive by a stored traceback holds its local variables, which are then counted.

    Attributes
    ----------
    s0 : summary
        The summary the next :meth:`diff` compares against.
    s1 : summary or None
        The summary taken by the last :meth:`diff` (Pympler's attribute).
    summaries : dict
        Summaries stored with :meth:`store_summary`, by key.

    Notes
    -----
    The tracker holds only strings and integers (its summaries) and weak
    references to the summaries it handed out: it keeps none of your objects
    alive.  One summary costs about as much as ``summarize(get_objects())``.

    Examples
    --------
    >>> tr = SummaryTracker()
    >>> data = [{} for _ in range(50)]
    >>> d = tr.diff()
    >>> [row for row in d if row[0] == "dict"]
    [['dict', 50, 3200]]
    """

    __slots__ = ("_s0", "_s1", "summaries", "ignore_self", "ignore_session", "frames",
                 "_handed", "__weakref__")

    def __init__(self, ignore_self: bool = True, *, ignore_session: bool = True,
                 frames: bool = False) -> None:
        self.summaries: dict = _Summaries()
        self._handed: list = _Handed()  # weak references to the summaries/diffs handed out
        self.ignore_self = bool(ignore_self)
        self.ignore_session = bool(ignore_session)
        self.frames = bool(frames)
        self._s1: _Rows | None = None
        self._s0 = _Rows()
        _LIVE_TRACKERS.add(self)
        self._s0 = _frozen(self._summary())

    @property
    def s0(self) -> list:
        """The summary the next :meth:`diff` compares against (a copy)."""
        return self._hand_out([list(row) for row in self._s0])

    @s0.setter
    def s0(self, rows: list) -> None:
        self._s0 = _frozen(summary.checked_rows(rows, "s0"))

    @property
    def s1(self) -> list | None:
        """The summary taken by the last :meth:`diff` (a copy), or None."""
        if self._s1 is None:
            return None
        return self._hand_out([list(row) for row in self._s1])

    @s1.setter
    def s1(self, rows: list | None) -> None:
        self._s1 = None if rows is None else _frozen(summary.checked_rows(rows, "s1"))

    def __repr__(self) -> str:
        return "<SummaryTracker ignore_self=%s ignore_session=%s summaries=%d>" % (
            self.ignore_self, self.ignore_session, len(self.summaries))

    def _own_objects(self) -> list:
        """The tracker, its containers and every summary it holds or handed out (listed
        in the session's registry of our own objects, see :func:`session.register_own`)."""
        self._handed[:] = [ref for ref in self._handed if ref() is not None]
        own = [self, self.summaries, self._handed]
        tables = [self._s0, self._s1]
        tables.extend(self.summaries.values())
        for ref in self._handed:
            own.append(ref)
            tables.append(ref())
        for table in tables:
            if isinstance(table, list):
                own.append(table)
                own.extend(row for row in table if type(row) is list)
        del tables
        return own

    def _summary(self) -> list[list]:
        out = Discount()
        if self.ignore_self:
            skip = out.skip
            for obj in own_objects():  # every tracker's and snapshot's, this one's too
                skip[id(obj)] = obj
            obj = None
        if self.ignore_session:  # (the kernel's loops: right before the listing)
            session_bookkeeping(out, kernel_loops=False)
        return _summarize_heap(out, late=self.ignore_session, frames=self.frames)

    def _hand_out(self, rows: list) -> _Summary:
        result = _Summary(rows)
        self._handed.append(weakref.ref(result))
        return result

    # -- Pympler API --------------------------------------------------------
    def create_summary(self) -> list[list]:
        """Return a summary of the heap now (the tracker's objects left out).

        The summary is not stored; while you hold it, it is not counted in this
        tracker's later summaries.
        """
        return self._hand_out(self._summary())

    def store_summary(self, key: Any) -> None:
        """Take a summary now and keep it in :attr:`summaries` under ``key``."""
        try:
            hash(key)
        except TypeError:
            raise TypeError("key must be hashable (a dict key), got %r" % (key,)) from None
        self.summaries[key] = _Summary(self._summary())

    def diff(self, summary1: list | None = None, summary2: list | None = None) -> list[list]:
        """The difference between two summaries, rows with 0 objects and 0 bytes dropped.

        - no argument: from the last summary (the previous :meth:`diff`, or the
          tracker's creation) to now;
        - ``summary1``: from ``summary1`` to now;
        - ``summary1`` and ``summary2``: from ``summary1`` to ``summary2``.

        Raises
        ------
        ValueError
            If ``summary2`` is given without ``summary1``.
        """
        if summary2 is not None and summary1 is None:
            raise ValueError(
                "summary2 was given without summary1: pass summary1 too "
                "(diff(summary1=a, summary2=b)), or neither to diff against the last summary")
        if summary2 is None:
            if summary1 is not None:
                summary.checked_rows(summary1, "summary1")
            current = _frozen(self._summary())
            res = summary.changed_rows(self._s0 if summary1 is None else summary1, current)
            self._s1 = current
            self._s0 = current
            del current
        else:
            res = summary.changed_rows(summary1, summary2)
        return self._hand_out(res)

    def print_diff(self, summary1: list | None = None, summary2: list | None = None) -> None:
        """Print :meth:`diff` as a table (see ``summary.print_``)."""
        summary.print_(self.diff(summary1=summary1, summary2=summary2))

    def format_diff(self, summary1: list | None = None,
                    summary2: list | None = None) -> Iterator[str]:
        """Lines of the :meth:`diff` table (see ``summary.format_``)."""
        return summary.format_(self.diff(summary1=summary1, summary2=summary2))


def _held_only_by(listing: list, out: Discount) -> None:
    """Skip the objects that only ``listing`` (a previous heap listing) keeps alive.

    Tracked objects are listed by the collector whether or not anything but the
    listing holds them; without this, an ObjectTracker would keep every object it
    ever saw.  Found by refcount: first the objects whose only reference is the
    listing, then, round by round, those referenced only by the listing and by
    objects already found (all counted with ``gc.get_referents``).
    """
    if not listing:
        return
    only = _SINGLE_RC_MINUS_ONE
    # (the mask first: inside compress() the element fetched alongside would add a reference)
    mask = list(map(eq, map(sys.getrefcount, listing), repeat(only)))
    frontier = list(compress(listing, mask))
    del mask
    skip = out.skip
    occurrences: dict[int, int] = {}
    while frontier:
        skip.update(zip(map(id, frontier), frontier))
        refs = get_referents(*frontier)
        cand = {}
        for ref in refs:
            key = id(ref)
            if key not in skip:
                occurrences[key] = occurrences.get(key, 0) + 1
                cand[key] = ref
        ref = None  # the loop variable would count as one more reference
        del refs
        rcs = refcounts(cand)
        frontier = [cand[key] for key, rc in zip(list(cand), rcs)
                    if rc - occurrences[key] == _SINGLE_RC]
        cand.clear()


class ObjectTracker:
    """Diff the set of live objects by identity.

    Every object seen at the last measurement is kept alive (strong references
    in ``o0``) until the next one, so new objects can be told from old ones
    exactly; this is Pympler's documented behaviour.  Use :class:`SummaryTracker`
    when counts are enough.  A diff takes time linear in the heap size.

    Parameters
    ----------
    ignore_session : bool, default True
        Leave the IPython session's per-cell bookkeeping out (as SummaryTracker).

    Examples
    --------
    >>> ot = ObjectTracker()
    >>> new = [object() for _ in range(3)]
    >>> sum(type(o) is object for o in ot.get_diff()["+"])
    3
    """

    __slots__ = ("o0", "o1", "ignore_session", "_handed", "__weakref__")

    def __init__(self, *, ignore_session: bool = True) -> None:
        self.ignore_session = bool(ignore_session)
        self._handed: list = _Handed()
        self.o1: list | None = None
        self.o0: list = []
        self.o0 = self._get_objects()

    def __repr__(self) -> str:
        return "<ObjectTracker objects=%d>" % len(self.o0)

    def _get_objects(self, ignore: tuple = ()) -> list:
        """All live objects except the tracker's own and ``ignore`` (and what only they hold)."""
        out = Discount()
        skip = out.skip
        self._handed[:] = [ref for ref in self._handed if ref() is not None]
        for obj in (self, self.o0, self._handed, ignore):
            skip[id(obj)] = obj
        for obj in ignore:
            skip[id(obj)] = obj
        for ref in self._handed:
            skip[id(ref)] = ref
            result = ref()
            if result is not None:
                skip[id(result)] = result
                for lst in dict.values(result):
                    skip[id(lst)] = lst
            del result
        if self.ignore_session:  # (the kernel's loops: right before the listing)
            session_bookkeeping(out, kernel_loops=False)
        _held_only_by(self.o0, out)
        listing = partial(kernel_background, out) if self.ignore_session else None
        tpart, upart = walk_heap(False, True, skip=skip, before_listing=listing)
        tracked = tpart.objects
        tracked.extend(upart.objects)
        del tpart, upart, skip
        out.skip.clear()
        out.subtract.clear()  # tables are listed: identity diffs see no growth in them
        return tracked

    def get_diff(self, ignore: Iterable = ()) -> dict[str, list]:
        """Objects created (``'+'``) and gone (``'-'``) since the last call.

        Parameters
        ----------
        ignore : iterable, optional
            Objects to leave out, with whatever only they reference.
        """
        if isinstance(ignore, (str, bytes)) or not is_iterable(ignore):
            raise TypeError("ignore must be a tuple of objects, got %s" % type(ignore).__name__)
        self.o1 = self._get_objects(tuple(ignore))
        diff = _Diff(muppy.get_diff(self.o0, self.o1))
        self.o0 = self.o1
        self.o1 = None
        self._handed.append(weakref.ref(diff))
        return diff

    def format_diff(self, ignore: Iterable = ()) -> list[str]:
        """Lines describing :meth:`get_diff`: summary tables of added and removed objects."""
        diff = self.get_diff(ignore)
        lines = ["Added objects:"]
        lines.extend(summary.format_(summary.summarize(diff["+"])))
        lines.append("Removed objects:")
        lines.extend(summary.format_(summary.summarize(diff["-"])))
        del diff
        return lines

    def print_diff(self, ignore: Iterable = ()) -> None:
        """Print :meth:`format_diff`."""
        for line in self.format_diff(ignore):
            print(line)
