"""A task small enough to train in a second, for tests of training and model files."""

from __future__ import annotations

from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import Batch, masked_accuracy


class Remember:
    """The first symbol (a, b or c) must be named at the last step, after `lag` blanks."""

    name = "remember"
    loss = "cross_entropy"
    metric_name = "accuracy"
    lower_is_better = False
    output_labels = ("a", "b", "c")

    def __init__(self, lag: int = 5) -> None:
        self.lag = lag
        self.encoder = OneHotEncoder(["a", "b", "c", "."])

    @property
    def input_size(self) -> int:
        return 4

    @property
    def output_size(self) -> int:
        return 3

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        first = rng.integers(0, 3, batch)
        T = self.lag + 1
        x = np.zeros((T, batch, 4), np.float32)
        x[0, np.arange(batch), first] = 1
        x[1:, :, 3] = 1
        y = np.zeros((T, batch), np.int64)
        y[-1] = first
        mask = np.zeros((T, batch), bool)
        mask[-1] = True
        return Batch(x, y, mask)

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        return masked_accuracy(outputs, batch.y, batch.mask)

    def example(self) -> str:
        return "a" + "." * self.lag

    def config(self) -> dict[str, Any]:
        return {"lag": self.lag}
