"""A stack of recurrent layers: run a sequence, step through it, backpropagate through time."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from model.cells import CELLS
from model.cells.common import CellGrads
from model.layer import GATE_COUNT, PEEPHOLE_COUNT, Layer
from model.trace import Gradients, LayerState, LayerTrace, State, StepRecord, Trace


class Network:
    """Layers bottom first; layer k reads the hidden states of layer k-1."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        if not layers:
            raise ValueError("a network needs at least one layer")
        for below, above in itertools.pairwise(layers):
            if above.input_size != below.hidden_size:
                raise ValueError(
                    f"layer sizes do not chain: a layer of {below.hidden_size} units feeds a "
                    f"layer expecting {above.input_size} inputs"
                )
            if above.dtype != below.dtype:
                raise ValueError(f"layers mix {below.dtype} and {above.dtype}")
        self.layers: tuple[Layer, ...] = tuple(layers)

    def __repr__(self) -> str:
        sizes = (self.input_size, *(layer.hidden_size for layer in self.layers))
        shape = "→".join(str(n) for n in sizes)
        return f"Network({self.kind}, {shape}, {self.dtype})"

    @property
    def kind(self) -> str:
        """The top layer's kind (what the page draws)."""
        return self.layers[-1].kind

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def hidden_size(self) -> int:
        return self.layers[-1].hidden_size

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype

    def astype(self, dtype: np.dtype | type) -> Network:
        return Network([layer.astype(dtype) for layer in self.layers])

    # -- forward ---------------------------------------------------------------------------

    def initial_state(self) -> State:
        """The layers' initial states (zeros unless a model set h0/c0), unbatched."""
        return tuple(_layer_state(layer, None) for layer in self.layers)

    def run(self, x: np.ndarray, state: State | None = None) -> Trace:
        """Run a sequence x, (T, input_size), or a batch, (T, B, input_size), recording all."""
        x3, batched = self._as_sequence(x)
        if state is not None and (isinstance(state, LayerState) or len(state) != len(self.layers)):
            got = "a bare LayerState" if isinstance(state, LayerState) else f"{len(state)}"
            raise ValueError(
                f"state must hold one LayerState per layer ({len(self.layers)}); got {got}"
            )
        B = x3.shape[1]
        layer_traces = []
        below = x3
        for k, layer in enumerate(self.layers):
            h0, c0 = _start(layer, None if state is None else state[k], B, k)
            record = CELLS[layer.kind].forward(layer, below, h0, c0)
            for array in (record, h0, c0):
                if array is not None:
                    array.setflags(write=False)
            traced = LayerTrace(layer, below, h0, c0, record, CELLS[layer.kind].SLOTS, batched)
            layer_traces.append(traced)
            below = _batched_view(traced, "h")
        return Trace(tuple(layer_traces))

    def step(self, state: State | None, x_t: np.ndarray) -> tuple[State, StepRecord]:
        """One step from ``state`` (None: the initial state) on one input vector x_t.

        Returns the new state and the step's record: ``record["f"]`` is the top layer's forget
        gate, (H,); ``record.layers[k]`` holds every quantity of layer k.
        """
        x_t = np.asarray(x_t)
        if x_t.ndim != 1:
            raise ValueError(f"step takes one input vector, shape ({self.input_size},)")
        trace = self.run(x_t[None], state)
        layers = tuple({name: layer[name][0].copy() for name in layer} for layer in trace.layers)
        return trace.final_state, StepRecord(layers)

    def _as_sequence(self, x: np.ndarray) -> tuple[np.ndarray, bool]:
        x = np.asarray(x)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"x must be (T, {self.input_size}) or (T, B, {self.input_size}), got {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"x has {x.shape[-1]} features per step; the network takes {self.input_size}"
            )
        if x.shape[0] == 0 or (x.ndim == 3 and x.shape[1] == 0):
            raise ValueError("x is an empty sequence")
        if x.dtype.kind not in "biuf":
            raise ValueError(f"x must be numeric, got dtype {x.dtype}")
        if not np.all(np.isfinite(x)):
            raise ValueError("x contains NaN or infinity")
        with np.errstate(over="ignore"):
            x = np.array(x, dtype=self.dtype, order="C", copy=True)  # the trace owns its input
        if not np.all(np.isfinite(x)):
            raise ValueError(f"x has values beyond the range of {self.dtype}")
        x.setflags(write=False)
        return (x, True) if x.ndim == 3 else (x[:, None, :], False)

    # -- backward --------------------------------------------------------------------------

    def backward(
        self,
        trace: Trace,
        dh: np.ndarray,
        dh_last: np.ndarray | None = None,
        dc_last: np.ndarray | None = None,
        input_gradient: bool = True,
    ) -> Gradients:
        """Backpropagation through time from dL/dh_t of the top layer, shaped like trace.h.

        dh_last / dc_last: gradient reaching the top layer's final state from beyond the
        sequence (e.g. the next chunk in truncated BPTT), shaped like one row of trace.h.
        input_gradient: False skips dL/dx of the input (training does not need it).
        """
        if len(trace.layers) != len(self.layers) or any(
            traced.layer is not layer
            for traced, layer in zip(trace.layers, self.layers, strict=False)
        ):
            raise ValueError("the trace was not made by this network's run")
        top = trace.layers[-1]
        dh3 = _gradient(dh, trace.h.shape, self.dtype, "dh", "trace.h")
        if not top.batched:
            dh3 = dh3[:, None, :]
        row = trace.h.shape[1:]
        carry_h = carry_c = None
        if dh_last is not None:
            carry_h = _gradient(dh_last, row, self.dtype, "dh_last", "one step of trace.h")
        if dc_last is not None:
            if not self.layers[-1].has_cell_state:
                raise ValueError(f"dc_last: a {self.kind} layer has no cell state")
            carry_c = _gradient(dc_last, row, self.dtype, "dc_last", "one step of trace.h")
        if carry_h is not None:
            carry_h = carry_h.reshape(top.h0.shape)
        if carry_c is not None:
            carry_c = carry_c.reshape(top.h0.shape)
        results: list[CellGrads] = []
        bottom = self.layers[0]
        for layer, traced in zip(reversed(self.layers), reversed(trace.layers), strict=True):
            need_dx = input_gradient or layer is not bottom
            grads = CELLS[layer.kind].backward(
                layer, traced.x, traced.h0, traced.c0, traced.record, dh3, carry_h, carry_c, need_dx
            )
            results.append(grads)
            if grads.dx is not None:
                dh3, carry_h, carry_c = grads.dx, None, None
        results.reverse()
        squeeze = (lambda a: a) if top.batched else (lambda a: a[:, 0])
        squeeze0 = (lambda a: a) if top.batched else (lambda a: a[0])
        return Gradients(
            params=tuple(g.params for g in results),
            dh=tuple(squeeze(g.dh) for g in results),
            dc=tuple(None if g.dc is None else squeeze(g.dc) for g in results),
            dx=None if results[0].dx is None else squeeze(results[0].dx),
            dh0=tuple(squeeze0(g.dh0) for g in results),
            dc0=tuple(None if g.dc0 is None else squeeze0(g.dc0) for g in results),
        )

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def random(
        cls,
        kind: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        seed: int = 0,
        dtype: np.dtype | type = np.float32,
        scale: float = 1.0,
        linear_before_reset: bool = False,
        clip: float | None = None,
        peepholes: bool | None = None,
    ) -> Network:
        """Weights uniform in ±scale/√H (PyTorch's default at scale 1); larger scales saturate.

        peepholes: for ``coupled`` layers, whether to add peephole weights (default no);
        ``peephole`` layers always have them.
        """
        if kind not in GATE_COUNT:
            raise ValueError(f"unknown cell kind {kind!r}; expected one of {', '.join(GATE_COUNT)}")
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError("input_size, hidden_size and num_layers must be at least 1")
        if linear_before_reset and kind != "gru":
            raise ValueError("linear_before_reset applies to GRU layers only")
        if peepholes is not None and kind not in ("coupled", "peephole"):
            raise ValueError("peepholes= applies to coupled layers (peephole layers have them)")
        if peepholes is False and kind == "peephole":
            raise ValueError("a peephole layer always has peepholes")
        rng = np.random.default_rng(seed)
        bound = scale / np.sqrt(hidden_size)
        G, H = GATE_COUNT[kind], hidden_size

        def uniform(*shape: int) -> np.ndarray:
            return rng.uniform(-bound, bound, shape).astype(dtype)

        layers = []
        for k in range(num_layers):
            D = input_size if k == 0 else hidden_size
            with_p = kind == "peephole" or (kind == "coupled" and bool(peepholes))
            layers.append(
                Layer(
                    kind,
                    W_x=uniform(D, G * H),
                    W_h=uniform(H, G * H),
                    b=uniform(G * H),
                    p=uniform(PEEPHOLE_COUNT[kind], H) if with_p else None,
                    b_hn=uniform(H) if kind == "gru" and linear_before_reset else None,
                    clip=clip,
                    linear_before_reset=linear_before_reset,
                )
            )
        return cls(layers)


def _gradient(
    value: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, what: str, like: str
) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != shape:
        raise ValueError(f"{what} must have the shape of {like}, {shape}; got {array.shape}")
    if array.dtype.kind not in "biuf" or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite numbers")
    return np.asarray(array, dtype=dtype)


def _layer_state(layer: Layer, batch: int | None) -> LayerState:
    h = layer.initial_h(1 if batch is None else batch)
    c = layer.initial_c(1 if batch is None else batch)
    if batch is None:
        return LayerState(h[0], None if c is None else c[0])
    return LayerState(h, c)


def _start(
    layer: Layer, given: LayerState | None, batch: int, k: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(h0, c0) as (B, H) arrays from a given state, or the layer's own initial state."""
    if given is None:
        return layer.initial_h(batch), layer.initial_c(batch)
    H = layer.hidden_size
    h0 = _state_array(given.h, batch, H, layer.dtype, f"state of layer {k}: h")
    if not layer.has_cell_state:
        return h0, None
    if given.c is None:
        raise ValueError(f"state of layer {k}: a {layer.kind} layer needs c")
    return h0, _state_array(given.c, batch, H, layer.dtype, f"state of layer {k}: c")


def _state_array(value: np.ndarray, batch: int, H: int, dtype: np.dtype, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.shape not in ((H,), (batch, H)):
        raise ValueError(f"{what} must be ({H},) or ({batch}, {H}), got {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains NaN or infinity")
    with np.errstate(over="ignore"):
        cast = np.array(np.broadcast_to(array, (batch, H)), dtype=dtype)
    if not np.all(np.isfinite(cast)):
        raise ValueError(f"{what} has values beyond the range of {dtype}")
    return cast


def _batched_view(traced: LayerTrace, name: str) -> np.ndarray:
    H = traced.hidden_size
    k = traced.slots[name]
    return np.ascontiguousarray(traced.record[..., k * H : (k + 1) * H])  # (T, B, H)
