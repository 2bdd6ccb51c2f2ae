"""Gated recurrent unit (Cho et al. 2014), colah's last variant, in colah's notation.

    z_t     = σ(W_z·[h_{t-1}, x_t] + b_z)               update gate
    r_t     = σ(W_r·[h_{t-1}, x_t] + b_r)               reset gate
    h_tilde = tanh(W·[r_t * h_{t-1}, x_t] + b)          candidate (linear_before_reset=False)
    h_tilde = tanh(W_x·x_t + b + r_t * (W_hh·h_{t-1} + b_hn))   (linear_before_reset=True)
    h_t     = (1 - z_t) * h_{t-1} + z_t * h_tilde

The reset gate applied before the recurrent matmul is colah's figure and ONNX
``linear_before_reset=0``; applied after it, with its own recurrent bias b_hn, is the form
torch.nn.GRU and cuDNN use (ONNX ``linear_before_reset=1``), kept so PyTorch GRUs import exactly.

z follows colah: z_t is the share of the *new* candidate. ONNX, PyTorch and Cho's paper write
h_t = z*h_{t-1} + (1-z)*h_tilde, their z being our 1 - z_t; since 1 - σ(a) = σ(-a), the importer
negates the z block of the weights and biases and the two agree exactly.

Columns of W_x, W_h, b: GATES = (z, r, h_tilde). Record row:

    [0, 3H)  pre-activations z, r, h_tilde   [3H, 6H) z_t, r_t, h_tilde
    [6H, 7H) r_h: what the reset gate scales — r_t * h_{t-1}, or W_hh·h_{t-1} + b_hn
    [7H, 8H) h_t
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

GATES = ("z", "r", "h_tilde")
WIDTH = 8
SLOTS = {
    "z_pre": 0, "r_pre": 1, "h_tilde_pre": 2,
    "z": 3, "r": 4, "h_tilde": 5,
    "r_h": 6, "h": 7,
}  # fmt: skip


def _prepare(layer: Layer) -> dict[str, Any]:
    H = layer.hidden_size
    scale = half_sigmoid_columns(H, 2, 3, layer.dtype)  # ½ on z, r
    W_h = layer.W_h * scale
    big = H >= 256
    return {
        "W_x": layer.W_x * scale,  # (D, 3H)
        "b": layer.b * scale,  # (3H,)
        "W_h": W_h,  # (H, 3H)
        "W_hT": np.ascontiguousarray(W_h.T) if big else None,  # (3H, H)
        "W_hzr": np.ascontiguousarray(W_h[:, : 2 * H]),  # (H, 2H)
        "W_hzrT": np.ascontiguousarray(W_h[:, : 2 * H].T) if big else None,  # (2H, H)
        "W_hh": np.ascontiguousarray(W_h[:, 2 * H :]),  # (H, H)
        "W_hhT": np.ascontiguousarray(W_h[:, 2 * H :].T) if big else None,  # (H, H)
        "b_hn": np.zeros(H, layer.dtype) if layer.b_hn is None else layer.b_hn,
        "bounds": clip_bounds(layer.clip, scale.reshape(3, H)),
    }


def forward(layer: Layer, x: np.ndarray, h0: np.ndarray, c0: None = None) -> np.ndarray:
    """Run x (T, B, D) from h0 (B, H); return the record (T, B, WIDTH·H)."""
    T, B, _ = x.shape
    H = layer.hidden_size
    fast = layer.prepared("gru", _prepare)
    xp = input_projection(x, fast["W_x"], fast["b"])  # (T, B, 3H), z/r halved
    xp_zr, xp_h = xp[..., : 2 * H], xp[..., 2 * H :]
    record = np.empty((T, B, WIDTH * H), layer.dtype)
    w = np.empty((B, WIDTH, H), layer.dtype)
    row = w.reshape(B, WIDTH * H)
    pre_zr, pre_h = row[:, : 2 * H], w[:, 2]
    zr, z_t, r_t, h_tilde = row[:, 3 * H : 5 * H], w[:, 3], w[:, 4], w[:, 5]
    r_h, h_t = w[:, 6], w[:, 7]
    h_t[...] = h0
    step = np.empty((B, H), layer.dtype)  # z_t * (h_tilde - h_{t-1})
    half = np.array(0.5, layer.dtype)
    zr_bounds = h_bounds = None  # per-column [lo, hi] for clip, z/r halved like their weights
    if fast["bounds"] is not None:
        lo, hi = fast["bounds"][0].reshape(-1), fast["bounds"][1].reshape(-1)
        zr_bounds, h_bounds = (lo[: 2 * H], hi[: 2 * H]), (lo[2 * H :], hi[2 * H :])
    transposed = transposed_recurrence(H, B)

    def matmul(W: str, v: np.ndarray, out: np.ndarray) -> tuple[Any, Any, np.ndarray]:
        """(left, right, out) for np.dot: W_ᵀ·v as a 1-D gemv at batch 1 and large H."""
        if transposed:
            return fast[W + "T"], v[0], out[0]
        return v, fast[W], out

    if layer.linear_before_reset:
        mm = np.empty((B, 3 * H), layer.dtype)
        mm_zr, mm_h = mm[:, : 2 * H], mm[:, 2 * H :]
        left, right, mm_out = matmul("W_h", h_t, mm)
        b_hn = fast["b_hn"]
        for xp_zr_t, xp_h_t, record_t in zip(xp_zr, xp_h, record, strict=True):
            np.dot(left, right, mm_out)  # h_{t-1}·W_h, all three blocks
            np.add(mm_h, b_hn, r_h)  # W_hh·h_{t-1} + b_hn
            np.add(mm_zr, xp_zr_t, pre_zr)  # W_{z,r}·[h_{t-1}, x_t] + b
            if zr_bounds is not None:
                np.clip(pre_zr, *zr_bounds, out=pre_zr)
            np.tanh(pre_zr, zr)
            np.multiply(zr, half, zr)
            np.add(zr, half, zr)  # z_t, r_t = σ(…)
            np.multiply(r_t, r_h, pre_h)  # r_t * (W_hh·h_{t-1} + b_hn)
            np.add(pre_h, xp_h_t, pre_h)  # + W_x·x_t + b
            _candidate_and_update(pre_h, h_tilde, z_t, h_t, step, h_bounds)
            record_t[...] = row
    else:
        mm_zr = np.empty((B, 2 * H), layer.dtype)
        mm_h = np.empty((B, H), layer.dtype)
        zr_left, zr_right, mm_zr_out = matmul("W_hzr", h_t, mm_zr)
        h_left, h_right, mm_h_out = matmul("W_hh", r_h, mm_h)
        for xp_zr_t, xp_h_t, record_t in zip(xp_zr, xp_h, record, strict=True):
            np.dot(zr_left, zr_right, mm_zr_out)  # h_{t-1}·[W_hz, W_hr]
            np.add(mm_zr, xp_zr_t, pre_zr)  # W_{z,r}·[h_{t-1}, x_t] + b
            if zr_bounds is not None:
                np.clip(pre_zr, *zr_bounds, out=pre_zr)
            np.tanh(pre_zr, zr)
            np.multiply(zr, half, zr)
            np.add(zr, half, zr)  # z_t, r_t = σ(…)
            np.multiply(r_t, h_t, r_h)  # r_t * h_{t-1}
            np.dot(h_left, h_right, mm_h_out)  # (r_t * h_{t-1})·W_hh
            np.add(mm_h, xp_h_t, pre_h)  # W·[r_t * h_{t-1}, x_t] + b
            _candidate_and_update(pre_h, h_tilde, z_t, h_t, step, h_bounds)
            record_t[...] = row
    record[..., : 2 * H] *= 2  # the record holds the true pre-activations
    return record


def _candidate_and_update(
    pre_h: np.ndarray,
    h_tilde: np.ndarray,
    z_t: np.ndarray,
    h_t: np.ndarray,
    step: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray] | None,
) -> None:
    """The last three lines of both forms: h_tilde, then the update of h."""
    if bounds is not None:
        np.clip(pre_h, *bounds, out=pre_h)
    np.tanh(pre_h, h_tilde)  # h_tilde = tanh(…)
    np.subtract(h_tilde, h_t, step)  # h_tilde - h_{t-1}
    np.multiply(z_t, step, step)  # z_t * (h_tilde - h_{t-1})
    np.add(h_t, step, h_t)  # h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde


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
    v = named_views(record, H, SLOTS)
    z, r, h_tilde, r_h = v["z"], v["r"], v["h_tilde"], v["r_h"]
    h_prev = shifted(h0, v["h"])  # (T, B, H)
    mask = clip_mask(record[..., : 3 * H], layer.clip)
    slope = np.concatenate([z * (1 - z), r * (1 - r), 1 - h_tilde * h_tilde], axis=-1) * mask
    slope_z, slope_r, slope_h = (slope[..., k * H : (k + 1) * H] for k in range(3))
    z_coef = (h_tilde - h_prev) * slope_z  # dL/dz_pre = dL/dh_t * (h_tilde - h_{t-1}) * σ'
    h_coef = z * slope_h  # dL/dh_tilde_pre = dL/dh_t * z_t * tanh'
    keep = 1 - z  # dh_t/dh_{t-1} along the direct path
    lbr = layer.linear_before_reset
    r_coef = (r_h if lbr else h_prev) * slope_r  # dL/dr_pre = dL/d(r_t·u) * u * σ'

    dpre = np.empty((T, B, 3, H), layer.dtype)  # z, r, h_tilde pre-activations
    drec = np.empty((T, B, 3, H), layer.dtype) if lbr else None  # what meets W_h, lbr form
    dh_all = np.empty((T, B, H), layer.dtype)
    dh_next = np.zeros((B, H), layer.dtype) if dh_last is None else dh_last
    W_hT = layer.W_h.T  # (3H, H)
    W_hzrT, W_hhT = layer.W_h[:, : 2 * H].T, layer.W_h[:, 2 * H :].T
    for t in range(T - 1, -1, -1):
        dh = dh_out[t] + dh_next  # dL/dh_t
        dpre[t, :, 0] = dh * z_coef[t]  # z_pre <- h_t = (1-z)*h_{t-1} + z*h_tilde
        dpre[t, :, 2] = dh * h_coef[t]  # h_tilde_pre
        if drec is not None:  # h_tilde_pre = W_x·x + b + r_t * u,  u = W_hh·h_{t-1} + b_hn
            dpre[t, :, 1] = dpre[t, :, 2] * r_coef[t]  # r_pre
            drec[t, :, :2] = dpre[t, :, :2]
            drec[t, :, 2] = dpre[t, :, 2] * r[t]  # dL/du
            dh_next = dh * keep[t] + drec[t].reshape(B, 3 * H) @ W_hT
        else:  # h_tilde_pre = W·[r_t * h_{t-1}, x_t] + b
            d_rh = dpre[t, :, 2] @ W_hhT  # dL/d(r_t * h_{t-1})
            dpre[t, :, 1] = d_rh * r_coef[t]  # r_pre
            dh_next = dh * keep[t] + d_rh * r[t] + dpre[t, :, :2].reshape(B, 2 * H) @ W_hzrT
        dh_all[t] = dh

    P = dpre.reshape(T * B, 3 * H)
    X = x.reshape(T * B, D)
    Hp = h_prev.reshape(T * B, H)
    if drec is not None:
        R = drec.reshape(T * B, 3 * H)
        grads = {"W_x": X.T @ P, "W_h": Hp.T @ R, "b": P.sum(axis=0)}
        if layer.b_hn is not None:
            grads["b_hn"] = R[:, 2 * H :].sum(axis=0)
    else:
        W_h_grad = np.empty((H, 3 * H), layer.dtype)
        W_h_grad[:, : 2 * H] = Hp.T @ P[:, : 2 * H]  # z, r read h_{t-1}
        W_h_grad[:, 2 * H :] = r_h.reshape(T * B, H).T @ P[:, 2 * H :]  # candidate reads r*h
        grads = {"W_x": X.T @ P, "W_h": W_h_grad, "b": P.sum(axis=0)}
    dx = (P @ layer.W_x.T).reshape(T, B, D) if need_dx else None  # dL/dx_t, for the layer below
    return CellGrads(grads, dx, dh_all, None, dh_next, None)
