"""why_alive: shortest referrer chains from roots, actions, releasable bytes."""

from __future__ import annotations

import functools
import gc
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import types
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core.asizeof import flatsize
from pympler_nb.core.whyalive import ROOT_KINDS, Chain, WhyAlive, find_chains, why_alive
from tests.core._featstore import featstore_source

_counter = itertools.count()


class Thing:
    """Weak-referenceable, no attributes."""


class Blob:
    def __init__(self, n=100_000):
        self.data = bytearray(n)


class Holder:
    def __init__(self):
        self.items = []


class Slotted:
    __slots__ = ("left", "__weakref__")

    def __init__(self, left=None):
        self.left = left


class D(dict):
    """A dict that can be weakly referenced."""


class Hostile:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __eq__(self, other):
        raise RuntimeError("no eq")

    __hash__ = object.__hash__

    def __getattribute__(self, name):
        if name in ("__class__", "__dict__"):
            raise RuntimeError("no attributes")
        return object.__getattribute__(self, name)

    def __getattr__(self, name):
        raise RuntimeError("no getattr")


@pytest.fixture
def mod():
    """A throw-away module in sys.modules: its globals are a root like any module's."""
    name = f"wa_probe_{next(_counter)}"
    m = types.ModuleType(name)
    sys.modules[name] = m
    main = vars(sys.modules["__main__"])
    main[name] = m  # imported, as a user would have: actions need no `import` first
    try:
        yield m
    finally:
        main.pop(name, None)
        del sys.modules[name]
        m.__dict__.clear()
        gc.collect()


@pytest.fixture
def last_exc():
    saved = {n: getattr(sys, n) for n in ("last_type", "last_value", "last_traceback", "last_exc")
             if hasattr(sys, n)}
    try:
        yield
    finally:
        for n in ("last_type", "last_value", "last_traceback", "last_exc"):
            if n in saved:
                setattr(sys, n, saved[n])
            elif hasattr(sys, n):
                delattr(sys, n)


def _run(action_text, module):
    exec(action_text, {module.__name__: module, "sys": sys})


def _chain(result, path):
    matches = [c for c in result.chains if c.path == path]
    assert matches, f"no chain {path!r} in {[c.path for c in result.chains]}"
    return matches[0]


# ---------------------------------------------------------------------------
# chains and their labels
# ---------------------------------------------------------------------------


def test_module_global_chain_action_and_bytes(mod):
    mod.cache = {"x": Thing()}
    probe = weakref.ref(mod.cache["x"])
    r = why_alive(mod.cache["x"])
    assert isinstance(r, WhyAlive) and r.target_type == "Thing" and r.hidden_refs == 0
    c = _chain(r, f"{mod.__name__}.cache['x']")
    assert isinstance(c, Chain) and c.root_kind == "module" and c.root == f"module {mod.__name__}"
    assert c.length == 2 and [h.text for h in c.hops] == ["['cache']", "['x']"]
    assert [n.type for n in c.nodes] == ["dict", "dict", "Thing"]
    assert c.action.text == f"del {mod.__name__}.cache['x']"
    assert c.releasable_bytes == flatsize(probe()) == r.releasable_bytes
    assert not c.action.needs_collect and not r.needs_collect
    assert "gc.collect()" not in str(r)
    _run(c.action.text, mod)
    assert probe() is None  # freed at once: the action text is runnable and right


class Table:
    """Its repr spans lines, as a DataFrame's does."""

    def __repr__(self):
        return "   a  b\n0  1  x\n1  2  y"


def test_header_of_a_multi_line_repr_is_one_line(mod):
    mod.table = Table()
    r = why_alive(mod.table)
    head, value = str(r).splitlines()[:2]
    assert head.startswith("Table ") and " deep; releasing it frees " in head
    assert value.strip() == "a  b ⏎ 0  1  x ⏎ 1  2  y"
    assert "\n" not in r.target_repr


def test_three_hops_from_a_global(mod):
    mod.h = Holder()
    mod.h.items.append({"k": Blob(1000)})
    target = mod.h.items[0]["k"]
    probe = weakref.ref(target)
    expected = flatsize(target) + flatsize(target.data)
    del target
    r = why_alive(mod.h.items[0]["k"])
    c = _chain(r, f"{mod.__name__}.h.items[0]['k']")
    assert c.length == 4
    assert c.action.text == f"del {mod.__name__}.h.items[0]['k']"
    assert c.releasable_bytes == expected
    _run(c.action.text, mod)
    assert probe() is None


def test_attribute_action_sets_none(mod):
    mod.h = Holder()
    mod.h.payload = Thing()  # set from outside the class: name found from __dict__ or as .<?>
    mod.h.items = Thing()
    probe = weakref.ref(mod.h.items)
    r = why_alive(mod.h.items)
    c = _chain(r, f"{mod.__name__}.h.items")
    assert c.action.text == f"{mod.__name__}.h.items = None"
    _run(c.action.text, mod)
    assert probe() is None


def test_attribute_set_from_outside_the_class_is_named_exactly(mod):
    mod.h = Holder()
    mod.h.set_from_outside = Thing()  # a name the class's code never uses
    probe = weakref.ref(mod.h.set_from_outside)
    r = why_alive(mod.h.set_from_outside)
    c = _chain(r, f"{mod.__name__}.h.set_from_outside")
    assert c.action.text == f"{mod.__name__}.h.set_from_outside = None"
    _run(c.action.text, mod)
    assert probe() is None


def test_several_holders_and_the_plan(mod):
    t = Blob(5000)
    mod.a = {"x": t}
    mod.b = [D(t=t)]
    probe = weakref.ref(t)
    size = flatsize(t) + flatsize(t.data)
    del t
    r = why_alive(mod.a["x"])
    ca = _chain(r, f"{mod.__name__}.a['x']")
    cb = _chain(r, f"{mod.__name__}.b[0]['t']")
    assert ca.releasable_bytes == 0 and cb.releasable_bytes == 0  # each alone frees nothing
    assert {a.text for a in r.plan} == {ca.action.text, cb.action.text}
    assert r.releasable_bytes == size
    for action in r.plan:
        _run(action.text, mod)
    assert probe() is None


def test_cycle_and_self_reference(mod):
    class Node:
        def __init__(self):
            self.me = self
            self.other = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    mod.keep = {"a": a}
    pa, pb = weakref.ref(a), weakref.ref(b)
    size = flatsize(a) + flatsize(b)
    del a, b
    r = why_alive(mod.keep["a"].other)  # b: reached through a, which is in a cycle with b
    c = _chain(r, f"{mod.__name__}.keep['a'].other")
    assert c.action.text == f"{mod.__name__}.keep['a'].other = None"
    plan_texts = [x.text for x in r.plan]
    assert plan_texts == [c.action.text]
    # cutting a.other does not free b: b.other -> a -> (keep) holds... b only via a.other
    assert c.releasable_bytes == flatsize(pb())
    r2 = why_alive(mod.keep["a"])
    c2 = _chain(r2, f"{mod.__name__}.keep['a']")
    assert c2.releasable_bytes == size  # the whole cycle goes
    _run(c2.action.text, mod)
    gc.collect()
    assert pa() is None and pb() is None


class _GcPaused:
    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


def test_release_that_needs_a_collection(mod):
    class Node:
        def __init__(self):
            self.other = None
            self.payload = None

    a, b = Node(), Node()
    a.other, b.other = b, a  # a <-> b: deleting the global leaves a cycle for the collector
    b.payload = Blob(50_000)
    mod.keep = {"a": a}
    pa, pb, pp = weakref.ref(a), weakref.ref(b), weakref.ref(b.payload)
    size = flatsize(a) + flatsize(b) + flatsize(b.payload) + flatsize(b.payload.data)
    del a, b
    r = why_alive(mod.keep["a"].other.payload)
    c = _chain(r, f"{mod.__name__}.keep['a'].other.payload")
    # cutting the payload itself frees it at once (it is not on the cycle)
    assert not c.action.needs_collect
    r2 = why_alive(mod.keep["a"])
    c2 = _chain(r2, f"{mod.__name__}.keep['a']")
    assert c2.releasable_bytes == r2.releasable_bytes == size
    assert c2.action.needs_collect and r2.needs_collect
    text = str(r2)
    assert "after the next gc.collect()" in text
    assert f"→ {c2.action.text}  {c2.action.frees_text}" in text
    assert "<Action" in repr(c2.action) and "gc.collect()" in repr(c2.action)
    with _GcPaused():
        _run(c2.action.text, mod)
        assert pa() is not None and pp() is not None  # reference counting alone: still there
        gc.collect()
        assert pa() is None and pb() is None and pp() is None


def test_holders_that_cannot_let_go(mod):
    t = Blob(1000)
    pair = (t, "x")  # a tuple item cannot be removed: its holders are the chains
    mod.a = pair
    mod.b = {"p": pair}
    mod.lst = [t, None, t]  # two slots of one list: the plan deletes the higher index first
    probe = weakref.ref(t)
    del t, pair
    r = why_alive(mod.a[0])
    n = mod.__name__
    actions = {c.path: c.action.text for c in r.chains}
    assert actions[f"{n}.a[0]"] == f"del {n}.a"  # the path shows the tuple; the cut is above it
    assert actions[f"{n}.b['p'][0]"] == f"del {n}.b['p']"
    assert actions[f"{n}.lst[0]"] == f"del {n}.lst[0]" and actions[f"{n}.lst[2]"] == f"del {n}.lst[2]"
    texts = [a.text for a in r.plan]
    assert texts.index(f"del {mod.__name__}.lst[2]") < texts.index(f"del {mod.__name__}.lst[0]")
    for action in r.plan:
        _run(action.text, mod)
    assert mod.lst == [None]
    assert probe() is None


def test_untracked_holder_is_found(mod):
    payload = bytes(bytearray(3000))  # not a code constant
    mod.blobs = {"arr": payload}
    assert not gc.is_tracked(mod.blobs)  # a dict of bytes is not tracked by gc
    size = flatsize(payload)
    del payload
    r = why_alive(mod.blobs["arr"])
    c = _chain(r, f"{mod.__name__}.blobs['arr']")
    assert c.releasable_bytes == size
    assert r.hidden_refs == 0


def test_hidden_reference_is_reported(mod):
    code = compile("x = 'pympler_nb hidden constant %d'" % next(_counter), "<probe>", "exec")
    const = code.co_consts[0]
    mod.keep = {"c": const}
    del const
    r = why_alive(mod.keep["c"])
    _chain(r, f"{mod.__name__}.keep['c']")
    if gc.is_tracked(code.co_consts) or sys.version_info >= (3, 12):
        return  # newer CPythons may show the code's constants to gc
    assert r.hidden_refs >= 1
    assert r.releasable_bytes == 0  # the code object still holds it
    assert "cannot see" in str(r)


def test_traceback_chain(last_exc):
    def failing():
        arr = Blob(200_000)  # noqa: F841 - kept by the traceback
        raise ValueError("boom")

    try:
        failing()
    except ValueError:
        sys.last_type, sys.last_value, sys.last_traceback = sys.exc_info()
        if sys.version_info >= (3, 12):
            sys.last_exc = sys.last_value

    def last_local(name):
        tb = sys.last_traceback
        while tb.tb_next:
            tb = tb.tb_next
        return tb.tb_frame.f_locals[name]

    probe = weakref.ref(last_local("arr"))
    r = why_alive(last_local("arr"))
    c = _chain(r, "sys.last_traceback → frame failing() local arr")
    assert c.root_kind == "traceback" and c.root == ROOT_KINDS["traceback"]
    assert "sys.last_traceback" in c.action.text and "sys.last_value" in c.action.text
    if sys.version_info >= (3, 12):
        assert "sys.last_exc" in c.action.text
    assert r.releasable_bytes >= 200_000
    exec(c.action.text, {"sys": sys})
    gc.collect()
    assert probe() is None


def test_frame_in_another_thread():
    ready, release = threading.Event(), threading.Event()
    box = []

    def worker():
        arr = Blob(1000)
        box.append(weakref.ref(arr))
        ready.set()
        release.wait(30)
        del arr

    th = threading.Thread(target=worker, name="pympler-nb-worker")
    th.start()
    try:
        assert ready.wait(10)
        r = why_alive(box[0]())
        c = _chain(r, "frame worker() [thread pympler-nb-worker] local arr")
        assert c.root_kind == "frame" and c.length == 1
        assert c.action.text.startswith("del arr in worker() (thread pympler-nb-worker)")
        assert "pympler-nb-worker" in c.root
    finally:
        release.set()
        th.join(10)
    gc.collect()
    assert box[0]() is None


def _local_holder(results):
    x = Thing()
    results.append(weakref.ref(x))
    results.append(why_alive(x))
    del x  # on 3.11/3.12 CPython's f_locals snapshot still holds x until this frame returns


def test_caller_frame_local_and_nothing_kept_afterwards():
    results = []
    _local_holder(results)
    probe, r = results
    c = _chain(r, "frame _local_holder() local x")
    assert c.root_kind == "frame" and "[thread" not in c.path
    assert c.action.text == "del x in _local_holder(), or let _local_holder() return"
    assert probe() is None  # the frame returned; nothing of why_alive holds x


@pytest.mark.skipif(sys.version_info < (3, 13), reason="3.11/3.12 keep an f_locals snapshot (PEP 667)")
def test_local_released_at_once_on_313():
    x = Thing()
    probe = weakref.ref(x)
    why_alive(x)
    del x
    assert probe() is None


def test_no_references_kept(mod):
    mod.c = [Thing()]
    probe = weakref.ref(mod.c[0])
    r = why_alive(mod.c[0])
    refs_after = sys.getrefcount(probe())
    assert refs_after == 2  # mod.c and getrefcount's argument
    del mod.c
    assert probe() is None  # no cycle of ours keeps it either: freed without gc.collect
    assert r.chains  # the result lives on, holding ids and text only


def test_own_frames_and_containers_never_in_chains(mod):
    mod.x = {"t": Thing()}
    r = why_alive(mod.x["t"], max_chains=50, extra_depth=6)
    for c in r.chains:
        assert "why_alive" not in c.path and "search_chains" not in c.path
        assert not c.root.startswith("module pympler_nb")
        for n in c.nodes:
            assert n.type not in ("SessionRoots", "RawChain", "BuiltChain")


def test_find_chains_and_to_graph(mod):
    mod.x = {"t": Thing()}
    chains = find_chains(mod.x["t"])
    assert [c.path for c in chains if c.root_kind == "module"] == [f"{mod.__name__}.x['t']"]
    assert all(c.releasable_bytes is None for c in chains)
    r = why_alive(mod.x["t"])
    g = r.to_graph()
    target = g.node(r.target_id)
    assert target.highlight and target.type == "Thing"
    assert any(e.dst == r.target_id and e.label == "['t']" for e in g.edges)


def test_hostile_objects(mod):
    h = Hostile()
    mod.keep = {"h": h}
    mod.obj = Holder()
    mod.obj.items.append(h)
    del h
    r = why_alive(mod.keep["h"])
    assert "repr failed" in r.target_repr
    _chain(r, f"{mod.__name__}.keep['h']")
    _chain(r, f"{mod.__name__}.obj.items[0]")
    assert "Hostile" in str(r)


def test_long_linked_list(mod):
    head = None
    for _ in range(1_000_000):
        head = Slotted(head)
    mod.head = head
    tail = head
    for _ in range(5):
        tail = tail.left
    t0 = time.process_time()  # CPU time: a loaded machine does not fail it
    r = why_alive(tail, releasable=False)
    assert time.process_time() - t0 < 60
    _chain(r, f"{mod.__name__}.head" + ".left" * 5)
    deep = head
    for _ in range(500_000):
        deep = deep.left
    r2 = why_alive(deep, max_depth=20, releasable=False)
    assert not [c for c in r2.chains if c.root_kind == "module"]
    assert r2.truncated
    del deep, tail, r, r2
    mod.head = None
    while head is not None:  # unwind without a deep dealloc recursion
        head = head.left


def test_modules_and_roots_themselves(mod):
    mod.json = sys.modules["json"] = sys.modules.get("json") or __import__("json")
    r = why_alive(sys.modules["json"], max_chains=500)  # many modules import json
    paths = {c.path: c.action.text for c in r.chains}
    assert paths["sys.modules['json']"] == "del sys.modules['json']"
    assert paths[f"{mod.__name__}.json"] == f"del {mod.__name__}.json"
    r2 = why_alive(vars(mod))
    assert any("itself a root" in note for note in r2.notes)


def test_argument_validation():
    for kwargs, msg in [({"max_depth": 0}, "max_depth must be an int >= 1, got 0"),
                        ({"max_chains": "3"}, "max_chains must be an int >= 1"),
                        ({"extra_depth": -1}, "extra_depth must be an int >= 0"),
                        ({"max_nodes": True}, "max_nodes must be an int >= 1")]:
        with pytest.raises(ValueError, match=msg):
            why_alive(Thing(), **kwargs)


def test_text_output(mod):
    mod.cache = {"x": Blob(1000)}
    text = str(why_alive(mod.cache["x"]))
    assert f"{mod.__name__}.cache['x']" in text
    assert "to release it:" in text and "frees" in text and "[module global]" in text
    assert repr(why_alive(mod.cache["x"])).startswith("<WhyAlive Blob")
    lonely = str(why_alive(Thing()))
    assert "no chain from a root" in lonely or "frame" in lonely


# ---------------------------------------------------------------------------
# releasable bytes: prediction == what really goes away
# ---------------------------------------------------------------------------


def _build(module, n, edges, roots_spec):
    """Nodes D(...) with small-int keys, globals g<i> = node; returns (probes, sizes).

    Small ints are cached by CPython, so only the nodes themselves can be freed.
    """
    nodes = [D() for _ in range(n)]
    for k, (i, j) in enumerate(edges):
        nodes[i][k] = nodes[j]
    for i, j in enumerate(roots_spec):
        setattr(module, f"g{i}", nodes[j])
    probes = [weakref.ref(x) for x in nodes]
    sizes = [flatsize(x) for x in nodes]
    return probes, sizes


graph_specs = st.integers(2, 9).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
    st.integers(0, n - 1),
))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=graph_specs)
def test_releasable_bytes_match_reality(mod, spec):
    n, edges, roots_spec, pick = spec
    probes, sizes = _build(mod, n, edges, roots_spec)
    alive = [i for i in range(n) if probes[i]() is not None]
    gc.collect()
    alive = [i for i in range(n) if probes[i]() is not None]
    if pick not in alive:
        for name in list(vars(mod)):
            if name.startswith("g"):
                delattr(mod, name)
        return
    r = why_alive(probes[pick](), releasable=True, max_chains=20, extra_depth=20)
    module_chains = [c for c in r.chains if c.root_kind == "module"]
    assert module_chains, [c.path for c in r.chains]
    for action in r.plan:
        _run(action.text, mod)
    gc.collect()
    freed = [i for i in alive if probes[i]() is None]
    assert pick in freed, (r.plan, [c.path for c in r.chains])
    assert r.releasable_bytes == sum(sizes[i] for i in freed)
    for name in list(vars(mod)):
        if name.startswith("g"):
            delattr(mod, name)


# ---------------------------------------------------------------------------
# IPython's output cache and last traceback, in a real IPython shell
# ---------------------------------------------------------------------------

IPYTHON_HELPERS = """
import json, sys
from pympler_nb.core.whyalive import why_alive


class Blob:
    def __init__(self):
        self.data = bytearray(10**6)

    def __repr__(self):
        return "<Blob>"


def report(r):
    chains = [[c.path, c.root_kind, c.action.text, c.releasable_bytes] for c in r.chains]
    return json.dumps({"chains": chains, "plan": [a.text for a in r.plan], "bytes": r.releasable_bytes,
                       "needs_collect": r.needs_collect, "notes": list(r.notes)})


def run_plan(r):
    ip = get_ipython()
    for action in r.plan:
        if action.text.startswith("%"):
            name, _, args = action.text[1:].partition(" ")
            ip.run_line_magic(name, args)
        elif action.runnable:
            ip.ex(action.text)


def failing():
    arr = Blob()
    1 / 0


def last_local(name):
    tb = sys.last_traceback
    while tb.tb_next:
        tb = tb.tb_next
    return tb.tb_frame.f_locals[name]
"""

# one line per cell; cell 3 displays a Blob, so it lands in Out[3], _3 and _
IPYTHON_CELLS = """\
import weakref, gc, json
from wa_ipy_helpers import *
Blob()
probe = weakref.ref(Out[3])
print('RESULT1', report(why_alive(Out[3])))
run_plan(why_alive(Out[3]))
gc.collect(); print('RESULT2', json.dumps(probe() is None))
failing()
tbprobe = weakref.ref(last_local('arr'))
print('RESULT3', report(why_alive(last_local('arr'))))
run_plan(why_alive(last_local('arr')))
gc.collect(); print('RESULT4', json.dumps(tbprobe() is None))
"""


def test_ipython_output_cache_and_traceback(tmp_path):
    pytest.importorskip("IPython")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    (tmp_path / "wa_ipy_helpers.py").write_text(IPYTHON_HELPERS.replace(
        "import json, sys", "import json, sys\nfrom IPython import get_ipython"))
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"),
               PYTHONPATH=os.pathsep.join([repo, str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", "--simple-prompt",
         "--colors=NoColor", "--HistoryManager.enabled=False"],
        input=IPYTHON_CELLS, capture_output=True, text=True, env=env, timeout=300)
    results = {}
    for line in out.stdout.splitlines():
        for key in ("RESULT1", "RESULT2", "RESULT3", "RESULT4"):
            if key + " " in line:
                results[key] = json.loads(line.split(key + " ", 1)[1])
    assert len(results) == 4, out.stdout + out.stderr
    first = results["RESULT1"]
    paths = {c[0]: c for c in first["chains"]}
    assert {"Out[3]", "_3", "_"} <= set(paths), paths
    assert all(c[1] == "output_cache" for c in first["chains"])
    assert paths["Out[3]"][2] == "del Out[3]" and paths["_3"][2] == "del _3"
    # `_` alone, not `%reset -f out` (which would drop every cached output)
    assert paths["_"][2] == "_ = get_ipython().displayhook._ = None"
    assert not any("%reset" in text for text in first["plan"])
    # IPython's hidden copies of _ and _3 are named too
    assert "del get_ipython().user_ns_hidden['_']" in first["plan"]
    assert "del get_ipython().user_ns_hidden['_3']" in first["plan"]
    assert first["bytes"] >= 10**6
    assert first["needs_collect"] is False  # the cache slots are the only holders: freed at once
    # the previous cell (`probe = ...`) displayed nothing: its ExecutionResult holds nothing of
    # the Blob, so no note about it
    assert not any("last_execution_result" in n for n in first["notes"]), first["notes"]
    assert results["RESULT2"] is True  # running the plan really freed it
    third = results["RESULT3"]
    tb_paths = [c[0] for c in third["chains"]]
    assert "sys.last_traceback → frame failing() local arr" in tb_paths
    assert third["bytes"] >= 10**6
    # the exception, its traceback, IPython's run_code frame and the cell's ExecutionResult
    # form a cycle: the plan frees the array at the next collection, and says so
    assert third["needs_collect"] is True
    assert results["RESULT4"] is True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=graph_specs)
def test_each_action_frees_what_it_says(mod, spec):
    n, edges, roots_spec, pick = spec

    def clear():
        for name in list(vars(mod)):
            if name.startswith("g"):
                delattr(mod, name)
        gc.collect()

    probes, _sizes = _build(mod, n, edges, roots_spec)
    gc.collect()
    if probes[pick]() is None:
        clear()
        return
    r = why_alive(probes[pick](), max_chains=20, extra_depth=20)
    predicted = {c.action.text: c.releasable_bytes for c in r.chains}
    assert all(c.root_kind == "module" for c in r.chains)
    clear()
    for text, nbytes in predicted.items():
        probes, sizes = _build(mod, n, edges, roots_spec)  # the same structure again
        gc.collect()
        alive = [i for i in range(n) if probes[i]() is not None]
        _run(text, mod)
        gc.collect()
        assert sum(sizes[i] for i in alive if probes[i]() is None) == nbytes, text
        clear()


@pytest.mark.kernel
def test_notebook_kernel_output_cache_and_traceback(tmp_path):
    """The same in a Jupyter kernel (ipykernel), where IPython keeps the previous
    cell's ExecutionResult while the next cell runs."""
    pytest.importorskip("IPython")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    (tmp_path / "wa_ipy_helpers.py").write_text(IPYTHON_HELPERS.replace(
        "import json, sys", "import json, sys\nfrom IPython import get_ipython"))
    cells = [f"import sys; sys.path[:0] = [{repo!r}, {str(tmp_path)!r}]\n"
             "import weakref, gc, json\nfrom wa_ipy_helpers import *",
             "Blob()",
             "probe = weakref.ref(Out[2])\nr = why_alive(Out[2])\nprint('RESULT1', report(r))",
             "run_plan(r); del r\ngc.collect(); print('RESULT2', json.dumps(probe() is None))",
             "failing()",
             "tbprobe = weakref.ref(last_local('arr'))\nr = why_alive(last_local('arr'))\n"
             "print('RESULT3', report(r))",
             "run_plan(r); del r\ngc.collect(); print('RESULT4', json.dumps(tbprobe() is None))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    results = {}
    for cell in nb.cells:
        # a printed line may arrive in several stream chunks: join them first
        text = "".join(out.get("text", "") for out in cell.get("outputs", [])
                       if out.get("output_type") == "stream" and out.get("name") == "stdout")
        for line in text.splitlines():
            key, _, rest = line.partition(" ")
            if key.startswith("RESULT"):
                results[key] = json.loads(rest)
    assert len(results) == 4, [c.get("outputs") for c in nb.cells]
    assert {"Out[2]", "_2", "_"} <= {c[0] for c in results["RESULT1"]["chains"]}
    assert results["RESULT1"]["bytes"] >= 10**6 and results["RESULT2"] is True
    assert "sys.last_traceback → frame failing() local arr" in [c[0] for c in results["RESULT3"]["chains"]]
    assert results["RESULT3"]["bytes"] >= 10**6 and results["RESULT4"] is True
    assert results["RESULT3"]["needs_collect"] is True and results["RESULT1"]["needs_collect"] is False
    # the previous cell's ExecutionResult holds the object (`Blob()`'s result, `failing()`'s
    # error): the numbers are as of the end of the cell, and the note says so
    assert any("last_execution_result" in n for n in results["RESULT1"]["notes"])
    assert any("last_execution_result" in n for n in results["RESULT3"]["notes"])


# ---------------------------------------------------------------------------
# holder kinds: readable labels, safe actions that run as printed
# ---------------------------------------------------------------------------

HOLDER_MODULE = featstore_source('''
@functools.lru_cache(maxsize=8)
def report(n):
    return [Blob(f"report{n}")]

@functools.cache
def summary(n, scale=1):
    return Blob(f"summary{n}")

def make_scorer():
    data = Blob("closure")
    def score():
        return data.name
    return score

def with_default(x, table=Blob("default")):
    return x

def with_kwdefault(x, *, table=Blob("kwdefault")):
    return x

def counter():
    local_blob = Blob("generator local")
    yield 1
    yield 2
''', imports="import collections, functools\n", blob_size=50_000)

# (id, setup statements, target expression, check, "run"/"manual", path piece, action piece);
# M stands for the module's name
HOLDER_CASES = [
    ("module_global", "M.big = M.Blob('big'); M.keep = M.Blob('keep')", "M.big",
     "M.keep.name == 'keep' and callable(M.report)", "run", "M.big", "del M.big"),
    ("dict_entry", "M.cache = {'a': M.Blob('a'), 'b': M.Blob('b')}", "M.cache['a']",
     "list(M.cache) == ['b']", "run", "M.cache['a']", "del M.cache['a']"),
    ("dict_key", "M.meta = {M.Blob('key'): 'info', 'x': 1}", "next(iter(M.meta))",
     "M.meta == {'x': 1}", "run", "M.meta (key <Blob key>)", "del M.meta[next(iter(M.meta))]"),
    ("list_item", "M.items = [M.Blob('a'), M.Blob('b'), 3]", "M.items[1]",
     "[getattr(x, 'name', x) for x in M.items] == ['a', 3]", "run", "M.items[1]", "del M.items[1]"),
    ("deque_item", "M.dq = M.collections.deque([M.Blob('a'), M.Blob('b')])", "M.dq[1]",
     "[x.name for x in M.dq] == ['a']", "run", "M.dq[1]", "del M.dq[1]"),
    ("set_member", "M.tags = {M.Blob('a'), M.Blob('b')}", "[x for x in M.tags if x.name == 'a'][0]",
     "[x.name for x in M.tags] == ['b']", "run", "M.tags (set member)",
     "M.tags.discard([x for x in M.tags if x.name == 'a'][0])"),
    ("ordered_dict", "M.od = M.collections.OrderedDict(a=M.Blob('a'), b=1)", "M.od['a']",
     "list(M.od) == ['b']", "run", "M.od['a']", "del M.od['a']"),
    ("defaultdict", "M.dd = M.collections.defaultdict(list, a=M.Blob('a'), b=1)", "M.dd['a']",
     "list(M.dd) == ['b']", "run", "M.dd['a']", "del M.dd['a']"),
    ("tuple_in_dict", "M.pairs = {'k': (M.Blob('t'), 1), 'j': (2, 3)}", "M.pairs['k'][0]",
     "M.pairs == {'j': (2, 3)}", "run", "M.pairs['k'][0]", "del M.pairs['k']"),
    ("frozenset_member", "M.fz = {'s': frozenset([M.Blob('f')]), 'j': 1}", "next(iter(M.fz['s']))",
     "M.fz == {'j': 1}", "run", "M.fz['s'] (set member)", "del M.fz['s']"),
    ("slots_attribute", "M.sl = M.Slotted(); M.sl.payload = M.Blob('p'); M.sl.other = 1", "M.sl.payload",
     "M.sl.other == 1 and M.sl.payload is None", "run", "M.sl.payload", "M.sl.payload = None"),
    ("class_attribute", "M.Blob.shared = M.Blob('shared')", "M.Blob.shared",
     "M.Blob.shared is None and callable(M.Blob.on_event)", "run", "M.Blob.shared", "M.Blob.shared = None"),
    ("lru_cache", "M.report(1); M.report(2)", "M.report(1)[0]",
     "M.report.cache_info().currsize == 0 and M.report(3)[0].name == 'report3'", "run",
     "M.report → cached report(1)[0]", "M.report.cache_clear()"),
    ("functools_cache", "M.summary(3, scale=2)", "M.summary(3, scale=2)",
     "M.summary.cache_info().currsize == 0", "run", "M.summary → cached summary(3, scale=2)",
     "M.summary.cache_clear()"),
    ("mutable_default", "M.memo_fn(1); M.memo_fn(2)", "M.memo_fn.__defaults__[0][1]",
     "list(M.memo_fn.__defaults__[0]) == [2]", "run", "M.memo_fn → default of _memo[1]",
     "del M.memo_fn.__defaults__[0][1]"),
    ("bound_method_in_registry", "M.registry = [print, M.Blob('listener').on_event]",
     "M.registry[1].__self__", "M.registry == [print]", "run", "M.registry[1].__self__", "del M.registry[1]"),
    ("generator_local", "M.gen = M.counter(); next(M.gen)", "M.gen.gi_frame.f_locals['local_blob']",
     "M.gen.gi_frame is None", "run", "M.gen → generator counter() local local_blob", "M.gen.close()"),
    ("closure", "M.scorer = M.make_scorer()", "M.scorer.__closure__[0].cell_contents",
     "M.scorer() == 'closure'", "manual", "M.scorer → closure variable data", "closure variable data of M.scorer"),
    ("default_argument", "", "M.with_default.__defaults__[0]", "M.with_default(1) == 1", "manual",
     "M.with_default → default of table", "parameter table of M.with_default"),
    ("kw_default_argument", "", "M.with_kwdefault.__kwdefaults__['table']",
     "'table' in M.with_kwdefault.__kwdefaults__", "manual", "M.with_kwdefault → default of table",
     "parameter table of M.with_kwdefault"),
    ("partial_args", "M.p = M.functools.partial(M.with_default, M.Blob('arg'))", "M.p.args[0]",
     "M.p().name == 'arg'", "manual", "M.p.args[0]", "functools.partial M.p"),
    ("partial_keywords", "M.p = M.functools.partial(M.with_default, 1, table=M.Blob('kw'))",
     "M.p.keywords['table']", "M.p() == 1 and 'table' in M.p.keywords", "manual", "M.p.keywords['table']",
     "functools.partial M.p"),
    ("bound_method_global", "M.cb = M.Blob('cb').on_event", "M.cb.__self__", "M.cb() == 50_000", "manual",
     "M.cb.__self__", "__self__ of the bound method M.cb"),
    ("iterator_state", "M.it = iter([M.Blob('i')]); M.other = 1", "M.it.__reduce__()[1][0][0]",
     "M.other == 1 and not hasattr(M, 'it')", "run", "M.it → <list>[0]", "del M.it"),
    ("exception_args", "M.err = ValueError(M.Blob('e'), 2)", "M.err.args[0]",
     "isinstance(M.err, ValueError) and M.err.args == ()", "run", "M.err.args[0]", "M.err.args = ()"),
    ("library_private_state", "import weakref\nM.fin = weakref.finalize(M.Blob, id, M.Blob('fin'))",
     "M.fin.peek()[2][0]", "M.fin.alive", "manual", "weakref.finalize._registry[",
     "private state of the class weakref.finalize"),
]


@pytest.mark.parametrize("case", HOLDER_CASES, ids=[c[0] for c in HOLDER_CASES])
def test_holder_kinds_labels_and_actions(mod, case):
    """Every action runs as printed, frees the object, and removes nothing else; where no
    statement is safe (the user's function, partial or method would change) it says so."""
    name, setup, expr, check, expected, path_piece, action_piece = (
        x.replace("M", mod.__name__) if isinstance(x, str) and x not in ("run", "manual") else x for x in case)
    exec(HOLDER_MODULE, vars(mod))
    ns = {mod.__name__: mod}
    exec(setup, ns)
    probe = weakref.ref(eval(expr, ns))
    if name == "generator_local" and sys.version_info < (3, 13):
        mod.gen.gi_frame.f_locals.clear()  # 3.11/3.12: reading f_locals left a snapshot dict
    r = why_alive(eval(expr, ns), name=expr)
    text = str(r)
    assert "<?>" not in text and " deep" in text.splitlines()[0], text
    assert r.target_deep_size >= r.target_size > 0
    assert r.chains and all(path_piece in c.path for c in r.chains), text
    assert any(action_piece in c.action.text for c in r.chains), text
    for c in r.chains:
        for fn in ("report", "summary", "make_scorer", "with_default", "with_kwdefault", "memo_fn", "counter",
                   "scorer", "cb", "p", "Blob", "Slotted"):
            full = f"{mod.__name__}.{fn}"
            assert c.action.text not in (f"del {full}", f"{full} = None"), text
    if expected == "manual":
        assert all(a.kind == "manual" and a.text.startswith("no safe action: ") for a in r.plan), text
        assert "no safe statement releases it" in text.splitlines()[0]
        assert all(c.action.releasable_bytes > 0 for c in r.chains)  # what the code change would free
        del r
        gc.collect()
        assert probe() is not None and eval(check, ns), text
        return
    assert all(a.runnable for a in r.plan), text
    plan = [a.text for a in r.plan]
    needs_collect = r.needs_collect
    assert r.releasable_bytes >= 50_000
    del r
    for action in plan:
        exec(action, ns)
    if needs_collect:
        gc.collect()
    assert probe() is None, (plan, text)
    assert eval(check, ns), text


def test_object_array_elements_are_named():
    np = pytest.importorskip("numpy")
    from pympler_nb.core._graphwalk import edge_hops

    arr = np.empty((2, 3), dtype=object)
    blob, other = Thing(), Thing()
    arr[1, 2] = blob
    arr[0, 0] = other
    hops = edge_hops(arr, {id(blob), id(other)})
    assert hops[id(blob)].text == "[1, 2]" and hops[id(other)].text == "[0, 0]"
    flat = np.empty(4, dtype=object)
    flat[3] = blob
    assert edge_hops(flat, {id(blob)})[id(blob)].text == "[3]"


def test_coroutine_locals_are_labelled(mod):
    async def work():
        payload = Thing()
        await _Suspend()
        return payload

    class _Suspend:
        def __await__(self):
            yield

    mod.job = work()
    mod.job.send(None)
    r = why_alive(mod.job.cr_frame.f_locals["payload"])
    c = _chain(r, f"{mod.__name__}.job → coroutine work() local payload")
    assert c.action.text == f"{mod.__name__}.job.close()" and c.action.kind == "call"
    mod.job.close()


def test_lru_call_text_of_keys():
    from pympler_nb.core._graphwalk import lru_call_text

    @functools.lru_cache(maxsize=None, typed=True)
    def f(a, b=0, *, c=1):
        return [a]

    f(1), f(2, b=3), f("x", c=[4].__len__())
    wrapper_keys = list(next(r for r in gc.get_referents(f) if type(r) is dict and "__wrapped__" not in r))
    texts = sorted(lru_call_text(f, k) for k in wrapper_keys)
    assert texts == ["f('x', c=1)", "f(1)", "f(2, b=3)"]


def test_library_internals_are_named_and_never_mutated(mod):
    """A pandas frame's arrays are named through its Cython internals (no ``.<?>``); no
    action rebinds a private attribute (``df._mgr = None``) or edits a list inside one
    (``del df._mgr.axes[1]``): either breaks the frame. The frame itself is what to drop."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    pa = pytest.importorskip("pyarrow")
    n = 2000
    mod.df = pd.DataFrame({"id": np.arange(n), "name": [f"user{i}" for i in range(n)],
                           "kind": pd.Categorical(["a", "b"] * (n // 2)),
                           "tag": pd.array([f"t{i % 7}" for i in range(n)], dtype="string[pyarrow]"),
                           "score": pd.Series(np.arange(n), dtype=pd.ArrowDtype(pa.int64()))})
    name = mod.__name__
    blocks = mod.df._mgr.blocks
    targets = {"values": blocks[0].values, "axis": mod.df._mgr.axes[1], "categories": mod.df["kind"].cat.categories}
    del blocks
    for label in list(targets):
        r = why_alive(targets.pop(label))
        text = str(r)
        assert "<?>" not in text, text
        for c in r.chains:
            assert "._mgr" not in c.action.text, text  # never inside the frame's private state
        module_chains = [c for c in r.chains if c.root_kind == "module"]
        assert module_chains and all(c.action.text == f"del {name}.df" for c in module_chains), text
        assert all("removes the DataFrame" in c.action.note for c in module_chains), text
    r = why_alive(mod.df._mgr.blocks[0].values)
    assert any(c.path.startswith(f"{name}.df._mgr.blocks[") and c.path.endswith("].values") for c in r.chains)
    r = why_alive(mod.df)  # the header's size is the frame's deep size, not its 96-byte shell
    assert r.target_size < 1000 < 50_000 < r.target_deep_size
    assert r.headline.startswith("DataFrame ") and " deep; releasing it frees " in r.headline
    assert r.releasable_bytes > 0.5 * r.target_deep_size


def test_flat_size_of_arrow_data_is_stable_and_released(mod):
    """flatsize() of an Arrow-backed object is the same on every call (its buffers were
    claimed once per thread, so a second call said 88 B for 16 KB), and a frame with
    Arrow columns frees about its deep size."""
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    chunked = pa.chunked_array([pa.array(np.arange(2000))])
    assert flatsize(chunked) == flatsize(chunked) > 16_000
    mod.df = pd.DataFrame({"tag": pd.array([f"t{i}" for i in range(5000)], dtype="string[pyarrow]"),
                           "n": pd.Series(np.arange(5000), dtype=pd.ArrowDtype(pa.int64()))})
    for _ in range(2):
        r = why_alive(mod.df)
        assert r.releasable_bytes > 0.9 * r.target_deep_size, r.headline


def test_object_column_elements_are_released(mod):
    """numpy shows gc neither an object array's elements nor its base: the releasable
    bytes follow the sizing rules there, so an object column's strings count."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    n = 20_000
    mod.df = pd.DataFrame({"name": pd.Series([f"user-{i:06d}" for i in range(n)], dtype=object),
                           "id": np.arange(n)})
    r = why_alive(mod.df)
    assert r.target_deep_size > n * 50
    assert r.releasable_bytes > 0.9 * r.target_deep_size, r.headline
    view = np.arange(100_000)[::2]
    mod.view = view  # a view: its base's buffer is what releasing it frees
    del view
    r = why_alive(mod.view)
    assert r.releasable_bytes >= 800_000, r.headline


def test_notes_say_what_else_goes_and_give_advice(mod):
    exec(HOLDER_MODULE, vars(mod))
    n = mod.__name__
    mod.registry_dict = {"a": mod.Blob("a")}
    mod.callbacks = [mod.Blob("cb").on_event]
    mod.pairs = {"k": (mod.Blob("t"), 1)}
    mod.report(1)
    notes = {}
    for expr in ("registry_dict['a']", "callbacks[0].__self__", "pairs['k'][0]", "report(1)[0]"):
        r = why_alive(eval(f"mod.{expr}"))
        notes[expr] = [c.action.note for c in r.chains if c.root_kind == "module"][0]
    assert "weakref.WeakValueDictionary" in notes["registry_dict['a']"]
    assert "weakref.WeakMethod" in notes["callbacks[0].__self__"]
    assert notes["pairs['k'][0]"].startswith(f"removes the whole tuple {n}.pairs['k']")
    assert "a tuple cannot be changed" in notes["pairs['k'][0]"]
    assert notes["report(1)[0]"].startswith("empties the whole cache of report (1 entry)")
    mod.__dict__["_ns_like"] = None
    text = str(why_alive(mod.pairs["k"][0]))
    assert "(removes the whole tuple" in text


def test_atoms_flat_size_is_getsizeof():
    """The releasable walk sizes str/bytes/float/complex by sys.getsizeof: asizeof agrees."""
    from pympler_nb.core.whyalive import ATOMS

    samples = ["", "a", "é" * 40, "😀" * 3, "x" * 5000, b"", b"abc" * 100, 0.0, 1e300, 3j]
    assert {type(x) for x in samples} == set(ATOMS)
    for x in samples:
        assert flatsize(x) == sys.getsizeof(x), x


# ---------------------------------------------------------------------------
# holders that gc.get_referrers never returns: numpy object arrays, pandas columns
# ---------------------------------------------------------------------------


class Tag(str):
    """A weak-referenceable string (a pandas cell, a numpy element)."""

    __slots__ = ("__weakref__",)


def _released(mod, r, probe, check=None):
    """Run every action of ``r``'s plan as printed; the target must be gone and ``check``
    (the user's other things) still true."""
    plan = [a.text for a in r.plan]
    assert plan and all(a.runnable for a in r.plan), str(r)
    for text in plan:
        _run(text, mod)
    if r.needs_collect:
        gc.collect()
    assert probe() is None, (plan, str(why_alive(probe())) if probe() is not None else "")
    if check is not None:
        assert check(), plan


def test_chains_go_through_numpy_object_arrays(mod):
    """gc.get_referrers never returns a numpy array as the holder of its elements (numpy
    does not traverse them): the chain went nowhere. Now flat, 2-D, nested, view and
    structured arrays are holders, named by their index, and the action frees the element
    and leaves the other elements alone."""
    np = pytest.importorskip("numpy")
    name = mod.__name__
    cases = []
    mod.flat = np.array([Tag("a0"), Tag("a1"), 3], dtype=object)
    cases.append(("flat", lambda: mod.flat[1], f"{name}.flat[1]", f"{name}.flat[1] = None",
                  lambda: mod.flat[0] == "a0" and mod.flat[2] == 3 and mod.flat[1] is None))
    mod.grid = np.empty((2, 3), dtype=object)
    mod.grid[1, 2], mod.grid[0, 0] = Tag("g12"), Tag("g00")
    cases.append(("2-D", lambda: mod.grid[1, 2], f"{name}.grid[1, 2]", f"{name}.grid[1, 2] = None",
                  lambda: mod.grid[0, 0] == "g00"))
    mod.nested = np.empty(2, dtype=object)
    mod.nested[0] = np.array([None, Tag("deep"), Tag("keep")], dtype=object)
    cases.append(("nested", lambda: mod.nested[0][1], f"{name}.nested[0][1]",
                  f"{name}.nested[0][1] = None", lambda: mod.nested[0][2] == "keep"))
    mod.view = np.array([Tag("v0"), Tag("v1"), Tag("v2")], dtype=object)[1:]  # only the view holds the base
    cases.append(("view", lambda: mod.view[1], f"{name}.view.base[2]", f"{name}.view.base[2] = None",
                  lambda: list(mod.view[:1]) == ["v1"]))
    rec = np.zeros(2, dtype=[("id", "i8"), ("label", "O")])
    rec["label"] = [Tag("r0"), Tag("r1")]
    mod.rec = rec
    del rec
    cases.append(("structured", lambda: mod.rec["label"][1], f"{name}.rec['label'][1]",
                  f"{name}.rec['label'][1] = None", lambda: mod.rec["label"][0] == "r0"))
    for label, get, path, action, check in cases:
        probe = weakref.ref(get())
        r = why_alive(get())
        assert "<?>" not in str(r), (label, str(r))
        c = _chain(r, path)
        assert c.action.text == action, (label, str(r))
        assert c.releasable_bytes and c.releasable_bytes >= flatsize(probe()), (label, str(r))
        assert r.hidden_refs == 0, (label, str(r))
        _released(mod, r, probe, check)


def test_chains_go_through_pandas_object_columns(mod):
    """A cell of an object column, a python-string column and an object Index is held by
    the column's numpy array only: the chain is found and named in pandas' terms
    (``df['name'].iloc[2]``, ``df.index[1]``, ``ser.iloc[1]``), never inside ``_mgr``. No
    action edits the frame's private state; releasing the frame (or its dict entry) frees
    the cell and leaves the user's other frame."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    name = mod.__name__
    n = 5000
    mod.tables = {
        "users": pd.DataFrame({"id": np.arange(n),
                               "name": pd.Series([Tag(f"user{i}") for i in range(n)], dtype=object),
                               "note": pd.Series([Tag(f"note{i}") for i in range(n)], dtype=object),
                               "s": pd.array([f"s{i}" for i in range(n)], dtype="string[python]")}),
        "keep": pd.DataFrame({"x": [1, 2]}),
    }
    df = mod.tables["users"]
    df.index = pd.Index([Tag(f"row{i}") for i in range(n)], dtype=object)
    targets = {
        "['note'].iloc[4321]": df["note"].iloc[4321],
        "['name'].iloc[7]": df["name"].iloc[7],
        ".index[12]": df.index[12],
        "['s'].iloc[3]": df["s"].array._ndarray[3],
    }
    del df
    for suffix in list(targets):
        r = why_alive(targets.pop(suffix))
        text = str(r)
        assert "<?>" not in text and r.hidden_refs == 0, text
        c = _chain(r, f"{name}.tables['users']{suffix}")
        assert "_mgr" not in c.path and "_mgr" not in c.action.text, text
        assert c.action.text == f"del {name}.tables['users']", text
        assert c.releasable_bytes > n * 50, text  # the whole frame goes with it
    probe = weakref.ref(mod.tables["users"]["note"].iloc[99])
    r = why_alive(probe())
    _released(mod, r, probe, lambda: list(mod.tables) == ["keep"] and len(mod.tables["keep"]) == 2)
    mod.ser = pd.Series([Tag("p"), Tag("q")], dtype=object, name="s")
    r = why_alive(mod.ser.iloc[1])
    c = _chain(r, f"{name}.ser.iloc[1]")
    assert c.action.text == f"del {name}.ser", str(r)


def test_graph_walks_see_object_array_holders(mod):
    """Every "who holds x" walk sees a numpy object array (and a view's base): backrefs
    graphs, the referrer browser, reference graphs among a set, refs graphs forward."""
    np = pytest.importorskip("numpy")
    from pympler_nb.core import refbrowser, refgraph

    mod.arr = np.array([1, Tag("inside"), 3], dtype=object)
    target = mod.arr[1]
    back = refgraph.backrefs_graph(target, max_depth=2)
    arr_node = [n for n in back.nodes if n.id == id(mod.arr)]
    assert arr_node and arr_node[0].type == "ndarray", back.nodes
    assert any(e.src == id(mod.arr) and e.dst == id(target) and e.label == "[1]" for e in back.edges)
    tree = refbrowser.RefBrowser(target, maxdepth=2).get_tree()
    assert any(getattr(child, "o", None) is mod.arr for child in tree.children), tree.children
    fwd = refgraph.refs_graph(mod.arr, max_depth=1)
    assert {e.label for e in fwd.edges if e.src == id(mod.arr)} >= {"[1]"}
    g = refgraph.ReferenceGraph([mod.arr, target])
    assert [(e.src, e.dst, e.label) for e in g.edges] == [(id(mod.arr), id(target), "[1]")]
    base = np.array([Tag("b0"), Tag("b1")], dtype=object)
    mod.view = base[1:]
    back = refgraph.backrefs_graph(base, max_depth=1)
    assert any(e.src == id(mod.view) and e.label == ".base" for e in back.edges), back.edges
    del base, target


def test_named_roots_end_chains_in_their_own_terms(mod):
    """``named_roots={name: container}``: a chain that reaches the container ends there
    (a Dask worker's data buffer, a non-dict holder through its attribute), shortest first."""
    class Buffer:
        def __init__(self):
            self.fast = {}

    buf = Buffer()
    tasks = {}
    mod.worker = types.SimpleNamespace(buf=buf, tasks=tasks)  # also reachable from a global
    frame = {"col": bytearray(2000)}
    buf.fast[("load-abc", 3)] = frame
    tasks["load-abc"] = [frame]
    try:
        r = why_alive(frame, named_roots={"dask_worker.data": buf.fast, "dask_worker.state.tasks": tasks})
        paths = {c.path: c for c in r.chains}
        assert "dask_worker.data[('load-abc', 3)]" in paths
        assert "dask_worker.state.tasks['load-abc'][0]" in paths
        chain = paths["dask_worker.data[('load-abc', 3)]"]
        assert chain.root_kind == "named" and chain.root == "dask_worker.data" and chain.length == 1
        assert ROOT_KINDS["named"] == "named root"
        # the named containers stop the search: no chain passes through them to the module global
        assert not any(p.startswith(f"{mod.__name__}.worker.buf.fast") for p in paths)
        # an object (not a dict) as a named root: its attributes name the hop
        r = why_alive(frame, named_roots={"the_buffer": buf})
        assert any(c.path == "the_buffer.fast[('load-abc', 3)]" and c.root_kind == "named" for c in r.chains)
    finally:
        del mod.worker


@pytest.mark.parametrize("bad, exc, words", [
    ([("x", {})], TypeError, "must map names to containers, got list"),
    ({"": {}}, ValueError, "non-empty str, got ''"),
    ({3: {}}, ValueError, "non-empty str, got 3"),
])
def test_named_roots_bad_values(bad, exc, words):
    with pytest.raises(exc, match=words):
        why_alive(bytearray(10), named_roots=bad)


def test_fold_short_and_bulk_paths_agree():
    """The closure folds the atoms only their holder refers to; a short referent list (a
    plain loop) and a long one (bulk maps) must fold the same atoms."""
    from pympler_nb.core import _whyalive_release as rel

    shared = "shared-" + str(len(sys.argv))  # also held by this frame: never folded
    for n in (1, 2, 3, 8, 9, 40):
        holder = [float(i) + 0.5 for i in range(n)] + [shared, ("t",), int("7" * 30)]
        refs = gc.get_referents(holder)
        folded: list = []
        kept = rel._fold(refs, folded)
        fresh = [x for x in holder if type(x) is float]
        keep = [shared, holder[-2]]
        if rel._FOLD_INTS:
            fresh.append(holder[-1])
        else:
            keep.append(holder[-1])
        assert sorted(map(id, kept)) == sorted(map(id, keep)), n  # (gc lists a list backwards)
        assert folded == [(sum(sys.getsizeof(x) for x in fresh), len(fresh))], n
        del refs, kept, fresh, keep
