"""BPTT checked against central finite differences, float64, every kind and every parameter.

The loss is L = Σ_t Σ_j g_tj · h_tj for a fixed random g, plus a term on the final cell state
when there is one, so every path (outputs, recurrence, cell line, stacked layers) is exercised.
"""

from __future__ import annotations

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
def test_dh_and_dc_are_the_total_gradients_at_each_step(kind: str) -> None:
    """grads.dh[t] and grads.dc[t] are dL/dh_t and dL/dC_t including everything after t.

    Restarting the run from the state after step 1, the tail's dL/d(initial state) is what
    flows back into step 1 from the future; adding step 1's own contributions must give
    dh[1] and dc[1]. Their norms are the gradient-flow curves.
    """
    rng = np.random.default_rng(1)
    net = Network.random(kind, 2, 3, seed=5, dtype=np.float64, scale=1.5)
    x = rng.standard_normal((5, 2))
    trace = net.run(x)
    g = rng.standard_normal(trace.h.shape)
    grads = net.backward(trace, g)
    state = tuple(layer.state_at(1) for layer in trace.layers)
    tail = net.run(x[2:], state)
    np.testing.assert_allclose(tail.h, trace.h[2:], rtol=1e-12, atol=1e-12)
    tail_grads = net.backward(tail, g[2:])
    dh_1 = tail_grads.dh0[0] + g[1]  # from the future, and from the loss at step 1
    np.testing.assert_allclose(dh_1, grads.dh[0][1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.h_norms()[1], np.linalg.norm(dh_1), rtol=1e-10)
    if kind == "lstm":  # dL/dC_1 = from the future + through h_1 = o_1 * tanh(C_1)
        o_1, tanh_c_1 = trace["o"][1], np.tanh(trace["c"][1])
        assert tail_grads.dc0[0] is not None
        dc_1 = tail_grads.dc0[0] + dh_1 * o_1 * (1 - tanh_c_1**2)
        np.testing.assert_allclose(grads.dc[0][1], dc_1, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads.c_norms()[1], np.linalg.norm(dc_1), rtol=1e-10)
    elif kind in ("gru", "rnn"):
        with pytest.raises(ValueError, match="no cell state"):
            grads.c_norms()


def test_backward_rejects_a_wrong_shape() -> None:
    net = Network.random("lstm", 2, 3)
    trace = net.run(np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"shape of trace\.h"):
        net.backward(trace, np.zeros((4, 2)))
