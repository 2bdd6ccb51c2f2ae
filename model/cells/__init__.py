"""The five cell kinds. Each module has the same functions:

GATES                      column blocks of W_x, W_h, b
SLOTS                      name -> block of the per-step record
WIDTH                      record width in units of H
forward(layer, x, h0, c0)  x (T, B, D) -> record (T, B, WIDTH·H)
backward(layer, x, h0, c0, record, dh_out, dh_last, dc_last) -> CellGrads
"""

from __future__ import annotations

from types import ModuleType

from model.cells import coupled, gru, lstm, peephole, rnn

CELLS: dict[str, ModuleType] = {
    "lstm": lstm,
    "peephole": peephole,
    "coupled": coupled,
    "gru": gru,
    "rnn": rnn,
}
