"""Every shipped model loads strictly and reaches its card's metric on fresh held-out data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.model_file import load_model
from model.recipes import RECIPES, VARIANTS, model_name, train_and_save
from model.tasks import make_task
from model.training import evaluate

TRAINED = Path(__file__).resolve().parents[2] / "model" / "trained"
CARDS = sorted(TRAINED.glob("*.json"))
# How far a fresh held-out estimate may fall short of the card's: 16 batches of 32 sequences
# leave a sampling error of about ±2% on an accuracy near 0.9, and ±0.05 bits per character.
TOLERANCE = {"accuracy": 0.05, "bits per character": 0.1}


@pytest.mark.parametrize("card_path", CARDS, ids=[path.stem for path in CARDS])
def test_a_shipped_model_reaches_its_cards_metric(card_path: Path) -> None:
    saved = load_model(card_path)
    card = saved.card
    task = make_task(card["task"], **card["task_config"])
    assert task.encoder.to_dict() == card["encoder"]
    fresh = np.random.default_rng([12345, len(card_path.stem)])  # not the training streams
    score = evaluate(saved.model, task, fresh, batches=16)
    allowed = TOLERANCE.get(card["metric_name"], 0.05)
    if card["lower_is_better"]:
        assert score <= card["metric"] + allowed, (score, card["metric"])
    else:
        assert score >= card["metric"] - allowed, (score, card["metric"])


def test_the_shipped_set_is_small() -> None:
    total = sum(path.stat().st_size for path in TRAINED.glob("*") if path.is_file())
    assert total < 20 * 2**20, f"{total / 2**20:.1f} MiB"


def test_every_task_and_variant_is_shipped() -> None:
    expected = {
        model_name(task, variant, options)
        for task, recipe in RECIPES.items()
        for options in recipe.shipped
        for variant in VARIANTS
    }
    assert {path.stem for path in CARDS} == expected


def test_the_default_model_opens_on_the_posts_sentence() -> None:
    saved = load_model(TRAINED / "france-lstm.json")
    example = saved.card["example"]
    assert example.startswith("i grew up in france") and example.endswith("i speak fluent")
    for typed in (
        example,
        "I grew up in France. I speak fluent",
        "I grew up in France… I speak fluent",
    ):
        _, outputs = saved.model.run(saved.encoder.encode(typed))  # as a person types it
        assert saved.output_labels[int(outputs[-1].argmax())] == "french", typed


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_retraining_reproduces_the_shipped_weights(variant: str, tmp_path: Path) -> None:
    """The lag p=5 models train in about a second: retraining must give the same bits, or the
    shipped models no longer match the code (retrain them with `make models`)."""
    path, _ = train_and_save("lag", variant, tmp_path, options={"p": 5})
    again = load_model(path).model.params()
    shipped = load_model(TRAINED / path.name).model.params()
    for name, value in shipped.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)
