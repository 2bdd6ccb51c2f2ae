"""Trained models on disk: ``NAME.npz`` (the weights) beside ``NAME.json`` (the model card).

The card says what the weights are — task and its parameters, variant, sizes, encoder and
output labels, how it was trained (steps, batch, learning rate, seed, seconds) and the metric
reached on held-out data — and lists every array with its shape and dtype, plus the SHA-256 of
the ``.npz`` file. Loading is strict: the weights are read with ``allow_pickle=False``, and a
file that does not match its card (other arrays, shapes, dtypes, bytes) is refused with a
``ValueError`` that says what differs. Nothing in either file is executed.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from model.encoders import Encoder, encoder_from_dict
from model.layer import KINDS, PARAM_NAMES, Layer
from model.network import Network
from model.readout import Readout
from model.training import RecurrentModel

FORMAT = "lstm-lens-model"
VERSION = 1
MAX_CARD_BYTES = 1 << 20  # 1 MiB: a card is a few kilobytes
MAX_WEIGHT_BYTES = 64 << 20  # 64 MiB: the shipped models are far smaller
REQUIRED = {
    "format": str, "format_version": int, "task": str, "task_config": dict, "variant": str,
    "input_size": int, "hidden_size": int, "layers": int, "output_size": int, "dtype": str,
    "linear_before_reset": bool, "encoder": dict, "output_labels": list, "loss": str,
    "metric_name": str, "metric": float, "lower_is_better": bool, "training": dict,
    "arrays": dict, "sha256": str,
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SavedModel:
    model: RecurrentModel
    encoder: Encoder
    card: dict[str, Any]

    @property
    def output_labels(self) -> tuple[str, ...]:
        return tuple(self.card["output_labels"])


def save_model(path: str | Path, model: RecurrentModel, card: dict[str, Any]) -> Path:
    """Write PATH.npz and PATH.json; ``card`` holds the descriptive fields (task, metric, …).

    The sizes, the array list and the checksum are filled in from the model itself.
    """
    stem = Path(path).with_suffix("")
    arrays = model.params()
    buffer = io.BytesIO()
    named: dict[str, Any] = dict(arrays)
    np.savez_compressed(buffer, **named)
    data = buffer.getvalue()
    layer = model.network.layers[0]
    full = {
        "format": FORMAT,
        "format_version": VERSION,
        **card,
        "variant": layer.kind,
        "input_size": model.network.input_size,
        "hidden_size": model.network.hidden_size,
        "layers": len(model.network.layers),
        "output_size": int(model.readout.b_y.shape[0]),
        "dtype": str(model.network.dtype),
        "linear_before_reset": layer.linear_before_reset,
        "created": card.get("created")
        or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "arrays": {
            name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in arrays.items()
        },
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _check_card(full, stem.with_suffix(".json"))
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".npz").write_bytes(data)
    stem.with_suffix(".json").write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
    return stem


def load_model(path: str | Path) -> SavedModel:
    """Read PATH.json and PATH.npz (either name, or the stem), checking one against the other."""
    stem = Path(path).with_suffix("")
    card_path, weights_path = stem.with_suffix(".json"), stem.with_suffix(".npz")
    card = _read_card(card_path)
    data = _read_bytes(weights_path, MAX_WEIGHT_BYTES)
    if hashlib.sha256(data).hexdigest() != card["sha256"]:
        raise ValueError(
            f"{weights_path}: the weights are not the ones its card describes (SHA-256 differs)"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{weights_path}: not a readable .npz file ({error})") from None
    listed = card["arrays"]
    if set(arrays) != set(listed):
        missing, extra = sorted(set(listed) - set(arrays)), sorted(set(arrays) - set(listed))
        raise ValueError(
            f"{weights_path}: arrays differ from the card (missing {missing}, unexpected {extra})"
        )
    for name, array in arrays.items():
        expected = listed[name]
        if list(array.shape) != expected.get("shape") or str(array.dtype) != expected.get("dtype"):
            raise ValueError(
                f"{weights_path}: {name} is {array.dtype}{list(array.shape)}, the "
                f"card says {expected.get('dtype')}{expected.get('shape')}"
            )
    try:
        model = _build(card, arrays)
        encoder = encoder_from_dict(card["encoder"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{card_path}: the card and weights do not make a model: {error}"
        ) from None
    if encoder.size != card["input_size"]:
        raise ValueError(
            f"{card_path}: the encoder has {encoder.size} inputs, the model {card['input_size']}"
        )
    return SavedModel(model, encoder, card)


def _build(card: dict[str, Any], arrays: dict[str, np.ndarray]) -> RecurrentModel:
    known = {f"layer{k}.{name}" for k in range(card["layers"]) for name in PARAM_NAMES}
    unknown = sorted(set(arrays) - known - {"readout.W_y", "readout.b_y"})
    if unknown:
        raise ValueError(f"arrays {unknown} are not parameters of a {card['layers']}-layer model")
    layers = []
    for k in range(card["layers"]):
        params = {name: arrays.get(f"layer{k}.{name}") for name in PARAM_NAMES}
        layers.append(
            Layer(
                card["variant"],
                W_x=arrays[f"layer{k}.W_x"],
                W_h=arrays[f"layer{k}.W_h"],
                b=arrays[f"layer{k}.b"],
                p=params["p"],
                b_hn=params["b_hn"],
                linear_before_reset=card["linear_before_reset"],
            )
        )
    network = Network(layers)
    readout = Readout(arrays["readout.W_y"], arrays["readout.b_y"])
    sizes = (network.input_size, network.hidden_size, int(readout.b_y.shape[0]))
    declared = (card["input_size"], card["hidden_size"], card["output_size"])
    if sizes != declared or readout.W_y.shape != (network.hidden_size, sizes[2]):
        raise ValueError(f"sizes (input, hidden, output) are {sizes}, the card says {declared}")
    if len(card["output_labels"]) != card["output_size"]:
        raise ValueError("output_labels does not name every output")
    return RecurrentModel(network, readout)


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise ValueError(f"{path}: {size} bytes, more than the {limit} allowed")
        return path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


def read_card(path: str | Path) -> dict[str, Any]:
    """A model card, checked for its required fields (the weights are not read)."""
    return _read_card(Path(path).with_suffix(".json"))


def _read_card(path: Path) -> dict[str, Any]:
    try:
        card = json.loads(_read_bytes(path, MAX_CARD_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a JSON model card ({error})") from None
    _check_card(card, path)
    return card


def _check_card(card: Any, path: Path) -> None:
    if not isinstance(card, dict):
        raise ValueError(f"{path}: a model card is a JSON object")
    if card.get("format") != FORMAT or card.get("format_version") != VERSION:
        raise ValueError(f"{path}: not an {FORMAT} card of version {VERSION}")
    for key, kind in REQUIRED.items():
        value = card.get(key)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ValueError(f"{path}: {key!r} must be a {kind.__name__}, got {value!r}")
    if card["variant"] not in KINDS:
        raise ValueError(f"{path}: unknown variant {card['variant']!r}")
