"""Build small ONNX recurrent models with ``onnx.helper`` and run them in ONNX Runtime.

Helpers for the tests, not tests. Weights are given in ONNX's own layout (gate blocks stacked
along the rows, ONNX gate order):

    LSTM  W (1, 4H, D) i,o,f,c   R (1, 4H, H)   B (1, 8H) = [Wb, Rb]   P (1, 3H) i,o,f
    GRU   W (1, 3H, D) z,r,h     R (1, 3H, H)   B (1, 6H)
    RNN   W (1, H, D)            R (1, H, H)    B (1, 2H)
    initial_h, initial_c (1, batch, H)

so the importer's reordering is what the tests check. ``GraphBuilder`` lays out a stack the way
``torch.onnx.export`` (TorchScript) does: Y (T, 1, B, H) -> Squeeze(axis 1) -> next node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 14
IR_VERSION = 8  # onnxruntime 1.31 reads IR <= 13; onnx 1.23 writes 14 by default
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
ELEM_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}

ATOL = RTOL = 1e-5  # the engine issue's agreement with ONNX Runtime, float32


@dataclasses.dataclass
class LayerSpec:
    """One ONNX LSTM/GRU/RNN node: its weights in ONNX layout and its attributes."""

    op: str  # "LSTM", "GRU" or "RNN"
    W: np.ndarray
    R: np.ndarray
    B: np.ndarray | None = None
    P: np.ndarray | None = None
    initial_h: np.ndarray | None = None
    initial_c: np.ndarray | None = None
    clip: float | None = None
    input_forget: int | None = None  # LSTM
    linear_before_reset: int | None = None  # GRU
    attrs: dict[str, Any] = dataclasses.field(default_factory=dict)  # extra ONNX attributes

    @property
    def hidden_size(self) -> int:
        return int(self.R.shape[-1])

    @property
    def input_size(self) -> int:
        return int(self.W.shape[-1])

    @property
    def dtype(self) -> np.dtype:
        return self.W.dtype


def random_layer(
    op: str,
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    bias: bool = True,
    peepholes: bool = False,
    initial_state: bool = False,
    batch: int = 1,
    clip: float | None = None,
    input_forget: int | None = None,
    linear_before_reset: int | None = None,
    dtype: type = np.float32,
) -> LayerSpec:
    """Random weights uniform in ±scale/√H (PyTorch's default at scale 1; 4 saturates gates).

    initial_state: nonzero initial_h (and initial_c for an LSTM), the same row for each of
    ``batch`` sequences unless batch rows are wanted different (see ``with_batch_states``).
    """
    G = GATES[op]
    bound = scale / np.sqrt(H)

    def uniform(*shape: int, b: float = bound) -> np.ndarray:
        return rng.uniform(-b, b, shape).astype(dtype)

    spec = LayerSpec(
        op,
        W=uniform(1, G * H, D),
        R=uniform(1, G * H, H),
        B=uniform(1, 2 * G * H) if bias else None,
        P=uniform(1, 3 * H) if peepholes else None,
        clip=clip,
        input_forget=input_forget,
        linear_before_reset=linear_before_reset,
    )
    if initial_state:
        spec.initial_h = np.broadcast_to(uniform(1, 1, H, b=0.9), (1, batch, H)).copy()
        if op == "LSTM":
            spec.initial_c = np.broadcast_to(uniform(1, 1, H, b=2.0), (1, batch, H)).copy()
    return spec


def random_stack(
    op: str, D: int, H: int, num_layers: int, seed: int, **options: Any
) -> list[LayerSpec]:
    """``num_layers`` random layers, the first reading D inputs, the rest H."""
    rng = np.random.default_rng(seed)
    return [random_layer(op, D if k == 0 else H, H, rng, **options) for k in range(num_layers)]


class GraphBuilder:
    """Accumulates nodes, initializers and graph inputs/outputs; ``model()`` assembles them."""

    def __init__(self, dtype: type | np.dtype = np.float32, opset: int = OPSET) -> None:
        self.dtype = np.dtype(dtype)
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def input(self, name: str, shape: Sequence[int | str | None]) -> str:
        elem = ELEM_TYPE[self.dtype]
        self.inputs.append(helper.make_tensor_value_info(name, elem, list(shape)))
        return name

    def output(self, tensor: str, dtype: np.dtype | None = None) -> None:
        elem = ELEM_TYPE[np.dtype(dtype or self.dtype)]
        self.outputs.append(helper.make_tensor_value_info(tensor, elem, None))

    def const(self, hint: str, value: np.ndarray, as_node: bool = False) -> str:
        """A constant tensor: an initializer, or (as_node) the output of a Constant node."""
        name = self.fresh(hint)
        tensor = numpy_helper.from_array(np.asarray(value), name)
        if as_node:
            self.nodes.append(helper.make_node("Constant", [], [name], name=name, value=tensor))
        else:
            self.initializers.append(tensor)
        return name

    def node(
        self,
        op: str,
        inputs: Sequence[str],
        n_outputs: int = 1,
        name: str | None = None,
        outputs: Sequence[str] | None = None,
        **attrs: Any,
    ) -> list[str]:
        name = name or self.fresh(op)
        if outputs is None:
            outputs = [f"{name}_out{k}" for k in range(n_outputs)]
        outs = list(outputs)
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs

    def squeeze(self, tensor: str, axis: int = 1) -> str:
        """Squeeze one axis (opset 13+ takes the axes as an input, as torch exports it)."""
        if self.opset >= 13:
            axes = self.const("axes", np.array([axis], np.int64), as_node=True)
            return self.node("Squeeze", [tensor, axes])[0]
        return self.node("Squeeze", [tensor], axes=[axis])[0]

    def rnn(
        self,
        spec: LayerSpec,
        x: str,
        constants_as_nodes: bool = False,
        outputs: Sequence[str] | None = None,
        name: str | None = None,
    ) -> list[str]:
        """One LSTM/GRU/RNN node reading x; returns its outputs [Y, Y_h(, Y_c)]."""

        def const(hint: str, value: np.ndarray | None) -> str:
            if value is None:
                return ""
            return self.const(hint, value.astype(self.dtype), as_node=constants_as_nodes)

        inputs = [
            x,
            const("W", spec.W),
            const("R", spec.R),
            const("B", spec.B),
            "",  # sequence_lens
            const("initial_h", spec.initial_h),
        ]
        if spec.op == "LSTM":
            inputs += [const("initial_c", spec.initial_c), const("P", spec.P)]
        while inputs and inputs[-1] == "":
            inputs.pop()  # trailing optional inputs are left out, as exporters do
        attrs: dict[str, Any] = {"hidden_size": spec.hidden_size}
        if spec.clip is not None:
            attrs["clip"] = float(spec.clip)
        if spec.input_forget is not None:
            attrs["input_forget"] = int(spec.input_forget)
        if spec.linear_before_reset is not None:
            attrs["linear_before_reset"] = int(spec.linear_before_reset)
        attrs.update(spec.attrs)
        n_outputs = 3 if spec.op == "LSTM" else 2
        return self.node(spec.op, inputs, n_outputs, name=name, outputs=outputs, **attrs)

    def model(self, name: str = "lens_test") -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, name, self.inputs, self.outputs, initializer=self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            ir_version=IR_VERSION,
            producer_name="lstm-lens-tests",
        )
        return model


def stack_model(
    layers: Sequence[LayerSpec],
    *,
    seq_len: int | str | None = None,
    batch: int | str | None = 1,
    outputs: Sequence[str] = ("Y", "Y_h", "Y_c"),
    opset: int = OPSET,
    constants_as_nodes: bool = False,
) -> onnx.ModelProto:
    """A chain of RNN nodes joined by Squeeze(axis 1), as torch.onnx.export lays them out.

    Graph input X (T, batch, D); graph outputs, in the order asked, the top node's
    "Y" (T, 1, batch, H), "Y_h" (1, batch, H) and "Y_c" (LSTM only; dropped otherwise).
    seq_len/batch None or a name: a dynamic axis.
    """
    dtype = layers[0].dtype
    g = GraphBuilder(dtype, opset)
    x = g.input("X", [seq_len or "T", batch or "B", layers[0].input_size])
    for k, spec in enumerate(layers):
        top = k == len(layers) - 1
        names = ["Y", "Y_h", "Y_c"] if top else [f"L{k}_Y", f"L{k}_Y_h", f"L{k}_Y_c"]
        outs = g.rnn(
            spec,
            x,
            constants_as_nodes,
            outputs=names[: 3 if spec.op == "LSTM" else 2],
            name=f"{spec.op.lower()}_{k}",
        )
        if not top:
            x = g.squeeze(outs[0], axis=1)
    for out in outputs:
        if out == "Y_c" and layers[-1].op != "LSTM":
            continue
        g.output(out)
    return g.model()


def to_bytes(model: onnx.ModelProto) -> bytes:
    return bytes(model.SerializeToString())


def run_ort(model_bytes: bytes, X: np.ndarray) -> dict[str, np.ndarray]:
    """Run a model in ONNX Runtime (CPU, one thread) on X; outputs by name."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    feed = {session.get_inputs()[0].name: X}
    return dict(zip(names, session.run(names, feed), strict=True))


def run_reference(model_bytes: bytes, X: np.ndarray) -> dict[str, np.ndarray]:
    """Run a model in onnx.reference (pure NumPy, any float dtype; ignores clip and
    input_forget, so only for the cases without them)."""
    from onnx.reference import ReferenceEvaluator

    model = onnx.load_model_from_string(model_bytes)
    evaluator = ReferenceEvaluator(model)
    names = [o.name for o in model.graph.output]
    results = evaluator.run(names, {model.graph.input[0].name: X})
    return dict(zip(names, results, strict=True))
