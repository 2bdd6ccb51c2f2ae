"""to_onnx: ONNX Runtime executing our exported weights must reproduce our own run.

This is the second, independent path to the reference (the first builds ONNX graphs from
ONNX-layout weights, test_onnx_reference.py): here the weights start in our layout, so a wrong
gate order or sign in the export would show up as a mismatch against ONNX Runtime's numbers.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from model import Network, load_onnx, to_onnx

CASES = [
    ("lstm", {}),
    ("lstm", {"clip": 0.5}),
    ("peephole", {}),
    ("peephole", {"clip": 0.7}),
    ("coupled", {}),
    ("coupled", {"peepholes": True}),
    ("gru", {}),
    ("gru", {"linear_before_reset": True}),
    ("gru", {"linear_before_reset": True, "clip": 0.6}),
    ("rnn", {}),
]


def _ort(model: bytes, x: np.ndarray) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return session.run(None, {"X": x})


@pytest.mark.parametrize(("kind", "options"), CASES, ids=[f"{k}-{o}" for k, o in CASES])
def test_onnx_runtime_runs_our_export_to_our_numbers(kind: str, options: dict) -> None:
    net = Network.random(kind, 5, 17, num_layers=2, seed=2, scale=2.0, **options)
    x = np.random.default_rng(0).standard_normal((60, 3, 5)).astype(np.float32)
    Y, Y_h, *Y_c = _ort(to_onnx(net, batch=3), x)
    trace = net.run(x)
    np.testing.assert_allclose(trace.h, Y, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(trace.h[-1], Y_h[0], atol=1e-5, rtol=1e-5)
    if Y_c:
        np.testing.assert_allclose(trace.c[-1], Y_c[0][0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("kind", "options"), CASES, ids=[f"{k}-{o}" for k, o in CASES])
def test_export_then_import_gives_the_same_network(kind: str, options: dict) -> None:
    net = Network.random(kind, 4, 6, num_layers=3, seed=9, **options)
    back = load_onnx(to_onnx(net))
    assert [layer.kind for layer in back.layers] == [layer.kind for layer in net.layers]
    for ours, theirs in zip(net.layers, back.layers, strict=True):
        assert ours.params().keys() == theirs.params().keys()
        for name, value in ours.params().items():
            np.testing.assert_allclose(theirs.params()[name], value, rtol=1e-6, atol=1e-7)
        assert theirs.clip == (None if ours.clip is None else pytest.approx(ours.clip, rel=1e-6))
        assert theirs.linear_before_reset == ours.linear_before_reset


def test_initial_state_is_exported() -> None:
    base = Network.random("lstm", 3, 4, seed=1)
    rng = np.random.default_rng(3)
    layer = base.layers[0].with_params(
        h0=rng.standard_normal(4).astype(np.float32), c0=rng.standard_normal(4).astype(np.float32)
    )
    net = Network([layer])
    x = rng.standard_normal((10, 1, 3)).astype(np.float32)
    Y, _, Y_c = _ort(to_onnx(net), x)
    trace = net.run(x[:, 0])
    np.testing.assert_allclose(trace.h, Y[:, 0], atol=1e-5)
    np.testing.assert_allclose(trace.c[-1], Y_c[0, 0], atol=1e-5)
