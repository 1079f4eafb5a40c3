"""Build function for hatch-jupyter-builder: the widgets' JavaScript in every Python build.

``pyproject.toml`` names :func:`build` as the ``jupyter-builder`` hook's build function,
so ``pip wheel .``, ``pip install .``, ``pip install -e .`` and ``python -m build``
(sdist and wheel) build ``pympler_nb/static/*.js`` from ``js/`` with esbuild:

* in a clone: ``npm ci`` (when ``node_modules`` is missing or older than the lock file),
  then ``npm run build``; Node.js and npm are required, and a clear error says so;
* from an sdist (``PKG-INFO`` next to ``pyproject.toml``), which ships the built bundles:
  nothing to do, so no Node.js is needed to install an sdist.

The Node.js version needed is ``engines.node`` in ``package.json`` (the one truth the
README, ``.ci/env.sh`` and the widgets' error message refer to).
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
WIDGETS = ("size_tree", "ref_graph", "variables", "meter", "dashboard")  # js/build.mjs entry points
BUNDLES = tuple(f"pympler_nb/static/{name}.js" for name in WIDGETS)


class JsBuildError(RuntimeError):
    """The widgets' JavaScript could not be built."""


def node_requirement() -> str:
    """``engines.node`` of ``package.json``, e.g. ``'>=18'``."""
    return json.loads((ROOT / "package.json").read_text())["engines"]["node"]


def _min_major(requirement: str) -> int:
    match = re.fullmatch(r">=\s*(\d+)(?:\.\d+)*", requirement.strip())
    if not match:
        raise JsBuildError(f"package.json engines.node={requirement!r}: expected '>=N'")
    return int(match.group(1))


def _fail(what: str) -> JsBuildError:
    return JsBuildError(
        f"pympler_nb: {what}. The widgets' JavaScript (pympler_nb/static/*.js) is built from "
        f"js/ with Node.js {node_requirement()} and npm during the Python build. Install Node.js "
        f"(https://nodejs.org, or `apt-get install nodejs npm`) and build again, or install "
        f"a pympler_nb sdist or wheel, which ship the built bundles.")


def _installed_matches_lock() -> bool:
    """Whether ``node_modules`` holds what ``package-lock.json`` pins (npm's own record of
    the install, ``node_modules/.package-lock.json``, lists the same packages): compared
    by content, not by file times, which copies and checkouts change."""
    try:
        lock = json.loads((ROOT / "package-lock.json").read_text())
        installed = json.loads((ROOT / "node_modules" / ".package-lock.json").read_text())
    except (OSError, ValueError):
        return False
    pinned = {k: v for k, v in lock.get("packages", {}).items() if k}
    have = {k: v.get("version") for k, v in installed.get("packages", {}).items() if k}
    required = {k for k, v in pinned.items() if not v.get("optional")}  # (platform binaries are optional)
    return required <= set(have) and all(pinned.get(k, {}).get("version") == v for k, v in have.items())


def build(target_name: str, version: str, **_ignored) -> None:
    """hatch-jupyter-builder build function (``target_name``: ``wheel``/``sdist``)."""
    from_sdist = (ROOT / "PKG-INFO").exists()
    if from_sdist and all((ROOT / b).is_file() for b in BUNDLES):
        print("pympler_nb: building from an sdist, which ships the JavaScript bundles")
        return
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if not p)
        raise _fail(f"{missing} not found on PATH")
    out = subprocess.run([node, "--version"], capture_output=True, text=True)
    match = re.match(r"v(\d+)", out.stdout.strip())
    need = _min_major(node_requirement())
    if not match or int(match.group(1)) < need:
        raise _fail(f"Node.js {out.stdout.strip() or '?'} found at {node} is too old")
    if not _installed_matches_lock():
        print("pympler_nb: npm ci", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    print("pympler_nb: npm run build (pympler_nb/static/)", flush=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=ROOT, check=True)
    missing = [b for b in BUNDLES if not (ROOT / b).is_file()]
    if missing:
        raise JsBuildError(f"pympler_nb: npm run build did not write {', '.join(missing)}")
