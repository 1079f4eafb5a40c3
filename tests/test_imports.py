"""The import direction: the core never pulls in the notebook stack."""

import subprocess
import sys

HEAVY = ("IPython", "ipywidgets", "anywidget", "altair", "pandas", "numpy", "graphviz", "psutil")


def test_core_imports_no_notebook_stack():
    code = (
        "import sys, pympler_nb, pympler_nb.core, pympler_nb.core.asizeof\n"
        "import pympler_nb.core as c\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('pympler_nb.core.' + m.name)\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported: {out.stdout.strip()}"
