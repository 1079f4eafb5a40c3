"""Issue 17 in a real Jupyter kernel (ipykernel, run by nbclient): item 23 (``%whyalive``'s
release plan stays right after IPython moves ``_`` to ``__``) and item 25 (the kernel's own
background objects never show in ``%%memdiff`` or ``SummaryTracker`` diffs)."""

from __future__ import annotations

import json
import pathlib

import pytest

REPO = str(pathlib.Path(__file__).resolve().parents[1])

pytestmark = pytest.mark.kernel


def _run_cells(cells: list[str], tmp_path, more=None, prepare=None) -> list:
    """Execute ``cells`` in one fresh kernel; ``more(run)`` may then run more cells, one
    ``run(src)`` each (it appends the cell and returns it, executed); ``prepare(client)``
    runs once the kernel is up, before the cells. Returns the cells."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        if prepare is not None:
            prepare(client)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        if more is not None:
            def run(src: str):
                cell = nbformat.v4.new_code_cell(src)
                nb.cells.append(cell)
                client.execute_cell(cell, len(nb.cells) - 1)
                return cell

            more(run)
    return nb.cells


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _displayed(cell) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", [])
                     if o.get("output_type") in ("display_data", "execute_result"))


def _errors(cells) -> list:
    return [(o.get("ename"), o.get("evalue")) for c in cells for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


SETUP = (f"import sys; sys.path[:0] = [{REPO!r}]\n%load_ext pympler_nb\n"
         "import gc, json, weakref, asyncio\n"
         "class Big:\n    def __init__(self):\n        self.payload = bytearray(2_000_000)\n")


# (outputs shown in between, the %whyalive line, where the object will be when the plan
# runs); the object was a cell's output, never assigned
WHYALIVE_CASES = [
    (0, "%whyalive Out[{n}]", "__"),  # the table becomes _, the object moves to __
    (0, "%whyalive _", "__"),  # the same, named by _
    (0, "%whyalive Out[{n}];", "_"),  # silenced: no output, nothing moves
    (0, "x = 1\n%whyalive Out[{n}]", "__"),  # the last line of a longer cell
    (0, "r = %whyalive Out[{n}]", "_"),  # assigned: nothing moves
    (1, "%whyalive Out[{n}]", "___"),  # in __ already: moves to ___
    (2, "%whyalive Out[{n}]", None),  # in ___ already: moves out by itself
]


def test_whyalive_plan_stays_right_after_the_output_shifts(tmp_path):
    """Issue 17, item 23: each case makes an unassigned object (a cell's output), asks
    %whyalive about it, then runs the printed plan in the very next cell: the object is
    freed (before the fix, the plan cleared `_`, which by then held %whyalive's table)."""
    plans: dict[int, str] = {}

    def cases(run):
        for k, (outputs, line, _where) in enumerate(WHYALIVE_CASES):
            made = run("Big()")
            n = made.execution_count
            run(f"probe{k} = weakref.ref(Out[{n}])")
            for i in range(outputs):
                run(f"'another output {i}'")
            shown = _displayed(run(line.format(n=n)))
            plan = [ln for ln in shown.splitlines() if ln.strip().startswith("to release it:")]
            assert plan, shown
            plans[k] = plan[0].split("to release it:", 1)[1].rsplit(" frees ", 1)[0].strip()
            run(f"{plans[k]}\ngc.collect()\nprint('FREED', probe{k}() is None)")

    cells = _run_cells([SETUP], tmp_path, cases)
    assert not _errors(cells), (_errors(cells), plans)
    freed = [_stdout(c).split("FREED", 1)[1].strip() for c in cells if "FREED" in _stdout(c)]
    assert freed == ["True"] * len(WHYALIVE_CASES), (freed, [plans[k] for k, f in enumerate(freed) if f != "True"])
    # the names the plans use: as the underscores read when the plan runs
    for k, (_outputs, _line, where) in enumerate(WHYALIVE_CASES):
        names = [name for name in ("_", "__", "___") if f"{name} = get_ipython().displayhook.{name} = None" in plans[k]]
        assert names == ([where] if where else []), (k, plans[k])


IDLE = 10


def test_idle_cells_leave_out_the_kernels_background_objects(tmp_path):
    """Issue 17, item 25: in ten idle cells in a row, neither %%memdiff nor SummaryTracker
    diffs show the kernel's timers, handles, tasks or queued output (left out by who holds
    them: the kernel's loops, its service tasks and what they await, the IOPub queue,
    asyncio's task registries): the %%memdiff and SummaryTracker diffs are empty; and the
    three Futures the user makes in a cell are shown, all three."""
    cells = [SETUP + "from pympler_nb.core.tracker import SummaryTracker\n"]
    # the first %%memdiff of a kernel leaves first-use caches (two method-wrappers, a tuple
    # and an int: 176 B): one warm-up cell, as for the tracker below
    cells += ["%%memdiff -q\npass"] * (IDLE + 1)
    cells += ["%%memdiff -q\nfuts = [asyncio.get_running_loop().create_future() for _ in range(3)]"]
    # the first print of a kernel and the first json.dumps(default=...) create objects that
    # stay (output machinery, encoder caches): one warm-up cell before the tracker's diffs
    cells += ["print('warm-up', json.dumps([], default=str))\ntr = SummaryTracker()\nrows = tr.diff()"]
    cells += ["rows = tr.diff()\nprint('WARM', json.dumps(rows, default=str))"]
    cells += ["rows = tr.diff()\nprint('DIFF', json.dumps(rows, default=str))"] * IDLE
    cells += ["futs2 = [asyncio.get_running_loop().create_future() for _ in range(3)]\nrows = tr.diff()\n"
              "print('DIFF', json.dumps(rows, default=str))"]
    cells = _run_cells(cells, tmp_path)
    assert not _errors(cells), _errors(cells)
    memdiffs = [_displayed(c) for c in cells[2:2 + IDLE + 1]]
    for text in memdiffs[:IDLE]:
        assert text.startswith("Empty DataFrame"), memdiffs  # nothing at all, noise or not
    user = {line.split()[1]: int(line.split()[2]) for line in memdiffs[IDLE].splitlines()[1:]}
    assert user.get("_asyncio.Future") == 3, memdiffs[IDLE]
    diffs = [json.loads(_stdout(c).split("DIFF", 1)[1]) for c in cells if "DIFF" in _stdout(c)]
    assert len(diffs) == IDLE + 1
    # nothing at all: not the IOPub thread's sleep loop turning over its timer and future
    # between two cells (left out right before the listing, not earlier: a callback found
    # earlier may have run by then, and what was kept of it would be counted)
    for rows in diffs[:IDLE]:
        assert rows == [], diffs
    assert {row[0]: row[1] for row in diffs[IDLE]}.get("_asyncio.Future") == 3, diffs[IDLE]


def test_idle_cells_across_counter_boundaries(tmp_path):
    """Issue 17, item 25, the rarer noise: when a message counter gains a digit (the
    client's request ids, the kernel's reply ids) or a count leaves the small-int cache
    (execution count, the kernel's message count past 256), the request messages a kernel
    keeps until the next request (in its context variables) and the counters themselves
    change size. Counters set just below the boundaries: ten idle cells cross them all,
    and every SummaryTracker diff stays empty."""
    def prepare(client):
        client.kc.session.message_count = 992  # the client's msg ids: _999 -> _1000

    setup = (SETUP + "from pympler_nb.core.tracker import SummaryTracker\n"
             "get_ipython().execution_count = get_ipython().kernel.execution_count = 250\n")
    # the kernel's message count is set in the last cell before the diffs: how many messages
    # a cell sends varies (status, input, streams, reply), so it is set close to the boundary
    cells = [setup, "print('warm-up', json.dumps([], default=str))\ntr = SummaryTracker()\nrows = tr.diff()",
             "rows = tr.diff()\nprint('WARM', json.dumps(rows, default=str))\n"
             "get_ipython().kernel.session.message_count = 990"]  # the kernel's ids: 4 digits
    cells += ["rows = tr.diff()\nk = get_ipython().kernel\nprint('DIFF', json.dumps(rows, default=str), "
              "k.execution_count, k.session.message_count, k.get_parent()['header']['msg_id'][-5:])"] * IDLE
    cells = _run_cells(cells, tmp_path, prepare=prepare)
    assert not _errors(cells), _errors(cells)
    lines = [_stdout(c).split("DIFF", 1)[1].strip() for c in cells if "DIFF" in _stdout(c)]
    assert len(lines) == IDLE
    # the boundaries were crossed during the idle cells
    first, last = lines[0].rsplit(" ", 3)[1:], lines[-1].rsplit(" ", 3)[1:]
    assert int(first[0]) <= 256 < int(last[0]), (first, last)
    assert int(first[1]) < 1000 <= int(last[1]), (first, last)
    assert not first[2].endswith("_1000") and "_10" in last[2], (first, last)
    for line in lines:
        assert json.loads(line.rsplit(" ", 3)[0]) == [], lines
