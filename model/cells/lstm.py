"""Standard LSTM, as drawn in colah's "Understanding LSTM Networks" (2015).

    f_t     = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate: what to drop from C_{t-1}
    i_t     = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate: which values to update
    c_tilde = tanh(W_C·[h_{t-1}, x_t] + b_C)       candidate values
    C_t     = f_t * C_{t-1} + i_t * c_tilde        new cell state
    o_t     = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate
    h_t     = o_t * tanh(C_t)                      hidden state

Convention: the same function as torch.nn.LSTM and ONNX LSTM (input_forget=0, no peepholes);
ONNX's two biases Wb + Rb and torch's b_ih + b_hh are summed into one b.

Columns of W_x, W_h and b hold the gate blocks in GATES order (o, i, f, c_tilde): the three
sigmoid gates side by side, so one tanh call activates all four blocks (see cells/common.py).
Each step is computed in one working row, copied whole into the record:

    [0, 4H)   pre-activations  o, i, f, c_tilde
    [4H, 8H)  activations      o, i, f, c_tilde
    [8H, 9H)  C_t   [9H, 10H) tanh(C_t)   [10H, 11H) h_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.cells.common import (
    CellGrads,
    clip_bounds,
    half_sigmoid_columns,
    input_projection,
    named_views,
    transposed_recurrence,
)
from model.layer import Layer

GATES = ("o", "i", "f", "c_tilde")  # column blocks of W_x, W_h, b
WIDTH = 11  # working row width, in units of H
SLOTS = {  # name -> block index in the working row
    "o_pre": 0, "i_pre": 1, "f_pre": 2, "c_tilde_pre": 3,
    "o": 4, "i": 5, "f": 6, "c_tilde": 7,
    "c": 8, "tanh_c": 9, "h": 10,
}  # fmt: skip


def _prepare(layer: Layer) -> dict[str, Any]:
    H = layer.hidden_size
    scale = half_sigmoid_columns(H, 3, 4, layer.dtype)  # (4H,) ½ on o, i, f
    return {
        "W_x": layer.W_x * scale,  # (D, 4H)
        "W_h": layer.W_h * scale,  # (H, 4H)
        "b": layer.b * scale,  # (4H,)
        "bounds": clip_bounds(layer.clip, scale),
    }


def _transposed(layer: Layer) -> np.ndarray:
    return np.ascontiguousarray(layer.prepared("lstm", _prepare)["W_h"].T)  # (4H, H)


def forward(layer: Layer, x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> np.ndarray:
    """Run x (T, B, D) from (h0, c0), each (B, H); return the record (T, B, WIDTH·H)."""
    T, B, _ = x.shape
    H = layer.hidden_size
    fast = layer.prepared("lstm", _prepare)
    xp = input_projection(x, fast["W_x"], fast["b"])  # (T, B, 4H) x_t·W_x + b, o/i/f halved
    record = np.empty((T, B, WIDTH * H), layer.dtype)
    w = np.empty((B, WIDTH * H), layer.dtype)  # the working row; slices made once
    pre = w[:, 0 : 4 * H]  # (B, 4H) pre-activations
    act = w[:, 4 * H : 8 * H]  # (B, 4H) activations
    sig = w[:, 4 * H : 7 * H]  # (B, 3H) o_t, i_t, f_t
    o_t = w[:, 4 * H : 5 * H]
    i_f = w[:, 5 * H : 7 * H]  # (B, 2H) [i_t, f_t] ...
    ctilde_c = w[:, 7 * H : 9 * H]  # ... times [c_tilde, C_{t-1}]
    c_t = w[:, 8 * H : 9 * H]
    tanh_c = w[:, 9 * H : 10 * H]
    h_t = w[:, 10 * H : 11 * H]
    c_t[...] = c0
    h_t[...] = h0
    products = np.empty((B, 2 * H), layer.dtype)
    ic, fc = products[:, :H], products[:, H:]  # i_t * c_tilde, f_t * C_{t-1}
    half = np.array(0.5, layer.dtype)
    if transposed_recurrence(H, B):
        matmul_out = np.empty(4 * H, layer.dtype)
        left, right = layer.prepared("lstm_T", _transposed), h_t[0]  # W_hᵀ·h: (4H, H)·(H,)
    else:
        matmul_out = np.empty((B, 4 * H), layer.dtype)
        left, right = h_t, fast["W_h"]  # h·W_h: (B, H)·(H, 4H)
    bounds = fast["bounds"]
    dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh  # ~40 ns a call saved
    for xp_t, record_t in zip(xp, record, strict=True):
        dot(left, right, matmul_out)  # h_{t-1}·W_h
        add(matmul_out, xp_t, pre)  # W·[h_{t-1}, x_t] + b, all four blocks
        if bounds is not None:
            np.clip(pre, bounds[0], bounds[1], out=pre)  # ONNX clip
        tanh(pre, act)  # c_tilde = tanh(…); tanh(a/2) on o, i, f ...
        multiply(sig, half, sig)  # ... and ½·tanh(a/2) + ½ = σ(a):
        add(sig, half, sig)  # o_t, i_t, f_t
        multiply(i_f, ctilde_c, products)  # i_t * c_tilde, f_t * C_{t-1}
        add(ic, fc, c_t)  # C_t = f_t * C_{t-1} + i_t * c_tilde
        tanh(c_t, tanh_c)  # tanh(C_t)
        multiply(o_t, tanh_c, h_t)  # h_t = o_t * tanh(C_t)
        record_t[...] = w
    record[..., : 3 * H] *= 2  # undo the halving: the record holds the true pre-activations
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
    """BPTT through one layer, mirroring ``forward`` line by line, last step first.

    dh_out (T, B, H) is dL/dh_t from above (the loss or the next layer); dh_last and dc_last
    are gradients arriving at the final state from beyond the sequence (zeros when None).
    """
    T, B, D = x.shape
    H = layer.hidden_size
    v = named_views(record, H, SLOTS)
    o, i, f, c_tilde = v["o"], v["i"], v["f"], v["c_tilde"]  # (T, B, H) each
    c, tanh_c = v["c"], v["tanh_c"]
    h = v["h"]
    # Local slopes d activation / d pre-activation, every step at once, without temporaries
    # beyond the buffers themselves (a training step spends a third of its backward here).
    sig = record[..., 4 * H : 7 * H]  # (T, B, 3H) o_t, i_t, f_t
    slope_sig = np.subtract(1, sig)
    slope_sig *= sig  # σ' = σ(1 - σ)
    slope_c = np.multiply(c_tilde, c_tilde)
    np.subtract(1, slope_c, out=slope_c)  # tanh' = 1 - c_tilde²
    if layer.clip is not None:  # clipped pre-activations pass no gradient
        mask = np.abs(record[..., : 4 * H]) < layer.clip
        slope_sig *= mask[..., : 3 * H]
        slope_c *= mask[..., 3 * H :]
    slope_o, slope_i, slope_f = (slope_sig[..., k * H : (k + 1) * H] for k in range(3))
    do_coef = tanh_c * slope_o  # dL/do_pre   = dL/dh_t * tanh(C_t) * σ'
    dc_coef = np.multiply(tanh_c, tanh_c)
    np.subtract(1, dc_coef, out=dc_coef)
    dc_coef *= o  # dL/dC_t  += dL/dh_t * o_t * tanh'(C_t)
    ifc_coef = np.empty((T, B, 3, H), layer.dtype)  # dC_t / d(i, f, c_tilde pre-activations)
    np.multiply(c_tilde, slope_i, out=ifc_coef[:, :, 0])  # c_tilde * σ'(i)
    np.multiply(c0, slope_f[0], out=ifc_coef[0, :, 1])  # C_{t-1} * σ'(f), the first step ...
    np.multiply(c[:-1], slope_f[1:], out=ifc_coef[1:, :, 1])  # ... and the others
    np.multiply(i, slope_c, out=ifc_coef[:, :, 2])  # i_t * tanh'(c_tilde)

    dpre = np.empty((T, B, 4, H), layer.dtype)  # dL/d pre-activation, blocks o, i, f, c_tilde
    dh_all = np.empty((T, B, H), layer.dtype)
    dc_all = np.empty((T, B, H), layer.dtype)
    dh_next = np.zeros((B, H), layer.dtype) if dh_last is None else dh_last.copy()
    dc_next = np.zeros((B, H), layer.dtype) if dc_last is None else dc_last.copy()
    through_h = np.empty((B, H), layer.dtype)
    W_hT = layer.W_h.T  # (4H, H)
    for t in range(T - 1, -1, -1):  # every result goes straight into its buffer (out=)
        dh, dc, dpre_t = dh_all[t], dc_all[t], dpre[t]
        np.add(dh_out[t], dh_next, dh)  # dL/dh_t: from above and from step t+1
        np.multiply(dh, dc_coef[t], through_h)
        np.add(dc_next, through_h, dc)  # dL/dC_t: along the cell line and through h_t
        np.multiply(dh, do_coef[t], dpre_t[:, 0])  # o_pre <- h_t = o_t * tanh(C_t)
        np.multiply(dc[:, None, :], ifc_coef[t], dpre_t[:, 1:])  # i, f, c_tilde pre <- C_t
        np.multiply(dc, f[t], dc_next)  # dL/dC_{t-1} = dL/dC_t * f_t
        np.dot(dpre_t.reshape(B, 4 * H), W_hT, dh_next)  # dL/dh_{t-1} through W_h

    P = dpre.reshape(T * B, 4 * H)
    dW_h = h0.T @ P[:B]  # (H, 4H): step 0 reads h_{-1} = h0, step t reads h_{t-1}
    if T > 1:
        dW_h += h[:-1].reshape((T - 1) * B, H).T @ P[B:]
    grads = {
        "W_x": x.reshape(T * B, D).T @ P,  # (D, 4H)
        "W_h": dW_h,
        "b": P.sum(axis=0),  # (4H,)
    }
    dx = (P @ layer.W_x.T).reshape(T, B, D) if need_dx else None  # dL/dx_t, for the layer below
    return CellGrads(grads, dx, dh_all, dc_all, dh_next, dc_next)
