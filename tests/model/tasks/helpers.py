"""Helpers for the task tests, not tests: decoding a batch back into symbols."""

from __future__ import annotations

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import Batch


def decode(encoder: OneHotEncoder, batch: Batch, b: int) -> list[str]:
    """The symbols of sequence b: its one-hot rows up to the padding (all-zero rows)."""
    rows = batch.x[:, b]
    present = rows.any(axis=-1)
    assert np.all(present[: present.sum()]), "padding only at the end"
    return encoder.decode(rows[present].argmax(axis=-1))


def confident(y: np.ndarray, size: int, scale: float = 20.0) -> np.ndarray:
    """(T, B, size) logits sure of the classes y (T, B)."""
    return scale * np.eye(size)[y]
