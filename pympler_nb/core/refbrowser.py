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
the referrers shown per node with a ``"+N more"`` leaf. The Tk
``InteractiveBrowser`` is not provided: notebooks get a widget instead.
"""

from __future__ import annotations

import re
import sys

from ._format import safe_repr
from ._graphwalk import GraphEdge, GraphModel, GraphNode, HolderSearch, edge_hops, flat_size, node_repr
from .values import Frozen, check_int

__all__ = [
    "Node",
    "RefBrowser",
    "StreamBrowser",
    "ConsoleBrowser",
    "FileBrowser",
    "RefTreeNode",
    "referrer_tree",
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
