"""HTTP API: the catalogue of built-in models.

    GET /api/models        every shipped model, the default (france-lstm) first
    GET /api/models/{id}   one model's card: sizes, vocabulary, output labels, metric, training

Ids are looked up in the catalogue, never used as paths.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from model.catalogue import DEFAULT_MODEL, TRAINED, entries
from model.model_file import read_card

router = APIRouter(prefix="/api")


class ModelSummary(BaseModel):
    """One line of the catalogue."""

    id: str
    task: str
    variant: str
    task_config: dict[str, Any]
    hidden_size: int
    metric_name: str
    metric: float
    example: str
    default: bool


class ModelDetail(ModelSummary):
    """A model's card, without the list of arrays and the checksum."""

    layers: int
    input_size: int
    output_size: int
    encoder: dict[str, Any]
    output_labels: list[str]
    loss: str
    lower_is_better: bool
    training: dict[str, Any]


def _summary(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.name,
        "task": entry.task,
        "variant": entry.variant,
        "task_config": entry.task_config,
        "hidden_size": entry.hidden_size,
        "metric_name": entry.metric_name,
        "metric": entry.metric,
        "example": entry.example,
        "default": entry.name == DEFAULT_MODEL,
    }


@router.get("/models")
def list_models() -> list[ModelSummary]:
    return [ModelSummary(**_summary(entry)) for entry in entries()]


@router.get("/models/{model_id}")
def get_model(model_id: str) -> ModelDetail:
    found = {entry.name: entry for entry in entries()}.get(model_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no built-in model named {model_id!r}")
    card = read_card(TRAINED / f"{found.name}.json")
    keys = (
        "layers",
        "input_size",
        "output_size",
        "encoder",
        "output_labels",
        "loss",
        "lower_is_better",
        "training",
    )
    return ModelDetail(**_summary(found), **{key: card[key] for key in keys})
