"""ONNX in and out: ``load_onnx`` reads a chain of ONNX LSTM/GRU/RNN nodes as a ``Network``,
``to_onnx`` writes a ``Network`` as one.

    net = load_onnx("m.onnx")                   # or the file's bytes
    open("m.onnx", "wb").write(to_onnx(net))    # X (T, B, D) -> Y (T, B, H), Y_h, Y_c

The mapping, in short (exact in both directions; details in ``layout.py``): ONNX stacks gate
blocks along rows in the orders LSTM i, o, f, c (peepholes i, o, f), GRU z, r, h, and a Layer
keeps them side by side along columns in its cell's ``GATES`` order; our GRU z is ONNX's 1 - z,
so its blocks are negated; ``input_forget=1`` is the "coupled" kind; ``linear_before_reset=1``
is the GRU's PyTorch form with ``b_hn``; biases fold as b = Wb + Rb.

Modules, one concern each:
    load.py            load_onnx: bytes -> Network, and what is read
    reading.py         path/bytes -> parsed model (size cap, external data refused), tensors
    chain.py           the chain of recurrent nodes from input to output, shapes checked
    glue.py            the shape glue allowed between layers and the shape each node makes
    shapes.py          symbolic sizes (T, B, T·B) and shape tensors computed from them
    graph.py           producers, constants and provably-zero tensors of a graph
    recurrent_node.py  one LSTM/GRU/RNN node checked and its arrays fetched
    layout.py          ONNX arrays <-> Layer: the gate orders and signs, both directions
    export.py          to_onnx: Network -> bytes

``onnx`` is imported inside functions only, so ``import model`` does not import it.
"""

from model.onnx_io.export import to_onnx
from model.onnx_io.load import load_onnx

__all__ = ["load_onnx", "to_onnx"]
