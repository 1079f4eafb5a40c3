"""The import direction: the core never pulls in the notebook stack."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

HEAVY = ("IPython", "ipywidgets", "anywidget", "altair", "pandas", "numpy", "graphviz", "psutil")


def test_core_imports_no_notebook_stack():
    code = (
        "import sys, pympler_nb, pympler_nb.core, pympler_nb.core.asizeof\n"
        "import pympler_nb.core as c\n"
        "import pkgutil, importlib\n"
        "names = [m.name for m in pkgutil.walk_packages(c.__path__, 'pympler_nb.core.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(' '.join(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, names = out.stdout.split("\n")[:2]
    assert heavy == "", f"core imported: {heavy}"
    # every module of the core, subpackages' modules too (core/heap/ ...), was imported
    files = {p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
             for p in (ROOT / "pympler_nb" / "core").rglob("*.py")} - {"pympler_nb.core"}
    assert set(names.split()) == files
