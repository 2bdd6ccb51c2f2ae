"""adding: add the two marked numbers of a long sequence of noise.

Source: Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997,
experiment 4 ("adding problem"). As in the paper:

- Every step's input is a pair (value, marker): value uniform in [−1, 1], marker in
  {−1, 0, 1}.
- Sequence lengths are uniform in [T, T + T/10] (integer division), T = ``length``.
- Exactly two pairs are marked 1: one of the first ten (its value is X1), then one of the
  first T/2 − 1 still unmarked pairs, i.e. a position in [0, T/2) other than X1's (X2).
- Every other marker is 0, except the first and the last pair's, which are −1.
- When the first pair is marked, its value is set to 0. (The paper says "X1"; marking the first
  pair is what it guards against, so here it holds whichever of the two marks falls there.)
- The target, at the last step only, is 0.5 + (X1 + X2) / 4.0: the sum scaled into [0, 1].
- A sequence is processed correctly when the absolute error at its end is below 0.04.

Encoding: ``NumericEncoder(2)``: x_t = (value_t, marker_t); padding after a shorter sequence
is (0, 0) and masked out.
Target: y (T, B, 1) float32, the scaled sum at each sequence's last step, 0 elsewhere.
Mask: the last step of each sequence.
Loss: mse. Metric: "accuracy", the share of sequences with |output − target| < 0.04.

Simplified from the paper: the default T is 30 so that a run takes minutes (the paper used
T = 100, 500 and 1000). Measured with this engine (LSTM, H = 16, Adam 5e-3 or 1e-2, batch 32):
T = 20 and 30 leave the plateau of the constant output (mse ≈ 0.02) within about 1000 steps
and reach accuracy 1; T = 40 and 50 were still on it after 6000 to 10000 steps. T must be at
least 20 so that the first ten steps lie within the first half.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.encoders import NumericEncoder
from model.tasks.base import (
    MAXIMUM_LENGTH,
    Batch,
    Loss,
    TaskBase,
    check_outputs,
    integer_option,
    last_step_mask,
    steps_mask,
)

TOLERANCE = 0.04  # the paper's criterion of a correctly processed sequence
FIRST_MARK_WITHIN = 10  # X1 is one of the first ten pairs
MINIMUM_LENGTH = 2 * FIRST_MARK_WITHIN  # so the first ten pairs lie in the first half


def scaled_sum(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """The paper's target: X1 + X2 in [−2, 2] scaled to 0.5 + (X1 + X2) / 4.0 in [0, 1]."""
    return 0.5 + (x1 + x2) / 4.0


class Adding(TaskBase):
    """Output 0.5 + (X1 + X2)/4 at the end, X1 and X2 the values of the pairs marked 1.

    length: T, the minimal sequence length; lengths are uniform in [T, T + T // 10].
    """

    name = "adding"
    loss: Loss = "mse"

    def __init__(self, *, length: int = 30) -> None:
        self.length = integer_option("length", length, MINIMUM_LENGTH, MAXIMUM_LENGTH)
        self.encoder = NumericEncoder(2)
        self.output_labels = ("scaled sum",)

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        T = self.length
        lengths = rng.integers(T, T + T // 10 + 1, batch)  # (B,)
        steps = int(lengths.max())
        columns = np.arange(batch)
        values = rng.uniform(-1.0, 1.0, (steps, batch)).astype(np.float32)  # (T_max, B)
        first = rng.integers(0, FIRST_MARK_WITHIN, batch)  # (B,) X1's position
        second = rng.integers(0, T // 2 - 1, batch)  # (B,) rank among the unmarked of [0, T/2)
        second += second >= first  # skip X1's position
        markers = np.zeros((steps, batch), np.float32)  # (T_max, B)
        markers[0] = -1.0
        markers[lengths - 1, columns] = -1.0
        markers[first, columns] = 1.0
        markers[second, columns] = 1.0
        values[0, markers[0] == 1.0] = 0.0  # a marked first pair holds 0
        values[~steps_mask(lengths, steps)] = 0.0  # padding after each sequence's end
        mask = last_step_mask(lengths, steps)  # (T_max, B)
        y = np.zeros((steps, batch, 1), np.float32)
        y[lengths - 1, columns, 0] = scaled_sum(values[first, columns], values[second, columns])
        x = np.stack([values, markers], axis=-1)  # (T_max, B, 2)
        return Batch(x, y, mask)

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        check_outputs(outputs, batch, self.output_size)
        error = np.abs(outputs[..., 0] - batch.y[..., 0])[batch.mask]
        return float(np.mean(error < TOLERANCE))

    def example(self) -> str:
        """One sequence of length T as "value,marker" pairs separated by spaces."""
        batch = self.sample(np.random.default_rng(0), 1)
        steps = int(np.argmax(batch.mask[:, 0])) + 1
        return " ".join(f"{v:.2f},{m:g}" for v, m in batch.x[:steps, 0].tolist())

    def config(self) -> dict[str, Any]:
        return {"length": self.length}
