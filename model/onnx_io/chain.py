"""Find the chain of recurrent nodes from the graph's input to its output, and check its glue.

The path is walked backwards from the first graph output: through glue to the top recurrent
node, from each node's X through glue to the node below, down to the graph input. Then the
symbolic shape is followed forwards, so that each layer is shown to receive exactly the
(T, B, H) sequence of the layer below: TorchScript's Y (T, 1, B, H) -> Squeeze(axis 1) passes,
as does the dynamo exporter's Transpose(0, 2, 1, 3) -> Reshape; a Reshape mixing T and B fails.

Nothing the model computes is dropped without a word: every LSTM/GRU/RNN node of the graph
must be in the chain (a layer beside it or above the first output is refused, even when no
output uses it), and every other graph output must be made from the chain alone -- its
layers' Y, Y_h, Y_c or the glue tensors between them, through glue and Concat (both torch
exporters return a stack's h_n, c_n as Concat of every layer's Y_h, Y_c). Any other node on
the way to an output (a MatMul head, an Add, a constant) is refused; nodes no output uses are
dead code and are ignored.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from model.layer import Layer
from model.onnx_io.glue import GLUE_OPS, SUPPORTED, concat_shape, follow, glue_shape
from model.onnx_io.graph import MAX_DEPTH, GraphIndex
from model.onnx_io.layout import ONNX_GATES
from model.onnx_io.reading import describe
from model.onnx_io.recurrent_node import read_layer
from model.onnx_io.shapes import ONE, Dim, Shapes, show

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto

RNN_OPS = tuple(ONNX_GATES)  # LSTM, GRU, RNN
OUTPUT_NAMES = {0: "Y", 1: "Y_h", 2: "Y_c"}


def read_layers(graph: GraphProto, dtype: np.dtype | None = None) -> list[Layer]:
    """The layers of the chain, bottom first; ValueError naming what is not supported.
    ``dtype``: the layers' (arrays cast before any arithmetic); None keeps the file's."""
    return _Chain(graph, dtype).layers()


class _Chain:
    """Walks one graph: finds the chain, checks the glue between its nodes and that nothing
    else is computed, reads the layers."""

    def __init__(self, graph: GraphProto, dtype: np.dtype | None) -> None:
        self.graph = graph
        self.dtype = dtype
        self.index = GraphIndex(graph)
        self.shapes = Shapes(self.index)
        self.visiting: set[str] = set()  # tensors _from_chain is working out

    def layers(self) -> list[Layer]:
        graph = self.graph
        found = Counter(n.op_type for n in graph.node)
        if not any(op in found for op in RNN_OPS):
            ops = ", ".join(f"{op}×{n}" for op, n in found.most_common(8))
            raise ValueError(
                f"no LSTM, GRU or RNN node in the graph (it has {ops}); {SUPPORTED}. "
                "(torch.onnx.export with dynamo=True unrolls nn.RNN into MatMul/Tanh nodes; "
                "export it with dynamo=False.)"
            )
        inputs = [i for i in graph.input if i.name not in self.index.initializers]
        if len(inputs) != 1:
            names = ", ".join(repr(i.name) for i in inputs) or "none"
            raise ValueError(
                f"the graph has {len(inputs)} inputs ({names}); load_onnx needs exactly one, "
                "the input sequence (initial states must be constants)"
            )
        self.input_name = inputs[0].name
        if not graph.output:
            raise ValueError("the graph has no outputs")
        output = graph.output[0].name

        out_glue, origin = self._walk_back(output)
        if origin is None:
            raise ValueError(
                f"the graph output {output!r} does not come from an LSTM, GRU or RNN node; "
                f"{SUPPORTED}"
            )
        chain: list[NodeProto] = [origin[0]]
        glues: list[list[NodeProto]] = []
        while True:
            node = chain[-1]
            glue, below = self._walk_back(node.input[0] if node.input else "")
            glues.append(glue)
            if below is None:
                break
            lower, k = below
            if k != 0:
                raise ValueError(
                    f"{describe(node)} reads {OUTPUT_NAMES.get(k, k)} of {describe(lower)}; "
                    "a stack must feed each layer the sequence Y of the layer below"
                )
            if any(lower is n for n in chain) or len(chain) > len(graph.node):
                raise ValueError("the graph has a cycle through its recurrent nodes")
            chain.append(lower)
        chain.reverse()
        glues.reverse()
        self._refuse_other_recurrent_nodes(chain, output)

        layers = [read_layer(node, self.index, self.dtype) for node in chain]
        self._check_shapes(chain, glues, layers, out_glue, origin[1])
        for value in graph.output[1:]:
            self._from_chain(value.name, value.name, 0)
        return layers

    def _refuse_other_recurrent_nodes(self, chain: list[NodeProto], output: str) -> None:
        """ValueError for an LSTM/GRU/RNN node outside the chain: it would be dropped."""
        for node in self.graph.node:
            if node.op_type in RNN_OPS and not any(node is n for n in chain):
                layers = ", ".join(describe(n) for n in chain)
                raise ValueError(
                    f"{describe(node)} is not in the chain of layers from the graph input to "
                    f"the first graph output {output!r} ({layers}); load_onnx would drop it. "
                    "The first output must be the top layer's Y (or Y_h, Y_c), and every "
                    f"recurrent node a layer of that one stack; {SUPPORTED}"
                )

    def _from_chain(self, tensor: str, output: str, depth: int) -> list[Dim]:
        """The shape of ``tensor``, which graph output ``output`` needs: a tensor of the chain
        (recorded by ``_check_shapes``) or made from such tensors by glue and Concat alone.
        ValueError naming the node that computes anything else."""
        if tensor in self.shapes.known:
            return self.shapes.known[tensor]
        where = f"the graph output {output!r}"
        if depth > MAX_DEPTH:
            raise ValueError(f"{where} is made by more than {MAX_DEPTH} nodes in a row")
        if tensor not in self.index.producer:
            what = "a constant" if self.index.constant(tensor) is not None else "not computed"
            raise ValueError(
                f"{where} needs {tensor!r}, which is {what}, not a result of the recurrent "
                "layers; load_onnx reads the layers alone, so the other outputs may only be "
                "their Y, Y_h, Y_c, reshaped or concatenated"
            )
        node, k = self.index.producer[tensor]
        known_op = node.domain in ("", "ai.onnx") and k == 0
        if not known_op or node.op_type not in (*GLUE_OPS, "Concat"):
            raise ValueError(
                f"{where} is computed by {describe(node)}, which is not part of the chain of "
                "recurrent layers; load_onnx reads the layers alone and would drop it. Export "
                "the recurrent layers without heads or other layers (extra outputs may be "
                "their Y, Y_h, Y_c, reshaped or concatenated)"
            )
        if tensor in self.visiting:
            raise ValueError(f"{where} is computed in a cycle")
        self.visiting.add(tensor)
        if node.op_type == "Concat":
            parts = [self._from_chain(i, output, depth + 1) for i in node.input if i]
            dims = concat_shape(node, parts)
        else:
            below = self._from_chain(node.input[0] if node.input else "", output, depth + 1)
            dims = glue_shape(node, below, self.shapes)
        self.shapes.known[tensor] = dims
        return dims

    def _walk_back(self, tensor: str) -> tuple[list[NodeProto], tuple[NodeProto, int] | None]:
        """Glue nodes (in forward order) from the graph input or an RNN node's output to
        ``tensor``; and that RNN node with its output index, or None for the graph input."""
        glue: list[NodeProto] = []
        while True:
            if tensor == self.input_name:
                return glue[::-1], None
            if tensor not in self.index.producer:
                what = "a constant" if tensor in self.index.initializers else "produced by no node"
                raise ValueError(
                    f"tensor {tensor!r} on the path to the output is {what}; {SUPPORTED}, "
                    "starting from the graph input"
                )
            node, k = self.index.producer[tensor]
            if node.domain not in ("", "ai.onnx"):
                raise ValueError(
                    f"unsupported {describe(node)} (domain {node.domain!r}) on the path from "
                    f"the input to the output; {SUPPORTED}"
                )
            if node.op_type in RNN_OPS:
                return glue[::-1], (node, k)
            if node.op_type not in GLUE_OPS or k != 0:
                raise ValueError(
                    f"unsupported {describe(node)} on the path from the input to the output; "
                    f"{SUPPORTED}. Export the recurrent layers alone, without heads or "
                    "other layers."
                )
            if any(node is g for g in glue) or len(glue) > len(self.graph.node):
                raise ValueError("the graph has a cycle")
            glue.append(node)
            tensor = node.input[0] if node.input else ""

    def _check_shapes(
        self,
        chain: list[NodeProto],
        glues: list[list[NodeProto]],
        layers: list[Layer],
        out_glue: list[NodeProto],
        out_index: int,
    ) -> None:
        """Follow the symbolic shape from the input through every glue node and layer."""
        dims = self._input_dims(len(glues[0]) == 0)
        self.shapes.known[self.input_name] = dims
        dims = follow(glues[0], dims, self.shapes)
        first = chain[0]
        D = layers[0].input_size
        wrong_width = not dims[-1][1] and dims[-1] != (D, ()) if dims else True
        if len(dims) != 3 or wrong_width:
            raise ValueError(
                f"{describe(first)} reads its input as shape {show(dims)}; it needs (T, B, {D})"
            )
        T, B = dims[0], dims[1]
        for node, layer in zip(chain, layers, strict=True):  # Y, then Y_h (and Y_c)
            H = layer.hidden_size
            for k, name in enumerate(node.output):
                if name:
                    self.shapes.known[name] = [T, ONE, B, (H, ())] if k == 0 else [ONE, B, (H, ())]
        for k in range(1, len(chain)):
            H = layers[k - 1].hidden_size
            y = [T, ONE, B, (H, ())]
            dims = follow(glues[k], y, self.shapes)
            if dims != [T, B, (H, ())]:
                names = ", ".join(describe(n) for n in glues[k]) or "no nodes"
                raise ValueError(
                    f"between {describe(chain[k - 1])} and {describe(chain[k])} ({names}) Y "
                    f"{show(y)} becomes {show(dims)}, not the sequence {show([T, B, (H, ())])}"
                    " the upper layer must read"
                )
        follow(out_glue, self.shapes.known[chain[-1].output[out_index]], self.shapes)

    def _input_dims(self, bare: bool) -> list[Dim]:
        value = next(i for i in self.graph.input if i.name == self.input_name)
        tensor_type = value.type.tensor_type
        if not tensor_type.HasField("shape"):
            if not bare:
                raise ValueError(
                    f"the graph input {self.input_name!r} has no shape, so the nodes after it "
                    "cannot be checked; give the input a shape (T, B, D)"
                )
            return [(1, ("T",)), (1, ("B",)), (1, ("D",))]
        dims: list[Dim] = []
        for k, d in enumerate(tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append((int(d.dim_value), ()))
            elif d.HasField("dim_param") and d.dim_param:
                dims.append((1, (d.dim_param,)))
            else:
                dims.append((1, (f"{self.input_name}[{k}]",)))
        return dims
