"""Why-alive chains labelled in user terms, and the action that cuts each one.

Part of the why-alive engine (:mod:`.whyalive` is its facade): :class:`Action`, the
root kinds, the labelling of a raw chain (``df['name'].iloc[2]``, `` → cached f(5)``,
`` → closure variable x``) and the safe-action rules (never delete or rebind a
function, class or module; never mutate a library object's private state; say so
where no safe statement exists).
"""

from __future__ import annotations

import collections
import functools
import sys
import types
from typing import TYPE_CHECKING

from ._format import format_size, safe_repr, type_name
from ._thirdparty import readable_steps
from .session import LAST_EXC_NAMES as _LAST_EXC_NAMES
from .session import OUT_VAR as _OUT_VAR
from .session import UNDERSCORES as _UNDERSCORES
from .session import SessionRoots as _Roots
from ._graphwalk import (
    GraphNode,
    Hop,
    module_dict,
    is_object_ndarray,
    edge_hops,
    flat_size,
    lru_cache_entries,
    lru_call_text,
    node_repr,
    render_path,
)
from .gcsafe import get_referents
from .values import Frozen


if TYPE_CHECKING:
    from ._whyalive_search import RawChain

#: Root kinds, in the order chains of equal length are listed, with their description.
ROOT_KINDS = {
    "namespace": "interactive namespace",
    "output_cache": "IPython output cache",
    "traceback": "last traceback",
    "frame": "running function",
    "ipython": "IPython internals",
    "input_history": "IPython input history",
    "named": "named root",  # why_alive(roots={name: container}): e.g. a Dask worker's data
    "module": "module global",
}
KIND_ORDER = {kind: i for i, kind in enumerate(ROOT_KINDS)}


NOTHING = object()




class Action(Frozen):
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
        self._set(text=text, kind=kind, releasable_bytes=releasable_bytes,
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
        return frees_phrase(self.releasable_bytes, self.needs_collect)

    def __repr__(self):
        size = "?" if self.releasable_bytes is None else format_size(self.releasable_bytes)
        after = " after the next gc.collect()" if self.needs_collect else ""
        return f"<Action {self.text!r} frees {size}{after}>"

    def __str__(self):
        return self.text


def frees_phrase(nbytes, needs_collect) -> str:
    if nbytes is None:
        return ""
    after = " after the next gc.collect()" if needs_collect and nbytes > 0 else ""
    return f"frees {format_size(nbytes)}{after}"


# ---------------------------------------------------------------------------
# Labelling and actions
# ---------------------------------------------------------------------------


class BuiltChain:
    __slots__ = ("kind", "root_desc", "path", "hops", "node_ids", "nodes", "action", "cut_ids", "seeds",
                 "cut_at")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def graph_node(obj) -> GraphNode:
    return GraphNode(id=id(obj), type=type_name(obj), size=flat_size(obj),
                     repr=node_repr(obj, clip=80))


def chain_label(raw: RawChain, objs, roots: _Roots, labeller):
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
    raw_slot = raw.slot
    if raw.kind != "frame":
        raw_slot = shift_underscores(roots, raw.slot, hops, ids, raw.container_id)
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
        slot = raw_slot
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
        elif root_kind == "named":
            root_desc = roots.containers[raw.container_id][1]
        else:
            root_desc = ROOT_KINDS[root_kind]
        all_hops = [raw_slot] + hops
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


def is_cuttable(holder, hop: Hop) -> bool:
    tp = type(holder)
    if hop.kind in ("key", "dictkey"):
        return issubclass(tp, dict) and tp is not types.MappingProxyType
    if hop.kind == "index":
        return issubclass(tp, (list, collections.deque)) or is_object_ndarray(holder)
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
            descr = type.__dict__["__dict__"].__get__(k).get(name, NOTHING)
        except Exception:  # noqa: BLE001
            continue
        if descr is NOTHING:
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
#: the action of a ``___`` that the next output moves out (``why_alive(outputs_after=1)``)
DROPPED = "nothing: IPython drops it when this cell's output is shown (`___` moves out)"


def _shifted(name: str, shift: int) -> str | None:
    """``_``, ``__`` or ``___`` after IPython stores ``shift`` more outputs (None: dropped)."""
    k = len(name) + shift
    return "_" * k if k <= 3 else None


def shift_underscores(roots: _Roots, slot: Hop, hops: list, ids: list, container_id) -> Hop:
    """Rename the ``_``/``__``/``___`` references of a chain as they will read once IPython
    has stored ``roots.output_shift`` more outputs (``_`` -> ``__``): the root ``slot`` of
    ``container_id`` (returned) and ``hops`` (``hops[k]`` goes from ``ids[k]`` to
    ``ids[k + 1]``, renamed in place). A reference that moves out is added to
    ``roots.dropped`` as ``(holder id, child id, name)``."""
    shift = roots.output_shift
    if not shift:
        return slot

    def rename(holder_id, hop, child_id, prev_is_dh=False):
        bare = hop.name[1:-1] if hop.kind == "key" and hop.name and hop.name[0] == "'" else hop.name
        if bare not in _UNDERSCORES:
            return hop
        if hop.kind == "key" and (holder_id in (roots.user_ns_id, roots.hidden_ns_id) or prev_is_dh):
            pass
        elif hop.kind == "attr" and holder_id in roots.displayhook_ids:
            pass
        else:
            return hop
        new = _shifted(bare, shift)
        if new is None:
            roots.dropped.add((holder_id, child_id, bare))
            return hop
        if hop.kind == "attr":
            return Hop("attr", new, "." + new)
        return Hop("key", repr(new), f"[{new!r}]", expr=True)

    chain = [container_id] + list(ids)
    slot = rename(container_id, slot, chain[1])
    for k, hop in enumerate(hops):
        prev_is_dh = k > 0 and chain[k] in roots.displayhook_ids and hops[k - 1].kind == "dict"
        hops[k] = rename(chain[k + 1], hop, chain[k + 2], prev_is_dh)
    return slot


def with_import(action: Action, raw: RawChain, roots: _Roots, root_kind: str) -> Action:
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


def action_for(root_kind, root_text, skip, hops, node_ids, objs, roots: _Roots, raw: RawChain):
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
        sysd = module_dict(sys)
        names = [n for n in _LAST_EXC_NAMES if sysd.get(n) is not None]
        text = " = ".join(f"sys.{n}" for n in names) + " = None" if names else "sys.last_traceback = None"
        cuts = [(id(sysd), id(sysd[n]), n) for n in names]
        seeds = [id(sysd[n]) for n in names]
        itb, tb = shell_traceback(roots)
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
        if (holder_id, node_ids[i + 1], bare) in roots.dropped:
            if holder_id == roots.hidden_ns_id:
                return single(DROPPED, "transient", i)
            cuts = _underscore_cuts(roots, bare, node_ids[i + 1])
            return Action(DROPPED, "transient", None, set(cuts)), cuts, [node_ids[i + 1]], None
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
            # (the references as they are now: `_` if the chain reads `__` after the shift)
            cuts = _underscore_cuts(roots, _shifted(bare, -roots.output_shift) or bare, node_ids[i + 1])
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
        if holder is None or not is_cuttable(holder, hop):
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
        elif hop.kind == "index" and is_object_ndarray(holder):
            text = f"{prefix}{hop.text} = None"
        elif hop.kind == "key" and not hop.is_expression:
            key = _key_of(holder, child, hop)
            if key is NOTHING:
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
    return NOTHING


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
    return [(id(gen), id(r), f"frame{k}") for k, r in enumerate(get_referents(gen))
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


def shell_traceback(roots: _Roots):
    """``(get_ipython().InteractiveTB, its .tb)``: the last traceback IPython printed."""
    if roots.shell is None:
        return None, None
    try:
        itb = object.__getattribute__(roots.shell, "InteractiveTB")
        tb = object.__getattribute__(itb, "tb")
    except Exception:  # noqa: BLE001
        return None, None
    return (itb, tb) if type(tb) is types.TracebackType else (None, None)
