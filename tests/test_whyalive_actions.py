"""Every action ``%whyalive`` prints is run, in the user's namespace of a real IPython shell.

One case per holder kind the why-alive engine knows. For each: a module written to a
temporary directory and imported (like a user's ``featstore``), a structure that holds a
target, ``%whyalive`` on it, then every runnable action it printed is run as is
(``shell.run_cell``) and the test checks that

* the target is gone (a weak reference dies; after ``gc.collect()`` only when the
  chain says ``needs_collect``), and
* nothing else the user named was removed: the module still has its functions, the
  other dict keys, list items, set members and cached outputs are still there.

Holders that no statement can release safely (a closure, a default argument, a
partial's arguments, a bound method's ``__self__`` held by a variable) must say so
(``no safe action: ...``) and the user's program must be left as it was.
"""

from __future__ import annotations

import gc
import itertools
import re
import sys
import textwrap

import pytest
from IPython.utils.capture import capture_output

from pympler_nb.core._format import format_size
from pympler_nb.core.whyalive import why_alive
from tests.core._featstore import featstore_source

FEATSTORE = featstore_source('''
class Store:
    shared = None

    def __init__(self):
        self.frame = frame(1000)
        self.other = Blob("other")


def frame(n):
    return pd.DataFrame({
        "id": np.arange(n),
        "name": [f"user{i}" for i in range(n)],
        "kind": pd.Categorical(["a", "b"] * (n // 2)),
        "tag": pd.array([f"t{i % 7}" for i in range(n)], dtype="string[pyarrow]"),
    })


@functools.lru_cache(maxsize=32)
def report(n):
    return frame(n)


@functools.cache
def summary(n, scale=1):
    return [Blob(f"summary{n}")]


def make_scorer():
    data = frame(500)

    def score():
        return len(data)
    return score


def with_default(x, table=frame(300)):
    return x


def with_kwdefault(x, *, table=frame(300)):
    return x


class Tools:
    @staticmethod
    def lookup(x, table=frame(200)):
        return x


def counter():
    local_frame = frame(400)
    yield len(local_frame)
    yield 0


def fail():
    arr = Blob("in-traceback")
    raise ValueError("featstore failed")


class BigError(Exception):
    def __init__(self):
        super().__init__("big")
        self.payload = Blob("error-payload")


def fail_big():
    raise BigError()


registry = []
''', imports="import functools\nimport sys\n\nimport numpy as np\nimport pandas as pd\n", blob_size=200_000)

_counter = itertools.count()


@pytest.fixture
def featstore(shell, tmp_path):
    """A fresh copy of the user's module, imported under a unique name as ``fs``."""
    name = f"featstore_{next(_counter)}"
    (tmp_path / f"{name}.py").write_text(FEATSTORE)
    sys.path.insert(0, str(tmp_path))
    try:
        _cell(shell, f"import {name} as fs, weakref, gc")
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        shell.run_cell("fs = None; _probe = None", store_history=False)
        sys.modules.pop(name, None)
        shell.run_cell("%reset -f out", store_history=True)
        gc.collect()


def _cell(shell, src, store_history=False):
    with capture_output() as cap:
        result = shell.run_cell(textwrap.dedent(src), store_history=store_history)
    if result.error_before_exec or result.error_in_exec:
        raise AssertionError(f"cell failed: {src!r}: {result.error_before_exec or result.error_in_exec!r}\n"
                             f"{cap.stdout}{cap.stderr}")
    return result, cap


# (id, setup cell, target expression, check cell (the user's other things are intact),
#  expected: "run" (every chain has a runnable action) or "manual" (no safe statement),
#  a piece every path must contain, a piece one action must contain)
CASES = [
    ("module_global", "fs.big = fs.Blob('big'); fs.keep = fs.Blob('keep')", "fs.big",
     "assert fs.keep.name == 'keep' and callable(fs.report)", "run", "fs.big", "del fs.big"),
    ("notebook_global", "nb_blob = fs.Blob('nb'); nb_keep = fs.Blob('keep')", "nb_blob",
     "assert nb_keep.name == 'keep'", "run", "nb_blob", "del nb_blob"),
    ("dict_entry", "fs.cache = {'a': fs.Blob('a'), 'b': fs.Blob('b')}", "fs.cache['a']",
     "assert list(fs.cache) == ['b'] and fs.cache['b'].name == 'b'", "run", "fs.cache['a']",
     "del fs.cache['a']"),
    ("dict_key", "k = fs.Blob('key'); fs.meta = {k: 'info', 'x': 1}; del k", "next(iter(fs.meta))",
     "assert fs.meta == {'x': 1}", "run", "(key <Blob key>)", "del fs.meta["),
    ("list_item", "fs.items = [fs.Blob('a'), fs.Blob('b'), 3]", "fs.items[1]",
     "assert len(fs.items) == 2 and fs.items[0].name == 'a' and fs.items[1] == 3", "run", "fs.items[1]",
     "del fs.items[1]"),
    ("deque_item", "import collections\nfs.dq = collections.deque([fs.Blob('a'), fs.Blob('b')])",
     "fs.dq[1]", "assert len(fs.dq) == 1 and fs.dq[0].name == 'a'", "run", "fs.dq[1]", "del fs.dq[1]"),
    ("set_member", "fs.tags = {fs.Blob('a'), fs.Blob('b')}",
     "[x for x in fs.tags if x.name == 'a'][0]",
     "assert [x.name for x in fs.tags] == ['b']", "run", "fs.tags (set member)", "fs.tags.discard("),
    ("tuple_in_dict", "fs.pairs = {'k': (fs.Blob('t'), 1), 'j': (2, 3)}", "fs.pairs['k'][0]",
     "assert fs.pairs == {'j': (2, 3)}", "run", "fs.pairs['k'][0]", "del fs.pairs['k']"),
    ("instance_attribute", "fs.store = fs.Store()", "fs.store.frame",
     "assert fs.store.other.name == 'other' and fs.store.frame is None", "run", "fs.store.frame",
     "fs.store.frame = None"),
    ("slots_attribute", "fs.sl = fs.Slotted(); fs.sl.payload = fs.Blob('p'); fs.sl.other = 1",
     "fs.sl.payload", "assert fs.sl.other == 1", "run", "fs.sl.payload", "fs.sl.payload = None"),
    ("class_attribute", "fs.Store.shared = fs.Blob('shared')", "fs.Store.shared",
     "assert fs.Store.shared is None and callable(fs.Store.__init__)", "run", "fs.Store.shared",
     "fs.Store.shared = None"),
    ("lru_cache", "fs.report(100); fs.report(8); None", "fs.report(100)",
     "assert type(fs.report).__name__ == '_lru_cache_wrapper' and fs.report.cache_info().currsize == 0\n"
     "assert len(fs.report(6)) == 6", "run", "fs.report → cached report(100)", "fs.report.cache_clear()"),
    ("functools_cache", "fs.summary(3, scale=2); None", "fs.summary(3, scale=2)[0]",
     "assert callable(fs.summary) and fs.summary.cache_info().currsize == 0", "run",
     "fs.summary → cached summary(3, scale=2)[0]", "fs.summary.cache_clear()"),
    ("mutable_default", "fs.memo_fn(1); fs.memo_fn(2); None", "fs.memo_fn.__defaults__[0][1]",
     "assert list(fs.memo_fn.__defaults__[0]) == [2] and fs.memo_fn(3).name == 'memo3'", "run",
     "fs.memo_fn → default of _memo[1]", "del fs.memo_fn.__defaults__[0][1]"),
    ("bound_method_in_registry",
     "fs.registry.append(print)\nfs.registry.append(fs.Blob('listener').on_event)",
     "fs.registry[1].__self__", "assert fs.registry == [print]", "run", "fs.registry[1].__self__",
     "del fs.registry[1]"),
    ("generator_local", "fs.gen = fs.counter(); next(fs.gen); None",
     "fs.gen.gi_frame.f_locals['local_frame']",
     "assert fs.gen.gi_frame is None and callable(fs.counter)", "run", "fs.gen → generator counter() local local_frame",
     "fs.gen.close()"),
    ("output_cache", "fs.Blob('shown')", "Out[_shown]",
     "assert Out[_kept] == [1, 2, 3] and Out[_after] == 'after'", "run", "", "del Out["),
    ("last_traceback", "fs.fail()", "_tb_local('arr')",
     "assert callable(fs.fail)", "run", "sys.last_traceback → frame fail() local arr", "sys.last_traceback = "),
    ("sys_last_value", "fs.fail_big()", "sys.last_value",
     "assert callable(fs.fail_big)", "run", "", "sys.last_value = "),
    # holders gc.get_referrers never returns: numpy object arrays, pandas object columns
    ("object_array_item", "fs.arr = fs.np.array([fs.Blob('a'), fs.Blob('b'), 3], dtype=object)", "fs.arr[1]",
     "assert fs.arr[0].name == 'a' and fs.arr[1] is None and fs.arr[2] == 3", "run", "fs.arr[1]",
     "fs.arr[1] = None"),
    ("nested_object_array",
     "fs.outer = fs.np.empty(2, dtype=object)\n"
     "fs.outer[0] = fs.np.array([fs.Blob('x'), fs.Blob('keep')], dtype=object)",
     "fs.outer[0][0]", "assert fs.outer[0][1].name == 'keep'", "run", "fs.outer[0][0]", "fs.outer[0][0] = None"),
    ("object_column",
     "fs.tables = {'users': fs.pd.DataFrame({'id': [0, 1], 'who': fs.pd.Series([fs.Blob('u0'), fs.Blob('u1')], "
     "dtype=object)}), 'keep': fs.frame(10)}",
     "fs.tables['users']['who'].iloc[1]", "assert list(fs.tables) == ['keep'] and len(fs.tables['keep']) == 10",
     "run", "fs.tables['users']['who'].iloc[1]", "del fs.tables['users']"),
    # no safe statement: the function / partial must not be touched
    ("closure", "scorer = fs.make_scorer()", "scorer.__closure__[0].cell_contents",
     "assert scorer() == 500", "manual", "scorer → closure variable data", "closure variable data of scorer"),
    ("default_argument", "", "fs.with_default.__defaults__[0]",
     "assert fs.with_default(1) == 1", "manual", "fs.with_default → default of table",
     "default value of parameter table of fs.with_default"),
    ("kw_default_argument", "", "fs.with_kwdefault.__kwdefaults__['table']",
     "assert fs.with_kwdefault(1) == 1 and 'table' in fs.with_kwdefault.__kwdefaults__", "manual",
     "fs.with_kwdefault → default of table", "default value of parameter table of fs.with_kwdefault"),
    ("staticmethod_default", "", "fs.Tools.lookup.__defaults__[0]",
     "assert fs.Tools.lookup(2) == 2", "manual", "→ default of table", "parameter table of fs.Tools.lookup"),
    ("partial_args", "import functools\np = functools.partial(fs.with_default, fs.frame(250))", "p.args[0]",
     "assert p() is p.args[0]", "manual", "p.args[0]", "functools.partial p"),
    ("partial_keywords", "import functools\np = functools.partial(fs.with_default, 1, table=fs.frame(250))",
     "p.keywords['table']", "assert p() == 1 and 'table' in p.keywords", "manual", "p.keywords['table']",
     "functools.partial p"),
    ("bound_method_variable", "cb = fs.Blob('cb').on_event", "cb.__self__",
     "assert cb() == 200_000", "manual", "cb.__self__", "__self__ of the bound method cb"),
]

_HELPERS = """
def _tb_local(name):
    import sys
    tb = sys.last_traceback
    while tb.tb_next:
        tb = tb.tb_next
    return tb.tb_frame.f_locals[name]
"""


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_printed_action_releases_and_spares(shell, featstore, case):
    name, setup, expr, check, expected, path_piece, action_piece = case
    if name == "output_cache":
        # an earlier output, the target's, and a later one: only the target's may go
        _cell(shell, "[1, 2, 3]", store_history=True)
        shell.user_ns["_kept"] = shell.execution_count - 1
        _cell(shell, setup, store_history=True)
        shell.user_ns["_shown"] = shell.execution_count - 1
        _cell(shell, "'after'", store_history=True)
        shell.user_ns["_after"] = shell.execution_count - 1
    elif name in ("last_traceback", "sys_last_value"):
        _cell(shell, _HELPERS)
        shell.user_ns.pop("sys", None)  # the actions must run without the user importing sys
        with capture_output():
            failed = shell.run_cell(setup, store_history=True).error_in_exec is not None
        assert failed
    elif setup:
        _cell(shell, setup)
    if name == "sys_last_value":
        expr = "__import__('sys').last_value"
    _cell(shell, f"_probe = weakref.ref({expr})")
    shell.user_ns.pop("sys", None)
    # what %whyalive prints and returns; the core result for each action's kind
    _result, cap = _cell(shell, f"_table = %whyalive {expr}")
    printed = cap.outputs[0].data["text/plain"] if cap.outputs else cap.stdout
    table = shell.user_ns.pop("_table")
    ns = shell.user_ns
    ns["_why_alive"] = why_alive
    _cell(shell, f"_r = _why_alive({expr}, name={expr!r}, max_chains=10)")
    r = ns.pop("_r")
    ns.pop("_why_alive")
    runnable_of = {c.action.text: c.action.runnable for c in r.chains}
    assert "<?>" not in printed and not any("<?>" in c.path for c in r.chains), printed
    assert " deep" in printed.splitlines()[0], printed  # the header shows the deep size
    shown = list(table["action"])
    assert shown and set(shown) == {c.action.text for c in r.chains}, (shown, printed)
    assert all(path_piece in p for p in table["path"]
               if not p.startswith(("get_ipython()", "_", "Out"))), (table["path"].tolist(), printed)
    assert any(action_piece in a for a in shown), (shown, printed)
    assert "%reset" not in printed
    for chain in r.chains:
        # no action deletes or rebinds a function, class or module to free what it holds
        text = chain.action.text
        for fn in ("fs", "fs.report", "fs.summary", "fs.make_scorer", "fs.with_default", "fs.with_kwdefault",
                   "fs.memo_fn", "fs.Tools", "fs.Tools.lookup", "fs.fail", "fs.counter", "scorer", "cb", "p",
                   "fs.Store", "fs.frame"):
            assert not re.search(rf"(^|; )del {re.escape(fn)}($|;|\s)", text), text
            assert not re.search(rf"(^|; ){re.escape(fn)} = ", text), text
    del r
    actions = []  # every printed action once, in the plan's order first
    for chain_action in list(table.attrs["plan"]) + shown:
        if chain_action not in actions:
            actions.append(chain_action)
    statements = [part for a in table.attrs["plan"] for part in a.split("; ")]
    assert len(statements) == len(set(statements)), table.attrs["plan"]  # nothing runs twice
    needs_collect = bool(table["needs_collect"].any())
    if expected == "manual":
        assert all(a.startswith(("no safe action", "nothing: IPython drops")) for a in actions), actions
        assert "no safe statement releases it" in printed.splitlines()[0], printed
        _cell(shell, "gc.collect()")
        assert ns["_probe"]() is not None  # nothing ran: the user's program is as it was
        _cell(shell, check)
        return
    runnable = [a for a in actions if runnable_of.get(a, True)]
    assert runnable and not any(a.startswith("no safe action") for a in actions), actions
    assert all(a.startswith("nothing: IPython drops") for a in actions if a not in runnable), actions
    del table
    for text in runnable:
        _cell(shell, text)  # exactly as printed, in the user's namespace
    _cell(shell, "None")  # the cell that ran the actions is done (its ExecutionResult goes)
    if needs_collect:
        gc.collect()
    if ns["_probe"]() is not None:
        left = str(why_alive(ns["_probe"]()))  # what still holds it, for the failure message
        pytest.fail(f"{name}: still alive after {actions}:\n{printed}\nnow:\n{left}")
    _cell(shell, check)


def test_header_shows_the_deep_size_and_what_releasing_frees(shell, featstore):
    """Item 7: a 100-row frame's header is not its 96-byte shell."""
    _cell(shell, "df100 = fs.frame(100)\nimport pandas as pd\n"
                 "df100_obj = pd.DataFrame({'s': pd.Series([f'row {i}' for i in range(100)], dtype=object)})")
    from pympler_nb.core.asizeof import asizeof, flatsize

    for name in ("df100", "df100_obj"):
        deep, flat = asizeof(shell.user_ns[name]), flatsize(shell.user_ns[name])
        _result, cap = _cell(shell, f"_t = %whyalive {name}")
        head = cap.outputs[0].data["text/plain"].splitlines()[0]
        table = shell.user_ns.pop("_t")
        freed = int(table.attrs["plan_releasable_bytes"])
        assert flat < 1000 < deep
        assert head.startswith(f"DataFrame {format_size(deep)} deep; releasing it frees {format_size(freed)}"), head
        assert f"{format_size(flat)} flat" in head
        assert 0.8 * deep <= freed <= deep + flat, (head, deep, freed)
    _cell(shell, "del df100, df100_obj")
