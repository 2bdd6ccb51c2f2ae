"""Losses on the readout's outputs, each returning the mean loss and its gradient.

    cross_entropy   L = -1/N Σ_{masked t,b} log softmax(z_tb)[y_tb]    dL/dz = (p - onehot(y))/N
    mean_squared    L = 1/N Σ_{masked t,b} ½ Σ_o (ŷ_tbo - y_tbo)²      dL/dŷ = (ŷ - y)/N

N is the number of masked steps; steps outside the mask get no loss and no gradient.
"""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum so exp never overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits (T, B, O) against classes y (T, B) where mask (T, B)."""
    count = max(int(mask.sum()), 1)
    p = softmax(logits)  # (T, B, O)
    picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]  # (T, B) p of the target
    loss = -float(np.sum(np.log(np.maximum(picked[mask], np.finfo(p.dtype).tiny)))) / count
    dlogits = p  # softmax's gradient: p - onehot(y), on masked steps, / N
    np.put_along_axis(dlogits, y[..., None], picked[..., None] - 1, axis=-1)
    dlogits *= mask[..., None] / count
    return loss, dlogits


def mean_squared(
    predictions: np.ndarray, y: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean of ½‖ŷ - y‖² over masked steps; predictions and y (T, B, O)."""
    count = max(int(mask.sum()), 1)
    error = (predictions - y) * mask[..., None]  # (T, B, O)
    loss = 0.5 * float(np.sum(error * error)) / count
    return loss, error / count


LOSSES = {"cross_entropy": cross_entropy, "mse": mean_squared}
