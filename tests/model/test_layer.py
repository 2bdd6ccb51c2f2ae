"""Layer: validated on construction, frozen, and never read through a stale cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model import Layer, Network


def _lstm(H: int = 3, D: int = 2) -> Layer:
    return Network.random("lstm", D, H, seed=1).layers[0]


def test_a_layer_is_frozen_and_its_arrays_read_only() -> None:
    layer = _lstm()
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.W_h = np.zeros((3, 12), np.float32)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        layer.W_h[0, 0] = 1.0


def test_with_params_makes_a_new_layer_that_runs_with_the_new_weights() -> None:
    net = Network.random("lstm", 2, 3, seed=1)
    x = np.ones((4, 2), np.float32)
    before = net.run(x).h.copy()  # fills the layer's cache of prepared weights
    changed = Network([net.layers[0].with_params(W_h=np.zeros((3, 12), np.float32))])
    after = changed.run(x).h
    assert not np.allclose(before, after)
    np.testing.assert_array_equal(net.run(x).h, before)  # the original is untouched


def test_the_callers_arrays_are_copied() -> None:
    W_x = np.ones((2, 12), np.float32)
    layer = Layer("lstm", W_x, np.zeros((3, 12), np.float32), np.zeros(12, np.float32))
    W_x[:] = 5
    assert np.all(layer.W_x == 1)
    assert W_x.flags.writeable  # the caller's array keeps its flags


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "lstmx"}, "unknown cell kind"),
        ({"W_x": np.ones((2, 12), np.int64)}, "float32 or float64"),
        ({"W_x": np.ones((2, 10), np.float32)}, "multiple of 4"),
        ({"W_h": np.ones((3, 8), np.float32)}, r"W_h must have shape \(3, 12\)"),
        ({"b": np.ones(11, np.float32)}, r"b must have shape \(12,\)"),
        ({"W_h": np.full((3, 12), np.nan, np.float32)}, "NaN or infinity"),
        ({"p": np.ones((3, 3), np.float32)}, "no peephole weights"),
        ({"b_hn": np.ones(3, np.float32)}, "linear_before_reset"),
        ({"linear_before_reset": True}, "GRU layers only"),
        ({"clip": 0.0}, "positive finite"),
        ({"clip": float("inf")}, "positive finite"),
        ({"h0": np.ones(4, np.float32)}, r"h0 must have shape \(3,\)"),
    ],
)
def test_bad_parameters_are_refused(change: dict, message: str) -> None:
    base = {
        "kind": "lstm",
        "W_x": np.ones((2, 12), np.float32),
        "W_h": np.ones((3, 12), np.float32),
        "b": np.ones(12, np.float32),
    }
    with pytest.raises(ValueError, match=message):
        Layer(**{**base, **change})


def test_a_peephole_layer_needs_peepholes_and_an_rnn_has_no_cell_state() -> None:
    W = np.ones((2, 12), np.float32), np.ones((3, 12), np.float32), np.ones(12, np.float32)
    with pytest.raises(ValueError, match="needs p"):
        Layer("peephole", *W)
    rnn = np.ones((2, 3), np.float32), np.ones((3, 3), np.float32), np.ones(3, np.float32)
    with pytest.raises(ValueError, match="no cell state"):
        Layer("rnn", *rnn, c0=np.zeros(3, np.float32))


def test_b_hn_only_with_the_pytorch_form() -> None:
    gru = np.ones((2, 9), np.float32), np.ones((3, 9), np.float32), np.ones(9, np.float32)
    layer = Layer("gru", *gru, b_hn=np.ones(3, np.float32), linear_before_reset=True)
    assert layer.params().keys() == {"W_x", "W_h", "b", "b_hn"}
    with pytest.raises(ValueError, match="linear_before_reset"):
        Layer("gru", *gru, b_hn=np.ones(3, np.float32))
