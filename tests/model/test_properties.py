"""Properties every cell kind must keep, on random sizes, weights and inputs (hypothesis).

Weights come from ``Network.random`` with scales up to 8 (at 8 most gates saturate), inputs are
bounded (|x| ≤ 10), some runs start from a random state and some clip pre-activations. A failing
example prints its ``Case``, which rebuilds the same network.

What is checked, for every layer and step:
  * sigmoid gates lie in [0, 1], and strictly inside wherever the pre-activation is moderate
    (float32's σ rounds to exactly 0 or 1 beyond |a| ≈ 17; float64's beyond ≈ 37);
  * |h| ≤ 1 and |c_tilde|, |h_tilde| ≤ 1; coupled f is exactly 1 - i;
  * the recorded pre-activations are W·[h_{t-1}, x_t] + b (+ peepholes) recomputed in float64
    from the trace's own inputs, and each activation, C_t and h_t follows from them;
  * ``step`` one vector at a time, a ``run`` split in two, and a batch of sequences all equal
    one plain ``run``; float32 agrees with float64 on moderate weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.layer import Layer
from model.network import Network
from model.trace import LayerState, LayerTrace, State

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "lstm": ("lstm", {}),
    "peephole": ("peephole", {}),
    "coupled": ("coupled", {}),
    "coupled_peepholes": ("coupled", {"peepholes": True}),
    "gru": ("gru", {}),
    "gru_linear_before_reset": ("gru", {"linear_before_reset": True}),
    "rnn": ("rnn", {}),
}
SIGMOID_GATES = {  # gate -> the pre-activation it is σ of (coupled: f_pre = -i_pre)
    "lstm": {"o": "o_pre", "i": "i_pre", "f": "f_pre"},
    "peephole": {"o": "o_pre", "i": "i_pre", "f": "f_pre"},
    "coupled": {"o": "o_pre", "i": "i_pre", "f": "f_pre"},
    "gru": {"z": "z_pre", "r": "r_pre"},
    "rnn": {},
}
TANH_LAYERS = {  # tanh layers: activation -> its pre-activation
    "lstm": {"c_tilde": "c_tilde_pre"},
    "peephole": {"c_tilde": "c_tilde_pre"},
    "coupled": {"c_tilde": "c_tilde_pre"},
    "gru": {"h_tilde": "h_tilde_pre"},
    "rnn": {"h": "h_pre"},
}
MODERATE = 15.0  # |a| below this: σ(a) is strictly inside (0, 1) in float32 and float64
SETTINGS = settings(max_examples=150, deadline=None, database=None)


@dataclasses.dataclass(frozen=True)
class Case:
    """Everything that rebuilds one example's network and starting state."""

    variant: str  # a key of VARIANTS
    D: int  # input size
    H: int  # hidden size
    layers: int
    T: int  # sequence length
    scale: float  # weights uniform in ±scale/√H
    seed: int
    dtype: str  # "float32" or "float64"
    clip: float | None  # ONNX pre-activation clip
    random_start: bool  # start from a random state instead of the zero state

    @property
    def kind(self) -> str:
        return VARIANTS[self.variant][0]

    def network(self) -> Network:
        kind, options = VARIANTS[self.variant]
        return Network.random(
            kind,
            self.D,
            self.H,
            num_layers=self.layers,
            seed=self.seed,
            dtype=np.dtype(self.dtype),
            scale=self.scale,
            clip=self.clip,
            **options,
        )

    def start(self, net: Network) -> State | None:
        if not self.random_start:
            return None
        rng = np.random.default_rng(self.seed + 1)
        return tuple(
            LayerState(
                rng.uniform(-1, 1, layer.hidden_size),  # h is a tanh-bounded output
                rng.uniform(-3, 3, layer.hidden_size) if layer.has_cell_state else None,
            )
            for layer in net.layers
        )


@st.composite
def cases(
    draw: st.DrawFn,
    max_scale: float = 8.0,
    float32_max_scale: float = 8.0,
    dtypes: tuple[str, ...] = ("float32", "float64"),
) -> tuple[Case, np.ndarray]:
    dtype = draw(st.sampled_from(dtypes))
    top = float32_max_scale if dtype == "float32" else max_scale
    case = Case(
        variant=draw(st.sampled_from(sorted(VARIANTS))),
        D=draw(st.integers(1, 8)),
        H=draw(st.integers(1, 16)),
        layers=draw(st.integers(1, 3)),
        T=draw(st.integers(1, 40)),
        scale=draw(st.floats(0.05, top)),
        seed=draw(st.integers(0, 2**16)),
        dtype=dtype,
        clip=draw(st.none() | st.floats(0.5, 10.0)),
        random_start=draw(st.booleans()),
    )
    elements = st.floats(-10, 10, allow_subnormal=False)
    x = draw(hnp.arrays(np.float64, (case.T, case.D), elements=elements))
    return case, x


# Two computations of the same thing that take different BLAS paths (one row or a batch, T
# steps at once or one) differ in the last bit, and a chaotic network (an RNN at scale 8 has
# spectral radius ~4.6) amplifies that exponentially: 40 float32 steps grow 1e-7 to 1e-3.
# So these comparisons run saturating weights in float64, and float32 only up to this scale.
EQUIVALENT = cases(float32_max_scale=2.0)


def _assert_same(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal up to rounding, relative to the size of the quantity (pre-activations are large)."""
    unit = 1e-5 if expected.dtype == np.float32 else 1e-9
    tolerance = unit * (1 + float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance, err_msg=what)


def _previous(first: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """[first, seq[0], …, seq[T-2]]: the value each step started from, (T, H)."""
    return np.concatenate([first[None], seq[:-1]], axis=0)


# -- ranges ------------------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_gates_and_states_stay_in_range(example: tuple[Case, np.ndarray]) -> None:
    case, x = example
    net = case.network()
    trace = net.run(x, case.start(net))
    for traced in trace.layers:
        for gate, pre_name in SIGMOID_GATES[case.kind].items():
            g, pre = traced[gate], traced[pre_name]
            assert np.all((g >= 0) & (g <= 1)), f"{gate} outside [0, 1]"
            moderate = np.abs(pre) < MODERATE
            inside = (g > 0) & (g < 1)
            assert np.all(inside[moderate]), f"{gate} hit 0 or 1 at a moderate pre-activation"
        for name in TANH_LAYERS[case.kind]:
            assert np.all(np.abs(traced[name]) <= 1), f"|{name}| > 1"
        assert np.all(np.abs(traced["h"]) <= 1), "|h| > 1"
        if case.kind == "coupled":
            np.testing.assert_array_equal(traced["f"], 1 - traced["i"])


# -- the recorded quantities follow the equations -----------------------------------------------


class Sum:
    """A float64 sum and the same sum over absolute values, which bounds its rounding error."""

    def __init__(self, value: np.ndarray, magnitude: np.ndarray) -> None:
        self.value, self.magnitude = value, magnitude

    @classmethod
    def product(cls, a: np.ndarray, W: np.ndarray) -> Sum:
        return cls(a @ W, np.abs(a) @ np.abs(W))

    @classmethod
    def constant(cls, b: np.ndarray) -> Sum:
        return cls(b, np.abs(b))

    def __add__(self, other: Sum) -> Sum:
        return Sum(self.value + other.value, self.magnitude + other.magnitude)

    def scaled(self, r: np.ndarray) -> Sum:
        return Sum(r * self.value, np.abs(r) * self.magnitude)


GATES = {  # column blocks of W_x, W_h, b, as each cell module's GATES
    "lstm": ("o", "i", "f", "c_tilde"),
    "peephole": ("o", "i", "f", "c_tilde"),
    "coupled": ("o", "i", "c_tilde"),
    "gru": ("z", "r", "h_tilde"),
    "rnn": ("h",),
}
PEEPHOLE_ROWS = {"peephole": {"o": 0, "i": 1, "f": 2}, "coupled": {"o": 0, "i": 1}}


def _expected_pre_activations(layer: Layer, traced: LayerTrace) -> dict[str, Sum]:
    """W·[h_{t-1}, x_t] + b (+ peepholes), recomputed in float64 from the trace's own inputs."""
    H = layer.hidden_size
    x = traced.x[:, 0].astype(np.float64)  # (T, D) what the layer read
    h_prev = _previous(traced.h0[0], traced["h"]).astype(np.float64)  # (T, H)
    W_x, W_h, b = (a.astype(np.float64) for a in (layer.W_x, layer.W_h, layer.b))
    found: dict[str, Sum] = {}
    for k, gate in enumerate(GATES[layer.kind]):
        cols = slice(k * H, (k + 1) * H)
        from_x = Sum.product(x, W_x[:, cols]) + Sum.constant(b[cols])
        if layer.kind == "gru" and gate == "h_tilde":
            r = traced["r"].astype(np.float64)
            if layer.linear_before_reset:  # ... + r_t * (W_hh·h_{t-1} + b_hn)
                b_hn = np.zeros(H) if layer.b_hn is None else layer.b_hn.astype(np.float64)
                recurrent = Sum.product(h_prev, W_h[:, cols]) + Sum.constant(b_hn)
                found[gate] = from_x + recurrent.scaled(r)
            else:  # ... + W_hh·(r_t * h_{t-1})
                found[gate] = from_x + Sum.product(r * h_prev, W_h[:, cols])
        else:
            found[gate] = from_x + Sum.product(h_prev, W_h[:, cols])
    if layer.p is not None:
        assert traced.c0 is not None
        c = traced["c"].astype(np.float64)
        c_prev = _previous(traced.c0[0], traced["c"]).astype(np.float64)
        for gate, row in PEEPHOLE_ROWS[layer.kind].items():
            looks_at = c if gate == "o" else c_prev  # o sees the new C_t, i and f the old
            found[gate] = found[gate] + Sum.constant(layer.p[row].astype(np.float64) * looks_at)
    if layer.clip is not None:
        for gate, total in found.items():
            found[gate] = Sum(np.clip(total.value, -layer.clip, layer.clip), total.magnitude)
    return found


def _sigma(a: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -a))  # 1 / (1 + e^{-a}) without overflow


def _assert_close(
    actual: np.ndarray, expected: np.ndarray, magnitude: Any, unit: float, what: str
) -> None:
    """|actual - expected| within ``unit`` times (1 + magnitude), elementwise."""
    error = np.abs(actual - expected)
    tolerance = unit * (1 + np.asarray(magnitude))
    worst = np.unravel_index(np.argmax(error - tolerance), error.shape)
    assert np.all(error <= tolerance), (
        f"{what}: off by {error[worst]:.3g} (allowed {tolerance[worst]:.3g}) at {worst}"
    )


@SETTINGS
@given(cases())
def test_recorded_quantities_follow_the_equations(example: tuple[Case, np.ndarray]) -> None:
    case, x = example
    net = case.network()
    trace = net.run(x, case.start(net))
    for layer, traced in zip(net.layers, trace.layers, strict=True):
        # a few roundings per term of the longest sum: D + H products, a bias, a peephole
        unit = (layer.input_size + layer.hidden_size + 4) * float(np.finfo(net.dtype).eps)
        get = {name: traced[name].astype(np.float64) for name in traced}
        for gate, total in _expected_pre_activations(layer, traced).items():
            _assert_close(get[f"{gate}_pre"], total.value, total.magnitude, unit, f"{gate}_pre")
        for gate, pre_name in SIGMOID_GATES[case.kind].items():
            _assert_close(get[gate], _sigma(get[pre_name]), 1, unit, f"{gate} = σ(pre)")
        if case.kind == "coupled":
            np.testing.assert_array_equal(traced["f_pre"], -traced["i_pre"])
        for name, pre_name in TANH_LAYERS[case.kind].items():
            _assert_close(get[name], np.tanh(get[pre_name]), 1, unit, f"{name} = tanh(pre)")
        h_prev = _previous(traced.h0[0], traced["h"]).astype(np.float64)
        if traced.c0 is not None:
            c_prev = _previous(traced.c0[0], traced["c"]).astype(np.float64)
            old, new = get["f"] * c_prev, get["i"] * get["c_tilde"]
            magnitude = np.abs(old) + np.abs(new)
            _assert_close(get["c"], old + new, magnitude, unit, "C = f*C_prev + i*c_tilde")
            _assert_close(get["tanh_c"], np.tanh(get["c"]), 1, unit, "tanh(C)")
            _assert_close(get["h"], get["o"] * get["tanh_c"], 1, unit, "h = o*tanh(C)")
        if case.kind == "gru":
            kept, new = (1 - get["z"]) * h_prev, get["z"] * get["h_tilde"]
            _assert_close(get["h"], kept + new, 1, unit, "h = (1-z)*h_prev + z*h_tilde")
            if not layer.linear_before_reset:
                _assert_close(get["r_h"], get["r"] * h_prev, 1, unit, "r_h = r*h_prev")


# -- the same sequence, cut differently ------------------------------------------------------------


@SETTINGS
@given(EQUIVALENT)
def test_step_by_step_equals_run(example: tuple[Case, np.ndarray]) -> None:
    case, x = example
    net = case.network()
    trace = net.run(x)
    state = net.initial_state()
    for t in range(case.T):
        state, record = net.step(state, x[t])
        for name in record:
            _assert_same(record[name], trace[name][t], f"step {t}: {name}")
        for k, layer in enumerate(record.layers):  # every layer, not only the top
            assert layer.keys() == trace.layers[k].keys()
            for name in layer:
                _assert_same(layer[name], trace.layers[k][name][t], f"step {t}: {k}.{name}")
    for k, (stepped, ran) in enumerate(zip(state, trace.final_state, strict=True)):
        _assert_same(stepped.h, ran.h, f"layer {k}: final h")
        if ran.c is not None:
            assert stepped.c is not None
            _assert_same(stepped.c, ran.c, f"layer {k}: final c")


@SETTINGS
@given(EQUIVALENT, st.data())
def test_a_run_split_in_two_equals_one_run(example: tuple[Case, np.ndarray], data: Any) -> None:
    case, x = example
    net = case.network()
    start = case.start(net)
    whole = net.run(x, start)
    if case.T == 1:  # nothing to split: an empty half is refused (tested below)
        return
    cut = data.draw(st.integers(1, case.T - 1), label="cut")
    first = net.run(x[:cut], start)
    second = net.run(x[cut:], first.final_state)
    for k, layer in enumerate(whole.layers):
        for name in layer.slots:
            joined = np.concatenate([first.layers[k][name], second.layers[k][name]])
            _assert_same(joined, layer[name], f"layer {k}: {name}")


@SETTINGS
@given(EQUIVALENT, st.integers(1, 4))
def test_a_batch_equals_each_sequence_alone(example: tuple[Case, np.ndarray], B: int) -> None:
    case, x = example
    net = case.network()
    rng = np.random.default_rng(case.seed)
    batch = np.stack([x, *(rng.uniform(-10, 10, x.shape) for _ in range(B - 1))], axis=1)
    together = net.run(batch)  # (T, B, D)
    for j in range(B):
        alone = net.run(batch[:, j])
        for k, layer in enumerate(alone.layers):
            for name in layer.slots:
                _assert_same(together.layers[k][name][:, j], layer[name], f"{j}, {k}: {name}")
    assert together.final_state[-1].h.shape == (B, case.H)


@SETTINGS
@given(cases(max_scale=1.0, dtypes=("float64",)))
def test_float32_agrees_with_float64(example: tuple[Case, np.ndarray]) -> None:
    case, x = example
    net32 = case.network().astype(np.float32)
    net64 = net32.astype(np.float64)  # the very same (float32-representable) weights
    start = case.start(net64)
    trace32, trace64 = net32.run(x, start), net64.run(x, start)
    for k, (layer32, layer64) in enumerate(zip(trace32.layers, trace64.layers, strict=True)):
        assert layer32.record.dtype == np.float32
        for name in ("h", "c") if "c" in layer64.slots else ("h",):
            np.testing.assert_allclose(
                layer32[name], layer64[name], rtol=1e-4, atol=1e-4, err_msg=f"{k}: {name}"
            )


# -- input validation --------------------------------------------------------------------------

VALIDATION_VARIANTS = sorted(VARIANTS)


def _small(variant: str) -> Network:
    kind, options = VARIANTS[variant]
    return Network.random(kind, 3, 4, num_layers=2, seed=0, **options)


@pytest.mark.parametrize("variant", VALIDATION_VARIANTS)
@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.array([[0.0, np.nan, 1.0]]), "x contains NaN or infinity"),
        (np.array([[0.0, 1.0, 2.0], [np.inf, 0.0, 0.0]]), "x contains NaN or infinity"),
        (np.array([[[0.0, 1.0, -np.inf]]]), "x contains NaN or infinity"),
        (np.zeros((5, 2)), "x has 2 features per step; the network takes 3"),
        (np.zeros((5, 1, 4)), "x has 4 features per step; the network takes 3"),
        (np.zeros((0, 3)), "x is an empty sequence"),
        (np.zeros((4, 0, 3)), "x is an empty sequence"),
        (np.zeros(3), r"x must be \(T, 3\) or \(T, B, 3\), got \(3,\)"),
        (np.zeros((1, 1, 1, 3)), r"x must be \(T, 3\) or \(T, B, 3\), got \(1, 1, 1, 3\)"),
        (np.array([["a", "b", "c"]]), "x must be numeric"),
    ],
    ids=[
        "nan",
        "inf",
        "batched-inf",
        "features",
        "batched-features",
        "empty",
        "empty-batch",
        "1-D",
        "4-D",
        "strings",
    ],
)
def test_run_refuses_bad_input(variant: str, x: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _small(variant).run(x)


@pytest.mark.parametrize("variant", VALIDATION_VARIANTS)
@pytest.mark.parametrize(
    ("x_t", "message"),
    [
        (np.zeros((1, 3)), r"step takes one input vector, shape \(3,\)"),
        (np.array([0.0, np.nan, 0.0]), "x contains NaN or infinity"),
        (np.zeros(2), "x has 2 features per step; the network takes 3"),
    ],
    ids=["2-D", "nan", "features"],
)
def test_step_refuses_bad_input(variant: str, x_t: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _small(variant).step(None, x_t)


@pytest.mark.parametrize("variant", VALIDATION_VARIANTS)
def test_run_refuses_a_bad_state(variant: str) -> None:
    net = _small(variant)
    state = net.initial_state()
    wrong_size = (LayerState(np.zeros(5), state[0].c), state[1])
    with pytest.raises(ValueError, match=r"state of layer 0: h must be \(4,\) or \(1, 4\)"):
        net.run(np.zeros((2, 3)), wrong_size)
    not_finite = (state[0], LayerState(np.full(4, np.nan), state[1].c))
    with pytest.raises(ValueError, match="state of layer 1: h contains NaN or infinity"):
        net.run(np.zeros((2, 3)), not_finite)
    if net.layers[0].has_cell_state:
        with pytest.raises(ValueError, match=r"state of layer 0: a \w+ layer needs c"):
            net.run(np.zeros((2, 3)), (LayerState(np.zeros(4)), state[1]))


@pytest.mark.parametrize("variant", ["lstm", "gru"])
@pytest.mark.parametrize("cut", ["one layer short", "a bare LayerState"])
def test_run_refuses_a_state_for_the_wrong_number_of_layers(variant: str, cut: str) -> None:
    net = _small(variant)
    state: Any = net.initial_state()[:1] if cut == "one layer short" else net.initial_state()[0]
    with pytest.raises(ValueError, match="state"):
        net.run(np.zeros((2, 3)), state)


def test_run_refuses_input_beyond_float32_range() -> None:
    with pytest.raises(ValueError, match="x"):
        _small("lstm").run(np.full((2, 3), 1e300))  # finite in float64, inf in float32
