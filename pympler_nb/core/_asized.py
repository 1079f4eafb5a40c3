"""Results of deep sizing: :class:`Asized` trees, :class:`SizeNode`, the lazily sized
children of a size-tree node, and the named children (:class:`Kids`, :class:`Part`)
the tree builders read."""

from __future__ import annotations

import heapq
from itertools import chain, compress, islice, repeat
from operator import eq, lt

from ._labels import name_text
from ._format import class_name


# ---------------------------------------------------------------------------
class Asized:
    """The size of an object and, up to ``detail`` levels, of what it references.

    Attributes: ``size`` (deep bytes), ``flat`` (own bytes), ``refs`` (tuple of
    :class:`Asized`), ``name`` (clipped repr or reference name), ``type`` (the sized
    object's type name, ``module.qualname``, recorded by :func:`asized` and
    :func:`~pympler_nb.core.sizetree.top_sized` on every node: views read it instead of
    parsing names; ``'(attributes)'`` for an instance's attributes shown as
    ``'__dict__'``, ``'(key shared by the class)'``; ``None`` for an ``"other (K
    more)"`` node and for trees made by hand). Holds no reference to the sized object.
    """

    __slots__ = ("size", "flat", "refs", "name", "type")

    def __init__(self, size, flat, refs=(), name=None, type=None):
        self.size = size
        self.flat = flat
        self.refs = tuple(refs)
        self.name = name
        self.type = type

    def __str__(self):
        return 'size %d, flat %d, refs[%d], name "%s"' % (self.size, self.flat, len(self.refs), self.name)

    def __repr__(self):
        return f"Asized(size={self.size}, flat={self.flat}, refs=<{len(self.refs)}>, name={self.name!r})"

    def __eq__(self, other):
        if not isinstance(other, Asized):
            return NotImplemented
        return (self.size, self.flat, self.name, self.refs) == (other.size, other.flat, other.name, other.refs)

    __hash__ = None

    def largest_first(self) -> tuple:
        """The children largest first, a dict entry's ``[K]`` and ``[V]`` together
        (ordered by the entry's total; ties keep the stored order).

        :func:`asized` already stores them so; this also orders trees made otherwise.
        An ``"other (K more)"`` node (:class:`SizeNode` with ``more``) stays last.
        """
        refs = self.refs
        if refs and getattr(refs[-1], "more", 0):
            return Asized(self.size, self.flat, refs[:-1], self.name, self.type).largest_first() + refs[-1:]
        groups = []
        g = 0
        prev = None
        for ref in refs:
            name = ref.name if isinstance(ref.name, str) else ""
            if prev is not None and name.startswith("[V] ") and (name[4:] == prev or name[4:].startswith(prev + ": ")):
                groups.append(g - 1)  # the value of the key just before
                prev = None
                continue
            prev = name[4:] if name.startswith("[K] ") else None
            groups.append(g)
            g += 1
        return tuple(refs[i] for i in largest_first_groups([r.size for r in refs], groups))

    def format(self, format="%(name)s size=%(size)d flat=%(flat)d", depth=-1, order_by="size", indent=""):
        """The tree as text: one line per node, children indented by 4 spaces.

        ``depth`` limits the levels shown (-1: all), ``order_by`` is an attribute name
        (``'size'``: :meth:`largest_first`; ``'flat'``: descending; ``'name'``:
        ascending).
        """
        if order_by not in ("size", "flat", "name"):
            raise ValueError(f"order_by={order_by!r}: use 'size', 'flat' or 'name'")
        lines = []
        stack = [(self, indent, depth)]
        reverse = order_by != "name"
        while stack:
            node, ind, dep = stack.pop()
            lines.append(ind + format % dict(size=node.size, flat=node.flat, name=node.name))
            if dep != 0 and node.refs:
                if order_by == "size":
                    kids = node.largest_first()
                else:
                    kids = sorted(node.refs, key=lambda r: (getattr(r, order_by) is None, getattr(r, order_by)),
                                  reverse=reverse)
                for kid in reversed(kids):
                    stack.append((kid, ind + "    ", dep - 1))
        return "\n".join(lines)

    def get(self, name, dflt=None):
        """The child :class:`Asized` called ``name``, or ``dflt``."""
        for ref in self.refs:
            if ref.name == name:
                return ref
        return dflt


def largest_first_groups(sizes, groups, top=None) -> list:
    """Indices of children ordered by their group's total size, largest first; the
    members of a group (a dict entry's key and value) stay together, in their order;
    ties keep the counting order. ``groups``: a list of group ids or a :class:`Kids`.

    ``top`` (an int): only the first groups within ``top`` rows (whole groups, at least
    one), found without sorting them all (a node may have a million children).
    """
    n = len(sizes)
    if top is not None and top >= n:
        top = None
    if type(groups) is Kids:
        kind = groups.groups
        if kind is None:
            groups = ()
        elif kind == "pairs" and n % 2 == 0:
            totals = list(map(int.__add__, sizes[0::2], sizes[1::2]))
            entries = _largest_indices(totals, None if top is None else max(1, top // 2))
            return list(chain.from_iterable((2 * j, 2 * j + 1) for j in entries))
        else:
            groups = groups.group_ids()
    if not groups or len(set(groups)) == len(groups):  # no pairs: in C
        return _largest_indices(sizes, top)
    totals: dict = {}
    members: dict = {}
    for i, (size, g) in enumerate(zip(sizes, groups)):
        m = members.get(g)
        if m is None:
            members[g] = [i]
            totals[g] = size
        else:
            m.append(i)
            totals[g] += size
    order = sorted(members, key=totals.__getitem__, reverse=True)  # stable: first-seen order
    if top is None:
        return [i for g in order for i in members[g]]
    out = []
    for g in order:
        if out and len(out) + len(members[g]) > top:
            break
        out.extend(members[g])
    return out


def _largest_indices(sizes, top=None) -> list:
    """Indices of the ``top`` largest ``sizes`` (all for None), largest first, ties in
    index order; in C but for the few at or above the cut."""
    n = len(sizes)
    if top is None or top >= n:
        return sorted(range(n), key=sizes.__getitem__, reverse=True)
    largest = heapq.nlargest(top, sizes)
    cut = largest[-1]
    n_above = top - largest.count(cut)  # how many are larger than the cut: the scans stop there
    above = list(islice(compress(range(n), map(lt, repeat(cut), sizes)), n_above)) if n_above else []
    above.sort(key=sizes.__getitem__, reverse=True)
    above += islice(compress(range(n), map(eq, repeat(cut), sizes)), top - len(above))
    return above


FEW_ROOTS = 256  # up to this many children that reach objects are walked one by one

OTHER = "other ({:,} more)"  # the name of a size-tree node holding the children not kept


class SizeNode(Asized):
    """A size-tree node that also records, beside ``type`` (the type name; ``None`` for
    an "other" node): ``oid``, the ``id()`` of the sized object (an int, never a
    reference; ``None`` for an "other" node, a class-owned shared key and an instance's
    attributes shown as ``'__dict__'``); ``more``, the number of children folded into an
    "other" node (0 for the others); ``index``, the node's position among its parent's
    children in counting order (the path step :meth:`Asizer.tree_children` takes;
    ``None`` for roots and "other" nodes)."""

    __slots__ = ("oid", "more", "index")

    def __init__(self, size, flat, refs=(), name=None, type=None, oid=None, more=0, index=None):
        super().__init__(size, flat, refs, name, type)
        self.oid = oid
        self.more = more
        self.index = index


def tree_type_name(obj) -> str:
    """The type a size tree shows for a child (see :attr:`TreeChild.type_name`)."""
    if obj is SHARED:
        return "(key shared by the class)"
    if type(obj) is Part:
        return "(attributes)"
    return class_name(type(obj))


class TreeChildren:
    """The children of one size-tree node (:meth:`Asizer.tree_children`): a sequence of
    :class:`TreeChild`, made when read (a node may have a million children)."""

    __slots__ = ("_sizer", "_kids", "_sizes", "_flats", "_order")

    def __init__(self, sizer, kids, sizes, flats, order):
        self._sizer = sizer
        self._kids = kids
        self._sizes = sizes
        self._flats = flats
        self._order = order

    def __len__(self):
        return len(self._kids)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self._kids)))]
        return self.by_index(self._order[k])

    def __iter__(self):
        return map(self.__getitem__, range(len(self._kids)))

    @property
    def sizes(self) -> list:
        """The children's sizes in display order (without making :class:`TreeChild`)."""
        return [self._sizes[i] for i in self._order]

    def by_index(self, index):
        """The child at ``index`` in counting order."""
        kids = self._kids
        return TreeChild(index, kids.name(index), kids.objs[index], self._sizes[index], self._flats[index],
                         self._sizer, self._sizer._clip)

    @property
    def order(self) -> list:
        """Counting-order indices of the children, in display order."""
        return list(self._order)

    def counted(self) -> tuple:
        """``(sizes, flats)``: the children's sizes and flat sizes by counting-order index."""
        return list(self._sizes), list(self._flats)

    def __repr__(self):
        return f"<TreeChildren of {len(self._kids)}>"


class TreeChild:
    """One child in a size tree (:meth:`Asizer.tree_children`).

    Attributes: ``index`` (position in counting order: the path step to it), ``name``
    (made when first read), ``obj`` (the object; holds it), ``size``, ``flat``,
    ``expandable`` (whether it has children to show), ``type_name``.
    """

    __slots__ = ("index", "obj", "size", "flat", "_sizer", "_name", "_clip")

    def __init__(self, index, name, obj, size, flat, sizer, clip):
        self.index = index
        self._name = name
        self.obj = obj
        self.size = size
        self.flat = flat
        self._sizer = sizer
        self._clip = clip

    @property
    def expandable(self) -> bool:
        return self._sizer._expandable(None, self.obj)

    @property
    def name(self) -> str:
        if type(self._name) is not str:
            self._name = name_text(self._name, self._clip)
        return self._name

    @property
    def type_name(self) -> str:
        """``'(key shared by the class)'``, ``'(attributes)'`` for the virtual
        ``__dict__`` of an instance, else the type's ``module.qualname``."""
        return tree_type_name(self.obj)

    @property
    def shared(self) -> bool:
        """True for a key that the class owns (shared-key dicts): it counts 0 here."""
        return self.obj is SHARED

    def __repr__(self):
        return f"TreeChild(index={self.index}, name={self.name!r}, size={self.size}, flat={self.flat})"


class Kids:
    """The children of a tree node in counting order, as parallel lists (a node may have
    a million children: no tuple per child, names made only when read).

    ``objs`` the objects; ``names`` a list of name entries (see :func:`name_text`;
    None: the object's text) or None for all; ``groups`` None (each child alone),
    ``"pairs"`` (children ``2j`` and ``2j+1`` are the key and value of entry ``j``,
    named from ``keys[j]``) or a list of group ids (equal ids are shown together).
    """

    __slots__ = ("objs", "names", "groups", "keys")

    def __init__(self, objs, names=None, groups=None, keys=None):
        self.objs = objs
        self.names = names
        self.groups = groups
        self.keys = keys

    def __len__(self):
        return len(self.objs)

    def name(self, i):
        names = self.names
        if names is not None and names[i] is not None:
            return names[i]
        if self.groups == "pairs" and self.keys is not None:
            key = self.keys[i >> 1]
            return ("k", key) if i % 2 == 0 else ("v", key, self.objs[i])
        return ("r", "", self.objs[i])

    def group_ids(self) -> list:
        if self.groups is None:
            return list(range(len(self.objs)))
        if self.groups == "pairs":
            return [i >> 1 for i in range(len(self.objs))]
        return self.groups

    def triples(self):
        """``(name, obj, group)`` per child (for small nodes)."""
        return list(zip(map(self.name, range(len(self.objs))), self.objs, self.group_ids()))


def kids_from(triples) -> Kids:
    if not triples:
        return Kids([])
    names, objs, groups = map(list, zip(*triples))
    return Kids(objs, names, groups)


class Part:
    """A child of a tree node that is part of it rather than an object of its own: the
    attributes of an instance whose ``__dict__`` does not exist (its values array is
    ``flat``, taken out of the instance's flat size), shown as ``'__dict__'``; a field of
    a record array. ``kids`` is a :class:`Kids`."""

    __slots__ = ("flat", "kids")

    def __init__(self, flat, kids):
        self.flat = flat
        self.kids = kids if type(kids) is Kids else Kids(list(kids))


SHARED = object()  # marks a referent owned elsewhere (shared keys of a class)

