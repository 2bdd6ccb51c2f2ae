"""Traces: every intermediate quantity of every step and layer, and the gradients of BPTT.

A trace holds one record array per layer, shape (T, B, WIDTH·H), written one row per step by
the cell's forward loop, and names views into it: ``trace.layers[0]["f"]`` is the forget gate
of the first layer at every step, (T, H). For a batch of sequences (``net.run`` on (T, B, D))
every view keeps the batch axis: (T, B, H). Records and inputs are read-only, so what
``backward`` reads is what ``run`` computed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.layer import Layer


@dataclasses.dataclass(frozen=True)
class LayerState:
    """The recurrent state between steps: h (and C for LSTM kinds), (H,) or (B, H)."""

    h: np.ndarray
    c: np.ndarray | None = None


State = tuple[LayerState, ...]  # one entry per layer, bottom first


@dataclasses.dataclass(frozen=True)
class LayerTrace(Mapping[str, np.ndarray]):
    """One layer's record, read by name: f, i, c_tilde, o, c, h, … (see ``names``)."""

    layer: Layer  # the layer that produced it (backward checks it is given the same one)
    x: np.ndarray  # (T, B, D) what the layer read: the input, or the layer below's h
    h0: np.ndarray  # (B, H) initial hidden state
    c0: np.ndarray | None  # (B, H) initial cell state, LSTM kinds
    record: np.ndarray  # (T, B, WIDTH·H) every quantity of every step, see the cell module
    slots: Mapping[str, int]  # name -> block of the record
    batched: bool  # False: views drop the batch axis, (T, H)

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def hidden_size(self) -> int:
        return int(self.h0.shape[-1])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.slots)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.slots:
            raise KeyError(f"a {self.kind} trace has no {name!r}; it has {', '.join(self.slots)}")
        H = self.hidden_size
        k = self.slots[name]
        view = self.record[..., k * H : (k + 1) * H]
        return view if self.batched else view[:, 0, :]

    def __iter__(self) -> Iterator[str]:
        return iter(self.slots)

    def __len__(self) -> int:
        return len(self.slots)

    def state_at(self, t: int) -> LayerState:
        """The state after step t (a copy)."""
        c = self["c"][t].copy() if "c" in self.slots else None
        return LayerState(self["h"][t].copy(), c)


@dataclasses.dataclass(frozen=True)
class StepRecord(Mapping[str, np.ndarray]):
    """One step's values, each (H,): ``record["f"]`` is the top layer's, ``record.layers[k]``
    every layer's."""

    layers: tuple[dict[str, np.ndarray], ...]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.layers[-1][name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers[-1])

    def __len__(self) -> int:
        return len(self.layers[-1])


@dataclasses.dataclass(frozen=True)
class Trace:
    """The whole network's trace; ``h`` and ``c`` are the last layer's, (T, H)."""

    layers: tuple[LayerTrace, ...]

    @property
    def h(self) -> np.ndarray:
        return self.layers[-1]["h"]

    @property
    def c(self) -> np.ndarray:
        top = self.layers[-1]
        if "c" not in top.slots:
            raise AttributeError(f"a {top.kind} layer has no cell state c")
        return top["c"]

    @property
    def length(self) -> int:
        return int(self.layers[-1].record.shape[0])

    @property
    def final_state(self) -> State:
        return tuple(layer.state_at(-1) for layer in self.layers)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.layers[-1][name]


@dataclasses.dataclass(frozen=True)
class Gradients:
    """What ``Network.backward`` returns; per-layer lists are bottom first."""

    params: tuple[dict[str, np.ndarray], ...]  # dL/d(parameter), named as Layer.params()
    dh: tuple[np.ndarray, ...]  # (T, H) or (T, B, H): total dL/dh_t of each layer
    dc: tuple[np.ndarray | None, ...]  # same for C_t (LSTM kinds), else None
    dx: np.ndarray | None  # (T, D) or (T, B, D): dL/dx_t (None with input_gradient=False)
    dh0: tuple[np.ndarray, ...]  # dL/dh_{-1} per layer
    dc0: tuple[np.ndarray | None, ...]  # dL/dC_{-1} per layer

    def h_norms(self, layer: int = -1) -> np.ndarray:
        """‖∂L/∂h_t‖ at every step, (T,) or (T, B): the gradient-flow view's curve."""
        return np.linalg.norm(self.dh[layer], axis=-1)

    def c_norms(self, layer: int = -1) -> np.ndarray:
        """‖∂L/∂C_t‖ at every step, (T,) or (T, B); LSTM kinds only."""
        dc = self.dc[layer]
        if dc is None:
            raise ValueError("this layer has no cell state")
        return np.linalg.norm(dc, axis=-1)
