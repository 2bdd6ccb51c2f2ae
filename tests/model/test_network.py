"""Network: what run and backward accept, refuse, and keep to themselves."""

from __future__ import annotations

import numpy as np
import pytest

from model import Network


def test_the_trace_does_not_share_the_callers_input() -> None:
    rng = np.random.default_rng(0)
    net = Network.random("lstm", 3, 4, seed=2)
    x = rng.standard_normal((5, 3)).astype(np.float32)  # already the network's dtype
    trace = net.run(x)
    before = net.backward(trace, np.ones((5, 4))).params[0]["W_x"].copy()
    x[:] = 0  # the caller reuses its buffer
    after = net.backward(trace, np.ones((5, 4))).params[0]["W_x"]
    np.testing.assert_array_equal(before, after)


def test_trace_values_are_read_only() -> None:
    trace = Network.random("gru", 2, 3).run(np.ones((4, 2)))
    with pytest.raises(ValueError, match="read-only"):
        trace["z"][:] = 0
    with pytest.raises(ValueError, match="read-only"):
        trace.layers[0].x[0, 0, 0] = 1


def test_backward_refuses_a_trace_from_another_network() -> None:
    a = Network.random("lstm", 2, 3, seed=1)
    b = Network.random("lstm", 2, 3, seed=2)  # same shapes, other weights
    trace = a.run(np.ones((4, 2)))
    with pytest.raises(ValueError, match="not made by this network"):
        b.backward(trace, np.ones((4, 3)))


@pytest.mark.parametrize(
    ("kind", "arguments", "message"),
    [
        ("lstm", {"dh": np.full((4, 3), np.nan)}, "dh must be finite"),
        ("lstm", {"dh": np.ones((4, 2))}, r"shape of trace\.h"),
        ("lstm", {"dh_last": np.ones(7)}, r"dh_last must have the shape of one step"),
        ("lstm", {"dc_last": np.array([1.0, np.inf, 0.0])}, "dc_last must be finite"),
        ("gru", {"dc_last": np.ones(3)}, "gru layer has no cell state"),
    ],
)
def test_backward_refuses_bad_gradients(kind: str, arguments: dict, message: str) -> None:
    net = Network.random(kind, 2, 3)
    trace = net.run(np.ones((4, 2)))
    arguments = {"dh": np.ones((4, 3)), **arguments}
    with pytest.raises(ValueError, match=message):
        net.backward(trace, **arguments)


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("lstm", {"linear_before_reset": True}, "GRU layers only"),
        ("gru", {"peepholes": True}, "coupled layers"),
        ("peephole", {"peepholes": False}, "always has peepholes"),
        ("lstm", {"clip": float("inf")}, "positive finite"),
        ("tree", {}, "unknown cell kind"),
        ("lstm", {"hidden_size": 0}, "at least 1"),
    ],
)
def test_random_refuses_options_that_do_not_apply(kind: str, options: dict, message: str) -> None:
    arguments = {"input_size": 2, "hidden_size": 3, **options}
    with pytest.raises(ValueError, match=message):
        Network.random(kind, **arguments)


def test_layers_must_chain() -> None:
    a = Network.random("lstm", 2, 3).layers[0]
    b = Network.random("gru", 4, 5).layers[0]
    with pytest.raises(ValueError, match="do not chain"):
        Network([a, b])
    with pytest.raises(ValueError, match="at least one layer"):
        Network([])


def test_mixed_stacks_run_and_backpropagate() -> None:
    lstm = Network.random("lstm", 2, 3, dtype=np.float64).layers[0]
    gru = Network.random("gru", 3, 4, dtype=np.float64).layers[0]
    rnn = Network.random("rnn", 4, 2, dtype=np.float64).layers[0]
    net = Network([lstm, gru, rnn])
    trace = net.run(np.ones((6, 2)))
    assert [layer.kind for layer in trace.layers] == ["lstm", "gru", "rnn"]
    grads = net.backward(trace, np.ones((6, 2)))
    assert grads.dc[0] is not None and grads.dc[1] is None
    assert grads.dx.shape == (6, 2)
