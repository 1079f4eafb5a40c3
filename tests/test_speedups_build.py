"""Building the C extension ``pympler_nb._speedups`` like a user (issue 18).

* ``python -m build --wheel`` of a copy of the clone gives a platform wheel with the
  compiled module and the widgets' JavaScript;
* ``CC=false pip install`` (no C compiler) still installs, with one clear warning, and
  the installed package runs its core tests on the pure-Python path.

Fresh virtual environments, the build backend downloaded: marked ``slow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests._repo_copy import copy_clone

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    base = tmp_path_factory.mktemp("speedups")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYMPLER_NB_PURE", "CC")}
    subprocess.run([str(py), "-m", "pip", "install", "-q", "build", "pytest", "hypothesis"],
                   env=env, check=True, timeout=600)
    repo = copy_clone(base / "repo")
    return py, repo, env, base


def test_wheel_has_the_extension_and_the_js(fresh):
    py, repo, env, base = fresh
    out = base / "dist"
    proc = subprocess.run([str(py), "-m", "build", "--wheel", "--outdir", str(out), str(repo)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    assert not wheel.name.endswith("-none-any.whl"), wheel.name  # a platform wheel
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert [n for n in names if n.startswith("pympler_nb/_speedups.") and n.endswith((".so", ".pyd"))]
    assert {"pympler_nb/static/size_tree.js", "pympler_nb/static/ref_graph.js"} <= set(names)
    assert not [n for n in names if n.endswith(".c")]  # sources stay in the sdist


def test_no_compiler_installs_the_pure_path(fresh, tmp_path):
    py, repo, env, base = fresh
    nocc = dict(env, CC="false")
    proc = subprocess.run([str(py), "-m", "pip", "install", "-v", "--no-deps", str(repo)], env=nocc,
                          capture_output=True, text=True, timeout=900)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    assert text.count("pympler_nb: WARNING: the C extension pympler_nb._speedups was not built") == 1
    assert "the C compiler `false` failed" in text
    check = ("import pympler_nb, pympler_nb.core as c\n"
             "assert 'site-packages' in pympler_nb.__file__, pympler_nb.__file__\n"
             "assert c.ACCELERATED is False\n"
             "from pympler_nb.core import heap, muppy, summary\n"
             "rows = summary.summarize(muppy.get_objects())\n"
             "assert any(r[0] == 'str' for r in rows)\n"
             "box = {'a': [bytearray(10)]}\n"
             "s = heap.take(roots=[box])\n"
             "assert s.dominators().retained(s.node(box)) == s.size\n"
             "print('pure ok')\n")
    out = subprocess.run([str(py), "-c", check], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and "pure ok" in out.stdout, out.stderr[-3000:]
    # the installed package's core tests (the engine's own, stdlib-only), on the pure path:
    # only `tests` is put on the path (a directory without the package's sources)
    root = tmp_path / "testroot"
    root.mkdir()
    (root / "tests").symlink_to(repo / "tests", target_is_directory=True)
    tests = [str(root / "tests" / "core" / name) for name in ("test_muppy.py", "test_summary.py")]
    out = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=append",
                          "-c", str(repo / "pyproject.toml"), "-o", "pythonpath=", "-o", "addopts=",
                          "--rootdir", str(root), *tests],
                         env=dict(env, PYTHONPATH=str(root)), cwd=tmp_path, capture_output=True,
                         text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
