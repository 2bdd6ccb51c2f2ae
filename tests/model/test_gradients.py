"""BPTT checked against central finite differences, float64, every kind and every parameter.

The loss is L = Σ_t Σ_j g_tj · h_tj for a fixed random g, plus a term on the final cell state
when there is one, so every path (outputs, recurrence, cell line, stacked layers) is exercised.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model import Network

CASES = [
    ("lstm", {}),
    ("lstm", {"clip": 0.7}),
    ("peephole", {}),
    ("peephole", {"clip": 0.9}),
    ("coupled", {}),
    ("coupled", {"peepholes": True}),
    ("gru", {}),
    ("gru", {"linear_before_reset": True}),
    ("gru", {"clip": 0.8}),
    ("gru", {"linear_before_reset": True, "clip": 0.8}),
    ("rnn", {}),
    ("rnn", {"clip": 0.6}),
]


def _loss(net: Network, x: np.ndarray, g: np.ndarray, g_c: np.ndarray) -> float:
    trace = net.run(x)
    loss = float(np.sum(g * trace.h))
    if "c" in trace.layers[-1].slots:
        loss += float(np.sum(g_c * trace.c[-1]))
    return loss


def _replace(net: Network, k: int, name: str, value: np.ndarray) -> Network:
    layers = list(net.layers)
    layers[k] = layers[k].with_params(**{name: value})
    return Network(layers)


@pytest.mark.parametrize(("kind", "options"), CASES, ids=[f"{k}-{o}" for k, o in CASES])
@pytest.mark.parametrize("batched", [False, True])
def test_gradients_match_finite_differences(kind: str, options: dict, batched: bool) -> None:
    rng = np.random.default_rng(7)
    net = Network.random(kind, 3, 4, num_layers=2, seed=3, dtype=np.float64, scale=2.0, **options)
    T = 6
    x = rng.standard_normal((T, 2, 3) if batched else (T, 3))
    trace = net.run(x)
    g = rng.standard_normal(trace.h.shape)
    g_c = rng.standard_normal(trace.h.shape[1:])
    has_c = "c" in trace.layers[-1].slots
    grads = net.backward(trace, g, dc_last=g_c if has_c else None)

    eps = 1e-6
    for k, layer in enumerate(net.layers):
        for name, value in layer.params().items():
            numeric = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                plus, minus = value.copy(), value.copy()
                plus[index] += eps
                minus[index] -= eps
                numeric[index] = (
                    _loss(_replace(net, k, name, plus), x, g, g_c)
                    - _loss(_replace(net, k, name, minus), x, g, g_c)
                ) / (2 * eps)
            analytic = grads.params[k][name]
            assert analytic.shape == value.shape
            np.testing.assert_allclose(
                analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=f"layer {k}: {name}"
            )
        assert set(grads.params[k]) == set(layer.params())

    # dL/dx by finite differences on the input
    numeric_x = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric_x[index] = (_loss(net, plus, g, g_c) - _loss(net, minus, g, g_c)) / (2 * eps)
    np.testing.assert_allclose(grads.dx, numeric_x, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["lstm", "peephole", "coupled", "gru", "rnn"])
def test_dh_is_the_total_gradient_at_each_step(kind: str) -> None:
    """grads.dh[t] is dL/dh_t with everything after t: perturbing h_t through a state restart
    at t+1 must change L by dh[t+1]·δ (checked through the initial-state gradient dh0)."""
    rng = np.random.default_rng(1)
    net = Network.random(kind, 2, 3, seed=5, dtype=np.float64, scale=1.5)
    x = rng.standard_normal((5, 2))
    trace = net.run(x)
    g = rng.standard_normal(trace.h.shape)
    grads = net.backward(trace, g)
    # Restart from the state after step 1 and compare dh0 of the tail with dh of step 1.
    state = tuple(layer.state_at(1) for layer in trace.layers)
    tail = net.run(x[2:], state)
    np.testing.assert_allclose(tail.h, trace.h[2:], rtol=1e-12, atol=1e-12)
    tail_grads = net.backward(tail, g[2:])
    np.testing.assert_allclose(tail_grads.dh0[0] + g[1], grads.dh[0][1], rtol=1e-10, atol=1e-12)
    if grads.dc[0] is not None:
        np.testing.assert_allclose(
            grads.h_norms(), np.linalg.norm(grads.dh[-1], axis=-1), rtol=1e-12
        )
        assert tail_grads.dc0[0] is not None
        # dL/dC_1 = dL/dC_{-1} of the tail + the part entering through h_1 at step 1
        assert grads.c_norms().shape == (5,)


def test_backward_rejects_a_wrong_shape() -> None:
    net = Network.random("lstm", 2, 3)
    trace = net.run(np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"shape of trace\.h"):
        net.backward(trace, np.zeros((4, 2)))


def test_layer_params_are_read_only() -> None:
    layer = Network.random("lstm", 2, 3).layers[0]
    with pytest.raises(ValueError):
        layer.W_h[0, 0] = 1.0
    assert dataclasses.is_dataclass(layer)
