/* The heap walk (pympler_nb.core.objwalk.walk_heap on the accelerated path).
 *
 *   split_tracked(objects, skip) -> (kept, frames)
 *       objects: gc.get_objects(); the objects whose id is a key of `skip` (a dict or None)
 *       are left out, frames (exact type) are returned apart.
 *   untracked_closure(tracked, skip, guard, is_ruled, rule_refs) -> list
 *       everything reachable from `tracked` through objects the collector does not track,
 *       each once: the untracked referents (tp_traverse, as gc.get_referents) of the tracked
 *       objects, the keys of their dicts, what the size rules' refs= report for objects of
 *       a ruled type; then the same for those objects, plus the stored parts of code
 *       objects, until nothing new is found. `guard` (an object or None) is never
 *       traversed: the _asyncio module on CPython 3.12.0-3.12.5 (see core/gcsafe.py).
 *       `is_ruled(type) -> bool` is asked once per type (Python code, as the pure path's
 *       rules_of); `rule_refs(list) -> list` once per level with the objects of ruled
 *       types (Python code, as the pure path's rule_referents).
 *
 * Deduplication follows the pure path (objwalk._singles): the found objects are held by
 * a buffer; one whose reference count is exactly 2 (its one holder and the buffer) can be
 * met only once and needs no lookup; the others go through a set of addresses. The
 * caller disables the gc. No Python code runs while an object is held only by a
 * borrowed reference: the buffer holds a strong reference to each object found.
 */
#include "speedups.h"

typedef struct {
    pnb_objbuf *buf;
} visit_ctx;

static int
visit_untracked(PyObject *o, void *arg)
{
    if (o == NULL || PyObject_GC_IsTracked(o))
        return 0;
    return pnb_objbuf_push(((visit_ctx *)arg)->buf, o);
}

static int
skip_set(PyObject *skip, pnb_ptrset *set)
{
    if (pnb_ptrset_init(set, skip == Py_None ? 0 : (size_t)PyDict_GET_SIZE(skip)) < 0)
        return -1;
    if (skip == Py_None)
        return 0;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(skip, &pos, &key, &value)) {
        if (!PyLong_Check(key))
            continue;  /* (not an id: cannot match an object) */
        void *p = PyLong_AsVoidPtr(key);
        if (p == NULL && PyErr_Occurred()) {
            PyErr_Clear();
            continue;
        }
        if (pnb_ptrset_add(set, p) < 0)
            return -1;
    }
    return 0;
}

static PyObject *
split_tracked(PyObject *self, PyObject *args)
{
    PyObject *objects, *skip;
    if (!PyArg_ParseTuple(args, "O!O:split_tracked", &PyList_Type, &objects, &skip))
        return NULL;
    if (skip != Py_None && !PyDict_Check(skip)) {
        PyErr_Format(PyExc_TypeError, "skip must be a dict {id: object} or None, not %.100s",
                     Py_TYPE(skip)->tp_name);
        return NULL;
    }
    pnb_ptrset skipped;
    if (skip_set(skip, &skipped) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(objects);
    PyObject *kept = PyList_New(n), *frames = PyList_New(0), *out = NULL;
    if (kept == NULL || frames == NULL)
        goto done;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {  /* (no Python code runs here) */
        PyObject *o = PyList_GET_ITEM(objects, i);
        if (skipped.used && pnb_ptrset_has(&skipped, o))
            continue;
        if (PyFrame_Check(o)) {
            if (PyList_Append(frames, o) < 0)
                goto done;
            continue;
        }
        if (k >= n)  /* (cannot happen: the list does not grow) */
            break;
        Py_INCREF(o);
        PyList_SET_ITEM(kept, k, o);
        k++;
    }
    if (PyList_SetSlice(kept, k, n, NULL) < 0)
        goto done;
    out = PyTuple_Pack(2, kept, frames);
done:
    Py_XDECREF(kept);
    Py_XDECREF(frames);
    pnb_ptrset_free(&skipped);
    return out;
}

typedef struct {
    PyObject *guard;
    PyObject *is_ruled;     /* callable or None */
    PyObject *rule_refs;    /* callable or None */
    pnb_ptrmap ruled_types; /* type -> 1 ruled, 0 not */
    PyObject *ruled;        /* list of this level's objects of a ruled type */
    pnb_objbuf found;       /* this level's finds, with repeats (strong references) */
    pnb_ptrset seen;        /* non-single objects already listed */
    pnb_ptrset skip;
} walk_state;

/* whether objects of o's type have a size rule with refs= (asks is_ruled once per type) */
static int
is_ruled(walk_state *st, PyObject *o)
{
    if (st->is_ruled == Py_None)
        return 0;
    PyTypeObject *tp = Py_TYPE(o);
    Py_ssize_t known = pnb_ptrmap_get(&st->ruled_types, tp, -1);
    if (known >= 0)
        return (int)known;
    /* Python code: o (and so its type) is held by the caller with a strong reference */
    PyObject *r = PyObject_CallOneArg(st->is_ruled, (PyObject *)tp);
    if (r == NULL)
        return -1;
    int truth = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (truth < 0)
        return -1;
    if (pnb_ptrmap_put(&st->ruled_types, tp, truth) < 0)
        return -1;
    return truth;
}

static int
push_untracked(walk_state *st, PyObject *o)
{
    if (o == NULL || PyObject_GC_IsTracked(o))
        return 0;
    return pnb_objbuf_push(&st->found, o);
}

/* the referents of o that the walk follows; `code_parts`: untracked level (code objects) */
static int
expand(walk_state *st, PyObject *o, int code_parts)
{
    if (o == st->guard)
        return 0;
    if (PyObject_IS_GC(o)) {
        traverseproc traverse = Py_TYPE(o)->tp_traverse;
        if (traverse != NULL) {
            visit_ctx ctx = {&st->found};
            if (traverse(o, visit_untracked, &ctx) < 0)
                return -1;
        }
    }
    if (PyDict_Check(o)) {
        /* the keys (dict's tp_traverse skips str keys); no Python code runs */
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (push_untracked(st, key) < 0)
                return -1;
        }
    }
    else if (code_parts && PyCode_Check(o)) {
        /* the stored parts only (co_code/co_varnames would be created by reading them) */
        PyCodeObject *co = (PyCodeObject *)o;
        if (push_untracked(st, co->co_consts) < 0 || push_untracked(st, co->co_names) < 0
            || push_untracked(st, co->co_filename) < 0 || push_untracked(st, co->co_name) < 0
            || push_untracked(st, co->co_qualname) < 0 || push_untracked(st, co->co_linetable) < 0
            || push_untracked(st, co->co_exceptiontable) < 0)
            return -1;
    }
    int ruled = is_ruled(st, o);
    if (ruled < 0)
        return -1;
    if (ruled && PyList_Append(st->ruled, o) < 0)
        return -1;
    return 0;
}

/* what the size rules report for this level's ruled objects (Python code) */
static int
apply_rules(walk_state *st)
{
    if (PyList_GET_SIZE(st->ruled) == 0)
        return 0;
    PyObject *got = PyObject_CallOneArg(st->rule_refs, st->ruled);
    if (PyList_SetSlice(st->ruled, 0, PyList_GET_SIZE(st->ruled), NULL) < 0) {
        Py_XDECREF(got);
        return -1;
    }
    if (got == NULL)
        return -1;
    PyObject *seq = PySequence_Fast(got, "rule_refs must return a list");
    Py_DECREF(got);
    if (seq == NULL)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (push_untracked(st, PySequence_Fast_GET_ITEM(seq, i)) < 0) {
            rc = -1;
            break;
        }
    }
    Py_DECREF(seq);
    return rc;
}

/* append to `out` the objects of this level's finds met for the first time; empty the finds */
static int
take_new(walk_state *st, PyObject *out)
{
    pnb_objbuf *b = &st->found;
    int rc = 0;
    for (Py_ssize_t i = 0; i < b->len; i++) {
        PyObject *o = b->items[i];
        if (Py_REFCNT(o) != 2) {  /* held by more than its container and the buffer */
            if (st->skip.used && pnb_ptrset_has(&st->skip, o))
                continue;
            int added = pnb_ptrset_add(&st->seen, o);
            if (added < 0) {
                rc = -1;
                break;
            }
            if (!added)
                continue;
        }
        if (PyList_Append(out, o) < 0) {
            rc = -1;
            break;
        }
    }
    pnb_objbuf_clear(b);
    return rc;
}

static PyObject *
untracked_closure(PyObject *self, PyObject *args)
{
    PyObject *tracked, *skip;
    walk_state st;
    memset(&st, 0, sizeof st);
    if (!PyArg_ParseTuple(args, "O!OOOO:untracked_closure", &PyList_Type, &tracked, &skip,
                          &st.guard, &st.is_ruled, &st.rule_refs))
        return NULL;
    if (skip != Py_None && !PyDict_Check(skip)) {
        PyErr_Format(PyExc_TypeError, "skip must be a dict {id: object} or None, not %.100s",
                     Py_TYPE(skip)->tp_name);
        return NULL;
    }
    if ((st.is_ruled != Py_None && !PyCallable_Check(st.is_ruled))
        || (st.is_ruled != Py_None && !PyCallable_Check(st.rule_refs))) {
        PyErr_SetString(PyExc_TypeError, "is_ruled and rule_refs must be callables (or None)");
        return NULL;
    }
    PyObject *out = NULL, *result = NULL;
    if (skip_set(skip, &st.skip) < 0 || pnb_ptrset_init(&st.seen, 1024) < 0
        || pnb_ptrmap_init(&st.ruled_types, 256) < 0)
        goto done;
    st.ruled = PyList_New(0);
    out = PyList_New(0);
    if (st.ruled == NULL || out == NULL)
        goto done;
    /* level 1: from the tracked objects (index by index: rule code may change the list) */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tracked); i++) {
        PyObject *o = PyList_GET_ITEM(tracked, i);
        Py_INCREF(o);
        int rc = expand(&st, o, 0);
        Py_DECREF(o);
        if (rc < 0)
            goto done;
    }
    if (apply_rules(&st) < 0 || take_new(&st, out) < 0)
        goto done;
    /* the closure, level by level: `out` holds every object found (strong references) */
    Py_ssize_t start = 0;
    while (start < PyList_GET_SIZE(out)) {
        Py_ssize_t end = PyList_GET_SIZE(out);
        for (Py_ssize_t i = start; i < end; i++) {
            PyObject *o = PyList_GET_ITEM(out, i);
            Py_INCREF(o);
            int rc = expand(&st, o, 1);
            Py_DECREF(o);
            if (rc < 0)
                goto done;
        }
        if (apply_rules(&st) < 0 || take_new(&st, out) < 0)
            goto done;
        start = end;
    }
    result = out;
    out = NULL;
done:
    pnb_objbuf_free(&st.found);
    Py_XDECREF(st.ruled);
    Py_XDECREF(out);
    pnb_ptrset_free(&st.seen);
    pnb_ptrset_free(&st.skip);
    pnb_ptrmap_free(&st.ruled_types);
    return result;
}

PyMethodDef pnb_heap_methods[] = {
    {"split_tracked", split_tracked, METH_VARARGS,
     "split_tracked(objects, skip) -> (kept, frames): gc.get_objects() without the objects "
     "whose id is a key of skip, frames apart."},
    {"untracked_closure", untracked_closure, METH_VARARGS,
     "untracked_closure(tracked, skip, guard, is_ruled, rule_refs) -> list: everything "
     "reachable from tracked through untracked objects, each once."},
    {NULL, NULL, 0, NULL},
};
