"""Size trees on realistic data: pandas frames (object, categorical, Arrow-backed,
nullable columns), numpy object / nested / record arrays, ``functools`` caches.

Checks, for every object and every ``detail``: the tree's total is ``asizeof``'s, each
node's flat size plus its children's sizes is its size, children come largest first,
the widget's lazy children are the same rows, and sizing (names included) does not
change the objects it measures (pandas fills caches when its objects are printed or
some of their properties read).
"""

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pympler_nb.core.asizeof import Asizer, asized, asizeof
from tests.core.test_asized_tree import nodes_of

N = 20_000


def _frame(n=N):
    rng = np.random.default_rng(7)
    pool = [f"s{i}" for i in range(500)]  # 500 distinct strings, each used n / 500 times
    return pd.DataFrame({
        "id": np.arange(n),
        "price": rng.random(n),
        "qty": rng.integers(0, 100, n),
        "obj_repeated": pd.Series([pool[i % 500] for i in range(n)], dtype=object),
        "obj_distinct": pd.Series([f"row-{i}" for i in range(n)], dtype=object),
        "cat": pd.Categorical([f"city{i % 37}" for i in range(n)]),
        "str_pyarrow": pd.Series([f"p{i}" for i in range(n)], dtype="string[pyarrow]"),
        "arrow": pd.Series([f"a{i % 1000}" for i in range(n)], dtype=pd.ArrowDtype(pa.string())),
        "str_python": pd.Series([f"q{i}" for i in range(n)], dtype="string[python]"),
        "nullable": pd.array([i if i % 7 else None for i in range(n)], dtype="Int64"),
        "when": pd.date_range("2024-01-01", periods=n, freq="min"),
    })


def _record_array():
    rec = np.zeros(2000, dtype=[("x", "i8"), ("label", "O"), ("y", "f4")])
    rec["label"] = [f"label-{i}" for i in range(2000)]
    return rec


def _nested_object_array():
    outer = np.empty(50, dtype=object)
    for i in range(50):
        inner = np.empty(20, dtype=object)
        inner[:] = [f"{i}-{j}" for j in range(20)]
        outer[i] = inner
    return outer


@functools.lru_cache(maxsize=None)
def _cached_feature(i):
    return [float(i)] * 50


@functools.lru_cache(maxsize=128)
def _bounded_feature(i):
    return {"k": str(i) * 20}


def _corpus():
    for i in range(300):
        _cached_feature(i)
        _bounded_feature(i)
    df = _frame()
    objects = np.array([f"o{i}" for i in range(5000)], dtype=object)
    return {
        "frame": df,
        "series_object": df["obj_distinct"],
        "series_categorical": df["cat"],
        "series_arrow": df["arrow"],
        "index": pd.Index([f"k{i}" for i in range(3000)]),
        "multiindex": pd.MultiIndex.from_product([range(50), list("abcd")]),
        "categorical": pd.Categorical([f"c{i % 11}" for i in range(5000)]),
        "arrow_array": pd.array([f"z{i}" for i in range(5000)], dtype="string[pyarrow]"),
        "object_array": objects,
        "object_view": objects[::2],
        "nested_object_array": _nested_object_array(),
        "record_array": _record_array(),
        "recarray": _record_array().view(np.recarray),
        "lru_cache": _cached_feature,
        "lru_cache_bounded": _bounded_feature,
        "mixed": {"frame": df, "cache": _cached_feature, "arrays": [objects, objects[::3]]},
    }


CORPUS = _corpus()


@pytest.mark.parametrize("key", sorted(CORPUS))
def test_total_equals_asizeof_for_every_detail(key):
    obj = CORPUS[key]
    for detail in range(6):
        expected = asizeof(obj)
        tree = asized(obj, detail=detail)
        assert tree.size == expected, (key, detail)
        for node in nodes_of(tree):
            if node.refs:
                assert node.flat + sum(r.size for r in node.refs) == node.size, (key, detail, node)
                assert node.refs == node.largest_first()


@pytest.mark.parametrize("key", sorted(CORPUS))
def test_sizing_does_not_change_the_objects(key):
    """Names are made after sizing and pandas objects are named by rules (no repr, no
    cached property): a size tree leaves the objects as they were."""
    obj = CORPUS[key]
    asizeof(obj)
    before = asizeof(obj)
    asized(obj, detail=4)
    Asizer().tree_children(obj)
    assert asizeof(obj) == before


@pytest.mark.parametrize("key", sorted(CORPUS))
def test_widget_children_are_the_tree_rows(key):
    obj = CORPUS[key]
    tree = asized(obj, detail=2)
    kids = Asizer().tree_children(obj)
    assert [(k.name, k.size) for k in kids] == [(r.name, r.size) for r in tree.refs]


def test_issue_frame_total_and_columns():
    """The issue's frame: 200k rows, an int and a string column."""
    df = pd.DataFrame({"a": np.arange(200_000), "b": [f"s{i % 5000}" for i in range(200_000)]})
    expected = asizeof(df)
    for detail in range(7):
        assert asized(df, detail=detail).size == expected
    assert asizeof(df) == expected  # the names did not fill pandas' caches
    tree = asized(df, detail=2)
    assert tree.name == "DataFrame (200,000 rows x 2 columns)"
    rows = {r.name: r for r in tree.refs}
    col_a = rows["column 'a' (int64)"]
    assert df["a"].values.nbytes <= col_a.size <= df["a"].values.nbytes + 200
    col_b = next(r for n, r in rows.items() if n.startswith("column 'b' ("))
    # the columns hold (nearly) everything; pandas' own objects are the rest
    assert col_a.size + col_b.size > 0.99 * tree.size
    assert tree.refs[0] is col_b  # the string column is the largest
    assert "index (RangeIndex)" in rows and "column labels (Index)" in rows


def test_frame_columns_name_dtype_and_bytes():
    df = CORPUS["frame"]
    tree = asized(df, detail=1)
    names = [r.name for r in tree.refs]
    for col in ("obj_distinct", "obj_repeated", "cat", "str_pyarrow", "arrow", "str_python", "nullable", "when"):
        assert any(n.startswith(f"column '{col}' (") for n in names), (col, names)
    assert any(n.startswith("columns 'id', 'qty' (int64, 2 in one 2-D block)") for n in names), names
    assert "column 'cat' (category)" in names and "column 'nullable' (Int64)" in names
    assert "column 'arrow' (string[pyarrow])" in names
    # deep enough, a column shows its arrays: codes and categories, Arrow data, masks
    deep = asized(df, detail=3)
    cat = deep.get("column 'cat' (category)")
    assert {r.name.split(" (")[0] for r in cat.refs} >= {"codes", "categories"}
    arrow = deep.get("column 'arrow' (string[pyarrow])")
    assert arrow.refs[0].name.startswith("arrow data (") and arrow.refs[0].size > 0.9 * arrow.size
    nullable = deep.get("column 'nullable' (Int64)")
    assert {r.name for r in nullable.refs} >= {"values (int64)", "mask (bool)"}


def test_object_column_counts_each_distinct_string_once():
    df = CORPUS["frame"]
    tree = asized(df, detail=1)
    rep = tree.get("column 'obj_repeated' (object)")
    distinct = tree.get("column 'obj_distinct' (object)")
    strings_rep = sum(asizeof(s) for s in set(df["obj_repeated"]))
    assert rep.flat == 0 and rep.size == strings_rep  # 500 distinct strings, each once
    assert len(set(map(id, df["obj_repeated"]))) == 500
    assert distinct.size > rep.size


def test_series_index_and_categorical_expand():
    s = CORPUS["series_categorical"]
    tree = asized(s, detail=2)
    assert tree.name.startswith("Series 'cat' (20,000, category)")
    assert [r.name.split(" (")[0] for r in tree.refs][:2] == ["values", "index"] or \
        {"values (category)", "index (RangeIndex)"} <= {r.name for r in tree.refs}
    idx = asized(CORPUS["index"], detail=1)
    assert idx.refs[0].name.startswith("values (") and idx.refs[0].size > 0.9 * idx.size


def test_record_array_fields():
    rec = CORPUS["record_array"]
    tree = asized(rec, detail=2)
    fields = {r.name: r for r in tree.refs if r.name.startswith("field ")}
    assert set(fields) == {"field 'x' (int64)", "field 'label' (object)", "field 'y' (float32)"}
    assert fields["field 'x' (int64)"].size == 8 * len(rec)
    assert fields["field 'y' (float32)"].size == 4 * len(rec)
    label = fields["field 'label' (object)"]
    assert label.size == 8 * len(rec) + sum(asizeof(s) for s in rec["label"])
    assert tree.refs[0] is label  # the strings make it the largest
    assert tree.flat + sum(r.size for r in tree.refs) == tree.size == asizeof(rec)


def test_lru_cache_shows_its_cache():
    tree = asized(_cached_feature, detail=2)
    cache = tree.refs[0]
    assert cache.name == f"cache ({len(CORPUS) and _cached_feature.cache_info().currsize} entries)"
    assert cache.size > 0.9 * tree.size


def test_nested_object_arrays():
    outer = CORPUS["nested_object_array"]
    tree = asized(outer, detail=3)
    assert tree.size == asizeof(outer)
    first = tree.refs[0]  # an inner array and its 20 strings
    assert len(first.refs) == 20 and first.size == asizeof(outer[0]) or first.size > 0


def test_numeric_block_splits_into_its_columns():
    """Five float64 columns (and the frame's two int64 ones) live in one 2-D block each;
    the tree shows one child per column, named with its dtype, whose bytes add up to the
    block's buffer; the block's own node keeps only its header."""
    n = 10_000
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"f{i}": rng.random(n) for i in range(5)}
                      | {"name": pd.Series([f"n{i}" for i in range(n)], dtype=object),
                         "k1": np.arange(n), "k2": np.arange(n) * 2})
    total = asizeof(df)
    for detail in range(4):
        assert asized(df, detail=detail).size == total
    tree = asized(df, detail=2)
    floats = tree.get("columns 'f0', 'f1', 'f2', 'f3', 'f4' (float64, 5 in one 2-D block)")
    assert [r.name for r in floats.refs] == [f"column 'f{i}' (float64)" for i in range(5)]
    assert all(r.size == r.flat == 8 * n and not r.refs for r in floats.refs)
    assert floats.flat + sum(r.size for r in floats.refs) == floats.size
    assert floats.flat < 200  # the ndarray header only
    ints = tree.get("columns 'k1', 'k2' (int64, 2 in one 2-D block)")
    assert [r.name for r in ints.refs] == ["column 'k1' (int64)", "column 'k2' (int64)"]
    assert sum(r.size for r in ints.refs) == 2 * 8 * n
    assert asizeof(df) == total  # naming the columns changed nothing
    block = next(b.values for b in df._mgr.blocks if b.values.dtype.kind == "f")
    assert floats.size == block.__sizeof__() and block.base is None
    # the corpus frame: its int64 block splits the same way
    corpus = asized(CORPUS["frame"], detail=2)
    pair = corpus.get("columns 'id', 'qty' (int64, 2 in one 2-D block)")
    assert [r.name for r in pair.refs] == ["column 'id' (int64)", "column 'qty' (int64)"]
    assert pair.flat + sum(r.size for r in pair.refs) == pair.size
