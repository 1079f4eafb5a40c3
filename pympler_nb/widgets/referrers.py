"""A :class:`~pympler_nb.widgets.SizeTree` source that walks **referrers**: who holds an
object, and who holds those, one level each time a row is expanded (Pympler's
``InteractiveBrowser`` in notebook form; ``%referrers EXPR`` and
``refbrowser.InteractiveBrowser(obj).main()`` open it).

The walk is the core's :class:`~pympler_nb.core.refbrowser.ReferrerWalk`: holders are
named as ``%whyalive`` names them (``global `x```, ``Out[3]``, ``item 2 of list
`cache```, ``local `arr` of frame f()``); roots of the session (the user's namespace,
a module's globals, the output cache) end a branch. A row's ``size`` and ``flat`` are
the holder's own (flat) size.

>>> payload = bytearray(64)
>>> box = {"payload": payload}
>>> src = ReferrerTreeSource(payload, name="payload")
>>> [(n.id, n.name, n.type) for n in src.roots()]
[('0', 'payload', 'bytearray')]
>>> kids, total = src.children("0", 0, 10)
>>> "value ['payload'] of dict" in [k.name for k in kids]
True
>>> src.release()
"""

from __future__ import annotations

from ..core.format import clip_text
from ..core.refbrowser import ReferrerWalk
from .size_tree import NodeGone, NodeInfo, StaticSizeTree, TreeSource

__all__ = ["ReferrerTreeSource", "referrer_tree_view", "show_referrers"]


class ReferrerTreeSource(TreeSource):
    """Who holds ``obj``, level by level, for the size tree widget.

    Parameters
    ----------
    obj : object
        The object whose holders are shown (kept by weak reference where it can be,
        else until :meth:`release`, which :meth:`SizeTree.close` calls).
    name : str, optional
        What the root row shows (default: the object's clipped repr).

    Notes
    -----
    Node ids are ``"0"`` (the object) and ``"0/3/1"`` (the 2nd holder of the 4th holder
    of the object). A level is computed when it is first expanded (a few passes over
    the heap) and kept as rows (ids, names, sizes; no objects) for "show more"; a row is
    expanded by finding its holders again from the object along the path of ids, each
    checked to still hold the one before, so nothing but the object is ever referenced.
    """

    def __init__(self, obj, *, name: str | None = None, clip: int = 80):
        self._walk = ReferrerWalk(obj)
        root = self._walk.describe_root()
        obj = None
        label = root.label if name is None else clip_text(str(name), max(clip, 1) * 2)
        self._root = NodeInfo("0", label, root.type, root.size, root.size, True)
        self._paths: dict[str, tuple[int, ...]] = {"0": ()}  # node id -> holder ids below the root
        self._levels: dict[str, tuple[NodeInfo, ...]] = {}

    def roots(self) -> list[NodeInfo]:
        return [self._root]

    def children(self, node_id: str, offset: int = 0, count: int = 100) -> tuple[list[NodeInfo], int]:
        if self._walk.released:
            raise NodeGone("the object was released (the widget was closed)")
        path = self._paths.get(node_id) if isinstance(node_id, str) else None
        if path is None:
            raise NodeGone(f"unknown node id {node_id!r}")
        level = self._levels.get(node_id)
        if level is None:
            try:
                found = self._walk.referrers(path)
            except LookupError as exc:
                raise NodeGone(f"{node_id!r}: {exc.args[0] if exc.args else exc}") from None
            rows = []
            for k, ref in enumerate(found):
                nid = f"{node_id}/{k}"
                self._paths[nid] = path + (ref.id,)
                rows.append(NodeInfo(nid, ref.label, ref.type, ref.size, ref.size, ref.expandable))
            level = self._levels[node_id] = tuple(rows)
        offset = min(max(0, offset), len(level))
        return list(level[offset:offset + max(0, count)]), len(level)

    def release(self) -> None:
        self._walk.release()
        self._levels.clear()

    @property
    def released(self) -> bool:
        """True after :meth:`release`."""
        return self._walk.released


def referrer_tree_view(obj, *, name: str | None = None, title: str = "", page_size: int = 100):
    """The referrer tree of ``obj``: the :class:`SizeTree` widget when a person's front end
    runs the cell, else (a batch run: ``nbconvert --execute``, nbclient) the static tree
    (the object's holders as a table; nothing kept, no widget model)."""
    from . import _static
    from .size_tree import SizeTree

    source = ReferrerTreeSource(obj, name=name)
    obj = None
    if not _static.interactive_frontend():
        return StaticSizeTree(source, title=title, page_size=page_size)
    return SizeTree(source, title=title, page_size=page_size)


def show_referrers(obj, *, name: str | None = None, title: str | None = None, page_size: int = 100):
    """Display the referrer tree of ``obj`` (see :func:`referrer_tree_view`) and return
    the view. ``refbrowser.InteractiveBrowser(obj).main()`` calls this in a notebook."""
    from IPython.display import display

    if title is None:
        title = "Who holds it (expand a row: who holds that)"
    view = referrer_tree_view(obj, name=name, title=title, page_size=page_size)
    obj = None
    display(view)
    return view
