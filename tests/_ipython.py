"""Running cells in the test IPython shell (the ``shell`` fixture in ``tests/conftest.py``)."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


def start_shell() -> InteractiveShell:
    """The IPython shell with the extension loaded; it has displayed before (formatters exist)."""
    ip = InteractiveShell.instance()
    ip.run_cell("%load_ext pympler_nb", store_history=True).raise_error()
    ip.run_cell("1 + 1", store_history=True)
    return ip


def stop_shell(ip: InteractiveShell) -> None:
    """Unload the extension and drop the shell (``start_shell`` then makes a new one)."""
    ip.run_cell("%unload_ext pympler_nb", store_history=True)
    InteractiveShell.clear_instance()


def run(shell, src: str):
    """Run one cell; return (ExecutionResult, captured output)."""
    with capture_output() as cap:
        result = shell.run_cell(src, store_history=True)
    return result, cap


def error_of(result):
    """The cell's error (before or during execution), or None."""
    return result.error_before_exec or result.error_in_exec


def usage_error(shell, src: str) -> str:
    """Run ``src``, which must fail with a one-line ``UsageError``; return its text."""
    result, _ = run(shell, src)
    err = error_of(result)
    assert isinstance(err, UsageError), (src, err)
    text = str(err)
    assert "\n" not in text and "Traceback" not in text, text
    return text


def texts(cap) -> list[str]:
    """The text/plain of every display a cell produced."""
    return [o.data.get("text/plain", "") for o in cap.outputs]


def notice_peak_mib(line: str) -> float | None:
    """The peak a ``%memwatch`` notice shows (``(peak +80.4 MiB)``), in MiB, or None."""
    import re

    found = re.search(r"\(peak \+([0-9.]+) MiB\)", line)
    return float(found.group(1)) if found else None
