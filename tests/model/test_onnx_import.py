"""load_onnx: which graphs it reads, and the clear errors for the ones it does not."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import model.onnx_io.reading as reading
from model import Network, load_onnx, to_onnx
from tests.model.onnx_builders import (
    ATOL,
    RTOL,
    GraphBuilder,
    LayerSpec,
    random_layer,
    random_stack,
    run_ort,
    run_reference,
    stack_model,
    to_bytes,
)


def _lstm_bytes(**options: Any) -> bytes:
    return to_bytes(stack_model(random_stack("LSTM", 3, 4, 2, seed=0, **options)))


def _check_against_ort(model_bytes: bytes, X: np.ndarray, output: str = "Y") -> Network:
    """Run both; compare the first output ("Y" of any shape glue, "Y_h" or "Y_c")."""
    ref = run_ort(model_bytes, X)
    net = load_onnx(model_bytes)
    batched = X.ndim == 3 and X.shape[1] > 1
    trace = net.run(X if batched else X.reshape(X.shape[0], -1))
    expected = trace.c[-1] if output == "Y_c" else trace.h[-1] if output == "Y_h" else trace.h
    got = next(iter(ref.values()))
    np.testing.assert_allclose(expected, got.reshape(expected.shape), atol=ATOL, rtol=RTOL)
    return net


def _set_input(node: onnx.NodeProto, k: int, name: str) -> None:
    """Set input k of a node, padding skipped optional inputs with ""."""
    while len(node.input) <= k:
        node.input.append("")
    node.input[k] = name


def _raises(model: onnx.ModelProto | bytes, *fragments: str) -> str:
    data = model if isinstance(model, bytes) else to_bytes(model)
    with pytest.raises(ValueError) as info:
        load_onnx(data)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- what is read -------------------------------------------------------------------------------


def test_path_and_bytes_forms_agree(tmp_path: Path) -> None:
    data = _lstm_bytes(peepholes=True, initial_state=True)
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    x = np.random.default_rng(0).standard_normal((12, 3)).astype(np.float32)
    runs = [
        load_onnx(data).run(x),
        load_onnx(bytearray(data)).run(x),
        load_onnx(memoryview(data)).run(x),
        load_onnx(str(path)).run(x),
        load_onnx(path).run(x),
        load_onnx(path).run(x),  # twice: loading is repeatable
    ]
    for trace in runs[1:]:
        np.testing.assert_array_equal(trace.h, runs[0].h)
        np.testing.assert_array_equal(trace.c, runs[0].c)


def test_api_shape_of_results() -> None:
    net = load_onnx(_lstm_bytes())
    trace = net.run(np.zeros((9, 3), np.float32))
    assert trace.h.shape == (9, 4) and trace.c.shape == (9, 4)
    assert net.input_size == 3 and net.hidden_size == 4 and len(net.layers) == 2


def test_dtype_argument_casts() -> None:
    data = _lstm_bytes()
    assert load_onnx(data).dtype == np.float32
    assert load_onnx(data, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="float32 or float64"):
        load_onnx(data, dtype=np.int32)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_float64_export_runs_in_the_reference_evaluator_and_loads_back(kind: str) -> None:
    """ONNX Runtime has no double LSTM/GRU/RNN kernels (see to_onnx); onnx.reference runs
    the float64 model to our numbers, and load_onnx reads it back as float64."""
    net = Network.random(kind, 3, 4, num_layers=2, seed=13).astype(np.float64)
    data = to_onnx(net)
    x = np.random.default_rng(13).standard_normal((9, 1, 3))
    Y = run_reference(data, x)["Y"]
    np.testing.assert_allclose(Y[:, 0], net.run(x[:, 0]).h, atol=1e-12, rtol=1e-12)
    back = load_onnx(data)
    assert back.dtype == np.float64
    for ours, theirs in zip(net.layers, back.layers, strict=True):
        for name, value in ours.params().items():
            np.testing.assert_array_equal(theirs.params()[name], value)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_dtype_argument_casts_before_summing_biases(op: str) -> None:
    """Wb + Rb is added in the target dtype: a float32 file read as float64 has the float64
    sum of its float32 biases, not the float32 sum widened (1 ulp off)."""
    spec = random_stack(op, 3, 4, 1, seed=12, linear_before_reset=0 if op == "GRU" else None)[0]
    assert spec.B is not None
    half = spec.B.shape[1] // 2
    spec.B[0, :half] = 1.0
    spec.B[0, half:] = np.float32(1e-7) * np.arange(1, half + 1, dtype=np.float32)
    Wb, Rb = spec.B[0, :half].astype(np.float64), spec.B[0, half:].astype(np.float64)
    assert np.any((spec.B[0, :half] + spec.B[0, half:]).astype(np.float64) != Wb + Rb)
    net = load_onnx(to_bytes(stack_model([spec])), dtype=np.float64)
    b = net.layers[0].b
    assert b.dtype == np.float64
    # the gate blocks are reordered (and GRU z negated): compare as sorted magnitudes
    np.testing.assert_array_equal(np.sort(np.abs(b)), np.sort(np.abs(Wb + Rb)))


@pytest.mark.parametrize("output", ["Y", "Y_h", "Y_c"])
def test_graph_output_may_be_any_output_of_the_top_node(output: str) -> None:
    layers = random_stack("LSTM", 3, 5, 2, seed=1, initial_state=True)
    model_bytes = to_bytes(stack_model(layers, outputs=[output]))
    X = np.random.default_rng(1).standard_normal((15, 1, 3)).astype(np.float32)
    _check_against_ort(model_bytes, X, output)


def test_output_through_squeeze_and_identity() -> None:
    layers = random_stack("GRU", 3, 5, 2, seed=2, linear_before_reset=1)
    g = GraphBuilder()
    x = g.input("X", [20, 1, 3])
    y = g.squeeze(g.rnn(layers[0], x)[0], axis=1)
    y = g.squeeze(g.rnn(layers[1], y)[0], axis=1)  # (T, 1, H)
    out = g.node("Identity", [y], outputs=["out"])[0]
    g.output(out)
    X = np.random.default_rng(2).standard_normal((20, 1, 3)).astype(np.float32)
    _check_against_ort(to_bytes(g.model()), X)


def test_explicit_default_activations_are_accepted() -> None:
    specs = [
        random_layer("LSTM", 3, 4, np.random.default_rng(3)),
        random_layer("GRU", 4, 4, np.random.default_rng(4)),
    ]
    specs[0].attrs["activations"] = ["Sigmoid", "Tanh", "Tanh"]
    specs[1].attrs["activations"] = ["Sigmoid", "Tanh"]
    specs[0].attrs["direction"] = "forward"
    specs[1].attrs["layout"] = 0
    X = np.random.default_rng(3).standard_normal((10, 1, 3)).astype(np.float32)
    g = GraphBuilder()
    y = g.squeeze(g.rnn(specs[0], g.input("X", [10, 1, 3]))[0])
    g.output(g.rnn(specs[1], y, outputs=["Y", "Y_h"])[0])
    _check_against_ort(to_bytes(g.model()), X)


def test_dynamo_exporter_glue_transpose_and_constant_reshape() -> None:
    """torch.onnx.export(dynamo=True) joins layers with Transpose(0,2,1,3) and Reshape."""
    layers = random_stack("LSTM", 3, 6, 3, seed=5, peepholes=True, initial_state=True)
    T = 14
    g = GraphBuilder()
    x = g.input("X", [T, 1, 3])
    target = g.const("shape", np.array([T, 1, -1], np.int64))
    for k, spec in enumerate(layers):
        y = g.rnn(spec, x)[0]
        y = g.node("Transpose", [y], perm=[0, 2, 1, 3])[0]  # (T, B, 1, H)
        x = g.node("Reshape", [y, target], outputs=["out"] if k == 2 else None)[0]
    g.output(x)
    X = np.random.default_rng(5).standard_normal((T, 1, 3)).astype(np.float32)
    _check_against_ort(to_bytes(g.model()), X)


def test_dynamic_batch_reshape_and_zero_state_subgraphs() -> None:
    """The shapes torch exporters compute at run time: a Reshape target from Shape, Slice,
    Mul, Concat; zero initial states from Expand/ConstantOfShape of the input's batch size."""
    rng = np.random.default_rng(6)
    specs = [random_layer("GRU", d, 5, rng, linear_before_reset=1) for d in (3, 5)]
    g = GraphBuilder(opset=15)  # Shape's start/end
    x = g.input("X", ["T", "B", 3])
    batch = g.node("Shape", [x], start=1, end=2)[0]  # [B]
    one = g.const("one", np.array([1], np.int64))
    H = g.const("H", np.array([5], np.int64))
    zero = g.const("zero", np.array(0, np.float32))
    size = g.node("Concat", [one, batch, H], axis=0)[0]
    h0_expand = g.node("Expand", [zero, size])[0]  # (1, B, H) zeros, TorchScript style
    h0_cos = g.node("ConstantOfShape", [size])[0]  # default value 0, dynamo style
    y = g.rnn(specs[0], x)[0]
    _set_input(g.nodes[-1], 5, h0_expand)
    y = g.node("Transpose", [y], perm=[0, 2, 1, 3])[0]  # (T, B, 1, H)
    shape = g.node("Shape", [y])[0]
    starts = [g.const("s", np.array([k], np.int64)) for k in range(5)]
    parts = [g.node("Slice", [shape, starts[k], starts[k + 1]])[0] for k in range(4)]
    merged = g.node("Mul", [parts[2], parts[3]])[0]
    target = g.node("Concat", [parts[0], parts[1], merged], axis=0)[0]  # [T, B, 1·H]
    y = g.node("Reshape", [y, target])[0]
    y = g.rnn(specs[1], y, outputs=["Y", "Y_h"])[0]
    _set_input(g.nodes[-1], 5, h0_cos)
    g.output(y)
    model_bytes = to_bytes(g.model())
    X = np.random.default_rng(6).standard_normal((11, 3, 3)).astype(np.float32)
    net = _check_against_ort(model_bytes, X)
    assert all(layer.h0 is None for layer in net.layers)


def test_unbatched_graph_input_with_unsqueeze() -> None:
    """torch on an unbatched (T, D) input: Unsqueeze(1) before the first node."""
    spec = random_layer("RNN", 4, 3, np.random.default_rng(7), initial_state=True)
    g = GraphBuilder()
    x = g.input("X", ["T", 4])
    axes = g.const("axes", np.array([1], np.int64))
    x = g.node("Unsqueeze", [x, axes])[0]
    g.output(g.rnn(spec, x, outputs=["Y", "Y_h"])[0])
    X = np.random.default_rng(7).standard_normal((13, 4)).astype(np.float32)
    _check_against_ort(to_bytes(g.model()), X)


def test_opset_11_squeeze_attribute() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=8, input_forget=1, peepholes=True)
    model_bytes = to_bytes(stack_model(layers, opset=11))
    assert b"axes" in model_bytes
    X = np.random.default_rng(8).standard_normal((16, 1, 3)).astype(np.float32)
    _check_against_ort(model_bytes, X)


def test_identical_initial_state_rows_are_one_state() -> None:
    layers = random_stack("LSTM", 3, 4, 1, seed=9, initial_state=True, batch=3)
    net = load_onnx(to_bytes(stack_model(layers, batch=3)))
    assert layers[0].initial_h is not None
    np.testing.assert_array_equal(net.layers[0].h0, layers[0].initial_h[0, 0])


def test_all_zero_initial_state_is_none() -> None:
    layers = random_stack("LSTM", 3, 4, 1, seed=10)
    layers[0].initial_h = np.zeros((1, 1, 4), np.float32)
    layers[0].initial_c = np.zeros((1, 1, 4), np.float32)
    net = load_onnx(to_bytes(stack_model(layers)))
    assert net.layers[0].h0 is None and net.layers[0].c0 is None


def test_coupled_drops_forget_weights() -> None:
    """input_forget=1: ONNX Runtime ignores the forget gate's rows, so changing them changes
    nothing, and the imported layer has no forget block."""
    layers = random_stack("LSTM", 3, 4, 1, seed=11, input_forget=1, peepholes=True)
    X = np.random.default_rng(11).standard_normal((20, 1, 3)).astype(np.float32)
    before = run_ort(to_bytes(stack_model(layers)), X)["Y"]
    spec = layers[0]
    assert spec.B is not None and spec.P is not None
    H = 4
    spec.W[0, 2 * H : 3 * H] += 3.0  # ONNX block order i, o, f, c: f is block 2
    spec.R[0, 2 * H : 3 * H] -= 1.0
    spec.B[0, 2 * H : 3 * H] += 2.0
    spec.P[0, 2 * H :] += 5.0  # P order i, o, f
    model_bytes = to_bytes(stack_model(layers))
    np.testing.assert_allclose(run_ort(model_bytes, X)["Y"], before, atol=1e-6)
    net = _check_against_ort(model_bytes, X)
    assert net.layers[0].kind == "coupled"
    assert net.layers[0].W_x.shape == (3, 3 * H)
    assert net.layers[0].p is not None and net.layers[0].p.shape == (2, H)


# -- clear errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["reverse", "bidirectional"])
def test_direction(direction: str) -> None:
    rng = np.random.default_rng(0)
    dirs = 2 if direction == "bidirectional" else 1
    spec = LayerSpec(
        "LSTM",
        W=rng.standard_normal((dirs, 16, 3)).astype(np.float32),
        R=rng.standard_normal((dirs, 16, 4)).astype(np.float32),
        attrs={"direction": direction},
    )
    _raises(stack_model([spec]), "direction", direction, "forward")


@pytest.mark.parametrize(
    ("op", "activations"),
    [("LSTM", ["Sigmoid", "Tanh", "Relu"]), ("GRU", ["HardSigmoid", "Tanh"]), ("RNN", ["Relu"])],
)
def test_custom_activations(op: str, activations: list[str]) -> None:
    spec = random_layer(op, 3, 4, np.random.default_rng(0))
    spec.attrs["activations"] = activations
    _raises(stack_model([spec]), "activations", activations[-1] if op != "GRU" else "HardSigmoid")


def test_activation_alpha() -> None:
    spec = random_layer("RNN", 3, 4, np.random.default_rng(0))
    spec.attrs["activation_alpha"] = [0.5]
    _raises(stack_model([spec]), "activation_alpha")


def test_layout_1() -> None:
    spec = random_layer("GRU", 3, 4, np.random.default_rng(0))
    spec.attrs["layout"] = 1
    _raises(stack_model([spec]), "layout=1")


def test_sequence_lens() -> None:
    spec = random_layer("LSTM", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    outs = g.rnn(spec, x)
    _set_input(g.nodes[-1], 4, g.const("lens", np.array([5], np.int32)))
    g.output(outs[0])
    _raises(g.model(), "sequence_lens")


def test_matmul_between_layers() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    y = g.squeeze(g.rnn(layers[0], x)[0])
    y = g.node("MatMul", [y, g.const("M", np.eye(4, dtype=np.float32))], name="mixer")[0]
    g.output(g.rnn(layers[1], y)[0])
    _raises(g.model(), "MatMul", "'mixer'", "LSTM, GRU or RNN")


def test_gemm_head() -> None:
    layers = random_stack("GRU", 3, 4, 1, seed=0)
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    y_h = g.squeeze(g.rnn(layers[0], x)[1], axis=0)  # (1, H)
    w = g.const("head_w", np.ones((2, 4), np.float32))
    g.output(g.node("Gemm", [y_h, w], name="head", transB=1)[0])
    _raises(g.model(), "Gemm", "'head'")


def test_concat_of_final_states() -> None:
    """torch's h_n of a 2-layer LSTM is Concat(Y_h, Y_h) -- not the chain."""
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    first = g.rnn(layers[0], g.input("X", [5, 1, 3]))
    second = g.rnn(layers[1], g.squeeze(first[0]))
    g.output(g.node("Concat", [first[1], second[1]], name="h_n", axis=0)[0])
    _raises(g.model(), "Concat", "'h_n'")


def test_no_recurrent_node() -> None:
    g = GraphBuilder()
    x = g.input("X", [5, 3])
    g.output(g.node("MatMul", [x, g.const("M", np.ones((3, 2), np.float32))])[0])
    _raises(g.model(), "no LSTM, GRU or RNN node", "MatMul")


def test_output_not_from_the_recurrent_node() -> None:
    spec = random_layer("RNN", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    g.output(g.node("Identity", [x], outputs=["copy"])[0])
    g.output(g.rnn(spec, x)[0])
    _raises(g.model(), "'copy'", "does not come from an LSTM, GRU or RNN node")


def test_next_layer_fed_y_h() -> None:
    layers = random_stack("RNN", 3, 4, 2, seed=0)
    g = GraphBuilder()
    first = g.rnn(layers[0], g.input("X", [5, 1, 3]), name="bottom")
    g.output(g.rnn(layers[1], first[1], name="top")[0])
    _raises(g.model(), "Y_h", "'bottom'", "'top'")


def test_squeeze_of_the_batch_axis() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    y = g.rnn(layers[0], g.input("X", [5, "B", 3]))[0]
    axes = g.const("axes", np.array([2], np.int64))
    y = g.node("Squeeze", [y, axes], name="wrong_squeeze")[0]
    g.output(g.rnn(layers[1], y)[0])
    _raises(g.model(), "'wrong_squeeze'", "not a unit axis")


def test_transpose_that_reorders_data() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    y = g.squeeze(g.rnn(layers[0], g.input("X", [5, "B", 3]))[0])
    y = g.node("Transpose", [y], name="to_batch_first", perm=[1, 0, 2])[0]
    g.output(g.rnn(layers[1], y)[0])
    _raises(g.model(), "Transpose", "'to_batch_first'", "reorders")


def test_reshape_that_mixes_time_and_batch() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    y = g.squeeze(g.rnn(layers[0], g.input("X", [6, 2, 3]))[0])  # (6, 2, 4)
    target = g.const("shape", np.array([3, 4, 4], np.int64))
    y = g.node("Reshape", [y, target], name="regroup")[0]
    g.output(g.rnn(layers[1], y, name="upper")[0])
    _raises(g.model(), "'regroup'", "'upper'", "(6, 2, 4)", "(3, 4, 4)")


def test_initial_h_batch_greater_than_one() -> None:
    layers = random_stack("GRU", 3, 4, 1, seed=0, initial_state=True, batch=2)
    assert layers[0].initial_h is not None
    layers[0].initial_h[0, 1] += 0.5  # a different state for the second sequence
    _raises(stack_model(layers, batch=2), "initial_h", "batch", "(1, 2, 4)")


def test_initial_c_batch_greater_than_one() -> None:
    layers = random_stack("LSTM", 3, 4, 1, seed=0, initial_state=True, batch=3)
    assert layers[0].initial_c is not None
    layers[0].initial_c[0, 2] = 0.0
    _raises(stack_model(layers, batch=3), "initial_c", "batch")


def test_initial_state_as_graph_input() -> None:
    spec = random_layer("LSTM", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    h0 = g.input("h0", [1, 1, 4])
    outs = g.rnn(spec, x)
    _set_input(g.nodes[-1], 5, h0)
    g.output(outs[0])
    _raises(g.model(), "2 inputs", "'h0'")


def test_computed_weights() -> None:
    spec = random_layer("RNN", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    outs = g.rnn(spec, x)
    w = g.node("Add", [g.nodes[-1].input[1], g.nodes[-1].input[1]], name="doubler")[0]
    g.nodes[-2].input[1] = w  # the RNN node is before the Add in the list; order is free
    g.output(outs[0])
    _raises(g.model(), "W of RNN node", "Add node 'doubler'", "initializers or Constant")


def test_garbage_bytes() -> None:
    rng = np.random.default_rng(0)
    for data in [b"not an onnx file at all", rng.bytes(4096), b"\x08\x07" + rng.bytes(100)]:
        _raises(data, "ONNX")
    _raises(b"", "empty")


def test_truncated_file(tmp_path: Path) -> None:
    data = _lstm_bytes(peepholes=True, initial_state=True)
    path = tmp_path / "cut.onnx"
    for fraction in (0.1, 0.37, 0.5, 0.75, 0.9, 0.99):
        path.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(ValueError) as info:
            load_onnx(path)
        assert len(str(info.value)) > 20
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        load_onnx(path)


def test_external_data(tmp_path: Path) -> None:
    model = stack_model(random_stack("LSTM", 3, 4, 1, seed=0))
    path = tmp_path / "ext.onnx"
    onnx.save_model(
        model, path, save_as_external_data=True, location="ext.weights", size_threshold=0
    )
    assert (tmp_path / "ext.weights").exists()
    _raises(path.read_bytes(), "external data", "ext.weights")
    with pytest.raises(ValueError, match="external data"):
        load_onnx(path)


def test_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _lstm_bytes()
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    monkeypatch.setattr(reading, "MAX_BYTES", len(data) - 1)
    with pytest.raises(ValueError, match="bytes"):
        load_onnx(data)
    with pytest.raises(ValueError, match="bytes"):
        load_onnx(os.fspath(path))


def test_missing_file_or_directory_names_the_path(tmp_path: Path) -> None:
    for path in (tmp_path / "absent.onnx", tmp_path):
        with pytest.raises(ValueError) as info:
            load_onnx(path)
        assert str(path) in str(info.value), info.value
    with pytest.raises(ValueError, match=r"absent\.onnx"):
        load_onnx(str(tmp_path / "absent.onnx"))


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    data = _lstm_bytes()
    cases = {
        "cut.onnx": data[: len(data) // 2],
        "garbage.onnx": b"not an onnx file at all",
        "empty.onnx": b"",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError) as info:
            load_onnx(path)
        assert str(path) in str(info.value), info.value
    with pytest.raises(ValueError) as info:  # bytes have no path to name
        load_onnx(data[: len(data) // 2])
    assert str(tmp_path) not in str(info.value)


def test_wrong_source_type() -> None:
    with pytest.raises(TypeError):
        load_onnx(123)  # type: ignore[arg-type]


def test_non_float_weights() -> None:
    spec = random_layer("RNN", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    outs = g.rnn(spec, x)
    g.nodes[-1].input[2] = g.const("R_int", np.ones((1, 4, 4), np.int64))
    g.output(outs[0])
    _raises(g.model(), "R of RNN node", "int64")


def test_custom_domain_node_on_path() -> None:
    spec = random_layer("LSTM", 3, 4, np.random.default_rng(0))
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    y = g.rnn(spec, x)[0]
    g.nodes.append(helper.make_node("Magic", [y], ["out"], name="magic", domain="com.example"))
    g.outputs.append(helper.make_tensor_value_info("out", TensorProto.FLOAT, None))
    model = g.model()
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    _raises(model, "Magic", "'magic'", "com.example")


def test_deep_shared_subgraphs_are_followed_once() -> None:
    """A zero state and a reshape target built through 100 levels of nodes that each use
    the level below twice: 2**100 paths, which the evaluators must not walk one by one."""
    layers = random_stack("LSTM", 3, 4, 2, seed=0)
    g = GraphBuilder()
    x = g.input("X", [5, 1, 3])
    zeros = g.const("z", np.zeros((1, 1, 4), np.float32))
    target = g.const("t", np.array([5, 1, 4], np.int64))
    for _ in range(100):
        zeros = g.node("Concat", [zeros, zeros], axis=0)[0]
        target = g.node("Gather", [g.node("Concat", [target, target], axis=0)[0],
                                   g.const("i", np.arange(3, dtype=np.int64))])[0]  # fmt: skip
    first = g.rnn(layers[0], x)
    _set_input(g.nodes[-1], 5, zeros)
    y = g.node("Reshape", [first[0], target])[0]
    g.output(g.rnn(layers[1], y)[0])
    net = load_onnx(to_bytes(g.model()))
    assert len(net.layers) == 2 and net.layers[0].h0 is None
