"""load_onnx never silently drops computation: every recurrent node must be in the chain it
reads, and every graph output must come from that chain (its layers' Y, Y_h, Y_c, reshaped or
concatenated, as exporters write them). Dead code, whose results no output uses, is ignored."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from model import load_onnx
from tests.model.onnx_builders import (
    ATOL,
    RTOL,
    GraphBuilder,
    random_stack,
    run_ort,
    stack_model,
    to_bytes,
)


def _raises(model: onnx.ModelProto, *fragments: str) -> str:
    with pytest.raises(ValueError) as info:
        load_onnx(to_bytes(model))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def _two_layers(op: str = "LSTM", T: int = 7) -> tuple[GraphBuilder, list[str], list[str]]:
    """X -> layer 'bottom' -> Squeeze -> layer 'top'; the outputs of both, none declared."""
    layers = random_stack(op, 3, 4, 2, seed=0)
    g = GraphBuilder()
    x = g.input("X", [T, 1, 3])
    n = 3 if op == "LSTM" else 2
    bottom = g.rnn(layers[0], x, name="bottom", outputs=["Y0", "Y_h0", "Y_c0"][:n])
    s0 = g.node("Squeeze", [bottom[0], g.const("axes", np.array([1], np.int64))],
                outputs=["S0"])[0]  # fmt: skip
    top = g.rnn(layers[1], s0, name="top", outputs=["Y1", "Y_h1", "Y_c1"][:n])
    return g, bottom, top


# -- refused ------------------------------------------------------------------------------------


def test_upper_layer_behind_a_lower_first_output_is_refused() -> None:
    """outputs [S0, Y1]: the chain read from S0 is one layer; the top one must not vanish."""
    g, _, top = _two_layers()
    g.output("S0")
    g.output(top[0])
    _raises(g.model(), "LSTM node 'top'", "not in the chain", "'S0'")


def test_head_on_a_second_output_is_refused() -> None:
    g, _, top = _two_layers()
    y = g.node("Squeeze", [top[0], g.const("axes", np.array([1], np.int64))], outputs=["Y"])[0]
    head = g.node("MatMul", [y, g.const("M", np.ones((4, 2), np.float32))], name="head",
                  outputs=["logits"])[0]  # fmt: skip
    g.output(y)
    g.output(head)
    _raises(g.model(), "'logits'", "MatMul node 'head'")


def test_parallel_recurrent_node_is_refused() -> None:
    """A second layer reading the same input, its Y a second graph output."""
    g, _, top = _two_layers("GRU")
    side = random_stack("GRU", 3, 4, 1, seed=1)[0]
    other = g.rnn(side, "X", name="side")
    g.output(top[0])
    g.output(other[0])
    _raises(g.model(), "GRU node 'side'", "not in the chain")


def test_unused_recurrent_node_is_refused() -> None:
    """A recurrent node whose outputs no graph output uses is still refused: a layer is never
    dropped without a word."""
    g, _, top = _two_layers("RNN")
    side = random_stack("RNN", 3, 4, 1, seed=1)[0]
    g.rnn(side, "X", name="unused")
    g.output(top[0])
    _raises(g.model(), "RNN node 'unused'", "not in the chain")


def test_arithmetic_on_final_states_is_refused() -> None:
    g, bottom, top = _two_layers()
    total = g.node("Add", [bottom[1], top[1]], name="sum_h", outputs=["h_sum"])[0]
    g.output(top[0])
    g.output(total)
    _raises(g.model(), "'h_sum'", "Add node 'sum_h'")


def test_concat_with_a_constant_is_refused() -> None:
    g, bottom, top = _two_layers()
    pad = g.const("pad", np.zeros((1, 1, 4), np.float32))
    h_n = g.node("Concat", [bottom[1], top[1], pad], name="h_n", axis=0, outputs=["h_n"])[0]
    g.output(top[0])
    g.output(h_n)
    _raises(g.model(), "'h_n'", "constant")


def test_output_computed_from_the_input_is_refused() -> None:
    g, _, top = _two_layers()
    g.output(top[0])
    g.output(g.node("Relu", ["X"], name="side_relu", outputs=["relu"])[0])
    _raises(g.model(), "'relu'", "Relu node 'side_relu'")


# -- accepted -----------------------------------------------------------------------------------


def test_torch_style_concatenated_final_states_are_accepted() -> None:
    """torch.onnx.export of a 2-layer nn.LSTM returning (y, (h_n, c_n)): the top Y squeezed,
    and h_n, c_n as Concat of every layer's Y_h, Y_c."""
    g, bottom, top = _two_layers()
    y = g.node("Squeeze", [top[0], g.const("axes", np.array([1], np.int64))], outputs=["y"])[0]
    h_n = g.node("Concat", [bottom[1], top[1]], axis=0, outputs=["h_n"])[0]
    c_n = g.node("Concat", [bottom[2], top[2]], axis=0, outputs=["c_n"])[0]
    for name in (y, h_n, c_n):
        g.output(name)
    data = to_bytes(g.model())
    X = np.random.default_rng(0).standard_normal((7, 1, 3)).astype(np.float32)
    net = load_onnx(data)
    assert len(net.layers) == 2
    trace = net.run(X[:, 0])
    ref = run_ort(data, X)
    np.testing.assert_allclose(trace.h, ref["y"][:, 0], atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(trace.h[-1], ref["h_n"][1, 0], atol=ATOL, rtol=RTOL)


def test_every_layers_states_and_glue_on_the_chain_are_accepted() -> None:
    g, bottom, top = _two_layers("GRU")
    g.output(top[0])
    g.output(top[1])
    g.output(bottom[1])
    g.output("S0")  # the glue between the layers
    g.output(g.node("Identity", [bottom[0]], outputs=["Y0_copy"])[0])
    assert len(load_onnx(to_bytes(g.model())).layers) == 2


def test_top_outputs_in_any_order_after_y() -> None:
    layers = random_stack("LSTM", 3, 4, 2, seed=3)
    net = load_onnx(to_bytes(stack_model(layers, outputs=["Y", "Y_c", "Y_h"])))
    assert len(net.layers) == 2


def test_dead_non_recurrent_code_is_ignored() -> None:
    """A node whose result no graph output uses computes nothing the model returns."""
    g, _, top = _two_layers()
    g.node("MatMul", ["S0", g.const("M", np.ones((4, 2), np.float32))], name="dead")
    g.output(top[0])
    assert len(load_onnx(to_bytes(g.model())).layers) == 2
