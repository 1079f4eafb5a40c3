"""``%reclaim`` in a real Jupyter kernel (ipykernel, run by nbclient): the split adds up,
the holders' plan printed under the chart frees the array when run in the next cell (the
table became ``_``: the plan names the underscores as they read then), ``--run`` gives
heap back, and fd 2 points where the kernel had it after the allocator statistics were
read through it."""

from __future__ import annotations

import json
import sys

import pytest

from pympler_nb.core import reclaim
from tests.test_kernel_session import SETUP, _displayed, _errors, _run_cells, _stdout

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]


def test_reclaim_in_a_kernel(tmp_path):
    plan: list[str] = []

    def more(run):
        run("import os\nfd2 = os.fstat(2)\nfd2 = (fd2.st_dev, fd2.st_ino)")
        run("import numpy as np\narr = np.ones(30 * 2**20 // 8)\nref = weakref.ref(arr)")
        run("arr")
        shown = _displayed(run("%reclaim --holders 2"))
        line = next(ln for ln in shown.splitlines() if ln.strip().startswith("arr "))
        plan.append(line.split(": ", 1)[1])
        run(plan[0])
        run("gc.collect()\nprint(json.dumps({'freed': ref() is None}))")
        run("split = _\nprint(json.dumps({'sum': int(split['bytes'].sum()), "
            "'rss': split.attrs['rss'], 'over': split.attrs['overcount']}))")
        run("rows = [('%07d' % i) * 100 for i in range(300_000)]\nkeep = rows[::100]\ndel rows")
        run("t = %reclaim --run -q\nprint(json.dumps({'returned': int(t['returned'][0])}))")
        run("now = os.fstat(2)\nprint(json.dumps({'fd2': (now.st_dev, now.st_ino) == fd2}))")

    cells = _run_cells([SETUP], tmp_path, more)
    assert not _errors(cells), _errors(cells)
    out = [json.loads(line) for c in cells for line in _stdout(c).splitlines() if line.startswith("{")]
    freed, split, trimmed, fd2 = out
    assert "del arr" in plan[0] and "__" in plan[0], plan  # the table is `_`: arr moved to `__`
    assert freed["freed"] is True
    assert split["sum"] == split["rss"] + split["over"] and split["over"] <= 0.05 * split["rss"]
    if reclaim.glibc() is not None:  # (the kernel runs on this machine's C library)
        assert trimmed["returned"] > 100 * 2**20
    assert fd2["fd2"] is True  # fd 2 is back where the kernel had it
