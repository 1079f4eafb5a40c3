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

import collections
import functools
import gc
import itertools
import sys
import types

from ._format import format_size, one_line, safe_repr, type_name
from ._thirdparty import hidden_referents, hidden_refs_rules, readable_steps
from .session import LAST_EXC_NAMES as _LAST_EXC_NAMES
from .session import OUT_VAR as _OUT_VAR
from .session import UNDERSCORES as _UNDERSCORES
from .session import SessionRoots as _Roots
from .session import own_ids
from ._graphwalk import (
    GraphEdge,
    GraphModel,
    GraphNode,
    HolderSearch,
    Hop,
    _Frozen,
    _key_hop,
    _Labeller,
    _module_dict,
    _is_object_ndarray,
    deep_size,
    edge_hops,
    flat_size,
    lru_cache_entries,
    lru_call_text,
    node_repr,
    render_path,
)

__all__ = ["why_alive", "find_chains", "WhyAlive", "Chain", "Action", "ROOT_KINDS"]

#: Root kinds, in the order chains of equal length are listed, with their description.
ROOT_KINDS = {
    "namespace": "interactive namespace",
    "output_cache": "IPython output cache",
    "traceback": "last traceback",
    "frame": "running function",
    "ipython": "IPython internals",
    "input_history": "IPython input history",
    "module": "module global",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(ROOT_KINDS)}



def _check_int(name, value, minimum):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


# ---------------------------------------------------------------------------
# Result classes
# ---------------------------------------------------------------------------


class Action(_Frozen):
    """Something you can do to drop references, and how many bytes it would free.

    Attributes
    ----------
    text : str
        The statement or magic to run (``"del Out[3]"``, ``"%reset -f out"``), or
        a sentence when there is nothing to run.
    kind : str
        ``"del"`` (a ``del`` or an assignment), ``"call"`` (``f.cache_clear()``,
        ``gen.close()``), ``"traceback"``, ``"frame"``, ``"transient"`` (goes away
        by itself when the current cell finishes) or ``"manual"`` (no safe statement
        is known: ``text`` is a sentence saying what holds the object and what to
        change; nothing to run).
    note : str
        What else the action removes or changes (the tuple that holds the object,
        every entry of an lru_cache, a callback it unregisters), or advice for the
        future (``weakref.WeakMethod``, ``weakref.WeakValueDictionary``); ``""`` if
        nothing.
    releasable_bytes : int or None
        Bytes freed by this action alone (``None`` if not computed or too large to
        compute).
    needs_collect : bool
        Some of these bytes are on (or only held by) a reference cycle once the
        action ran: reference counting does not free them, the cyclic garbage
        collector does (the next automatic collection, or ``gc.collect()``).
    """

    __slots__ = ("text", "kind", "releasable_bytes", "needs_collect", "note", "_cuts")

    def __init__(self, text, kind, releasable_bytes=None, _cuts=frozenset(), needs_collect=False,
                 note=""):
        self._init(text=text, kind=kind, releasable_bytes=releasable_bytes,
                   needs_collect=bool(needs_collect), note=str(note), _cuts=frozenset(_cuts))

    @property
    def runnable(self) -> bool:
        """True if :attr:`text` is a statement to run (``False`` for a sentence)."""
        return self.kind not in ("manual", "transient", "frame")

    def _with_bytes(self, nbytes, needs_collect=False):
        return Action(self.text, self.kind, nbytes, self._cuts, needs_collect, self.note)

    @property
    def frees_text(self) -> str:
        """``"frees 38.1 MiB"``, ``"frees 38.1 MiB after the next gc.collect()"``, or ``""``."""
        return _frees_text(self.releasable_bytes, self.needs_collect)

    def __repr__(self):
        size = "?" if self.releasable_bytes is None else format_size(self.releasable_bytes)
        after = " after the next gc.collect()" if self.needs_collect else ""
        return f"<Action {self.text!r} frees {size}{after}>"

    def __str__(self):
        return self.text


def _frees_text(nbytes, needs_collect) -> str:
    if nbytes is None:
        return ""
    after = " after the next gc.collect()" if needs_collect and nbytes > 0 else ""
    return f"frees {format_size(nbytes)}{after}"


class Chain(_Frozen):
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
        self._init(root=root, root_kind=root_kind, path=path, hops=tuple(hops),
                   nodes=tuple(nodes), length=len(hops), action=action)

    @property
    def releasable_bytes(self):
        """Bytes that :attr:`action` would free (``None`` if not computed)."""
        return self.action.releasable_bytes

    def __repr__(self):
        return f"<Chain {self.path!r} ({self.root_kind}, {self.length} hops)>"

    def __str__(self):
        return self.path


class WhyAlive(_Frozen):
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
        self._init(target_id=target_id, target_type=target_type, target_repr=target_repr,
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
            text += f"; {verb} {_frees_text(self.releasable_bytes, self.needs_collect)[6:]}"
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
            total = _frees_text(self.releasable_bytes, self.needs_collect)
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
# The search
# ---------------------------------------------------------------------------


class _Raw:
    """A chain before labelling: a root slot and the ids from there to the target."""

    __slots__ = ("kind", "container_id", "slot", "path_ids", "frame_root", "override")

    def __init__(self, kind, container_id, slot, path_ids, frame_root=None, override=None):
        self.kind = kind  # "container" or "frame"
        self.container_id = container_id
        self.slot = slot  # Hop of the root's slot (container) / local name (frame)
        self.path_ids = path_ids  # first object under the root ... the target
        self.frame_root = frame_root
        self.override = override  # (position in path_ids of the holder, Hop) or None


class _Found:
    """What the backward search saw: objects, edges among them, and root slots."""

    __slots__ = ("objs", "nxt", "preds", "root_hits", "found_refs", "truncated")

    def __init__(self, objs, nxt, preds, root_hits, found_refs, truncated):
        self.objs = objs  # id -> object (keeps them alive during the search: ids stay unique)
        self.nxt = nxt  # id -> id of the next object towards the target (a shortest way down)
        self.preds = preds  # id -> ids of the objects seen referring to it
        self.root_hits = root_hits  # id -> [(root container id, slot Hop)]
        self.found_refs = found_refs
        self.truncated = truncated


def _search(target, roots: _Roots, ignore: set[int], max_depth, max_chains, extra_depth,
            max_nodes) -> _Found:
    """Backward breadth-first search from ``target``, one heap pass per level."""
    tid = id(target)
    objs: dict[int, object] = {tid: target}
    nxt: dict[int, int | None] = {tid: None}
    preds: dict[int, list[int]] = {}
    root_hits: dict[int, list[tuple[int, Hop]]] = {}
    ignore.add(id(objs))
    frontier = [target]
    ignore.add(id(frontier))
    labeller = _Labeller()
    holders = HolderSearch(ignore)
    found_refs = 0
    hits = 0
    depth = 0
    first_found = None
    truncated = False
    while frontier:
        for node in frontier:
            for froot, _name, _snap in roots.frame_hits.get(id(node), ()):
                hits += 1
                if first_found is None and not froot.current:
                    first_found = depth
        if first_found is None and root_hits:
            first_found = depth
        # (the caller's own variables do not end the search: the other holders are the news)
        if depth >= max_depth:
            truncated = True
            break
        if first_found is not None and depth >= first_found + extra_depth:
            break  # by design: only chains up to extra_depth longer than the shortest
        if hits >= 8 * max_chains:
            truncated = True
            break
        if len(objs) > max_nodes:
            truncated = True
            break
        expandable = [o for o in frontier if id(o) not in roots.stop or id(o) == tid]
        ignore.add(id(expandable))
        referrers, kids = holders.find(expandable)
        ignore.add(id(referrers))
        if depth == 0:
            found_refs = _count_direct_refs(referrers, kids, tid, roots)
        next_frontier = []
        ignore.add(id(next_frontier))
        for ref in referrers:
            rid = id(ref)
            if rid in ignore:
                continue
            ref_kids = kids[rid]
            # an instance refers to its class: not a reason for the class to be alive
            rtype_id = id(type(ref))
            if rtype_id in nxt:
                ref_kids = [k for k in ref_kids if k != rtype_id]
            if not ref_kids:
                continue
            if rid in roots.containers:
                for kid in dict.fromkeys(ref_kids):
                    for hop in _root_slots(ref, objs[kid], kid, roots, labeller):
                        root_hits.setdefault(kid, []).append((rid, hop))
                        hits += 1
                continue
            if rid in roots.stop:
                continue
            for kid in dict.fromkeys(ref_kids):
                preds.setdefault(kid, []).append(rid)
            if rid in objs:
                continue
            objs[rid] = ref
            nxt[rid] = ref_kids[0]
            next_frontier.append(ref)
        ignore.discard(id(frontier))
        ignore.discard(id(expandable))
        ignore.discard(id(referrers))
        del referrers, kids, expandable
        frontier = next_frontier
        depth += 1
    ignore.discard(id(frontier))
    holders.close()
    del frontier, holders
    return _Found(objs, nxt, preds, root_hits, found_refs, truncated)


def _down(found: _Found, x: int) -> list[int]:
    """Ids from ``x`` down to the target along the search's shortest links."""
    path = [x]
    while True:
        n = found.nxt.get(path[-1])
        if n is None:
            return path
        path.append(n)


def _enumerate(found: _Found, tid: int, roots: _Roots, labeller, limit: int) -> tuple[list[_Raw], bool]:
    """One raw chain per reference that can be removed, each with a shortest way from a root.

    Starting at the target, every holder slot ``h -> x`` is a candidate; if Python
    code cannot remove that reference (a tuple item, a finished frame's local), the
    holders of ``h`` are examined instead, and so on. Root slots and running frames'
    locals on any examined object are chains of their own.
    """
    objs = found.objs
    # shortest distance from a root to every object seen, and the way back up
    succ: dict[int, list[int]] = {}
    for child, holders in found.preds.items():
        for h in holders:
            succ.setdefault(h, []).append(child)
    best: dict[int, tuple] = {}
    level = []
    for nid, hits in found.root_hits.items():
        # prefer a user-facing name (Out over _oh) for the way up
        best[nid] = ("root", min(hits, key=lambda hit: ((hit[1].name or "").lstrip("'").startswith("_"),
                                                       len(hit[1].text))))
        level.append(nid)
    for nid in objs:
        if nid not in best:
            fh = [f for f in roots.frame_hits.get(nid, ()) if not f[0].current] or \
                list(roots.frame_hits.get(nid, ()))
            if fh:
                best[nid] = ("frame", fh[0])
                level.append(nid)
    while level:
        new = []
        for r in level:
            if r == tid:
                continue  # what the target itself holds does not keep the target alive
            for c in succ.get(r, ()):
                if c not in best:
                    best[c] = ("node", r)
                    new.append(c)
        level = new

    def up(h):
        path = [h]
        while best[path[-1]][0] == "node":
            path.append(best[path[-1]][1])
        path.reverse()
        return best[path[0]], path

    def chain_from(root_info, path_ids, override=None):
        kind, info = root_info
        if kind == "root":
            cid, hop = info
            return _Raw("container", cid, hop, path_ids, None, override)
        froot, name, _snap = info
        return _Raw("frame", froot.frame_id, name, path_ids, froot, override)

    raws: list[_Raw] = []
    examined: set[int] = set()
    queue = [tid]
    truncated = False
    while queue:
        x = queue.pop(0)
        if x in examined:
            continue
        examined.add(x)
        down = _down(found, x)
        for hit in found.root_hits.get(x, ()):
            raws.append(chain_from(("root", hit), down))
        for fh in roots.frame_hits.get(x, ()):
            raws.append(chain_from(("frame", fh), down))
        for h in dict.fromkeys(found.preds.get(x, ())):
            if h == tid or h not in best or h not in objs:
                continue  # the target's own references, or no way up to a root
            holder = objs[h]
            root_info, path = up(h)
            for hop in labeller.all_hops(holder, x):
                if _is_cuttable(holder, hop):
                    raws.append(chain_from(root_info, path + down, (len(path) - 1, hop)))
                else:
                    queue.append(h)
        if len(raws) >= limit:
            truncated = bool(queue)
            break
    return raws, truncated


def _count_direct_refs(referrers, kids, tid, roots) -> int:
    """References to the target explained by visible holders (for ``hidden_refs``)."""
    total = 0
    for ref in referrers:
        total += sum(1 for k in kids[id(ref)] if k == tid)
    for _root, _name, snap in roots.frame_hits.get(tid, ()):
        total += 2 if snap else 1  # the fast local, and CPython's f_locals snapshot
    return total


def _root_slots(container, child, child_id, roots: _Roots, labeller) -> list[Hop]:
    """Every slot of a root container that holds ``child`` (``_`` and ``_3`` both)."""
    hops = []
    if issubclass(type(container), dict):
        for key, value in dict.items(container):
            if value is child:
                hops.append(_key_hop(key))
    else:
        hop = edge_hops(container, {child_id}, labeller).get(child_id)
        if hop is not None:
            hops.append(hop)
    return hops


# ---------------------------------------------------------------------------
# Labelling and actions
# ---------------------------------------------------------------------------


class _Built:
    __slots__ = ("kind", "root_desc", "path", "hops", "node_ids", "nodes", "action", "cut_ids", "seeds",
                 "cut_at")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def _node(obj) -> GraphNode:
    return GraphNode(id=id(obj), type=type_name(obj), size=flat_size(obj),
                     repr=node_repr(obj, clip=80))


def _label(raw: _Raw, objs, roots: _Roots, labeller):
    """Label a raw chain.

    Returns ``(root_kind, root_desc, root_text, skip, path, hops, node_ids)``: ``hops``
    start with the root's slot; ``root_text`` covers that slot and ``skip`` more hops
    (IPython's traitlets keep attributes in ``_trait_values``, shown as attributes).
    """
    ids = raw.path_ids
    hops = []
    for pos, (holder_id, child_id) in enumerate(zip(ids[:-1], ids[1:])):
        if raw.override is not None and raw.override[0] == pos:
            hops.append(raw.override[1])
            continue
        hop = edge_hops(objs[holder_id], {child_id}, labeller).get(child_id)
        hops.append(hop if hop is not None else Hop("ref", None, ""))
    _name_definition_hops(hops, ids, objs)
    types_after = [type_name(objs[i]) for i in ids[1:]]
    skip = 0
    if raw.kind == "frame":
        fr = raw.frame_root
        slot = Hop("local", raw.slot, f" local {raw.slot}")
        root_kind = "frame"
        root_text = fr.text() + slot.text
        root_desc = f"running function {fr.func}()" + ("" if fr.current else f" [thread {fr.thread}]")
        all_hops = [slot] + hops
        node_ids = [fr.frame_id] + ids
    else:
        slot = raw.slot
        if (roots.containers[raw.container_id][0] == "shell"
                and slot.name in ("'_trait_values'", "_trait_values")
                and hops and hops[0].kind == "key" and hops[0].name[:1] == "'"
                and hops[0].name[1:-1].isidentifier()):
            name = hops[0].name[1:-1]
            slot = Hop("attr", name, "." + name)
            skip = 1
        root_kind, root_text = roots.root_text(raw.container_id, slot)
        if root_kind == "module":
            root_desc = f"module {roots.containers[raw.container_id][1]}"
            if roots.containers[raw.container_id][0] == "modules":
                root_desc = "sys.modules"
        else:
            root_desc = ROOT_KINDS[root_kind]
        all_hops = [raw.slot] + hops
        node_ids = [raw.container_id] + ids
    shown, shown_types = _readable_hops(hops[skip:], ids[skip:], objs, types_after[skip:])
    path = render_path(root_text, shown, shown_types)
    return root_kind, root_desc, root_text, skip, path, all_hops, node_ids


def _readable_hops(hops, ids, objs, types_after):
    """The hops as a path shows them: a pandas object's internal references in its user's
    terms (``df['name'].iloc[2]`` for ``df._mgr.blocks[1].values[0, 2]``, see
    :func:`_thirdparty.readable_steps`). ``hops[i]`` leads from ``ids[i]`` to ``ids[i + 1]``."""
    out, out_types = [], []
    pos = 0
    while pos < len(hops):
        holder = objs.get(ids[pos])
        got = None
        if holder is not None and hops[pos].kind == "attr":
            got = readable_steps(holder, [(h.kind, h.name) for h in hops[pos:pos + 6]])
        if got is None:
            out.append(hops[pos])
            out_types.append(types_after[pos] if pos < len(types_after) else None)
            pos += 1
            continue
        n, text = got
        out.append(Hop("attr", None, text, expr=False))
        out_types.append(types_after[pos + n - 1] if pos + n - 1 < len(types_after) else None)
        pos += n
    return out, out_types


def _name_definition_hops(hops, ids, objs):
    """Name the slots of functions' definitions in place: closure cells by their variable,
    defaults by their parameter, an unbounded lru_cache's entry by the call it caches."""
    for pos in range(len(hops) - 1):
        holder = objs.get(ids[pos])
        hop, nxt = hops[pos], hops[pos + 1]
        if type(holder) is types.FunctionType and hop.kind == "attr":
            try:
                code = holder.__code__
                if hop.name == "__closure__" and nxt.kind == "index" and nxt.name.isdigit():
                    i = int(nxt.name)
                    names = code.co_freevars
                    hops[pos + 1] = Hop("closure", names[i] if i < len(names) else nxt.name, nxt.text,
                                        expr=True)
                elif hop.name == "__defaults__" and nxt.kind == "index" and nxt.name.isdigit():
                    i = int(nxt.name)
                    params = code.co_varnames[:code.co_argcount]
                    j = len(params) - len(holder.__defaults__ or ()) + i
                    if 0 <= j < len(params):
                        hops[pos + 1] = Hop("default", params[j], nxt.text, expr=True)
                elif hop.name == "__kwdefaults__" and nxt.kind == "key" and nxt.name[:1] == "'":
                    hops[pos + 1] = Hop("default", nxt.name[1:-1], nxt.text, expr=nxt.is_expression)
            except Exception:  # noqa: BLE001 - a function-like object that lies
                continue
        elif hop.kind == "cache" and hop.name is None and nxt.kind == "key" and pos + 2 < len(ids):
            cache, value = objs.get(ids[pos + 1]), objs.get(ids[pos + 2])
            if type(cache) is dict:
                for key, val in dict.items(cache):
                    if val is value:
                        call = lru_call_text(holder, key)
                        hops[pos + 1] = Hop("cache", call, f" → cached {call}")
                        break


#: Callables and definitions: an action never deletes or rebinds one of these to free
#: data it holds (the user's program needs them); removing one from a container is fine.
_CODE_TYPES = tuple(t for t in (
    types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType,
    types.CodeType, types.ModuleType, type, staticmethod, classmethod, property,
    functools.partial, functools.partialmethod, getattr(functools, "_lru_cache_wrapper", None),
    types.MethodWrapperType, types.WrapperDescriptorType, types.MethodDescriptorType,
) if isinstance(t, type))


def _is_code(obj) -> bool:
    return issubclass(type(obj), _CODE_TYPES)


def _is_lru(obj) -> bool:
    return lru_cache_entries(obj) is not None


def _is_cuttable(holder, hop: Hop) -> bool:
    tp = type(holder)
    if hop.kind in ("key", "dictkey"):
        return issubclass(tp, dict) and tp is not types.MappingProxyType
    if hop.kind == "index":
        return issubclass(tp, (list, collections.deque)) or _is_object_ndarray(holder)
    if hop.kind == "member":
        return issubclass(tp, set)
    if hop.kind == "cache":
        return True  # an lru_cache entry: cache_clear()
    if hop.kind == "local":  # a generator's or coroutine's local: close() it
        return issubclass(tp, (types.GeneratorType, types.CoroutineType))
    if hop.kind == "attr":
        if hop.name is None or not hop.name.isidentifier():
            return False
        if issubclass(tp, BaseException):
            return hop.name in ("__traceback__", "__context__", "__cause__") or not hop.name.startswith("__")
        if issubclass(tp, (types.FrameType, types.TracebackType, types.CellType, tuple)):
            return False
        if _is_code(holder) and not issubclass(tp, type):
            return False  # a function's, method's, partial's own slots (a class's attributes are data)
        if hop.name.startswith("__") and hop.name.endswith("__"):
            return False
        return _rebindable(holder, hop.name)
    return False


def _rebindable(holder, name: str) -> bool:
    """Can ``holder.name = None`` run, and leave a working object?

    Not for attributes that C code stores (getset descriptors of extension types: often
    read-only), and not for the private attributes (``_mgr``) of objects whose class
    comes from an installed library or the standard library: setting those breaks the
    object (``df._mgr = None`` destroys the DataFrame).
    """
    tp = type(holder)
    klass = holder if issubclass(tp, type) else tp
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except Exception:  # noqa: BLE001
        mro = (tp,)
    for k in mro:
        try:
            descr = type.__dict__["__dict__"].__get__(k).get(name, _NOTHING)
        except Exception:  # noqa: BLE001
            continue
        if descr is _NOTHING:
            continue
        if type(descr) is types.GetSetDescriptorType:
            return False
        break
    if name.startswith("_") and _library_class(klass):
        return False
    return True


def _library_class(klass) -> bool:
    """True if ``klass`` is defined by the standard library or an installed package."""
    try:
        modname = type.__dict__["__module__"].__get__(klass)
    except Exception:  # noqa: BLE001
        return False
    if type(modname) is not str or modname in ("__main__", "builtins"):
        return modname == "builtins"
    top = modname.split(".", 1)[0]
    if top in getattr(sys, "stdlib_module_names", ()):
        return True
    mod = sys.modules.get(modname) or sys.modules.get(top)
    path = getattr(mod, "__file__", None) if mod is not None else None
    return type(path) is str and ("site-packages" in path or "dist-packages" in path)


def _expression_prefix(root_text, hops) -> str | None:
    """``root_text`` + hops as a Python expression, or None if some hop is not one."""
    for hop in hops:
        if not hop.is_expression:
            return None
    if " " in root_text:
        return None
    return render_path(root_text, hops, expression=True)


_TRANSIENT = "nothing: IPython drops it when the current cell finishes"


def _with_import(action: Action, raw: _Raw, roots: _Roots, root_kind: str) -> Action:
    """``import json.decoder; del json.decoder.x`` when the action names a module that the
    notebook's namespace does not bind: the statement must run as printed in a cell.
    (Outside IPython the text names the module as ``sys.modules`` does.)"""
    if not action.runnable or raw.kind != "container" or roots.shell is None:
        return action
    kind, modname = roots.containers.get(raw.container_id, ("", ""))
    if root_kind == "traceback":
        modname = "sys"
    elif kind != "module" or roots.module_alias(modname) != modname or \
            not action.text.startswith((f"del {modname}.", f"{modname}.")):
        return action
    if not all(part.isidentifier() for part in modname.split(".")):
        return action
    top = modname.split(".", 1)[0]
    ns = roots.user_namespace()
    if ns is not None and ns.get(top) is sys.modules.get(top) and top in ns:
        return action
    return Action(f"import {modname}; {action.text}", action.kind, action.releasable_bytes,
                  action._cuts, action.needs_collect, action.note)


def _action_for(root_kind, root_text, skip, hops, node_ids, objs, roots: _Roots, raw: _Raw):
    """(Action, cuts, seed ids, index of the cut hop or None) for one chain.

    A cut is ``(holder_id, child_id, slot)``: one reference the action removes
    (``slot`` tells apart two references from the same holder, like ``_`` and ``_3``).
    """
    def single(text, kind, i):
        cut = (node_ids[i], node_ids[i + 1], hops[i].text)
        return Action(text, kind, None, {cut}), [cut], [node_ids[i + 1]], i

    if raw.kind == "frame":
        fr = raw.frame_root
        child = node_ids[1]
        cuts = [(fr.frame_id, child, raw.slot)]
        if fr.snapshot_id is not None:
            cuts.append((fr.snapshot_id, child, raw.slot))
        where = f"{fr.func}()" + ("" if fr.current else f" (thread {fr.thread})")
        text = f"del {raw.slot} in {where}, or let {fr.func}() return"
        return Action(text, "frame", None, set(cuts)), cuts, [child], None
    cid = raw.container_id
    # the last traceback: clear every sys.last_* at once
    if root_kind == "traceback":
        sysd = _module_dict(sys)
        names = [n for n in _LAST_EXC_NAMES if sysd.get(n) is not None]
        text = " = ".join(f"sys.{n}" for n in names) + " = None" if names else "sys.last_traceback = None"
        cuts = [(id(sysd), id(sysd[n]), n) for n in names]
        seeds = [id(sysd[n]) for n in names]
        itb, tb = _shell_traceback(roots)
        if tb is not None:  # IPython's traceback printer keeps the last traceback too (%tb, %debug)
            text += "; get_ipython().InteractiveTB.tb = None"
            cuts.append((id(itb), id(tb), "InteractiveTB.tb"))
            seeds.append(id(tb))
        return Action(text, "traceback", None, set(cuts)), cuts, seeds, None
    # IPython's previous ExecutionResult: replaced when the current cell finishes
    if roots.containers[cid][0] == "shell" and root_text == "get_ipython().last_execution_result":
        return single(_TRANSIENT, "transient", skip)
    # the output cache: cut at the cache slot
    for i, hop in enumerate(hops):
        holder_id = node_ids[i]
        bare = hop.name[1:-1] if hop.kind == "key" and hop.name and hop.name[0] == "'" else hop.name
        if holder_id == roots.out_id and hop.kind == "key":
            return single(f"del Out[{hop.name}]", "del", i)
        if holder_id == roots.user_ns_id and roots.shell is not None and hop.kind == "key" \
                and bare and _OUT_VAR.match(bare):
            return single(f"del {bare}", "del", i)
        if holder_id == roots.hidden_ns_id and hop.kind == "key" and bare and (
                bare in _UNDERSCORES or _OUT_VAR.match(bare)):
            # IPython's copy of _, _3...: only this slot (%reset -f out would drop every output);
            # a statement, so that the removed value is not displayed (and cached) again
            return single(f"del get_ipython().user_ns_hidden[{hop.name}]", "del", i)
        is_under = (holder_id == roots.user_ns_id and roots.shell is not None and hop.kind == "key"
                    and bare in _UNDERSCORES)
        is_dh = holder_id in roots.displayhook_ids and hop.kind == "attr" and hop.name in _UNDERSCORES
        is_dh_dict = (i > 0 and node_ids[i - 1] in roots.displayhook_ids and hops[i - 1].kind == "dict"
                      and bare in _UNDERSCORES)
        if is_under or is_dh or is_dh_dict:
            # `_` lives in the user namespace and on the display hook: reset both (IPython keeps
            # rotating _, __, ___ as long as the two agree)
            cuts = _underscore_cuts(roots, bare, node_ids[i + 1])
            text = f"{bare} = get_ipython().displayhook.{bare} = None"
            return Action(text, "del", None, set(cuts)), cuts, [node_ids[i + 1]], None
    return _generic_action(root_text, skip, hops, node_ids, objs, roots, cid, single)


def _generic_action(root_text, skip, hops, node_ids, objs, roots: _Roots, cid, single):
    """The deepest reference that Python code can remove without harm.

    Never deletes or rebinds a function, class, module, method, partial or lru_cache
    wrapper (a variable, global or attribute holding one) to free data it holds, and
    never changes a callable's own definition (defaults, closure, partial arguments);
    removing one from a container (a callback from a registry list) is fine. Where no
    such reference exists, the action is a sentence that says so and why.
    """
    n = len(hops)
    tid = node_ids[-1]
    inside = _library_internals_from(skip, hops, node_ids, objs)
    module_root = roots.containers[cid][0] in ("module", "modules")
    for i in range(n - 1, -1, -1):
        if i > inside:
            continue  # a container inside a library object's private state (df._mgr.axes)
        hop = hops[i]
        holder_id = node_ids[i]
        child_id = node_ids[i + 1]
        child = objs.get(child_id)
        holder = objs.get(holder_id)
        protected = child is not None and child_id != tid and _is_code(child)
        if i <= skip:  # the root's own slot: a module global or a namespace variable
            if protected or " " in root_text or roots.containers[cid][0] not in ("namespace", "module", "modules"):
                break
            return _with_note(single(f"del {root_text}", "del", i), i, root_text, skip, hops, node_ids,
                              objs, module_root)
        if hop.kind == "key" and i >= skip + 2 and hops[i - 1].kind == "dict" and hop.name \
                and hop.name[0] == "'" and hop.name[1:-1].isidentifier():
            # an attribute stored in an instance __dict__: obj.name = None
            owner = _expression_prefix(root_text, hops[skip + 1:i - 1])
            owner_obj = objs.get(node_ids[i - 1])
            attr = hop.name[1:-1]
            if owner_obj is not None and (not _rebindable(owner_obj, attr) or (
                    _is_code(owner_obj) and not isinstance(owner_obj, type))):
                continue
            if owner is not None and not protected:
                return _with_note(single(f"{owner}.{hop.name[1:-1]} = None", "del", i), i, root_text,
                                  skip, hops, node_ids, objs, module_root)
            continue
        if holder is None or not _is_cuttable(holder, hop):
            continue
        if hop.kind == "attr" and protected:
            continue  # rebinding an attribute that holds a function or class
        if _definition_slot(hops, node_ids, objs, i):
            continue  # a function's keyword defaults, a partial's keywords
        if holder_id in roots.displayhook_ids and hop.name == "exec_result":
            return single(_TRANSIENT, "transient", i)
        if hop.kind == "cache":
            found = _lru_action(holder, root_text, skip, hops, node_ids, objs, i)
            if found is not None:
                return found
            continue
        prefix = _expression_prefix(root_text, hops[skip + 1:i])
        if prefix is None:
            continue
        if hop.kind == "local":  # a suspended generator or coroutine: close() drops its locals
            kind = "coroutine" if type(holder) is types.CoroutineType else "generator"
            cuts = _generator_cuts(holder)
            note = (f"finishes the {kind} {prefix} (its finally: blocks run); "
                    f"it frees every local variable of it")
            return (Action(f"{prefix}.close()", "call", None, set(cuts), note=note), cuts,
                    [holder_id], i)
        if hop.kind == "member":
            text = f"{prefix}.discard({_pick(prefix, child, roots)})"
        elif hop.kind == "attr":
            empty = "()" if hop.name == "args" and issubclass(type(holder), BaseException) else "None"
            text = f"{prefix}.{hop.name} = {empty}"
        elif hop.kind == "dictkey":
            text = f"del {prefix}[{_pick(prefix, child, roots)}]"
        elif hop.kind == "index" and _is_object_ndarray(holder):
            text = f"{prefix}{hop.text} = None"
        elif hop.kind == "key" and not hop.is_expression:
            key = _key_of(holder, child, hop)
            if key is _NOTHING:
                continue
            text = f"del {prefix}[{_pick(prefix, key, roots)}]"
        else:
            text = "del " + render_path(prefix, [hop], expression=True)
        return _with_note(single(text, "del", i), i, root_text, skip, hops, node_ids, objs, module_root)
    # the bytes shown are what dropping the last reference (the one the sentence is about) frees
    text = _no_safe_action(root_text, skip, hops, node_ids, objs)
    return single(text, "manual", n - 1)


def _library_internals_from(skip, hops, node_ids, objs) -> int:
    """Index of the first hop into a library object's private state (``df._mgr``), or
    ``len(hops)``: nothing past it may be mutated, or the library object breaks."""
    for j in range(skip + 1, len(hops)):
        hop = hops[j]
        name = hop.name
        if hop.kind == "key" and j >= 1 and hops[j - 1].kind == "dict" and name and name[:1] == "'":
            name, owner = name[1:-1], objs.get(node_ids[j - 1])
        elif hop.kind == "attr":
            owner = objs.get(node_ids[j])
        else:
            continue
        if owner is not None and name and name.startswith("_") and not name.startswith("__") \
                and _library_class(owner if isinstance(owner, type) else type(owner)):
            return j
    return len(hops)


def _definition_slot(hops, node_ids, objs, i) -> bool:
    """True if the holder at ``i`` is part of a callable's definition (``f.__kwdefaults__``,
    ``partial.keywords``): removing an entry changes how the callable is called."""
    if i < 1:
        return False
    owner = objs.get(node_ids[i - 1])
    prev = hops[i - 1]
    if prev.kind != "attr":
        return False
    if type(owner) is types.FunctionType and prev.name in ("__kwdefaults__", "__defaults__", "__closure__"):
        return True
    return issubclass(type(owner), (functools.partial, functools.partialmethod)) and \
        prev.name in ("args", "keywords")


def _pick(container_expr, obj, roots) -> str:
    """An expression for ``obj`` (a set member or dict key) that runs: its literal, the
    user's own expression for the target, or a pick by identity from the container."""
    if roots.target_name is not None and id(obj) == roots.target_id:
        return roots.target_name
    text = safe_repr(obj, clip=60)
    if _is_literal(obj) and text == repr(obj):
        return text
    return f"next(x for x in {container_expr} if id(x) == {id(obj):#x})"


def _is_literal(obj, depth: int = 3) -> bool:
    if type(obj) in (str, int, float, bool, bytes, type(None)):
        return True
    if type(obj) in (tuple, frozenset) and depth > 0 and len(obj) <= 16:
        return all(_is_literal(x, depth - 1) for x in obj)
    return False


def _key_of(holder, value, hop):
    for key, val in dict.items(holder):
        if val is value and safe_repr(key, clip=40) == hop.name:
            return key
    return _NOTHING


def _lru_action(holder, root_text, skip, hops, node_ids, objs, i):
    """``f.cache_clear()`` for an entry of an lru_cache (bounded: the wrapper holds it;
    unbounded: its cache dict does)."""
    w = i if _is_lru(holder) else i - 1
    wrapper = objs.get(node_ids[w])
    entries = lru_cache_entries(wrapper)
    if entries is None:
        return None
    cache, pairs = entries
    wid = id(wrapper)
    cuts = []
    for k, (key, result) in enumerate(pairs):
        # the wrapper's links (bounded) or the dict (unbounded) hold key and result
        cuts.append((wid, id(key), f"key{k}"))
        cuts.append((wid, id(result), f"result{k}"))
        cuts.append((id(cache), id(key), f"dictkey{k}"))
        cuts.append((id(cache), id(result), f"dictvalue{k}"))
    for k, link in enumerate(dict.values(cache)):
        cuts.append((id(cache), id(link), f"link{k}"))
    name = lru_call_text(wrapper, ()).split("(", 1)[0]
    note = (f"empties the whole cache of {name} ({len(pairs)} entr{'y' if len(pairs) == 1 else 'ies'}); "
            f"they are computed again when next called")
    expr = _expression_prefix(root_text, hops[skip + 1:w]) if w > skip else None
    if expr is None:
        text = (f"call cache_clear() on the lru_cache-wrapped function {name} (no Python "
                f"expression reaches it along this chain)")
        return Action(text, "manual", None, set(cuts), note=note), cuts, [wid], i
    return Action(f"{expr}.cache_clear()", "call", None, set(cuts), note=note), cuts, [wid], i


def _generator_cuts(gen):
    """What ``gen.close()`` drops: every reference its suspended frame holds."""
    return [(id(gen), id(r), f"frame{k}") for k, r in enumerate(gc.get_referents(gen))
            if not issubclass(type(r), (type, types.CodeType, types.ModuleType))]


def _with_note(result, i, root_text, skip, hops, node_ids, objs, module_root=False):
    """Adds what an action removes beyond the object (the tuple holding it...)."""
    action, cuts, seeds, cut_at = result
    note = _bigger_note(i, root_text, skip, hops, node_ids, objs, module_root)
    if note:
        action = Action(action.text, action.kind, None, action._cuts, note=note)
    return action, cuts, seeds, cut_at


def _bigger_note(i, root_text, skip, hops, node_ids, objs, module_root=False) -> str:
    n = len(hops)
    if i + 1 >= n:  # the reference to the object itself
        if module_root and i >= 1 and hops[i].kind == "key" and i == skip + 1 \
                and type(objs.get(node_ids[i])) is dict:  # a module's registry or cache dict
            target = objs.get(node_ids[-1])
            if getattr(type(target), "__weakrefoffset__", 0):
                return ("a weakref.WeakValueDictionary would drop such an entry by itself once "
                        "nothing else uses the value")
        return ""
    child = objs.get(node_ids[i + 1])
    if child is None:
        return ""
    what = render_path(root_text, hops[skip + 1:i + 1]) if i >= skip else root_text
    tname = type_name(child)
    below = objs.get(node_ids[i + 2]) if i + 2 < len(node_ids) else None
    if type(child) is types.MethodType:
        return (f"removes the bound method {what} (unregisters that callback); "
                f"weakref.WeakMethod(...) registers one without keeping its object alive")
    if _is_code(child):
        return f"removes the {tname} {what}, which holds it"
    if issubclass(type(child), tuple) and below is None:
        return f"removes the whole {tname} {what} (a tuple cannot be changed: store a new one without it)"
    if issubclass(type(child), tuple):
        return f"removes the whole {tname} {what}: a tuple cannot be changed, store a new one without it"
    if issubclass(type(child), frozenset):
        return f"removes the whole frozenset {what}: a frozenset cannot be changed, store a new one without it"
    return f"removes the {tname} {what}, which holds it"


def _no_safe_action(root_text, skip, hops, node_ids, objs) -> str:
    """The sentence for a chain that no safe statement cuts: what holds it, what to change."""
    n = len(hops)
    for i in range(n - 1, skip, -1):
        hop = hops[i]
        owner_at = i - 1
        where = render_path(root_text, hops[skip + 1:owner_at]) if owner_at > skip else root_text
        if hop.kind == "cell" and i >= 2 and hops[i - 1].kind == "closure":
            var = hops[i - 1].name
            func = render_path(root_text, hops[skip + 1:i - 2]) if i - 2 > skip else root_text
            return (f"no safe action: it is the closure variable {var} of {func}; rebind or clear "
                    f"{var} in the scope that defines it ({var} = None there, nonlocal {var} in a "
                    f"nested function), or let go of {func} itself when it is no longer needed")
        if hop.kind == "default":
            func = where if hops[i - 1].kind == "attr" else root_text
            func = render_path(root_text, hops[skip + 1:i - 1]) if i - 1 > skip else root_text
            return (f"no safe action: it is the default value of parameter {hop.name} of {func}, "
                    f"made once when the function was defined; default to None and create the "
                    f"value inside the function instead")
        holder = objs.get(node_ids[i])
        if issubclass(type(holder), (functools.partial, functools.partialmethod)) and hop.kind == "attr":
            kind = f"functools.{type_name(holder)}"
            return (f"no safe action: it is bound in the {kind} {where} (.{hop.name}), "
                    f"which cannot be changed; build a new one without it")
        if i >= 1 and issubclass(type(objs.get(node_ids[i - 1])), (functools.partial, functools.partialmethod)) and \
                hops[i - 1].kind == "attr" and hops[i - 1].name in ("args", "keywords"):
            part = render_path(root_text, hops[skip + 1:i - 1]) if i - 1 > skip else root_text
            kind = f"functools.{type_name(objs.get(node_ids[i - 1]))}"
            return (f"no safe action: it is an argument bound in the {kind} {part} "
                    f"({hops[i - 1].name}{hop.text}); build a new one without it")
        if type(holder) is types.MethodType and hop.name == "__self__":
            return (f"no safe action: it is the __self__ of the bound method {where}; remove that "
                    f"method from where it is stored (a callback registry), or store "
                    f"weakref.WeakMethod(...) instead")
    inside = _library_internals_from(skip, hops, node_ids, objs)
    if inside < n:
        owner = objs.get(node_ids[inside - 1] if hops[inside].kind == "key" else node_ids[inside])
        what = render_path(root_text, hops[skip + 1:inside - (1 if hops[inside].kind == "key" else 0)]) \
            if inside > skip + 1 else root_text
        name = type_name(owner) if not isinstance(owner, type) else "class"
        return (f"no safe action: it is part of the private state of the {name} {what}, which "
                f"changing would break; release {what} itself, or use that library's own API")
    for i in range(n - 1, skip, -1):  # the nearest function, method or partial above it
        obj = objs.get(node_ids[i])
        if obj is not None and _is_code(obj) and not isinstance(obj, type):
            what = render_path(root_text, hops[skip + 1:i]) if i > skip + 1 else root_text
            return (f"no safe action: it is held by the {type_name(obj)} {what}, which pympler_nb "
                    f"will not delete or rebind; change the code that stores it there")
    for i in range(n - 1, skip, -1):
        obj = objs.get(node_ids[i])
        if obj is not None and isinstance(obj, type):
            what = render_path(root_text, hops[skip + 1:i]) if i > skip + 1 else root_text
            return (f"no safe action: it is held by the class {what}, which pympler_nb will not "
                    f"delete or rebind; change the code that stores it there")
    return f"no safe action found: remove the reference at the start of {root_text} by hand"


def _underscore_cuts(roots: _Roots, name: str, child_id: int) -> list[tuple[int, int, str]]:
    """The references ``_ = get_ipython().displayhook._ = None`` removes (for ``_``, ``__``
    or ``___``): the user namespace's and the display hook's, where they hold the object."""
    shell = roots.shell
    cuts = []
    if shell is None:
        return cuts
    user_ns = getattr(shell, "user_ns", None)
    if issubclass(type(user_ns), dict) and id(dict.get(user_ns, name)) == child_id:
        cuts.append((id(user_ns), child_id, f"[{name!r}]"))
    dh = getattr(shell, "displayhook", None)
    if dh is not None:
        try:
            value = object.__getattribute__(dh, name)
        except Exception:  # noqa: BLE001
            value = None
        if id(value) == child_id:
            cuts.append((id(dh), child_id, "." + name))
    return cuts


# ---------------------------------------------------------------------------
# Releasable bytes
# ---------------------------------------------------------------------------


def _is_numpy_array(obj) -> bool:
    tp = type(obj)
    return tp.__name__ in ("ndarray", "memmap", "matrix", "recarray") and \
        str(getattr(tp, "__module__", "")).startswith("numpy")


def _sizing_refs(obj) -> list:
    """What deep sizing follows from ``obj`` (its third-party rule), or nothing."""
    from .asizeof import refs  # lazy: the sizing core is a sibling module

    try:
        return list(refs(obj))
    except Exception:  # noqa: BLE001 - a hostile array: its elements are not counted
        return []


#: Types without references whose flat size (asizeof.flatsize) is sys.getsizeof exactly
#: (a test checks it): the releasable walk sizes them without a sizer call.
_ATOMS = frozenset((str, bytes, float, complex))
_ATOM_IDS = frozenset(map(id, _ATOMS))  # by id: no metaclass __hash__ runs
_getsizeof = sys.getsizeof


def _closure(seeds, stop: set[int], max_nodes: int):
    """Everything reachable from ``seeds`` (not entering ``stop``, types or modules)."""
    members: list = []
    index: dict[int, int] = {}
    kids_of: list[list[int]] = []
    rules: dict[int, object] = {}  # id(type) -> its size rule's refs (or None)
    stack = list(seeds)
    while stack:
        x = stack.pop()
        xid = id(x)
        if xid in index or xid in stop or issubclass(type(x), (type, types.ModuleType)):
            continue
        index[xid] = len(members)
        members.append(x)
        if id(type(x)) in _ATOM_IDS:  # no references: skip the call (object arrays hold many)
            kids_of.append(())
            continue
        refs = gc.get_referents(x)
        refs.extend(_hidden_refs(x, rules))  # what a numpy object array holds
        if issubclass(type(x), dict):
            keys = list(dict.keys(x))
            if keys and all(type(k) is str for k in keys):
                refs.extend(keys)  # str keys of a str-only table are not traversed by gc
            del keys
        elif not refs and _is_numpy_array(x):
            # numpy does not show gc its base or object elements; the sizing rules know them
            refs = _sizing_refs(x)
        kids_of.append([id(r) for r in refs])
        stack.extend(refs)
        del refs
        if len(members) > max_nodes:
            return None
    x = None
    return members, index, kids_of


def _hidden_refs(x, rules: dict) -> list:
    """What ``x`` holds that ``gc.get_referents`` does not show, by the size rules'
    ``refs=`` (a numpy object array's elements, an array's base); ``rules`` caches the
    rule per type for one walk."""
    tp = type(x)
    refs = rules.get(id(tp), rules)
    if refs is rules:
        refs = rules[id(tp)] = hidden_refs_rules([tp])[0]
    return [] if refs is None else hidden_referents([x], refs, tp)[0]


_FLIP = bytes([1, 0]) + bytes(254)  # bytearray.translate table: 0 <-> 1


class _Retention:
    """Reference-count bookkeeping over one closure; answers 'what does a cut free?'."""

    def __init__(self, members, index, kids_of, target_id, target_ext, extra_own):
        self.members = members
        self.index = index
        self.kids_of = kids_of
        n = len(members)
        internal = [0] * n
        get = index.get
        for i in range(n):
            for cid in kids_of[i]:
                j = get(cid)
                if j is not None:
                    internal[j] += 1
        base = [0] * n
        for i in range(n):
            x = members[i]
            xid = id(x)
            if xid == target_id:
                ext = target_ext
            else:
                # 3 = members list + this local + getrefcount's argument
                ext = sys.getrefcount(x) - 3 - extra_own.get(xid, 0)
            base[i] = ext - internal[i]
        x = None
        self.base = base
        self._sizes: dict[int, int] = {}

    def freed_bytes(self, cuts) -> int:
        return self.release(cuts, check_collect=False)[0]

    def release(self, cuts, before: bytearray | None = None,
                check_collect: bool = True) -> tuple[int, bool, bytearray]:
        """What removing the references ``cuts`` frees: ``(bytes, needs_collect, dead)``.

        ``dead[i]`` is 1 for every member that nothing live refers to any more.
        Reference counting frees the dead members in a cascade from those no dead
        member refers to; the others are on, or only held by, a cycle of dead
        members, and wait for the cyclic collector. ``before``: the ``dead`` of
        another release; members dead there are not counted (neither bytes nor
        ``needs_collect``). ``check_collect=False`` skips the cascade (``needs_collect``
        is then False).
        """
        index = self.index
        kids_of = self.kids_of
        n = len(self.members)
        cut_ext: dict[int, int] = {}
        cut_int: dict[tuple[int, int], int] = {}
        for holder_id, child_id, _slot in cuts:
            j = index.get(child_id)
            if j is None:
                continue
            h = index.get(holder_id)
            if h is None:
                cut_ext[j] = cut_ext.get(j, 0) + 1
            else:
                cut_int[(h, j)] = cut_int.get((h, j), 0) + 1
        live = bytearray(n)
        stack = []
        base = self.base
        for i in range(n):
            if base[i] - cut_ext.get(i, 0) > 0:
                live[i] = 1
                stack.append(i)
        while stack:
            i = stack.pop()
            kids = kids_of[i]
            for cid in kids:
                j = index.get(cid)
                if j is None or live[j]:
                    continue
                if cut_int and (i, j) in cut_int:
                    if sum(1 for c in kids if c == cid) - cut_int[(i, j)] <= 0:
                        continue
                live[j] = 1
                stack.append(j)
        dead = live.translate(_FLIP)
        total = 0
        newly = 0
        sizes = self._sizes
        for i in range(n):
            if dead[i] and (before is None or not before[i]):
                newly += 1
                size = sizes.get(i)
                if size is None:
                    x = self.members[i]
                    # atoms (an object column's strings): their flat size is sys.getsizeof
                    size = sizes[i] = _getsizeof(x) if id(type(x)) in _ATOM_IDS else flat_size(x)
                total += size
        collect = check_collect and newly > 0 and self._needs_collect(dead, cut_int, before)
        return total, collect, dead

    def _needs_collect(self, dead, cut_int, before) -> bool:
        """True if some dead member (not dead in ``before``) survives the refcount cascade.

        Kahn's algorithm over the dead members: one that no dead member refers to any
        more is freed by reference counting, which releases its references in turn;
        what is left is on, or only held by, a cycle.
        """
        get = self.index.get
        kids_of = self.kids_of
        n = len(dead)
        cut_from: dict[int, dict[int, int]] = {}
        for (h, j), c in cut_int.items():
            if dead[h] and dead[j]:
                cut_from.setdefault(h, {})[j] = c
        dead_ids = list(itertools.compress(range(n), dead))
        indeg = [0] * n  # references from dead members that the cuts leave in place
        dkids: list = [()] * n
        for i in dead_ids:
            kids = kids_of[i]
            if not kids:
                continue
            ks = [j for j in map(get, kids) if j is not None and dead[j]]
            if not ks:
                continue
            skip = cut_from.get(i)
            if skip:
                skip = dict(skip)
                kept = []
                for j in ks:
                    if skip.get(j, 0) > 0:
                        skip[j] -= 1
                    else:
                        kept.append(j)
                ks = kept
            dkids[i] = ks
            for j in ks:
                indeg[j] += 1
        stack = [i for i in dead_ids if not indeg[i]]
        freed = 0
        while stack:
            i = stack.pop()
            freed += 1
            for j in dkids[i]:
                indeg[j] -= 1
                if not indeg[j]:
                    stack.append(j)
        if freed == len(dead_ids):
            return False
        return any(indeg[i] and (before is None or not before[i]) for i in dead_ids)


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def why_alive(obj, *, max_depth: int = 30, max_chains: int = 10, extra_depth: int = 3,
              max_nodes: int = 1_000_000, releasable: bool = True, ignore=(),
              collect: bool = True, name: str | None = None, _own_refs: int = 0) -> WhyAlive:
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

    Returns
    -------
    WhyAlive

    Examples
    --------
    >>> import pympler_nb.core.whyalive as wa
    >>> cache = {"x": bytearray(10_000)}
    >>> r = wa.why_alive(cache["x"])                        # doctest: +SKIP
    >>> r.chains[0].path, r.chains[0].action.text           # doctest: +SKIP
    ("cache['x']", "del cache['x']")
    """
    _check_int("max_depth", max_depth, 1)
    _check_int("max_chains", max_chains, 1)
    _check_int("extra_depth", extra_depth, 0)
    _check_int("max_nodes", max_nodes, 1)
    _check_int("_own_refs", _own_refs, 0)
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
    roots.target_id = id(obj)
    roots.target_name = None if name is None else name.strip()
    # References to obj right now, minus this frame's parameter and getrefcount's argument.
    target_ext = sys.getrefcount(obj) - 2 - _own_refs
    found = _search(obj, roots, own, max_depth, max_chains, extra_depth, max_nodes)
    objs = found.objs
    tid = id(obj)
    labeller = _Labeller()
    raw, more = _enumerate(found, tid, roots, labeller, 4 * max_chains)
    truncated = found.truncated or more
    found_refs = found.found_refs
    built: list[_Built] = []
    node_cache: dict[int, GraphNode] = {}
    r = None
    for r in raw:
        root_kind, root_desc, root_text, skip, path, hops, node_ids = _label(r, objs, roots, labeller)
        action, cuts, seeds, cut_at = _action_for(root_kind, root_text, skip, hops, node_ids,
                                                  objs, roots, r)
        action = _with_import(action, r, roots, root_kind)
        nodes = []
        for nid in node_ids:
            node = node_cache.get(nid)
            if node is None:
                if nid == tid:  # its repr comes last: a repr (pandas') may fill caches
                    node = GraphNode(id=nid, type=type_name(obj), size=target_size, repr="")
                elif nid in objs:
                    node = _node(objs[nid])
                elif r.kind == "frame" and nid == r.frame_root.frame_id:
                    node = GraphNode(id=nid, type="frame", size=0, repr=r.frame_root.where)
                else:
                    node = roots.container_node(nid)
                node_cache[nid] = node
            nodes.append(node)
        built.append(_Built(kind=root_kind, root_desc=root_desc, path=path, hops=hops,
                            node_ids=node_ids, nodes=nodes, action=action, cut_ids=cuts,
                            seeds=seeds, cut_at=cut_at))
    del raw, r
    # shortest first; one chain per distinct action
    built.sort(key=lambda b: (len(b.hops), _KIND_ORDER.get(b.kind, 99), b.path))
    chosen: list[_Built] = []
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
    plan: list[_Built] = []
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
    seeds = [s for s in seeds if s is not _NOTHING]
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
        closed = _closure(seeds, stop, max_nodes)
        if closed is not None:
            retention = _Retention(*closed, tid, target_ext, extra_own)
            del closed
            # what goes anyway when the cell ends is not credited to any action
            always = [transient_cut] if transient_cut is not None else []
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


_NOTHING = object()


def _plan_order(b: _Built):
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
    sysd = _module_dict(sys)
    for name in _LAST_EXC_NAMES:
        value = sysd.get(name)
        if value is not None and id(value) == seed_id:
            return value
    _itb, tb = _shell_traceback(roots)
    if tb is not None and id(tb) == seed_id:
        return tb
    return _NOTHING


def _shell_traceback(roots: _Roots):
    """``(get_ipython().InteractiveTB, its .tb)``: the last traceback IPython printed."""
    if roots.shell is None:
        return None, None
    try:
        itb = object.__getattribute__(roots.shell, "InteractiveTB")
        tb = object.__getattribute__(itb, "tb")
    except Exception:  # noqa: BLE001
        return None, None
    return (itb, tb) if type(tb) is types.TracebackType else (None, None)


def find_chains(obj, *, max_depth: int = 30, max_chains: int = 10, extra_depth: int = 3,
                max_nodes: int = 1_000_000, ignore=(), collect: bool = True) -> tuple[Chain, ...]:
    """Shortest referrer chains from roots to ``obj`` (no byte counts; faster).

    Same search as :func:`why_alive` with ``releasable=False``.
    """
    return why_alive(obj, max_depth=max_depth, max_chains=max_chains, extra_depth=extra_depth,
                     max_nodes=max_nodes, releasable=False, ignore=ignore, collect=collect,
                     _own_refs=1).chains
