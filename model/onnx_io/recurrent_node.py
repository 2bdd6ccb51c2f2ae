"""One ONNX LSTM/GRU/RNN node -> ``Layer``: check what it asks for, fetch its constant arrays.

A node is read when it is one forward layer with the default activations (LSTM σ,tanh,tanh;
GRU σ,tanh; RNN tanh), ``layout`` 0 and no ``sequence_lens``; its W, R, B, P are initializers
or Constant nodes, its initial states constants or provable zeros. Anything else is refused
with a ValueError naming the node. The arrays go to ``layout.layer_from_onnx``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from model.layer import Layer
from model.onnx_io.graph import GraphIndex
from model.onnx_io.layout import ONNX_GATES, layer_from_onnx
from model.onnx_io.reading import attributes, describe, text

if TYPE_CHECKING:
    from onnx import NodeProto

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


def read_layer(node: NodeProto, index: GraphIndex, dtype: np.dtype | None = None) -> Layer:
    """The Layer of one recurrent node of the graph ``index`` describes. ``dtype``: cast every
    array to it as it is fetched, before any arithmetic (None: float32 or float64 as stored)."""
    op, where = node.op_type, describe(node)
    attrs = attributes(node)
    _check_attributes(node, attrs)

    def input_name(k: int) -> str:
        return node.input[k] if len(node.input) > k else ""

    if input_name(4):
        raise ValueError(
            f"{where} has a sequence_lens input; load_onnx reads sequences of one length "
            "(leave sequence_lens empty)"
        )
    G = len(ONNX_GATES[op])
    W = _weight(node, index, input_name(1), "W", dtype, required=True)
    R = _weight(node, index, input_name(2), "R", dtype, required=True)
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
        raise ValueError(f"{where}: W {W.shape} and R {R.shape} do not fit {G} gates of {H} units")
    B = _weight(node, index, input_name(3), "B", dtype)
    if B is None:
        B = np.zeros((1, 2 * G * H), W.dtype)
    if B.shape != (1, 2 * G * H):
        raise ValueError(f"{where}: B is {B.shape}, expected (1, {2 * G * H})")
    P = _weight(node, index, input_name(7), "P", dtype) if op == "LSTM" else None
    if P is not None and P.shape != (1, 3 * H):
        raise ValueError(f"{where}: P is {P.shape}, expected (1, {3 * H})")
    h0 = _initial_state(node, index, input_name(5), "initial_h", H, dtype)
    c0 = _initial_state(node, index, input_name(6), "initial_c", H, dtype) if op == "LSTM" else None
    try:
        return layer_from_onnx(op, attrs, W, R, B, P, h0, c0)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _check_attributes(node: NodeProto, attrs: dict[str, Any]) -> None:
    op, where = node.op_type, describe(node)
    unknown = set(attrs) - COMMON_ATTRIBUTES - EXTRA_ATTRIBUTES[op]
    if unknown:
        raise ValueError(f"{where} has unsupported attributes {sorted(unknown)}")
    direction = text(attrs.get("direction", "forward"))
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
        given = tuple(text(a) for a in attrs["activations"])
        if tuple(a.lower() for a in given) != DEFAULT_ACTIVATIONS[op]:
            expected = ", ".join(a.capitalize() for a in DEFAULT_ACTIVATIONS[op])
            raise ValueError(
                f"{where} has activations {list(given)}; load_onnx supports only the "
                f"defaults ({expected})"
            )
    for name in ("activation_alpha", "activation_beta"):
        if attrs.get(name):
            raise ValueError(f"{where} has {name}; only the default activations are supported")


def _weight(
    node: NodeProto,
    index: GraphIndex,
    tensor: str,
    what: str,
    dtype: np.dtype | None,
    required: bool = False,
) -> np.ndarray | None:
    where = describe(node)
    if not tensor:
        if required:
            raise ValueError(f"{where} has no {what} input")
        return None
    value = index.constant(tensor)
    if value is None:
        raise ValueError(
            f"{what} of {where} ({tensor!r}) {index.run_time_origin(tensor)}; load_onnx needs "
            "weights stored as initializers or Constant nodes"
        )
    return _float(value, f"{what} of {where}", dtype)


def _float(value: np.ndarray, what: str, dtype: np.dtype | None) -> np.ndarray:
    """``value`` in ``dtype``, or (None) float32/float64 as stored, other floats as float32."""
    if value.dtype.kind != "f" and value.dtype.name != "bfloat16":
        raise ValueError(f"{what} has dtype {value.dtype}; expected floating point")
    if dtype is not None:
        return value.astype(dtype)
    if value.dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        return value
    return value.astype(np.float32)


def _initial_state(
    node: NodeProto, index: GraphIndex, tensor: str, what: str, H: int, dtype: np.dtype | None
) -> np.ndarray | None:
    """(H,) initial state from a (1, batch, H) constant; None for absent or zeros."""
    if not tensor:
        return None
    where = describe(node)
    value = index.constant(tensor)
    if value is None:
        if index.is_zero(tensor):
            return None
        source = index.run_time_origin(tensor, "is a graph input (a run-time value)")
        raise ValueError(
            f"{what} of {where} ({tensor!r}) {source}; load_onnx reads constant initial "
            "states (or zeros) only"
        )
    value = _float(value, f"{what} of {where}", dtype)
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
