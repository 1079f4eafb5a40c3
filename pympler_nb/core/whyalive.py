"""Why is this object still alive? Shortest referrer chains from roots, in user terms.

:func:`why_alive` answers the question a notebook user asks after ``del x`` did not
bring memory down: *who still holds it, and what do I do about it?*

* **Roots** are where a chain ends: module globals (``json._default_decoder``),
  the interactive namespace (``x``), IPython's output cache (``Out[3]``, ``_3``,
  ``_``), the last traceback (``sys.last_traceback → frame f() local arr``), the
  IPython shell (``get_ipython().user_ns_hidden['_3']``) and the local variables of
  running functions in every thread (``frame f() local arr``).
* **Chains** are found by a backward breadth-first search from the object
  (``gc.get_referrers`` on a whole level at once, so a 3-hop chain costs a few
  passes over the heap), so each one is a shortest path from its root. Containers
  that the garbage collector does not track (a ``dict`` holding only arrays or
  strings) are found by one extra scan when the object itself is untracked.
* **One chain per way to let go.** Every reference to the object is a candidate;
  when Python code cannot remove it (a tuple item, a local of a finished frame),
  the references to its holder are, and so on up. Each chain is the shortest way
  from a root to one such reference and carries the action that removes it
  (``del cache['x']``, ``h.items = None``, ``del Out[3]``, ``%reset -f out``,
  ``sys.last_type = sys.last_value = sys.last_traceback = None``); chains that the
  same action cuts are shown once. :attr:`WhyAlive.plan` lists the actions that cut
  them all (minus those another one covers), deepest first, so they can be run in
  order.
* **Releasable bytes.** The rule, applied to the references an action removes:
  take every object reachable from the objects just below those references; an
  object survives if, after the cut, something outside that set still refers to it
  (reference counts minus the references inside the set, exactly as CPython's
  collector reasons) or a survivor reaches it; the flat sizes of the rest are what
  the action frees. References held by C code count as holders, so numbers err on
  the side of "not freed". Types, modules, module dictionaries and the IPython
  shell are never counted as freed. When part of what an action frees lies on a
  reference cycle (or is held only by one), reference counting does not free it
  and the cyclic collector does: :attr:`Action.needs_collect` is then True and
  the text says "frees … after the next gc.collect()". An object held through
  ``sys.last_traceback`` is the common case: the exception, its traceback,
  IPython's ``run_code`` frame and the cell's ``ExecutionResult`` form a cycle.

The engine is split at its seams: :mod:`._whyalive_search` (the backward search and
the raw chains), :mod:`._whyalive_actions` (labels and safe actions),
:mod:`._whyalive_release` (releasable bytes), :mod:`.session` (the roots); this module
holds the results and :func:`why_alive`.

Nothing is kept: results hold ids, type names, clipped reprs and sizes only, and
pympler_nb's own frames and containers are ignored during the search.

Limits worth knowing: on Python 3.11/3.12 reading a running function's locals
makes CPython store a snapshot dictionary in that frame (as every debugger does);
it holds the same objects as the frame's variables and goes away when the function
returns. Python 3.13 reads locals without that side effect. Attribute names of
objects whose ``__dict__`` was never created are read from the class's shared keys
(or recovered from the class's code where the layout is not readable); an attribute
that neither finds shows by the type it leads to (`` → <list>``).
"""

from __future__ import annotations

import gc
import sys

from ._format import format_size, one_line, type_name
from .session import LAST_EXC_NAMES as _LAST_EXC_NAMES
from .session import SessionRoots as _Roots
from .session import own_ids
from ._graphwalk import (
    GraphEdge,
    GraphModel,
    GraphNode,
    Labeller,
    module_dict,
    deep_size,
    flat_size,
    node_repr,
)
from ._whyalive_actions import (
    DROPPED,
    KIND_ORDER,
    NOTHING,
    ROOT_KINDS,
    Action,
    action_for,
    BuiltChain,
    frees_phrase,
    chain_label,
    graph_node,
    shell_traceback,
    with_import,
)
from ._whyalive_release import ATOMS, reach_closure, Retention  # noqa: F401 - ATOMS: re-exported
from ._whyalive_search import enumerate_chains, search_chains
from .values import Frozen, check_int

__all__ = ["why_alive", "find_chains", "WhyAlive", "Chain", "Action", "ROOT_KINDS"]


# ---------------------------------------------------------------------------
# Result classes
# ---------------------------------------------------------------------------


class Chain(Frozen):
    """One shortest referrer chain from a root to the object.

    Attributes
    ----------
    root : str
        Where the chain starts, in words (``"IPython output cache"``,
        ``"module json"``, ``"running function f() [thread worker]"``).
    root_kind : str
        A key of :data:`ROOT_KINDS`.
    path : str
        The chain in user terms: ``"cache['x'].items[2]"``, ``"Out[3]"``,
        ``"sys.last_traceback → frame f() local arr"``.
    hops : tuple of Hop
        Each reference of the chain, from the root's slot to the object.
    nodes : tuple of GraphNode
        The objects along the chain (the root container first, the object last);
        ids, types, flat sizes and clipped reprs only.
    length : int
        Number of references (hops).
    action : Action
        What removes this chain's reference, with the bytes it frees.
    """

    __slots__ = ("root", "root_kind", "path", "hops", "nodes", "length", "action")

    def __init__(self, root, root_kind, path, hops, nodes, action):
        self._set(root=root, root_kind=root_kind, path=path, hops=tuple(hops),
                   nodes=tuple(nodes), length=len(hops), action=action)

    @property
    def releasable_bytes(self):
        """Bytes that :attr:`action` would free (``None`` if not computed)."""
        return self.action.releasable_bytes

    def __repr__(self):
        return f"<Chain {self.path!r} ({self.root_kind}, {self.length} hops)>"

    def __str__(self):
        return self.path


class WhyAlive(Frozen):
    """What keeps one object alive: chains, the release plan and its size.

    Attributes
    ----------
    target_id, target_type, target_repr, target_size
        The object (its flat size in bytes: the object alone).
    target_deep_size : int or None
        Its deep size in bytes (:func:`~pympler_nb.core.asizeof.asizeof`: the object and
        everything it refers to, shared or not) — the size a user means by "this
        DataFrame"; :attr:`releasable_bytes` is what letting go of it frees.
    chains : tuple of Chain
        Shortest chains, one per distinct way to let go, shortest first.
    plan : tuple of Action
        Actions that together cut every chain found (those covered by a broader
        one left out), in an order that can be run as is.
    releasable_bytes : int or None
        Bytes the plan's actions free together (``None`` if not computed);
        a ``"manual"`` action (no safe statement known) is not counted: its own
        :attr:`Action.releasable_bytes` is what changing the code as it says would free.
    needs_collect : bool
        The plan's bytes are only all freed after a cyclic garbage collection
        (some of them are on, or only held by, a reference cycle); see
        :attr:`Action.needs_collect`.
    hidden_refs : int
        References to the object that no visible holder explains (C extensions,
        the interpreter, an argument tuple of a caller); if positive, the plan may
        not free it.
    truncated : bool
        The search hit ``max_depth``, ``max_nodes`` or ``max_chains`` before it ran
        out of referrers; more chains may exist.
    notes : tuple of str
        Assumptions behind the numbers (e.g. bytes are counted as of the end of
        the current IPython cell).
    """

    __slots__ = ("target_id", "target_type", "target_repr", "target_size", "chains", "plan",
                 "releasable_bytes", "hidden_refs", "truncated", "notes", "needs_collect",
                 "target_deep_size")

    def __init__(self, target_id, target_type, target_repr, target_size, chains, plan,
                 releasable_bytes, hidden_refs, truncated, notes=(), needs_collect=False,
                 target_deep_size=None):
        self._set(target_id=target_id, target_type=target_type, target_repr=target_repr,
                   target_size=target_size, chains=tuple(chains), plan=tuple(plan),
                   releasable_bytes=releasable_bytes, hidden_refs=hidden_refs,
                   truncated=truncated, notes=tuple(notes), needs_collect=bool(needs_collect),
                   target_deep_size=target_deep_size)

    @property
    def headline(self) -> str:
        """``"DataFrame 12.3 KiB deep; releasing it frees 12.1 KiB"`` (sizes labelled)."""
        deep = "?" if self.target_deep_size is None else format_size(self.target_deep_size)
        text = f"{self.target_type} {deep} deep"
        runnable = [a for a in self.plan if a.kind != "manual"]
        if self.chains and self.releasable_bytes is not None and runnable:
            verb = "releasing it frees" if len(runnable) == len(self.plan) else "the safe actions free"
            text += f"; {verb} {frees_phrase(self.releasable_bytes, self.needs_collect)[6:]}"
        elif self.chains and not runnable and self.plan:
            text += "; no safe statement releases it"
        return text

    def __len__(self):
        return len(self.chains)

    def __iter__(self):
        return iter(self.chains)

    def __repr__(self):
        return (f"<WhyAlive {self.target_type} id={self.target_id:#x}: "
                f"{len(self.chains)} chains, plan={[a.text for a in self.plan]}>")

    def __str__(self):
        head = (f"{self.headline}  (at {self.target_id:#x}, {format_size(self.target_size)} flat)\n"
                f"  {self.target_repr}")
        if not self.chains:
            lines = [head, "  no chain from a root was found"
                     + (" (search truncated)" if self.truncated else "")
                     + " — it is only referenced by other unreachable objects or the caller."]
        else:
            lines = [head, f"  kept alive by {len(self.chains)} chain(s):"]
            width = max(len(c.path) for c in self.chains)
            for c in self.chains:
                size = c.action.frees_text
                size = f"  {size}" if size else ""
                head_text, extra = c.action.text, c.action.note
                if not c.action.runnable and c.action.kind == "manual":
                    size = f"  (would free {size.strip()[6:]})" if size else ""
                    head_text, _, why = c.action.text.partition(": ")
                    extra = why + (f"; {extra}" if extra else "")
                lines.append(f"    {c.path:<{width}}  [{ROOT_KINDS[c.root_kind]}]  → {head_text}{size}")
                if extra:
                    lines.append(f"    {'':<{width}}    ({extra})")
            runnable = [a.text for a in self.plan if a.kind != "manual"]
            manual = [a.text for a in self.plan if a.kind == "manual"]
            total = frees_phrase(self.releasable_bytes, self.needs_collect)
            if runnable:
                lines.append(f"  to release it: {'; '.join(runnable)}" + (f" {total}" if total else ""))
            if manual and not runnable:
                lines.append("  no statement releases it safely: the code that holds it has to change (see above)")
            elif manual:
                lines.append("  (the other chains need a code change: see above)")
            if self.needs_collect and self.releasable_bytes:
                lines.append("  (what it frees lies on a reference cycle: the actions alone do not free "
                             "it, the garbage collector does; gc.collect() frees it at once)")
        if self.hidden_refs > 0:
            lines.append(f"  + {self.hidden_refs} reference(s) from holders pympler_nb cannot see "
                         f"(C code, the interpreter, or a caller's argument tuple)")
        if self.truncated and self.chains:
            lines.append("  (search truncated: raise max_depth / max_chains for more)")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_graph(self) -> GraphModel:
        """The chains as one small :class:`GraphModel` (root containers to the object)."""
        nodes: dict[int, GraphNode] = {}
        edges: list[GraphEdge] = []
        for chain in self.chains:
            for node in chain.nodes:
                nodes.setdefault(node.id, node)
            ids = [n.id for n in chain.nodes]
            if len(ids) == len(chain.hops) + 1:
                pairs = zip(ids[:-1], ids[1:], chain.hops)
            else:  # frame roots: the frame is the first node
                pairs = zip(ids[:-1], ids[1:], chain.hops[-(len(ids) - 1):])
            for src, dst, hop in pairs:
                edges.append(GraphEdge(src, dst, hop.text.strip()))
        target = nodes.get(self.target_id)
        if target is not None:
            nodes[self.target_id] = target.replace(highlight=True)
        return GraphModel(nodes.values(), dict.fromkeys(edges), roots=(self.target_id,),
                          truncated=self.truncated, direction="backrefs")


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def why_alive(obj, *, max_depth: int = 30, max_chains: int = 10, extra_depth: int = 3,
              max_nodes: int = 1_000_000, releasable: bool = True, ignore=(),
              collect: bool = True, name: str | None = None, outputs_after: int = 0,
              named_roots=None, _own_refs: int = 0) -> WhyAlive:
    """Find what keeps ``obj`` alive: shortest chains from roots, actions, bytes.

    Parameters
    ----------
    obj : object
        The object to explain. It is not kept: the result holds its id only.
    max_depth : int
        Longest chain searched (references from a root).
    max_chains : int
        Most chains returned (one per distinct action).
    extra_depth : int
        After the shortest chain is found, keep searching this many more levels
        for other holders.
    max_nodes : int
        Give up after visiting this many objects (``truncated`` is set); also the
        largest structure whose releasable bytes are computed.
    releasable : bool
        Compute :attr:`Chain.releasable_bytes` and :attr:`WhyAlive.releasable_bytes`
        (one walk over what the object holds; ``False`` is faster).
    ignore : iterable
        Objects (or ids) never to treat as holders, e.g. your own temporary lists.
    collect : bool
        Run ``gc.collect()`` first, so that unreachable cycles (IPython's traceback
        formatting leaves many) do not count as holders. ``False`` keeps the
        collector's state untouched; garbage then shows up as holders and lowers
        the releasable bytes.
    name : str, optional
        The expression that gave ``obj`` (``%whyalive`` passes the user's). Actions
        that must name the object itself use it (``s.discard(x)``, ``del d[x]`` for
        a dict key); without it they pick the object by identity.
    outputs_after : int
        Results IPython's output cache stores before the plan is read and run: ``%whyalive``
        passes 1 when its own table is the cell's displayed result, which makes ``_`` the
        table and moves the object to ``__``. Chains and actions name ``_``, ``__``,
        ``___`` as they will be then (a ``___`` that moves out needs no action).
    named_roots : mapping of str to object, optional
        More roots, by name: a chain that reaches one of these containers ends there
        and reads ``name['key']`` (a dict) or ``name.attr`` (``root_kind`` ``"named"``,
        ``root`` the name). :mod:`pympler_nb.distributed` names a Dask worker's data
        buffer and task states so. The containers are not kept.

    Returns
    -------
    WhyAlive

    Examples
    --------
    A module's cache holds a buffer (a notebook's globals read the same: ``cache['x']``):

    >>> import sys, types
    >>> import pympler_nb.core.whyalive as wa
    >>> app = sys.modules["app"] = types.ModuleType("app")
    >>> app.cache = {"x": bytearray(10_000)}
    >>> r = wa.why_alive(app.cache["x"])
    >>> [(c.path, c.action.text) for c in r.chains if c.root_kind == "module"]
    [("app.cache['x']", "del app.cache['x']")]
    >>> del sys.modules["app"]
    """
    check_int(max_depth, "max_depth", 1)
    check_int(max_chains, "max_chains", 1)
    check_int(extra_depth, "extra_depth", 0)
    check_int(max_nodes, "max_nodes", 1)
    check_int(_own_refs, "_own_refs", 0)
    check_int(outputs_after, "outputs_after", 0)
    own: set[int] = own_ids()  # what pympler_nb keeps for itself (trackers' summaries, snapshots)
    for item in ignore:
        own.add(item if type(item) is int else id(item))
    if obj is None or obj is True or obj is False or obj is Ellipsis or obj is NotImplemented:
        raise ValueError(f"why_alive({obj!r}): the interpreter itself keeps {obj!r} alive (nothing to "
                         f"release); pass the object you mean (a dead weakref gives None)")
    if name is not None and (type(name) is not str or not name.strip()):
        raise ValueError(f"name must be the expression for obj as a non-empty str, got {name!r}")
    target_size = flat_size(obj)
    try:  # first: a repr (pandas') may fill caches that the object then holds
        target_deep = deep_size(obj)
    except Exception:  # noqa: BLE001 - a hostile object: its deep size is unknown
        target_deep = None
    if collect:
        gc.collect()
    roots = _Roots(own)
    if named_roots is not None:
        if not hasattr(named_roots, "items"):
            raise TypeError(f"named_roots must map names to containers, got {type(named_roots).__name__}")
        for root_name, container in list(named_roots.items()):
            if type(root_name) is not str or not root_name:
                raise ValueError(f"named_roots: a root's name must be a non-empty str, got {root_name!r}")
            roots.add_named(root_name, container)
        container = None
    roots.target_id = id(obj)
    roots.target_name = None if name is None else name.strip()
    roots.output_shift = outputs_after
    # References to obj right now, minus this frame's parameter and getrefcount's argument.
    target_ext = sys.getrefcount(obj) - 2 - _own_refs
    found = search_chains(obj, roots, own, max_depth, max_chains, extra_depth, max_nodes)
    objs = found.objs
    tid = id(obj)
    labeller = Labeller()
    raw, more = enumerate_chains(found, tid, roots, labeller, 4 * max_chains)
    truncated = found.truncated or more
    found_refs = found.found_refs
    built: list[BuiltChain] = []
    node_cache: dict[int, GraphNode] = {}
    r = None
    for r in raw:
        root_kind, root_desc, root_text, skip, path, hops, node_ids = chain_label(r, objs, roots, labeller)
        action, cuts, seeds, cut_at = action_for(root_kind, root_text, skip, hops, node_ids,
                                                  objs, roots, r)
        action = with_import(action, r, roots, root_kind)
        nodes = []
        for nid in node_ids:
            node = node_cache.get(nid)
            if node is None:
                if nid == tid:  # its repr comes last: a repr (pandas') may fill caches
                    node = GraphNode(id=nid, type=type_name(obj), size=target_size, repr="")
                elif nid in objs:
                    node = graph_node(objs[nid])
                elif r.kind == "frame" and nid == r.frame_root.frame_id:
                    node = GraphNode(id=nid, type="frame", size=0, repr=r.frame_root.where)
                else:
                    node = roots.container_node(nid)
                node_cache[nid] = node
            nodes.append(node)
        built.append(BuiltChain(kind=root_kind, root_desc=root_desc, path=path, hops=hops,
                            node_ids=node_ids, nodes=nodes, action=action, cut_ids=cuts,
                            seeds=seeds, cut_at=cut_at))
    del raw, r
    # shortest first; one chain per distinct action
    built.sort(key=lambda b: (len(b.hops), KIND_ORDER.get(b.kind, 99), b.path))
    chosen: list[BuiltChain] = []
    seen_actions: set = set()
    for b in built:
        key = b.action._cuts
        if key in seen_actions:
            continue
        seen_actions.add(key)
        chosen.append(b)
        if len(chosen) >= max_chains:
            truncated = truncated or len(built) > len(chosen)
            break
    # the plan: drop actions whose references a broader action removes too; deepest cuts
    # first, so that running the actions in order never removes a container before its item
    plan: list[BuiltChain] = []
    for b in sorted(chosen, key=_plan_order):
        if b.action.kind == "transient":
            continue  # happens by itself; counted below for every action
        if any(set(b.cut_ids) <= set(p.cut_ids) and b is not p for p in chosen
               if len(p.cut_ids) > len(b.cut_ids)):
            continue
        parts = set(b.action.text.split("; "))
        if any(p is not b and p.action.kind != "manual" and parts <= set(p.action.text.split("; "))
               and p.action.text != b.action.text for p in chosen):
            continue  # another action runs these statements too
        if any(p.action.text == b.action.text for p in plan):
            continue
        plan.append(b)
    target_type = type_name(obj)
    hidden = max(0, target_ext - found_refs)
    # seeds (objects just below the cut references) for the releasable computation
    seed_ids = {sid for b in chosen for sid in b.seeds}
    seeds = [objs[s] if s in objs else _seed_from_cuts(s, roots) for s in seed_ids]
    seeds = [s for s in seeds if s is not NOTHING]
    transient_cut, transient_obj = _transient(roots)
    notes = []
    if tid in roots.containers:
        kind, name = roots.containers[tid]
        notes.append(f"it is itself a root ({'globals of ' + name if kind in ('module', 'namespace') else name})")
    # the previous cell's ExecutionResult matters if it holds the object (the search
    # went through it) or if dropping it changes what an action frees (checked below)
    transient_matters = transient_cut is not None and transient_cut[1] in objs
    if transient_cut is not None and transient_cut[1] not in seed_ids:
        seeds.append(transient_obj)
    transient_obj = None
    extra_own: dict[int, int] = {}
    for sid in map(id, seeds):  # no loop variable may keep a seed: it would count as a holder
        extra_own[sid] = extra_own.get(sid, 0) + 1
    del objs, found
    labeller = None
    action_bytes: dict[frozenset, tuple[int, bool]] = {}
    plan_bytes = None
    plan_collect = False
    if releasable and chosen:
        stop = set(roots.stop) | set(roots.containers) | own
        closed = reach_closure(seeds, stop, max_nodes)
        if closed is not None:
            retention = Retention(*closed, tid, target_ext, extra_own)
            del closed
            # what goes anyway when the cell ends is not credited to any action
            always = [transient_cut] if transient_cut is not None else []
            # a `___` that the next output moves out goes by itself too
            always += [c for b in built if b.action.text == DROPPED for c in b.cut_ids]
            before = retention.release(always, check_collect=False)[2] if always else None
            cut_sets = {b.action._cuts: list(b.cut_ids) for b in chosen}
            for key, cuts in cut_sets.items():
                nbytes, collect, _dead = retention.release(always + cuts, before)
                action_bytes[key] = (nbytes, collect)
                if always and not transient_matters:
                    transient_matters = retention.release(cuts, check_collect=False)[0] != nbytes
            plan_cuts = [c for b in plan if b.action.kind != "manual" for c in b.cut_ids]
            same = [key for key, cuts in cut_sets.items() if sorted(cuts) == sorted(plan_cuts)]
            if same:  # one action is the whole plan (the common case): computed already
                plan_bytes, plan_collect = action_bytes[same[0]]
                _dead = None
            else:
                plan_bytes, plan_collect, _dead = retention.release(always + plan_cuts, before)
            if always and not transient_matters:
                transient_matters = retention.release(plan_cuts, check_collect=False)[0] != plan_bytes
            del retention, before, _dead
    del seeds
    if transient_matters:
        notes.append("bytes are counted as of the end of this cell, when IPython drops "
                     "get_ipython().last_execution_result (the previous cell's result), "
                     "which holds the object or part of what it frees")

    def done(action):
        nbytes, collect = action_bytes.get(action._cuts, (None, False))
        return action._with_bytes(nbytes, collect)

    # the reprs last, once every number is taken (a DataFrame's repr fills pandas' caches)
    target_repr = one_line(node_repr(obj, clip=400), 80)  # (a header line)
    target_node = GraphNode(id=tid, type=target_type, size=target_size, repr=node_repr(obj, clip=80))
    chains = tuple(Chain(b.root_desc, b.kind, b.path, b.hops,
                         [target_node if n.id == tid else n for n in b.nodes], done(b.action))
                   for b in chosen)
    plan_actions = tuple(done(b.action) for b in plan)
    roots = None
    return WhyAlive(tid, target_type, target_repr, target_size, chains, plan_actions,
                    plan_bytes, hidden, truncated, notes, needs_collect=plan_collect,
                    target_deep_size=target_deep)


def _plan_order(b: BuiltChain):
    """Deepest cuts first; list items from the highest index down (no index shifts)."""
    depth = b.cut_at if b.cut_at is not None else len(b.hops)
    cut = b.hops[b.cut_at] if b.cut_at is not None else None
    index = int(cut.name) if cut is not None and cut.kind == "index" and cut.name.isdigit() else 0
    return (-depth, -index)


def _transient(roots: _Roots):
    """IPython's reference to the previous cell's ExecutionResult, as ``(cut, object)``.

    The shell replaces it when the current cell finishes, so releasable bytes are
    counted as of then. ``(None, None)`` outside IPython.
    """
    shell = roots.shell
    if shell is None:
        return None, None
    try:
        values = object.__getattribute__(shell, "__dict__").get("_trait_values")
    except Exception:  # noqa: BLE001
        return None, None
    result = values.get("last_execution_result") if type(values) is dict else None
    if result is None:
        return None, None
    return (id(values), id(result), "last_execution_result"), result


def _seed_from_cuts(seed_id, roots: _Roots):
    """Seeds that the search did not visit (e.g. sys.last_value for a traceback chain)."""
    sysd = module_dict(sys)
    for name in _LAST_EXC_NAMES:
        value = sysd.get(name)
        if value is not None and id(value) == seed_id:
            return value
    _itb, tb = shell_traceback(roots)
    if tb is not None and id(tb) == seed_id:
        return tb
    return NOTHING


def find_chains(obj, *, max_depth: int = 30, max_chains: int = 10, extra_depth: int = 3,
                max_nodes: int = 1_000_000, ignore=(), collect: bool = True) -> tuple[Chain, ...]:
    """Shortest referrer chains from roots to ``obj`` (no byte counts; faster).

    Same search as :func:`why_alive` with ``releasable=False``.
    """
    return why_alive(obj, max_depth=max_depth, max_chains=max_chains, extra_depth=extra_depth,
                     max_nodes=max_nodes, releasable=False, ignore=ignore, collect=collect,
                     _own_refs=1).chains
