"""Model files: a saved model loads back identical, and anything that does not match its card
is refused with a clear error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from model.model_file import load_model, save_model
from model.training import TrainConfig, train
from tests.model.toy_tasks import Remember

CARD = {
    "task": "remember",
    "task_config": {"lag": 3},
    "encoder": Remember().encoder.to_dict(),
    "output_labels": ["a", "b", "c"],
    "loss": "cross_entropy",
    "metric_name": "accuracy",
    "lower_is_better": False,
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    task = Remember(lag=3)
    config = TrainConfig(hidden=4, steps=5, seed=1)
    result = train(task, "gru", config)
    card = {**CARD, "metric": result.metric, "training": {"steps": 5, "seed": 1}}
    return save_model(tmp_path_factory.mktemp("models") / "remember-gru", result.model, card)


def _copy(saved: Path, tmp_path: Path) -> Path:
    for suffix in (".json", ".npz"):
        (tmp_path / f"m{suffix}").write_bytes(saved.with_suffix(suffix).read_bytes())
    return tmp_path / "m"


def test_round_trip(saved: Path) -> None:
    loaded = load_model(saved.with_suffix(".json"))
    again = load_model(saved)  # the stem works too
    x = Remember(lag=3).sample(np.random.default_rng(0), 2).x
    np.testing.assert_array_equal(loaded.model.run(x)[1], again.model.run(x)[1])
    assert loaded.card["variant"] == "gru" and loaded.card["hidden_size"] == 4
    assert loaded.output_labels == ("a", "b", "c")
    assert loaded.encoder.size == 4


def test_weights_that_are_not_the_cards_are_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    data = bytearray(stem.with_suffix(".npz").read_bytes())
    data[-30] ^= 0xFF
    stem.with_suffix(".npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        load_model(stem)


def test_a_card_that_lies_about_shapes_is_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    card = json.loads(stem.with_suffix(".json").read_text())
    card["arrays"]["layer0.W_h"]["shape"] = [5, 12]
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"layer0\.W_h is float32"):
        load_model(stem)


def test_pickled_or_extra_arrays_are_refused(saved: Path, tmp_path: Path) -> None:
    stem = _copy(saved, tmp_path)
    card = json.loads(stem.with_suffix(".json").read_text())
    with np.load(stem.with_suffix(".npz")) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["layer0.clip"] = np.array([1.0])  # not a parameter: must not reach Layer(...)
    np.savez(stem.with_suffix(".npz"), **arrays)

    card["sha256"] = hashlib.sha256(stem.with_suffix(".npz").read_bytes()).hexdigest()
    card["arrays"]["layer0.clip"] = {"shape": [1], "dtype": "float64"}
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"not parameters"):
        load_model(stem)
    np.savez(stem.with_suffix(".npz"), evil=np.array([object()], dtype=object))
    card["sha256"] = hashlib.sha256(stem.with_suffix(".npz").read_bytes()).hexdigest()
    stem.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        load_model(stem)


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
    card = json.loads(stem.with_suffix(".json").read_text())
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
