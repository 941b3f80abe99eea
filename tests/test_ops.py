"""One table of ops drives both the value tests (against NumPy) and the gradient tests
(against float64 central differences with a random upstream gradient)."""
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
from strategies import array_and_axis, arrays, broadcast_pair, matmul_pair, nonscalar_shapes, shapes


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# name: (autodiff function, NumPy reference, input domain)
UNARY = {
    "neg": (lambda x: -x, np.negative, "real"),
    "abs": (lambda x: x.abs(), np.abs, "nonzero"),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, "positive"),
    "exp": (lambda x: x.exp(), np.exp, "real"),
    "log": (lambda x: x.log(), np.log, "positive"),
    "relu": (lambda x: x.relu(), lambda x: np.maximum(x, 0), "nonzero"),
    "sigmoid": (lambda x: x.sigmoid(), _np_sigmoid, "real"),
    "tanh": (lambda x: x.tanh(), np.tanh, "real"),
    "clip": (lambda x: x.clip(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), "clip"),
    "pow_scalar": (lambda x: x ** 3, lambda x: x ** 3, "real"),
    "pow_fraction": (lambda x: x ** 0.5, lambda x: x ** 0.5, "positive"),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, "real"),
    "scalar_mul": (lambda x: 2.5 * x, lambda x: 2.5 * x, "real"),
    "scalar_rsub": (lambda x: 1.5 - x, lambda x: 1.5 - x, "real"),
    "scalar_rdiv": (lambda x: 1.0 / x, lambda x: 1.0 / x, "nonzero"),
    "softmax": (lambda x: x.softmax(), lambda x: np.exp(_np_log_softmax(x)), "real"),
    "log_softmax": (lambda x: x.log_softmax(), _np_log_softmax, "real"),
    "softmax_axis0": (lambda x: ad.softmax(x, axis=0), lambda x: np.exp(_np_log_softmax(x, 0)), "real"),
    "flatten": (lambda x: x.flatten(), lambda x: x.reshape(-1), "real"),
    "pow_negative_integer": (lambda x: x ** -2, lambda x: x ** -2.0, "nonzero"),     # negative bases too
    "sin": (ad.sin, np.sin, "real"),
    "cos": (lambda x: x.cos(), np.cos, "real"),
    "tan": (ad.tan, np.tan, "unit"),
    "arcsin": (ad.arcsin, np.arcsin, "unit"),
    "arccos": (ad.arccos, np.arccos, "unit"),
    "arctan": (ad.arctan, np.arctan, "real"),
    "sinh": (ad.sinh, np.sinh, "real"),
    "cosh": (ad.cosh, np.cosh, "real"),
    "arctanh": (ad.arctanh, np.arctanh, "unit"),
    "log1p": (ad.log1p, np.log1p, "positive"),
    "expm1": (ad.expm1, np.expm1, "real"),
    "log2": (ad.log2, np.log2, "positive"),
    "log10": (ad.log10, np.log10, "positive"),
    "exp2": (ad.exp2, np.exp2, "real"),
    "square": (ad.square, np.square, "real"),
    "reciprocal": (ad.reciprocal, np.reciprocal, "nonzero"),
    "sign": (ad.sign, np.sign, "nonzero"),
    "floor": (ad.floor, np.floor, "odd"),
    "ceil": (ad.ceil, np.ceil, "odd"),
    "round": (ad.round, np.round, "odd"),
    "softplus": (ad.softplus, lambda x: np.logaddexp(0, x), "real"),
    "log_sigmoid": (ad.log_sigmoid, lambda x: -np.logaddexp(0, -x), "real"),
    "leaky_relu": (ad.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), "nonzero"),
    "elu": (ad.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), "nonzero"),
    "selu": (ad.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
             "nonzero"),
    "relu6": (lambda x: ad.relu6(x * 4), lambda x: np.clip(x * 4, 0, 6), "odd"),
    "hard_sigmoid": (lambda x: ad.hard_sigmoid(x * 4), lambda x: np.clip(x * 4 + 3, 0, 6) / 6, "odd"),
    "hard_swish": (lambda x: ad.hard_swish(x * 4), lambda x: x * 4 * np.clip(x * 4 + 3, 0, 6) / 6, "odd"),
    "silu": (ad.silu, lambda x: x * _np_sigmoid(x), "real"),
    "swish": (ad.swish, lambda x: x * _np_sigmoid(x), "real"),
    "mish": (ad.mish, lambda x: x * np.tanh(np.logaddexp(0, x)), "real"),
    "erf": (ad.erf, np.vectorize(math.erf), "real"),
    "gelu": (ad.gelu, lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))), "real"),
    "gelu_tanh": (lambda x: ad.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), "real"),
    "transpose": (lambda x: x.T, lambda x: x.T, "real"),
}
# ---- NumPy's remaining vocabulary (issue 20): element-wise functions of one input
UNARY.update({
    "fabs": (ad.fabs, np.fabs, "nonzero"),
    "arcsinh": (ad.arcsinh, np.arcsinh, "real"),
    "arccosh": (lambda x: ad.arccosh(x + 1), lambda x: np.arccosh(x + 1), "positive"),
    "deg2rad": (ad.deg2rad, np.deg2rad, "real"),
    "radians": (ad.radians, np.radians, "real"),
    "rad2deg": (ad.rad2deg, np.rad2deg, "real"),
    "degrees": (ad.degrees, np.degrees, "real"),
    "nan_to_num": (ad.nan_to_num, np.nan_to_num, "real"),
    "pow_method": (lambda x: x.pow(3), lambda x: x ** 3, "real"),
})
# ---- end of issue 20's rows
NEEDS_AXIS = {"softmax", "log_softmax", "softmax_axis0"}

BINARY = {
    "add": (lambda a, b: a + b, np.add, ("real", "real")),
    "sub": (lambda a, b: a - b, np.subtract, ("real", "real")),
    "mul": (lambda a, b: a * b, np.multiply, ("real", "real")),
    "div": (lambda a, b: a / b, np.divide, ("real", "nonzero")),
    "pow": (lambda a, b: a ** b, np.power, ("positive", "real")),
    "maximum": (ad.maximum, np.maximum, ("odd", "even")),
    "minimum": (ad.minimum, np.minimum, ("odd", "even")),
    "where": (lambda a, b: ad.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b), ("nonzero", "real")),
    "mod": (lambda a, b: a % b, np.mod, ("odd", "divisor")),
    "floor_divide": (lambda a, b: a // b, np.floor_divide, ("odd", "divisor")),
    "arctan2": (ad.arctan2, np.arctan2, ("nonzero", "nonzero")),
    "hypot": (ad.hypot, np.hypot, ("nonzero", "nonzero")),
}

# ---- NumPy's remaining vocabulary (issue 20): element-wise functions of two inputs
BINARY.update({
    "logaddexp": (ad.logaddexp, np.logaddexp, ("real", "real")),
    "logaddexp2": (ad.logaddexp2, np.logaddexp2, ("real", "real")),
    "fmax": (ad.fmax, np.fmax, ("odd", "even")),
    "fmin": (ad.fmin, np.fmin, ("odd", "even")),
})
# ---- end of issue 20's rows

REDUCTIONS = {
    "sum": (lambda x, axis, keep: x.sum(axis=axis, keepdims=keep), np.sum, False),
    "mean": (lambda x, axis, keep: x.mean(axis=axis, keepdims=keep), np.mean, False),
    "max": (lambda x, axis, keep: x.max(axis=axis, keepdims=keep), np.max, True),
    "min": (lambda x, axis, keep: ad.min(x, axis=axis, keepdims=keep), np.min, True),
    "logsumexp": (lambda x, axis, keep: x.logsumexp(axis=axis, keepdims=keep),
                  lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)), False),
    "var": (lambda x, axis, keep: ad.var(x, axis=axis, keepdims=keep), np.var, False),
    "var_ddof1": (lambda x, axis, keep: ad.var(x, axis=axis, keepdims=keep, ddof=1) if _count(x, axis) > 1
                  else ad.var(x, axis=axis, keepdims=keep),
                  lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1 if _count(x, axis) > 1 else 0),
                  False),
    "std": (lambda x, axis, keep: x.std(axis=axis, keepdims=keep), np.std, True),
    "norm": (lambda x, axis, keep: ad.norm(x, axis=axis, keepdims=keep),
             lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)), True),
    "prod": (lambda x, axis, keep: x.prod(axis=axis, keepdims=keep), np.prod, False),
}


def _count(x, axis):
    """How many values a reduction over ``axis`` combines (x may be an array or a Tensor)."""
    shape = np.shape(x)
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def _check_value(out, expected, dtype):
    assert isinstance(out, ad.Tensor)
    assert out.shape == np.shape(expected)
    assert out.dtype == dtype, f"{out.dtype} != {dtype}"
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, expected, rtol=tol * 10, atol=tol)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_values_and_gradients(name, data):
    fn, reference, domain = UNARY[name]
    x = data.draw(arrays(data.draw(nonscalar_shapes if name in NEEDS_AXIS else shapes), domain))
    for dtype in (np.float64, np.float32):
        _check_value(fn(ad.tensor(x.astype(dtype))), reference(x).astype(dtype), dtype)
    ad.gradcheck(fn, [x])


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_values_and_gradients_across_broadcasting(name, data):
    fn, reference, domains = BINARY[name]
    a, b = data.draw(broadcast_pair(domains))
    for dtype in (np.float64, np.float32):
        _check_value(fn(ad.tensor(a.astype(dtype)), ad.tensor(b.astype(dtype))),
                     reference(a, b).astype(dtype), dtype)
    ad.gradcheck(fn, [a, b])


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(data=st.data())
def test_reductions_over_every_axis_and_keepdims(name, data):
    fn, reference, unique = REDUCTIONS[name]
    x, axis, keepdims = data.draw(array_and_axis("odd" if unique else "real", unique=unique))
    assume(name != "std" or _count(x, axis) > 1)      # the std of one value has no derivative (0 / 0)
    _check_value(fn(ad.tensor(x), axis, keepdims), np.asarray(reference(x, axis=axis, keepdims=keepdims)),
                 np.float64)
    ad.gradcheck(lambda t: fn(t, axis, keepdims), [x])


@given(matmul_pair())
def test_matmul_numpy_rules_and_gradients(pair):
    a, b = pair
    _check_value(ad.tensor(a) @ ad.tensor(b), np.matmul(a, b), np.float64)
    ad.gradcheck(lambda x, y: x @ y, [a, b])


@given(st.data())
def test_dot_like_numpy(data):
    a_shape = data.draw(st.sampled_from([(3,), (2, 3), (2, 2, 3), ()]))
    b_shape = data.draw(st.sampled_from([(3,), (3, 4), (2, 3, 4), ()] if a_shape else [(2, 3), ()]))
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    _check_value(ad.dot(ad.tensor(a), ad.tensor(b)), np.dot(a, b), np.float64)
    ad.gradcheck(ad.dot, [a, b])


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", [None, "relu"])
@settings(max_examples=30)
@given(data=st.data())
def test_linear_is_matmul_plus_bias_then_activation(x_shape, bias, activation, data):
    x, w, b = data.draw(arrays(x_shape)), data.draw(arrays((4, 5))), data.draw(arrays((5,)))
    args = [x, w, b] if bias else [x, w]
    expected = x @ w + (b if bias else 0)
    if activation == "relu":
        assume(np.all(np.abs(expected) > 1e-3))          # keep away from the kink
        expected = np.maximum(expected, 0)

    def fn(*t):
        return ad.linear(*t, activation=activation)

    _check_value(fn(*[ad.tensor(a) for a in args]), expected, np.float64)
    ad.gradcheck(fn, args)
    ad.gradgradcheck(lambda *t: fn(*t) ** 2, args)


# name: (autodiff function, NumPy reference, input shape)
# Unique values per column are not unique over the whole array: spread them apart, in a shuffled order.
_SPREAD = 100.0 * np.array([[5.0, 0.0, 9.0, 2.0], [7.0, 1.0, 11.0, 4.0], [3.0, 10.0, 6.0, 8.0]], dtype=np.float32)

SHAPE_OPS = {
    "reshape_args": (lambda x: x.reshape(2, -1), lambda x: x.reshape(2, -1), (2, 3, 2)),
    "reshape_tuple": (lambda x: x.reshape((3, 4)), lambda x: x.reshape((3, 4)), (2, 6)),
    "transpose_axes": (lambda x: x.transpose(1, 2, 0), lambda x: x.transpose(1, 2, 0), (2, 3, 4)),
    "transpose_tuple": (lambda x: x.transpose((2, 0, 1)), lambda x: np.transpose(x, (2, 0, 1)), (2, 3, 4)),
    "transpose_function": (lambda x: ad.transpose(x, axes=(1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)), (2, 3, 4)),
    "swapaxes": (lambda x: x.swapaxes(0, 2), lambda x: np.swapaxes(x, 0, 2), (2, 3, 4)),
    "flatten_from_1": (lambda x: x.flatten(1), lambda x: x.reshape(2, -1), (2, 3, 2)),
    "expand_dims": (lambda x: ad.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), (2, 3)),
    "expand_dims_negative": (lambda x: ad.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), (2, 3)),
    "squeeze": (lambda x: x.squeeze(), np.squeeze, (1, 3, 1)),
    "squeeze_axis": (lambda x: x.squeeze(0), lambda x: np.squeeze(x, 0), (1, 3, 1)),
    "broadcast_to": (lambda x: x.broadcast_to(4, 2, 3), lambda x: np.broadcast_to(x, (4, 2, 3)), (2, 1)),
    "slice": (lambda x: x[1:, ::2], lambda x: x[1:, ::2], (3, 5)),
    "negative_step": (lambda x: x[::-1, 1], lambda x: x[::-1, 1], (3, 4)),
    "ellipsis_newaxis": (lambda x: x[..., None, 0], lambda x: x[..., None, 0], (2, 3, 4)),
    "int_array_repeats": (lambda x: x[np.array([0, 2, 0, 0])], lambda x: x[np.array([0, 2, 0, 0])], (3, 2)),
    "int_arrays_2d": (lambda x: x[np.array([0, 1, 1]), np.array([2, 2, 0])],
                      lambda x: x[np.array([0, 1, 1]), np.array([2, 2, 0])], (2, 3)),
    "bool_mask": (lambda x: x[x.data > 0], lambda x: x[x > 0], (3, 4)),
    "concatenate": (lambda x: ad.concatenate([x, x * 2, x[:1]], axis=0),
                    lambda x: np.concatenate([x, x * 2, x[:1]], axis=0), (2, 3)),
    "concatenate_axis1": (lambda x: ad.concatenate([x, x.exp()], axis=-1),
                          lambda x: np.concatenate([x, np.exp(x)], axis=-1), (2, 3)),
    "stack": (lambda x: ad.stack([x, x * 3], axis=1), lambda x: np.stack([x, x * 3], axis=1), (2, 3)),
    "mT": (lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), (2, 3, 4)),
    "T": (lambda x: x.T, lambda x: x.T, (2, 3, 4)),
    "ravel": (ad.ravel, np.ravel, (2, 3)),
    "moveaxis": (lambda x: ad.moveaxis(x, [0, 1], [-1, 0]), lambda x: np.moveaxis(x, [0, 1], [-1, 0]), (2, 3, 4)),
    "flip_axis": (lambda x: ad.flip(x, 1), lambda x: np.flip(x, 1), (3, 4)),
    "flip_all": (ad.flip, np.flip, (2, 3)),
    "roll_axis": (lambda x: ad.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), (3, 4)),
    "roll_flat": (lambda x: ad.roll(x, -5), lambda x: np.roll(x, -5), (3, 4)),
    "take_repeats": (lambda x: ad.take(x, [2, 0, 2], 1), lambda x: np.take(x, [2, 0, 2], 1), (3, 4)),
    "take_flat": (lambda x: ad.take(x, [5, 5, 0]), lambda x: np.take(x, [5, 5, 0]), (3, 4)),
    "repeat": (lambda x: ad.repeat(x, [1, 0, 2, 1], 1), lambda x: np.repeat(x, [1, 0, 2, 1], 1), (3, 4)),
    "repeat_flat": (lambda x: ad.repeat(x, 2), lambda x: np.repeat(x, 2), (2, 3)),
    "tile": (lambda x: ad.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (3, 4)),
    "pad_constant": (lambda x: ad.pad(x, ((1, 2), (0, 1)), constant_values=0.5),
                     lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=0.5), (3, 4)),
    "pad_reflect": (lambda x: ad.pad(x, 2, mode="reflect"), lambda x: np.pad(x, 2, mode="reflect"), (3, 4)),
    "pad_edge": (lambda x: ad.pad(x, (1, 3), mode="edge"), lambda x: np.pad(x, (1, 3), mode="edge"), (3, 4)),
    "take_along_axis": (lambda x: ad.take_along_axis(x, np.array([[0, 3], [1, 1], [2, 0]]), 1),
                        lambda x: np.take_along_axis(x, np.array([[0, 3], [1, 1], [2, 0]]), 1), (3, 4)),
    "put_along_axis": (lambda x: ad.put_along_axis(x, np.array([[0], [2], [1]]), x[:, 3:] * 2, 1),
                       lambda x: _put(x, np.array([[0], [2], [1]]), x[:, 3:] * 2, 1), (3, 4)),
    "put_along_axis_broadcast": (lambda x: ad.put_along_axis(x, np.array([[1, 1, 0]]), x[:, :3] * 2, 1),
                                 lambda x: _put(x, np.array([[1, 1, 0]]), x[:, :3] * 2, 1), (3, 4)),  # repeats: last wins
    "take_along_axis_broadcast": (lambda x: ad.take_along_axis(x, np.array([[2, 0, 1, 2]]), axis=1),
                                  lambda x: np.take_along_axis(x, np.array([[2, 0, 1, 2]]), axis=1), (3, 4)),
    "sort": (lambda x: ad.sort(x, 0), lambda x: np.sort(x, 0), (3, 4)),
    "sort_flat": (lambda x: ad.sort(x + _SPREAD, axis=None), lambda x: np.sort(x + _SPREAD, axis=None), (3, 4)),
    "take_nothing": (lambda x: ad.take(x, [], axis=1), lambda x: np.take(x, [], axis=1), (3, 4)),
    "diagonal": (lambda x: ad.diagonal(x, 1, 1, 2), lambda x: np.diagonal(x, 1, 1, 2), (2, 3, 4)),
    "trace": (lambda x: ad.trace(x, -1), lambda x: np.trace(x, -1), (3, 4)),
    "diag_of_vector": (lambda x: ad.diag(x[0], 1), lambda x: np.diag(x[0], 1), (3, 4)),
    "diag_of_matrix": (ad.diag, np.diag, (3, 4)),
    "triu": (lambda x: ad.triu(x, 1), lambda x: np.triu(x, 1), (2, 3, 4)),
    "tril": (ad.tril, np.tril, (3, 4)),
    "split": (lambda x: ad.concatenate(ad.split(x, 2, axis=1)[::-1], 0),
              lambda x: np.concatenate(np.split(x, 2, axis=1)[::-1], 0), (3, 4)),
    "array_split": (lambda x: ad.stack(ad.array_split(x, 3, axis=1)[:2], 0),
                    lambda x: np.stack(np.array_split(x, 3, axis=1)[:2], 0), (3, 5)),
    "outer": (lambda x: ad.outer(x[0], x[1]), lambda x: np.outer(x[0], x[1]), (2, 3)),
    "inner": (lambda x: ad.inner(x, x[:2]), lambda x: np.inner(x, x[:2]), (3, 4)),
    "tensordot": (lambda x: ad.tensordot(x, x, ([1, 2], [2, 1])), lambda x: np.tensordot(x, x, ([1, 2], [2, 1])),
                  (2, 3, 3)),
}

# ---- NumPy's remaining vocabulary (issue 20): stacking, splitting, differences, products, rotations
SHAPE_OPS.update({
    "vstack": (lambda x: ad.vstack([x, x[0] * 2]), lambda x: np.vstack([x, x[0] * 2]), (3, 4)),
    "row_stack": (lambda x: ad.row_stack((x[0], x[1:] ** 2)), lambda x: np.vstack((x[0], x[1:] ** 2)), (3, 4)),
    "hstack": (lambda x: ad.hstack([x, x[:, :1] ** 2]), lambda x: np.hstack([x, x[:, :1] ** 2]), (3, 4)),
    "hstack_1d_and_number": (lambda x: ad.hstack([x[0], x[1], 2.0]), lambda x: np.hstack([x[0], x[1], 2.0]), (3, 4)),
    "dstack": (lambda x: ad.dstack([x, x * 3, x[0]]), lambda x: np.dstack([x, x * 3, x[0]]), (1, 4)),
    "column_stack": (lambda x: ad.column_stack([x[0], x[1], x.T[:, :2]]),
                     lambda x: np.column_stack([x[0], x[1], x.T[:, :2]]), (3, 4)),
    "vsplit": (lambda x: ad.hstack(ad.vsplit(x, 3)), lambda x: np.hstack(np.vsplit(x, 3)), (3, 4)),
    "hsplit": (lambda x: ad.vstack(ad.hsplit(x, [1, 3])[::2]), lambda x: np.vstack(np.hsplit(x, [1, 3])[::2]), (3, 4)),
    "dsplit": (lambda x: ad.dstack(ad.dsplit(x, 2)[::-1]), lambda x: np.dstack(np.dsplit(x, 2)[::-1]), (2, 3, 4)),
    "atleast_1d": (lambda x: ad.concatenate(ad.atleast_1d(x[0, 0], x[1]), 0),
                   lambda x: np.concatenate(np.atleast_1d(x[0, 0], x[1]), 0), (3, 4)),
    "atleast_2d": (lambda x: ad.concatenate(ad.atleast_2d(x[0, 0], x[0], x), 1),
                   lambda x: np.concatenate(np.atleast_2d(x[0, 0], x[0], x), 1), (1, 4)),
    "atleast_3d": (ad.atleast_3d, np.atleast_3d, (3, 4)),
    "atleast_3d_of_1d": (lambda x: ad.atleast_3d(x[0]), lambda x: np.atleast_3d(x[0]), (3, 4)),
    "append": (lambda x: ad.append(x, x[:1] * 2, axis=0), lambda x: np.append(x, x[:1] * 2, axis=0), (3, 4)),
    "append_flat": (lambda x: ad.append(x, 0.5), lambda x: np.append(x, 0.5), (3, 4)),
    "diff": (lambda x: ad.diff(x, axis=0), lambda x: np.diff(x, axis=0), (3, 4)),
    "diff_n2_prepend_append": (lambda x: ad.diff(x, 2, prepend=x[:, :1] * 0.5, append=x[:, :1] ** 2),
                               lambda x: np.diff(x, 2, prepend=x[:, :1] * 0.5, append=x[:, :1] ** 2), (3, 4)),
    "gradient": (lambda x: ad.stack(ad.gradient(x), 0), lambda x: np.stack(np.gradient(x), 0), (3, 4)),
    "gradient_axis_spacing": (lambda x: ad.gradient(x, 0.5, axis=-1), lambda x: np.gradient(x, 0.5, axis=-1), (3, 4)),
    # Coordinates in float32: NumPy then computes the coefficients in float32 too, as autodiff does for
    # float32 values, so both round alike (float64 coordinates would give NumPy a float64 result).
    "gradient_coordinates_edge_order_2": (
        lambda x: ad.stack(ad.gradient(x, np.array([0, 1, 3], np.float32), 2.0, edge_order=2), 0),
        lambda x: np.stack(np.gradient(x, np.array([0, 1, 3], np.float32), 2.0, edge_order=2), 0), (3, 4)),
    "gradient_coordinates_edge_order_1": (
        lambda x: ad.gradient(x, np.array([0, 0.5, 2, 2.5], np.float32), axis=1),
        lambda x: np.gradient(x, np.array([0, 0.5, 2, 2.5], np.float32), axis=1), (3, 4)),
    "kron": (lambda x: ad.kron(x, x[:2, :2] ** 2), lambda x: np.kron(x, x[:2, :2] ** 2), (3, 4)),
    "kron_of_a_vector": (lambda x: ad.kron(x[0], x), lambda x: np.kron(x[0], x), (2, 3)),
    "cross": (lambda x: ad.cross(x[0], x[1, :1] ** 2), lambda x: np.cross(x[0], x[1, :1] ** 2), (2, 4, 3)),
    "cross_axis": (lambda x: ad.cross(x, x[::-1] ** 2, axis=0), lambda x: np.cross(x, x[::-1] ** 2, axis=0), (3, 4)),
    "cross_axes": (lambda x: ad.cross(x, x[1, :, 0] ** 2, axisa=1, axisc=0),
                   lambda x: np.cross(x, x[1, :, 0] ** 2, axisa=1, axisc=0), (2, 3, 4)),
    "rot90": (ad.rot90, np.rot90, (3, 4)),
    "rot90_k3_axes": (lambda x: ad.rot90(x, 3, (2, 0)), lambda x: np.rot90(x, 3, (2, 0)), (2, 3, 4)),
    "rot90_k2": (lambda x: ad.rot90(x, -2), lambda x: np.rot90(x, -2), (3, 4)),
    "fliplr": (ad.fliplr, np.fliplr, (3, 4)),
    "flipud": (ad.flipud, np.flipud, (3, 4)),
    "rollaxis": (lambda x: ad.rollaxis(x, 2), lambda x: np.rollaxis(x, 2), (2, 3, 4)),
    "rollaxis_start": (lambda x: ad.rollaxis(x, 0, 3), lambda x: np.rollaxis(x, 0, 3), (2, 3, 4)),
    "select": (lambda x: ad.select([x > 0, x[:1] < 0], [x * 2, ad.exp(x)], default=x[0] * 3),
               lambda x: np.select([x > 0, x[:1] < 0], [x * 2, np.exp(x)], default=x[0] * 3), (3, 4)),
    "linspace": (lambda x: ad.linspace(x[0], x[1], 5), lambda x: np.linspace(x[0], x[1], 5), (2, 3)),
    "linspace_axis_no_endpoint": (lambda x: ad.linspace(x[0], 2.0, 4, endpoint=False, axis=1),
                                  lambda x: np.linspace(x[0], 2.0, 4, endpoint=False, axis=1), (2, 3)),
    "linspace_step": (lambda x: ad.linspace(x[0], x[1], 3, retstep=True)[1],
                      lambda x: np.linspace(x[0], x[1], 3, retstep=True)[1], (2, 3)),
    "np_diagonal": (lambda x: np.diagonal(x, 1, 0, 2), lambda x: np.diagonal(x, 1, 0, 2), (2, 3, 4)),
    "unsqueeze": (lambda x: x.unsqueeze(-2), lambda x: np.expand_dims(x, -2), (2, 3)),
    "view": (lambda x: x.view(3, -1), lambda x: x.reshape(3, -1), (2, 3, 2)),
})
# ---- end of issue 20's rows

# ---- issue 20: ops whose result depends on the order of the values, drawn from a grid of distinct
# values ("odd", 0.05 apart) so that no finite difference swaps two of them.  kth cuts these axes
# into parts of one value each, so the result is NumPy's exactly (elsewhere NumPy leaves the order
# inside the parts unspecified: test_partition_puts_the_kth_value_in_place checks the property).
ORDERING = {
    "partition": (lambda x: ad.partition(x, (1, 3), axis=0), lambda x: np.partition(x, (1, 3), axis=0), (5, 3)),
    "partition_flat": (lambda x: ad.partition(x, 1, axis=None), lambda x: np.partition(x, 1, axis=None), (1, 3)),
    "partition_method": (lambda x: x.partition(-2), lambda x: np.partition(x, -2), (3, 2)),
    "np_partition": (lambda x: np.partition(x, [0, 1], axis=1), lambda x: np.partition(x, [0, 1], axis=1), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(ORDERING))
@settings(max_examples=30)
@given(data=st.data())
def test_ordering_ops_values_first_and_second_order(name, data):
    fn, reference, shape = ORDERING[name]
    x = data.draw(arrays(shape, "odd", unique=True))
    for dtype in (np.float64, np.float32):
        out = fn(ad.tensor(x.astype(dtype)))
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.data, reference(x.astype(dtype)))
    ad.gradcheck(fn, [x])
    ad.gradgradcheck(lambda t: fn(t) * fn(t), [x])
# ---- end of issue 20's ordering table


def _put(x, indices, values, axis):
    out = x.copy()
    np.put_along_axis(out, indices, values, axis)
    return out


EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ii->i", [(3, 3)]),
          ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("...ij,...jk->...ik", [(4, 2, 3), (4, 3, 2)]),
          ("bij,bjk", [(4, 2, 3), (4, 3, 2)]), ("i,i", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
          ("ijk,ikj->i", [(2, 3, 4), (2, 4, 3)]), ("...j,j", [(2, 4, 3), (3,)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
          ("iij->j", [(2, 2, 3)])]


@pytest.mark.parametrize("subscripts,shapes", EINSUM, ids=[e[0] for e in EINSUM])
@settings(max_examples=15)
@given(data=st.data())
def test_einsum_like_numpy_first_and_second_order(subscripts, shapes, data):
    operands = [data.draw(arrays(s)) for s in shapes]
    _check_value(ad.einsum(subscripts, *[ad.tensor(o) for o in operands]), np.einsum(subscripts, *operands),
                 np.float64)
    ad.gradcheck(lambda *t: ad.einsum(subscripts, *t), operands)
    ad.gradgradcheck(lambda *t: ad.einsum(subscripts, *t) ** 2, operands)


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@settings(max_examples=30)
@given(data=st.data())
def test_shape_ops_and_indexing(name, data):
    fn, reference, shape = SHAPE_OPS[name]
    x = data.draw(arrays(shape, "nonzero", unique=True))          # unique: sort has no ties
    for dtype in (np.float64, np.float32):
        out = fn(ad.tensor(x.astype(dtype)))
        expected = reference(x.astype(dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(out.data, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)
    ad.gradcheck(fn, [x])


# Second order: every op of the tables above, with no exclusions, through the same
# rule that gradcheck checked (now running on Tensors, under create_graph).  The
# product f(x) * f(x) gives linear ops (reshapes, slices) a second derivative.
@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=30)
@given(data=st.data())
def test_second_order_binary(name, data):
    fn, _, domains = BINARY[name]
    a, b = data.draw(broadcast_pair(domains))
    ad.gradgradcheck(fn, [a, b])
    ad.gradgradcheck(lambda x, y: fn(x, y) * fn(x, y), [a, b])


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=30)
@given(data=st.data())
def test_second_order_unary(name, data):
    fn, _, domain = UNARY[name]
    x = data.draw(arrays(data.draw(nonscalar_shapes), domain))
    ad.gradgradcheck(fn, [x])
    ad.gradgradcheck(lambda t: fn(t) * fn(t), [x])


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=30)
@given(data=st.data())
def test_second_order_reductions(name, data):
    fn, _, unique = REDUCTIONS[name]
    x, axis, keepdims = data.draw(array_and_axis("odd" if unique else "real", unique=unique))
    assume(name != "std" or _count(x, axis) > 1)
    ad.gradgradcheck(lambda t: fn(t, axis, keepdims) * fn(t, axis, keepdims), [x])


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@settings(max_examples=30)
@given(data=st.data())
def test_second_order_shape_ops(name, data):
    fn, _, shape = SHAPE_OPS[name]
    x = data.draw(arrays(shape, "nonzero", unique=True))
    ad.gradgradcheck(lambda t: fn(t) * fn(t), [x])


@settings(max_examples=30)
@given(matmul_pair())
def test_second_order_matmul(pair):
    ad.gradgradcheck(lambda x, y: (x @ y) * (x @ y), list(pair))


@settings(max_examples=30)
@given(st.data())
def test_softmax_cross_entropy_matches_composition(data):
    rows, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    logits = data.draw(arrays((rows, classes)))
    targets = np.eye(classes)[data.draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))]
    fused = ad.softmax_cross_entropy(logits, targets)
    composed = -(ad.tensor(targets) * ad.log_softmax(logits)).sum() / rows
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12)
    ad.gradcheck(ad.softmax_cross_entropy, [logits, targets])
    ad.gradgradcheck(ad.softmax_cross_entropy, [logits, targets])


@settings(max_examples=30)
@given(st.data())
def test_softmax_cross_entropy_with_constant_targets(data):
    # The usual case: labels are constants, and the backward without
    # create_graph reuses the forward's log-probabilities.
    rows, classes = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    logits = data.draw(arrays((rows, classes)))
    targets = data.draw(arrays((rows, classes), "positive"))        # soft labels; need not sum to 1
    ad.gradcheck(lambda l: ad.softmax_cross_entropy(l, targets), [logits])
    ad.gradgradcheck(lambda l: ad.softmax_cross_entropy(l, targets), [logits])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int64])
def test_softplus_elu_and_tanh_gelu_of_integers_are_float64(dtype):
    ids = np.array([0, 3, 12] if dtype == np.uint8 else [-12, -2, 0, 3, 12], dtype)
    exact = ids.astype(np.float64)
    softplus, elu = ad.softplus(ad.tensor(ids)), ad.elu(ad.tensor(ids), 0.5)
    gelu = ad.gelu(ad.tensor(ids), approximate="tanh")
    # not truncated to integers, nor computed in NumPy's float16 (int8) or overflowing (int8 * int8)
    assert softplus.dtype == elu.dtype == gelu.dtype == np.float64
    np.testing.assert_allclose(softplus.numpy(), np.logaddexp(0, exact), rtol=1e-15)
    np.testing.assert_allclose(elu.numpy(), np.where(exact > 0, exact, 0.5 * np.expm1(np.minimum(exact, 0))),
                               rtol=1e-15)
    k = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(gelu.numpy(), 0.5 * exact * (1 + np.tanh(k * (exact + 0.044715 * exact ** 3))),
                               rtol=1e-14, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_layer_norm_matches_its_composition_and_finite_differences(data):
    leading = data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    normalized = tuple(data.draw(st.lists(st.integers(2, 4), min_size=1, max_size=2)))
    x = data.draw(arrays(tuple(leading) + normalized))
    affine = data.draw(st.sampled_from(["both", "weight", "bias", "none"]))
    weight = data.draw(arrays(normalized)) if affine in ("both", "weight") else None
    bias = data.draw(arrays(normalized)) if affine in ("both", "bias") else None
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    axes = tuple(range(len(leading), len(leading) + len(normalized)))
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    expected = expected * (1 if weight is None else weight) + (0 if bias is None else bias)
    shape = normalized[0] if len(normalized) == 1 and data.draw(st.booleans()) else normalized   # an int or a tuple

    def fn(x, *affine_weights):
        given = iter(affine_weights)
        return ad.layer_norm(x, shape, next(given) if weight is not None else None,
                             next(given) if bias is not None else None, eps)

    inputs = [x] + [w for w in (weight, bias) if w is not None]
    np.testing.assert_allclose(fn(*[ad.tensor(v) for v in inputs]).numpy(), expected, rtol=1e-9, atol=1e-9)
    ad.gradcheck(fn, inputs)
    ad.gradgradcheck(fn, inputs)


def test_layer_norm_keeps_float32_and_refuses_shapes_that_do_not_fit():
    x = ad.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True)
    out = ad.layer_norm(x, 4, ad.ones(4), ad.zeros(4))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(3,\) must be the trailing axes of the "
                                         r"input, whose shape is \(2, 3, 4\)"):
        ad.layer_norm(x, 3)
    with pytest.raises(ValueError, match=r"layer_norm: weight must have the normalized shape \(4,\), got \(3,\)"):
        ad.layer_norm(x, 4, ad.ones(3))


@pytest.mark.parametrize("target_dtype", [np.float64, np.int64, np.float32])
def test_softmax_cross_entropy_casts_targets_to_the_logits_dtype(target_dtype):
    logits = ad.tensor(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=np.float32), requires_grad=True)
    labels = np.array([[0, 1, 0], [1, 0, 0]], dtype=target_dtype)
    loss = ad.softmax_cross_entropy(logits, labels)
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32
    probs = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.data, (probs - labels) / 2, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("x_dtype,w_dtype", [(np.float32, np.float32), (np.float64, np.float32), (np.float32, np.float64)])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_linear_gradient_without_a_graph_equals_the_differentiable_rule(x_dtype, w_dtype, activation):
    # backward without create_graph runs the rule on arrays; with it, on Tensors.
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.normal(size=(2, 3, 4)).astype(x_dtype), requires_grad=True)
    w = ad.tensor(rng.normal(size=(4, 5)).astype(w_dtype), requires_grad=True)
    b = ad.tensor(rng.normal(size=5).astype(np.float32), requires_grad=True)
    upstream = rng.normal(size=(2, 3, 5))
    results = []
    for create_graph in (False, True):
        out = ad.linear(x, w, b, activation=activation)
        grads = ad.grad(out, [x, w, b], grad_outputs=upstream.astype(out.dtype), create_graph=create_graph)
        results.append(grads)
    # The two paths add the bias's 6 rows differently (a BLAS matrix-vector product, NumPy's sum): each is
    # within 6 float32 roundings of the sum of the terms' magnitudes, which bounds their difference too.
    magnitudes = [np.abs(upstream) @ np.abs(w.data.T), np.abs(x.data).reshape(-1, 4).T @ np.abs(upstream).reshape(-1, 5),
                  np.abs(upstream).reshape(-1, 5).sum(axis=0)]
    for plain, graph, leaf, size in zip(*results, (x, w, b), magnitudes):
        assert plain.dtype == graph.dtype == leaf.dtype and plain.shape == leaf.shape
        np.testing.assert_allclose(plain.data, graph.data, rtol=0, atol=2 * 6 * np.finfo(np.float32).eps * size.max())
    assert not results[0][0].requires_grad


def test_prod_gradient_is_exact_with_one_or_several_zeros():
    x = ad.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, 2.0, 4.0]], requires_grad=True)
    x.prod(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 6.0, 3.0]])
    ad.gradcheck(lambda t: t.prod(axis=1), [x.data])
    ad.gradgradcheck(lambda t: t.prod(axis=1), [x.data])     # d2/dx0dx2 of [2, 0, 3] is 0, of others not


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@settings(max_examples=30)
@given(data=st.data())
def test_running_sums_and_products_along_every_axis(name, data):
    x = data.draw(arrays(data.draw(nonscalar_shapes)))
    if name == "cumprod" and data.draw(st.booleans()):
        x = x * (data.draw(arrays(x.shape, "odd")) > 0)         # zeros, one or several: still exact
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    fn = getattr(ad, name)
    _check_value(fn(ad.tensor(x), axis), getattr(np, name)(x, axis), np.float64)
    ad.gradcheck(lambda t: fn(t, axis), [x])
    ad.gradgradcheck(lambda t: fn(t, axis) ** 2, [x])


def test_all_and_any_like_numpy_without_gradient():
    x = ad.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    assert ad.all(x).item() is False and ad.any(x).item() is True
    assert ad.all(x, axis=1).tolist() == [False, True] and not ad.any(x, axis=0).requires_grad


def test_stable_in_both_tails():
    x = ad.tensor(np.array([-40.0, -745.0, 40.0, 1e-20]))
    exact_sigmoid = [4.248354255291589e-18, math.exp(-745.0), 1.0, 0.5]      # 5e-324: not rounded to 0
    np.testing.assert_allclose(x.sigmoid().data[:3], exact_sigmoid[:3], rtol=1e-12)
    # log(sigmoid(x)) = -log1p(exp(-x)): exact at -40 and 40, where 1 - tiny would round away.
    np.testing.assert_allclose(ad.log_sigmoid(x).data[:3], [-40.0 - math.log1p(math.exp(-40.0)), -745.0,
                                                             -math.log1p(math.exp(-40.0))], rtol=1e-12)
    np.testing.assert_allclose(ad.softplus(x).data[:3], [math.log1p(math.exp(-40.0)), 0.0, 40.0], rtol=1e-12,
                               atol=1e-320)
    np.testing.assert_allclose(ad.log1p(x[3:]).item(), 1e-20, rtol=1e-12)
    np.testing.assert_allclose(ad.expm1(x[3:]).item(), 1e-20, rtol=1e-12)
    np.testing.assert_allclose(ad.tensor([-1000.0, -1001.0], dtype=np.float64).logsumexp().item(),
                               -1000.0 + math.log1p(math.exp(-1.0)), rtol=1e-12)
    z = ad.tensor([-40.0, 40.0], dtype=np.float64, requires_grad=True)
    ad.log_sigmoid(z).sum().backward()                      # gradient sigmoid(-x): exact in the tails too
    np.testing.assert_allclose(z.grad.data, [1.0, math.exp(-40.0) / (1 + math.exp(-40.0))], rtol=1e-12)


def test_plain_numpy_code_runs_on_tensors_and_is_differentiated():
    def numpy_loss(w, x, y):
        """A NumPy program written for arrays: a logistic regression's mean cross-entropy."""
        z = np.dot(x, w)
        p = 1 / (1 + np.exp(-z))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.sum(np.square(w))

    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(6, 3)), (rng.random(6) > 0.5).astype(float), rng.normal(size=3)
    on_arrays = numpy_loss(w, x, y)
    on_tensor = numpy_loss(ad.tensor(w, requires_grad=True), x, y)
    assert isinstance(on_tensor, ad.Tensor) and on_tensor.item() == pytest.approx(on_arrays, rel=1e-12)
    ad.gradcheck(lambda t: numpy_loss(t, x, y), [w])
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t) is t.data                          # the data, as before
    np.testing.assert_array_equal(np.concatenate([t, t.data]).data, np.concatenate([t.data, t.data]))
    np.testing.assert_allclose(np.linalg.norm(t).item(), np.linalg.norm(t.data))
    for unsupported, name in ((lambda: np.fft.fft(t), "np.fft.fft"), (lambda: np.linalg.inv(t), "np.linalg.inv"),
                              (lambda: np.add.reduce(t), "np.add.reduce"), (lambda: np.exp(t, out=t.data), "out=")):
        with pytest.raises(TypeError, match=name.replace(".", r"\.")):
            unsupported()


# The conventions (docs/conventions.md) where a derivative is not defined: (function, points, first derivative, second
# derivative), each the value PyTorch 2.13 gives (torch.autograd.grad twice, float64), except where the
# conventions page says otherwise (0 ** b's second derivative in b: 0 here, NaN in PyTorch).
SELU = 1.0507009873554805 * 1.6732632423543772
KINKS = {
    "relu": (ad.relu, [0.0], [0.0], [0.0]),
    "abs": (ad.abs, [0.0], [0.0], [0.0]),
    "sign floor ceil round": (lambda t: ad.sign(t) + ad.floor(t) + ad.ceil(t) + ad.round(t), [-1.0, 0.0, 0.5, 2.0],
                              [0.0] * 4, [0.0] * 4),
    "relu6": (ad.relu6, [0.0, 6.0], [0.0, 0.0], [0.0, 0.0]),
    "hard_sigmoid": (ad.hard_sigmoid, [-3.0, 0.0, 3.0], [0.0, 1 / 6, 0.0], [0.0] * 3),
    "hard_swish": (ad.hard_swish, [-3.0, 3.0], [0.0, 1.0], [0.0, 0.0]),
    "clip": (lambda t: ad.clip(t, 0.0, 1.0), [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]),
    "leaky_relu": (ad.leaky_relu, [0.0, -1.0], [0.01, 0.01], [0.0, 0.0]),
    "elu": (lambda t: ad.elu(t, 1.5), [0.0], [1.5], [0.0]),
    "selu": (ad.selu, [0.0], [SELU], [0.0]),
    "sqrt": (ad.sqrt, [0.0], [np.inf], [-np.inf]),
    "max ties": (lambda t: t.max(), [1.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0] * 3),
    "maximum ties": (lambda t: ad.maximum(t, 1.0), [1.0], [0.5], [0.0]),
    "norm at 0": (ad.norm, [0.0, 0.0], [0.0, 0.0], [np.nan, np.nan]),
    "norm inf ties": (lambda t: ad.norm(t, np.inf, axis=0), [1.0, -1.0], [0.5, -0.5], [0.0, 0.0]),
    "norm 1 at 0": (lambda t: ad.norm(t, 1, axis=0), [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]),
    "x ** 0": (lambda t: t ** 0.0, [0.0], [0.0], [0.0]),
    "x ** 1.5": (lambda t: t ** 1.5, [0.0], [0.0], [np.inf]),
    "x ** 2": (lambda t: t ** 2, [0.0], [0.0], [2.0]),
    "0 ** b": (lambda t: ad.zeros(3, dtype=np.float64) ** t, [0.0, 1.0, 2.0], [0.0] * 3, [0.0] * 3),
    "std of equal values": (ad.std, [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]),
    "std ddof=1 of equal values": (lambda t: ad.std(t, ddof=1), [2.0, 2.0, 2.0], [0.0] * 3, [0.0] * 3),
    "var of equal values": (ad.var, [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]),
    "prod with a zero": (ad.prod, [0.0, 2.0, 3.0], [6.0, 0.0, 0.0], [5.0, 3.0, 2.0]),
    "prod with two zeros": (ad.prod, [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [3.0, 3.0, 0.0]),
}


def _first_and_second(fn, values):
    x = ad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    with np.errstate(all="ignore"):
        (g,) = ad.grad(fn(x).sum(), [x], create_graph=True)
        if not g.requires_grad:                         # piecewise constant gradient: no graph, all zeros
            return g.data, np.zeros_like(g.data)
        (h,) = ad.grad(g.sum(), [x])
    return g.data, h.data


@pytest.mark.parametrize("name", sorted(KINKS))
def test_the_readmes_conventions_at_kinks_and_ties_at_first_and_second_order(name):
    fn, points, first, second = KINKS[name]
    g, h = _first_and_second(fn, points)
    np.testing.assert_allclose(g, first, rtol=1e-15, atol=0)       # NaN and inf must match too
    np.testing.assert_allclose(h, second, rtol=1e-15, atol=0)


def test_the_readmes_other_conventions():
    a, b = ad.tensor([5.5], requires_grad=True), ad.tensor([-2.0], requires_grad=True)
    (a % b).sum().backward()
    assert a.grad.tolist() == [1.0] and b.grad.tolist() == [3.0]                   # -floor(5.5 / -2) = 3
    g, _ = _first_and_second(lambda t: ad.sort(t) * ad.tensor([1.0, 2.0, 3.0], dtype=np.float64), [2.0, 1.0, 2.0])
    assert g.tolist() == [2.0, 1.0, 3.0]                                           # ties in a stable order
    np.testing.assert_allclose(ad.gelu(ad.tensor([1.0], dtype=np.float64), approximate="tanh").item(),
                               0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), rtol=1e-12)
    np.testing.assert_allclose(ad.gelu(ad.tensor([1.0], dtype=np.float64)).item(),
                               0.5 * (1 + math.erf(1 / math.sqrt(2))), rtol=1e-12)
    assert ad.var(ad.tensor([1.0, 3.0])).item() == 1.0 and ad.var(ad.tensor([1.0, 3.0]), ddof=1).item() == 2.0


def _hessian_of_sum(loss_fn, x0):
    x = ad.tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    with np.errstate(all="ignore"):                     # 0 / 0 where a mask then selects 0
        (g,) = ad.grad(loss_fn(x), [x], create_graph=True)
        (h,) = ad.grad(g.sum(), [x])
    return h.data


def test_a_zero_norm_or_power_reached_through_a_mask_keeps_every_second_derivative_finite():
    # PyTorch's values: the NaN at a zero norm stays where the zero is (a masked row), and a mask stops it.
    mask = np.array([[True, True], [False, False]])
    h = _hessian_of_sum(lambda x: (ad.norm(ad.where(mask, x, 0), axis=1) * x.sum()).sum(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(h, [[4.919349550499538, 4.024922359499623], [1.3416407864998738, 1.3416407864998738]],
                               rtol=1e-12)
    h = _hessian_of_sum(lambda x: ((ad.where(mask, x, 0) ** 0.0) * x.sum()).sum(), [[1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(h, np.zeros((2, 2)))


def test_nothing_multiplies_an_inf_upstream_by_a_structural_zero():
    # PyTorch selects these zeros: the side of maximum that lost, and x ** 0 (a constant 1); and a
    # running sum's gradient never subtracts (inf - inf would be NaN where the inf never reached).
    a, b = ad.tensor([1.0, 3.0], requires_grad=True), ad.tensor([2.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):                 # inf * 0 where a mask then selects 0
        ad.maximum(a, b).backward(np.array([np.inf, np.nan]))
    assert a.grad.tolist()[0] == 0.0 and np.isnan(a.grad.tolist()[1])
    assert b.grad.tolist()[0] == np.inf and b.grad.tolist()[1] == 0.0
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    (x ** 0.0).backward(np.array([np.inf, np.nan]))
    assert x.grad.tolist() == [0.0, 0.0]
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ad.cumsum(x).backward(np.array([1.0, np.inf, 2.0]))       # the later sums, added from the end
    assert x.grad.tolist() == [np.inf, np.inf, 2.0]


def test_take_and_put_along_axis_broadcast_their_index_as_numpy():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    picked = ad.take_along_axis(x, np.array([[2, 0, 1]]), axis=1)
    np.testing.assert_array_equal(picked.data, np.take_along_axis(x.data, np.array([[2, 0, 1]]), axis=1))
    assert picked.shape == (2, 3)
    one = ad.put_along_axis(x, np.array([[1]]), 5.0, axis=1)                     # every row gets its 5
    np.testing.assert_array_equal(one.data, _put(x.data, np.array([[1]]), 5.0, 1))
    values = ad.tensor(np.arange(10.0, 16.0).reshape(2, 3), requires_grad=True)
    rows = ad.put_along_axis(x, np.array([[1, 0, 2]]), values, axis=1)          # values (2, 3), index (1, 3)
    np.testing.assert_array_equal(rows.data, _put(x.data, np.array([[1, 0, 2]]), values.data, 1))
    with pytest.raises(ValueError, match="take_along_axis: indices have 1 dimensions"):
        ad.take_along_axis(x, np.array([0]), axis=1)


def test_put_along_axis_last_write_wins_and_overwritten_values_get_no_gradient():
    x = ad.zeros(4, dtype=np.float64, requires_grad=True)
    v = ad.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    out = ad.put_along_axis(x, np.array([1, 3, 1]), v, axis=0)
    np.testing.assert_array_equal(out.data, _put(x.data, np.array([1, 3, 1]), v.data, 0))      # [0, 3, 0, 2]
    (out * ad.tensor([1.0, 10.0, 100.0, 1000.0], dtype=np.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 100.0, 0.0]          # the places written get nothing
    assert v.grad.tolist() == [0.0, 1000.0, 10.0]             # the first write to 1 was overwritten
    ad.gradgradcheck(lambda a, b: ad.put_along_axis(a, np.array([[1, 1, 0]]), b, 1) ** 2,
                     [np.random.default_rng(0).normal(size=(2, 3)), np.random.default_rng(1).normal(size=(2, 3))])


def test_sort_of_the_flattened_values():
    x = ad.tensor([[3.0, 1.0], [2.0, 0.0]], requires_grad=True)
    for out in (ad.sort(x, axis=None), np.sort(x, axis=None), x.sort(axis=None, kind="stable")):
        np.testing.assert_array_equal(out.data, [0.0, 1.0, 2.0, 3.0])
    (ad.sort(x, axis=None) * ad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [[4.0, 2.0], [3.0, 1.0]]


def test_size_zero_axes_as_numpy():
    ones = lambda *shape: ad.tensor(np.ones(shape), requires_grad=True)          # noqa: E731
    for fn, shapes in [(lambda a, b: ad.tensordot(a, b, 1), [(2, 0), (0, 3)]), (ad.dot, [(2, 0), (0, 3)]),
                       (ad.inner, [(2, 0), (3, 0)]), (ad.dot, [(2, 2, 0), (2, 0, 3)]),
                       (lambda a, b: ad.tensordot(a, b, ([1, 2], [0, 1])), [(2, 0, 4), (0, 4, 3)]),
                       (lambda a, b: ad.linear(a, b), [(2, 3), (3, 0)])]:
        a, b = ones(*shapes[0]), ones(*shapes[1])
        out = fn(a, b)
        expected = {ad.dot: np.dot, ad.inner: np.inner}.get(fn, None)
        if expected is not None:
            assert out.shape == expected(a.data, b.data).shape
        np.testing.assert_array_equal(out.data, np.zeros(out.shape))
        out.sum().backward()
        assert a.grad.shape == a.shape and b.grad.shape == b.shape
    empty = ones(0, 3)
    for fn in (lambda t: ad.max(t, axis=1), lambda t: ad.min(t, axis=1), lambda t: ad.norm(t, np.inf, axis=1)):
        out = fn(empty)
        assert out.shape == (0,)
        out.sum().backward()
        assert empty.grad.shape == (0, 3)
    with pytest.raises(ValueError, match="max: cannot reduce over an axis of size 0"):
        ad.max(empty, axis=0)                       # NumPy refuses this one too
    no_classes, no_rows = ones(2, 0), ones(0, 3)
    loss = ad.softmax_cross_entropy(no_classes, np.zeros((2, 0)))
    assert loss.item() == 0.0                       # two rows, each summing nothing
    loss.backward()
    assert no_classes.grad.shape == (2, 0)
    loss = ad.softmax_cross_entropy(no_rows, np.zeros((0, 3)))
    assert np.isnan(loss.item())                    # the mean of no rows, as NumPy's mean and PyTorch
    loss.backward()
    assert no_rows.grad.shape == (0, 3)
    x, w, b = ones(2, 3), ones(3, 0), ones(0)
    ad.linear(x, w, b).sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2 and w.grad.shape == (3, 0) and b.grad.shape == (0,)


def test_prod_and_cumprod_take_memory_linear_in_n_at_every_order():
    n = 1600                                        # the old rule's second derivative asked for 30 GiB here
    x = ad.tensor(np.random.default_rng(0).uniform(0.999, 1.001, size=n), requires_grad=True)
    tracemalloc.start()
    try:
        (g,) = ad.grad(x.prod(), [x], create_graph=True)
        (h,) = ad.grad(g.sum(), [x], create_graph=True)
        (k,) = ad.grad(h.sum(), [x])
        (c,) = ad.grad(ad.cumprod(x).sum(), [x], create_graph=True)
        (cc,) = ad.grad(c.sum(), [x])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2 ** 20, f"{peak / 2 ** 20:.1f} MiB for n = {n}: an n x n intermediate is 20 MiB"
    others = x.data.prod() / x.data                 # safe here: no zeros
    np.testing.assert_allclose(g.data, others, rtol=1e-12)
    # d2/dxi dxj prod = prod / (xi xj) off the diagonal, 0 on it; summed over j:
    np.testing.assert_allclose(h.data, others * (1 / x.data).sum() - others / x.data, rtol=1e-9)
    assert np.isfinite(k.data).all() and np.isfinite(cc.data).all()
    for values in ([0.0, 2.0, 3.0, 0.5], [0.0, 0.0, 3.0, 2.0], [1.5, -2.0, 0.0, 0.7, 3.0]):
        ad.gradgradcheck(lambda t: ad.cumprod(t) ** 2, [np.array(values)])
        ad.gradgradcheck(lambda t: ad.prod(t) * t, [np.array(values)])


def test_numpys_keyword_names_and_call_forms_are_accepted():
    x = ad.tensor(np.linspace(0.0, 1.0, 12).reshape(3, 4), requires_grad=True)
    expected = np.clip(x.data, 0.2, 0.5)
    for clipped in (ad.clip(x, a_min=0.2, a_max=0.5), x.clip(a_min=0.2, a_max=0.5), np.clip(x, a_min=0.2, a_max=0.5),
                    ad.clip(x, min=0.2, max=0.5)):
        np.testing.assert_array_equal(clipped.data, expected)
    np.testing.assert_allclose(np.std(x, axis=0, ddof=1, keepdims=True).data, np.std(x.data, 0, ddof=1, keepdims=True))
    np.testing.assert_allclose(ad.var(x, correction=1).item(), np.var(x.data, ddof=1))
    assert np.argmax(x, axis=1, keepdims=True).shape == (3, 1)
    np.testing.assert_array_equal(ad.take(x, [5, -6], axis=1, mode="wrap").data, np.take(x.data, [5, -6], 1, mode="wrap"))
    np.testing.assert_array_equal(ad.take(x, [9], axis=1, mode="clip").data, np.take(x.data, [9], 1, mode="clip"))
    with pytest.raises(TypeError, match="cumsum: dtype= is not supported"):
        np.cumsum(x, axis=0, dtype=np.float64)
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    ta = ad.tensor(a, requires_grad=True)
    np.testing.assert_allclose(np.einsum(ta, [0, 1], b, [1, 2]).data, np.einsum(a, [0, 1], b, [1, 2]))
    np.testing.assert_allclose(np.einsum(ta, [0, 1], b, [1, 2], [2, 0]).data, np.einsum(a, [0, 1], b, [1, 2], [2, 0]))
    np.testing.assert_allclose(np.einsum(ta, [Ellipsis, 1], [Ellipsis]).data, np.einsum(a, [Ellipsis, 1], [Ellipsis]))
    ad.gradgradcheck(lambda t: np.einsum(t, [0, 1], b, [1, 2]) ** 2, [a])
    t32 = ad.tensor(np.ones(3, np.float32), requires_grad=True)
    for out, want in ((np.dot(t32, 3.0), np.dot(np.ones(3), 3.0)), (np.dot(2.0, t32), np.full(3, 2.0)),
                      (np.inner(t32, 3.0), np.full(3, 3.0)), (np.outer(t32, [1.0, 2.0]), np.outer(np.ones(3), [1, 2]))):
        assert out.dtype == np.float32                  # a Python number never promotes float32
        np.testing.assert_array_equal(out.data, want)
    scalar = ad.tensor(1.5, requires_grad=True)
    stacked = np.stack([scalar, 2.0, scalar * 2])
    assert stacked.dtype == np.float32 and stacked.tolist() == [1.5, 2.0, 3.0]
    stacked.sum().backward()
    assert scalar.grad.item() == 3.0
    joined = np.concatenate([t32, [2.0], np.zeros(1, np.float32)])
    assert joined.dtype == np.float32 and joined.shape == (5,)


def test_numpy_never_drops_a_gradient_silently():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"silently drop its gradient.*ad.stack"):
        np.mean([x, x + 2])                              # NumPy converts the list before any Tensor can answer
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(x)
    mean = np.mean(ad.stack([x, x + 2]))                 # what the message asks for: recorded
    mean.backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3] * 3)
    assert np.asarray(x.detach()).tolist() == [1.0, 2.0, 3.0] and x.numpy().tolist() == [1.0, 2.0, 3.0]
    with ad.no_grad():                                   # nothing is recorded: nothing to drop
        assert np.asarray(x).tolist() == [1.0, 2.0, 3.0]


@settings(max_examples=30)
@given(data=st.data())
def test_where_broadcasts_its_condition_and_both_branches(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
    condition = data.draw(hnp.arrays(bool, shapes.input_shapes[0]))
    a, b = data.draw(arrays(shapes.input_shapes[1])), data.draw(arrays(shapes.input_shapes[2]))
    _check_value(ad.where(condition, ad.tensor(a), ad.tensor(b)), np.where(condition, a, b), np.float64)
    ad.gradcheck(lambda x, y: ad.where(condition, x, y), [a, b])
    ad.gradgradcheck(lambda x, y: ad.where(condition, x * y, y), [a, b])


# ---- issue 20: NumPy's remaining vocabulary, beyond the tables
def _on_tensors(*arrays):
    return [ad.tensor(a, requires_grad=True) for a in arrays]


NUMPY_CALLS = {       # name: a NumPy program's call, run on arrays and on Tensors
    "vstack": lambda a, b: np.vstack([a, b[0]]),
    "hstack": lambda a, b: np.hstack([a, b]),
    "dstack": lambda a, b: np.dstack([a, b]),
    "column_stack": lambda a, b: np.column_stack([a[:, 0], b[:, 1], a]),
    "vsplit": lambda a, b: np.vsplit(a, 2)[1],
    "hsplit": lambda a, b: np.hsplit(b, [1])[1],
    "dsplit": lambda a, b: np.dsplit(np.atleast_3d(a), 1)[0],
    "atleast_1d": lambda a, b: np.atleast_1d(a[0, 0]),
    "atleast_2d": lambda a, b: np.atleast_2d(a[0], b[0])[1],
    "atleast_3d": lambda a, b: np.atleast_3d(a),
    "append": lambda a, b: np.append(a, b),
    "diff": lambda a, b: np.diff(a, axis=0, append=b[:1]),
    "gradient": lambda a, b: np.gradient(a, 2.0)[1],
    "kron": lambda a, b: np.kron(a, b),
    "cross": lambda a, b: np.cross(a, b),
    "logaddexp": lambda a, b: np.logaddexp(a, b),
    "logaddexp2": lambda a, b: np.logaddexp2(a, b),
    "fmax": lambda a, b: np.fmax(a, b),
    "fmin": lambda a, b: np.fmin(a, b),
    "fabs": lambda a, b: np.fabs(a),
    "arcsinh": lambda a, b: np.arcsinh(a),
    "arccosh": lambda a, b: np.arccosh(a * a + 1.5),
    "deg2rad": lambda a, b: np.deg2rad(a),
    "rad2deg": lambda a, b: np.rad2deg(a),
    "degrees": lambda a, b: np.degrees(a),
    "radians": lambda a, b: np.radians(a),
    "rot90": lambda a, b: np.rot90(a, k=3),
    "fliplr": lambda a, b: np.fliplr(a),
    "flipud": lambda a, b: np.flipud(a),
    "rollaxis": lambda a, b: np.rollaxis(a, 1),
    "select": lambda a, b: np.select([a > 0, b > 0], [a, b * 2], default=-1.0),
    "partition": lambda a, b: np.partition(a, 0, axis=0)[0],
    "nan_to_num": lambda a, b: np.nan_to_num(a, nan=1.0),
    "linspace": lambda a, b: np.linspace(a[0], b[0], 4),
    "diagonal": lambda a, b: np.diagonal(a),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CALLS))
def test_numpy_functions_on_tensors_run_autodiffs_ops_and_record(name):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    call = NUMPY_CALLS[name]
    out = call(*_on_tensors(a, b))
    assert isinstance(out, ad.Tensor) and out.requires_grad, f"np.{name} on Tensors did not record"
    np.testing.assert_allclose(out.data, call(a, b), rtol=1e-12, atol=1e-12)
    ad.gradcheck(call, [a, b])


def test_row_stack_is_vstack():
    a, b = _on_tensors(np.ones(3), np.zeros((2, 3)))
    np.testing.assert_array_equal(ad.row_stack([a, b]).data, np.vstack([a.data, b.data]))
    with pytest.warns(DeprecationWarning):                 # NumPy's own deprecation, then our vstack
        assert np.row_stack([a, b]).requires_grad


def test_stacking_numbers_and_arrays_with_float32_tensors_stays_float32():
    t = ad.tensor([[1.0, 2.0]], requires_grad=True)
    for out in (ad.vstack([t, np.array([3.0, 4.0]).astype(np.float32), [5.0, 6.0]]), ad.hstack([t[0], 7.0]),
                ad.append(t, 3.0), ad.diff(t, prepend=0.5), ad.column_stack([t[0], [1.0, 2.0]])):
        assert out.dtype == np.float32 and out.requires_grad
    np.testing.assert_array_equal(ad.vstack([t, [5.0, 6.0]]).data, [[1, 2], [5, 6]])
    np.testing.assert_array_equal(ad.diff(t, prepend=0.5).data, np.diff(t.data, prepend=0.5))
    assert isinstance(ad.vstack([np.ones(2), np.zeros(2)]), np.ndarray)    # arrays in, an array out


@settings(max_examples=50)
@given(data=st.data())
def test_partition_puts_the_kth_value_in_place_and_the_rest_on_its_sides(data):
    x = data.draw(arrays(data.draw(nonscalar_shapes), "real", unique=True))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    kth = data.draw(st.one_of(st.integers(-n, n - 1), st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))
    t = ad.tensor(x, requires_grad=True)
    out = ad.partition(t, kth, axis=axis)
    moved_x, moved_out = np.moveaxis(x, axis, -1), np.moveaxis(out.data, axis, -1)
    ordered = np.sort(moved_x, axis=-1)
    np.testing.assert_array_equal(np.sort(moved_out, axis=-1), ordered)          # a permutation of each row
    for k in np.atleast_1d(kth):
        k = k % n
        np.testing.assert_array_equal(moved_out[..., k], ordered[..., k])       # the kth in its place
        assert (moved_out[..., :k] <= moved_out[..., k:k + 1]).all()            # smaller ones before it
        assert (moved_out[..., k + 1:] >= moved_out[..., k:k + 1]).all()        # larger ones after
    upstream = np.random.default_rng(0).normal(size=x.shape)
    (out * upstream).sum().backward()
    # The gradient of a permutation: each value gets the upstream gradient of the place it moved to.
    moved_up = np.moveaxis(upstream, axis, -1)
    goes_to = moved_out[..., :, None] == moved_x[..., None, :]                # [i, j]: out's i is x's j
    np.testing.assert_allclose(np.moveaxis(t.grad.data, axis, -1),
                               np.einsum("...ij,...i->...j", goes_to, moved_up), rtol=1e-12)


def test_fmax_fmin_let_the_number_win_over_nan_and_share_ties():
    a = ad.tensor([1.0, np.nan, 3.0, np.nan, 2.0], dtype=np.float64, requires_grad=True)
    b = ad.tensor([2.0, 5.0, np.nan, np.nan, 2.0], dtype=np.float64, requires_grad=True)
    for op, reference in ((ad.fmax, np.fmax), (ad.fmin, np.fmin)):
        a.grad = b.grad = None
        out = op(a, b)
        np.testing.assert_array_equal(out.data, reference(a.data, b.data))
        out.sum().backward()
        winner_a = [0.0, 0.0, 1.0, 0.5, 0.5] if op is ad.fmax else [1.0, 0.0, 1.0, 0.5, 0.5]
        assert a.grad.tolist() == winner_a
        assert b.grad.tolist() == [1 - w for w in winner_a]
    assert ad.fmax(ad.tensor([1.0], requires_grad=True), np.float64(np.nan)).dtype == np.float32


def test_nan_to_num_gradient_is_one_where_finite_and_zero_where_replaced():
    x = ad.tensor([1.5, np.nan, np.inf, -np.inf, -2.0], requires_grad=True)
    out = ad.nan_to_num(x, nan=7.0, posinf=100.0, neginf=-100.0)
    np.testing.assert_array_equal(out.data, np.nan_to_num(x.data, nan=7.0, posinf=100.0, neginf=-100.0))
    assert out.dtype == np.float32
    (out * ad.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 5.0]
    np.testing.assert_array_equal(ad.nan_to_num(x).data, np.nan_to_num(x.data))     # NumPy's defaults
    np.testing.assert_array_equal(ad.nan_to_num(ad.tensor([1, 2])).data, [1, 2])     # integers: unchanged


def test_logaddexp_is_exact_in_the_tails_and_its_gradient_is_a_softmax_weight():
    a = ad.tensor([1000.0, -1000.0, 0.0, -np.inf], dtype=np.float64, requires_grad=True)
    b = ad.tensor([1000.0, -1001.0, 50.0, 0.0], dtype=np.float64, requires_grad=True)
    out = ad.logaddexp(a, b)
    np.testing.assert_array_equal(out.data, np.logaddexp(a.data, b.data))
    out.sum().backward()
    weight = 1 / (1 + np.exp(b.data - a.data))
    np.testing.assert_allclose(a.grad.data, weight, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, 1 - weight, rtol=1e-12)
    x = ad.tensor([3.0], dtype=np.float64, requires_grad=True)
    (g,) = ad.grad(ad.logaddexp(x, x).sum(), [x], create_graph=True)          # a tie: exact, every order
    assert g.item() == pytest.approx(1.0, abs=1e-15)
    (h,) = ad.grad(g.sum(), [x])
    assert h.item() == pytest.approx(0.0, abs=1e-15)                       # log(2 e^x) = x + log 2: second derivative 0
    y = ad.tensor([1.0, 4.0], dtype=np.float64)
    ad.gradgradcheck(lambda p, q: ad.logaddexp2(p, q) ** 2, [y.data, y.data[::-1].copy()])


@settings(max_examples=30)
@given(data=st.data())
def test_linspace_is_differentiable_in_start_and_stop_across_broadcasting(data):
    start, stop = data.draw(broadcast_pair())
    num = data.draw(st.integers(0, 5))
    endpoint, axis = data.draw(st.booleans()), data.draw(st.integers(-1, 0))
    out = ad.linspace(ad.tensor(start), ad.tensor(stop), num, endpoint=endpoint, axis=axis)
    np.testing.assert_allclose(out.data, np.linspace(start, stop, num, endpoint=endpoint, axis=axis), rtol=1e-12,
                               atol=1e-15)
    ad.gradcheck(lambda a, b: ad.linspace(a, b, num, endpoint=endpoint, axis=axis), [start, stop])
    ad.gradgradcheck(lambda a, b: ad.linspace(a, b, num, endpoint=endpoint, axis=axis) ** 2, [start, stop])


def test_linspace_from_numbers_and_its_other_arguments():
    out = ad.linspace(0, 1, 5)
    assert out.dtype == np.float32 and out.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and not out.requires_grad
    assert ad.linspace(0.0, 1.0, 3, requires_grad=True).is_leaf and ad.linspace(0, 1, 3, requires_grad=True).requires_grad
    values, step = ad.linspace(ad.tensor(2.0), 3.0, 5, retstep=True)
    assert step.item() == 0.25 and values.tolist()[-1] == 3.0
    assert ad.linspace(0.0, 10.0, 4, dtype=np.int64).tolist() == np.linspace(0.0, 10.0, 4, dtype=np.int64).tolist()
    assert ad.linspace(1.0, 2.0, 1).tolist() == [1.0] and ad.linspace(1.0, 2.0, 0).shape == (0,)
    start = ad.tensor(np.array([0.0, 1.0]), requires_grad=True)
    np.linspace(start, 2.0, 3).sum().backward()                  # through NumPy's own linspace
    assert start.grad.tolist() == [1.5, 1.5]
    with pytest.raises(ValueError, match="linspace: number of samples, -1, must be non-negative"):
        ad.linspace(0.0, 1.0, -1)


def test_gradient_is_differentiable_in_tensor_coordinates_too():
    rng = np.random.default_rng(1)
    f, x, y = rng.normal(size=(4, 3)), np.array([0.0, 0.5, 1.75, 2.0]), np.array([-1.0, 0.0, 3.0])
    for edge_order in (1, 2):
        def fn(values, xs, ys):
            return ad.stack(ad.gradient(values, xs, ys, edge_order=edge_order), 0)
        np.testing.assert_allclose(fn(*_on_tensors(f, x, y)).data, np.gradient(f, x, y, edge_order=edge_order),
                                   rtol=1e-12)
        ad.gradcheck(fn, [f, x, y])
        ad.gradgradcheck(fn, [f, x, y])
    even = ad.tensor(np.array([0.0, 2.0, 4.0, 6.0]), requires_grad=True)    # even spacing that requires grad
    np.testing.assert_allclose(ad.gradient(ad.tensor(f), even, axis=0).data, np.gradient(f, 2.0, axis=0), rtol=1e-12)
    ad.gradcheck(lambda d: ad.gradient(ad.tensor(f), d, axis=0), [even.data])
    assert ad.gradient(ad.tensor([1, 4, 9])).dtype == np.float64        # integers: float64, as NumPy


def test_cross_of_2_vectors_and_mixed_sizes_like_numpy():
    rng = np.random.default_rng(2)
    a2, b2, b3 = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(1, 3))
    np.testing.assert_allclose(ad.cross(*_on_tensors(a2, b2)).data, a2[:, 0] * b2[:, 1] - a2[:, 1] * b2[:, 0])
    a3 = np.concatenate([a2, np.zeros((4, 1))], axis=1)
    np.testing.assert_allclose(ad.cross(*_on_tensors(a2, b3)).data, np.cross(a3, b3), rtol=1e-12)
    np.testing.assert_allclose(ad.cross(*_on_tensors(b3, a2)).data, np.cross(b3, a3), rtol=1e-12)
    for pair in ((a2, b2), (a2, b3), (b3, a2)):
        ad.gradcheck(ad.cross, list(pair))
        ad.gradgradcheck(lambda p, q: ad.cross(p, q) ** 2, list(pair))


@pytest.mark.parametrize("call,message", [
    (lambda t: ad.vsplit(t[0], 2), "vsplit only works on arrays of 2 or more dimensions"),
    (lambda t: ad.dsplit(t, 2), "dsplit only works on arrays of 3 or more dimensions"),
    (lambda t: ad.vstack(t for t in [t]), "vstack: arrays to stack must be passed as a sequence"),
    (lambda t: ad.hstack([]), "hstack: needs at least one array"),
    (lambda t: ad.select([t > 0], [t, t]), "select: list of cases must be same length as list of conditions"),
    (lambda t: ad.select([t], [t]), "select: invalid entry 0 in condlist: should be boolean"),
    (lambda t: ad.select([], []), "select with an empty condition list is not possible"),
    (lambda t: ad.rot90(t, axes=(1, 1)), r"rot90: axes must be different"),
    (lambda t: ad.rot90(t, axes=(0, 3)), r"rot90: axes=\(0, 3\) out of range"),
    (lambda t: ad.rollaxis(t, 0, 4), "rollaxis: 'start' arg requires -2 <= start < 3, but 4"),
    (lambda t: ad.diff(t, -1), "diff: order must be non-negative but got -1"),
    (lambda t: ad.diff(t[0, 0]), "diff requires input that is at least one dimensional"),
    (lambda t: ad.gradient(t[:1]), r"gradient: shape \(1, 4\) is too small along axis 0"),
    (lambda t: ad.gradient(t, edge_order=3), "gradient: edge_order must be 1 or 2"),
    (lambda t: ad.gradient(t, [0.0, 1.0], 1.0), "distances must match the length"),
    (lambda t: ad.gradient(t, 1.0, 1.0, 1.0), "gradient: invalid number of spacing arguments"),
    (lambda t: ad.cross(t, t), r"cross: incompatible dimensions .* got vectors of 4 and 4"),
    (lambda t: ad.partition(t, 1, order="x"), "partition: order= names fields of structured arrays"),
    (lambda t: ad.fliplr(t[0]), "fliplr: needs at least 2 dimensions"),
    (lambda t: ad.vstack([t], dtype=np.int32), "vstack: cannot cast from float32 to int32 according to the rule"),
])
def test_the_new_numpy_functions_refuse_with_numpys_reasons(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(ad.tensor(np.ones((3, 4)), dtype=np.float32, requires_grad=True))
# ---- end of issue 20's tests
