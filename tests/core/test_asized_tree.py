"""Size trees (``asized`` and ``Asizer.tree_children``) on random object graphs.

The rule the trees follow (``Asizer._asized_tree``): a node's children are counted in
reference order; all of them are first marked as counted, so a child that a sibling
also reaches counts in its own row (as ``asizesof`` does), and what several children
reach counts once, in the first of them; what the ancestors and their earlier
siblings reached counts 0. Hence a node's size is its flat size plus its children's
sizes, and the root's size is ``asizeof``'s, whatever ``detail`` is.
"""

import collections
import gc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core.asizeof import Asized, Asizer, asized, asizeof, asizesof, flatsize, register, unregister


class Plain:
    pass


class Slotted:
    __slots__ = ("p", "q")


class SlotsAndDict:
    __slots__ = ("s", "__dict__")


class DictSub(dict):
    pass


class DeqSub(collections.deque):
    """Items held by the C base, attributes in a managed ``__dict__`` (like pandas'
    Cython BlockManager subclass: fields beyond the dict)."""


ATOMS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.none(),
)
KINDS = ("list", "dict", "plain", "plain_dict", "slotted", "slots_dict", "dictsub", "set", "tuple", "deqsub")


@st.composite
def graphs(draw):
    """A random object graph (shared references, cycles) and its root."""
    n = draw(st.integers(min_value=1, max_value=9))
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(n)]
    nodes = []
    for kind in kinds:
        nodes.append({"list": list, "dict": dict, "plain": Plain, "plain_dict": Plain, "slotted": Slotted,
                      "slots_dict": SlotsAndDict, "dictsub": DictSub, "set": set, "tuple": list,
                      "deqsub": DeqSub}[kind]())

    def value(i):
        pick = draw(st.integers(min_value=-3, max_value=n - 1))
        return draw(ATOMS) if pick < 0 else nodes[pick]

    for i, (kind, node) in enumerate(zip(kinds, nodes)):
        width = draw(st.integers(min_value=0, max_value=4))
        if kind in ("list", "tuple"):
            node.extend(value(i) for _ in range(width))
        elif kind in ("dict", "dictsub"):
            for k in range(width):
                node[draw(st.text(max_size=6)) if k % 2 else k * 1000] = value(i)
        elif kind in ("plain", "plain_dict"):
            for k in range(width):
                setattr(node, f"a{k}", value(i))
            if kind == "plain_dict":
                node.__dict__  # noqa: B018 - materialized
        elif kind == "slotted":
            node.p = value(i)
            if width % 2:
                node.q = value(i)
        elif kind == "slots_dict":
            node.s = value(i)
            node.extra = value(i)
        elif kind == "deqsub":
            node.extend(value(i) for _ in range(width))
            node.tag = value(i)
        elif kind == "set":
            node.update(draw(st.frozensets(st.integers(min_value=1000, max_value=10**6), max_size=width)))
    # tuples are immutable: freeze the lists that stand for them (earlier ones may hold them)
    for i, kind in enumerate(kinds):
        if kind == "tuple":
            nodes[i] = tuple(nodes[i])
    return nodes[0], nodes


def nodes_of(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.refs)


def check_tree(tree):
    for node in nodes_of(tree):
        if node.refs:
            assert node.flat + sum(r.size for r in node.refs) == node.size, node
            assert node.refs == node.largest_first(), node  # stored largest first


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(min_value=0, max_value=6))
def test_total_never_depends_on_detail(graph, detail):
    root, keep = graph
    expected = asizeof(root)
    tree = asized(root, detail=detail)
    assert tree.size == expected
    check_tree(tree)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(min_value=0, max_value=4),
       st.sampled_from([{"align": 16}, {"code": True}, {"align": 8, "code": True}]))
def test_total_never_depends_on_detail_with_options(graph, detail, opts):
    root, keep = graph
    expected = asizeof(root, **opts)
    tree = asized(root, detail=detail, **opts)
    assert tree.size == expected
    check_tree(tree)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_node_sizes_do_not_depend_on_detail(graph):
    root, keep = graph
    shallow = asized(root, detail=1)
    deep = asized(root, detail=4)
    assert [(r.name, r.size) for r in shallow.refs] == [(r.name, r.size) for r in deep.refs]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_tree_children_are_asized_rows(graph):
    """The widget's lazy children (Asizer.tree_children) are asized's rows, in order."""
    root, keep = graph
    tree = asized(root, detail=2)
    kids = Asizer().tree_children(root)
    assert [(k.name, k.size) for k in kids] == [(r.name, r.size) for r in tree.refs]
    for child, row in zip(kids, tree.refs):
        if row.refs:
            grand = Asizer().tree_children(root, [child.index])
            assert [(k.name, k.size) for k in grand] == [(r.name, r.size) for r in row.refs]
            assert row.flat + sum(grand.sizes) == row.size


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), graphs())
def test_several_roots_are_sized_as_asizesof(one, two):
    a, b = one[0], two[0]
    trees = asized(a, b, detail=2)
    if a is b:
        return
    assert tuple(t.size for t in trees) == asizesof(a, b)
    for t in trees:
        check_tree(t)


def test_shared_object_counts_at_its_first_place_and_siblings_count_themselves():
    shared = [float(i) for i in range(50)]
    holder = [[shared], shared, {"again": shared}]
    tree = asized(holder, detail=3)
    # the sibling ``shared`` counts in its own row, not in the list before it that reaches it
    assert tree.refs[0].size == asizeof(shared)  # largest first: the shared list itself
    assert sum(r.size for r in tree.refs) + tree.flat == asizeof(holder)
    inner = next(r for r in tree.refs if r.size == flatsize(holder[0]))
    assert inner.refs[0].size == 0  # met again inside: counted at the sibling


def test_dict_entries_largest_first_key_and_value_together():
    d = {"small": 1.5, "big": list(range(1000, 1200)), "mid": "x" * 500}
    tree = asized(d, detail=1)
    names = [r.name for r in tree.refs]
    assert names[0] == "[K] big" and names[1].startswith("[V] big: ")
    assert names[2] == "[K] mid" and names[4] == "[K] small"
    assert tree.format(depth=1).splitlines()[1].strip().startswith("[K] big")


def test_cython_like_fields_beyond_a_managed_dict_are_children():
    """A heap subclass of a C type with object fields *and* a ``__dict__`` (pandas'
    BlockManager): the fields are referents that were dropped from the tree."""
    class Deq(collections.deque):  # items held by the C base, attributes by __dict__
        pass

    q = Deq([list(range(1000, 1100))])
    q.note = "x" * 100
    for detail in range(4):
        expected = asizeof(q)
        assert asized(q, detail=detail).size == expected


def test_children_rule_names_parts_and_keeps_the_total():
    class Holder:
        def __init__(self):
            self.inner = {"payload": [float(i) for i in range(100)], "other": "y" * 50}

    name = f"{__name__}.Holder"
    for klass in (Holder,):
        klass.__qualname__ = "Holder"
    register(name, children=lambda h: [("payload", h.inner["payload"])])
    try:
        h = Holder()
        for detail in range(4):
            expected = asizeof(h)
            tree = asized(h, detail=detail)
            assert tree.size == expected
            check_tree(tree)
        tree = asized(h, detail=1)
        assert tree.refs[0].name == "payload" and tree.refs[0].size == asizeof(h.inner["payload"])
        assert "inner" in [r.name for r in tree.refs]  # the rest, by attribute name
    finally:
        unregister(name)


def test_a_failing_children_rule_falls_back_to_the_generic_tree():
    class Boom:
        def __init__(self):
            self.data = list(range(1000, 1050))

    Boom.__qualname__ = "Boom"
    name = f"{__name__}.Boom"

    def bad(obj):
        raise RuntimeError("no")

    register(name, children=bad)
    try:
        b = Boom()
        sizer = Asizer(detail=3)
        tree = sizer.asized(b)
        assert tree.size == asizeof(b)
        assert any("children rule raised" in why for _, why, _ in sizer.skipped)
    finally:
        unregister(name)


def test_classes_under_an_instance_are_leaves():
    p = Plain()
    p.x = [1.5]
    kids = Asizer().tree_children(p)
    cls = next(k for k in kids if k.name == "__class__")
    assert cls.size == 0 and not cls.expandable
    assert not Asizer().tree_expandable(Plain) and not Asizer().tree_expandable(gc)
    assert Asizer().tree_expandable(p)


def test_tree_children_rejects_changed_paths():
    data = [[1.5], [2.5]]
    first = Asizer().tree_children(data)
    idx = first[0].index
    with pytest.raises(LookupError, match="changed"):
        Asizer().tree_children(data, [idx], expect=[id(object())])
    with pytest.raises(LookupError, match="no child"):
        Asizer().tree_children(data, [7])
    assert len(Asizer().tree_children(data, [idx], expect=[id(data[idx])])) == 1


def test_names_are_made_after_sizing():
    """A repr that changes the object (as pandas' repr fills caches) does not change
    the sizes of the tree it names."""

    class Grows:
        def __init__(self):
            self.cache = []

        def __repr__(self):
            self.cache.append("filled by repr" * 10)
            return "Grows()"

    g = Grows()
    holder = {"g": g}
    for detail in range(4):
        expected = asizeof(holder)
        assert asized(holder, detail=detail).size == expected


def test_asized_result_type_and_no_references():
    import weakref

    p = Plain()
    p.v = [1.5] * 10
    ref = weakref.ref(p)
    tree = asized(p, detail=3)
    assert isinstance(tree, Asized)
    del p
    gc.collect()
    assert ref() is None and tree.size > 0
