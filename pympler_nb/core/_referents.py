"""The referents of one object, with names: what an :class:`Asized` tree shows as an
object's children, and the labels (``[K] key``, ``.attr``, ``[i]``) it names them by."""

from __future__ import annotations

import sys
import types
from itertools import accumulate, chain, compress, repeat
from operator import is_, is_not, itemgetter, lt, not_, sub

from . import _layout
from ._asized import SHARED, Kids, Part, kids_from
from ._layout import count_elements
from ._sizerules import ATOM, CODE, DICT, DICTLIKE, IGNORE, INST, REFS, RULE, SAFE_CATCH
from .gcsafe import get_referents

_get_referents = get_referents

def owned_builtin(f) -> bool:
    """A builtin method bound to a non-module object (e.g. ``[].append``) is owned."""
    try:
        owner = f.__self__
    except SAFE_CATCH:
        return False
    return owner is not None and not issubclass(type(owner), types.ModuleType)


def code_refs(co):
    return [getattr(co, attr) for attr in _CODE_ATTRS]  # (all exist on 3.11+)


def run_labels(runs, ends) -> list:
    """Per object, the root it was reached from (:meth:`Asizer._walk_many`'s runs)."""
    starts = [0]
    starts += ends[:-1]
    return list(chain.from_iterable(map(repeat, runs, map(sub, ends, starts))))


def labels_runs(labels) -> tuple:
    """``(runs, ends)`` of ascending per-object root labels."""
    counts: dict = {}
    count_elements(counts, labels)
    return list(counts), list(accumulate(counts.values()))


def runs_kept(runs, ends, counts) -> tuple:
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


def unique_types(objs, tps=None) -> dict:
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


def group_by_type(objs):
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
    count_elements(counts, ids)
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


def dict_keys(sizer, d, info):
    for _ in range(3):
        try:
            return list(dict.keys(d))
        except RuntimeError:  # changed size during iteration (another thread)
            continue
    sizer._skipped[(info.name, "keys skipped: changed during iteration")] += 1
    return []


def dict_keys_many(sizer, group, info):
    try:
        return list(chain.from_iterable(map(dict.keys, group)))
    except RuntimeError:
        out = []
        for d in group:
            out += dict_keys(sizer, d, info)
        return out


def align_pieces(size, extra, info, align):
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




def slot_names(tp, ctx=None):
    """``[(name, member_descriptor)]`` of the ``__slots__`` along the MRO."""
    if ctx is not None:
        cached = ctx.slots.get(id(tp))
        if cached is None:  # keyed by id: the type is in ctx.alive (a heap type)
            cached = ctx.slots[id(tp)] = slot_names(tp)
        return cached
    out = []
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except SAFE_CATCH:
        return out
    for klass in mro:
        try:
            d = type.__dict__["__dict__"].__get__(klass)
        except SAFE_CATCH:
            continue
        for name, desc in list(d.items()):
            if type(desc) is types.MemberDescriptorType and name not in ("__weakref__",):
                out.append((name, desc))
    return out


def instance_namespace(o, tp, referents, cache=None):
    """``(attrs, value_ids)``: a new dict ``{name: value}`` of an instance's attributes
    read from its values array (3.11–3.13 inline/managed values: reading
    ``o.__dict__`` would create the dict), and the ids of those values among
    ``referents``; None when the attributes are not in a values array (a materialized
    or no ``__dict__``)."""
    names = _layout.attribute_names(o, tp, cache)
    if names is None:
        return None
    byaddr = {id(r): r for r in referents}
    attrs = {}
    for aname, addr in names:
        if addr in byaddr:
            attrs[aname] = byaddr[addr]
    return attrs, {id(v) for v in attrs.values()}


def _slot_refs(o, tp, ctx, referents, start: int) -> list:
    """``[(name, value, index)]`` of the member descriptors of ``tp`` (``__slots__``, a
    C type's members) whose value is one of ``referents`` (what the walk follows): a
    member that holds no object reference (a C type's ``Py_ssize_t`` member such as
    ``functools.partial.__vectorcalloffset__``) gives a new int on every read, which
    ``o`` does not hold and no walk counts."""
    held = {id(r) for r in referents}  # (``referents`` keeps them alive: ids stay theirs)
    out = []
    for sname, desc in slot_names(tp, ctx):
        try:
            value = desc.__get__(o, tp)
        except SAFE_CATCH:
            continue
        if id(value) in held:
            out.append((sname, value, start + len(out)))
    return out


# not __dict__ and __annotations__: reading them creates them when missing (the other
# referents are named by repr)
_FUNC_ATTRS = ("__closure__", "__defaults__", "__kwdefaults__", "__doc__", "__name__",
               "__qualname__", "__module__", "__code__", "__globals__", "__builtins__") + (
               ("__type_params__",) if sys.version_info >= (3, 12) else ())

def _named_refs_of(sizer, o, info, ctx=None) -> Kids:
    """The named referents of ``o`` in Pympler's conventions, for size trees.

    Names are lazy (:func:`name_text`); a dict entry's key and value are a group (they
    are shown together, ordered by the entry's total).
    """
    kind = info.kind
    tp = type(o)
    if kind == RULE and info.rule.named_refs is not None:
        try:
            return kids_from([(str(n), r, i) for i, (n, r) in enumerate(info.rule.named_refs(o))])
        except SAFE_CATCH:
            pass
    entries = None
    if kind in (DICT, DICTLIKE):
        items = []
        if kind == DICT:
            for _ in range(3):
                try:
                    items = list(dict.items(o))
                    break
                except RuntimeError:
                    continue
        else:
            try:
                items = list(o.items())
            except SAFE_CATCH:
                items = []
        if tp is dict and _layout.split_dict_correction(o) is not None:  # the class owns the keys
            keys = list(map(itemgetter(0), items))
            objs = list(chain.from_iterable(zip(repeat(SHARED), map(itemgetter(1), items))))
        else:
            objs = list(chain.from_iterable(items))
            keys = objs[0::2]
        entries = Kids(objs, None, "pairs", keys)
        if kind == DICTLIKE or not _layout.managed_layout(tp):
            return entries
    out = [] if entries is None else entries.triples()
    if kind in (INST, DICT) and _layout.managed_layout(tp):
        referents = _get_referents(o)
        names = _layout.attribute_names(o, tp, None if ctx is None else ctx.names)
        if names is not None:
            byaddr = {id(r): r for r in referents}
            pairs = []
            for aname, addr in names:
                if addr in byaddr:
                    pairs.append((aname, byaddr[addr]))
            objs = list(chain.from_iterable((SHARED, v) for _, v in pairs))  # the class's shared keys own the keys
            extra = _layout.instances_hidden([o], tp)[0]
            out.append(("__dict__", Part(extra, Kids(objs, None, "pairs", [a for a, _ in pairs])), len(out)))
        else:
            for r in referents:
                if type(r) is dict and kind == INST:
                    out.append(("__dict__", r, len(out)))
        out.append(("__class__", tp, len(out)))
        out += _slot_refs(o, tp, ctx, referents, len(out))
        return kids_from(out)
    if kind == REFS and tp.__flags__ & (1 << 9):  # heap type: slots, __dict__
        referents = _get_referents(o)
        out += _slot_refs(o, tp, ctx, referents, len(out))
        named = {id(v) for _, v, _ in out}
        for r in referents:
            if id(r) in named:
                continue
            if r is tp:
                out.append(("__class__", r, len(out)))
            elif type(r) is dict:
                out.append(("__dict__", r, len(out)))
            else:
                out.append((("r", "", r), r, len(out)))
        return kids_from(out)
    if tp is types.FunctionType:
        refs = _get_referents(o)
        ids = {id(r): r for r in refs}
        for attr in _FUNC_ATTRS:
            val = getattr(o, attr)
            if val is not None and id(val) in ids:
                out.append((attr, ids.pop(id(val)), len(out)))
        for r in ids.values():
            out.append((("r", "", r), r, len(out)))
        return kids_from(out)
    if tp is types.CellType:
        try:
            return Kids([o.cell_contents], ["cell_contents"])
        except ValueError:
            return Kids([])
    for base in _SEQUENCES:
        if issubclass(tp, base):  # in order (get_referents of a list is reversed)
            try:
                items = list(base.__iter__(o))
            except SAFE_CATCH:
                break
            if tp.__flags__ & (1 << 9):
                named = set(map(id, items))
                more = [r for r in _get_referents(o) if id(r) not in named]
                return Kids(items + more, [None] * len(items) + ["__class__" if r is tp else None for r in more])
            return Kids(items)
    refs = list(sizer._refs_of(o, info)) if kind not in (ATOM, IGNORE) else []
    if kind == CODE:  # code_refs reads these attributes, in this order
        return Kids(refs, [a for a in _CODE_ATTRS if hasattr(o, a)][:len(refs)])
    return Kids(refs, attribute_names(o, tp, refs))


#: getters of C types that only read a field (no object is created, nothing changes);
#: other getters (``f_locals``, ``f_back``, pyarrow's) are never called to name a referent
_SAFE_GETSETS = frozenset({"tb_next", "f_code", "f_globals", "f_builtins", "__bases__", "__name__",
                           "__qualname__", "__self__", "gi_code", "cr_code", "ag_code"})


def attribute_names(o, tp, refs) -> list | None:
    """Per referent of ``o`` (a C-level object), the attribute that reaches it (e.g. a
    traceback's ``tb_frame``/``tb_next``, a method's ``__func__``/``__self__``, a
    module's or a class's ``__dict__``), or None where no attribute does (a referent
    only C code reaches, e.g. an ``enumerate``'s iterator). Reads member descriptors
    (a field load) and the getters in :data:`_SAFE_GETSETS` only; None if none matched."""
    if not refs:
        return None
    want = {id(r): i for i, r in enumerate(refs)}
    names = [None] * len(refs)
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except SAFE_CATCH:
        mro = (tp,)
    for klass in mro:
        try:
            d = type.__dict__["__dict__"].__get__(klass)
        except SAFE_CATCH:
            continue
        for aname, desc in list(d.items()):
            dt = type(desc)
            if dt is types.MemberDescriptorType or (dt is types.GetSetDescriptorType and aname in _SAFE_GETSETS):
                try:
                    val = desc.__get__(o, tp)
                except SAFE_CATCH:
                    continue
                i = want.pop(id(val), None)
                if i is not None:
                    names[i] = aname
    if isinstance(o, type):  # the class's namespace (``__dict__`` gives a new proxy of it)
        try:
            inner = _get_referents(type.__dict__["__dict__"].__get__(o))  # [the dict]
        except SAFE_CATCH:
            inner = ()
        for d in inner:
            i = want.pop(id(d), None)
            if i is not None:
                names[i] = "__dict__"
    return names if any(n is not None for n in names) else None


_CODE_ATTRS = ("co_consts", "co_names", "co_filename", "co_name", "co_qualname", "co_linetable",
               "co_exceptiontable")


_EXACT_COVERED = frozenset({list, tuple, set, frozenset, dict, __import__("collections").deque})
EXACT_COVERED_IDS = frozenset(map(id, _EXACT_COVERED))  # by id: no metaclass __hash__ runs


def part_objs(kids: Kids):
    return [r for r in kids.objs if r is not SHARED]


def tree_refs(sizer, o, info, ctx=None) -> Kids:
    """The children of ``o`` in a size tree, in counting order.

    First the parts a ``children`` rule names (see :func:`register`: a DataFrame's
    columns and index), then the named referents in Pympler's conventions (attributes,
    ``[K]``/``[V]`` dict entries, slots, items; an instance with a ``children`` rule shows
    its attributes directly, not under ``'__dict__'``), then every other referent the
    sizing walk follows that is not named yet (e.g. the fields of a C base class), so
    that the children reach everything ``o`` reaches and the sizes add up to
    :func:`asizeof`. Objects named twice count at the first place (counting order);
    names are lazy (:func:`name_text`).
    """
    out = []
    hook = info.tree
    if hook is not None:
        try:
            for name, ref in hook(o):
                if ref is not None:
                    out.append((name if type(name) is str else str(name), ref, len(out)))
        except SAFE_CATCH as exc:
            sizer._skipped[(info.name, f"children rule raised {type(exc).__name__}")] += 1
            out = []
    generic = _named_refs_of(sizer, o, info, ctx)
    covered = set()
    if out:  # the generic children the rule did not name, attributes by name
        for _, r, _ in out:
            if type(r) is Part:
                covered.update(map(id, r.kids.objs))
            else:
                covered.add(id(r))
        g = len(out)
        for name, ref, _ in generic.triples():
            if type(ref) is Part:  # the values array stays in the flat size
                pk = ref.kids
                if pk.groups == "pairs":
                    pairs = [(pk.keys[i >> 1] if type(pk.keys[i >> 1]) is str else ("r", "", pk.keys[i >> 1]),
                              pk.objs[i]) for i in range(1, len(pk.objs), 2)]
                else:
                    pairs = list(zip(pk.names or [None] * len(pk), pk.objs))
            else:
                pairs = [(name, ref)]
            for n, r in pairs:
                if r is not SHARED and id(r) not in covered:
                    covered.add(id(r))
                    out.append((n, r, g))
                    g += 1
        kids = kids_from(out)
    else:
        kids = generic
        if id(type(o)) in EXACT_COVERED_IDS:
            return kids
        covered.update(map(id, kids.objs))
        for r in kids.objs:
            if type(r) is Part:
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
        kids = Kids(kids.objs + missing, names + [None] * len(missing), groups)
    return kids


_SEQUENCES = (list, tuple, set, frozenset, __import__("collections").deque)


