"""Fixtures shared by the test files, and the ``browser`` tier (``tests/browser/``).

The tiers are markers (``pyproject.toml``): ``slow``, ``kernel``, ``notebooks``, ``browser``;
``pytest -m "not slow and not browser"`` runs the rest. Helpers for running cells in the
``shell`` fixture are in ``tests/_ipython.py``.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

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


_FRESH = "PYMPLER_NB_FRESH_PROCESS"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test marked ``fresh_process`` runs in a new interpreter (``python -m pytest NODEID``)
    and passes when that run passes: its RSS figures must not depend on what earlier tests
    of the same (xdist) process left resident or changed in the allocator."""
    if pyfuncitem.get_closest_marker("fresh_process") is None or os.environ.get(_FRESH):
        return None
    root = pathlib.Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", pyfuncitem.nodeid],
                          cwd=root, env=dict(os.environ, **{_FRESH: "1"}), capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:  # the inner run's report in full (an assert would shorten it)
        pytest.fail(f"{pyfuncitem.nodeid} failed in a fresh interpreter:\n{done.stdout[-8000:]}\n"
                    f"{done.stderr[-2000:]}", pytrace=False)
    return True
