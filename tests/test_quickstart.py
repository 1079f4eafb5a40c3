"""The README's Quick start, ``bash .ci/lab.sh``, from a fresh clone: as root and as a user.

For each user the test copies the tracked files (as a clone has them, with the npm
packages linked) to a temporary directory, runs ``bash .ci/lab.sh --no-browser
--port=P --ip=127.0.0.1`` there (it creates ``.venv``, installs ``.[dev]``, which builds
the widgets' JavaScript, and starts JupyterLab), waits until the server answers on
loopback, checks what it serves and what it printed, then stops the process group it
started.

* root (this machine, containers): JupyterLab starts (``--allow-root`` is passed);
* a normal user (``nobody``, run with ``setpriv`` when the tests run as root; the test's
  own user otherwise): it starts without ``--allow-root``;
* no "Fail to get yarn configuration" / minified JavaScript in the log;
* it serves ``notebooks-work/``, a copy of the five demos; saving a notebook with outputs
  there (what autosave does) leaves the tracked ``notebooks/`` without outputs.

Slow (a fresh virtual environment with JupyterLab per user): marked ``slow``.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests._repo_copy import copy_clone

NOTEBOOKS = ["01_tour.ipynb", "02_sizing.ipynb", "03_find_a_leak.ipynb",
             "04_class_tracker.ipynb", "05_reference_graphs.ipynb", "06_dask_workers.ipynb"]
START_LIMIT = 900  # seconds: a fresh .venv with JupyterLab, then the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user() -> tuple[list[str], int]:
    """(command prefix, uid) of a normal user."""
    if os.geteuid() != 0:
        return [], os.geteuid()
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"], 65534


def _start_lab(base: pathlib.Path, prefix: list[str], uid: int):
    repo = copy_clone(base / "repo")
    home = base / "home"
    home.mkdir()
    if uid != os.geteuid():
        subprocess.run(["chown", "-R", f"{uid}:{uid}", str(base)], check=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), JUPYTER_PLATFORM_DIRS="1")
    if uid != os.geteuid():  # root's pyenv is not readable by others: the system's python3.11
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    log_path = base / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        prefix + ["bash", ".ci/lab.sh", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                  f"--IdentityProvider.token={token}"],
        cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + START_LIMIT
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
            return proc, log, log_path, repo, url, token
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                _stop(proc, log)
                pytest.fail(f"bash .ci/lab.sh did not start JupyterLab (exit {proc.returncode}):\n"
                            + log_path.read_text()[-4000:])
            time.sleep(1)


def _stop(proc, log) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the session lab.sh's exec'd jupyter leads
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    log.close()


def _api(url: str, token: str, path: str, data: dict | None = None) -> dict:
    req = urllib.request.Request(f"{url}/api/contents/{path}?token={token}",
                                 data=None if data is None else json.dumps(data).encode(),
                                 method="GET" if data is None else "PUT",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _check_quickstart(base: pathlib.Path, prefix: list[str], uid: int, root: bool) -> None:
    proc, log, log_path, repo, url, token = _start_lab(base, prefix, uid)
    try:
        listing = _api(url, token, "")
        names = sorted(item["name"] for item in listing["content"])
        assert names == NOTEBOOKS, names
        # autosave of a run notebook: outputs go to the working copy only
        nb = _api(url, token, "01_tour.ipynb")
        cell = next(c for c in nb["content"]["cells"] if c["cell_type"] == "code")
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran\n"}]
        cell["execution_count"] = 1
        _api(url, token, "01_tour.ipynb", {"type": "notebook", "format": "json", "content": nb["content"]})
        saved = json.loads((repo / "notebooks-work" / "01_tour.ipynb").read_text())
        assert any(c.get("outputs") for c in saved["cells"])
        tracked = json.loads((repo / "notebooks" / "01_tour.ipynb").read_text())
        assert not any(c.get("outputs") for c in tracked["cells"] if c["cell_type"] == "code")
    finally:
        _stop(proc, log)
    text = log_path.read_text()
    assert "Fail to get yarn configuration" not in text, text[:3000]
    assert "allow-root" not in text.replace("--allow-root", ""), text[-3000:]
    assert max(map(len, text.splitlines())) < 1000, "a wall of minified JavaScript in the log"
    assert ("--allow-root" in _cmdline_seen(text)) == root
    assert (repo / "pympler_nb" / "static" / "ref_graph.js").stat().st_size > 500_000


def _cmdline_seen(text: str) -> str:
    """lab.sh echoes the options it passes to jupyter lab."""
    lines = [line for line in text.splitlines() if line.startswith("== jupyter lab ")]
    assert lines, "lab.sh did not print its jupyter lab command"
    return lines[-1]


@pytest.mark.slow
def test_quickstart_lab_sh_as_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root: the test command runs it as root (the default in containers); "
                    "this run is not root")
    _check_quickstart(tmp_path, [], 0, root=True)


@pytest.mark.slow
def test_quickstart_lab_sh_as_a_normal_user(tmp_path):
    prefix, uid = _as_user()
    os.chmod(tmp_path, 0o755)
    for parent in tmp_path.parents:  # the user must reach the copy (pytest makes 0700 dirs)
        if parent.stat().st_uid == os.geteuid() and parent != pathlib.Path("/"):
            os.chmod(parent, parent.stat().st_mode | 0o005)
    _check_quickstart(tmp_path, prefix, uid, root=False)
