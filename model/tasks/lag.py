"""lag: remember the first symbol across p steps of random distractors.

Source: Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997,
experiment 2 ("noise-free sequences with long time lags"), task 2b ("no local regularities").
The paper's alphabet has p + 1 symbols a_1 … a_{p−1}, a_p = x, a_{p+1} = y, and its sequences
are (x, a_i1, …, a_i(p−1), x) and (y, a_i1, …, a_i(p−1), y), each with probability 0.5, the
p − 1 middle symbols drawn at random from a_1 … a_{p−1}. (Task 2a uses the fixed middle
a_1, a_2, …, a_{p−1}, which a net can learn from its local regularities; 2b removes them.)
To predict the last element the net must hold the first for p steps.

Here a sequence's first p symbols are the input, and the (p+1)-th — equal to the first — is
the target at the last input step:

    inputs   x  a_3  a_7  …  a_1        (p steps; distractors uniform from a_1 … a_{p−1})
    target                    x        (at step p − 1 only)

Encoding: ``OneHotEncoder`` in unit "tokens" over the paper's p + 1 symbols, written
"a1" … "a{p−1}", "x", "y" (the paper's order).
Target: the class of the first symbol, "x" or "y".
Mask: the last step only.
Metric: accuracy; chance is 0.5.

Simplified from the paper: its net has p + 1 output units and predicts the next symbol at
every step, though in 2b only the last one is predictable; here only that long-lag prediction
is trained and scored, as a two-class decision. The paper's test is p = 100; the default here
is p = 10, which trains in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import MAXIMUM_LENGTH, Batch, TaskBase, integer_option, one_hot

CLASSES = ("x", "y")


class Lag(TaskBase):
    """Reproduce the first symbol, x or y, after p − 1 random distractors.

    p: the time lag; a sequence has p input steps (the first symbol and p − 1 distractors).
    """

    name = "lag"

    def __init__(self, *, p: int = 10) -> None:
        self.p = integer_option("p", p, 2, MAXIMUM_LENGTH)
        distractors = [f"a{k}" for k in range(1, self.p)]  # a_1 … a_{p−1}
        self.encoder = OneHotEncoder([*distractors, *CLASSES], unit="tokens")
        self.output_labels = CLASSES
        self._first_column = self.p - 1  # x is a_p (column p − 1), y is a_{p+1}

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        T = self.p
        first = rng.integers(0, 2, batch)  # (B,) 0 = x, 1 = y
        tokens = np.empty((T, batch), np.int64)  # (T, B) vocabulary columns
        tokens[0] = self._first_column + first
        tokens[1:] = rng.integers(0, self.p - 1, (T - 1, batch))  # distractors a_1 … a_{p−1}
        y = np.zeros((T, batch), np.int64)
        y[-1] = first
        mask = np.zeros((T, batch), bool)
        mask[-1] = True
        return Batch(one_hot(tokens, self.input_size), y, mask)

    def example(self) -> str:
        """Task 2a's sequence, x a1 a2 … a{p−1}: the distractors in order."""
        return " ".join(["x", *(f"a{k}" for k in range(1, self.p))])

    def config(self) -> dict[str, Any]:
        return {"p": self.p}
