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
import re
import sys
import time
import types
import weakref
from collections.abc import Iterable, Iterator
from itertools import compress, repeat
from operator import eq
from typing import Any

from . import muppy, summary
from .objwalk import SINGLE_REFCOUNT as _SINGLE_RC
from .objwalk import is_iterable, walk_heap

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


class _IdMap(dict):
    """``{id: object}`` of a tracker (a type of its own: the heap walk finds the
    objects to leave out among the objects of their types, see ``objwalk.walk_heap``)."""

    __slots__ = ()


class _Handed(list):
    """The tracker's weak references to what it handed out (a type of its own)."""

    __slots__ = ()


class _Summaries(dict):
    """``SummaryTracker.summaries``: a plain dict of stored summaries, by key."""

    __slots__ = ()


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
        self.skip: dict[int, Any] = _IdMap()
        self.subtract: dict[int, Any] = _IdMap()
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
                    # keys are mostly shared constants ('text/plain', 'stream'): keep them
                    stack.extend(k for k in dict.keys(obj) if type(k) is not str)
                    stack.extend(dict.values(obj))
                elif isinstance(obj, (list, tuple, set, frozenset)):
                    stack.extend(obj)
            except Exception:  # noqa: BLE001
                continue


def _refcounts(objs: dict[int, Any]) -> list[int]:
    """``sys.getrefcount`` of the values of ``objs`` (one code path for calibration and use)."""
    getrefcount = sys.getrefcount
    return [getrefcount(o) for o in objs.values()]


def _calibrate_owned() -> int:
    """References :func:`_refcounts` and its caller's dict add on this interpreter."""
    probe = float("0.987654321")  # a fresh object
    holder = [probe]  # one reference that the closure below would have counted
    cand = {id(probe): probe}
    del probe
    extra = _refcounts(cand)[0] - 1
    del holder, cand
    return extra


_OWNED_EXTRA = _calibrate_owned()


def _add_owned(seeds: list, out: _Discount, mirrored: tuple = (), limit: int = 50_000) -> None:
    """Skip what only ``seeds`` hold: their exclusively owned subgraph.

    An object is owned when every reference to it (``sys.getrefcount``) comes
    from a seed or from another owned object (counted with ``gc.get_referents``);
    owned objects are then looked into as well.  Seeds themselves are not
    skipped.  A seed in ``mirrored`` is a snapshot of a running frame's locals:
    each of its entries stands for one more reference, the frame's own slot.
    Used for the transient state of the code that runs a cell and of the
    session's helper threads, and for internals of bookkeeping objects.
    """
    inside: dict[int, int] = {}
    cand: dict[int, Any] = {}
    skip = out.skip
    mirror_ids = set(map(id, mirrored))
    pending = [s for s in seeds if s is not None]
    owned = 0
    while pending and owned < limit:
        for seed in pending:
            weight = 2 if id(seed) in mirror_ids else 1
            refs = gc.get_referents(seed)
            if type(seed) is dict and weight == 2:
                refs.extend(dict.keys(seed))
            for ref in refs:
                key = id(ref)
                if key in skip:
                    continue
                inside[key] = inside.get(key, 0) + weight
                cand[key] = ref
            ref = None  # the loop variable would count as one more reference
            del refs
        pending = []
        rcs = _refcounts(cand)
        keys = list(cand)
        for key, rc in zip(keys, rcs):
            if rc < _IMMORTAL and rc - _OWNED_EXTRA == inside[key]:
                obj = cand.pop(key)
                if type(obj) is not types.FrameType:
                    skip[key] = obj
                    owned += 1
                pending.append(obj)
        del rcs, keys
    cand.clear()


_GENERATOR_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async gen


def _probe_coroutine_traversal() -> bool:
    """Whether ``gc.get_referents`` shows the locals of a *running* coroutine
    (3.12+: yes, with its value stack; 3.11: no)."""
    holder: list = []
    found: list = []

    def check() -> None:  # a plain call made by the innermost coroutine, as in a cell
        found.append(any(r is holder[1] for r in gc.get_referents(holder[0])))

    async def inner() -> None:
        check()

    async def outer(marker: object) -> None:
        holder.append(marker)
        await inner()

    coro = outer(object())
    holder.append(coro)
    try:
        coro.send(None)
    except StopIteration:
        pass
    del holder[:], coro
    return bool(found and found[0])


_SEES_RUNNING_COROUTINES = _probe_coroutine_traversal()


def _frame_seeds(frames: list, out: _Discount) -> tuple[list, list]:
    """Seeds for :func:`_add_owned` that stand for running ``frames``.

    A running frame's references are not visible to ``gc``.  For a function
    frame its locals are read (``f_locals``; a mirrored snapshot, the value
    stack stays invisible).  Where ``gc`` sees into running coroutines
    (3.12+), a coroutine frame is represented by its coroutine object instead,
    which shows locals and value stack exactly; those objects are found from
    the locals (IPython's ``_pseudo_sync_runner(coro)``), the running asyncio
    task and, inwards, on the value stacks of the coroutines that await them.
    Module frames are left out (their locals are the module's globals).

    Returns ``(seeds, mirrored)``.
    """
    coroutine_frames = {id(f) for f in frames if f.f_code.co_flags & _GENERATOR_FLAGS}
    by_object = _SEES_RUNNING_COROUTINES and coroutine_frames
    snapshots = []
    starts = []
    for frame in frames:
        flags = frame.f_code.co_flags
        if flags & 0x1 == 0:  # not CO_OPTIMIZED: a module or class body
            continue
        if by_object and flags & _GENERATOR_FLAGS:
            continue
        try:
            loc = frame.f_locals
        except Exception:  # noqa: BLE001
            continue
        if type(loc) is dict:  # 3.11/3.12: a snapshot kept on the frame while it runs
            out.skip[id(loc)] = loc
        else:  # 3.13: a proxy
            loc = dict(loc)
        snapshots.append(loc)
        if by_object:
            starts.extend(v for v in loc.values() if hasattr(v, "cr_frame") or hasattr(v, "gi_frame"))
    seeds: list = list(snapshots)
    if not by_object:
        return seeds, snapshots
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop in this thread
            task = None
        if task is not None:
            starts.append(task.get_coro())
    seen: set[int] = set()
    while starts:
        obj = starts.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        frame = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
        if frame is None or id(frame) not in coroutine_frames:
            continue
        seeds.append(obj)
        # a running coroutine has no cr_await: the one it awaits sits on its value stack
        starts.extend(r for r in gc.get_referents(obj)
                      if hasattr(r, "cr_frame") or hasattr(r, "gi_frame"))
    return seeds, snapshots


def _skip_artifacts(snapshots: list, seeds: list, out: _Discount) -> None:
    """Skip the running cell's artifacts held by the machinery: its syntax tree
    (every node with the node's dict and lists), lists and tuples of its
    statements, and its code objects.  Constants inside stay countable through
    other paths.  (Needed where the value stack of a running frame is invisible
    to ``gc``, so that refcounts alone cannot prove these are transient.)"""
    values: list = []
    for loc in snapshots:
        values.extend(loc.values())
    for seed in seeds:
        if hasattr(seed, "cr_frame") or hasattr(seed, "gi_frame"):
            values.extend(gc.get_referents(seed))
    ast = sys.modules.get("ast")
    node_type = getattr(ast, "AST", None)
    if node_type is None:
        return
    for value in values:
        t = type(value)
        if t is types.CodeType:
            _skip_code(value, out)
        elif isinstance(value, node_type):
            _skip_tree(ast, value, out)
        elif (t is list or t is tuple) and value and all(
                isinstance(item, node_type) or (type(item) is tuple and item
                                                 and isinstance(item[0], node_type))
                for item in value):
            out.add(value)
            for item in value:
                if type(item) is tuple:
                    out.add(item)
                    _skip_tree(ast, item[0], out)
                else:
                    _skip_tree(ast, item, out)


def _skip_tree(ast: Any, root: Any, out: _Discount) -> None:
    """Skip a syntax tree: its nodes (not the shared Load/Store/operator
    singletons) with their dicts and lists."""
    if id(root) in out.skip:
        return
    shared = tuple(getattr(ast, name) for name in
                   ("expr_context", "boolop", "operator", "unaryop", "cmpop") if hasattr(ast, name))
    for node in ast.walk(root):
        if isinstance(node, shared):  # Load, Store, Add, ...: singletons every tree shares
            continue
        out.add(node)
        for part in gc.get_referents(node):  # the node's attribute dict
            if type(part) is dict:
                out.add(part)
                for field in dict.values(part):  # body, args, keywords, targets...
                    if type(field) is list:
                        out.add(field)


def _skip_code(code: types.CodeType, out: _Discount) -> None:
    """Skip a code object of the running cell and the code objects nested in it."""
    stack = [code]
    while stack:
        c = stack.pop()
        if id(c) in out.skip:
            continue
        out.add(c)
        stack.extend(k for k in c.co_consts if type(k) is types.CodeType)


def _machinery_frames(shell: Any) -> list:
    """Frames of this thread below the running cell (the code that runs cells).

    The cell is the outermost frame whose globals are the user namespace; with
    no such frame (not called from a cell) there is no machinery to discount.
    """
    ns = getattr(shell, "user_ns", None)
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    for i in range(len(frames) - 1, -1, -1):
        if frames[i].f_globals is ns:
            return frames[i + 1:]
    return []


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
    hm = getattr(shell, "history_manager", None)
    _settle_history_thread(hm, getattr(hm, "save_thread", None))
    for part in (_ipython_history, _ipython_namespace, _ipython_cell_cache,
                 _ipython_results, _ipykernel, _ipython_transient):
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
    outputs = getattr(hm, "outputs", None)  # IPython >= 9: captured outputs per cell
    if isinstance(outputs, dict):
        out.add_table(outputs)
        for key, items in list(dict.items(outputs)):
            out.add(key)
            out.add(items)
            for item in list(items) if isinstance(items, list) else ():
                out.add(item)
                out.add_json_like(getattr(item, "bundle", None))


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

    compiler = getattr(shell, "compile", None)
    flags = getattr(compiler, "flags", None)
    if type(flags) is int:  # the cell's compiler flags: a new int per cell
        out.add(flags)
    names = getattr(compiler, "_filename_map", None)
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
    out.add(getattr(shell, "_last_input_line", None))  # the last cell's text
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


def _ipython_transient(shell: Any, out: _Discount) -> None:
    """What exists only while a cell runs: the machinery's frames and helper threads."""
    hm = getattr(shell, "history_manager", None)
    thread = getattr(hm, "save_thread", None)
    frames = _machinery_frames(shell)
    seeds, snapshots = _frame_seeds(frames, out)
    del frames
    _skip_artifacts(snapshots, seeds, out)
    seeds.extend((getattr(thread, "db", None), getattr(hm, "save_flag", None),
                  getattr(hm, "db", None)))
    _add_owned(seeds, out, tuple(snapshots))
    del seeds, snapshots


def _settle_history_thread(hm: Any, thread: Any, timeout: float = 1.0) -> None:
    """Wait (at most ``timeout`` seconds) until IPython's history-saving thread is idle.

    IPython writes each cell's input to its database from a helper thread right
    after the cell starts; while it writes, it holds a few short-lived objects.
    Measuring only once it waits again makes consecutive summaries comparable.
    """
    flag = getattr(hm, "save_flag", None)
    if thread is None or flag is None or not getattr(thread, "is_alive", lambda: False)():
        return
    ident = getattr(thread, "ident", None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(ident)
        waiting = frame is not None and frame.f_code.co_name == "wait" and (
            frame.f_back is not None and frame.f_back.f_code.co_name == "wait")
        del frame
        if waiting and not flag.is_set():
            return
        time.sleep(0.001)


def _ipykernel(shell: Any, out: _Discount) -> None:
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return
    out.add_json_like(getattr(getattr(kernel, "session", None), "digest_history", None))
    out.add_json_like(getattr(kernel, "_parents", None))
    out.add_json_like(getattr(kernel, "_parent_ident", None))
    for holder in (shell, getattr(shell, "displayhook", None), getattr(shell, "display_pub", None),
                   sys.stdout, sys.stderr):
        out.add_json_like(getattr(holder, "parent_header", None))
        out.add_json_like(getattr(holder, "_parent_header_global", None))
    _event_loop_callbacks(kernel, out)


def _kernel_loops(kernel: Any) -> list:
    """The asyncio loops of the kernel: this thread's and its helper threads' ones."""
    loops: list = []
    events = sys.modules.get("asyncio.events")
    get_loop = getattr(events, "_get_running_loop", None)
    if get_loop is not None:
        loops.append(get_loop())
    holders = [kernel]
    holders.extend(getattr(kernel, name, None) for name in
                   ("iopub_thread", "control_thread", "shell_channel_thread"))
    for holder in holders:
        for name in ("io_loop", "asyncio_loop", "loop"):
            loop = getattr(holder, name, None)
            loop = getattr(loop, "asyncio_loop", loop)  # a tornado IOLoop wraps one
            if loop is not None and hasattr(loop, "_scheduled"):
                loops.append(loop)
    unique: dict[int, Any] = {}
    for loop in loops:
        if loop is not None:
            unique[id(loop)] = loop
    return list(unique.values())


def _event_loop_callbacks(kernel: Any, out: _Discount) -> None:
    """Skip the kernel's asyncio loops' pending callbacks (timers, ready handles) and
    what only they hold: the kernel schedules and drops these on its own clock."""
    handles: list = []
    for loop in _kernel_loops(kernel):
        for name in ("_scheduled", "_ready"):
            queue = getattr(loop, name, None)
            if queue is None:
                continue
            out.add_table(queue)
            try:
                handles.extend(queue)
            except RuntimeError:  # changed while read (another thread's loop)
                continue
    for handle in handles:
        out.add(handle)
    _add_owned(handles, out)
    del handles


# --------------------------------------------------------------------------
# summaries with discounts
# --------------------------------------------------------------------------

def _summarize_heap(out: _Discount) -> list[list]:
    """Summary of the heap without ``out.skip`` and minus ``out.subtract``.

    ``out`` is filled before the walk; it is emptied before returning so that
    it keeps nothing alive.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # freshly built big lists must not be traversed by a young collection
    try:
        table: dict = {}
        for part in walk_heap(False, True, skip=out.skip):
            summary.tabulate(part.objects, part.types, table, part.codes, part.frequent)
            del part
    finally:
        if was_enabled:
            gc.enable()
    if out.subtract:
        key = summary.row_key_function()
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
    >>> data = [{} for _ in range(50)]
    >>> d = tr.diff()
    >>> [row for row in d if row[0] == "dict"]
    [['dict', 50, 3200]]
    """

    __slots__ = ("_s0", "_s1", "summaries", "ignore_self", "ignore_session",
                 "_handed", "__weakref__")

    def __init__(self, ignore_self: bool = True, *, ignore_session: bool = True) -> None:
        self.summaries: dict = _Summaries()
        self._handed: list = _Handed()  # weak references to the summaries/diffs handed out
        self.ignore_self = bool(ignore_self)
        self.ignore_session = bool(ignore_session)
        self._s1: _Rows | None = None
        self._s0 = _Rows()
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

    def _own_objects(self, out: _Discount) -> None:
        """Skip the tracker, its containers and every summary it holds or handed out."""
        skip = out.skip
        self._handed[:] = [ref for ref in self._handed if ref() is not None]
        for obj in (self, self.summaries, self._handed):
            skip[id(obj)] = obj
        tables = [self._s0, self._s1]
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
                summary.checked_rows(summary1, "summary1")
            current = _frozen(self._summary())
            res = summary.get_diff(self._s0 if summary1 is None else summary1, current)
            self._s1 = current
            self._s0 = current
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


def _held_only_by(listing: list, out: _Discount) -> None:
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
        refs = gc.get_referents(*frontier)
        cand = {}
        for ref in refs:
            key = id(ref)
            if key not in skip:
                occurrences[key] = occurrences.get(key, 0) + 1
                cand[key] = ref
        ref = None  # the loop variable would count as one more reference
        del refs
        rcs = _refcounts(cand)
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
        _held_only_by(self.o0, out)
        tpart, upart = walk_heap(False, True, skip=skip)
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
