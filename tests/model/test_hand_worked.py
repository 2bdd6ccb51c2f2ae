"""One LSTM step and one GRU step worked by hand, following colah's walk-through.

Every number below was computed with a pocket calculator (Python's ``math`` module, one
operation at a time), not read off the engine, and is written rounded to 6 decimals: each is
within 5e-7 of the exact value, so the engine must reproduce it to 1e-6.

Sizes: one input (D = 1) and two units (H = 2), so each gate is a 2 × 3 matrix acting on the
concatenation [h_{t-1}, x_t] = [h1, h2, x], exactly as colah writes W_f·[h_{t-1}, x_t].
Row j of a gate matrix belongs to unit j.

    σ(a) = 1 / (1 + e^{-a})        tanh(a) = (e^a - e^{-a}) / (e^a + e^{-a})
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.layer import Layer
from model.network import Network
from model.trace import LayerState

H = 2


def sigma(a: float) -> float:
    return 1 / (1 + math.exp(-a))


# -- the LSTM ---------------------------------------------------------------------------------

# The state the step starts from, and the input it reads.
h_prev = [0.5, -0.5]  # h_{t-1}
c_prev = [2.0, -1.0]  # C_{t-1}: unit 1 remembers something large and positive
x_t = [1.0]

# Gate weights in colah's form, (H, H + D): columns act on [h1, h2, x].
W_f = [[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]
b_f = [0.5, -1.0]
W_i = [[-1.0, 1.0, -1.0], [1.0, -1.0, 2.0]]
b_i = [0.0, 0.0]
W_C = [[1.0, 1.0, 0.5], [2.0, 0.0, -1.0]]
b_C = [0.0, -1.0]  # noqa: N816 (colah's symbol)
W_o = [[2.0, 0.0, 0.5], [1.0, 1.0, 0.0]]
b_o = [-0.5, 0.0]

# Step 1 — the forget gate layer: "what information we're going to throw away".
#   f_pre = W_f·[h_{t-1}, x_t] + b_f
#     unit 1:  1·0.5 + 0·(-0.5) + 1·1    + 0.5  =  2.0
#     unit 2:  0·0.5 + 2·(-0.5) + (-1)·1 + (-1) = -3.0
f_pre = [2.0, -3.0]
#   f_t = σ(f_pre)
#     unit 1:  1 / (1 + e^{-2}) = 1 / 1.135335 = 0.880797   keep 88% of unit 1's old memory
#     unit 2:  1 / (1 + e^{3})  = 1 / 21.085537 = 0.047426  forget 95% of unit 2's
f_t = [0.880797, 0.047426]

# Step 2 — "what new information we're going to store": the input gate and the candidates.
#   i_pre = W_i·[h_{t-1}, x_t] + b_i
#     unit 1:  (-1)·0.5 + 1·(-0.5) + (-1)·1 + 0 = -2.0
#     unit 2:  1·0.5 + (-1)·(-0.5) + 2·1    + 0 =  3.0
i_pre = [-2.0, 3.0]
#   i_t = σ(i_pre)
#     unit 1:  1 / (1 + e^{2})  = 0.119203   unit 1 lets in only 12% of its candidate ...
#     unit 2:  1 / (1 + e^{-3}) = 0.952574   ... unit 2 writes 95% of its own
i_t = [0.119203, 0.952574]
#   c_tilde_pre = W_C·[h_{t-1}, x_t] + b_C
#     unit 1:  1·0.5 + 1·(-0.5) + 0.5·1    + 0    =  0.5
#     unit 2:  2·0.5 + 0·(-0.5) + (-1)·1   + (-1) = -1.0
c_tilde_pre = [0.5, -1.0]
#   c_tilde = tanh(c_tilde_pre)
#     unit 1:  tanh(0.5)  =  0.462117
#     unit 2:  tanh(-1.0) = -0.761594
c_tilde = [0.462117, -0.761594]

# Step 3 — "update the old cell state": C_t = f_t * C_{t-1} + i_t * c_tilde, per unit.
#     unit 1:  0.880797·2.0    + 0.119203·0.462117    = 1.761594 + 0.055086 =  1.816680
#              (the old memory survives almost whole; a little of the candidate is added)
#     unit 2:  0.047426·(-1.0) + 0.952574·(-0.761594) = -0.047426 - 0.725475 = -0.772901
#              (the old memory is dropped and replaced by the candidate)
c_t = [1.816680, -0.772901]

# Step 4 — "what we're going to output": the output gate, then h_t = o_t * tanh(C_t).
#   o_pre = W_o·[h_{t-1}, x_t] + b_o
#     unit 1:  2·0.5 + 0·(-0.5) + 0.5·1 + (-0.5) = 1.0
#     unit 2:  1·0.5 + 1·(-0.5) + 0·1   + 0      = 0.0
o_pre = [1.0, 0.0]
#   o_t = σ(o_pre)
#     unit 1:  1 / (1 + e^{-1}) = 0.731059
#     unit 2:  1 / (1 + e^{0})  = 0.5        exactly half
o_t = [0.731059, 0.5]
#   tanh(C_t)
#     unit 1:  tanh(1.816680)  =  0.948506
#     unit 2:  tanh(-0.772901) = -0.648613
tanh_c = [0.948506, -0.648613]
#   h_t = o_t * tanh(C_t)
#     unit 1:  0.731059·0.948506    =  0.693414
#     unit 2:  0.5·(-0.648613)      = -0.324307
h_t = [0.693414, -0.324307]

LSTM_EXPECTED = {
    "f_pre": f_pre, "f": f_t,
    "i_pre": i_pre, "i": i_t,
    "c_tilde_pre": c_tilde_pre, "c_tilde": c_tilde,
    "c": c_t,
    "o_pre": o_pre, "o": o_t,
    "tanh_c": tanh_c, "h": h_t,
}  # fmt: skip


def _engine_block(W: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """colah's (H, H + D) gate matrix -> the engine's (D, H) W_x block and (H, H) W_h block.

    The engine multiplies row vectors from the left (x_t·W_x + h_{t-1}·W_h), so each block is
    the transpose of the matching columns of W.
    """
    W_array = np.array(W, dtype=np.float64)  # (H, H + D)
    return W_array[:, H:].T, W_array[:, :H].T  # (D, H), (H, H)


def _assemble(
    gates: list[tuple[list[list[float]], list[float]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gate blocks side by side, in the order given: W_x (D, G·H), W_h (H, G·H), b (G·H,)."""
    blocks = [_engine_block(W) for W, _ in gates]
    W_x = np.concatenate([W_x_block for W_x_block, _ in blocks], axis=1)
    W_h = np.concatenate([W_h_block for _, W_h_block in blocks], axis=1)
    b = np.concatenate([np.array(bias, dtype=np.float64) for _, bias in gates])
    return W_x, W_h, b


def _lstm_layer() -> Layer:
    # The engine's column order is GATES = (o, i, f, c_tilde) (see model/cells/lstm.py).
    W_x, W_h, b = _assemble([(W_o, b_o), (W_i, b_i), (W_f, b_f), (W_C, b_C)])
    return Layer("lstm", W_x, W_h, b)


def test_the_hand_derivation_is_arithmetically_sound() -> None:
    """Recompute each written number from the previous written numbers (no engine)."""
    for j in range(H):
        row = [*h_prev, *x_t]
        for W, b, pre in ((W_f, b_f, f_pre), (W_i, b_i, i_pre), (W_C, b_C, c_tilde_pre)):
            assert sum(w * v for w, v in zip(W[j], row, strict=True)) + b[j] == pre[j]
        assert sum(w * v for w, v in zip(W_o[j], row, strict=True)) + b_o[j] == o_pre[j]
        assert sigma(f_pre[j]) == pytest.approx(f_t[j], abs=5e-7)
        assert sigma(i_pre[j]) == pytest.approx(i_t[j], abs=5e-7)
        assert math.tanh(c_tilde_pre[j]) == pytest.approx(c_tilde[j], abs=5e-7)
        assert f_t[j] * c_prev[j] + i_t[j] * c_tilde[j] == pytest.approx(c_t[j], abs=1e-6)
        assert sigma(o_pre[j]) == pytest.approx(o_t[j], abs=5e-7)
        assert math.tanh(c_t[j]) == pytest.approx(tanh_c[j], abs=1e-6)
        assert o_t[j] * tanh_c[j] == pytest.approx(h_t[j], abs=1e-6)


def test_lstm_step_reproduces_the_hand_derivation() -> None:
    net = Network([_lstm_layer()])
    state = (LayerState(np.array(h_prev), np.array(c_prev)),)
    new_state, record = net.step(state, np.array(x_t))
    for name, expected in LSTM_EXPECTED.items():
        np.testing.assert_allclose(record[name], expected, rtol=0, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(new_state[0].h, h_t, rtol=0, atol=1e-6)
    np.testing.assert_allclose(new_state[0].c, c_t, rtol=0, atol=1e-6)


def test_lstm_run_reproduces_the_hand_derivation() -> None:
    net = Network([_lstm_layer()])
    trace = net.run(np.array([x_t]), (LayerState(np.array(h_prev), np.array(c_prev)),))
    for name, expected in LSTM_EXPECTED.items():
        np.testing.assert_allclose(trace[name][0], expected, rtol=0, atol=1e-6, err_msg=name)


# -- the GRU, in colah's convention: h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde ----------------

g_h_prev = [0.5, -0.5]  # h_{t-1}; a GRU has no separate cell state
g_x_t = [1.0]

W_z = [[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]
b_z = [0.5, 0.0]
W_r = [[1.0, 1.0, 0.0], [-2.0, 0.0, 2.0]]
b_r = [0.0, 2.0]
W = [[2.0, 0.0, 0.5], [0.0, 2.0, 1.0]]  # the candidate's weights, acting on [r_t * h_{t-1}, x_t]
b = [0.0, 0.0]

# Update gate: the share of the new candidate each unit takes.
#   z_pre = W_z·[h_{t-1}, x_t] + b_z
#     unit 1:  1·0.5 + 0·(-0.5) + 1·1    + 0.5 =  2.0
#     unit 2:  0·0.5 + 2·(-0.5) + (-1)·1 + 0   = -2.0
z_pre = [2.0, -2.0]
#   z_t = σ(z_pre):  unit 1 takes 88% new, unit 2 keeps 88% old
z_t = [0.880797, 0.119203]

# Reset gate: how much of h_{t-1} the candidate may look at.
#   r_pre = W_r·[h_{t-1}, x_t] + b_r
#     unit 1:  1·0.5 + 1·(-0.5) + 0·1 + 0    = 0.0
#     unit 2:  (-2)·0.5 + 0·(-0.5) + 2·1 + 2 = 3.0
r_pre = [0.0, 3.0]
r_t = [0.5, 0.952574]
#   r_t * h_{t-1} = [0.5·0.5, 0.952574·(-0.5)] = [0.25, -0.476287]
r_h = [0.25, -0.476287]

# Candidate: h_tilde = tanh(W·[r_t * h_{t-1}, x_t] + b)
#     unit 1:  2·0.25 + 0·(-0.476287) + 0.5·1 + 0 = 1.0
#     unit 2:  0·0.25 + 2·(-0.476287) + 1·1   + 0 = 0.047426
h_tilde_pre = [1.0, 0.047426]
#     tanh(1.0) = 0.761594        tanh(0.047426) = 0.047390
h_tilde = [0.761594, 0.047390]

# New state: h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde
#     unit 1:  0.119203·0.5    + 0.880797·0.761594 = 0.059601 + 0.670810 =  0.730411
#     unit 2:  0.880797·(-0.5) + 0.119203·0.047390 = -0.440399 + 0.005649 = -0.434749
g_h_t = [0.730411, -0.434749]

GRU_EXPECTED = {
    "z_pre": z_pre, "z": z_t,
    "r_pre": r_pre, "r": r_t, "r_h": r_h,
    "h_tilde_pre": h_tilde_pre, "h_tilde": h_tilde,
    "h": g_h_t,
}  # fmt: skip


def test_gru_step_reproduces_the_hand_derivation() -> None:
    # The engine's column order is GATES = (z, r, h_tilde) (see model/cells/gru.py); the
    # candidate's W_h block multiplies r_t * h_{t-1}, as in colah's figure.
    W_x, W_h, bias = _assemble([(W_z, b_z), (W_r, b_r), (W, b)])
    net = Network([Layer("gru", W_x, W_h, bias)])
    new_state, record = net.step((LayerState(np.array(g_h_prev)),), np.array(g_x_t))
    for name, expected in GRU_EXPECTED.items():
        np.testing.assert_allclose(record[name], expected, rtol=0, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(new_state[0].h, g_h_t, rtol=0, atol=1e-6)
    assert new_state[0].c is None


def test_the_gru_derivation_is_arithmetically_sound() -> None:
    for j in range(H):
        row = [*g_h_prev, *g_x_t]
        assert sum(w * v for w, v in zip(W_z[j], row, strict=True)) + b_z[j] == z_pre[j]
        assert sum(w * v for w, v in zip(W_r[j], row, strict=True)) + b_r[j] == r_pre[j]
        assert sigma(z_pre[j]) == pytest.approx(z_t[j], abs=5e-7)
        assert sigma(r_pre[j]) == pytest.approx(r_t[j], abs=5e-7)
        assert r_t[j] * g_h_prev[j] == pytest.approx(r_h[j], abs=5e-7)
        reset_row = [*r_h, *g_x_t]
        candidate_pre = sum(w * v for w, v in zip(W[j], reset_row, strict=True)) + b[j]
        assert candidate_pre == pytest.approx(h_tilde_pre[j], abs=1e-6)
        assert math.tanh(h_tilde_pre[j]) == pytest.approx(h_tilde[j], abs=1e-6)
        new = (1 - z_t[j]) * g_h_prev[j] + z_t[j] * h_tilde[j]
        assert new == pytest.approx(g_h_t[j], abs=1e-6)
