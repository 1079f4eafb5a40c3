"""Guards on the package's internal interfaces (issue 16 item 5), read with ``ast``.

1. No module of ``pympler_nb`` takes a private name of *another* of our modules:
   ``from .muppy import _walk``, or ``muppy._walk`` through an imported module. A private
   module (``core/_format.py``) is package-internal: its public names are its interface,
   its ``_names`` are not.
2. The views (``magics*.py``, ``frames*.py``, ``charts.py``, ``graphs.py``, ``widgets/``,
   ``_frame_text.py``) never reach into the core: no core private module, and no private
   attribute that a core class defines (``snap._dom_data``, ``stats._guard``) on any
   object but their own (``self``/``cls``). They render core results; the core gives them
   a public entry point.

What exists today is listed in ``ALLOWED`` with a reason; the list only shrinks: a new use
fails with its file:line and the fix, an entry that is no longer used fails too (delete it).
"""

from __future__ import annotations

import ast
import functools
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PKG = ROOT / "pympler_nb"
VIEW_FILES = ("magics", "frames", "charts", "graphs", "_frame_text")  # file stems (prefixes)


def _allow(path: str, names: str, reason: str) -> dict[tuple[str, str], str]:
    return {(path, name): reason for name in names.split()}


# (file, what) -> why it is still there. `what` is the private name with its module
# ("pympler_nb.core.muppy._walk"), or ".attr" for a core private attribute used by a view.
# Empty since issue 16: a new entry needs a reason that one module truly is one unit.
ALLOWED: dict[tuple[str, str], str] = {}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules() -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (packages by their ``__init__``)."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _rel(path: pathlib.Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _absolute(module: str, path: pathlib.Path, level: int, name: str | None) -> str:
    """The dotted name a (relative) ``from ... import`` refers to."""
    if level == 0:
        return name or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _is_view(path: pathlib.Path) -> bool:
    rel = path.relative_to(PKG)
    return rel.parts[0] == "widgets" or (len(rel.parts) == 1 and rel.stem.startswith(VIEW_FILES))


def _in_core(module: str) -> bool:
    return module == "pympler_nb.core" or module.startswith("pympler_nb.core.")


def _private_module(module: str) -> bool:
    return any(_is_private(p) for p in module.split("."))


def _core_private_attributes() -> set[str]:
    """Private attribute names that core classes define (assigned, slots, methods, class attributes)."""
    names = set()
    for module, path in MODULES.items():
        if not _in_core(module):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _is_private(node.attr):
                names.add(node.attr)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_private(item.name):
                        names.add(item.name)
                    elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                        for target in targets:
                            if isinstance(target, ast.Name) and target.id == "__slots__" and item.value is not None:
                                names.update(c.value for c in ast.walk(item.value)
                                             if isinstance(c, ast.Constant) and isinstance(c.value, str)
                                             and _is_private(c.value))
                            elif isinstance(target, ast.Name) and _is_private(target.id):
                                names.add(target.id)
    return names


def _uses(src: str, path: pathlib.Path, module: str, core_attrs: set[str]):
    """Yield (line, what, fix) for every private use of another module in ``src`` (of ``path``)."""
    tree = ast.parse(src, str(path))
    view = _is_view(path)
    aliases: dict[str, str] = {}  # local name -> one of our modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node.level, node.module)
            if source.split(".")[0] != "pympler_nb" or source == module:
                continue
            if view and _in_core(source) and _private_module(source):
                yield node.lineno, source, (f"a view imports the core's private module {source}: "
                                            "use (or add) a public core entry point")
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:
                    aliases[alias.asname or alias.name] = full
                    if view and _in_core(full) and _private_module(full):
                        yield node.lineno, full, (f"a view imports the core's private module {full}: "
                                                  "use (or add) a public core entry point")
                elif _is_private(alias.name):
                    yield node.lineno, full, (f"make {alias.name} public in {source} (a named entry point) "
                                              "or move the code that needs it there")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name] = alias.name
                    if view and _in_core(alias.name) and _private_module(alias.name):
                        yield node.lineno, alias.name, (f"a view imports the core's private module {alias.name}: "
                                                        "use (or add) a public core entry point")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        base = ast.unparse(node.value)
        target = aliases.get(base, base if base in MODULES else None)
        if target is not None:
            if target != module:
                yield node.lineno, f"{target}.{node.attr}", (f"make {node.attr} public in {target} "
                                                             "(a named entry point) or move the code there")
        elif view and node.attr in core_attrs and base not in ("self", "cls"):
            yield node.lineno, f".{node.attr}", (f"{base}.{node.attr} is a core object's private attribute: "
                                                 "views render core results; give the core class a public "
                                                 "method or property for it")


@functools.cache
def _scan():
    core_attrs = _core_private_attributes()
    found = {}
    for module, path in MODULES.items():
        for line, what, fix in _uses(path.read_text(encoding="utf-8"), path, module, core_attrs):
            found.setdefault((_rel(path), what), []).append((line, fix))
    return found


def test_scanner_sees_private_uses():
    """The scanner itself: every form it must catch, on sources written for the test."""
    core_attrs = {"_dom_data"}
    src = ("from .core.muppy import _walk, get_objects\n"
           "from .core import _format\n"
           "from .core import summary as S\n"
           "import pympler_nb.core.asizeof\n"
           "def f(snap, parser):\n"
           "    S._rows(1); pympler_nb.core.asizeof._typename(2); snap._dom_data; parser._actions\n"
           "    return self._dom_data\n")
    path = PKG / "frames_guard_probe.py"  # a view's file name (never written)
    uses = sorted((line, what) for line, what, _ in _uses(src, path, "pympler_nb.frames_guard_probe", core_attrs))
    assert uses == [(1, "pympler_nb.core.muppy._walk"), (2, "pympler_nb.core._format"), (6, "._dom_data"),
                    (6, "pympler_nb.core.asizeof._typename"), (6, "pympler_nb.core.summary._rows")]
    # the same source in the core: the core's own private modules and attributes are its own
    core_path = PKG / "core" / "guard_probe.py"
    core_src = src.replace("from .core.", "from .").replace("from .core", "from .")
    uses = sorted(what for _, what, _ in _uses(core_src, core_path, "pympler_nb.core.guard_probe", core_attrs))
    assert uses == ["pympler_nb.core.asizeof._typename", "pympler_nb.core.muppy._walk",
                    "pympler_nb.core.summary._rows"]


def test_no_new_private_uses():
    found = _scan()
    new = [(path, what, uses) for (path, what), uses in sorted(found.items()) if (path, what) not in ALLOWED]
    lines = [f"{path}:{line}: {what}: {fix}" for path, what, uses in new for line, fix in uses]
    assert not lines, ("private names used across modules (or core internals in a view); fix them, "
                       "or if one truly must stay add (file, name) to ALLOWED in tests/test_architecture.py "
                       "with a reason:\n" + "\n".join(lines))


def test_allow_list_has_no_stale_entries():
    found = _scan()
    stale = [f"{path}: {what} ({reason})" for (path, what), reason in sorted(ALLOWED.items())
             if (path, what) not in found]
    assert not stale, ("no longer used: delete these entries from ALLOWED in tests/test_architecture.py:\n"
                       + "\n".join(stale))


def test_core_imports_only_the_core():
    """The layering from the other side: no core module imports a view or the package's top
    level (``pympler_nb.magics``, ``pympler_nb.widgets``, ``pympler_nb.frames`` ...)."""
    bad = []
    for module, path in MODULES.items():
        if not _in_core(module):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                sources = [_absolute(module, path, node.level, node.module)]
                if node.module is None:  # from .. import x
                    sources = [f"{sources[0]}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                sources = [a.name for a in node.names]
            else:
                continue
            bad += [f"{_rel(path)}:{node.lineno}: imports {s}: the core never imports the views"
                    for s in sources if s.split(".")[0] == "pympler_nb" and not _in_core(s)]
    assert not bad, "\n".join(bad)
