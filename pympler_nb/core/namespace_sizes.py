"""Memory per variable of a namespace: shallow, deep and retained sizes in one walk.

:func:`namespace_sizes` answers "which variable holds my memory, and what would
``del name`` give back?" for every user variable of the notebook (IPython's own
names left out) and for the **hidden holders** that keep objects alive behind the
user's back: IPython's output cache (``Out[3]`` with its ``_3``, ``_``, ``__``,
``___``), the input history (``In``, ``_i…``), the last exception
(``sys.last_value`` and its traceback) and ``gc.garbage``.

* **shallow** — the flat size of the object the name is bound to.
* **deep** — the flat sizes of everything reachable from it, each object once
  (classes and modules not entered; numpy arrays and pandas objects by the size
  rules: an array's buffer is part of its own size, a view adds only its header
  and leads to its base).
* **retained** — what ``del name`` frees now: the objects reachable from the name
  and from no other holder. Every other reference counts: other variables, the
  output cache, module globals, running frames, and references that no visible
  holder explains (C code), found by reference counting as the collector does
  (:class:`~._whyalive_release.Retention`). ``retained <= deep`` always; it is
  smaller exactly when something else shares part of the object.

One walk for all names: the closure of every holder's object is taken once
(:func:`~._whyalive_release.reach_closure`), the external references of each
object once; then each object is labelled by the one holder that reaches it (or
as shared), so the retained sizes of all holders cost one pass, and the deep
sizes one pass per holder over its own objects.

:func:`release` runs ``%whyalive``'s release plan for one holder (the statements
:func:`~.whyalive.why_alive` prints, nothing else), collects garbage and reports
the RSS the process got back.

Nothing is kept: results hold names, type names, clipped reprs, ids and sizes.
Standard library only.
"""

from __future__ import annotations

import gc
import sys
import time
import types
import weakref

from ._format import format_size, type_name
from ._labels import name_text
from ._thirdparty import array_base
from ._whyalive_release import Retention, reach_closure
from .flatsize import own_sizes
from .asizeof import flatsize
from .heap.discovery import split_by_type
from .session import OUT_VAR, IN_VAR, LAST_EXC_NAMES, UNDERSCORES, SessionRoots, own_ids, running_shell
from .values import Frozen, check_int

__all__ = ["namespace_sizes", "NamespaceSizes", "HolderSize", "release", "plan_release",
           "Released", "user_variables", "HOLDER_KINDS"]

#: Kinds of rows, with what they are.
HOLDER_KINDS = {
    "variable": "a variable of the namespace",
    "output": "IPython's output cache (Out[n], _n, _, __, ___)",
    "input": "IPython's input history (In, _i, _ii, _iii, _iN)",
    "exception": "the last exception (sys.last_value, its traceback)",
    "garbage": "gc.garbage (kept by gc.DEBUG_SAVEALL or %garbage --keep)",
}

#: IPython's own names in the user namespace (besides _N, _iN and user_ns_hidden).
_IPYTHON_NAMES = frozenset(("In", "Out", "_ih", "_oh", "_dh", "_i", "_ii", "_iii", "exit", "quit",
                            "get_ipython") + UNDERSCORES)

_UNSEEN = -1  # labels of the one pass: an object no holder reached yet
_SHARED = -2  # reached from two or more holders
_RELATED = 1024  # bytes (and 1 % of a row's deep size) it must share with another row to list it


class HolderSize(Frozen):
    """One row: a variable or a hidden holder, and the memory it holds.

    Attributes
    ----------
    name : str
        ``"df"``, ``"Out[3]"``, ``"In / _i…"``, ``"sys.last_value"``, ``"gc.garbage"``.
    kind : str
        A key of :data:`HOLDER_KINDS`.
    type : str
        Type name of the object (for several objects, the container's: ``"list"``).
    shallow : int
        Flat size in bytes of the object (the sum for several objects).
    deep : int
        Bytes reachable from it, each object once.
    retained : int
        Bytes that letting go of this holder frees now (``<= deep``).
    shared : int
        Of :attr:`deep`, the bytes that other listed holders reach too.
    count : int
        Objects reachable from it.
    aliases : tuple of str
        Other names of the same row (``_3``, ``_`` for ``Out[3]``).
    held_by : tuple of str
        Other rows holding the very same object (``("Out[3]",)`` for a variable
        whose value is also a cell's output): ``del name`` alone frees nothing then.
    shares_with : tuple of str
        Other rows that reach part of what this one reaches (pandas frames sharing
        blocks, lists sharing elements), largest holders first.
    view_of : str
        For a numpy view: what owns its buffer (a row's name, or the base's type in
        angle brackets); ``""`` otherwise.
    repr : str
        A clipped repr of the object.
    id : int
        ``id()`` of the object (of the first one, for several).
    """

    __slots__ = ("name", "kind", "type", "shallow", "deep", "retained", "shared", "count",
                 "aliases", "held_by", "shares_with", "view_of", "repr", "id")

    def __init__(self, name, kind, type, shallow, deep, retained, shared, count, aliases=(),
                 held_by=(), shares_with=(), view_of="", repr="", id=0):
        self._set(name=name, kind=kind, type=type, shallow=int(shallow), deep=int(deep),
                  retained=int(retained), shared=int(shared), count=int(count),
                  aliases=tuple(aliases), held_by=tuple(held_by), shares_with=tuple(shares_with),
                  view_of=view_of, repr=repr, id=id)

    @property
    def note(self) -> str:
        """Why :attr:`retained` is smaller than :attr:`deep`, in words (``""`` if it is not)."""
        parts = []
        if self.held_by:
            parts.append("also held by " + ", ".join(self.held_by))
        if self.view_of:
            parts.append(f"view of {self.view_of}")
        if self.shares_with:
            more = f" (+{len(self.shares_with) - 3})" if len(self.shares_with) > 3 else ""
            parts.append(f"shares {format_size(self.shared)} with {', '.join(self.shares_with[:3])}{more}")
        elif self.retained < self.deep and not self.held_by:
            parts.append("part is held elsewhere (module, frame or C code)")
        return "; ".join(parts)

    def __repr__(self):
        return (f"<HolderSize {self.name} ({self.kind}) {self.type}: deep {format_size(self.deep)}, "
                f"retained {format_size(self.retained)}>")


class NamespaceSizes(Frozen):
    """Every holder of a namespace with its sizes (:func:`namespace_sizes`).

    Attributes
    ----------
    rows : tuple of HolderSize
        Variables first, largest retained first; then the hidden holders.
    objects : int
        Objects walked (everything reachable from every holder, each once).
    seconds : float
        Time the walk took.
    notes : tuple of str
    """

    __slots__ = ("rows", "objects", "seconds", "notes")

    def __init__(self, rows, objects, seconds, notes=()):
        self._set(rows=tuple(rows), objects=int(objects), seconds=float(seconds), notes=tuple(notes))

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, name: str) -> HolderSize:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row named {name!r}; rows: {', '.join(r.name for r in self.rows[:20])}")

    def __repr__(self):
        return f"<NamespaceSizes {len(self.rows)} rows, {self.objects} objects, {self.seconds:.3f} s>"

    def __str__(self):
        lines = [f"{'name':<24} {'type':<16} {'shallow':>10} {'deep':>10} {'retained':>10}  note"]
        for r in self.rows:
            lines.append(f"{r.name[:24]:<24} {r.type[:16]:<16} {format_size(r.shallow):>10} "
                         f"{format_size(r.deep):>10} {format_size(r.retained):>10}  {r.note}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# the holders
# ---------------------------------------------------------------------------


class _Holder:
    """A row being built: its name and the references it owns, ``(container id, object)``."""

    __slots__ = ("name", "kind", "aliases", "slots")

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind
        self.aliases: list[str] = []
        self.slots: list = []


def _namespace_of(namespace, shell):
    if namespace is None:
        ns = getattr(shell, "user_ns", None) if shell is not None else None
        if not issubclass(type(ns), dict):
            main = sys.modules.get("__main__")
            ns = getattr(main, "__dict__", None)
        if not issubclass(type(ns), dict):
            raise ValueError("no namespace: not in IPython and __main__ has no globals; pass "
                             "namespace=globals()")
        return ns
    if not issubclass(type(namespace), dict):
        raise TypeError(f"namespace must be a dict (e.g. globals()), got {type(namespace).__name__}")
    return namespace


def _is_user_name(key, value, hidden, is_shell_ns: bool, modules: bool) -> bool:
    if type(key) is not str or (key.startswith("__") and key.endswith("__")):
        return False
    if not modules and issubclass(type(value), types.ModuleType):
        return False
    if is_shell_ns:
        if key in _IPYTHON_NAMES or OUT_VAR.match(key) or IN_VAR.match(key):
            return False
        if hidden is not None and key in hidden and dict.get(hidden, key) is value:
            return False  # what IPython put there itself (%who hides it too)
    return True


def user_variables(namespace=None, *, modules: bool = False) -> list[str]:
    """Names of the user's variables in ``namespace`` (default: the notebook's), in the
    namespace's order: IPython's own names (``In``, ``Out``, ``_``, ``_3``, ``_i3``,
    ``exit``, ``get_ipython`` and what it placed in ``user_ns_hidden``), dunder names and
    (unless ``modules``) imported modules left out."""
    shell = running_shell()
    ns = _namespace_of(namespace, shell)
    is_shell_ns = shell is not None and ns is getattr(shell, "user_ns", None)
    hidden = getattr(shell, "user_ns_hidden", None) if is_shell_ns else None
    hidden = hidden if issubclass(type(hidden), dict) else None
    return [k for k, v in list(dict.items(ns)) if _is_user_name(k, v, hidden, is_shell_ns, modules)]


def _holders(ns, shell, hidden_rows: bool, modules: bool) -> tuple[list, set]:
    """The rows to size, and the ids of the containers their references live in."""
    is_shell_ns = shell is not None and ns is getattr(shell, "user_ns", None)
    hidden = getattr(shell, "user_ns_hidden", None) if is_shell_ns else None
    hidden = hidden if issubclass(type(hidden), dict) else None
    holders: list[_Holder] = []
    containers = {id(ns)}
    for key, value in list(dict.items(ns)):
        if _is_user_name(key, value, hidden, is_shell_ns, modules):
            h = _Holder(key, "variable")
            h.slots.append((id(ns), value))
            holders.append(h)
    key = value = None
    if not hidden_rows:
        return holders, containers
    if is_shell_ns:
        _output_holders(ns, shell, hidden, holders, containers)
        _input_holder(ns, hidden, holders, containers)
    _exception_holder(shell, holders, containers)
    garbage = gc.garbage
    if garbage:
        h = _Holder("gc.garbage", "garbage")
        h.slots.extend((id(garbage), x) for x in list(garbage))
        containers.add(id(garbage))
        holders.append(h)
    return holders, containers


def _output_holders(ns, shell, hidden, holders, containers) -> None:
    """One row per object the output cache holds, named ``Out[n]`` (aliases ``_n``, ``_``)."""
    by_id: dict[int, _Holder] = {}
    oh = dict.get(ns, "_oh")
    if issubclass(type(oh), dict):
        containers.add(id(oh))
        for n, value in sorted(dict.items(oh), key=lambda kv: kv[0] if type(kv[0]) is int else 0):
            if value is None:
                continue
            h = by_id.get(id(value))
            if h is None:
                h = by_id[id(value)] = _Holder(f"Out[{n}]", "output")
                holders.append(h)
            else:
                h.aliases.append(f"Out[{n}]")
            h.slots.append((id(oh), value))
            for table in (ns, hidden):
                if table is not None and dict.get(table, f"_{n}", None) is value:
                    h.slots.append((id(table), value))
                    if table is ns:
                        h.aliases.append(f"_{n}")
    dh = getattr(shell, "displayhook", None)
    if hidden is not None:
        containers.add(id(hidden))
    if dh is not None:
        containers.add(id(dh))
    for name in UNDERSCORES:
        value = dict.get(ns, name)
        if value is None or (type(value) is str and not value):
            continue
        h = by_id.get(id(value))
        if h is None:
            h = by_id[id(value)] = _Holder(name, "output")
            holders.append(h)
        else:
            h.aliases.append(name)
        h.slots.append((id(ns), value))
        try:
            if dh is not None and object.__getattribute__(dh, name) is value:
                h.slots.append((id(dh), value))
        except Exception:  # noqa: BLE001 - an IPython without these attributes
            pass
        if hidden is not None and dict.get(hidden, name) is value:
            h.slots.append((id(hidden), value))


def _input_holder(ns, hidden, holders, containers) -> None:
    """One row for the input history: the cells' text, held by ``In`` and ``_i…``."""
    h = _Holder("In / _i…", "input")
    ih = dict.get(ns, "_ih")
    if issubclass(type(ih), list):
        containers.add(id(ih))
        h.slots.extend((id(ih), s) for s in list.copy(ih) if type(s) is str and s)
    for key, value in list(dict.items(ns)):
        if type(key) is str and type(value) is str and value and (
                key in ("_i", "_ii", "_iii") or IN_VAR.match(key)):
            h.slots.append((id(ns), value))
            if hidden is not None and dict.get(hidden, key) is value:
                h.slots.append((id(hidden), value))
    if h.slots:
        holders.append(h)


def _exception_holder(shell, holders, containers) -> None:
    """One row for the last exception: ``sys.last_value`` (and ``last_exc``), its traceback,
    and IPython's copy of the traceback (``get_ipython().InteractiveTB.tb``)."""
    sysd = sys.__dict__
    h = _Holder("sys.last_value", "exception")
    containers.add(id(sysd))
    for name in LAST_EXC_NAMES:
        value = sysd.get(name)
        if value is not None and not isinstance(value, type):
            h.slots.append((id(sysd), value))
    if shell is not None:
        try:
            itb = object.__getattribute__(shell, "InteractiveTB")
            tb = object.__getattribute__(itb, "tb")
        except Exception:  # noqa: BLE001
            tb = None
        if type(tb) is types.TracebackType:
            containers.add(id(itb))
            h.slots.append((id(itb), tb))
        tb = itb = None
    if h.slots:
        holders.append(h)


# ---------------------------------------------------------------------------
# the walk
# ---------------------------------------------------------------------------


def namespace_sizes(namespace=None, *, hidden: bool = True, modules: bool = False,
                    max_nodes: int = 20_000_000, collect: bool = True) -> NamespaceSizes:
    """Shallow, deep and retained size of every user variable and hidden holder.

    Parameters
    ----------
    namespace : dict, optional
        The variables (default: the notebook's ``user_ns``, else ``__main__``'s globals).
    hidden : bool
        Add the hidden holders' rows (output cache, input history, last exception,
        ``gc.garbage``).
    modules : bool
        Also list variables bound to modules (``np``): they hold nothing we walk.
    max_nodes : int
        Give up (``ValueError``) beyond this many objects.
    collect : bool
        Run ``gc.collect()`` first, so that unreachable cycles do not count as holders.

    Returns
    -------
    NamespaceSizes

    Examples
    --------
    >>> shared = [bytearray(1000) for _ in range(4)]
    >>> ns = {"a": shared, "b": [shared[0]], "c": bytearray(500)}
    >>> r = namespace_sizes(ns, hidden=False)
    >>> r["c"].retained == r["c"].deep == r["c"].shallow > 500
    True
    >>> r["a"].retained < r["a"].deep          # b holds shared[0] too
    True
    >>> r["b"].retained == r["b"].shallow, r["b"].shares_with
    (True, ('a',))
    """
    check_int(max_nodes, "max_nodes", 1)
    t0 = time.perf_counter()
    shell = running_shell()
    ns = _namespace_of(namespace, shell)
    if collect:
        gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # millions of new lists: no collection in the middle of the walk
    try:
        return _walk(ns, shell, hidden, modules, max_nodes, t0)
    finally:
        if was_enabled:
            gc.enable()


def _walk(ns, shell, hidden, modules, max_nodes, t0) -> NamespaceSizes:
    holders, containers = _holders(ns, shell, hidden, modules)
    own = own_ids()
    roots = SessionRoots(own, frames=False)
    stop = set(roots.stop) | set(roots.containers) | own | containers
    roots = None
    # the walk's seeds: each object once (this list is our one reference to each)
    seeds = list({id(v): v for h in holders for _c, v in h.slots}.values())
    slot_ids = [[(c, id(v)) for c, v in h.slots] for h in holders]
    firsts = [h.slots[0][1] for h in holders]
    labels: dict = {}  # a DataFrame by its rule's label ("DataFrame (3 rows x 2 columns)"), not its
    # repr, which costs a millisecond and fills the frame's caches; containers bounded
    head = [(type_name(v), _base_of(v), name_text(("r", "", v), 80, labels)) for v in firsts]
    # classes and modules are not walked (as asizeof does not enter them): their own size only
    unwalked = [flatsize(v) if issubclass(type(v), (type, types.ModuleType)) else None for v in firsts]
    labels = None
    for h in holders:
        h.slots = None
    del firsts
    folded: list = []  # per member: (bytes, count) of the strings and floats only it holds
    closed = reach_closure(seeds, stop, max_nodes, folded)
    if closed is None:
        raise ValueError(f"namespace_sizes: more than max_nodes={max_nodes} objects are reachable "
                         f"from the namespace; pass a larger max_nodes")
    members, index, kids_of = closed
    del closed
    retention = Retention(members, index, kids_of, None, 0, {id(s): 1 for s in seeds})
    outside = retention.base
    retention = None
    del seeds
    flat = _sizes(members)
    weights = [1 + c for _b, c in folded]
    sizes = [size + b for size, (b, _c) in zip(flat, folded)]  # with the atoms folded in
    objects = sum(weights)
    del folded
    view_ids = [None if b is None else b[0] for _t, b, _r in head]
    head = [(t, None if b is None else b[1], r) for t, b, r in head]
    del members
    n = len(kids_of)
    # references from the holders' own slots are not "outside"
    for slots in slot_ids:
        for _c, vid in slots:
            i = index.get(vid)
            if i is not None:
                outside[i] -= 1
    label = [_UNSEEN] * n
    # 1. each holder's objects: its own, until a second holder reaches them
    get = index.get

    def claim(ids, k, stack):
        # unseen: holder k's (and visited next); another holder's: shared, with all below
        for vid in ids:
            j = get(vid)
            if j is None:
                continue
            lab = label[j]
            if lab == _UNSEEN:
                label[j] = k
                stack.append(j)
            elif lab >= 0 and lab != k:
                label[j] = _SHARED
                _flood([j], kids_of, index, label, _SHARED)

    for k, slots in enumerate(slot_ids):
        stack = []
        claim([vid for _c, vid in slots], k, stack)
        while stack:
            claim(kids_of[stack.pop()], k, stack)
    # 2. what something else holds (a module, a frame, C code), and all below it, stays
    held = bytearray(n)
    stack = [i for i in range(n) if outside[i] > 0]
    for i in stack:
        held[i] = 1
    while stack:
        i = stack.pop()
        for cid in kids_of[i]:
            j = get(cid)
            if j is not None and not held[j]:
                held[j] = 1
                stack.append(j)
    retained = [0] * len(holders)
    for i in range(n):
        lab = label[i]
        if lab >= 0 and not held[i]:
            retained[lab] += sizes[i]
    # 3. deep sizes: one walk per holder over what it reaches
    first = [-1] * n
    stamp = [-1] * n
    rows = []
    value_ids = [slots[0][1] if slots else 0 for slots in slot_ids]
    names_by_value: dict[int, list[int]] = {}
    for k, slots in enumerate(slot_ids):
        for vid in dict.fromkeys(v for _c, v in slots):
            names_by_value.setdefault(vid, []).append(k)
    for k, slots in enumerate(slot_ids):
        deep = shared = count = shallow = 0
        others: dict[int, int] = {}
        stack = []
        for _c, vid in dict.fromkeys(slots):
            i = get(vid)
            if i is not None and stamp[i] != k:
                stamp[i] = k
                stack.append(i)
                shallow += flat[i]
        while stack:
            i = stack.pop()
            deep += sizes[i]
            count += weights[i]
            lab = label[i]
            if lab == _SHARED:
                shared += sizes[i]
            f = first[i]
            if f == -1:
                first[i] = k
            elif f != k:
                others[f] = others.get(f, 0) + sizes[i]
            for cid in kids_of[i]:
                j = get(cid)
                if j is not None and stamp[j] != k:
                    stamp[j] = k
                    stack.append(j)
        rows.append([deep, shared, count, shallow, others])
    # who a later holder shares with is recorded on the later one: make it mutual
    for k, row in enumerate(rows):
        for f, nbytes in row[4].items():
            back = rows[f][4]
            back[k] = back.get(k, 0) + nbytes
    out = []
    for k, h in enumerate(holders):
        deep, shared, count, shallow, others = rows[k]
        tname, base_type, text = head[k]
        if unwalked[k] is not None:
            shallow = deep = unwalked[k]
        held_by = tuple(holders[j].name for j in names_by_value.get(value_ids[k], ()) if j != k)
        # (what everyone shares, like one-character strings, does not make two rows related)
        shares = tuple(holders[j].name for j, nbytes in sorted(others.items(), key=lambda kv: -kv[1])
                       if holders[j].name not in held_by and nbytes >= max(_RELATED, deep // 100))
        view_of = ""
        if view_ids[k] is not None:
            owners = [holders[j].name for j in names_by_value.get(view_ids[k], ())]
            view_of = owners[0] if owners else f"<{base_type}>"
        if h.kind == "input":
            tname = "str"
        if h.kind in ("input", "garbage") and len(slot_ids[k]) > 1:
            text = f"{len(set(v for _c, v in slot_ids[k]))} objects"
        out.append(HolderSize(h.name, h.kind, tname, shallow, deep, min(retained[k], deep),
                              shared, count, h.aliases, held_by, shares, view_of, text,
                              value_ids[k]))
    variables = sorted((r for r in out if r.kind == "variable"), key=lambda r: (-r.retained, -r.deep, r.name))
    hidden_rows = [r for r in out if r.kind != "variable"]
    notes = []
    if shell is None or ns is not getattr(shell, "user_ns", None):
        notes.append("not IPython's namespace: no output cache or input history rows")
    return NamespaceSizes(variables + hidden_rows, objects, time.perf_counter() - t0, notes)


def _flood(stack, kids_of, index, label, to) -> None:
    """Set ``label`` to ``to`` on everything below ``stack`` that one holder had."""
    get = index.get
    while stack:
        i = stack.pop()
        for cid in kids_of[i]:
            j = get(cid)
            if j is not None and label[j] >= 0:
                label[j] = to
                stack.append(j)


def _sizes(members: list) -> list:
    """Flat sizes of ``members`` (:func:`flatsize.own_sizes` per type, in bulk)."""
    by_id: dict = {}
    for tp, group, _rc in split_by_type(members, list(map(type, members))):
        by_id.update(zip(map(id, group), own_sizes(tp, group)))
        group.clear()
    return list(map(by_id.__getitem__, map(id, members)))


def _base_of(obj):
    """``(id, type name)`` of what a numpy view shares its buffer with (the last base
    along ``.base``), or None; the base itself is not kept."""
    base = array_base(obj)
    seen = 0
    while base is not None and seen < 32:
        nxt = array_base(base)
        if nxt is None:
            break
        base = nxt
        seen += 1
    return None if base is None else (id(base), type_name(base))


# ---------------------------------------------------------------------------
# the free action: %whyalive's plan, run
# ---------------------------------------------------------------------------


class Released(Frozen):
    """What :func:`release` did.

    Attributes
    ----------
    name : str
        The row released (``"df"``, ``"Out[3]"``).
    ran : tuple of str
        The statements run, in order (the plan's runnable actions).
    skipped : tuple of str
        Plan entries that are not statements (a code change to make, a frame to leave).
    errors : tuple of str
        Statements that raised, with the error.
    planned_bytes : int or None
        What the plan said it frees.
    rss_before, rss_after : int or None
        The process's resident set size before the plan ran and after it ran and a
        ``gc.collect()`` (None where the OS does not tell).
    gone : bool or None
        Whether the object is gone (None: it cannot be weakly referenced, so unknown).
    """

    __slots__ = ("name", "ran", "skipped", "errors", "planned_bytes", "rss_before", "rss_after", "gone")

    def __init__(self, name, ran, skipped, errors, planned_bytes, rss_before, rss_after, gone):
        self._set(name=name, ran=tuple(ran), skipped=tuple(skipped), errors=tuple(errors),
                  planned_bytes=planned_bytes, rss_before=rss_before, rss_after=rss_after, gone=gone)

    @property
    def rss_returned(self) -> int | None:
        """Bytes of RSS the process got back (negative if it grew)."""
        if self.rss_before is None or self.rss_after is None:
            return None
        return self.rss_before - self.rss_after

    def __str__(self):
        if not self.ran:
            head = f"{self.name}: nothing run"
        else:
            head = f"{self.name}: ran {'; '.join(self.ran)}"
        back = self.rss_returned
        if back is not None:
            head += f"; RSS {'returned' if back >= 0 else 'grew by'} {format_size(abs(back))}"
        if self.gone is not None:
            head += "; the object is gone" if self.gone else "; the object is still alive"
        lines = [head]
        lines.extend(f"  not run: {s}" for s in self.skipped)
        lines.extend(f"  failed: {e}" for e in self.errors)
        return "\n".join(lines)

    def __repr__(self):
        return f"<Released {self.name!r} ran={list(self.ran)} rss_returned={self.rss_returned}>"


def _target(name: str, namespace):
    """The object a row stands for: a variable's value, ``Out[n]``, ``_``, ``sys.last_value``."""
    if type(name) is not str or not name:
        raise TypeError(f"name must be a row's name (a str such as 'df' or 'Out[3]'), got {name!r}")
    shell = running_shell()
    ns = _namespace_of(namespace, shell)
    if name.startswith("Out[") and name.endswith("]"):
        oh = dict.get(ns, "_oh")
        try:
            return dict.__getitem__(oh, int(name[4:-1]))
        except (TypeError, ValueError, KeyError):
            raise KeyError(f"{name} is not in the output cache (it holds {sorted(oh or ())[:10]})") from None
    if name == "sys.last_value":
        value = sys.__dict__.get("last_value") or sys.__dict__.get("last_exc")
        if value is None:
            raise KeyError("there is no last exception (sys.last_value is not set)")
        return value
    if name in ("In / _i…", "gc.garbage"):
        raise ValueError(f"{name} holds many objects kept by IPython or the collector: there is "
                         f"no one object to release (clear it with %reset -f in / gc.garbage.clear())")
    if name not in ns:
        raise KeyError(f"{name!r} is not a variable of the namespace")
    return dict.__getitem__(ns, name)


def plan_release(name: str, namespace=None):
    """The release plan of a row (:func:`~.whyalive.why_alive` of its object): the
    statements that drop every reference to it, and what they free."""
    from .whyalive import why_alive

    obj = _target(name, namespace)
    if obj is None or obj is True or obj is False:
        raise ValueError(f"{name} is {obj!r}, which the interpreter itself keeps alive")
    try:
        return why_alive(obj, name=name, _own_refs=1)
    finally:
        obj = None


def release(name: str, namespace=None, *, expect=None) -> Released:
    """Run the release plan of a row and report the RSS the process got back.

    The plan is :func:`plan_release`'s (``%whyalive``'s actions): its statements run in
    the notebook's namespace, in order; then ``gc.collect()``. Plan entries that are no
    statement (code to change, a running frame) are reported, not run.

    Parameters
    ----------
    name : str
        A row's name: a variable, ``"Out[3]"``, ``"_"``, ``"sys.last_value"``.
    namespace : dict, optional
        Where the statements run (default: the notebook's ``user_ns``).
    expect : sequence of str, optional
        The statements the user confirmed; if the plan now differs, nothing runs and
        ``ValueError`` says what changed.
    """
    from .process import ProcessMemoryInfo

    shell = running_shell()
    ns = _namespace_of(namespace, shell)
    result = plan_release(name, ns)
    ran_plan = [a.text for a in result.plan if a.runnable]
    skipped = [a.text for a in result.plan if not a.runnable]
    if expect is not None and list(expect) != ran_plan:
        raise ValueError(f"the release plan of {name} changed since it was shown: now "
                         f"{'; '.join(ran_plan) or 'nothing to run'}; confirm again")
    planned = result.releasable_bytes
    try:
        ref = weakref.ref(_target(name, ns))
    except TypeError:
        ref = None
    result = None
    before = ProcessMemoryInfo().rss
    errors, ran = [], []
    for text in ran_plan:
        try:
            exec(compile(text, f"<release {name}>", "exec"), ns)  # noqa: S102 - why_alive's own plan
            ran.append(text)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            errors.append(f"{text}: {type(exc).__name__}: {exc}")
    gc.collect()
    after = ProcessMemoryInfo().rss
    gone = None if ref is None else ref() is None
    return Released(name, ran, skipped, errors, planned, before or None, after or None, gone)
