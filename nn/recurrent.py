"""Recurrent layers (SimpleRNN, LSTM, GRU) and the wrappers around them (Bidirectional, TimeDistributed).

Keras 3's arguments, defaults, weights and equations.  The recurrence is a loop of recorded
ops over the time steps: the input projection of every step is one matrix product before
the loop, each step is one product with the recurrent kernel, and every gate of a step is
cut from that product.  A mask (from ``Embedding(mask_zero=True)``, ``Masking`` or
``mask=``) carries the state over the masked steps, as Keras does; the output at a masked
step repeats the one before it (zeros before the first, and everywhere in a Bidirectional).
"""
import math

import autodiff as ad
from autodiff.extend import backend

from . import activations, initializers
from .layers import Layer, Symbol, get_mask, same_shape, set_mask


def _positive(value, what, layer):
    if not hasattr(value, "__index__") or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {what} must be a positive integer, got {value!r}")
    return int(value)


def _rate(value, what, layer):
    if not 0 <= value < 1:
        raise ValueError(f"{layer}: {what} must be in [0, 1), got {value!r}")
    return float(value)


def _symbols(layer, out, parents):
    """The symbols of a recorded call: one, or one per output when ``out`` lists several shapes."""
    if isinstance(out, list):
        symbols = [Symbol(shape, layer, parents, dtype=layer.dtype.name, index=i) for i, shape in enumerate(out)]
        for symbol in symbols:
            symbol.siblings = symbols
        return symbols
    return Symbol(out, layer, parents, dtype=layer.dtype.name)


def _steps(projected):
    """Each step's slice of (time, ...) inputs, cut from blocks of about sqrt(time) steps.

    A slice's gradient is a zero array of the whole it was cut from, with the slice's part
    filled in, and the gradients of all the slices are summed: cut straight from the sequence
    that costs time x sequence; through blocks, 2 sqrt(time) x sequence.
    """
    steps = projected.shape[0]
    size = max(1, math.isqrt(steps))
    for start in range(0, steps, size):
        block = projected[start:start + size]
        for i in range(block.shape[0]):
            yield block[i]


class _RNN(Layer):
    """What SimpleRNN, LSTM and GRU share: the arguments, the weights' shapes, the loop over time."""

    gates = 1                   # blocks of ``units`` columns in the kernels
    state_count = 1             # h (and c for an LSTM)
    zero_output_for_mask = False    # Keras's: zeros, not the last output, at masked steps (Bidirectional sets it)

    def _setup(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
               bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed):
        kind = type(self).__name__
        self.units = _positive(units, "units", kind)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.dropout = _rate(dropout, "dropout", kind)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", kind)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        # A seeded layer owns its generator: reproducible dropout, yet new masks on every call.
        self.rng = backend.generator(seed) if seed is not None else None

    # ------------------------------------------------------------ shapes and weights
    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: takes sequences of shape (batch, time, features) with the features "
                             f"known, got input shape {(None,) + tuple(input_shape)}")
        super().build(input_shape)
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer)
        self.bias = self.add_weight("bias", self.bias_shape(), self.make_bias) if self.use_bias else None

    def bias_shape(self):
        return (self.gates * self.units,)

    def make_bias(self, shape, dtype):
        return self.bias_initializer(shape, dtype=dtype)

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], self.units) if self.return_sequences else (self.units,)
        if self.return_state:
            return [out] + [(self.units,)] * self.state_count
        return out

    # ------------------------------------------------------------ calls
    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        """``layer(x)``, ``layer(x, initial_state=[h, c])`` or ``layer([x, h, c])``; ``mask`` (batch, time)
        booleans, else the one the input carries.  Returns the output, and the final states after it
        when ``return_state``."""
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        states = list(initial_state or [])
        if states and len(states) != self.state_count:
            raise ValueError(f"{self.name}: initial_state takes {self.state_count} tensor(s) of shape (batch, "
                             f"{self.units}), got {len(states)}")
        if isinstance(inputs, Symbol):
            return self._record_call(inputs, states)
        x = self._as_input(inputs)
        if mask is None:
            mask = get_mask(inputs)
        if not self.built:
            self.build(x.shape[1:])
        with ad.name_scope(self.name), self.mode(training):
            return self.forward(x, [self._as_input(s) for s in states], mask)

    def _record_call(self, x, states):
        if not all(isinstance(s, Symbol) for s in states):
            raise TypeError(f"{self.name}: called on a symbolic input, its initial_state must be symbols too")
        shape = x.shape[1:]
        if not self.built:
            self.build(shape)
        elif not same_shape(tuple(shape), tuple(self._input_shape)):
            raise ValueError(f"{self.name}: built for inputs of shape {self.input_shape}, called on {x.shape}")
        return _symbols(self, self.compute_output_shape(shape), (x, *states))

    def forward(self, x, states=(), mask=None):
        if x.ndim != 3 or x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self.name}: expected inputs of shape (batch, time, {self.kernel.shape[0]}), "
                             f"got {x.shape}")
        batch, steps = x.shape[0], x.shape[1]
        if steps == 0:
            raise ValueError(f"{self.name}: the sequences have no time steps (input shape {x.shape})")
        xp = backend.xp(x.data)
        for s in states:
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f"{self.name}: each initial state must have shape ({batch}, {self.units}), "
                                 f"got {s.shape}")
        if not states:
            states = [ad.as_tensor(xp.zeros((batch, self.units), dtype=x.dtype))] * self.state_count
        if mask is not None:
            mask = xp.asarray(mask, dtype=bool)
            if mask.shape != (batch, steps):
                raise ValueError(f"{self.name}: the mask must have shape (batch, time) = {(batch, steps)}, "
                                 f"got {mask.shape}")
        if self.go_backwards:
            x = ad.flip(x, axis=1)
            mask = mask[:, ::-1] if mask is not None else None
        recurrent_keep = None
        if self.training:               # one dropout mask per sequence, the same at every step (Keras's)
            if self.dropout:
                x = x * self._dropout_mask((batch, 1, x.shape[-1]), self.dropout, x.dtype)
            if self.recurrent_dropout:
                recurrent_keep = self._dropout_mask((batch, self.units), self.recurrent_dropout, x.dtype)
        projected = self.project_inputs(x.swapaxes(0, 1))          # (time, batch, gates * units), time-major
        outputs, previous = [], None
        for t, xw in enumerate(_steps(projected)):
            output, new_states = self.step(xw, states, recurrent_keep)
            if mask is not None:        # masked samples keep their state and repeat their last output
                keep = mask[:, t:t + 1]
                new_states = [ad.where(keep, new, old) for new, old in zip(new_states, states)]
                if previous is None or (self.zero_output_for_mask and self.return_sequences):
                    previous = ad.as_tensor(xp.zeros(output.shape, dtype=output.dtype))
                output = ad.where(keep, output, previous)
            states, previous = new_states, output
            if self.return_sequences:
                outputs.append(output)
        out = ad.stack(outputs, axis=1) if self.return_sequences else previous
        if self.return_sequences and mask is not None:
            set_mask(out, mask[:, ::-1] if self.go_backwards else mask)
        return [out] + list(states) if self.return_state else out

    def _dropout_mask(self, shape, rate, dtype):
        keep = (self.rng or backend.generator()).random(shape) >= rate
        return keep.astype(dtype) / dtype.type(1 - rate)

    def project_inputs(self, x):
        """Every step's input term in one product: x @ kernel (+ bias)."""
        return ad.linear(x, self.kernel, self.bias)

    def recurrent(self, h, keep):
        return (h if keep is None else h * keep) @ self.recurrent_kernel


class SimpleRNN(_RNN):
    """``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; the output is h."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, seed=None, input_shape=None,
                 name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self._setup(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def step(self, xw, states, keep):
        h = self.activation(xw + self.recurrent(states[0], keep))
        return h, [h]


class LSTM(_RNN):
    """Keras's LSTM: gates i, f, c, o in that order along the kernels' columns::

        z = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, o = recurrent_activation(z_i, z_f, z_o);  g = activation(z_c)
        c_t = f * c + i * g;  h_t = o * activation(c_t)

    ``unit_forget_bias`` starts the forget gate's bias at 1.  States [h, c]; the output is h.
    """

    gates, state_count = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, seed=None, input_shape=None, name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def make_bias(self, shape, dtype):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype=dtype)
        u = self.units
        parts = [self.bias_initializer((u,), dtype=dtype), initializers.Ones()((u,), dtype=dtype),
                 self.bias_initializer((2 * u,), dtype=dtype)]
        return backend.xp(parts[0]).concatenate(parts)

    def step(self, xw, states, keep):
        h, c = states
        i, f, g, o = ad.split(xw + self.recurrent(h, keep), 4, axis=-1)
        gate = self.recurrent_activation
        c = gate(f) * c + gate(i) * self.activation(g)
        h = gate(o) * self.activation(c)
        return h, [h, c]


class GRU(_RNN):
    """Keras's GRU: gates z (update), r (reset), h (candidate) in that order along the kernels' columns::

        z = recurrent_activation(x_z + h @ U_z);  r = recurrent_activation(x_r + h @ U_r)
        reset_after (Keras 3's default):  g = activation(x_h + r * (h @ U_h + b_h'))
        else:                             g = activation(x_h + (r * h) @ U_h)
        h_t = z * h + (1 - z) * g

    With ``reset_after`` the bias is (2, 3 * units): row 0 for the inputs, row 1 for the recurrent term.
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, reset_after=True, seed=None, input_shape=None, name=None, dtype=None):
        super().__init__(name, input_shape, dtype)
        self.reset_after = bool(reset_after)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards, seed)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def project_inputs(self, x):
        if self.bias is not None and self.reset_after:
            return ad.linear(x, self.kernel, self.bias[0])
        return super().project_inputs(x)

    def step(self, xw, states, keep):
        h = states[0] if keep is None else states[0] * keep      # Keras 3 drops h for the update too
        u, gate = self.units, self.recurrent_activation
        x_z, x_r, x_h = ad.split(xw, 3, axis=-1)
        if self.reset_after:
            inner = h @ self.recurrent_kernel
            if self.bias is not None:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = ad.split(inner, 3, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            g = self.activation(x_h + r * r_h)
        else:
            r_z, r_r = ad.split(h @ self.recurrent_kernel[:, :2 * u], 2, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            g = self.activation(x_h + (r * h) @ self.recurrent_kernel[:, 2 * u:])
        h = z * h + (1 - z) * g
        return h, [h]


# ------------------------------------------------------------------ wrappers
def _serialize(layer):
    """A wrapped layer's entry, without its input shape: the wrapper builds it (once, for the file's weights)."""
    from . import saving            # saving reads this module's classes: imported when first needed
    entry = saving.serialize(layer, "layer")
    entry["config"].pop("input_shape", None)
    return entry


def _deserialize(entry):
    from . import saving
    return saving.deserialize(saving.LAYERS, entry, "layer")


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards over the sequence, and merge the two:
    ``merge_mode`` "concat" (features side by side), "sum", "mul", "ave", or None (a list of both).
    With ``return_sequences`` the backward outputs are put back in time order before merging.
    With ``return_state`` the forward layer's states then the backward layer's follow the output."""

    MERGES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, input_shape=None, name=None):
        layer = _deserialize(layer) if isinstance(layer, dict) else layer          # from a configuration
        backward_layer = _deserialize(backward_layer) if isinstance(backward_layer, dict) else backward_layer
        for what, given in (("layer", layer), ("backward_layer", backward_layer)):
            if given is not None and not isinstance(given, _RNN):
                raise TypeError(f"Bidirectional: {what} must be a recurrent layer (SimpleRNN, LSTM, GRU), "
                                f"got {given!r:.80}")
        if merge_mode not in self.MERGES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {self.MERGES}, got {merge_mode!r}")
        super().__init__(name, input_shape)
        self.dtype = layer.dtype            # the wrapped layer's inputs are the wrapper's
        self.merge_mode = merge_mode
        # Fresh layers made from the given one's configuration (Keras's way: none of its state carries over)
        config = layer.get_config()
        config.pop("input_shape", None)
        base = config["name"].removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{base}"})
        if backward_layer is None:
            backward_layer = type(layer).from_config({**config, "name": f"backward_{base}", "go_backwards": True})
        self.backward_layer = backward_layer
        for inner in (self.forward_layer, self.backward_layer):   # as Keras: the merge sees zeros at masked steps
            inner.zero_output_for_mask = inner.return_sequences
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.forward_layer),
                "backward_layer": _serialize(self.backward_layer)}

    def build(self, input_shape):
        super().build(input_shape)
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(input_shape)

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = out[1:] if self.return_state else []
        out = out[0] if self.return_state else out
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (2 * out[-1],)
        outs = [out, out] if self.merge_mode is None else [out]
        return outs + states + states if self.return_state or self.merge_mode is None else out

    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:]) or initial_state
        states = list(initial_state or [])
        if isinstance(inputs, Symbol):
            if not self.built:
                self.build(inputs.shape[1:])
            return _symbols(self, self.compute_output_shape(inputs.shape[1:]), (inputs, *states))
        if mask is None:
            mask = get_mask(inputs)
        x = self._as_input(inputs)
        if not self.built:
            self.build(x.shape[1:])
        half = len(states) // 2
        with ad.name_scope(self.name), self.mode(training):
            forward = self.forward_layer(x, states[:half] or None, mask=mask)
            backward = self.backward_layer(x, states[half:] or None, mask=mask)
        forward_states = backward_states = []
        if self.return_state:
            (forward, *forward_states), (backward, *backward_states) = forward, backward
        if self.return_sequences:
            backward = ad.flip(backward, axis=1)
        if self.merge_mode == "concat":
            out = ad.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            out = forward + backward
        elif self.merge_mode == "mul":
            out = forward * backward
        elif self.merge_mode == "ave":
            out = (forward + backward) * forward.dtype.type(0.5)
        else:
            out = [forward, backward]
        if self.return_sequences and mask is not None:
            for o in out if isinstance(out, list) else [out]:
                set_mask(o, mask)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + forward_states + backward_states
        return out


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step alike: (batch, time, ...) -> (batch, time, layer's output ...)."""

    def __init__(self, layer, input_shape=None, name=None):
        layer = _deserialize(layer) if isinstance(layer, dict) else layer          # from a configuration
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: wraps a layer, got {layer!r:.80}")
        super().__init__(name, input_shape)
        self.dtype = layer.dtype
        self.layer = layer

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: takes inputs of shape (batch, time, ...), got {(None,) + tuple(input_shape)}")
        super().build(input_shape)
        if not self.layer.built:
            self.layer.build(tuple(input_shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.layer.compute_output_shape(tuple(input_shape[1:])))

    def forward(self, x):
        batch, steps = x.shape[0], x.shape[1]
        out = self.layer(x.reshape((batch * steps,) + tuple(x.shape[2:])))
        out = out.reshape((batch, steps) + tuple(out.shape[1:]))
        mask = get_mask(x)
        return set_mask(out, mask) if mask is not None else out

