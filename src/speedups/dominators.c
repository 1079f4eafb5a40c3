/* Reachability and dominators of a heap snapshot's reference graph
 * (pympler_nb.core.heap.snapshot._bfs and heap.dominators.immediate_dominators on the
 * accelerated path). The graph is the snapshot's CSR columns: row v refers to
 * tgt[off[v]:off[v+1]]; roots are rows. Only numbers are read: no Python code runs, and
 * every row number is checked (a snapshot may come from a file).
 *
 *   bfs(n, off, tgt, roots) -> (order, seen)
 *       the rows reachable from the roots in breadth-first order (the roots first, each
 *       once, then level by level in the order the references are met), and a bytearray
 *       of n marks.
 *   dominators(n, order, off, tgt, roots, sizes) -> (idom, retained, total, m, counts)
 *       Cooper-Harvey-Kennedy over the breadth-first numbering `order` (the pure path's
 *       algorithm): per row its immediate dominator row (-1 the virtual root, -2
 *       unreachable), its retained size (sum of `sizes` of what it dominates), the total
 *       of the reachable rows, their number, and per row how many rows it dominates
 *       (itself included; 1 for unreachable rows, as the pure path's table).
 *
 * off and sizes are array('q'), tgt and roots array('i') (the snapshot's columns).
 */
#include "speedups.h"

typedef struct {
    Py_buffer off, tgt, roots, sizes;
    int have_off, have_tgt, have_roots, have_sizes;
} graph_bufs;

static int
get_buf(PyObject *obj, Py_buffer *view, const char *want, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    const char *fmt = view->format ? view->format : "B";
    if (fmt[0] == '@' || fmt[0] == '=')
        fmt++;
    size_t want_size = want[0] == 'q' ? 8 : 4;
    int ok = (size_t)view->itemsize == want_size && strlen(fmt) == 1
             && (fmt[0] == want[0] || (want_size == 8 && fmt[0] == 'l' && sizeof(long) == 8)
                 || (want_size == 4 && fmt[0] == 'l' && sizeof(long) == 4));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s must be an array('%s'), got format %s", name, want, fmt);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void
release(graph_bufs *g)
{
    if (g->have_off)
        PyBuffer_Release(&g->off);
    if (g->have_tgt)
        PyBuffer_Release(&g->tgt);
    if (g->have_roots)
        PyBuffer_Release(&g->roots);
    if (g->have_sizes)
        PyBuffer_Release(&g->sizes);
}

static int
open_graph(graph_bufs *g, Py_ssize_t n, PyObject *off, PyObject *tgt, PyObject *roots,
           PyObject *sizes)
{
    memset(g, 0, sizeof *g);
    if (get_buf(off, &g->off, "q", "off") < 0)
        return -1;
    g->have_off = 1;
    if (get_buf(tgt, &g->tgt, "i", "tgt") < 0)
        return -1;
    g->have_tgt = 1;
    if (get_buf(roots, &g->roots, "i", "roots") < 0)
        return -1;
    g->have_roots = 1;
    if (sizes != NULL) {
        if (get_buf(sizes, &g->sizes, "q", "sizes") < 0)
            return -1;
        g->have_sizes = 1;
        if (g->sizes.len / 8 < n) {
            PyErr_SetString(PyExc_ValueError, "sizes: fewer entries than rows");
            return -1;
        }
    }
    if (n < 0 || n >= INT32_MAX || g->off.len / 8 != n + 1) {
        PyErr_SetString(PyExc_ValueError, "off must have n + 1 entries");
        return -1;
    }
    const int64_t *o = g->off.buf;
    Py_ssize_t nt = g->tgt.len / 4;
    if (o[0] != 0)
        goto bad_off;
    for (Py_ssize_t v = 0; v < n; v++) {
        if (o[v + 1] < o[v] || o[v + 1] > nt)
            goto bad_off;
    }
    const int32_t *t = g->tgt.buf;
    for (Py_ssize_t j = 0; j < o[n]; j++) {
        if (t[j] < 0 || t[j] >= n) {
            PyErr_Format(PyExc_ValueError, "tgt[%zd] = %d is not a row (0..%zd)", j, (int)t[j], n - 1);
            return -1;
        }
    }
    const int32_t *r = g->roots.buf;
    for (Py_ssize_t j = 0; j < g->roots.len / 4; j++) {
        if (r[j] < 0 || r[j] >= n) {
            PyErr_Format(PyExc_ValueError, "roots[%zd] = %d is not a row", j, (int)r[j]);
            return -1;
        }
    }
    return 0;
bad_off:
    PyErr_SetString(PyExc_ValueError, "off must be non-decreasing offsets into tgt, from 0");
    return -1;
}

static PyObject *
bfs(PyObject *self, PyObject *args)
{
    Py_ssize_t n;
    PyObject *off, *tgt, *roots;
    if (!PyArg_ParseTuple(args, "nOOO:bfs", &n, &off, &tgt, &roots))
        return NULL;
    graph_bufs g;
    PyObject *result = NULL, *order = NULL, *seen = NULL;
    int32_t *queue = NULL;
    if (open_graph(&g, n, off, tgt, roots, NULL) < 0)
        goto done;
    seen = PyByteArray_FromStringAndSize(NULL, n);
    queue = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (seen == NULL || queue == NULL) {
        if (queue == NULL)
            PyErr_NoMemory();
        goto done;
    }
    char *mark = PyByteArray_AS_STRING(seen);
    memset(mark, 0, (size_t)n);
    const int64_t *o = g.off.buf;
    const int32_t *t = g.tgt.buf, *r = g.roots.buf;
    Py_ssize_t len = 0;
    for (Py_ssize_t j = 0; j < g.roots.len / 4; j++) {
        if (!mark[r[j]]) {
            mark[r[j]] = 1;
            queue[len++] = r[j];
        }
    }
    for (Py_ssize_t head = 0; head < len; head++) {
        int32_t v = queue[head];
        for (int64_t j = o[v]; j < o[v + 1]; j++) {
            int32_t w = t[j];
            if (!mark[w]) {
                mark[w] = 1;
                queue[len++] = w;
            }
        }
    }
    order = PyList_New(len);
    if (order == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *x = PyLong_FromLong(queue[i]);
        if (x == NULL)
            goto done;
        PyList_SET_ITEM(order, i, x);
    }
    result = PyTuple_Pack(2, order, seen);
done:
    PyMem_Free(queue);
    Py_XDECREF(order);
    Py_XDECREF(seen);
    release(&g);
    return result;
}

static PyObject *
list_of_int64(const int64_t *values, Py_ssize_t n)
{
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyLong_FromLongLong(values[i]);
        if (x == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, x);
    }
    return out;
}

static PyObject *
dominators(PyObject *self, PyObject *args)
{
    Py_ssize_t n;
    PyObject *order_obj, *off, *tgt, *roots, *sizes;
    if (!PyArg_ParseTuple(args, "nO!OOOO:dominators", &n, &PyList_Type, &order_obj, &off, &tgt,
                          &roots, &sizes))
        return NULL;
    graph_bufs g;
    PyObject *result = NULL, *l_idom = NULL, *l_ret = NULL, *l_cnt = NULL;
    int32_t *order = NULL, *rank = NULL, *indeg = NULL, *idom = NULL, *pstart = NULL,
            *preds = NULL, *fill = NULL;
    int64_t *ret = NULL, *cnt = NULL, *rows_out = NULL;
    if (open_graph(&g, n, off, tgt, roots, sizes) < 0)
        goto done;
    Py_ssize_t m = PyList_GET_SIZE(order_obj);
    if (m > n) {
        PyErr_SetString(PyExc_ValueError, "order: more rows than the graph has");
        goto done;
    }
    size_t M = (size_t)m + 2;
    order = PyMem_Malloc(M * sizeof(int32_t));
    rank = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int32_t));
    indeg = PyMem_Calloc(M, sizeof(int32_t));
    idom = PyMem_Malloc(M * sizeof(int32_t));
    pstart = PyMem_Calloc(M, sizeof(int32_t));
    fill = PyMem_Calloc(M, sizeof(int32_t));
    ret = PyMem_Calloc(M, sizeof(int64_t));
    cnt = PyMem_Calloc(M, sizeof(int64_t));
    rows_out = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!order || !rank || !indeg || !idom || !pstart || !fill || !ret || !cnt || !rows_out) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        long v = PyLong_AsLong(PyList_GET_ITEM(order_obj, i));
        if (v == -1 && PyErr_Occurred())
            goto done;
        if (v < 0 || v >= n || rank[v] != 0) {
            PyErr_Format(PyExc_ValueError, "order[%zd] = %ld: not a row, or listed twice", i, v);
            goto done;
        }
        order[i] = (int32_t)v;
        rank[v] = (int32_t)(i + 1);
    }
    const int64_t *o = g.off.buf, *sz = g.sizes.buf;
    const int32_t *t = g.tgt.buf, *r = g.roots.buf;
    Py_ssize_t nroots = g.roots.len / 4;
    /* in-degrees in rank space (edges from reachable rows; the virtual root counts once
     * for each root) */
    for (Py_ssize_t i = 0; i < m; i++) {
        int32_t u = order[i];
        for (int64_t j = o[u]; j < o[u + 1]; j++) {
            int32_t rw = rank[t[j]];
            if (rw)
                indeg[rw]++;
        }
    }
    for (Py_ssize_t j = 0; j < nroots; j++) {
        int32_t rr = rank[r[j]];
        if (rr == 0) {
            PyErr_SetString(PyExc_ValueError, "a root is not in order");
            goto done;
        }
        if (fill[rr] == 0) {  /* (each root once: fill is a scratch mark here) */
            fill[rr] = 1;
            indeg[rr]++;
        }
    }
    for (Py_ssize_t v = 0; v <= m; v++)
        idom[v] = -1;
    idom[0] = 0;
    for (Py_ssize_t v = 1; v <= m; v++) {
        if (fill[v] && indeg[v] == 1)
            idom[v] = 0;  /* a root only the virtual root refers to */
    }
    /* a single referrer is the immediate dominator; the others get predecessor lists */
    int64_t npreds = 0;
    for (Py_ssize_t v = 1; v <= m; v++) {
        pstart[v] = (int32_t)npreds;
        if (indeg[v] > 1)
            npreds += indeg[v];
    }
    pstart[m + 1] = (int32_t)npreds;
    if (npreds >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many references");
        goto done;
    }
    preds = PyMem_Malloc((size_t)(npreds ? npreds : 1) * sizeof(int32_t));
    if (preds == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t v = 0; v <= m; v++)
        fill[v] = pstart[v];
    for (Py_ssize_t i = 0; i < m; i++) {
        int32_t u = order[i], ru = (int32_t)(i + 1);
        for (int64_t j = o[u]; j < o[u + 1]; j++) {
            int32_t rw = rank[t[j]];
            if (!rw)
                continue;
            if (indeg[rw] == 1)
                idom[rw] = ru;
            else
                preds[fill[rw]++] = ru;
        }
    }
    for (Py_ssize_t j = 0; j < nroots; j++) {
        int32_t rr = rank[r[j]];
        if (indeg[rr] > 1 && fill[rr] < pstart[rr + 1]
            && (fill[rr] == pstart[rr] || preds[fill[rr] - 1] != 0))
            preds[fill[rr]++] = 0;
    }
    /* the fixed point, in rank order; a pass bound guards against a malformed graph */
    int first = 1, changed = 1;
    Py_ssize_t passes = 0;
    while (changed) {
        if (++passes > m + 2) {
            PyErr_SetString(PyExc_RuntimeError, "dominators did not converge");
            goto done;
        }
        changed = 0;
        for (Py_ssize_t v = 1; v <= m; v++) {
            if (indeg[v] <= 1)
                continue;
            int32_t nw = -1;
            for (int32_t k = pstart[v]; k < fill[v]; k++) {
                int32_t p = preds[k];
                if (first && p >= v)
                    continue;  /* not numbered yet on the first pass */
                if (idom[p] == -1)
                    continue;
                if (nw == -1) {
                    nw = p;
                    continue;
                }
                int32_t a = p, b = nw;
                while (a != b) {
                    while (a > b)
                        a = idom[a];
                    while (b > a)
                        b = idom[b];
                    if (a < 0 || b < 0)  /* (cannot happen on a well-formed graph) */
                        break;
                }
                if (a < 0 || b < 0)
                    a = 0;
                nw = a;
                if (nw == 0)
                    break;
            }
            if (nw != idom[v]) {
                idom[v] = nw;
                changed = 1;
            }
        }
        first = 0;
    }
    /* retained sizes and counts bottom-up (a dominator has a smaller rank) */
    for (Py_ssize_t i = 0; i < m; i++) {
        ret[i + 1] = sz[order[i]];
        cnt[i + 1] = 1;
    }
    for (Py_ssize_t v = m; v > 0; v--) {
        int32_t d = idom[v];
        if (d < 0 || d >= v) {
            PyErr_Format(PyExc_RuntimeError, "dominators: rank %zd has no dominator", v);
            goto done;
        }
        ret[d] += ret[v];
        if (d > 0)
            cnt[d] += cnt[v];
    }
    /* back to rows */
    for (Py_ssize_t v = 0; v < n; v++)
        rows_out[v] = -2;
    for (Py_ssize_t i = 0; i < m; i++)
        rows_out[order[i]] = idom[i + 1] == 0 ? -1 : order[idom[i + 1] - 1];
    l_idom = list_of_int64(rows_out, n);
    if (l_idom == NULL)
        goto done;
    for (Py_ssize_t v = 0; v < n; v++)
        rows_out[v] = 0;
    for (Py_ssize_t i = 0; i < m; i++)
        rows_out[order[i]] = ret[i + 1];
    l_ret = list_of_int64(rows_out, n);
    if (l_ret == NULL)
        goto done;
    for (Py_ssize_t v = 0; v < n; v++)
        rows_out[v] = 1;
    for (Py_ssize_t i = 0; i < m; i++)
        rows_out[order[i]] = cnt[i + 1];
    l_cnt = list_of_int64(rows_out, n);
    if (l_cnt == NULL)
        goto done;
    result = Py_BuildValue("(OOLnO)", l_idom, l_ret, (long long)ret[0], m, l_cnt);
done:
    Py_XDECREF(l_idom);
    Py_XDECREF(l_ret);
    Py_XDECREF(l_cnt);
    PyMem_Free(order);
    PyMem_Free(rank);
    PyMem_Free(indeg);
    PyMem_Free(idom);
    PyMem_Free(pstart);
    PyMem_Free(preds);
    PyMem_Free(fill);
    PyMem_Free(ret);
    PyMem_Free(cnt);
    PyMem_Free(rows_out);
    release(&g);
    return result;
}

PyMethodDef pnb_dominators_methods[] = {
    {"bfs", bfs, METH_VARARGS,
     "bfs(n, off, tgt, roots) -> (order, seen): the rows reachable from the roots, breadth-first."},
    {"dominators", dominators, METH_VARARGS,
     "dominators(n, order, off, tgt, roots, sizes) -> (idom, retained, total, m, counts)"},
    {NULL, NULL, 0, NULL},
};
