"""Training: losses and optimizer checked by hand and by finite differences; the loop learns a
tiny memory task in seconds, and the same seed gives the same weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from model.losses import cross_entropy, mean_squared, softmax
from model.optim import Adam, clip_by_global_norm
from model.readout import Readout
from model.tasks.base import Batch
from model.training import TrainConfig, initial_model, loss_and_gradients, train
from tests.model.toy_tasks import Remember


def _numeric_gradient(f: Any, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def test_cross_entropy_and_its_gradient() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 2, 4))
    y = rng.integers(0, 4, (3, 2))
    mask = np.array([[True, False], [True, True], [False, True]])
    loss, dz = cross_entropy(z, y, mask)
    p = softmax(z)
    by_hand = -np.mean([np.log(p[t, b, y[t, b]]) for t, b in zip(*np.nonzero(mask), strict=True)])
    assert loss == pytest.approx(by_hand, rel=1e-12)
    numeric = _numeric_gradient(lambda zz: cross_entropy(zz, y, mask)[0], z)
    np.testing.assert_allclose(dz, numeric, atol=1e-8)
    assert np.all(dz[~mask] == 0)


def test_mean_squared_and_its_gradient() -> None:
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    mask = rng.random((4, 3)) < 0.5
    mask[0, 0] = True
    loss, dz = mean_squared(z, y, mask)
    assert loss == pytest.approx(0.5 * np.sum((z - y)[mask] ** 2) / mask.sum(), rel=1e-12)
    numeric = _numeric_gradient(lambda zz: mean_squared(zz, y, mask)[0], z)
    np.testing.assert_allclose(dz, numeric, atol=1e-8)


def test_readout_gradients() -> None:
    rng = np.random.default_rng(2)
    readout = Readout(rng.standard_normal((3, 2)), rng.standard_normal(2))
    h, g = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 2))
    grads, dh = readout.backward(h, g)

    def loss(W: np.ndarray, b: np.ndarray, hh: np.ndarray) -> float:
        return float(np.sum(g * Readout(W, b)(hh)))

    W, b = readout.W_y, readout.b_y
    np.testing.assert_allclose(
        grads["W_y"], _numeric_gradient(lambda w: loss(w, b, h), W), atol=1e-7
    )
    np.testing.assert_allclose(
        grads["b_y"], _numeric_gradient(lambda v: loss(W, v, h), b), atol=1e-7
    )
    np.testing.assert_allclose(dh, _numeric_gradient(lambda x: loss(W, b, x), h), atol=1e-7)


def test_adam_first_steps_by_hand() -> None:
    adam = Adam(lr=0.1)
    theta = {"w": np.array([1.0, -2.0])}
    g = {"w": np.array([0.5, -4.0])}
    theta = adam.step(theta, g)
    # step 1: m̂ = g, v̂ = g², so the step is lr · g / |g| = lr · sign(g) (ε aside)
    np.testing.assert_allclose(theta["w"], [0.9, -1.9], rtol=1e-7)
    theta = adam.step(theta, {"w": np.array([0.5, 0.0])})
    # step 2, first entry: m = 0.9·0.05+0.05 = 0.095, m̂ = 0.095/0.19 = 0.5;
    # v = 0.999·0.00025+0.00025 = 0.00049975, v̂ = 0.00049975/0.001999 = 0.25 -> step 0.1·0.5/0.5
    assert theta["w"][0] == pytest.approx(0.8, rel=1e-6)


def test_clip_by_global_norm() -> None:
    grads = {"a": np.array([3.0]), "b": np.array([4.0])}
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"], [0.6])
    np.testing.assert_allclose(clipped["b"], [0.8])
    same, _ = clip_by_global_norm(grads, 10.0)
    assert same["a"] is grads["a"]


@pytest.mark.parametrize("variant", ["lstm", "peephole", "coupled", "gru", "rnn"])
def test_model_gradients_match_finite_differences(variant: str) -> None:
    task = Remember(lag=2)
    config = TrainConfig(hidden=3, seed=4)
    model = initial_model(task, variant, config)
    model = model.with_params({k: v.astype(np.float64) for k, v in model.params().items()})
    batch = task.sample(np.random.default_rng(0), 3)
    batch = Batch(batch.x.astype(np.float64), batch.y, batch.mask)
    _, grads, _ = loss_and_gradients(model, "cross_entropy", batch)
    params = model.params()
    for name in ("layer0.W_h", "readout.W_y"):

        def f(value: np.ndarray, name: str = name) -> float:
            return loss_and_gradients(
                model.with_params({**params, name: value}), "cross_entropy", batch
            )[0]

        np.testing.assert_allclose(
            grads[name], _numeric_gradient(f, params[name]), rtol=1e-5, atol=1e-9
        )


def test_training_learns_a_tiny_memory_task_and_is_reproducible() -> None:
    task = Remember(lag=5)
    config = TrainConfig(hidden=8, steps=150, batch=32, lr=0.05, seed=3)
    first = train(task, "lstm", config)
    assert np.mean(first.losses[-10:]) < 0.2 * np.mean(first.losses[:10])
    assert first.metric > 0.95
    again = train(task, "lstm", config)
    for name, value in first.model.params().items():
        np.testing.assert_array_equal(value, again.model.params()[name])
    assert again.losses == first.losses


def test_unknown_variant() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        initial_model(Remember(), "transformer", TrainConfig())
