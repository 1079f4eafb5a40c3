/* Dominators and retained sizes (pympler_nb.core.heap.dominators on the accelerated path). */
#include "speedups.h"

PyMethodDef pnb_dominators_methods[] = {
    {NULL, NULL, 0, NULL},
};
