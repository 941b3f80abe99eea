"""The one seam between Rosenblatt and its array library.

autodiff and nn reach NumPy through this module: ``xp(array)`` is the module
that holds an array, and the few things array libraries spell differently live
here (selecting against zero fast, scatter-add, summing rows, adding a bias
and the ReLU along long rows, random numbers, the fused optimizer kernels, what
counts as an array), and so does the one setting of the process's memory
allocator that training asks for explicitly (``keep_heap_slack``).
Another library (CuPy is next) slots in by adding its array type to
``_MODULES`` and its spelling of each helper below; nothing else needs to change.

Code that is host-only by nature keeps plain NumPy: the datasets and their
files (nn/datasets), the data pipeline that slices host batches and sums
per-batch numbers in fit/evaluate/predict (nn/training.py), saving and
loading weights (nn/module.py), label preparation and metrics on host arrays
(nn/utils.py, nn/metrics.py), weight initializers that sample once on the host
(nn/initializers.py), the float64 finite differences of gradcheck
(autodiff/gradcheck.py) and the value summaries printed in graph drawings
(autodiff/viz.py).  Everything that computes on a tensor's data, forward and
backward, and the optimizers' updates, goes through here.
"""
import ctypes
import math
import numbers
import os

import numpy

try:
    from . import _kernels          # fused optimizer updates in C, built by pip when a compiler is present
except ImportError:
    _kernels = None


HEAP_SLACK = 64 << 20
heap_slack = None         # the bytes of slack asked of glibc's malloc by keep_heap_slack, once it ran


def keep_heap_slack(pad=None):
    """Ask glibc's malloc to keep freed activations for the next training step instead of returning them.

    By default glibc hands freed memory at the heap's top back to the kernel at
    once, and maps arrays above a threshold it keeps adjusting with their own
    pages: a training step that frees its activations and allocates them again
    then page-faults every page back in.  This keeps ``pad`` bytes of slack at
    the heap's top (M_TOP_PAD, default 64 MiB) and fixes the mapping threshold
    at glibc's largest, 32 MiB (M_MMAP_THRESHOLD; setting the slack alone froze
    the threshold wherever the process's history had left it).  The memory kept
    is reused by the next allocation.  docs/performance.md has the measurements.

    It changes the whole process, so importing autodiff does not call it:
    an ``nn`` optimizer's ``step`` (and so ``fit`` and PyTorch-style loops)
    calls it, once; code that trains without one may call it too.  ``ROSENBLATT_NO_HEAP_TUNING=1`` (or
    ``ROSENBLATT_MALLOC_TOP_PAD=0``) leaves malloc as it was; other C libraries
    are left alone.

    Args:
        pad: the slack in bytes; None (the default): ``ROSENBLATT_MALLOC_TOP_PAD`` or 64 MiB the
            first time, and what was set before on later calls.

    Returns:
        The slack in bytes now asked for, an int (0: none, on another C library or when turned off).

    Raises:
        ValueError: when ``ROSENBLATT_MALLOC_TOP_PAD`` is not a number of bytes.
    """
    global heap_slack
    if heap_slack is not None and pad is None:
        return heap_slack
    if os.environ.get("ROSENBLATT_NO_HEAP_TUNING", "") not in ("", "0"):
        heap_slack = 0
        return 0
    if pad is None:
        pad = os.environ.get("ROSENBLATT_MALLOC_TOP_PAD", str(HEAP_SLACK))
        if not pad.isdigit():
            raise ValueError(f"ROSENBLATT_MALLOC_TOP_PAD must be a number of bytes, got {pad!r}")
    pad = int(pad)
    try:
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):        # not a POSIX C library (Windows)
        glibc = False
    if pad and glibc:
        M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3
        libc = ctypes.CDLL(None)
        libc.mallopt(M_TOP_PAD, pad)
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)      # glibc's largest: arrays up to 32 MiB come from the heap
    heap_slack = pad if glibc else 0
    return heap_slack

# array type -> the module whose functions compute on it
_MODULES = {numpy.ndarray: numpy}
ARRAY_TYPES = (numpy.ndarray,)
SCALAR_TYPES = (numbers.Number, numpy.generic)

float32 = numpy.dtype(numpy.float32)
float64 = numpy.dtype(numpy.float64)
dtype = numpy.dtype
result_type = numpy.result_type
broadcast_shapes = numpy.broadcast_shapes
errstate = numpy.errstate
finfo = numpy.finfo


# Arrays made from nothing live on the host (the default device), as do index arrays computed
# from shapes (pad's, triangles' masks): numpy itself, for code that works on the host by nature.
zeros, ones, full, empty, arange = numpy.zeros, numpy.ones, numpy.full, numpy.empty, numpy.arange


def pad_index(n, before, after, mode):
    """Indices 0..n-1 padded as numpy.pad pads values ("edge", "reflect"): the gather that pads."""
    return numpy.pad(numpy.arange(n), (before, after), mode=mode)


def triangle(shape, k, lower):
    """A boolean mask of the lower (tril) or upper (triu) triangle from the k-th diagonal."""
    ones = numpy.ones(shape, dtype=bool)
    return numpy.tril(ones, k) if lower else numpy.triu(ones, k)


def xp(array):
    """The array module (``numpy``, ``cupy``, ...) whose functions compute on ``array``."""
    return _MODULES.get(type(array), numpy)


def is_array(value):
    return isinstance(value, ARRAY_TYPES)


def asarray(data, dtype=None):
    """An array from an array (kept as it is, without a copy), numbers or nested lists."""
    return data if dtype is None and type(data) in _MODULES else numpy.asarray(data, dtype=dtype)


def to_host(array):
    """A NumPy array with the same values (the array itself when it already is one)."""
    return array if isinstance(array, numpy.ndarray) else array.get()


def format_array(array, prefix):
    """The values of ``array`` as text for a repr (large arrays summarised)."""
    return numpy.array2string(to_host(array), separator=", ", prefix=prefix, threshold=60, edgeitems=3)


def is_zero_scalar(value):
    return isinstance(value, (int, float)) and value == 0


def where(condition, a, b, out=None):
    """``a`` where ``condition`` holds, else ``b``, as ``numpy.where``; written into ``out`` when given.

    Selecting a float array against a scalar zero (the gradient of relu, clip,
    max pooling and every mask) is NumPy's slowest case: numpy.where branches on
    every value.  A bitwise AND of the values' bits with a mask whose bits are
    all set where ``condition`` holds gives the same array bit for bit, NaN and
    inf included, without the branch (a product with the mask would turn
    inf * 0 into NaN).
    """
    if (type(a) is numpy.ndarray and is_zero_scalar(b) and a.dtype.kind == "f" and a.shape == condition.shape
            and condition.dtype == bool and (out is None or out.dtype == a.dtype)):
        bits = numpy.dtype(f"i{a.dtype.itemsize}")
        every_bit = numpy.negative(condition.view(numpy.int8))      # True -> -1, all bits set once widened
        kept = numpy.bitwise_and(a.view(bits), every_bit, out=None if out is None else out.view(bits))
        return kept.view(a.dtype) if out is None else out
    if type(b) is numpy.ndarray and is_zero_scalar(a):
        return where(~condition, b, 0, out)
    selected = xp(condition).where(condition, a, b)
    if out is None:
        return selected
    out[...] = selected
    return out


_ones = {}                      # (length, dtype) -> a vector of ones, for sum_leading


def sum_leading(array, n):
    """``array`` summed over its first ``n`` axes (a bias's gradient: every row of a batch added up).

    NumPy adds a C-contiguous float array's rows one after another; one
    matrix-vector product with a vector of ones does the same sums in BLAS's
    vectorised loops, and no less accurately (tests/test_engine.py checks it
    against NumPy's error).
    A sum down to one number keeps NumPy's pairwise summation.
    """
    rows, width = math.prod(array.shape[:n]), math.prod(array.shape[n:])
    if (type(array) is numpy.ndarray and array.dtype in (float32, float64) and rows > 1 and width > 1
            and array.flags.c_contiguous):
        ones = _ones.get((rows, array.dtype))
        if ones is None:
            if len(_ones) > 32:
                _ones.clear()
            ones = _ones[rows, array.dtype] = numpy.ones(rows, array.dtype)
        return (ones @ array.reshape(rows, width)).reshape(array.shape[n:])
    return array.sum(axis=tuple(range(n)))


# NumPy's inner loops run along the last axis: adding a bias of 32 channels to
# an image batch runs one loop of 32 values per pixel, and numpy.maximum(x, 0)
# takes a path for its scalar operand that skips the vector instructions.  Seen
# as rows of PERIOD values against a row as long, both run long vector loops.
PERIOD = 8192
_zero_rows = {}                 # dtype -> PERIOD zeros, for relu


def _by_period(array, width):
    """(rows of a multiple of ``width`` up to PERIOD values, the rest), views of a C-contiguous ``array``."""
    flat = array.reshape(-1)
    step = max(PERIOD // width, 1) * width
    main = flat.size // step * step
    return flat[:main].reshape(-1, step), flat[main:]


def _periodic(array):
    return type(array) is numpy.ndarray and array.flags.c_contiguous and array.size >= PERIOD


def add_bias(out, bias):
    """``out += bias`` in place, ``bias`` a vector along ``out``'s last axis (of the same dtype)."""
    if not (_periodic(out) and type(bias) is numpy.ndarray and bias.shape == out.shape[-1:] and bias.dtype == out.dtype):
        return xp(out).add(out, bias, out=out)
    rows, rest = _by_period(out, bias.shape[0])
    numpy.add(rows, numpy.tile(bias, rows.shape[1] // bias.shape[0]), out=rows)
    numpy.add(rest.reshape(-1, bias.shape[0]), bias, out=rest.reshape(-1, bias.shape[0]))
    return out


def relu(array, out=None):
    """``maximum(array, 0)`` (NaN stays NaN), into ``out`` when given (``array`` itself for in place)."""
    if not (_periodic(array) and array.dtype.kind == "f" and (out is None or out.flags.c_contiguous)):
        return xp(array).maximum(array, 0, out=out)
    if out is None:
        out = numpy.empty_like(array)
    zeros = _zero_rows.get(array.dtype)
    if zeros is None:
        zeros = _zero_rows[array.dtype] = numpy.zeros(PERIOD, array.dtype)
    (rows, rest), (out_rows, out_rest) = _by_period(array, 1), _by_period(out, 1)
    numpy.maximum(rows, zeros, out=out_rows)
    numpy.maximum(rest, zeros[:rest.size], out=out_rest)
    return out


_erf = numpy.frompyfunc(math.erf, 1, 1)


def erf(array):
    """The error function, exact (NumPy has none: math.erf per element, in Python)."""
    return numpy.asarray(_erf(array)).astype(array.dtype if array.dtype.kind == "f" else float64)


def scatter_add(out, index, values):
    """``out[index] += values`` where repeated indices accumulate (NumPy's ``add.at``).

    The common case, one integer array picking rows (an embedding's gradient), is
    summed per row with one sort and ``add.reduceat`` instead: ``add.at`` walks
    the values one element at a time, several times slower.
    """
    if (xp(out) is numpy and is_array(index) and index.dtype.kind in "iu" and out.ndim >= 1
            and out.flags.c_contiguous and index.size
            and numpy.shape(values) == index.shape + out.shape[1:]):
        rows = index.reshape(-1).astype(numpy.intp, copy=False)       # wide enough for rows + size
        outside = (rows < -out.shape[0]) | (rows >= out.shape[0])
        if outside.any():
            raise IndexError(f"index {int(rows[outside][0])} is out of bounds for axis 0 with size {out.shape[0]}")
        rows = numpy.where(rows < 0, rows + out.shape[0], rows)
        order = numpy.argsort(rows, kind="stable")          # stable: each row's values in their order
        picked = rows[order]
        starts = numpy.flatnonzero(numpy.concatenate(([True], picked[1:] != picked[:-1])))
        flat = out.reshape(out.shape[0], -1)
        flat[picked[starts]] += numpy.add.reduceat(values.reshape(rows.size, -1)[order], starts, axis=0)
        return
    xp(out).add.at(out, index, values)


# ------------------------------------------------------------------ random numbers
_generator = numpy.random.default_rng()


def seed(n):
    """Seed the one generator behind randn, rand, initializers, dropout and shuffling."""
    global _generator
    _generator = numpy.random.default_rng(n)


def generator(seed=None):
    """The shared generator, or a fresh one for a per-call ``seed``."""
    return _generator if seed is None else numpy.random.default_rng(seed)


# ------------------------------------------------------- fused optimizer updates
def fused_available():
    """Whether the optional C kernels (autodiff/_kernels.c) were built."""
    return _kernels is not None


def fusable(param, grad):
    """Whether the fused kernels can update ``param`` from ``grad``: C-contiguous float32 arrays."""
    return (_kernels is not None and type(param) is numpy.ndarray and type(grad) is numpy.ndarray
            and param.dtype == grad.dtype == float32 and param.flags.c_contiguous and grad.flags.c_contiguous)


def rmsprop_update(param, grad, shifted_velocity, rho, epsilon, step):
    """One pass of RMSprop's update (see nn.optimizers.RMSprop), bit for bit NumPy's order."""
    _kernels.rmsprop(param, grad, shifted_velocity, rho, epsilon, step)


def adam_update(param, grad, m, v, one_minus_beta_1, one_minus_beta_2, epsilon, alpha):
    """One pass of Adam's update (see nn.optimizers.Adam), bit for bit NumPy's order."""
    _kernels.adam(param, grad, m, v, one_minus_beta_1, one_minus_beta_2, epsilon, alpha)
