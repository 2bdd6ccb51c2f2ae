"""reber: predict the next symbol of strings of the embedded Reber grammar.

Source: Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997,
experiment 1; the grammar is Reber's (1967) as used by Cleeremans, Servan-Schreiber &
McClelland (1989). The Reber grammar walks this graph from B to E, taking each of the two
edges out of a node with probability 1/2:

    after B:  T -> 1   P -> 2          3:  X -> 2   S -> 5
    1:        S -> 1   X -> 3          4:  P -> 3   V -> 5
    2:        T -> 2   V -> 4          5:  E (end)

An embedded Reber string wraps one in B T <reber> T E or B P <reber> P E, e.g. BTBPVVETE. The
second symbol must be remembered over the whole inner string to predict the last but one.

Encoding: ``OneHotEncoder`` over the 7 characters B, T, P, S, X, V, E.
Target: at every step the next symbol of the string (the one this walk took: at a branch
either legal successor is a correct target half the time, so cross-entropy drives the two
outputs towards 1/2 each).
Mask: every step but each string's last (its E has no successor); padding is masked out.
Metric, "accuracy": the paper's success criterion applied per string — the share of strings at
every masked step of which the output units of all the legal next symbols are the most active
ones, i.e. each legal successor's output is strictly above every illegal one's. The legal set
after the inner E is the one outer T or P that opened the string, so this includes the
long-term dependency; uniform outputs score 0.

Simplified from the paper: it trained on a fixed set of 256 strings and tested on another
256; here every batch holds fresh random strings (``sample``), so there is no separate test set.

``is_embedded_reber`` accepts strings with a regular expression derived by hand from the graph
(independently of the transition table the generator and ``legal_next`` use), so the tests can
check one against the other.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import Batch, TaskBase, check_outputs, one_hot, pad, steps_mask

SYMBOLS = "BTPSXVE"
END = 6  # the state after the inner E
INNER: dict[int, dict[str, int]] = {  # state -> {symbol: next state}; state 0 follows the B
    0: {"T": 1, "P": 2},
    1: {"S": 1, "X": 3},
    2: {"T": 2, "V": 4},
    3: {"X": 2, "S": 5},
    4: {"P": 3, "V": 5},
    5: {"E": END},
}

# The same graph as a regular expression, by solving for each node's suffixes:
#   3 = S E | X T* V 4,   4 = V E | P 3   =>   3 = (X T* V P)* (S E | X T* V V E)
#   reber = B (T S* X 3 | P T* V (V E | P 3))
_FROM_3 = "(?:XT*VP)*(?:SE|XT*VVE)"
_REBER = f"B(?:TS*X{_FROM_3}|PT*V(?:VE|P{_FROM_3}))"
_EMBEDDED = re.compile(f"B([TP]){_REBER}\\1E")

# The table as arrays for a walk of many strings at once: the two edges out of each state (the
# one edge out of state 5, E, stands twice so that every state has two).
_EDGE_SYMBOL = np.array(  # (6, 2) column in SYMBOLS
    [[SYMBOLS.index(s) for s in (list(INNER[q]) * 2)[:2]] for q in range(END)]
)
_EDGE_STATE = np.array([[INNER[q][s] for s in (list(INNER[q]) * 2)[:2]] for q in range(END)])


def is_embedded_reber(string: str) -> bool:
    """Whether the whole string is an embedded Reber string (B T <reber> T E or with P)."""
    return _EMBEDDED.fullmatch(string) is not None


def _successor_sets(string: str) -> list[frozenset[str]]:
    """For k = 0 … len(string): the symbols that may follow string[:k] in the grammar."""
    sets: list[frozenset[str]] = []
    part, state, outer = 0, 0, ""  # part of B <T|P> B <inner> <T|P> E, inner state, T or P
    for k in range(len(string) + 1):
        allowed = (
            frozenset("B"),
            frozenset("TP"),
            frozenset("B"),
            frozenset(INNER[state]) if state != END else frozenset(),
            frozenset(outer),
            frozenset("E"),
            frozenset(),
        )[part]
        sets.append(allowed)
        if k == len(string):
            break
        symbol = string[k]
        if symbol not in allowed:
            raise ValueError(
                f"{string!r} is not a prefix of an embedded Reber string: {symbol!r} at "
                f"position {k} may not follow {string[:k]!r} (legal: {''.join(sorted(allowed))})"
            )
        if part == 1:
            outer = symbol
        if part == 3:
            state = INNER[state][symbol]
            if state != END:
                continue  # still inside the inner string
        part += 1
    return sets


def legal_next(prefix: str) -> set[str]:
    """The symbols that may follow ``prefix`` (empty after a complete string).

    A prefix that no embedded Reber string starts with is a ValueError.
    """
    return set(_successor_sets(prefix)[-1])


class Reber(TaskBase):
    """Predict the next symbol of embedded Reber strings; scored by the 1997 criterion."""

    name = "reber"

    def __init__(self) -> None:
        self.encoder = OneHotEncoder(list(SYMBOLS), unit="characters")
        self.output_labels = tuple(SYMBOLS)

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        outer = np.where(rng.integers(0, 2, batch) == 0, SYMBOLS.index("T"), SYMBOLS.index("P"))
        state = np.zeros(batch, np.int64)  # (B,) every inner walk starts after its B
        walk = []  # one (B,) row of symbol columns per step, −1 once a walk has ended
        while np.any(state != END):
            active = state != END
            edge = rng.integers(0, 2, batch)  # (B,) which of the two edges to take
            safe = np.where(active, state, 0)
            walk.append(np.where(active, _EDGE_SYMBOL[safe, edge], -1))
            state = np.where(active, _EDGE_STATE[safe, edge], END)
        walked = np.stack(walk, axis=1)  # (B, K)
        begin, finish = SYMBOLS.index("B"), SYMBOLS.index("E")
        strings = []
        for b in range(batch):
            inner = walked[b][walked[b] >= 0]  # the inner string after its B, ending in E
            strings.append(np.array([begin, outer[b], begin, *inner, outer[b], finish], np.int64))
        lengths = np.array([len(s) for s in strings])  # (B,)
        T = int(lengths.max())
        tokens = pad(strings, fill=-1)  # (T, B)
        y = np.zeros((T, batch), np.int64)
        y[:-1] = np.maximum(tokens[1:], 0)  # the next symbol (0 where there is none)
        mask = steps_mask(lengths - 1, T)  # every step but the last of each string
        return Batch(one_hot(tokens, self.input_size), y, mask)

    def legal(self, batch: Batch) -> np.ndarray:
        """(T, B, 7) bool: which symbols may follow the string read up to each step."""
        T, B = batch.mask.shape
        legal = np.zeros((T, B, len(SYMBOLS)), bool)
        present = np.asarray(batch.x.any(axis=-1))  # (T, B) False on padding
        for b in range(B):
            string = "".join(SYMBOLS[k] for k in batch.x[present[:, b], b].argmax(axis=-1))
            for t, allowed in enumerate(_successor_sets(string)[1:]):
                legal[t, b, [SYMBOLS.index(s) for s in allowed]] = True
        return legal

    def metric(self, outputs: np.ndarray, batch: Batch) -> float:
        check_outputs(outputs, batch, self.output_size)
        legal = self.legal(batch)  # (T, B, 7)
        lowest_legal = np.where(legal, outputs, np.inf).min(axis=-1)  # (T, B)
        highest_illegal = np.where(legal, -np.inf, outputs).max(axis=-1)  # (T, B)
        step_right = lowest_legal > highest_illegal  # (T, B)
        string_right = np.all(step_right | ~batch.mask, axis=0)  # (B,)
        return float(np.mean(string_right))

    def example(self) -> str:
        return "BTBPVPSETE"

    def config(self) -> dict[str, Any]:
        return {}
