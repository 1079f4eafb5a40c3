"""The names of size-tree nodes, made only when shown: ``[K] key``, ``[V] key: text``,
an object's registered ``label`` or its clipped ``repr``."""

from __future__ import annotations

from ._format import class_name, clip_text, safe_repr
from ._sizerules import SAFE_CATCH, rule_registry


def key_text(key, vclip):
    return clip_text(key if type(key) is str else safe_repr(key, vclip), vclip)


_NO_LABEL = object()


def _label_rule(tp):
    """The ``label`` of the rule that applies to ``tp`` (None: use ``repr``)."""
    try:
        mro = type.__dict__["__mro__"].__get__(tp)
    except SAFE_CATCH:
        return None
    for i, klass in enumerate(mro):
        rule = rule_registry.get(class_name(klass))
        if rule is not None and rule.label is not None and (i == 0 or rule.subclasses):
            return rule.label
    return None


_TEXT_CONTAINERS = (list, tuple, dict, set, frozenset)
_TEXT_CONTAINER_IDS = frozenset(map(id, _TEXT_CONTAINERS))  # by id: no metaclass __eq__ runs


def _container_text(obj, labels, budget, path=()) -> str:
    """``repr`` of an exact builtin container whose items are shown by their texts
    (:func:`_obj_text`: a rule's label instead of, e.g., a DataFrame's repr, which fills
    the frame's caches). Only about ``budget`` characters from each end are made (the
    middle of a long text is elided by :func:`clip_text` anyway); nesting beyond 3
    levels is shown by plain ``repr``."""
    tp = type(obj)
    if id(obj) in path:
        return "[...]" if tp is list else "{...}" if tp is dict else "(...)"
    path = path + (id(obj),)

    def text(x):
        if id(type(x)) in _TEXT_CONTAINER_IDS:
            if len(path) < 3:
                return _container_text(x, labels, budget, path)
            return safe_repr(x, 0)
        return _obj_text(x, 0, labels)

    if tp is dict:
        n = len(obj)
        forward, backward = iter(dict.items(obj)), reversed(dict.items(obj))

        def part(kv):
            return f"{text(kv[0])}: {text(kv[1])}"
    else:
        items = obj if tp is list or tp is tuple else list(obj)  # no copy of a list or tuple
        n = len(items)
        forward, backward = iter(items), reversed(items)
        part = text
    head, used, i = [], 0, 0
    while i < n and used <= budget:
        head.append(part(next(forward)))
        used += len(head[-1]) + 2
        i += 1
    tail, used, j = [], 0, n
    while j > i and used <= budget:
        j -= 1
        tail.append(part(next(backward)))
        used += len(tail[-1]) + 2
    parts = head + ([" ... "] if j > i else []) + tail[::-1]
    inner = ", ".join(parts)
    if tp is list:
        return "[" + inner + "]"
    if tp is tuple:
        return "(" + inner + ("," if n == 1 else "") + ")"
    if tp is dict:
        return "{" + inner + "}"
    if not n:
        return "set()" if tp is set else "frozenset()"
    return "{" + inner + "}" if tp is set else "frozenset({" + inner + "})"


def _obj_text(obj, vclip, labels=None) -> str:
    """A tree's text for ``obj``: its rule's ``label``, else its clipped repr (an exact
    builtin container: with its items' texts)."""
    tp = type(obj)
    if id(tp) in _TEXT_CONTAINER_IDS and rule_registry:
        try:
            return clip_text(_container_text(obj, labels, vclip if vclip > 0 else 1 << 62), vclip)
        except SAFE_CATCH:
            return safe_repr(obj, vclip)
    fn = labels.get(id(tp), _NO_LABEL) if labels is not None else _NO_LABEL  # by id: no metaclass __hash__
    if fn is _NO_LABEL:
        fn = _label_rule(tp)
        if labels is not None:
            labels[id(tp)] = fn
    if fn is not None:
        try:
            text = fn(obj)
            if type(text) is str:
                return clip_text(text, vclip)
        except SAFE_CATCH:
            pass
    return safe_repr(obj, vclip)


def name_text(name, clip, labels=None) -> str:
    """The text of a tree node's name, which is made only when it is needed (after the
    sizing: ``repr`` may change objects, e.g. pandas fills caches when printed).

    ``name`` is a str, or ``("r", prefix, obj)`` (prefix + the object's text: its
    rule's ``label`` or clipped repr), ``("k", key)`` (``[K] key``) or ``("v", key,
    value)`` (``[V] key: text``). ``labels`` caches the label rule per type.
    """
    if type(name) is not tuple:
        return name
    vclip = max(clip, 1)
    tag = name[0]
    if tag == "r":
        return name[1] + _obj_text(name[2], vclip, labels)
    if tag == "k":
        return "[K] " + key_text(name[1], vclip)
    return "[V] " + key_text(name[1], vclip) + ": " + _obj_text(name[2], vclip, labels)


