"""The session pympler_nb runs in: the interactive shell, its roots, and our own objects.

One service for every engine that walks the heap:

* **The running shell**, found one way (:func:`running_shell`: IPython's
  ``InteractiveShell`` singleton, looked up in ``sys.modules``; IPython is never
  imported).
* **The roots of the session** (:class:`SessionRoots`): module globals, the interactive
  namespace, IPython's output cache, input history and shell, the last traceback and
  the locals of running functions in every thread, named as a user names them
  (``json._default_decoder``, ``Out[3]``, ``frame f() local arr``). Why-alive chains end
  there; reference graphs show them as leaves.
* **The session's bookkeeping** (:class:`Discount`, :func:`session_bookkeeping`): what an
  IPython shell (and ipykernel) keeps per executed cell rather than because of what the
  cell does (input history, the output-cache table, ``_iN``/``_N`` names, cell source
  cache, execution results, kernel message headers and event-loop callbacks, the
  machinery frames that run the current cell). Trackers leave it out of their summaries.
* **Our own objects** (:func:`register_own`, :func:`own_objects`, :func:`own_ids`): one
  registry of what pympler_nb keeps for itself (trackers' summaries, heap snapshots'
  tables); every walk leaves them out, and :func:`is_own_frame` tells our frames apart.

The shell, our frames and the registry live in :mod:`.session_shell`, the roots in
:mod:`.session_roots`, the bookkeeping here; this module is the one to import (it
re-exports every name of its parts).

Standard library only.
"""

from __future__ import annotations

import contextvars
import re
import sys
import time
import types
from functools import partial
from typing import Any

from .gcsafe import get_referents
from .session_roots import FrameRoot, SessionRoots, namespace_kind
from .session_shell import (
    IMMORTAL_REFCOUNT,
    IN_VAR,
    LAST_EXC_NAMES,
    OUT_VAR,
    SNAPSHOT_LOCALS,
    UNDERSCORES,
    is_own_frame,
    is_shared,
    own_ids,
    own_objects,
    register_own,
    running_shell,
)

__all__ = [
    "running_shell",
    "is_own_frame",
    "register_own",
    "own_objects",
    "own_ids",
    "SessionRoots",
    "FrameRoot",
    "namespace_kind",
    "Discount",
    "session_bookkeeping",
    "kernel_background",
    "add_owned",
    "frame_seeds",
    "refcounts",
    "LAST_EXC_NAMES",
    "OUT_VAR",
    "IN_VAR",
    "UNDERSCORES",
    "SNAPSHOT_LOCALS",
]


# --------------------------------------------------------------------------
# the interactive session's bookkeeping (IPython / ipykernel), without importing IPython
# --------------------------------------------------------------------------

_HISTORY_NAME = re.compile(r"_i?\d+\Z")
_JSON_LIKE = (dict, list, tuple, set, frozenset, str, bytes, int, float)


class _IdMap(dict):
    """``{id: object}`` of a tracker (a type of its own: the heap walk finds the
    objects to leave out among the objects of their types, see ``muppy._walk``)."""

    __slots__ = ()


class Discount:
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
        if obj is not None and not is_shared(obj):
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


def refcounts(objs: dict[int, Any]) -> list[int]:
    """``sys.getrefcount`` of the values of ``objs`` (one code path for calibration and use)."""
    getrefcount = sys.getrefcount
    return [getrefcount(o) for o in objs.values()]


def _calibrate_owned() -> int:
    """References :func:`refcounts` and its caller's dict add on this interpreter."""
    probe = float("0.987654321")  # a fresh object
    holder = [probe]  # one reference that the closure below would have counted
    cand = {id(probe): probe}
    del probe
    extra = refcounts(cand)[0] - 1
    del holder, cand
    return extra


_OWNED_EXTRA = _calibrate_owned()


def add_owned(seeds: list, out: Discount, mirrored: tuple = (), limit: int = 50_000) -> None:
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
            refs = get_referents(seed)
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
        rcs = refcounts(cand)
        keys = list(cand)
        for key, rc in zip(keys, rcs):
            if rc < IMMORTAL_REFCOUNT and rc - _OWNED_EXTRA == inside[key]:
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
        found.append(any(r is holder[1] for r in get_referents(holder[0])))

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


def frame_seeds(frames: list, out: Discount) -> tuple[list, list]:
    """Seeds for :func:`add_owned` that stand for running ``frames``.

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
        starts.extend(r for r in get_referents(obj)
                      if hasattr(r, "cr_frame") or hasattr(r, "gi_frame"))
    return seeds, snapshots


def _skip_artifacts(snapshots: list, seeds: list, out: Discount) -> None:
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
            values.extend(get_referents(seed))
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


def _skip_tree(ast: Any, root: Any, out: Discount) -> None:
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
        for part in get_referents(node):  # the node's attribute dict
            if type(part) is dict:
                out.add(part)
                for field in dict.values(part):  # body, args, keywords, targets...
                    if type(field) is list:
                        out.add(field)


def _skip_code(code: types.CodeType, out: Discount) -> None:
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


def session_bookkeeping(out: Discount, kernel_loops: bool = True) -> None:
    """Add what an IPython shell keeps per executed cell to ``out``.

    ``kernel_loops=False``: not the pending callbacks of the kernel's event loops (and
    what only they hold); a heap walk that runs :func:`kernel_background` right before
    listing finds them then. Found earlier, they would be stale by the listing: the
    kernel's threads run their timers meanwhile, and what ``out`` holds of a callback
    that ran (its arguments) would stay alive through ``out`` alone, with what it
    references (a sleep's finished future), which no holder then explains.
    """
    shell = running_shell()
    if shell is None:
        return
    hm = getattr(shell, "history_manager", None)
    _settle_history_thread(hm, getattr(hm, "save_thread", None))
    for part in (_ipython_history, _ipython_namespace, _ipython_cell_cache,
                 _ipython_results, partial(_ipykernel, loops=kernel_loops), _ipython_transient):
        try:
            part(shell, out)
        except Exception:  # noqa: BLE001 - an IPython layout change must not break a diff
            continue


def _ipython_history(shell: Any, out: Discount) -> None:
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


def _ipython_namespace(shell: Any, out: Discount) -> None:
    for name in ("user_ns", "user_ns_hidden"):
        ns = getattr(shell, name, None)
        if not isinstance(ns, dict):
            continue
        out.add_table(ns)  # its table grows with _iN/_N; its values are user data
        for key in list(dict.keys(ns)):
            if type(key) is str and _HISTORY_NAME.match(key):
                out.add(key)


def _ipython_cell_cache(shell: Any, out: Discount) -> None:
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


def _ipython_results(shell: Any, out: Discount) -> None:
    out.add(getattr(shell, "_last_input_line", None))  # the last cell's text
    for result in (getattr(shell, "last_execution_result", None),
                   getattr(getattr(shell, "displayhook", None), "exec_result", None)):
        if result is None:
            continue
        out.add_table(result)  # result.result is user data: keep looking into it
        count = getattr(result, "execution_count", None)  # past 256, its own int object
        if type(count) is int:
            out.add(count)
        info = getattr(result, "info", None)
        if info is not None:
            out.add_table(info)
            for name in ("raw_cell", "transformed_cell", "cell_id", "cell_meta"):
                out.add_json_like(getattr(info, name, None))


def _ipython_transient(shell: Any, out: Discount) -> None:
    """What exists only while a cell runs: the machinery's frames and helper threads."""
    hm = getattr(shell, "history_manager", None)
    thread = getattr(hm, "save_thread", None)
    frames = _machinery_frames(shell)
    seeds, snapshots = frame_seeds(frames, out)
    del frames
    _skip_artifacts(snapshots, seeds, out)
    seeds.extend((getattr(thread, "db", None), getattr(hm, "save_flag", None),
                  getattr(hm, "db", None)))
    add_owned(seeds, out, tuple(snapshots))
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


def _ipykernel(shell: Any, out: Discount, loops: bool = True) -> None:
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return
    out.add_json_like(getattr(getattr(kernel, "session", None), "digest_history", None))
    out.add_json_like(getattr(kernel, "_parents", None))
    out.add_json_like(getattr(kernel, "_parent_ident", None))
    holders = (shell, getattr(shell, "displayhook", None), getattr(shell, "display_pub", None),
               sys.stdout, sys.stderr)
    for holder in holders:
        out.add_json_like(getattr(holder, "parent_header", None))
        out.add_json_like(getattr(holder, "_parent_header_global", None))
    # ipykernel 7 keeps each request's message in context variables (the kernel's and the
    # output objects' ``_parent_header``), and the context it last set them in as an
    # attribute (``_shell_context``): a request's message stays there until a later
    # request replaces it. Only these objects' own variables are read, never a user's
    cvars = [v for h in (kernel, *holders) for v in _own_values(h) if type(v) is contextvars.ContextVar]
    for ctx in (v for v in _own_values(kernel) if type(v) is contextvars.Context):
        for var in cvars:
            out.add_json_like(ctx.get(var))
    del holders, cvars
    # counters: past the small-int cache, each count is a new int object
    for holder, name in ((kernel, "execution_count"), (shell, "execution_count"),
                         (getattr(kernel, "session", None), "message_count")):
        value = getattr(holder, name, None)
        if type(value) is int:
            out.add(value)
    if loops:
        _event_loop_callbacks(kernel, out)


def _own_values(obj: Any) -> list:
    """The values of ``obj``'s instance dict (none when it has no plain one)."""
    state = getattr(obj, "__dict__", None)
    return list(state.values()) if type(state) is dict else []


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


def _loop_handles(loops, out: Discount) -> list:
    """The handles the event ``loops`` have scheduled or ready (their queues left out in
    ``out``): what the kernel schedules and drops on its own clock."""
    handles: list = []
    for loop in loops:
        for name in ("_scheduled", "_ready"):
            queue = getattr(loop, name, None)
            if queue is None:
                continue
            out.add_table(queue)
            try:
                handles.extend(queue)
            except RuntimeError:  # changed while read (another thread's loop)
                continue
    return handles


def _skip_callback_args(handles: list, out: Discount) -> list:
    """Skip the arguments of ``handles`` (asyncio handles of a loop only the kernel uses),
    and the JSON-like data under them; returns the arguments (what only they hold is not
    skipped yet: :func:`add_owned` does not look into what is skipped already, give them
    to it as seeds)."""
    found: list = []
    for handle in handles:
        args = getattr(handle, "_args", None)
        if type(args) is not tuple:
            continue
        out.add(args)
        for arg in args:
            out.add(arg)
            out.add_json_like(arg, limit=1_000)
            found.append(arg)
    return found


def _event_loop_callbacks(kernel: Any, out: Discount) -> None:
    """Skip the kernel's asyncio loops' pending callbacks (timers, ready handles) and
    what only they hold: the kernel schedules and drops these on its own clock."""
    handles = _loop_handles(_kernel_loops(kernel), out)
    for handle in handles:
        out.add(handle)
    add_owned(handles, out)
    del handles


# ---------------------------------------------------------------------------
# the kernel's background objects, left out by who holds them (issue 17, item 25)
# ---------------------------------------------------------------------------


_KERNEL_PACKAGES = ("ipykernel", "IPython", "tornado", "zmq", "anyio", "jupyter_client",
                    "comm", "traitlets")


def _kernel_code(task: Any) -> bool:
    """Whether ``task`` runs the kernel's code: its coroutine is defined in one of the
    kernel's packages (a task the user starts runs the user's coroutine)."""
    coro = getattr(task, "get_coro", lambda: None)()
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    filename = getattr(code, "co_filename", "")
    if not isinstance(filename, str):
        return False
    parts = filename.replace("\\", "/").split("/")
    return any(p in _KERNEL_PACKAGES for p in parts[-4:-1])


def _service_tasks(loops: list, user_loop: Any) -> list:
    """The asyncio tasks of the kernel: every task of its service loops, and on
    ``user_loop`` (the one the cells run in) the tasks running the kernel's own coroutines,
    such as the one running this cell; a task the user starts there is the user's."""
    tasks_mod = sys.modules.get("asyncio.tasks")
    all_tasks = getattr(tasks_mod, "all_tasks", None)
    out: list = []
    if all_tasks is None:
        return out
    for loop in loops:
        for _attempt in range(3):  # the loop's thread may add a task while the set is read
            try:
                tasks = list(all_tasks(loop))
                break
            except RuntimeError:
                tasks = []
                continue
        if loop is user_loop:
            tasks = [t for t in tasks if _kernel_code(t)]
        out.extend(tasks)
        del tasks
    return out


_WAITING = ("select", "poll", "wait", "sleep", "_poll", "recv")


def _kernel_thread_ids(kernel: Any) -> list[int]:
    """Thread idents of the kernel's service threads (IOPub, control, shell channel)."""
    idents = []
    for name in ("iopub_thread", "control_thread", "shell_channel_thread"):
        holder = getattr(kernel, name, None)
        thread = getattr(holder, "thread", holder)  # IOPubThread wraps a threading.Thread
        ident = getattr(thread, "ident", None)
        if type(ident) is int:
            idents.append(ident)
    return idents


def _settle_kernel_threads(kernel: Any, timeout: float = 0.5) -> None:
    """Wait (at most ``timeout`` seconds) until the kernel's service threads wait for
    events (their innermost frame is a ``select``/``poll``/``wait``), so that none is in
    the middle of a callback holding objects only its value stack shows."""
    idents = _kernel_thread_ids(kernel)
    deadline = time.monotonic() + timeout
    while idents and time.monotonic() < deadline:
        frames = sys._current_frames()
        busy = False
        for ident in idents:
            frame = frames.get(ident)
            if frame is not None and frame.f_code.co_name not in _WAITING:
                busy = True
                break
        del frames, frame
        if not busy:
            return
        time.sleep(0.001)  # lets them run up to their next wait


def kernel_background(out: Discount) -> None:
    """Leave out of ``out`` what only the Jupyter kernel's own machinery holds: the pending
    callbacks of its asyncio loops (timers, ready handles), the tasks of its service
    threads' loops (IOPub, control, shell channel: an ``asyncio.sleep`` loop keeps a
    ``Future``, a ``TimerHandle``, a ``Context`` alive), the IOPub thread's queued events
    (output being sent), and everything that only these hold (:func:`add_owned`).

    Chosen by holder, not by type: a ``Future`` or task the user makes in a cell is held
    by the user's namespace or runs on the cells' loop, and stays in every summary. Other
    threads change these queues at any time: call this right before the heap is listed
    (``walk_heap(before_listing=...)``, which keeps other threads waiting meanwhile).
    """
    shell = running_shell()
    kernel = getattr(shell, "kernel", None) if shell is not None else None
    if kernel is None:
        return
    try:
        _settle_kernel_threads(kernel)
        loops = _kernel_loops(kernel)
    except Exception:  # noqa: BLE001 - an ipykernel layout change must not break a diff
        return
    events = sys.modules.get("asyncio.events")
    get_loop = getattr(events, "_get_running_loop", None)
    user_loop = get_loop() if get_loop is not None else None
    seeds: list = []
    for loop in loops:  # each loop's queues read once
        handles = _loop_handles([loop], out)
        seeds.extend(handles)
        # the arguments of the service loops' callbacks (a timer's sleep future, a message
        # being sent) are the kernel's even when something else holds them too: skipped
        # directly, not only when owned. The skip table holds them for the walk: had only
        # what the callbacks own been skipped, an argument whose callback another thread
        # runs and drops meanwhile would stay alive through the table and be counted (a
        # sleep loop's finished future). What only they hold: with the other seeds below
        if loop is not user_loop:
            seeds.extend(_skip_callback_args(handles, out))
        del handles
    tasks = _service_tasks(loops, user_loop)
    seeds.extend(tasks)
    # what a kernel task awaits (its sleep's future, a queue getter's future) is the
    # kernel's too: the task replaces it on its own clock (an ``asyncio.sleep`` loop makes a
    # new one each period), so a diff would show it come and go
    seeds.extend(w for w in (getattr(t, "_fut_waiter", None) for t in tasks) if w is not None)
    del tasks
    # asyncio's registries of tasks (the task each loop is running; every task, weakly):
    # each step, start and end of a task of the kernel's loops changes them and they resize
    # with that churn (a dict +-128 B, a set +-256 B): counted for what they hold, not for
    # their own tables
    tasks_mod = sys.modules.get("asyncio.tasks")
    for name in ("_current_tasks", "_all_tasks", "_scheduled_tasks", "_eager_tasks"):
        table = getattr(tasks_mod, name, None)
        table = getattr(table, "data", table)  # a WeakSet's set
        if type(table) in (dict, set):
            out.add_table(table)
    del tasks_mod, table
    pending = getattr(getattr(kernel, "iopub_thread", None), "_events", None)
    if pending is not None:
        out.add_table(pending)
        try:
            seeds.extend(list(pending))
        except RuntimeError:
            pass
    for seed in seeds:
        out.add(seed)
    # the running request's message (a list of zmq frames) is held both by a kernel task's
    # suspended coroutine (ipykernel's run_in_context(msg)) and by the running frames that
    # handle it (shell_main, dispatch_shell): only seeded together, in one pass, do all its
    # references count as the kernel's (each side alone leaves it looking shared)
    frames = _machinery_frames(shell)
    frame_part, snapshots = frame_seeds(frames, out)
    del frames
    seeds.extend(frame_part)
    add_owned(seeds, out, tuple(snapshots))
    del seeds, loops, user_loop, frame_part, snapshots
