"""Plain tanh RNN, colah's "repeating module" with a single layer, for contrast.

    h_t = tanh(W·[h_{t-1}, x_t] + b)

Convention: ONNX RNN with the default Tanh activation, torch.nn.RNN(nonlinearity="tanh").
Gradients through it shrink by W_hᵀ·tanh' at every step: the vanishing the LSTM avoids.

Record row: [0, H) pre-activation h_pre, [H, 2H) h_t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.cells.common import (
    CellGrads,
    clip_bounds,
    clip_mask,
    input_projection,
    shifted,
    transposed_recurrence,
)
from model.layer import Layer

GATES = ("h",)
WIDTH = 2
SLOTS = {"h_pre": 0, "h": 1}


def _prepare(layer: Layer) -> dict[str, Any]:
    bounds = clip_bounds(layer.clip, np.ones(layer.hidden_size, layer.dtype))
    return {"W_hT": np.ascontiguousarray(layer.W_h.T), "bounds": bounds}


def forward(layer: Layer, x: np.ndarray, h0: np.ndarray, c0: None = None) -> np.ndarray:
    """Run x (T, B, D) from h0 (B, H); return the record (T, B, 2H)."""
    T, B, _ = x.shape
    H = layer.hidden_size
    fast = layer.prepared("rnn", _prepare)
    xp = input_projection(x, layer.W_x, layer.b)  # (T, B, H) x_t·W_x + b
    record = np.empty((T, B, WIDTH * H), layer.dtype)
    w = np.empty((B, WIDTH * H), layer.dtype)
    h_pre, h_t = w[:, :H], w[:, H:]
    h_t[...] = h0
    if transposed_recurrence(H, B):
        matmul_out = np.empty(H, layer.dtype)
        left, right = fast["W_hT"], h_t[0]  # W_hᵀ·h
    else:
        matmul_out = np.empty((B, H), layer.dtype)
        left, right = h_t, layer.W_h  # h·W_h
    bounds = fast["bounds"]
    for xp_t, record_t in zip(xp, record, strict=True):
        np.dot(left, right, matmul_out)  # h_{t-1}·W_h
        np.add(matmul_out, xp_t, h_pre)  # W·[h_{t-1}, x_t] + b
        if bounds is not None:
            np.clip(h_pre, bounds[0], bounds[1], out=h_pre)
        np.tanh(h_pre, h_t)  # h_t = tanh(…)
        record_t[...] = w
    return record


def backward(
    layer: Layer,
    x: np.ndarray,
    h0: np.ndarray,
    c0: None,
    record: np.ndarray,
    dh_out: np.ndarray,
    dh_last: np.ndarray | None = None,
    dc_last: None = None,
    need_dx: bool = True,
) -> CellGrads:
    """BPTT through one layer, mirroring ``forward``, last step first."""
    T, B, D = x.shape
    H = layer.hidden_size
    h_pre, h = record[..., :H], record[..., H:]
    h_prev = shifted(h0, h)  # (T, B, H)
    slope = (1 - h * h) * clip_mask(h_pre, layer.clip)  # tanh'(h_pre), every step at once
    dpre = np.empty((T, B, H), layer.dtype)
    dh_all = np.empty((T, B, H), layer.dtype)
    dh_next = np.zeros((B, H), layer.dtype) if dh_last is None else dh_last
    W_hT = layer.W_h.T  # (H, H)
    for t in range(T - 1, -1, -1):
        dh = dh_out[t] + dh_next  # dL/dh_t: from above and from step t+1
        dpre[t] = dh * slope[t]  # h_t = tanh(h_pre)
        dh_next = dpre[t] @ W_hT  # dL/dh_{t-1} through W_h
        dh_all[t] = dh
    P = dpre.reshape(T * B, H)
    grads = {
        "W_x": x.reshape(T * B, D).T @ P,  # (D, H)
        "W_h": h_prev.reshape(T * B, H).T @ P,  # (H, H)
        "b": P.sum(axis=0),  # (H,)
    }
    dx = (P @ layer.W_x.T).reshape(T, B, D) if need_dx else None  # dL/dx_t, for the layer below
    return CellGrads(grads, dx, dh_all, None, dh_next, None)
