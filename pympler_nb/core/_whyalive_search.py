"""The why-alive search: a backward breadth-first search from the object to the roots
of the session, and one raw chain per reference that can be removed.

Part of the why-alive engine (:mod:`.whyalive` is its facade).
"""

from __future__ import annotations


from .session import SessionRoots as _Roots
from ._whyalive_actions import is_cuttable
from ._graphwalk import (
    HolderSearch,
    Hop,
    key_hop,
    Labeller,
    edge_hops,
)


# ---------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------


class RawChain:
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


def search_chains(target, roots: _Roots, ignore: set[int], max_depth, max_chains, extra_depth,
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
    labeller = Labeller()
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


def enumerate_chains(found: _Found, tid: int, roots: _Roots, labeller, limit: int) -> tuple[list[RawChain], bool]:
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
            return RawChain("container", cid, hop, path_ids, None, override)
        froot, name, _snap = info
        return RawChain("frame", froot.frame_id, name, path_ids, froot, override)

    raws: list[RawChain] = []
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
                if is_cuttable(holder, hop):
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
                hops.append(key_hop(key))
    else:
        hop = edge_hops(container, {child_id}, labeller).get(child_id)
        if hop is not None:
            hops.append(hop)
    return hops
