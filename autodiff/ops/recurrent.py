"""The step of a recurrent layer as one op: an LSTM cell.

A recurrent layer runs one step per time step; written with the element-wise
ops, an LSTM step is sixteen recorded ops, and on small batches each op's
bookkeeping costs more than its arithmetic.  As one op it is one node, and its
rule reads the gates the forward kept (its own output) instead of recording
them.
"""
from .. import backend
from .. import functional as F
from ..function import Function
from ..registry import register


@register("lstm_cell", methods=())
class LSTMCell(Function):
    """One LSTM step with Keras's gates i, f, c, o along the kernel's columns (tanh and sigmoid)::

        z = x + h @ recurrent_kernel          # x: the step's input term, x_t @ kernel + bias
        i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_c)
        c' = f * c + i * g;  h' = o * tanh(c')

    Args:
        x: the step's input term, shape (batch, 4 * units).
        state: h and c stacked, shape (2, batch, units).
        recurrent_kernel: shape (units, 4 * units).

    The sigmoids are computed as (1 + tanh(z / 2)) / 2, a third of the time of
    the exp-based formula of ``ad.sigmoid`` and as exact in absolute terms.

    Returns:
        A Tensor of shape (6, batch, units): h', c', then the gates i, f, g, o.
            ``out[:2]`` is the next step's state and ``out[0]`` its output; the
            gates are what the gradient rule reads (as PyTorch's fused cell keeps
            its workspace), and they are differentiable like the rest.
    """

    retain_inputs = (1, 2)
    retain_output = True

    def forward(self, x, state, recurrent_kernel):
        units = recurrent_kernel.shape[0]
        if (recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != 4 * units or state.ndim != 3
                or state.shape[0] != 2 or state.shape[2] != units or x.shape[-1:] != (4 * units,)
                or x.ndim > 2):
            raise ValueError(f"lstm_cell: expected x (batch, 4 * units), state (2, batch, units) and recurrent_kernel "
                             f"(units, 4 * units), got x {x.shape}, state {state.shape} and recurrent_kernel "
                             f"{recurrent_kernel.shape}")
        batch = state.shape[1]
        z = x + state[0] @ recurrent_kernel                     # (batch, 4 * units)
        gates = z.reshape(batch, 4, units).transpose(1, 0, 2)   # (4, batch, units): i, f, g, o
        xp = backend.xp(z)
        out = xp.empty((6, batch, units), dtype=z.dtype)
        half = z.dtype.type(0.5)
        # sigmoid(z) = (1 + tanh(z / 2)) / 2 (a gate of 1e-9 comes out as 0, which no gate tells apart)
        xp.multiply(gates, half, out=out[2:])
        xp.tanh(out[2:], out=out[2:])
        out[2:4] *= half
        out[2:4] += half
        out[5] *= half
        out[5] += half
        xp.tanh(gates[2], out=out[4])
        i, f, g, o = out[2], out[3], out[4], out[5]
        xp.multiply(f, state[1], out=out[1])
        out[1] += i * g
        xp.tanh(out[1], out=out[0])
        out[0] *= o
        return out

    def backward(self, grad, state, recurrent_kernel, out):
        batch, units = state.shape[1], state.shape[2]
        c, i, f, g, o = out[1], out[2], out[3], out[4], out[5]
        tanh_c = F.tanh(c)
        dh = grad[0]
        dc = grad[1] + dh * o * (1 - tanh_c * tanh_c)
        dz = F.concatenate([(dc * g + grad[2]) * i * (1 - i),            # (batch, 4 * units), z's columns
                            (dc * state[1] + grad[3]) * f * (1 - f),
                            (dc * i + grad[4]) * (1 - g * g),
                            (dh * tanh_c + grad[5]) * o * (1 - o)], axis=-1)
        need = self.needs_input_grad
        return (self.unbroadcast(dz, 0) if need[0] else None,
                self.unbroadcast(F.concatenate([(dz @ recurrent_kernel.T).reshape(1, batch, units),
                                                (dc * f).reshape(1, batch, units)]), 1) if need[1] else None,
                self.unbroadcast(state[0].T @ dz, 2) if need[2] else None)
