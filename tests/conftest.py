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
    from tests._ipython import start_shell, stop_shell  # (imports IPython: only when used)

    ip = start_shell()
    yield ip
    stop_shell(ip)


_BROWSER = pathlib.Path(__file__).parent / "browser"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    """Every test under ``tests/browser/`` is in the ``browser`` tier."""
    for item in items:
        if _BROWSER in item.path.parents:
            item.add_marker(pytest.mark.browser)
