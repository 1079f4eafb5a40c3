"""Installing like a user: the widgets' JavaScript is in every build, or the build fails.

* ``python -m build`` in a copy of the clone makes an sdist with the JS sources and the
  built bundles, and a wheel (built from that sdist) with ``pympler_nb/static/*.js``;
* ``pip wheel`` of the sdist in a fresh venv with no Node.js on ``PATH`` still gives a
  wheel with the bundles (the sdist ships them);
* ``pip wheel`` of a clone with no Node.js fails with a message that says what to install;
* one statement of the Node.js version (``package.json`` ``engines``).

The build tests create fresh virtual environments and download the build backend
(hatchling, hatch-jupyter-builder): marked ``slow``, part of the test command.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from tests._repo_copy import ROOT, copy_clone

WIDGETS = ("size_tree", "ref_graph", "variables", "meter", "dashboard")  # js/build.mjs entry points
BUNDLES = tuple(f"pympler_nb/static/{name}.js" for name in WIDGETS)
JS_SOURCES = ("js/build.mjs", *(f"js/{name}.{ext}" for name in WIDGETS for ext in ("js", "css")),
              "js/package.json", "js/hatch_build_js.py", "package.json", "package-lock.json")


def _node_requirement() -> str:
    return json.loads((ROOT / "package.json").read_text())["engines"]["node"]


def test_one_statement_of_the_node_version():
    need = _node_requirement()
    major = re.fullmatch(r">=(\d+)", need).group(1)
    readme = (ROOT / "README.md").read_text()
    assert f"Node.js >= {major}" in readme
    # no other Node version anywhere in the README, the scripts or the widgets' messages
    for path in [ROOT / "README.md", *sorted((ROOT / ".ci").iterdir()),
                 ROOT / "pympler_nb" / "widgets" / "_static.py", ROOT / "js" / "hatch_build_js.py"]:
        text = path.read_text()
        found = {m for m in re.findall(r"Node(?:\.js)?\s*(?:>=|≥|v)?\s*(\d+)", text)}
        assert found <= {major}, f"{path.relative_to(ROOT)} names Node {found - {major}}; package.json says {need}"
    assert "node_requirement" in (ROOT / ".ci" / "env.sh").read_text()


def _load_hook(root: pathlib.Path):
    spec = importlib.util.spec_from_file_location("_pnb_hatch_build_js", root / "js" / "hatch_build_js.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_function_without_node_says_what_to_install(tmp_path, monkeypatch):
    hook = _load_hook(ROOT)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(hook.JsBuildError) as err:
        hook.build("wheel", "standard")
    message = str(err.value)
    assert "node and npm not found on PATH" in message
    assert f"Node.js {_node_requirement()}" in message and "sdist or wheel" in message


@pytest.fixture(scope="module")
def build_venv(tmp_path_factory):
    """A fresh venv with ``build``; a copy of the clone (tracked files, npm packages)."""
    base = tmp_path_factory.mktemp("pkg")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(py), "-m", "pip", "install", "-q", "build"], env=env, check=True)
    repo = copy_clone(base / "repo")
    assert not (repo / "pympler_nb" / "static").exists()  # build output is not tracked
    return py, repo, env, base


def _no_node_env(env: dict, py: pathlib.Path) -> dict:
    """``env`` with a PATH of only the venv's bin (no node, no npm)."""
    out = dict(env, PATH=str(py.parent))
    assert shutil.which("node", path=out["PATH"]) is None and shutil.which("npm", path=out["PATH"]) is None
    return out


@pytest.mark.slow
def test_sdist_and_wheel_from_sdist_contain_the_bundles(build_venv):
    py, repo, env, base = build_venv
    dist = base / "dist"
    # python -m build: the sdist first, then the wheel built from the unpacked sdist
    proc = subprocess.run([str(py), "-m", "build", "--outdir", str(dist), str(repo)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "npm run build" in proc.stdout + proc.stderr  # the clone's build ran esbuild
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        sizes = {n.split("/", 1)[1]: tar.getmember(n).size for n in tar.getnames() if "/" in n}
    for name in JS_SOURCES + BUNDLES:
        assert name in names, f"{name} missing from the sdist"
    assert not any(n.startswith(("node_modules/", ".venv", "notebooks-work/")) for n in names)
    assert sizes["pympler_nb/static/ref_graph.js"] > 500_000  # the WebAssembly Graphviz is inlined
    with zipfile.ZipFile(wheel) as zf:
        wsizes = {i.filename: i.file_size for i in zf.infolist()}
    for name in BUNDLES:
        assert wsizes.get(name) == sizes[name], f"{name}: wheel {wsizes.get(name)}, sdist {sizes[name]}"

    # a wheel from the sdist needs no Node.js: the sdist ships the bundles
    nonode = _no_node_env(env, py)
    out = base / "wheel-from-sdist"
    proc = subprocess.run([str(py), "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(sdist)],
                          env=nonode, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel2,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel2) as zf:
        static = sorted(n for n in zf.namelist() if re.fullmatch(r"pympler_nb/static/[^/]+\.js", n))
        assert static == sorted(BUNDLES)
        assert all(zf.getinfo(n).file_size == sizes[n] for n in static)


@pytest.mark.slow
def test_wheel_of_a_clone_without_node_fails_clearly(build_venv):
    py, repo, env, base = build_venv
    proc = subprocess.run([str(py), "-m", "pip", "wheel", "--no-deps", "-w", str(base / "nope"), str(repo)],
                          env=_no_node_env(env, py), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "node and npm not found on PATH" in text, text[-3000:]
    assert "Install Node.js" in text
    assert not list((base / "nope").glob("*.whl"))


def test_build_function_runs_npm_ci_only_when_the_install_differs_from_the_lock(tmp_path):
    """By content: copies and checkouts change file times (an `npm ci` through a linked
    node_modules would empty what it links to)."""
    hook = _load_hook(ROOT)
    assert hook._installed_matches_lock()  # this checkout, after `npm ci`
    (tmp_path / "js").mkdir()
    (tmp_path / "node_modules").mkdir()
    lock = json.loads((ROOT / "package-lock.json").read_text())
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    hook.ROOT = tmp_path
    assert not hook._installed_matches_lock()  # nothing installed
    installed = {"packages": {k: {"version": v["version"]} for k, v in lock["packages"].items()
                              if k and not v.get("optional")}}
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps(installed))
    assert hook._installed_matches_lock()
    name = next(iter(installed["packages"]))
    installed["packages"][name]["version"] = "0.0.0"
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps(installed))
    assert not hook._installed_matches_lock()
