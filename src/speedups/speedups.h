/* pympler_nb._speedups: the shared header of the extension's C files.
 *
 * Each C file defines a method table (a PyMethodDef array ending in {NULL}) and declares
 * it here; module.c adds every table to the module. Adding a file: its .c under
 * src/speedups/ (hatch_build.py compiles every *.c there), one `extern` line below and
 * one entry in module.c's TABLES.
 *
 * Rules of every file (issue 18, item 4): never crash; call Python code only where the
 * pure-Python path does; hold a strong reference to every object across a call that can
 * run Python code (no borrowed reference survives it); callers disable the gc as the pure
 * path does.
 */
#ifndef PNB_SPEEDUPS_H
#define PNB_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* the method tables module.c collects */
extern PyMethodDef pnb_heap_methods[];
extern PyMethodDef pnb_summary_methods[];
extern PyMethodDef pnb_dominators_methods[];
extern PyMethodDef pnb_asizeof_methods[];

/* ---- a set of pointers (open addressing, linear probing; 0 is the empty slot) ---- */
typedef struct {
    uintptr_t *slots;
    size_t mask;  /* capacity - 1 (capacity a power of 2) */
    size_t used;
} pnb_ptrset;

int pnb_ptrset_init(pnb_ptrset *s, size_t hint);      /* 0, or -1 with MemoryError */
void pnb_ptrset_free(pnb_ptrset *s);
int pnb_ptrset_add(pnb_ptrset *s, const void *p);     /* 1 added, 0 already there, -1 error */
int pnb_ptrset_has(const pnb_ptrset *s, const void *p);

/* ---- a map pointer -> Py_ssize_t (same scheme) ---- */
typedef struct {
    uintptr_t *keys;
    Py_ssize_t *vals;
    size_t mask;
    size_t used;
} pnb_ptrmap;

int pnb_ptrmap_init(pnb_ptrmap *m, size_t hint);
void pnb_ptrmap_free(pnb_ptrmap *m);
Py_ssize_t pnb_ptrmap_get(const pnb_ptrmap *m, const void *p, Py_ssize_t missing);
int pnb_ptrmap_put(pnb_ptrmap *m, const void *p, Py_ssize_t v);   /* 0, or -1 error */

/* ---- a growable array of strong references ---- */
typedef struct {
    PyObject **items;
    Py_ssize_t len;
    Py_ssize_t cap;
} pnb_objbuf;

int pnb_objbuf_push(pnb_objbuf *b, PyObject *o);   /* takes a new reference; 0 or -1 */
void pnb_objbuf_clear(pnb_objbuf *b);              /* drops the references, keeps the memory */
void pnb_objbuf_free(pnb_objbuf *b);

#endif
