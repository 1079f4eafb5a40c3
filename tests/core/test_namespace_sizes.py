"""core.namespace_sizes: shallow, deep and retained size per variable, in one walk;
hidden holders; numpy views and pandas frames sharing blocks marked; release()."""

from __future__ import annotations

import functools
import gc
import sys
import weakref

import pytest

from pympler_nb.core.asizeof import asizeof, flatsize
from pympler_nb.core.namespace_sizes import (
    HolderSize,
    NamespaceSizes,
    namespace_sizes,
    release,
    user_variables,
)

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


def _shared_ns():
    shared = [bytearray(10_000) for _ in range(5)]
    ns = {"a": shared, "b": [shared[0]], "own": bytearray(50_000), "same": None}
    ns["same"] = ns["own"]
    return ns


def test_retained_is_what_only_this_name_holds():
    ns = _shared_ns()  # (no local of this frame holds any of it)
    shared = ns["a"]
    r = namespace_sizes(ns, hidden=False)
    assert r["a"].retained == 0  # this frame's `shared` holds the list too
    del shared
    r = namespace_sizes(ns, hidden=False)
    shared = ns["a"]
    assert isinstance(r, NamespaceSizes) and all(isinstance(row, HolderSize) for row in r)
    a, b, own, same = r["a"], r["b"], r["own"], r["same"]
    # deep = asizeof of the name alone
    assert a.deep == asizeof(shared) and b.deep == asizeof(ns["b"])
    # retained < deep when shared: b holds shared[0]
    assert a.retained == a.deep - flatsize(shared[0])
    assert b.retained == flatsize(ns["b"]) < b.deep
    assert a.shares_with == ("b",) and b.shares_with == ("a",)
    assert a.shared == b.shared == flatsize(shared[0])
    # two names for one object: del either frees nothing
    assert own.retained == same.retained == 0 and own.held_by == ("same",) and same.held_by == ("own",)
    for row in r:
        assert 0 <= row.retained <= row.deep and row.shallow <= row.deep


def test_retained_counts_every_other_holder():
    """A module global, a running frame's local, a C-level holder: not freed by del."""
    held_by_module = bytearray(30_000)
    sys.modules[__name__].held_by_module = held_by_module  # module global
    try:
        ns = {"g": [held_by_module, bytearray(1000)], "local": [bytearray(2000)]}
        keep = ns["local"][0]  # this frame holds it too
        r = namespace_sizes(ns, hidden=False)
        assert r["g"].retained == flatsize(ns["g"]) + flatsize(ns["g"][1])
        assert r["g"].retained < r["g"].deep
        assert r["local"].retained == flatsize(ns["local"])
        assert "held elsewhere" in r["local"].note
        del keep
    finally:
        del sys.modules[__name__].held_by_module


def test_numpy_views_marked_and_sized_by_rules():
    base = np.ones(500_000)  # 4 MB: sized by its buffer, not element by element
    ns = {"base": base, "view": base[::2], "objs": np.array([str(i) * 20 for i in range(1000)], dtype=object)}
    del base
    r = namespace_sizes(ns, hidden=False)
    assert r["view"].view_of == "base" and "view of base" in r["view"].note
    assert r["view"].retained == flatsize(ns["view"]) < 200  # the header only
    assert r["base"].retained == 0  # the view keeps the buffer alive
    assert r["base"].deep == asizeof(ns["base"]) and r["base"].count == 1
    assert r["objs"].deep == asizeof(ns["objs"]) and r["objs"].retained == r["objs"].deep
    assert r["objs"].count == 1001
    # a view of something no row holds: named by type
    r = namespace_sizes({"v": np.arange(10.0)[2:]}, hidden=False)
    assert r["v"].view_of == "<ndarray>" and r["v"].retained == r["v"].deep


def _frame(n):
    return pd.DataFrame({"x": np.arange(n), "s": [str(i) for i in range(n)],
                         "c": pd.Categorical(["a", "b"] * (n // 2)),
                         "t": pd.Series(["xy"] * n, dtype="string[pyarrow]")})


def test_pandas_frames_sharing_blocks_marked():
    df = _frame(200_000)
    ns = {"df": df, "alias_rows": df.iloc[:, :], "copy": df.copy(), "alone": _frame(100_000)}
    del df
    r = namespace_sizes(ns, hidden=False)
    assert "alias_rows" in r["df"].shares_with and "df" in r["alias_rows"].shares_with
    assert r["df"].retained < r["df"].deep / 10
    assert r["df"].shared > r["df"].deep / 2
    # a copy has its own blocks (the int64 column: 1.6 MB) but shares the strings and Arrow data
    assert "df" in r["copy"].shares_with and 1_600_000 < r["copy"].retained < r["copy"].deep
    alone = r["alone"]
    assert alone.retained > 0.99 * alone.deep and not alone.shares_with
    assert abs(alone.deep - asizeof(ns["alone"])) < 0.01 * alone.deep


def test_functools_cache_and_hostile_objects():
    @functools.lru_cache(maxsize=None)
    def f(n):
        return [0] * n

    f(1000)

    class Hostile:
        def __getattr__(self, name):
            raise RuntimeError("no")

        def __eq__(self, other):
            raise RuntimeError("no")

        def __sizeof__(self):
            raise RuntimeError("no")

        def __repr__(self):
            raise RuntimeError("no")

    ns = {"f": f, "h": Hostile(), "deep": None}
    del f  # (this frame's local would hold it)
    node = ns["deep"] = []
    for _ in range(100_000):  # deep nesting: the walk is iterative
        node.append([])
        node = node[0]
    del node
    r = namespace_sizes(ns, hidden=False)
    assert r["f"].deep > flatsize(ns["f"]) and r["f"].retained > 1000
    assert r["h"].type == "Hostile" and r["h"].deep > 0
    assert r["deep"].count == 100_001


def test_nothing_kept_and_own_frames_not_holders():
    ns = {"x": bytearray(1000)}
    ref = weakref.ref(ns["x"]) if hasattr(ns["x"], "__weakref__") else None
    before = sys.getrefcount(ns["x"])
    r = namespace_sizes(ns, hidden=False)
    after = sys.getrefcount(ns["x"])  # (not inside assert: its rewriting keeps a temporary)
    assert after == before
    assert r["x"].retained == r["x"].deep
    del ns["x"]
    assert ref is None or ref() is None


def test_user_variables_and_bad_input():
    ns = {"__name__": "m", "x": 1, "_private": 2, "sys": sys}
    assert user_variables(ns) == ["x", "_private"]
    assert user_variables(ns, modules=True) == ["x", "_private", "sys"]
    with pytest.raises(TypeError, match="namespace must be a dict"):
        namespace_sizes([1, 2])
    with pytest.raises(ValueError, match="max_nodes"):
        namespace_sizes({"x": list(range(100))}, max_nodes=10, hidden=False)
    with pytest.raises(KeyError, match="not a variable"):
        release("nope", {"x": 1})


@pytest.mark.fresh_process
def test_release_runs_the_plan_and_reports_rss(monkeypatch):
    import types

    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    ns = main.__dict__
    ns["big"] = np.ones(50 * 2**17)  # 50 MiB
    ns["other"] = [ns["big"]]
    ref = weakref.ref(ns["big"])
    done = release("big", ns)
    assert "del big" in done.ran and any("other" in s for s in done.ran)
    assert "big" not in ns and ref() is None and done.gone is True
    assert done.planned_bytes >= 50 * 2**20
    if done.rss_returned is not None:
        assert done.rss_returned > 40 * 2**20, str(done)
    # the plan the user confirmed must still be the plan
    ns["y"] = [bytearray(10)]
    with pytest.raises(ValueError, match="changed since it was shown"):
        release("y", ns, expect=["del something_else"])
    assert "y" in ns
    gc.collect()
