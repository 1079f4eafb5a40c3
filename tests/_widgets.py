"""Talking to a widget as its front end would: custom messages in, replies out."""

from __future__ import annotations


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
