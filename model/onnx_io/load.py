"""Read a recurrent model from an ONNX file: a chain of LSTM, GRU or RNN nodes -> ``Network``.

    net = load_onnx("m.onnx")          # or the file's bytes
    trace = net.run(x)                 # x: (T, input_size)

What is read
    The path from the graph's single input to its first output must be a chain of ONNX
    ``LSTM``/``GRU``/``RNN`` nodes, each one layer: forward direction, default activations
    (LSTM σ,tanh,tanh; GRU σ,tanh; RNN tanh), ``layout`` 0, no ``sequence_lens``. Between the
    layers, and before/after the chain, only *shape glue* may appear -- nodes that leave the
    data in the same order and only drop or add unit axes: Identity, Squeeze, Unsqueeze,
    Reshape, Flatten, Cast (to float/double), Slice keeping whole axes, and Transpose that moves
    only unit axes. This is how exporters join layers: TorchScript ``torch.onnx.export`` writes
    Y (T, 1, B, H) -> Squeeze(axis 1) -> next node; the dynamo exporter Transpose(0,2,1,3) ->
    Reshape. Every shape is followed symbolically, so the next layer must receive exactly the
    (T, B, H) sequence of the layer below. The output may be the top node's Y, Y_h or Y_c.
    Anything else on the path (MatMul, Gemm, Concat, a reversed direction, custom activations
    ...) is refused with a ``ValueError`` naming the node.

    Weights come from initializers or Constant nodes (never computed). An initial state may be
    absent, a constant, or a subgraph that provably yields zeros (exporters build zero states
    with Expand/ConstantOfShape from the input's shape). Nothing in the file is executed.
    How the weights map to ``Layer`` is in ``layout.py``; a batch of identical initial-state
    rows is accepted as one state.

dtype: float32 weights stay float32, float64 stay float64 (float16/bfloat16 become float32);
``dtype=`` casts the whole network.
"""

from __future__ import annotations

import numpy as np

from model.network import Network
from model.onnx_io.chain import read_layers
from model.onnx_io.reading import Source, parse_model, read_source


def load_onnx(source: Source, dtype: np.dtype | type | str | None = None) -> Network:
    """A Network from an ONNX model: a path or the file's bytes. See the module docstring.

    Raises ValueError when the file is not a readable ONNX model or not a supported one,
    with a message naming the node and what is supported.
    """
    model = parse_model(read_source(source))
    layers = read_layers(model.graph)
    if dtype is None:
        dtypes = {layer.dtype for layer in layers}
        target = np.dtype(np.float64) if dtypes == {np.dtype(np.float64)} else np.dtype(np.float32)
    else:
        target = np.dtype(dtype)
        if target not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {target}")
    return Network([layer if layer.dtype == target else layer.astype(target) for layer in layers])
