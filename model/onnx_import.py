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

How ONNX maps to ``Layer`` (ONNX keeps the gate blocks stacked along rows; a Layer keeps them
side by side along columns, in the order its cell module's ``GATES`` names)
    LSTM  W (1, 4H, D) blocks i, o, f, c;  R (1, 4H, H);  B (1, 8H) = [Wb, Rb];  P (1, 3H) i, o, f
          W_x = W blocksᵀ in GATES order (o, i, f, c_tilde), W_h likewise from R, b = Wb + Rb.
          input_forget=0 without P (or with P all zero) -> "lstm";  with P -> "peephole",
          p rows (o, i, f).  input_forget=1 -> "coupled" (o, i, c_tilde): ONNX Runtime computes
          f = 1 - i and ignores the forget gate's W, R, B and P rows, so they are dropped;
          p rows (o, i) when P is present.
    GRU   W (1, 3H, D) blocks z, r, h.  Our z is colah's share of the *new* candidate,
          h_t = (1 - z) h_{t-1} + z h̃, ONNX's the share of the old state; since
          1 - σ(a) = σ(-a) the z blocks of W, R and both biases are negated.
          linear_before_reset=0: b = Wb + Rb.  linear_before_reset=1 (PyTorch's form):
          b = [Wbz + Rbz, Wbr + Rbr, Wbh] and b_hn = Rbh (the reset gate scales it).
    RNN   W (1, H, D), R (1, H, H), B (1, 2H): W_x = Wᵀ, W_h = Rᵀ, b = Wb + Rb.
    ``clip`` -> Layer.clip (symmetric, so it commutes with the GRU's negation);
    initial_h / initial_c (1, 1, H) -> Layer.h0 / c0 (a batch of identical rows is accepted).

dtype: float32 weights stay float32, float64 stay float64 (float16/bfloat16 become float32);
``dtype=`` casts the whole network.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from model.cells import CELLS
from model.layer import Layer
from model.network import Network

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, NodeProto, TensorProto

__all__ = ["MAX_BYTES", "load_onnx"]

MAX_BYTES = 512 * 2**20  # refuse files larger than this (512 MiB)

RNN_OPS = ("LSTM", "GRU", "RNN")
GATE_COUNT = {"LSTM": 4, "GRU": 3, "RNN": 1}
ONNX_GATES = {  # our gate name -> ONNX block index
    "LSTM": {"i": 0, "o": 1, "f": 2, "c_tilde": 3},
    "GRU": {"z": 0, "r": 1, "h_tilde": 2},
    "RNN": {"h": 0},
}
ONNX_PEEPHOLES = {"i": 0, "o": 1, "f": 2}
DEFAULT_ACTIVATIONS = {
    "LSTM": ("sigmoid", "tanh", "tanh"),
    "GRU": ("sigmoid", "tanh"),
    "RNN": ("tanh",),
}
COMMON_ATTRIBUTES = {
    "hidden_size", "direction", "activations", "activation_alpha", "activation_beta",
    "clip", "layout", "output_sequence",
}  # fmt: skip
EXTRA_ATTRIBUTES = {"LSTM": {"input_forget"}, "GRU": {"linear_before_reset"}, "RNN": set()}
OUTPUT_NAMES = {0: "Y", 1: "Y_h", 2: "Y_c"}
GLUE_OPS = ("Identity", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Transpose", "Slice", "Cast")
ZERO_PRESERVING = (
    "Expand", "Slice", "Gather", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Cast",
    "Transpose", "Flatten", "Tile",
)  # fmt: skip
SUPPORTED = (
    "load_onnx reads a chain of forward LSTM, GRU or RNN nodes joined only by shape glue "
    "(Squeeze, Unsqueeze, Reshape, Flatten, Identity, Cast, whole-axis Slice, unit-axis "
    "Transpose)"
)
MAX_DEPTH = 256  # how far the zero-state and shape evaluators follow producers

# A symbolic tensor dimension: integer coefficient times a product of named sizes,
# e.g. (1, ("T",)) is T, (4, ()) is 4, (1, ("B", "T")) is T·B.
Dim = tuple[int, tuple[str, ...]]
ONE: Dim = (1, ())


def load_onnx(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    dtype: np.dtype | type | str | None = None,
) -> Network:
    """A Network from an ONNX model: a path or the file's bytes. See the module docstring.

    Raises ValueError when the file is not a readable ONNX model or not a supported one,
    with a message naming the node and what is supported.
    """
    model = _parse(_read(source))
    layers = _Importer(model.graph).layers()
    if dtype is None:
        dtypes = {layer.dtype for layer in layers}
        target = np.dtype(np.float64) if dtypes == {np.dtype(np.float64)} else np.dtype(np.float32)
    else:
        target = np.dtype(dtype)
        if target not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {target}")
    return Network([layer if layer.dtype == target else layer.astype(target) for layer in layers])


# -- reading ------------------------------------------------------------------------------------


def _read(source: str | os.PathLike[str] | bytes | bytearray | memoryview) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = memoryview(source).nbytes
        if size > MAX_BYTES:
            raise ValueError(f"the model is {size} bytes; load_onnx reads up to {MAX_BYTES}")
        return bytes(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_onnx takes a path or bytes, not {type(source).__name__}")
    with open(source, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_BYTES:
            raise ValueError(
                f"{os.fspath(source)!s} is {size} bytes; load_onnx reads files up to {MAX_BYTES}"
            )
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # not a regular file, or one that grew while read
        raise ValueError(f"{os.fspath(source)!s} is over {MAX_BYTES} bytes, too large to read")
    return data


def _parse(data: bytes) -> ModelProto:
    import onnx

    if not data:
        raise ValueError("not an ONNX model: the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as error:  # protobuf's DecodeError and friends
        raise ValueError(
            f"not a readable ONNX model ({len(data)} bytes): the protobuf does not parse "
            f"({type(error).__name__}: {error}); is the file truncated, or not an .onnx file?"
        ) from None
    if not model.HasField("graph") or not model.graph.node:
        raise ValueError(
            "not an ONNX model, or an empty one: no graph nodes found (is the file truncated, "
            "or not an .onnx file?)"
        )
    if not any(o.domain in ("", "ai.onnx") for o in model.opset_import):
        raise ValueError(
            "not a complete ONNX model: it declares no opset version (is the file truncated?)"
        )
    _refuse_external_data(model.graph)
    return model


def _refuse_external_data(graph: GraphProto) -> None:
    import onnx

    tensors = list(graph.initializer)
    tensor_attribute = onnx.AttributeProto.TENSOR
    tensors += [a.t for n in graph.node for a in n.attribute if a.type == tensor_attribute]
    for tensor in tensors:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            where = {e.key: e.value for e in tensor.external_data}.get("location", "?")
            raise ValueError(
                f"tensor {tensor.name!r} is stored as external data (in {where!r}); load_onnx "
                "reads self-contained .onnx files only: save the model with "
                "onnx.save_model(model, path, save_as_external_data=False)"
            )


def _to_array(tensor: TensorProto) -> np.ndarray:
    from onnx import numpy_helper

    try:
        return np.asarray(numpy_helper.to_array(tensor))
    except Exception as error:  # malformed tensors: sizes that do not match the data, ...
        raise ValueError(
            f"tensor {tensor.name!r} cannot be read ({type(error).__name__}: {error}); "
            "is the file truncated or corrupt?"
        ) from None


def _attributes(node: NodeProto) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _describe(node: NodeProto) -> str:
    return f"{node.op_type} node {node.name!r}" if node.name else f"unnamed {node.op_type} node"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# -- symbolic shapes ----------------------------------------------------------------------------


def _mul(a: Dim, b: Dim) -> Dim:
    return (a[0] * b[0], tuple(sorted(a[1] + b[1])))


def _prod(dims: Sequence[Dim]) -> Dim:
    out = ONE
    for d in dims:
        out = _mul(out, d)
    return out


def _div(a: Dim, b: Dim) -> Dim | None:
    if b[0] == 0 or a[0] % b[0]:
        return None
    syms = list(a[1])
    for s in b[1]:
        if s not in syms:
            return None
        syms.remove(s)
    return (a[0] // b[0], tuple(syms))


def _show(dims: Sequence[Dim]) -> str:
    def one(d: Dim) -> str:
        parts = ([str(d[0])] if d[0] != 1 or not d[1] else []) + list(d[1])
        return "·".join(parts)

    return "(" + ", ".join(one(d) for d in dims) + ")"


# -- the importer -------------------------------------------------------------------------------


class _Importer:
    """Walks one graph: finds the chain, checks the glue between its nodes, maps the weights."""

    def __init__(self, graph: GraphProto) -> None:
        self.graph = graph
        self.initializers = {t.name: t for t in graph.initializer}
        self.producer: dict[str, tuple[NodeProto, int]] = {}
        for node in graph.node:
            for k, out in enumerate(node.output):
                if out:
                    self.producer[out] = (node, k)
        self.shapes: dict[str, list[Dim]] = {}  # symbolic shapes of tensors on the chain
        self._constants: dict[str, np.ndarray | None] = {}
        self._zeros: dict[str, bool] = {}

    # -- the chain --------------------------------------------------------------------------

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
        inputs = [i for i in graph.input if i.name not in self.initializers]
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
                    f"{_describe(node)} reads {OUTPUT_NAMES.get(k, k)} of {_describe(lower)}; "
                    "a stack must feed each layer the sequence Y of the layer below"
                )
            if any(lower is n for n in chain) or len(chain) > len(graph.node):
                raise ValueError("the graph has a cycle through its recurrent nodes")
            chain.append(lower)
        chain.reverse()
        glues.reverse()

        layers = [self._layer(node) for node in chain]
        self._check_shapes(chain, glues, layers, out_glue, origin[1])
        return layers

    def _walk_back(self, tensor: str) -> tuple[list[NodeProto], tuple[NodeProto, int] | None]:
        """Glue nodes (in forward order) from the graph input or an RNN node's output to
        ``tensor``; and that RNN node with its output index, or None for the graph input."""
        glue: list[NodeProto] = []
        while True:
            if tensor == self.input_name:
                return glue[::-1], None
            if tensor not in self.producer:
                what = "a constant" if tensor in self.initializers else "produced by no node"
                raise ValueError(
                    f"tensor {tensor!r} on the path to the output is {what}; {SUPPORTED}, "
                    "starting from the graph input"
                )
            node, k = self.producer[tensor]
            if node.domain not in ("", "ai.onnx"):
                raise ValueError(
                    f"unsupported {_describe(node)} (domain {node.domain!r}) on the path from "
                    f"the input to the output; {SUPPORTED}"
                )
            if node.op_type in RNN_OPS:
                return glue[::-1], (node, k)
            if node.op_type not in GLUE_OPS or k != 0:
                raise ValueError(
                    f"unsupported {_describe(node)} on the path from the input to the output; "
                    f"{SUPPORTED}. Export the recurrent layers alone, without heads or "
                    "other layers."
                )
            if any(node is g for g in glue) or len(glue) > len(self.graph.node):
                raise ValueError("the graph has a cycle")
            glue.append(node)
            tensor = node.input[0] if node.input else ""

    # -- shapes -----------------------------------------------------------------------------

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
        self.shapes[self.input_name] = dims
        dims = self._apply(glues[0], dims)
        first = chain[0]
        D = layers[0].input_size
        wrong_width = not dims[-1][1] and dims[-1] != (D, ()) if dims else True
        if len(dims) != 3 or wrong_width:
            raise ValueError(
                f"{_describe(first)} reads its input as shape {_show(dims)}; it needs (T, B, {D})"
            )
        T, B = dims[0], dims[1]
        for k in range(1, len(chain)):
            H = layers[k - 1].hidden_size
            y = [T, ONE, B, (H, ())]
            self.shapes[chain[k - 1].output[0]] = y
            dims = self._apply(glues[k], y)
            if dims != [T, B, (H, ())]:
                names = ", ".join(_describe(n) for n in glues[k]) or "no nodes"
                raise ValueError(
                    f"between {_describe(chain[k - 1])} and {_describe(chain[k])} ({names}) Y "
                    f"{_show(y)} becomes {_show(dims)}, not the sequence {_show([T, B, (H, ())])}"
                    " the upper layer must read"
                )
        H = layers[-1].hidden_size
        top = [T, ONE, B, (H, ())] if out_index == 0 else [ONE, B, (H, ())]
        self.shapes[chain[-1].output[out_index]] = top
        self._apply(out_glue, top)

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

    def _apply(self, glue: list[NodeProto], dims: list[Dim]) -> list[Dim]:
        for node in glue:
            dims = self._glue_shape(node, dims)
            self.shapes[node.output[0]] = dims
        return dims

    def _glue_shape(self, node: NodeProto, dims: list[Dim]) -> list[Dim]:
        """The output shape of one glue node; ValueError if it is not a pure reshape."""
        import onnx

        op, attrs, rank = node.op_type, _attributes(node), len(dims)
        where = _describe(node)
        if op == "Identity":
            return dims
        if op == "Cast":
            if attrs.get("to") not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
                raise ValueError(f"{where} casts to a non-float type; {SUPPORTED}")
            return dims
        if op == "Squeeze":
            axes = self._axes(node, attrs)
            if axes is None:
                return [d for d in dims if d != ONE]
            norm = self._normalize(axes, rank, where)
            for a in norm:
                if dims[a] != ONE:
                    raise ValueError(
                        f"{where} squeezes axis {a} of shape {_show(dims)}, which is not a unit "
                        "axis"
                    )
            return [d for k, d in enumerate(dims) if k not in norm]
        if op == "Unsqueeze":
            axes = self._axes(node, attrs)
            if axes is None:
                raise ValueError(f"{where} has no constant axes")
            out_rank = rank + len(axes)
            norm = self._normalize(axes, out_rank, where)
            rest = iter(dims)
            return [ONE if k in norm else next(rest) for k in range(out_rank)]
        if op == "Flatten":
            axis = int(attrs.get("axis", 1))
            axis = axis + rank if axis < 0 else axis
            if not 0 <= axis <= rank:
                raise ValueError(f"{where} has axis {axis} outside a rank-{rank} tensor")
            return [_prod(dims[:axis]), _prod(dims[axis:])]
        if op == "Transpose":
            perm = [int(p) for p in attrs.get("perm", range(rank - 1, -1, -1))]
            if sorted(perm) != list(range(rank)):
                raise ValueError(f"{where} has perm {perm}, not a permutation of {rank} axes")
            moved = [p for p in perm if dims[p] != ONE]
            if moved != sorted(moved):
                raise ValueError(
                    f"{where} (perm {perm}) reorders the data of a {_show(dims)} tensor; only "
                    "transposes that move unit axes are supported (export batch_first=False)"
                )
            return [dims[p] for p in perm]
        if op == "Reshape":
            return self._reshape(node, attrs, dims)
        if op == "Slice":
            self._check_whole_slice(node, attrs, dims)
            return dims
        raise ValueError(f"unsupported {where}; {SUPPORTED}")  # pragma: no cover

    def _reshape(self, node: NodeProto, attrs: dict[str, Any], dims: list[Dim]) -> list[Dim]:
        where = _describe(node)
        if len(node.input) > 1 and node.input[1]:
            target = self._dims_value(node.input[1])
        elif "shape" in attrs:
            target = [(int(v), ()) for v in attrs["shape"]]
        else:
            target = None
        if target is None:
            raise ValueError(
                f"{where} reshapes to a shape computed at run time that load_onnx cannot follow; "
                "export with static shapes"
            )
        allowzero = int(attrs.get("allowzero", 0))
        out: list[Dim | None] = []
        for k, d in enumerate(target):
            if d == (0, ()) and not allowzero:
                if k >= len(dims):
                    raise ValueError(f"{where} copies axis {k} of a rank-{len(dims)} tensor")
                out.append(dims[k])
            elif d == (-1, ()):
                out.append(None)
            elif d[0] < 0:
                raise ValueError(f"{where} has an invalid target shape {_show(target)}")
            else:
                out.append(d)
        total = _prod(dims)
        if out.count(None) > 1:
            raise ValueError(f"{where} has more than one -1 in its target shape")
        if None in out:
            known = _prod([d for d in out if d is not None])
            inferred = _div(total, known)
            if inferred is None:
                raise ValueError(
                    f"{where} cannot reshape {_show(dims)} to {_show(target)} for every size"
                )
            out[out.index(None)] = inferred
        result = [d for d in out if d is not None]
        if _prod(result) != total:
            raise ValueError(f"{where} reshapes {_show(dims)} to {_show(result)}: sizes differ")
        return result

    def _check_whole_slice(self, node: NodeProto, attrs: dict[str, Any], dims: list[Dim]) -> None:
        where = _describe(node)

        def ints(index: int, name: str) -> list[int] | None:
            if len(node.input) > index and node.input[index]:
                return self._int_list(node.input[index])
            return [int(v) for v in attrs[name]] if name in attrs else None

        starts, ends = ints(1, "starts"), ints(2, "ends")
        axes, steps = ints(3, "axes"), ints(4, "steps")
        if starts is None or ends is None:
            raise ValueError(f"{where} has starts/ends computed at run time")
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        for a, start, end, step in zip(axes, starts, ends, steps, strict=False):
            a = a + len(dims) if a < 0 else a
            if not 0 <= a < len(dims):
                raise ValueError(f"{where} slices axis {a} of a rank-{len(dims)} tensor")
            size = dims[a][0] if not dims[a][1] else None
            whole_start = start == 0 or (size is not None and start <= -size)
            whole_end = end >= 2**31 - 1 or (size is not None and end >= size)
            if step != 1 or not whole_start or not whole_end:
                raise ValueError(
                    f"{where} cuts axis {a} of {_show(dims)} ([{start}:{end}:{step}]); only "
                    "slices keeping whole axes are supported on the path"
                )

    def _axes(self, node: NodeProto, attrs: dict[str, Any]) -> list[int] | None:
        if len(node.input) > 1 and node.input[1]:
            axes = self._int_list(node.input[1])
            if axes is None:
                raise ValueError(f"{_describe(node)} has axes computed at run time")
            return axes
        return [int(a) for a in attrs["axes"]] if "axes" in attrs else None

    @staticmethod
    def _normalize(axes: list[int], rank: int, where: str) -> set[int]:
        norm = {a + rank if a < 0 else a for a in axes}
        if len(norm) != len(axes) or not all(0 <= a < rank for a in norm):
            raise ValueError(f"{where} has axes {axes} outside a rank-{rank} tensor")
        return norm

    def _int_list(
        self, tensor: str, memo: dict[str, list[Dim] | None] | None = None
    ) -> list[int] | None:
        value = self._dims_value(tensor, memo)
        if value is None or any(d[1] for d in value):
            return None
        return [d[0] for d in value]

    def _dims_value(
        self, tensor: str, memo: dict[str, list[Dim] | None] | None = None, depth: int = 0
    ) -> list[Dim] | None:
        """The value of a small integer tensor (a shape, axes), as symbolic dims: constants,
        and Shape of tensors on the chain combined by the ops exporters use. None: unknown."""
        memo = {} if memo is None else memo
        if tensor not in memo:
            memo[tensor] = None  # also stops cycles
            memo[tensor] = self._dims_eval(tensor, memo, depth)
        return memo[tensor]

    def _dims_eval(
        self, tensor: str, memo: dict[str, list[Dim] | None], depth: int
    ) -> list[Dim] | None:
        if depth > MAX_DEPTH:
            return None
        const = self._constant(tensor)
        if const is not None:
            if const.dtype.kind not in "iu" or const.size > 64:
                return None
            return [(int(v), ()) for v in const.reshape(-1)]
        if tensor not in self.producer:
            return None
        node, _ = self.producer[tensor]
        op, attrs = node.op_type, _attributes(node)
        args = [i for i in node.input]

        def arg(k: int) -> list[Dim] | None:
            if len(args) > k and args[k]:
                return self._dims_value(args[k], memo, depth + 1)
            return None

        if op == "Shape":
            dims = self.shapes.get(args[0])
            if dims is None:
                return None
            rank = len(dims)
            start, end = int(attrs.get("start", 0)), int(attrs.get("end", rank))
            return dims[slice(max(start + rank, 0) if start < 0 else start,
                              max(end + rank, 0) if end < 0 else end)]  # fmt: skip
        if op in ("Identity", "Cast", "Squeeze", "Unsqueeze", "Reshape", "Flatten"):
            return arg(0)  # on 0-D/1-D integer vectors: the values are unchanged
        if op == "Concat":
            parts = [self._dims_value(a, memo, depth + 1) for a in args]
            if any(p is None for p in parts):
                return None
            return [d for p in parts if p is not None for d in p]
        if op == "Gather":
            data, index = arg(0), self._int_list(args[1], memo) if len(args) > 1 else None
            if data is None or index is None or int(attrs.get("axis", 0)) != 0:
                return None
            try:
                return [data[i] for i in index]
            except IndexError:
                return None
        if op == "Slice":
            data = arg(0)
            starts = self._int_list(args[1], memo) if len(args) > 1 else None
            ends = self._int_list(args[2], memo) if len(args) > 2 else None
            steps = self._int_list(args[4], memo) if len(args) > 4 and args[4] else [1]
            if data is None or starts is None or ends is None or steps is None:
                return None
            if len(starts) != 1 or len(ends) != 1 or len(steps) != 1 or steps[0] == 0:
                return None
            return data[slice(starts[0], min(ends[0], len(data)), steps[0])]
        if op == "Mul":
            a, b = arg(0), arg(1)
            if a is None or b is None or (len(a) != len(b) and 1 not in (len(a), len(b))):
                return None
            n = max(len(a), len(b))
            return [_mul(a[k % len(a)], b[k % len(b)]) for k in range(n)]
        return None

    # -- constants --------------------------------------------------------------------------

    def _constant(self, tensor: str, depth: int = 0) -> np.ndarray | None:
        """The value of an initializer or a Constant node's output (through Identity)."""
        if tensor in self._constants:
            return self._constants[tensor]
        value: np.ndarray | None = None
        if tensor in self.initializers:
            value = _to_array(self.initializers[tensor])
        elif tensor in self.producer and depth < MAX_DEPTH:
            node, _ = self.producer[tensor]
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                value = self._constant_node(node)
            elif node.op_type == "Identity" and node.input:
                value = self._constant(node.input[0], depth + 1)
        self._constants[tensor] = value
        return value

    @staticmethod
    def _constant_node(node: NodeProto) -> np.ndarray | None:
        import onnx

        for a in node.attribute:
            if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
                return _to_array(a.t)
            if a.name == "value_float":
                return np.array(a.f, np.float32)
            if a.name == "value_floats":
                return np.array(list(a.floats), np.float32)
            if a.name == "value_int":
                return np.array(a.i, np.int64)
            if a.name == "value_ints":
                return np.array(list(a.ints), np.int64)
        return None

    def _is_zero(self, tensor: str, depth: int = 0) -> bool:
        """Whether a tensor is provably all zeros (exporters' zero initial states)."""
        if tensor not in self._zeros:
            self._zeros[tensor] = False  # also stops cycles
            self._zeros[tensor] = self._zero_eval(tensor, depth)
        return self._zeros[tensor]

    def _zero_eval(self, tensor: str, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        const = self._constant(tensor)
        if const is not None:
            return const.dtype.kind in "fiu" and not np.any(const)
        if tensor not in self.producer:
            return False
        node, _ = self.producer[tensor]
        if node.domain not in ("", "ai.onnx"):
            return False
        if node.op_type == "ConstantOfShape":
            value = self._constant_node(node)
            return value is None or not np.any(value)
        if node.op_type in ZERO_PRESERVING:
            return bool(node.input) and self._is_zero(node.input[0], depth + 1)
        if node.op_type == "Concat":
            return all(self._is_zero(i, depth + 1) for i in node.input)
        return False

    # -- one layer --------------------------------------------------------------------------

    def _layer(self, node: NodeProto) -> Layer:
        op, where = node.op_type, _describe(node)
        attrs = _attributes(node)
        unknown = set(attrs) - COMMON_ATTRIBUTES - EXTRA_ATTRIBUTES[op]
        if unknown:
            raise ValueError(f"{where} has unsupported attributes {sorted(unknown)}")
        direction = _text(attrs.get("direction", "forward"))
        if direction != "forward":
            raise ValueError(
                f"{where} has direction={direction!r}; load_onnx reads forward layers only "
                "(no reverse or bidirectional RNNs)"
            )
        if int(attrs.get("layout", 0)) != 0:
            raise ValueError(
                f"{where} has layout={attrs['layout']} (batch-first); load_onnx reads layout=0, "
                "X as (T, B, D)"
            )
        if "activations" in attrs:
            given = tuple(_text(a) for a in attrs["activations"])
            if tuple(a.lower() for a in given) != DEFAULT_ACTIVATIONS[op]:
                expected = ", ".join(a.capitalize() for a in DEFAULT_ACTIVATIONS[op])
                raise ValueError(
                    f"{where} has activations {list(given)}; load_onnx supports only the "
                    f"defaults ({expected})"
                )
        for name in ("activation_alpha", "activation_beta"):
            if attrs.get(name):
                raise ValueError(f"{where} has {name}; only the default activations are supported")

        def input_name(k: int) -> str:
            return node.input[k] if len(node.input) > k else ""

        if input_name(4):
            raise ValueError(
                f"{where} has a sequence_lens input; load_onnx reads sequences of one length "
                "(leave sequence_lens empty)"
            )
        G = GATE_COUNT[op]
        W = self._weight(node, input_name(1), "W", required=True)
        R = self._weight(node, input_name(2), "R", required=True)
        assert W is not None and R is not None
        if W.ndim != 3 or R.ndim != 3 or W.shape[0] != 1 or R.shape[0] != 1:
            raise ValueError(
                f"{where}: W {W.shape} and R {R.shape} must be (1, {G}·H, D) and (1, {G}·H, H) "
                "(one direction)"
            )
        H = R.shape[2]
        if "hidden_size" in attrs and int(attrs["hidden_size"]) != H:
            raise ValueError(f"{where}: hidden_size={attrs['hidden_size']} but R is {R.shape}")
        if H < 1 or W.shape[1] != G * H or R.shape[1] != G * H:
            raise ValueError(
                f"{where}: W {W.shape} and R {R.shape} do not fit {G} gates of {H} units"
            )
        dtype = W.dtype
        B = self._weight(node, input_name(3), "B")
        if B is None:
            B = np.zeros((1, 2 * G * H), dtype)
        if B.shape != (1, 2 * G * H):
            raise ValueError(f"{where}: B is {B.shape}, expected (1, {2 * G * H})")
        P = self._weight(node, input_name(7), "P") if op == "LSTM" else None
        if P is not None and P.shape != (1, 3 * H):
            raise ValueError(f"{where}: P is {P.shape}, expected (1, {3 * H})")
        h0 = self._initial_state(node, input_name(5), "initial_h", H)
        c0 = self._initial_state(node, input_name(6), "initial_c", H) if op == "LSTM" else None
        clip = attrs.get("clip")

        W2, R2 = W[0].astype(dtype), R[0].astype(dtype)
        Wb, Rb = B[0, : G * H].astype(dtype), B[0, G * H :].astype(dtype)
        rows = ONNX_GATES[op]

        def block(a: np.ndarray, gate: str) -> np.ndarray:
            k = rows[gate]
            return a[k * H : (k + 1) * H]

        try:
            if op == "LSTM":
                layer = self._lstm(node, attrs, W2, R2, Wb, Rb, P, block, clip, h0, c0)
            elif op == "GRU":
                layer = self._gru(node, attrs, W2, R2, Wb, Rb, block, clip, h0)
            else:
                layer = Layer("rnn", W_x=W2.T, W_h=R2.T, b=Wb + Rb, clip=clip, h0=h0)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        return layer

    def _lstm(
        self,
        node: NodeProto,
        attrs: dict[str, Any],
        W: np.ndarray,
        R: np.ndarray,
        Wb: np.ndarray,
        Rb: np.ndarray,
        P: np.ndarray | None,
        block: Any,
        clip: float | None,
        h0: np.ndarray | None,
        c0: np.ndarray | None,
    ) -> Layer:
        input_forget = int(attrs.get("input_forget", 0))
        if input_forget not in (0, 1):
            raise ValueError(f"input_forget={input_forget}; expected 0 or 1")
        H = R.shape[1]
        kind = "coupled" if input_forget else "lstm"
        peep: dict[str, np.ndarray] = {}
        if P is not None:
            peep = {name: P[0, k * H : (k + 1) * H].astype(W.dtype)
                    for name, k in ONNX_PEEPHOLES.items()}  # fmt: skip
        rows = CELLS["coupled" if input_forget else "peephole"].PEEPHOLES
        p = None
        if any(np.any(peep[name]) for name in rows if name in peep):
            p = np.stack([peep[name] for name in rows])
            kind = kind if input_forget else "peephole"
        gates = CELLS[kind].GATES
        return Layer(
            kind,
            W_x=np.concatenate([block(W, g).T for g in gates], axis=1),
            W_h=np.concatenate([block(R, g).T for g in gates], axis=1),
            b=np.concatenate([block(Wb, g) + block(Rb, g) for g in gates]),
            p=p,
            clip=clip,
            h0=h0,
            c0=c0,
        )

    def _gru(
        self,
        node: NodeProto,
        attrs: dict[str, Any],
        W: np.ndarray,
        R: np.ndarray,
        Wb: np.ndarray,
        Rb: np.ndarray,
        block: Any,
        clip: float | None,
        h0: np.ndarray | None,
    ) -> Layer:
        lbr = int(attrs.get("linear_before_reset", 0))
        if lbr not in (0, 1):
            raise ValueError(f"linear_before_reset={lbr}; expected 0 or 1")
        gates = CELLS["gru"].GATES

        def signed(a: np.ndarray, g: str) -> np.ndarray:
            out: np.ndarray = block(a, g)
            return -out if g == "z" else out  # our z is ONNX's 1 - z: negate its block

        if lbr:  # the candidate's recurrent bias sits inside r_t * (...): b_hn
            b = [signed(Wb, g) + (signed(Rb, g) if g != "h_tilde" else 0) for g in gates]
        else:
            b = [signed(Wb, g) + signed(Rb, g) for g in gates]
        return Layer(
            "gru",
            W_x=np.concatenate([signed(W, g).T for g in gates], axis=1),
            W_h=np.concatenate([signed(R, g).T for g in gates], axis=1),
            b=np.concatenate(b),
            b_hn=block(Rb, "h_tilde") if lbr else None,
            linear_before_reset=bool(lbr),
            clip=clip,
            h0=h0,
        )

    def _weight(
        self, node: NodeProto, tensor: str, what: str, required: bool = False
    ) -> np.ndarray | None:
        where = _describe(node)
        if not tensor:
            if required:
                raise ValueError(f"{where} has no {what} input")
            return None
        value = self._constant(tensor)
        if value is None:
            if tensor == self.input_name or any(i.name == tensor for i in self.graph.input):
                source = "is a graph input"
            elif tensor in self.producer:
                source = f"is computed at run time by {_describe(self.producer[tensor][0])}"
            else:
                source = "is not defined in the graph"
            raise ValueError(
                f"{what} of {where} ({tensor!r}) {source}; load_onnx needs weights stored as "
                "initializers or Constant nodes"
            )
        return self._float(value, f"{what} of {where}")

    @staticmethod
    def _float(value: np.ndarray, what: str) -> np.ndarray:
        if value.dtype in (np.dtype(np.float32), np.dtype(np.float64)):
            return value
        if value.dtype.kind == "f" or value.dtype.name == "bfloat16":
            return value.astype(np.float32)
        raise ValueError(f"{what} has dtype {value.dtype}; expected floating point")

    def _initial_state(self, node: NodeProto, tensor: str, what: str, H: int) -> np.ndarray | None:
        """(H,) initial state from a (1, batch, H) constant; None for absent or zeros."""
        if not tensor:
            return None
        where = _describe(node)
        value = self._constant(tensor)
        if value is None:
            if self._is_zero(tensor):
                return None
            if any(i.name == tensor for i in self.graph.input):
                source = "is a graph input (a run-time value)"
            elif tensor in self.producer:
                source = f"is computed at run time by {_describe(self.producer[tensor][0])}"
            else:
                source = "is not defined in the graph"
            raise ValueError(
                f"{what} of {where} ({tensor!r}) {source}; load_onnx reads constant initial "
                "states (or zeros) only"
            )
        value = self._float(value, f"{what} of {where}")
        if value.ndim != 3 or value.shape[0] != 1 or value.shape[2] != H or value.shape[1] < 1:
            raise ValueError(f"{what} of {where} is {value.shape}, expected (1, 1, {H})")
        if value.shape[1] > 1 and np.any(value != value[:, :1]):
            raise ValueError(
                f"{what} of {where} has shape {value.shape}: a different initial state for each "
                f"of {value.shape[1]} sequences (batch > 1); load_onnx takes one initial state "
                f"shared by every sequence, shape (1, 1, {H})"
            )
        if not np.any(value):
            return None
        return np.array(value[0, 0])
