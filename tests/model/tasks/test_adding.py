"""adding: markers placed as in the 1997 paper, the target recomputed from the marked values,
the mask at each sequence's end, and the paper's 0.04 criterion."""

from __future__ import annotations

import numpy as np
import pytest

from model.tasks.adding import Adding


@pytest.mark.parametrize("T", [20, 50, 101])
def test_markers_lengths_and_targets_follow_the_paper(T: int) -> None:
    task = Adding(length=T)
    batch = task.sample(np.random.default_rng(T), 400)
    steps = batch.x.shape[0]
    second_positions = set()
    for b in range(400):
        (last,) = np.flatnonzero(batch.mask[:, b])
        length = last + 1
        assert T <= length <= T + T // 10
        values, markers = batch.x[:length, b, 0], batch.x[:length, b, 1]
        assert np.all(np.abs(values) <= 1) and set(np.unique(markers)) <= {-1.0, 0.0, 1.0}
        marked = np.flatnonzero(markers == 1)
        assert len(marked) == 2
        assert marked[0] < 10 and marked[1] < T // 2
        second_positions.add(int(marked[1]))
        assert markers[-1] == -1
        assert markers[0] == (1 if 0 in marked else -1)
        assert np.all(markers[1:-1][markers[1:-1] != 1] == 0)
        if 0 in marked:
            assert values[0] == 0
        expected = 0.5 + values[marked].sum() / 4.0
        assert batch.y[last, b, 0] == pytest.approx(expected, abs=1e-6)
        assert np.all(batch.x[length:steps, b] == 0), "padding is zero"
    assert len(second_positions) >= T // 2 - 2, "the later mark ranges over the first half"


def test_accuracy_is_the_share_of_ends_within_0_04() -> None:
    task = Adding()
    batch = task.sample(np.random.default_rng(0), 2000)
    assert task.metric(batch.y, batch) == 1.0
    assert task.metric(batch.y + 0.039, batch) == 1.0
    assert task.metric(batch.y - 0.041, batch) == 0.0
    half = np.full_like(batch.y, 0.5)
    # Always 0.5 is right when |X1 + X2| < 0.16; the sum's density near 0 is 1/2, so about 16 %.
    assert task.metric(half, batch) == pytest.approx(0.16, abs=0.03)


def test_the_example_lists_value_marker_pairs() -> None:
    task = Adding(length=30)
    pairs = [pair.split(",") for pair in task.example().split()]
    assert 30 <= len(pairs) <= 33
    markers = [float(marker) for _, marker in pairs]
    assert markers.count(1.0) == 2 and markers[-1] == -1.0
    assert all(-1 <= float(value) <= 1 for value, _ in pairs)
    assert task.config() == {"length": 30}
