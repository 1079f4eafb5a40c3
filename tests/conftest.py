"""Fixtures shared by the test files, and the ``browser`` tier (``tests/browser/``).

The tiers are markers (``pyproject.toml``): ``slow``, ``kernel``, ``notebooks``, ``browser``;
``pytest -m "not slow and not browser"`` runs the rest. Helpers for running cells in the
``shell`` fixture are in ``tests/_ipython.py``.
"""

from __future__ import annotations

import pathlib

import pytest


@pytest.fixture(scope="module")
def shell():
    """An IPython shell with the extension loaded; one a module, unloaded at its end."""
    from IPython.core.interactiveshell import InteractiveShell  # core tests run without it

    ip = InteractiveShell.instance()
    ip.run_cell("%load_ext pympler_nb", store_history=True).raise_error()
    ip.run_cell("1 + 1", store_history=True)  # the session has displayed before (formatters exist)
    yield ip
    ip.run_cell("%unload_ext pympler_nb", store_history=True)
    InteractiveShell.clear_instance()


_BROWSER = pathlib.Path(__file__).parent / "browser"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    """Every test under ``tests/browser/`` is in the ``browser`` tier."""
    for item in items:
        if _BROWSER in item.path.parents:
            item.add_marker(pytest.mark.browser)
