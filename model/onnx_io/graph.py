"""What a graph's tensors are, found without running it.

Who produces each tensor, which tensors are constants (initializers, Constant nodes, through
Identity) and which are provably all zeros: exporters build zero initial states with
Expand/ConstantOfShape from the input's shape, and those are as good as no state at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.onnx_io.reading import describe, to_array

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto

MAX_DEPTH = 256  # how far the zero-state and shape evaluators follow producers
ZERO_PRESERVING = (
    "Expand", "Slice", "Gather", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Cast",
    "Transpose", "Flatten", "Tile",
)  # fmt: skip


class GraphIndex:
    """One graph's tensors by name: producers, initializers, constant values, zero tensors."""

    def __init__(self, graph: GraphProto) -> None:
        self.graph = graph
        self.initializers = {t.name: t for t in graph.initializer}
        self.producer: dict[str, tuple[NodeProto, int]] = {}  # tensor -> (node, output index)
        for node in graph.node:
            for k, out in enumerate(node.output):
                if out:
                    self.producer[out] = (node, k)
        self._constants: dict[str, np.ndarray | None] = {}
        self._zeros: dict[str, bool] = {}

    def constant(self, tensor: str, depth: int = 0) -> np.ndarray | None:
        """The value of an initializer or a Constant node's output (through Identity)."""
        if tensor in self._constants:
            return self._constants[tensor]
        value: np.ndarray | None = None
        if tensor in self.initializers:
            value = to_array(self.initializers[tensor])
        elif tensor in self.producer and depth < MAX_DEPTH:
            node, _ = self.producer[tensor]
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                value = constant_node_value(node)
            elif node.op_type == "Identity" and node.input:
                value = self.constant(node.input[0], depth + 1)
        self._constants[tensor] = value
        return value

    def is_zero(self, tensor: str, depth: int = 0) -> bool:
        """Whether a tensor is provably all zeros (exporters' zero initial states)."""
        if tensor not in self._zeros:
            self._zeros[tensor] = False  # also stops cycles
            self._zeros[tensor] = self._zero_eval(tensor, depth)
        return self._zeros[tensor]

    def _zero_eval(self, tensor: str, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        const = self.constant(tensor)
        if const is not None:
            return const.dtype.kind in "fiu" and not np.any(const)
        if tensor not in self.producer:
            return False
        node, _ = self.producer[tensor]
        if node.domain not in ("", "ai.onnx"):
            return False
        if node.op_type == "ConstantOfShape":
            value = constant_node_value(node)
            return value is None or not np.any(value)
        if node.op_type in ZERO_PRESERVING:
            return bool(node.input) and self.is_zero(node.input[0], depth + 1)
        if node.op_type == "Concat":
            return all(self.is_zero(i, depth + 1) for i in node.input)
        return False

    def run_time_origin(self, tensor: str, graph_input: str = "is a graph input") -> str:
        """Where a tensor that is not a constant comes from, for a message saying it must be."""
        if any(i.name == tensor for i in self.graph.input):
            return graph_input
        if tensor in self.producer:
            return f"is computed at run time by {describe(self.producer[tensor][0])}"
        return "is not defined in the graph"


def constant_node_value(node: NodeProto) -> np.ndarray | None:
    """The value a Constant (or ConstantOfShape) node holds in its attributes, if any."""
    import onnx

    for a in node.attribute:
        if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
            return to_array(a.t)
        if a.name == "value_float":
            return np.array(a.f, np.float32)
        if a.name == "value_floats":
            return np.array(list(a.floats), np.float32)
        if a.name == "value_int":
            return np.array(a.i, np.int64)
        if a.name == "value_ints":
            return np.array(list(a.ints), np.int64)
    return None
