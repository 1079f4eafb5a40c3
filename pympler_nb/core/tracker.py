"""Heap diffs over time (drop-in for ``pympler.tracker``).

:class:`SummaryTracker` answers "what did this step add?": each :meth:`~SummaryTracker.diff`
summarizes the heap (see :mod:`.muppy` and :mod:`.summary`) and subtracts the
previous summary.  It is *quiet*: with nothing happening between two diffs the
diff is empty, in a plain interpreter and inside IPython/Jupyter.  Two things
are discounted from every summary a tracker takes, by object identity (never by
hiding a whole type):

1. **The tracker's own objects** (``ignore_self=True``): its attribute containers,
   the summaries it stores (``s0``, ``summaries``), the summaries and diffs it has
   handed out while they are alive (a displayed diff sits in IPython's output
   cache), and the strings and integers inside them that nothing else references
   (decided with ``sys.getrefcount`` against a calibrated baseline, so a string
   the program also uses is still counted).
2. **The interactive session's bookkeeping** (``ignore_session=True``), which
   grows with every executed cell rather than with what the cell does: when an
   IPython shell is running (found through ``sys.modules``; IPython is never
   imported), its input history lists and their strings, the output-cache
   table (not the cached values), the ``_iN``/``_N`` names and the namespace
   table they resize, the cell source cache (``linecache`` entries of cells and
   the compiler's file-name map), the current and last ``ExecutionResult`` with
   its cell text, stored exception reports, and (under ipykernel) the message
   bookkeeping of the kernel.  Outputs themselves (``Out[n]``, ``_``) are user
   data and are counted, unless they are this tracker's own results.

Summaries a tracker makes leave out the discounted objects, so compare them with
summaries of the same tracker (``create_summary``/``store_summary``), not with
``summary.summarize(muppy.get_objects())``.

:class:`ObjectTracker` diffs by object identity and keeps strong references to
every object it has seen until the next diff (Pympler's documented behaviour);
the diff is linear in the heap size.

>>> from pympler_nb.core.tracker import SummaryTracker
>>> tr = SummaryTracker()
>>> store = [{} for _ in range(100)]
>>> [row for row in tr.diff() if row[0] == "dict"]
[['dict', 100, 6400]]
"""

from __future__ import annotations

import gc
import re
import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from . import muppy, summary

__all__ = ["SummaryTracker", "ObjectTracker"]


class _Summary(list):
    """A summary handed out by a tracker: a plain list of rows that can be weakly referenced.

    The tracker remembers the summaries and diffs it returned (weakly) so that
    they are not counted while the caller (or IPython's output cache) holds them.
    """

    __slots__ = ("__weakref__",)


class _Diff(dict):
    """``{'+': [...], '-': [...]}`` returned by :meth:`ObjectTracker.get_diff` (weakly referable)."""

    __slots__ = ("__weakref__",)


_IMMORTAL = 1 << 28  # refcounts this large belong to immortal/cached objects


def _is_shared(obj: object) -> bool:
    """Objects the interpreter shares with everyone (small ints, 1-char strings,
    immortal objects): never leave them out, they exist whatever the session does."""
    if obj is None or obj is True or obj is False:
        return True
    t = type(obj)
    if t is int:
        return -5 <= obj <= 256  # type: ignore[operator]
    if t is str or t is bytes or t is tuple:
        return len(obj) <= 1  # type: ignore[arg-type]
    return sys.getrefcount(obj) >= _IMMORTAL


# --------------------------------------------------------------------------
# the interactive session's bookkeeping (IPython / ipykernel), without importing IPython
# --------------------------------------------------------------------------

_HISTORY_NAME = re.compile(r"_i?\d+\Z")
_JSON_LIKE = (dict, list, tuple, set, frozenset, str, bytes, int, float)


class _Discount:
    """What a tracker leaves out of one heap walk.

    ``skip``: objects neither listed nor looked into (what only they reference is
    not found either); ``subtract``: objects listed and looked into, whose own
    count and flat size are then taken off (tables such as the user namespace,
    whose growth is bookkeeping but whose values are user data).  Both are keyed
    by id and live only during one summary.
    """

    __slots__ = ("skip", "subtract")

    def __init__(self) -> None:
        self.skip: dict[int, Any] = {}
        self.subtract: dict[int, Any] = {}
        # this object and its dicts exist during the walk: never list them
        for obj in (self, self.skip, self.subtract):
            self.skip[id(obj)] = obj

    def add(self, obj: object) -> None:
        """Skip ``obj`` unless the interpreter shares it with everyone."""
        if obj is not None and not _is_shared(obj):
            self.skip[id(obj)] = obj

    def add_table(self, obj: object) -> None:
        """Count ``obj``'s contents but not ``obj`` itself."""
        if obj is not None:
            self.subtract[id(obj)] = obj

    def add_items(self, container: object, keys: bool = True, values: bool = True) -> None:
        """Skip a container and its top-level items (dict: keys and/or values)."""
        if container is None:
            return
        try:
            if isinstance(container, dict):
                items = list(dict.keys(container)) if keys else []
                if values:
                    items.extend(dict.values(container))
            else:
                items = list(container)  # type: ignore[call-overload]
        except Exception:  # noqa: BLE001 - changed while reading: skip it next time
            return
        if values:
            self.add(container)
        else:
            self.add_table(container)
        for item in items:
            self.add(item)

    def add_json_like(self, root: object, limit: int = 100_000) -> None:
        """Skip ``root`` and the dicts/lists/tuples/sets/strings/numbers under it."""
        stack = [root]
        seen: set[int] = set()
        while stack and len(seen) < limit:
            obj = stack.pop()
            if obj is None or id(obj) in seen or not isinstance(obj, _JSON_LIKE):
                continue
            seen.add(id(obj))
            self.add(obj)
            try:
                if isinstance(obj, dict):
                    stack.extend(dict.keys(obj))
                    stack.extend(dict.values(obj))
                elif isinstance(obj, (list, tuple, set, frozenset)):
                    stack.extend(obj)
            except Exception:  # noqa: BLE001
                continue


def _running_ipython() -> Any:
    """The IPython shell instance if one is running in this process, else None."""
    mod = sys.modules.get("IPython.core.interactiveshell")
    cls = getattr(mod, "InteractiveShell", None)
    if cls is None:
        return None
    try:
        return cls.instance() if cls.initialized() else None
    except Exception:  # noqa: BLE001
        return None


def _session_bookkeeping(out: _Discount) -> None:
    """Add what an IPython shell keeps per executed cell to ``out``."""
    shell = _running_ipython()
    if shell is None:
        return
    for part in (_ipython_history, _ipython_namespace, _ipython_cell_cache,
                 _ipython_results, _ipykernel):
        try:
            part(shell, out)
        except Exception:  # noqa: BLE001 - an IPython layout change must not break a diff
            continue


def _ipython_history(shell: Any, out: _Discount) -> None:
    hm = getattr(shell, "history_manager", None)
    if hm is None:
        return
    out.add_items(getattr(hm, "input_hist_parsed", None))
    out.add_items(getattr(hm, "input_hist_raw", None))
    out.add_table(getattr(hm, "dir_hist", None))
    out.add_items(getattr(hm, "output_hist", None), values=False)  # Out[n] values are user data
    out.add_json_like(getattr(hm, "output_hist_reprs", None))
    out.add_json_like(getattr(hm, "exceptions", None))
    out.add_json_like(getattr(hm, "db_input_cache", None))
    out.add_json_like(getattr(hm, "db_output_cache", None))


def _ipython_namespace(shell: Any, out: _Discount) -> None:
    for name in ("user_ns", "user_ns_hidden"):
        ns = getattr(shell, name, None)
        if not isinstance(ns, dict):
            continue
        out.add_table(ns)  # its table grows with _iN/_N; its values are user data
        for key in list(dict.keys(ns)):
            if type(key) is str and _HISTORY_NAME.match(key):
                out.add(key)


def _ipython_cell_cache(shell: Any, out: _Discount) -> None:
    import linecache  # stdlib; already imported whenever IPython runs

    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(names, dict):
        return
    out.add_items(names)
    cache = getattr(linecache, "cache", None)
    if not isinstance(cache, dict):
        return
    out.add_table(cache)
    for name in list(dict.keys(names)):
        out.add_json_like(cache.get(name))


def _ipython_results(shell: Any, out: _Discount) -> None:
    for result in (getattr(shell, "last_execution_result", None),
                   getattr(getattr(shell, "displayhook", None), "exec_result", None)):
        if result is None:
            continue
        out.add_table(result)  # result.result is user data: keep looking into it
        info = getattr(result, "info", None)
        if info is not None:
            out.add_table(info)
            for name in ("raw_cell", "transformed_cell", "cell_id", "cell_meta"):
                out.add_json_like(getattr(info, name, None))


def _ipykernel(shell: Any, out: _Discount) -> None:
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return
    out.add_json_like(getattr(getattr(kernel, "session", None), "digest_history", None))
    out.add_json_like(getattr(kernel, "_parents", None))
    out.add_json_like(getattr(kernel, "_parent_ident", None))
    for holder in (shell, getattr(shell, "displayhook", None), getattr(shell, "display_pub", None)):
        out.add_json_like(getattr(holder, "parent_header", None))


# --------------------------------------------------------------------------
# summaries with discounts
# --------------------------------------------------------------------------

def _summarize_heap(out: _Discount) -> list[list]:
    """Summary of the heap without ``out.skip`` and minus ``out.subtract``.

    ``out`` is filled before the walk; it is emptied before returning so that
    it keeps nothing alive.
    """
    tracked, untracked = muppy._walk(False, True, skip=out.skip)
    tracked.extend(untracked)
    del untracked
    table = summary._tabulate(tracked)
    del tracked
    if out.subtract:
        key = summary._key_function()
        for obj in out.subtract.values():
            acc = table.get(key(obj))
            if acc is not None:
                acc[0] -= 1
                acc[1] -= muppy._safe_size(obj)
    out.skip.clear()
    out.subtract.clear()
    return [[k, n, size] for k, (n, size) in table.items() if n or size]


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
    >>> data = [(i, i) for i in range(10000, 10100)]
    >>> d = {row[0]: row[1] for row in tr.diff()}
    >>> d["tuple"], d["list"]
    (100, 1)
    """

    __slots__ = ("s0", "s1", "summaries", "ignore_self", "ignore_session",
                 "_handed", "__weakref__")

    def __init__(self, ignore_self: bool = True, *, ignore_session: bool = True) -> None:
        self.summaries: dict = {}
        self._handed: list = []  # weak references to the summaries/diffs handed out
        self.ignore_self = bool(ignore_self)
        self.ignore_session = bool(ignore_session)
        self.s1: list | None = None
        self.s0: list = []
        self.s0 = _Summary(self._summary())

    def __repr__(self) -> str:
        return "<SummaryTracker ignore_self=%s ignore_session=%s summaries=%d>" % (
            self.ignore_self, self.ignore_session, len(self.summaries))

    def _own_objects(self, out: _Discount) -> None:
        """Skip the tracker, its containers and every summary it holds or handed out."""
        skip = out.skip
        self._handed[:] = [ref for ref in self._handed if ref() is not None]
        for obj in (self, self.summaries, self._handed):
            skip[id(obj)] = obj
        tables = [self.s0, self.s1]
        tables.extend(self.summaries.values())
        for ref in self._handed:
            skip[id(ref)] = ref
            tables.append(ref())
        for table in tables:
            if isinstance(table, list):
                skip[id(table)] = table
                for row in table:
                    if type(row) is list:
                        skip[id(row)] = row
        del tables

    def _summary(self) -> list[list]:
        out = _Discount()
        if self.ignore_self:
            self._own_objects(out)
        if self.ignore_session:
            _session_bookkeeping(out)
        return _summarize_heap(out)

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
                summary._rows(summary1, "summary1")
            current = _Summary(self._summary())
            res = summary.get_diff(self.s0 if summary1 is None else summary1, current)
            self.s1 = current
            self.s0 = current
            del current
        else:
            res = summary.get_diff(summary1, summary2)
        return self._hand_out(summary.sweep(res))

    def print_diff(self, summary1: list | None = None, summary2: list | None = None) -> None:
        """Print :meth:`diff` as a table (see ``summary.print_``)."""
        summary.print_(self.diff(summary1=summary1, summary2=summary2))

    def format_diff(self, summary1: list | None = None,
                    summary2: list | None = None) -> Iterator[str]:
        """Lines of the :meth:`diff` table (see ``summary.format_``)."""
        return summary.format_(self.diff(summary1=summary1, summary2=summary2))


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
        self._handed: list = []
        self.o1: list | None = None
        self.o0: list = []
        self.o0 = self._get_objects()

    def __repr__(self) -> str:
        return "<ObjectTracker objects=%d>" % len(self.o0)

    def _get_objects(self, ignore: tuple = ()) -> list:
        """All live objects except the tracker's own and ``ignore`` (and what only they hold)."""
        out = _Discount()
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
        if self.ignore_session:
            _session_bookkeeping(out)
        tracked, untracked = muppy._walk(False, True, skip=skip)
        tracked.extend(untracked)
        del untracked, skip
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
        if isinstance(ignore, (str, bytes)) or not muppy._is_iterable(ignore):
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
