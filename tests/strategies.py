"""Shared Hypothesis strategies: float64 arrays on domains that keep away from kinks and poles."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Each domain maps to an element strategy.  Finite differences use eps=1e-6, so
# "away from a kink" only needs a margin much larger than that.
DOMAINS = {
    "real": st.floats(-2.0, 2.0),
    "positive": st.floats(0.2, 3.0),
    "nonzero": st.one_of(st.floats(-2.0, -0.1), st.floats(0.1, 2.0)),
    # Grids that never meet: max/min and comparisons between an "odd" and an
    # "even" array have no ties.
    "odd": st.integers(-40, 39).map(lambda k: (2 * k + 1) * 0.025),
    "even": st.integers(-40, 40).map(lambda k: 2 * k * 0.025),
    # Inside (-1, 1), away from the poles of arcsin, arccos and arctanh.
    "unit": st.floats(-0.9, 0.9),
    # Divisors whose ratio to an "odd" value is never a whole number: mod is smooth there.
    "divisor": st.sampled_from([0.7, 1.3, -2.9]),
    # Away from clip's bounds (-0.5, 0.7).
    "clip": st.sampled_from([-1.3, -0.9, -0.45, -0.1, 0.0, 0.3, 0.65, 0.8, 1.5]).flatmap(
        lambda c: st.floats(c - 0.04, c + 0.04)),
}


def arrays(shape, domain="real", unique=False):
    return hnp.arrays(np.float64, shape, elements=DOMAINS[domain], unique=unique)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def broadcast_pair(draw, domains=("real", "real")):
    """Two arrays whose shapes broadcast against each other (0-d, size-1 axes, extra leading axes)."""
    shapes_ = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return tuple(draw(arrays(s, d)) for s, d in zip(shapes_.input_shapes, domains))


@st.composite
def array_and_axis(draw, domain="real", unique=False):
    """An array with a reduction axis: None, an int (negative too) or a tuple, and keepdims."""
    x = draw(arrays(draw(shapes), domain, unique=unique))
    if x.ndim == 0:
        axis = draw(st.sampled_from([None, ()]))
    else:
        axis = draw(st.one_of(
            st.none(),
            st.integers(-x.ndim, x.ndim - 1),
            st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True).map(tuple)))
    return x, axis, draw(st.booleans())


@st.composite
def matmul_pair(draw):
    """Operands for matmul with NumPy's rules: 1-D, 2-D and broadcasting batches."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    a_shape = (k,) if draw(st.booleans()) and not batch.input_shapes[0] else batch.input_shapes[0] + (n, k)
    b_shape = (k,) if draw(st.booleans()) and not batch.input_shapes[1] else batch.input_shapes[1] + (k, m)
    return draw(arrays(a_shape)), draw(arrays(b_shape))
