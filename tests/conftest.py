"""Fixtures shared by the test files."""

from __future__ import annotations

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
