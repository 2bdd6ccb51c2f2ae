"""brackets: track the nesting depth of a string of brackets.

Source: a counting task in the spirit of the bracket and Dyck-language experiments on LSTMs
(e.g. Gers & Schmidhuber 2001 on aⁿbⁿ; Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
Understanding Recurrent Networks", who found cells that track the depth of quotes and
brackets). A cell state that adds one at "(" and subtracts one at ")" solves it, which makes
the cell-state line of the diagram easy to read.

Strings are random walks of the depth: at each step, with probability ``filler`` an "a" (the
depth stays), otherwise "(" or ")" with probability 1/2 each — but always "(" at depth 0 and
always ")" at depth ``max_depth``, so the depth never goes below 0 or above max_depth. Every
string has ``length`` characters; strings need not end balanced.

Encoding: ``OneHotEncoder`` over the characters "(", ")", "a".
Target: at every step the depth after reading that step's character; classes "0" …
"max_depth".
Mask: every step.
Metric: accuracy over all steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import (
    MAXIMUM_LENGTH,
    Batch,
    TaskBase,
    fraction_option,
    integer_option,
    one_hot,
)

OPEN, CLOSE, FILLER = 0, 1, 2  # encoder columns of "(", ")", "a"


class Brackets(TaskBase):
    """Output the nesting depth after every character of a random bracket string.

    max_depth: the deepest nesting a string reaches; the classes are 0 … max_depth.
    length: characters per string.
    filler: the probability of an "a" at each step.
    """

    name = "brackets"

    def __init__(self, *, max_depth: int = 5, length: int = 50, filler: float = 0.2) -> None:
        self.max_depth = integer_option("max_depth", max_depth, 1, 100)
        self.length = integer_option("length", length, 1, MAXIMUM_LENGTH)
        self.filler = fraction_option("filler", filler)
        self.encoder = OneHotEncoder(["(", ")", "a"], unit="characters")
        self.output_labels = tuple(str(depth) for depth in range(self.max_depth + 1))

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        T = self.length
        is_filler = rng.random((T, batch)) < self.filler  # (T, B)
        opens = rng.random((T, batch)) < 0.5  # (T, B) the bracket's side, where not forced
        tokens = np.empty((T, batch), np.int64)  # (T, B) encoder columns
        y = np.empty((T, batch), np.int64)  # (T, B) depth after each step
        depth = np.zeros(batch, np.int64)  # (B,)
        for t in range(T):
            opening = np.where(depth == 0, True, np.where(depth == self.max_depth, False, opens[t]))
            tokens[t] = np.where(is_filler[t], FILLER, np.where(opening, OPEN, CLOSE))
            depth = depth + np.where(is_filler[t], 0, np.where(opening, 1, -1))
            y[t] = depth
        mask = np.ones((T, batch), bool)
        return Batch(one_hot(tokens, self.input_size), y, mask)

    def example(self) -> str:
        return "(a(())a(()))"

    def config(self) -> dict[str, Any]:
        return {"max_depth": self.max_depth, "length": self.length, "filler": self.filler}
