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
    (T, B, H) sequence of the layer below. The first output may be the top node's Y, Y_h or
    Y_c. Anything else on the path (MatMul, Gemm, Concat, a reversed direction, custom
    activations ...) is refused with a ``ValueError`` naming the node.

    Nothing is dropped silently: every LSTM/GRU/RNN node in the graph must be a layer of that
    chain, and every further graph output must be made from the chain alone -- any layer's
    Y, Y_h, Y_c or glue tensor, through glue and Concat (torch exports a stack's h_n and c_n
    as Concat of every layer's Y_h and Y_c). A head, other arithmetic or a layer outside the
    chain feeding an output is refused, naming it; nodes whose results no output uses are
    dead code and are ignored.

    Weights come from initializers or Constant nodes (never computed). An initial state may be
    absent, a constant, or a subgraph that provably yields zeros (exporters build zero states
    with Expand/ConstantOfShape from the input's shape). Nothing in the file is executed.
    How the weights map to ``Layer`` is in ``layout.py``; a batch of identical initial-state
    rows is accepted as one state.

dtype: float32 weights stay float32, float64 stay float64 (float16/bfloat16 become float32;
a file mixing float32 and float64 layers is read as float32); ``dtype=`` casts the whole
network. Arrays are cast as they are read, before their biases are summed, so a float32 file
read as float64 holds the float64 sums of its float32 values.
"""

from __future__ import annotations

import numpy as np

from model.network import Network
from model.onnx_io.chain import read_layers
from model.onnx_io.reading import Source, parse_model, read_source, source_name


def load_onnx(source: Source, dtype: np.dtype | type | str | None = None) -> Network:
    """A Network from an ONNX model: a path or the file's bytes. See the module docstring.

    Raises ValueError when the file cannot be read (naming the path), is not a readable ONNX
    model, or not a supported one, with a message naming the node and what is supported.
    """
    model = parse_model(read_source(source), source_name(source))
    if dtype is None:
        layers = read_layers(model.graph)
        dtypes = {layer.dtype for layer in layers}
        target = np.dtype(np.float64) if dtypes == {np.dtype(np.float64)} else np.dtype(np.float32)
        if dtypes == {target}:
            return Network(layers)
    else:
        target = np.dtype(dtype)
        if target not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {target}")
    # every array cast to the target before the arithmetic (Wb + Rb, the GRU's negated z)
    return Network(read_layers(model.graph, target))
