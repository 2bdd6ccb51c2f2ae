"""text: a character-level language model of Python's own standard library source.

Source: Karpathy's min-char-rnn and "The Unreasonable Effectiveness of Recurrent Neural
Networks" (2015), which train a character model on code; here the corpus is one every Python
install already holds, so nothing is downloaded.

Corpus: the modules ``CORPUS_FILES`` of the running interpreter's standard library
(``os.path.dirname(os.__file__)``), read as UTF-8 with universal newlines, in that (sorted)
order. They are plain-Python modules present in every CPython ≥ 3.11; the corpus is the same
for the same CPython release (patch releases rarely touch them). ``corpus_sha256`` fingerprints
the text, for a model card that wants to say which corpus it read.
Each file is split at the first line break after 90 % of its characters: the heads, joined,
are the training text; the tails, joined, the held-out text. ``sample`` draws windows from the
training text, ``held_out`` from the held-out text, so the two never share a character.

Encoding: ``OneHotEncoder`` over the printable ASCII characters (space … ~), newline and tab,
plus "\ufffd" (the replacement character), which stands for every other character.
Target: at every step the next character of the window (x = text[s : s + length],
y = text[s + 1 : s + length + 1]).
Mask: every step.
Metric: bits per character, −log₂ softmax(outputs)[target] averaged over the masked steps;
the outputs are logits. Lower is better: 0 for a certain and right model, log₂ 98 ≈ 6.6 for a
uniform one.
"""

from __future__ import annotations

import functools
import hashlib
import os
from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import MAXIMUM_LENGTH, Batch, TaskBase, check_outputs, integer_option, one_hot

CORPUS_FILES: tuple[str, ...] = (
    "abc.py",
    "bisect.py",
    "calendar.py",
    "cmd.py",
    "colorsys.py",
    "contextlib.py",
    "copy.py",
    "csv.py",
    "dataclasses.py",
    "difflib.py",
    "fnmatch.py",
    "fractions.py",
    "functools.py",
    "glob.py",
    "graphlib.py",
    "heapq.py",
    "numbers.py",
    "operator.py",
    "pprint.py",
    "queue.py",
    "random.py",
    "reprlib.py",
    "sched.py",
    "shlex.py",
    "statistics.py",
    "string.py",
    "textwrap.py",
)
TRAINING_SHARE = 0.9  # of each file, before the held-out tail
UNKNOWN = "\ufffd"
VOCABULARY: tuple[str, ...] = ("\t", "\n", *map(chr, range(32, 127)), UNKNOWN)


@functools.cache
def load_corpus() -> tuple[str, str]:
    """(training text, held-out text) from ``CORPUS_FILES`` of this interpreter's stdlib."""
    library = os.path.dirname(os.__file__)
    heads, tails = [], []
    for name in CORPUS_FILES:
        path = os.path.join(library, name)
        try:
            with open(path, encoding="utf-8") as file:  # universal newlines: \r\n becomes \n
                source = file.read()
        except OSError as error:
            raise ValueError(
                f"the text task reads the standard library's {name}, but {path} cannot be read "
                f"({error.strerror}); this Python install has no stdlib sources"
            ) from None
        line_end = source.find("\n", int(len(source) * TRAINING_SHARE))
        cut = len(source) if line_end < 0 else line_end + 1
        heads.append(source[:cut])
        tails.append(source[cut:])
    return "".join(heads), "".join(tails)


class Text(TaskBase):
    """Predict the next character of windows of Python standard-library source.

    length: characters per window (and steps per sequence).
    """

    name = "text"
    metric_name = "bits per character"
    lower_is_better = True

    def __init__(self, *, length: int = 100) -> None:
        self.length = integer_option("length", length, 1, MAXIMUM_LENGTH)
        self.encoder = OneHotEncoder(VOCABULARY, UNKNOWN, unit="characters")
        self.output_labels = VOCABULARY
        training, held_out = load_corpus()
        self._training = self._columns(training)  # (N_train,) encoder columns
        self._held_out = self._columns(held_out)  # (N_held_out,)
        shortest = min(len(self._training), len(self._held_out))
        if shortest < self.length + 1:
            raise ValueError(
                f"option length must be below {shortest} (the held-out text's size), "
                f"got {self.length}"
            )
        self.corpus_sha256 = hashlib.sha256((training + held_out).encode()).hexdigest()

    @staticmethod
    def _columns(text: str) -> np.ndarray:
        """(N,) encoder columns of every character of text, unknown ones mapped to UNKNOWN."""
        unknown = len(VOCABULARY) - 1  # UNKNOWN is the last column
        table = np.full(128, unknown, np.int64)  # ASCII code point -> column
        table[[ord(c) for c in VOCABULARY[:-1]]] = np.arange(unknown)
        code_points = np.frombuffer(text.encode("utf-32-le"), np.uint32)  # (N,)
        return np.where(code_points < 128, table[np.minimum(code_points, 127)], unknown)

    def _windows(self, text: np.ndarray, rng: np.random.Generator, batch: int) -> Batch:
        T = self.length
        start = rng.integers(0, len(text) - T, batch)  # (B,) so that y's last index < N
        index = start[None, :] + np.arange(T)[:, None]  # (T, B)
        x = one_hot(text[index], self.input_size)  # (T, B, V)
        y = text[index + 1]  # (T, B)
        return Batch(x, y, np.ones((T, batch), bool))

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        """Windows from the training text (the first 90 % of every file)."""
        return self._windows(self._training, rng, batch)

    def held_out(self, rng: np.random.Generator, batch: int) -> Batch:
        """Windows from the held-out text (the last 10 % of every file), for evaluation."""
        return self._windows(self._held_out, rng, batch)

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        check_outputs(outputs, batch, self.output_size)
        z = outputs[batch.mask].astype(np.float64)  # (N, V) logits of the counted steps
        z = z - z.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # log-softmax
        chosen = log_p[np.arange(len(z)), batch.y[batch.mask]]  # (N,) log p(target)
        return float(-np.mean(chosen) / np.log(2.0))

    def example(self) -> str:
        return 'def greet(name):\n    return f"hello, {name}"\n'

    def config(self) -> dict[str, Any]:
        return {"length": self.length}
