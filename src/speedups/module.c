/* pympler_nb._speedups: module init. The functions live in the other C files; each file's
 * method table (declared in speedups.h) is added here. See pympler_nb/core/_accel.py for
 * how the package uses the module (and PYMPLER_NB_PURE=1 for the pure-Python path). */
#include "speedups.h"

static PyMethodDef *TABLES[] = {
    pnb_heap_methods,
    pnb_summary_methods,
    pnb_dominators_methods,
    pnb_asizeof_methods,
    NULL,
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "pympler_nb._speedups",
    "C loops of pympler_nb.core (heap walk, summaries, dominators, ...): "
    "see pympler_nb.core._accel.",
    -1,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL)
        return NULL;
    for (PyMethodDef **t = TABLES; *t != NULL; t++) {
        if (PyModule_AddFunctions(m, *t) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    if (PyModule_AddIntConstant(m, "ABI_VERSION", 4) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
