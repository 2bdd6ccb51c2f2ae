"""ONNX's weight layout <-> ``Layer``: the one place that knows the gate orders and signs.

ONNX keeps the gate blocks stacked along rows; a Layer keeps them side by side along columns,
in the order its cell module's ``GATES`` names. Both directions below read the orders from
``ONNX_GATES`` / ``ONNX_PEEPHOLES`` and the cells' ``GATES`` / ``PEEPHOLES``.

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
    initial_h / initial_c (1, 1, H) -> Layer.h0 / c0.

Going back, a coupled layer becomes ``input_forget=1`` with a zero forget block (and a zero
forget peephole), the GRU's recurrent bias is zero but for ``b_hn``, and the LSTM biases sit
whole in Wb with Rb zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from model.cells import CELLS
from model.layer import Layer

ONNX_OP = {"lstm": "LSTM", "peephole": "LSTM", "coupled": "LSTM", "gru": "GRU", "rnn": "RNN"}
ONNX_GATES = {  # ONNX's gate blocks in the order it stacks them, by our cells' gate names
    "LSTM": ("i", "o", "f", "c_tilde"),
    "GRU": ("z", "r", "h_tilde"),
    "RNN": ("h",),
}
ONNX_PEEPHOLES = ("i", "o", "f")  # rows of ONNX's P, by our gate names
NEGATED_GATES = ("z",)  # our GRU z is ONNX's 1 - z, and σ(-a) = 1 - σ(a)

Block = Callable[[np.ndarray, str], np.ndarray]  # one gate's rows of an ONNX array


def _sign_converted(block: np.ndarray, gate: str) -> np.ndarray:
    """A gate's weights in the other convention (the conversion is its own inverse)."""
    return -block if gate in NEGATED_GATES else block


# -- ONNX -> Layer ------------------------------------------------------------------------------


def layer_from_onnx(
    op: str,
    attributes: dict[str, Any],
    W: np.ndarray,
    R: np.ndarray,
    B: np.ndarray,
    P: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> Layer:
    """The Layer of one ONNX node whose arrays have been checked: W (1, G·H, D), R (1, G·H, H),
    B (1, 2·G·H), P (1, 3H) or None; h0, c0 (H,) or None. ValueError for attributes out of
    range (input_forget, linear_before_reset) and what Layer refuses."""
    dtype = W.dtype
    H = R.shape[2]
    G = len(ONNX_GATES[op])
    W2, R2 = W[0].astype(dtype), R[0].astype(dtype)
    Wb, Rb = B[0, : G * H].astype(dtype), B[0, G * H :].astype(dtype)
    clip = attributes.get("clip")
    rows = ONNX_GATES[op]

    def block(a: np.ndarray, gate: str) -> np.ndarray:
        k = rows.index(gate)
        return a[k * H : (k + 1) * H]

    if op == "LSTM":
        return _lstm(attributes, W2, R2, Wb, Rb, P, block, clip, h0, c0)
    if op == "GRU":
        return _gru(attributes, W2, R2, Wb, Rb, block, clip, h0)
    return Layer("rnn", W_x=W2.T, W_h=R2.T, b=Wb + Rb, clip=clip, h0=h0)


def _lstm(
    attributes: dict[str, Any],
    W: np.ndarray,
    R: np.ndarray,
    Wb: np.ndarray,
    Rb: np.ndarray,
    P: np.ndarray | None,
    block: Block,
    clip: float | None,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
) -> Layer:
    input_forget = int(attributes.get("input_forget", 0))
    if input_forget not in (0, 1):
        raise ValueError(f"input_forget={input_forget}; expected 0 or 1")
    H = R.shape[1]
    kind = "coupled" if input_forget else "lstm"
    peep: dict[str, np.ndarray] = {}
    if P is not None:
        peep = {name: P[0, k * H : (k + 1) * H].astype(W.dtype)
                for k, name in enumerate(ONNX_PEEPHOLES)}  # fmt: skip
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
    attributes: dict[str, Any],
    W: np.ndarray,
    R: np.ndarray,
    Wb: np.ndarray,
    Rb: np.ndarray,
    block: Block,
    clip: float | None,
    h0: np.ndarray | None,
) -> Layer:
    lbr = int(attributes.get("linear_before_reset", 0))
    if lbr not in (0, 1):
        raise ValueError(f"linear_before_reset={lbr}; expected 0 or 1")
    gates = CELLS["gru"].GATES

    def signed(a: np.ndarray, g: str) -> np.ndarray:
        return _sign_converted(block(a, g), g)

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


# -- Layer -> ONNX ------------------------------------------------------------------------------


def onnx_arrays(layer: Layer) -> dict[str, np.ndarray]:
    """W (1, G·H, D), R (1, G·H, H), B (1, 2·G·H) and, with peepholes, P (1, 3H)."""
    H = layer.hidden_size
    gates = CELLS[layer.kind].GATES
    onnx_gates = ONNX_GATES[ONNX_OP[layer.kind]]

    def stacked(a: np.ndarray) -> np.ndarray:
        """The column blocks of ``a`` in ONNX's order and sign (a zero block for a gate we
        lack: the coupled layer's forget gate)."""
        zero = np.zeros((*a.shape[:-1], H), a.dtype)

        def ours(gate: str) -> np.ndarray:
            k = gates.index(gate)
            return a[..., k * H : (k + 1) * H]

        blocks = [_sign_converted(ours(g), g) if g in gates else zero for g in onnx_gates]
        return np.concatenate(blocks, -1)

    recurrent_bias = [  # Rb: zero but for the GRU's reset-gated b_hn
        layer.b_hn if g == "h_tilde" and layer.linear_before_reset and layer.b_hn is not None
        else np.zeros(H, layer.dtype)
        for g in onnx_gates
    ]  # fmt: skip
    arrays = {
        "W": stacked(layer.W_x).T[None],
        "R": stacked(layer.W_h).T[None],
        "B": np.concatenate([stacked(layer.b), *recurrent_bias])[None],
    }
    if layer.p is not None:
        rows = CELLS[layer.kind].PEEPHOLES
        zero = np.zeros(H, layer.dtype)
        P = [layer.p[rows.index(g)] if g in rows else zero for g in ONNX_PEEPHOLES]
        arrays["P"] = np.concatenate(P)[None]
    return arrays


def onnx_attributes(layer: Layer) -> dict[str, Any]:
    """The node's attributes: hidden_size, and clip, input_forget, linear_before_reset if set."""
    attributes: dict[str, Any] = {"hidden_size": layer.hidden_size}
    if layer.clip is not None:
        attributes["clip"] = layer.clip
    if layer.kind == "coupled":
        attributes["input_forget"] = 1
    if layer.kind == "gru" and layer.linear_before_reset:
        attributes["linear_before_reset"] = 1
    return attributes
