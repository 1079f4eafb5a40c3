"""Property tests on random nested containers (hypothesis)."""

from collections import OrderedDict, deque

from hypothesis import given, settings
from hypothesis import strategies as st

from pympler_nb.core.asizeof import asizeof, asizesof, flatsize

atoms = st.one_of(
    st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.none(),
    st.booleans(),
    st.complex_numbers(allow_nan=False),
)

containers = st.recursive(
    atoms,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=6),
        st.frozensets(st.integers() | st.text(max_size=5), max_size=6),
        st.builds(set, st.lists(st.integers(), max_size=6)),
        st.builds(deque, st.lists(children, max_size=6)),
        st.builds(OrderedDict, st.dictionaries(st.text(max_size=5), children, max_size=4)),
        st.builds(bytearray, st.binary(max_size=30)),
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(containers)
def test_size_at_least_flat(x):
    assert asizeof(x) >= flatsize(x) or asizeof(x) == 0


@settings(max_examples=150, deadline=None)
@given(containers, containers)
def test_combined_never_exceeds_parts(a, b):
    assert asizeof(a, b) <= asizeof(a) + asizeof(b)
    assert asizeof(a, a) == asizeof(a)


@settings(max_examples=100, deadline=None)
@given(st.lists(containers, min_size=1, max_size=5))
def test_asizesof_adds_up(objs):
    objs = list({id(o): o for o in objs}.values())  # distinct objects (a repeat repeats its size)
    assert sum(asizesof(*objs)) == asizeof(*objs)


@settings(max_examples=100, deadline=None)
@given(containers)
def test_shared_object_counted_once(x):
    holder = [x, x, [x]]
    as_referent = asizeof([x]) - flatsize([x])  # x's deep size when referenced
    assert asizeof(holder) == as_referent + flatsize(holder) + flatsize(holder[2])
