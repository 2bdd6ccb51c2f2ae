"""The engine against PyTorch: torch.nn.LSTM / GRU / RNN(tanh), two ways.

1. Our Network built directly from the module's state_dict (``_network_from_torch``), which
   pins down the convention: torch's gate order, its GRU (= ONNX linear_before_reset=1, with
   z the share of the *old* state, so our z is its negation).
2. torch.onnx.export -> load_onnx: the real-world path, with the exporters' glue between
   stacked layers and their run-time zero initial states. The TorchScript exporter
   (dynamo=False: Squeeze between layers, Expand-of-Shape zero states) handles all three
   modules; the dynamo exporter (dynamo=True, needs onnxscript: Transpose + Reshape between
   layers) writes ONNX LSTM/GRU nodes but unrolls nn.RNN into MatMul/Tanh, which load_onnx
   refuses with a hint.

Skipped when torch is not installed.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model import Layer, Network, load_onnx  # noqa: E402
from model.cells import CELLS  # noqa: E402

TORCH_GATES = {  # our gate name -> row block of torch's weight_ih / weight_hh / biases
    "LSTM": {"i": 0, "f": 1, "c_tilde": 2, "o": 3},
    "GRU": {"r": 0, "z": 1, "h_tilde": 2},
    "RNN": {"h": 0},
}
KIND = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
TOL: dict[type, float] = {np.float32: 1e-5, np.float64: 1e-10}


def _module(op: str, D: int, H: int, num_layers: int, dtype: type, seed: int) -> Any:
    torch.manual_seed(seed)
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[op]
    module = cls(D, H, num_layers=num_layers, batch_first=False)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(2.0)  # ±2/√H: gates well into saturation
    return module.to(torch.float64 if dtype == np.float64 else torch.float32).eval()


def _network_from_torch(op: str, module: Any) -> Network:
    """Our layers from torch's state_dict (weight_ih_l{k}: (G·H, D), rows in torch order)."""
    state = {name: value.detach().cpu().numpy() for name, value in module.state_dict().items()}
    kind = KIND[op]
    gates = CELLS[kind].GATES
    H = module.hidden_size
    rows = TORCH_GATES[op]
    layers = []
    for k in range(module.num_layers):
        W_ih, W_hh = state[f"weight_ih_l{k}"], state[f"weight_hh_l{k}"]
        b_ih, b_hh = state[f"bias_ih_l{k}"], state[f"bias_hh_l{k}"]

        def block(a: np.ndarray, gate: str) -> np.ndarray:
            sign = -1 if gate == "z" else 1  # torch: h' = (1 - z) n + z h; ours the other way
            return sign * a[rows[gate] * H : (rows[gate] + 1) * H]

        W_x = np.concatenate([block(W_ih, g).T for g in gates], axis=1)
        W_h = np.concatenate([block(W_hh, g).T for g in gates], axis=1)
        if op == "GRU":  # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            b = np.concatenate([block(b_ih, g) + (block(b_hh, g) if g != "h_tilde" else 0)
                                for g in gates])  # fmt: skip
            layer = Layer(kind, W_x, W_h, b, b_hn=block(b_hh, "h_tilde"),
                          linear_before_reset=True)  # fmt: skip
        else:
            b = np.concatenate([block(b_ih, g) + block(b_hh, g) for g in gates])
            layer = Layer(kind, W_x, W_h, b)
        layers.append(layer)
    return Network(layers)


def _torch_run(module: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Top layer's h at every step and (LSTM) its final c."""
    with torch.no_grad():
        out, state = module(torch.from_numpy(x))
    c = state[1][-1].numpy() if isinstance(state, tuple) else None
    return out.numpy(), c


_Module: Any = torch.nn.Module


class _Outputs(_Module):
    """Export wrapper: the output sequence only (what load_onnx follows)."""

    def __init__(self, rnn: Any) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: Any) -> Any:
        return self.rnn(x)[0]


def _export(module: Any, x: np.ndarray, dynamo: bool, dynamic: bool) -> bytes:
    kwargs: dict[str, Any] = {"input_names": ["x"], "output_names": ["y"]}
    if dynamic and dynamo:
        kwargs["dynamic_shapes"] = ({0: torch.export.Dim("T"), 1: torch.export.Dim("B")},)
    elif dynamic:
        kwargs["dynamic_axes"] = {"x": {0: "T", 1: "B"}, "y": {0: "T", 1: "B"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporters' deprecation and tracer warnings
        if dynamo:
            program = torch.onnx.export(
                _Outputs(module), (torch.from_numpy(x),), dynamo=True, verbose=False, **kwargs
            )
            return bytes(program.model_proto.SerializeToString())
        buffer = io.BytesIO()
        torch.onnx.export(_Outputs(module), (torch.from_numpy(x),), buffer, dynamo=False,
                          **kwargs)  # fmt: skip
        return buffer.getvalue()


def _check(net: Network, module: Any, x: np.ndarray, dtype: type) -> None:
    expected_h, expected_c = _torch_run(module, x)
    trace = net.run(x if x.shape[1] > 1 else x[:, 0])
    h = trace.h if x.shape[1] > 1 else trace.h[:, None]
    np.testing.assert_allclose(h, expected_h, atol=TOL[dtype], rtol=TOL[dtype])
    if expected_c is not None:
        c = trace.c[-1] if x.shape[1] > 1 else trace.c[-1][None]
        np.testing.assert_allclose(c, expected_c, atol=TOL[dtype], rtol=TOL[dtype])


def _inputs(T: int, B: int, D: int, dtype: type, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((T, B, D)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_state_dict_mapping(op: str, num_layers: int, dtype: type) -> None:
    module = _module(op, 5, 8, num_layers, dtype, seed=1)
    net = _network_from_torch(op, module)
    for B in (1, 3):
        _check(net, module, _inputs(60, B, 5, dtype, seed=B), dtype)


@pytest.mark.parametrize("dynamic", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_torchscript_export_loads(op: str, num_layers: int, dtype: type, dynamic: bool) -> None:
    module = _module(op, 4, 7, num_layers, dtype, seed=2)
    x = _inputs(30, 1, 4, dtype, seed=2)
    net = load_onnx(_export(module, x, dynamo=False, dynamic=dynamic))
    assert net.dtype == dtype and net.kind == KIND[op] and len(net.layers) == num_layers
    _check(net, module, x, dtype)
    _check(net, module, _inputs(45, 1, 4, dtype, seed=3), dtype)  # another length
    if dynamic:
        _check(net, module, _inputs(20, 3, 4, dtype, seed=4), dtype)  # a batch
    # the same weights as the state_dict mapping, exactly
    direct = _network_from_torch(op, module)
    for ours, theirs in zip(net.layers, direct.layers, strict=True):
        for name, value in theirs.params().items():
            np.testing.assert_allclose(ours.params()[name], value, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dynamic", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_dynamo_export_loads(op: str, num_layers: int, dynamic: bool) -> None:
    pytest.importorskip("onnxscript")
    module = _module(op, 4, 6, num_layers, np.float32, seed=5)
    x = _inputs(25, 2 if dynamic else 1, 4, np.float32, seed=5)
    net = load_onnx(_export(module, x, dynamo=True, dynamic=dynamic))
    assert net.kind == KIND[op] and len(net.layers) == num_layers
    _check(net, module, x, np.float32)


def test_dynamo_export_of_rnn_is_refused_with_a_hint() -> None:
    pytest.importorskip("onnxscript")
    module = _module("RNN", 4, 6, 2, np.float32, seed=6)
    data = _export(module, _inputs(10, 1, 4, np.float32, seed=6), dynamo=True, dynamic=False)
    with pytest.raises(ValueError, match="dynamo=False"):
        load_onnx(data)
