"""Trace, LayerTrace and StepRecord: names, shapes, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from model import Network
from model.cells.common import sigmoid

LSTM_NAMES = {
    "f",
    "i",
    "c_tilde",
    "o",
    "c",
    "tanh_c",
    "h",
    "f_pre",
    "i_pre",
    "c_tilde_pre",
    "o_pre",
}
NAMES = {
    "lstm": LSTM_NAMES,
    "peephole": LSTM_NAMES,
    "coupled": LSTM_NAMES,
    "gru": {"z", "r", "h_tilde", "r_h", "h", "z_pre", "r_pre", "h_tilde_pre"},
    "rnn": {"h", "h_pre"},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_every_kind_records_its_names_with_shape_t_h(kind: str) -> None:
    net = Network.random(kind, 2, 3, num_layers=2, scale=3.0)
    trace = net.run(np.random.default_rng(0).standard_normal((5, 2)))
    for layer in trace.layers:
        assert set(layer) == NAMES[kind]
        for name in layer:
            assert layer[name].shape == (5, 3), name
    assert trace.h.shape == (5, 3)
    if "c" in NAMES[kind]:
        assert trace.c.shape == (5, 3)
    else:
        with pytest.raises(AttributeError, match="no cell state"):
            _ = trace.c


@pytest.mark.parametrize("kind", ["lstm", "peephole", "coupled", "gru"])
def test_each_gate_is_the_sigmoid_of_its_pre_activation(kind: str) -> None:
    net = Network.random(kind, 2, 3, scale=3.0, dtype=np.float64)
    top = net.run(np.random.default_rng(1).standard_normal((6, 2))).layers[-1]
    gates = ("f", "i", "o") if kind != "gru" else ("z", "r")
    for gate in gates:
        np.testing.assert_allclose(top[gate], sigmoid(top[f"{gate}_pre"]), atol=1e-15)


def test_batched_traces_keep_the_batch_axis() -> None:
    trace = Network.random("lstm", 2, 3).run(np.ones((5, 4, 2)))
    assert trace.h.shape == (5, 4, 3)
    assert trace.layers[0]["f"].shape == (5, 4, 3)
    assert trace.final_state[0].h.shape == (4, 3)


def test_an_unknown_name_says_what_there_is() -> None:
    trace = Network.random("gru", 2, 3).run(np.ones((2, 2)))
    with pytest.raises(KeyError, match="has no 'f'; it has z_pre"):
        trace["f"]


def test_step_record_reads_the_top_layer_and_holds_every_layer() -> None:
    net = Network.random("lstm", 2, 3, num_layers=2)
    state, record = net.step(None, np.ones(2))
    assert set(record) == NAMES["lstm"] and len(record) == len(NAMES["lstm"])
    assert len(record.layers) == 2
    np.testing.assert_array_equal(record["h"], record.layers[1]["h"])
    np.testing.assert_array_equal(state[1].h, record["h"])
    np.testing.assert_array_equal(state[0].c, record.layers[0]["c"])
