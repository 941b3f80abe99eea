/* Fused optimizer updates: one pass over the parameter instead of eight (RMSprop) or twelve (Adam).
 *
 * Optional.  pip builds this module when a C compiler is present; without it
 * nn/optimizers.py does the same arithmetic with NumPy, one array pass per
 * operation.  The operations and their order are NumPy's, and contraction into
 * fused multiply-adds is off (-ffp-contract=off), so both give the same bits.
 *
 * The caller (autodiff/backend.py) checks that every buffer is a C-contiguous
 * float32 array of the same size; here the buffers are only bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(__clang__)
/* One build runs everywhere; the loader picks the widest vectors the CPU has. */
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* RMSprop with the state s = (v + epsilon) / (1 - rho), k = lr / sqrt(1 - rho):
 *     s = s * rho + g * g + epsilon
 *     w = w - g / sqrt(s) * k
 */
VECTOR_CLONES
static void rmsprop_loop(float *w, const float *g, float *s, Py_ssize_t n, float rho, float eps, float k)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        float si = s[i] * rho + g[i] * g[i] + eps;
        s[i] = si;
        w[i] -= g[i] / sqrtf(si) * k;
    }
}

static PyObject *rmsprop(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer w, g, s;
    float rho, eps, k;
    if (!PyArg_ParseTuple(args, "w*y*w*fff:rmsprop", &w, &g, &s, &rho, &eps, &k))
        return NULL;
    PyObject *result = NULL;
    if (w.len != g.len || w.len != s.len || w.len % sizeof(float) != 0) {
        PyErr_Format(PyExc_ValueError, "rmsprop: buffers of %zd, %zd and %zd bytes; expected three float32 "
                     "arrays of one size", w.len, g.len, s.len);
    } else {
        Py_BEGIN_ALLOW_THREADS
        rmsprop_loop((float *)w.buf, (const float *)g.buf, (float *)s.buf, w.len / (Py_ssize_t)sizeof(float),
                     rho, eps, k);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&w);
    PyBuffer_Release(&g);
    PyBuffer_Release(&s);
    return result;
}

/* Adam (Keras 3), with c1 = 1 - beta_1, c2 = 1 - beta_2 and alpha the bias-corrected step:
 *     m = m + (g - m) * c1
 *     v = v + (g * g - v) * c2
 *     w = w - m / (sqrt(v) + epsilon) * alpha
 */
VECTOR_CLONES
static void adam_loop(float *w, const float *g, float *m, float *v, Py_ssize_t n, float c1, float c2, float eps,
                      float alpha)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        float mi = m[i] + (g[i] - m[i]) * c1;
        float vi = v[i] + (g[i] * g[i] - v[i]) * c2;
        m[i] = mi;
        v[i] = vi;
        w[i] -= mi / (sqrtf(vi) + eps) * alpha;
    }
}

static PyObject *adam(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer w, g, m, v;
    float c1, c2, eps, alpha;
    if (!PyArg_ParseTuple(args, "w*y*w*w*ffff:adam", &w, &g, &m, &v, &c1, &c2, &eps, &alpha))
        return NULL;
    PyObject *result = NULL;
    if (w.len != g.len || w.len != m.len || w.len != v.len || w.len % sizeof(float) != 0) {
        PyErr_Format(PyExc_ValueError, "adam: buffers of %zd, %zd, %zd and %zd bytes; expected four float32 "
                     "arrays of one size", w.len, g.len, m.len, v.len);
    } else {
        Py_BEGIN_ALLOW_THREADS
        adam_loop((float *)w.buf, (const float *)g.buf, (float *)m.buf, (float *)v.buf,
                  w.len / (Py_ssize_t)sizeof(float), c1, c2, eps, alpha);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&w);
    PyBuffer_Release(&g);
    PyBuffer_Release(&m);
    PyBuffer_Release(&v);
    return result;
}

static PyMethodDef methods[] = {
    {"rmsprop", rmsprop, METH_VARARGS,
     "rmsprop(w, g, s, rho, epsilon, k): s = s*rho + g*g + epsilon; w -= g / sqrt(s) * k, in place (float32)."},
    {"adam", adam, METH_VARARGS,
     "adam(w, g, m, v, c1, c2, epsilon, alpha): m += (g - m)*c1; v += (g*g - v)*c2; "
     "w -= m / (sqrt(v) + epsilon) * alpha, in place (float32)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "_kernels", "Fused float32 optimizer updates (optional C kernels).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void)
{
    return PyModule_Create(&kernels_module);
}
