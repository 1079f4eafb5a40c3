"""The built front-end bundles (``pympler_nb/static/*.js``) and a clear error when absent.

The bundles are built from ``js/`` by esbuild (``npm ci && npm run build``); they are
git-ignored, shipped in the wheel, and read when a widget is created (not at import, so
``import pympler_nb.widgets`` works in a fresh clone before the build).
"""

from __future__ import annotations

import pathlib

__all__ = ["STATIC", "BundleMissingError", "bundle_path", "read_bundle", "EsmBundle"]

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

_cache: dict[str, tuple[int, int, str]] = {}


class BundleMissingError(FileNotFoundError):
    """A widget's JavaScript bundle has not been built."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        super().__init__(
            f"the front-end bundle {path.name} of pympler_nb's widgets is missing ({path}); "
            f"run `pip install -e .` or `npm ci && npm run build` in the repo (needs Node.js "
            f"and npm: see package.json `engines`), or install a pympler_nb wheel or sdist, "
            f"which ship it")


def bundle_path(name: str) -> pathlib.Path:
    """Path of the bundle ``name`` (e.g. ``'size_tree.js'``); it may not exist."""
    return STATIC / name


def read_bundle(name: str) -> str:
    """Text of the bundle ``name``; re-read when the file changes (``npm run dev``).

    Raises
    ------
    BundleMissingError
        If the bundle was not built; the message says how to build it.
    """
    path = bundle_path(name)
    try:
        stat = path.stat()
    except OSError:
        raise BundleMissingError(path) from None
    cached = _cache.get(name)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise BundleMissingError(path) from None
    _cache[name] = (stat.st_mtime_ns, stat.st_size, text)
    return text


class EsmBundle:
    """Class attribute for an anywidget ``_esm``: the bundle text, read per instance.

    On the class it is this descriptor (which anywidget leaves alone at class creation);
    on an instance it is the text of the bundle, or :class:`BundleMissingError`.
    """

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return read_bundle(self.name)

    def __repr__(self):
        return f"<EsmBundle {self.name}>"
