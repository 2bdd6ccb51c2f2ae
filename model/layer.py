"""One recurrent layer: its kind, its parameters and its initial state.

Every kind keeps the same three matrices, with the gate blocks side by side in the column order
its cell module names in ``GATES``:

    W_x  (D, G·H)   input weights        -- colah's W·[h_{t-1}, x_t] split into its x part ...
    W_h  (H, G·H)   recurrent weights    -- ... and its h part
    b    (G·H,)     bias

plus what only some kinds have: peephole weights ``p`` (LSTM kinds), the GRU's recurrent
candidate bias ``b_hn`` (``linear_before_reset`` only), ONNX's pre-activation ``clip``.

A Layer is frozen and its arrays are copied on construction and made read-only, so the
prepared (rescaled, transposed) copies a cell caches for speed can never go stale: to change
weights, make a new Layer with ``with_params``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

KINDS = ("lstm", "peephole", "coupled", "gru", "rnn")
GATE_COUNT = {"lstm": 4, "peephole": 4, "coupled": 3, "gru": 3, "rnn": 1}
PEEPHOLE_COUNT = {"peephole": 3, "coupled": 2}  # rows of p; coupled peepholes are optional
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
PARAM_NAMES = ("W_x", "W_h", "b", "p", "b_hn")


@dataclasses.dataclass(frozen=True, eq=False)
class Layer:
    kind: str  # one of KINDS
    W_x: np.ndarray  # (D, G·H) input weights, gate blocks in the cell's GATES order
    W_h: np.ndarray  # (H, G·H) recurrent weights, same column order
    b: np.ndarray  # (G·H,) bias (ONNX's Wb + Rb, folded)
    p: np.ndarray | None = None  # (P, H) peephole weights, rows in the cell's PEEPHOLES order
    b_hn: np.ndarray | None = None  # (H,) GRU: recurrent bias of the candidate, reset-gated
    clip: float | None = None  # ONNX `clip`: pre-activations are clipped to [-clip, clip]
    linear_before_reset: bool = False  # GRU only: PyTorch/cuDNN form (ONNX linear_before_reset=1)
    h0: np.ndarray | None = None  # (H,) initial hidden state; zeros when None
    c0: np.ndarray | None = None  # (H,) initial cell state (LSTM kinds); zeros when None
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown cell kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        dtype = np.asarray(self.W_x).dtype
        if dtype not in FLOAT_DTYPES:
            raise ValueError(f"weights must be float32 or float64, got {dtype}")
        W_x = _frozen(self.W_x, dtype, "W_x", ndim=2)
        G = GATE_COUNT[self.kind]
        if W_x.shape[1] % G:
            raise ValueError(f"W_x has {W_x.shape[1]} columns, not a multiple of {G} gates")
        H = W_x.shape[1] // G
        object.__setattr__(self, "W_x", W_x)
        object.__setattr__(self, "W_h", _frozen(self.W_h, dtype, "W_h", shape=(H, G * H)))
        object.__setattr__(self, "b", _frozen(self.b, dtype, "b", shape=(G * H,)))
        if self.p is not None:
            if self.kind not in PEEPHOLE_COUNT:
                raise ValueError(f"a {self.kind} layer has no peephole weights")
            object.__setattr__(
                self, "p", _frozen(self.p, dtype, "p", shape=(PEEPHOLE_COUNT[self.kind], H))
            )
        elif self.kind == "peephole":
            raise ValueError("a peephole layer needs p, shape (3, H)")
        if self.b_hn is not None:
            if self.kind != "gru" or not self.linear_before_reset:
                raise ValueError("b_hn belongs to a GRU layer with linear_before_reset=True")
            object.__setattr__(self, "b_hn", _frozen(self.b_hn, dtype, "b_hn", shape=(H,)))
        if self.linear_before_reset and self.kind != "gru":
            raise ValueError("linear_before_reset applies to GRU layers only")
        if self.clip is not None:
            clip = float(self.clip)
            if not 0 < clip < np.inf:
                raise ValueError(f"clip must be a positive finite number, got {clip}")
            object.__setattr__(self, "clip", clip)
        if self.h0 is not None:
            object.__setattr__(self, "h0", _frozen(self.h0, dtype, "h0", shape=(H,)))
        if self.c0 is not None:
            if not self.has_cell_state:
                raise ValueError(f"a {self.kind} layer has no cell state")
            object.__setattr__(self, "c0", _frozen(self.c0, dtype, "c0", shape=(H,)))
        object.__setattr__(self, "_cache", {})

    @property
    def dtype(self) -> np.dtype:
        return self.W_x.dtype

    @property
    def input_size(self) -> int:
        return int(self.W_x.shape[0])

    @property
    def hidden_size(self) -> int:
        return int(self.W_h.shape[0])

    @property
    def has_cell_state(self) -> bool:
        return self.kind in ("lstm", "peephole", "coupled")

    def params(self) -> dict[str, np.ndarray]:
        """The trainable arrays by name (absent optional ones left out)."""
        found = {name: getattr(self, name) for name in PARAM_NAMES}
        return {name: value for name, value in found.items() if value is not None}

    def with_params(self, **arrays: Any) -> Layer:
        """A new layer with some parameters replaced (the cache starts empty)."""
        return dataclasses.replace(self, **arrays)

    def astype(self, dtype: np.dtype | type) -> Layer:
        cast: dict[str, Any] = {name: getattr(self, name) for name in (*PARAM_NAMES, "h0", "c0")}
        cast = {k: None if v is None else np.asarray(v, dtype=dtype) for k, v in cast.items()}
        return dataclasses.replace(self, **cast)

    def prepared(self, key: str, build: Callable[[Layer], Any]) -> Any:
        """The cell's derived copies of the weights, built once per layer."""
        if key not in self._cache:
            self._cache[key] = build(self)
        return self._cache[key]

    def initial_h(self, batch: int) -> np.ndarray:
        H = self.hidden_size
        if self.h0 is None:
            return np.zeros((batch, H), self.dtype)
        return np.broadcast_to(self.h0, (batch, H)).copy()

    def initial_c(self, batch: int) -> np.ndarray | None:
        if not self.has_cell_state:
            return None
        H = self.hidden_size
        if self.c0 is None:
            return np.zeros((batch, H), self.dtype)
        return np.broadcast_to(self.c0, (batch, H)).copy()


def _frozen(
    value: Any,
    dtype: np.dtype,
    name: str,
    ndim: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    array = np.array(value, dtype=dtype, copy=True)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity")
    array.setflags(write=False)
    return array
