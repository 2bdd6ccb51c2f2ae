"""interpret.best_unit finds a planted unit; find_units finds the brackets counter."""

from __future__ import annotations

import numpy as np

from model.interpret import best_unit, find_units
from model.model_file import load_model
from tests.model.test_shipped_models import TRAINED


def test_best_unit_finds_the_planted_column_and_its_sign() -> None:
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(500)
    states = rng.standard_normal((500, 8))
    states[:, 5] = -2 * feature + 0.1 * rng.standard_normal(500)
    unit, r = best_unit(states, feature)
    assert unit == 5 and r < -0.99
    constant = np.ones((500, 3))
    assert best_unit(constant, feature)[1] == 0.0  # no variance: no correlation, no NaN


def test_the_brackets_lstm_has_a_depth_counter() -> None:
    units = find_units(load_model(TRAINED / "brackets-lstm.json"))
    assert [u.feature for u in units] == ["nesting depth"]
    assert abs(units[0].r) > 0.9
    assert find_units(load_model(TRAINED / "reber-lstm.json")) == []  # no feature defined


def test_text_features_by_hand() -> None:
    from model.interpret import _text_features

    window = 'ab\n  x = "q"\n'  # before the first newline the line's start is unknown
    symbols = np.array(list(window)).reshape(-1, 1)
    features = _text_features(symbols, np.ones(symbols.shape, bool))
    known = features["_steps"][:, 0]
    assert not known[:3].any() and known[3:].all()
    assert list(features["column on the line"][3:, 0]) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    assert list(features["indentation"][3:, 0]) == [1, 2, 2, 2, 2, 2, 2, 2, 2, 0]
    assert list(features["inside quotes"][3:, 0]) == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]
