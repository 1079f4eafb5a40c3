/* The heap walk (pympler_nb.core.objwalk.walk_heap on the accelerated path).
 *
 *   split_tracked(objects, skip[, into]) -> (kept, frames)
 *       objects: gc.get_objects(); the objects whose id is a key of `skip` (a dict or None)
 *       are left out, frames (exact type) are returned apart. With `into` (an empty list,
 *       e.g. a HeapList) `objects` is filtered in place and its items move into `into`
 *       (which is `kept`; `objects` is left empty): no copy of a big listing.
 *   untracked_closure(tracked, skip, guard, is_ruled, rule_refs[, into]) -> list
 *       everything reachable from `tracked` through objects the collector does not track,
 *       each once: the untracked referents (tp_traverse, as gc.get_referents) of the tracked
 *       objects, the keys of their dicts, what the size rules' refs= report for objects of
 *       a ruled type; then the same for those objects, plus the stored parts of code
 *       objects, until nothing new is found. `guard` (an object or None) is never
 *       traversed: the _asyncio module on CPython 3.12.0-3.12.5 (see core/gcsafe.py).
 *       `is_ruled(type) -> bool` is asked once per type (Python code, as the pure path's
 *       rules_of); `rule_refs(list) -> list` once per level with the objects of ruled
 *       types (Python code, as the pure path's rule_referents). With `into` (a list, may
 *       be `tracked` itself) the objects found are appended to it and it is returned: the
 *       whole heap in one list, tracked objects first.
 *   walk_listing(listing, into, skip, guard, is_ruled, rule_refs) -> int
 *       split_tracked and untracked_closure in one pass over the tracked objects: the
 *       items of `listing` (gc.get_objects(), left empty) move into `into` (an empty list)
 *       without the objects of `skip` and the frames, the closure is appended to it;
 *       returns how many tracked objects were kept (they come first).
 *
 * Deduplication follows the pure path (objwalk._singles): the found objects are held by
 * a buffer; one whose reference count is exactly 2 (its one holder and the buffer) can be
 * met only once and needs no lookup; the others go through a set of addresses. The
 * caller disables the gc. No Python code runs while an object is held only by a
 * borrowed reference: the buffer holds a strong reference to each object found.
 */
#include "speedups.h"

static int
add_id(pnb_ptrset *set, PyObject *key)
{
    if (!PyLong_Check(key))
        return 0;  /* (not an id: cannot match an object) */
    void *p = PyLong_AsVoidPtr(key);
    if (p == NULL && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return pnb_ptrset_add(set, p) < 0 ? -1 : 0;
}

/* the ids of `skip` (a dict {id: object}, a set or frozenset of ids, or None) */
static int
skip_set(PyObject *skip, pnb_ptrset *set)
{
    Py_ssize_t size = skip == Py_None ? 0 : PyObject_Length(skip);
    if (size < 0)
        return -1;
    if (pnb_ptrset_init(set, (size_t)size) < 0)
        return -1;
    if (skip == Py_None)
        return 0;
    if (PyDict_Check(skip)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(skip, &pos, &key, &value)) {
            if (add_id(set, key) < 0)
                return -1;
        }
        return 0;
    }
    PyObject *it = PyObject_GetIter(skip);  /* (a set: iterating it runs no Python code) */
    if (it == NULL)
        return -1;
    PyObject *key;
    while ((key = PyIter_Next(it)) != NULL) {
        int rc = add_id(set, key);
        Py_DECREF(key);
        if (rc < 0) {
            Py_DECREF(it);
            return -1;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static int
check_skip(PyObject *skip)
{
    if (skip == Py_None || PyDict_Check(skip) || PyAnySet_Check(skip))
        return 0;
    PyErr_Format(PyExc_TypeError, "skip must be a dict {id: object}, a set of ids or None, not %.100s",
                 Py_TYPE(skip)->tp_name);
    return -1;
}

/* a kept object of `objects` (1), one to leave out (0), a frame (2) */
static int
keep_kind(pnb_ptrset *skipped, PyObject *o)
{
    if (skipped->used && pnb_ptrset_has(skipped, o))
        return 0;
    return PyFrame_Check(o) ? 2 : 1;
}

/* `into` (an empty list) takes over the items of `objects` (left empty): their buffers
 * are swapped, no reference count changes */
static void
move_items(PyObject *objects, PyObject *into)
{
    PyListObject *a = (PyListObject *)objects, *b = (PyListObject *)into;
    PyObject **items = b->ob_item;
    Py_ssize_t allocated = b->allocated;
    b->ob_item = a->ob_item;
    b->allocated = a->allocated;
    Py_SET_SIZE(b, Py_SIZE(a));
    a->ob_item = items;
    a->allocated = allocated;
    Py_SET_SIZE(a, 0);
}

static PyObject *
split_tracked(PyObject *self, PyObject *args)
{
    PyObject *objects, *skip, *into = Py_None;
    if (!PyArg_ParseTuple(args, "O!O|O:split_tracked", &PyList_Type, &objects, &skip, &into))
        return NULL;
    if (check_skip(skip) < 0)
        return NULL;
    if (into != Py_None && (!PyList_Check(into) || PyList_GET_SIZE(into) != 0 || into == objects)) {
        PyErr_SetString(PyExc_TypeError, "into must be an empty list (not objects) or None");
        return NULL;
    }
    pnb_ptrset skipped;
    if (skip_set(skip, &skipped) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(objects);
    PyObject *kept = NULL, *frames = PyList_New(0), *out = NULL;
    PyObject **dropped = NULL;
    if (frames == NULL)
        goto done;
    if (into == Py_None) {
        kept = PyList_New(n);
        if (kept == NULL)
            goto done;
        Py_ssize_t k = 0;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {  /* (no Python code runs here) */
            PyObject *o = PyList_GET_ITEM(objects, i);
            int kind = keep_kind(&skipped, o);
            if (kind == 0)
                continue;
            if (kind == 2) {
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
    }
    else {
        /* in place: `objects` (the caller's fresh gc.get_objects() list) is compacted and
         * its buffer moved into `into`, no copy. First the frames (the one step that can
         * fail), then the compaction, which cannot fail; the references of the left-out
         * objects are dropped at the end (no object is freed while the list is half done) */
        Py_ssize_t ndrop = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *o = PyList_GET_ITEM(objects, i);
            int kind = keep_kind(&skipped, o);
            if (kind == 2 && PyList_Append(frames, o) < 0)
                goto done;
            ndrop += kind != 1;
        }
        if (ndrop) {
            dropped = PyMem_Malloc((size_t)ndrop * sizeof(PyObject *));
            if (dropped == NULL) {
                PyErr_NoMemory();
                goto done;
            }
        }
        PyObject **items = ((PyListObject *)objects)->ob_item;
        Py_ssize_t k = 0, d = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *o = items[i];
            if (keep_kind(&skipped, o) == 1)
                items[k++] = o;
            else if (d < ndrop)
                dropped[d++] = o;  /* (the list's reference, released below) */
        }
        Py_SET_SIZE(objects, k);
        move_items(objects, into);
        Py_INCREF(into);
        kept = into;
        for (Py_ssize_t i = 0; i < d; i++)
            Py_DECREF(dropped[i]);
    }
    out = PyTuple_Pack(2, kept, frames);
done:
    PyMem_Free(dropped);
    Py_XDECREF(kept);
    Py_XDECREF(frames);
    pnb_ptrset_free(&skipped);
    return out;
}

typedef struct {
    PyObject *guard;
    PyObject *is_ruled;     /* callable or None */
    PyObject *rule_refs;    /* callable or None */
    pnb_ptrmap ruled_types; /* type -> 1 ruled, 0 not (unknown: absent) */
    PyTypeObject *last_type;
    int last_kind;
    PyObject *ruled;        /* list: objects of a ruled type waiting for rule_refs */
    PyObject *out;          /* list: every untracked object found (strong references) */
    PyObject **stack;       /* found objects still to expand (borrowed from `out`) */
    Py_ssize_t stack_len, stack_cap;
    pnb_ptrset seen;        /* objects listed that were not singles */
    pnb_ptrset skip;
} walk_state;

#define KIND_EXPAND 1   /* GC type, dict, code object: has referents to follow */
#define KIND_RULED 2    /* a size rule with refs= applies */
#define KIND_UNKNOWN 4  /* not known yet whether a rule applies */

static int
type_kind(walk_state *st, PyTypeObject *tp)
{
    if (tp == st->last_type)
        return st->last_kind;
    int kind = 0;
    if (PyType_IS_GC(tp) || PyType_FastSubclass(tp, Py_TPFLAGS_DICT_SUBCLASS) || tp == &PyCode_Type)
        kind |= KIND_EXPAND;
    if (st->is_ruled != Py_None) {
        Py_ssize_t known = pnb_ptrmap_get(&st->ruled_types, tp, -1);
        if (known < 0)
            kind |= KIND_UNKNOWN;
        else if (known)
            kind |= KIND_RULED;
    }
    if (!(kind & KIND_UNKNOWN)) {
        st->last_type = tp;
        st->last_kind = kind;
    }
    return kind;
}

static int
stack_push(walk_state *st, PyObject *o)
{
    if (st->stack_len == st->stack_cap) {
        Py_ssize_t cap = st->stack_cap ? st->stack_cap * 2 : 1024;
        PyObject **items = PyMem_Realloc(st->stack, (size_t)cap * sizeof(PyObject *));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->stack = items;
        st->stack_cap = cap;
    }
    st->stack[st->stack_len++] = o;
    return 0;
}

/* an object found (borrowed from its holder, which is held): listed if untracked and new.
 * `counted`: found through a reference its holder owns (tp_traverse), so a reference
 * count of 1 proves that this is its only holder and that it cannot be met again;
 * otherwise (dict keys, which a shared-key table may hold for many dicts; code parts;
 * what a size rule reports) it goes through the set. No Python code runs here. */
static int
found(walk_state *st, PyObject *o, int counted)
{
    if (o == NULL || PyObject_GC_IsTracked(o))
        return 0;
    if (!counted || Py_REFCNT(o) != 1) {
        if (st->skip.used && pnb_ptrset_has(&st->skip, o))
            return 0;
        int added = pnb_ptrset_add(&st->seen, o);
        if (added <= 0)
            return added;
    }
    if (PyList_Append(st->out, o) < 0)
        return -1;
    if (type_kind(st, Py_TYPE(o)) != 0)
        return stack_push(st, o);
    return 0;
}

static int
visit_found(PyObject *o, void *arg)
{
    return found((walk_state *)arg, o, 1);
}

/* the referents of o (held by the caller) that the walk follows; `code_parts`: the
 * untracked levels also read the stored parts of code objects */
static int
expand(walk_state *st, PyObject *o, int code_parts)
{
    if (o == st->guard)
        return 0;
    if (PyDict_Check(o)) {
        /* the keys first (dict's tp_traverse skips str keys), through the set; then
         * tp_traverse finds a key again only with a reference count above 1 */
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (found(st, key, 0) < 0)
                return -1;
        }
    }
    else if (code_parts && PyCode_Check(o)) {
        /* the stored parts only (co_code/co_varnames would be created by reading them) */
        PyCodeObject *co = (PyCodeObject *)o;
        if (found(st, co->co_consts, 0) < 0 || found(st, co->co_names, 0) < 0
            || found(st, co->co_filename, 0) < 0 || found(st, co->co_name, 0) < 0
            || found(st, co->co_qualname, 0) < 0 || found(st, co->co_linetable, 0) < 0
            || found(st, co->co_exceptiontable, 0) < 0)
            return -1;
    }
    if (PyObject_IS_GC(o)) {
        traverseproc traverse = Py_TYPE(o)->tp_traverse;
        if (traverse != NULL && traverse(o, visit_found, st) < 0)
            return -1;
    }
    if (st->is_ruled != Py_None) {
        PyTypeObject *tp = Py_TYPE(o);
        Py_ssize_t ruled = pnb_ptrmap_get(&st->ruled_types, tp, -1);
        if (ruled < 0) {
            /* Python code, outside any traversal; o (so its type) is held by the caller */
            PyObject *r = PyObject_CallOneArg(st->is_ruled, (PyObject *)tp);
            if (r == NULL)
                return -1;
            int truth = PyObject_IsTrue(r);
            Py_DECREF(r);
            if (truth < 0 || pnb_ptrmap_put(&st->ruled_types, tp, truth) < 0)
                return -1;
            ruled = truth;
        }
        if (ruled && PyList_Append(st->ruled, o) < 0)
            return -1;
    }
    return 0;
}

/* expand the found objects waiting on the stack (depth first: each is still in the cache) */
static int
drain(walk_state *st)
{
    while (st->stack_len) {
        PyObject *o = st->stack[--st->stack_len];  /* (held by `out`) */
        if (expand(st, o, 1) < 0)
            return -1;
    }
    return 0;
}

/* what the size rules report for the ruled objects met so far (Python code) */
static int
apply_rules(walk_state *st)
{
    PyObject *batch = st->ruled;
    st->ruled = PyList_New(0);
    if (st->ruled == NULL) {
        st->ruled = batch;
        return -1;
    }
    PyObject *got = PyObject_CallOneArg(st->rule_refs, batch);
    Py_DECREF(batch);
    if (got == NULL)
        return -1;
    PyObject *seq = PySequence_Fast(got, "rule_refs must return a list");
    Py_DECREF(got);
    if (seq == NULL)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (found(st, PySequence_Fast_GET_ITEM(seq, i), 0) < 0) {  /* (seq holds it) */
            rc = -1;
            break;
        }
    }
    Py_DECREF(seq);
    return rc;
}

/* the closure of `tracked` (its first n0 items), appended to `into` (may be `tracked`).
 * `drop` (into is tracked): the objects of `skip` and the frames among the first n0 items
 * are left out as split_tracked leaves them out: the kept ones move down (their slots
 * become None while the list is compacted, so that it stays a valid list whatever Python
 * code runs meanwhile), the None slots are removed at the end; *kept is their count. */
static PyObject *
closure(PyObject *tracked, PyObject *skip, PyObject *guard, PyObject *is_ruled,
        PyObject *rule_refs, PyObject *into, int drop, Py_ssize_t *kept)
{
    walk_state st;
    memset(&st, 0, sizeof st);
    st.guard = guard;
    st.is_ruled = is_ruled;
    st.rule_refs = rule_refs;
    if (check_skip(skip) < 0)
        return NULL;
    if (st.is_ruled != Py_None && (!PyCallable_Check(st.is_ruled) || !PyCallable_Check(st.rule_refs))) {
        PyErr_SetString(PyExc_TypeError, "is_ruled and rule_refs must be callables (or None)");
        return NULL;
    }
    PyObject *result = NULL;
    pnb_objbuf dropped = {NULL, 0, 0};
    if (skip_set(skip, &st.skip) < 0 || pnb_ptrset_init(&st.seen, 1024) < 0
        || pnb_ptrmap_init(&st.ruled_types, 256) < 0)
        goto done;
    st.ruled = PyList_New(0);
    if (into == Py_None) {
        st.out = PyList_New(0);
    }
    else {
        Py_INCREF(into);
        st.out = into;
    }
    if (st.ruled == NULL || st.out == NULL)
        goto done;
    /* from each tracked object (index by index: rule code may run between two); `into`
     * may be `tracked` itself: only its first n0 items are the tracked objects */
    Py_ssize_t n0 = PyList_GET_SIZE(tracked), k = 0;
    for (Py_ssize_t i = 0; i < n0 && i < PyList_GET_SIZE(tracked); i++) {
        PyObject *o = PyList_GET_ITEM(tracked, i);
        if (drop) {
            if (keep_kind(&st.skip, o) != 1) {  /* left out: its slot becomes None */
                if (pnb_objbuf_push(&dropped, o) < 0)
                    goto done;
                Py_INCREF(Py_None);
                PyList_SET_ITEM(tracked, i, Py_None);
                Py_DECREF(o);  /* (the list's reference: `dropped` holds one) */
                continue;
            }
            if (k != i) {  /* moved down to slot k (a None) */
                PyObject *none = PyList_GET_ITEM(tracked, k);
                PyList_SET_ITEM(tracked, k, o);
                PyList_SET_ITEM(tracked, i, none);
            }
            k++;
        }
        Py_INCREF(o);
        int rc = expand(&st, o, 0);
        Py_DECREF(o);
        if (rc < 0 || drain(&st) < 0)
            goto done;
    }
    while (PyList_GET_SIZE(st.ruled)) {
        if (apply_rules(&st) < 0 || drain(&st) < 0)
            goto done;
    }
    if (drop) {
        if (k < n0 && n0 <= PyList_GET_SIZE(tracked)
            && PyList_SetSlice(tracked, k, n0, NULL) < 0)
            goto done;
        *kept = k;
    }
    result = st.out;
    st.out = NULL;
done:
    PyMem_Free(st.stack);
    Py_XDECREF(st.ruled);
    Py_XDECREF(st.out);
    pnb_ptrset_free(&st.seen);
    pnb_ptrset_free(&st.skip);
    pnb_ptrmap_free(&st.ruled_types);
    pnb_objbuf_free(&dropped);
    return result;
}

static PyObject *
untracked_closure(PyObject *self, PyObject *args)
{
    PyObject *tracked, *skip, *guard, *is_ruled, *rule_refs, *into = Py_None;
    if (!PyArg_ParseTuple(args, "O!OOOO|O:untracked_closure", &PyList_Type, &tracked, &skip,
                          &guard, &is_ruled, &rule_refs, &into))
        return NULL;
    if (into != Py_None && !PyList_Check(into)) {
        PyErr_SetString(PyExc_TypeError, "into must be a list or None");
        return NULL;
    }
    return closure(tracked, skip, guard, is_ruled, rule_refs, into, 0, NULL);
}

static PyObject *
walk_listing(PyObject *self, PyObject *args)
{
    PyObject *listing, *into, *skip, *guard, *is_ruled, *rule_refs;
    if (!PyArg_ParseTuple(args, "O!O!OOOO:walk_listing", &PyList_Type, &listing, &PyList_Type,
                          &into, &skip, &guard, &is_ruled, &rule_refs))
        return NULL;
    if (PyList_GET_SIZE(into) != 0 || into == listing) {
        PyErr_SetString(PyExc_TypeError, "into must be an empty list (not listing)");
        return NULL;
    }
    if (check_skip(skip) < 0)
        return NULL;
    move_items(listing, into);
    Py_ssize_t kept = 0;
    PyObject *out = closure(into, skip, guard, is_ruled, rule_refs, into, 1, &kept);
    if (out == NULL)
        return NULL;
    Py_DECREF(out);
    return PyLong_FromSsize_t(kept);
}

PyMethodDef pnb_heap_methods[] = {
    {"split_tracked", split_tracked, METH_VARARGS,
     "split_tracked(objects, skip[, into]) -> (kept, frames): gc.get_objects() without the "
     "objects whose id is a key of skip, frames apart (into: filtered in place, moved there)."},
    {"walk_listing", walk_listing, METH_VARARGS,
     "walk_listing(listing, into, skip, guard, is_ruled, rule_refs) -> int: the items of "
     "listing (gc.get_objects()) move into `into`, without skip's objects and frames, and "
     "the untracked closure is appended; returns the count of tracked objects kept."},
    {"untracked_closure", untracked_closure, METH_VARARGS,
     "untracked_closure(tracked, skip, guard, is_ruled, rule_refs[, into]) -> list: everything "
     "reachable from tracked through untracked objects, each once (appended to into)."},
    {NULL, NULL, 0, NULL},
};
