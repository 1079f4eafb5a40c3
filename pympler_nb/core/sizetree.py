"""Bounded size trees: the largest children of each node, the rest folded into one row.

:func:`asizeof.asized` lists every referent down to ``detail`` levels: one
:class:`~pympler_nb.core.asizeof.Asized` node, named by its repr, per item of a
million-item list. :func:`top_sized` sizes the same objects with the same totals but
keeps, per node, only the ``top`` largest children (largest first) and one
``"other (K more)"`` node that carries the size of the rest, so every node still adds
up (``size == flat + sum(child.size)``). Children beyond the shown ones are sized in
bulk by the sizing engine and never named, so the cost stays close to
:func:`~pympler_nb.core.asizeof.asizeof` of the same objects.

The trees are those of :func:`~pympler_nb.core.asizeof.asized` (one builder,
:meth:`Asizer.size_trees`): the same children (a DataFrame's columns and index, see
``pympler_nb.core._thirdparty``), the same counting rule and the same order, cut to the
``top`` largest; the size tree widget expands their nodes further with
:meth:`Asizer.tree_children`, which replays the same rule.

Every node records its type name (``Asized.type``; ``None`` for the "other" node), the
object's ``id()`` and its counting-order index (:class:`SizeNode`).

Accounting is that of :meth:`Asizer.asizesof` at every level: each object given (each
sibling) counts itself, what several of them reach is counted once, in the first of them
in their own order; the roots together add up to ``asizeof(*objs)``.

Order: children largest first, ties in their own order; the key and the value of a dict
entry stay together (``[K] k`` then ``[V] k: v``) and are ordered by their sum.

>>> from pympler_nb.core.sizetree import top_sized
>>> from pympler_nb.core.asizeof import asizeof
>>> data = list(range(1000, 1100)) + ["x" * 500]
>>> (tree,) = top_sized(data, detail=1, top=3, names=["data"])
>>> [(n.name[:6], n.type) for n in tree.refs]
[("'xxxxx", 'str'), ('1000', 'int'), ('1001', 'int'), ('other ', None)]
>>> [n.size for n in tree.refs[:3]] == [asizeof("x" * 500), asizeof(1000), asizeof(1001)]
True
>>> tree.refs[-1].name, tree.refs[-1].more
('other (98 more)', 98)
>>> tree.size == asizeof(data) == tree.flat + sum(n.size for n in tree.refs)
True
"""

from __future__ import annotations

from . import asizeof as _az
from .asizeof import OTHER, SizeNode
from .values import check_int

__all__ = ["top_sized", "SizeNode", "OTHER", "DEFAULT_TOP"]

DEFAULT_TOP = 20


def top_sized(*objs, detail: int = 1, top: int | None = DEFAULT_TOP, names=None, limit=None,
              align: int = 1, code: bool = False, clip: int = 80):
    """:class:`~pympler_nb.core.asizeof.Asized` trees of ``objs``, at most ``top`` children
    per node (largest first) plus an ``"other (K more)"`` node.

    Parameters
    ----------
    *objs
        The objects; sized together, each object counted once (in the first object that
        reaches it).
    detail : int
        Levels of children below each object (0: totals only).
    top : int or None
        Rows kept per node (a dict entry's key and value are kept together, so a
        dict shows up to ``top // 2`` entries); ``None`` keeps every child.
    names : sequence of str, optional
        The roots' names (default: their names in size trees).
    limit, align, code, clip
        The :func:`~pympler_nb.core.asizeof.asizeof` options.

    Returns
    -------
    tuple of SizeNode
        One tree per object, in order (the same object given again: a 0-byte root).

    Raises
    ------
    ValueError
        For a ``detail`` or ``top`` that is not an int >= 0 / >= 1, or a bad sizing option.
    """
    check_int(detail, "detail")
    sizer = _az.Asizer(detail=detail, limit=limit, align=align, code=bool(code), clip=clip)
    return sizer.size_trees(*objs, top=top, names=names, final=True)  # the sizer is dropped after
