"""A copy of the repository as a fresh clone has it (the tests that build or start it)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def tracked_files() -> list[str]:
    """The files git tracks (committed or added), as a clone would have them."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [f for f in out.stdout.decode().split("\0") if f]


def copy_clone(dest: pathlib.Path, *, node_modules: bool = True) -> pathlib.Path:
    """Copy the tracked files to ``dest`` (no build output, no venv).

    ``node_modules=True`` copies the repo's installed npm packages, as a clone after
    ``npm ci`` has them (saves the download; the build still runs ``npm run build``).
    A copy, never a link: ``npm ci`` in the copy would empty the linked directory.
    """
    for rel in tracked_files():
        src = ROOT / rel
        if src.is_file():  # (a file deleted but not yet committed is left out)
            dst = dest / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    if node_modules and (ROOT / "node_modules").exists():
        shutil.copytree((ROOT / "node_modules").resolve(), dest / "node_modules", symlinks=True)
    return dest
