"""Write a Network as an ONNX graph: a chain of LSTM / GRU / RNN nodes joined by Squeeze.

The inverse of ``onnx_import``: columns go back to ONNX's gate orders (LSTM i, o, f, c; GRU
z, r, h; peepholes i, o, f), the GRU's z block is negated back to ONNX's convention (see
cells/gru.py), a coupled layer becomes ``input_forget=1`` with a zero forget block. The graph
reads X (T, B, D) and returns Y (T, B, H) of the top layer and its Y_h (and Y_c).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from model.layer import Layer
from model.network import Network

OPSET = 14
ONNX_OP = {"lstm": "LSTM", "peephole": "LSTM", "coupled": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _blocks(a: np.ndarray, H: int, order: list[int | None]) -> np.ndarray:
    """Pick gate blocks of the last axis in ``order`` (None: a zero block)."""
    zero = np.zeros((*a.shape[:-1], H), a.dtype)
    return np.concatenate([zero if k is None else a[..., k * H : (k + 1) * H] for k in order], -1)


def _onnx_weights(layer: Layer) -> dict[str, np.ndarray]:
    """W (1, G·H, D), R (1, G·H, H), B (1, 2·G·H) and P (1, 3H) in ONNX's layout."""
    H = layer.hidden_size
    W_x, W_h, b = layer.W_x, layer.W_h, layer.b
    b_rec = np.zeros_like(b)
    P = None
    if layer.kind in ("lstm", "peephole"):
        order: list[int | None] = [1, 0, 2, 3]  # ours o, i, f, c -> ONNX i, o, f, c
        if layer.p is not None:
            P = np.concatenate([layer.p[1], layer.p[0], layer.p[2]])  # ONNX i, o, f
    elif layer.kind == "coupled":
        order = [1, 0, None, 2]  # ours o, i, c -> ONNX i, o, (f ignored), c
        if layer.p is not None:
            P = np.concatenate([layer.p[1], layer.p[0], np.zeros(H, layer.dtype)])
    elif layer.kind == "gru":
        order = [0, 1, 2]
        flip = np.ones(3 * H, layer.dtype)
        flip[:H] = -1  # our z is ONNX's 1 - z: σ(-a) = 1 - σ(a)
        W_x, W_h, b = W_x * flip, W_h * flip, b * flip
        if layer.linear_before_reset and layer.b_hn is not None:
            b_rec = np.concatenate([np.zeros(2 * H, layer.dtype), layer.b_hn])
    else:
        order = [0]
    weights = {
        "W": _blocks(W_x, H, order).T[None],
        "R": _blocks(W_h, H, order).T[None],
        "B": np.concatenate([_blocks(b, H, order), _blocks(b_rec, H, order)])[None],
    }
    if P is not None:
        weights["P"] = P[None]
    return weights


def to_onnx(net: Network, batch: int = 1) -> bytes:
    """The serialized ONNX model of ``net``, for inputs X of shape (T, batch, D)."""
    dtype = TensorProto.FLOAT if net.dtype == np.float32 else TensorProto.DOUBLE
    nodes, initializers = [], []
    below = "X"
    for k, layer in enumerate(net.layers):
        H = layer.hidden_size
        inputs = [below]
        weights = _onnx_weights(layer)
        for name in ("W", "R", "B"):
            initializers.append(numpy_helper.from_array(weights[name], f"{name}_{k}"))
            inputs.append(f"{name}_{k}")
        inputs.append("")  # sequence_lens
        h0 = layer.initial_h(batch)[None]
        initializers.append(numpy_helper.from_array(h0, f"initial_h_{k}"))
        inputs.append(f"initial_h_{k}")
        if layer.has_cell_state:
            c0 = layer.initial_c(batch)
            assert c0 is not None
            initializers.append(numpy_helper.from_array(c0[None], f"initial_c_{k}"))
            inputs.append(f"initial_c_{k}")
            if "P" in weights:
                initializers.append(numpy_helper.from_array(weights["P"], f"P_{k}"))
                inputs.append(f"P_{k}")
        attributes: dict[str, Any] = {"hidden_size": H}
        if layer.clip is not None:
            attributes["clip"] = layer.clip
        if layer.kind == "coupled":
            attributes["input_forget"] = 1
        if layer.kind == "gru" and layer.linear_before_reset:
            attributes["linear_before_reset"] = 1
        top = k == len(net.layers) - 1
        outputs = [f"Y_{k}", "Y_h" if top else f"Y_h_{k}"]
        if layer.has_cell_state:
            outputs.append("Y_c" if top else f"Y_c_{k}")
        nodes.append(
            helper.make_node(ONNX_OP[layer.kind], inputs, outputs, f"rnn_{k}", **attributes)
        )
        # Y is (T, num_directions=1, B, H); drop the direction axis as torch.onnx.export does.
        initializers.append(numpy_helper.from_array(np.array([1], np.int64), f"axis_{k}"))
        squeezed = "Y" if top else f"X_{k + 1}"
        nodes.append(helper.make_node("Squeeze", [f"Y_{k}", f"axis_{k}"], [squeezed]))
        below = squeezed
    H = net.hidden_size
    graph_outputs = [
        helper.make_tensor_value_info("Y", dtype, ["T", batch, H]),
        helper.make_tensor_value_info("Y_h", dtype, [1, batch, H]),
    ]
    if net.layers[-1].has_cell_state:
        graph_outputs.append(helper.make_tensor_value_info("Y_c", dtype, [1, batch, H]))
    graph = helper.make_graph(
        nodes,
        "lstm_lens",
        [helper.make_tensor_value_info("X", dtype, ["T", batch, net.input_size])],
        graph_outputs,
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())
