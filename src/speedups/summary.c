/* Per-type counts and flat sizes (pympler_nb.core.summary.tabulate on the accelerated path).
 *
 *   type_stats(objects, plan, fallback[, collect]) -> [[type, count, total size], ...]
 *       in the order the types are first met. With `collect` true, each row has a fourth
 *       item: the list of the type's objects if the plan's fifth item is true, else None
 *       (the types a summary describes object by object: no second pass over the list).
 *       With `consume` true, each item of `objects` is replaced by None once counted (the
 *       caller's private listing: its references are dropped while each object is in the
 *       cache, not in a second pass over the whole heap when the list is freed). `plan(type, first_object)` is asked once per
 *       type (Python code, as the pure path's per-type decisions) and returns how to size
 *       its objects, as sys.getsizeof does:
 *         (0, size)          every object has this size (a fixed-size type);
 *         (1, desc, header)  desc is the type's C __sizeof__ (a METH_NOARGS method
 *                            descriptor): called directly, plus header bytes;
 *         (2, fn)            fn(obj) -> size, a Python call per object (the pure path calls
 *                            sys.getsizeof or the type's C-level replacement there too).
 *       `fallback(obj)` (flatsize.safe_size) sizes an object whose direct __sizeof__ fails
 *       or returns a size above 4 GiB (the pure path's plausibility check).
 *       A fourth item, when present and not None, is the type's own-size rule
 *       (flatsize.own_rule: the bytes CPython allocates for the object beyond
 *       sys.getsizeof), a tuple of ints added to each object's size:
 *         ()                     nothing;
 *         (1, one_digit, fix)    an int of size one_digit gets fix more (its 32-byte block);
 *         (2,)                   a dict with a split table: _layout.split_dict_correction;
 *         (3, basicsize, dict)   3.13 inline values after basicsize (+ dict bytes for a
 *                                materialized __dict__ while they are valid);
 *         (4, ncur, pcur)        3.11/3.12 the values array (prefix byte before it).
 *       The reads are those of pympler_nb.core._layout (same offsets, same numbers); the
 *       Python side sends rules 2-4 only when _layout.SUPPORTED (the probed layout).
 *   of_types(objects, types) -> list: the objects whose type is one of `types` (a tuple).
 */
#include "speedups.h"

#define PLAUSIBLE_MAX ((long long)1 << 32)

typedef struct {
    PyObject *type;     /* strong */
    int mode;
    long long fixed;
    PyCFunction meth;
    PyObject *self_desc;  /* strong: the descriptor (keeps meth alive) or the callable */
    PyTypeObject *desc_type;
    long long header;
    int own_kind;
    long long own_a, own_b;
    long long count;
    long long size;
    PyObject *objs;     /* strong: the objects of the type (collect=True and the plan asks), or NULL */
} type_entry;

typedef struct {
    type_entry *items;
    Py_ssize_t len, cap;
} entries;

static void
entries_free(entries *e)
{
    for (Py_ssize_t i = 0; i < e->len; i++) {
        Py_XDECREF(e->items[i].type);
        Py_XDECREF(e->items[i].self_desc);
        Py_XDECREF(e->items[i].objs);
    }
    PyMem_Free(e->items);
}

static long long
size_by_call(PyObject *fn, PyObject *o, int *err)
{
    PyObject *r = PyObject_CallOneArg(fn, o);
    if (r == NULL) {
        *err = 1;
        return 0;
    }
    long long v = PyLong_AsLongLong(r);
    Py_DECREF(r);
    if (v == -1 && PyErr_Occurred()) {
        *err = 1;
        return 0;
    }
    return v;
}

enum { OWN_NONE = 0, OWN_INT = 1, OWN_SPLIT_DICT = 2, OWN_INLINE = 3, OWN_VALUES = 4 };

static int
parse_own_rule(type_entry *ent, PyTypeObject *tp, PyObject *rule)
{
    if (!PyTuple_Check(rule)) {
        PyErr_SetString(PyExc_TypeError, "plan: the own-size rule must be a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(rule);
    if (n == 0)
        return 0;
    long long v[3] = {0, 0, 0};
    for (Py_ssize_t i = 0; i < n && i < 3; i++) {
        v[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(rule, i));
        if (v[i] == -1 && PyErr_Occurred())
            return -1;
    }
    int need = v[0] == OWN_SPLIT_DICT ? 1 : 3;
    if (v[0] < OWN_INT || v[0] > OWN_VALUES || n != need
#if PY_VERSION_HEX >= 0x030D0000
        || v[0] == OWN_VALUES
#else
        || v[0] == OWN_INLINE
#endif
        ) {
        PyErr_SetString(PyExc_ValueError, "plan: unknown own-size rule");
        return -1;
    }
    /* each rule reads fields only objects of its kind have: checked on the type */
    int fits;
    switch ((int)v[0]) {
    case OWN_INT:
        fits = tp == &PyLong_Type;
        break;
    case OWN_SPLIT_DICT:
        fits = tp == &PyDict_Type;
        break;
#if PY_VERSION_HEX >= 0x030D0000
    case OWN_INLINE:
        fits = PyType_HasFeature(tp, Py_TPFLAGS_INLINE_VALUES)
               && v[1] == (long long)tp->tp_basicsize;
        break;
#endif
    default:  /* OWN_VALUES */
        fits = PyType_HasFeature(tp, Py_TPFLAGS_MANAGED_DICT);
        break;
    }
    if (!fits) {
        PyErr_SetString(PyExc_ValueError, "plan: the own-size rule does not fit the type");
        return -1;
    }
    ent->own_kind = (int)v[0];
    ent->own_a = v[1];
    ent->own_b = v[2];
    return 0;
}

#define PNB_PTR ((long long)sizeof(void *))
#define ROUNDUP(n, m) (((n) + (m) - 1) / (m) * (m))

/* What the object owns beyond sys.getsizeof (rules 2-4: _layout's reads, in C). */
static long long
own_extra(const type_entry *ent, PyObject *o, long long size)
{
    switch (ent->own_kind) {
    case OWN_INT:
        return size == ent->own_a ? ent->own_b : 0;
    case OWN_SPLIT_DICT: {  /* _layout.split_dict_correction */
        const char *values = *(char *const *)((const char *)o + 5 * PNB_PTR);  /* ma_values */
        const char *keys = *(char *const *)((const char *)o + 4 * PNB_PTR);    /* ma_keys */
        if (values == NULL || keys == NULL)
            return 0;
        long long usable = (long long)*(const Py_ssize_t *)(keys + 16)
                           + (long long)*(const Py_ssize_t *)(keys + 24);
#if PY_VERSION_HEX >= 0x030D0000
        if (((const uint8_t *)values)[2])  /* embedded in an instance */
            return -usable * PNB_PTR;
        return (usable + 1) * PNB_PTR + ROUNDUP(usable, PNB_PTR) - usable * PNB_PTR;
#else
        return ROUNDUP(usable + 2, PNB_PTR);
#endif
    }
#if PY_VERSION_HEX >= 0x030D0000
    case OWN_INLINE: {  /* _layout.instances_hidden_each, 3.13 */
        const uint8_t *hdr = (const uint8_t *)o + ent->own_a;
        long long cap = hdr[0];
        long long each = PNB_PTR + cap * PNB_PTR + ROUNDUP(cap, PNB_PTR);
        if (hdr[3] && *(void *const *)((const char *)o - 3 * PNB_PTR) != NULL)
            each += ent->own_b;  /* a materialized dict the collector does not report */
        return each;
    }
#else
    case OWN_VALUES: {  /* _layout.instances_hidden_each, 3.11/3.12 */
#if PY_VERSION_HEX >= 0x030C0000
        uintptr_t dorv = *(const uintptr_t *)((const char *)o - 3 * PNB_PTR);
        if (!(dorv & 1))
            return 0;
        long long p = *(const uint8_t *)dorv;  /* the prefix size byte, before the values */
#else
        const uint8_t *vals = *(const uint8_t *const *)((const char *)o - 4 * PNB_PTR);
        if (vals == NULL)
            return 0;
        long long p = vals[-1];
#endif
        long long slots = p == ent->own_b ? ent->own_a : (p - 6 > 1 ? p - 6 : 1);
        return p + slots * PNB_PTR;
    }
#endif
    default:
        return 0;
    }
}

static int
make_entry(entries *e, PyObject *plan, PyObject *o, Py_ssize_t *index, int collect)
{
    if (e->len == e->cap) {
        Py_ssize_t cap = e->cap ? e->cap * 2 : 64;
        type_entry *items = PyMem_Realloc(e->items, (size_t)cap * sizeof(type_entry));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        e->items = items;
        e->cap = cap;
    }
    PyObject *tp = (PyObject *)Py_TYPE(o);
    PyObject *how = PyObject_CallFunctionObjArgs(plan, tp, o, NULL);  /* o is held by the caller */
    if (how == NULL)
        return -1;
    type_entry ent;
    memset(&ent, 0, sizeof ent);
    if (!PyTuple_Check(how) || PyTuple_GET_SIZE(how) < 2) {
        PyErr_SetString(PyExc_TypeError, "plan must return (mode, ...)");
        goto bad;
    }
    ent.mode = (int)PyLong_AsLong(PyTuple_GET_ITEM(how, 0));
    if (ent.mode == -1 && PyErr_Occurred())
        goto bad;
    PyObject *arg = PyTuple_GET_ITEM(how, 1);
    if (ent.mode == 0) {
        ent.fixed = PyLong_AsLongLong(arg);
        if (ent.fixed == -1 && PyErr_Occurred())
            goto bad;
    }
    else if (ent.mode == 1) {
        if (PyTuple_GET_SIZE(how) < 3 || !PyObject_TypeCheck(arg, &PyMethodDescr_Type)) {
            PyErr_SetString(PyExc_TypeError, "plan mode 1: (1, method descriptor, header)");
            goto bad;
        }
        PyMethodDescrObject *d = (PyMethodDescrObject *)arg;
        int flags = d->d_method->ml_flags;
        if ((flags & (METH_VARARGS | METH_KEYWORDS | METH_NOARGS | METH_O | METH_FASTCALL
                      | METH_METHOD)) != METH_NOARGS
            || !PyType_IsSubtype(Py_TYPE(o), PyDescr_TYPE(d))) {
            PyErr_SetString(PyExc_TypeError, "plan mode 1: not a METH_NOARGS method of the type");
            goto bad;
        }
        ent.meth = d->d_method->ml_meth;
        ent.desc_type = PyDescr_TYPE(d);
        ent.header = PyLong_AsLongLong(PyTuple_GET_ITEM(how, 2));
        if (ent.header == -1 && PyErr_Occurred())
            goto bad;
        Py_INCREF(arg);
        ent.self_desc = arg;
    }
    else if (ent.mode == 2) {
        if (!PyCallable_Check(arg)) {
            PyErr_SetString(PyExc_TypeError, "plan mode 2: (2, callable)");
            goto bad;
        }
        Py_INCREF(arg);
        ent.self_desc = arg;
    }
    else {
        PyErr_Format(PyExc_ValueError, "plan: unknown mode %d", ent.mode);
        goto bad;
    }
    if (PyTuple_GET_SIZE(how) >= 4 && PyTuple_GET_ITEM(how, 3) != Py_None
        && parse_own_rule(&ent, Py_TYPE(o), PyTuple_GET_ITEM(how, 3)) < 0)
        goto bad;
    if (collect && PyTuple_GET_SIZE(how) >= 5) {
        int want = PyObject_IsTrue(PyTuple_GET_ITEM(how, 4));
        if (want < 0)
            goto bad;
        if (want && (ent.objs = PyList_New(0)) == NULL)
            goto bad;
    }
    Py_DECREF(how);
    Py_INCREF(tp);
    ent.type = tp;
    *index = e->len;
    e->items[e->len++] = ent;
    return 0;
bad:
    Py_XDECREF(ent.self_desc);
    Py_XDECREF(ent.objs);
    Py_DECREF(how);
    return -1;
}

static PyObject *
type_stats(PyObject *self, PyObject *args)
{
    PyObject *objects, *plan, *fallback;
    int collect = 0, consume = 0;
    if (!PyArg_ParseTuple(args, "O!OO|pp:type_stats", &PyList_Type, &objects, &plan, &fallback,
                          &collect, &consume))
        return NULL;
    entries e = {NULL, 0, 0};
    pnb_ptrmap index;
    PyObject *out = NULL;
    if (pnb_ptrmap_init(&index, 256) < 0)
        return NULL;
    PyTypeObject *last_type = NULL;
    Py_ssize_t last = -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {
        PyObject *o = PyList_GET_ITEM(objects, i);
        Py_INCREF(o);  /* (plan, __sizeof__ and fn may run Python code) */
        PyTypeObject *tp = Py_TYPE(o);
        Py_ssize_t k;
        if (tp == last_type) {
            k = last;
        }
        else {
            k = pnb_ptrmap_get(&index, tp, -1);
            if (k < 0) {
                if (make_entry(&e, plan, o, &k, collect) < 0 || pnb_ptrmap_put(&index, tp, k) < 0) {
                    Py_DECREF(o);
                    goto done;
                }
            }
            last_type = tp;
            last = k;
        }
        type_entry *ent = &e.items[k];
        long long size = 0;
        int err = 0;
        if (ent->mode == 0) {
            size = ent->fixed;
        }
        else if (ent->mode == 1) {
            PyObject *r = ent->meth(o, NULL);
            if (r != NULL && PyLong_CheckExact(r)) {
                size = PyLong_AsLongLong(r);
                if (size == -1 && PyErr_Occurred())
                    err = 1;
                else
                    size += ent->header;
            }
            else {
                err = 1;
            }
            Py_XDECREF(r);
            if (err || size < 0 || size > PLAUSIBLE_MAX) {
                PyErr_Clear();
                err = 0;
                size = size_by_call(fallback, o, &err);
            }
        }
        else {
            size = size_by_call(ent->self_desc, o, &err);
        }
        if (!err && ent->own_kind)
            size += own_extra(ent, o, size);
        if (!err && e.items[k].objs != NULL && PyList_Append(e.items[k].objs, o) < 0)
            err = 1;
        if (consume && i < PyList_GET_SIZE(objects) && PyList_GET_ITEM(objects, i) == o) {
            /* the list's reference is dropped now, while the object is in the cache */
            Py_INCREF(Py_None);
            PyList_SET_ITEM(objects, i, Py_None);
            Py_DECREF(o);
        }
        Py_DECREF(o);
        if (err)
            goto done;
        ent = &e.items[k];  /* (entries may have moved: no, but re-read after calls) */
        ent->count++;
        ent->size += size;
    }
    out = PyList_New(e.len);
    if (out == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < e.len; k++) {
        PyObject *row = collect
            ? Py_BuildValue("[OLLO]", e.items[k].type, e.items[k].count, e.items[k].size,
                            e.items[k].objs != NULL ? e.items[k].objs : Py_None)
            : Py_BuildValue("[OLL]", e.items[k].type, e.items[k].count, e.items[k].size);
        if (row == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, k, row);
    }
done:
    entries_free(&e);
    pnb_ptrmap_free(&index);
    return out;
}

static PyObject *
of_types(PyObject *self, PyObject *args)
{
    PyObject *objects, *types;
    if (!PyArg_ParseTuple(args, "O!O!:of_types", &PyList_Type, &objects, &PyTuple_Type, &types))
        return NULL;
    Py_ssize_t nt = PyTuple_GET_SIZE(types);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {  /* (no Python code runs) */
        PyObject *o = PyList_GET_ITEM(objects, i);
        PyObject *tp = (PyObject *)Py_TYPE(o);
        for (Py_ssize_t j = 0; j < nt; j++) {
            if (PyTuple_GET_ITEM(types, j) == tp) {
                if (PyList_Append(out, o) < 0) {
                    Py_DECREF(out);
                    return NULL;
                }
                break;
            }
        }
    }
    return out;
}

PyMethodDef pnb_summary_methods[] = {
    {"type_stats", type_stats, METH_VARARGS,
     "type_stats(objects, plan, fallback[, collect[, consume]]) -> [[type, count, total size(, objects)], ...]"},
    {"of_types", of_types, METH_VARARGS,
     "of_types(objects, types) -> the objects whose type is one of types (a tuple)"},
    {NULL, NULL, 0, NULL},
};
