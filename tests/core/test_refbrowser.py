"""Referrer trees (Pympler's refbrowser API): tree building and the ASCII format."""

from __future__ import annotations

import gc
import io
import sys
import weakref

import pytest

from pympler_nb.core import refbrowser
from pympler_nb.core.refbrowser import (
    ConsoleBrowser,
    FileBrowser,
    Node,
    RefBrowser,
    RefTreeNode,
    StreamBrowser,
    referrer_tree,
)

TREE_DEP_1 = """
root-+-branch1
     +-branch2
     +-branch3
""".strip()

TREE_DEP_2 = """
root-+-branch1-+-a
     |         +-b
     |         +-c
     |         +-d
     |         +-e
     |
     +-branch2-+-branch3
     |         +-a
     |         +-b
     |         +-c
     |         +-d
     |         +-e
     |
     +-branch3-+-branch1
               +-a
               +-b
               +-c
               +-d
               +-e
""".strip()

TREE_DEP_4 = """
root-+-branch1-+-a
     |         +-b
     |         +-c
     |         +-d
     |         +-e
     |
     +-branch2-+-branch3-+-branch1-+-a
     |         |         |         +-b
     |         |         |         +-c
     |         |         |         +-d
     |         |         |         +-e
     |         |         |
     |         |         +-a
     |         |         +-b
     |         |         +-c
     |         |         +-d
     |         |         +-e
     |         |
     |         +-a
     |         +-b
     |         +-c
     |         +-d
     |         +-e
     |
     +-branch3-+-branch1-+-a
               |         +-b
               |         +-c
               |         +-d
               |         +-e
               |
               +-a
               +-b
               +-c
               +-d
               +-e
""".strip()


@pytest.fixture
def sample_tree():
    tree = refbrowser._Node("root")  # Pympler's name still works
    b1, b2, b3 = Node("branch1"), Node("branch2"), Node("branch3")
    tree.children += [b1, b2, b3]
    b2.children.append(b3)
    b3.children.append(b1)
    for leaf in "abcde":
        for b in (b1, b2, b3):
            b.children.append(leaf)
    return tree


@pytest.mark.parametrize("depth,expected", [(1, TREE_DEP_1), (2, TREE_DEP_2), (4, TREE_DEP_4)])
def test_tree_format_matches_pympler(sample_tree, depth, expected):
    out = io.StringIO()
    StreamBrowser(None, maxdepth=depth, stream=out).print_tree(sample_tree)
    assert out.getvalue().strip() == expected


def test_single_child_and_custom_characters():
    tree = Node("a")
    tree.children.append(Node("b"))
    tree.children[0].children += ["c", "d"]

    class Fancy(StreamBrowser):
        hline, vline, cross, space = "=", "!", "*", "."

    out = io.StringIO()
    Fancy(None, maxdepth=5, stream=out).print_tree(tree)
    # like Pympler, the blank separator line is only dropped when made of ' '
    assert out.getvalue() == "a==b=*=c\n.....*=d\n.....\n"


def test_depth_counts_levels_not_characters():
    tree = Node("x+y|z")
    child = Node("child")
    tree.children.append(child)
    child.children.append("grandchild")
    out = io.StringIO()
    StreamBrowser(None, maxdepth=1, stream=out).print_tree(tree)
    assert out.getvalue() == "x+y|z--child\n"


def test_get_tree_repeat_and_depth():
    root = "root id " + str(id(object()))  # a fresh str, not a shared constant
    ref1 = [root, []]
    ref11 = [ref1, root]
    ref2 = {1: root, 2: []}
    ref22 = {1: ref2}
    res = RefBrowser(root, repeat=False).get_tree()
    children = [c.o for c in res.children if isinstance(c, Node)]
    assert any(c is ref1 for c in children) and any(c is ref2 for c in children)
    assert not any(c is ref11 for c in children)
    assert any(isinstance(c, str) and c.endswith(f"(already included, id {id(ref11)})")
               for c in res.children)
    res = RefBrowser(root, repeat=True).get_tree()
    children = [c.o for c in res.children if isinstance(c, Node)]
    for r in (ref1, ref11, ref2):
        assert any(c is r for c in children)
    assert len(RefBrowser(root, maxdepth=0).get_tree().children) == 0
    res = RefBrowser(root, maxdepth=1).get_tree()
    assert all(not c.children for c in res.children if isinstance(c, Node))
    res = RefBrowser(root, maxdepth=2).get_tree()
    r2 = next(c for c in res.children if isinstance(c, Node) and c.o is ref2)
    assert any(isinstance(g, Node) and g.o is ref22 for g in r2.children)


def test_str_func_and_default_names():
    expected = "the quick brown fox"
    res = RefBrowser("x", str_func=lambda o: expected, maxdepth=2).get_tree()
    assert str(res) == expected
    holder = {"k": [1]}
    tree = RefBrowser(holder["k"], maxdepth=1).get_tree()
    assert str(tree) == "list"
    assert "dict" in [str(c) for c in tree.children]
    with pytest.raises(TypeError, match="str_func must be callable"):
        RefBrowser("x", str_func="nope")
    with pytest.raises(ValueError, match="maxdepth must be an int >= 0"):
        RefBrowser("x", maxdepth=-1)


def test_browser_never_shows_itself():
    target = [1, 2]
    holder = {"t": target}
    browser = RefBrowser(target, maxdepth=3)
    tree = browser.get_tree()
    assert browser.root is target
    seen = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, Node):
            seen.append(n.o)
            stack.extend(n.children)
    for o in seen:
        assert o is not browser and not isinstance(o, Node)
        assert not (isinstance(o, list) and any(isinstance(x, Node) for x in o))
    assert any(o is holder for o in seen)


def test_max_children_adds_more_leaf():
    target = []
    holders = []
    for _ in range(30):
        holders.append([target])
    tree = RefBrowser(target, maxdepth=1, max_children=5).get_tree()
    assert len(tree.children) == 6
    assert tree.children[-1].startswith("+") and tree.children[-1].endswith(" more")
    assert int(tree.children[-1][1:-5]) >= 25


def test_console_and_file_browser(tmp_path, sample_tree, capsys):
    crb = ConsoleBrowser(None, maxdepth=1)
    assert crb.stream is sys.stdout
    crb.print_tree(sample_tree)
    assert capsys.readouterr().out.strip() == TREE_DEP_1
    fname = tmp_path / "tree.txt"
    fb = FileBrowser(None, maxdepth=1)
    fb.print_tree(str(fname), tree=sample_tree)
    assert fname.read_text(encoding="utf-8").strip() == TREE_DEP_1
    assert fb.stream is None


def test_print_tree_default_is_get_tree():
    target = {"x": 1}
    holder = [target]
    out1, out2 = io.StringIO(), io.StringIO()
    b1 = StreamBrowser(target, maxdepth=1, stream=out1)
    b1.print_tree(b1.get_tree())
    StreamBrowser(target, maxdepth=1, stream=out2).print_tree()
    assert out1.getvalue() == out2.getvalue()
    assert out1.getvalue().startswith("dict-")
    del holder


def test_deep_tree_prints_without_recursion():
    tree = Node("n0")
    node = tree
    for i in range(1, 5000):
        child = Node(f"n{i}")
        node.children.append(child)
        node = child
    out = io.StringIO()
    StreamBrowser(None, maxdepth=10_000, stream=out).print_tree(tree)
    assert out.getvalue().count("--") == 4999


def test_referrer_tree_is_data_and_keeps_nothing():
    class Thing:
        pass

    target = Thing()
    probe = weakref.ref(target)
    holder = {"t": target}
    outer = [holder]
    tree = referrer_tree(target, maxdepth=2)
    assert isinstance(tree, RefTreeNode)
    assert tree.id == id(target) and tree.type == "Thing"
    kid = next(c for c in tree.children if c.id == id(holder))
    assert kid.label == "['t']" and kid.type == "dict"
    assert any(g.id == id(outer) and g.label == "[0]" for g in kid.children)
    del target, holder, outer
    gc.collect()
    assert probe() is None


def test_hostile_objects_in_tree():
    class Hostile:
        def __repr__(self):
            raise ValueError("no")

        def __eq__(self, other):
            raise RuntimeError("no eq")

        __hash__ = object.__hash__

    h = Hostile()
    holder = [h]
    tree = RefBrowser(h, maxdepth=2, str_func=repr if False else refbrowser._default_str).get_tree()
    assert str(tree).endswith("Hostile")
    data = referrer_tree(h, maxdepth=1)
    assert "repr failed" in data.repr
    del holder
