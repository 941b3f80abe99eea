"""2-D convolution and pooling, channels-last (Keras's layout) with channels-first accepted.

A convolution is one matrix product per layer (im2col): a strided window view
of the padded input, copied once into a matrix of patches, times the kernel.
Its gradients are two more such ops, and the three are one trilinear form
<conv(x, w), g> seen from each side:

    Conv2d(x, w)            -> y     gradients: InputGrad(g, w), KernelGrad(x, g)
    Conv2dInputGrad(g, w)   -> dx    gradients: Conv2d(h, w),    KernelGrad(h, g)
    Conv2dKernelGrad(x, g)  -> dw    gradients: InputGrad(g, h), Conv2d(x, h)

so each rule is one line and derivatives of every order come from the same three
forwards.  The input gradient is one product per kernel offset, each scattered
back with one slice-add (kh * kw of them): no Python loop over pixels or batch items.
Pooling is a gather of the chosen values (max: the first arg-max of each window,
as PyTorch) or a sum of strided slices (average), so its gradients are those of
indexing.
"""
import itertools
import math

from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register
from ..tensor import apply
from .linalg import add_bias_and_relu, relu_mask


class Geometry:
    """Kernel size, strides, dilation, padding and groups of one convolution, with the output size."""

    def __init__(self, x_shape, kernel_hw, strides, dilation, padding, groups, op):
        self.kh, self.kw = kernel_hw
        self.sh, self.sw = _pair(strides, "strides", op)
        self.dh, self.dw = _pair(dilation, "dilation", op)
        self.groups = groups
        n, h, w, c = x_shape
        span_h, span_w = (self.kh - 1) * self.dh + 1, (self.kw - 1) * self.dw + 1
        self.pads = _pads(padding, (h, w), (span_h, span_w), (self.sh, self.sw), op)
        (top, bottom), (left, right) = self.pads
        self.ho = (h + top + bottom - span_h) // self.sh + 1
        self.wo = (w + left + right - span_w) // self.sw + 1
        if self.ho < 1 or self.wo < 1:
            raise ValueError(f"{op}: a {self.kh}x{self.kw} window (dilation {self.dh}, {self.dw}) does not fit an "
                             f"input of {h}x{w} with padding {padding!r}")
        self.x_shape = tuple(x_shape)

    def __repr__(self):
        return f"{self.kh}x{self.kw}/{self.sh}"

    def pad(self, x, value=0):
        (top, bottom), (left, right) = self.pads
        if not (top or bottom or left or right):
            return x
        return backend.xp(x).pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)

    def windows(self, padded):
        """A view (N, Ho, Wo, kh, kw, C) of every window, no copy."""
        xp = backend.xp(padded)
        span_h, span_w = (self.kh - 1) * self.dh + 1, (self.kw - 1) * self.dw + 1
        view = xp.lib.stride_tricks.sliding_window_view(padded, (span_h, span_w), axis=(1, 2))
        view = view[:, :(self.ho - 1) * self.sh + 1:self.sh, :(self.wo - 1) * self.sw + 1:self.sw, :,
                    ::self.dh, ::self.dw]
        return view.transpose(0, 1, 2, 4, 5, 3)

    def patches(self, x):
        """im2col: (groups, N*Ho*Wo, kh*kw*C/groups), each row one window of one group."""
        n, c = x.shape[0], x.shape[3]
        if c == 1:
            # One channel (a grayscale image): a window row holds kw single values, and copying
            # the window view would run one short loop per row.  Copied offset by offset into
            # (K, M) instead, each copy runs along whole image rows; the matrix products take
            # the transpose as it is.
            padded, xp = self.pad(x), backend.xp(x)
            cols = xp.empty((self.kh, self.kw, n, self.ho, self.wo), dtype=x.dtype)
            for i in range(self.kh):
                for j in range(self.kw):
                    cols[i, j] = _window_slice(padded, self, i * self.dh, j * self.dw)[..., 0]
            return cols.reshape(1, self.kh * self.kw, n * self.ho * self.wo).transpose(0, 2, 1)
        view = self.windows(self.pad(x))
        g = self.groups
        view = view.reshape(n, self.ho, self.wo, self.kh, self.kw, g, c // g)
        return view.transpose(5, 0, 1, 2, 3, 4, 6).reshape(g, n * self.ho * self.wo, self.kh * self.kw * (c // g))

    def kernel_matrix(self, kernel):
        """(groups, kh*kw*C/groups, Cout/groups) from a (kh, kw, C/groups, Cout) kernel."""
        g = self.groups
        return kernel.reshape(-1, g, kernel.shape[3] // g).transpose(1, 0, 2)

    def rows(self, y):
        """(groups, N*Ho*Wo, Cout/groups) from an output-shaped (N, Ho, Wo, Cout) array."""
        g = self.groups
        return y.reshape(-1, g, y.shape[3] // g).transpose(1, 0, 2)


def _pair(value, name, op):
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair):
        raise ValueError(f"{op}: {name} must be a positive integer or a pair of them, got {value!r}")
    return pair


def _pads(padding, size, span, strides, op):
    """((top, bottom), (left, right)) for "valid", "same" (TensorFlow's split: the extra one after) or numbers."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        pads = []
        for n, k, s in zip(size, span, strides):
            total = max((math.ceil(n / s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        return ((padding, padding), (padding, padding))
    try:
        pads = tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)
        if len(pads) == 2 and all(len(p) == 2 and all(isinstance(v, int) and v >= 0 for v in p) for p in pads):
            return pads
    except TypeError:
        pass
    raise ValueError(f"{op}: padding must be 'valid', 'same', a non-negative integer, (h, w) or "
                     f"((top, bottom), (left, right)), got {padding!r}")


class Conv2d(Function):
    """conv(x, kernel) (+ bias, then relu when asked): as Linear, the bias is added and the ReLU applied
    in the output's own buffer, one node for a whole convolutional layer."""

    retain_inputs = (0, 1)

    def __init__(self, geometry, activation=None):
        super().__init__(geometry=geometry, activation=activation)

    def forward(self, x, kernel, bias=None):
        geo, xp = self.geometry, backend.xp(x)
        patches = geo.patches(x)
        out = xp.matmul(patches, geo.kernel_matrix(kernel))                     # (g, M, Cout/g)
        out = out.transpose(1, 0, 2).reshape(x.shape[0], geo.ho, geo.wo, kernel.shape[3])
        out = add_bias_and_relu(out, bias, self.activation)
        # Kept for backward: the patches (the kernel's gradient multiplies the same ones) and
        # where the ReLU passed (see relu_mask).
        self.saved = (patches if any(self.needs_input_grad[1:2]) else None, relu_mask(self, out))
        return out

    def backward(self, grad, x, kernel):
        patches, passed = self.saved
        if passed is not None:
            grad = F.where(passed, grad, 0)             # as Relu's rule: 0 at the kink
        need = self.needs_input_grad
        # unbroadcast gives each gradient its input's dtype: a float64 bias makes the output and its
        # gradient float64, and a float32 x and kernel still get float32 gradients (as linear does).
        return (self.unbroadcast(apply(Conv2dInputGrad(self.geometry), grad, kernel), 0) if need[0] else None,
                self.unbroadcast(apply(Conv2dKernelGrad(self.geometry, self.shapes[1], patches), x, grad), 1)
                if need[1] else None,
                self.unbroadcast(grad, 2) if len(need) > 2 and need[2] else None)     # summed over N, H, W

    def label(self):
        return f"conv2d({self.geometry!r}{', relu' if self.activation else ''})"


class Conv2dInputGrad(Function):
    """The adjoint of Conv2d in its input: patches of the gradient scattered back into the input's shape."""

    retain_inputs = (0, 1)

    def __init__(self, geometry):
        super().__init__(geometry=geometry)

    def forward(self, grad, kernel):
        geo, xp = self.geometry, backend.xp(grad)
        n, h, w, c = geo.x_shape
        g, offsets = geo.groups, geo.kh * geo.kw
        # One product per kernel offset (one matmul call): each offset's share of the input
        # gradient comes out image-shaped, (N, Ho, Wo, C), so the scatter below adds along whole
        # image rows instead of short runs of C values.
        per_offset = kernel.reshape(offsets, c // g, g, -1).transpose(2, 0, 3, 1)      # (g, kh*kw, Cout/g, C/g)
        parts = xp.matmul(geo.rows(grad)[:, None], per_offset)                          # (g, kh*kw, M, C/g)
        parts = parts.reshape(g, geo.kh, geo.kw, n, geo.ho, geo.wo, c // g)
        by_offset = parts.transpose(1, 2, 3, 4, 5, 0, 6)        # (kh, kw, N, Ho, Wo, g, C/g): views, no copy
        (top, bottom), (left, right) = geo.pads
        padded = xp.zeros((n, h + top + bottom, w + left + right, g, c // g), dtype=parts.dtype)
        for i in range(geo.kh):
            for j in range(geo.kw):
                rows = slice(i * geo.dh, i * geo.dh + (geo.ho - 1) * geo.sh + 1, geo.sh)
                cols = slice(j * geo.dw, j * geo.dw + (geo.wo - 1) * geo.sw + 1, geo.sw)
                padded[:, rows, cols] += by_offset[i, j]
        return padded.reshape(n, h + top + bottom, w + left + right, c)[:, top:top + h, left:left + w, :]

    def backward(self, h, grad, kernel):
        need = self.needs_input_grad
        return (apply(Conv2d(self.geometry), h, kernel) if need[0] else None,
                apply(Conv2dKernelGrad(self.geometry, self.shapes[1]), h, grad) if need[1] else None)


class Conv2dKernelGrad(Function):
    """The adjoint of Conv2d in its kernel: the patches of x times the output gradient."""

    retain_inputs = (0, 1)

    def __init__(self, geometry, kernel_shape, patches=None):
        super().__init__(geometry=geometry, kernel_shape=tuple(kernel_shape))
        self.patches = patches                # im2col of x, when the forward already made it

    def forward(self, x, grad):
        geo = self.geometry
        patches = self.patches if self.patches is not None else geo.patches(x)
        self.patches = None
        dk = backend.xp(x).matmul(patches.transpose(0, 2, 1), geo.rows(grad))   # (g, K, Cout/g)
        return dk.transpose(1, 0, 2).reshape(self.kernel_shape)

    def backward(self, h, x, grad):
        need = self.needs_input_grad
        return (apply(Conv2dInputGrad(self.geometry), grad, h) if need[0] else None,
                apply(Conv2d(self.geometry), x, h) if need[1] else None)


def _channels_last(x, data_format, op):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expects a batch of images (N, H, W, C) ({data_format}: "
                         f"{'(N, C, H, W)' if data_format == 'channels_first' else '(N, H, W, C)'}), got shape {x.shape}")
    return F.transpose(x, (0, 2, 3, 1)) if data_format == "channels_first" else x


@register("conv2d")
def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, groups=1, data_format="channels_last",
           activation=None):
    """A 2-D convolution (a cross-correlation, as in every framework), in Keras's layout by default.

    Args:
        x: a Tensor of images: (N, H, W, C) channels-last, (N, C, H, W) channels-first.
        kernel: a Tensor: (kh, kw, C / groups, filters) channels-last (Keras's layout), (filters,
            C / groups, kh, kw) channels-first (PyTorch's).
        bias: a Tensor of shape (filters,), or None (the default): no bias.
        strides: the step between windows: an int or (sh, sw) (default 1).
        padding: ``"valid"`` (the default: no padding), ``"same"`` (output size ceil(H / sh), the extra
            cell after, as TensorFlow), an int, (h, w), or ((top, bottom), (left, right)); zeros.
        dilation: the spacing of kernel cells: an int or (dh, dw) (default 1).
        groups: split the channels into this many groups, each with its own filters (default 1);
            ``groups == C`` with ``filters == C * m`` is a depthwise convolution.
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.
        activation: None (the default) or ``"relu"``: the ReLU applied in the same op and buffer (as ``linear``).

    Returns:
        A Tensor of shape (N, Ho, Wo, filters) channels-last, (N, filters, Ho, Wo) channels-first, where
            ``Ho = (H + pads - dilation * (kh - 1) - 1) // sh + 1`` (likewise Wo).

    Raises:
        ValueError: when the shapes, groups, padding or arguments do not fit, or the window does not fit
            the padded input.
    """
    x = _channels_last(x, data_format, "conv2d")
    if kernel.ndim != 4:
        raise ValueError(f"conv2d: the kernel must have 4 dimensions, got shape {kernel.shape}")
    if data_format == "channels_first":
        kernel = F.transpose(kernel, (2, 3, 1, 0))
    c, filters = x.shape[3], kernel.shape[3]
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer (1 for an ordinary convolution), got {groups!r}")
    if c % groups or filters % groups or kernel.shape[2] * groups != c:
        raise ValueError(f"conv2d: an input of {c} channels, a kernel of shape {tuple(kernel.shape)} (kh, kw, "
                         f"in / groups, filters) and groups={groups} do not fit: in / groups must be "
                         f"{c // groups} and filters a multiple of groups")
    if activation not in (None, "relu"):
        raise ValueError(f"conv2d: activation must be None or 'relu', got {activation!r}")
    if bias is not None and tuple(bias.shape) != (filters,):
        raise ValueError(f"conv2d: the bias must have shape ({filters},), got {tuple(bias.shape)}")
    geometry = Geometry(x.shape, kernel.shape[:2], strides, dilation, padding, groups, "conv2d")
    fn = Conv2d(geometry, activation)
    out = apply(fn, x, kernel) if bias is None else apply(fn, x, kernel, bias)
    return F.transpose(out, (0, 3, 1, 2)) if data_format == "channels_first" else out


@register("conv1d")
def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, groups=1, data_format="channels_last"):
    """A 1-D convolution: ``conv2d`` over a height of 1.

    Args:
        x: a Tensor of sequences: (N, L, C) channels-last, (N, C, L) channels-first.
        kernel: a Tensor: (k, C / groups, filters) channels-last, (filters, C / groups, k) channels-first.
        bias: a Tensor of shape (filters,), or None (the default).
        strides: the step between windows, an int (default 1).
        padding: ``"valid"`` (the default), ``"same"``, an int, or (before, after).
        dilation: the spacing of kernel cells, an int (default 1).
        groups: split the channels into this many groups (default 1).
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.

    Returns:
        A Tensor of shape (N, Lo, filters) channels-last, (N, filters, Lo) channels-first.
    """
    if data_format == "channels_first":
        x, kernel = F.transpose(x, (0, 2, 1)), F.transpose(kernel, (2, 1, 0))
    pads = padding if isinstance(padding, str) else ((0, 0), (padding, padding) if isinstance(padding, int)
                                                     else tuple(padding))
    out = conv2d(F.expand_dims(x, 1), F.expand_dims(kernel, 0), bias, (1, strides), pads, (1, dilation), groups)
    out = F.squeeze(out, 1)
    return F.transpose(out, (0, 2, 1)) if data_format == "channels_first" else out


def _pool_geometry(x, pool_size, strides, padding, op):
    """The pooling's Geometry with each window clipped to the offsets that reach the input.

    Offsets that see only padding in every window change neither a maximum (the padding is
    -inf) nor a mean (padded cells are not counted): dropping them, and the padding only
    they would see, makes the cost follow the input and the output, not the window area
    (a 2000x2000 "same" window on a 5x5 image pools over 5x5 cells, not 4 million).
    """
    pool = _pair(pool_size, "pool_size", op)
    geo = Geometry(x.shape, pool, pool if strides is None else strides, 1, padding, 1, op)
    kernel, pads = [], []
    for k, s, n, (before, after), out in ((geo.kh, geo.sh, x.shape[1], geo.pads[0], geo.ho),
                                          (geo.kw, geo.sw, x.shape[2], geo.pads[1], geo.wo)):
        first, last = max(0, before - (out - 1) * s), min(k, before + n)      # offsets that reach the input
        kernel.append(last - first)
        pads.append((before - first, after - (k - last)))
    if tuple(kernel) == (geo.kh, geo.kw):
        return geo
    return Geometry(x.shape, tuple(kernel), (geo.sh, geo.sw), 1, tuple(pads), 1, op)


class MaxPool2d(Function):
    """The largest value of each window.  The rule is PoolGather's: the gather of each window's
    first arg-max (as PyTorch), whose masks the forward finds only when the op is recorded."""

    def __init__(self, geometry):
        super().__init__(geometry=geometry)

    def forward(self, x):
        geo, xp = self.geometry, backend.xp(x)
        offsets = list(itertools.product(range(geo.kh), range(geo.kw)))
        best = None
        for i, j in offsets:                          # the maximum, offset by offset
            part = _window_slice(x, geo, i, j)
            best = part.copy() if best is None else xp.maximum(best, part, out=best)
        chosen, taken = {}, None
        for i, j in offsets if any(self.needs_input_grad) else ():
            mask = _window_slice(x, geo, i, j) == best    # the first offset holding it, in window order
            if taken is None:
                taken = mask.copy()
            else:
                xp.greater(mask, taken, out=mask)         # holding it, and no earlier offset did
                taken |= mask
            chosen[i, j] = mask
        self.saved = chosen
        return best

    def backward(self, grad):
        return (apply(PoolScatter(self.geometry, self.saved, self.shapes[0]), grad),)

    def label(self):
        return f"max_pool2d({self.geometry!r})"


class PoolGather(Function):
    """Each window's chosen value: sum over window offsets of the offset's slice where it was chosen.

    ``chosen[i, j]`` (constant masks, one per offset) marks the windows whose
    pick sits at offset (i, j).  Linear in x; its adjoint is PoolScatter.
    """

    def __init__(self, geometry, chosen):
        super().__init__(geometry=geometry, chosen=chosen)

    def forward(self, x):
        geo, out = self.geometry, None
        for (i, j), mask in self.chosen.items():
            part = backend.where(mask, _window_slice(x, geo, i, j), 0)
            out = part if out is None else backend.xp(x).add(out, part, out=out)
        return out

    def backward(self, grad):
        return (apply(PoolScatter(self.geometry, self.chosen, self.shapes[0]), grad),)

    def label(self):
        return f"max_pool2d_gather({self.geometry!r})"


class PoolScatter(Function):
    """The adjoint of PoolGather: each window's gradient added back at its chosen position."""

    def __init__(self, geometry, chosen, shape):
        super().__init__(geometry=geometry, chosen=chosen, shape=tuple(shape))

    def forward(self, grad):
        geo, xp = self.geometry, backend.xp(grad)
        if (geo.sh, geo.sw) == (geo.kh, geo.kw):
            # Windows side by side: every cell they cover is written exactly once below, so only the
            # rows and columns past the last window need zeros (pool1 of the book: no 5.5 MB memset).
            out = xp.empty(self.shape, dtype=grad.dtype)
            out[:, geo.ho * geo.sh:] = 0
            out[:, :, geo.wo * geo.sw:] = 0
        else:
            out = xp.zeros(self.shape, dtype=grad.dtype)
        apart = geo.sh >= geo.kh and geo.sw >= geo.kw          # every cell in one window at most
        for (i, j), mask in self.chosen.items():
            target = _window_slice(out, geo, i, j)
            if apart:
                backend.where(mask, grad, 0, out=target)        # written in place: no sum to make
            else:
                target += backend.where(mask, grad, 0)
        return out

    def backward(self, grad):
        return (apply(PoolGather(self.geometry, self.chosen), grad),)


def _window_slice(x, geo, i, j):
    """The (N, Ho, Wo, C) view of the values at cell (i, j) of every window (input cells, dilation included)."""
    return x[:, i:i + (geo.ho - 1) * geo.sh + 1:geo.sh, j:j + (geo.wo - 1) * geo.sw + 1:geo.sw, :]


@register("max_pool2d")
def max_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """The largest value of each window; its gradient goes to the window's first arg-max (as PyTorch).

    Args:
        x: a Tensor of images: (N, H, W, C) channels-last, (N, C, H, W) channels-first.
        pool_size: the window: an int or (h, w) (default 2).
        strides: the step between windows: an int or a pair; None (the default): ``pool_size``.
        padding: ``"valid"`` (the default) or ``"same"`` (padded cells never win), or numbers as ``conv2d``'s.
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.

    Returns:
        A Tensor of shape (N, Ho, Wo, C) channels-last, (N, C, Ho, Wo) channels-first.
    """
    x = _channels_last(x, data_format, "max_pool2d")
    geo = _pool_geometry(x, pool_size, strides, padding, "max_pool2d")
    padded = x if not any(p for pair in geo.pads for p in pair) else F.pad(
        x, ((0, 0),) + geo.pads + ((0, 0),), constant_values=-math.inf)
    out = apply(MaxPool2d(geo), padded)
    return F.transpose(out, (0, 3, 1, 2)) if data_format == "channels_first" else out


@register("avg_pool2d")
def avg_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """The mean of each window; with padding, the padded cells are not counted (as Keras).

    Args:
        x: a Tensor of images: (N, H, W, C) channels-last, (N, C, H, W) channels-first.
        pool_size: the window: an int or (h, w) (default 2).
        strides: the step between windows: an int or a pair; None (the default): ``pool_size``.
        padding: ``"valid"`` (the default) or ``"same"``, or numbers as ``conv2d``'s.
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.

    Returns:
        A Tensor of shape (N, Ho, Wo, C) channels-last, (N, C, Ho, Wo) channels-first.
    """
    x = _channels_last(x, data_format, "avg_pool2d")
    geo = _pool_geometry(x, pool_size, strides, padding, "avg_pool2d")
    padded = F.pad(x, ((0, 0),) + geo.pads + ((0, 0),)) if any(p for pair in geo.pads for p in pair) else x
    total = None
    for i in range(geo.kh):
        for j in range(geo.kw):
            part = padded[:, i:i + (geo.ho - 1) * geo.sh + 1:geo.sh, j:j + (geo.wo - 1) * geo.sw + 1:geo.sw, :]
            total = part if total is None else total + part
    ones = backend.ones((1,) + tuple(x.shape[1:3]) + (1,), dtype=x.dtype)
    counts = geo.windows(geo.pad(ones)).sum(axis=(3, 4))               # (1, Ho, Wo, 1): cells inside
    out = total / counts
    return F.transpose(out, (0, 3, 1, 2)) if data_format == "channels_first" else out
