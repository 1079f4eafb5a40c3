"""File errors in the magics (``%classtrack load``, ``%heap --load``): one-line
``UsageError`` naming the file and the problem, never a traceback; ``%heap --load``
partitions a saved snapshot."""

from __future__ import annotations

import errno
import os

import pytest

from pympler_nb.core import _safeio, heap
from tests._ipython import run, usage_error


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("magic files")
    out = {"dir": d}
    out["missing"] = d / "missing.json"
    (d / "pickle.dat").write_bytes(b"\x80\x04\x95\x00\x00")
    out["pickle"] = d / "pickle.dat"
    (d / "deep.json").write_text("{\"a\":" + "[" * 200_000 + "]" * 200_000 + "}")
    out["deep"] = d / "deep.json"
    with open(d / "huge.json", "wb") as f:  # sparse: nothing written
        f.write(b"{")
        f.truncate(200 * 10**6)
    out["huge"] = d / "huge.json"
    (d / "v.json").write_text('{"format": "pympler_nb.heap", "version": true}')
    out["version"] = d / "v.json"
    snap = heap.take(roots=[[bytearray(100), "x", {"a": 1}]])
    snap.dump(d / "saved heap.json")
    out["heap"] = d / "saved heap.json"
    return out


CASES = {
    "missing": ("No such file or directory", FileNotFoundError),
    "dir": ("Is a directory", IsADirectoryError),
    "pickle": ("not a JSON document", None),
    "deep": ("nested more than", None),
    "huge": ("is 200_000_000 bytes, more than max_bytes=134217728", None),
    "devzero": ("starts with b'\\x00", None),
}


def _path(files, case: str) -> str:
    return "/dev/zero" if case == "devzero" else str(files[case])


@pytest.mark.parametrize("case", list(CASES))
def test_classtrack_load_errors(shell, files, case):
    text = usage_error(shell, f'%classtrack load "{_path(files, case)}"')
    assert text.startswith("%classtrack load: ")
    assert repr(_path(files, case)) in text and CASES[case][0] in text, text


@pytest.mark.parametrize("case", list(CASES))
def test_heap_load_errors(shell, files, case):
    text = usage_error(shell, f'%heap --load "{_path(files, case)}"')
    assert text.startswith("%heap --load: ")
    assert _path(files, case) in text and CASES[case][0] in text, text


def test_heap_load_bad_version(shell, files):
    text = usage_error(shell, f'%heap --load "{files["version"]}"')
    assert "version True is not supported" in text and "v.json" in text


@pytest.mark.parametrize("magic", ["%classtrack load", "%heap --load"])
def test_unreadable_file(shell, files, magic, monkeypatch):
    """Permission denied (simulated: the tests run as root, who reads chmod 000 files)."""
    target = str(files["heap"])
    real_open = os.open

    def deny(path, *a, **k):
        if os.fsdecode(path) == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, *a, **k)

    monkeypatch.setattr(_safeio.os, "open", deny)
    text = usage_error(shell, f'{magic} "{target}"')
    assert "Permission denied" in text and repr(target) in text


def test_heap_load_partitions_the_saved_snapshot(shell, files):
    shell.user_ns["saved_path"] = str(files["heap"])
    result, cap = run(shell, 'df = %heap -q --load "$saved_path"')
    assert result.error_in_exec is None and result.error_before_exec is None
    df = shell.user_ns["df"]
    part = heap.load(files["heap"]).reachable.by_type()
    assert list(df["key"]) == [r.key for r in part.rows]
    assert int(df["count"].sum()) == part.count and int(df["size"].sum()) == part.size
    assert cap.outputs == []
    result, cap = run(shell, f'%heap --by size --load "{files["heap"]}"')
    assert result.error_in_exec is None
    assert any("saved heap.json" in o.data.get("text/plain", "") for o in cap.outputs)


def test_heap_load_option_mistakes(shell, files):
    text = usage_error(shell, f'%heap --load "{files["heap"]}" --new')
    assert "--load cannot be combined" in text
    text = usage_error(shell, f'%heap --by via --load "{files["heap"]}"')
    assert "no reference labels" in text
    text = usage_error(shell, '%heap --load ""')
    assert "file name is empty" in text
