"""The readout: a linear layer from the top hidden state to the task's outputs.

    z_t = h_t · W_y + b_y        (T, B, H) · (H, O) -> (T, B, O)

logits for a classification task (softmax in the loss), predictions for a regression task.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Readout:
    W_y: np.ndarray  # (H, O)
    b_y: np.ndarray  # (O,)

    @classmethod
    def random(
        cls, H: int, outputs: int, rng: np.random.Generator, dtype: type = np.float32
    ) -> Readout:
        bound = 1 / np.sqrt(H)
        return cls(rng.uniform(-bound, bound, (H, outputs)).astype(dtype), np.zeros(outputs, dtype))

    def params(self) -> dict[str, np.ndarray]:
        return {"W_y": self.W_y, "b_y": self.b_y}

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return h @ self.W_y + self.b_y  # (T, B, O)

    def backward(self, h: np.ndarray, dz: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Gradients of W_y, b_y and dL/dh (T, B, H) from dL/dz (T, B, O)."""
        H, outputs = self.W_y.shape
        flat_h, flat_dz = h.reshape(-1, H), dz.reshape(-1, outputs)
        grads = {"W_y": flat_h.T @ flat_dz, "b_y": flat_dz.sum(axis=0)}
        return grads, dz @ self.W_y.T
