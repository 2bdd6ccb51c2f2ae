"""lag: p steps, the first x or y, then distractors only; the target is the first symbol, at the
last step only."""

from __future__ import annotations

import numpy as np
import pytest

from model.encoders import OneHotEncoder
from model.tasks.lag import Lag
from tests.model.tasks.helpers import confident, decode


@pytest.mark.parametrize("p", [2, 10, 37])
def test_the_target_is_the_first_symbol_after_p_minus_one_distractors(p: int) -> None:
    task = Lag(p=p)
    assert isinstance(task.encoder, OneHotEncoder)
    assert task.input_size == p + 1  # the paper's alphabet a1 … a{p-1}, x, y
    batch = task.sample(np.random.default_rng(p), 300)
    assert batch.x.shape[0] == p
    distractors = {f"a{k}" for k in range(1, p)}
    seen: set[str] = set()
    for b in range(300):
        symbols = decode(task.encoder, batch, b)
        assert len(symbols) == p
        assert symbols[0] in ("x", "y")
        assert set(symbols[1:]) <= distractors
        seen.update(symbols[1:])
        assert task.output_labels[batch.y[-1, b]] == symbols[0]
    assert seen == distractors
    expected_mask = np.zeros_like(batch.mask)
    expected_mask[-1] = True
    np.testing.assert_array_equal(batch.mask, expected_mask)
    assert 0.4 < np.mean(batch.y[-1]) < 0.6, "x and y equally likely"


def test_the_example_is_task_2a_and_the_config_holds_p() -> None:
    task = Lag(p=4)
    assert task.example() == "x a1 a2 a3"
    assert task.config() == {"p": 4}


def test_accuracy_is_one_when_right_and_about_half_for_random_outputs() -> None:
    task = Lag()
    batch = task.sample(np.random.default_rng(0), 2000)
    assert task.metric(confident(batch.y, 2), batch) == 1.0
    wrong = confident(1 - batch.y, 2)
    assert task.metric(wrong, batch) == 0.0
    noise = np.random.default_rng(1).standard_normal((*batch.mask.shape, 2))
    assert task.metric(noise, batch) == pytest.approx(0.5, abs=0.04)
