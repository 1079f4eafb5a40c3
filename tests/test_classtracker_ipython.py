"""ClassTracker inside an IPython shell (Pympler #79): interactive classes, shell objects."""

import io

from IPython.core.interactiveshell import InteractiveShell


def test_ipython_interactive_class():
    """Pympler #79: tracking a class defined in IPython and sizing what it reaches."""
    shell = InteractiveShell.instance()
    try:
        cell = (
            "from pympler_nb.core.classtracker import ClassTracker\n"
            "class Node:\n"
            "    def __init__(self):\n"
            "        self.shell = get_ipython()\n"
            "        self.config = get_ipython().config\n"
            "        self.data = list(range(100))\n"
            "tr = ClassTracker()\n"
            "tr.track_class(Node, resolution_level=2, trace=True)\n"
            "nodes = [Node() for _ in range(3)]\n"
            "tr.create_snapshot('in IPython')\n"
        )
        result = shell.run_cell(cell, store_history=True)
        result.raise_error()
        result = shell.run_cell("del nodes[0]\ntr.create_snapshot('after del')", store_history=True)
        result.raise_error()
        tr = shell.user_ns["tr"]
        stats = tr.stats
        stats.stream = io.StringIO()
        stats.print_summary()
        stats.print_stats()
        (name,) = tr.index
        assert name == "__main__.Node"
        classes = [s.classes[name]["active"] for s in tr.snapshots]
        assert classes == [3, 2]
        assert "__main__.Node" in stats.stream.getvalue()
        trace = tr.index[name][0].trace
        assert any("Node()" in "".join(rec[3] or ()) for rec in trace)
        tr.close()
    finally:
        InteractiveShell.clear_instance()
