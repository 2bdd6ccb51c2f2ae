"""brackets: the target depth recomputed by counting the decoded characters; the walk stays in
[0, max_depth] and reaches both ends."""

from __future__ import annotations

import numpy as np
import pytest

from model.encoders import OneHotEncoder
from model.tasks.brackets import Brackets
from tests.model.tasks.helpers import confident, decode


@pytest.mark.parametrize(("max_depth", "length"), [(1, 7), (5, 50), (3, 120)])
def test_the_target_is_the_depth_after_every_character(max_depth: int, length: int) -> None:
    task = Brackets(max_depth=max_depth, length=length)
    assert isinstance(task.encoder, OneHotEncoder)
    assert task.output_labels == tuple(str(d) for d in range(max_depth + 1))
    batch = task.sample(np.random.default_rng(max_depth), 100)
    assert batch.x.shape[0] == length and batch.mask.all()
    reached = set()
    for b in range(100):
        depth, depths = 0, []
        for character in decode(task.encoder, batch, b):
            depth += {"(": 1, ")": -1, "a": 0}[character]
            assert 0 <= depth <= max_depth
            depths.append(depth)
        assert batch.y[:, b].tolist() == depths
        reached.update(depths)
    assert reached == set(range(max_depth + 1))


def test_filler_sets_the_share_of_other_characters() -> None:
    none = Brackets(filler=0.0).sample(np.random.default_rng(0), 20)
    assert none.x[..., 2].sum() == 0
    many = Brackets(filler=0.9).sample(np.random.default_rng(0), 20)
    assert many.x[..., 2].mean() == pytest.approx(0.9, abs=0.03)


def test_accuracy_is_one_when_right_and_chance_for_random_outputs() -> None:
    task = Brackets()
    batch = task.sample(np.random.default_rng(1), 100)
    assert task.metric(confident(batch.y, task.output_size), batch) == 1.0
    noise = np.random.default_rng(2).standard_normal((*batch.mask.shape, task.output_size))
    assert task.metric(noise, batch) == pytest.approx(1 / 6, abs=0.02)
    assert task.config() == {"max_depth": 5, "length": 50, "filler": 0.2}
