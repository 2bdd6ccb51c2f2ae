"""What every cell shares: the sigmoid, the input projection, the shape of a backward result.

The speed trick every forward loop uses (see PERFORMANCE-NOTES): sigmoid(x) = ½·tanh(x/2) + ½,
so one ``tanh`` call activates the sigmoid gates and the tanh layer together once the sigmoid
gates' columns of W_x, W_h and b are halved beforehand (``half_sigmoid_columns``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from model.layer import Layer


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), written through tanh so it never overflows."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


def half_sigmoid_columns(H: int, n_sigmoid: int, n_total: int, dtype: np.dtype) -> np.ndarray:
    """(n_total·H,) column scale: ½ on the first n_sigmoid gate blocks, 1 on the rest."""
    scale = np.ones(n_total * H, dtype)
    scale[: n_sigmoid * H] = 0.5
    return scale


def input_projection(x: np.ndarray, W_x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x·W_x + b for every step and sequence at once: (T, B, D) -> (T, B, G·H)."""
    T, B, D = x.shape
    out = np.dot(x.reshape(T * B, D), W_x)  # (T·B, G·H), one matmul for the whole sequence
    out += b
    return out.reshape(T, B, -1)


def clip_bounds(clip: float | None, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-column [lo, hi] for clipping pre-activations that were scaled by ``scale``."""
    if clip is None:
        return None
    return -clip * scale, clip * scale


def clip_mask(pre: np.ndarray, clip: float | None) -> np.ndarray | float:
    """d clip(a)/da: 1 inside (-clip, clip), 0 where the pre-activation was clipped."""
    if clip is None:
        return 1.0
    return (np.abs(pre) < clip).astype(pre.dtype)


def named_views(record: np.ndarray, H: int, slots: dict[str, int]) -> dict[str, np.ndarray]:
    """Named (T, B, H) views into a (T, B, WIDTH·H) record, one per slot."""
    return {name: record[..., k * H : (k + 1) * H] for name, k in slots.items()}


def shifted(first: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """[first, seq[0], …, seq[T-2]]: the previous step's value at every step, (T, B, H)."""
    return np.concatenate([first[None], seq[:-1]], axis=0)


def transposed_recurrence(H: int, batch: int) -> bool:
    """At batch 1 and H ≥ 256, W_hᵀ·h (gemv on a (G·H, H) copy) beats h·W_h by ~25% here."""
    return batch == 1 and H >= 256


@dataclasses.dataclass
class CellGrads:
    """What one layer's backward pass returns."""

    params: dict[str, np.ndarray]  # dL/d(parameter), same names and shapes as Layer.params()
    dx: np.ndarray | None  # (T, B, D) dL/dx_t for the layer below; None if not asked for
    dh: np.ndarray  # (T, B, H) dL/dh_t, total (through the outputs and the recurrence)
    dc: np.ndarray | None  # (T, B, H) dL/dC_t for LSTM kinds
    dh0: np.ndarray  # (B, H) dL/dh_{-1}
    dc0: np.ndarray | None  # (B, H) dL/dC_{-1}


def check_layer_kind(layer: Layer, *kinds: str) -> None:
    if layer.kind not in kinds:
        raise ValueError(f"expected a {' or '.join(kinds)} layer, got {layer.kind!r}")
