"""pympler_nb.core.tracker: quiet diffs (plain interpreter and IPython), no kept
references, diff semantics, ObjectTracker in linear time."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import time
import weakref

import pytest

from pympler_nb.core import session, summary
from pympler_nb.core.asizeof import flatsize
from pympler_nb.core.tracker import ObjectTracker, SummaryTracker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(code: str, env: dict | None = None, timeout: int = 300) -> dict:
    """Run ``code`` in a fresh interpreter (a clean heap); it prints one JSON line."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=ROOT, env=full_env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Thing:
    pass


# ---------------------------------------------------------------------------
# quiet in a plain interpreter
# ---------------------------------------------------------------------------

PLAIN = """
import json
from pympler_nb.core.tracker import SummaryTracker
slots = [None] * 8          # results are kept in place: the script must not grow the heap
store = [None] * 1000
tr = SummaryTracker()
slots[0] = tr.diff()        # nothing happened since the tracker was created
slots[1] = tr.diff()
store[:] = [{} for _ in range(1000)]
slots[2] = tr.diff()        # exactly the 1000 dicts
tr.store_summary("before")
slots[3] = tr.diff()        # a stored summary is not counted
s = tr.create_summary()
slots[4] = tr.diff()        # nor a summary handed out
slots[5] = tr.diff(tr.summaries["before"])
print(json.dumps([[list(r) for r in res] for res in slots[:6]]))
"""


def test_quiet_plain_interpreter():
    res = run_script(PLAIN)
    assert res[0] == [] and res[1] == []
    assert res[2] == [["dict", 1000, 64000]]
    assert res[3] == [] and res[4] == [] and res[5] == []


def test_quiet_in_process():
    slots = [None] * 4
    store = [None] * 1000
    tr = SummaryTracker()
    slots[0] = tr.diff()
    slots[1] = tr.diff()
    store[:] = [{} for _ in range(1000)]
    slots[2] = tr.diff()
    slots[3] = tr.diff()
    # pytest runs nothing between these lines: the first diff may calibrate, the rest are exact
    assert slots[1] == [] and slots[3] == []
    assert slots[2] == [["dict", 1000, 64000]]
    del store


def test_step_shows_exactly_its_objects_and_nothing_of_the_tracker():
    holder = [None]
    tr = SummaryTracker()
    tr.diff()
    holder[0] = [Thing() for _ in range(500)]
    diff = tr.diff()  # (not inside a comprehension: its function object would be counted)
    rows = {r[0]: r[1:] for r in diff}
    # own sizes: sys.getsizeof plus each instance's values array (flatsize)
    assert rows.pop(f"{__name__}.Thing") == [500, sum(map(flatsize, holder[0]))]
    assert rows == {"list": [1, sys.getsizeof(holder[0])]}
    del holder


# ---------------------------------------------------------------------------
# quiet inside an IPython shell
# ---------------------------------------------------------------------------

IPYTHON = """
import json, sys
mode = sys.argv[1] if len(sys.argv) > 1 else "{mode}"
if mode == "globalipapp":
    from IPython.testing.globalipapp import start_ipython
    shell = start_ipython()
else:
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
NAMES, SLOTS, COUNT = [None] * 64, [None] * 64, [0]  # the harness must not grow the heap

def cell(src, key=None):
    src = "".join(list(src))  # a fresh string, as a front end sends it
    r = shell.run_cell(src, store_history=True)
    if r.error_before_exec or r.error_in_exec:
        raise SystemExit("cell failed: %r: %r" % (src, r.error_before_exec or r.error_in_exec))
    if key is not None:
        SLOTS[COUNT[0]] = r.result if r.result is not None else shell.user_ns["d"]
        NAMES[COUNT[0]] = key
        COUNT[0] += 1

KEYS = ["shown_%d" % i for i in range(3)]
cell("from pympler_nb.core.tracker import SummaryTracker")
cell("1 + 1")                 # a session has shown output before (IPython sets up formatters)
cell("print('hello')")
cell("store = [None] * 1000")
cell("tr = SummaryTracker()")
cell("store[:] = [{{}} for _ in range(1000)]")
cell("d = tr.diff()", "step")
cell("tr.diff()", "calibration")
cell("tr.diff()", KEYS[0])     # displayed: the diff sits in Out, _, _N
cell("tr.diff()", KEYS[1])     # (no loop here: its iterator would be alive during some cells)
cell("tr.diff()", KEYS[2])
cell("d = tr.diff()", "assigned")
cell("print(tr.diff())")
cell("d = tr.diff()", "after_print")
cell("x = 3\\nd = tr.diff()", "two_statements_calibration")
cell("x = 3\\nd = tr.diff()", "two_statements")
cell("def f():\\n    return tr.diff()\\nd = f()", "function_defined")
cell("def f():\\n    return tr.diff()\\nd = f()", "function_redefined")
cell("tr.diff()"); cell("tr.diff()"); cell("tr.diff()"); cell("tr.diff()"); cell("tr.diff()")
cell("d = tr.diff()", "after_many")
print(json.dumps({{k: [list(r) for r in SLOTS[i]] for i, k in enumerate(NAMES[:COUNT[0]])}}))
"""


@pytest.mark.parametrize("mode", ["default", "globalipapp"])
def test_quiet_in_ipython_shell(mode, tmp_path):
    pytest.importorskip("IPython")
    res = run_script(IPYTHON.format(mode=mode), env={"IPYTHONDIR": str(tmp_path)})
    assert res["step"] == [["dict", 1000, 64000]], res["step"]
    # after at most one calibration call, idle diffs are empty
    assert res["shown_0"] == res["shown_1"] == res["shown_2"] == [], res
    assert res["assigned"] == res["after_print"] == [], res
    assert res["two_statements"] == [] and res["after_many"] == [], res
    # a cell that defines a function shows that function (its code and constants), no more
    defined = {r[0]: r[1] for r in res["function_defined"]}
    assert defined.get("function (f)") == 1, defined
    assert set(defined) <= {"function (f)", "code", "tuple", "bytes", "str"}, defined
    assert res["function_redefined"] == [], res


# ---------------------------------------------------------------------------
# no references kept
# ---------------------------------------------------------------------------

def test_tracker_keeps_no_user_objects_alive():
    tr = SummaryTracker()
    things = [Thing() for _ in range(50)]
    probes = [weakref.ref(t) for t in things]
    tr.diff()
    tr.store_summary("with things")
    kept = tr.create_summary()
    diff = tr.diff()
    del things
    gc.collect()
    assert all(p() is None for p in probes)
    for table in (tr.s0, kept, diff, tr.summaries["with things"]):
        for row in table:
            assert [type(x) for x in row] == [str, int, int]
    after = tr.diff()
    gone = {r[0]: r[1] for r in after}
    assert gone.get(f"{__name__}.Thing") == -50


def test_tracker_is_collected():
    tr = SummaryTracker()
    tr.store_summary("a")
    probe = weakref.ref(tr)
    del tr
    gc.collect()
    assert probe() is None


# ---------------------------------------------------------------------------
# diff semantics and errors
# ---------------------------------------------------------------------------

def test_diff_with_summary1_and_summary2():
    tr = SummaryTracker()
    s1 = [["str", 1, 50], ["same", 1, 10]]
    s2 = [["str", 3, 150], ["same", 1, 10]]
    assert tr.diff(summary1=s1, summary2=s2) == [["str", 2, 100]]  # 0/0 rows swept


def test_diff_summary2_without_summary1():
    tr = SummaryTracker()
    with pytest.raises(ValueError, match="summary2 was given without summary1: pass summary1 too"):
        tr.diff(summary2=[["str", 1, 50]])


def test_diff_rejects_bad_summary():
    tr = SummaryTracker()
    with pytest.raises(TypeError, match=r"summary1\[0\]"):
        tr.diff(summary1=[("str", "1", 50)])


def test_store_summary_and_diff_from_it():
    tr = SummaryTracker()
    tr.store_summary("start")
    keep = [Thing() for _ in range(10)]
    tr.diff()
    since_start = tr.diff(tr.summaries["start"])
    rows = {r[0]: r[1] for r in since_start}
    assert rows[f"{__name__}.Thing"] == 10
    assert list(tr.summaries) == ["start"]
    with pytest.raises(TypeError, match="key must be hashable"):
        tr.store_summary(["unhashable"])
    del keep


def test_print_and_format_diff(capsys):
    tr = SummaryTracker()
    keep = [Thing() for _ in range(3)]
    tr.print_diff()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("|")[0].strip() == "types" and f"{__name__}.Thing" in "\n".join(out)
    lines = list(tr.format_diff())
    assert lines[0].split("|")[0].strip() == "types" and set(lines[1]) == {"=", " ", "|"}
    del keep


def test_ignore_self_false_shows_the_trackers_own_summaries():
    tr = SummaryTracker(ignore_self=False)
    tr.diff()
    tr.diff()
    rows = tr.diff()
    assert rows, "without ignore_self the tracker's previous summary is part of the heap"
    quiet = SummaryTracker()
    quiet.diff()
    rows = quiet.diff()  # (assert on a name: pytest's rewriting would bind quiet.diff first)
    assert rows == []


def test_summaries_are_lists_of_rows():
    tr = SummaryTracker()
    rows = tr.create_summary()
    assert isinstance(rows, list) and all(len(r) == 3 for r in rows)
    assert summary.sweep(rows) == [list(r) for r in rows]
    assert repr(tr).startswith("<SummaryTracker ")


# ---------------------------------------------------------------------------
# ObjectTracker
# ---------------------------------------------------------------------------

def test_object_tracker_added_and_removed():
    ot = ObjectTracker()
    ot.get_diff()
    new = [Thing() for _ in range(5)]
    diff = ot.get_diff()
    added_ids = {id(o) for o in diff["+"]}
    assert {id(o) for o in new} <= added_ids and id(new) in added_ids
    # (no generator expressions naming locals below: they would add cell objects)
    key = "".join(list("a string referenced only by `holder`"))
    key_id = id(key)
    holder = [key]
    del key
    ot.get_diff()
    del holder  # the string and the list are now held only by the tracker's last listing
    diff = ot.get_diff()
    removed_ids = set(map(id, diff["-"]))
    assert key_id in removed_ids
    del diff, new


def test_object_tracker_keeps_objects_until_next_diff():
    ot = ObjectTracker()
    thing = Thing()
    probe = weakref.ref(thing)
    ot.get_diff()
    del thing
    gc.collect()
    assert probe() is not None, "documented: the tracker holds strong references"
    ot.get_diff()
    gc.collect()
    assert probe() is None, "released once the next listing no longer holds it"


def test_object_tracker_100k_objects_linear_time():
    ot = ObjectTracker()
    ot.get_diff()
    new = [Thing() for _ in range(100_000)]
    start = time.process_time()  # CPU time: a loaded machine does not fail it
    diff = ot.get_diff()
    elapsed = time.process_time() - start
    assert sum(type(o) is Thing for o in diff["+"]) == 100_000
    # Pympler's identity diff needs minutes here (quadratic); ours is a few heap walks
    assert elapsed < 20, elapsed
    del diff, new


def test_object_tracker_format_and_print(capsys):
    ot = ObjectTracker()
    keep = [Thing() for _ in range(3)]
    lines = ot.format_diff()
    assert lines[0] == "Added objects:" and "Removed objects:" in lines
    assert any(f"{__name__}.Thing" in line for line in lines)
    ot.print_diff()
    assert "Added objects:" in capsys.readouterr().out
    with pytest.raises(TypeError, match="ignore must be a tuple"):
        ot.get_diff(ignore=5)
    del keep


def test_object_tracker_ignore():
    ot = ObjectTracker()
    ot.get_diff()
    hidden = ["".join(list("held only by the ignored list")) for _ in range(3)]
    hidden_ids = set(map(id, hidden)) | {id(hidden)}
    diff = ot.get_diff(ignore=(hidden,))
    assert not hidden_ids & set(map(id, diff["+"])), "what only ignored objects hold is left out"
    del hidden, diff


# ---------------------------------------------------------------------------
# internals worth pinning
# ---------------------------------------------------------------------------

def test_session_bookkeeping_is_inert_without_ipython():
    out = session.Discount()
    before = len(out.skip)
    if session.running_shell() is None:
        session.session_bookkeeping(out)
        assert len(out.skip) == before and not out.subtract


def test_owned_closure_counts_references_exactly():
    out = session.Discount()
    shared = "".join(list("held elsewhere too"))
    elsewhere = [shared]
    seed = {"a": ["".join(list("only the seed holds me"))], "b": shared}
    private_ids = (id(seed["a"]), id(seed["a"][0]))
    session.add_owned([seed], out)
    assert private_ids[0] in out.skip and private_ids[1] in out.skip
    assert id(shared) not in out.skip
    del elsewhere


def test_locals_of_running_frames_are_transient():
    """What only the frames running a cell hold (locals of plain frames and of
    coroutines awaiting each other, as in IPython's run_cell) is found as owned."""
    seen: dict = {}

    def probe():
        frames, frame = [], sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "driver":
            frames.append(frame)
            frame = frame.f_back
        frames.append(frame)  # the driver: a plain frame holding the coroutine
        out = session.Discount()
        seeds, snapshots = session.frame_seeds(frames, out)
        session.add_owned(seeds, out, tuple(snapshots))
        seen["skipped"] = set(out.skip)
        del frames, frame, seeds, snapshots, out

    async def inner():
        probe()

    async def outer():
        temp = ["".join(list("a cell's temporary"))]
        seen["temp"] = (id(temp), id(temp[0]))
        await inner()

    def driver():
        coro = outer()
        try:
            coro.send(None)
        except StopIteration:
            pass

    driver()
    assert seen["temp"][0] in seen["skipped"] and seen["temp"][1] in seen["skipped"]


# ---------------------------------------------------------------------------
# heap summaries never run a Python __sizeof__ (found while writing %%memdiff)
# ---------------------------------------------------------------------------

def test_tracker_quiet_with_live_dataframes():
    pd = pytest.importorskip("pandas")  # in every test environment (the test-core extra)
    from pympler_nb.core import muppy

    df = pd.DataFrame({"a": list(range(10_000)), "b": ["x"] * 10_000})
    probe = weakref.ref(df)
    slots = [None] * 3
    tr = SummaryTracker()
    slots[0] = tr.diff()
    slots[1] = tr.diff()
    slots[2] = tr.diff()
    assert slots[1] == [] and slots[2] == []  # pandas' __sizeof__ grew weakref lists
    rows = {r[0]: r for r in summary.summarize(muppy.get_objects())}
    _, count, size = rows["pandas.DataFrame"]
    assert size / count < 1000  # flat, not memory_usage(deep=True) (>= 80 KB here)
    assert probe() is df


def test_every_tracker_and_whyalive_leave_our_own_objects_out():
    """One registry of our own objects: a tracker's stored summaries are left out of
    another tracker's summaries and never show up as holders in why_alive's chains."""
    from pympler_nb.core.whyalive import why_alive

    def steps():  # (a frame of its own: on 3.11/3.12 why_alive leaves a locals snapshot in it)
        first = SummaryTracker()
        first.store_summary("before")
        stored = first.summaries["before"]
        own = session.own_ids()
        assert id(first) in own and id(stored) in own and id(stored[0]) in own
        second = SummaryTracker()
        second.diff()
        first.store_summary("again")  # the first tracker's new summary: ours, not the program's
        rows = second.diff()  # (assert on a name: pytest's rewriting would bind second.diff first)
        assert rows == []
        r = why_alive(stored[0])
        assert all("summaries" not in c.path for c in r.chains), str(r)

    steps()
    gc.collect()
    assert not any(type(o) is SummaryTracker for o in session.own_objects())


def test_the_running_shell_is_found_one_way():
    from pympler_nb.core.whyalive import _Roots

    shell = session.running_shell()
    roots = _Roots(set(), frames=False)
    assert roots.shell is shell
    if shell is None:
        assert "IPython.core.interactiveshell" not in sys.modules or \
            not sys.modules["IPython.core.interactiveshell"].InteractiveShell.initialized()


def test_an_own_object_provider_listing_small_ints_hides_them_from_no_walk():
    """A provider of our own objects that lists objects the interpreter shares (small ints,
    one-character strings, None) must not hide them from every walk: a heap snapshot of the
    user's tuples still counts their ints."""
    from pympler_nb.core import heap
    from pympler_nb.core.session import register_own

    held = [1, 2, 3, 4, "", "x", None]

    def provider():
        return list(held)

    register_own(provider)
    holder = [(1, 2), (3, 4)]
    snap = heap.take(roots=[holder])
    assert snap.by_type().row("int").count == 4
