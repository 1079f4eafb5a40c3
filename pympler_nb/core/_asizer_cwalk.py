"""The bridge to the walk in C (``asizeof_walk`` of ``pympler_nb._speedups``,
src/speedups/asizeof.c) of :class:`Asizer` (a mixin): :meth:`~CWalk._walk` and
:meth:`~CWalk._walk_many` run it, or the pure walk of :mod:`._asizer_walk`."""

from __future__ import annotations

import sys
from functools import partial

from . import _layout
from ._accel import speedups
from ._sizerules import (
    IGNORE_ID_TYPES,
    INT_FIX,
    INT_ONE_DIGIT,
    INT_SIZEOF,
    ignore_version,
    static_token,
)
from .gcsafe import ASYNCIO_FREELIST_BUG


# the walk in C: ``asizeof_walk`` of pympler_nb._speedups (src/speedups/asizeof.c), None on
# the pure-Python path (asked per call: ``_accel.pure_path()`` switches it off)
def c_walk():
    """``asizeof_walk`` of the C extension, or None on the pure-Python path."""
    mod = speedups()
    return None if mod is None else mod.asizeof_walk


_OBJECT_SIZEOF = object.__sizeof__


class CWalk:
    """The walk dispatch of :class:`Asizer` (a mixin): the C walk, its configuration and
    accounting; the pure walk where the C walk does not apply."""

    def _c_config(self, ctx, forget=False):
        """The configuration tuple of the C walk (see csrc/asizeof.c): the sizer's state
        and the Python rules it calls back, per group of same-type objects. ``forget``:
        the walk leaves ``seen`` as it was (nothing asks it again after this walk)."""
        return (self._seen, ctx.ignore, self._limit, partial(self._info, ctx), partial(self._size_group, ctx),
                self._values_state, self._flat_one, _layout.split_dict_correction, INT_SIZEOF, _OBJECT_SIZEOF,
                INT_ONE_DIGIT, INT_FIX, sys.modules.get("_asyncio") if ASYNCIO_FREELIST_BUG else None,
                self._busy or forget,  # asizeof()'s sizer, a last walk: ``seen`` is dropped after
                IGNORE_ID_TYPES, _layout.SUPPORTED, _layout.DICT_SIZE, ignore_version(ctx.ignore),
                # the C walk keeps static types' plans across calls under this key (as
                # _info keeps their TypeInfo in STATIC_INFO); None: per call only
                None if self._excl_types else static_token(self._ignored, self._infer))

    @staticmethod
    def _values_state(tp, info):
        """3.11/3.12: the values-array state of ``tp`` for this call (as :meth:`_hidden` reads it)."""
        if info.state is None and _layout.SUPPORTED and _layout.PRE_313:
            info.state = _layout.values_state(tp) or ()
        return info.state or None

    def _c_account(self, dup, count, depth, profiles):
        self._duplicate += dup
        self._seen_count += count
        if depth > self._depth:
            self._depth = depth
        for info, n, flat in profiles:
            prof = self._profiles.get(info.name)
            if prof is None:
                self._profiles[info.name] = [n, flat, info]
            else:
                prof[0] += n
                prof[1] += flat

    def _walk(self, ctx, roots, depth0=0, free_roots=True, given=False):
        """Size ``roots`` and all they reach; return the total (also added to ``total``).

        In C (``pympler_nb._speedups``) unless on the pure-Python path, ``align > 1``,
        ``stats``, a ``limit`` (an instance's values array is a level of its own there) or
        roots given directly that are sized only because they were given (a class, module,
        code object...: :meth:`_given_info`): then :meth:`_walk_py`, the pure walk the C
        walk gives the same results as.
        """
        walk = c_walk()
        if (walk is None or self._align > 1 or self._stats or self._limit is not None
                or (given and free_roots and self._given_differs(ctx, roots))):
            return self._walk_py(ctx, roots, depth0, free_roots, given)
        total, root_flat, dup, count, depth, profiles = walk(self._c_config(ctx), roots, depth0, free_roots, None)
        self._c_account(dup, count, depth, profiles)
        self._root_flat = root_flat
        self._total += total
        return total

    def _given_differs(self, ctx, roots) -> bool:
        """Whether a root's type is sized otherwise when given directly (:meth:`_given_info`)."""
        special = self._given_special
        for o in roots:  # (a loop: one root is the common case)
            if special(self._info(ctx, type(o))):
                return True
        return False

    def _walk_many(self, ctx, roots, free=frozenset(), ignored_roots=False, last=False):
        """Size many roots as if one after the other: ``(sizes, flats, hiddens)`` (see
        :meth:`_walk_many_py`), in C (one walk per root) where :meth:`_walk` is.
        ``ignored_roots``: a root that ``ctx.ignore`` holds (a small int, a module dict)
        counts 0, as an object below the roots does (``free`` roots are sized all the same).
        ``last``: the last walk of a sizer that is dropped after it (``size_trees(final=True)``):
        in C it then leaves ``seen`` as it was (what it counted is never asked again), not a
        million ids added to it."""
        walk = c_walk()
        if walk is None or self._limit is not None or self._align > 1 or self._stats:
            if not ignored_roots:
                return self._walk_many_py(ctx, roots, free)
            # marked as counted for the walk's first level only
            seen = self._seen
            ign = ctx.ignore.intersection(map(id, roots)) if ctx.ignore else None
            if ign:
                ign -= seen
                seen |= ign
            try:
                return self._walk_many_py(ctx, roots, free)
            finally:
                if ign:
                    seen -= ign
        free = free if type(free) is set else set(free)
        sizes, flats, hiddens, dup, count, depth, profiles = walk(self._c_config(ctx, last), roots, 0,
                                                                  not ignored_roots, free)
        self._c_account(dup, count, depth, profiles)
        self._total += sum(sizes)
        if -1 in hiddens:  # a root sized by a Python rule: its values array read here
            for k, h in enumerate(hiddens):
                if h == -1:
                    tp = type(roots[k])
                    state = self._values_state(tp, self._info(ctx, tp))
                    hiddens[k] = _layout.instances_hidden_each([roots[k]], tp, state)[0][0]
        return sizes, flats, hiddens
