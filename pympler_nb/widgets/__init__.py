"""Jupyter widgets of pympler_nb (anywidget): the size tree and the reference graph.

Their front ends are plain ES modules under ``js/`` bundled by esbuild into
``pympler_nb/static/`` (``npm ci && npm run build``); nothing is loaded from a CDN.

* :class:`SizeTree` -- deep sizes as an expandable tree; children fetched on demand
  through a validated custom message (:class:`TreeSource` is the data protocol).
* :class:`RefGraph` -- a reference graph laid out in the browser by Graphviz compiled to
  WebAssembly (no ``dot`` executable needed), with pan, zoom and node details.
"""

from ._static import BundleMissingError
from .ref_graph import RefGraph
from .reference import ReferenceTreeSource
from .size_tree import (
    AsizedTreeSource,
    NodeGone,
    NodeInfo,
    ObjectTreeSource,
    SizedTreeSource,
    SizeTree,
    StaticSizeTree,
    TreeSource,
)

__all__ = [
    "SizeTree",
    "StaticSizeTree",
    "RefGraph",
    "TreeSource",
    "ObjectTreeSource",
    "AsizedTreeSource",
    "SizedTreeSource",
    "ReferenceTreeSource",
    "NodeInfo",
    "NodeGone",
    "BundleMissingError",
]
