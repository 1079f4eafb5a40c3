"""Both paths of the core: the C loops of ``pympler_nb._speedups`` and pure Python.

The whole core suite runs on either path: ``pytest tests/core`` uses the extension when
it is built (``pip install -e .`` or ``python hatch_build.py``), ``PYMPLER_NB_PURE=1
pytest tests/core`` the pure-Python path. A test that compares the two in one process
takes the ``both_paths`` fixture (each test runs once per path) or uses
``pympler_nb.core._accel.pure_path()`` directly.
"""

from __future__ import annotations

import tracemalloc

import pytest

from pympler_nb.core import _accel


@pytest.fixture(params=["accelerated", "pure"])
def both_paths(request):
    """Run the test once on each path (``'accelerated'`` needs the built extension)."""
    if request.param == "pure":
        with _accel.pure_path():
            yield "pure"
        return
    if _accel.speedups() is None:
        pytest.skip(f"the accelerated path does not run here: {_accel.why_pure()}")
    yield "accelerated"


@pytest.fixture
def tracing():
    """tracemalloc tracing (5 frames) for the test, unless it was on already."""
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start(5)
    yield
    if not was:
        tracemalloc.stop()
