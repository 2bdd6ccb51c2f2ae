"""Write a Network as an ONNX graph: a chain of LSTM / GRU / RNN nodes joined by Squeeze.

The inverse of ``load_onnx``; each layer's arrays and attributes come from ``layout.py``. The
graph reads X (T, B, D) and returns Y (T, B, H) of the top layer and its Y_h (and Y_c), as
opset 14, IR version 8. ``onnx`` is imported when ``to_onnx`` is called, not with ``model``.
"""

from __future__ import annotations

import numpy as np

from model.network import Network
from model.onnx_io.layout import ONNX_OP, onnx_arrays, onnx_attributes

OPSET = 14


def to_onnx(net: Network, batch: int = 1) -> bytes:
    """The serialized ONNX model of ``net``, for inputs X of shape (T, batch, D).

    The graph's dtype is the network's. A float64 network gives a valid float64 (DOUBLE)
    model that ONNX Runtime cannot run: it has no double kernels for LSTM, GRU or RNN (1.31
    refuses RNN when the session is created, LSTM and GRU when it runs). The onnx reference
    evaluator (``onnx.reference.ReferenceEvaluator``) runs it; for ONNX Runtime export
    ``net.astype(np.float32)``.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    dtype = TensorProto.FLOAT if net.dtype == np.float32 else TensorProto.DOUBLE
    nodes, initializers = [], []
    below = "X"
    for k, layer in enumerate(net.layers):
        inputs = [below]
        arrays = onnx_arrays(layer)
        for name in ("W", "R", "B"):
            initializers.append(numpy_helper.from_array(arrays[name], f"{name}_{k}"))
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
            if "P" in arrays:
                initializers.append(numpy_helper.from_array(arrays["P"], f"P_{k}"))
                inputs.append(f"P_{k}")
        top = k == len(net.layers) - 1
        outputs = [f"Y_{k}", "Y_h" if top else f"Y_h_{k}"]
        if layer.has_cell_state:
            outputs.append("Y_c" if top else f"Y_c_{k}")
        attributes = onnx_attributes(layer)
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
