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
import math
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from model.encoders import Encoder, encoder_from_dict
from model.layer import KINDS, PARAM_NAMES, Layer
from model.losses import LOSSES
from model.network import Network
from model.readout import Readout
from model.tasks import TASKS, make_task
from model.training import RecurrentModel

FORMAT = "lstm-lens-model"
VERSION = 1
MAX_CARD_BYTES = 1 << 20  # 1 MiB: a card is a few kilobytes
MAX_WEIGHT_BYTES = 64 << 20  # 64 MiB: the shipped models are far smaller
# The arrays a card may declare, unpacked: trained weights hardly compress, so four times the
# file cap leaves real models room while a small file cannot unpack to gigabytes of zeros.
MAX_ARRAY_BYTES = 4 * MAX_WEIGHT_BYTES
MAX_HEADER_BYTES = 10_000  # of one .npy header (NumPy's own default limit)
DTYPES = ("float32", "float64")
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
    """Read PATH.json and PATH.npz (either name, or the stem), checking one against the other.

    In order: the card alone (``read_card``); the SHA-256 of the weight file; every array's
    ``.npy`` header and uncompressed size against the card, before any array is decompressed;
    then the arrays themselves (never pickled objects), and the model they make.
    """
    stem = Path(path).with_suffix("")
    card_path, weights_path = stem.with_suffix(".json"), stem.with_suffix(".npz")
    card = _read_card(card_path)
    data = _read_bytes(weights_path, MAX_WEIGHT_BYTES)
    if hashlib.sha256(data).hexdigest() != card["sha256"]:
        raise ValueError(
            f"{weights_path}: the weights are not the ones its card describes (SHA-256 differs)"
        )
    arrays = _read_arrays(data, card["arrays"], weights_path)
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


# What reading a damaged or hostile zip or .npy can raise (zlib.error for a corrupt deflate
# stream, RuntimeError for an encrypted member, NotImplementedError for an unknown compression).
_UNREADABLE = (
    ValueError, TypeError, KeyError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
    RuntimeError, NotImplementedError, OverflowError,
)  # fmt: skip


def _read_arrays(data: bytes, listed: dict[str, Any], path: Path) -> dict[str, np.ndarray]:
    """The arrays of the .npz ``data``, each checked against the card's ``listed`` entry first.

    Every member's header (name, dtype, shape) and uncompressed size is checked before any
    array is read, so a small file cannot make us decompress more than the card declares.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _check_members(archive, listed, path)
            arrays = {}
            for name, info in members.items():
                with archive.open(info) as member:
                    arrays[name] = np.lib.format.read_array(
                        member, allow_pickle=False, max_header_size=MAX_HEADER_BYTES
                    )
    except _RefusedError:
        raise
    except _UNREADABLE as error:
        reason = f"{type(error).__name__}: {error}"
        raise ValueError(f"{path}: not a readable .npz file ({reason})") from None
    for name, array in arrays.items():  # what was read is what the headers said
        _check_array(path, name, str(array.dtype), list(array.shape), listed[name])
    return arrays


class _RefusedError(ValueError):
    """A refusal already worded for the user (raised inside the zip-reading ``try``)."""


def _check_members(
    archive: zipfile.ZipFile, listed: dict[str, Any], path: Path
) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, once every header agrees with the card."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.is_dir():
            raise _RefusedError(f"{path}: member {info.filename!r} is not a .npy array")
        name = info.filename.removesuffix(".npy")
        if name in members:
            raise _RefusedError(f"{path}: array {name} appears twice")
        members[name] = info

    def differ() -> _RefusedError:
        missing, extra = sorted(set(listed) - set(members)), sorted(set(members) - set(listed))
        return _RefusedError(
            f"{path}: arrays differ from the card (missing {missing}, unexpected {extra})"
        )

    if len(members) > len(listed):  # refused before reading more headers than the card has
        raise differ()
    headers = {name: _read_header(archive, info, path, name) for name, info in members.items()}
    if set(members) != set(listed):
        raise differ()
    for name, (shape, dtype, header_size) in headers.items():
        expected = listed[name]
        _check_array(path, name, str(dtype), list(shape), expected)
        size = header_size + math.prod(expected["shape"]) * dtype.itemsize
        if members[name].file_size != size:
            raise _RefusedError(
                f"{path}: {name} unpacks to {members[name].file_size} bytes, but a "
                f"{expected['dtype']}{expected['shape']} array is {size} bytes with its header"
            )
    return members


def _read_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, name: str
) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header size in bytes) of one member, read without reading its data."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member, MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member, MAX_HEADER_BYTES)
        else:
            raise _RefusedError(f"{path}: {name} is a .npy file of unsupported version {version}")
        header_size = member.tell()
    if dtype.hasobject:
        raise _RefusedError(
            f"{path}: not a readable .npz file ({name} holds Python objects, which would "
            "need pickle)"
        )
    return shape, dtype, header_size


def _check_array(path: Path, name: str, dtype: str, shape: list[int], expected: Any) -> None:
    if shape != expected["shape"] or dtype != expected["dtype"]:
        raise _RefusedError(
            f"{path}: {name} is {dtype}{shape}, "
            f"the card says {expected['dtype']}{expected['shape']}"
        )


def _build(card: dict[str, Any], arrays: dict[str, np.ndarray]) -> RecurrentModel:
    dtype = np.dtype(card["dtype"])
    odd = sorted(name for name, array in arrays.items() if array.dtype != dtype)
    if odd:
        raise ValueError(f"arrays {odd} are not {dtype}, the card's dtype")
    known = {f"layer{k}.{name}" for k in range(card["layers"]) for name in PARAM_NAMES}
    unknown = sorted(set(arrays) - known - {"readout.W_y", "readout.b_y"})
    if unknown:
        raise ValueError(f"arrays {unknown} are not parameters of a {card['layers']}-layer model")
    required = [f"layer{k}.{name}" for k in range(card["layers"]) for name in ("W_x", "W_h", "b")]
    missing = sorted({*required, "readout.W_y", "readout.b_y"} - set(arrays))
    if missing:
        raise ValueError(f"arrays {missing} are missing")
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
    if readout.W_y.ndim != 2 or readout.b_y.ndim != 1:
        raise ValueError(
            f"readout.W_y must be a matrix and readout.b_y a vector, got shapes "
            f"{list(readout.W_y.shape)} and {list(readout.b_y.shape)}"
        )
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
    if card["task"] not in TASKS:
        raise ValueError(
            f"{path}: unknown task {card['task']!r}; expected one of {', '.join(TASKS)}"
        )
    try:
        make_task(card["task"], **card["task_config"])
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: task_config {card['task_config']!r} does not make a {card['task']} "
            f"task: {error}"
        ) from None
    if card["loss"] not in LOSSES:
        raise ValueError(
            f"{path}: unknown loss {card['loss']!r}; expected one of {', '.join(LOSSES)}"
        )
    if not _finite(card["metric"]):
        raise ValueError(f"{path}: 'metric' must be a finite number, got {card['metric']!r}")
    labels = card["output_labels"]
    if not all(isinstance(label, str) for label in labels):
        raise ValueError(f"{path}: 'output_labels' must all be strings, got {labels!r}")
    for key in ("input_size", "hidden_size", "output_size", "layers"):
        if card[key] < 1:
            raise ValueError(f"{path}: {key!r} must be at least 1, got {card[key]}")
    if card["layers"] > len(card["arrays"]):  # each layer has arrays of its own
        raise ValueError(
            f"{path}: {card['layers']} layers, but only {len(card['arrays'])} arrays listed"
        )
    if not re.fullmatch(r"[0-9a-f]{64}", card["sha256"]):
        raise ValueError(f"{path}: 'sha256' must be 64 lowercase hex digits")
    _check_arrays(card, path)


def _check_arrays(card: dict[str, Any], path: Path) -> None:
    """Every listed array has a shape of sizes and the card's dtype; together not too large."""
    dtype = card["dtype"]
    if dtype not in DTYPES:
        raise ValueError(f"{path}: 'dtype' must be one of {', '.join(DTYPES)}, got {dtype!r}")
    total = 0
    for name, entry in card["arrays"].items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise ValueError(f"{path}: array {name} needs a shape of sizes, got {entry!r}")
        if entry.get("dtype") != dtype:
            raise ValueError(
                f"{path}: array {name} is listed as {entry.get('dtype')!r}, but the card's "
                f"dtype is {dtype} (every array must have it)"
            )
        total += math.prod(shape) * np.dtype(dtype).itemsize
    if total > MAX_ARRAY_BYTES:
        raise ValueError(
            f"{path}: the listed arrays take {total} bytes, more than the {MAX_ARRAY_BYTES} allowed"
        )


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False
