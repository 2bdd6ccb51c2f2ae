"""Symbolic shapes: sizes such as T, B, 4 and T·B, and the small integer tensors built from them.

Exporters join layers with Reshape/Squeeze nodes whose targets are constants or are computed
from ``Shape`` of a tensor on the chain (Shape -> Gather -> Concat -> Reshape). The importer
follows those computations on symbolic sizes instead of running them, so that it can tell
whether a reshape keeps (T, B, H) for every T and B.
"""

from __future__ import annotations

from collections.abc import Sequence

from model.onnx_io.graph import MAX_DEPTH, GraphIndex
from model.onnx_io.reading import attributes

# A symbolic tensor dimension: integer coefficient times a product of named sizes,
# e.g. (1, ("T",)) is T, (4, ()) is 4, (1, ("B", "T")) is T·B.
Dim = tuple[int, tuple[str, ...]]
ONE: Dim = (1, ())


def mul(a: Dim, b: Dim) -> Dim:
    return (a[0] * b[0], tuple(sorted(a[1] + b[1])))


def prod(dims: Sequence[Dim]) -> Dim:
    out = ONE
    for d in dims:
        out = mul(out, d)
    return out


def div(a: Dim, b: Dim) -> Dim | None:
    """a / b when it is a whole size for every value of the symbols, else None."""
    if b[0] == 0 or a[0] % b[0]:
        return None
    syms = list(a[1])
    for s in b[1]:
        if s not in syms:
            return None
        syms.remove(s)
    return (a[0] // b[0], tuple(syms))


def show(dims: Sequence[Dim]) -> str:
    """A shape as messages write it, e.g. (T, 1, B, 64)."""

    def one(d: Dim) -> str:
        parts = ([str(d[0])] if d[0] != 1 or not d[1] else []) + list(d[1])
        return "·".join(parts)

    return "(" + ", ".join(one(d) for d in dims) + ")"


class Shapes:
    """The symbolic shapes of the tensors on the chain (``known``, filled as the chain is
    followed), and the values of integer tensors computed from them."""

    def __init__(self, index: GraphIndex) -> None:
        self.index = index
        self.known: dict[str, list[Dim]] = {}

    def int_list(
        self, tensor: str, memo: dict[str, list[Dim] | None] | None = None
    ) -> list[int] | None:
        """A tensor's value as plain integers; None unless every entry is a known number."""
        value = self.dims_value(tensor, memo)
        if value is None or any(d[1] for d in value):
            return None
        return [d[0] for d in value]

    def dims_value(
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
        const = self.index.constant(tensor)
        if const is not None:
            if const.dtype.kind not in "iu" or const.size > 64:
                return None
            return [(int(v), ()) for v in const.reshape(-1)]
        if tensor not in self.index.producer:
            return None
        node, _ = self.index.producer[tensor]
        op, attrs = node.op_type, attributes(node)
        args = [i for i in node.input]

        def arg(k: int) -> list[Dim] | None:
            if len(args) > k and args[k]:
                return self.dims_value(args[k], memo, depth + 1)
            return None

        if op == "Shape":
            dims = self.known.get(args[0])
            if dims is None:
                return None
            rank = len(dims)
            start, end = int(attrs.get("start", 0)), int(attrs.get("end", rank))
            return dims[slice(max(start + rank, 0) if start < 0 else start,
                              max(end + rank, 0) if end < 0 else end)]  # fmt: skip
        if op in ("Identity", "Cast", "Squeeze", "Unsqueeze", "Reshape", "Flatten"):
            return arg(0)  # on 0-D/1-D integer vectors: the values are unchanged
        if op == "Concat":
            parts = [self.dims_value(a, memo, depth + 1) for a in args]
            if any(p is None for p in parts):
                return None
            return [d for p in parts if p is not None for d in p]
        if op == "Gather":
            data, index = arg(0), self.int_list(args[1], memo) if len(args) > 1 else None
            if data is None or index is None or int(attrs.get("axis", 0)) != 0:
                return None
            try:
                return [data[i] for i in index]
            except IndexError:
                return None
        if op == "Slice":
            data = arg(0)
            starts = self.int_list(args[1], memo) if len(args) > 1 else None
            ends = self.int_list(args[2], memo) if len(args) > 2 else None
            steps = self.int_list(args[4], memo) if len(args) > 4 and args[4] else [1]
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
            return [mul(a[k % len(a)], b[k % len(b)]) for k in range(n)]
        return None
