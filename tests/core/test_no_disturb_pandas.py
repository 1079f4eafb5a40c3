"""Sizing a pandas frame does not change its size; what does change it is CPython's.

The %memsize benchmark showed a frame whose ``asizeof`` differed by 64 B between the
``asizeof`` call and the magic. The cause is CPython's accounting of split-table instance
dicts: ``sys.getsizeof(obj.__dict__)`` includes the class's shared keys, which
change when *another* instance of the class is created (the magic builds its result
DataFrame). These tests pin both facts: our walks leave the frame's size alone, and the
shared-keys effect is CPython's (the README explains the -64 B with it).
"""
from __future__ import annotations

import sys

import pytest

from pympler_nb.core import asizeof as asz
from pympler_nb.core import muppy, summary

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def _frame():
    n = 2_000
    return pd.DataFrame({
        "id": np.arange(n),
        "label": pd.Series([f"item-{i % 300}" for i in range(n)], dtype=object),
        "cat": pd.Categorical([("a", "b", "c")[i % 3] for i in range(n)]),
        "arrow": pd.Series([f"s{i % 50}" for i in range(n)], dtype="string[pyarrow]"),
    })


@pytest.mark.parametrize("walk", [
    lambda df: asz.asizeof(df),
    lambda df: asz.asized(df, detail=0),
    lambda df: asz.asized(df, detail=4),
    lambda df: asz.Asizer().asized(df, detail=2),
    lambda df: summary.summarize(muppy.get_objects()),
], ids=["asizeof", "asized-0", "asized-4", "Asizer.asized", "summarize-heap"])
def test_sizing_a_frame_leaves_its_size_unchanged(walk):
    df = _frame()
    before = asz.asizeof(df)
    walk(df)
    walk(df)
    assert asz.asizeof(df) == before


class _Plain:
    pass


def test_shared_keys_change_an_instance_dict_size():
    """The CPython effect the README names: another instance with more attributes grows the
    class's shared keys, and an existing instance's dict then reports another size."""
    first = _Plain()
    first.a, first.b = 1, 2
    vars(first)  # a split-table dict
    before = sys.getsizeof(vars(first))
    other = _Plain()
    other.b, other.a, other.c, other.d = 1, 2, 3, 4
    after = sys.getsizeof(vars(first))
    assert other.d == 4
    assert after < before  # 296 -> 288 B on 3.11, 3.12 and 3.13
