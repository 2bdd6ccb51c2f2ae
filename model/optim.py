"""Adam (Kingma & Ba 2015) and gradient clipping by global norm.

g   <- g · min(1, max_norm / ‖g‖)          over all parameters at once
m   <- β1·m + (1 - β1)·g
v   <- β2·v + (1 - β2)·g²
θ   <- θ - lr · m̂ / (√v̂ + ε),   m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t)
"""

from __future__ import annotations

import dataclasses

import numpy as np


def clip_by_global_norm(
    grads: dict[str, np.ndarray], max_norm: float | None
) -> tuple[dict[str, np.ndarray], float]:
    """Scale all gradients together so their joint norm is at most max_norm."""
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if max_norm is None or norm <= max_norm:
        return grads, norm
    scale = max_norm / norm
    return {name: g * scale for name, g in grads.items()}, norm


@dataclasses.dataclass
class Adam:
    lr: float = 1e-2  # step size
    beta1: float = 0.9  # decay of the mean of gradients
    beta2: float = 0.999  # decay of the mean of squared gradients
    eps: float = 1e-8  # keeps the division finite
    t: int = 0  # steps taken
    m: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    v: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def step(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """New parameters (fresh arrays; the inputs are not modified)."""
        self.t += 1
        correction1 = 1 - self.beta1**self.t
        correction2 = 1 - self.beta2**self.t
        updated = {}
        for name, theta in params.items():
            g = grads[name]
            m = self.m.setdefault(name, np.zeros_like(theta))
            v = self.v.setdefault(name, np.zeros_like(theta))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            step = self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
            updated[name] = (theta - step).astype(theta.dtype)
        return updated
