/* The asizeof walk in C: the level-synchronous loop of Asizer._walk (pympler_nb/core/_asizer.py).
 *
 * What this file decides by itself (the "hard-coded" rules; everything else is a Python callback):
 *   - visiting: breadth first, level by level; an object is sized once per sizer (the Python
 *     set ``seen`` of ids, shared with the pure path); ids in ``ignore`` are never followed
 *     (the roots of a free walk are sized whatever they are);
 *   - referents: ``gc.get_referents`` (tp_traverse of gc objects) for the kinds REFS, INST and
 *     DICT, plus the keys of a dict that is not a split table; ATOM: none; the gcsafe guard of
 *     the _asyncio module (3.12.0-3.12.5) is kept;
 *   - flat size: the per-type constant, or the type's C ``__sizeof__`` (a METH_NOARGS method
 *     descriptor is called directly, ``object.__sizeof__`` computed as CPython does), plus the
 *     pre-header; a one-digit int rounded as INT_FIX says; a result that is not an int in
 *     [0, 2**32] goes to ``flat_one`` (Python: it validates and records it).
 * The type decisions (TypeInfo: kind, fn, const, ...), the hidden bytes of managed instances,
 * split-table corrections, size rules and every other kind (RULE, CLASS, CODE, FRAME, BUILTIN,
 * DICTLIKE, variable-size heap types) are Python callbacks, called per group of same-type
 * objects of a level, exactly as the pure walk calls them.
 * The hidden bytes of a managed-dict instance are read here as _layout.instances_hidden_each
 * reads them (the layouts of 3.11, 3.12 and 3.13; the class's state and SUPPORTED from _layout).
 *
 * Safety: every object of a frontier or group is a strong reference; borrowed references (the
 * visited referents, a type) are INCREF'd before any call that can run Python code.
 */
#include "speedups.h"

/* kinds (pympler_nb/core/_sizerules.py) */
enum { K_IGNORE = 0, K_ATOM = 1, K_REFS = 2, K_DICT = 3, K_INST = 4 };
enum { M_IGNORE = 0, M_FAST = 1, M_DELEGATE = 2 };
/* the instance layouts of _layout.instances_hidden_each */
enum { HID_NONE = 0, HID_313 = 1, HID_312 = 2, HID_311 = 3 };
#define PTR_SIZE ((Py_ssize_t)sizeof(void *))
#define ROUNDUP(n, m) (((n) + (m)-1) / (m) * (m))

#if PY_VERSION_HEX >= 0x030C0000
#define PyErr_GetRaisedException_compat PyErr_GetRaisedException
#define PyErr_SetRaisedException_compat PyErr_SetRaisedException
#else
static PyObject *PyErr_GetRaisedException_compat(void)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (t == NULL)
        return NULL;
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb != NULL)
        PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}
static void PyErr_SetRaisedException_compat(PyObject *v)
{
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(v)), v, PyException_GetTraceback(v));
}
#endif

#define CHEAP_MAX ((Py_ssize_t)1 << 32)

typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
} Vec;

static int vec_push(Vec *v, PyObject *o) /* steals nothing: caller INCREFs */
{
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 64;
        PyObject **p = PyMem_Realloc(v->items, cap * sizeof(PyObject *));
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = o;
    return 0;
}

static void vec_clear(Vec *v)
{
    for (Py_ssize_t i = 0; i < v->n; i++)
        Py_DECREF(v->items[i]);
    v->n = 0;
}

static void vec_free(Vec *v)
{
    vec_clear(v);
    PyMem_Free(v->items);
    v->items = NULL;
    v->cap = 0;
}

/* the objects of this call, by address (flushed into the Python ``seen`` at the end) */
typedef struct {
    uintptr_t *keys;
    size_t cap, n;
    int shift; /* 64 - log2(cap): Fibonacci hashing takes the product's high bits */
    int raw;   /* kept between calls: libc memory, which tracemalloc does not see (the cache
                  of a sizing is no memory the user's objects take) */
} PtrSet;

static void ptrset_release(PtrSet *s)
{
    if (s->raw)
        free(s->keys);
    else
        PyMem_Free(s->keys);
    s->keys = NULL;
    s->cap = s->n = 0;
}

#define PTR_SLOT(p, shift) ((size_t)(((uint64_t)(p) * 0x9E3779B97F4A7C15ULL) >> (shift)))

/* 1: added, 0: present, -1: no memory */
static int ptrset_add(PtrSet *s, uintptr_t p)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int shift = s->cap ? s->shift - 1 : 64 - 6;
        uintptr_t *keys = s->raw ? calloc(cap, sizeof(uintptr_t)) : PyMem_Calloc(cap, sizeof(uintptr_t));
        if (keys == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            uintptr_t k = s->keys[i];
            if (k) {
                size_t h = PTR_SLOT(k, shift);
                while (keys[h])
                    h = (h + 1) & (cap - 1);
                keys[h] = k;
            }
        }
        if (s->raw)
            free(s->keys);
        else
            PyMem_Free(s->keys);
        s->keys = keys;
        s->cap = cap;
        s->shift = shift;
    }
    size_t h = PTR_SLOT(p, s->shift);
    while (s->keys[h]) {
        if (s->keys[h] == p)
            return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->keys[h] = p;
    s->n++;
    return 1;
}

static int ptrset_has(PtrSet *s, uintptr_t p)
{
    if (!s->n)
        return 0;
    size_t h = PTR_SLOT(p, s->shift);
    while (s->keys[h]) {
        if (s->keys[h] == p)
            return 1;
        h = (h + 1) & (s->cap - 1);
    }
    return 0;
}

/* ``frozen`` only: an id discarded from ``seen`` (a tombstone: never an object's address) */
#define PTR_GONE ((uintptr_t)1)

static void ptrset_remove(PtrSet *s, uintptr_t p)
{
    if (!s->n)
        return;
    size_t h = PTR_SLOT(p, s->shift);
    while (s->keys[h]) {
        if (s->keys[h] == p) {
            s->keys[h] = PTR_GONE;
            return;
        }
        h = (h + 1) & (s->cap - 1);
    }
}

typedef struct {
    PyTypeObject *tp; /* strong */
    PyObject *info;   /* strong: the TypeInfo */
    int mode, kind, managed, exact_dict, direct, obj_sizeof, int_fix, checked;
    int hid;               /* how the hidden bytes of an instance are read: HID_* */
    Py_ssize_t ncur, pcur; /* 3.11/3.12: the class's values-array state (_layout.values_state) */
    Py_ssize_t cnst, pre, basic;
    PyObject *fn;    /* strong or NULL */
    PyCFunction meth; /* a METH_NOARGS descriptor's C function, called directly */
    PyTypeObject *meth_type;
    Py_ssize_t count, flat; /* profile of the objects sized here (fast mode) */
    PyObject *group;        /* list of this level's objects for a callback, or NULL */
    int in_level;
} Plan;

typedef struct {
    /* configuration (borrowed from the call's arguments) */
    PyObject *seen, *ignore, *classify, *delegate, *flat_one, *split_fix;
    PyObject *int_sizeof, *obj_sizeof, *guard_mod, *state_of;
    int layout_ok;        /* _layout.SUPPORTED */
    Py_ssize_t dict_size; /* _layout._DICT_SIZE: a hidden dict (3.13) */
    Py_ssize_t limit; /* -1: none */
    Py_ssize_t int_one, int_fix;
    /* the plan table: types by address */
    Plan *plans;
    Py_ssize_t nplans, capplans;
    Py_ssize_t *slots; /* open addressing: index into plans, -1 empty */
    Py_ssize_t capslots;
    Py_ssize_t *level_plans; /* plans with a group this level */
    Py_ssize_t nlevel;
    /* counters */
    Py_ssize_t duplicate, seen_count, depth;
    PtrSet local; /* what this call saw; ``seen`` holds the rest */
    PtrSet frozen; /* walk_many: a copy of ``seen`` at the start, asked while ``seen`` keeps
                      the size it should have (no Python callback added to it) */
    Py_ssize_t frozen_size; /* -1: no copy */
    int forget;   /* the caller drops ``seen`` after this call: no flush */
    PyObject *ig_token;  /* ``ignore``'s version (see ignore_load) */
    PyObject *st_token;  /* the sizer's static-type key (_sizerules.static_token), or NULL:
                            the plans of static types are then taken from ``plan_cache`` */
    Vec spare[2];        /* walk_roots' buffers, emptied between roots */
    PyObject *itypes[8]; /* the exact types of what ``ignore`` holds */
    Py_ssize_t nitypes;
} Walk;

/* this call's objects into the Python ``seen`` (on errors too: as the pure walk leaves it) */
static int walk_flush(Walk *w)
{
    int ret = 0;
    PyObject *exc = PyErr_GetRaisedException_compat();
    if (!w->forget) {
        for (size_t i = 0; i < w->local.cap; i++) {
            uintptr_t k = w->local.keys[i];
            if (!k)
                continue;
            PyObject *key = PyLong_FromVoidPtr((void *)k);
            if (key == NULL || PySet_Add(w->seen, key) < 0) {
                Py_XDECREF(key);
                ret = -1;
                break;
            }
            Py_DECREF(key);
        }
    }
    ptrset_release(&w->local);
    ptrset_release(&w->frozen);
    if (exc != NULL) {
        if (ret < 0)
            PyErr_Clear();
        PyErr_SetRaisedException_compat(exc);
        ret = -1;
    }
    return ret;
}

static void walk_free(Walk *w)
{
    for (Py_ssize_t i = 0; i < w->nplans; i++) {
        Plan *p = &w->plans[i];
        Py_XDECREF(p->tp);
        Py_XDECREF(p->info);
        Py_XDECREF(p->fn);
        Py_XDECREF(p->group);
    }
    vec_free(&w->spare[0]);
    vec_free(&w->spare[1]);
    PyMem_Free(w->plans);
    PyMem_Free(w->slots);
    PyMem_Free(w->level_plans);
    w->plans = NULL;
    w->slots = NULL;
    w->level_plans = NULL;
    w->nplans = w->capplans = w->capslots = 0;
}

/* TypeInfo's attribute names, interned once: a temporary name would stay referenced by
 * CPython's type attribute cache (memory left behind by a sizing) */
static PyObject *interned(const char *name)
{
    static struct {
        const char *name;
        PyObject *str;
    } names[8];
    int i = 0;
    for (; i < 8 && names[i].name != NULL; i++)
        if (names[i].name == name)
            return names[i].str;
    PyObject *str = PyUnicode_InternFromString(name);
    if (str != NULL && i < 8) {
        names[i].name = name;
        names[i].str = str; /* kept for the process's life */
    }
    return str;
}

static Py_ssize_t attr_ssize(PyObject *obj, const char *name, Py_ssize_t dflt, int *err)
{
    PyObject *key = interned(name);
    PyObject *v = key == NULL ? NULL : PyObject_GetAttr(obj, key);
    if (v == NULL) {
        *err = 1;
        return dflt;
    }
    Py_ssize_t r = dflt;
    if (v != Py_None) {
        r = PyLong_AsSsize_t(v);
        if (r == -1 && PyErr_Occurred())
            *err = 1;
    }
    Py_DECREF(v);
    return r;
}

static int attr_true(PyObject *obj, const char *name, int *err)
{
    PyObject *key = interned(name);
    PyObject *v = key == NULL ? NULL : PyObject_GetAttr(obj, key);
    if (v == NULL) {
        *err = 1;
        return 0;
    }
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (r < 0)
        *err = 1;
    return r > 0;
}

static int slots_grow(Walk *w)
{
    Py_ssize_t cap = w->capslots ? w->capslots * 2 : 64;
    Py_ssize_t *s = PyMem_Malloc(cap * sizeof(Py_ssize_t));
    if (s == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++)
        s[i] = -1;
    for (Py_ssize_t i = 0; i < w->nplans; i++) {
        size_t h = (((size_t)w->plans[i].tp >> 4) * 0x9E3779B97F4A7C15ULL) >> 40 & (cap - 1);
        while (s[h] >= 0)
            h = (h + 1) & (cap - 1);
        s[h] = i;
    }
    PyMem_Free(w->slots);
    w->slots = s;
    w->capslots = cap;
    return 0;
}

/* ``ignore`` as a C set, kept between calls while the Python set is the same object with
 * the same size and version (the ``sys.modules`` key _sizerules.ignore_ids refreshes it by) */
static PtrSet ig_set;
static PyObject *ig_obj, *ig_token;
static Py_ssize_t ig_len = -1;

static int ignore_load(PyObject *ignore, PyObject *token)
{
    if (ig_obj == ignore && ig_len == PySet_GET_SIZE(ignore)) {
        int same = ig_token == token ? 1 : PyObject_RichCompareBool(ig_token, token, Py_EQ);
        if (same < 0)
            return -1;
        if (same)
            return 0;
    }
    Py_CLEAR(ig_obj);
    Py_CLEAR(ig_token);
    ig_len = -1;
    ptrset_release(&ig_set);
    ig_set.raw = 1;
    PyObject *it = PyObject_GetIter(ignore), *k;
    if (it == NULL)
        return -1;
    while ((k = PyIter_Next(it)) != NULL) {
        void *ptr = PyLong_Check(k) ? PyLong_AsVoidPtr(k) : NULL;
        Py_DECREF(k);
        if (ptr == NULL && PyErr_Occurred())
            PyErr_Clear(); /* not an address: never an object of ours */
        else if (ptr != NULL && ptrset_add(&ig_set, (uintptr_t)ptr) < 0)
            break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return -1;
    ig_obj = Py_NewRef(ignore);
    ig_token = Py_NewRef(token);
    ig_len = PySet_GET_SIZE(ignore);
    return 0;
}

/* The plans of static (non-heap) types, kept across calls: a static type's TypeInfo
 * depends only on the type and the sizer's static key (Python's STATIC_INFO is keyed by
 * the same), which the Python side passes as one object per value (``st_token``, compared
 * by identity). A hit skips the ``classify`` callback. The entries hold strong references
 * (the type, its TypeInfo and function, the token); a static array: no allocation. */
#define PLAN_CACHE 256
#define PLAN_PROBE 8
typedef struct {
    PyObject *token; /* NULL: empty */
    Plan plan;       /* tp, info, fn strong; the per-call fields zero */
} CachedPlan;
static CachedPlan plan_cache[PLAN_CACHE];

static size_t plan_cache_home(PyTypeObject *tp)
{
    return (((size_t)tp >> 4) * 0x9E3779B97F4A7C15ULL) >> 40 & (PLAN_CACHE - 1);
}

static CachedPlan *plan_cache_find(PyTypeObject *tp, PyObject *token)
{
    size_t h = plan_cache_home(tp);
    for (int i = 0; i < PLAN_PROBE; i++, h = (h + 1) & (PLAN_CACHE - 1)) {
        CachedPlan *c = &plan_cache[h];
        if (c->token == token && c->plan.tp == tp)
            return c;
    }
    return NULL;
}

static void plan_cache_put(const Plan *p, PyObject *token)
{
    size_t h = plan_cache_home(p->tp);
    CachedPlan *slot = &plan_cache[h]; /* all taken: the home slot is replaced */
    for (int i = 0; i < PLAN_PROBE; i++, h = (h + 1) & (PLAN_CACHE - 1))
        if (plan_cache[h].token == NULL || plan_cache[h].plan.tp == p->tp) {
            slot = &plan_cache[h];
            break;
        }
    CachedPlan old = *slot;
    slot->token = Py_NewRef(token);
    slot->plan = *p;
    Py_INCREF(p->tp);
    Py_INCREF(p->info);
    Py_XINCREF(p->fn);
    slot->plan.count = slot->plan.flat = 0;
    slot->plan.group = NULL;
    slot->plan.in_level = 0;
    if (old.token != NULL) { /* after the slot is whole again: a release may run Python code */
        Py_DECREF(old.token);
        Py_DECREF(old.plan.tp);
        Py_DECREF(old.plan.info);
        Py_XDECREF(old.plan.fn);
    }
}

/* room for one more plan in ``w``'s table; 0, or -1 with an exception set */
static int plans_room(Walk *w)
{
    if (w->nplans == w->capplans) {
        Py_ssize_t cap = w->capplans ? w->capplans * 2 : 16;
        Plan *p = PyMem_Realloc(w->plans, cap * sizeof(Plan));
        Py_ssize_t *lp = PyMem_Realloc(w->level_plans, cap * sizeof(Py_ssize_t));
        if (p != NULL)
            w->plans = p;
        if (lp != NULL)
            w->level_plans = lp;
        if (p == NULL || lp == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->capplans = cap;
    }
    if ((w->nplans + 1) * 2 > w->capslots && slots_grow(w) < 0)
        return -1;
    return 0;
}

static void plan_index(Walk *w, Py_ssize_t idx)
{
    PyTypeObject *tp = w->plans[idx].tp;
    size_t h = (((size_t)tp >> 4) * 0x9E3779B97F4A7C15ULL) >> 40 & (w->capslots - 1);
    while (w->slots[h] >= 0)
        h = (h + 1) & (w->capslots - 1);
    w->slots[h] = idx;
}

/* The plan of type ``tp`` (classified by the Python callback the first time). Returns an
 * index, or -1 with an exception set. */
static Py_ssize_t plan_of(Walk *w, PyTypeObject *tp)
{
    if (w->capslots) {
        size_t h = (((size_t)tp >> 4) * 0x9E3779B97F4A7C15ULL) >> 40 & (w->capslots - 1);
        while (w->slots[h] >= 0) {
            if (w->plans[w->slots[h]].tp == tp)
                return w->slots[h];
            h = (h + 1) & (w->capslots - 1);
        }
    }
    int cacheable = w->st_token != NULL && !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE);
    if (cacheable) {
        CachedPlan *c = plan_cache_find(tp, w->st_token);
        if (c != NULL) {
            if (plans_room(w) < 0)
                return -1;
            Py_ssize_t idx = w->nplans++;
            Plan *p = &w->plans[idx];
            *p = c->plan;
            Py_INCREF(p->tp);
            Py_INCREF(p->info);
            Py_XINCREF(p->fn);
            plan_index(w, idx);
            return idx;
        }
    }
    /* new type: ask Python (keeps tp alive across the call) */
    Py_INCREF(tp);
    PyObject *info = PyObject_CallOneArg(w->classify, (PyObject *)tp);
    if (info == NULL) {
        Py_DECREF(tp);
        return -1;
    }
    int err = 0;
    Py_ssize_t kind = attr_ssize(info, "kind", 0, &err);
    Py_ssize_t cnst = attr_ssize(info, "const", -1, &err);
    Py_ssize_t pre = attr_ssize(info, "preheader", 0, &err);
    Py_ssize_t varfix = attr_ssize(info, "varfix", 0, &err);
    int checked = attr_true(info, "checked", &err);
    int managed = attr_true(info, "managed", &err);
    PyObject *fnkey = err ? NULL : interned("fn");
    PyObject *fn = fnkey == NULL ? NULL : PyObject_GetAttr(info, fnkey);
    if (err || fn == NULL) {
        Py_DECREF(tp);
        Py_DECREF(info);
        return -1;
    }
    if (fn == Py_None)
        Py_CLEAR(fn);
    if (plans_room(w) < 0) {
        Py_DECREF(tp);
        Py_DECREF(info);
        Py_XDECREF(fn);
        return -1;
    }
    Py_ssize_t idx = w->nplans++;
    Plan *p = &w->plans[idx];
    memset(p, 0, sizeof(Plan));
    p->tp = tp;
    p->info = info;
    p->fn = fn;
    p->kind = (int)kind;
    p->cnst = cnst;
    p->pre = pre;
    p->basic = tp->tp_basicsize;
    p->managed = managed;
    if (kind == K_IGNORE)
        p->mode = M_IGNORE;
    else if ((kind == K_ATOM || kind == K_REFS || kind == K_DICT || kind == K_INST) && !varfix &&
             (cnst >= 0 || fn != NULL))
        p->mode = M_FAST;
    else
        p->mode = M_DELEGATE;
    p->exact_dict = (tp == &PyDict_Type);
    p->checked = checked;
    if (p->mode == M_FAST && managed && w->layout_ok) {
#if PY_VERSION_HEX >= 0x030D0000
        if (PyType_GetFlags(tp) & (1UL << 2)) /* Py_TPFLAGS_INLINE_VALUES */
            p->hid = HID_313;
#else
        PyObject *st = PyObject_CallFunctionObjArgs(w->state_of, (PyObject *)tp, info, NULL);
        if (st == NULL) {
            w->nplans--;
            Py_CLEAR(p->tp);
            Py_CLEAR(p->info);
            Py_CLEAR(p->fn);
            return -1;
        }
        if (st != Py_None) {
            if (!PyArg_ParseTuple(st, "nn", &p->ncur, &p->pcur)) {
                Py_DECREF(st);
                w->nplans--;
                Py_CLEAR(p->tp);
                Py_CLEAR(p->info);
                Py_CLEAR(p->fn);
                return -1;
            }
            p->hid = PY_VERSION_HEX >= 0x030C0000 ? HID_312 : HID_311;
        }
        Py_DECREF(st);
#endif
    }
    if (p->mode == M_FAST && cnst < 0) {
        if (fn == w->obj_sizeof && !PyType_IsSubtype(tp, &PyLong_Type))
            p->obj_sizeof = 1;
        else if (fn == w->int_sizeof)
            p->int_fix = 1;
        if (!p->obj_sizeof && PyObject_TypeCheck(fn, &PyMethodDescr_Type)) {
            PyMethodDescrObject *d = (PyMethodDescrObject *)fn;
            if (d->d_method != NULL && (d->d_method->ml_flags & ~METH_COEXIST) == METH_NOARGS &&
                PyType_IsSubtype(tp, PyDescr_TYPE(d))) {
                p->meth = d->d_method->ml_meth;
                p->direct = 1;
            }
        }
    }
    plan_index(w, idx);
    /* the same TypeInfo as STATIC_INFO's: kept for the next calls of this sizer key (not a
     * managed layout: its hidden-bytes state is read per call) */
    if (cacheable && !p->managed && p->hid == HID_NONE)
        plan_cache_put(p, w->st_token);
    return idx;
}

/* The ``__sizeof__`` part of one object's flat size (fast mode); -1 with an exception set
 * only for a BaseException that is not an Exception (KeyboardInterrupt...). */
static Py_ssize_t flat_of(Walk *w, Plan *p, PyObject *o)
{
    if (p->cnst >= 0)
        return p->cnst;
    Py_ssize_t s;
    if (p->obj_sizeof) {
        Py_ssize_t isize = Py_TYPE(o)->tp_itemsize;
        s = isize > 0 ? ((PyVarObject *)o)->ob_size * isize : 0;
        s += Py_TYPE(o)->tp_basicsize;
        if (s >= (p->checked ? p->basic : 0) && s <= CHEAP_MAX)
            return s + p->pre;
    }
    else {
        PyObject *r = p->direct ? p->meth(o, NULL) : PyObject_CallOneArg(p->fn, o);
        if (r == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return -1;
            PyErr_Clear();
        }
        else {
            int ok = PyLong_CheckExact(r);
            s = ok ? PyLong_AsSsize_t(r) : -1;
            Py_DECREF(r);
            if (s == -1 && PyErr_Occurred())
                PyErr_Clear();
            if (ok && s >= (p->checked ? p->basic : 0) && s <= CHEAP_MAX) {
                if (p->int_fix)
                    return s == w->int_one ? s + w->int_fix : s;
                return s + p->pre;
            }
        }
    }
    /* not trusted (or raised): the Python rule decides and records it */
    PyObject *r = PyObject_CallFunctionObjArgs(w->flat_one, o, p->info, NULL);
    if (r == NULL)
        return -1;
    s = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    if (s == -1 && PyErr_Occurred())
        return -1;
    return s;
}

/* The hidden bytes of a managed-dict instance (its values array, on 3.13 a dict the
 * collector does not report), as _layout.instances_hidden_each reads them; the address of
 * such a dict is added to the walk's seen objects. -1: no memory. */
static Py_ssize_t hidden_of(Walk *w, Plan *p, PyObject *o)
{
    uintptr_t a = (uintptr_t)o;
    switch (p->hid) {
    case HID_313: {
        uint64_t h = *(uint64_t *)(a + (uintptr_t)p->basic);
        Py_ssize_t cap = (Py_ssize_t)(h & 0xFF);
        Py_ssize_t each = PTR_SIZE + cap * PTR_SIZE + ROUNDUP(cap, PTR_SIZE);
        if ((h >> 24) & 0xFF) {
            uintptr_t d = *(uintptr_t *)(a - 3 * PTR_SIZE);
            if (d) {
                each += w->dict_size;
                if (ptrset_add(&w->local, d) < 0)
                    return -1;
            }
        }
        return each;
    }
    case HID_312: {
        uintptr_t dorv = *(uintptr_t *)(a - 3 * PTR_SIZE);
        if (!(dorv & 1))
            return 0;
        Py_ssize_t pre = *(uint8_t *)dorv;
        return pre + (pre == p->pcur ? p->ncur : (pre - 6 > 1 ? pre - 6 : 1)) * PTR_SIZE;
    }
    case HID_311: {
        uintptr_t vals = *(uintptr_t *)(a - 4 * PTR_SIZE);
        if (!vals)
            return 0;
        Py_ssize_t pre = *(uint8_t *)(vals - 1);
        return pre + (pre == p->pcur ? p->ncur : (pre - 6 > 1 ? pre - 6 : 1)) * PTR_SIZE;
    }
    }
    return 0;
}

static int visit_push(PyObject *o, void *arg)
{
    if (vec_push((Vec *)arg, o) < 0)
        return -1;
    Py_INCREF(o);
    return 0;
}

/* gc.get_referents(o), appended to ``out`` (strong references) */
static int push_referents(Walk *w, PyObject *o, Vec *out)
{
    if (!PyObject_IS_GC(o))
        return 0;
    if (w->guard_mod != NULL && o == w->guard_mod) { /* gcsafe: its __dict__ only */
        PyObject *d = PyModule_GetDict(o);
        if (d == NULL) {
            PyErr_Clear();
            return 0;
        }
        Py_INCREF(d);
        if (vec_push(out, d) < 0) {
            Py_DECREF(d);
            return -1;
        }
        return 0;
    }
    traverseproc trav = Py_TYPE(o)->tp_traverse;
    if (trav == NULL)
        return 0;
    if (trav(o, visit_push, out) != 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int add_group(Walk *w, Py_ssize_t idx, PyObject *o)
{
    Plan *p = &w->plans[idx];
    if (p->group == NULL) {
        p->group = PyList_New(0);
        if (p->group == NULL)
            return -1;
    }
    if (!p->in_level) {
        p->in_level = 1;
        w->level_plans[w->nlevel++] = idx;
    }
    return PyList_Append(p->group, o);
}

/* One walk from ``roots`` (a Vec of strong references, emptied). Returns 0 or -1. */
/* Whether ``o`` was counted before (in this call, or in ``seen``) or, unless ``first`` (the
 * roots of a free walk), is never followed (``ignore``): 1; else it is marked as counted
 * now: 0; -1 with an exception set. */
static int visit_dup(Walk *w, PyObject *o, int first)
{
    int dup = ptrset_has(&w->local, (uintptr_t)o);
    int ask_ignore = 0;
    if (!dup && !first)
        for (Py_ssize_t t = 0; t < w->nitypes; t++)
            if ((PyObject *)Py_TYPE(o) == w->itypes[t]) {
                ask_ignore = 1;
                break;
            }
    if (ask_ignore) {
        dup = ptrset_has(&ig_set, (uintptr_t)o);
        ask_ignore = 0;
    }
    int ask_seen = PySet_GET_SIZE(w->seen) > 0;
    if (!dup && ask_seen && w->frozen_size == PySet_GET_SIZE(w->seen)) {
        dup = ptrset_has(&w->frozen, (uintptr_t)o);
        ask_seen = 0;
    }
    if (!dup && (ask_seen || ask_ignore)) {
        PyObject *key = PyLong_FromVoidPtr(o);
        dup = key == NULL ? -1 : 0;
        if (dup == 0 && ask_seen)
            dup = PySet_Contains(w->seen, key);
        if (dup == 0 && ask_ignore)
            dup = PySet_Contains(w->ignore, key);
        Py_XDECREF(key);
    }
    if (dup == 0)
        dup = ptrset_add(&w->local, (uintptr_t)o) < 0 ? -1 : 0;
    return dup;
}

static int walk_roots(Walk *w, Vec *frontier, Py_ssize_t depth0, int free_roots, Py_ssize_t *total_out,
                      Py_ssize_t *root_flat, Py_ssize_t *root_hidden)
{
    /* the level's objects and the next level: buffers kept across the roots of a call */
    Vec objs = w->spare[0], nxt = w->spare[1];
    Py_ssize_t total = 0, level = depth0;
    int first = free_roots;
    int ret = -1;
    *root_flat = 0;
    if (root_hidden)
        *root_hidden = 0;
    while (frontier->n) {
        Py_ssize_t n = frontier->n;
        /* the C copy of ``ignore``: a Python callback of the last level may have sized
         * something else (a nested asizeof) or refreshed ``ignore`` */
        if (!first && ignore_load(w->ignore, w->ig_token) < 0) {
            vec_clear(frontier);
            goto done;
        }
        /* drop what was seen before or is never followed */
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *o = frontier->items[i];
            frontier->items[i] = NULL;
            int dup = visit_dup(w, o, first);
            if (dup == 0 && vec_push(&objs, o) == 0)
                continue;
            Py_DECREF(o);
            if (dup < 0 || PyErr_Occurred()) {
                for (Py_ssize_t j = i + 1; j < n; j++)
                    Py_DECREF(frontier->items[j]);
                frontier->n = 0;
                goto done;
            }
        }
        frontier->n = 0;
        w->duplicate += n - objs.n;
        if (!objs.n)
            break;
        first = 0;
        w->seen_count += objs.n;
        if (level > w->depth)
            w->depth = level;
        int follow = w->limit < 0 || level < w->limit;
        Py_ssize_t level_total = 0;
        w->nlevel = 0;
        for (Py_ssize_t i = 0; i < objs.n; i++) {
            PyObject *o = objs.items[i];
            Py_ssize_t idx = plan_of(w, Py_TYPE(o));
            if (idx < 0)
                goto done;
            Plan *p = &w->plans[idx];
            if (p->mode == M_IGNORE)
                continue;
            if (p->mode == M_DELEGATE) {
                if (add_group(w, idx, o) < 0)
                    goto done;
                continue;
            }
            Py_ssize_t s = flat_of(w, p, o);
            if (s < 0 && PyErr_Occurred())
                goto done;
            p = &w->plans[idx]; /* flat_of may have run Python code: re-read */
            int keys = 0;
            if (p->kind == K_DICT) {
                keys = 1;
                if (p->exact_dict && ((PyDictObject *)o)->ma_values != NULL) {
                    PyObject *c = PyObject_CallOneArg(w->split_fix, o);
                    if (c == NULL)
                        goto done;
                    if (c != Py_None) {
                        keys = 0;
                        Py_ssize_t cv = PyLong_AsSsize_t(c);
                        if (cv == -1 && PyErr_Occurred()) {
                            Py_DECREF(c);
                            goto done;
                        }
                        s += cv;
                    }
                    Py_DECREF(c);
                }
            }
            if (p->hid) {
                Py_ssize_t h = hidden_of(w, p, o);
                if (h < 0)
                    goto done;
                s += h;
                if (root_hidden && level == depth0)
                    *root_hidden += h;
            }
            p->count++;
            p->flat += s;
            level_total += s;
            if (follow && p->kind != K_ATOM) {
                if (push_referents(w, o, &nxt) < 0)
                    goto done;
                if (keys) {
                    Py_ssize_t pos = 0;
                    PyObject *k, *v;
                    while (PyDict_Next(o, &pos, &k, &v)) {
                        Py_INCREF(k);
                        if (vec_push(&nxt, k) < 0) {
                            Py_DECREF(k);
                            goto done;
                        }
                    }
                }
            }
        }
        /* the groups of this level that Python sizes (or adds hidden bytes to) */
        for (Py_ssize_t j = 0; j < w->nlevel; j++) {
            Plan *p = &w->plans[w->level_plans[j]];
            PyObject *group = p->group;
            p->group = NULL;
            p->in_level = 0;
            PyObject *more = NULL;
            if (follow && (more = PyList_New(0)) == NULL) {
                Py_DECREF(group);
                goto done;
            }
            PyObject *r = PyObject_CallFunctionObjArgs(w->delegate, group, p->info, more ? more : Py_None, NULL);
            Py_DECREF(group);
            if (r == NULL) {
                Py_XDECREF(more);
                goto done;
            }
            Py_ssize_t s = PyLong_AsSsize_t(r);
            Py_DECREF(r);
            if (s == -1 && PyErr_Occurred()) {
                Py_XDECREF(more);
                goto done;
            }
            level_total += s;
            if (root_hidden && level == depth0 && p->managed)
                *root_hidden = -1; /* not told apart: the caller reads it */
            if (more != NULL) {
                Py_ssize_t m = PyList_GET_SIZE(more);
                for (Py_ssize_t k = 0; k < m; k++) {
                    PyObject *x = PyList_GET_ITEM(more, k);
                    Py_INCREF(x);
                    if (vec_push(&nxt, x) < 0) {
                        Py_DECREF(x);
                        Py_DECREF(more);
                        goto done;
                    }
                }
                Py_DECREF(more);
            }
        }
        w->nlevel = 0;
        total += level_total;
        if (level == depth0)
            *root_flat = total;
        vec_clear(&objs);
        /* swap: the next level becomes the frontier */
        Vec tmp = *frontier;
        *frontier = nxt;
        nxt = tmp;
        level++;
    }
    ret = 0;
done:
    /* groups left over after an error */
    for (Py_ssize_t j = 0; j < w->nlevel; j++) {
        Plan *p = &w->plans[w->level_plans[j]];
        Py_CLEAR(p->group);
        p->in_level = 0;
    }
    w->nlevel = 0;
    vec_clear(&objs);
    vec_clear(&nxt);
    w->spare[0] = objs;
    w->spare[1] = nxt;
    vec_clear(frontier);
    *total_out = total;
    return ret;
}

static PyObject *profiles_of(Walk *w)
{
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < w->nplans; i++) {
        Plan *p = &w->plans[i];
        if (p->mode != M_FAST || !p->count)
            continue;
        PyObject *t = Py_BuildValue("(Onn)", p->info, p->count, p->flat);
        if (t == NULL || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(t);
    }
    return out;
}

/* walk(cfg, roots, depth0, free_roots, free_ids)
 *
 * cfg: (seen, ignore, limit, classify, delegate, state_of, flat_one, split_fix, int_sizeof,
 *       obj_sizeof, int_one, int_fix, guard_module, forget, ignore_types, layout_ok, dict_size,
 *       ignore_version)
 * ignore_version: changes whenever ``ignore`` changes content but not size
 * state_of(tp, info): 3.11/3.12, the values-array state of a managed class, or None
 * ignore_types: the exact types of the objects ``ignore`` can hold (others are not looked up)
 * forget: the caller clears ``seen`` after this call (asizeof()'s per-thread sizer): the ids
 *       of this call are not added to it.
 * free_ids None: one walk of all ``roots``; returns
 *     (total, root_flat, duplicate, seen_count, depth, profiles)
 * free_ids a set: each root walked alone, one after the other (Asizer._walk_many); a root
 *     whose id is in free_ids is first removed from it and from ``seen``; returns
 *     (sizes, flats, hiddens, duplicate, seen_count, depth, profiles)
 * profiles: [(info, count, flat)] of the types sized in C (the others record their own).
 */
static PyObject *asz_walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) != 19) {
        PyErr_SetString(PyExc_TypeError, "walk(cfg: 19-tuple, roots, depth0, free_roots, free_ids)");
        return NULL;
    }
    PyObject *cfg = args[0];
    Walk w;
    memset(&w, 0, sizeof(w));
    w.seen = PyTuple_GET_ITEM(cfg, 0);
    w.ignore = PyTuple_GET_ITEM(cfg, 1);
    PyObject *limit = PyTuple_GET_ITEM(cfg, 2);
    w.classify = PyTuple_GET_ITEM(cfg, 3);
    w.delegate = PyTuple_GET_ITEM(cfg, 4);
    w.state_of = PyTuple_GET_ITEM(cfg, 5);
    w.flat_one = PyTuple_GET_ITEM(cfg, 6);
    w.split_fix = PyTuple_GET_ITEM(cfg, 7);
    w.int_sizeof = PyTuple_GET_ITEM(cfg, 8);
    w.obj_sizeof = PyTuple_GET_ITEM(cfg, 9);
    w.guard_mod = PyTuple_GET_ITEM(cfg, 12);
    if (w.guard_mod == Py_None)
        w.guard_mod = NULL;
    w.forget = PyObject_IsTrue(PyTuple_GET_ITEM(cfg, 13)) > 0;
    w.frozen_size = -1;
    PyObject *itypes = PyTuple_GET_ITEM(cfg, 14);
    if (!PyTuple_Check(itypes) || PyTuple_GET_SIZE(itypes) > 8) {
        PyErr_SetString(PyExc_TypeError, "walk(): ignore_types must be a tuple of at most 8 types");
        return NULL;
    }
    w.layout_ok = PyObject_IsTrue(PyTuple_GET_ITEM(cfg, 15)) > 0;
    w.ig_token = PyTuple_GET_ITEM(cfg, 17);
    w.st_token = PyTuple_GET_ITEM(cfg, 18);
    if (w.st_token == Py_None)
        w.st_token = NULL;
    if (ignore_load(w.ignore, w.ig_token) < 0)
        return NULL;
    w.dict_size = PyLong_AsSsize_t(PyTuple_GET_ITEM(cfg, 16));
    w.nitypes = PyTuple_GET_SIZE(itypes);
    for (Py_ssize_t i = 0; i < w.nitypes; i++)
        w.itypes[i] = PyTuple_GET_ITEM(itypes, i);
    if (!PySet_Check(w.seen) || !PyAnySet_Check(w.ignore)) {
        PyErr_SetString(PyExc_TypeError, "walk(): seen must be a set, ignore a set or frozenset");
        return NULL;
    }
    w.limit = limit == Py_None ? -1 : PyLong_AsSsize_t(limit);
    w.int_one = PyLong_AsSsize_t(PyTuple_GET_ITEM(cfg, 10));
    w.int_fix = PyLong_AsSsize_t(PyTuple_GET_ITEM(cfg, 11));
    Py_ssize_t depth0 = PyLong_AsSsize_t(args[2]);
    int free_roots = PyObject_IsTrue(args[3]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *roots = PySequence_Fast(args[1], "walk(): roots must be a sequence");
    if (roots == NULL)
        return NULL;
    /* hold the configuration: the callbacks may drop their own references */
    Py_INCREF(cfg);
    PyObject *result = NULL;
    Py_ssize_t nroots = PySequence_Fast_GET_SIZE(roots);
    PyObject **items = PySequence_Fast_ITEMS(roots);
    Vec frontier = {0};
    if (args[4] == Py_None) {
        for (Py_ssize_t i = 0; i < nroots; i++) {
            Py_INCREF(items[i]);
            if (vec_push(&frontier, items[i]) < 0) {
                Py_DECREF(items[i]);
                goto out;
            }
        }
        Py_ssize_t total, root_flat;
        if (walk_roots(&w, &frontier, depth0, free_roots, &total, &root_flat, NULL) < 0)
            goto out;
        PyObject *prof = profiles_of(&w);
        if (prof == NULL)
            goto out;
        result = Py_BuildValue("(nnnnnN)", total, root_flat, w.duplicate, w.seen_count, w.depth, prof);
    }
    else {
        PyObject *free_ids = args[4];
        if (!PySet_Check(free_ids)) {
            PyErr_SetString(PyExc_TypeError, "walk(): free_ids must be a set or None");
            goto out;
        }
        /* many walks: ``seen`` (the others, ...) is asked in C, from a copy */
        if (PySet_GET_SIZE(w.seen) && nroots > 1) {
            PyObject *it = PyObject_GetIter(w.seen), *k;
            if (it == NULL)
                goto out;
            while ((k = PyIter_Next(it)) != NULL) {
                void *ptr = PyLong_Check(k) ? PyLong_AsVoidPtr(k) : NULL;
                Py_DECREF(k);
                if (ptr == NULL && PyErr_Occurred())
                    PyErr_Clear(); /* not an address: never one of ours */
                else if (ptr != NULL && ptrset_add(&w.frozen, (uintptr_t)ptr) < 0)
                    break;
            }
            Py_DECREF(it);
            if (PyErr_Occurred())
                goto out;
            w.frozen_size = PySet_GET_SIZE(w.seen);
        }
        PyObject *sizes = PyList_New(nroots), *flats = PyList_New(nroots), *hiddens = PyList_New(nroots);
        if (sizes == NULL || flats == NULL || hiddens == NULL) {
            Py_XDECREF(sizes);
            Py_XDECREF(flats);
            Py_XDECREF(hiddens);
            goto out;
        }
        for (Py_ssize_t i = 0; i < nroots; i++) {
            PyObject *o = items[i];
            Py_INCREF(o);
            PyObject *key = PySet_GET_SIZE(free_ids) ? PyLong_FromVoidPtr(o) : NULL; /* none left: no int */
            int bad = key == NULL && PyErr_Occurred();
            if (key != NULL) {
                int r = PySet_Discard(free_ids, key);
                if (r > 0) {
                    r = PySet_Discard(w.seen, key);
                    if (r > 0 && w.frozen_size >= 0) {
                        w.frozen_size--;
                        ptrset_remove(&w.frozen, (uintptr_t)o);
                    }
                }
                bad = r < 0;
                Py_DECREF(key);
            }
            /* an atom (a number, a string: it reaches nothing) is sized here, as walk_roots
             * sizes a level of one object, without its per-walk work */
            Py_ssize_t idx = bad ? -1 : plan_of(&w, Py_TYPE(o));
            if (idx < 0 || (!free_roots && ignore_load(w.ignore, w.ig_token) < 0)) {
                Py_DECREF(o);
                Py_DECREF(sizes);
                Py_DECREF(flats);
                Py_DECREF(hiddens);
                goto out;
            }
            Plan *p = &w.plans[idx];
            if (p->mode == M_FAST && p->kind == K_ATOM && !p->hid) {
                Py_ssize_t s = 0;
                int dup = visit_dup(&w, o, free_roots);
                if (dup == 0) {
                    w.seen_count++;
                    s = flat_of(&w, p, o);
                    p = &w.plans[idx]; /* flat_of may have run Python code: re-read */
                    if (s >= 0 || !PyErr_Occurred()) {
                        p->count++;
                        p->flat += s;
                    }
                }
                else if (dup > 0)
                    w.duplicate++;
                Py_DECREF(o);
                if (dup < 0 || PyErr_Occurred()) {
                    Py_DECREF(sizes);
                    Py_DECREF(flats);
                    Py_DECREF(hiddens);
                    goto out;
                }
                PyList_SET_ITEM(sizes, i, PyLong_FromSsize_t(s));
                PyList_SET_ITEM(flats, i, PyLong_FromSsize_t(s));
                PyList_SET_ITEM(hiddens, i, PyLong_FromSsize_t(0));
                if (PyErr_Occurred()) {
                    Py_DECREF(sizes);
                    Py_DECREF(flats);
                    Py_DECREF(hiddens);
                    goto out;
                }
                continue;
            }
            if (vec_push(&frontier, o) < 0) {
                Py_DECREF(o);
                Py_DECREF(sizes);
                Py_DECREF(flats);
                Py_DECREF(hiddens);
                goto out;
            }
            Py_ssize_t total, root_flat, root_hidden;
            /* free_roots 0: a root that ``ignore`` holds counts 0 (asked in C, as below
             * the roots), else every root is sized */
            if (walk_roots(&w, &frontier, 0, free_roots, &total, &root_flat, &root_hidden) < 0) {
                Py_DECREF(sizes);
                Py_DECREF(flats);
                Py_DECREF(hiddens);
                goto out;
            }
            PyList_SET_ITEM(sizes, i, PyLong_FromSsize_t(total));
            PyList_SET_ITEM(flats, i, PyLong_FromSsize_t(total ? root_flat : 0));
            PyList_SET_ITEM(hiddens, i, PyLong_FromSsize_t(total ? root_hidden : 0));
            if (PyErr_Occurred()) {
                Py_DECREF(sizes);
                Py_DECREF(flats);
                Py_DECREF(hiddens);
                goto out;
            }
        }
        PyObject *prof = profiles_of(&w);
        if (prof == NULL) {
            Py_DECREF(sizes);
            Py_DECREF(flats);
            Py_DECREF(hiddens);
            goto out;
        }
        result = Py_BuildValue("(NNNnnnN)", sizes, flats, hiddens, w.duplicate, w.seen_count, w.depth, prof);
    }
out:
    vec_free(&frontier);
    if (walk_flush(&w) < 0)
        Py_CLEAR(result);
    walk_free(&w);
    Py_DECREF(roots);
    Py_DECREF(cfg);
    return result;
}

PyMethodDef pnb_asizeof_methods[] = {
    {"asizeof_walk", (PyCFunction)(void (*)(void))asz_walk, METH_FASTCALL,
     "The Asizer walk in C (pympler_nb.core._asizer); see csrc/asizeof.c."},
    {NULL, NULL, 0, NULL},
};
