"""A corpus of hostile objects and a runner that feeds them to one public entry point.

Used by ``tests/core/test_hostile_corpus.py`` (core entry points) and
``tests/test_hostile_views.py`` (frames, widgets, graphs, magics). Every entry point runs
in a subprocess (``python -m tests.core._hostile ENTRY``) over all kinds, so that a hang
fails the test (the subprocess has a timeout) instead of the CI run; each kind is guarded
and reported as one JSON line: ``{"kind": ..., "ok": bool, "error": str}``.

A kind is a factory returning the hostile object; the runner keeps every object alive in
the module-level ``HOLD`` dict (why-alive and heap walks find them there).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
import traceback
import weakref
from unittest import mock

# What "within physical bounds" means in the assertions: no object is larger than the
# user address space of a 64-bit process (128 TiB), and a whole corpus sizes far below.
MAX_BYTES = 2**47
MARK = "@@hostile "  # prefix of the result lines on stdout (entry points print too)
WEIRD_TEXT = "a\ud800b\udfff\x00c\u202ed\ne\"f\\g<h>i'&{}|\r\t"


class Boom(Exception):
    pass


class WeirdBase(BaseException):
    """Not an Exception: what a ``__getattr__`` may raise that ``except Exception`` misses."""


# -- __sizeof__ and __len__ -----------------------------------------------------------
def _py_sizeof(value):
    def __sizeof__(self):
        if isinstance(value, BaseException):
            raise value
        return value

    return type("PySizeof", (), {"__sizeof__": __sizeof__, "payload": None})


def _c_sizeof(value):
    """``__sizeof__`` is a C function (``abs``) whose result the object decides."""

    def __abs__(self):
        if isinstance(value, BaseException):
            raise value
        return value

    return type("CSizeof", (), {"__sizeof__": abs, "__abs__": __abs__})


class cython_function_or_method:  # noqa: N801 - spoofs the name of Cython's function type
    def __init__(self, value):
        self.value = value

    def __call__(self, *args):
        return self.value


def _spoofed_cython(value):
    return type("SpoofedCython", (), {"__sizeof__": cython_function_or_method(value)})


class HugeLen:
    def __len__(self):
        return sys.maxsize


class HugeLenList(list):
    def __len__(self):
        return sys.maxsize


class RaisingLenList(list):
    def __len__(self):
        raise Boom("len")


class HugeSizeofList(list):
    def __sizeof__(self):
        return 10**15


class FloatSizeofDict(dict):
    def __sizeof__(self):
        return 1.5


# -- metaclasses, attribute lookup ---------------------------------------------------
class MetaGetattributeRaises(type):
    def __getattribute__(cls, name):
        raise Boom(f"meta getattribute {name}")


class MetaHashRaises(type):
    def __hash__(cls):
        raise Boom("hash")


class MetaEqRaises(type):
    def __eq__(cls, other):
        raise Boom("eq")

    __hash__ = type.__hash__


class MetaEqLies(type):
    def __eq__(cls, other):
        return True

    def __hash__(cls):
        return 1


class MetaUnhashable(type):
    def __eq__(cls, other):
        return cls is other


class MetaReprRaises(type):
    def __repr__(cls):
        raise Boom("class repr")


def _with_meta(meta):
    cls = meta("WithMeta", (), {})
    obj = cls()
    obj.payload = [1.5, "x" * 100]
    return obj


class Unhashable:
    __hash__ = None

    def __eq__(self, other):
        raise Boom("eq")


class ClassPropertyRaises:
    @property
    def __class__(self):
        raise Boom("__class__")


class ClassLies:
    @property
    def __class__(self):
        return dict


class DictKeysProperty(dict):
    @property
    def keys(self):
        raise Boom("keys")

    items = property(lambda self: 1 / 0)
    values = property(lambda self: 1 / 0)

    def __iter__(self):
        raise Boom("iter")

    def __len__(self):
        return -1


class GetattrRaises:
    def __getattr__(self, name):
        raise Boom(f"getattr {name}")


class GetattrRaisesBase:
    def __getattr__(self, name):
        raise WeirdBase(name)


class GetattrGarbage:
    def __getattr__(self, name):
        return self


class GetattributeRaises:
    def __getattribute__(self, name):
        raise Boom(f"getattribute {name}")


class DictProperty:
    """``__dict__`` and ``__slots__`` that lie."""

    __dict__ = property(lambda self: 1 / 0)


class SlotsLie:
    __slots__ = ("a", "b")


SlotsLie.__slots__ = 12  # no longer iterable after class creation


class EndlessIter:
    def __iter__(self):
        while True:
            yield self

    def __getitem__(self, i):
        return i

    def __len__(self):
        return 3


# -- reprs ---------------------------------------------------------------------------
class ReprRaises:
    def __repr__(self):
        raise Boom("repr")


class ReprRaisesBase:
    def __repr__(self):
        raise WeirdBase("repr")


class ReprHuge:
    def __repr__(self):
        return "x" * 5_000_000


class ReprNonStr:
    def __repr__(self):
        return 12


class ReprWeird:
    def __repr__(self):
        return WEIRD_TEXT


def _weird_class_instance():
    cls = type("Weird", (), {})
    cls.__qualname__ = WEIRD_TEXT
    cls.__module__ = WEIRD_TEXT
    obj = cls()
    setattr(obj, WEIRD_TEXT, WEIRD_TEXT * 3)
    return obj


def _garbage_module_class():
    cls = type("GarbageModule", (), {})
    cls.__module__ = 12  # not a str
    return cls()


def _weird_dict():
    return {WEIRD_TEXT: [WEIRD_TEXT], "\udcff": b"\x00\xff", 1.5: WEIRD_TEXT}


# -- weak references, generators, coroutines ---------------------------------------
class _Target:
    pass


def _dead_proxy():
    t = _Target()
    p = weakref.proxy(t)
    del t
    gc.collect()
    return p


def _dead_callable_proxy():
    def f():
        pass

    p = weakref.proxy(f)
    del f
    gc.collect()
    return p


def _gen(payload):
    held = payload
    yield 1
    yield len(held)


def _fresh_generator():
    return _gen([1.5] * 100)


def _suspended_generator():
    g = _gen([2.5] * 100)
    next(g)
    return g


async def _coro(payload):
    held = payload
    await asyncio.sleep(0)
    return held


class _Suspend:
    def __await__(self):
        yield "suspended"


async def _coro_suspending(payload):
    held = payload
    await _Suspend()
    return held


def _fresh_coroutine():
    c = _coro([3.5] * 100)
    return c


def _suspended_coroutine():
    c = _coro_suspending([4.5] * 100)
    c.send(None)
    return c


async def _agen(payload):
    held = payload
    yield 1
    await _Suspend()
    yield len(held)


def _fresh_async_generator():
    return _agen([5.5] * 100)


def _suspended_async_generator():
    ag = _agen([6.5] * 100)
    it = ag.__anext__()
    try:
        it.send(None)
    except StopIteration:
        pass
    return ag


# -- numpy ---------------------------------------------------------------------------
def _numpy_kinds():
    try:
        import numpy as np
    except ImportError:
        return {}

    class HugeSizeofArray(np.ndarray):
        def __sizeof__(self):
            return 10**15

    class GarbageDtypeArray(np.ndarray):
        @property
        def dtype(self):
            return mock.MagicMock()

        @property
        def base(self):
            return mock.MagicMock()

        def reshape(self, *args, **kwargs):
            return self

    class LoopingDtypeArray(np.ndarray):
        """``dtype`` says "sub-array" forever: a naive walk reshapes without end."""

        @property
        def dtype(self):
            return np.dtype(("O", (2,)))

    class FloatSizeofArray(np.ndarray):
        def __sizeof__(self):
            return 1.5

    def objects():
        a = np.empty(1000, dtype=object)
        a[:] = [[i] for i in range(1000)]
        return a

    return {
        "numpy_huge_sizeof": lambda: np.arange(1000.0).view(HugeSizeofArray),
        "numpy_float_sizeof": lambda: np.arange(1000.0).view(FloatSizeofArray),
        "numpy_garbage_dtype": lambda: objects().view(GarbageDtypeArray),
        "numpy_looping_dtype": lambda: objects().view(LoopingDtypeArray),
        "numpy_garbage_dtype_plain": lambda: np.arange(10.0).view(GarbageDtypeArray),
    }


def _lying_mmap():
    import mmap

    class LyingMmap(mmap.mmap):
        def __len__(self):
            return sys.maxsize

        def __sizeof__(self):
            return 10**15

    return LyingMmap(-1, 1 << 16)


def kinds() -> dict:
    """``{name: factory}``: every hostile kind of the corpus."""
    out = {
        "py_sizeof_float": lambda: _py_sizeof(1.5)(),
        "py_sizeof_negative": lambda: _py_sizeof(-5)(),
        "py_sizeof_huge": lambda: _py_sizeof(10**15)(),
        "py_sizeof_bigint": lambda: _py_sizeof(2**100)(),
        "py_sizeof_raises": lambda: _py_sizeof(Boom("sizeof"))(),
        "py_sizeof_str": lambda: _py_sizeof("big")(),
        "c_sizeof_float": lambda: _c_sizeof(1.5)(),
        "c_sizeof_negative": lambda: _c_sizeof(-5)(),
        "c_sizeof_huge": lambda: _c_sizeof(10**15)(),
        "c_sizeof_zero": lambda: _c_sizeof(0)(),
        "c_sizeof_bool": lambda: _c_sizeof(True)(),
        "c_sizeof_str": lambda: _c_sizeof("big")(),
        "c_sizeof_raises": lambda: _c_sizeof(Boom("sizeof"))(),
        "cython_spoof_float": lambda: _spoofed_cython(2.5)(),
        "cython_spoof_huge": lambda: _spoofed_cython(10**15)(),
        "cython_spoof_negative": lambda: _spoofed_cython(-100)(),
        "list_sizeof_huge": lambda: HugeSizeofList([1.5, 2.5]),
        "dict_sizeof_float": lambda: FloatSizeofDict(a=[1.5]),
        "len_maxsize": HugeLen,
        "list_len_maxsize": lambda: HugeLenList([1.5] * 10),
        "list_len_raises": lambda: RaisingLenList([1.5] * 10),
        "meta_getattribute_raises": lambda: _with_meta(MetaGetattributeRaises),
        "meta_hash_raises": lambda: _with_meta(MetaHashRaises),
        "meta_eq_raises": lambda: _with_meta(MetaEqRaises),
        "meta_eq_lies": lambda: _with_meta(MetaEqLies),
        "meta_unhashable": lambda: _with_meta(MetaUnhashable),
        "meta_repr_raises": lambda: _with_meta(MetaReprRaises),
        "class_meta_getattribute_raises": lambda: MetaGetattributeRaises("C", (), {}),
        "unhashable": Unhashable,
        "class_property_raises": ClassPropertyRaises,
        "class_lies": ClassLies,
        "dict_keys_property": lambda: DictKeysProperty(a=[1.5], b=2.5),
        "getattr_raises": GetattrRaises,
        "getattr_raises_base": GetattrRaisesBase,
        "getattr_garbage": GetattrGarbage,
        "getattribute_raises": GetattributeRaises,
        "dict_property": DictProperty,
        "slots_lie": SlotsLie,
        "endless_iter": EndlessIter,
        "mock": lambda: mock.Mock(),
        "magicmock": lambda: mock.MagicMock(),
        "magicmock_spec_dict": lambda: mock.NonCallableMagicMock(spec=dict),
        "repr_raises": ReprRaises,
        "repr_raises_base": ReprRaisesBase,
        "repr_huge": ReprHuge,
        "repr_nonstr": ReprNonStr,
        "repr_weird": ReprWeird,
        "weird_names": _weird_class_instance,
        "garbage_module": _garbage_module_class,
        "weird_dict": _weird_dict,
        "weird_str": lambda: WEIRD_TEXT * 10,
        "dead_proxy": _dead_proxy,
        "dead_callable_proxy": _dead_callable_proxy,
        "generator_fresh": _fresh_generator,
        "generator_suspended": _suspended_generator,
        "coroutine_fresh": _fresh_coroutine,
        "coroutine_suspended": _suspended_coroutine,
        "async_generator_fresh": _fresh_async_generator,
        "async_generator_suspended": _suspended_async_generator,
        "mmap_lying_len": _lying_mmap,
    }
    out.update(_numpy_kinds())
    return out


HOLD: dict = {}


class Holder:
    """A plain holder: why-alive chains must go through it."""

    def __init__(self, obj):
        self.obj = obj


# -- checks --------------------------------------------------------------------------
class Bad(AssertionError):
    pass


def check_size(value, what="size"):
    if type(value) is not int or not 0 <= value <= MAX_BYTES:
        raise Bad(f"{what} is {type(value).__name__} {value!r:.80}")
    return value


def check_text(value, what="text"):
    if not isinstance(value, str):
        raise Bad(f"{what} is {type(value).__name__}")
    return value


def check_asized(tree):
    stack = [tree]
    n = 0
    while stack:
        node = stack.pop()
        n += 1
        check_size(node.size, "Asized.size")
        check_size(node.flat, "Asized.flat")
        if node.name is not None:  # a root's name may be None (Pympler's convention)
            check_text(node.name, "Asized.name")
        stack.extend(node.refs)
    return n


def run(entry: str, names: list[str] | None = None):
    """Run ``ENTRIES[entry]`` over every kind (or ``names``); yield one result dict per kind."""
    from tests.core import _hostile_entries  # (here: the entry points import this module)

    fn = _hostile_entries.ENTRIES[entry]
    factories = kinds()
    for name, factory in factories.items():
        if names and name not in names:
            continue
        t0 = time.perf_counter()
        try:
            obj = factory()
        except Exception as exc:  # noqa: BLE001 - a kind this Python cannot build
            yield {"kind": name, "ok": True, "skipped": f"cannot build: {exc!r:.200}"}
            continue
        holder = Holder(obj)
        HOLD[name] = holder
        try:
            detail = fn(obj, holder, name)
            result = {"kind": name, "ok": True, "detail": _jsonable(detail),
                      "seconds": round(time.perf_counter() - t0, 3)}
        except BaseException as exc:  # the point: report anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            result = {"kind": name, "ok": False, "error": f"{type(exc).__name__}: {_safe(exc)}",
                      "where": "".join(tb[-3:])[-1500:], "seconds": round(time.perf_counter() - t0, 3)}
            del exc, tb
        finally:
            HOLD.pop(name, None)
            del holder, obj
            gc.collect()
        yield result


def _safe(exc) -> str:
    try:
        return str(exc)[:300].encode("utf-8", "backslashreplace").decode("utf-8")
    except BaseException:  # noqa: BLE001
        return "<str failed>"


def _jsonable(detail):
    try:
        json.dumps(detail)
        return detail
    except (TypeError, ValueError):
        return _safe(detail)


def run_all(entry: str):
    """Run ``ENTRIES[entry]`` once, with every kind alive at once (whole-heap entry
    points: a heap walk, ``asizeof(all=True)``); one result dict."""
    from tests.core import _hostile_entries

    fn = _hostile_entries.ENTRIES[entry]
    objs = []
    for factory in kinds().values():
        try:
            objs.append(factory())
        except Exception:  # noqa: BLE001 - a kind this Python cannot build
            continue
    holder = Holder(objs)
    HOLD["all"] = holder
    t0 = time.perf_counter()
    try:
        detail = fn(objs, holder, "all")
        return {"kind": "all", "ok": True, "detail": _jsonable(detail),
                "seconds": round(time.perf_counter() - t0, 3)}
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return {"kind": "all", "ok": False, "error": f"{type(exc).__name__}: {_safe(exc)}",
                "where": "".join(tb[-3:])[-1500:], "seconds": round(time.perf_counter() - t0, 3)}


if __name__ == "__main__":
    import faulthandler
    import os

    if os.environ.get("HOSTILE_DUMP_AFTER"):  # where a hang is: a traceback before the kill
        faulthandler.dump_traceback_later(float(os.environ["HOSTILE_DUMP_AFTER"]), exit=True)
    _entry = sys.argv[1]
    _names = sys.argv[2:] or None
    for _r in ([run_all(_entry)] if _names == ["--all"] else run(_entry, _names)):
        sys.__stdout__.write(MARK + json.dumps(_r, ensure_ascii=True) + "\n")
        sys.__stdout__.flush()
