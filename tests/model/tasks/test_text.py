"""text: windows are verbatim pieces of the training or the held-out text (never both), the
target is the next character, and bits per character is 0 when sure and right, log2 V when
uniform."""

from __future__ import annotations

import os

import numpy as np
import pytest

from model.encoders import OneHotEncoder
from model.tasks.text import CORPUS_FILES, UNKNOWN, VOCABULARY, Text, load_corpus
from tests.model.tasks.helpers import confident, decode


def _as_vocabulary(text: str) -> str:
    """text with every character outside the vocabulary replaced by UNKNOWN."""
    known = set(VOCABULARY)
    return "".join(c if c in known else UNKNOWN for c in text)


def test_the_corpus_is_the_named_stdlib_files_split_90_10_at_line_ends() -> None:
    assert list(CORPUS_FILES) == sorted(CORPUS_FILES)
    training, held_out = load_corpus()
    library = os.path.dirname(os.__file__)
    whole = ""
    for name in CORPUS_FILES:
        with open(os.path.join(library, name), encoding="utf-8") as file:
            whole += file.read()
    assert len(training) + len(held_out) == len(whole)
    assert 0.85 < len(training) / len(whole) < 0.95
    assert training.endswith("\n")
    assert Text().corpus_sha256 == Text().corpus_sha256


def test_the_vocabulary_is_printable_ascii_newline_tab_and_unknown() -> None:
    assert len(VOCABULARY) == 95 + 3
    assert set(VOCABULARY) == {*map(chr, range(32, 127)), "\n", "\t", UNKNOWN}
    task = Text()
    assert isinstance(task.encoder, OneHotEncoder)
    assert task.encoder.decode(task._columns("é\tA")) == [UNKNOWN, "\t", "A"]


def test_windows_come_from_their_own_part_and_the_target_is_the_next_character() -> None:
    task = Text(length=40)
    assert isinstance(task.encoder, OneHotEncoder)
    training, held_out = (_as_vocabulary(part) for part in load_corpus())
    for draw, source in ((task.sample, training), (task.held_out, held_out)):
        batch = draw(np.random.default_rng(0), 12)
        assert batch.x.shape == (40, 12, 98) and batch.mask.all()
        for b in range(12):
            window = "".join(decode(task.encoder, batch, b))
            following = "".join(task.encoder.decode(batch.y[:, b]))
            assert window[1:] == following[:-1]
            assert window + following[-1] in source


def test_bits_per_character_is_zero_when_sure_and_log2_v_when_uniform() -> None:
    task = Text(length=30)
    assert task.lower_is_better and task.metric_name == "bits per character"
    batch = task.sample(np.random.default_rng(1), 8)
    assert task.metric(confident(batch.y, 98, scale=50.0), batch) == pytest.approx(0, abs=1e-12)
    uniform = np.zeros((*batch.mask.shape, 98))
    assert task.metric(uniform, batch) == pytest.approx(np.log2(98))
    # Logits 0 on the target and one other character, far below on the rest: p(target) = 1/2.
    half = np.where(np.eye(98)[batch.y] + np.eye(98)[(batch.y + 1) % 98] > 0, 0.0, -1000.0)
    assert task.metric(half, batch) == pytest.approx(1.0)
