"""Shared machinery of the reference-graph walkers: labels, the graph model, walks.

Standard library only; :mod:`graphviz` is imported lazily by :func:`model_to_digraph`.

Everything here follows three rules:

* **Iterative.** No recursion over user data: breadth-first walks with explicit
  queues and an iterative Tarjan for strongly connected components, so a
  million-deep linked list is a normal input.
* **Bounded.** Depth, node and fan-out caps; a capped fan-out shows as one
  ``"+N more"`` node.
* **Invisible and forgetful.** The walker's own containers are put in an ignore
  set (executing frames never show up as referrers), and results hold ids, type
  names, clipped reprs and sizes only, never the objects.

Edge labels are computed without side effects on the objects: an instance's
``__dict__`` is never materialized (CPython 3.11+ stores attributes inline),
properties and other Python-level descriptors are never called. Attribute names
of inline values are read from the class's shared keys (``_layout``), or else
recovered from the names the class's own code uses (``co_names`` of its methods,
dataclass annotations); a reference that nothing names is shown by the type it leads to
(`` → <list>``).
"""

from __future__ import annotations

import array
import collections
import functools
import gc
import itertools
import types
from collections import namedtuple

from . import _layout
from ._format import clip_text, format_size, safe_repr, text_safe, type_name

__all__ = [
    "Hop",
    "GraphNode",
    "GraphEdge",
    "GraphModel",
    "GraphvizNotFoundError",
    "edge_hops",
    "render_path",
    "strongly_connected_components",
    "cycle_members",
    "weak_components",
    "walk_graph",
    "graph_of",
    "referrers_of",
    "referents_of",
    "HolderSearch",
    "model_to_digraph",
    "dot_label",
    "flat_size",
    "lru_cache_entries",
    "lru_call_text",
]

_MISSING = object()
_ModuleType = types.ModuleType
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
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


class _Frozen:
    """Base of the small immutable value classes: attributes are set once."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def _init(self, **fields):
        for key, value in fields.items():
            object.__setattr__(self, key, value)


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


class Hop(_Frozen):
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
        self._init(kind=kind, name=name, text=text, _expr=expr)

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


def _key_hop(key: object) -> Hop:
    """``['k']``; a valid expression only if the key is a literal shown in full."""
    text = safe_repr(key, clip=40)
    literal = type(key) in _LITERAL_KEYS and text == repr(key)
    return Hop("key", text, f"[{text}]", expr=literal)


def _attr_hop(name: str) -> Hop:
    return Hop("attr", name, f".{name}" if name.isidentifier() else f".<{name}>")




def _attr_hits(names, get, wanted: set[int], found: dict[int, Hop]) -> bool:
    """``.name`` hops: for each of ``names``, ``get(name)`` (a name whose getter raises is
    passed over); a value whose id is wanted and not yet found gets ``_attr_hop(name)``.
    True once every wanted id is found."""
    for name in names:
        try:
            value = get(name)
        except Exception:  # noqa: BLE001 - an unset slot, a getter that refuses
            continue
        vid = id(value)
        if vid in wanted and vid not in found:
            found[vid] = _attr_hop(name)
            if len(found) >= len(wanted):
                return True
    return len(found) >= len(wanted)


def _frame_text(frame: object) -> str:
    try:
        code = frame.f_code
        return f"{code.co_name}()"
    except Exception:  # noqa: BLE001 - a frame-like object that lies
        return "?()"


class _Labeller:
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
                    found[addr] = _attr_hop(name)
            if len(found) >= len(wanted):
                return
        if _attr_hits(names, lambda n: self._instance_attr(obj, n, namespaces), wanted, found):
            return
        if has_dict:
            for ref in gc.get_referents(obj):
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
                if type(module) is not str or module == "builtins" or module.startswith("numpy"):
                    continue  # their getters build objects (frame.f_locals, ndarray.ctypes)
                ns = _type_dict(klass)
            except Exception:  # noqa: BLE001
                continue
            getsets = {name: descr for name, descr in list(ns.items())
                       if type(descr) is types.GetSetDescriptorType and type(name) is str
                       and not name.startswith("__")}
            if _attr_hits(getsets, lambda n: getsets[n].__get__(obj, tp), wanted, found):
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
                    found[vid] = _key_hop(key)
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
                        found[vid] = _attr_hop(fields[i])
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
                    add(object.__getattribute__(holder, name), _attr_hop(name))
                except Exception:  # noqa: BLE001
                    pass
        elif tp is types.ModuleType or issubclass(type(holder), _ModuleType):
            try:
                add(_module_dict(holder), Hop("dict", "__dict__", ".__dict__"))
            except Exception:  # noqa: BLE001
                pass
        elif issubclass(type(holder), type):
            self._type_hops(holder, wanted, found)
            return found
        elif tp is types.MappingProxyType:
            for ref in gc.get_referents(holder):
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
                        add(value, _attr_hop(name))
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
                    out.append(_key_hop(key))
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
                found[vid] = _attr_hop(key) if type(key) is str else _key_hop(key)
        # the class namespace dict itself (behind the mappingproxy)
        for ref in gc.get_referents(ns):
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
    refs = gc.get_referents(wrapper)
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


def _is_object_ndarray(obj) -> bool:
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
        found[id(base)] = _attr_hop("base")
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


def edge_hops(holder: object, wanted_ids, labeller: _Labeller | None = None) -> dict[int, Hop]:
    """Label the references from ``holder`` to each object id in ``wanted_ids``.

    Returns a dict ``id -> Hop``; ids that ``holder`` refers to but that cannot be
    named get a ``"ref"`` hop (rendered `` → <type>``); ids it does not refer to are
    left out.
    """
    wanted = set(wanted_ids)
    labeller = labeller or _Labeller()
    found = labeller.hops(holder, wanted)
    tid = id(type(holder))
    if tid in wanted and tid not in found:  # every instance of a heap type refers to it
        found[tid] = Hop("attr", "__class__", ".__class__")
    if len(found) < len(wanted):
        for ref in gc.get_referents(holder):
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


# ---------------------------------------------------------------------------
# The graph model
# ---------------------------------------------------------------------------


class GraphNode(namedtuple("GraphNode", "id type size repr kind count depth highlight cycle root",
                           defaults=("object", 0, 0, False, False, False))):
    """One object in a graph: identity, type, flat size and a clipped repr (immutable).

    ``kind`` is ``"object"`` or ``"more"`` (a placeholder for ``count`` elided
    neighbours; its ``id`` is synthetic and negative). ``depth`` is the distance
    from the walk's start objects, ``root`` marks those, ``highlight`` and
    ``cycle`` are flags for drawing. ``cycle`` is computed on the graph's own
    edges: in a bounded walk, a cycle that closes beyond the depth limit (or
    through a node left out) is not flagged.
    """

    __slots__ = ()

    def replace(self, **changes) -> GraphNode:
        """A copy with some fields changed."""
        return self._replace(**changes)

    def __repr__(self):
        if self.kind == "more":
            return f"<GraphNode +{self.count} more>"
        return f"<GraphNode {self.type} id={self.id:#x} size={self.size} {self.repr!r}>"


class GraphEdge(namedtuple("GraphEdge", "src dst label", defaults=("",))):
    """A reference ``src -> dst`` (object ids) with its label (``"['k']"``, ``".next"``).

    Immutable; equal and hashed by ``(src, dst, label)`` like Pympler's ``_Edge``.
    """

    __slots__ = ()

    def __repr__(self):
        return "<%08x => %08x, %r>" % (self.src, self.dst, self.label)


class GraphModel(_Frozen):
    """An immutable reference graph: nodes, labelled edges, and which nodes were the start.

    Attributes
    ----------
    nodes : tuple of GraphNode
    edges : tuple of GraphEdge
    roots : frozenset of int
        Ids of the objects the walk started from (drawn bold).
    truncated : bool
        True if a depth, node or fan-out cap cut the walk short.
    direction : str
        ``"refs"`` (edges point from holder to held; the walk followed referents),
        ``"backrefs"`` (the walk followed referrers) or ``"set"`` (edges among a
        given set of objects).
    """

    __slots__ = ("nodes", "edges", "roots", "truncated", "direction", "_index")

    def __init__(self, nodes, edges, roots=(), truncated=False, direction="set"):
        nodes = tuple(nodes)
        self._init(nodes=nodes, edges=tuple(edges), roots=frozenset(roots),
                   truncated=bool(truncated), direction=direction,
                   _index={n.id: n for n in nodes})

    def node(self, node_id: int) -> GraphNode:
        """The node with id ``node_id`` (``KeyError`` naming the id if absent)."""
        try:
            return self._index[node_id]
        except KeyError:
            raise KeyError(f"no node with id {node_id:#x} in this graph "
                           f"({len(self.nodes)} nodes)") from None

    def __len__(self):
        return len(self.nodes)

    def __contains__(self, node_id):
        return node_id in self._index

    @property
    def total_size(self) -> int:
        """Sum of the flat sizes of the object nodes."""
        return sum(n.size for n in self.nodes if n.kind == "object")

    def sccs(self) -> list[list[int]]:
        """Strongly connected components (lists of node ids), iterative Tarjan."""
        succ: dict[int, list[int]] = {}
        for e in self.edges:
            succ.setdefault(e.src, []).append(e.dst)
        return strongly_connected_components([n.id for n in self.nodes], succ)

    def to_digraph(self, **options):
        """This graph as a :class:`graphviz.Digraph` (needs the ``graphviz`` package)."""
        return model_to_digraph(self, **options)

    def to_dot(self, **options) -> str:
        """DOT source text of :meth:`to_digraph` (no ``dot`` executable needed)."""
        return model_to_digraph(self, **options).source

    def __repr__(self):
        flag = ", truncated" if self.truncated else ""
        return f"<GraphModel {self.direction}: {len(self.nodes)} nodes, {len(self.edges)} edges{flag}>"


def strongly_connected_components(nodes, succ) -> list[list[int]]:
    """Tarjan's algorithm without recursion.

    Parameters
    ----------
    nodes : iterable of hashable
        All vertices (isolated ones included).
    succ : mapping vertex -> iterable of vertices
        Successors; vertices not in ``nodes`` are visited too.

    Returns
    -------
    list of list
        Components in reverse topological order.
    """
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    result: list[list] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(succ.get(start, ())))]
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(comp)
    return result


def cycle_members(nodes, succ) -> set:
    """Vertices that lie on a cycle: in an SCC of size > 1, or with a self-loop."""
    members: set = set()
    for comp in strongly_connected_components(nodes, succ):
        if len(comp) > 1:
            members.update(comp)
        else:
            v = comp[0]
            if v in set(succ.get(v, ())):
                members.add(v)
    return members


def weak_components(nodes, edges) -> list[list[int]]:
    """Connected components ignoring edge direction, in order of first appearance."""
    adj: dict[int, list[int]] = {n: [] for n in nodes}
    for src, dst in edges:
        if src in adj and dst in adj:
            adj[src].append(dst)
            adj[dst].append(src)
    seen: set[int] = set()
    comps: list[list[int]] = []
    for start in adj:
        if start in seen:
            continue
        seen.add(start)
        comp = [start]
        queue = [start]
        while queue:
            v = queue.pop()
            for w in adj[v]:
                if w not in seen:
                    seen.add(w)
                    comp.append(w)
                    queue.append(w)
        comps.append(comp)
    return comps


# ---------------------------------------------------------------------------
# Walking referents / referrers
# ---------------------------------------------------------------------------

#: Frontier sizes up to this go to ``gc.get_referrers`` in one call; it compares
#: every reference in the heap against each argument, so big frontiers are split.
REFERRERS_CHUNK = 48
#: Above this many frontier objects a single Python pass over the heap is cheaper.
REFERRERS_SCAN = 1500


def referrers_of(objs, ignore: set[int]) -> tuple[list, dict[int, list[int]]]:
    """All gc-tracked objects referring to any of ``objs``, minus ``ignore``.

    Returns ``(referrers, kids)`` where ``kids[id(r)]`` lists the ids of the
    objects in ``objs`` that ``r`` refers to (with multiplicity). The lists this
    function creates are added to ``ignore`` while it runs.
    """
    referrers: list = []
    kids: dict[int, list[int]] = {}
    ignore.add(id(referrers))
    want = {id(o) for o in objs}

    def take(candidates):
        """Keep the candidates (not ours, not yet seen) that refer to a wanted id."""
        for candidate in candidates:
            cid = id(candidate)
            if cid in ignore or cid in kids:
                continue
            hit = [id(r) for r in gc.get_referents(candidate) if id(r) in want]
            if hit:
                kids[cid] = hit
                referrers.append(candidate)

    if len(objs) > REFERRERS_SCAN:
        batches = [gc.get_objects()]
    else:  # gc skips the argument tuple it receives; on 3.13 that is a copy, not the chunk
        batches = (tuple(objs[start:start + REFERRERS_CHUNK]) for start in range(0, len(objs), REFERRERS_CHUNK))
    for batch in batches:
        found = batch if len(objs) > REFERRERS_SCAN else gc.get_referrers(*batch)
        ignore.add(id(batch))
        ignore.add(id(found))
        try:
            take(found)
        finally:
            ignore.discard(id(found))
            ignore.discard(id(batch))
        del found, batch
    ignore.discard(id(referrers))
    return referrers, kids


# ---------------------------------------------------------------------------
# Holders: who holds these objects (every kind of holder)
# ---------------------------------------------------------------------------


class HolderSearch:
    """Who holds these objects? The one answer of every backward graph walk.

    Three kinds of holders, found in the way each needs:

    * gc-tracked objects: :func:`referrers_of` (``gc.get_referrers``);
    * exact dicts and tuples that ``gc`` does not track (``{'k': array}``), which can
      only hold untracked objects;
    * objects whose ``gc.get_referents`` hides what they hold, as the size rules know
      (a numpy object array holds its elements, a view its ``base``; pandas object and
      ``str`` columns are such arrays; also nested in each other): what each holds is
      :func:`_thirdparty.hidden_referents`, the references the sizer and the heap walk
      follow. ``gc.get_referrers`` never returns these holders.

    The last two are found by one scan of the heap (:class:`_HeapScan`), made the first
    time it is needed (and never when no such holder can exist). The search's own
    containers are put in ``ignore`` while they live; call :meth:`close` when done (or
    use it as a context manager).
    """

    def __init__(self, ignore: set[int]):
        self.ignore = ignore
        self._scan: _HeapScan | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def find(self, objs) -> tuple[list, dict[int, list[int]]]:
        """``(holders, kids)`` of ``objs`` (a list): ``kids[id(h)]`` lists the ids of
        the objects of ``objs`` that holder ``h`` refers to (with multiplicity)."""
        ignore = self.ignore
        referrers, kids = referrers_of(objs, ignore)
        loose = {id(o) for o in objs if not gc.is_tracked(o)}
        hidden = _hidden_refs_possible()
        if loose or hidden:
            if self._scan is None:
                self._scan = _HeapScan(ignore, hidden)
            if loose:
                self._merge(referrers, kids, *self._scan.untracked_holders(loose))
            if hidden:
                self._merge(referrers, kids, *self._scan.hidden_holders({id(o) for o in objs}))
        return referrers, kids

    def _merge(self, referrers, kids, more, more_kids):
        for u in more:
            uid = id(u)
            if uid in self.ignore:
                continue
            if uid not in kids:
                referrers.append(u)
                kids[uid] = more_kids[uid]

    def close(self):
        if self._scan is not None:
            self._scan.close(self.ignore)
            self._scan = None


def _hidden_refs_possible() -> bool:
    from ._thirdparty import hidden_refs_possible

    return hidden_refs_possible()


def referents_of(obj) -> list:
    """What ``obj`` holds: ``gc.get_referents(obj)`` plus what the size rules say it holds
    beyond that (a numpy object array's elements, a view's ``base``): the forward
    counterpart of :class:`HolderSearch`."""
    refs = gc.get_referents(obj)
    hidden = _hidden_of(obj)
    if hidden:
        known = {id(r) for r in refs}
        refs.extend(r for r in hidden if id(r) not in known)
    return refs


def _hidden_of(obj) -> list:
    from ._thirdparty import hidden_referents, hidden_refs_rules

    tp = type(obj)
    refs = hidden_refs_rules([tp])[0]
    return [] if refs is None else hidden_referents([obj], refs, tp)[0]


# ---------------------------------------------------------------------------
# The heap scan: untracked containers and holders of hidden references
# ---------------------------------------------------------------------------


class _HeapScan:
    """One pass over the heap for what ``gc.get_referrers`` cannot return.

    * ``untracked``: exact dicts and tuples that ``gc`` does not track (they only hold
      untracked objects), also nested in each other;
    * ``hidden``: objects of a type whose size rule has ``refs`` (numpy arrays), with the
      ids of what each holds beyond ``gc.get_referents`` (kept as ids only, in an
      ``array('Q')``: the scan keeps no element alive). They are found among the
      referents of tracked objects, of untracked containers and of each other (an
      object array of object arrays, a view's base).
    """

    def __init__(self, ignore: set[int], hidden: bool = True):
        from ._thirdparty import hidden_referents, hidden_refs_rules

        self.untracked: list = []
        self.hidden: list = []
        self._hidden_ids: list = []  # per hidden holder: array('Q') of the ids it holds
        for own in (self.untracked, self.hidden, self._hidden_ids):
            ignore.add(id(own))
        rules: dict[int, object] = {}  # id(type) -> refs or None
        types_seen: list = []  # keeps the types of `rules` alive (ids stay unique)
        ignore.add(id(types_seen))

        def ruled(objs):
            """The objects of ``objs`` whose type has a rule's refs."""
            if not hidden:
                return []
            tys = set(map(type, objs))
            hit = set()
            for tp in tys:
                key = id(tp)
                if key not in rules:
                    rules[key] = hidden_refs_rules([tp])[0]
                    types_seen.append(tp)
                if rules[key] is not None:
                    hit.add(tp)
            return [o for o in objs if type(o) in hit] if hit else []

        is_tracked = gc.is_tracked
        seen: set[int] = set()
        pending: list = []  # untracked containers to look into
        candidates: list = []  # objects with hidden references to look into
        for own in (pending, candidates):
            ignore.add(id(own))
        everything = gc.get_objects()
        ignore.add(id(everything))
        batch = 2048
        try:
            candidates.extend(ruled(everything))
            for start in range(0, len(everything), batch):
                refs = list(itertools.filterfalse(is_tracked, gc.get_referents(*everything[start:start + batch])))
                pending.extend(r for r in refs if type(r) is dict or type(r) is tuple)
                candidates.extend(ruled(refs))
                del refs
        finally:
            ignore.discard(id(everything))
            del everything
        obj = None
        while pending or candidates:
            while pending:  # untracked containers nested in untracked containers, a level at a time
                level = []
                for obj in pending:
                    oid = id(obj)
                    if oid not in seen and oid not in ignore:
                        seen.add(oid)
                        level.append(obj)
                pending.clear()
                self.untracked.extend(level)
                for start in range(0, len(level), batch):
                    refs = list(itertools.filterfalse(is_tracked, gc.get_referents(*level[start:start + batch])))
                    pending.extend(r for r in refs if type(r) is dict or type(r) is tuple)
                    candidates.extend(ruled(refs))
                    del refs
                del level
            if candidates:
                group_by: dict[int, list] = {}
                for obj in candidates:
                    oid = id(obj)
                    if oid in seen or oid in ignore:
                        continue
                    seen.add(oid)
                    group_by.setdefault(id(type(obj)), []).append(obj)
                candidates.clear()
                for members in group_by.values():
                    tp = type(members[0])
                    for holder, got in zip(members, hidden_referents(members, rules[id(tp)], tp)):
                        if not got:
                            continue
                        self.hidden.append(holder)
                        self._hidden_ids.append(array.array("Q", map(id, got)))
                        # what the holder holds may hold more: nested arrays, tuples in an object array
                        loose = [r for r in got if not is_tracked(r)]
                        pending.extend(r for r in loose if type(r) is dict or type(r) is tuple)
                        candidates.extend(ruled(loose))
                        del got, loose
                    holder = None
                del group_by, members
        for own in (pending, candidates, types_seen):
            ignore.discard(id(own))
        types_seen.clear()
        del pending, candidates, obj

    def untracked_holders(self, want: set[int]):
        """(holders, kids) for the untracked containers referring to ids in ``want``."""
        found = []
        kids: dict[int, list[int]] = {}
        for u in self.untracked:
            hit = [id(r) for r in gc.get_referents(u) if id(r) in want]
            if hit:
                found.append(u)
                kids[id(u)] = hit
        return found, kids

    def hidden_holders(self, want: set[int]):
        """(holders, kids) for the holders of hidden references to ids in ``want``."""
        found = []
        kids: dict[int, list[int]] = {}
        isdisjoint = want.isdisjoint
        for holder, ids in zip(self.hidden, self._hidden_ids):
            if not isdisjoint(ids):
                found.append(holder)
                kids[id(holder)] = [i for i in ids if i in want]
        return found, kids

    def close(self, ignore: set[int]):
        for own in (self.untracked, self.hidden, self._hidden_ids):
            own.clear()
            ignore.discard(id(own))


def _type_name(obj: object) -> str:
    return type_name(obj)


_BUILTIN_REPRS = {list.__repr__, tuple.__repr__, dict.__repr__, set.__repr__, frozenset.__repr__}


def _make_reprlib():
    import reprlib

    class _BoundedRepr(reprlib.Repr):
        def repr1(self, x, level):
            # dispatch containers on their __repr__, not their type name, so that
            # subclasses (which reprlib would hand to the deep builtins.repr) stay bounded
            method = _REPR_METHODS.get(getattr(type(x), "__repr__", None))
            if method is not None:
                return getattr(self, method)(x, level)
            return super().repr1(x, level)

    r = _BoundedRepr()
    r.maxlevel = 3
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = 8
    r.maxdict = 6
    r.maxstring = r.maxother = 40
    r.maxlong = 40
    return r


_REPRLIB = _make_reprlib()
_REPR_METHODS = {list.__repr__: "repr_list", tuple.__repr__: "repr_tuple", dict.__repr__: "repr_dict",
                 set.__repr__: "repr_set", frozenset.__repr__: "repr_frozenset"}


def node_repr(obj: object, clip: int = 128) -> str:
    """A clipped repr whose cost does not grow with the size or depth of a container.

    Built-in containers (and subclasses that keep the built-in ``__repr__``) are
    shown at most 3 levels and 8 items deep (``reprlib``); a plain ``repr`` of a
    200,000-long chain of nested lists would walk all of it for every node. Other
    objects go through :func:`safe_repr`.
    """
    try:  # the type's own __repr__, found without running a metaclass's __getattribute__
        method = _REPR_METHODS.get(_layout.type_lookup(type(obj), "__repr__"))
    except Exception:  # noqa: BLE001
        method = None
    if method is None:
        return safe_repr(obj, clip=clip)
    try:
        text = getattr(_REPRLIB, method)(obj, _REPRLIB.maxlevel)
    except BaseException as exc:  # noqa: BLE001 - an element's repr may raise anything
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return safe_repr(obj, clip=clip)
    return clip_text(text, clip)


def _node_for(obj, depth, highlight, root, sizes=True) -> GraphNode:
    return GraphNode(
        id=id(obj),
        type=_type_name(obj),
        size=flat_size(obj) if sizes else 0,
        repr=node_repr(obj, clip=128),
        depth=depth,
        highlight=bool(highlight),
        root=root,
    )


def _call_predicate(func, obj, what):
    if func is None:
        return None
    try:
        return bool(func(obj))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(
            f"the {what} callable {func!r} raised {type(exc).__name__}: {exc} "
            f"on a {_type_name(obj)} object; make it return True/False for any object"
        ) from exc


def _check_cap(name, value, minimum=0):
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} or None, got {value!r}")


def walk_graph(objs, *, backwards=False, max_depth=3, max_nodes=500, max_fanout=30,
               filter=None, highlight=None, extra_ignore=(), stop_at=(_ModuleType,),
               stop_named=None, sizes=True) -> GraphModel:
    """Breadth-first walk from ``objs`` along referents (or referrers), bounded.

    Parameters
    ----------
    objs : sequence of objects
        Where the walk starts (depth 0).
    backwards : bool
        Follow referrers (who holds these?) instead of referents (what do they hold?).
        Edges always point from holder to held.
    max_depth : int or None
        Stop expanding at this distance from ``objs``.
    max_nodes : int or None
        Stop adding new nodes once the graph has this many (``truncated`` is set).
    max_fanout : int or None
        Show at most this many neighbours of one node; the rest become one
        ``"+N more"`` node.
    filter : callable or None
        ``filter(obj) -> bool``; objects for which it is False are left out.
    highlight : callable or None
        ``highlight(obj) -> bool``; marks nodes (drawn in another colour).
    extra_ignore : iterable of int
        Ids never to include (your own containers).
    stop_at : tuple of types
        Objects of these types are shown but not expanded (modules by default).
    stop_named : mapping of int to str, optional
        Ids of objects shown but not expanded, with the text to show instead of
        their repr (root containers: ``"globals of json"``).
    sizes : bool
        Compute flat sizes (``False`` leaves 0, for speed).

    The start objects themselves are always expanded, whatever their type. The
    ``cycle`` flag of a node is computed from the drawn edges only: a cycle that
    closes beyond ``max_depth`` (or through a node left out by a cap, a filter or
    a stop) is not flagged.
    """
    _check_cap("max_depth", max_depth)
    _check_cap("max_nodes", max_nodes, 1)
    _check_cap("max_fanout", max_fanout, 1)
    keep: list = []  # visited objects, alive for the walk so that ids stay unique
    ignore: set[int] = {id(keep), id(objs)}
    ignore.update(extra_ignore)
    depth_of: dict[int, int] = {}
    order: list[int] = []
    highlight_ids: set[int] = set()
    edges: list[GraphEdge] = []
    more_nodes: list[GraphNode] = []
    truncated = False
    labeller = _Labeller()
    cache: dict[int, object] = {}  # id -> neighbour object, for one level
    ignore.add(id(cache))
    holders = HolderSearch(ignore)  # backwards: its scans are made once, when first needed
    for obj in objs:
        oid = id(obj)
        if oid in depth_of or oid in ignore:
            continue
        depth_of[oid] = 0
        order.append(oid)
        keep.append(obj)
        if _call_predicate(highlight, obj, "highlight"):
            highlight_ids.add(oid)
    obj = None
    roots = set(depth_of)
    named = stop_named or {}

    def stops(p):  # shown, not entered (the start objects are always entered)
        x = keep[p]
        return id(x) not in roots and (issubclass(type(x), stop_at) or id(x) in named)

    level = list(range(len(keep)))  # positions in `keep` of the current frontier
    depth = 0
    while level and (max_depth is None or depth < max_depth):
        expand = [p for p in level if not stops(p)]
        if not expand:
            break
        pairs = _neighbours(keep, expand, backwards, ignore, cache, holders)  # [(pos, [ids])]
        new_level: list[int] = []
        for pos, nbr_ids in pairs:
            node = keep[pos]
            nid = id(node)
            accepted = []
            for oid in nbr_ids:
                if oid in ignore:
                    continue
                other = cache[oid]
                if filter is not None and not _call_predicate(filter, other, "filter"):
                    continue
                accepted.append(other)
            shown = accepted if max_fanout is None else accepted[:max_fanout]
            hidden = len(accepted) - len(shown)
            labels = {} if backwards else edge_hops(node, {id(o) for o in shown}, labeller)
            for other in shown:
                oid = id(other)
                if oid not in depth_of:
                    if max_nodes is not None and len(order) + len(more_nodes) >= max_nodes:
                        truncated = True
                        hidden += 1
                        continue
                    depth_of[oid] = depth + 1
                    order.append(oid)
                    new_level.append(len(keep))
                    keep.append(other)
                    if _call_predicate(highlight, other, "highlight"):
                        highlight_ids.add(oid)
                if backwards:
                    hop = edge_hops(other, {nid}, labeller).get(nid)
                    edges.append(GraphEdge(oid, nid, hop.text if hop else ""))
                else:
                    hop = labels.get(oid)
                    edges.append(GraphEdge(nid, oid, hop.text if hop else ""))
            if hidden > 0:
                truncated = True
                more_id = -(len(more_nodes) + 1)
                more_nodes.append(GraphNode(id=more_id, type="", size=0, repr=f"+{hidden} more",
                                            kind="more", count=hidden, depth=depth + 1))
                edges.append(GraphEdge(more_id, nid, "") if backwards else GraphEdge(nid, more_id, ""))
            node = other = None
            accepted = shown = None
        cache.clear()
        level = new_level
        depth += 1
    if level and max_depth is not None and depth >= max_depth:
        truncated = truncated or any(not stops(p) and _has_neighbours(keep[p], backwards, ignore)
                                     for p in level[:50])
    succ: dict[int, list[int]] = {}
    for e in edges:
        succ.setdefault(e.src, []).append(e.dst)
    on_cycle = cycle_members(order, succ)
    nodes = []
    for obj in keep:
        oid = id(obj)
        node = _node_for(obj, depth_of[oid], oid in highlight_ids, oid in roots, sizes)
        if oid in named:
            node = node.replace(repr=named[oid])
        nodes.append(node.replace(cycle=True) if oid in on_cycle else node)
    obj = None
    keep.clear()
    holders.close()
    nodes.extend(more_nodes)
    return GraphModel(nodes, edges, roots=roots, truncated=truncated,
                      direction="backrefs" if backwards else "refs")


def _neighbours(keep, positions, backwards, ignore, cache, holders):
    """[(position, [neighbour ids])] for ``keep[p]``, p in ``positions``.

    ``cache`` receives id -> object for every neighbour (the caller clears it).
    Backwards, ``holders`` (a :class:`HolderSearch`) finds every kind of holder (also
    untracked dicts and tuples, numpy object arrays); forwards, :func:`referents_of`
    lists what the size rules say an object holds beyond ``gc.get_referents``.
    """
    out = []
    if backwards:
        frontier = [keep[p] for p in positions]
        ignore.add(id(frontier))
        found, kids = holders.find(frontier)
        ignore.discard(id(frontier))
        del frontier
        by_child: dict[int, list[int]] = {}
        for ref in found:
            rid = id(ref)
            if rid in ignore:
                continue
            cache[rid] = ref
            for kid in dict.fromkeys(kids[rid]):
                by_child.setdefault(kid, []).append(rid)
        ref = None
        del found
        for p in positions:
            out.append((p, by_child.get(id(keep[p]), [])))
    else:
        for p in positions:
            seen: dict[int, None] = {}
            for ref in _referents_in_order(keep[p]):
                rid = id(ref)
                if rid not in ignore and rid not in seen:
                    seen[rid] = None
                    cache[rid] = ref
            ref = None
            out.append((p, list(seen)))
    return out


def _referents_in_order(obj) -> list:
    """``gc.get_referents(obj)``, with list and tuple items first and in index order.

    (CPython traverses lists and tuples from the end; a capped fan-out should show
    ``[0]``, ``[1]``... rather than the last items.)
    """
    refs = referents_of(obj)
    tp = type(obj)
    if issubclass(tp, (list, tuple)) and len(refs) > 1:
        items = list(list.__iter__(obj) if issubclass(tp, list) else tuple.__iter__(obj))
        item_ids = {id(x) for x in items}
        refs = items + [r for r in refs if id(r) not in item_ids]
    return refs


def _has_neighbours(obj, backwards, ignore) -> bool:
    if backwards:
        return True  # a referrer search per node would cost a heap pass each; assume yes
    return any(id(r) not in ignore for r in referents_of(obj))


def graph_of(objects, *, sizes=True, labeller: _Labeller | None = None):
    """Nodes and labelled edges among exactly ``objects`` (edges inside the set only).

    Returns ``(nodes, edges)``: a list of :class:`GraphNode` in input order
    (duplicates by identity dropped) and a set of :class:`GraphEdge`.
    """
    labeller = labeller or _Labeller()
    order: list = []
    seen: set[int] = set()
    for obj in objects:
        if id(obj) not in seen:
            seen.add(id(obj))
            order.append(obj)
    edges: set[GraphEdge] = set()
    for obj in order:
        hits = {id(r) for r in referents_of(obj)} & seen
        if not hits:
            continue
        labels = edge_hops(obj, hits, labeller)
        for rid in hits:
            hop = labels.get(rid)
            edges.add(GraphEdge(id(obj), rid, hop.text if hop else ""))
    nodes = [_node_for(obj, 0, False, False, sizes) for obj in order]
    return nodes, edges


# ---------------------------------------------------------------------------
# DOT through the graphviz package
# ---------------------------------------------------------------------------


class GraphvizNotFoundError(OSError):
    """The Graphviz executable is missing; the message says how to get it."""

    def __init__(self, cmd: str = "dot"):
        super().__init__(
            f"the Graphviz executable {cmd!r} was not found on PATH. Install Graphviz "
            f"(Debian/Ubuntu: `apt-get install graphviz`; conda: `conda install -c "
            f"conda-forge graphviz`; macOS: `brew install graphviz`; Windows: "
            f"https://graphviz.org/download/) or pass cmd= the full path. In a notebook "
            f"you do not need it: pympler_nb draws reference graphs in the browser from "
            f"the DOT text, and write_graph(filename) / to_dot() work without Graphviz."
        )
        self.cmd = cmd


def _graphviz():
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - graphviz is a declared dependency
        raise ImportError(
            "DOT output needs the 'graphviz' Python package: pip install graphviz "
            "(it is a dependency of pympler_nb; the `dot` executable is optional)"
        ) from exc
    return graphviz


def _printable(text: str) -> str:
    text = text_safe(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def dot_label(*lines: str, clip: int = 0):
    """``lines`` made safe as one DOT label: printable, valid UTF-8, no HTML, no escapes.

    Each line goes through the graphviz package's ``escape()`` (quotes, backslashes,
    ``<...>`` and unicode come out literally); lines are joined by DOT's line break.
    """
    gv = _graphviz()
    parts = []
    for text in lines:
        text = _printable(str(text))
        if clip:
            text = clip_text(text, clip)
        parts.append(gv.escape(text))
    return gv.nohtml("\\n".join(parts))


NODE_STYLE = {"shape": "box", "fontsize": "10", "style": "filled",
              "fillcolor": "#E5EDB8", "color": "#CCCCCC", "fontname": "Helvetica"}
EDGE_STYLE = {"fontsize": "10", "fontname": "Helvetica"}


def model_to_digraph(model: GraphModel, *, name: str = "G", label_clip: int = 48,
                     rankdir: str | None = None, sizes: bool = True):
    """Convert a :class:`GraphModel` to a :class:`graphviz.Digraph`.

    Node names are ``X<hex id>`` (``M<n>`` for "+N more" nodes); labels are the
    clipped repr, the type name and the flat size. Highlighted nodes are yellow,
    nodes on a cycle red-bordered, start nodes bold, "+N more" nodes dashed.
    """
    gv = _graphviz()
    graph_attr = {}
    if rankdir is not None:
        allowed = ("TB", "LR", "BT", "RL")
        if rankdir not in allowed:
            raise ValueError(f"rankdir must be one of {allowed}, got {rankdir!r}")
        graph_attr["rankdir"] = rankdir
    dg = gv.Digraph(name=name, graph_attr=graph_attr, node_attr=dict(NODE_STYLE),
                    edge_attr=dict(EDGE_STYLE))
    names: dict[int, str] = {}
    for node in model.nodes:
        if node.kind == "more":
            nm = f"M{-node.id}"
            names[node.id] = nm
            dg.node(nm, label=dot_label(node.repr), style="dashed", fillcolor="white")
            continue
        nm = f"X{node.id:x}"
        names[node.id] = nm
        text = clip_text(_printable(node.repr), label_clip)
        second = f"{node.type} {format_size(node.size)}" if sizes else node.type
        attrs = {}
        if node.highlight:
            attrs["fillcolor"] = "#FFE680"
        if node.cycle:
            attrs["color"] = "#D62728"
            attrs["penwidth"] = "2"
        if node.root:
            attrs["style"] = "filled,bold"
        if node.type == "frame":
            attrs["color"] = attrs.get("color", "orange")
        dg.node(nm, label=dot_label(text, second), **attrs)
    for edge in model.edges:
        src = names.get(edge.src)
        dst = names.get(edge.dst)
        if src is None or dst is None:
            continue
        attrs = {}
        if edge.label == ".__dict__":
            attrs["weight"] = "100"
        dg.edge(src, dst, label=dot_label(edge.label, clip=40) if edge.label else None, **attrs)
    return dg
