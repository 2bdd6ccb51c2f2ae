"""The catalogue lists every shipped model from its card and loads only names it lists."""

from __future__ import annotations

import pytest

from model.catalogue import DEFAULT_MODEL, entries, load


def test_the_catalogue_lists_the_shipped_models_with_the_default_first() -> None:
    ordered = entries()
    assert ordered[0].name == DEFAULT_MODEL
    lags = [entry.task_config["p"] for entry in ordered if entry.task == "lag"]
    assert lags == sorted(lags)  # the page slides p in order
    listed = {entry.name: entry for entry in ordered}
    default = listed[DEFAULT_MODEL]
    assert (default.task, default.variant) == ("france", "lstm")
    assert default.example.startswith("i grew up in france")
    assert {entry.variant for entry in listed.values()} == {
        "lstm", "peephole", "coupled", "gru", "rnn",
    }  # fmt: skip


@pytest.mark.parametrize("name", ["../README", "france-lstm/../france-gru", "nope", ""])
def test_only_listed_names_load(name: str) -> None:
    with pytest.raises(ValueError, match="no shipped model"):
        load(name)


def test_loading_the_default() -> None:
    saved = load(DEFAULT_MODEL)
    assert saved.card["task"] == "france"
