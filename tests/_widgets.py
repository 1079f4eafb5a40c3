"""Talking to a widget as its front end would: custom messages in, replies out."""

from __future__ import annotations

import contextlib
import threading


def capture(widget) -> list:
    """Replace ``widget.send`` by a list collector; return the list."""
    sent: list = []
    widget.send = sent.append
    return sent


def ask(widget, content):
    """Deliver one custom message as the comm would; return the single reply."""
    sent = capture(widget)
    widget._handle_custom_msg(content, [])
    assert len(sent) == 1, sent
    return sent[0]


def expand(widget, nid, offset=0):
    """Ask a size tree for a node's children; return the ``children`` reply."""
    reply = ask(widget, {"type": "expand", "id": nid, "offset": offset})
    assert reply["type"] == "children", reply
    return reply


@contextlib.contextmanager
def thread_running(hold, name: str):
    """Run ``hold(ready, done)`` in a daemon thread named ``name`` until the block ends:
    ``hold`` makes its locals, sets ``ready`` and waits on ``done`` (a frame to inspect)."""
    ready, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=hold, args=(ready, done), name=name, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield thread
    finally:
        done.set()
        thread.join(10)
