"""Deep sizes of Python objects: a drop-in for ``pympler.asizeof`` with true numbers.

``asizeof(*objs)`` is the number of bytes CPython allocated for the objects and
everything they reference (each object once), the way ``tracemalloc`` counts them:

* flat sizes come from ``sys.getsizeof`` plus what it leaves out — the values array of
  ordinary instances (3.11/3.12) or their inline values (3.13), materialized
  ``__dict__`` objects CPython hides from ``gc.get_referents`` (3.13), split-table
  prefixes — read with :mod:`ctypes` from :mod:`._layout`, **without ever creating an
  instance ``__dict__``**;
* referents come from ``gc.get_referents`` plus the str keys it skips;
* the traversal is iterative and works on whole levels at once in C (``map``,
  ``gc.get_referents(*batch)``, set operations on ids), so a million-deep linked list is
  sized fully (``limit=None`` by default) and large containers are fast;
* third-party types are taught their true size through :func:`register` (numpy and
  pandas/pyarrow rules ship in :mod:`._thirdparty`).

Deviations from Pympler 1.1, on purpose:

* ``align`` defaults to 1 (exact requested bytes, what ``tracemalloc`` reports);
  ``align=16`` rounds every *allocation* up as pymalloc does. Pympler rounds each flat
  size to 8.
* ``limit`` defaults to ``None`` (no depth limit; Pympler's 100 truncates deep
  structures).
* Functions, closures and cells are sized (Pympler counts every function as 0); code
  objects only with ``code=True``; module globals, classes, modules, builtin functions
  bound to modules and ``None``/``True``/``False`` count 0 as in Pympler.
* A ``__sizeof__`` written in Python is not trusted (pandas' reports deep sizes, which
  would count data twice); the nearest C-level ``__sizeof__`` in the MRO is used.
* Instances whose ``__dict__`` was never materialized get a virtual ``'__dict__'`` node in
  :class:`Asized` trees; :func:`named_refs` returns their attributes by name directly.
"""

from __future__ import annotations

import copy as _copy
import gc
import heapq
import sys
import threading
import types
from collections import Counter, deque
from bisect import bisect_right
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, eq, is_, is_not, itemgetter, lt, not_, sub

from . import _layout
from ._format import clip_text, format_size, safe_repr
from ._layout import _count_elements
from ._layout import type_basicsize as _tp_basicsize
from ._layout import type_flags as _tp_flags
from ._layout import type_itemsize as _tp_itemsize

__all__ = [
    "Asized",
    "Asizer",
    "SizeNode",
    "SizeRule",
    "SizingSession",
    "TreeChild",
    "TreeChildren",
    "adict",
    "amapped",
    "asized",
    "asizeof",
    "asizesof",
    "basicsize",
    "flatsize",
    "itemsize",
    "leng",
    "named_refs",
    "refs",
    "register",
    "registered",
    "unregister",
]

__version__ = "pympler_nb"

_getsizeof = sys.getsizeof
_get_referents = gc.get_referents
_PTR = 8 if sys.maxsize > 2**32 else 4

# ---------------------------------------------------------------------------
# kinds of types
_IGNORE = 0  # size 0, not traversed
_ATOM = 1  # flat = getsizeof, no referents
_REFS = 2  # flat = getsizeof, referents = gc.get_referents
_DICT = 3  # flat = getsizeof (+ split-table fix), referents = keys + values (+ gc)
_INST = 4  # managed-dict instance: + hidden values / dict
_RULE = 5  # registered rule
_CLASS = 6  # class objects: ignored unless code=True and heap type
_CODE = 7  # code objects: ignored unless code=True
_FRAME = 8  # frames: ignored unless frames=True
_BUILTIN = 9  # builtin function/method: ignored if bound to a module or unbound
_DICTLIKE = 10  # adict()/infer: sized like dict via .items()

_KIND_NAMES = {
    _IGNORE: "ignored",
    _ATOM: "atom",
    _REFS: "referents",
    _DICT: "dict",
    _INST: "instance",
    _RULE: "rule",
    _CLASS: "class",
    _CODE: "code",
    _FRAME: "frame",
    _BUILTIN: "builtin",
    _DICTLIKE: "dict-like",
}

_ATOM_TYPES = (
    int,
    float,
    complex,
    str,
    bytes,
    range,
    types.MemberDescriptorType,
    types.GetSetDescriptorType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.MethodWrapperType,
)
# static singletons / interpreter-owned objects: nothing is allocated for them
_IGNORE_TYPES = (
    type(None),
    bool,
    type(Ellipsis),
    type(NotImplemented),
    types.ModuleType,
)

_SAFE_CATCH = Exception  # what hostile objects may raise; KeyboardInterrupt passes

# Objects the interpreter allocates once at start-up and shares with everybody: cached
# small ints, one-character Latin-1 strings, one-byte bytes and the empty immutables.
# Referencing them allocates nothing, so as referents they count 0 (given directly,
# they are sized like any object).
_STATIC_OBJS = (
    [int(i) for i in range(-5, 257)]
    + [chr(i) for i in range(256)]
    + [sys.intern(chr(i)) for i in range(256)]  # 3.11: code constants are these
    + [bytes([i]) for i in range(256)]
    + ["", b"", ()]
)
_STATIC_IDS = frozenset(map(id, _STATIC_OBJS))


def is_static(obj: object) -> bool:
    """Whether ``obj`` is one of the objects the interpreter allocates once at start-up
    and shares (a cached small int, a one-character string, ``()``...): nothing the
    user's code can release.

    >>> is_static(7), is_static(()), is_static([])
    (True, True, False)
    """
    return id(obj) in _STATIC_IDS

_ATOM_IDS = frozenset(map(id, _ATOM_TYPES))
_HEAPTYPE = 1 << 9
_HAVE_GC = 1 << 14
# A one-digit int made by arithmetic or PyLong_FromLong is allocated as
# sizeof(PyLongObject) = 32 bytes while int.__sizeof__ says 28 (3.11-3.13, 64-bit);
# pymalloc gives 32 bytes to both, so 32 is what such an int costs.
_INT_SIZEOF = int.__sizeof__
_INT_ONE_DIGIT = (1).__sizeof__()
_INT_FIX = max(0, (_INT_ONE_DIGIT + 7) // 8 * 8 - _INT_ONE_DIGIT)
_INT_FIXED = {_INT_ONE_DIGIT: _INT_ONE_DIGIT + _INT_FIX}  # size -> fixed size, by dict.get in C
# exact types whose sys.getsizeof is their flat size (C __sizeof__, no gc header) and
# whose sizes never equal a one-digit int's but for ints (the int fix is by size)
_PLAIN_ATOM_IDS = frozenset(
    id(tp) for tp, x in ((int, 1), (float, 1.5), (str, ""))
    if not _getsizeof(x) - x.__sizeof__() and (tp is int or x.__sizeof__() != _INT_ONE_DIGIT)
)


def _typename(tp: type) -> str:
    """``module.qualname`` of a type, read from the type itself (no metaclass code)."""
    try:
        mod = type.__dict__["__module__"].__get__(tp)
        qual = type.__dict__["__qualname__"].__get__(tp)
    except _SAFE_CATCH:
        return "?"
    if not isinstance(qual, str):
        qual = "?"
    if isinstance(mod, str) and mod != "builtins":
        return f"{mod}.{qual}"
    return qual


# ---------------------------------------------------------------------------
# the registry of third-party types
class SizeRule:
    """How to size instances of a type the generic rules get wrong.

    Parameters
    ----------
    name : str
        ``'module.QualName'`` of the type (matched against the MRO, so subclasses are
        covered unless ``subclasses=False``). Names let rules exist for packages that
        are not imported — nothing is imported to register them.
    flat : callable(obj, claim) -> int, optional
        The bytes allocated for ``obj`` itself. ``claim(key)`` returns True the first
        time a hashable key is claimed in one sizing, so memory shared between objects
        that are not Python objects (e.g. Arrow buffers by address) is counted once.
        Default: the generic flat size.
    refs : callable(obj) -> iterable, optional
        The objects ``obj`` owns that should be sized deeply. Default: the generic
        referents (``gc.get_referents``).
    named_refs : callable(obj) -> iterable of (name, obj), optional
        Named referents for :class:`Asized` trees, replacing the generic ones.
        Default: ``refs`` named by repr.
    children : callable(obj) -> iterable of (name, obj), optional
        What a size tree shows first under ``obj``, in a user's terms (a DataFrame's
        columns and index): objects ``obj`` already reaches (never new ones), which
        may lie deeper than its direct referents. The tree then lists the direct
        referents as usual, which count only what the named parts did not. A rule
        with only ``children`` does not change how ``obj`` is sized.
    label : callable(obj) -> str, optional
        How size trees name ``obj`` instead of its ``repr`` (pandas' repr fills caches
        in the frame it prints, and is slow for big ones).
    subclasses : bool
        Whether the rule applies to subclasses too.
    """

    __slots__ = ("name", "flat", "refs", "named_refs", "children", "label", "subclasses")

    def __init__(self, name, flat=None, refs=None, named_refs=None, subclasses=True, children=None, label=None):
        if not isinstance(name, str) or "." not in name:
            raise ValueError(
                f"register() needs a type name like 'package.module.TypeName', got {name!r}"
            )
        self.name = name
        self.flat = flat
        self.refs = refs
        self.named_refs = named_refs
        self.children = children
        self.label = label
        self.subclasses = subclasses

    @property
    def sizes(self) -> bool:
        """Whether the rule changes how objects are sized (not only how trees show them)."""
        return self.flat is not None or self.refs is not None or self.named_refs is not None

    def __repr__(self):
        return f"<SizeRule {self.name}>"


_registry: dict[str, SizeRule] = {}
_registry_version = [0]  # bumped by register/unregister/adict: invalidates _STATIC_INFO
_STATIC_INFO: dict = {}
_registry_lock = threading.Lock()
_dictlike_names: set[str] = set()


def register(name, *, flat=None, refs=None, named_refs=None, children=None, label=None, subclasses=True):
    """Teach the sizer the true size of a type, by its ``'module.QualName'``.

    Examples
    --------
    A wrapper that owns a native buffer of ``obj.nbytes`` bytes that CPython cannot see
    (a library registers its own ``'mylib.NativeBuffer'`` by name, without importing it):

    >>> class NativeBuffer:
    ...     def __init__(self, nbytes):
    ...         self.nbytes = nbytes
    >>> asizeof(NativeBuffer(10_000)) < 10_000
    True
    >>> register(NativeBuffer,
    ...          flat=lambda obj, claim: sys.getsizeof(obj) + obj.nbytes,
    ...          refs=lambda obj: ())
    <SizeRule pympler_nb.core.asizeof.NativeBuffer>
    >>> asizeof(NativeBuffer(10_000)) > 10_000
    True
    >>> unregister(NativeBuffer)

    Returns the :class:`SizeRule`; a later registration of the same name replaces it.
    """
    if isinstance(name, type):
        name = _typename(name)
    rule = SizeRule(name, flat, refs, named_refs, subclasses, children, label)
    with _registry_lock:
        _registry[name] = rule
        _registry_version[0] += 1
    return rule


def unregister(name) -> None:
    """Remove the rule for ``name`` (a type or its ``'module.QualName'``)."""
    if isinstance(name, type):
        name = _typename(name)
    with _registry_lock:
        if name not in _registry:
            raise KeyError(f"no size rule registered for {name!r}; see registered()")
        del _registry[name]
        _registry_version[0] += 1


def registered() -> dict:
    """The registered rules, ``{'module.QualName': SizeRule}`` (a copy)."""
    with _registry_lock:
        return dict(_registry)


def rule_for(tp, mro=None):
    """The registered :class:`SizeRule` that changes how ``tp`` is sized (its own name
    first, then its bases' where ``subclasses``; tree-only rules are passed over), or
    None.  ``mro`` is ``tp``'s MRO if known.

    The heap walk uses it to follow a rule's ``refs``
    (:func:`pympler_nb.core._thirdparty.hidden_refs_rules`); the sizer's classification
    makes the same choice while also picking the first ``children=`` rule for trees.
    """
    if not _registry:
        return None
    if mro is None:
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
        except _SAFE_CATCH:
            mro = (tp,)
    for i, klass in enumerate(mro):
        rule = _registry.get(_typename(klass))
        if rule is not None and (i == 0 or rule.subclasses) and rule.sizes:
            return rule
    return None


def adict(*classes) -> bool:
    """Size instances of these classes like dicts (through their ``items()``).

    Returns True if all arguments are classes (Pympler's contract).
    """
    ok = True
    for cls in classes:
        if isinstance(cls, type):
            _dictlike_names.add(_typename(cls))
            _registry_version[0] += 1
        else:
            ok = False
    return ok


_amapped = [0.01]


def amapped(percentage=None) -> float:
    """Get (and set) the share of a memory-mapped file (``mmap``, ``numpy.memmap``) counted.

    Mapped pages live in the page cache, not in the heap, so by default only 1% is
    counted. ``percentage`` is a number from 0 to 100. Returns the previous percentage.
    """
    prev = _amapped[0] * 100.0
    if percentage is not None:
        try:
            pct = float(percentage)
        except (TypeError, ValueError):
            raise ValueError(f"amapped(percentage={percentage!r}): give a number from 0 to 100") from None
        if not 0.0 <= pct <= 100.0:
            raise ValueError(f"amapped(percentage={percentage!r}): give a number from 0 to 100")
        _amapped[0] = pct / 100.0
    return prev


# ---------------------------------------------------------------------------
# options
_DEFAULTS = dict(
    above=1024,
    align=1,
    clip=80,
    code=False,
    cutoff=10,
    derive=False,
    detail=0,
    frames=False,
    ignored=True,
    infer=False,
    limit=None,
    stats=0,
    stream=None,
)
_SETTABLE = ("above", "align", "clip", "code", "cutoff", "detail", "frames", "limit", "stats", "stream")


def _check_align(align):
    if not isinstance(align, int) or isinstance(align, bool) or align < 0:
        raise ValueError(f"invalid option: set(align={align!r}): use 0 or 1 (none) or a power of 2")
    if align > 1 and (align & (align - 1)):
        raise ValueError(f"invalid option: set(align={align!r}): use 0 or 1 (none) or a power of 2")


def _check_limit(limit):
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValueError(f"invalid option: limit={limit!r}: use None (no limit) or an int >= 0")


def _check_int_opt(name, value, minimum=0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"invalid option: {name}={value!r}: use a number >= {minimum}")


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
        return tuple(refs[i] for i in _largest_first([r.size for r in refs], groups))

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


def _largest_first(sizes, groups, top=None) -> list:
    """Indices of children ordered by their group's total size, largest first; the
    members of a group (a dict entry's key and value) stay together, in their order;
    ties keep the counting order. ``groups``: a list of group ids or a :class:`_Kids`.

    ``top`` (an int): only the first groups within ``top`` rows (whole groups, at least
    one), found without sorting them all (a node may have a million children).
    """
    n = len(sizes)
    if top is not None and top >= n:
        top = None
    if type(groups) is _Kids:
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


_FEW_ROOTS = 256  # up to this many children that reach objects are walked one by one

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


def _tree_type_name(obj) -> str:
    """The type a size tree shows for a child (see :attr:`TreeChild.type_name`)."""
    if obj is _SHARED:
        return "(key shared by the class)"
    if type(obj) is _Part:
        return "(attributes)"
    return _typename(type(obj))


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
            self._name = _name_text(self._name, self._clip)
        return self._name

    @property
    def type_name(self) -> str:
        """``'(key shared by the class)'``, ``'(attributes)'`` for the virtual
        ``__dict__`` of an instance, else the type's ``module.qualname``."""
        return _tree_type_name(self.obj)

    @property
    def shared(self) -> bool:
        """True for a key that the class owns (shared-key dicts): it counts 0 here."""
        return self.obj is _SHARED

    def __repr__(self):
        return f"TreeChild(index={self.index}, name={self.name!r}, size={self.size}, flat={self.flat})"


# ---------------------------------------------------------------------------
# physical bounds of a flat size
MAX_FLAT_SIZE = 2**47 if sys.maxsize > 2**32 else 2**32
"""No object is larger than the user address space (128 TiB on 64-bit x86 and ARM):
a ``__sizeof__`` beyond it (or beyond the memory the process has mapped) is not trusted."""
_CHEAP_MAX = 2**32  # below this, a size is plausible without asking the OS
_PAGE = 4096
try:
    import os as _os

    _PAGE = _os.sysconf("SC_PAGE_SIZE")
except (ImportError, AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
    pass


def _max_flat() -> int:
    """The largest flat size an object of this process can have: the memory it has
    mapped (``/proc/self/statm``), else :data:`MAX_FLAT_SIZE`. Asked only for sizes
    above 4 GiB."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return min(int(fh.read().split()[0]) * _PAGE, MAX_FLAT_SIZE)
    except (OSError, ValueError, IndexError):
        return MAX_FLAT_SIZE


def _plausible_total(total) -> bool:
    """Whether a summed ``__sizeof__`` of a group can be taken as it is."""
    return type(total) is int and 0 <= total and (total <= _CHEAP_MAX or total <= _max_flat())


def _layout_size(o) -> int:
    """What ``o``'s layout allocates (basic size plus items, plus pre-header), read in C:
    the size of an object whose ``__sizeof__`` cannot be trusted."""
    tp = type(o)
    try:
        return object.__sizeof__(o) + _layout.preheader_size(tp)
    except _SAFE_CATCH:
        try:
            return _tp_basicsize(tp) + _layout.preheader_size(tp)
        except _SAFE_CATCH:
            return 0


def _plausible_sizes(objects: list, sizes: list) -> list:
    """``sizes`` (``sys.getsizeof`` of ``objects``) with each size no object of this
    process can have replaced by the object's layout size. The flat-size check of the
    heap walks (muppy, summary, heap); costs one ``sum`` when every size is plausible."""
    if _plausible_total(sum(sizes)):
        return sizes
    bound = _max_flat()
    return [s if type(s) is int and 0 <= s <= bound else _layout_size(o) for o, s in zip(objects, sizes)]


def _describe(value) -> str:
    """A short description of a bad size, for statistics (never the object's repr)."""
    if type(value) is int:
        return str(value) if -10**30 < value < 10**30 else f"a {value.bit_length()}-bit int"
    return f"a {_typename(type(value))}"


class _TypeInfo:
    """Per-type decisions, made once per sizing call."""

    __slots__ = ("kind", "fn", "const", "preheader", "rule", "name", "checked", "managed", "varfix", "basefix", "base",
                 "state", "tree")

    def __init__(self, kind, tp=None, rule=None, name=""):
        self.kind = kind
        self.rule = rule
        self.name = name
        self.fn = None  # C-level __sizeof__ to map over objects (None: use sys.getsizeof)
        self.const = None  # every object has this flat size
        self.preheader = 0
        self.checked = False  # fn/const must be validated per object (hostile types)
        self.managed = False  # instances keep attributes in a values array / inline
        self.varfix = 0  # item size of a variable-size heap subclass (one extra item)
        self.basefix = 0  # int subclasses: extra basic size int.__sizeof__ ignores
        self.base = 0  # basic size incl. pre-header: the first allocation
        self.state = None  # 3.11/3.12 values-array state of the class (for this call)
        self.tree = None  # a rule's ``children`` hook: what size trees show first
        if tp is not None and kind not in (_IGNORE,):
            self.managed = _layout.managed_layout(tp)
            basic, isize = _tp_basicsize(tp), _tp_itemsize(tp)
            if not isize:  # fixed-size: anything beyond is another allocation
                self.base = basic + _layout.preheader_size(tp)
            if _tp_flags(tp) & _HEAPTYPE and isize:
                # PyType_GenericAlloc allocates nitems + 1 items, rounded to 8 bytes
                self.varfix = isize
                if issubclass(tp, int):
                    self.basefix = basic - int.__basicsize__
            self.preheader = _layout.preheader_size(tp)
            fn = _c_sizeof(tp)
            if fn is object.__sizeof__ and not isize:
                self.const = basic + self.preheader
            self.fn = fn
            if self.varfix:
                self.const = None
            # a heap type whose own __sizeof__ is Python (or a Mock proxy), or a C function
            # that is not a method of a C type (``__sizeof__ = abs``, Cython): per object,
            # each result validated by _flat_one
            self.checked = fn is not None and (fn is not _own_sizeof(tp)
                                               or type(fn) not in _C_METHODS)


_C_DESCRIPTORS = (types.WrapperDescriptorType, types.MethodDescriptorType, types.BuiltinFunctionType)
# methods of C types: CPython checks the receiver's type before calling them
_C_METHODS = (types.WrapperDescriptorType, types.MethodDescriptorType)


def _own_sizeof(tp):
    try:
        return type.__dict__["__dict__"].__get__(tp).get("__sizeof__")
    except _SAFE_CATCH:
        return None


def _c_sizeof(tp):
    """The nearest ``__sizeof__`` in the MRO that is implemented in C.

    A ``__sizeof__`` written in Python (or a Mock's proxy) is skipped: pandas' returns a
    deep size, which a deep walk would count twice.
    """
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except _SAFE_CATCH:
        return object.__sizeof__
    for klass in mro:
        desc = _own_sizeof(klass)
        if desc is not None and (type(desc) in _C_DESCRIPTORS or type(desc).__name__ in _CYTHON_FUNCTIONS):
            return desc
    return object.__sizeof__


# compiled by Cython: C code, trusted like builtin descriptors (pandas' index engines and
# hash tables report their C tables this way)
_CYTHON_FUNCTIONS = frozenset({"cython_function_or_method", "fused_cython_function"})


def _modules_key():
    mods = sys.modules
    try:
        return (len(mods), id(mods[next(reversed(mods))]))
    except (StopIteration, KeyError, RuntimeError):
        return None


def _module_dict_ids() -> set:
    getdict = types.ModuleType.__dict__["__dict__"].__get__
    md = set()
    for mod in list(sys.modules.values()):
        if isinstance(mod, types.ModuleType):
            try:
                md.add(id(getdict(mod)))
            except _SAFE_CATCH:
                pass
    return md


# [sys.modules key, ids never followed (statics + module dicts)]; built at import and
# updated in place, so that sizing leaves no memory behind
_ignore_cache = [_modules_key(), set(_STATIC_IDS) | _module_dict_ids()]


def _ignore_ids(ignored: bool):
    """Ids never followed as referents: statics, and (with ``ignored``) module
    ``__dict__``s — refreshed in place when ``sys.modules`` changes shape."""
    if not ignored:
        return _STATIC_IDS
    key = _modules_key()
    if key is None or _ignore_cache[0] != key:
        fresh = _module_dict_ids()
        fresh |= _STATIC_IDS
        cached = _ignore_cache[1]
        cached.difference_update(cached - fresh)  # in place: no new table while sizing
        cached.update(fresh - cached)
        _ignore_cache[0] = key
    return _ignore_cache[1]


class _Ctx:
    """State of one top-level sizing call (dropped when it returns)."""

    __slots__ = ("types", "alive", "ignore", "names", "slots")

    def __init__(self, sizer):
        self.types = {}  # id(type) -> _TypeInfo
        self.alive = []  # the heap types of ``types`` (their ids stay theirs)
        self.names = {}  # attribute names of shared keys, for Asized trees
        self.slots = {}  # type -> its __slots__ member descriptors
        self.ignore = _ignore_ids(sizer._ignored)


class Asizer:
    """Accumulating sizer: objects sized by earlier calls count 0 again.

    Options are those of :func:`asizeof` (``reset`` lists them with their defaults).
    Not thread-safe: use one Asizer per thread. Between calls it keeps object *ids*
    only, never the objects.
    """

    def __init__(self, **opts):
        self._claimed = set()
        self.reset(**opts)

    # -- options -----------------------------------------------------------
    def reset(self, above=1024, align=1, clip=80, code=False, cutoff=10, derive=False, detail=0,
              frames=False, ignored=True, infer=False, limit=None, stats=0, stream=None, **extra):
        """Reset options, state and statistics. Unknown options raise ``KeyError``."""
        if extra:
            bad = ", ".join(f"{k}={v!r}" for k, v in extra.items())
            raise KeyError(f"invalid option: reset({bad})")
        _check_align(align)
        _check_limit(limit)
        _check_int_opt("above", above)
        _check_int_opt("clip", clip)
        _check_int_opt("cutoff", cutoff)
        _check_int_opt("detail", detail)
        _check_int_opt("stats", stats)
        self._above = above
        self._align = align
        self._clip = clip
        self._code = bool(code)
        self._cutoff = cutoff
        self._derive = bool(derive)
        self._detail = detail
        self._frames = bool(frames)
        self._ignored = bool(ignored)
        self._infer = bool(infer)
        self._limit = limit
        self._stats = stats
        self._stream = stream
        self._seen = set()
        self._seen_count = 0
        self._duplicate = 0
        self._missed = 0
        self._total = 0
        self._depth = 0
        self._excl_refs = set()
        self._excl_types = ()
        self._excluded = []
        self._profiles = {}
        self._largest = []
        self._type_largest = {}
        self._skipped = Counter()
        self._untrusted_count = 0
        self._claimed.clear()
        self._given = 0
        self._root_flat = 0
        self._busy = False

    def _clear_state(self):
        """Forget what was sized (options stay): the cheap part of :meth:`reset`."""
        self._seen.clear()
        self._seen_count = self._duplicate = self._missed = self._total = self._depth = 0
        self._given = self._root_flat = 0
        self._profiles.clear()
        self._largest.clear()
        self._type_largest.clear()
        self._skipped.clear()
        self._untrusted_count = 0
        self._claimed.clear()

    def set(self, **opts):
        """Change some options (``align``, ``code``, ``detail``, ``limit``, ...)."""
        for name, value in opts.items():
            if name not in _SETTABLE:
                raise KeyError(
                    f"invalid option: set({name}={value!r}): settable are {', '.join(_SETTABLE)}"
                )
            if value is None and name != "limit":
                continue
            if name == "align":
                _check_align(value)
            elif name == "limit":
                _check_limit(value)
            elif name in ("above", "clip", "cutoff", "detail", "stats"):
                _check_int_opt(name, value)
            setattr(self, "_" + name, bool(value) if name in ("code", "frames") else value)

    above = property(lambda self: self._above, doc="threshold (bytes) for the largest objects")
    align = property(lambda self: self._align, doc="allocation alignment (1: none)")
    clip = property(lambda self: self._clip, doc="clip repr strings to this many characters")
    code = property(lambda self: self._code, doc="size code objects too")
    cutoff = property(lambda self: self._cutoff, doc="rows shown in statistics")
    derive = property(lambda self: self._derive, doc="accepted for compatibility")
    detail = property(lambda self: self._detail, doc="levels of Asized.refs kept")
    frames = property(lambda self: self._frames, doc="size frame objects too")
    ignored = property(lambda self: self._ignored, doc="ignore module globals, classes, builtins")
    infer = property(lambda self: self._infer, doc="size dict-like unknown types like dicts")
    limit = property(lambda self: self._limit, doc="maximum depth (None: unlimited)")
    stats = property(lambda self: self._stats, doc="statistics level printed after each call")
    total = property(lambda self: self._total, doc="bytes sized so far")
    duplicate = property(lambda self: self._duplicate, doc="references to already sized or ignored objects")
    sized = property(lambda self: sum(p[0] for p in self._profiles.values()), doc="objects sized")
    seen = property(lambda self: self._seen_count, doc="objects seen (sized or ignored)")
    missed = property(lambda self: self._missed, doc="objects whose size could not be read exactly")
    untrusted = property(lambda self: self._untrusted_count,
                         doc="objects whose __sizeof__ (or size rule) returned a value their "
                             "layout does not allow (a float, a negative or absurd number): "
                             "sized by their layout instead (also in ``skipped``)")
    ranked = property(lambda self: len(self._largest), doc="objects ranked (over `above` bytes)")
    excluded = property(lambda self: tuple(self._excluded), doc="descriptions of excluded objects")
    skipped = property(
        lambda self: tuple((t, why, n) for (t, why), n in sorted(self._skipped.items())),
        doc="(type, reason, count) of hostile objects sized best-effort or skipped",
    )

    # -- exclusions --------------------------------------------------------
    def exclude_refs(self, *objs):
        """Do not follow references to these objects (they still count when given)."""
        for o in objs:
            self._excl_refs.add(id(o))
            self._excluded.append(f"ref {type(o).__name__} at {id(o):#x}")

    def exclude_objs(self, *objs):
        """Do not size these objects at all (they count 0, wherever they appear)."""
        for o in objs:
            self._seen.add(id(o))
            self._excluded.append(f"obj {type(o).__name__} at {id(o):#x}")

    def exclude_types(self, *objs):
        """Instances of these types (or of the types of these objects) count 0."""
        tps = list(self._excl_types)
        for o in objs:
            tp = o if issubclass(type(o), type) else type(o)
            if tp not in tps:
                tps.append(tp)
                self._excluded.append(f"type {_typename(tp)}")
        self._excl_types = tuple(tps)

    # -- type decisions ----------------------------------------------------
    def _info(self, ctx, tp):
        """The decisions for type ``tp`` (``ctx.types`` is keyed by ``id(tp)``: a
        metaclass's ``__hash__``/``__eq__`` is never called; ``ctx.alive`` keeps the
        types of the call alive, so that ids are not reused)."""
        info = ctx.types.get(id(tp))
        if info is None:
            if _tp_flags(tp) & _HEAPTYPE or self._excl_types:
                ctx.alive.append(tp)
                info = self._classify(tp)
            else:  # static types never die: their decisions are kept across calls
                key = (tp, self._ignored, self._infer, _registry_version[0])
                info = _STATIC_INFO.get(key)
                if info is None:
                    info = self._classify(tp)
                    if len(_STATIC_INFO) < 4096:
                        _STATIC_INFO[key] = info
            ctx.types[id(tp)] = info
        return info

    def _classify(self, tp):
        name = _typename(tp)
        if self._excl_types and any(issubclass(tp, x) for x in self._excl_types):
            return _TypeInfo(_IGNORE, name=name)
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
        except _SAFE_CATCH:
            mro = (tp, object)
        tree = None
        if _registry:
            for i, klass in enumerate(mro):
                rule = _registry.get(_typename(klass))
                if rule is not None and (i == 0 or rule.subclasses):
                    if tree is None:
                        tree = rule.children
                    if rule.sizes:
                        info = _TypeInfo(_RULE, tp, rule, name)
                        info.tree = tree
                        return info
        info = self._classify_kind(tp, name, mro)
        info.tree = tree
        return info

    def _classify_kind(self, tp, name, mro):
        if _dictlike_names and any(_typename(k) in _dictlike_names for k in mro):
            return _TypeInfo(_DICTLIKE, tp, name=name)
        if id(tp) in _ATOM_IDS:
            return _TypeInfo(_ATOM, tp, name=name)
        if issubclass(tp, _IGNORE_TYPES):
            if self._ignored or not issubclass(tp, types.ModuleType):
                return _TypeInfo(_IGNORE, name=name)
            return _TypeInfo(_REFS, tp, name=name)
        if issubclass(tp, type):
            return _TypeInfo(_CLASS, tp, name=name)
        if tp is types.CodeType:
            return _TypeInfo(_CODE, tp, name=name)
        if tp is types.FrameType:
            return _TypeInfo(_FRAME, tp, name=name)
        if tp is types.BuiltinFunctionType:
            return _TypeInfo(_BUILTIN, tp, name=name)
        if issubclass(tp, dict):
            return _TypeInfo(_DICT, tp, name=name)
        flags = _tp_flags(tp)
        heap = flags & _HEAPTYPE
        if self._infer and heap:
            try:
                if all(callable(getattr(tp, a, None)) for a in ("get", "keys", "items", "values")):
                    return _TypeInfo(_DICTLIKE, tp, name=name)
            except _SAFE_CATCH:  # a metaclass whose attribute lookup raises
                pass
        if _layout.managed_layout(tp):
            return _TypeInfo(_INST, tp, name=name)
        if not heap and not flags & _HAVE_GC:
            return _TypeInfo(_ATOM, tp, name=name)  # C types without referents
        return _TypeInfo(_REFS, tp, name=name)

    def _enabled(self, info):
        """Whether objects of this kind are sized at all in this sizer."""
        kind = info.kind
        if kind == _IGNORE:
            return False
        if kind in (_CLASS, _CODE):
            return self._code
        if kind == _FRAME:
            return self._frames
        return True

    # -- flat sizes ----------------------------------------------------------
    def _flat_one(self, o, info):
        """``__sizeof__`` part of one object's flat size (never raises).

        The result is checked against what the object's layout allows: an ``int``, at
        least the layout size (``object.__sizeof__``: basic size plus items), at most
        :data:`MAX_FLAT_SIZE` (and the process's mapped memory). Anything else is not
        trusted: the layout size is used and the object counted in :attr:`Asizer.untrusted`.
        """
        try:
            if info.fn is None:
                s = _getsizeof(o)
                pre = 0
            else:
                s = info.fn(o)
                pre = info.preheader
        except _SAFE_CATCH as exc:
            self._missed += 1
            self._skipped[(info.name, f"__sizeof__ raised {type(exc).__name__}")] += 1
            return _layout_size(o)
        if type(s) is int and s >= _tp_basicsize(type(o)) and (s <= _CHEAP_MAX or s <= _max_flat()):
            return s + pre
        self._untrusted(info.name, s)
        return _layout_size(o)

    def _flat_sizes(self, group, info):
        """Per-object ``__sizeof__`` parts (a list), in C where possible."""
        if info.kind == _RULE and info.rule.flat is not None:
            return [self._rule_flat(o, info) for o in group]
        if info.varfix:
            pre = info.preheader
            extra = info.varfix + info.basefix
            return [(s - pre + extra + 7) // 8 * 8 + pre for s in self._flat_sizes_plain(group, info)]
        return self._flat_sizes_plain(group, info)

    def _flat_sizes_plain(self, group, info):
        if info.const is not None:
            return [info.const] * len(group)
        if info.fn is not None and not info.checked:
            try:
                sizes = list(map(info.fn, group))
                if _plausible_total(sum(sizes)) and min(sizes) >= 0:
                    pre = info.preheader
                    if pre:
                        sizes = [s + pre for s in sizes]
                    return sizes
            except _SAFE_CATCH:
                pass
        return [self._flat_one(o, info) for o in group]

    def _flat_total(self, group, info):
        """Sum of the ``__sizeof__`` parts of a group (fast path of :meth:`_flat_sizes`)."""
        if info.kind == _RULE and info.rule.flat is not None:
            return sum(self._rule_flat(o, info) for o in group)
        if info.const is not None:
            return info.const * len(group)
        if info.fn is not None and not info.checked and info.kind != _RULE and not info.varfix:
            try:
                if info.fn is _INT_SIZEOF:
                    sizes = list(map(_INT_SIZEOF, group))
                    return sum(sizes) + _INT_FIX * sizes.count(_INT_ONE_DIGIT)
                total = sum(map(info.fn, group))
                if _plausible_total(total):  # else: per object, each one validated
                    return total + info.preheader * len(group)
            except _SAFE_CATCH:
                pass
        return sum(self._flat_sizes(group, info))

    def _hidden(self, group, info, splits=None):
        """Hidden bytes of a group: instance values, hidden dicts, split tables."""
        extra = 0
        if info.managed:
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(type(group[0])) or ()
            extra, hidden = _layout.instances_hidden(group, type(group[0]), info.state or None)
            if hidden:
                self._seen.update(hidden)
        if splits:
            extra += sum(c for c in splits if c)
        return extra

    # -- referents -----------------------------------------------------------
    def _refs_of(self, o, info):
        """Referents of one object that deep sizing follows (a list)."""
        kind = info.kind
        if kind in (_ATOM, _IGNORE):
            return []
        if kind == _RULE:
            rule = info.rule
            if rule.refs is None:
                return _get_referents(o)
            try:
                return [r for r in rule.refs(o) if r is not None]
            except _SAFE_CATCH as exc:
                self._skipped[(info.name, f"rule refs raised {type(exc).__name__}")] += 1
                return _get_referents(o)
        if kind == _DICT:
            if type(o) is dict and _layout.split_dict_correction(o) is not None:
                return _get_referents(o)  # a split table's keys are the class's
            return _get_referents(o) + _dict_keys(self, o, info)
        if kind == _DICTLIKE:
            out = _get_referents(o)
            try:
                for k, v in list(o.items()):
                    out.append(k)
                    out.append(v)
            except _SAFE_CATCH as exc:
                self._skipped[(info.name, f"items() raised {type(exc).__name__}")] += 1
            return out
        if kind == _CODE:
            return _code_refs(o)
        return _get_referents(o)

    def _followed(self, o, info):
        """What the sizing walk follows from ``o`` (as :meth:`_size_group` does)."""
        kind = info.kind
        if kind in (_ATOM, _IGNORE) or not self._enabled(info):
            return []
        if kind == _CLASS and not o.__flags__ & _HEAPTYPE:
            return []
        if kind == _BUILTIN and not _owned_builtin(o):
            return []
        return self._refs_of(o, info)

    # -- the engine ------------------------------------------------------------
    def _walk(self, ctx, roots, depth0=0, free_roots=True):
        """Size ``roots`` and all they reach; return the total (also added to ``total``).

        Level-synchronous: each level is deduplicated by id with set operations, split
        by type, sized with ``map`` over C-level ``__sizeof__`` and expanded with one
        ``gc.get_referents(*group)`` per type. Sets ``_root_flat`` to the first level's
        flat size. Ids in ``ctx.ignore`` (module dicts, statics) are never followed; with
        ``free_roots`` the roots themselves are sized whatever they are.
        """
        seen = self._seen
        ignore = ctx.ignore
        first = free_roots
        total = 0
        limit = self._limit
        frontier = list(roots)
        level = depth0
        self._root_flat = 0
        while frontier:
            n = len(frontier)
            if n <= 8:  # deep, narrow structures (linked lists): plain loop
                objs = []
                for o in frontier:
                    i = id(o)
                    if i not in seen and (first or i not in ignore):
                        seen.add(i)
                        objs.append(o)
                self._duplicate += n - len(objs)
                if not objs:
                    break
            else:
                ids = list(map(id, frontier))
                common = seen.intersection(ids)
                if not first:
                    common |= ignore.intersection(ids)
                if common:  # drop what was seen before or is never followed, in C
                    keep = list(map(not_, map(common.__contains__, ids)))
                    frontier = list(compress(frontier, keep))
                    ids = list(compress(ids, keep))
                    keep = common = None
                before = len(seen)
                seen.update(ids)
                if len(seen) - before == len(ids):
                    objs = frontier
                else:  # duplicates within the level
                    objs = list(dict(zip(ids, frontier)).values())
                ids = None
                self._duplicate += n - len(objs)
                if not objs:
                    break
            frontier = None
            first = False
            self._seen_count += len(objs)
            if level > self._depth:
                self._depth = level
            nxt = [] if limit is None or level < limit else None
            if len(objs) == 1:
                tp = type(objs[0])
                info = ctx.types.get(id(tp)) or self._info(ctx, tp)
                if info.kind != _IGNORE:
                    total += self._size_group(ctx, objs, info, nxt)
            else:
                for tp, group in _group_by_type(objs):
                    total += self._size_group(ctx, group, self._info(ctx, tp), nxt)
            if level == depth0:
                self._root_flat = total
            objs = None
            frontier = nxt
            level += 1
        self._total += total
        return total

    def _walk_many(self, ctx, roots, free=frozenset()):
        """Size many roots as if one after the other, in one level-synchronous walk.

        Returns ``(sizes, flats, hiddens)``, lists parallel to ``roots``: what
        ``[self._walk(ctx, (r,)) for r in roots]`` would give (each root's deep size,
        its flat size, and the hidden instance-values part of that flat size), with
        the same ``seen`` afterwards, but with the per-call overhead paid once per
        level instead of once per root. ``free`` holds root ids that are in ``seen``
        only to keep the other roots' walks from following them (``_begin``'s
        ``others``): each root is sized at level 0 all the same, and never followed.

        Objects come in root order at every level, so the first root to reach an
        object owns it, as in one walk per root. Which root an object was reached
        from is kept as runs (the root of each run and where the run ends in the
        level), not per object: a level's sizes are added per root from the running
        sum of its flat sizes, in C. Where the order could differ (an earlier root
        reaching, at a deeper level, an object a later root already owns), and for
        kinds sized by other code (rules, builtins, code with ``code=True``, ...),
        nothing is kept: the method undoes its changes and returns ``None`` so the
        caller sizes one root at a time. Needs ``limit=None``, ``align=1``, no stats.
        """
        if self._limit is not None or self._align > 1 or self._stats:
            return None
        seen = self._seen
        ignore = ctx.ignore
        saved = (self._total, self._seen_count, self._duplicate, self._depth, self._missed,
                 {k: list(v) for k, v in self._profiles.items()}, Counter(self._skipped))
        added = []  # id lists added to seen, undone on a fallback
        nroots = len(roots)
        sizes = [0] * nroots
        flats = [0] * nroots
        hiddens = [0] * nroots
        owner = {}  # id -> index of the root that reached it first
        unowned = []  # (ids, run roots, run ends) of levels not in ``owner`` yet
        ids = list(map(id, roots))
        frontier = list(roots)
        labels = list(range(nroots))
        # level 0: roots seen before this call count 0; the ``free`` ones are sized
        freed = free.intersection(ids)
        seen.difference_update(freed)
        drop = seen.intersection(ids)
        if drop:
            keep = list(map(not_, map(drop.__contains__, ids)))
            frontier = list(compress(frontier, keep))
            ids = list(compress(ids, keep))
            labels = list(compress(labels, keep))
        # runs: frontier[ends[k-1]:ends[k]] was reached from root runs[k] (runs ascending)
        runs, ends = labels, list(range(1, len(frontier) + 1))
        labels = None
        level = 0
        try:
            while frontier:
                n = len(frontier)
                if level:
                    ids = list(map(id, frontier))
                    common = seen.intersection(ids)
                    common |= ignore.intersection(ids)
                    if common:
                        mask = list(map(common.__contains__, ids))
                        if unowned:
                            for lvl_ids, lvl_runs, lvl_ends in unowned:
                                owner.update(zip(lvl_ids, _run_labels(lvl_runs, lvl_ends)))
                            unowned.clear()
                            # a free root met again is not followed, as in one walk per root
                            owner.update(zip(freed, repeat(-1)))
                        # met again: fine if the root that owns it comes first
                        where = map(bisect_right, repeat(ends), compress(range(n), mask))
                        firsts = map(owner.get, compress(ids, mask), repeat(-1))
                        if any(map(lt, map(runs.__getitem__, where), firsts)):
                            raise _Reorder
                        keep = list(map(not_, mask))
                        frontier = list(compress(frontier, keep))
                        ids = list(compress(ids, keep))
                        runs, ends = _runs_kept(runs, ends, keep)
                        mask = keep = None
                before = len(seen)
                seen.update(ids)
                added.append(ids)
                if len(seen) - before != len(ids):  # repeats within the level: keep the first
                    firsts = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))
                    order = sorted(firsts.values())
                    labels = _run_labels(runs, ends)
                    frontier = list(map(frontier.__getitem__, order))
                    ids = list(map(ids.__getitem__, order))
                    runs, ends = _labels_runs(list(map(labels.__getitem__, order)))
                    firsts = order = labels = None
                if not frontier:
                    break
                unowned.append((ids, runs, ends))
                m = len(frontier)
                self._duplicate += n - m
                self._seen_count += m
                if level > self._depth:
                    self._depth = level
                tp0 = type(frontier[0])
                if all(map(is_, map(type, frontier), repeat(tp0))):  # one type (the common case)
                    parts = ((tp0, None),)
                else:
                    tps = list(map(type, frontier))
                    uniq = dict(zip(map(id, tps), tps))  # by id: no metaclass __hash__/__eq__
                    if len(uniq) <= 8:
                        parts = [(tp, list(compress(range(m), map(is_, tps, repeat(tp)))))
                                 for tp in uniq.values()]
                    else:
                        where = {}
                        for k, tp in enumerate(tps):
                            w = where.get(id(tp))
                            if w is None:
                                where[id(tp)] = (tp, [k])
                            else:
                                w[1].append(k)
                        parts = list(where.values())
                    tps = uniq = where = None
                infos = [(ctx.types.get(id(tp)) or self._info(ctx, tp), idx) for tp, idx in parts]
                parts = None
                leaves = all(info.kind in (_ATOM, _IGNORE) for info, _ in infos)  # nothing followed
                # flat sizes (and referents) in frontier order
                if len(infos) == 1:
                    ((info, _),) = infos
                    level_flat, hid, refs = self._flat_refs_each(frontier, info, added)
                    nxt = None
                    if refs is None and not leaves:
                        if info.kind == _REFS and (tp0 is list or tp0 is tuple):
                            lens = list(map(len, frontier))
                            nxt = _get_referents(*frontier)
                            if len(nxt) != sum(lens):  # changed meanwhile (another thread)
                                refs = list(map(_get_referents, frontier))
                            nxt = (lens, nxt) if refs is None else None
                        else:
                            refs = list(map(_get_referents, frontier))
                    if level == 0 and hid is not None:
                        deque(map(hiddens.__setitem__, runs, hid), 0)
                else:
                    nxt = None
                    level_flat = [0] * m
                    refs = None if leaves else list(map(_get_referents, frontier))
                    for info, idx in infos:
                        group = list(map(frontier.__getitem__, idx))
                        g_flat, g_hid, g_refs = self._flat_refs_each(group, info, added)
                        deque(map(level_flat.__setitem__, idx, g_flat), 0)
                        if g_refs is not None and refs is not None:
                            deque(map(refs.__setitem__, idx, g_refs), 0)
                        if level == 0 and g_hid is not None:
                            deque(map(hiddens.__setitem__, map(runs.__getitem__, idx), g_hid), 0)
                        group = None
                infos = None
                if level == 0:  # one object per root
                    if m == nroots:  # every root (in order): by slicing
                        flats[:] = level_flat
                        sizes[:] = level_flat
                    else:
                        deque(map(flats.__setitem__, runs, level_flat), 0)
                        deque(map(sizes.__setitem__, runs, level_flat), 0)
                else:  # sizes[root] += the sum of its run, in C
                    acc = list(accumulate(level_flat, initial=0))
                    ends_acc = list(map(acc.__getitem__, ends))
                    starts_acc = [0]
                    starts_acc += ends_acc[:-1]
                    deque(map(sizes.__setitem__, runs,
                              map(add, map(sizes.__getitem__, runs), map(sub, ends_acc, starts_acc))), 0)
                    acc = ends_acc = starts_acc = None
                self._total += sum(level_flat)
                level_flat = None
                if leaves:
                    break
                if nxt is not None:
                    lens, frontier = nxt
                else:
                    lens = list(map(len, refs))
                    frontier = list(chain.from_iterable(refs))
                runs, ends = _runs_kept(runs, ends, lens)
                refs = nxt = lens = None
                level += 1
        except _Reorder:
            for lst in added:
                seen.difference_update(lst)
            seen.update(freed)
            (self._total, self._seen_count, self._duplicate, self._depth, self._missed,
             self._profiles, self._skipped) = saved
            return None
        return sizes, flats, hiddens

    def _flat_refs_each(self, group, info, added):
        """Per object of a same-type group: flat sizes, hidden bytes (or None), and the
        referent lists where they are not ``gc.get_referents`` (or None).

        The per-object form of :meth:`_size_group` for the kinds :meth:`_walk_many`
        handles; raises :class:`_Reorder` for the others.
        """
        kind = info.kind
        n = len(group)
        if kind == _IGNORE or (kind in (_CLASS, _CODE, _FRAME) and not self._enabled(info)):
            return [0] * n, None, [()] * n
        if kind not in (_ATOM, _REFS, _INST, _DICT):
            raise _Reorder
        sizes = self._flat_sizes(group, info)
        if info.fn is _INT_SIZEOF:
            sizes = [s + _INT_FIX if s == _INT_ONE_DIGIT else s for s in sizes]
        hid = None
        if info.managed:
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(type(group[0])) or ()
            hid, hidden = _layout.instances_hidden_each(group, type(group[0]), info.state or None)
            if hidden:
                self._seen.update(hidden)
                added.append(hidden)
            sizes = list(map(int.__add__, sizes, hid))
        refs = None
        if kind == _ATOM and _tp_flags(type(group[0])) & _HAVE_GC:
            refs = [()] * n  # an atom's referents are not followed
        elif kind == _DICT:
            splits = list(map(_layout.split_dict_correction, group)) if type(group[0]) is dict else [None] * n
            refs = [_get_referents(d) + _dict_keys(self, d, info) if c is None else _get_referents(d)
                    for d, c in zip(group, splits)]
            if splits.count(None) != n:
                sizes = [s + c if c else s for s, c in zip(sizes, splits)]
        total = sum(sizes)
        prof = self._profiles.get(info.name)
        if prof is None:
            self._profiles[info.name] = [n, total, info]
        else:
            prof[0] += n
            prof[1] += total
        return sizes, hid, refs

    def _size_group(self, ctx, group, info, nxt):
        """Flat-size a group of same-type objects; extend ``nxt`` with their referents."""
        kind = info.kind
        if kind == _IGNORE:
            return 0
        if kind == _CLASS:
            if not self._code:
                return 0
            group = [c for c in group if _tp_flags(c) & _HEAPTYPE]  # static types: 0
            if not group:
                return 0
        elif kind == _CODE or kind == _FRAME:
            if not self._enabled(info):
                return 0
        elif kind == _BUILTIN:
            group = [f for f in group if _owned_builtin(f)]
            if not group:
                return 0
        refs = None
        splits = None  # per exact dict: None, or the split-table correction
        if kind == _DICT and type(group[0]) is dict:
            # split tables (materialized instance dicts): their keys are the class's
            splits = list(map(_layout.split_dict_correction, group))
            if splits.count(None) == len(splits):
                splits = None
        if nxt is not None:
            if kind in (_REFS, _INST, _CLASS, _FRAME, _BUILTIN):
                refs = _get_referents(*group)
            elif kind == _DICT:
                refs = _get_referents(*group)
                if splits is None:
                    refs += _dict_keys_many(self, group, info)
                else:
                    refs += _dict_keys_many(self, [d for d, c in zip(group, splits) if c is None], info)
            elif kind != _ATOM:
                refs = []
                for o in group:
                    refs += self._refs_of(o, info)
        align = self._align
        if align > 1 or self._stats:
            sizes = self._flat_sizes(group, info)
            if info.fn is _INT_SIZEOF:
                sizes = [s + _INT_FIX if s == _INT_ONE_DIGIT else s for s in sizes]
            if info.managed or splits:
                extras = [self._hidden([o], info, None if splits is None else [c])
                          for o, c in zip(group, splits or repeat(None))]
            else:
                extras = [0] * len(sizes)
            if align > 1:
                sizes = [_align_pieces(s, e, info, align) for s, e in zip(sizes, extras)]
            else:
                sizes = list(map(int.__add__, sizes, extras))
            flat = sum(sizes)
            if self._stats:
                self._rank(group, sizes, info)
        else:
            flat = self._flat_total(group, info)
            if info.managed or splits:
                flat += self._hidden(group, info, splits)
        prof = self._profiles.get(info.name)
        if prof is None:
            self._profiles[info.name] = [len(group), flat, info]
        else:
            prof[0] += len(group)
            prof[1] += flat
        if nxt is not None and refs:
            nxt += refs
        return flat

    def _rule_flat(self, o, info):
        try:
            s = info.rule.flat(o, self._claim)
        except _SAFE_CATCH as exc:
            self._skipped[(info.name, f"rule flat raised {type(exc).__name__}")] += 1
            self._missed += 1
            return self._flat_one(o, info)
        if type(s) is int and s >= 0 and (s <= _CHEAP_MAX or s <= _max_flat()):
            return s
        self._untrusted(info.name, s, "rule returned")
        return self._flat_one(o, info)

    def _untrusted(self, name, value, what="__sizeof__ returned"):
        """Count an object whose size was not trusted (shown by :meth:`print_summary`)."""
        self._missed += 1
        self._untrusted_count += 1
        self._skipped[(name, f"sizeof not trusted: {what} {_describe(value)}")] += 1

    def _claim(self, key) -> bool:
        if key in self._claimed:
            return False
        self._claimed.add(key)
        return True

    def _rank(self, group, sizes, info):
        above = self._above
        largest = self._type_largest
        i = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[i] > largest.get(info.name, (-1,))[0]:
            largest[info.name] = (sizes[i], safe_repr(group[i], self._clip))
        for o, s in zip(group, sizes):
            if s >= above:
                self._largest.append((s, info.name, safe_repr(o, self._clip)))

    # -- public sizing -----------------------------------------------------------------
    # -- one sizing context, for in-package engines (the Class Tracker) ---------------------
    def session(self, roots=(), others=()) -> SizingSession:
        """A :class:`SizingSession`: one sizing context in which objects are sized one
        after the other, what one sized counting 0 for the next, and references to
        ``others`` (ids) not followed until each of them is sized itself. ``roots``:
        objects that are sized even if they are also ``others`` or excluded.

        Use it as a context manager (``with sizer.session(others=ids) as s: ...``): the
        context is closed (the ``others`` marks removed) on exit. The Class Tracker
        sizes its tracked objects so, in one pass.
        """
        return SizingSession(self, roots, others)

    def _begin(self, roots, others=()):
        """Pre-seed ``seen`` with the excluded refs and the other given objects (for this
        call only; ``_end`` removes them). Module dicts and statics are ``ctx.ignore``."""
        ctx = _Ctx(self)
        seen = self._seen
        root_ids = {id(o) for o in roots}
        extra = set()
        if self._excl_refs or others:
            extra = (self._excl_refs | set(others)) - seen - (root_ids - set(others))
            seen |= extra
        return ctx, extra

    def _end(self, ctx, extra):
        if extra:
            self._seen -= extra
        ctx.types.clear()
        ctx.alive.clear()
        ctx.names.clear()
        ctx.slots.clear()

    def asizeof(self, *objs, **opts):
        """Combined deep size of ``objs``; objects sized before count 0."""
        if opts:
            self.set(**opts)
        self._given += len(objs)
        ctx, pre = self._begin(objs)
        try:
            size = self._walk(ctx, objs)
        finally:
            self._end(ctx, pre)
        if self._stats:
            self.print_stats(objs=objs, stats=self._stats)
        return size

    def asizesof(self, *objs, **opts):
        """Deep size of each object; references to the other given objects are not followed."""
        if opts:
            self.set(**opts)
        self._given += len(objs)
        sizes = {}
        out = []
        ctx, extra = self._begin((), {id(o) for o in objs})  # the others are not followed
        try:
            for o in objs:
                i = id(o)
                if i not in sizes:
                    if i in extra:
                        self._seen.discard(i)
                        extra.discard(i)
                    sizes[i] = self._walk(ctx, (o,))
                out.append(sizes[i])
        finally:
            self._end(ctx, extra)
        if self._stats:
            self.print_stats(objs=objs, sizes=out, stats=self._stats)
        return tuple(out)

    def asized(self, *objs, **opts):
        """:class:`Asized` of each object, with ``detail`` levels of named referents."""
        if opts:
            self.set(**opts)
        out = self._trees(objs)
        if self._stats:
            self.print_stats(objs=objs, sized=out, stats=self._stats)
        return tuple(out)

    def size_trees(self, *objs, top=None, names=None):
        """:class:`SizeNode` trees of ``objs`` to ``detail`` levels (see
        ``pympler_nb.core.sizetree.top_sized``): :meth:`asized`'s trees and totals, each
        node recording its type name, ``id()`` and counting-order index, at most ``top``
        children per node (largest first, whole dict entries) and one ``"other (K
        more)"`` node with the rest. ``names``: the roots' names (default: their names
        in size trees). The same object given again gives a 0-byte root (counted in its
        first)."""
        if top is not None and (type(top) is not int or top < 1):
            raise ValueError(f"top={top!r}: use an int >= 1, or None for every child")
        if names is not None:
            names = [str(n) for n in names]
            if len(names) != len(objs):
                raise ValueError(f"names must give one name per object: {len(objs)} objects, "
                                 f"{len(names)} names")
        return tuple(self._trees(objs, top, True, names))

    def _trees(self, objs, top=None, record=False, names=None):
        self._given += len(objs)
        out = []
        done = {}
        ctx, extra = self._begin((), {id(o) for o in objs})  # the others are not followed
        was_enabled = gc.isenabled()
        gc.disable()  # the many small records made here must not set off full collections
        try:
            for k, o in enumerate(objs):
                i = id(o)
                if i in extra:
                    self._seen.discard(i)
                    extra.discard(i)
                name = None if names is None else names[k]
                tree = done.get(i)
                if tree is None:
                    tree = done[i] = self._asized_tree(ctx, o, top, record, name)
                elif record:  # the same object again: counted in its first row
                    tree = SizeNode(0, 0, (), tree.name if name is None else name, tree.type, i)
                out.append(tree)
        finally:
            if was_enabled:
                gc.enable()
            self._end(ctx, extra)
        return out

    def _asized_tree(self, ctx, root, top=None, record=False, name=None):
        """The :class:`Asized` tree of ``root`` to ``detail`` levels (iterative, DFS).

        How sizes are shared (the rule :meth:`tree_children` replays): the children of a
        node are counted in counting order (:func:`_tree_refs`); all of them are first
        marked as counted, so a child that a sibling also reaches counts in its own row
        (as :meth:`asizesof` does), and what several children reach counts once, in the
        first of them; everything the node's ancestors and their earlier siblings
        reached counts 0. A node's size is its flat size plus its children's sizes, so
        the root's size is :meth:`asizeof`'s whatever ``detail`` is (``limit`` aside).
        Children are stored largest first, a dict entry's key and value together.
        Names are made after the whole tree is sized (``repr`` may change objects).

        ``top`` (an int): a node keeps only its ``top`` largest children (whole dict
        entries, at least one) and one ``"other (K more)"`` node with the rest's sizes
        (:data:`OTHER`), the same counting: the children not kept are sized in bulk and
        never named. Where such a node's kept children are expanded further, they are
        chosen on a scratch copy of the state first. ``record``: :class:`SizeNode`
        records (type name, ``id()``, counting-order index) instead of :class:`Asized`.
        ``name``: the root's name (default: its name in size trees).
        """
        detail = self._detail
        seen = self._seen
        clip = self._clip
        named = []  # (node, lazy name), named at the end
        # frames: [name, flat, kids, results, index, depth, pending, tname, oid, pos, sizes, flats]
        # results: a list (every child, in counting order), or with ``top`` cutting the
        # node, a dict {index: node} of the children expanded and sizes/flats of them all
        stack = []
        result = None

        def leaf(size, flat, name, obj=None, index=None):
            if record:
                node = SizeNode(size, flat, (), None, _tree_type_name(obj),
                                None if obj is None or obj is _SHARED or type(obj) is _Part else id(obj), 0, index)
            else:
                node = Asized(size, flat, (), None, _tree_type_name(obj))
            named.append((node, name))
            return node

        def push(name, flat, kids, depth, obj, index):
            tname = _tree_type_name(obj)
            oid = None
            if record:
                oid = None if type(obj) is _Part else id(obj)
            stack.append([name, flat, kids, [], 0, depth, None, tname, oid, index, None, None])

        def open_(obj, name, depth, index):
            """A claimed object at ``depth``: a finished leaf, or a frame pushed (None)."""
            if type(obj) is _Part:
                if depth >= detail:
                    vals = _part_objs(obj.kids)
                    return leaf(obj.flat + (self._walk(ctx, vals, depth + 1, False) if vals else 0), obj.flat,
                                name, obj, index)
                push(name, obj.flat, obj.kids, depth, obj, index)
                return None
            info = ctx.types.get(id(type(obj))) or self._info(ctx, type(obj))
            if depth >= detail or info.kind == _ATOM or not self._enabled(info):
                size = self._walk(ctx, (obj,), depth0=depth)
                return leaf(size, self._root_flat, name, obj, index)
            seen.add(id(obj))
            self._seen_count += 1
            flat = self._size_group(ctx, [obj], info, None)
            self._total += flat
            kids = _tree_refs(self, obj, info, ctx)
            if id(type(obj)) not in _EXACT_COVERED_IDS:  # the items of a list or a dict are never parts
                for ref in kids.objs:
                    if type(ref) is _Part:
                        flat -= ref.flat  # e.g. the values array, shown as the '__dict__' node
            push(name, flat, kids, depth, obj, index)
            return None

        rid = id(root)
        rname = ("r", "", root) if name is None else name
        if rid in seen:
            self._duplicate += 1
            result = leaf(0, 0, rname, root)
        else:
            result = open_(root, rname, 0, None)
        while stack:
            frame = stack[-1]
            kids, res = frame[2], frame[3]
            depth = frame[5] + 1
            n = len(kids)
            if frame[6] is None:
                cut = top is not None and n > top
                if depth >= detail:  # all children are leaves: size them in one pass
                    frame[6] = ()
                    sizes, flats = self._level_sizes(ctx, kids, depth)
                    if cut:  # named at the end, only those kept
                        frame[3], frame[10], frame[11] = {}, sizes, flats
                    else:
                        for i, size, flat in zip(range(n), sizes, flats):
                            res.append(leaf(size, flat, kids.name(i), kids.objs[i], i))
                    frame[4] = n
                    res = frame[3]
                    continue
                frame[6] = pending = self._preseed(ctx, kids)
                if cut:  # expand only the children kept: chosen on a scratch copy
                    trial, _ = self._scratch()._sibling_sizes(ctx, kids, depth, set(pending))
                    frame[3] = {i: None for i in _largest_first(trial, kids, top)}
                    frame[10], frame[11] = [0] * n, [0] * n
                    trial = None
                res = frame[3]
            index = frame[4]
            if index < n:
                if type(res) is dict and index not in res:  # a run of children not kept: in bulk
                    end = index + 1
                    while end < n and end not in res:
                        end += 1
                    run = kids.objs[index:end]
                    ids = set(map(id, run))
                    pending = frame[6]
                    part = pending.intersection(ids)
                    s, f = self._sibling_sizes(ctx, _Kids(run), depth, part)
                    pending.difference_update(ids)
                    frame[10][index:end], frame[11][index:end] = s, f
                    frame[4] = end
                    continue
                frame[4] = index + 1
                obj = kids.objs[index]
                name = kids.name(index)
                if obj is _SHARED:
                    node = leaf(0, 0, name, obj, index)
                elif type(obj) is _Part or self._claim(ctx, frame[6], obj):
                    node = open_(obj, name, depth, index)
                else:
                    self._duplicate += 1
                    node = leaf(0, 0, name, obj, index)
                if node is not None:
                    self._tree_add(frame, index, node)
                continue
            stack.pop()
            if type(res) is dict:
                sizes, flats = frame[10], frame[11]
                order = _largest_first(sizes, kids, top)
                refs = [res.get(i) or leaf(sizes[i], flats[i], kids.name(i), kids.objs[i], i) for i in order]
                rest = n - len(refs)
                if rest:
                    size = sum(sizes) - sum(r.size for r in refs)
                    flat = sum(flats) - sum(r.flat for r in refs)
                    refs.append(SizeNode(size, flat, (), OTHER.format(rest), None, None, rest) if record
                                else Asized(size, flat, (), OTHER.format(rest)))
            else:
                order = _largest_first([r.size for r in res], kids)
                refs = [res[i] for i in order]
            size = frame[1] + sum(r.size for r in refs)
            if record:
                node = SizeNode(size, frame[1], refs, None, frame[7], frame[8], 0, frame[9])
            else:
                node = Asized(size, frame[1], refs, None, frame[7])
            named.append((node, frame[0]))
            if stack:
                self._tree_add(stack[-1], stack[-1][4] - 1, node)
            else:
                result = node
        labels = {}
        for node, name in named:
            node.name = name if type(name) is str and record and node is result else _name_text(name, clip, labels)
        return result

    @staticmethod
    def _tree_add(frame, index, node):
        """A finished child ``node`` (at counting-order ``index``) of a tree frame."""
        res = frame[3]
        if type(res) is dict:
            res[index] = node
            frame[10][index] = node.size
            frame[11][index] = node.flat
        else:
            res.append(node)

    def _scratch(self):
        """A copy of this sizer whose counting state can change without changing ours
        (to size children on trial)."""
        s = _copy.copy(self)
        s._seen = set(self._seen)
        s._claimed = set(self._claimed)
        s._profiles = {}
        s._largest = []
        s._type_largest = {}
        s._skipped = Counter()
        return s

    # -- the tree's counting rule, shared by asized and tree_children ---------------------
    def _preseed(self, ctx, kids):
        """Mark the children of a node as counted before any is sized (each then counts
        in its own row); returns the ids marked."""
        seen = self._seen
        objs = kids.objs
        pending = set(map(id, objs))
        pending.difference_update(seen)
        pending.difference_update(ctx.ignore)
        pending.discard(id(_SHARED))
        if any(map(is_, map(type, objs), repeat(_Part))):
            for r in objs:
                if type(r) is _Part:
                    pending.discard(id(r))
        seen.update(pending)
        return pending

    def _claim(self, ctx, pending, obj) -> bool:
        """True if ``obj`` (a pre-seeded child) counts in its row: it is then unmarked,
        to be sized; False if it was counted elsewhere (or is never counted)."""
        i = id(obj)
        if i in pending:
            pending.discard(i)
            self._seen.discard(i)
            return True
        return False

    def _level_sizes(self, ctx, kids, depth):
        """``(sizes, flats)`` of all the children ``kids`` of a node at ``depth``, counted
        as :meth:`_preseed` then :meth:`_sibling_sizes` count them, fast where the engine
        can (no parts or shared keys among them): atoms (they reach nothing, so no
        sibling reaches through them) flat-sized by type in C; the others in one bulk
        walk, which marks them all at its first level so that none is followed from
        another, or one plain walk each when they are few (deep objects: a walk per root
        is cheaper than tracking roots). Ignored objects (small ints, module dicts) are
        marked for the walk's first level only, so they count 0."""
        objs = kids.objs
        n = len(objs)
        if n <= 8 or self._limit is not None or self._align > 1 or self._stats:
            return self._sibling_sizes(ctx, kids, depth, self._preseed(ctx, kids))
        all_tps = list(map(type, objs))
        tps = _unique_types(objs, all_tps)  # by identity: no metaclass __hash__/__eq__ runs
        if id(_Part) in tps or id(object) in tps:
            return self._sibling_sizes(ctx, kids, depth, self._preseed(ctx, kids))
        infos = [(tp, ctx.types.get(tid) or self._info(ctx, tp)) for tid, tp in tps.items()]
        atoms = [(tp, info) for tp, info in infos if info.kind == _ATOM]
        if len(atoms) == len(infos):
            return self._atom_sizes(ctx, objs, infos, all_tps)
        sizes = flats = None
        where = None
        if (len(atoms) == 1 and len(infos) == 2 and kids.groups == "pairs" and n % 2 == 0
                and all(map(is_, all_tps[0::2], repeat(atoms[0][0])))):
            # a dict's entries, atom keys (str, int) and other values: split by slicing
            a_sizes, _ = self._atom_sizes(ctx, objs[0::2], atoms)
            sizes = [0] * n
            sizes[0::2] = a_sizes
            flats = list(sizes)
            where = slice(1, None, 2)
            objs = objs[1::2]
            kids = _Kids(objs)
            a_sizes = None
        elif atoms:  # the atoms first (each counts in its own row whatever the order)
            if len(atoms) == 1:
                mask = list(map(is_, all_tps, repeat(atoms[0][0])))
            else:
                atom_ids = frozenset(id(tp) for tp, _ in atoms)
                mask = list(map(atom_ids.__contains__, map(id, all_tps)))
            a_sizes, _ = self._atom_sizes(ctx, list(compress(objs, mask)), atoms, list(compress(all_tps, mask)))
            sizes = [0] * n
            deque(map(sizes.__setitem__, compress(range(n), mask), a_sizes), 0)
            flats = list(sizes)
            where = list(compress(range(n), map(not_, mask)))
            objs = list(compress(objs, map(not_, mask)))
            kids = _Kids(objs)
            mask = a_sizes = None
        res = None
        if len(objs) > _FEW_ROOTS:
            seen = self._seen
            ign = ctx.ignore.intersection(map(id, objs)) if ctx.ignore else None
            if ign:
                ign -= seen
                seen |= ign
            try:
                res = self._walk_many(ctx, objs)
            finally:
                if ign:
                    seen -= ign
        if res is None:  # few (or the bulk walk cannot keep the order): one walk each
            pending = self._preseed(ctx, kids)
            r_s, r_f = [0] * len(objs), [0] * len(objs)
            for k, r in enumerate(objs):
                if self._claim(ctx, pending, r):
                    r_s[k] = self._walk(ctx, (r,), depth0=depth)
                    r_f[k] = self._root_flat
                else:
                    self._duplicate += 1
            res = (r_s, r_f)
        if where is None:
            return res[0], res[1]
        if type(where) is slice:
            sizes[where] = res[0]
            flats[where] = res[1]
            return sizes, flats
        deque(map(sizes.__setitem__, where, res[0]), 0)
        deque(map(flats.__setitem__, where, res[1]), 0)
        return sizes, flats

    def _atom_sizes(self, ctx, objs, infos, tps=None):
        """:meth:`_level_sizes` of children that are all atoms (they reach nothing):
        flat sizes by type, in C; one counted before, ignored or given again counts 0.
        ``infos``: ``[(type, info)]`` of the atoms' types; ``tps``: the objects' types
        (listed if not given)."""
        seen = self._seen
        n = len(objs)
        ids = list(map(id, objs))
        prior = seen.intersection(ids)
        ign = ctx.ignore.intersection(ids) if ctx.ignore else set()
        before = len(seen)
        seen.update(ids)
        added = len(seen) - before
        if len(infos) == 1:
            ((tp, info),) = infos
            sizes = self._flat_refs_each(objs, info, [])[0]
        elif all(id(tp) in _PLAIN_ATOM_IDS and info.kind == _ATOM for tp, info in infos):
            # exact int, float and str: sys.getsizeof is their own C __sizeof__ (they have
            # no gc header), one pass over them all; the per-type totals are only counted
            sizes = list(map(_getsizeof, objs))
            if any(tp is int for tp, _ in infos):
                sizes = list(map(_INT_FIXED.get, sizes, sizes))
            if tps is None:
                tps = list(map(type, objs))
            for tp, info in infos:
                part = list(compress(sizes, map(is_, tps, repeat(tp))))
                prof = self._profiles.get(info.name)
                if prof is None:
                    self._profiles[info.name] = [len(part), sum(part), info]
                else:
                    prof[0] += len(part)
                    prof[1] += sum(part)
        else:
            sizes = [0] * n
            if tps is None:
                tps = list(map(type, objs))
            for tp, info in infos:
                mask = list(map(is_, tps, repeat(tp)))
                part = self._flat_refs_each(list(compress(objs, mask)), info, [])[0]
                deque(map(sizes.__setitem__, compress(range(n), mask), part), 0)
        if prior or ign or added != n:  # counted before, ignored, or given twice: 0 but the first
            zero = prior | ign
            repeats = added != n - (sum(map(prior.__contains__, ids)) if prior else 0)
            if not repeats:  # in C: only the ones counted before or ignored
                deque(map(sizes.__setitem__, compress(range(n), map(zero.__contains__, ids)), repeat(0)), 0)
            else:
                first = set()
                for k, i in enumerate(ids):
                    if i in zero or i in first:
                        sizes[k] = 0
                    else:
                        first.add(i)
            if ign:
                seen -= ign - prior  # ignored objects are never marked
        self._total += sum(sizes)
        self._seen_count += added
        return sizes, list(sizes)

    def _sibling_sizes(self, ctx, kids, depth, pending):
        """``(sizes, flats)`` of pre-seeded children ``kids`` at ``depth``, sized one
        after the other (one bulk walk where the engine can keep that order)."""
        objs = kids.objs
        n = len(objs)
        tps = _unique_types(objs)
        if id(_Part) not in tps and self._align == 1 and not self._stats and n > 8:
            # atoms (numbers, strings) reach nothing: their size is their flat size
            atoms = [tid for tid, tp in tps.items()
                     if (ctx.types.get(tid) or self._info(ctx, tp)).kind == _ATOM]
            if atoms:
                return self._sibling_sizes_atoms(ctx, kids, depth, pending, frozenset(atoms))
        if id(_Part) not in tps:
            if len(pending) == n:  # all distinct and to be counted: the common case
                claim, where = objs, None
            else:
                claim = []
                where = {}
                for r in objs:
                    i = id(r)
                    if i in pending and i not in where:
                        where[i] = len(claim)
                        claim.append(r)
            res = self._walk_many(ctx, claim, frozenset(pending)) if claim else ([], [], [])
            if res is not None:
                pending.clear()
                sizes, flats, _ = res
                if where is None:
                    return sizes, flats
                out_s, out_f = [0] * n, [0] * n
                for k, r in enumerate(objs):
                    j = where.pop(id(r), None)
                    if j is None:
                        self._duplicate += r is not _SHARED
                    else:
                        out_s[k] = sizes[j]
                        out_f[k] = flats[j]
                return out_s, out_f
        out_s, out_f = [0] * n, [0] * n
        for k, r in enumerate(objs):
            if r is _SHARED:
                continue
            if type(r) is _Part:
                vals = _part_objs(r.kids)
                out_s[k] = r.flat + (self._walk(ctx, vals, depth + 1, False) if vals else 0)
                out_f[k] = r.flat
            elif self._claim(ctx, pending, r):
                out_s[k] = self._walk(ctx, (r,), depth0=depth)
                out_f[k] = self._root_flat
            else:
                self._duplicate += 1
        return out_s, out_f

    def _sibling_sizes_atoms(self, ctx, kids, depth, pending, atoms):
        """:meth:`_sibling_sizes` with the atoms sized apart, by type in C (they reach
        nothing, so no sibling can reach through them); the others by the bulk walk."""
        objs = kids.objs
        n = len(objs)
        is_atom = list(map(atoms.__contains__, map(id, map(type, objs))))  # atoms: type ids
        out_s, out_f = [0] * n, [0] * n
        ids = list(map(id, objs))
        first = dict(zip(reversed(list(compress(ids, is_atom))), reversed(list(compress(range(n), is_atom)))))
        claim = list(pending.intersection(first))  # the atoms counted here, each at its first place
        where = list(map(first.__getitem__, claim))
        size_of = {}
        for tp, group in _group_by_type(list(map(objs.__getitem__, where))):
            info = ctx.types.get(id(tp)) or self._info(ctx, tp)
            sizes = self._flat_sizes(group, info)
            if info.fn is _INT_SIZEOF:
                sizes = [s + _INT_FIX if s == _INT_ONE_DIGIT else s for s in sizes]
            size_of.update(zip(map(id, group), sizes))
            total = sum(sizes)
            self._total += total
            self._seen_count += len(group)
            prof = self._profiles.get(info.name)
            if prof is None:
                self._profiles[info.name] = [len(group), total, info]
            else:
                prof[0] += len(group)
                prof[1] += total
        for k, size in zip(where, map(size_of.__getitem__, claim)):
            out_s[k] = out_f[k] = size
        pending.difference_update(claim)  # they stay in seen: counted
        self._duplicate += sum(is_atom) - len(claim)
        rest = list(compress(range(n), map(not_, is_atom)))
        if rest:
            sub = _Kids(list(map(objs.__getitem__, rest)))
            rs, rf = self._sibling_sizes(ctx, sub, depth, pending)
            for k, size, flat in zip(rest, rs, rf):
                out_s[k] = size
                out_f[k] = flat
        return out_s, out_f

    def _count_earlier(self, ctx, kids, depth, pending):
        """Count what pre-seeded children ``kids`` reach (siblings before a node)."""
        objs = []
        for r in kids:
            if r is _SHARED:
                continue
            if type(r) is _Part:
                objs.extend(_part_objs(r.kids))
                continue
            i = id(r)
            if i in pending:
                pending.discard(i)
                self._seen.discard(i)
            objs.append(r)
        if objs:
            self._walk(ctx, objs, depth0=depth, free_roots=False)

    def tree_children(self, root, path=(), expect=None, sized=True, together=None, position=None):
        """The children of one node of ``root``'s size tree, sized as :meth:`asized` does.

        Parameters
        ----------
        root : object
            The tree's root (sized as if by ``asized(root)`` with a fresh sizer).
        path : sequence of int
            The node: at each level the index of the child in counting order (the
            :attr:`TreeChild.index` of a previous answer); ``()`` is the root.
        expect : sequence of int, optional
            ``id()`` of the object expected at each level of ``path``; a mismatch (the
            objects changed since they were shown) raises :class:`LookupError`.
        sized : bool
            False: names and objects only (sizes 0), in counting order, cheaply.
        together : sequence, optional
            The objects ``root`` was sized with (``asized(*together)``, ``root`` among
            them): those before ``root`` are counted first, none is followed from
            another, so the children agree with that tree.
        position : int, optional
            ``root``'s index in ``together`` (default: its first; a later one of an
            object given twice counts 0, as in ``asized``).

        Returns
        -------
        TreeChildren
            A sequence of :class:`TreeChild`, largest first (a dict entry's key and
            value together), or in counting order when ``sized`` is False. It holds
            the child objects (a tree view drops it after use).

        Raises
        ------
        LookupError
            For an index out of range or an object that changed.
        """
        path = list(path)
        if expect is not None and len(expect) != len(path):
            raise ValueError(f"expect must give one id per path level: {len(path)} levels, {len(expect)} ids")
        together = list(together) if together else []
        ctx, extra = self._begin((), {id(o) for o in together})  # the others are not followed
        was_enabled = gc.isenabled()
        gc.disable()  # the many small records made here must not set off full collections
        try:
            seen = self._seen
            zero = not sized
            if sized:
                if position is None:
                    position = next((k for k, other in enumerate(together) if other is root), 0)
                elif not (0 <= position < len(together) and together[position] is root):
                    raise ValueError(f"position={position!r}: together[{position!r}] must be the root")
                for other in together[:position]:  # the roots before this one, counted first
                    i = id(other)
                    if i in extra:
                        seen.discard(i)
                        extra.discard(i)
                        self._walk(ctx, (other,))
                if id(root) in extra:
                    seen.discard(id(root))
                    extra.discard(id(root))
                if id(root) in seen:
                    zero = True
                else:
                    seen.add(id(root))
            obj = root
            for depth, index in enumerate(path, 1):
                kids = self._kids_of(ctx, obj)
                if type(index) is not int or not 0 <= index < len(kids):
                    raise LookupError(f"no child {index!r} at level {depth} (it has {len(kids)})")
                kid = kids.objs[index]
                if kid is _SHARED or (expect is not None and type(kid) is not _Part  # parts are made anew
                                      and id(kid) != expect[depth - 1]):
                    raise LookupError(f"the object at level {depth} changed since it was shown "
                                      f"(re-run to see it again)")
                if not zero:
                    pending = self._preseed(ctx, kids)
                    self._count_earlier(ctx, kids.objs[:index], depth, pending)
                    if type(kid) is not _Part:
                        if self._claim(ctx, pending, kid):
                            seen.add(id(kid))
                        else:
                            zero = True
                obj = kid
            kids = self._kids_of(ctx, obj)
            depth = len(path) + 1
            n = len(kids)
            if zero:
                sizes = flats = [0] * n
            else:
                sizes, flats = self._level_sizes(ctx, kids, depth)
                flats = self._shown_flats(ctx, kids, flats)
            order = _largest_first(sizes, kids) if sized else range(n)
            return TreeChildren(self, kids, sizes, flats, order)
        finally:
            if was_enabled:
                gc.enable()
            self._end(ctx, extra)

    def _shown_flats(self, ctx, kids, flats):
        """The flat sizes a tree shows for children that are expanded: without the
        parts shown as their own children (an instance's values array, shown as
        ``'__dict__'``; the fields of a record array), so that a node's flat size plus
        its children's sizes is its size."""
        objs = kids.objs
        todo = {}  # id(type) -> type (by id: no metaclass __hash__ runs)
        for tid, tp in _unique_types(objs).items():
            if tp is _Part:
                continue
            info = ctx.types.get(tid) or self._info(ctx, tp)
            if info.tree is not None or (info.kind in (_INST, _DICT) and info.managed):
                todo[tid] = tp
        if not todo:
            return flats
        flats = list(flats)
        plain = {tid: tp for tid, tp in todo.items() if ctx.types[tid].tree is None}  # '__dict__' only
        for tid, tp in plain.items():
            idx = [k for k, o in enumerate(objs) if type(o) is tp and flats[k]]
            group = [objs[k] for k in idx]
            info = ctx.types[tid]
            if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
                info.state = _layout.values_state(tp) or ()
            hidden, _ = _layout.instances_hidden_each(group, tp, info.state or None)
            for k, o, h in zip(idx, group, hidden):
                if _layout.attribute_names(o, tp, ctx.names) is not None:  # shown as a '__dict__' part
                    flats[k] -= h
        for k, obj in enumerate(objs):
            tid = id(type(obj))
            if flats[k] and tid in todo and tid not in plain:
                flats[k] -= sum(r.flat for r in self._kids_of(ctx, obj).objs if type(r) is _Part)
        return flats

    def _kids_of(self, ctx, obj):
        if type(obj) is _Part:
            return obj.kids
        info = ctx.types.get(id(type(obj))) or self._info(ctx, type(obj))
        if info.kind == _ATOM or not self._enabled(info):
            return _Kids([])
        return _tree_refs(self, obj, info, ctx)

    def tree_expandable(self, obj) -> bool:
        """Whether a size tree can show children under ``obj`` (cheap: nothing is
        named or sized). Classes, modules and atoms (numbers, strings) are leaves."""
        return self._expandable(None, obj)

    def _expandable(self, ctx, obj) -> bool:
        if obj is _SHARED:
            return False
        if type(obj) is _Part:
            return bool(obj.kids)
        tp = type(obj)
        info = ctx.types.get(id(tp)) or self._info(ctx, tp) if ctx is not None else self._classify(tp)
        if info.kind in (_ATOM, _IGNORE) or not self._enabled(info):
            return False
        if id(tp) in _EXACT_COVERED_IDS:
            return len(obj) > 0
        if info.tree is not None:
            return True
        try:
            return bool(self._followed(obj, info)) or bool(_get_referents(obj))
        except _SAFE_CATCH:
            return False

    # -- statistics ----------------------------------------------------------------------
    def _out(self, stream, text):
        (stream or self._stream or sys.stdout).write(text + "\n")

    def print_summary(self, w=0, objs=(), **print3options):
        """Totals: bytes, alignment, objects given/sized/seen/missed, duplicates, depth."""
        stream = print3options.get("file")
        if objs:
            args = ", ".join(safe_repr(o, self._clip // 2 or 1) for o in objs)
            self._out(stream, f"\nasizeof(({clip_text(args, self._clip)},), ...) ...")
        ind = " " * w
        self._out(stream, f"{ind}{self._total:6d} bytes or {format_size(self._total)}")
        self._out(stream, f"{ind}{self._align:6d} byte aligned")
        self._out(stream, f"{ind}{_PTR:6d} byte sizeof(void*)")
        self._out(stream, f"{ind}{self._given:6d} object{'s' if self._given != 1 else ''} given")
        self._out(stream, f"{ind}{self.sized:6d} objects sized")
        self._out(stream, f"{ind}{self._seen_count:6d} objects seen")
        self._out(stream, f"{ind}{self.ranked:6d} objects ranked")
        self._out(stream, f"{ind}{self._missed:6d} objects missed")
        self._out(stream, f"{ind}{self._untrusted_count:6d} objects with sizeof not trusted")
        self._out(stream, f"{ind}{self._duplicate:6d} duplicates")
        self._out(stream, f"{ind}{self._depth:6d} deepest level")
        for tname, why, n in self.skipped:
            self._out(stream, f"{ind}{n:6d} {tname} objects: {why}")

    def print_largest(self, w=0, cutoff=0, **print3options):
        """The largest objects by flat size (over ``above`` bytes)."""
        stream = print3options.get("file")
        cutoff = cutoff or self._cutoff
        rows = sorted(self._largest, key=lambda r: -r[0])
        if not rows:
            return
        ind = " " * w
        self._out(stream, f"\n{ind}{min(len(rows), cutoff):6d} largest objects (of {len(rows)} over {self._above} bytes"
                             f" or {format_size(self._above)}, by flat size)")
        for size, tname, text in rows[: int(cutoff)]:
            self._out(stream, f"{ind}{size:6d} bytes or {format_size(size)}: class {tname}: {text}")

    def print_profiles(self, w=0, cutoff=0, **print3options):
        """Per type: count, total (% of grand total), average and largest flat size."""
        stream = print3options.get("file")
        cutoff = cutoff or self._cutoff
        profs = sorted(((n, c, t) for n, (c, t, _) in self._profiles.items() if c), key=lambda p: -p[2])
        if not profs:
            return
        grand = sum(p[2] for p in profs) or 1
        ind = " " * w
        self._out(stream, f"\n{ind}{len(profs):6d} profiles:  total (% of grand total), average,"
                             " and largest flat size:  largest object")
        for name, count, tot in profs[: int(cutoff)]:
            big, text = self._type_largest.get(name, (0, "?"))
            plural = "s" if count != 1 else ""
            self._out(stream, f"{ind}{count:6d} class {name} object{plural}:  {tot} or {format_size(tot)}"
                             f" ({100 * tot // grand}%), {tot // count}, {big}:  {text}")
        if len(profs) > cutoff:
            self._out(stream, f"{ind}{'+' + str(len(profs) - int(cutoff)):>6} profiles below cutoff")

    def print_typedefs(self, w=0, **print3options):
        """The sizing rule applied to each type seen."""
        stream = print3options.get("file")
        infos = sorted((p[2] for p in self._profiles.values()), key=lambda i: i.name)
        if not infos:
            return
        ind = " " * w
        self._out(stream, f"\n{ind}{len(infos)} types:  kind, flat size from, rule")
        for info in infos:
            if info.const is not None:
                src = f"constant {info.const}"
            elif info.fn is not None:
                src = f"{getattr(info.fn, '__qualname__', '__sizeof__')} + {info.preheader}"
            else:
                src = "sys.getsizeof"
            rule = info.rule.name if info.rule is not None else "-"
            self._out(stream, f"{ind} class {info.name}:  {_KIND_NAMES[info.kind]}, {src}, {rule}")

    def print_stats(self, objs=(), opts={}, sized=(), sizes=(), stats=3, **print3options):  # noqa: B006
        """Print the statistics of what was sized so far (``stats`` 1: summary and largest,
        2: + profiles, 3: + typedefs; a fraction .NN sets the cutoff to NN)."""
        level = int(stats)
        frac = round((stats - level) * 100)
        cutoff = frac or self._cutoff
        self.print_summary(objs=objs, **print3options)
        if level >= 1:
            self.print_largest(cutoff=cutoff, **print3options)
        if level >= 2:
            self.print_profiles(cutoff=cutoff, **print3options)
        if level >= 3:
            self.print_typedefs(**print3options)


# ---------------------------------------------------------------------------
# helpers of the engine
class SizingSession:
    """One sizing context of an :class:`Asizer` (:meth:`Asizer.session`).

    Objects are sized one after the other (:meth:`size`, :meth:`tree`, or many at once
    with :meth:`size_many`); everything one of them reaches counts 0 for the ones
    after it, as for :meth:`Asizer.asizesof`. The ``others`` given to
    :meth:`Asizer.session` are not followed from the objects sized, until each is
    sized itself. What was sized stays counted in the :class:`Asizer` (its ``total``
    and later calls) after the session closes.
    """

    __slots__ = ("_sizer", "_ctx", "_others", "_open")

    def __init__(self, sizer: Asizer, roots=(), others=()):
        self._sizer = sizer
        self._ctx, self._others = sizer._begin(roots, others)
        self._open = True

    def __enter__(self) -> SizingSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the ``others`` not sized from the sizer's counted objects (idempotent)."""
        if self._open:
            self._open = False
            self._sizer._end(self._ctx, self._others)

    def _check(self):
        if not self._open:
            raise ValueError("this sizing session is closed; open another with Asizer.session()")

    def _release(self, obj) -> None:
        """``obj`` is sized now: no longer one of the others kept from being followed."""
        i = id(obj)
        if i in self._others:
            self._others.discard(i)
            self._sizer._seen.discard(i)

    def size(self, obj) -> tuple:
        """``(size, flat)`` of ``obj``: its deep size in this session (0 if counted
        before) and its own (flat) size."""
        self._check()
        self._release(obj)
        sizer = self._sizer
        size = sizer._walk(self._ctx, (obj,))
        return size, (sizer._root_flat if size else 0)

    def tree(self, obj, detail: int) -> Asized:
        """The :class:`Asized` tree of ``obj`` to ``detail`` levels, counted in this
        session (:func:`asized`'s tree: the same children, counting rule and order)."""
        self._check()
        sizer = self._sizer
        if sizer.detail != detail:
            sizer.set(detail=detail)
        self._release(obj)
        return sizer._asized_tree(self._ctx, obj)

    def size_many(self, objs):
        """``(sizes, flats, hiddens)``, lists parallel to ``objs``: what :meth:`size`
        one after the other gives (``hiddens``: the part of each flat size that is an
        instance's values array), in one bulk walk; or ``None`` where the bulk walk
        cannot keep that order or those kinds (nothing was counted then: size them one
        at a time)."""
        self._check()
        res = self._sizer._walk_many(self._ctx, objs, self._others)
        if res is not None:
            self._others.difference_update(map(id, objs))
        return res

    def plain_instances(self, tp) -> bool:
        """Whether instances of ``tp`` are plain instances (no ``__slots__``, no size
        rule) whose attributes may live in a values array: their level-1 tree is the
        instance, its ``'__dict__'`` and its ``'__class__'``."""
        self._check()
        sizer = self._sizer
        info = sizer._info(self._ctx, tp)
        return info.kind == _INST and not _slot_names(tp, self._ctx) and _layout.has_values(None, tp)


class _Reorder(Exception):
    """:meth:`Asizer._walk_many` cannot keep the one-root-at-a-time order."""


def _owned_builtin(f) -> bool:
    """A builtin method bound to a non-module object (e.g. ``[].append``) is owned."""
    try:
        owner = f.__self__
    except _SAFE_CATCH:
        return False
    return owner is not None and not issubclass(type(owner), types.ModuleType)


def _code_refs(co):
    out = []
    for attr in ("co_consts", "co_names", "co_filename", "co_name", "co_qualname", "co_linetable", "co_exceptiontable"):
        try:
            out.append(getattr(co, attr))
        except AttributeError:
            pass
    return out


def _run_labels(runs, ends) -> list:
    """Per object, the root it was reached from (:meth:`Asizer._walk_many`'s runs)."""
    starts = [0]
    starts += ends[:-1]
    return list(chain.from_iterable(map(repeat, runs, map(sub, ends, starts))))


def _labels_runs(labels) -> tuple:
    """``(runs, ends)`` of ascending per-object root labels."""
    counts: dict = {}
    _count_elements(counts, labels)
    return list(counts), list(accumulate(counts.values()))


def _runs_kept(runs, ends, counts) -> tuple:
    """The runs after each object of a level became ``counts[k]`` objects (a keep mask
    of bools, or referent counts); empty runs dropped."""
    acc = list(accumulate(counts, initial=0))
    new_ends = list(map(acc.__getitem__, ends))
    starts = [0]
    starts += new_ends[:-1]
    live = list(map(lt, starts, new_ends))
    if all(live):
        return runs, new_ends
    return list(compress(runs, live)), list(compress(new_ends, live))


def _unique_types(objs, tps=None) -> dict:
    """``{id(type): type}`` of the types of ``objs`` (``tps``: their types, if already
    listed): types are told apart by identity, so a metaclass's ``__hash__``/``__eq__``
    is never called. A few types are peeled off one at a time in C (a pass each, no
    int made per object); many, by id."""
    if tps is None:
        tps = list(map(type, objs))
    out = {}
    rest = tps
    while rest and len(out) < 8:
        tp = rest[0]
        out[id(tp)] = tp
        if all(map(is_, rest, repeat(tp))):
            return out
        rest = list(compress(rest, map(is_not, rest, repeat(tp))))
    if rest:
        out.update(zip(map(id, rest), rest))
    return out


def _group_by_type(objs):
    """``[(type, [objs...])]`` with the work done in C where possible."""
    if len(objs) == 1:
        return ((type(objs[0]), objs),)
    # types are told apart by id: a metaclass's __hash__/__eq__ is never called
    tps = list(map(type, objs))
    uniq = dict(zip(map(id, tps), tps))
    if len(uniq) == 1:
        return ((tps[0], objs),)
    if len(uniq) <= 6:
        return [(tp, list(compress(objs, map(is_, tps, repeat(tp))))) for tp in uniq.values()]
    # many types: split off the most common ones in C, loop over the rest only
    ids = list(map(id, tps))
    counts: dict = {}
    _count_elements(counts, ids)
    big = sorted(counts, key=counts.__getitem__, reverse=True)[:4]
    out = [(uniq[i], list(compress(objs, map(is_, tps, repeat(uniq[i]))))) for i in big]
    isbig = frozenset(big).__contains__
    keep = list(map(not_, map(isbig, ids)))
    groups = {}
    for o, i in zip(compress(objs, keep), compress(ids, keep)):
        g = groups.get(i)
        if g is None:
            groups[i] = (uniq[i], [o])
        else:
            g[1].append(o)
    out.extend(groups.values())
    return out


def _dict_keys(sizer, d, info):
    for _ in range(3):
        try:
            return list(dict.keys(d))
        except RuntimeError:  # changed size during iteration (another thread)
            continue
    sizer._skipped[(info.name, "keys skipped: changed during iteration")] += 1
    return []


def _dict_keys_many(sizer, group, info):
    try:
        return list(chain.from_iterable(map(dict.keys, group)))
    except RuntimeError:
        out = []
        for d in group:
            out += _dict_keys(sizer, d, info)
        return out


def _align_pieces(size, extra, info, align):
    """Round each allocation of an object up to ``align`` bytes."""
    mask = align - 1
    return _round_split(size, extra, info, mask)


def _round_split(size, extra, info, mask):
    """The object's own allocation is its basic size; for fixed-size types anything
    ``__sizeof__`` reports beyond it (list items, dict keys, set table, a Decimal's
    digits, ...) is one more allocation; ``extra`` (instance values) is another."""
    base = info.base or size
    head = min(base, size)
    rest = size - head
    out = (head + mask) & ~mask
    if rest > 0:
        out += (rest + mask) & ~mask
    if extra > 0:
        out += (extra + mask) & ~mask
    elif extra < 0:
        out += extra
    return out




def _slot_names(tp, ctx=None):
    """``[(name, member_descriptor)]`` of the ``__slots__`` along the MRO."""
    if ctx is not None:
        cached = ctx.slots.get(id(tp))
        if cached is None:  # keyed by id: the type is in ctx.alive (a heap type)
            cached = ctx.slots[id(tp)] = _slot_names(tp)
        return cached
    out = []
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except _SAFE_CATCH:
        return out
    for klass in mro:
        try:
            d = type.__dict__["__dict__"].__get__(klass)
        except _SAFE_CATCH:
            continue
        for name, desc in list(d.items()):
            if type(desc) is types.MemberDescriptorType and name not in ("__weakref__",):
                out.append((name, desc))
    return out


# not __dict__ and __annotations__: reading them creates them when missing (the other
# referents are named by repr)
_FUNC_ATTRS = ("__closure__", "__defaults__", "__kwdefaults__", "__doc__", "__name__",
               "__qualname__", "__module__", "__code__", "__globals__", "__builtins__",
               "__type_params__")


def _key_text(key, vclip):
    return clip_text(key if type(key) is str else safe_repr(key, vclip), vclip)


_NO_LABEL = object()


def _label_rule(tp):
    """The ``label`` of the rule that applies to ``tp`` (None: use ``repr``)."""
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except _SAFE_CATCH:
        return None
    for i, klass in enumerate(mro):
        rule = _registry.get(_typename(klass))
        if rule is not None and rule.label is not None and (i == 0 or rule.subclasses):
            return rule.label
    return None


_TEXT_CONTAINERS = (list, tuple, dict, set, frozenset)
_TEXT_CONTAINER_IDS = frozenset(map(id, _TEXT_CONTAINERS))  # by id: no metaclass __eq__ runs


def _container_text(obj, labels, budget, path=()) -> str:
    """``repr`` of an exact builtin container whose items are shown by their texts
    (:func:`_obj_text`: a rule's label instead of, e.g., a DataFrame's repr, which fills
    the frame's caches). Only about ``budget`` characters from each end are made (the
    middle of a long text is elided by :func:`clip_text` anyway); nesting beyond 3
    levels is shown by plain ``repr``."""
    tp = type(obj)
    if id(obj) in path:
        return "[...]" if tp is list else "{...}" if tp is dict else "(...)"
    path = path + (id(obj),)

    def text(x):
        if id(type(x)) in _TEXT_CONTAINER_IDS:
            if len(path) < 3:
                return _container_text(x, labels, budget, path)
            return safe_repr(x, 0)
        return _obj_text(x, 0, labels)

    if tp is dict:
        n = len(obj)
        forward, backward = iter(dict.items(obj)), reversed(dict.items(obj))

        def part(kv):
            return f"{text(kv[0])}: {text(kv[1])}"
    else:
        items = obj if tp is list or tp is tuple else list(obj)  # no copy of a list or tuple
        n = len(items)
        forward, backward = iter(items), reversed(items)
        part = text
    head, used, i = [], 0, 0
    while i < n and used <= budget:
        head.append(part(next(forward)))
        used += len(head[-1]) + 2
        i += 1
    tail, used, j = [], 0, n
    while j > i and used <= budget:
        j -= 1
        tail.append(part(next(backward)))
        used += len(tail[-1]) + 2
    parts = head + ([" ... "] if j > i else []) + tail[::-1]
    inner = ", ".join(parts)
    if tp is list:
        return "[" + inner + "]"
    if tp is tuple:
        return "(" + inner + ("," if n == 1 else "") + ")"
    if tp is dict:
        return "{" + inner + "}"
    if not n:
        return "set()" if tp is set else "frozenset()"
    return "{" + inner + "}" if tp is set else "frozenset({" + inner + "})"


def _obj_text(obj, vclip, labels=None) -> str:
    """A tree's text for ``obj``: its rule's ``label``, else its clipped repr (an exact
    builtin container: with its items' texts)."""
    tp = type(obj)
    if id(tp) in _TEXT_CONTAINER_IDS and _registry:
        try:
            return clip_text(_container_text(obj, labels, vclip if vclip > 0 else 1 << 62), vclip)
        except _SAFE_CATCH:
            return safe_repr(obj, vclip)
    fn = labels.get(id(tp), _NO_LABEL) if labels is not None else _NO_LABEL  # by id: no metaclass __hash__
    if fn is _NO_LABEL:
        fn = _label_rule(tp)
        if labels is not None:
            labels[id(tp)] = fn
    if fn is not None:
        try:
            text = fn(obj)
            if type(text) is str:
                return clip_text(text, vclip)
        except _SAFE_CATCH:
            pass
    return safe_repr(obj, vclip)


def _name_text(name, clip, labels=None) -> str:
    """The text of a tree node's name, which is made only when it is needed (after the
    sizing: ``repr`` may change objects, e.g. pandas fills caches when printed).

    ``name`` is a str, or ``("r", prefix, obj)`` (prefix + the object's text: its
    rule's ``label`` or clipped repr), ``("k", key)`` (``[K] key``) or ``("v", key,
    value)`` (``[V] key: text``). ``labels`` caches the label rule per type.
    """
    if type(name) is not tuple:
        return name
    vclip = max(clip, 1)
    tag = name[0]
    if tag == "r":
        return name[1] + _obj_text(name[2], vclip, labels)
    if tag == "k":
        return "[K] " + _key_text(name[1], vclip)
    return "[V] " + _key_text(name[1], vclip) + ": " + _obj_text(name[2], vclip, labels)


class _Kids:
    """The children of a tree node in counting order, as parallel lists (a node may have
    a million children: no tuple per child, names made only when read).

    ``objs`` the objects; ``names`` a list of name entries (see :func:`_name_text`;
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


def _kids_from(triples) -> _Kids:
    if not triples:
        return _Kids([])
    names, objs, groups = map(list, zip(*triples))
    return _Kids(objs, names, groups)


def _named_refs_of(sizer, o, info, ctx=None) -> _Kids:
    """The named referents of ``o`` in Pympler's conventions, for size trees.

    Names are lazy (:func:`_name_text`); a dict entry's key and value are a group (they
    are shown together, ordered by the entry's total).
    """
    kind = info.kind
    tp = type(o)
    if kind == _RULE and info.rule.named_refs is not None:
        try:
            return _kids_from([(str(n), r, i) for i, (n, r) in enumerate(info.rule.named_refs(o))])
        except _SAFE_CATCH:
            pass
    entries = None
    if kind in (_DICT, _DICTLIKE):
        items = []
        if kind == _DICT:
            for _ in range(3):
                try:
                    items = list(dict.items(o))
                    break
                except RuntimeError:
                    continue
        else:
            try:
                items = list(o.items())
            except _SAFE_CATCH:
                items = []
        if tp is dict and _layout.split_dict_correction(o) is not None:  # the class owns the keys
            keys = list(map(itemgetter(0), items))
            objs = list(chain.from_iterable(zip(repeat(_SHARED), map(itemgetter(1), items))))
        else:
            objs = list(chain.from_iterable(items))
            keys = objs[0::2]
        entries = _Kids(objs, None, "pairs", keys)
        if kind == _DICTLIKE or not _layout.managed_layout(tp):
            return entries
    out = [] if entries is None else entries.triples()
    if kind in (_INST, _DICT) and _layout.managed_layout(tp):
        referents = _get_referents(o)
        names = _layout.attribute_names(o, tp, None if ctx is None else ctx.names)
        if names is not None:
            byaddr = {id(r): r for r in referents}
            pairs = []
            for aname, addr in names:
                if addr in byaddr:
                    pairs.append((aname, byaddr[addr]))
            objs = list(chain.from_iterable((_SHARED, v) for _, v in pairs))  # the class's shared keys own the keys
            extra = _layout.instances_hidden([o], tp)[0]
            out.append(("__dict__", _Part(extra, _Kids(objs, None, "pairs", [a for a, _ in pairs])), len(out)))
        else:
            for r in referents:
                if type(r) is dict and kind == _INST:
                    out.append(("__dict__", r, len(out)))
        out.append(("__class__", tp, len(out)))
        for sname, desc in _slot_names(tp, ctx):
            try:
                out.append((sname, desc.__get__(o, tp), len(out)))
            except _SAFE_CATCH:
                pass
        return _kids_from(out)
    if kind == _REFS and tp.__flags__ & (1 << 9):  # heap type: slots, __dict__
        for sname, desc in _slot_names(tp, ctx):
            try:
                out.append((sname, desc.__get__(o, tp), len(out)))
            except _SAFE_CATCH:
                pass
        named = {id(v) for _, v, _ in out}
        for r in _get_referents(o):
            if id(r) in named:
                continue
            if r is tp:
                out.append(("__class__", r, len(out)))
            elif type(r) is dict:
                out.append(("__dict__", r, len(out)))
            else:
                out.append((("r", "", r), r, len(out)))
        return _kids_from(out)
    if tp is types.FunctionType:
        refs = _get_referents(o)
        ids = {id(r): r for r in refs}
        for attr in _FUNC_ATTRS:
            try:
                val = getattr(o, attr)
            except AttributeError:
                continue
            if val is not None and id(val) in ids:
                out.append((attr, ids.pop(id(val)), len(out)))
        for r in ids.values():
            out.append((("r", "", r), r, len(out)))
        return _kids_from(out)
    if tp is types.CellType:
        try:
            return _Kids([o.cell_contents], ["cell_contents"])
        except ValueError:
            return _Kids([])
    for base in _SEQUENCES:
        if issubclass(tp, base):  # in order (gc.get_referents of a list is reversed)
            try:
                items = list(base.__iter__(o))
            except _SAFE_CATCH:
                break
            if tp.__flags__ & (1 << 9):
                named = set(map(id, items))
                more = [r for r in _get_referents(o) if id(r) not in named]
                return _Kids(items + more, [None] * len(items) + ["__class__" if r is tp else None for r in more])
            return _Kids(items)
    refs = sizer._refs_of(o, info) if kind not in (_ATOM, _IGNORE) else []
    return _Kids(list(refs))


_EXACT_COVERED = frozenset({list, tuple, set, frozenset, dict, __import__("collections").deque})
_EXACT_COVERED_IDS = frozenset(map(id, _EXACT_COVERED))  # by id: no metaclass __hash__ runs


def _part_objs(kids: _Kids):
    return [r for r in kids.objs if r is not _SHARED]


def _tree_refs(sizer, o, info, ctx=None) -> _Kids:
    """The children of ``o`` in a size tree, in counting order.

    First the parts a ``children`` rule names (see :func:`register`: a DataFrame's
    columns and index), then the named referents in Pympler's conventions (attributes,
    ``[K]``/``[V]`` dict entries, slots, items; an instance with a ``children`` rule shows
    its attributes directly, not under ``'__dict__'``), then every other referent the
    sizing walk follows that is not named yet (e.g. the fields of a C base class), so
    that the children reach everything ``o`` reaches and the sizes add up to
    :func:`asizeof`. Objects named twice count at the first place (counting order);
    names are lazy (:func:`_name_text`).
    """
    out = []
    hook = info.tree
    if hook is not None:
        try:
            for name, ref in hook(o):
                if ref is not None:
                    out.append((name if type(name) is str else str(name), ref, len(out)))
        except _SAFE_CATCH as exc:
            sizer._skipped[(info.name, f"children rule raised {type(exc).__name__}")] += 1
            out = []
    generic = _named_refs_of(sizer, o, info, ctx)
    covered = set()
    if out:  # the generic children the rule did not name, attributes by name
        for _, r, _ in out:
            if type(r) is _Part:
                covered.update(map(id, r.kids.objs))
            else:
                covered.add(id(r))
        g = len(out)
        for name, ref, _ in generic.triples():
            if type(ref) is _Part:  # the values array stays in the flat size
                pk = ref.kids
                if pk.groups == "pairs":
                    pairs = [(pk.keys[i >> 1] if type(pk.keys[i >> 1]) is str else ("r", "", pk.keys[i >> 1]),
                              pk.objs[i]) for i in range(1, len(pk.objs), 2)]
                else:
                    pairs = list(zip(pk.names or [None] * len(pk), pk.objs))
            else:
                pairs = [(name, ref)]
            for n, r in pairs:
                if r is not _SHARED and id(r) not in covered:
                    covered.add(id(r))
                    out.append((n, r, g))
                    g += 1
        kids = _kids_from(out)
    else:
        kids = generic
        if id(type(o)) in _EXACT_COVERED_IDS:
            return kids
        covered.update(map(id, kids.objs))
        for r in kids.objs:
            if type(r) is _Part:
                covered.update(map(id, r.kids.objs))
    missing = [r for r in sizer._followed(o, info) if r is not None and id(r) not in covered]
    if missing:
        seen_ids = set()
        missing = [r for r in missing if not (id(r) in seen_ids or seen_ids.add(id(r)))]
        names = kids.names if kids.names is not None else [None] * len(kids.objs)
        if kids.groups is None:
            groups = None
        else:
            groups = kids.group_ids()
            if kids.names is None and kids.groups == "pairs":
                names = [kids.name(i) for i in range(len(kids.objs))]
            top = max(groups, default=-1) + 1
            groups = list(groups) + list(range(top, top + len(missing)))
        kids = _Kids(kids.objs + missing, names + [None] * len(missing), groups)
    return kids


_SEQUENCES = (list, tuple, set, frozenset, __import__("collections").deque)


class _Part:
    """A child of a tree node that is part of it rather than an object of its own: the
    attributes of an instance whose ``__dict__`` does not exist (its values array is
    ``flat``, taken out of the instance's flat size), shown as ``'__dict__'``; a field of
    a record array. ``kids`` is a :class:`_Kids`."""

    __slots__ = ("flat", "kids")

    def __init__(self, flat, kids):
        self.flat = flat
        self.kids = kids if type(kids) is _Kids else _Kids(list(kids))


_SHARED = object()  # marks a referent owned elsewhere (shared keys of a class)


# ---------------------------------------------------------------------------
# module-level API
def _sizer(opts, allowed_all=False):
    if not allowed_all and "all" in opts:
        raise KeyError(f"invalid option: reset(all={opts['all']!r})")
    return Asizer(**opts)


def asizeof(*objs, **opts):
    """Combined deep size in bytes of ``objs`` (objects reachable from several counted once).

    Options (defaults): ``above=1024, align=1, clip=80, code=False, cutoff=10,
    derive=False, detail=0, frames=False, ignored=True, infer=False, limit=None,
    stats=0``; ``all=True`` with no objects sizes every object the gc knows, including
    modules, globals and frames. Unknown options raise ``KeyError``.

    >>> asizeof([1.5, 2.5]) == sys.getsizeof([1.5, 2.5]) + 2 * sys.getsizeof(1.5)
    True
    """
    all_ = opts.pop("all", False)
    if all_ and not objs:
        opts.setdefault("ignored", False)
        opts.setdefault("frames", True)
        opts.setdefault("code", True)
        sizer = _sizer(opts)
        objs = gc.get_objects()
        try:
            return sizer.asizeof(*objs)
        finally:
            objs = None
    if opts:
        return _sizer(opts).asizeof(*objs)
    # default options: one sizer per thread, its state cleared (not rebuilt) per call
    sizer = getattr(_sizer_local, "sizer", None)
    if sizer is None or sizer._busy:
        sizer = Asizer()
        if getattr(_sizer_local, "sizer", None) is None:
            _sizer_local.sizer = sizer
    else:
        sizer._clear_state()
    sizer._busy = True
    try:
        return sizer.asizeof(*objs)
    finally:
        sizer._busy = False
        sizer._clear_state()  # keep nothing between calls: no observer effect


_sizer_local = threading.local()


def asizesof(*objs, **opts):
    """Deep size of each object in a tuple; references to the other given objects are
    not followed, so the sizes add up to ``asizeof(*objs)`` for distinct objects."""
    return _sizer(opts).asizesof(*objs)


def asized(*objs, **opts):
    """:class:`Asized` of one object, a tuple of them for several, ``()`` for none."""
    res = _sizer(opts).asized(*objs)
    if len(res) == 1:
        return res[0]
    return res


def flatsize(obj, align=0, **opts):
    """Own bytes of ``obj`` (``sys.getsizeof`` plus hidden allocations), rounded to ``align``.

    Unlike :func:`asizeof` this counts the object even if it is of an ignored kind
    (a class, a module, a code object): it answers "how big is this one object".
    """
    _check_align(align)
    if opts:
        sizer = _sizer(opts)
    else:  # one light sizer per thread: flatsize is called per node by graph walks
        sizer = getattr(_flat_local, "sizer", None)
        if sizer is None:
            sizer = _flat_local.sizer = Asizer()
        sizer._seen.clear()
        sizer._claimed.clear()  # shared buffers (Arrow) are claimed per call, not once per thread
    tp = type(obj)
    info = sizer._classify(tp)
    if info.kind == _IGNORE:
        info = _TypeInfo(_REFS, tp, name=info.name)
    sizes = sizer._flat_sizes([obj], info)
    if info.fn is _INT_SIZEOF and sizes[0] == _INT_ONE_DIGIT:
        sizes[0] += _INT_FIX
    split = [_layout.split_dict_correction(obj)] if tp is dict else None
    extra = sizer._hidden([obj], info, split)
    if align > 1:
        return _align_pieces(sizes[0], extra, info, align)
    return sizes[0] + extra


_flat_local = threading.local()


def basicsize(obj, **opts):
    """Basic size of ``obj``'s type including the GC header and managed pre-header."""
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    return _tp_basicsize(tp) + _layout.preheader_size(tp)


def itemsize(obj, **opts):
    """Size of one item of ``obj`` (pointer size for list/set/dict-like out-of-line tables)."""
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    if _tp_itemsize(tp):
        return _tp_itemsize(tp)
    if issubclass(tp, (list, dict, set, frozenset)):
        return _PTR
    if issubclass(tp, (bytearray,)):
        return 1
    try:
        import array as _array

        if issubclass(tp, _array.array):
            return _array.array.itemsize.__get__(obj)
    except ImportError:  # pragma: no cover
        pass
    return 0


def leng(obj, **opts):
    """Number of items ``obj`` has room for (allocated slots), or None if it has no items.

    ``leng(int)`` is the number of 30-bit digits; ``leng(list)`` includes over-allocation.
    """
    _sizer({k: v for k, v in opts.items() if k not in ("save",)})
    tp = type(obj)
    try:
        if issubclass(tp, bool):
            return None
        if issubclass(tp, int):
            return max(1, (abs(int(obj)).bit_length() + 29) // 30)
        # lengths are read by the C-level __len__ of the builtin base: a subclass's
        # __len__ may return anything (sys.maxsize) or raise
        if issubclass(tp, str):
            return str.__len__(obj) + 1
        for base in (list, set, frozenset, bytearray, dict):
            if issubclass(tp, base):
                n = base.__len__(obj)
                if base is dict:
                    return n
                basic = _tp_basicsize(tp) + _layout.preheader_size(tp)
                isz = itemsize(obj) or 1
                return max(n, (flatsize(obj) - basic) // isz)
        if _tp_itemsize(tp):  # variable-size objects: their ob_size, from the layout
            return max(0, (object.__sizeof__(obj) - _tp_basicsize(tp)) // _tp_itemsize(tp))
    except _SAFE_CATCH:
        return None
    return None


def refs(obj, **opts):
    """The referents deep sizing follows from ``obj`` (a list; empty if none)."""
    sizer = _sizer(opts)
    ctx = _Ctx(sizer)
    info = sizer._classify(type(obj))
    if not sizer._enabled(info):
        return []
    out = sizer._refs_of(obj, info)
    skip = ctx.ignore - _STATIC_IDS  # module globals are not followed
    return [r for r in out if id(r) not in skip]


def named_refs(obj, **opts):
    """``[(name, referent)]``: the named referents of ``obj`` (attributes, keys, slots).

    Instances whose ``__dict__`` was never materialized list their attributes by name
    (it is not created to list them).
    """
    sizer = _sizer(opts)
    info = sizer._classify(type(obj))
    out = []
    clip = sizer._clip
    ctx = _Ctx(sizer)
    kids = _tree_refs(sizer, obj, info, ctx)
    for i, ref in enumerate(kids.objs):
        if type(ref) is _Part:
            pk = ref.kids
            for j, val in enumerate(pk.objs):
                vname = pk.name(j)
                if type(vname) is tuple and vname[0] == "v":
                    out.append((_key_text(vname[1], max(clip, 1)), val))
        else:
            out.append((_name_text(kids.name(i), clip), ref))
    return out


# third-party rules (numpy, pandas, pyarrow) register themselves by name
from . import _thirdparty  # noqa: E402,F401
