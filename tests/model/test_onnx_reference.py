"""load_onnx + Network.run against ONNX Runtime, the reference, for every kind and option.

Models are built from random ONNX-layout weights (tests/model/onnx_builders.py), so the
importer's reordering (gate order, GRU z negation, bias folding, peephole rows) is what is
checked, together with the cells. Float32 throughout, to atol = rtol = 1e-5.

One regime is compared over a prefix only, still at 1e-5: the tanh RNN with scale-4 weights,
which is chaotic (see ``_horizon``); every other case compares every step.

ONNX Runtime has no double-precision LSTM, GRU or RNN kernels ("does not support double
yet"), so float64 models are checked two ways: cast to float32 and compared with ONNX Runtime,
and run in float64 against onnx.reference (pure NumPy) where that evaluator is complete
(it ignores clip and input_forget).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from model import Network, load_onnx
from tests.model.onnx_builders import (
    ATOL,
    RTOL,
    LayerSpec,
    random_layer,
    random_stack,
    run_ort,
    run_reference,
    stack_model,
    to_bytes,
)

# (ONNX op, builder options, the kind load_onnx must produce)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("LSTM", {}, "lstm"),
    ("LSTM", {"clip": 0.8}, "lstm"),
    ("LSTM", {"peepholes": True}, "peephole"),
    ("LSTM", {"peepholes": True, "clip": 0.6}, "peephole"),
    ("LSTM", {"input_forget": 1}, "coupled"),
    ("LSTM", {"input_forget": 1, "clip": 0.7}, "coupled"),
    ("LSTM", {"input_forget": 1, "peepholes": True}, "coupled"),
    ("LSTM", {"input_forget": 1, "peepholes": True, "clip": 0.5}, "coupled"),
    ("GRU", {"linear_before_reset": 0}, "gru"),
    ("GRU", {"linear_before_reset": 0, "clip": 0.6}, "gru"),
    ("GRU", {"linear_before_reset": 1}, "gru"),
    ("GRU", {"linear_before_reset": 1, "clip": 0.6}, "gru"),
    ("RNN", {}, "rnn"),
    ("RNN", {"clip": 0.4}, "rnn"),
]
CASE_IDS = [f"{op}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'plain'}" for op, o, _ in CASES]

# (D, H, T, seed, nonzero initial state)
SIZES = [
    (1, 1, 300, 0, False),
    (3, 7, 7, 1, True),
    (64, 5, 1, 2, True),
    (16, 64, 300, 3, True),
    (8, 32, 120, 4, False),
    (7, 300, 30, 5, True),  # H ≥ 256 at batch 1: the cells' transposed-recurrence path
]
SIZE_IDS = [f"D{d}-H{h}-T{t}-s{s}{'-h0' if i else ''}" for d, h, t, s, i in SIZES]


def _inputs(T: int, batch: int, D: int, seed: int, dtype: type = np.float32) -> np.ndarray:
    return np.random.default_rng(1000 + seed).standard_normal((T, batch, D)).astype(dtype)


def _chaotic(op: str, scale: float) -> bool:
    return op == "RNN" and scale > 1


def _horizon(net: Network, x: np.ndarray, Y: np.ndarray) -> int:
    """How many steps ONNX Runtime's float32 run Y stays within 2.5e-6 of our float64 run.

    A tanh RNN with large weights (RNN at scale 4 with H ≳ 9 here) is chaotic: a rounding
    difference grows about tenfold every ~10 steps, so ANY two float32 implementations are ~1
    apart after 100-300 steps -- our own float32 and float64 runs as much as ours and ONNX
    Runtime. (ONNX Runtime's float32 tanh is off by up to 1.8e-7, NumPy's by 6e-8, so its run
    parts from the float64 trajectory first: after 5-150 steps in these cases, fewest in the
    3-layer stack.) There we compare the steps before that, still at atol 1e-5. Only this
    regime gets the prefix: all other cases compare every step. A wrong weight mapping
    would part at step 0, so at least 3 steps must agree.
    """
    h64 = net.astype(np.float64).run(x.astype(np.float64)).h
    apart = np.abs(Y - h64).reshape(len(Y), -1).max(axis=1) > 2.5e-6
    horizon = int(np.argmax(apart)) if apart.any() else len(Y)
    assert horizon >= min(len(Y), 3)
    return horizon


def _compare(
    layers: list[LayerSpec],
    X: np.ndarray,
    kind: str,
    batched: bool = False,
    chaotic: bool = False,
) -> Network:
    """Load the model built from ``layers``, run it, and check it against ONNX Runtime."""
    model_bytes = to_bytes(stack_model(layers, seq_len=X.shape[0], batch=X.shape[1]))
    ref = run_ort(model_bytes, X)
    net = load_onnx(model_bytes)
    assert net.kind == kind
    assert len(net.layers) == len(layers)
    assert net.dtype == np.float32
    x = X if batched else X[:, 0]
    trace = net.run(x)
    Y = ref["Y"][:, 0] if batched else ref["Y"][:, 0, 0]  # (T, [B,] H)
    T = _horizon(net, x, Y) if chaotic else len(Y)
    np.testing.assert_allclose(trace.h[:T], Y[:T], atol=ATOL, rtol=RTOL)
    if len(Y) > T:
        return net
    Y_h = ref["Y_h"][0] if batched else ref["Y_h"][0, 0]
    np.testing.assert_allclose(trace.h[-1], Y_h, atol=ATOL, rtol=RTOL)
    if "Y_c" in ref:
        Y_c = ref["Y_c"][0] if batched else ref["Y_c"][0, 0]
        np.testing.assert_allclose(trace.c[-1], Y_c, atol=ATOL, rtol=RTOL)
    return net


@pytest.mark.parametrize("scale", [0.5, 4.0])
@pytest.mark.parametrize(("D", "H", "T", "seed", "initial"), SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(("op", "options", "kind"), CASES, ids=CASE_IDS)
def test_single_layer_matches_onnxruntime(
    op: str,
    options: dict[str, Any],
    kind: str,
    D: int,
    H: int,
    T: int,
    seed: int,
    initial: bool,
    scale: float,
) -> None:
    layers = random_stack(op, D, H, 1, seed, scale=scale, initial_state=initial, **options)
    _compare(layers, _inputs(T, 1, D, seed), kind, chaotic=_chaotic(op, scale))


@pytest.mark.parametrize("num_layers", [2, 3])
@pytest.mark.parametrize("scale", [0.5, 4.0])
@pytest.mark.parametrize(("op", "options", "kind"), CASES, ids=CASE_IDS)
def test_stack_matches_onnxruntime(
    op: str, options: dict[str, Any], kind: str, scale: float, num_layers: int
) -> None:
    """Squeeze-joined stacks, the TorchScript exporter's layout; every layer with h0/c0."""
    seed = 10 * num_layers + int(scale)
    layers = random_stack(op, 6, 9, num_layers, seed, scale=scale, initial_state=True, **options)
    net = _compare(layers, _inputs(60, 1, 6, seed), kind, chaotic=_chaotic(op, scale))
    assert [layer.hidden_size for layer in net.layers] == [9] * num_layers


def test_stack_of_different_widths() -> None:
    rng = np.random.default_rng(5)
    layers = [
        random_layer("LSTM", 3, 11, rng, peepholes=True, initial_state=True),
        random_layer("LSTM", 11, 2, rng, peepholes=True, initial_state=True, clip=0.9),
        random_layer("LSTM", 2, 17, rng, peepholes=True),
    ]
    net = _compare(layers, _inputs(40, 1, 3, 5), "peephole")
    assert [(layer.input_size, layer.hidden_size) for layer in net.layers] == [
        (3, 11),
        (11, 2),
        (2, 17),
    ]


@pytest.mark.parametrize("scale", [0.5, 4.0])
@pytest.mark.parametrize(("op", "options", "kind"), CASES, ids=CASE_IDS)
def test_batch_matches_onnxruntime(
    op: str, options: dict[str, Any], kind: str, scale: float
) -> None:
    """net.run on (T, B, D) against ONNX Runtime on a batch of B sequences (shared h0/c0)."""
    B = 4
    layers = random_stack(op, 5, 12, 2, seed=7, scale=scale, initial_state=True, batch=B, **options)
    _compare(layers, _inputs(45, B, 5, 7), kind, batched=True, chaotic=_chaotic(op, scale))


def test_batch_rows_equal_single_runs() -> None:
    """Each row of a batched run is the same as running that sequence alone."""
    layers = random_stack("LSTM", 4, 6, 2, seed=3, peepholes=True, initial_state=True)
    net = load_onnx(to_bytes(stack_model(layers)))
    X = _inputs(30, 3, 4, 3)
    batched = net.run(X)
    for b in range(3):
        alone = net.run(X[:, b])
        np.testing.assert_allclose(batched.h[:, b], alone.h, atol=1e-6, rtol=1e-6)
        np.testing.assert_allclose(batched.c[:, b], alone.c, atol=1e-6, rtol=1e-6)


def test_zero_peepholes_import_as_plain_lstm() -> None:
    layers = random_stack("LSTM", 3, 5, 1, seed=2, peepholes=True)
    assert layers[0].P is not None
    layers[0].P[...] = 0
    net = _compare(layers, _inputs(20, 1, 3, 2), "lstm")
    assert net.layers[0].p is None


def test_constant_nodes_instead_of_initializers() -> None:
    layers = random_stack("GRU", 3, 5, 2, seed=4, linear_before_reset=1, initial_state=True)
    model_bytes = to_bytes(stack_model(layers, constants_as_nodes=True))
    X = _inputs(25, 1, 3, 4)
    ref = run_ort(model_bytes, X)
    trace = load_onnx(model_bytes).run(X[:, 0])
    np.testing.assert_allclose(trace.h, ref["Y"][:, 0, 0], atol=ATOL, rtol=RTOL)


# -- float64 ------------------------------------------------------------------------------------


def _as_float64(layers: list[LayerSpec]) -> list[LayerSpec]:
    """The same weights in float64 (exactly: they were drawn in float32)."""
    out = []
    for spec in layers:
        arrays = {
            name: None if getattr(spec, name) is None else getattr(spec, name).astype(np.float64)
            for name in ("W", "R", "B", "P", "initial_h", "initial_c")
        }
        out.append(
            LayerSpec(
                spec.op,
                clip=spec.clip,
                input_forget=spec.input_forget,
                linear_before_reset=spec.linear_before_reset,
                **arrays,  # type: ignore[arg-type]
            )
        )
    return out


@pytest.mark.parametrize(("op", "options", "kind"), CASES, ids=CASE_IDS)
def test_float64_model_cast_to_float32_matches_onnxruntime(
    op: str, options: dict[str, Any], kind: str
) -> None:
    layers = random_stack(op, 4, 10, 2, seed=8, scale=2.0, initial_state=True, **options)
    X = _inputs(80, 1, 4, 8)
    ref = run_ort(to_bytes(stack_model(layers)), X)  # ORT has no double RNN kernels
    model64 = to_bytes(stack_model(_as_float64(layers)))
    net64 = load_onnx(model64)
    assert net64.dtype == np.float64 and net64.kind == kind
    net32 = load_onnx(model64, dtype=np.float32)
    assert net32.dtype == np.float32
    trace = net32.run(X[:, 0])
    np.testing.assert_allclose(trace.h, ref["Y"][:, 0, 0], atol=ATOL, rtol=RTOL)
    if "Y_c" in ref:
        np.testing.assert_allclose(trace.c[-1], ref["Y_c"][0, 0], atol=ATOL, rtol=RTOL)
    # The float64 engine is within float32 rounding of ONNX Runtime's float32 run.
    np.testing.assert_allclose(net64.run(X[:, 0]).h, ref["Y"][:, 0, 0], atol=ATOL, rtol=RTOL)


REFERENCE_CASES = [
    (op, options, kind)
    for op, options, kind in CASES
    if "clip" not in options and "input_forget" not in options
]


@pytest.mark.parametrize(
    ("op", "options", "kind"),
    REFERENCE_CASES,
    ids=[f"{op}-{o}" for op, o, _ in REFERENCE_CASES],
)
def test_float64_matches_onnx_reference_evaluator(
    op: str, options: dict[str, Any], kind: str
) -> None:
    """In float64 the engine agrees with onnx.reference (NumPy) to ~1e-12."""
    layers = _as_float64(random_stack(op, 4, 10, 2, seed=9, scale=3.0, initial_state=True,
                                      **options))  # fmt: skip
    model_bytes = to_bytes(stack_model(layers))
    X = _inputs(100, 1, 4, 9, np.float64)
    ref = run_reference(model_bytes, X)
    net = load_onnx(model_bytes)
    assert net.dtype == np.float64 and net.kind == kind
    trace = net.run(X[:, 0])
    np.testing.assert_allclose(trace.h, ref["Y"][:, 0, 0], atol=1e-12, rtol=1e-10)
    if "Y_c" in ref:
        np.testing.assert_allclose(trace.c[-1], ref["Y_c"][0, 0], atol=1e-12, rtol=1e-10)


# -- step ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "options", "kind"), CASES, ids=CASE_IDS)
def test_step_reproduces_run(op: str, options: dict[str, Any], kind: str) -> None:
    """Feeding one vector at a time through net.step gives run's h and c at every step."""
    layers = random_stack(op, 3, 6, 2, seed=11, scale=2.0, initial_state=True, **options)
    net = load_onnx(to_bytes(stack_model(layers)))
    x = _inputs(25, 1, 3, 11)[:, 0]
    trace = net.run(x)
    state = None
    for t, x_t in enumerate(x):
        state, record = net.step(state, x_t)
        # One step computes its input projection with a 1-row matmul, the run with a T-row
        # one; BLAS may round those differently in the last bit, hence 1e-6 not equality.
        np.testing.assert_allclose(record["h"], trace.h[t], atol=1e-6, rtol=1e-6)
        for k, layer_state in enumerate(state):
            np.testing.assert_allclose(layer_state.h, trace.layers[k]["h"][t], atol=1e-6, rtol=1e-6)
            if net.layers[k].has_cell_state:
                assert layer_state.c is not None
                np.testing.assert_allclose(
                    layer_state.c, trace.layers[k]["c"][t], atol=1e-6, rtol=1e-6
                )
    assert state is not None
    if net.layers[-1].has_cell_state:
        assert state[-1].c is not None
        np.testing.assert_allclose(state[-1].c, trace.c[-1], atol=1e-6, rtol=1e-6)
