"""Hostile objects are sized best-effort or skipped, never crashed on, never changed."""

import gc
import sys
import threading
import weakref
from unittest import mock

import pytest

from pympler_nb.core.asizeof import Asizer, asized, asizeof, flatsize, named_refs


class RaisingSizeof:
    def __sizeof__(self):
        raise RuntimeError("no size for you")


class NegativeSizeof:
    def __sizeof__(self):
        return -5


class NonIntSizeof:
    def __sizeof__(self):
        return "big"


class RaisingEverything:
    def __len__(self):
        raise RuntimeError("len")

    def __getattr__(self, name):
        raise RuntimeError(f"getattr {name}")

    def __repr__(self):
        raise RuntimeError("repr")

    @property
    def prop(self):
        raise RuntimeError("property")

    def __iter__(self):
        raise RuntimeError("iter")


class LyingClass:
    @property
    def __class__(self):
        return dict


def test_mocks_are_sized_without_changing_them():
    for m in (mock.Mock(), mock.MagicMock(), mock.NonCallableMagicMock(spec=dict)):
        before = (list(m.mock_calls), list(m.method_calls), dir(m))
        assert asizeof(m) > 0
        assert asized(m, detail=2).size > 0
        named_refs(m)
        assert (list(m.mock_calls), list(m.method_calls), dir(m)) == before


def test_bad_sizeof_is_sized_best_effort_and_reported():
    objs = [RaisingSizeof(), NegativeSizeof(), NonIntSizeof()]
    z = Asizer()
    total = z.asizeof(objs)
    assert total >= flatsize(objs)
    # a __sizeof__ written in Python is not trusted: the C-level size is used, so none
    # of them is even called; the results are the object sizes
    for o in objs:
        assert asizeof(o) == flatsize(o) > 0


def test_c_level_sizeof_errors_are_reported():
    class BadList(list):
        # a C-level __sizeof__ that raises TypeError (dict's, on a list)
        __sizeof__ = dict.__sizeof__

    # a dead weakref proxy forwards nothing: sys.getsizeof still reads its own size
    class Target:
        pass

    t = Target()
    proxy = weakref.proxy(t)
    del t
    gc.collect()
    with pytest.raises(TypeError):
        sys.getsizeof(BadList())
    z = Asizer()
    big = "x" * 10_000
    size = z.asizeof([proxy, BadList([big])])
    # the bad list is counted once, sized by its layout, and its items are still walked
    assert z.missed == 1
    assert [(name.rsplit(".", 1)[-1], why, n) for name, why, n in z.skipped] == [
        ("BadList", "__sizeof__ raised TypeError", 1)]
    assert size >= sys.getsizeof([proxy, None]) + sys.getsizeof(proxy) + object.__sizeof__(BadList()) \
        + sys.getsizeof(big)
    assert Asizer().asizeof([proxy]) == sys.getsizeof([proxy]) + sys.getsizeof(proxy)  # nothing missed


def test_raising_len_getattr_repr_property():
    obj = RaisingEverything()
    obj.data = [1.5] * 10
    assert asizeof(obj) >= flatsize(obj) + flatsize(obj.data)
    tree = asized([obj], detail=2)
    assert "repr failed" in tree.refs[0].name
    assert tree.size == asizeof([obj])


def test_dead_weakref_proxies():
    class T:
        pass

    t = T()
    p = weakref.proxy(t)
    cp = weakref.proxy(lambda: 1)  # callable proxy, referent dies at once
    del t
    gc.collect()
    assert asizeof(p) > 0
    assert asizeof(cp) > 0
    assert asized([p, cp], detail=1).size > 0


def test_lying_class_is_sized_by_its_real_type():
    obj = LyingClass()
    assert isinstance(obj, dict)  # the lie
    assert asizeof(obj) == flatsize(obj)
    assert asizeof(obj) < asizeof({i: i for i in range(10)})


def test_container_mutated_by_another_thread():
    shared = {i: [i] for i in range(2000)}
    stop = threading.Event()

    def mutate():
        i = 0
        while not stop.is_set():
            shared[10_000 + i % 500] = [i]
            shared.pop(10_000 + (i + 250) % 500, None)
            i += 1

    th = threading.Thread(target=mutate)
    th.start()
    try:
        for _ in range(50):
            assert asizeof(shared, [shared]) > 0
            asized(shared, detail=1)
    finally:
        stop.set()
        th.join()


def test_nothing_is_kept_alive():
    class Payload:
        pass

    objs = [Payload() for _ in range(100)]
    refs = [weakref.ref(o) for o in objs]
    z = Asizer()
    z.asizeof(objs)
    z.asized(objs, detail=2)
    del objs
    gc.collect()
    assert all(r() is None for r in refs)
    # the sizer keeps ids only
    assert all(type(i) is int for i in z._seen)
