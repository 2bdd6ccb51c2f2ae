"""Shape glue: the nodes allowed between and around the layers, and the shape each one makes.

Glue leaves the data in the same order and only drops or adds unit axes: Identity, Squeeze,
Unsqueeze, Reshape, Flatten, Cast (to float/double), Slice keeping whole axes, and Transpose
that moves only unit axes. ``follow`` carries a symbolic shape through a run of glue nodes and
raises ValueError, naming the node, for one that would cut or reorder the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.onnx_io.reading import attributes, describe
from model.onnx_io.shapes import ONE, Dim, Shapes, div, prod, show

if TYPE_CHECKING:
    from onnx import NodeProto

GLUE_OPS = ("Identity", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Transpose", "Slice", "Cast")
SUPPORTED = (
    "load_onnx reads a chain of forward LSTM, GRU or RNN nodes joined only by shape glue "
    "(Squeeze, Unsqueeze, Reshape, Flatten, Identity, Cast, whole-axis Slice, unit-axis "
    "Transpose)"
)


def follow(glue: list[NodeProto], dims: list[Dim], shapes: Shapes) -> list[Dim]:
    """The shape after ``glue`` (in forward order), recording each node's in ``shapes``."""
    for node in glue:
        dims = glue_shape(node, dims, shapes)
        shapes.known[node.output[0]] = dims
    return dims


def glue_shape(node: NodeProto, dims: list[Dim], shapes: Shapes) -> list[Dim]:
    """The output shape of one glue node; ValueError if it is not a pure reshape."""
    import onnx

    op, attrs, rank = node.op_type, attributes(node), len(dims)
    where = describe(node)
    if op == "Identity":
        return dims
    if op == "Cast":
        if attrs.get("to") not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
            raise ValueError(f"{where} casts to a non-float type; {SUPPORTED}")
        return dims
    if op == "Squeeze":
        axes = _axes(node, attrs, shapes)
        if axes is None:
            return [d for d in dims if d != ONE]
        norm = _normalize(axes, rank, where)
        for a in norm:
            if dims[a] != ONE:
                raise ValueError(
                    f"{where} squeezes axis {a} of shape {show(dims)}, which is not a unit axis"
                )
        return [d for k, d in enumerate(dims) if k not in norm]
    if op == "Unsqueeze":
        axes = _axes(node, attrs, shapes)
        if axes is None:
            raise ValueError(f"{where} has no constant axes")
        out_rank = rank + len(axes)
        norm = _normalize(axes, out_rank, where)
        rest = iter(dims)
        return [ONE if k in norm else next(rest) for k in range(out_rank)]
    if op == "Flatten":
        axis = int(attrs.get("axis", 1))
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis <= rank:
            raise ValueError(f"{where} has axis {axis} outside a rank-{rank} tensor")
        return [prod(dims[:axis]), prod(dims[axis:])]
    if op == "Transpose":
        perm = [int(p) for p in attrs.get("perm", range(rank - 1, -1, -1))]
        if sorted(perm) != list(range(rank)):
            raise ValueError(f"{where} has perm {perm}, not a permutation of {rank} axes")
        moved = [p for p in perm if dims[p] != ONE]
        if moved != sorted(moved):
            raise ValueError(
                f"{where} (perm {perm}) reorders the data of a {show(dims)} tensor; only "
                "transposes that move unit axes are supported (export batch_first=False)"
            )
        return [dims[p] for p in perm]
    if op == "Reshape":
        return _reshape(node, attrs, dims, shapes)
    if op == "Slice":
        _check_whole_slice(node, attrs, dims, shapes)
        return dims
    raise ValueError(f"unsupported {where}; {SUPPORTED}")  # pragma: no cover


def concat_shape(node: NodeProto, parts: list[list[Dim]]) -> list[Dim]:
    """The output shape of a Concat of tensors of shapes ``parts``; ValueError for ranks that
    differ or an axis outside them. A sum of sizes that is not one symbolic size (T + 1)
    becomes a size of its own, named after the output."""
    where = describe(node)
    if not parts:
        raise ValueError(f"{where} has no inputs")
    rank = len(parts[0])
    if any(len(p) != rank for p in parts):
        shapes = ", ".join(show(p) for p in parts)
        raise ValueError(f"{where} concatenates tensors of different ranks: {shapes}")
    axis = int(attributes(node).get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise ValueError(f"{where} has axis {axis} outside a rank-{rank} tensor")
    sizes = [p[axis] for p in parts]
    if all(s[1] == sizes[0][1] for s in sizes):
        total: Dim = (sum(s[0] for s in sizes), sizes[0][1])
    else:
        total = (1, (f"{node.output[0]}[{axis}]",))
    return [total if k == axis else d for k, d in enumerate(parts[0])]


def _reshape(node: NodeProto, attrs: dict[str, Any], dims: list[Dim], shapes: Shapes) -> list[Dim]:
    where = describe(node)
    if len(node.input) > 1 and node.input[1]:
        target = shapes.dims_value(node.input[1])
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
            raise ValueError(f"{where} has an invalid target shape {show(target)}")
        else:
            out.append(d)
    total = prod(dims)
    if out.count(None) > 1:
        raise ValueError(f"{where} has more than one -1 in its target shape")
    if None in out:
        known = prod([d for d in out if d is not None])
        inferred = div(total, known)
        if inferred is None:
            raise ValueError(
                f"{where} cannot reshape {show(dims)} to {show(target)} for every size"
            )
        out[out.index(None)] = inferred
    result = [d for d in out if d is not None]
    if prod(result) != total:
        raise ValueError(f"{where} reshapes {show(dims)} to {show(result)}: sizes differ")
    return result


def _check_whole_slice(
    node: NodeProto, attrs: dict[str, Any], dims: list[Dim], shapes: Shapes
) -> None:
    where = describe(node)

    def ints(index: int, name: str) -> list[int] | None:
        if len(node.input) > index and node.input[index]:
            return shapes.int_list(node.input[index])
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
                f"{where} cuts axis {a} of {show(dims)} ([{start}:{end}:{step}]); only "
                "slices keeping whole axes are supported on the path"
            )


def _axes(node: NodeProto, attrs: dict[str, Any], shapes: Shapes) -> list[int] | None:
    if len(node.input) > 1 and node.input[1]:
        axes = shapes.int_list(node.input[1])
        if axes is None:
            raise ValueError(f"{describe(node)} has axes computed at run time")
        return axes
    return [int(a) for a in attrs["axes"]] if "axes" in attrs else None


def _normalize(axes: list[int], rank: int, where: str) -> set[int]:
    norm = {a + rank if a < 0 else a for a in axes}
    if len(norm) != len(axes) or not all(0 <= a < rank for a in norm):
        raise ValueError(f"{where} has axes {axes} outside a rank-{rank} tensor")
    return norm
