"""LSTM with peephole connections (Gers & Schmidhuber 2000), colah's first variant.

The gates also look at the cell state: f and i at C_{t-1}, o at the new C_t.

    f_t     = σ(W_f·[h_{t-1}, x_t] + p_f * C_{t-1} + b_f)
    i_t     = σ(W_i·[h_{t-1}, x_t] + p_i * C_{t-1} + b_i)
    c_tilde = tanh(W_C·[h_{t-1}, x_t] + b_C)
    C_t     = f_t * C_{t-1} + i_t * c_tilde
    o_t     = σ(W_o·[h_{t-1}, x_t] + p_o * C_t + b_o)
    h_t     = o_t * tanh(C_t)

Convention: ONNX LSTM with the P input (peepholes are diagonal: p_* are vectors, (H,)).
colah's figure draws the peepholes as full connections to [C, h, x]; like Gers & Schmidhuber
and every framework, these are element-wise. Columns: GATES as in lstm.py; rows of p:
PEEPHOLES = (o, i, f). The record row has the same layout as lstm.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.cells.common import (
    CellGrads,
    clip_bounds,
    clip_mask,
    half_sigmoid_columns,
    input_projection,
    named_views,
    shifted,
    transposed_recurrence,
)
from model.cells.lstm import SLOTS, WIDTH
from model.layer import Layer

GATES = ("o", "i", "f", "c_tilde")
PEEPHOLES = ("o", "i", "f")
__all__ = ["GATES", "PEEPHOLES", "SLOTS", "WIDTH", "backward", "forward"]


def _prepare(layer: Layer) -> dict[str, Any]:
    H = layer.hidden_size
    scale = half_sigmoid_columns(H, 3, 4, layer.dtype)  # ½ on o, i, f (see cells/common.py)
    W_h = layer.W_h * scale
    assert layer.p is not None
    return {
        "W_x": layer.W_x * scale,  # (D, 4H)
        "W_h": W_h,  # (H, 4H)
        "W_hT": np.ascontiguousarray(W_h.T) if H >= 256 else None,  # (4H, H)
        "b": layer.b * scale,  # (4H,)
        "p_o": layer.p[0] * 0.5,  # (H,) halved like the gate it feeds
        "p_if": layer.p[1:3] * 0.5,  # (2, H) [p_i, p_f]
        "bounds": clip_bounds(layer.clip, scale.reshape(4, H)),
    }


def forward(layer: Layer, x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """Run x (T, B, D) from (h0, c0), each (B, H); return the record (T, B, WIDTH·H)."""
    T, B, _ = x.shape
    H = layer.hidden_size
    fast = layer.prepared("peephole", _prepare)
    xp = input_projection(x, fast["W_x"], fast["b"])  # (T, B, 4H), o/i/f halved
    record = np.empty((T, B, WIDTH * H), layer.dtype)
    w = np.empty((B, WIDTH, H), layer.dtype)  # the working row, as blocks of H
    pre = w[:, 0:4].reshape(B, 4 * H)  # (B, 4H) view of blocks o, i, f, c_tilde
    pre_o, pre_if, pre_ifc = w[:, 0], w[:, 1:3], w[:, 1:4]  # pre-activations
    o_t, i_f, act_ifc = w[:, 4], w[:, 5:7], w[:, 5:8]  # activations
    ctilde_c = w[:, 7:9]  # [c_tilde, C]
    c_t, c_col, tanh_c, h_t = w[:, 8], w[:, 8:9], w[:, 9], w[:, 10]
    c_t[...] = c0
    h_t[...] = h0
    products = np.empty((B, 2, H), layer.dtype)
    ic, fc = products[:, 0], products[:, 1]
    peep_if = np.empty((B, 2, H), layer.dtype)
    peep_o = np.empty((B, H), layer.dtype)
    half = np.array(0.5, layer.dtype)
    p_o, p_if = fast["p_o"], fast["p_if"]
    if transposed_recurrence(H, B):
        matmul_out = np.empty(4 * H, layer.dtype)
        left, right = fast["W_hT"], h_t[0]
    else:
        matmul_out = np.empty((B, 4 * H), layer.dtype)
        left, right = h_t, fast["W_h"]
    bounds = fast["bounds"]
    lo_ifc = hi_ifc = lo_o = hi_o = None
    if bounds is not None:
        lo_ifc, hi_ifc, lo_o, hi_o = bounds[0][1:], bounds[1][1:], bounds[0][0], bounds[1][0]
    row = w.reshape(B, WIDTH * H)
    for xp_t, record_t in zip(xp, record, strict=True):
        np.dot(left, right, matmul_out)  # h_{t-1}·W_h
        np.add(matmul_out, xp_t, pre)  # W·[h_{t-1}, x_t] + b
        np.multiply(p_if, c_col, peep_if)  # [p_i, p_f] * C_{t-1}
        np.add(pre_if, peep_if, pre_if)  # i, f look at C_{t-1}
        if bounds is not None:
            np.clip(pre_ifc, lo_ifc, hi_ifc, out=pre_ifc)
        np.tanh(pre_ifc, act_ifc)  # c_tilde; tanh(a/2) on i, f …
        np.multiply(i_f, half, i_f)  # … ½·tanh(a/2) + ½ = σ(a)
        np.add(i_f, half, i_f)  # i_t, f_t
        np.multiply(i_f, ctilde_c, products)  # i_t * c_tilde, f_t * C_{t-1}
        np.add(ic, fc, c_t)  # C_t = f_t * C_{t-1} + i_t * c_tilde
        np.multiply(p_o, c_t, peep_o)  # p_o * C_t
        np.add(pre_o, peep_o, pre_o)  # o looks at the new C_t
        if bounds is not None:
            np.clip(pre_o, lo_o, hi_o, out=pre_o)
        np.tanh(pre_o, o_t)
        np.multiply(o_t, half, o_t)
        np.add(o_t, half, o_t)  # o_t = σ(…)
        np.tanh(c_t, tanh_c)  # tanh(C_t)
        np.multiply(o_t, tanh_c, h_t)  # h_t = o_t * tanh(C_t)
        record_t[...] = row
    record[..., : 3 * H] *= 2  # the record holds the true pre-activations
    return record


def backward(
    layer: Layer,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    record: np.ndarray,
    dh_out: np.ndarray,
    dh_last: np.ndarray | None = None,
    dc_last: np.ndarray | None = None,
    need_dx: bool = True,
) -> CellGrads:
    """BPTT through one layer, mirroring ``forward``, last step first."""
    T, B, D = x.shape
    H = layer.hidden_size
    assert layer.p is not None
    p_o, p_i, p_f = layer.p[0], layer.p[1], layer.p[2]
    v = named_views(record, H, SLOTS)
    o, i, f, c_tilde = v["o"], v["i"], v["f"], v["c_tilde"]
    c, tanh_c = v["c"], v["tanh_c"]
    c_prev = shifted(c0, c)
    h_prev = shifted(h0, v["h"])
    act = record[..., 4 * H : 8 * H]
    slope = np.empty_like(act)
    slope[..., : 3 * H] = act[..., : 3 * H] * (1 - act[..., : 3 * H])  # σ'
    slope[..., 3 * H :] = 1 - c_tilde * c_tilde  # tanh'
    slope *= clip_mask(record[..., : 4 * H], layer.clip)
    slope_o, slope_i, slope_f, slope_c = (slope[..., k * H : (k + 1) * H] for k in range(4))
    do_coef = tanh_c * slope_o
    dc_coef = o * (1 - tanh_c * tanh_c)
    ifc_coef = np.stack([c_tilde * slope_i, c_prev * slope_f, i * slope_c], axis=2)

    dpre = np.empty((T, B, 4, H), layer.dtype)
    dh_all = np.empty((T, B, H), layer.dtype)
    dc_all = np.empty((T, B, H), layer.dtype)
    dh_next = np.zeros((B, H), layer.dtype) if dh_last is None else dh_last
    dc_next = np.zeros((B, H), layer.dtype) if dc_last is None else dc_last
    W_hT = layer.W_h.T
    for t in range(T - 1, -1, -1):
        dh = dh_out[t] + dh_next  # dL/dh_t
        dpre[t, :, 0] = dh * do_coef[t]  # o_pre <- h_t = o_t * tanh(C_t)
        dc = dc_next + dh * dc_coef[t] + dpre[t, :, 0] * p_o  # dL/dC_t, also via o's peephole
        dpre[t, :, 1:] = dc[:, None, :] * ifc_coef[t]  # i, f, c_tilde pre
        dc_next = dc * f[t] + dpre[t, :, 1] * p_i + dpre[t, :, 2] * p_f  # dL/dC_{t-1}
        dh_next = dpre[t].reshape(B, 4 * H) @ W_hT  # dL/dh_{t-1}
        dh_all[t] = dh
        dc_all[t] = dc

    P = dpre.reshape(T * B, 4 * H)
    grads = {
        "W_x": x.reshape(T * B, D).T @ P,
        "W_h": h_prev.reshape(T * B, H).T @ P,
        "b": P.sum(axis=0),
        "p": np.stack(
            [
                (dpre[:, :, 0] * c).sum(axis=(0, 1)),  # p_o sees C_t
                (dpre[:, :, 1] * c_prev).sum(axis=(0, 1)),  # p_i sees C_{t-1}
                (dpre[:, :, 2] * c_prev).sum(axis=(0, 1)),  # p_f sees C_{t-1}
            ]
        ),
    }
    dx = (P @ layer.W_x.T).reshape(T, B, D) if need_dx else None  # dL/dx_t, for the layer below
    return CellGrads(grads, dx, dh_all, dc_all, dh_next, dc_next)
