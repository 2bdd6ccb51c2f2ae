"""GET /api/models and /api/models/{id}: the built-in catalogue over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_the_catalogue_lists_every_model_with_the_default_first(client: TestClient) -> None:
    response = client.get("/api/models")
    assert response.status_code == 200
    models = response.json()
    assert len(models) == 55
    assert models[0]["id"] == "france-lstm" and models[0]["default"] is True
    assert sum(model["default"] for model in models) == 1
    assert {model["variant"] for model in models} == {"lstm", "peephole", "coupled", "gru", "rnn"}
    lag = [model["task_config"]["p"] for model in models if model["task"] == "lag"]
    assert lag == sorted(lag)


def test_one_model_has_its_vocabulary_labels_and_training(client: TestClient) -> None:
    model = client.get("/api/models/france-lstm").json()
    assert model["task"] == "france" and model["variant"] == "lstm"
    assert "france" in model["encoder"]["vocabulary"]
    assert "french" in model["output_labels"]
    assert model["training"]["steps"] == 1500
    assert model["example"].startswith("i grew up in france")
    assert "arrays" not in model and "sha256" not in model


@pytest.mark.parametrize("name", ["nope", "..%2F..%2Fpyproject", "france-lstm.json", "FRANCE-LSTM"])
def test_unknown_ids_are_404_and_never_paths(client: TestClient, name: str) -> None:
    response = client.get(f"/api/models/{name}")
    assert response.status_code == 404  # by the catalogue, or by routing for a path with "/"
    assert response.json()["detail"] in ("Not Found", f"no built-in model named {name!r}")
