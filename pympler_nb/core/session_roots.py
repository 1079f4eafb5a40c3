"""The roots of the session: where a chain of references ends, named as a user names it.

:class:`SessionRoots` lists module globals, the interactive namespace, IPython's output
cache, input history and shell, the last traceback and the locals of running functions
in every thread (:class:`FrameRoot`), named as a user names them
(``json._default_decoder``, ``Out[3]``, ``frame f() local arr``). Why-alive chains end
there; reference graphs show them as leaves.

Part of :mod:`pympler_nb.core.session` (its facade re-exports every name here).
Standard library only.
"""

from __future__ import annotations

import sys
import types

from ._graphwalk import CO_OPTIMIZED, GraphNode, Hop, module_dict, flat_size
from .session_shell import (
    IN_VAR,
    LAST_EXC_NAMES,
    OUT_VAR,
    SNAPSHOT_LOCALS,
    UNDERSCORES,
    is_own_frame,
    running_shell,
)

__all__ = ["SessionRoots", "FrameRoot", "namespace_kind"]


def namespace_kind(name: str) -> str:
    """What a name of IPython's user namespace is: ``'output_cache'`` (``Out``, ``_``,
    ``__``, ``_7``), ``'input_history'`` (``In``, ``_i``, ``_i7``), ``'ipython'``
    (``exit``, ``get_ipython``...) or ``'namespace'`` (a user's variable).

    >>> [namespace_kind(n) for n in ("df", "_", "_7", "_i7", "get_ipython")]
    ['namespace', 'output_cache', 'output_cache', 'input_history', 'ipython']
    """
    if name in ("Out", "_oh") or name in UNDERSCORES or OUT_VAR.match(name):
        return "output_cache"
    if name in ("In", "_ih", "_i", "_ii", "_iii") or IN_VAR.match(name):
        return "input_history"
    if name in ("_dh", "exit", "quit", "get_ipython"):
        return "ipython"
    return "namespace"


class FrameRoot:
    """A running function's frame, as a root: where its locals are."""

    __slots__ = ("frame_id", "func", "thread", "current", "snapshot_id", "where")

    def __init__(self, frame_id, func, thread, current, snapshot_id, where):
        self.frame_id = frame_id
        self.func = func
        self.thread = thread
        self.current = current
        self.snapshot_id = snapshot_id
        self.where = where

    def text(self):
        tail = "" if self.current else f" [thread {self.thread}]"
        return f"frame {self.func}(){tail}"


class SessionRoots:
    """The roots of the session: where a chain of references ends, named as a user names
    them (module globals, the interactive namespace, IPython's output cache and shell,
    the last traceback, running functions' locals), and the ids a search must not enter.

    ``ignore`` (a set of ids) receives the snapshot dicts of running frames' locals
    (3.11/3.12) and every id of :func:`own_ids`."""

    def __init__(self, ignore: set[int], frames: bool = True):
        self.containers: dict[int, tuple[str, str]] = {}  # id -> (kind, name)
        self.stop: set[int] = set()
        self.frame_hits: dict[int, list[tuple[FrameRoot, str, bool]]] = {}
        self.frames: list = []  # keeps the frame objects alive (ids stay unique)
        self.shell = None
        self.shell_id = None
        self.shell_dict_id = None
        self.user_ns_id = None
        self.sys_dict_id = id(module_dict(sys))
        self.hidden_ns_id = None
        self.out_id = None
        self.displayhook_ids: set[int] = set()
        self.module_names: dict[int, str] = {}
        self.ignore = ignore
        self._aliases = None  # id(module) -> names bound to it in the user's namespace
        self.target_id = None  # the object asked about, and the user's expression for it
        self.target_name = None
        # outputs IPython stores before the user reads the result (``_`` becomes ``__``):
        # see _whyalive_actions.shift_underscores; (holder id, child id, name) slots they drop
        self.output_shift = 0
        self.dropped: set[tuple[int, int, str]] = set()
        self._collect(frames)

    def add_named(self, name: str, container) -> None:
        """Make ``container`` a root named ``name`` (``"dask_worker.data"``): a chain that
        reaches it ends there and reads ``name['key']`` / ``name.attr``. The caller keeps
        ``container`` alive while the roots are in use (only its id is kept)."""
        self.containers[id(container)] = ("named", name)
        self.stop.add(id(container))

    def _collect(self, frames=True):
        for name, mod in list(sys.modules.items()):
            if not issubclass(type(mod), types.ModuleType):
                continue
            try:
                d = module_dict(mod)
            except Exception:  # noqa: BLE001
                continue
            self.containers[id(d)] = ("module", name)
            self.module_names[id(d)] = name
            self.stop.add(id(mod))
            self.stop.add(id(d))
        self.stop.add(id(sys.modules))
        self.containers[id(sys.modules)] = ("modules", "sys.modules")
        main = sys.modules.get("__main__")
        if issubclass(type(main), types.ModuleType):
            try:
                self.containers[id(module_dict(main))] = ("namespace", "__main__")
                self.user_ns_id = id(module_dict(main))
            except Exception:  # noqa: BLE001
                pass
        shell = running_shell()
        if shell is not None:
            self.shell = shell
            self.shell_id = id(shell)
            self.containers[id(shell)] = ("shell", "get_ipython()")
            self.stop.add(id(shell))
            try:  # traitlets objects always have their __dict__; its keys are the attributes
                shell_dict = object.__getattribute__(shell, "__dict__")
            except Exception:  # noqa: BLE001
                shell_dict = None
            if type(shell_dict) is dict:
                self.containers[id(shell_dict)] = ("shell", "get_ipython()")
                self.stop.add(id(shell_dict))
                self.shell_dict_id = id(shell_dict)
            user_ns = getattr(shell, "user_ns", None)
            if issubclass(type(user_ns), dict):
                self.containers[id(user_ns)] = ("namespace", "__main__")
                self.user_ns_id = id(user_ns)
                self.stop.add(id(user_ns))
                oh = user_ns.get("_oh")
                if issubclass(type(oh), dict):
                    self.out_id = id(oh)
            hidden = getattr(shell, "user_ns_hidden", None)
            if issubclass(type(hidden), dict):
                self.hidden_ns_id = id(hidden)
            dh = getattr(shell, "displayhook", None)
            if dh is not None:
                self.displayhook_ids.add(id(dh))
        if frames:
            self._collect_frames()

    def _collect_frames(self):
        threading = sys.modules.get("threading")
        names = {}
        if threading is not None:
            try:
                names = {t.ident: t.name for t in threading.enumerate()}
            except Exception:  # noqa: BLE001
                names = {}
        me = None
        try:
            import _thread

            me = _thread.get_ident()
        except Exception:  # noqa: BLE001
            pass
        tops = sys._current_frames()
        try:
            for tid in list(tops):
                frame = tops[tid]
                while frame is not None:
                    if not is_own_frame(frame):
                        self._add_frame(frame, names.get(tid, str(tid)), tid == me)
                    frame = frame.f_back
        finally:
            # no frame object of ours may outlive this call: a local that refers to its own
            # frame would make a cycle that keeps every caller's locals (the target!) alive
            tops = frame = None

    def _add_frame(self, frame, thread, is_current):
        code = frame.f_code
        optimized = bool(code.co_flags & CO_OPTIMIZED)
        try:
            locs = frame.f_locals
        except Exception:  # noqa: BLE001
            return
        if not optimized and id(locs) in self.containers:
            return  # module-level code: its namespace is a root already
        snapshot_id = None
        if optimized and SNAPSHOT_LOCALS and type(locs) is dict:
            snapshot_id = id(locs)
            self.ignore.add(snapshot_id)
        try:
            items = list(locs.items())
        except Exception:  # noqa: BLE001
            return
        self.frames.append(frame)
        root = FrameRoot(id(frame), code.co_name, thread, is_current, snapshot_id,
                          f"{code.co_filename}:{frame.f_lineno}")
        for name, value in items:
            self.frame_hits.setdefault(id(value), []).append((root, str(name), snapshot_id is not None))
        del items, locs

    def module_alias(self, modname: str) -> str:
        """How the user's namespace spells module ``modname``: itself if its top-level
        package is bound there (``json.decoder``), else a name bound to it (``fs`` after
        ``import featstore as fs``), else ``modname`` (the action then imports it first)."""
        aliases = self._aliases
        if aliases is None:
            aliases = self._aliases = {}
            ns = self.user_namespace()
            for key, value in (list(dict.items(ns)) if ns is not None else ()):
                if issubclass(type(value), types.ModuleType) and type(key) is str and key.isidentifier():
                    aliases.setdefault(id(value), []).append(key)
        top = modname.split(".", 1)[0]
        mod, topmod = sys.modules.get(modname), sys.modules.get(top)
        if topmod is not None and top in aliases.get(id(topmod), ()):
            return modname
        names = aliases.get(id(mod), ()) if mod is not None else ()
        if names:
            return sorted(names, key=lambda k: (k.startswith("_"), len(k), k))[0]
        return modname

    def user_namespace(self):
        """The namespace actions run in: IPython's ``user_ns``, or ``__main__``'s globals."""
        if self.shell is not None:
            ns = getattr(self.shell, "user_ns", None)
            if issubclass(type(ns), dict):
                return ns
        main = sys.modules.get("__main__")
        try:
            return module_dict(main) if main is not None else None
        except Exception:  # noqa: BLE001
            return None

    def label(self, container_id) -> str:
        """How a root container is shown: ``"globals of json"``, ``"get_ipython()"``..."""
        kind, name = self.containers.get(container_id, ("?", "?"))
        if container_id == self.shell_id:
            return "get_ipython()"
        if container_id == self.shell_dict_id:
            return "get_ipython().__dict__"
        if kind == "modules":
            return "sys.modules"
        if kind == "named":
            return name
        return f"globals of {name}"

    def labels(self) -> dict[int, str]:
        """``{id: label}`` of every root container."""
        return {cid: self.label(cid) for cid in self.containers}

    def container_node(self, container_id) -> GraphNode:
        """A graph node for a root container (looked up again; nothing is kept)."""
        kind, name = self.containers.get(container_id, ("?", "?"))
        text = self.label(container_id)
        if container_id == self.shell_id and self.shell is not None:
            return GraphNode(id=container_id, type=type(self.shell).__name__,
                             size=flat_size(self.shell), repr=text)
        if kind == "modules":
            return GraphNode(id=container_id, type="dict", size=flat_size(sys.modules), repr=text)
        mod = sys.modules.get(name) if kind in ("module", "namespace") else None
        try:
            d = module_dict(mod) if mod is not None else None
        except Exception:  # noqa: BLE001
            d = None
        if d is None and self.shell is not None:
            if container_id == self.user_ns_id:
                d = getattr(self.shell, "user_ns", None)
            elif container_id == self.shell_dict_id:
                try:
                    d = object.__getattribute__(self.shell, "__dict__")
                except Exception:  # noqa: BLE001
                    d = None
        size = flat_size(d) if d is not None and id(d) == container_id else 0
        return GraphNode(id=container_id, type="dict", size=size, repr=text)

    # -- naming ---------------------------------------------------------------

    def root_text(self, container_id, hop: Hop) -> tuple[str, str]:
        """(root kind, path text) for the slot ``hop`` of root container ``container_id``."""
        kind, name = self.containers[container_id]
        key = hop.name or ""
        bare = key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else None
        if kind == "namespace":
            if bare is not None and bare.isidentifier():
                return (namespace_kind(bare) if self.shell is not None else "namespace"), bare
            return "namespace", f"globals()[{key}]"
        if kind == "modules":
            return "module", f"sys.modules[{key}]"
        if kind == "named":
            return "named", name + hop.text
        if kind == "shell":
            attr = bare if bare is not None else hop.name
            text = f"get_ipython().{attr}" if attr and attr.isidentifier() else "get_ipython()" + hop.text
            if attr in ("user_ns_hidden", "displayhook", "history_manager"):
                return "output_cache", text
            return "ipython", text
        # a module dict
        if container_id == self.sys_dict_id and bare in LAST_EXC_NAMES:
            return "traceback", f"sys.{bare}"
        if container_id == self.sys_dict_id and bare == "displayhook" and self.shell is not None:
            return "output_cache", "sys.displayhook"
        top = name.split(".", 1)[0]
        name = self.module_alias(name)
        text = f"{name}.{bare}" if bare is not None and bare.isidentifier() else f"{name}.__dict__[{key}]"
        if top in ("IPython", "ipykernel", "traitlets", "zmq", "tornado", "jupyter_client"):
            return "ipython", text
        return "module", text
