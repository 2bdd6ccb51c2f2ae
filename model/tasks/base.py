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


class TaskBase:
    """What the tasks of this package share; a Task need not derive from it (the protocol is
    structural), it only saves each task restating its sizes and the plain accuracy metric.

    Subclasses set ``name``, ``encoder`` and ``output_labels`` and write ``sample``, ``example``
    and ``config``; ``loss``, ``metric_name``, ``lower_is_better`` and ``metric`` default to a
    classification scored by the share of masked steps whose arg-max is the target.
    ``config()`` returns exactly the keyword options the task was built with, so that
    ``make_task(task.name, **task.config())`` (what a model card stores) rebuilds it.
    """

    name: str
    loss: Loss = "cross_entropy"
    metric_name: str = "accuracy"
    lower_is_better: bool = False
    encoder: Encoder
    output_labels: tuple[str, ...]

    @property
    def input_size(self) -> int:
        return self.encoder.size

    @property
    def output_size(self) -> int:
        return len(self.output_labels)

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        check_outputs(outputs, batch, self.output_size)
        return masked_accuracy(outputs, batch.y, batch.mask)


def one_hot(indices: np.ndarray, size: int) -> np.ndarray:
    """(…, size) float32 one-hot rows for integer indices (…); index −1 (padding) is a zero row."""
    indices = np.asarray(indices)
    if indices.size and (indices.min() < -1 or indices.max() >= size):
        raise ValueError(
            f"one-hot indices must lie in [-1, {size}); got {indices.min()}…{indices.max()}"
        )
    # eye(size + 1, size): rows 0…size−1 are the unit vectors, row size (= row −1) is all zero.
    return np.eye(size + 1, size, dtype=np.float32)[indices]


def steps_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """(T, B) bool: True at the steps t < lengths[b] of each sequence."""
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]


def last_step_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """(T, B) bool: True only at the last step, lengths[b] − 1, of each sequence."""
    return np.arange(T)[:, None] == np.asarray(lengths)[None, :] - 1


def check_outputs(outputs: np.ndarray, batch: Batch, size: int) -> None:
    """Raise a ValueError unless outputs is (T, B, size) for the batch's (T, B) mask."""
    expected = (*batch.mask.shape, size)
    if np.shape(outputs) != expected:
        raise ValueError(
            f"outputs must have shape {expected} for this batch, got {np.shape(outputs)}"
        )


MAXIMUM_LENGTH = 2000  # longest sequence a task makes: a typo must not ask for gigabytes


def integer_option(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """A task option checked to be an integer in [minimum, maximum], or a ValueError saying so."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"option {name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"at least {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"option {name} must be {bound}, got {value}")
    return int(value)


def fraction_option(name: str, value: object, low: float = 0.0, high: float = 1.0) -> float:
    """A task option checked to be a real number in [low, high), or a ValueError saying so."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"option {name} must be a number, got {value!r}")
    if not low <= value < high:
        raise ValueError(f"option {name} must be in [{low}, {high}), got {value}")
    return float(value)
