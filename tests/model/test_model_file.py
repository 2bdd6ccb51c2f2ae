"""Model files: a saved model loads back identical, and anything that does not match its card
is refused with a clear error."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.model_file import load_model, read_card, save_model
from model.tasks.lag import Lag
from model.training import TrainConfig, train

CARD = {
    "task": "lag",
    "task_config": {"p": 3},
    "encoder": Lag(p=3).encoder.to_dict(),
    "output_labels": ["x", "y"],
    "loss": "cross_entropy",
    "metric_name": "accuracy",
    "lower_is_better": False,
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    task = Lag(p=3)
    config = TrainConfig(hidden=4, steps=5, seed=1)
    result = train(task, "gru", config)
    card = {**CARD, "metric": result.metric, "training": {"steps": 5, "seed": 1}}
    return save_model(tmp_path_factory.mktemp("models") / "lag-p3-gru", result.model, card)


def _copy(saved: Path, tmp_path: Path) -> Path:
    for suffix in (".json", ".npz"):
        (tmp_path / f"m{suffix}").write_bytes(saved.with_suffix(suffix).read_bytes())
    return tmp_path / "m"


def _card(stem: Path) -> dict[str, Any]:
    card: dict[str, Any] = json.loads(stem.with_suffix(".json").read_text())
    return card


def _arrays(stem: Path) -> dict[str, np.ndarray]:
    with np.load(stem.with_suffix(".npz")) as npz:
        return {name: npz[name] for name in npz.files}


def _npy(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


def _replace_weights(stem: Path, data: bytes, **card_changes: Any) -> None:
    """Write ``data`` as the weights and make the card vouch for it (its SHA-256 updated), so
    that only what comes after the checksum can refuse it."""
    stem.with_suffix(".npz").write_bytes(data)
    card = {**_card(stem), **card_changes, "sha256": hashlib.sha256(data).hexdigest()}
    stem.with_suffix(".json").write_text(json.dumps(card))


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name: that is the point
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def test_round_trip(saved: Path) -> None:
    loaded = load_model(saved.with_suffix(".json"))
    again = load_model(saved)  # the stem works too
    x = Lag(p=3).sample(np.random.default_rng(0), 2).x
    np.testing.assert_array_equal(loaded.model.run(x)[1], again.model.run(x)[1])
    assert loaded.card["variant"] == "gru" and loaded.card["hidden_size"] == 4
    assert loaded.output_labels == ("x", "y")
    assert loaded.encoder.size == 4
    assert read_card(saved) == loaded.card


def test_weights_that_are_not_the_cards_are_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    data = bytearray(stem.with_suffix(".npz").read_bytes())
    data[-30] ^= 0xFF
    stem.with_suffix(".npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        load_model(stem)


def test_a_card_that_lies_about_shapes_is_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    card = _card(stem)
    card["arrays"]["layer0.W_h"]["shape"] = [5, 12]
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"layer0\.W_h is float32"):
        load_model(stem)


def test_pickled_or_extra_arrays_are_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    card = _card(stem)
    arrays = _arrays(stem)
    arrays["layer0.clip"] = np.array([1.0], np.float32)  # not a parameter: must not reach Layer
    np.savez(stem.with_suffix(".npz"), **arrays)

    card["sha256"] = hashlib.sha256(stem.with_suffix(".npz").read_bytes()).hexdigest()
    card["arrays"]["layer0.clip"] = {"shape": [1], "dtype": "float32"}
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"not parameters"):
        load_model(stem)
    np.savez(stem.with_suffix(".npz"), evil=np.array([object()], dtype=object))
    card["sha256"] = hashlib.sha256(stem.with_suffix(".npz").read_bytes()).hexdigest()
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        load_model(stem)


def _truncated(stem: Path) -> bytes:
    data = stem.with_suffix(".npz").read_bytes()
    return data[: len(data) // 2]


def _a_npy_file(stem: Path) -> bytes:
    return _npy(_arrays(stem)["readout.b_y"])


def _not_compressed_as_zip_says(stem: Path) -> bytes:
    data = bytearray(stem.with_suffix(".npz").read_bytes())
    data[40:60] = bytes(20)  # inside the first member's deflate stream
    return bytes(data)


@pytest.mark.parametrize(
    "broken",
    [_truncated, _a_npy_file, _not_compressed_as_zip_says, lambda stem: b"", lambda stem: b"PK"],
    ids=["truncated", "npy-not-npz", "corrupt-stream", "empty", "junk"],
)
def test_broken_weight_files_are_refused_even_when_the_checksum_matches(
    saved: Path, tmp_path: Path, broken: Callable[[Path], bytes]
) -> None:
    stem = _copy(saved, tmp_path)
    _replace_weights(stem, broken(stem))
    with pytest.raises(ValueError, match=r"m\.npz: (not a readable \.npz|.* is float32)"):
        load_model(stem)


def _with_array(name: str, value: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    """An edit that replaces one array of the weights, the card listing it as it now is."""

    def edit(stem: Path) -> None:
        arrays = _arrays(stem)
        arrays[name] = value(arrays[name])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        listed = _card(stem)["arrays"]
        listed[name] = {"shape": list(arrays[name].shape), "dtype": str(arrays[name].dtype)}
        _replace_weights(stem, buffer.getvalue(), arrays=listed)

    return edit


def _all_arrays_as(dtype: str) -> Callable[[Path], None]:
    def edit(stem: Path) -> None:
        arrays = {name: a.astype(dtype) for name, a in _arrays(stem).items()}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        listed = {name: {"shape": list(a.shape), "dtype": dtype} for name, a in arrays.items()}
        _replace_weights(stem, buffer.getvalue(), arrays=listed, dtype=dtype)

    return edit


def _card_edit(**changes: Any) -> Callable[[Path], None]:
    def edit(stem: Path) -> None:
        card = {**_card(stem), **changes}
        stem.with_suffix(".json").write_text(json.dumps(card))

    return edit


def _listed_as(dtype: str) -> Callable[[Path], None]:
    def edit(stem: Path) -> None:
        card = _card(stem)
        for entry in card["arrays"].values():
            entry["dtype"] = dtype
        card["dtype"] = dtype
        stem.with_suffix(".json").write_text(json.dumps(card))

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_card_edit(dtype="float64"), "card's dtype is float64"),
        (
            _with_array("layer0.b", lambda a: a.astype(np.float64)),
            "layer0.b is listed as 'float64'",
        ),
        (
            _with_array("readout.b_y", lambda a: a.astype(np.int32)),
            "readout.b_y is listed as 'int32'",
        ),
        (_all_arrays_as("int32"), "'dtype' must be one of float32, float64, got 'int32'"),
        (_all_arrays_as("float16"), "'dtype' must be one of float32, float64, got 'float16'"),
        (_listed_as("float64"), r"layer0\.W_x is float32\[4, 12\], the card says float64\[4, 12\]"),
        (_card_edit(task="remember"), "unknown task 'remember'; expected one of france, lag"),
        (_card_edit(task_config={"p": 1}), "does not make a lag task: option p must be .*got 1"),
        (_card_edit(task_config={"q": 3}), "does not make a lag task: .*no option 'q'"),
        (_card_edit(task_config={"p": "3"}), "does not make a lag task: .*integer"),
        (_card_edit(loss="hinge"), "unknown loss 'hinge'; expected one of cross_entropy, mse"),
        (_card_edit(metric=float("nan")), "'metric' must be a finite number, got nan"),
        (_card_edit(metric=float("inf")), "'metric' must be a finite number, got inf"),
        (_card_edit(metric=10**400), "'metric' must be a finite number"),
        (_card_edit(output_labels=[0, 1]), "'output_labels' must all be strings"),
        (_card_edit(output_labels=["x", None]), "'output_labels' must all be strings"),
        (_card_edit(layers=0), "'layers' must be at least 1"),
        (_card_edit(layers=50), "50 layers, but only 5 arrays listed"),
        (_card_edit(sha256="not hex"), "'sha256' must be 64 lowercase hex digits"),
        (_card_edit(arrays={"readout.b_y": {"shape": [-2], "dtype": "float32"}}), "shape of sizes"),
        (_card_edit(arrays={"readout.b_y": {"shape": 2, "dtype": "float32"}}), "shape of sizes"),
        (_card_edit(arrays={"readout.b_y": []}), "shape of sizes"),
    ],
)
def test_cards_that_lie_are_refused(
    saved: Path, tmp_path: Path, edit: Callable[[Path], None], message: str
) -> None:
    stem = _copy(saved, tmp_path)
    edit(stem)
    with pytest.raises(ValueError, match=rf"m\.(json|npz): .*{message}"):
        load_model(stem)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_card_edit(task="remember"), "unknown task"),
        (_card_edit(loss="hinge"), "unknown loss"),
        (_card_edit(metric=float("nan")), "finite"),
        (_card_edit(output_labels=[0, 1]), "strings"),
        (_card_edit(dtype="float64"), "card's dtype"),
    ],
)
def test_read_card_refuses_the_same_lies(
    saved: Path, tmp_path: Path, edit: Callable[[Path], None], message: str
) -> None:
    stem = _copy(saved, tmp_path)
    edit(stem)
    with pytest.raises(ValueError, match=rf"m\.json: .*{message}"):
        read_card(stem)


def _members(stem: Path) -> list[tuple[str, bytes]]:
    return [(f"{name}.npy", _npy(array)) for name, array in _arrays(stem).items()]


def _renamed(stem: Path) -> list[tuple[str, bytes]]:
    return [(name.removesuffix(".npy"), data) for name, data in _members(stem)]


def _doubled(stem: Path) -> list[tuple[str, bytes]]:
    members = _members(stem)
    return [*members, members[0]]


def _padded(stem: Path) -> list[tuple[str, bytes]]:
    """A member whose header is right but which unpacks to far more bytes than it declares."""
    members = _members(stem)
    name, data = members[-1]
    return [*members[:-1], (name, data + bytes(1 << 20))]


def _short(stem: Path) -> list[tuple[str, bytes]]:
    members = _members(stem)
    name, data = members[-1]
    return [*members[:-1], (name, data[:-4])]


def _version_3(stem: Path) -> list[tuple[str, bytes]]:
    return [(f"{n}.npy", _npy(a, version=(3, 0))) for n, a in _arrays(stem).items()]


def _with_directory(stem: Path) -> list[tuple[str, bytes]]:
    return [*_members(stem), ("sub/", b"")]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (_members, None),  # the rebuilt file itself loads: the others differ from it in one way
        (_renamed, r"member 'layer0\.W_x' is not a \.npy array"),
        (_with_directory, r"member 'sub/' is not a \.npy array"),
        (_doubled, r"array layer0\.W_x appears twice"),
        (_padded, r"readout\.b_y unpacks to 1048712 bytes, but a float32\[2\] array is 136"),
        (_short, r"readout\.b_y unpacks to 132 bytes, but a float32\[2\] array is 136"),
        (_version_3, r"layer0\.W_x is a \.npy file of unsupported version \(3, 0\)"),
    ],
)
def test_every_member_is_checked_before_any_is_read(
    saved: Path,
    tmp_path: Path,
    members: Callable[[Path], list[tuple[str, bytes]]],
    message: str | None,
) -> None:
    stem = _copy(saved, tmp_path)
    _replace_weights(stem, _zip(members(stem)))
    if message is None:
        assert load_model(stem).card["sha256"] == _card(stem)["sha256"]
    else:
        with pytest.raises(ValueError, match=rf"m\.npz: {message}"):
            load_model(stem)


def test_a_decompression_bomb_is_refused_before_it_is_unpacked(saved: Path, tmp_path: Path) -> None:
    """A header claiming 64 MiB of zeros (a few dozen KiB deflated) where the card says two
    floats: the header is refused before the array is unpacked."""
    stem = _copy(saved, tmp_path)
    count = 16 << 20  # float32 zeros: 64 MiB
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (count,)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _members(stem)[:-1]:
            archive.writestr(name, data)
        with archive.open("readout.b_y.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(1 << 20)
            for _ in range(count * 4 // len(zeros)):
                member.write(zeros)
    assert len(buffer.getvalue()) < 1 << 20
    _replace_weights(stem, buffer.getvalue())
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"readout\.b_y is float32\[16777216\], the card"):
            load_model(stem)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak / 2**20:.1f} MiB allocated"


def test_a_card_may_not_declare_more_than_the_cap(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    card = _card(stem)
    card["arrays"]["readout.W_y"]["shape"] = [100_000, 100_000]  # 40 GB of float32
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"m\.json: the listed arrays take \d+ bytes, more than"):
        read_card(stem)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda card: card.pop("metric"), "'metric' must be a float"),
        (lambda card: card.update(format="other"), "not an lstm-lens-model card"),
        (lambda card: card.update(variant="tree"), "unknown variant"),
        (lambda card: card.update(layers=True), "'layers' must be a int"),
        (
            lambda card: card["encoder"].update(vocabulary=["a", "b"]),
            "does not make a model|inputs",
        ),
    ],
)
def test_malformed_cards_are_refused(
    saved: Path, tmp_path: Path, edit: object, message: str
) -> None:
    stem = _copy(saved, tmp_path)
    card = _card(stem)
    edit(card)  # type: ignore[operator]
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=message):
        load_model(stem)


def test_missing_or_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_model(tmp_path / "absent")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON model card"):
        load_model(tmp_path / "bad")
