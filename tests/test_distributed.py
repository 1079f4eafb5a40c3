"""pympler_nb.distributed against a real LocalCluster (two worker processes, one thread each).

One cluster per module (xdist-safe: random ports, no dashboard). The tasks the workers run
are in ``tests/_dask_tasks.py`` (imported there by name: the workers inherit sys.path).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

import _dask_tasks as tasks  # noqa: E402

from pympler_nb import distributed as pdd  # noqa: E402
from pympler_nb.core.asizeof import flatsize  # noqa: E402

LEAKED = "_dask_tasks.Leaked"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def _workers(client) -> list[str]:
    return sorted(client.nthreads())


def _plain(df: pd.DataFrame) -> None:
    """Every cell is text, a number or missing: no worker object came back."""
    for value in df.astype(object).to_numpy().ravel():
        assert value is None or value is pd.NA or type(value) in (str, int, float), type(value)


def test_heap_summary_has_the_documented_columns(client):
    df = pdd.heap_summary(client, top=5)
    assert tuple(df.columns) == pdd.HEAP_SUMMARY_COLUMNS
    assert sorted(df["worker"].unique()) == _workers(client)
    assert (df["error"] == "").all()
    for _, part in df.groupby("worker"):
        assert len(part) == 6 and part["type"].iloc[-1] == "other"  # top 5 + other
        assert part["size"].iloc[:5].is_monotonic_decreasing
        assert int(part["count"].sum()) == df.attrs["objects"][part["worker"].iloc[0]]
    assert str(df["count"].dtype) == "Int64" and str(df["worker"].dtype) == "string"
    _plain(df)


def test_heap_summary_on_the_scheduler_too(client):
    df = pdd.heap_summary(client, top=3, scheduler=True)
    assert set(df["worker"]) == {*_workers(client), "scheduler"}
    assert (df["error"] == "").all()


def test_memdiff_shows_a_leak_on_that_worker_only(client):
    w0, w1 = _workers(client)
    with pdd.memdiff(client, top=5) as md:
        client.submit(tasks.leak, 1500, workers=[w0], pure=False).result()
    try:
        frame, per = md.frame, md.workers
        assert tuple(frame.columns) == pdd.MEMDIFF_COLUMNS
        assert tuple(per.columns) == pdd.MEMDIFF_WORKER_COLUMNS
        leaked = frame[frame["type"] == LEAKED]
        assert leaked["worker"].tolist() == [w0]
        assert leaked["count_diff"].tolist() == [1500]
        assert int(leaked["size_diff"].iloc[0]) == 1500 * flatsize(tasks.Leaked(0))  # flat size each, as locally
        assert frame.groupby("worker").size().max() <= 6
        row = per.set_index("worker").loc[w0]
        assert row["error"] == "" and row["rss_diff"] == row["rss_after"] - row["rss_before"]
        assert row["heap_count"] >= 1500 and row["managed_diff"] is not pd.NA
        _plain(frame)
        _plain(per)
    finally:
        client.run(tasks.clear)


def test_memdiff_and_whyalive_on_a_cached_pandas_frame(client):
    """Realistic data: a frame with object, categorical and Arrow columns kept by a worker."""
    w0, w1 = _workers(client)
    client.run(tasks.warm)  # imports pandas and pyarrow: not part of the diff
    with pdd.memdiff(client, top=80) as md:
        client.submit(tasks.cache_frame, 5000, workers=[w1], pure=False).result()
    try:
        frame = md.frame
        frames = frame[frame["type"] == "pandas.DataFrame"]
        assert frames["worker"].tolist() == [w1] and frames["count_diff"].tolist() == [1], frames
        mine = frame[frame["worker"] == w1].set_index("type")
        assert mine.loc["str", "count_diff"] >= 5000  # the object column's strings
        assert int(md.workers.set_index("worker").loc[w1, "heap_size"]) > 5000 * 50
        df = pdd.whyalive(client, "pandas.DataFrame", limit=1)
        assert df["path"].tolist() == ["leaky_store.frames[0]"] and df["worker"].tolist() == [w1]
    finally:
        client.run(tasks.clear)
        client.run(lambda: __import__("sys").modules["leaky_store"].__dict__.pop("frames", None))


def test_whyalive_names_the_module_level_holder(client):
    w0, w1 = _workers(client)
    client.submit(tasks.leak, 20, workers=[w0], pure=False).result()
    try:
        df = pdd.whyalive(client, LEAKED, limit=2, max_chains=3)
        assert tuple(df.columns) == pdd.WHYALIVE_COLUMNS
        assert df.attrs["matched"] == {w0: 20, w1: 0}
        mine = df[df["worker"] == w0]
        assert len(mine) >= 2 and set(df["worker"]) == {w0}
        assert mine["path"].str.match(r"leaky_store\.items\[\d+\]").all(), mine["path"].tolist()
        assert (mine["root_kind"] == "module").all() and (mine["type"] == "Leaked").all()
        assert mine["action"].str.startswith("del leaky_store.items[").all()
        _plain(df)
    finally:
        client.run(tasks.clear)


def test_whyalive_of_a_key_names_the_data_buffer(client):
    w0, w1 = _workers(client)
    fut = client.submit(tasks.make_bytes, 200_000, workers=[w1])
    fut.result()
    df = pdd.whyalive(client, None, key=fut)
    hit = df[df["worker"] == w1]
    assert hit["root"].tolist() == ["dask_worker.data"] and hit["root_kind"].tolist() == ["named"]
    assert hit["path"].iloc[0].startswith("dask_worker.data['make_bytes-")  # (a long key is clipped)
    assert hit["type"].iloc[0] == "bytearray" and int(hit["size"].iloc[0]) > 200_000
    assert df.attrs["matched"] == {w0: 0, w1: 1}
    del fut


def test_unmanaged_parts_add_up_to_rss(client):
    w0, _ = _workers(client)
    fut = client.submit(tasks.make_bytes, 20_000_000, workers=[w0])
    fut.result()
    df = pdd.unmanaged(client, top=5, trim=True)
    rss_now = pdd.workers_frame(client).set_index("worker")["rss"]
    assert tuple(df.columns) == pdd.UNMANAGED_COLUMNS
    assert (df["error"] == "").all()
    for _, row in df.iterrows():
        parts = sum(int(row[p]) for p in pdd.UNMANAGED_PARTS)
        assert parts == row["rss"] + row["overcount"]
        assert abs(parts - rss_now[row["worker"]]) <= 0.05 * rss_now[row["worker"]]
        assert row["unmanaged"] == row["rss"] - row["managed"]
        assert row["trim_returned"] is not pd.NA
    managed = df.set_index("worker")["managed"]
    assert managed[w0] >= 20_000_000
    by_type = pd.DataFrame(df.attrs["by_type"])
    assert tuple(by_type.columns) == pdd.BY_TYPE_COLUMNS and by_type.groupby("worker").size().max() <= 6
    del fut


def test_track_class_merges_snapshots_with_a_worker_column(client):
    w0, w1 = _workers(client)
    first = pdd.track_class(client, "_dask_tasks.Tracked", "start")
    try:
        client.submit(tasks.make_tracked, 7, workers=[w0], pure=False).result()
        df = pdd.track_class(client, "_dask_tasks.Tracked", "after")
        assert list(df.columns)[0] == "worker" and (df["error"] == "").all()
        from pympler_nb.frames_classtracker import CLASSTRACKER_COLUMNS

        assert tuple(df.columns) == ("worker", *CLASSTRACKER_COLUMNS, "error")
        last = df[df["snapshot"] == 1].set_index("worker")
        assert last.loc[w0, "active"] == 7 and last.loc[w1, "active"] == 0
        assert len(first) == 2 and (first["active"] == 0).all()
    finally:
        assert pdd.stop_tracking(client) == {w0: True, w1: True}
        client.run(tasks.clear)


def test_workers_frame(client):
    df = pdd.workers_frame(client)
    assert tuple(df.columns) == pdd.WORKERS_COLUMNS
    assert sorted(df["worker"]) == _workers(client)
    assert ((df["rss"] > 0) & (df["limit"] > 0) & (df["unmanaged"] == df["rss"] - df["managed"])).all()


def test_a_timeout_gives_error_rows_and_returns(client):
    start = time.perf_counter()
    df = pdd.heap_summary(client, timeout=0.001)
    assert time.perf_counter() - start < 5
    assert sorted(df["worker"]) == _workers(client)
    assert df["error"].str.startswith("no answer within timeout=0.001 s").all()
    assert df["type"].isna().all()
    # a memdiff block whose start timed out says so at its end, and leaves no baseline
    with pdd.memdiff(client, timeout=0.001) as md:
        pass
    assert md.workers["error"].str.contains("no answer within").all()


def test_bad_arguments_name_the_value_and_the_fix(client):
    with pytest.raises(TypeError, match="must be a distributed.Client, got str"):
        pdd.heap_summary("tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0, got 0"):
        pdd.heap_summary(client, timeout=0)
    with pytest.raises(ValueError, match="top must be an int >= 1"):
        pdd.memdiff(client, top=0)
    with pytest.raises(TypeError, match="obj_filter must be a class or a type name"):
        pdd.whyalive(client, 3)
    with pytest.raises(ValueError, match="needs a type"):
        pdd.whyalive(client, None)
    with pytest.raises(ValueError, match="'module.Class'"):
        pdd.track_class(client, "Tracked")
    other = distributed.Client(client.scheduler.address)
    other.close()
    with pytest.raises(ValueError, match="is closed: connect it again"):
        pdd.workers_frame(other)
    df = pdd.track_class(client, "_dask_tasks.NoSuchClass")
    assert df["error"].str.contains("AttributeError").all() and df["snapshot"].isna().all()


def test_a_worker_killed_during_a_call_gives_an_error_row(client):
    w0, w1 = _workers(client)
    client.run(tasks.ballast, 3_000_000, workers=[w1])  # its heap summary takes a while
    pid = client.run(os.getpid, workers=[w1])[w1]
    killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        df = pdd.heap_summary(client, top=3, timeout=60)
    finally:
        killer.join()
    assert (df[df["worker"] == w0]["error"] == "").all() and len(df[df["worker"] == w0]) == 4
    dead = df[df["worker"] == w1]
    assert len(dead) == 1 and dead["error"].iloc[0] != "", dead
    assert df[df["worker"] == w1]["type"].isna().all()
    # the nanny restarts it under a new address: wait until the scheduler lists the new one only
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = client.nthreads()
        if w1 not in now and len(now) == 2:
            break
        time.sleep(0.2)
    client.wait_for_workers(2, timeout=60)
    assert w1 not in client.nthreads()


# ---------------------------------------------------------------------------
# the magics: %heap --dask CLIENT, %%memdiff --dask CLIENT
# ---------------------------------------------------------------------------

def test_heap_magic_on_the_workers(shell, client):
    from _ipython import run, texts

    shell.user_ns["dask_client"] = client
    result, cap = run(shell, "%heap --dask dask_client --top 4")
    df = result.result
    assert result.error_in_exec is None and tuple(df.columns) == pdd.HEAP_SUMMARY_COLUMNS
    assert df.groupby("worker").size().max() == 5
    assert any("heap on 2 Dask worker(s)" in t for t in texts(cap))
    result, cap = run(shell, "%heap --dask dask_client --scheduler -q")
    assert "scheduler" in set(result.result["worker"]) and cap.outputs == []


def test_memdiff_magic_on_the_workers(shell, client):
    from _ipython import run, texts

    w0, _ = _workers(client)
    shell.user_ns.update(dask_client=client, leak=tasks.leak, w0=w0)
    try:
        result, cap = run(shell, "%%memdiff --dask dask_client --top 3\n"
                                 "dask_client.submit(leak, 300, workers=[w0], pure=False).result()")
        df = result.result
        assert tuple(df.columns) == pdd.MEMDIFF_COLUMNS
        row = df[df["type"] == LEAKED]
        assert row["worker"].tolist() == [w0] and row["count_diff"].tolist() == [300]
        assert tuple(df.attrs["workers"]) == pdd.MEMDIFF_WORKER_COLUMNS
        assert any("memdiff on 2 Dask worker(s)" in t for t in texts(cap))
        # a cell that raises: the diff is shown, then the exception propagates
        result, cap = run(shell, "%%memdiff --dask dask_client\n1 / 0")
        assert type(result.error_in_exec) is ZeroDivisionError
        assert any("memdiff on 2 Dask worker(s)" in t for t in texts(cap))
    finally:
        client.run(tasks.clear)


@pytest.mark.parametrize("src, words", [
    ("%heap --dask not_defined_anywhere", ["not_defined_anywhere", "define it first"]),
    ("%heap --dask 3", ["--dask 3", "must be a distributed.Client, got int"]),
    ("%heap --dask dask_client --new", ["--dask", "only --top"]),
    ("%heap --dask dask_client --timeout 0", ["--timeout", "> 0"]),
    ("%heap --dask dask_client --top 0", ["--top", ">= 1"]),
    ("%%memdiff --dask dask_client --trace\npass", ["--trace", "drop one"]),
    ("%%memdiff --dask [1]\npass", ["must be a distributed.Client, got list"]),
])
def test_magic_mistakes_are_one_line_usage_errors(shell, client, src, words):
    from _ipython import usage_error

    shell.user_ns["dask_client"] = client
    text = usage_error(shell, src)
    for word in words:
        assert word in text, (word, text)


# ---------------------------------------------------------------------------
# %memdash --dask CLIENT: the dashboard's Workers tab
# ---------------------------------------------------------------------------

def test_dashboard_workers_tab(client):
    from pympler_nb.widgets.dashboard import Dashboard

    calls = []

    def provider():
        calls.append(1)
        return pdd.workers_frame(client, split=True)

    dash = Dashboard(providers={"timeline": None, "variables": None}, tab="workers", workers=provider)
    assert [t["name"] for t in dash.tabs][-1] == "workers" and calls == [1]
    (block,) = [b for b in dash.pages["workers"]["blocks"] if b["kind"] == "table"]
    assert tuple(block["columns"]) == pdd.UNMANAGED_COLUMNS and len(block["rows"]) == 2
    rss = block["columns"].index("rss")
    assert all(row[rss] > 0 for row in block["rows"])
    assert dash.handle({"type": "refresh", "tab": "workers"}) is None and calls == [1, 1]
    assert "Workers" in dash.text() and "Workers" in dash.static_html()
    # without a client there is no Workers tab
    plain = Dashboard(providers={"timeline": None, "variables": None}, tab="garbage")
    assert "workers" not in [t["name"] for t in plain.tabs]
    assert "unknown tab" in plain.handle({"type": "open", "tab": "workers"})["message"]


def test_memdash_magic_with_dask(shell, client):
    from _ipython import run, usage_error

    shell.user_ns["dask_client"] = client
    result, cap = run(shell, "%memdash --dask dask_client")
    assert result.error_in_exec is None
    (shown,) = [o.data.get("text/plain", "") for o in cap.outputs]
    assert "pympler_nb dashboard [Workers]" in shown
    assert "--dask" in usage_error(shell, "%memdash --tab workers")
    assert "must be a distributed.Client, got int" in usage_error(shell, "%memdash --dask 5")
