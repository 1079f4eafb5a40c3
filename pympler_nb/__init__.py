"""pympler_nb: memory profiling of Python objects, native to Jupyter.

``import pympler_nb`` stays light: the notebook layer (IPython, widgets, pandas,
Altair) is imported only by :func:`load_ipython_extension`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
