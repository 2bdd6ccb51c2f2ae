"""The shared helpers of base.py: one-hot rows with zero padding, step masks, option checks."""

from __future__ import annotations

import numpy as np
import pytest

from model.tasks.base import (
    fraction_option,
    integer_option,
    last_step_mask,
    one_hot,
    pad,
    steps_mask,
)


def test_one_hot_gives_unit_rows_and_zero_rows_for_padding() -> None:
    indices = pad([np.array([2, 0, 1]), np.array([1])], fill=-1)  # (3, 2)
    x = one_hot(indices, 3)
    assert x.dtype == np.float32 and x.shape == (3, 2, 3)
    np.testing.assert_array_equal(x[:, 0], np.eye(3)[[2, 0, 1]])
    np.testing.assert_array_equal(x[:, 1], [[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"\[-1, 3\)"):
        one_hot(np.array([3]), 3)


def test_step_masks_follow_the_lengths() -> None:
    lengths = np.array([3, 1, 2])
    np.testing.assert_array_equal(
        steps_mask(lengths, 3), [[True, True, True], [True, False, True], [True, False, False]]
    )
    np.testing.assert_array_equal(
        last_step_mask(lengths, 3),
        [[False, True, False], [False, False, True], [True, False, False]],
    )


def test_option_checks() -> None:
    assert integer_option("n", np.int64(4), 1) == 4
    assert integer_option("n", 3, 1, 3) == 3
    with pytest.raises(ValueError, match=r"option n must be in \[1, 3\], got 4"):
        integer_option("n", 4, 1, 3)
    assert fraction_option("f", 0) == 0.0
    with pytest.raises(ValueError, match="option f must be a number"):
        fraction_option("f", "0.5")
