"""The size tree widget: deep sizes of objects and of what they reference, on demand.

Three parts:

* **Tree sources** (:class:`TreeSource`) own the data and hand out pages of nodes.
  :class:`ObjectTreeSource` sizes live objects with :mod:`pympler_nb.core.asizeof`;
  :class:`AsizedTreeSource` shows a precomputed :class:`~pympler_nb.core.asizeof.Asized`
  tree (``asized(obj, detail=N)``); :class:`SizedTreeSource` shows live objects already
  sized by ``top_sized`` (``%memsize``: the first levels are the table's rows, "other"
  rows included) and sizes the levels below on demand as :class:`ObjectTreeSource` does.
  Other sources (a dominator / retained-size tree) implement the same three methods.
* **Nodes** (:class:`NodeInfo`) are small immutable records with a string ``id`` chosen
  by the source; only nodes that are shown travel to the browser.
* **The widget** (:class:`SizeTree`) ships the roots as a synced trait and answers the
  browser's requests for children through a custom message, which it validates:

  * browser -> kernel: ``{"type": "expand", "id": str, "offset": int}``
  * kernel -> browser: ``{"type": "children", "id": str, "offset": int, "nodes": [node, ...],
    "total": int}``, or ``{"type": "error", "id": str | None, "message": str}`` for anything
    else: a non-object payload, an unknown ``type``, an id the widget never shipped, an
    ``offset`` that is not an int >= 0 or skips children not shipped yet, an object that
    died or changed, a closed widget.

  ``nodes`` holds at most ``page_size`` children starting at ``offset``; ``total`` is the
  node's number of children, so the browser shows "show more" for the rest. A node is
  ``{"id", "name", "type", "size", "flat", "has_children"}`` (sizes in bytes); the
  browser computes the share of the parent (``size / parent size``; roots: share of
  ``total``).

Examples
--------
>>> from pympler_nb.widgets import ObjectTreeSource
>>> data = {"xs": [1.5, 2.5], "name": "pympler"}
>>> src = ObjectTreeSource([data], ["data"])
>>> [(n.id, n.name, n.type) for n in src.roots()]
[('0', 'data', 'dict')]
>>> nodes, total = src.children("0", 0, 10)
>>> total, [n.name for n in nodes][:2]
(4, ['[K] xs', '[V] xs: [1.5, 2.5]'])
>>> sum(n.size for n in nodes) + src.roots()[0].flat == src.roots()[0].size
True
"""

from __future__ import annotations

import abc
import html
import weakref
from array import array
from dataclasses import dataclass

import anywidget
import traitlets as t

from ..core import asizeof as _asizeof
from ..core.format import clip_text, format_size, text_safe
from . import _static
from ._static import EsmBundle, answer_bundle_request, read_bundle

__all__ = [
    "NodeInfo",
    "NodeGone",
    "TreeSource",
    "ObjectTreeSource",
    "AsizedTreeSource",
    "SizedTreeSource",
    "SizeTree",
    "StaticSizeTree",
]

_BUNDLE = "size_tree.js"


# ---------------------------------------------------------------------------
# nodes and the source protocol
@dataclass(frozen=True, slots=True)
class NodeInfo:
    """One row of a size tree (immutable; holds no reference to the object).

    Attributes
    ----------
    id : str
        Chosen by the source, unique within it; the browser sends it back to expand.
    name : str
        What the row shows first: a root's name, ``"[V] key: value"``, an attribute.
    type : str
        Type name (``""`` when unknown, e.g. for :class:`Asized` trees).
    size : int
        Deep size in bytes (how siblings share objects is up to the source).
    flat : int
        Own size in bytes.
    has_children : bool
        Whether the row can be expanded.
    """

    id: str
    name: str
    type: str
    size: int
    flat: int
    has_children: bool

    def to_json(self) -> dict:
        """The node as the browser receives it."""
        return {"id": text_safe(self.id), "name": text_safe(self.name), "type": text_safe(self.type),
                "size": int(self.size), "flat": int(self.flat), "has_children": bool(self.has_children)}


class NodeGone(LookupError):
    """A node cannot be expanded: unknown id, object died, or changed since it was shown."""


class TreeSource(abc.ABC):
    """What a :class:`SizeTree` shows: roots, and pages of children on demand.

    Subclasses implement :meth:`roots` and :meth:`children` (and :meth:`release` if they
    hold objects). Node ids are strings the source chooses; the widget only passes ids
    of nodes the source returned, and only offsets up to the number of children already
    returned for that node.
    """

    @abc.abstractmethod
    def roots(self) -> list[NodeInfo]:
        """The top-level nodes (cheap: called when the widget is created)."""

    @abc.abstractmethod
    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        """Children ``offset .. offset+count-1`` of ``node_id`` and the number of children.

        Raises
        ------
        NodeGone
            (a :class:`LookupError`) for an unknown id, or when the node's object died
            or changed; the message is shown to the user.
        """

    def release(self) -> None:
        """Drop every reference to user objects (further :meth:`children` calls raise
        :class:`NodeGone`). Called by :meth:`SizeTree.close`; a source holding no user
        objects keeps this default, which does nothing."""
        return None  # an optional hook, not abstract

    @staticmethod
    def row_index(node_id, shown, released: bool) -> int:
        """The row number ``node_id`` names, for sources whose ids are row numbers
        (``"0"``, ``"17"``) and ``shown[i]`` says whether row ``i`` was returned; else
        :class:`NodeGone` (also once the source was ``released``)."""
        if released:
            raise NodeGone("the tree was released (the widget was closed)")
        if not (isinstance(node_id, str) and node_id.isascii() and node_id.isdigit()
                and str(int(node_id)) == node_id):
            raise NodeGone(f"unknown node id {node_id!r}")
        i = int(node_id)
        if i >= len(shown) or not shown[i]:
            raise NodeGone(f"unknown node id {node_id!r}")
        return i


# ---------------------------------------------------------------------------
# live objects
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__


def _type_name(tp: type) -> str:
    """``qualname`` for builtins, else ``module.qualname``; read from the type itself."""
    try:
        mod = _type_module(tp)
        qual = _type_qualname(tp)
    except Exception:  # noqa: BLE001 - hostile metaclass
        return "?"
    if not isinstance(qual, str):
        return "?"
    return qual if mod == "builtins" or not isinstance(mod, str) else f"{mod}.{qual}"


class _Level:
    """The order and sizes of one expanded node's children (no objects): counting-order
    indices in display order and the sizes by counting-order index."""

    __slots__ = ("order", "sizes", "flats")

    def __init__(self, kids):
        sizes, flats = kids.counted()
        self.order = array("q", kids.order)
        self.sizes = array("q", sizes)
        self.flats = array("q", flats)


class ObjectTreeSource(TreeSource):
    """Deep sizes of live objects, children computed when they are asked for.

    Parameters
    ----------
    objs : iterable
        The root objects. Each root is sized on its own (its size is
        ``asizeof(obj, align=..., code=..., limit=...)``).
    names : iterable of str, optional
        One name per root (default: the object's name in size trees: its clipped
        repr, or a rule's label such as ``DataFrame (1,000 rows x 3 columns)``).
    limit, align, code, clip
        The :func:`~pympler_nb.core.asizeof.asizeof` options.

    Notes
    -----
    **Children and sizes** are those of :func:`~pympler_nb.core.asizeof.asized`'s trees,
    computed by the same engine (:meth:`Asizer.tree_children`): the named referents
    (``[K]``/``[V]`` rows for dict keys and values, attribute names, sequence items;
    a DataFrame's columns and index first, see ``pympler_nb.core._thirdparty``),
    **largest first** with a dict entry's key and value together. A node's size is its
    flat size plus the sizes of all its children: siblings are counted in reference
    order as :meth:`Asizer.asizesof` does (each sibling counts itself; what several
    siblings reach is counted once, in the first of them), with everything the node's
    ancestors and their earlier siblings reached already counted. An object that
    appears again (a repeated item, a small int, a module dict) shows 0, and so do its
    children. Classes, modules, numbers and strings are leaves.

    **Cost.** Expanding a node sizes all its children once (to order them); the
    order and sizes are kept (three integers per child, no objects) for the following
    pages. Opening a list of a million floats costs a few times one ``asizeof`` of it.

    **References.** Roots are kept by weak reference where possible; others (lists,
    dicts, ...) are kept strongly until :meth:`release` (called by
    :meth:`SizeTree.close`). Interior objects are never kept: a node is found again by
    its path from the root (its id, e.g. ``"0/12/3"``: counting-order indices) and
    checked to be the same object that was shown. Objects are never changed (no
    instance ``__dict__`` is created, pandas objects are read without filling their
    caches).
    """

    def __init__(self, objs, names=None, *, limit=None, align=1, code=False, clip=80):
        objs = list(objs)
        if names is None:
            names = [None] * len(objs)
        else:
            names = list(names)
            if len(names) != len(objs):
                raise ValueError(f"names must give one name per object: {len(objs)} objects, "
                                 f"{len(names)} names")
        self._opts = {"limit": limit, "align": align, "code": bool(code), "clip": clip}
        _asizeof.Asizer(**self._opts)  # invalid options raise here, naming the value
        self._clip = clip
        self._refs: list | None = []
        self._known: dict[str, tuple[int, int]] = {}  # node id -> (id(), size) shown
        self._levels: dict[str, _Level] = {}  # node id -> order and sizes of its children
        self._roots: list[NodeInfo] = []
        for index, (obj, name) in enumerate(zip(objs, names)):
            sizer = _asizeof.Asizer(**self._opts)
            tree = sizer.asized(obj)  # detail 0: the deep and the flat size, and the name
            nid = str(index)
            label = tree.name if name is None else clip_text(str(name), max(clip, 1) * 2)
            self._roots.append(NodeInfo(nid, label, _type_name(type(obj)), tree.size, tree.flat,
                                        sizer.tree_expandable(obj)))
            self._known[nid] = (id(obj), tree.size)
            try:
                self._refs.append(weakref.ref(obj))
            except TypeError:
                self._refs.append(_Strong(obj))
        obj = objs = None  # keep no reference beyond self._refs

    def roots(self) -> list[NodeInfo]:
        return list(self._roots)

    def release(self) -> None:
        self._refs = None
        self._known.clear()
        self._levels.clear()

    @property
    def released(self) -> bool:
        """True after :meth:`release`."""
        return self._refs is None

    def _root(self, index: int):
        if self._refs is None:
            raise NodeGone("the objects were released (the widget was closed)")
        if not 0 <= index < len(self._refs):
            raise NodeGone(f"no root {index}")
        obj = self._refs[index]()
        if obj is None:
            raise NodeGone(f"{self._roots[index].name} no longer exists (it was garbage collected)")
        return obj

    def _path(self, node_id: str):
        """``(root, path, expect)``: the root object, the counting-order indices below it
        and the ids of the objects shown along the path."""
        if self._refs is None:
            raise NodeGone("the objects were released (the widget was closed)")
        if node_id not in self._known:
            raise NodeGone(f"unknown node id {node_id!r}")
        parts = node_id.split("/")
        root = self._root(int(parts[0]))
        if id(root) != self._known[parts[0]][0]:
            raise NodeGone(f"{parts[0]!r} changed since it was shown (re-run to see it again)")
        path, expect = [], []
        prefix = parts[0]
        for part in parts[1:]:
            prefix = f"{prefix}/{part}"
            path.append(int(part))
            expect.append(self._known[prefix][0])
        return root, path, expect

    def _together(self, index: int) -> dict:
        """How root ``index`` was counted with the others (:meth:`Asizer.tree_children`'s
        ``together=`` and ``position=``; here each root on its own)."""
        return {}

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        root, path, expect = self._path(node_id)
        sizer = _asizeof.Asizer(**self._opts)
        level = self._levels.get(node_id)
        try:
            kids = sizer.tree_children(root, path, expect, sized=level is None,
                                       **self._together(int(node_id.split("/")[0])))
        except LookupError as exc:
            raise NodeGone(f"{node_id!r}: {exc.args[0] if exc.args else exc}") from None
        finally:
            root = None
        if level is None:
            level = self._levels[node_id] = _Level(kids)
        elif len(kids) != len(level.sizes):
            raise NodeGone(f"{node_id!r} changed since it was shown (re-run to see it again)")
        total = len(kids)
        offset = min(max(0, offset), total)
        end = min(total, offset + max(0, count))
        nodes = []
        for pos in range(offset, end):
            index = level.order[pos]
            kid = kids.by_index(index)
            nid = f"{node_id}/{index}"
            size, flat = level.sizes[index], level.flats[index]
            if kid.shared:
                nodes.append(NodeInfo(nid, kid.name, kid.type_name, 0, 0, False))
                continue
            self._known[nid] = (id(kid.obj), size)
            nodes.append(NodeInfo(nid, kid.name, kid.type_name, size, flat, kid.expandable))
        kids = kid = None
        return nodes, total


class SizedTreeSource(ObjectTreeSource):
    """Live objects already sized by :func:`~pympler_nb.core.sizetree.top_sized` (as
    ``%memsize`` does): the widget shows what was sized, and agrees with the table.

    Parameters
    ----------
    objs : iterable
        The root objects, in the order they were sized.
    sized : iterable of Asized
        ``top_sized(*objs, ...)``: one tree per object.
    names : iterable of str, optional
        One name per root (default: the trees' names).
    limit, align, code, clip
        The options the trees were sized with (used for the levels sized on demand).

    Notes
    -----
    The roots and the levels the trees hold are shown from the trees, not sized again:
    the same sizes, the same order (largest first), the same ``"other (K more)"`` rows.
    Below them, nodes are sized on demand as :class:`ObjectTreeSource` does
    (:meth:`Asizer.tree_children`, the rule the trees were built with), with the roots
    counted together as ``top_sized`` counts them (each object once, in the first root
    that reaches it), so the children of a node add up to the size it showed. A tree
    node has the id :class:`ObjectTreeSource` gives it (its counting-order path,
    ``SizeNode.index``) and is checked to be the object that was sized
    (``SizeNode.oid``); "other" rows (``"0/~20"``) have no children.
    """

    def __init__(self, objs, sized, names=None, *, limit=None, align=1, code=False, clip=80):
        objs = list(objs)
        trees = [sized] if isinstance(sized, _asizeof.Asized) else list(sized)
        if len(trees) != len(objs):
            raise ValueError(f"sized must give one tree per object: {len(objs)} objects, "
                             f"{len(trees)} trees")
        for tree in trees:
            if not isinstance(tree, _asizeof.Asized):
                raise TypeError(f"sized: expected Asized trees from top_sized(...), got {type(tree).__name__}")
        names = [tree.name for tree in trees] if names is None else list(names)
        super().__init__([], [], limit=limit, align=align, code=code, clip=clip)  # no sizing
        if len(names) != len(objs):
            raise ValueError(f"names must give one name per object: {len(objs)} objects, "
                             f"{len(names)} names")
        self._served: dict[str, _asizeof.Asized] = {}  # node id -> tree node shown from it
        self._served_pages: dict[str, list[NodeInfo]] = {}
        sizer = _asizeof.Asizer(**self._opts)
        for index, (obj, tree, name) in enumerate(zip(objs, trees, names)):
            nid = str(index)
            label = str(tree.name) if name is None else clip_text(str(name), max(clip, 1) * 2)
            tname = tree.type or _type_name(type(obj))
            self._roots.append(NodeInfo(nid, label, tname, int(tree.size), int(tree.flat),
                                        bool(tree.refs) or sizer.tree_expandable(obj)))
            self._known[nid] = (id(obj), int(tree.size))
            self._served[nid] = tree
            try:
                self._refs.append(weakref.ref(obj))
            except TypeError:
                self._refs.append(_Strong(obj))
        obj = objs = None  # keep no reference beyond self._refs

    def release(self) -> None:
        super().release()
        self._served.clear()
        self._served_pages.clear()

    def _together(self, index: int) -> dict:
        """The roots, counted together as ``top_sized`` counted them (the dead left out)."""
        out, position = [], None
        for k, ref in enumerate(self._refs):
            obj = ref()
            if obj is not None or type(ref) is _Strong:
                if k == index:
                    position = len(out)
                out.append(obj)
        return {"together": out, "position": position}

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        if self._refs is None:
            raise NodeGone("the objects were released (the widget was closed)")
        tree = self._served.get(node_id)
        if tree is None or not tree.refs:
            if "~" in node_id:  # an "other" row: nothing below it
                raise NodeGone(f"{node_id!r} has no children to show")
            return super().children(node_id, offset, count)
        nodes = self._served_pages.get(node_id)
        if nodes is None:
            nodes = self._served_pages[node_id] = self._serve(node_id, tree)
        offset = min(max(0, offset), len(nodes))
        return nodes[offset:offset + max(0, count)], len(nodes)

    def _serve(self, node_id: str, tree) -> list[NodeInfo]:
        """The tree node's children as rows, each checked against the live child at its
        counting-order index (so that it can be expanded further)."""
        root, path, expect = self._path(node_id)  # NodeGone if it died or changed
        try:
            kids = _asizeof.Asizer(**self._opts).tree_children(root, path, expect, sized=False)
        except LookupError as exc:
            raise NodeGone(f"{node_id!r}: {exc.args[0] if exc.args else exc}") from None
        finally:
            root = None
        nodes = []
        for k, ref in enumerate(tree.refs):
            index = getattr(ref, "index", None)
            size, flat = int(ref.size), int(ref.flat)
            name = "" if ref.name is None else str(ref.name)
            if type(index) is not int or not 0 <= index < len(kids):  # an "other" row
                nid, has = f"{node_id}/~{k}", False
            else:
                kid = kids.by_index(index)
                nid = f"{node_id}/{index}"
                if kid.shared:
                    has = False
                else:
                    oid = getattr(ref, "oid", None)
                    if oid is not None and id(kid.obj) != oid:
                        raise NodeGone(f"{node_id!r} changed since it was sized (re-run to see it again)")
                    self._known[nid] = (id(kid.obj), size)
                    has = bool(ref.refs) or kid.expandable
            self._served[nid] = ref
            nodes.append(NodeInfo(nid, name, ref.type or "", size, flat, has))
        kids = kid = None
        return nodes


class _Strong:
    """A strong reference with the call interface of :class:`weakref.ref`."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


# ---------------------------------------------------------------------------
# precomputed Asized trees
class AsizedTreeSource(TreeSource):
    """A precomputed :class:`~pympler_nb.core.asizeof.Asized` tree (or several).

    Parameters
    ----------
    asized : Asized or iterable of Asized
        From ``asized(obj, detail=N)`` / ``asized(a, b, detail=N)``.
    order : {'size', 'given'}
        Children largest first (default: :meth:`Asized.largest_first`, as
        ``Asized.format``), or as stored.

    Holds only the ``Asized`` records (numbers, names and type names, no objects);
    ``type`` is the node's ``Asized.type`` (``""`` where it was not recorded: a tree
    made by hand, an "other" row).
    """

    _ORDERS = ("size", "given")

    def __init__(self, asized, *, order: str = "size"):
        trees = [asized] if isinstance(asized, _asizeof.Asized) else list(asized)
        for tree in trees:
            if not isinstance(tree, _asizeof.Asized):
                raise TypeError(f"expected Asized results (from asized(obj, detail=N)), "
                                f"got {type(tree).__name__}")
        if order not in self._ORDERS:
            raise ValueError(f"order must be one of {self._ORDERS}, got {order!r}")
        self._order = order
        self._trees = trees

    def _kids(self, node):
        if self._order == "size":  # a dict entry's [K] and [V] rows stay together
            return list(node.largest_first())
        return list(node.refs)

    @staticmethod
    def _info(nid, node):
        name = "" if node.name is None else str(node.name)
        return NodeInfo(nid, name, node.type or "", int(node.size), int(node.flat), bool(node.refs))

    def roots(self) -> list[NodeInfo]:
        return [self._info(str(i), tree) for i, tree in enumerate(self._trees)]

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        try:
            parts = [int(p) for p in node_id.split("/")]
            node = self._trees[parts[0]]
            for index in parts[1:]:
                node = self._kids(node)[index]
        except (ValueError, IndexError, TypeError, AttributeError):
            raise NodeGone(f"unknown node id {node_id!r}") from None
        kids = self._kids(node)
        offset = min(max(0, offset), len(kids))
        page = kids[offset:offset + max(0, count)]
        return [self._info(f"{node_id}/{offset + i}", kid) for i, kid in enumerate(page)], len(kids)

    def release(self) -> None:
        self._trees = []


# ---------------------------------------------------------------------------
# the widget
class _TreeRows:
    """The static renderings of a size tree (``text/plain``, ``text/html``) from
    ``_root_nodes``, ``_pages`` (id -> children shipped, total), ``total`` and ``title``:
    shared by the widget (the rows shipped so far) and :class:`StaticSizeTree`."""

    _TEXT_ROWS = 400  # rows in the text/plain and text/html fallbacks

    def _rows(self):
        """``(level, node or None, parent size, more)`` for the shipped rows, pre-order;
        ``node`` None is a "N more" row."""
        out = []
        stack = [(self._root_nodes, 0, 0, self.total, len(self._root_nodes))]
        while stack and len(out) < self._TEXT_ROWS:
            nodes, pos, level, psize, total = stack.pop()
            if pos >= len(nodes):
                if total > len(nodes):
                    out.append((level, None, psize, total - len(nodes)))
                continue
            node = nodes[pos]
            stack.append((nodes, pos + 1, level, psize, total))
            out.append((level, node, psize, 0))
            page = self._pages.get(node.id)
            if page is not None:
                stack.append((page[0], 0, level + 1, node.size, page[1]))
        return out

    def _text(self) -> str:
        lines = [repr(self)]
        if self.title:
            lines.append(self.title)
        for level, node, psize, more in self._rows():
            indent = "    " * level
            if node is None:
                lines.append(f"{indent}... {more:,} more")
                continue
            kind = f" ({node.type})" if node.type else ""
            lines.append(f"{indent}{node.name}{kind}  {format_size(node.size)}  {_share(node.size, psize)}")
        return text_safe("\n".join(lines))

    def _html(self) -> str:
        esc = html.escape
        rows = []
        for level, node, psize, more in self._rows():
            pad = f"padding-left:{level * 1.2:.1f}em"
            if node is None:
                rows.append(f"<tr><td colspan='4' style='{pad}'>&hellip; {more:,} more</td></tr>")
                continue
            rows.append(f"<tr><td style='{pad};text-align:left'>{esc(node.name)}</td>"
                        f"<td style='text-align:left'>{esc(node.type)}</td>"
                        f"<td style='text-align:right' title='{node.size} bytes'>{esc(format_size(node.size))}</td>"
                        f"<td style='text-align:right'>{_share(node.size, psize)}</td></tr>")
        title = f"<p><strong>{esc(self.title)}</strong></p>" if self.title else ""
        return text_safe("<div class='pympler-nb-tree-static tex2jax_ignore'>" + title +
                "<table><thead><tr><th style='text-align:left'>name</th><th style='text-align:left'>type</th>"
                "<th>size</th><th>share of parent</th></tr></thead><tbody>" + "".join(rows) +
                "</tbody></table></div>")

    def _static_html(self) -> str:
        try:
            return self._html()
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            return f"<pre>{html.escape(object.__repr__(self))} (no table: {type(exc).__name__})</pre>"



class StaticSizeTree(_TreeRows):
    """A size tree as text and an HTML table, without a widget: what batch runs display.

    Shows the roots and their first ``page_size`` children; the objects are released
    as soon as the rows are made (nothing is kept alive, no widget model is created, so
    an executed and exported notebook holds no widget state for it).
    """

    def __init__(self, source: TreeSource, *, title: str = "", page_size: int = 100):
        if not isinstance(source, TreeSource):
            raise TypeError(f"StaticSizeTree(source): expected a TreeSource, got {type(source).__name__}")
        self.title = title
        self._root_nodes = list(source.roots())
        self.total = sum(max(0, n.size) for n in self._root_nodes)
        self._pages: dict[str, tuple[list[NodeInfo], int]] = {}
        try:
            for node in self._root_nodes:
                if node.has_children:
                    try:
                        self._pages[node.id] = tuple(source.children(node.id, 0, page_size))
                    except LookupError:
                        pass
        finally:
            source.release()

    def __repr__(self):
        n = len(self._root_nodes)
        return f"<SizeTree {n} root{'s' if n != 1 else ''}, {format_size(self.total)}, static>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self._text(), "text/html": self._static_html()}


class SizeTree(_TreeRows, _static.StaticPairing, anywidget.AnyWidget):
    """An expandable tree of deep sizes (WAI-ARIA tree in the browser).

    Parameters
    ----------
    source : TreeSource
        What to show (:class:`ObjectTreeSource`, :class:`AsizedTreeSource`, ...).
        :meth:`from_objects` and :meth:`from_asized` build the usual ones.
    title : str
        Shown above the tree.
    page_size : int
        Children shipped per request; the rest are behind a "show more" row.

    Notes
    -----
    :meth:`close` (or :meth:`release`) drops the references to the objects shown. The
    display also carries ``text/plain`` and ``text/html`` renderings of the rows shipped
    so far, for exported notebooks.

    Raises
    ------
    BundleMissingError
        If the front end was not built (``npm ci && npm run build`` in the repo).
    """

    _esm = EsmBundle(_BUNDLE)

    roots = t.List(t.Dict(), help="the top-level nodes ({id, name, type, size, flat, has_children})").tag(sync=True)
    total = t.Int(0, help="bytes the roots' shares are relative to (sum of the root sizes)").tag(sync=True)
    title = t.Unicode("", help="heading shown above the tree").tag(sync=True)
    page_size = t.Int(100, min=1, max=10_000, help="children shipped per expand request").tag(sync=True)
    _fallback = t.Unicode("", help="the static HTML table of the rows shipped, drawn by the loader "
                                   "when no kernel answers (a reopened notebook)").tag(sync=True)
    _static_id = t.Unicode("", help="pairs the view with its static output (see _static.display_paired)").tag(sync=True)

    _MESSAGES = ("expand",)

    def __init__(self, source: TreeSource, *, title: str = "", page_size: int = 100, **kwargs):
        read_bundle(_BUNDLE)  # a missing build fails here, with the fix in the message
        if not isinstance(source, TreeSource):
            raise TypeError(f"SizeTree(source): expected a TreeSource such as ObjectTreeSource(objs) "
                            f"or AsizedTreeSource(asized), got {type(source).__name__}; "
                            f"for objects use SizeTree.from_objects([obj, ...])")
        roots = list(source.roots())
        super().__init__(roots=[n.to_json() for n in roots], total=sum(max(0, n.size) for n in roots),
                         title=text_safe(title), page_size=page_size,
                         _static_id=_static.new_static_id(), **kwargs)
        self._source: TreeSource | None = source
        self._root_nodes = roots
        self._shipped: dict[str, NodeInfo] = {n.id: n for n in roots}
        self._pages: dict[str, tuple[list[NodeInfo], int]] = {}  # id -> (children shipped, total)
        self._fallback = self._static_html()
        self.on_msg(self._on_msg)

    # -- constructors ----------------------------------------------------------------
    @classmethod
    def from_objects(cls, objs, names=None, *, title: str = "", page_size: int = 100,
                     limit=None, align: int = 1, code: bool = False, clip: int = 80,
                     sized=None) -> SizeTree:
        """A tree of live objects (see :class:`ObjectTreeSource` for how sizes add up).

        ``sized``: the objects' trees from :func:`~pympler_nb.core.sizetree.top_sized`
        (sized with the same options), shown as they are instead of sizing the objects
        again (see :class:`SizedTreeSource`).
        """
        read_bundle(_BUNDLE)
        if sized is not None:
            source = SizedTreeSource(objs, sized, names, limit=limit, align=align, code=code, clip=clip)
        else:
            source = ObjectTreeSource(objs, names, limit=limit, align=align, code=code, clip=clip)
        return cls(source, title=title, page_size=page_size)

    @classmethod
    def from_asized(cls, asized, *, title: str = "", page_size: int = 100, order: str = "size") -> SizeTree:
        """A tree of a precomputed ``Asized`` result (``asized(obj, detail=N)``)."""
        read_bundle(_BUNDLE)
        return cls(AsizedTreeSource(asized, order=order), title=title, page_size=page_size)

    # -- messages --------------------------------------------------------------------
    def _on_msg(self, widget, content, buffers):
        """Answer one custom message; never raises (errors go back as a reply)."""
        if answer_bundle_request(self, _BUNDLE, content):
            return
        try:
            reply = self._answer(content)
        except Exception as exc:  # noqa: BLE001 - a kernel traceback would be a failure
            nid = content.get("id") if isinstance(content, dict) else None
            reply = _error(nid, f"internal error: {type(exc).__name__}: {exc}")
        try:
            self.send(reply)
        except Exception:  # noqa: BLE001 - the front end went away
            pass
        if reply.get("type") == "children":
            self._refresh_static()  # the saved static output shows the rows opened

    def _answer(self, content) -> dict:
        """The reply to ``content`` (see the module docstring for the protocol)."""
        if not isinstance(content, dict):
            return _error(None, f"expected a message object {{type, id, offset}}, got {type(content).__name__}")
        kind = content.get("type")
        nid = content.get("id")
        if kind not in self._MESSAGES:
            return _error(nid, f"unknown message type {kind!r}; allowed: {', '.join(map(repr, self._MESSAGES))}")
        if not isinstance(nid, str) or nid not in self._shipped:
            return _error(nid, f"unknown node id {clip_text(repr(nid), 60)}: this widget did not show it")
        offset = content.get("offset", 0)
        shipped, _ = self._pages.get(nid, ((), 0))
        if type(offset) is not int or offset < 0:
            return _error(nid, f"offset must be an integer >= 0, got {clip_text(repr(offset), 40)}")
        if offset > len(shipped):
            return _error(nid, f"offset {offset} skips children not shown yet ({len(shipped)} shown)")
        if self._source is None:
            return _error(nid, "the widget was closed and released its objects; display it again")
        try:
            nodes, total = self._source.children(nid, offset, self.page_size)
        except LookupError as exc:
            return _error(nid, str(exc.args[0]) if exc.args else type(exc).__name__)
        self._pages[nid] = (list(shipped[:offset]) + list(nodes), total)
        for node in nodes:
            self._shipped[node.id] = node
        self._fallback = self._static_html()  # a saved notebook shows the rows opened so far
        return {"type": "children", "id": nid, "offset": offset,
                "nodes": [n.to_json() for n in nodes], "total": total}

    def _before_display(self) -> None:
        """Ship the roots' first page of children before the display, so that the static
        output saved with the notebook shows them (as :class:`StaticSizeTree` does); the
        front end asks for them again when a root is expanded."""
        for node in self._root_nodes:
            if node.has_children and node.id not in self._pages and self._source is not None:
                self._answer({"type": "expand", "id": node.id, "offset": 0})

    # -- lifetime --------------------------------------------------------------------
    def release(self) -> None:
        """Drop the references to the objects shown (the rows already shipped stay)."""
        source, self._source = getattr(self, "_source", None), None
        if source is not None:
            source.release()

    def close(self) -> None:
        """Close the widget and :meth:`release` the objects."""
        self.release()
        super().close()

    # -- display ---------------------------------------------------------------------
    def __repr__(self):
        n = len(getattr(self, "_root_nodes", ()))
        return (f"<SizeTree {n} root{'s' if n != 1 else ''}, {format_size(self.total)}, "
                f"{len(getattr(self, '_shipped', ()))} rows shipped>")

    def _repr_mimebundle_(self, **kwargs):
        """The widget view plus ``text/plain`` and ``text/html`` (the rows shipped so far);
        only the static two when no person's front end runs the cell (``nbconvert
        --execute``: see :func:`~pympler_nb.widgets._static.interactive_frontend`)."""
        data, meta = self._widget_bundle(**kwargs)
        try:
            data["text/plain"] = self._text()
        except Exception as exc:  # noqa: BLE001 - display must never crash the front end
            data["text/plain"] = f"{object.__repr__(self)} (no text view: {type(exc).__name__})"
        data["text/html"] = self._static_html()
        return data, meta


def _error(nid, message: str) -> dict:
    return {"type": "error", "id": nid if isinstance(nid, str) else None, "message": message}


def _share(size: int, whole: int) -> str:
    if whole <= 0 or size <= 0:
        return "0%"
    pct = 100.0 * size / whole
    return "<0.1%" if pct < 0.1 else f"{min(pct, 100.0):.1f}%"
