"""The backward engine and the traps users of other engines fell into."""
import threading
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.function import unbroadcast


def leaf(values, dtype=np.float64):
    return ad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_a_node_used_twice_gets_the_sum_of_its_contributions():
    a = leaf(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_the_readme_example():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = ad.tensor(np.ones((2, 3)), requires_grad=True)
    y = (x @ w).relu().sum()
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(w.grad.data, [[4, 4, 4], [6, 6, 6]])


def test_leaves_accumulate_across_backward_calls_like_pytorch():
    x = leaf([1.0, 2.0])
    for _ in range(2):
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_retain_graph_allows_a_second_backward_and_accumulates_once_per_call():
    x = leaf([1.0, -2.0])
    y = (x * x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * 3 * x.data ** 2)


def test_backward_through_a_freed_graph_says_what_to_do():
    x = leaf([1.0, 2.0])
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_non_scalar_backward_needs_a_gradient():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad="):
        y.backward()
    y.backward(np.array([1.0, 10.0]))


def test_intermediates_keep_no_grad_unless_retained():
    x = leaf([1.0, 2.0])
    h = x * 3
    k = (x * 2).retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(k.grad.data, h.data)


def test_a_0d_leafs_grad_is_an_array_backed_tensor():
    x = ad.Tensor(np.float32(1), requires_grad=True)
    (x * 2.0).backward()
    assert isinstance(x.grad.data, np.ndarray) and x.grad.dtype == np.float32 and x.grad.shape == ()
    assert x.grad.numpy() == 2.0 and repr(x.grad) == "Tensor(2.)"
    (x * 2.0).backward()                                        # accumulates in place, still an array
    assert isinstance(x.grad.data, np.ndarray) and x.grad.item() == 4.0
    (g,) = ad.grad(x * 3.0, x)
    assert isinstance(g.data, np.ndarray) and repr(g) == "Tensor(3.)"


def test_grad_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = ad.grad((x ** 3).sum(), [x])
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    assert x.grad is None


def test_higher_order_derivatives():
    x = leaf(1.5)
    y = x ** 4
    (d1,) = ad.grad(y, [x], create_graph=True)
    (d2,) = ad.grad(d1, [x], create_graph=True)
    (d3,) = ad.grad(d2, [x])
    assert d1.item() == pytest.approx(4 * 1.5 ** 3)
    assert d2.item() == pytest.approx(12 * 1.5 ** 2)
    assert d3.item() == pytest.approx(24 * 1.5)


def test_backward_with_create_graph_gives_differentiable_grads():
    x = leaf([0.3, -0.7])
    x.sigmoid().sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    (second,) = ad.grad(first.sum(), [x])
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(second.data, s * (1 - s) * (1 - 2 * s))


def test_no_grad_records_nothing_as_context_and_decorator():
    x = leaf([1.0])
    with ad.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @ad.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ad.is_grad_enabled()
    assert (x * 2).requires_grad


def test_only_needed_gradients_are_computed():
    calls = []

    class Spy(ad.Function):
        retain_inputs = (0, 1)

        def forward(self, a, b):
            return a * b

        def backward(self, grad, a, b):
            calls.append(self.needs_input_grad)
            return (grad * b if self.needs_input_grad[0] else None,
                    grad * a if self.needs_input_grad[1] else None)

    w = leaf([1.0, 2.0])
    x = ad.tensor(np.array([3.0, 4.0]))
    w.apply(Spy(), x).sum().backward()
    assert calls == [(True, False)]
    assert x.grad is None


def test_a_wrong_gradient_shape_fails_loudly():
    class Broken(ad.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return (grad.sum(),)

    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"broken backward gave a gradient of shape \(\) .* input of shape \(2,\)"):
        x.apply(Broken()).sum().backward()


def test_two_gradients_never_share_a_buffer():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    c = leaf([[1.0, 2.0]])
    upstream = ad.tensor(np.ones((1, 2)))
    (c.reshape(2) + a).backward(upstream.reshape(2))
    assert not np.shares_memory(c.grad.data, a.grad.data)
    assert not np.shares_memory(c.grad.data, upstream.data)
    a.grad.data[:] = 7          # an optimizer updating one gradient in place
    assert b.grad.data.tolist() == [1.0, 1.0]


def test_a_chain_of_100000_ops_differentiates_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad.item() == pytest.approx(1.00001 ** 100_000, rel=1e-9)


def test_max_shares_the_gradient_equally_among_ties():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])
    m = leaf([[5.0, 5.0, 5.0], [1.0, 2.0, 0.0]])
    ad.min(m, axis=1).sum().backward()
    np.testing.assert_allclose(m.grad.data, [[1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])
    a, b = leaf([2.0, 1.0]), leaf([2.0, 3.0])
    ad.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 1.0])


def test_kinks_at_zero_follow_pytorch():
    for fn, expected in [(lambda t: t.relu(), 0.0), (lambda t: t.abs(), 0.0), (lambda t: t.sqrt(), np.inf)]:
        x = leaf([0.0])
        with np.errstate(divide="ignore"):
            fn(x).sum().backward()
        assert x.grad.data[0] == expected
    x = leaf([-1.0, -0.5, 0.7, 1.0])
    x.clip(-0.5, 0.7).sum().backward()       # bounds themselves pass the gradient
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 0])


def test_where_selects_so_nan_and_inf_in_the_branch_not_taken_stay_out():
    a = leaf([np.nan, 1.0, np.inf])
    b = leaf([2.0, np.inf, np.nan])
    cond = np.array([False, True, False])
    y = ad.where(cond, a, b)
    with np.errstate(invalid="ignore"):
        upstream = np.array([1.0, 2.0, 3.0])
        y.backward(upstream)
    np.testing.assert_array_equal(a.grad.data, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 0.0, 3.0])
    x = leaf([-1.0, 4.0])
    with np.errstate(invalid="ignore"):
        ad.where(x > 0, x.clip(min=1e-12).log(), x).sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_relu_gradient_selects_without_warnings_for_nan_inf_and_huge_upstream():
    # The masked product has a fast path whose finiteness check squares values:
    # huge but finite gradients must still pass through, and nothing may warn.
    x = leaf([1.0, -1.0, 2.0, -3.0], dtype=np.float32)
    upstream = np.array([np.nan, np.inf, 1e30, np.nan], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.relu().backward(upstream)
    np.testing.assert_array_equal(x.grad.data, np.array([np.nan, 0.0, 1e30, 0.0], dtype=np.float32))


def test_log_softmax_of_huge_logits_stays_finite():
    z = ad.tensor([[1e4, 0.0, -1e4], [1e4, 1e4 + 1, 1e4 - 1]], requires_grad=True)
    out = z.log_softmax()
    assert np.isfinite(out.data).all()
    out.backward(np.ones((2, 3), dtype=np.float32))
    assert np.isfinite(z.grad.data).all()
    assert np.isfinite(z.softmax().data).all() and np.isfinite(z.logsumexp(axis=1).data).all()
    assert z.sigmoid().data.tolist()[0] == [1.0, 0.5, 0.0]


def test_float32_in_float32_out_including_gradients():
    x = ad.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    assert x.dtype == np.float32
    y = x * np.float64(2.0) + 1.5 - np.float64(0.5) * x / 3
    assert y.dtype == np.float32
    loss = (y.sigmoid() @ x).logsumexp() + y.mean() + (2.0 ** y).max()
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32
    w = ad.tensor(np.ones((2, 2)), requires_grad=True)         # float64 mixed in
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64


def test_unbroadcast_restores_shape_and_dtype_of_arrays_and_tensors():
    for g in (np.ones((4, 2, 3)), ad.tensor(np.ones((4, 2, 3)))):
        reduced = unbroadcast(g, (2, 1), np.dtype(np.float32))
        assert type(reduced) is type(g)
        assert reduced.shape == (2, 1) and reduced.dtype == np.float32
        np.testing.assert_array_equal(np.asarray(reduced), np.full((2, 1), 12.0))


def test_gradcheck_catches_a_transposition_bug_that_an_all_ones_upstream_misses():
    class SloppyTranspose(ad.Function):
        def forward(self, a):
            return a.T.copy()

        def backward(self, grad):
            return (grad.reshape(self.shapes[0]),)   # wrong: should transpose back

    x = np.arange(9.0).reshape(3, 3)
    fn = lambda t: t.apply(SloppyTranspose())                # noqa: E731
    t = ad.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.ones((3, 3)))   # looks right under sum()
    with pytest.raises(ad.GradcheckError, match=r"input 0 .*worst at index \(\d, \d\): analytic .* numeric .* tolerance"):
        ad.gradcheck(fn, [x])


def test_gradgradcheck_catches_a_rule_that_is_not_differentiable():
    class ConstantRule(ad.Function):
        def forward(self, a):
            self.saved = 2 * a
            return a ** 2

        def backward(self, grad):
            return (grad * self.saved,)     # a constant array: its own derivative is lost

    fn = lambda t: t.apply(ConstantRule())                   # noqa: E731
    assert ad.gradcheck(fn, [np.array([1.0, 2.0])])
    with pytest.raises(ad.GradcheckError):
        ad.gradgradcheck(fn, [np.array([1.0, 2.0])])


def test_a_node_keeps_only_what_its_rule_declared_and_drops_it_after_backward():
    import gc
    import weakref
    x = leaf([0.5, 1.5])
    h = x * 2                  # exp's rule reads its output, not its input
    dropped = weakref.ref(h)
    y = h.exp()
    del h
    gc.collect()
    assert dropped() is None
    h = x * 3                  # log's rule reads its input: kept until backward
    kept = weakref.ref(h)
    z = (h.log() + y).sum()
    del h
    gc.collect()
    assert kept() is not None
    z.backward()
    gc.collect()
    assert kept() is None
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(2 * x.data) + 1 / x.data)
    with pytest.raises(RuntimeError, match=r"through sum was already freed.*retain_graph=True"):
        z.backward()


def test_a_rule_runs_on_arrays_without_create_graph_and_on_tensors_with_it():
    seen = []

    class Square(ad.Function):
        retain_inputs = (0,)

        def forward(self, a):
            return a * a

        def backward(self, grad, a):
            seen.append((type(grad), type(a)))
            return (grad * 2 * a,)

    x = leaf([1.0, -2.0])
    (g,) = ad.grad(x.apply(Square()).sum(), [x])
    (g2,) = ad.grad(x.apply(Square()).sum(), [x], create_graph=True)
    assert seen == [(np.ndarray, np.ndarray), (ad.Tensor, ad.Tensor)]
    np.testing.assert_array_equal(g.data, g2.data)
    (gg,) = ad.grad(g2.sum(), [x])
    np.testing.assert_array_equal(gg.data, [2.0, 2.0])


def test_functions_compute_on_arrays_as_numpy_and_record_on_tensors():
    a = np.array([[0.5, -1.0], [2.0, 0.0]])
    assert type(ad.exp(a)) is np.ndarray and type(ad.sum(a, axis=0)) is np.ndarray
    np.testing.assert_array_equal(ad.where(a > 0, a, 0), np.where(a > 0, a, 0))
    t = ad.tensor(a, requires_grad=True)
    out = ad.where(a > 0, ad.exp(t), 0)
    assert isinstance(out, ad.Tensor) and out.requires_grad
    np.testing.assert_array_equal(out.data, np.where(a > 0, np.exp(a), 0))


def test_a_function_instance_records_one_call_only():
    class Double(ad.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return (grad * 2,)

    fn = Double()
    x = leaf([1.0, 2.0])
    y = x.apply(fn)
    with pytest.raises(RuntimeError, match="already recorded a call.*new instance"):
        leaf([5.0]).apply(fn)
    y.sum().backward()                         # the first graph is intact
    assert x.grad.tolist() == [2.0, 2.0]
    assert ad.exp(x).grad_fn is not ad.exp(x).grad_fn     # the functions make one per call


def test_an_op_declared_in_one_place_is_a_function_a_method_and_differentiable_twice():
    from autodiff.registry import register

    @register("softsign_declared_in_a_test")
    class Softsign(ad.Function):
        retain_inputs = (0,)

        def forward(self, x):
            return x / (1 + abs(x))

        def backward(self, grad, x):
            return (grad / (1 + ad.abs(x)) ** 2,)

    x = np.array([-2.0, 0.5, 3.0])
    t = ad.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(t.softsign_declared_in_a_test().data, x / (1 + np.abs(x)))
    np.testing.assert_array_equal(ad.softsign_declared_in_a_test(x), x / (1 + np.abs(x)))   # on arrays: NumPy
    ad.gradcheck(ad.softsign_declared_in_a_test, [x])
    ad.gradgradcheck(ad.softsign_declared_in_a_test, [x])
    assert "softsign_declared_in_a_test" in ad.functional.__all__


def test_leading_axes_sums_by_blas_are_as_accurate_as_numpys():
    """A bias's gradient (the rows of a batch added up) runs as one matrix-vector product."""
    rng = np.random.default_rng(0)
    g = rng.standard_normal((64, 26, 26, 32)).astype(np.float32)
    exact = g.astype(np.float64).sum(axis=(0, 1, 2))
    fast = ad.backend.sum_leading(g, 3)
    numpy_error = np.abs(g.sum(axis=(0, 1, 2)) - exact).max()
    assert fast.shape == (32,) and fast.dtype == np.float32
    assert np.abs(fast - exact).max() <= 2 * numpy_error
    strided = g[:, ::2]                                          # not contiguous: NumPy's own sum
    np.testing.assert_array_equal(ad.backend.sum_leading(strided, 3), strided.sum(axis=(0, 1, 2)))
    flat = rng.standard_normal(100000).astype(np.float32)        # down to one number: NumPy's pairwise sum
    assert ad.backend.sum_leading(flat, 1) == flat.sum()
    x = ad.tensor(rng.standard_normal((5, 3)), dtype=np.float64, requires_grad=True)
    b = ad.tensor(rng.standard_normal(3), dtype=np.float64, requires_grad=True)
    upstream = rng.standard_normal((5, 3))
    (x + b).backward(upstream)
    np.testing.assert_allclose(b.grad.data, upstream.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("shape", [(64, 26, 26, 32), (7, 1000, 3), (3, 5000), (100, 10), (20000,)])
def test_bias_and_relu_seen_as_long_rows_equal_numpys(shape):
    """backend.add_bias and backend.relu view the array as rows of PERIOD values (and a tail): the same numbers."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::997] = np.nan
    bias = rng.standard_normal(shape[-1]).astype(np.float32)
    out = x.copy()
    assert ad.backend.add_bias(out, bias) is out
    np.testing.assert_array_equal(out, x + bias)
    np.testing.assert_array_equal(ad.backend.relu(x), np.maximum(x, 0))       # NaN stays NaN
    in_place = x.copy()
    assert ad.backend.relu(in_place, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, np.maximum(x, 0))
    strided = x[..., ::2]                                            # not contiguous: NumPy's own ufunc
    np.testing.assert_array_equal(ad.backend.relu(strided), np.maximum(strided, 0))
    doubles = x.astype(np.float64)                                   # a bias of another dtype: plain add
    np.testing.assert_array_equal(ad.backend.add_bias(doubles.copy(), bias), doubles + bias)
    if shape[-1] > 100:
        return
    rows = np.nan_to_num(x).reshape(-1, shape[-1])                   # the linear op goes through both
    layer = ad.linear(ad.tensor(rows), ad.tensor(np.eye(shape[-1], dtype=np.float32)), ad.tensor(bias),
                      activation="relu")
    np.testing.assert_array_equal(layer.data, np.maximum(rows + bias, 0))


# ------------------------------------------------------------------ found by the reliability review
@pytest.mark.parametrize("other_dtype", [np.float64, np.int64])
def test_concatenate_and_stack_of_mixed_dtypes_give_each_input_its_own_gradient(other_dtype):
    a = leaf([1.0, 2.0], np.float32)
    b = ad.tensor(np.array([3, 4], dtype=other_dtype), requires_grad=other_dtype == np.float64)
    for join in (ad.concatenate, ad.stack):
        a.grad = b.grad = None
        out = join([a, b])
        (out * ad.tensor(np.arange(out.size, dtype=out.dtype).reshape(out.shape))).sum().backward()
        assert a.grad.dtype == np.float32 and a.grad.tolist() == [0.0, 1.0]
        if b.requires_grad:
            assert b.grad.dtype == np.float64 and b.grad.tolist() == [2.0, 3.0]


def test_grad_mode_is_per_thread_and_no_grad_is_reentrant():
    @ad.no_grad()
    def countdown(n):
        return countdown(n - 1) if n else ad.is_grad_enabled()

    assert countdown(3) is False and ad.is_grad_enabled()
    manager = ad.no_grad()
    with manager:
        with manager:
            pass
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def inference():
        with ad.no_grad(), ad.name_scope("other_thread"):
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=inference)
    thread.start()
    inside.wait(5)
    x = leaf([1.0, 2.0])
    y = (x * x).sum()                  # this thread still records, outside the other's scope
    seen["records"], seen["scope"] = y.requires_grad, y.scope
    y.backward()
    release.set()
    thread.join()
    assert seen == {"records": True, "scope": None} and x.grad.tolist() == [2.0, 4.0]


def test_powers_at_zero_have_pytorchs_gradients_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = leaf([0.0, 2.0])
        (x ** 0).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
        b = leaf([0.0, 1.5])
        (ad.tensor([0.0, 0.0]) ** b).sum().backward()
        assert b.grad.tolist() == [0.0, 0.0]
        z = leaf([[1.0, 2.0, 3.0]])
        (z.log_softmax() ** 0).sum().backward()
        assert np.isfinite(z.grad.data).all()


def test_anomaly_mode_names_the_op_its_inputs_and_the_line_that_made_it():
    x = leaf([1.0, 0.0])
    assert not ad.is_anomaly_enabled()
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError, match=r"log produced NaN or inf .*\(2,\) float64.*test_engine.py"):
            with np.errstate(divide="ignore"):
                x.log()
        y = x.sqrt()                                              # finite forward, infinite gradient at 0
        with pytest.raises(ad.AnomalyError, match=r"sqrt returned NaN or inf in the gradient.*y = x.sqrt\(\)"):
            with np.errstate(divide="ignore"):
                y.sum().backward()
    assert not ad.is_anomaly_enabled()
    with np.errstate(divide="ignore", invalid="ignore"):
        nan = (x.log() * 0).sum()                                  # off: NaN propagates honestly
        assert np.isnan(nan.item())
    ad.set_detect_anomaly(True)
    try:
        with pytest.raises(ad.AnomalyError):
            with np.errstate(divide="ignore"):
                x.log()
    finally:
        ad.set_detect_anomaly(False)


# ------------------------------------------------------------------ slices' gradients (function.Scattered)
def test_the_gradients_of_many_slices_add_into_one_array_as_the_dense_sum():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 4))
    upstream = rng.standard_normal((6, 4))
    x = leaf(data)
    pieces = [x[t] for t in range(6)] + [x[1:4, ::2], x[np.array([0, 2, 0])], x[data > 0.5], x[..., 1]]
    total = sum(((p * p) * 1.5).sum() for p in pieces) + (x * ad.tensor(upstream)).sum()
    total.backward()
    expected = 2 * 1.5 * data + upstream                      # each row once
    expected[1:4, ::2] += 2 * 1.5 * data[1:4, ::2]
    np.add.at(expected, np.array([0, 2, 0]), 2 * 1.5 * data[[0, 2, 0]])
    expected[data > 0.5] += 2 * 1.5 * data[data > 0.5]
    expected[..., 1] += 2 * 1.5 * data[..., 1]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    # the same through ad.grad (the gradient returned, not deposited), and alone: one slice's gradient
    (g,) = ad.grad(x[2:3].sum() * 2.0, [x])
    np.testing.assert_array_equal(g.numpy(), np.r_[np.zeros((2, 4)), np.full((1, 4), 2.0), np.zeros((3, 4))])


def test_a_gradient_shared_with_another_input_is_never_written_in_place():
    # add's rule hands the same upstream array to both of its inputs: x's pending gradient is then
    # that shared array, and the slice's share must go into a copy of it, never into it
    x = leaf([1.0, 2.0, 3.0])
    upstream = np.array([1.0, 10.0, 100.0])
    kept = upstream.copy()
    (x + x[::-1]).backward(ad.tensor(upstream))
    np.testing.assert_array_equal(x.grad.numpy(), kept + kept[::-1])
    np.testing.assert_array_equal(upstream, kept)


def test_a_slices_gradient_after_a_0d_rules_numpy_scalar():
    # a rule on a 0-d array may give a NumPy scalar, which no sum can be written into
    a = leaf(2.0, np.float32)
    (a * 3.0 + a[None].sum() + a[...] * 2.0).backward()
    assert a.grad.dtype == np.float32 and a.grad.item() == 6.0


def test_gradients_summed_in_place_keep_a_retained_graph_intact():
    rng = np.random.default_rng(1)
    x = leaf(rng.standard_normal((5, 3)))
    y = (x[1:] * x[:-1]).sum() + x[2].exp().sum() + (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-15)


@pytest.mark.parametrize("out_shape, index_shape", [((28, 4), (6, 5)), ((5,), (9,)), ((4, 3, 2), (7,)),
                                                     ((3, 2), (0,))])
def test_scatter_add_by_rows_equals_numpys_add_at(out_shape, index_shape):
    from autodiff import backend
    rng = np.random.default_rng(2)
    out = rng.standard_normal(out_shape).astype(np.float32)
    index = rng.integers(-out_shape[0], out_shape[0], size=index_shape)       # repeats and negative ids
    values = rng.standard_normal(index_shape + out_shape[1:]).astype(np.float32)
    expected = out.copy()
    np.add.at(expected, index, values)
    backend.scatter_add(out, index, values)
    # summed per row first, then added: float32 rounding of a different order
    np.testing.assert_allclose(out, expected, rtol=0, atol=16 * np.finfo(np.float32).eps * (1 + np.abs(values).sum()))
    strided = np.zeros((6, 4))[::2]                           # not contiguous: NumPy's add.at, still right
    backend.scatter_add(strided, np.array([0, 0, 2]), np.ones((3, 4)))
    np.testing.assert_array_equal(strided, [[2] * 4, [0] * 4, [1] * 4])
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        backend.scatter_add(np.zeros((3, 2)), np.array([-1, 3]), np.ones((2, 2)))
    rows = np.zeros((256, 2))                                 # byte ids: row + size must not wrap in uint8
    backend.scatter_add(rows, np.array([255, 1, 255], np.uint8), np.ones((3, 2)))
    assert rows[255].tolist() == [2.0, 2.0] and rows[1].tolist() == [1.0, 1.0] and rows.sum() == 6.0
