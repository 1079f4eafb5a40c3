/* Containers shared by the extension's files: pointer sets and maps, object buffers. */
#include "speedups.h"

static inline size_t
hash_ptr(uintptr_t p)
{
    uint64_t h = (uint64_t)p >> 4;
    h *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(h ^ (h >> 29));
}

static size_t
capacity_for(size_t hint)
{
    size_t cap = 16;
    while (cap < hint * 2 + 2)
        cap <<= 1;
    return cap;
}

int
pnb_ptrset_init(pnb_ptrset *s, size_t hint)
{
    size_t cap = capacity_for(hint);
    s->slots = PyMem_Calloc(cap, sizeof(uintptr_t));
    if (s->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->mask = cap - 1;
    s->used = 0;
    return 0;
}

void
pnb_ptrset_free(pnb_ptrset *s)
{
    PyMem_Free(s->slots);
    s->slots = NULL;
    s->used = 0;
}

static int
ptrset_grow(pnb_ptrset *s)
{
    size_t cap = (s->mask + 1) * 2;
    uintptr_t *slots = PyMem_Calloc(cap, sizeof(uintptr_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= s->mask; i++) {
        uintptr_t k = s->slots[i];
        if (k) {
            size_t j = hash_ptr(k) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = k;
        }
    }
    PyMem_Free(s->slots);
    s->slots = slots;
    s->mask = cap - 1;
    return 0;
}

int
pnb_ptrset_add(pnb_ptrset *s, const void *p)
{
    uintptr_t k = (uintptr_t)p;
    if ((s->used + 1) * 2 > s->mask + 1 && ptrset_grow(s) < 0)
        return -1;
    size_t j = hash_ptr(k) & s->mask;
    while (s->slots[j]) {
        if (s->slots[j] == k)
            return 0;
        j = (j + 1) & s->mask;
    }
    s->slots[j] = k;
    s->used++;
    return 1;
}

int
pnb_ptrset_has(const pnb_ptrset *s, const void *p)
{
    uintptr_t k = (uintptr_t)p;
    if (s->slots == NULL)
        return 0;
    size_t j = hash_ptr(k) & s->mask;
    while (s->slots[j]) {
        if (s->slots[j] == k)
            return 1;
        j = (j + 1) & s->mask;
    }
    return 0;
}

int
pnb_ptrmap_init(pnb_ptrmap *m, size_t hint)
{
    size_t cap = capacity_for(hint);
    m->keys = PyMem_Calloc(cap, sizeof(uintptr_t));
    m->vals = PyMem_Calloc(cap, sizeof(Py_ssize_t));
    if (m->keys == NULL || m->vals == NULL) {
        PyMem_Free(m->keys);
        PyMem_Free(m->vals);
        m->keys = NULL;
        m->vals = NULL;
        PyErr_NoMemory();
        return -1;
    }
    m->mask = cap - 1;
    m->used = 0;
    return 0;
}

void
pnb_ptrmap_free(pnb_ptrmap *m)
{
    PyMem_Free(m->keys);
    PyMem_Free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->used = 0;
}

Py_ssize_t
pnb_ptrmap_get(const pnb_ptrmap *m, const void *p, Py_ssize_t missing)
{
    uintptr_t k = (uintptr_t)p;
    if (m->keys == NULL)
        return missing;
    size_t j = hash_ptr(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k)
            return m->vals[j];
        j = (j + 1) & m->mask;
    }
    return missing;
}

static int
ptrmap_grow(pnb_ptrmap *m)
{
    size_t cap = (m->mask + 1) * 2;
    uintptr_t *keys = PyMem_Calloc(cap, sizeof(uintptr_t));
    Py_ssize_t *vals = PyMem_Calloc(cap, sizeof(Py_ssize_t));
    if (keys == NULL || vals == NULL) {
        PyMem_Free(keys);
        PyMem_Free(vals);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        uintptr_t k = m->keys[i];
        if (k) {
            size_t j = hash_ptr(k) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = k;
            vals[j] = m->vals[i];
        }
    }
    PyMem_Free(m->keys);
    PyMem_Free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->mask = cap - 1;
    return 0;
}

int
pnb_ptrmap_put(pnb_ptrmap *m, const void *p, Py_ssize_t v)
{
    uintptr_t k = (uintptr_t)p;
    if ((m->used + 1) * 2 > m->mask + 1 && ptrmap_grow(m) < 0)
        return -1;
    size_t j = hash_ptr(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k) {
            m->vals[j] = v;
            return 0;
        }
        j = (j + 1) & m->mask;
    }
    m->keys[j] = k;
    m->vals[j] = v;
    m->used++;
    return 0;
}

int
pnb_objbuf_push(pnb_objbuf *b, PyObject *o)
{
    if (b->len == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 1024;
        PyObject **items = PyMem_Realloc(b->items, (size_t)cap * sizeof(PyObject *));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->items = items;
        b->cap = cap;
    }
    Py_INCREF(o);
    b->items[b->len++] = o;
    return 0;
}

void
pnb_objbuf_clear(pnb_objbuf *b)
{
    /* (a reference dropped here may free an object and run its finalizer: nothing of
     * the buffer is read after that object's slot) */
    Py_ssize_t n = b->len;
    b->len = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        Py_DECREF(b->items[i]);
}

void
pnb_objbuf_free(pnb_objbuf *b)
{
    pnb_objbuf_clear(b);
    PyMem_Free(b->items);
    b->items = NULL;
    b->cap = 0;
}
