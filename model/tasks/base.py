"""What every training task provides: a seeded generator of batches and a metric.

A task makes batches of padded sequences, ``Batch(x, y, mask)``: inputs x (T, B, D), targets y
— class indices (T, B) for ``cross_entropy`` tasks, values (T, B, O) for ``mse`` tasks — and a
mask (T, B) that says at which steps the loss and the metric count (e.g. only the last step of
``lag``, every step of a language model, nothing on padding). Sequences of one batch may differ
in length: they are padded at the end, where the mask is False, so padding never changes the
outputs that count (the recurrence only runs forward).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, Protocol

import numpy as np

from model.encoders import Encoder

Loss = Literal["cross_entropy", "mse"]


@dataclasses.dataclass(frozen=True)
class Batch:
    x: np.ndarray  # (T, B, D) float32 inputs
    y: np.ndarray  # (T, B) int64 class targets, or (T, B, O) float32 targets
    mask: np.ndarray  # (T, B) bool: the steps where loss and metric count


class Task(Protocol):
    name: str  # the CLI's TASK, e.g. "france"
    loss: Loss
    metric_name: str  # e.g. "accuracy"; higher is better unless lower_is_better
    lower_is_better: bool
    encoder: Encoder  # turns the task's symbols into inputs (for the page and the card)
    output_labels: tuple[str, ...]  # class names (cross_entropy) or output names (mse)

    @property
    def input_size(self) -> int: ...

    @property
    def output_size(self) -> int: ...

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        """A batch of fresh examples; the same rng state gives the same batch."""
        ...

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        """The task's score of outputs (T, B, O) — logits or predictions — on ``batch``."""
        ...

    def example(self) -> str:
        """One input the page can open on (for france, the post's sentence)."""
        ...

    def config(self) -> dict[str, Any]:
        """The task's parameters (lag p, sequence length, …), JSON-serialisable, for the card."""
        ...


def pad(sequences: list[np.ndarray], fill: float | int = 0) -> np.ndarray:
    """Stack (T_b, …) arrays of different lengths into (T_max, B, …), padded at the end."""
    T = max(len(s) for s in sequences)
    first = sequences[0]
    out = np.full((T, len(sequences), *first.shape[1:]), fill, dtype=first.dtype)
    for b, s in enumerate(sequences):
        out[: len(s), b] = s
    return out


def masked_accuracy(outputs: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    """Share of masked steps whose arg-max output is the target class."""
    return float(np.mean(outputs.argmax(axis=-1)[mask] == y[mask]))
