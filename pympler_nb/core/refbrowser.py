"""Trees of referrers: who refers to an object, and who refers to those (Pympler's ``refbrowser``).

``ConsoleBrowser(obj, maxdepth=3).print_tree()`` prints the referrers of ``obj`` as
ASCII art in Pympler's format::

    root-+-branch1-+-a
         |         +-b
         |
         +-branch2

The tree is built without recursion and the browser's own objects (its nodes,
lists, the browser instance) never appear in it. Nodes hold the objects (the
:class:`Node` ``.o`` attribute is part of Pympler's API), so drop the tree when you
are done; :func:`referrer_tree` gives the same tree as immutable data (ids, types,
clipped reprs, sizes) that keeps nothing alive.

Differences from Pympler 1.1, on purpose: ``maxdepth`` in :meth:`print_tree` counts
real tree levels (Pympler counted ``+`` and ``|`` characters, so node labels
containing them, or chains of single children, changed the depth); repeated
calls of :meth:`get_tree` start afresh; ``max_children`` (off by default) caps
the referrers shown per node with a ``"+N more"`` leaf. :class:`InteractiveBrowser`
is not Pympler's Tk window: in a notebook its :meth:`~InteractiveBrowser.main` opens
the referrer tree widget (``%referrers EXPR`` does the same), elsewhere it prints the
console tree. :class:`ReferrerWalk` is the lazy walk behind the widget: one level of
holders at a time, each named in notebook terms (:class:`Referrer`), nothing kept.
"""

from __future__ import annotations

import re
import sys
import types
import weakref

from ._format import safe_repr, type_name
from ._graphwalk import GraphEdge, GraphModel, GraphNode, HolderSearch, Hop, Labeller, edge_hops, flat_size, node_repr
from .session import SNAPSHOT_LOCALS, SessionRoots, is_own_frame, own_ids, running_shell
from .values import Frozen, check_int

__all__ = [
    "Node",
    "RefBrowser",
    "StreamBrowser",
    "ConsoleBrowser",
    "FileBrowser",
    "RefTreeNode",
    "referrer_tree",
    "InteractiveBrowser",
    "Referrer",
    "ReferrerWalk",
]


def _default_str(o) -> str:
    """Pympler's default node text (``summary._repr``): ``'dict'``, ``'function (f)'``..."""
    from .summary import type_repr

    return type_repr(o)


class Node:
    """A node of a referrer tree: the object ``o`` and its ``children``.

    Children are :class:`Node` objects or plain leaves (any object, printed with
    ``str()``). ``str(node)`` is ``str_func(o)`` if ``str_func`` is set, else ``str(o)``.
    """

    __slots__ = ("o", "children", "str_func")

    def __init__(self, o, str_func=None):
        self.o = o
        self.children = []
        self.str_func = str_func

    def __str__(self):
        if self.str_func is not None:
            return self.str_func(self.o)
        return str(self.o)

    def __repr__(self):
        return f"<Node {safe_repr(self.o, clip=40)} children={len(self.children)}>"


#: Pympler's name, for code that builds trees by hand (``refbrowser._Node('root')``).
_Node = Node


class _RootBox(list):
    """Holds a browser's root; never shown as a referrer (of any browser)."""

    __slots__ = ()


class RefBrowser:
    """Builds the tree of referrers of ``rootobject``.

    Parameters
    ----------
    rootobject : object
        The object whose referrers are wanted (the root of the tree).
    maxdepth : int
        Levels of referrers below the root.
    str_func : callable
        ``str_func(obj) -> str`` names a node (default: Pympler's type-based text,
        ``'dict'``, ``'list'``, ``'function (f)'``, ``'frame (codename: g)'``).
    repeat : bool
        ``False`` shows an object already in the tree as the leaf
        ``'<str_func(o)> (already included, id N)'`` instead of expanding it again.
    stream : file-like, optional
        Where :class:`StreamBrowser` prints.
    max_children : int or None
        Show at most this many referrers per node, then a ``'+N more'`` leaf.
    """

    def __init__(self, rootobject, maxdepth=3, str_func=_default_str, repeat=True, stream=None,
                 *, max_children=None):
        check_int(maxdepth, "maxdepth")
        check_int(max_children, "max_children", 1, none="no cap")
        if not callable(str_func):
            raise TypeError(f"str_func must be callable (obj -> str), got {str_func!r}")
        self._root_box = _RootBox([rootobject])  # the only place the browser holds the root
        self.maxdepth = maxdepth
        self.str_func = str_func
        self.repeat = repeat
        self.stream = stream
        self.max_children = max_children
        #: objects never shown as referrers (Pympler's attribute; append your own)
        self.ignore = []
        #: ids of the objects in the last tree (filled by get_tree)
        self.already_included = set()

    @property
    def root(self):
        """The root object."""
        return self._root_box[0]

    def get_tree(self) -> Node:
        """The tree of referrers of the root object, ``maxdepth`` levels deep."""
        root = self._root_box[0]
        str_func = self.str_func
        included: set[int] = set()
        self.already_included = included
        own: set[int] = {id(self), id(self._root_box), id(self.ignore), id(included)}
        own.update(id(o) for o in self.ignore)
        tree = Node(root, str_func)
        included.add(id(root))
        if self.maxdepth == 0:
            return tree
        stack: list = []
        own.add(id(stack))
        holders = HolderSearch(own)  # also untracked dicts/tuples and numpy object arrays
        try:
            stack.append(self._frame(tree, 0, own, holders))
            return self._grow(tree, stack, own, holders, included, str_func)
        finally:
            holders.close()

    def _grow(self, tree, stack, own, holders, included, str_func):
        cap = self.max_children
        while stack:
            frame = stack[-1]
            node, refs, pos, depth, shown = frame
            if pos >= len(refs) or (cap is not None and shown >= cap):
                stack.pop()
                if cap is not None and pos < len(refs):
                    node.children.append(f"+{len(refs) - pos} more")
                own.discard(id(refs))
                frame = node = refs = None
                continue
            o = refs[pos]
            frame[2] = pos + 1
            frame[4] = shown + 1
            oid = id(o)
            if not self.repeat and oid in included:
                node.children.append("%s (already included, id %s)" % (str_func(o), oid))
                continue
            child = Node(o, str_func)
            node.children.append(child)
            included.add(oid)
            if depth + 1 < self.maxdepth:
                stack.append(self._frame(child, depth + 1, own, holders))
            o = child = frame = node = refs = None
        return tree

    @staticmethod
    def _frame(node, depth, own, holders):
        """[node, referrers of node.o, next position, depth, children shown]."""
        ask = [node.o]
        own.add(id(ask))
        found = holders.find(ask)[0]
        own.discard(id(ask))
        del ask
        refs = [r for r in found if id(r) not in own and not issubclass(type(r), (Node, _RootBox))]
        del found
        own.add(id(refs))
        return [node, refs, 0, depth, 0]


class StreamBrowser(RefBrowser):
    """A :class:`RefBrowser` that prints the tree as ASCII art to ``stream``.

    The class attributes ``hline``, ``vline``, ``cross`` and ``space`` set the look.
    """

    hline = "-"
    vline = "|"
    cross = "+"
    space = " "

    def print_tree(self, tree=None) -> None:
        """Print ``tree`` (default: :meth:`get_tree` of the root) to ``self.stream``."""
        if tree is None:
            tree = self.get_tree()
        write = self.stream.write
        for line in self._lines(tree):
            write(line + "\n")

    def _lines(self, tree):
        """The lines of the drawing, produced without recursion."""
        hline, vline, cross, space = self.hline, self.vline, self.cross, self.space
        out = []
        # tasks: ("node", subtree, prefix, carryon, level) or ("line", text)
        tasks = [("node", tree, "", "", 0)]
        while tasks:
            task = tasks.pop()
            if task[0] == "line":
                out.append(task[1])
                continue
            _, sub, prefix, carryon, level = task
            children = sub.children if issubclass(type(sub), Node) else ()
            text = str(sub)
            prefix += text
            carryon += space * len(text)
            if level == self.maxdepth or not children:
                out.append(prefix)
                continue
            prefix += hline
            carryon += space
            if len(children) > 1:
                prefix += cross
                carryon += vline
            prefix += hline
            carryon += space
            todo = [("node", children[0], prefix, carryon, level + 1)]
            last = len(children) - 1
            for b in range(1, len(children)):
                branch_prefix = carryon[:-2] + cross + hline
                if b == last:
                    carryon = carryon[:-2] + 2 * space
                todo.append(("node", children[b], branch_prefix, carryon, level + 1))
                if b == last and carryon.strip(" "):
                    todo.append(("line", carryon[:-2].rstrip()))
            tasks.extend(reversed(todo))
        return out


class ConsoleBrowser(StreamBrowser):
    """A :class:`StreamBrowser` printing to ``sys.stdout`` unless ``stream`` is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.stream:
            self.stream = sys.stdout


class FileBrowser(StreamBrowser):
    """A :class:`StreamBrowser` that writes the tree to a file (UTF-8 text)."""

    def print_tree(self, filename, tree=None) -> None:
        """Write ``tree`` (default: the root's tree) to ``filename``."""
        old_stream = self.stream
        try:
            with open(filename, "w", encoding="utf-8") as fh:
                self.stream = fh
                super().print_tree(tree=tree)
        finally:
            self.stream = old_stream


# ---------------------------------------------------------------------------
# The same tree as data that keeps nothing alive (for widgets and DataFrames)
# ---------------------------------------------------------------------------


class RefTreeNode(Frozen):
    """One node of :func:`referrer_tree`: ids, type, flat size, repr; no object.

    Attributes
    ----------
    id : int
    type : str
    size : int
        Flat size in bytes.
    repr : str
        Clipped repr.
    label : str
        How this referrer refers to its parent in the tree (``"['k']"``,
        ``".attr"``, ``"[0]"``; ``""`` for the root or when it cannot be named).
    children : tuple of RefTreeNode
    more : int
        Referrers left out by ``max_children``.
    repeated : bool
        Already shown elsewhere in the tree (not expanded again).
    """

    __slots__ = ("id", "type", "size", "repr", "label", "children", "more", "repeated")

    def __init__(self, id, type, size, repr, label="", children=(), more=0, repeated=False):
        self._set(id=id, type=type, size=size, repr=repr, label=label,
                   children=tuple(children), more=more, repeated=repeated)

    def __repr__(self):
        return f"<RefTreeNode {self.type} id={self.id:#x} children={len(self.children)}>"

    def to_graph(self) -> GraphModel:
        """The tree as a :class:`GraphModel`; edges point from referrer to referent, as
        in the heap (``direction="backrefs"``); ``max_children`` cuts become "more"
        nodes, repeated referrers an edge to their first appearance."""
        nodes: dict[int, GraphNode] = {}
        edges: list[GraphEdge] = []
        more = 0
        stack = [(self, None, 0)]
        while stack:
            node, parent_id, depth = stack.pop()
            if node.repeated:
                if parent_id is not None and node.id in nodes:
                    edges.append(GraphEdge(node.id, parent_id, ""))
                continue
            nodes.setdefault(node.id, GraphNode(id=node.id, type=node.type, size=node.size,
                                                repr=node.repr, depth=depth, root=parent_id is None))
            if parent_id is not None:
                edges.append(GraphEdge(node.id, parent_id, node.label))
            if node.more:
                more += 1
                nodes[-more] = GraphNode(id=-more, type="", size=0, repr=f"+{node.more} more",
                                         kind="more", count=node.more, depth=depth + 1)
                edges.append(GraphEdge(-more, node.id, ""))
            for child in reversed(node.children):
                stack.append((child, node.id, depth + 1))
        return GraphModel(nodes.values(), dict.fromkeys(edges), roots=(self.id,),
                          truncated=more > 0, direction="backrefs")


_REPEATED = re.compile(r"\(already included, id (\d+)\)\Z")


def referrer_tree(obj, maxdepth: int = 3, max_children: int | None = 50,
                  repeat: bool = False) -> RefTreeNode:
    """The referrer tree of ``obj`` as immutable data (nothing is kept alive).

    Same walk as :meth:`RefBrowser.get_tree`; each node also says how it refers to
    its parent.
    """
    browser = RefBrowser(obj, maxdepth=maxdepth, repeat=repeat, max_children=max_children,
                         str_func=_default_str)
    tree = browser.get_tree()
    browser = None
    # post-order conversion with an explicit stack
    done: dict[int, RefTreeNode] = {}
    stack = [(tree, None, False)]
    while stack:
        node, parent, expanded = stack.pop()
        if not expanded:
            stack.append((node, parent, True))
            for child in reversed(node.children):
                if issubclass(type(child), Node):
                    stack.append((child, node, False))
            continue
        kids = []
        more = 0
        for child in node.children:
            if issubclass(type(child), Node):
                kids.append(done.pop(id(child)))
            elif issubclass(type(child), str) and child.startswith("+") and child.endswith(" more"):
                more = int(child[1:-5])
            else:
                text = str(child)
                found = _REPEATED.search(text)
                kids.append(RefTreeNode(id=int(found.group(1)) if found else -1, type="", size=0,
                                        repr=text, repeated=True))
        label = ""
        if parent is not None:
            hop = edge_hops(node.o, {id(parent.o)}).get(id(parent.o))
            label = hop.text.strip() if hop is not None else ""
        done[id(node)] = RefTreeNode(id=id(node.o), type=type(node.o).__name__,
                                     size=flat_size(node.o), repr=node_repr(node.o, clip=80),
                                     label=label, children=kids, more=more)
        node = parent = None
    result = done.pop(id(tree))
    tree = None
    return result


# ---------------------------------------------------------------------------
# Who holds an object, one level at a time, named in notebook terms
# ---------------------------------------------------------------------------


class Referrer(Frozen):
    """One holder of an object, as the referrer browser shows it (no object kept).

    Attributes
    ----------
    id : int
        ``id()`` of the holder.
    type : str
        Its type name.
    size : int
        Its flat size in bytes.
    repr : str
        Its clipped repr.
    label : str
        How it holds the object, in notebook terms, as ``%whyalive`` names holders:
        ``"global `x`"``, ``"Out[3]"``, ``"item 2 of list `cache`"``,
        ``"value ['k'] of dict `d`"``, ``"attribute .data of Foo"``,
        ``"local `arr` of frame f()"``, ``"json._default_decoder"``.
    root : bool
        A root of the session (the user's namespace, a module's globals, the output
        cache, IPython's shell, ``sys.modules``): the chain ends here, nothing is
        listed above it.
    expandable : bool
        Whether something (other than the browser) holds this holder in turn.
    """

    __slots__ = ("id", "type", "size", "repr", "label", "root", "expandable")

    def __init__(self, id, type, size, repr, label, root=False, expandable=False):
        self._set(id=id, type=type, size=size, repr=repr, label=label, root=bool(root),
                   expandable=bool(expandable))

    def __repr__(self):
        return f"<Referrer {self.label!r} ({self.type}, id={self.id:#x})>"


class ReferrerWalk:
    """Who holds ``obj``, and who holds those, one level at a time (Pympler's
    ``InteractiveBrowser`` data; the notebook's referrer tree widget is its view).

    The walk keeps the object by weak reference where it can (else strongly, until
    :meth:`release`) and **no other object**: a level below the root is found again
    from the root, by the ids of the holders along its path, each checked to still
    hold the one before. The walk's own containers, pympler_nb's frames and objects
    (:func:`~pympler_nb.core.session.own_objects`) and the browsers' trees are never
    listed as holders.

    >>> box = {"payload": bytearray(100)}
    >>> walk = ReferrerWalk(box["payload"])
    >>> [r.label for r in walk.referrers() if r.type == "dict"]  # `box` in a notebook's globals
    ["value ['payload'] of dict"]
    >>> walk.release()
    """

    def __init__(self, obj):
        try:
            self._ref = weakref.ref(obj)
        except TypeError:
            self._ref = _RootBox([obj])  # never listed as a holder (see _holders_of)
        obj = None

    def root(self):
        """The object, or None once it died or the walk was released."""
        ref = self._ref
        if ref is None:
            return None
        return ref[0] if type(ref) is _RootBox else ref()

    @property
    def released(self) -> bool:
        return self._ref is None

    def release(self) -> None:
        """Drop the reference to the object (further calls raise ``LookupError``)."""
        self._ref = None

    def describe_root(self) -> Referrer:
        """The root's own row (its label: its clipped repr)."""
        obj = self._alive()
        try:
            return Referrer(id(obj), type_name(obj), flat_size(obj), node_repr(obj, clip=80),
                            node_repr(obj, clip=60), expandable=True)
        finally:
            obj = None

    def _alive(self):
        if self._ref is None:
            raise LookupError("the object was released (the browser was closed)")
        obj = self.root()
        if obj is None:
            raise LookupError("the object no longer exists (it was garbage collected)")
        return obj

    def referrers(self, path=()) -> tuple[Referrer, ...]:
        """The holders of the object reached by ``path``: ids of holders, the first a
        holder of the root, each next one a holder of the one before (``()``: the
        root's holders). Raises ``LookupError`` if a holder on the path no longer holds
        the one before it (the heap changed since it was shown)."""
        path = tuple(path)
        for step in path:
            if type(step) is not int:
                raise TypeError(f"path: ids of holders (ints), got {step!r}")
        own = own_ids()
        own.update((id(self), id(self._ref), id(path)))
        # running functions' locals: gc does not list running frames; read only where that
        # has no side effect (3.13+: before, f_locals stores a snapshot in the frame that
        # would keep the object alive until the function returns)
        roots = SessionRoots(own, frames=not SNAPSHOT_LOCALS)
        search = HolderSearch(own)
        cur = self._alive()
        try:
            for depth, step in enumerate(path):
                if id(cur) in roots.containers:
                    raise LookupError("a root of the session has no holders to list")
                nxt = None
                for holder in _holders_of(cur, own, search):
                    if id(holder) == step:
                        nxt = holder
                        break
                holder = None
                if nxt is None:
                    raise LookupError(f"level {depth + 1} of the path no longer holds the object "
                                      f"below it (the heap changed; show the referrers again)")
                cur, nxt = nxt, None
            return _describe(cur, _holders_of(cur, own, search), own, roots, search)
        finally:
            search.close()
            cur = None


def _holders_of(obj, own: set[int], search: HolderSearch) -> list:
    """The holders of ``obj``, minus the walk's own objects and frames."""
    ask = [obj]
    own.add(id(ask))
    try:
        found = search.find(ask)[0]
    finally:
        own.discard(id(ask))
        ask = None
    own.add(id(found))
    out = []
    try:
        for r in found:
            tp = type(r)
            if id(r) in own or issubclass(tp, (Node, _RootBox)):
                continue
            if tp is types.FrameType and is_own_frame(r):
                continue
            out.append(r)
    finally:
        own.discard(id(found))
        found = r = None
    return out


def _describe(obj, holders: list, own: set[int], roots: SessionRoots,
              search: HolderSearch) -> tuple[Referrer, ...]:
    """One :class:`Referrer` per holder of ``obj`` (sorted: roots first, then by label)."""
    own.add(id(holders))
    try:
        expandable: set[int] = set()
        inner = [h for h in holders if id(h) not in roots.containers]
        if inner:  # who holds the holders: one more search for all of them
            own.add(id(inner))
            try:
                above, kids = search.find(inner)
            finally:
                own.discard(id(inner))
            for h in above:
                if type(h) is types.FrameType and is_own_frame(h):
                    continue
                if not issubclass(type(h), (Node, _RootBox)):
                    expandable.update(kids.get(id(h), ()))
            above = kids = h = None
        inner = None
        names = _global_names(roots)
        labeller = Labeller()
        want = id(obj)
        out = []
        for h in holders:
            hop = edge_hops(h, {want}, labeller).get(want)
            root = id(h) in roots.containers or id(h) == roots.out_id
            label = _label(h, hop, roots, names)
            out.append(Referrer(id(h), type_name(h), flat_size(h), node_repr(h, clip=80), label,
                                root=root, expandable=not root and id(h) in expandable))
        h = None
        seen = {r.id for r in out}
        for frame_root, name, _snapshot in roots.frame_hits.get(want, ()):
            if frame_root.frame_id in seen:  # a frame object gc listed already
                continue
            seen.add(frame_root.frame_id)
            where = "" if frame_root.current else f" [thread {frame_root.thread}]"
            out.append(Referrer(frame_root.frame_id, "frame", 0, frame_root.where,
                                f"local `{name}` of frame {frame_root.func}(){where}", root=True))
        out.sort(key=lambda r: (not r.root, r.label))
        return tuple(out)
    finally:
        own.discard(id(holders))


def _global_names(roots: SessionRoots) -> dict[int, str]:
    """``{id(value): name}`` of the user's namespace (public names first)."""
    ns = roots.user_namespace()
    out: dict[int, str] = {}
    if ns is None:
        return out
    items = sorted((k for k in list(dict.keys(ns)) if type(k) is str and k.isidentifier()),
                   key=lambda k: (k.startswith("_"), k))
    for key in items:
        value = dict.get(ns, key)
        out.setdefault(id(value), key)
    return out


def _label(holder, hop, roots: SessionRoots, names: dict[int, str]) -> str:
    """How ``holder`` holds the object (``hop``), in notebook terms."""
    hid = id(holder)
    if hop is None:
        hop = Hop("ref", None, "")
    key = hop.name or ""
    bare = key[1:-1] if hop.kind == "key" and len(key) >= 2 and key[0] == key[-1] == "'" else None
    if hid in roots.containers:
        kind, text = roots.root_text(hid, hop)
        if kind == "namespace" and bare is not None and text == bare:
            return f"global `{text}`"
        return text
    if hid == roots.out_id and hop.kind == "key":
        return f"Out[{key}]"
    if hid == roots.hidden_ns_id and hop.kind == "key":
        return f"get_ipython().user_ns_hidden[{key}]"
    if hid in roots.displayhook_ids and hop.kind == "attr":
        return f"get_ipython().displayhook.{key}"
    if type(holder) is types.FrameType and hop.kind == "local":
        try:
            func = holder.f_code.co_name
        except Exception:  # noqa: BLE001
            func = "?"
        return f"local `{key}` of frame {func}()"
    what = type_name(holder)
    name = names.get(hid)
    if name is not None:
        what = f"{what} `{name}`"
    if hop.kind == "index":
        return f"item {key} of {what}"
    if hop.kind == "key":
        return f"value {hop.text} of {what}"
    if hop.kind == "attr":
        return f"attribute {hop.text} of {what}"
    if hop.kind == "cache":
        return f"{what}: {hop.text.strip().removeprefix('→').strip()}"
    if hop.kind == "ref" or not hop.text.strip():
        return f"{what} (an unnamed reference)"
    return f"{what}: {hop.text.strip()}"


class InteractiveBrowser(RefBrowser):
    """Pympler's interactive referrer browser: :meth:`main` opens the referrer tree
    widget in a notebook (rows expand to show who holds them, level by level) and prints
    the :class:`ConsoleBrowser` tree elsewhere (``maxdepth`` levels)."""

    def main(self, standalone: bool = False):
        """Show the browser: the widget in a notebook kernel, else the console tree.
        ``standalone`` is accepted for Pympler's signature (a Tk option) and ignored."""
        viewer = _notebook_viewer()
        if viewer is not None:
            return viewer(self.root)
        ConsoleBrowser(self.root, maxdepth=self.maxdepth, str_func=self.str_func,
                       repeat=self.repeat, stream=self.stream,
                       max_children=self.max_children).print_tree()
        return None


def _notebook_viewer():
    """``show_referrers`` of the notebook layer when running in a Jupyter kernel, else
    None. The notebook layer is imported only then (the core stays stdlib-only)."""
    shell = running_shell()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        from importlib import import_module

        return import_module("pympler_nb.widgets.referrers").show_referrers
    except ImportError:
        return None
