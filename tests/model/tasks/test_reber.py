"""reber: generated strings are accepted by the regular-expression acceptor, corrupted ones are
not; ``legal_next`` (the transition table) and the acceptor agree on every short string; the
metric is the 1997 criterion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.encoders import OneHotEncoder
from model.tasks.base import Batch
from model.tasks.reber import SYMBOLS, Reber, is_embedded_reber, legal_next
from tests.model.tasks.helpers import decode

# The Reber strings and non-Reber strings of the usual course notes on the grammar.
REBER = ["BTSSXXTVVE", "BPVVE", "BTXXVPSE", "BPVPXVPXVPXVVE", "BTSXXVPSE", "BTXSE", "BPTVPSE"]
NOT_REBER = ["BTSSPXSE", "BPTVVB", "BTXXVVSE", "BPVSPSE", "BTSSSE", "BTXE", "BE"]


def _walks(string: str) -> bool:
    """Whether every symbol is legal after its prefix and nothing may follow the whole."""
    try:
        return all(string[k] in legal_next(string[:k]) for k in range(len(string))) and (
            legal_next(string) == set()
        )
    except ValueError:
        return False


@pytest.mark.parametrize("inner", REBER)
def test_known_reber_strings_are_accepted_when_embedded(inner: str) -> None:
    for outer in "TP":
        assert is_embedded_reber(f"B{outer}{inner}{outer}E")
        assert _walks(f"B{outer}{inner}{outer}E")
    assert not is_embedded_reber(f"BT{inner}PE") and not _walks(f"BT{inner}PE")
    assert not is_embedded_reber(inner)


@pytest.mark.parametrize("inner", NOT_REBER)
def test_known_non_reber_strings_are_rejected_when_embedded(inner: str) -> None:
    assert not is_embedded_reber(f"BT{inner}TE")
    assert not _walks(f"BT{inner}TE")


def test_the_transition_table_and_the_acceptor_agree_on_every_short_string() -> None:
    accepted = 0
    for n in range(7):
        for middle in itertools.product("TPSXV", repeat=n):
            for outer in "TP":
                string = f"B{outer}B{''.join(middle)}E{outer}E"
                assert is_embedded_reber(string) == _walks(string), string
                accepted += is_embedded_reber(string)
    assert accepted > 20


def test_legal_next() -> None:
    assert legal_next("") == {"B"}
    assert legal_next("B") == {"T", "P"}
    assert legal_next("BP") == {"B"}
    assert legal_next("BPB") == {"T", "P"}
    assert legal_next("BPBT") == {"S", "X"}
    assert legal_next("BPBPVV") == {"E"}
    assert legal_next("BPBPVVE") == {"P"}
    assert legal_next("BPBPVVEP") == {"E"}
    assert legal_next("BPBPVVEPE") == set()
    with pytest.raises(ValueError, match="'V' at position 5 may not follow 'BPBTS'"):
        legal_next("BPBTSV")  # S is fine after T; V is not after S
    with pytest.raises(ValueError, match="not a prefix"):
        legal_next("BPBPVVET")


def test_sampled_strings_are_embedded_reber_and_their_corruptions_are_not() -> None:
    task = Reber()
    assert isinstance(task.encoder, OneHotEncoder)
    batch = task.sample(np.random.default_rng(0), 300)
    outers = set()
    for b in range(300):
        string = "".join(decode(task.encoder, batch, b))
        assert is_embedded_reber(string), string
        outers.add(string[1])
        swapped = string[:-2] + {"T": "P", "P": "T"}[string[-2]] + "E"
        assert not is_embedded_reber(swapped)
        assert not is_embedded_reber(string[:-1])
        assert not is_embedded_reber(string + "E")
        # targets: the next symbol at every step but the last
        length = len(string)
        assert batch.mask[:, b].tolist() == [True] * (length - 1) + [False] * (
            batch.x.shape[0] - length + 1
        )
        assert "".join(SYMBOLS[k] for k in batch.y[: length - 1, b]) == string[1:]
    assert outers == {"T", "P"}


def _legal_outputs(task: Reber, batch: Batch) -> np.ndarray:
    """Logits 1 on every legal successor, 0 elsewhere, from legal_next on decoded prefixes."""
    z = np.zeros((*batch.mask.shape, 7))
    for b in range(batch.x.shape[1]):
        string = "".join(decode(task.encoder, batch, b))
        for t in range(len(string)):
            for symbol in legal_next(string[: t + 1]):
                z[t, b, SYMBOLS.index(symbol)] = 1.0
    return z


def test_the_metric_is_the_1997_criterion() -> None:
    task = Reber()
    batch = task.sample(np.random.default_rng(1), 64)
    legal = _legal_outputs(task, batch)
    assert task.metric(legal, batch) == 1.0
    assert task.metric(np.zeros_like(legal), batch) == 0.0  # uniform: no symbol stands out
    # Sure of the sampled next symbol only: at a branch the other legal symbol is not "most
    # active", and every string branches at its outer T/P.
    assert task.metric(np.eye(7)[batch.y], batch) == 0.0
    # Right everywhere but the long-term dependency: the wrong T/P before the final E.
    forgetful = legal.copy()
    outer = [SYMBOLS.index("T"), SYMBOLS.index("P")]
    for b in range(64):
        t = int(np.flatnonzero(batch.mask[:, b])[-1]) - 1  # the step that predicts the T/P
        forgetful[t, b, outer] = 1 - forgetful[t, b, outer]
    assert task.metric(forgetful, batch) == 0.0
    # Half of the strings forgotten: half right.
    half = legal.copy()
    half[:, ::2] = forgetful[:, ::2]
    assert task.metric(half, batch) == 0.5
