"""Sizing rules: the kinds of objects, :class:`SizeRule` and its registry, and the
per-type classification (:class:`TypeInfo`) the walker reads."""

from __future__ import annotations

import sys
import threading
import types

from . import _layout
from ._layout import type_basicsize as _tp_basicsize
from ._format import class_name
from .flatsize import C_METHODS, INT_FIX, INT_ONE_DIGIT, SAFE_CATCH, c_sizeof, own_sizeof, spare_item
from ._layout import type_itemsize as _tp_itemsize

_getsizeof = sys.getsizeof

# ---------------------------------------------------------------------------
# kinds of types
IGNORE = 0  # size 0, not traversed
ATOM = 1  # flat = getsizeof, no referents
REFS = 2  # flat = getsizeof, referents = get_referents
DICT = 3  # flat = getsizeof (+ split-table fix), referents = keys + values (+ gc)
INST = 4  # managed-dict instance: + hidden values / dict
RULE = 5  # registered rule
CLASS = 6  # class objects: ignored unless code=True and heap type
CODE = 7  # code objects: ignored unless code=True
FRAME = 8  # frames: ignored unless frames=True
BUILTIN = 9  # builtin function/method: ignored if bound to a module or unbound
DICTLIKE = 10  # adict()/infer: sized like dict via .items()

KIND_NAMES = {
    IGNORE: "ignored",
    ATOM: "atom",
    REFS: "referents",
    DICT: "dict",
    INST: "instance",
    RULE: "rule",
    CLASS: "class",
    CODE: "code",
    FRAME: "frame",
    BUILTIN: "builtin",
    DICTLIKE: "dict-like",
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
IGNORE_TYPES = (
    type(None),
    bool,
    type(Ellipsis),
    type(NotImplemented),
    types.ModuleType,
)


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
STATIC_IDS = frozenset(map(id, _STATIC_OBJS))


def is_static(obj: object) -> bool:
    """Whether ``obj`` is one of the objects the interpreter allocates once at start-up
    and shares (a cached small int, a one-character string, ``()``...): nothing the
    user's code can release.

    >>> is_static(7), is_static(()), is_static([])
    (True, True, False)
    """
    return id(obj) in STATIC_IDS

ATOM_IDS = frozenset(map(id, _ATOM_TYPES))
HEAPTYPE = 1 << 9
HAVE_GC = 1 << 14
# A one-digit int made by arithmetic or PyLong_FromLong is allocated as
# sizeof(PyLongObject) = 32 bytes while int.__sizeof__ says 28 (3.11-3.13, 64-bit);
# pymalloc gives 32 bytes to both, so 32 is what such an int costs.
INT_SIZEOF = int.__sizeof__
INT_FIXED = {INT_ONE_DIGIT: INT_ONE_DIGIT + INT_FIX}  # size -> fixed size, by dict.get in C
# exact types whose sys.getsizeof is their flat size (C __sizeof__, no gc header) and
# whose sizes never equal a one-digit int's but for ints (the int fix is by size)
PLAIN_ATOM_IDS = frozenset(
    id(tp) for tp, x in ((int, 1), (float, 1.5), (str, ""))
    if not _getsizeof(x) - x.__sizeof__() and (tp is int or x.__sizeof__() != INT_ONE_DIGIT)
)



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


rule_registry: dict[str, SizeRule] = {}
registry_version = [0]  # bumped by register/unregister/adict: invalidates STATIC_INFO
STATIC_INFO: dict = {}
_STATIC_TOKENS: dict = {}


def static_token(ignored: bool, infer: bool) -> tuple:
    """What a static type's TypeInfo depends on besides the type (the key of
    ``STATIC_INFO`` without it), one object per value: the C walk keeps the plans of
    static types across calls under it, compared by identity."""
    key = (bool(ignored), bool(infer), registry_version[0])
    token = _STATIC_TOKENS.get(key)
    if token is None:
        if len(_STATIC_TOKENS) > 64:  # old registry versions: never asked again
            _STATIC_TOKENS.clear()
        token = _STATIC_TOKENS[key] = key
    return token
_registry_lock = threading.Lock()
dictlike_names: set[str] = set()


def register(name, *, flat=None, refs=None, named_refs=None, children=None, label=None, subclasses=True):
    """Teach the sizer the true size of a type, by its ``'module.QualName'``.

    Examples
    --------
    A wrapper that owns a native buffer of ``obj.nbytes`` bytes that CPython cannot see
    (a library registers its own ``'mylib.NativeBuffer'`` by name, without importing it):

    >>> from pympler_nb.core.asizeof import asizeof, register, unregister
    >>> class NativeBuffer:
    ...     def __init__(self, nbytes):
    ...         self.nbytes = nbytes
    >>> asizeof(NativeBuffer(10_000)) < 10_000
    True
    >>> register(NativeBuffer,
    ...          flat=lambda obj, claim: sys.getsizeof(obj) + obj.nbytes,
    ...          refs=lambda obj: ())
    <SizeRule pympler_nb.core._sizerules.NativeBuffer>
    >>> asizeof(NativeBuffer(10_000)) > 10_000
    True
    >>> unregister(NativeBuffer)

    Returns the :class:`SizeRule`; a later registration of the same name replaces it.
    """
    if isinstance(name, type):
        name = class_name(name)
    rule = SizeRule(name, flat, refs, named_refs, subclasses, children, label)
    with _registry_lock:
        rule_registry[name] = rule
        registry_version[0] += 1
    return rule


def unregister(name) -> None:
    """Remove the rule for ``name`` (a type or its ``'module.QualName'``)."""
    if isinstance(name, type):
        name = class_name(name)
    with _registry_lock:
        if name not in rule_registry:
            raise KeyError(f"no size rule registered for {name!r}; see registered()")
        del rule_registry[name]
        registry_version[0] += 1


def registered() -> dict:
    """The registered rules, ``{'module.QualName': SizeRule}`` (a copy)."""
    with _registry_lock:
        return dict(rule_registry)


def rule_for(tp, mro=None):
    """The registered :class:`SizeRule` that changes how ``tp`` is sized (its own name
    first, then its bases' where ``subclasses``; tree-only rules are passed over), or
    None.  ``mro`` is ``tp``'s MRO if known.

    The heap walk uses it to follow a rule's ``refs``
    (:func:`pympler_nb.core._thirdparty.hidden_refs_rules`); the sizer's classification
    makes the same choice while also picking the first ``children=`` rule for trees.
    """
    if not rule_registry:
        return None
    if mro is None:
        try:
            mro = type.__dict__["__mro__"].__get__(tp)
        except SAFE_CATCH:
            mro = (tp,)
    for i, klass in enumerate(mro):
        rule = rule_registry.get(class_name(klass))
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
            dictlike_names.add(class_name(cls))
            registry_version[0] += 1
        else:
            ok = False
    return ok


amapped_setting = [0.01]


def amapped(percentage=None) -> float:
    """Get (and set) the share of a memory-mapped file (``mmap``, ``numpy.memmap``) counted.

    Mapped pages live in the page cache, not in the heap, so by default only 1% is
    counted. ``percentage`` is a number from 0 to 100. Returns the previous percentage.
    """
    prev = amapped_setting[0] * 100.0
    if percentage is not None:
        try:
            pct = float(percentage)
        except (TypeError, ValueError):
            raise ValueError(f"amapped(percentage={percentage!r}): give a number from 0 to 100") from None
        if not 0.0 <= pct <= 100.0:
            raise ValueError(f"amapped(percentage={percentage!r}): give a number from 0 to 100")
        amapped_setting[0] = pct / 100.0
    return prev


class TypeInfo:
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
        if tp is not None and kind not in (IGNORE,):
            self.managed = _layout.managed_layout(tp)
            basic, isize = _tp_basicsize(tp), _tp_itemsize(tp)
            if not isize:  # fixed-size: anything beyond is another allocation
                self.base = basic + _layout.preheader_size(tp)
            spare = spare_item(tp)  # PyType_GenericAlloc allocates nitems + 1 items
            if spare is not None:
                self.varfix = isize
                self.basefix = spare[0] - isize
            self.preheader = _layout.preheader_size(tp)
            fn = c_sizeof(tp)
            if fn is object.__sizeof__ and not isize:
                self.const = basic + self.preheader
            self.fn = fn
            if self.varfix:
                self.const = None
            # a heap type whose own __sizeof__ is Python (or a Mock proxy), or a C function
            # that is not a method of a C type (``__sizeof__ = abs``, Cython): per object,
            # each result validated by _flat_one
            self.checked = fn is not None and (fn is not own_sizeof(tp)
                                               or type(fn) not in C_METHODS)


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
            except SAFE_CATCH:
                pass
    return md


# The exact types of the objects whose ids :func:`ignore_ids` holds (the statics and the
# module dicts): the C walk asks ``ignore`` about objects of these types only. Keep it in
# step with what ``ignore_ids`` puts in.
IGNORE_ID_TYPES = tuple({id(t): t for t in [*map(type, _STATIC_OBJS), dict]}.values())

# [sys.modules key, ids never followed (statics + module dicts)]; built at import and
# updated in place, so that sizing leaves no memory behind
_ignore_cache = [_modules_key(), set(STATIC_IDS) | _module_dict_ids()]


def ignore_version(ignore) -> object:
    """What changes whenever the content of ``ignore`` (an :func:`ignore_ids` set) changes
    but not its size: the ``sys.modules`` key it was refreshed for (the C walk keeps a copy)."""
    return _ignore_cache[0] if ignore is _ignore_cache[1] else 0


def ignore_ids(ignored: bool):
    """Ids never followed as referents: statics, and (with ``ignored``) module
    ``__dict__``s — refreshed in place when ``sys.modules`` changes shape."""
    if not ignored:
        return STATIC_IDS
    key = _modules_key()
    if key is None or _ignore_cache[0] != key:
        fresh = _module_dict_ids()
        fresh |= STATIC_IDS
        cached = _ignore_cache[1]
        cached.difference_update(cached - fresh)  # in place: no new table while sizing
        cached.update(fresh - cached)
        _ignore_cache[0] = key
    return _ignore_cache[1]


