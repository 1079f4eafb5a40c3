"""classtracker_stats: summaries, sorting, console output, safe JSON files, HTML report."""

import gc
import gzip
import io
import json
import pickle
import re
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core._format import pp
from pympler_nb.core.asizeof import Asized
from pympler_nb.core.classtracker import ClassTracker
from pympler_nb.core.classtracker_stats import (
    FORMAT,
    SORT_KEYS,
    VERSION,
    ConsoleStats,
    HtmlStats,
    Stats,
)
from pympler_nb.core.classtracker_model import merge_into


EMPLOYEE = f"{__name__}.Employee"


class Employee:
    def __init__(self, name):
        self.name = name
        self.skills = [name] * 3


class Factory:
    def __init__(self):
        self.name = "Assembly Line Unlimited"
        self.employees = []


@pytest.fixture(scope="module")
def tracker():
    """The manual's factory example, with a dead employee, a trace and a detailed object."""
    tr = ClassTracker()
    factory = Factory()
    tr.track_object(factory, resolution_level=2)
    tr.track_class(Employee, trace=True)
    tr.create_snapshot("empty")
    for i in range(20):
        factory.employees.append(Employee("worker %d" % i))
    tr.create_snapshot("hired")
    factory.employees.pop()
    gc.collect()
    tr.create_snapshot()
    tr.close()
    tr._keep = factory
    return tr


def _out(stats_cls, *args, **kwargs):
    buf = io.StringIO()
    stats = stats_cls(*args, stream=buf, **kwargs)
    return stats, buf


# ---------------------------------------------------------------------------
# summaries
def test_annotate_snapshot(tracker):
    stats = Stats(tracker=tracker)
    empty, hired, last = (stats.annotate_snapshot(s) for s in tracker.snapshots)
    emp = "%s.Employee" % __name__
    assert empty[emp]["active"] == 0 and empty[emp]["sum"] == 0 and empty[emp]["avg"] == 0
    assert hired[emp]["active"] == 20 and last[emp]["active"] == 19
    ts = tracker.snapshots[1].timestamp
    assert hired[emp]["sum"] == sum(t.get_size_at_time(ts) for t in tracker.index[emp])
    assert hired[emp]["avg"] == hired[emp]["sum"] / 20
    assert hired[emp]["pct"] == pytest.approx(hired[emp]["sum"] * 100.0 / tracker.snapshots[1].total)
    merged = hired["Factory"]["merged"]
    assert isinstance(merged, Asized) and merged.size == hired["Factory"]["sum"]
    assert [r.name for r in merged.refs] and all(":" not in r.name for r in merged.refs[0].refs)
    assert stats.tracked_classes == sorted(tracker.index)


def test_merge_into_merges_by_key():
    base = Asized(0, 0)
    a = Asized(10, 2, [Asized(8, 8, [], "[V] x: 1")], "a")
    b = Asized(20, 4, [Asized(16, 16, [], "[V] x: 2"), Asized(0, 0, [], "[K] x")], "b")
    merge_into(base, a)
    merge_into(base, b)
    assert (base.size, base.flat) == (30, 6)
    assert {r.name: r.size for r in base.refs} == {"[V] x": 24, "[K] x": 0}
    assert a.refs[0].name == "[V] x: 1" and a.refs[0].size == 8  # inputs untouched


def test_print_summary_format(tracker):
    stats, buf = _out(ConsoleStats, tracker=tracker)
    stats.print_summary()
    lines = buf.getvalue().splitlines()
    assert lines[0] == "---- SUMMARY " + "-" * 66 and lines[-1] == "-" * 79
    header = lines[1]
    assert header.startswith("empty ") and "active" in header and "average" in header and header.endswith("pct")
    assert pp(tracker.snapshots[0].total) in header
    row = "  %-33s %11d %12s %12s %4d%%" % ("%s.Employee" % __name__, 20,
                                           pp(tracker.snapshots[1].classes["%s.Employee" % __name__]["sum"]),
                                           pp(tracker.snapshots[1].classes["%s.Employee" % __name__]["avg"]),
                                           tracker.snapshots[1].classes["%s.Employee" % __name__]["pct"])
    assert row in lines
    assert lines[7].startswith(tracker.snapshots[2].label)  # no description: the label
    assert len(lines) == 2 + 3 * 3


def test_print_stats_sorting_limit_and_filter(tracker):
    stats, buf = _out(ConsoleStats, tracker=tracker)
    stats.sort_stats("size").print_stats(limit=3)
    blocks = [ln for ln in buf.getvalue().splitlines() if not ln.startswith(" ")]
    assert len(blocks) == 3 and blocks[0].startswith("Factory ")
    sizes = [t.get_max_size() for t in stats.sorted]
    assert sizes == sorted(sizes, reverse=True)
    stats, buf = _out(ConsoleStats, tracker=tracker)
    stats.print_stats(clsname="Employee", limit=0.1)
    heads = [ln for ln in buf.getvalue().splitlines() if not ln.startswith(" ")]
    assert len(heads) == 2 and all("Employee" in h for h in heads)  # 10% of 21 objects
    # the instantiation trace: source line, then "file:line in function"
    assert re.search(r"^    factory.employees.append\(Employee\(.*\n  .*test_classtracker_stats.py:\s*\d+ in tracker$",
                     buf.getvalue(), re.MULTILINE)


def test_print_object_dead_and_refs(tracker):
    stats, buf = _out(ConsoleStats, tracker=tracker)
    dead = [t for t in tracker.index["%s.Employee" % __name__] if t.death is not None]
    assert len(dead) == 1
    stats.print_object(dead[0])
    text = buf.getvalue()
    assert "( free )" in text and "finalize" in text
    stats, buf = _out(ConsoleStats, tracker=tracker)
    stats.print_object(tracker.index["Factory"][0])
    text = buf.getvalue()
    assert re.search(r"^Factory\s+0x[0-9a-f]{8,}", text)
    assert re.search(r"^    __dict__\s+.*%\s+\[1\]$", text, re.MULTILINE)
    assert re.search(r"^      \[V\] employees.*\[2\]$", text, re.MULTILINE)


@pytest.mark.parametrize("keys", [(), ("classname", "size"), ("death",), ("repr", "birth"), ("tsize", "name")])
def test_sort_keys(tracker, keys):
    stats = Stats(tracker=tracker).sort_stats(*keys)
    assert len(stats.sorted) == sum(len(v) for v in tracker.index.values())
    if keys == ("death",):
        deaths = [t.death for t in stats.sorted]
        assert deaths[0] is not None and deaths[-1] is None  # alive objects last
    first = list(stats.sorted)
    assert stats.reverse_order().sorted == first[::-1]


def test_sort_key_tsize_uses_largest_snapshot(tracker):
    stats = Stats(tracker=tracker).sort_stats("tsize")
    largest = max(tracker.snapshots, key=lambda s: s.tracked_total)
    tsizes = [t.get_size_at_time(largest.timestamp) for t in stats.sorted]
    assert tsizes == sorted(tsizes, reverse=True) and tsizes[0] > 0


def test_bad_sort_key_lists_allowed():
    with pytest.raises(ValueError, match="'bogus'.*classname, tsize, birth, death, name, repr, size"):
        Stats().sort_stats("size", "bogus")
    assert SORT_KEYS == ("classname", "tsize", "birth", "death", "name", "repr", "size")


@pytest.mark.parametrize("limit", [0, -1, "3", True])
def test_bad_limit(tracker, limit):
    with pytest.raises(ValueError, match="limit"):
        ConsoleStats(tracker=tracker).print_stats(limit=limit)


def test_history_matches_tracker(tracker):
    assert Stats(tracker=tracker).history == tracker.history
    series = tracker.history["%s.Employee" % __name__]
    assert max(c for _, c in series) == 20 and series[-1][1] == 19


# ---------------------------------------------------------------------------
# files
@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_round_trip_reproduces_output(tracker, tmp_path, suffix):
    path = tmp_path / ("stats" + suffix)
    live, live_buf = _out(ConsoleStats, tracker=tracker)
    live.dump_stats(str(path))
    live.print_summary()
    live.sort_stats("classname", "birth").print_stats()
    loaded, loaded_buf = _out(ConsoleStats, filename=path)
    loaded.print_summary()
    loaded.sort_stats("classname", "birth").print_stats()
    assert loaded_buf.getvalue() == live_buf.getvalue()
    assert len(live_buf.getvalue()) > 1000
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == suffix.endswith(".gz")
    doc = json.loads(gzip.decompress(raw) if suffix.endswith(".gz") else raw)
    assert doc["format"] == FORMAT and doc["version"] == VERSION == 2
    assert set(doc) == {"format", "version", "epoch", "snapshots", "index"}
    # loaded objects are plain data
    tobj = loaded.index["Factory"][0]
    assert tobj.ref() is None and tobj.snapshots[-1][1].refs
    assert loaded.history == Stats(tracker=tracker).history


def test_round_trip_through_file_objects(tracker):
    binary = io.BytesIO()
    Stats(tracker=tracker).dump_stats(binary, close=False)
    text = io.StringIO()
    Stats(tracker=tracker).dump_stats(text, close=False)
    assert binary.getvalue().decode() == text.getvalue()
    binary.seek(0)
    text.seek(0)
    a, b = Stats(), Stats()
    a.load_stats(binary)
    b.load_stats(text)
    assert [s.label for s in a.snapshots] == [s.label for s in b.snapshots] == [s.label for s in tracker.snapshots]
    closing = io.BytesIO()
    Stats(tracker=tracker).dump_stats(closing)
    assert closing.closed


def test_tracker_stats_dump(tracker, tmp_path):
    path = tmp_path / "t.json"
    tracker.stats.dump_stats(path)
    assert json.loads(path.read_text())["index"].keys() == tracker.index.keys()


def _valid_doc(tracker):
    buf = io.StringIO()
    Stats(tracker=tracker).dump_stats(buf, close=False)
    return json.loads(buf.getvalue())


def _load_doc(doc):
    stats = Stats()
    stats.load_stats(io.BytesIO(json.dumps(doc).encode()))
    return stats


def test_pickle_file_is_refused_and_never_unpickled(tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("import os; os.environ['PYMPLER_NB_PWNED'] = '1'",))

    path = tmp_path / "pympler.dat"
    path.write_bytes(pickle.dumps({"x": Evil()}))
    import os

    with pytest.raises(ValueError, match="stats file .*pympler.dat"):
        Stats(filename=str(path))
    assert "PYMPLER_NB_PWNED" not in os.environ


def test_truncated_file(tracker, tmp_path):
    path = tmp_path / "cut.json"
    Stats(tracker=tracker).dump_stats(path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="not valid JSON.*truncated"):
        Stats(filename=path)
    gz = tmp_path / "cut.json.gz"
    Stats(tracker=tracker).dump_stats(gz)
    gz.write_bytes(gz.read_bytes()[:-20])
    with pytest.raises(ValueError, match="broken gzip"):
        Stats(filename=gz)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(version=3), "unsupported version int 3"),
        (lambda d: d.update(version=True), "unsupported version true"),
        (lambda d: d.update(version=2.0), "unsupported version float 2.0"),
        (lambda d: d.pop("version"), "unsupported version null"),
        (lambda d: d.update(format="pympler"), "format is 'pympler'"),
        (lambda d: d.pop("snapshots"), "missing key 'snapshots' in the top-level object"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["snapshots"][0].update(tracked_total=True),
         r"expected an integer >= 0 and < 2\*\*63, got true in snapshots\[0\].tracked_total"),
        (lambda d: d["snapshots"][1].update(overhead=-5), r"got int -5 in snapshots\[1\].overhead"),
        (lambda d: d["snapshots"][0].update(timestamp="now"), r"finite number.*snapshots\[0\].timestamp"),
        (lambda d: d["snapshots"][0]["system_total"].pop("rss"), r"missing key 'rss' in snapshots\[0\].system_total"),
        (lambda d: d.update(index=[]), "expected an object"),
        (lambda d: d["index"]["Factory"][0].update(samples=[[1.0]]),
         r"got 1 items in index\['Factory'\]\[0\].samples\[0\]"),
        (lambda d: d["index"]["Factory"][0]["samples"][-1][1][0].__setitem__(3, "x"),
         r"expected an integer.*index\['Factory'\]\[0\].samples\[\d\]\[1\]\[0\]\[3\]"),
        (lambda d: d["index"]["Factory"][0]["samples"][-1][1][0].__setitem__(3, 10**6),
         r"10\d+ referents announced but only \d+ nodes follow"),
        (lambda d: d["index"]["Factory"][0]["samples"][-1][1].append([1, 1, None, 0]),
         r"a node after the end of the tree"),
        (lambda d: d["index"]["Factory"][0]["samples"][-1][1].pop(),
         r"the tree ends early"),
        (lambda d: d["index"]["Factory"][0]["samples"][-1].__setitem__(1, []),
         r"expected at least the root node"),
        (lambda d: d["snapshots"][0].update(timestamp=10**400),
         r"finite number, got int 1000.*snapshots\[0\].timestamp"),
        (lambda d: d["snapshots"][0].update(asizeof_total=2**70), r"< 2\*\*63, got int 1180591620717411303424"),
        (lambda d: d["index"]["Factory"][0].update(trace=[["f", 1, "g"]]), r"expected \[filename, lineno"),
        (lambda d: d["index"]["Factory"][0].update(death="never"), r"finite number.*death"),
        (lambda d: d["index"][EMPLOYEE][0]["samples"][0].__setitem__(1, 10**400),
         r"< 2\*\*63, got int 1000.*samples\[0\]\[1\]"),
        (lambda d: d["index"]["Factory"][0].update(birth=1e308 * 10), r"Infinity is not allowed"),
    ],
)
def test_malformed_documents(tracker, mutate, message):
    doc = _valid_doc(tracker)
    mutate(doc)
    with pytest.raises(ValueError, match=message):
        _load_doc(doc)


def test_non_finite_and_duplicate_keys():
    with pytest.raises(ValueError, match="NaN is not allowed"):
        Stats().load_stats(io.StringIO('{"format": NaN}'))
    with pytest.raises(ValueError, match="duplicate key 'format'"):
        Stats().load_stats(io.StringIO('{"format": 1, "format": 2}'))
    with pytest.raises(ValueError, match=r"not a JSON document.*starts with b'\\xff\\xfe\\x00'.*pickled"):
        Stats().load_stats(io.BytesIO(b"\xff\xfe\x00"))
    with pytest.raises(ValueError, match="not UTF-8"):
        Stats().load_stats(io.BytesIO(b"{\xff\xfe\x00}"))
    with pytest.raises(ValueError, match=r"starts with b'\[1, 2\]', expected '\{'"):
        Stats().load_stats(io.StringIO("[1, 2]"))


def test_deep_nesting_and_size_limit(tracker):
    with pytest.raises(ValueError, match="nested more than 512 levels deep"):
        Stats().load_stats(io.StringIO("{" + "[" * 100000 + "]" * 100000 + "}"))
    bomb = gzip.compress(b" " * (1 << 22))
    with pytest.raises(ValueError, match="max_bytes"):
        Stats().load_stats(io.BytesIO(bomb), max_bytes=1 << 20)


def test_loaded_snapshot_values(tracker):
    loaded = _load_doc(_valid_doc(tracker))
    for a, b in zip(loaded.snapshots, tracker.snapshots, strict=True):
        assert (a.timestamp, a.desc, a.tracked_total, a.overhead, a.total) == (
            b.timestamp, b.desc, b.tracked_total, b.overhead, b.total)
    for name, tobjs in tracker.index.items():
        for a, b in zip(loaded.index[name], tobjs, strict=True):
            assert (a.id, a.name, a.repr, a.birth, a.death, a.trace, a.get_max_size()) == (
                b.id, b.name, b.repr, b.birth, b.death, b.trace, b.get_max_size())
            assert [(t, s.size, s.flat, s.refs) for t, s in a.snapshots] == [
                (t, s.size, s.flat, s.refs) for t, s in b.snapshots]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_corruption_only_raises_value_error(tracker, data):
    text = json.dumps(_valid_doc(tracker))
    pos = data.draw(st.integers(0, len(text) - 1))
    junk = data.draw(st.text(alphabet='{}[]",:0123456789.-tfnulaex ', max_size=5))
    cut = data.draw(st.booleans())
    corrupted = text[:pos] + junk + ("" if cut else text[pos + 1:])
    try:
        _ = Stats().load_stats(io.StringIO(corrupted))
    except ValueError as exc:
        assert str(exc).startswith("stats file ")


# ---------------------------------------------------------------------------
# HTML
def test_html_report_is_self_contained(tracker, tmp_path):
    path = tmp_path / "report.html"
    HtmlStats(tracker=tracker).create_html(str(path), title="Factory <report>")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    # the index page, and Pympler's folder of class pages next to it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report_files"]
    assert len(list((tmp_path / "report_files").iterdir())) == len(tracker.index)
    assert "http" not in text and "<script src" not in text and "<img" not in text and "<link" not in text
    assert "<title>Factory &lt;report&gt;</title>" in text
    svgs = re.findall(r"<svg.*?</svg>", text, re.DOTALL)
    assert len(svgs) >= 3  # memory, live instances, lifetimes per class
    for svg in svgs:  # well-formed, drawable
        ElementTree.fromstring(svg)
    assert "Tracked memory per class and snapshot" in text and "Live instances over time" in text
    for name in tracker.index:
        assert f'id="class-{name}"' in text
    data = re.search(r'<script type="application/json" id="pympler-nb-classes">(.*?)</script>', text, re.DOTALL)
    rows = json.loads(data.group(1))
    assert {r["class"] for r in rows} == set(tracker.index) and len(rows) == 3 * len(tracker.index)


def test_html_escapes_user_text(tmp_path):
    class Sneaky:
        def __repr__(self):
            return "<script>alert(1)</script>"

    tr = ClassTracker()
    s = Sneaky()
    tr.track_object(s, name="</script><b>x")
    tr.create_snapshot("<i>desc</i>")
    path = tmp_path / "r.html"
    HtmlStats(tracker=tr).create_html(path)
    text = path.read_text()
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<i>desc</i>" not in text and "</script><b>" not in text
    data = re.search(r'id="pympler-nb-classes">(.*?)</script>', text, re.DOTALL).group(1)
    assert json.loads(data)[0]["class"] == "</script><b>x"


def test_html_from_loaded_file_and_options(tracker, tmp_path):
    dump = tmp_path / "s.json.gz"
    tracker.stats.dump_stats(dump)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    html_live, html_loaded = tmp_path / "a" / "r.html", tmp_path / "b" / "r.html"
    HtmlStats(tracker=tracker).create_html(html_live, max_instances=5, top=1)
    HtmlStats(filename=dump).create_html(html_loaded, max_instances=5, top=1)
    assert html_live.read_text() == html_loaded.read_text()
    for page in (tmp_path / "a" / "r_files").iterdir():
        assert page.read_text() == (tmp_path / "b" / "r_files" / page.name).read_text()
    assert "smaller instances not listed" in html_live.read_text()
    with pytest.raises(ValueError, match="top"):
        HtmlStats(tracker=tracker).create_html(tmp_path / "x.html", top=0)


def test_html_without_snapshots(tmp_path):
    path = tmp_path / "empty.html"
    HtmlStats().create_html(path)
    assert "No snapshot with tracked memory" in path.read_text()


def test_locked_rows_match_the_tables(tracker):
    from pympler_nb.core.classtracker_stats import ClassRow, ObjectRecord, SizeRow

    stats = Stats(tracker=tracker)
    rows = list(stats.class_rows())
    assert all(type(r) is ClassRow for r in rows)
    assert len(rows) == len(tracker.snapshots) * len(stats.tracked_classes)
    for r in rows:
        snap = tracker.snapshots[r.snapshot]
        info = stats.annotate_snapshot(snap)[r.name]
        assert (r.label, r.timestamp, r.active, r.size) == (snap.label, snap.timestamp, info["active"], info["sum"])
        assert r.average == pytest.approx(info["avg"]) and r.pct == pytest.approx(info["pct"])
    records = list(stats.object_records())
    assert all(type(r) is ObjectRecord for r in records)
    tobjs = [(k, t) for k, ts in tracker.index.items() for t in ts]
    assert [(r.key, r.id, r.death, r.max_size) for r in records] == \
        [(k, t.id, t.death, t.get_max_size()) for k, t in tobjs]
    assert [r.samples for r in records] == [len(list(t.iter_samples())) for _, t in tobjs]
    sizes = list(stats.size_rows())
    assert all(type(r) is SizeRow for r in sizes)
    assert [(r.key, r.id, r.timestamp, r.size, r.flat) for r in sizes] == \
        [(k, t.id, ts, s, f) for k, t in tobjs for ts, s, f, _ in t.iter_samples()]
    assert all(tracker.snapshots[r.snapshot].timestamp == r.timestamp for r in sizes)


def test_size_rows_leave_out_samples_of_unlisted_snapshots(tracker):
    buf = io.StringIO()
    Stats(tracker=tracker).dump_stats(buf, close=False)
    doc = json.loads(buf.getvalue())
    doc["snapshots"] = doc["snapshots"][1:]  # a hand-made file: the first snapshot dropped
    loaded = Stats(filename=io.StringIO(json.dumps(doc)))
    first = tracker.snapshots[0].timestamp
    kept = [r for r in Stats(tracker=tracker).size_rows() if r.timestamp != first]
    assert [(r.key, r.id, r.snapshot - 1, r.size) for r in kept] == \
        [(r.key, r.id, r.snapshot, r.size) for r in loaded.size_rows()]
    assert sum(r.samples for r in loaded.object_records()) == \
        sum(r.samples for r in Stats(tracker=tracker).object_records())
