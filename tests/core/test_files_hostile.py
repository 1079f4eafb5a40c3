"""Hostile files for every loader: refused with a clear error, in bounded time and memory.

Loaders: ``classtracker_stats.Stats(filename=...)`` / ``load_stats``, ``heap.load``,
``allocations.load`` (and ``allocations.Snapshot.load``).  Each hostile load whose cost
matters runs in a subprocess that reports its wall time and the growth of its peak RSS
(``ru_maxrss``) during the load, so a hang fails by timeout instead of hanging CI.
Round trips (stats, heap snapshots) keep every string exactly, lone surrogates included.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import re
import pickle
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pympler_nb.core import _safeio, allocations, heap
from pympler_nb.core.asizeof import Asized
from pympler_nb.core.classtracker import ClassTracker, TrackedObject
from pympler_nb.core.classtracker_stats import Stats

# ---------------------------------------------------------------------------
# the loaders, by name: (call in the child, exception class for format errors, what)
LOADERS = {
    "stats": ("Stats().load_stats(PATH{kw})", ValueError, "stats file"),
    "heap": ("heap.load(PATH{kw})", heap.HeapFormatError, "heap snapshot"),
    "tracemalloc": ("allocations.load(PATH{kw})", allocations.SnapshotFormatError, "tracemalloc snapshot"),
}


def _load(kind: str, path, **kw):
    if kind == "stats":
        stats = Stats()
        stats.load_stats(path, **kw)
        return stats
    if kind == "heap":
        return heap.load(path, **kw)
    return allocations.load(path, **kw)


_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from pympler_nb.core import allocations, heap
    from pympler_nb.core.classtracker_stats import Stats
    PATH = sys.argv[1]

    def status(field):  # kB, from /proc (Linux)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    try:  # reset the peak RSS to the current RSS: the peak then is the load's own
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base, peak_of = status("VmRSS"), lambda: status("VmHWM")
    except OSError:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_of = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    try:
        CALL
        error = None
    except BaseException as exc:
        error = [type(exc).__name__, str(exc)[:500]]
    seconds = time.perf_counter() - t0
    peak = peak_of()
    print(json.dumps({"error": error, "seconds": seconds, "rss_growth_mb": (peak - base) / 1024}))
""")

#: every hostile load: refused in less than this (s) and growing the peak RSS by less (MB)
MAX_SECONDS = 1.0
MAX_MB = 50.0
#: time, memory and error of each bounded case, printed at the end of the module (-s)
MEASURED: list = []


def _bounded(kind: str, path, kw: str = "", timeout: float = 30.0) -> dict:
    """Load ``path`` with loader ``kind`` in a child; its error, seconds and RSS growth."""
    code = _CHILD.replace("CALL", LOADERS[kind][0].format(kw=kw))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), env.get("PYTHONPATH", "")] if p)
    proc = subprocess.run([sys.executable, "-c", code, os.fspath(path)], capture_output=True,
                          text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    MEASURED.append((kind, os.path.basename(os.fspath(path)), kw, out))
    return out


def _refused(kind: str, path, match: str, kw: str = "") -> dict:
    out = _bounded(kind, path, kw)
    assert out["error"] is not None, f"{kind} loaded {path}"
    name, msg = out["error"]
    assert name in (LOADERS[kind][1].__name__, "ValueError"), out
    assert os.path.basename(os.fspath(path)) in msg, msg  # the message names the file
    assert __import__("re").search(match, msg), (match, msg)
    assert out["seconds"] < MAX_SECONDS, out
    assert out["rss_growth_mb"] < MAX_MB, out
    return out


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if MEASURED:
        print("\n%-12s %-28s %-22s %8s %8s  error" % ("loader", "file", "keyword", "seconds", "MB"))
        for kind, name, kw, out in MEASURED:
            err = out["error"][0] if out["error"] else "-"
            print("%-12s %-28s %-22s %8.4f %8.1f  %s" % (kind, name[:28], kw.strip(", ")[:22],
                                                        out["seconds"], out["rss_growth_mb"], err))


# ---------------------------------------------------------------------------
# valid files of each kind
def _tracker_stats() -> Stats:
    class Item:
        def __init__(self, n):
            self.data = list(range(n))

    tr = ClassTracker()
    tr.track_class(Item, resolution_level=2)
    keep = [Item(i) for i in range(5)]
    tr.create_snapshot("one")
    stats = Stats(tracker=tr)
    del keep
    return stats


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A valid file of each kind."""
    d = tmp_path_factory.mktemp("good")
    out = {}
    _tracker_stats().dump_stats(str(d / "stats.json"))
    out["stats"] = d / "stats.json"
    heap.take(roots=[[1, "x", {"a": 2}]]).dump(d / "heap.json")
    out["heap"] = d / "heap.json"
    started = not tracemalloc.is_tracing()
    tracemalloc.start(3)
    keep = [bytearray(100) for _ in range(50)]
    tracemalloc.take_snapshot().dump(str(d / "tm.pickle"))
    if started:
        tracemalloc.stop()
    del keep
    out["tracemalloc"] = d / "tm.pickle"
    return out


KINDS = list(LOADERS)


# ---------------------------------------------------------------------------
# 9. paths: bytes, missing, directories, unreadable, not a path
@pytest.mark.parametrize("kind", KINDS)
def test_bytes_paths_load(kind, good):
    assert _load(kind, os.fsencode(good[kind])) is not None
    if kind == "stats":
        assert Stats(filename=os.fsencode(good[kind])).snapshots


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_missing_file(kind, tmp_path, as_bytes):
    path = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError) as info:
        _load(kind, os.fsencode(path) if as_bytes else path)
    msg = str(info.value)
    assert f"cannot read {LOADERS[kind][2]} {str(path)!r}: No such file or directory" in msg
    assert info.value.errno == errno.ENOENT


@pytest.mark.parametrize("kind", KINDS)
def test_directory(kind, tmp_path):
    with pytest.raises(IsADirectoryError, match=f"cannot read {LOADERS[kind][2]} .*: Is a directory"):
        _load(kind, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_unreadable_file_simulated(kind, good, monkeypatch):
    """A read that fails with EACCES (as a chmod 000 file does for a user who is not root)."""
    real_open = os.open

    def deny(path, *a, **k):
        if os.fsdecode(path) == str(good[kind]):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, *a, **k)

    monkeypatch.setattr(_safeio.os, "open", deny)
    with pytest.raises(PermissionError, match=f"cannot read {LOADERS[kind][2]} .*: Permission denied"):
        _load(kind, good[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_unreadable_file_chmod(kind, good, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads chmod 000 files; test_unreadable_file_simulated covers the error")
    path = tmp_path / good[kind].name
    path.write_bytes(good[kind].read_bytes())
    path.chmod(0)
    with pytest.raises(PermissionError, match=f"cannot read {LOADERS[kind][2]}"):
        _load(kind, path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [3, None, 2.5, ["a"]])
def test_not_a_path(kind, bad):
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike"):
        _load(kind, bad)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [-1, True, "10", 1.5])
def test_bad_max_bytes(kind, good, bad):
    with pytest.raises(ValueError, match="max_bytes must be an int >= 0"):
        _load(kind, good[kind], max_bytes=bad)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_file(kind, tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(LOADERS[kind][1], match="empty|not valid JSON|header"):
        _load(kind, path)


# ---------------------------------------------------------------------------
# 7. endless and huge inputs
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_devices_refused_at_once(kind, device):
    _refused(kind, device, "not a JSON document|not a tracemalloc snapshot")


@pytest.mark.parametrize("kind", KINDS)
def test_huge_file_refused_before_reading(kind, tmp_path):
    """200 MB starting like the format: larger than the default limit (128 MiB), refused
    from its size alone (a sparse file: nothing is written to disk)."""
    path = tmp_path / "huge"
    with open(path, "wb") as f:
        f.write(b"{" if kind != "tracemalloc" else b"\x80\x05")
        f.truncate(200 * 10**6)
    out = _refused(kind, path, r"is 200_000_000 bytes, more than max_bytes=134217728; pass a larger")
    assert out["rss_growth_mb"] < 5


@pytest.mark.parametrize("kind", KINDS)
def test_huge_garbage_under_a_raised_limit_refused_after_one_chunk(kind, tmp_path):
    path = tmp_path / "zeros"
    with open(path, "wb") as f:
        f.truncate(200 * 10**6)
    _refused(kind, path, "starts with b'\\\\x00", kw=", max_bytes=1 << 30")


def _fifo_writer(path, head: bytes, stop: threading.Event):
    try:
        with open(path, "wb") as f:
            f.write(head)
            while not stop.is_set():
                f.write(b" " * 65536)
    except (BrokenPipeError, OSError):
        pass


@pytest.mark.parametrize("kind", ["stats", "heap"])
def test_endless_pipe_bounded_by_max_bytes(kind, tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    stop = threading.Event()
    writer = threading.Thread(target=_fifo_writer, args=(path, b"{", stop), daemon=True)
    writer.start()
    try:
        _refused(kind, path, r"more than max_bytes=4000000", kw=", max_bytes=4_000_000")
    finally:
        stop.set()
        try:  # unblock a writer still waiting for a reader
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        writer.join(5)


def _random_writer(path, head: bytes, stop: threading.Event):
    try:
        with open(path, "wb") as f:
            f.write(head)
            f.flush()
            time.sleep(0.2)  # the reader's first read gets the head alone
            while not stop.is_set():
                f.write(os.urandom(65536))
    except (BrokenPipeError, OSError):
        pass


@pytest.mark.parametrize("kind", ["stats", "heap"])
@pytest.mark.parametrize("head", [b"{", b'{"', b"\xef\xbb\xbf{ "])
def test_endless_random_bytes_after_a_json_start_refused_at_once(kind, head, tmp_path):
    """/dev/urandom starts with '{' one time in a few hundred: what follows must still be
    refused from the first bytes (JSON text holds no control byte and is UTF-8), not after
    max_bytes were read. The pipe makes it certain, and endless; its writer pauses after
    the head, so the first read returns the head alone (the window is read in full)."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    stop = threading.Event()
    writer = threading.Thread(target=_random_writer, args=(path, head, stop), daemon=True)
    writer.start()
    try:
        out = _refused(kind, path, r"not a JSON document of this format \((byte \d+ is|it starts)")
        assert out["rss_growth_mb"] < 5, out
    finally:
        stop.set()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        writer.join(5)


def test_json_sniffer_accepts_text_and_refuses_binary():
    sniff = _safeio.json_sniffer("heap snapshot", "f.json")
    for ok in (b'{"a": "caf\xc3\xa9\t\xe2\x82', b"\n\r\t {}", "{\"\u00e9\": 1}"):
        sniff(ok)  # a multi-byte character cut at the end of the window is fine
    for bad, why in ((b'{"a": "\x00"}', "byte 7 is 0x00"), (b'{"a\xff"}', "byte 3 is not UTF-8"),
                     (b"{\x1b[0m", "byte 1 is 0x1b")):
        with pytest.raises(ValueError, match=re.escape(why)):
            sniff(bad)


@pytest.mark.parametrize("kind", KINDS)
def test_fifo_without_writer_does_not_hang(kind, tmp_path):
    path = tmp_path / "lonely"
    os.mkfifo(path)
    out = _bounded(kind, path)
    assert out["error"] is not None and out["seconds"] < MAX_SECONDS


def test_gzip_bomb_bounded(tmp_path):
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(b"{" + b" " * (64 << 20)))  # 64 MiB of spaces in ~64 KB
    _refused("stats", path, r"more than max_bytes=1000000", kw=", max_bytes=1_000_000")


# ---------------------------------------------------------------------------
# 6. deep nesting, wrong types, numbers beyond int64
@pytest.mark.parametrize("kind", ["stats", "heap"])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_million_deep_json_refused(kind, opener, tmp_path):
    closer = "]" if opener == "[" else "}"
    path = tmp_path / "deep.json"
    path.write_text("{\"x\":" + opener * 10**6 + "1" + closer * 10**6 + "}")
    _refused(kind, path, r"nested more than (512|8) levels deep, more than this format allows")


def test_json_depth_scan_ignores_brackets_in_strings():
    assert _safeio.json_depth(b'{"a": "[[[[\\"{{{", "b": [[1]]}') == 3
    assert _safeio.json_depth(b'["\\\\", ["]]]"]]') == 2
    assert _safeio.json_depth(b"") == 0


def _stats_doc(good) -> dict:
    return json.loads(good["stats"].read_text())


def _heap_doc(good) -> dict:
    return json.loads(good["heap"].read_text())


def _write_json(path, doc):
    path.write_text(json.dumps(doc))
    return path


STATS_MUTATIONS = {
    "version_true": (lambda d: d.update(version=True), "unsupported version true"),
    "version_float": (lambda d: d.update(version=2.0), "unsupported version float 2.0"),
    "timestamp_10e400": (lambda d: d["snapshots"][0].update(timestamp=10**400),
                         r"expected a finite number, got int 1000"),
    "size_2e70": (lambda d: d["snapshots"][0].update(tracked_total=2**70), r"< 2\*\*63, got int"),
    "size_float": (lambda d: d["snapshots"][0].update(tracked_total=1.5), r"< 2\*\*63, got float 1.5"),
    "size_bool": (lambda d: d["snapshots"][0].update(overhead=False), r"< 2\*\*63, got false"),
}


@pytest.mark.parametrize("case", list(STATS_MUTATIONS))
def test_stats_wrong_types_and_huge_numbers(case, good, tmp_path):
    doc = _stats_doc(good)
    mutate, match = STATS_MUTATIONS[case]
    mutate(doc)
    _refused("stats", _write_json(tmp_path / f"{case}.json", doc), match)


@pytest.mark.parametrize("text, match", [
    ('"epoch":1e400', "too large for a float"),
    ('"epoch":' + "9" * 5000, "Exceeds the limit|digits"),
])
def test_stats_numbers_in_the_text(text, match, good, tmp_path):
    raw = good["stats"].read_text()
    head, _, rest = raw.partition('"epoch":')
    rest = rest[rest.index(","):]
    path = tmp_path / "num.json"
    path.write_text(head + text + rest)
    _refused("stats", path, match)


HEAP_MUTATIONS = {
    "version_true": (lambda d: d.update(version=True), "version True is not supported"),
    "version_float": (lambda d: d.update(version=1.0), "version 1.0 is not supported"),
    "size_2e70": (lambda d: d["size"].__setitem__(0, 2**70), r"'size' has values outside \[0, 2\*\*63\)"),
    "ids_2e64": (lambda d: d["ids"].__setitem__(0, 2**64), r"'ids' has values outside \[0, 2\*\*63\)"),
    "offsets_huge": (lambda d: d["offsets"].__setitem__(-1, 10**400), r"'offsets' has values outside"),
    "size_bool": (lambda d: d["size"].__setitem__(0, True), "must hold integers only"),
    "meta_huge": (lambda d: d["meta"].update(created=10**400), "'meta' must be an object"),
}


@pytest.mark.parametrize("case", list(HEAP_MUTATIONS))
def test_heap_wrong_types_and_huge_numbers(case, good, tmp_path):
    doc = _heap_doc(good)
    mutate, match = HEAP_MUTATIONS[case]
    mutate(doc)
    _refused("heap", _write_json(tmp_path / f"{case}.json", doc), match)


# ---------------------------------------------------------------------------
# 8. tracemalloc snapshot files: DAG bombs and friends, built here
def _memo_ref(i: int) -> bytes:
    return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)


def _snapshot_prefix() -> bytes:
    """The opening of a Snapshot.dump file up to the trace list's MARK (memo 0..11)."""
    return (b"\x80\x04\x8c\x0btracemalloc\x94\x8c\x08Snapshot\x94\x93\x94)\x81\x94}\x94("
            b"\x8c\x06traces\x94h\x00\x8c\x07_Traces\x94\x93\x94)\x81\x94}\x94\x8c\x07_traces\x94]\x94(")


_SNAPSHOT_SUFFIX = b"esb\x8c\x0ftraceback_limit\x94K\x01ub."


def dag_bomb(levels: int = 60) -> bytes:
    """One trace whose traceback is a DAG: level k = (level k-1, level k-1) by memo
    references, 3 bytes a level, 2**levels paths (a repr or hash never ends)."""
    body = b"(K\x00K\x10" + b"\x8c\x01f\x94K\x01\x86\x94"  # ('f', 1) is memo 13
    for memo in range(13, 13 + levels):
        body += _memo_ref(memo) + b"\x86\x94"
    return _snapshot_prefix() + body + b"Nt\x94" + _SNAPSHOT_SUFFIX


def list_dag_bomb(levels: int = 60) -> bytes:
    """A list, then repeatedly a list of two memo references to the previous one
    (EMPTY_LIST, MARK, 2 x BINGET, APPENDS, MEMOIZE, POP): 2**levels paths."""
    body = b"\x80\x04]\x940"
    for memo in range(levels):
        body += b"](" + _memo_ref(memo) + _memo_ref(memo) + b"e\x940"
    return body + _memo_ref(levels) + b"."


def hash_bomb(levels: int = 60) -> bytes:
    """A dict keyed by a DAG tuple: pickle hashes the key, 2**levels steps."""
    body = b"\x80\x04)\x94"
    for memo in range(levels):
        body += _memo_ref(memo) + _memo_ref(memo) + b"\x86\x94"
    return body + b"}\x94" + _memo_ref(levels) + b"Ns."


def state_key_bomb(levels: int = 60) -> bytes:
    """A Snapshot whose BUILD state has a DAG tuple key."""
    body = b"\x80\x04\x8c\x0btracemalloc\x94\x8c\x08Snapshot\x94\x93\x94)\x81\x94)\x94"
    for memo in range(4, 4 + levels):
        body += _memo_ref(memo) + _memo_ref(memo) + b"\x86\x94"
    return body + b"}\x94" + _memo_ref(4 + levels) + b"Nsb."


def deep_tuples(depth: int = 400_000) -> bytes:
    return b"\x80\x04)" + b"\x85" * depth + b"."


def deep_lists_appended(depth: int = 300_000) -> bytes:
    """[[[...]]] 300,000 deep (EMPTY_LIST many times, then APPEND as many)."""
    return b"\x80\x04]" + b"]" * depth + b"a" * depth + b"."


def many_empty_lists(count: int = 2_000_000) -> bytes:
    return b"\x80\x04(" + b"]" * count + b"l."


BOMBS = {
    "dag_bomb": (dag_bomb, r"trace 0 is malformed \(int 0, int 16, a tuple of 2 items, None"),
    "list_dag_bomb": (list_dag_bomb, "opcode b'0', which a snapshot file does not use"),
    "hash_bomb": (hash_bomb, "a dict key that is a tuple of 2 items, not a str"),
    "state_key_bomb": (state_key_bomb, "a dict key that is a tuple of 2 items, not a str"),
    "deep_tuples": (deep_tuples, "more objects than a file of this size can describe"),
    "deep_lists": (deep_lists_appended, "more than 70000 values on the stack"),
    "many_empty_lists": (many_empty_lists, "more than 70000 values on the stack"),
}


def test_bombs_are_what_they_claim():
    """The bombs are valid pickles (the standard unpickler reads small ones) of < 400 bytes."""
    snap = pickle.loads(dag_bomb(4))
    tb = snap.traces._traces[0][2]
    assert tb[0] is tb[1] and tb[0][0] is tb[0][1]
    lst = pickle.loads(list_dag_bomb(3))
    assert lst[0] is lst[1] and lst[0][0] is lst[0][1]
    (key,) = pickle.loads(hash_bomb(3))  # the unpickler hashed the DAG key
    assert key[0] is key[1]
    state = pickle.loads(state_key_bomb(3)) if False else None  # BUILD needs str keys: not loaded
    assert state is None
    assert len(dag_bomb(60)) < 400 and max(len(b(60)) for b in (list_dag_bomb, hash_bomb, state_key_bomb)) < 600


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_tracemalloc_bombs_refused_fast(bomb, tmp_path):
    build, match = BOMBS[bomb]
    path = tmp_path / f"{bomb}.pickle"
    path.write_bytes(build())
    _refused("tracemalloc", path, match)


@pytest.mark.parametrize("payload", [
    b"\x80\x04cos\nsystem\n\x8c\x04echo\x85R.",  # GLOBAL + REDUCE
    b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.",  # STACK_GLOBAL + REDUCE
    b"\x80\x04\x8c\x0btracemalloc\x8c\x08Snapshot\x93)\x8c\x01x\x85R.",  # REDUCE of an allowed class
    b"\x80\x04\x8c\x011P.",  # persistent id
    b"\x80\x04\x8f(K\x01\x90.",  # sets hash their items
])
def test_no_code_runs_and_no_other_opcodes(payload, tmp_path):
    path = tmp_path / "evil.pickle"
    path.write_bytes(payload)
    with pytest.raises(allocations.SnapshotFormatError, match="refusing|opcode|not a"):
        allocations.load(path)


def test_truncated_and_trailing_data(good, tmp_path):
    raw = good["tracemalloc"].read_bytes()
    for cut in (3, len(raw) // 2, len(raw) - 1):
        path = tmp_path / f"cut{cut}.pickle"
        path.write_bytes(raw[:cut])
        with pytest.raises(allocations.SnapshotFormatError, match="tm.pickle|cut"):
            allocations.load(path)
    path = tmp_path / "trailing.pickle"
    path.write_bytes(raw + b"junk")
    with pytest.raises(allocations.SnapshotFormatError, match="4 bytes after the end"):
        allocations.load(path)


def test_tracemalloc_files_still_load(good, tmp_path):
    """Snapshot.dump files (every pickle protocol 2-5) load exactly as tracemalloc reads them."""
    tm = tracemalloc.Snapshot.load(str(good["tracemalloc"]))
    assert list(allocations.load(good["tracemalloc"]).raw.traces._traces) == list(tm.traces._traces)
    for protocol in (2, 3, 4, 5):
        path = tmp_path / f"p{protocol}.pickle"
        path.write_bytes(pickle.dumps(tm, protocol=protocol))
        again = allocations.Snapshot.load(path)
        assert list(again.raw.traces._traces) == list(tm.traces._traces)
        assert again.statistics() == allocations.Snapshot(tm).statistics()
    # odd but valid values: big sizes, LONG1 integers, None frames, long file names
    odd = tracemalloc.Snapshot([(0, 2**40, (("x" * 300, 7), ("\udc80\u202e\n\x00", 0)), None),
                                (2**31, 5, (), 0)], 2)
    path = tmp_path / "odd.pickle"
    odd.dump(str(path))
    assert list(allocations.load(path).raw.traces._traces) == list(odd.traces._traces)


def test_legit_snapshot_load_bounded(tmp_path):
    """A real snapshot (every trace, 10 frames) loads in the child within a time bound."""
    started = not tracemalloc.is_tracing()
    tracemalloc.start(10)
    keep = [bytearray(64) for _ in range(20_000)]
    snap = tracemalloc.take_snapshot()
    if started:
        tracemalloc.stop()
    del keep
    path = tmp_path / "real.pickle"
    snap.dump(str(path))
    out = _bounded("tracemalloc", path)
    assert out["error"] is None and out["seconds"] < 10, out


# ---------------------------------------------------------------------------
# 10. round trips keep everything exactly
TEXT = st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=30)


def test_text_strategy_includes_surrogates():
    """``st.characters(codec=None)`` draws lone surrogates (category Cs) and NUL."""
    from hypothesis import find

    assert 0xD800 <= ord(find(TEXT, lambda t: any(0xD800 <= ord(c) <= 0xDFFF for c in t))[0]) <= 0xDFFF
    assert "\x00" in find(TEXT, lambda t: "\x00" in t)


def _deep_tree(depth: int, name=lambda i: f"[{i}]") -> Asized:
    root = Asized(depth + 1, 1, (), "root")
    node = root
    for i in range(depth):
        kid = Asized(depth - i, 1, (), name(i))
        node.refs = (kid,)
        node = kid
    return root


def _stats_with(texts: list, tree: Asized | None = None) -> Stats:
    stats = Stats()
    t = tree if tree is not None else Asized(30, 10, (Asized(20, 20, (), texts[3]),), texts[2])
    tobj = TrackedObject._restore(
        id=12345, name=texts[0], repr=texts[1], type=texts[4], birth=0.5, death=None,
        trace=[(texts[5], 3, texts[6], [texts[7]], 0)], resolution_level=2, birth_size=8,
        samples=[(1.0, t.size, t.flat, t)])
    stats.index = {texts[0]: [tobj]}
    from pympler_nb.core.classtracker import ProcessMemorySample, Snapshot
    snap = Snapshot(1.0, texts[8], ProcessMemorySample(False, 0, 0))
    snap.tracked_total = snap.asizeof_total = t.size
    stats.snapshots = [snap]
    stats.epoch = 1.7e9
    return stats


def _tree_rows(tree: Asized) -> list:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append((node.size, node.flat, node.name, len(node.refs)))
        stack.extend(reversed(node.refs))
    return out


def _same_stats(a: Stats, b: Stats) -> None:
    assert list(a.index) == list(b.index)
    for name in a.index:
        for x, y in zip(a.index[name], b.index[name], strict=True):
            assert (x.id, x.name, x.repr, x.type, x.birth, x.death, x.trace) == (
                y.id, y.name, y.repr, y.type, y.birth, y.death, y.trace)
            for (t1, s1), (t2, s2) in zip(x.snapshots, y.snapshots, strict=True):
                assert t1 == t2 and _tree_rows(s1) == _tree_rows(s2)
    assert [(s.timestamp, s.desc, s.tracked_total) for s in a.snapshots] == [
        (s.timestamp, s.desc, s.tracked_total) for s in b.snapshots]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=9, max_size=9), gz=st.booleans())
def test_stats_round_trip_any_text(texts, gz, tmp_path):
    stats = _stats_with(texts)
    path = tmp_path / ("s.json.gz" if gz else "s.json")
    stats.dump_stats(path)
    _same_stats(stats, Stats(filename=path))
    buf = io.StringIO()
    stats.dump_stats(buf, close=False)
    buf.seek(0)
    again = Stats()
    again.load_stats(buf)
    _same_stats(stats, again)


def test_stats_fixed_hostile_text(tmp_path):
    texts = ["\udc80", "a\x00b", "\u202eRTL\u202c", "line\nbreak\r\n", '"quoted" \\', "<>&",
             "\ud800\udfff", "\U0001f600", ""]
    stats = _stats_with(texts)
    stats.dump_stats(tmp_path / "h.json")
    loaded = Stats(filename=tmp_path / "h.json")
    _same_stats(stats, loaded)
    assert loaded.index["\udc80"][0].repr == "a\x00b"
    raw = (tmp_path / "h.json").read_bytes()
    assert "\U0001f600" in raw.decode("utf-8") and b"\\ud800\\udfff" in raw  # valid UTF-8


def test_stats_700_level_tree_round_trip(tmp_path):
    stats = _stats_with(["n", "r", "", "", "T", "f", "g", "l", "d"], tree=_deep_tree(700))
    path = tmp_path / "deep.json"
    stats.dump_stats(path)
    loaded = Stats(filename=path)
    _same_stats(stats, loaded)
    assert len(_tree_rows(loaded.index["n"][0].snapshots[-1][1])) == 701
    assert _safeio.json_depth(path.read_bytes()) < 12  # flat, whatever the tree's depth


def _nest(nodes: list) -> dict:
    """A version-2 flat tree as a version-1 nested one."""
    root, stack = None, []
    for size, flat, name, n in nodes:
        me = {"size": size, "flat": flat, "name": name, "refs": []}
        if stack:
            stack[-1][0]["refs"].append(me)
            stack[-1][1] -= 1
        else:
            root = me
        if n:
            stack.append([me, n])
        while stack and stack[-1][1] == 0:
            stack.pop()
    return root


def test_version1_files_still_load(tmp_path):
    """Files of the previous format (nested trees) are read, deep ones within the limit."""
    stats = _stats_with(["n", "r", "x", "y", "T", "f", "g", "l", "d"], tree=_deep_tree(100))
    buf = io.StringIO()
    stats.dump_stats(buf, close=False)
    doc = json.loads(buf.getvalue())
    doc["version"] = 1
    for tobjs in doc["index"].values():
        for t in tobjs:
            for s in t["samples"]:
                if len(s) == 2:
                    s[1] = _nest(s[1])
    _same_stats(stats, Stats(filename=_write_json(tmp_path / "v1.json", doc)))


class HostileSize:
    def __init__(self, size):
        self.size = size
        self.payload = list(range(10))

    def __sizeof__(self):
        return self.size


@pytest.mark.parametrize("size", [1.5, -100, 10**15, 2**70, float("inf")])
def test_hostile_sizeof_stats_stay_loadable(size, tmp_path):
    """Whatever a __sizeof__ returns, the dump loads back with sizes in [0, 2**63)."""
    tr = ClassTracker()
    tr.track_class(HostileSize, resolution_level=1)
    try:
        keep = [HostileSize(size) for _ in range(3)]
    except Exception:  # noqa: BLE001 - the tracker refuses to size it: nothing to dump
        keep = []
    tr.create_snapshot("hostile")
    path = tmp_path / "hostile.json"
    tr.stats.dump_stats(path)
    loaded = Stats(filename=path)
    for tobjs in loaded.index.values():
        for t in tobjs:
            for _, tree in t.snapshots:
                for s, f, _, _ in _tree_rows(tree):
                    assert type(s) is int and 0 <= s < 2**63 and type(f) is int and 0 <= f < 2**63
    assert all(type(s.tracked_total) is int for s in loaded.snapshots)
    del keep
    tr.detach_all()


def test_writer_coerces_sizes_and_times():
    from pympler_nb.core import classtracker_stats as cs

    assert [cs._size(v) for v in (1.9, -3, 2**70, float("nan"), float("inf"), True, "7", None)] == [
        1, 0, 2**63 - 1, 0, 0, 1, 0, 0]
    assert [cs._time(v) for v in (1, 2.5, float("nan"), 10**400, "x", True)] == [1.0, 2.5, 0.0, 0.0, 0.0, 0.0]


class _Named:
    pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(module=TEXT, attr=TEXT, key=TEXT)
def test_heap_round_trip_any_text(module, attr, key, tmp_path):
    cls = type("Named", (_Named,), {})
    cls.__module__ = module
    obj = cls()
    obj.__dict__[attr] = bytearray(10)
    holder = {key: obj, "k": [obj]}
    snap = heap.take(roots=[holder], via=True)
    path = tmp_path / "h.json"
    snap.dump(path)
    loaded = heap.load(path)
    for by in ("by_type", "by_module", "by_via", "by_rcs", "by_kind"):
        assert list(getattr(loaded, by)()) == list(getattr(snap, by)()), by
    path.read_bytes().decode("utf-8")  # valid UTF-8


def test_heap_700_level_chain_round_trip(tmp_path):
    deep: list = []
    node = deep
    for _ in range(700):
        kid: list = []
        node.append(kid)
        node = kid
    snap = heap.take(roots=[deep])
    path = tmp_path / "deep.json"
    snap.dump(path)
    loaded = heap.load(path)
    assert len(loaded) == len(snap) >= 701
    assert loaded.retained_size(heap.row(0)) == snap.retained_size(deep)
    assert list(loaded.by_type()) == list(snap.by_type())
    snap.dump(os.fsencode(tmp_path / "bytes.json"))  # bytes paths are written too
    assert len(heap.load(tmp_path / "bytes.json")) == len(snap)


def test_regular_file_mode_checked_on_the_open_file(tmp_path):
    """The size limit uses fstat of the opened file (no race between stat and open)."""
    path = tmp_path / "x.json"
    path.write_text("{}")
    assert stat.S_ISREG(os.stat(path).st_mode)
    with pytest.raises(ValueError, match="more than max_bytes=1"):
        heap.load(path, max_bytes=1)


@settings(max_examples=200, deadline=None)
@given(t=TEXT)
def test_json_strings_exact(t):
    """Any str (surrogate pairs of code points, literal backslash-u text) comes back as is."""
    doc = {"k": t, "l": [t, {t: 1}], "z": "\\ud800" + t}
    raw = _safeio.dumps_json(doc)
    raw.decode("utf-8")
    assert _safeio.loads_json(raw, what="test", name="t") == doc


def test_json_surrogate_pair_of_code_points_is_not_joined():
    doc = {"pair": "\ud800\udfff", "astral": "\U000103ff", "lone": "x\udc80y"}
    back = _safeio.loads_json(_safeio.dumps_json(doc), what="test", name="t")
    assert back == doc and len(back["pair"]) == 2 and len(back["astral"]) == 1


def test_json_depth_exact_and_early_stop():
    interleaved = b"[" + b"[[]" * 600 + b"]" * 601
    assert _safeio.json_depth(interleaved) == 602  # no run of more than 2 openers
    assert _safeio.json_depth(b"[" * 20 + b"]" * 20, stop=8) == 9
    assert _safeio.json_depth(b"[" * 8 + b"]" * 8, stop=8) == 8
    with pytest.raises(ValueError, match="nested more than 512 levels"):
        _safeio.loads_json(b'{"a":' + interleaved + b"}", what="test", name="t")


def test_html_report_of_hostile_text(tmp_path):
    """The HTML report of loaded stats with surrogates, NUL, RTL marks is written."""
    from pympler_nb.core.classtracker_stats import HtmlStats

    texts = ["\udc80cls", "<b>&\x00", "\u202eRTL", "line\nbreak", '"q"\\', "f", "\ud800\udfff", "x", "d\udc80"]
    _stats_with(texts).dump_stats(tmp_path / "h.json")
    HtmlStats(filename=tmp_path / "h.json").create_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\\udc80cls" in page  # the lone surrogate, written as its escape
    assert "&lt;b&gt;&amp;" in page and "<b>&" not in page  # the repr, escaped


@pytest.mark.parametrize("size, stored", [(1.5, 1), (-100, 0), (10**15, 10**15), (2**70, 2**63 - 1),
                                          (float("inf"), 0), (float("nan"), 0)])
def test_hostile_sizes_in_trees_are_written_loadable(size, stored, tmp_path):
    """Sizes that reach the writer as floats, negatives or beyond int64 (a hostile
    ``__sizeof__`` upstream) are written as ints in [0, 2**63) and load back.

    (Non-finite sizes go into the trees and snapshot totals only: a TrackedObject keeps
    its sampled sizes as floats and turns them into ints itself.)"""
    finite = size == size and abs(size) != float("inf")
    tree = Asized(size, size, (Asized(size, 0, (), "[V] x"),), "obj")
    stats = _stats_with(["n", "r", "", "", "T", "f", "g", "l", "d"], tree=tree)
    if not finite:
        tobj = stats.index["n"][0]
        stats.index["n"][0] = TrackedObject._restore(
            id=tobj.id, name=tobj.name, repr=tobj.repr, type=tobj.type, birth=tobj.birth, death=None,
            trace=tobj.trace, resolution_level=2, birth_size=8, samples=[(1.0, 0, 0, tree)])
    stats.snapshots[0].tracked_total = size
    path = tmp_path / "sizes.json"
    stats.dump_stats(path)
    loaded = Stats(filename=path)
    rows = _tree_rows(loaded.index["n"][0].snapshots[-1][1])
    assert rows == [(stored, stored, "obj", 1), (stored, 0, "[V] x", 0)]
    assert loaded.snapshots[0].tracked_total == stored
