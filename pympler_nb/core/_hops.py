"""Hops: how one object refers to the next, named in a user's terms (``['k']``, ``.attr``,
``[3]``, `` → cached f(5)``), and chains of them rendered as one path.

Part of the reference-graph engine (:mod:`._graphwalk` is its facade). Labels are
computed without side effects on the objects: an instance's ``__dict__`` is never
materialized, properties and other Python-level descriptors are never called.
Standard library only.
"""

from __future__ import annotations

import collections
import functools
import types
import warnings

from . import _layout
from ._format import clip_text, safe_repr
from .gcsafe import get_referents
from .values import Frozen

_MISSING = object()
_ModuleType = types.ModuleType
module_dict = types.ModuleType.__dict__["__dict__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_name_get = type.__dict__["__name__"].__get__
_type_module_get = type.__dict__["__module__"].__get__

#: Descriptor types whose ``__get__`` is harmless C code (no user code runs).
_SAFE_NONDATA = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    staticmethod,
    classmethod,
)

#: C-level getters that only return a stored pointer (never allocate, never run code).
_SAFE_GETSETS: dict[type, tuple[str, ...]] = {
    types.FunctionType: ("__code__", "__defaults__", "__kwdefaults__", "__name__", "__qualname__"),
    types.MethodType: ("__func__", "__self__"),
    types.TracebackType: ("tb_next", "tb_frame"),
    BaseException: ("args", "__traceback__", "__context__", "__cause__"),
    property: ("fget", "fset", "fdel"),
    staticmethod: ("__func__",),
    classmethod: ("__func__",),
}

CO_OPTIMIZED = 0x0001


def flat_size(obj: object) -> int:
    """Flat size of ``obj`` in bytes (the project's :func:`asizeof.flatsize`)."""
    from .asizeof import flatsize  # lazy: the sizing core is a sibling module

    return flatsize(obj)


def deep_size(obj: object) -> int:
    """Deep size of ``obj`` in bytes (the project's :func:`asizeof.asizeof`)."""
    from .asizeof import asizeof

    return asizeof(obj)


# ---------------------------------------------------------------------------
# Hops: how one object refers to the next, in user terms
# ---------------------------------------------------------------------------

#: Hop kinds and how they render after the holder's expression.
HOP_KINDS = (
    "key",  # dict value: holder['k']
    "dictkey",  # the object is a key of the dict
    "index",  # list/tuple/deque item: holder[3]
    "member",  # set/frozenset member
    "attr",  # attribute (slot, inline value, instance dict entry, C field): holder.name
    "dict",  # the holder's __dict__ (merged with the next key hop into .name)
    "frame",  # traceback/generator -> frame
    "local",  # frame/generator local variable
    "closure",  # function -> closure cell
    "cell",  # cell -> contents
    "tb_next",  # traceback -> next traceback (collapsed when rendered)
    "cache",  # functools.lru_cache wrapper -> a cached entry (or its cache dict)
    "default",  # a function's default argument (the __defaults__ item / __kwdefaults__ value)
    "ref",  # a reference pympler_nb cannot name
)


class Hop(Frozen):
    """One reference, from a holder to the object it holds, labelled in user terms.

    Attributes
    ----------
    kind : str
        One of :data:`HOP_KINDS`.
    name : str or None
        The bare name: the key's clipped repr, the attribute or local name, the index.
    text : str
        How the hop renders after the holder's path: ``"['k']"``, ``".attr"``,
        ``"[3]"``, ``" local arr"``...
    """

    __slots__ = ("kind", "name", "text", "_expr")

    def __init__(self, kind: str, name: str | None, text: str, expr: bool | None = None):
        if kind not in HOP_KINDS:
            raise ValueError(f"unknown hop kind {kind!r}; expected one of {HOP_KINDS}")
        self._set(kind=kind, name=name, text=text, _expr=expr)

    @property
    def is_expression(self) -> bool:
        """True if ``text`` is a valid Python suffix (``.a``, ``['k']``, ``[3]``)."""
        if self._expr is not None:
            return self._expr
        return self.kind in ("key", "index", "attr", "dict", "cell") and (
            self.kind != "attr" or (self.name is not None and self.name.isidentifier())
        )

    def __eq__(self, other):
        if not isinstance(other, Hop):
            return NotImplemented
        return (self.kind, self.name, self.text) == (other.kind, other.name, other.text)

    def __hash__(self):
        return hash((self.kind, self.name, self.text))

    def __repr__(self):
        return f"<Hop {self.kind} {self.text!r}>"

    def __str__(self):
        return self.text


_LITERAL_KEYS = (str, int, float, bool, bytes, type(None))


def key_hop(key: object) -> Hop:
    """``['k']``; a valid expression only if the key is a literal shown in full."""
    text = safe_repr(key, clip=40)
    literal = type(key) in _LITERAL_KEYS and text == repr(key)
    return Hop("key", text, f"[{text}]", expr=literal)


def attr_hop(name: str) -> Hop:
    return Hop("attr", name, f".{name}" if name.isidentifier() else f".<{name}>")




def _attr_hits(names, get, wanted: set[int], found: dict[int, Hop]) -> bool:
    """``.name`` hops: for each of ``names``, ``get(name)`` (a name whose getter raises is
    passed over); a value whose id is wanted and not yet found gets ``attr_hop(name)``.
    True once every wanted id is found."""
    for name in names:
        try:
            value = get(name)
        except Exception:  # noqa: BLE001 - an unset slot, a getter that refuses
            continue
        vid = id(value)
        if vid in wanted and vid not in found:
            found[vid] = attr_hop(name)
            if len(found) >= len(wanted):
                return True
    return len(found) >= len(wanted)


def _frame_text(frame: object) -> str:
    try:
        code = frame.f_code
        return f"{code.co_name}()"
    except Exception:  # noqa: BLE001 - a frame-like object that lies
        return "?()"


class Labeller:
    """Finds hop labels; caches per-type attribute candidates for one walk."""

    __slots__ = ("_cands", "_keys")

    def __init__(self):
        self._cands: dict[int, tuple] = {}
        self._keys: dict = {}  # shared-keys names, for _layout.attribute_names

    # -- attribute names of instances, without materializing __dict__ -------

    def _type_info(self, tp: type):
        """(candidate names, mro namespaces, has __dict__ slot, slot descriptors)."""
        key = id(tp)
        info = self._cands.get(key)
        if info is not None and info[0] is tp:
            return info[1]
        try:
            mro = _type_mro(tp)
        except Exception:  # noqa: BLE001
            mro = (tp,)
        namespaces = []
        names: set[str] = set()
        members: list[tuple[str, object]] = []
        has_dict = False
        codes: list[types.CodeType] = []
        for klass in mro:
            try:
                ns = _type_dict(klass)
            except Exception:  # noqa: BLE001
                continue
            namespaces.append(ns)
            if klass is object:
                continue
            for name, value in list(ns.items()):
                vt = type(value)
                if vt is types.MemberDescriptorType:
                    members.append((name, value))
                elif name == "__dict__" and vt is types.GetSetDescriptorType:
                    has_dict = True
                elif vt is types.FunctionType:
                    codes.append(value.__code__)
                elif vt is staticmethod or vt is classmethod:
                    func = value.__func__
                    if type(func) is types.FunctionType:
                        codes.append(func.__code__)
                elif vt is property:
                    for acc in (value.fget, value.fset, value.fdel):
                        if type(acc) is types.FunctionType:
                            codes.append(acc.__code__)
            ann = ns.get("__annotations__")
            if type(ann) is dict:
                names.update(k for k in ann if type(k) is str)
            fields = ns.get("__match_args__")
            if type(fields) is tuple:
                names.update(k for k in fields if type(k) is str)
        seen_codes: set[int] = set()
        while codes:  # iterative over nested code objects
            code = codes.pop()
            if id(code) in seen_codes:
                continue
            seen_codes.add(id(code))
            names.update(code.co_names)
            codes.extend(c for c in code.co_consts if type(c) is types.CodeType)
        info = (tuple(sorted(names)), tuple(namespaces), has_dict, tuple(members))
        self._cands[key] = (tp, info)
        return info

    @staticmethod
    def _class_attr(namespaces, name):
        for ns in namespaces:
            if name in ns:
                return ns[name]
        return _MISSING

    def _instance_attr(self, obj, name, namespaces):
        """``obj.name`` from the instance storage only; never runs user code."""
        cls_attr = self._class_attr(namespaces, name)
        if cls_attr is not _MISSING:
            ct = type(cls_attr)
            try:
                if hasattr(ct, "__set__") or hasattr(ct, "__delete__"):
                    return _MISSING  # data descriptor (property, slot): handled elsewhere
                if hasattr(ct, "__get__") and not issubclass(ct, _SAFE_NONDATA):
                    return _MISSING  # a Python-level descriptor could run user code
            except Exception:  # noqa: BLE001 - a metaclass that raises on lookup
                return _MISSING
        try:
            return object.__getattribute__(obj, name)
        except Exception:  # noqa: BLE001
            return _MISSING

    def _instance_hops(self, obj, wanted: set[int], found: dict[int, Hop]):
        tp = type(obj)
        names, namespaces, has_dict, members = self._type_info(tp)
        slots = dict(members)
        if _attr_hits(slots, lambda n: slots[n].__get__(obj, tp), wanted, found):  # (an unset slot raises)
            return
        # exact names of inline/managed values, read from the class's shared keys
        attrs = _layout.attribute_names(obj, tp, self._keys)
        if attrs:
            for name, addr in attrs:
                if addr in wanted and addr not in found:
                    found[addr] = attr_hop(name)
            if len(found) >= len(wanted):
                return
        if _attr_hits(names, lambda n: self._instance_attr(obj, n, namespaces), wanted, found):
            return
        if has_dict:
            for ref in get_referents(obj):
                rid = id(ref)
                if rid in wanted and rid not in found and type(ref) is dict:
                    if self._looks_like_instance_dict(obj, ref, namespaces):
                        found[rid] = Hop("dict", "__dict__", ".__dict__")
        if len(found) < len(wanted):
            self._getset_hops(obj, tp, wanted, found)

    def _getset_hops(self, obj, tp, wanted, found):
        """Attributes that an extension type (Cython: pandas' BlockManager.blocks, Block.values)
        keeps in C fields and shows through getset descriptors of its own module."""
        try:
            mro = _type_mro(tp)
        except Exception:  # noqa: BLE001
            return
        for klass in mro:
            try:
                module = klass.__module__
                if type(module) is not str or module == "builtins" or module.startswith(("numpy", "pyarrow")):
                    continue  # their getters build objects (frame.f_locals, ndarray.ctypes, Arrow wrappers)
                ns = _type_dict(klass)
            except Exception:  # noqa: BLE001
                continue
            getsets = {name: descr for name, descr in list(ns.items())
                       if type(descr) is types.GetSetDescriptorType and type(name) is str
                       and not name.startswith("__")}
            with warnings.catch_warnings():  # a deprecated getter must not warn the user
                warnings.simplefilter("ignore")
                hit = _attr_hits(getsets, lambda n, getsets=getsets: getsets[n].__get__(obj, tp), wanted, found)
            if hit:
                return

    def _looks_like_instance_dict(self, obj, d: dict, namespaces) -> bool:
        checked = 0
        for key, value in dict.items(d):
            if type(key) is not str:
                return False
            got = self._instance_attr(obj, key, namespaces)
            if got is _MISSING:
                continue
            if got is not value:
                return False
            checked += 1
            if checked >= 4:
                break
        return True

    # -- all kinds of holders -------------------------------------------------

    def hops(self, holder: object, wanted: set[int]) -> dict[int, Hop]:
        """Map each id in ``wanted`` that ``holder`` refers to onto a :class:`Hop`."""
        found: dict[int, Hop] = {}
        if not wanted:
            return found
        nwanted = len(wanted)

        def add(value, hop):
            vid = id(value)
            if vid in wanted and vid not in found:
                found[vid] = hop

        tp = type(holder)
        if issubclass(type(holder), dict):
            for key, value in dict.items(holder):
                vid = id(value)
                if vid in wanted and vid not in found:
                    found[vid] = key_hop(key)
                kid = id(key)
                if kid in wanted and kid not in found:
                    text = safe_repr(key, clip=40)
                    found[kid] = Hop("dictkey", text, f" (key {text})")
                if len(found) >= nwanted:
                    return found
        elif issubclass(type(holder), (list, tuple)):
            it = list.__iter__(holder) if issubclass(type(holder), list) else tuple.__iter__(holder)
            fields = None
            if issubclass(type(holder), tuple) and tp is not tuple:
                fields = getattr(tp, "_fields", None)  # namedtuple: .field instead of [i]
                if not (type(fields) is tuple and all(type(f) is str for f in fields)):
                    fields = None
            for i, value in enumerate(it):
                vid = id(value)
                if vid in wanted and vid not in found:
                    if fields is not None and i < len(fields):
                        found[vid] = attr_hop(fields[i])
                    else:
                        found[vid] = Hop("index", str(i), f"[{i}]")
                    if len(found) >= nwanted:
                        return found
        elif issubclass(type(holder), (set, frozenset)):
            it = set.__iter__(holder) if issubclass(type(holder), set) else frozenset.__iter__(holder)
            for value in it:
                add(value, Hop("member", None, " (set member)"))
        elif issubclass(tp, collections.deque):
            for i, value in enumerate(_deque_iter(holder)):
                add(value, Hop("index", str(i), f"[{i}]"))
                if len(found) >= nwanted:
                    return found
        elif _LRU_WRAPPER is not None and issubclass(tp, _LRU_WRAPPER):
            self._lru_hops(holder, wanted, found)
            if len(found) >= nwanted:
                return found
        elif _ndarray_class(tp) is not None:
            _ndarray_hops(holder, wanted, found)
            if len(found) >= nwanted:
                return found
        elif tp is types.FrameType:
            self._frame_hops(holder, wanted, found)
            return found
        elif tp is types.CellType:
            try:
                add(holder.cell_contents, Hop("cell", "cell_contents", ".cell_contents"))
            except ValueError:
                pass
            return found
        elif tp is types.GeneratorType or tp is types.CoroutineType or tp is types.AsyncGeneratorType:
            frame = getattr(holder, {types.GeneratorType: "gi_frame",
                                     types.CoroutineType: "cr_frame"}.get(tp, "ag_frame"), None)
            if frame is not None:
                sub: dict[int, Hop] = {}
                kind = {types.GeneratorType: "generator", types.CoroutineType: "coroutine"}.get(
                    tp, "async generator")
                self._frame_hops(frame, wanted, sub, generator=kind)
                for vid, hop in sub.items():
                    if vid not in found:
                        found[vid] = hop
                if len(found) < nwanted:
                    # 3.11/3.12: the snapshot dict of its locals that reading f_locals leaves
                    try:
                        snap = frame.f_locals
                    except Exception:  # noqa: BLE001
                        snap = None
                    if type(snap) is dict:
                        add(snap, Hop("local", "f_locals",
                                      f" → {kind} {_frame_text(frame)} locals (snapshot)"))
            return found
        elif tp is types.FunctionType:
            closure = holder.__closure__
            if closure:
                freevars = holder.__code__.co_freevars
                for i, cell in enumerate(closure):
                    name = freevars[i] if i < len(freevars) else str(i)
                    add(cell, Hop("closure", name, f" (closure {name})"))
            for name in ("__globals__", "__builtins__", "__module__", "__doc__", "__dict__"):
                if name == "__dict__":
                    continue  # the getter would create the dict
                try:
                    add(object.__getattribute__(holder, name), attr_hop(name))
                except Exception:  # noqa: BLE001
                    pass
        elif tp is types.ModuleType or issubclass(type(holder), _ModuleType):
            try:
                add(module_dict(holder), Hop("dict", "__dict__", ".__dict__"))
            except Exception:  # noqa: BLE001
                pass
        elif issubclass(type(holder), type):
            self._type_hops(holder, wanted, found)
            return found
        elif tp is types.MappingProxyType:
            for ref in get_referents(holder):
                add(ref, Hop("ref", None, ""))
            return found
        # C-level pointer getters of well-known types
        for base, names in _SAFE_GETSETS.items():
            if issubclass(type(holder), base):
                for name in names:
                    try:
                        value = object.__getattribute__(holder, name)
                    except Exception:  # noqa: BLE001
                        continue
                    if name == "tb_frame":
                        add(value, Hop("frame", name, " → frame " + _frame_text(value)))
                    elif name == "tb_next":
                        add(value, Hop("tb_next", name, ""))
                    else:
                        add(value, attr_hop(name))
        if len(found) < nwanted:
            self._instance_hops(holder, wanted, found)
        return found

    def all_hops(self, holder: object, child_id: int, limit: int = 16) -> list[Hop]:
        """Every slot through which ``holder`` refers to ``child_id`` (keys, indices)."""
        tp = type(holder)
        out: list[Hop] = []
        if issubclass(tp, dict):
            for key, value in dict.items(holder):
                if id(value) == child_id:
                    out.append(key_hop(key))
                    if len(out) >= limit:
                        break
        elif issubclass(tp, (list, tuple)):
            it = list.__iter__(holder) if issubclass(tp, list) else tuple.__iter__(holder)
            for i, value in enumerate(it):
                if id(value) == child_id:
                    out.append(Hop("index", str(i), f"[{i}]"))
                    if len(out) >= limit:
                        break
        if out:
            return out
        hop = edge_hops(holder, {child_id}, self).get(child_id)
        return [hop] if hop is not None else []

    def _lru_hops(self, wrapper, wanted, found):
        """A ``functools.lru_cache`` wrapper's entries: ``→ cached f(5)`` (keys: ``(cache key)``)."""
        entries = lru_cache_entries(wrapper)
        if entries is None:
            return
        cache, pairs = entries
        if cache is not None and id(cache) in wanted and id(cache) not in found:
            found[id(cache)] = Hop("cache", None, "(cache dict)")
        for key, result in pairs:
            call = lru_call_text(wrapper, key)
            if result is not _MISSING and id(result) in wanted and id(result) not in found:
                found[id(result)] = Hop("cache", call, f" → cached {call}")
            if id(key) in wanted and id(key) not in found:
                found[id(key)] = Hop("cache", call, f" → cache key of {call}")

    def _type_hops(self, klass: type, wanted, found):
        try:
            ns = _type_dict(klass)
        except Exception:  # noqa: BLE001
            return
        for key, value in list(ns.items()):
            vid = id(value)
            if vid in wanted and vid not in found:
                found[vid] = attr_hop(key) if type(key) is str else key_hop(key)
        # the class namespace dict itself (behind the mappingproxy)
        for ref in get_referents(ns):
            rid = id(ref)
            if rid in wanted and rid not in found:
                found[rid] = Hop("dict", "__dict__", ".__dict__")
        _attr_hits(("__mro__", "__bases__", "__base__"), lambda n: type.__dict__[n].__get__(klass),
                   wanted, found)

    def _frame_hops(self, frame, wanted, found, generator=""):
        """Hops from a frame; ``generator`` names what owns it (``"coroutine"``, ...)."""
        if _attr_hits(("f_back", "f_code", "f_globals", "f_builtins"), lambda n: getattr(frame, n),
                      wanted, found):
            return
        try:
            local_items = list(frame.f_locals.items())
        except Exception:  # noqa: BLE001
            return
        where = (f"{generator} " if generator else "") + _frame_text(frame)
        for name, value in local_items:
            vid = id(value)
            if vid in wanted and vid not in found:
                prefix = f" → {where}" if generator else ""
                found[vid] = Hop("local", str(name), f"{prefix} local {name}")


_LRU_WRAPPER = getattr(functools, "_lru_cache_wrapper", None)
_deque_iter = collections.deque.__iter__


def lru_cache_entries(wrapper):
    """``(cache dict, [(key, result)])`` of a C ``functools.lru_cache`` wrapper, or None.

    The C wrapper's ``tp_traverse`` lists its cache dict and, for a bounded cache,
    each entry's key and result (in the order of its internal list); an unbounded
    cache keeps the results as the dict's values. Nothing is called: the dict and
    the references are read, never the wrapper's methods.
    """
    if _LRU_WRAPPER is None or not issubclass(type(wrapper), _LRU_WRAPPER):
        return None
    refs = get_referents(wrapper)
    cache = None
    for ref in refs:  # the cache dict: the dict that is not the wrapper's __dict__
        if type(ref) is dict and "__wrapped__" not in ref:
            cache = ref
            break
    if cache is None:
        return None
    keys = {id(k) for k in dict.keys(cache)}
    pairs = []
    seen = set()
    for i, ref in enumerate(refs):
        if id(ref) in keys and id(ref) not in seen and i + 1 < len(refs):
            seen.add(id(ref))
            pairs.append((ref, refs[i + 1]))  # bounded: the link's key, then its result
    if not pairs:  # unbounded: the dict maps key -> result
        pairs = list(dict.items(cache))
    return cache, pairs


def lru_call_text(wrapper, key, clip: int = 60) -> str:
    """The call that a ``functools.lru_cache`` key stands for: ``report(100, k=2)``."""
    try:
        wdict = object.__getattribute__(wrapper, "__dict__")
        name = wdict.get("__name__") if type(wdict) is dict else None
    except Exception:  # noqa: BLE001
        name = None
    name = name if type(name) is str else "<lru_cache>"
    if type(key) is not tuple:  # the fast path: one int or str argument is its own key
        return clip_text(f"{name}({safe_repr(key, clip=30)})", clip)
    items = list(tuple.__iter__(key))
    mark = next((i for i, x in enumerate(items) if type(x) is object), None)
    args, rest = (items, []) if mark is None else (items[:mark], items[mark + 1:])
    n = len(args)
    nkw = len(rest) // 2 if mark is not None else 0
    if mark is not None and (len(rest) - n) % 3 == 0 and len(rest) > 2 * ((len(rest) - n) // 3):
        typed_kw = (len(rest) - n) // 3  # typed=True: the types of every argument follow
        if all(isinstance(t, type) for t in rest[2 * typed_kw:]):
            nkw = typed_kw
    elif mark is None and n % 2 == 0 and n and all(
            type(a) is t for a, t in zip(items[:n // 2], items[n // 2:])):
        args = items[:n // 2]
    parts = [safe_repr(a, clip=30) for a in args]
    parts += [f"{rest[2 * j]}={safe_repr(rest[2 * j + 1], clip=30)}" for j in range(nkw)
              if type(rest[2 * j]) is str]
    return clip_text(f"{name}({', '.join(parts)})", clip)


def _ndarray_class(tp):
    """numpy's ``ndarray`` class if ``tp`` is it or a subclass (by type name: the core
    never imports numpy), else None."""
    try:
        mro = _type_mro(tp)
    except Exception:  # noqa: BLE001
        return None
    for klass in mro:
        try:
            if _type_name_get(klass) == "ndarray" and _type_module_get(klass) == "numpy":
                return klass
        except Exception:  # noqa: BLE001
            continue
    return None


def is_object_ndarray(obj) -> bool:
    """A numpy array (or subclass) of dtype object (or with object fields), whose items
    can be set to None."""
    nd = _ndarray_class(type(obj))
    if nd is None:
        return False
    try:
        return bool(_type_dict(nd)["dtype"].__get__(obj).hasobject)
    except Exception:  # noqa: BLE001
        return False


def _ndarray_hops(arr, wanted, found, limit: int = 10_000_000):
    """A numpy array's references that ``gc`` does not see, named as indexing names them:
    ``arr[3]`` / ``arr[2, 0]`` (object elements), ``arr['f'][3]`` (an object field of a
    structured array), ``.base`` (a view's base). Read through numpy's own C getters
    (a subclass's properties never run)."""
    nd = _ndarray_class(type(arr))
    if nd is None:
        return
    getters = _type_dict(nd)
    try:
        base = getters["base"].__get__(arr)
        dt = getters["dtype"].__get__(arr)
        plain = arr if type(arr) is nd else nd.view(arr, nd)
    except Exception:  # noqa: BLE001
        return
    if base is not None and id(base) in wanted and id(base) not in found:
        found[id(base)] = attr_hop("base")
    if not dt.hasobject:
        return
    if dt.names:
        parts = [(f"[{name!r}]", nd.__getitem__(plain, name)) for name in dt.names
                 if dt.fields[name][0].kind == "O"]
    else:
        parts = [("", plain)]
    for prefix, part in parts:
        shape = tuple(part.shape)
        for n, value in enumerate(part.flat):
            if n >= limit:
                break
            vid = id(value)
            if vid in wanted and vid not in found:
                idx = []
                rem = n
                for dim in reversed(shape):
                    rem, i = divmod(rem, dim) if dim else (rem, 0)
                    idx.append(i)
                text = ", ".join(str(i) for i in reversed(idx)) if idx else ""
                found[vid] = Hop("index", text, prefix + (f"[{text}]" if text else "[()]"),
                                 expr=True)
                if len(found) >= len(wanted):
                    return


def edge_hops(holder: object, wanted_ids, labeller: Labeller | None = None) -> dict[int, Hop]:
    """Label the references from ``holder`` to each object id in ``wanted_ids``.

    Returns a dict ``id -> Hop``; ids that ``holder`` refers to but that cannot be
    named get a ``"ref"`` hop (rendered `` → <type>``); ids it does not refer to are
    left out.
    """
    wanted = set(wanted_ids)
    labeller = labeller or Labeller()
    found = labeller.hops(holder, wanted)
    tid = id(type(holder))
    if tid in wanted and tid not in found:  # every instance of a heap type refers to it
        found[tid] = Hop("attr", "__class__", ".__class__")
    if len(found) < len(wanted):
        for ref in get_referents(holder):
            rid = id(ref)
            if rid in wanted and rid not in found:
                # a reference nothing names (C state of an iterator, an attribute set by C
                # code): rendered by what it leads to, " → <list>", never as ".<?>"
                found[rid] = Hop("ref", None, "")
    return found


def render_path(root_text: str, hops, types_after=(), expression: bool = False) -> str:
    """Render a chain ``root_text`` + hops as one string in user terms.

    ``.__dict__`` followed by a string key becomes ``.key``; traceback links
    collapse; a frame hop starts a ``" → frame f()"`` segment; a closure cell reads
    ``" → closure variable x"``, a default argument ``" → default of x"``, an
    lru_cache entry ``" → cached f(5)"``. ``expression=True`` keeps the Python
    spelling of closures and defaults (``f.__closure__[0].cell_contents``).

    >>> render_path("data", [Hop("key", "'a'", "['a']"), Hop("index", "2", "[2]")])
    "data['a'][2]"
    """
    out = [root_text]
    hops = list(hops)
    i = 0
    while i < len(hops):
        hop = hops[i]
        nxt = hops[i + 1] if i + 1 < len(hops) else None
        if hop.kind == "dict" and nxt is not None and nxt.kind == "key":
            name = nxt.name or ""
            if len(name) >= 2 and name[0] == name[-1] == "'" and name[1:-1].isidentifier():
                out.append("." + name[1:-1])
                i += 2
                continue
        if expression:
            out.append(hop.text)
            i += 1
            continue
        if (hop.kind == "attr" and hop.name in ("__closure__", "__defaults__", "__kwdefaults__")
                and nxt is not None and nxt.kind in ("closure", "default")):
            # f.__closure__[i].cell_contents -> " → closure variable x"; f.__defaults__[i] -> " → default of x"
            third = hops[i + 2] if i + 2 < len(hops) else None
            if nxt.kind == "closure" and third is not None and third.kind == "cell":
                out.append(f" → closure variable {nxt.name}")
                i += 3
                continue
            if nxt.kind == "default":
                out.append(f" → default of {nxt.name}")
                i += 2
                continue
        if hop.kind == "default":  # a __kwdefaults__ value
            out.append(f" → default of {hop.name}")
            i += 1
            continue
        if hop.kind == "cache" and hop.name is None:
            i += 1  # the lru_cache wrapper's cache dict: the next hop names the entry
            continue
        if hop.kind == "ref":
            tname = types_after[i] if i < len(types_after) else None
            out.append(f" → <{tname}>" if tname else " → <?>")
        else:
            out.append(hop.text)
        i += 1
    return "".join(out)
