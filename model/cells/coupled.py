"""LSTM with coupled forget and input gates, colah's second variant.

"Instead of separately deciding what to forget and what we should add new information to, we
make those decisions together": new values are written exactly where old ones are forgotten.

    i_t     = σ(W_i·[h_{t-1}, x_t] (+ p_i * C_{t-1}) + b_i)
    f_t     = 1 - i_t
    c_tilde = tanh(W_C·[h_{t-1}, x_t] + b_C)
    C_t     = f_t * C_{t-1} + i_t * c_tilde  =  (1 - i_t) * C_{t-1} + i_t * c_tilde
    o_t     = σ(W_o·[h_{t-1}, x_t] (+ p_o * C_t) + b_o)
    h_t     = o_t * tanh(C_t)

Convention: ONNX LSTM with input_forget=1, as ONNX Runtime computes it: f = 1 - i, with i
including its peephole, and the forget gate's own weights (W_f, R_f, b_f, p_f) ignored — so the
importer drops them. Peepholes are optional here (rows of p: PEEPHOLES = (o, i)).
colah's figure writes it from the forget side, C_t = f_t*C_{t-1} + (1-f_t)*c_tilde; the same
cell with the gate named for what it lets in.

Columns of W_x, W_h, b: GATES = (o, i, c_tilde). Record row:

    [0, 3H)  pre-activations o, i, c_tilde   [3H, 6H) activations o, i, c_tilde
    [6H, 7H) f_t   [7H, 8H) C_t   [8H, 9H) tanh(C_t)   [9H, 10H) h_t
    [10H, 11H) f_pre = -i_pre, filled after the loop: f_t = 1 - σ(i_pre) = σ(-i_pre)
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
from model.layer import Layer

GATES = ("o", "i", "c_tilde")
PEEPHOLES = ("o", "i")
WIDTH = 11
SLOTS = {
    "o_pre": 0, "i_pre": 1, "c_tilde_pre": 2,
    "o": 3, "i": 4, "c_tilde": 5,
    "f": 6, "c": 7, "tanh_c": 8, "h": 9, "f_pre": 10,
}  # fmt: skip


def _prepare(layer: Layer) -> dict[str, Any]:
    H = layer.hidden_size
    scale = half_sigmoid_columns(H, 2, 3, layer.dtype)  # ½ on o, i
    W_h = layer.W_h * scale
    return {
        "W_x": layer.W_x * scale,  # (D, 3H)
        "W_h": W_h,  # (H, 3H)
        "W_hT": np.ascontiguousarray(W_h.T) if H >= 256 else None,  # (3H, H)
        "b": layer.b * scale,
        "p": None if layer.p is None else layer.p * 0.5,  # (2, H) halved like o, i
        "bounds": clip_bounds(layer.clip, scale.reshape(3, H)),
    }


def forward(layer: Layer, x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """Run x (T, B, D) from (h0, c0), each (B, H); return the record (T, B, WIDTH·H)."""
    T, B, _ = x.shape
    H = layer.hidden_size
    fast = layer.prepared("coupled", _prepare)
    xp = input_projection(x, fast["W_x"], fast["b"])  # (T, B, 3H), o/i halved
    record = np.empty((T, B, WIDTH * H), layer.dtype)
    w = np.empty((B, WIDTH, H), layer.dtype)
    row = w.reshape(B, WIDTH * H)
    pre = row[:, : 3 * H]
    pre_o, pre_i, pre_ic = w[:, 0], w[:, 1], w[:, 1:3]
    o_t, i_t, act_ic, c_tilde = w[:, 3], w[:, 4], w[:, 4:6], w[:, 5]
    f_t, c_t, tanh_c, h_t = w[:, 6], w[:, 7], w[:, 8], w[:, 9]
    c_t[...] = c0
    h_t[...] = h0
    ic = np.empty((B, H), layer.dtype)
    peep = np.empty((B, H), layer.dtype)
    half = np.array(0.5, layer.dtype)
    one = np.array(1.0, layer.dtype)
    p = fast["p"]
    if transposed_recurrence(H, B):
        matmul_out = np.empty(3 * H, layer.dtype)
        left, right = fast["W_hT"], h_t[0]
    else:
        matmul_out = np.empty((B, 3 * H), layer.dtype)
        left, right = h_t, fast["W_h"]
    bounds = fast["bounds"]
    for xp_t, record_t in zip(xp, record, strict=True):
        np.dot(left, right, matmul_out)  # h_{t-1}·W_h
        np.add(matmul_out, xp_t, pre)  # W·[h_{t-1}, x_t] + b
        if p is not None:
            np.multiply(p[1], c_t, peep)
            np.add(pre_i, peep, pre_i)  # i looks at C_{t-1}
        if bounds is not None:
            np.clip(pre_ic, bounds[0][1:], bounds[1][1:], out=pre_ic)
        np.tanh(pre_ic, act_ic)  # c_tilde = tanh(…); tanh(a/2) on i …
        np.multiply(i_t, half, i_t)
        np.add(i_t, half, i_t)  # … i_t = σ(…)
        np.subtract(one, i_t, f_t)  # f_t = 1 - i_t
        np.multiply(f_t, c_t, c_t)  # f_t * C_{t-1}
        np.multiply(i_t, c_tilde, ic)  # i_t * c_tilde
        np.add(c_t, ic, c_t)  # C_t = f_t * C_{t-1} + i_t * c_tilde
        if p is not None:
            np.multiply(p[0], c_t, peep)
            np.add(pre_o, peep, pre_o)  # o looks at C_t
        if bounds is not None:
            np.clip(pre_o, bounds[0][0], bounds[1][0], out=pre_o)
        np.tanh(pre_o, o_t)
        np.multiply(o_t, half, o_t)
        np.add(o_t, half, o_t)  # o_t = σ(…)
        np.tanh(c_t, tanh_c)  # tanh(C_t)
        np.multiply(o_t, tanh_c, h_t)  # h_t = o_t * tanh(C_t)
        record_t[...] = row
    record[..., : 2 * H] *= 2  # the record holds the true pre-activations
    np.negative(record[..., H : 2 * H], out=record[..., 10 * H : 11 * H])  # f_pre = -i_pre
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
    v = named_views(record, H, SLOTS)
    o, i, f, c_tilde = v["o"], v["i"], v["f"], v["c_tilde"]
    c, tanh_c = v["c"], v["tanh_c"]
    c_prev = shifted(c0, c)
    h_prev = shifted(h0, v["h"])
    mask = clip_mask(record[..., : 3 * H], layer.clip)
    slope = np.concatenate([o * (1 - o), i * (1 - i), 1 - c_tilde * c_tilde], axis=-1) * mask
    slope_o, slope_i, slope_c = (slope[..., k * H : (k + 1) * H] for k in range(3))
    do_coef = tanh_c * slope_o
    dc_coef = o * (1 - tanh_c * tanh_c)
    ic_coef = np.stack([(c_tilde - c_prev) * slope_i, i * slope_c], axis=2)  # dC/di, dC/dc~

    p_o = p_i = None
    if layer.p is not None:
        p_o, p_i = layer.p[0], layer.p[1]
    dpre = np.empty((T, B, 3, H), layer.dtype)
    dh_all = np.empty((T, B, H), layer.dtype)
    dc_all = np.empty((T, B, H), layer.dtype)
    dh_next = np.zeros((B, H), layer.dtype) if dh_last is None else dh_last
    dc_next = np.zeros((B, H), layer.dtype) if dc_last is None else dc_last
    W_hT = layer.W_h.T
    for t in range(T - 1, -1, -1):
        dh = dh_out[t] + dh_next  # dL/dh_t
        dpre[t, :, 0] = dh * do_coef[t]  # o_pre <- h_t = o_t * tanh(C_t)
        dc = dc_next + dh * dc_coef[t]  # dL/dC_t
        if p_o is not None:
            dc += dpre[t, :, 0] * p_o  # … also through o's peephole
        dpre[t, :, 1:] = dc[:, None, :] * ic_coef[t]  # i, c_tilde pre <- C_t
        dc_next = dc * f[t]  # dL/dC_{t-1} = dL/dC_t * (1 - i_t)
        if p_i is not None:
            dc_next += dpre[t, :, 1] * p_i
        dh_next = dpre[t].reshape(B, 3 * H) @ W_hT  # dL/dh_{t-1}
        dh_all[t] = dh
        dc_all[t] = dc

    P = dpre.reshape(T * B, 3 * H)
    grads = {
        "W_x": x.reshape(T * B, D).T @ P,
        "W_h": h_prev.reshape(T * B, H).T @ P,
        "b": P.sum(axis=0),
    }
    if layer.p is not None:
        grads["p"] = np.stack(
            [(dpre[:, :, 0] * c).sum(axis=(0, 1)), (dpre[:, :, 1] * c_prev).sum(axis=(0, 1))]
        )
    dx = (P @ layer.W_x.T).reshape(T, B, D) if need_dx else None  # dL/dx_t, for the layer below
    return CellGrads(grads, dx, dh_all, dc_all, dh_next, dc_next)
