"""The magics in a real IPython shell: usage, mistakes, -q, returned tables, displays."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pandas as pd
import pytest
from IPython.core.error import UsageError

from pympler_nb import frames
from pympler_nb.core import asizeof
from tests._ipython import error_of, run, texts


MAGICS = ("memsize", "memdiff", "classtrack", "refgraph", "whyalive", "garbage")


# ---------------------------------------------------------------------------
# the extension
# ---------------------------------------------------------------------------

def test_import_stays_light_and_loads_lazily():
    code = ("import sys, pympler_nb\n"
            "assert callable(pympler_nb.load_ipython_extension)\n"
            "print(' '.join(m for m in ('IPython', 'pandas', 'altair', 'anywidget') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_magic_modules_form_no_cycle():
    """The heap magics take the shared parsing and display from ``magic_args``, not
    from ``magics`` (which loads them): importing them alone leaves ``magics`` out."""
    code = ("import sys, pympler_nb.magics_heap, pympler_nb.magic_args\n"
            "print('pympler_nb.magics' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_all_magics_registered(shell):
    line = shell.magics_manager.magics["line"]
    cell = shell.magics_manager.magics["cell"]
    for name in ("memsize", "classtrack", "refgraph", "whyalive", "garbage"):
        assert name in line
    assert "memdiff" in cell


# ---------------------------------------------------------------------------
# -h, bad options, unknown names: usage errors in one line, never a traceback
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("src", ["%memsize -h", "%%memdiff -h\npass", "%classtrack -h",
                                 "%classtrack track -h", "%refgraph -h", "%whyalive -h", "%garbage -h"])
def test_help_prints_usage(shell, src):
    result, cap = run(shell, src)
    assert error_of(result) is None
    assert "Usage: %" in cap.stdout
    assert result.result is None


@pytest.mark.parametrize("src, words", [
    ("%memsize --foo x", ["--foo", "usage: %memsize"]),
    ("%memsize -d many x", ["'many'", "usage: %memsize"]),
    ("%memsize --align 3 y", ["align=3"]),
    ("%memsize y -q", ["-q", "options first"]),
    ("%%memdiff --foo\npass", ["--foo", "usage: %%memdiff"]),
    ("%%memdiff --top 0\npass", ["--top", ">= 1"]),
    ("%classtrack frobnicate", ["'frobnicate'", "track", "snapshot", "stop"]),
    ("%classtrack", ["subcommand"]),
    ("%classtrack track", ["CLASS"]),
    ("%classtrack periodic soon", ["'soon'", "off"]),
    ("%classtrack load /nonexistent/stats.json", ["/nonexistent/stats.json"]),
    ("%refgraph --depth x y", ["--depth", "usage: %refgraph"]),
    ("%refgraph", ["expression"]),
    ("%whyalive --bad y", ["--bad", "usage: %whyalive"]),
    ("%garbage --now", ["--now", "usage: %garbage"]),
])
def test_bad_options_are_one_line_usage_errors(shell, src, words):
    shell.run_cell("y = 1")
    result, _ = run(shell, src)
    err = error_of(result)
    assert isinstance(err, UsageError), err
    text = str(err)
    assert "\n" not in text
    for word in words:
        assert word in text, (word, text)


@pytest.mark.parametrize("src", ["%memsize not_defined_anywhere", "%refgraph not_defined_anywhere",
                                 "%whyalive not_defined_anywhere",
                                 "%classtrack track not_defined_anywhere"])
def test_unknown_names(shell, src):
    result, _ = run(shell, src)
    err = error_of(result)
    assert isinstance(err, UsageError)
    assert "name 'not_defined_anywhere' is not defined" in str(err)
    assert "define it first" in str(err)


def test_bad_expressions(shell):
    shell.run_cell("d = {'a': 1}")
    err = error_of(run(shell, "%memsize d[")[0])
    assert isinstance(err, UsageError) and "'d['" in str(err)
    err = error_of(run(shell, "%memsize d['zz']")[0])
    assert isinstance(err, UsageError) and "KeyError" in str(err)
    shell.run_cell("notaclass = 3")
    err = error_of(run(shell, "%classtrack track notaclass")[0])
    assert isinstance(err, UsageError) and "not a class" in str(err)


# ---------------------------------------------------------------------------
# %memsize
# ---------------------------------------------------------------------------

def test_memsize_table_matches_asized(shell):
    shell.run_cell("data = {'xs': [1.5, 2.5, 3.5], 'name': 'pympler' * 3}\nother = list(range(50))")
    result, cap = run(shell, "df = %memsize -q -d 2 data other")
    assert error_of(result) is None
    assert cap.outputs == [] and cap.stdout == ""
    df = shell.user_ns["df"]
    assert list(df.columns) == list(frames.SIZE_TREE_COLUMNS)
    data, other = shell.user_ns["data"], shell.user_ns["other"]
    trees = asizeof.asized(data, other, detail=2)
    roots = df[df["depth"] == 0]
    assert list(roots["name"]) == ["data", "other"]
    assert list(roots["type"]) == ["dict", "list"]
    assert list(roots["size"]) == [t.size for t in trees]
    assert int(roots["size"].sum()) == asizeof.asizeof(data, other)
    row = df[df["name"] == "[V] xs: [1.5, 2.5, 3.5]"].iloc[0]
    assert row["type"] == "list" and row["depth"] == 1
    assert df["depth"].max() == 2
    assert df.iloc[0]["path"] == "0"


def test_memsize_expressions_with_spaces_and_options(shell):
    shell.run_cell("d = {'a b': [1, 2, 3]}\npair = (1, 2)")
    df = shell.run_line_magic("memsize", "-q --align 16 d['a b'] pair  d[ 'a b' ][0] + 1")
    roots = df[df["depth"] == 0]
    assert list(roots["name"]) == ["d['a b']", "pair", "d[ 'a b' ][0] + 1"]
    assert all(size % 16 == 0 for size in roots["flat"])


def test_memsize_displays_total_and_size_tree(shell):
    shell.run_cell("blob = [bytes(1000) for _ in range(10)]")
    result, cap = run(shell, "df = %memsize blob")
    assert error_of(result) is None
    shown = texts(cap)
    total = asizeof.asizeof(shell.user_ns["blob"])
    assert shown[0].startswith("blob: ") and f"{total:,} bytes" in shown[0]
    assert any("SizeTree" in t for t in shown[1:]), shown  # the widget (text form)
    assert shell.user_ns["df"].iloc[0]["size"] == total


def test_memsize_hostile_objects(shell):
    cell = ("from unittest.mock import Mock\n"
            "class Hostile:\n"
            "    def __sizeof__(self):\n"
            "        raise RuntimeError('no size for you')\n"
            "    def __repr__(self):\n"
            "        raise ValueError('no repr either')\n"
            "m = Mock()\nh = Hostile()\nh.items = [1, 2]")
    shell.run_cell(cell).raise_error()
    result, _ = run(shell, "df = %memsize -d 2 m h")
    assert error_of(result) is None, error_of(result)
    df = shell.user_ns["df"]
    roots = df[df["depth"] == 0]
    assert list(roots["type"]) == ["unittest.mock.Mock", "__main__.Hostile"]
    assert (df["size"] >= 0).all()


# ---------------------------------------------------------------------------
# %%memdiff
# ---------------------------------------------------------------------------

def test_memdiff_exactly_the_cells_objects(shell):
    shell.run_cell("store = [None] * 1000", store_history=True)
    run(shell, "%%memdiff -q\npass")  # warm-up (first run imports what measuring needs)
    result, cap = run(shell, "%%memdiff -q\nstore[:] = [{} for _ in range(1000)]")
    assert error_of(result) is None
    assert cap.outputs == []  # -q: nothing displayed; the table is the cell's value
    assert "64000" in cap.stdout
    df = result.result
    assert list(df.columns) == ["type", "count_diff", "size_diff"]
    assert df.values.tolist() == [["dict", 1000, 64000]]
    assert "rss_change" in df.attrs
    result, _ = run(shell, "%%memdiff -q\nstore[:] = [None] * 1000")
    assert result.result.values.tolist() == [["dict", -1000, -64000]]
    result, _ = run(shell, "%%memdiff -q\npass")
    assert result.result.values.tolist() == []


def test_memdiff_displays_table_chart_and_rss(shell):
    shell.run_cell("keep = []")
    result, cap = run(shell, "%%memdiff --top 3\nkeep.append([{} for _ in range(200)])\n")
    assert error_of(result) is None
    shown = texts(cap)
    assert shown[0].startswith("memdiff: ") and "process RSS" in shown[0]
    assert any(t.startswith("<chart: ") for t in shown), shown
    assert "dict" in cap.stdout  # the returned table, shown as the cell's value
    # the chart is Vega-Lite for JupyterLab's own renderer plus a table, never CDN html
    charts_shown = [o.data for o in cap.outputs if "application/vnd.vegalite.v5+json" in o.data]
    assert charts_shown and all("text/html" not in d for d in charts_shown)
    # the table is the cell's value: the chart's text fallback does not repeat it
    assert charts_shown[0]["text/plain"].count("\n") == 0


def test_memdiff_cell_that_raises(shell):
    shell.run_cell("store2 = [None] * 500")
    result, cap = run(shell, "%%memdiff\nstore2[:] = [{} for _ in range(500)]\n1 / 0\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    shown = texts(cap)
    assert "the cell raised ZeroDivisionError" in shown[0]
    table = shown[1]
    assert "dict" in table and "500" in table  # the diff is shown although the cell failed
    # the traceback is the user's cell (the magic's frames are hidden)
    assert "1 / 0" in cap.stdout and "_measure_cell" not in cap.stdout
    assert shell.user_ns["store2"][0] == {}  # the cell's effects stay


def test_memdiff_keeps_last_value_and_namespace(shell):
    result, cap = run(shell, "%%memdiff -q\nanswer = 6 * 7\nanswer + 0\n")
    assert error_of(result) is None
    assert shell.user_ns["answer"] == 42
    assert texts(cap) == ["42"]  # the cell's own value is still displayed under -q
    result, cap = run(shell, "%%memdiff -q\nanswer + 1;\n")
    assert texts(cap) == []


def test_memdiff_trace(shell):
    import tracemalloc

    assert not tracemalloc.is_tracing()
    shell.run_cell("store3 = [None] * 300")
    cell = ("%%memdiff -q --trace 3 --top 5\n"
            "def make(n):\n"
            "    return [bytearray(1000) for _ in range(n)]\n"
            "store3[:] = make(300)\n")
    result, _ = run(shell, cell)
    assert error_of(result) is None
    df = result.result
    assert df[df["type"] == "bytearray"]["count_diff"].item() == 300
    trace = pd.DataFrame(df.attrs["trace"])
    assert list(trace.columns) == list(frames.CELL_LINES_COLUMNS)
    # allocations made inside make() are charged to the cell's lines (3 frames deep)
    assert trace.iloc[0]["code"].startswith(("return [bytearray", "store3[:] = make"))
    assert trace["size"].sum() >= 300 * 1000
    assert df.attrs["peak"] >= 300 * 1000
    assert not tracemalloc.is_tracing()  # we started it, we stopped it


def test_memdiff_trace_leaves_user_tracing_on(shell):
    import tracemalloc

    tracemalloc.start(1)
    try:
        result, _ = run(shell, "%%memdiff -q --trace\nx_trace = [bytearray(100) for _ in range(10)]\n")
        assert error_of(result) is None
        assert tracemalloc.is_tracing()
        assert result.result.attrs["trace"]["line"] == [1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# %classtrack
# ---------------------------------------------------------------------------

def test_classtrack_workflow(shell, tmp_path):
    shell.run_cell("class Doc:\n    def __init__(self):\n        self.body = 'x' * 1000\n").raise_error()
    result, cap = run(shell, "%classtrack track Doc --resolution 1")
    # actions show a one-line note as their value, not an empty or growing table
    assert error_of(result) is None and "tracking Doc" in cap.stdout and cap.outputs == []
    assert cap.stdout.strip().count("\n") == 0, cap.stdout
    assert isinstance(result.result, pd.DataFrame)
    shell.run_cell("docs = [Doc() for _ in range(4)]").raise_error()
    result, cap = run(shell, "%classtrack snapshot four docs")
    assert error_of(result) is None and "4 tracked instances" in cap.stdout
    assert cap.stdout.strip().count("\n") == 0, cap.stdout
    assert "<div class='pympler-nb-note tex2jax_ignore'>" in result.result._repr_html_()
    assert type(result.result.head()) is pd.DataFrame and len(result.result) == 1
    result, cap = run(shell, "st = %classtrack stats")
    assert error_of(result) is None
    st = shell.user_ns["st"]
    for col in ("snapshot", "class", "active", "size", "average", "pct"):
        assert col in st.columns
    assert st["active"].tolist() == [4] and st["class"].tolist() == ["__main__.Doc"]
    tracker = shell.magics_manager.registry["PymplerMagics"].class_tracker
    assert st.equals(frames.classtracker_frame(tracker))
    assert any(t.startswith("<chart: ") for t in texts(cap))
    result, cap = run(shell, "ob = %classtrack objects -q Doc")
    assert cap.outputs == []
    assert len(shell.user_ns["ob"]) == 4
    path = tmp_path / "stats.json.gz"
    result, _ = run(shell, f"%classtrack dump -q {path}")
    assert error_of(result) is None and path.exists()
    result, _ = run(shell, "%classtrack periodic 0.05")
    assert error_of(result) is None
    result, _ = run(shell, "%classtrack periodic off")
    assert error_of(result) is None
    result, _ = run(shell, "%classtrack stop")
    assert error_of(result) is None
    assert "__pympler_nb_tracker__" not in repr(shell.user_ns["Doc"].__dict__.get("__init__"))
    result, _ = run(shell, f"loaded = %classtrack load -q {path}")
    assert error_of(result) is None
    assert shell.user_ns["loaded"]["active"].tolist() == [4]


def test_classtrack_dump_and_load_expand_file(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a file named literally '{p}' or '$p' would land here
    shell.run_cell("class Page:\n    pass\n").raise_error()
    for src in ("%classtrack track -q Page", "pages = [Page() for _ in range(3)]", "%classtrack snapshot -q"):
        result, _ = run(shell, src)
        assert error_of(result) is None, (src, error_of(result))
    folder = tmp_path / "my stats"
    folder.mkdir()
    shell.user_ns.update(p=str(folder / "dollar.json"), folder=str(folder))
    try:
        for src, name in [("%classtrack dump -q $p", "dollar.json"),
                          ("%classtrack dump -q {folder + '/braces one.json'}", "braces one.json"),
                          ("%classtrack dump {p[:-len('dollar.json')] + 'gz.json.gz'} -q", "gz.json.gz"),
                          (f'%classtrack dump -q "{folder}/quoted name.json"', "quoted name.json"),
                          ('%classtrack dump -q "{folder}/quoted braces.json"', "quoted braces.json")]:
            result, _ = run(shell, src)
            assert error_of(result) is None, (src, error_of(result))
            assert (folder / name).exists(), (src, sorted(x.name for x in folder.iterdir()))
        for src in ("%classtrack load -q $p", "%classtrack load -q {folder + '/braces one.json'}",
                    f"%classtrack load -q '{folder}/quoted name.json'"):
            result, _ = run(shell, "loaded = " + src)
            assert error_of(result) is None, (src, error_of(result))
            assert shell.user_ns["loaded"]["active"].tolist() == [3], src
        # a name that is not defined is a usage error, not a file named '{nope}'
        result, _ = run(shell, "%classtrack dump -q {nope_not_defined}")
        err = error_of(result)
        assert isinstance(err, UsageError) and "nope_not_defined" in str(err) and "\n" not in str(err)
        assert "{{" in str(err)  # says how to write a literal brace
        result, _ = run(shell, "%classtrack dump -q {folder")
        assert isinstance(error_of(result), UsageError)
        assert sorted(x.name for x in tmp_path.iterdir()) == ["my stats"]
    finally:
        run(shell, "%classtrack stop -q")
        for name in ("p", "folder", "loaded", "pages"):
            shell.user_ns.pop(name, None)


def test_classtrack_load_rejects_hostile_file(shell, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "pickle", "data": "cos\nsystem\n"}))
    result, _ = run(shell, f"%classtrack load {bad}")
    err = error_of(result)
    assert isinstance(err, UsageError) and "\n" not in str(err)


# ---------------------------------------------------------------------------
# %refgraph, %whyalive, %garbage
# ---------------------------------------------------------------------------

def test_refgraph(shell):
    from pympler_nb.core.refgraph import refs_graph

    shell.run_cell("leaf = bytearray(5000)\ntree = {'left': [leaf], 'right': (1, leaf)}")
    result, cap = run(shell, "nodes = %refgraph -q --depth 2 tree")
    assert error_of(result) is None and cap.outputs == []
    nodes = shell.user_ns["nodes"]
    assert list(nodes.columns) == list(frames.NODE_COLUMNS)
    expected = frames.graph_nodes_frame(refs_graph(shell.user_ns["tree"], max_depth=2))
    assert nodes[["id", "type", "depth"]].equals(expected[["id", "type", "depth"]])
    result, cap = run(shell, "nodes = %refgraph --backrefs --depth 1 leaf")
    assert error_of(result) is None
    back = shell.user_ns["nodes"]
    assert {"list", "tuple"} <= set(back["type"])
    assert any("RefGraph" in t or "GraphView" in t for t in texts(cap))


DOC_TREE = """
class Doc:
    def __init__(self, name, parent=None):
        self.name = name
        self.children = []
        if parent is not None:
            parent.children.append(self)

    def titles(self):
        return [self.name] + [t for c in self.children for t in c.titles()]

doc_root = Doc('root'); doc_a = Doc('a', doc_root); Doc('b', doc_root); Doc('c', doc_a)
"""


def test_refgraph_shows_classes_as_leaves(shell):
    shell.run_cell(DOC_TREE).raise_error()
    result, _ = run(shell, "nodes = %refgraph -q --depth 5 doc_root")
    assert error_of(result) is None
    nodes = shell.user_ns["nodes"]
    # the 4 documents, their `children` lists, their names and the class: nothing inside the class
    assert nodes["type"].value_counts().to_dict() == {"Doc": 4, "list": 4, "str": 4, "type": 1}
    assert nodes[nodes["type"] == "type"]["id"].tolist() == [id(shell.user_ns["Doc"])]
    result, _ = run(shell, "nodes = %refgraph -q --depth 5 --classes doc_root")
    assert error_of(result) is None
    entered = shell.user_ns["nodes"]
    assert len(entered) > len(nodes)
    assert "function" in set(entered["type"])  # Doc.__init__, Doc.titles
    # their globals are the notebook's namespace: a named leaf, never walked into (no builtins)
    assert "globals of __main__" in set(entered["repr"])
    assert "builtin_function_or_method" not in set(entered["type"])


def test_refgraph_backrefs_stop_at_the_namespace(shell):
    shell.run_cell("held = bytearray(1000)\nheld_by = [held]").raise_error()
    result, _ = run(shell, "nodes = %refgraph -q --backrefs --depth 5 held")
    assert error_of(result) is None
    nodes = shell.user_ns["nodes"]
    assert sorted(nodes["type"]) == ["bytearray", "dict", "list"], nodes[["type", "repr"]]
    assert nodes[nodes["type"] == "dict"]["repr"].tolist() == ["globals of __main__"]
    assert nodes[nodes["type"] == "list"]["id"].tolist() == [id(shell.user_ns["held_by"])]
    assert not nodes["repr"].str.contains("local_ns|IPython|Completer").any()
    # from a function: its locals are a root too, never the magic's own call arguments
    cell = ("def probe_backrefs():\n"
            "    mine = bytearray(10)\n"
            "    box = [mine]\n"
            "    return get_ipython().run_line_magic('refgraph', '-q --backrefs --depth 5 mine')\n"
            "nodes = probe_backrefs()")
    result, _ = run(shell, cell)
    assert error_of(result) is None
    nodes = shell.user_ns["nodes"]
    assert not nodes["repr"].str.contains("local_ns|IPython|Completer").any(), nodes[["type", "repr"]]
    assert set(nodes["type"]) <= {"bytearray", "list", "dict", "FrameLocalsProxy"}


def test_whyalive_paths_in_notebook_terms(shell):
    shell.run_cell("big = bytearray(200_000)\nholder = {'k': big}\ndel big").raise_error()
    result, cap = run(shell, "chains = %whyalive holder['k']")
    assert error_of(result) is None
    chains = shell.user_ns["chains"]
    assert list(chains.columns) == list(frames.CHAIN_COLUMNS)
    assert chains["path"].tolist() == ["holder['k']"]
    assert chains["releasable_bytes"].tolist()[0] >= 200_000
    assert chains["needs_collect"].tolist() == [False]
    # nothing of the magic's own (its frame, the evaluated result) is a holder
    assert not chains["root_kind"].isin(["frame"]).any()
    assert "holder['k']" in texts(cap)[0]
    # the previous cell's result (IPython's last_execution_result) holds nothing of it: no note
    assert "last_execution_result" not in texts(cap)[0]
    result, _ = run(shell, "holder['k']")  # now IPython's output cache holds it too
    number = result.execution_count
    result, cap = run(shell, "%whyalive holder['k']")
    paths = set(result.result["path"])
    assert {"holder['k']", f"Out[{number}]", f"_{number}"} <= paths, paths
    # ... and so does the previous cell's ExecutionResult: bytes are as of the end of the cell
    assert "last_execution_result" in texts(cap)[0]
    shell.run_cell("%reset -f out")


def test_whyalive_release_after_a_collection(shell):
    cell = ("class Pair:\n    pass\n"
            "pair_a, pair_b = Pair(), Pair()\n"
            "pair_a.other, pair_b.other = pair_b, pair_a\n"
            "pair_b.blob = bytearray(300_000)\n"
            "pairs = {'a': pair_a}\n"
            "del pair_a, pair_b")
    shell.run_cell(cell).raise_error()
    result, cap = run(shell, "chains = %whyalive pairs['a']")
    assert error_of(result) is None
    chains = shell.user_ns["chains"]
    row = chains[chains["path"] == "pairs['a']"].iloc[0]
    assert row["needs_collect"] and row["releasable_bytes"] >= 300_000
    assert chains.attrs["plan_needs_collect"] is True
    assert "after the next gc.collect()" in texts(cap)[0]
    shell.run_cell("del pairs")


def test_garbage_finds_cycles_and_releases_them(shell):
    def cycs():
        return sum(1 for o in gc.get_objects() if type(o).__name__ == "Cyc")

    gc.collect()
    shell.run_cell("class Cyc:\n    pass\nc = Cyc(); c.me = c\ndel c")
    assert cycs() == 1
    result, cap = run(shell, "g = %garbage")
    assert error_of(result) is None
    g = shell.user_ns["g"]
    assert list(g.columns) == list(frames.NODE_COLUMNS)
    assert "Cyc" in set(g["type"]) and g["cycle"].all()
    assert "on reference cycles" in texts(cap)[0]
    assert cycs() == 0  # released and collected, not parked in gc.garbage
    shell.run_cell("c = Cyc(); c.me = c\ndel c")
    before = len(gc.garbage)
    result, _ = run(shell, "%garbage -q --keep")
    assert error_of(result) is None
    assert any(type(o).__name__ == "Cyc" for o in gc.garbage[before:])
    del gc.garbage[before:]
    gc.collect()
    assert cycs() == 0


def test_quiet_everywhere(shell):
    shell.run_cell("class Q:\n    pass\nqq = [1, 2]")
    for src in ("x1 = %memsize -q qq", "x2 = %refgraph -q qq", "x3 = %whyalive -q qq", "x4 = %garbage -q",
                "x5 = %classtrack track -q Q", "x6 = %classtrack snapshot -q", "x7 = %classtrack stats -q",
                "x8 = %classtrack stop -q", "%%memdiff -q\nx9 = 1;"):  # ';' silences the value
        result, cap = run(shell, src)
        assert error_of(result) is None, (src, error_of(result))
        assert cap.outputs == [] and cap.stdout == "", src
    for name in ("x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"):
        assert isinstance(shell.user_ns[name], pd.DataFrame), name


def test_memdiff_syntax_error_and_magics_inside(shell):
    result, cap = run(shell, "%%memdiff -q\nx = (1,\n")
    assert isinstance(result.error_in_exec, SyntaxError)
    result, cap = run(shell, "%%memdiff -q\nvalue = %memsize -q [1, 2]\n")
    assert error_of(result) is None
    assert isinstance(shell.user_ns["value"], pd.DataFrame)


@pytest.mark.parametrize("expr", ["None", "True", "5", "''", "probe()"])
def test_whyalive_on_interpreter_singletons_is_a_usage_error(shell, expr):
    shell.run_cell("import weakref\nclass _Gone: pass\nprobe = weakref.ref(_Gone())").raise_error()
    result, cap = run(shell, f"%whyalive {expr}")
    err = error_of(result)
    assert isinstance(err, UsageError), err
    assert "interpreter itself keeps alive" in str(err) and "\n" not in str(err)


def test_memdiff_help_in_a_cell_of_its_own(shell):
    for src in ("%%memdiff -h", "%%memdiff --help\n\n", "%%memdiff --top 3 -h"):
        result, cap = run(shell, src)
        assert error_of(result) is None, (src, error_of(result))
        assert "Usage: %%memdiff [-q]" in cap.stdout, cap.stdout
    result, _ = run(shell, "%%memdiff --bogus\nx = 1")
    assert "%%memdiff: unrecognized arguments: --bogus; usage: %%memdiff" in str(error_of(result))
    result, _ = run(shell, "%%memdiff\n")
    assert "cell body is empty" in str(error_of(result))  # IPython's own message, no -h


def test_load_ext_draws_the_notebooks_own_charts_offline(shell):
    import altair as alt

    from pympler_nb import charts

    assert alt.renderers.active == charts.RENDERER
    result, cap = run(shell, "import altair as alt, pandas as pd\n"
                             "alt.Chart(pd.DataFrame({'a': [1, 2]})).mark_bar().encode(x='a:Q')")
    assert error_of(result) is None
    assert "cdn.jsdelivr" not in repr(cap.outputs) + cap.stdout
