"""The shipped models, as the server lists them: name, task, variant, metric, example.

The page opens on ``DEFAULT_MODEL`` — the france LSTM on the post's sentence. Entries come from
the cards alone (small JSON files), so listing never loads weights; ``load`` loads one strictly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from model.layer import KINDS
from model.model_file import SavedModel, load_model, read_card
from model.recipes import RECIPES

TRAINED = Path(__file__).resolve().parent / "trained"
DEFAULT_MODEL = "france-lstm"


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str  # file stem, e.g. "lag-p20-gru"
    task: str
    variant: str
    task_config: dict[str, object]
    hidden_size: int
    metric_name: str
    metric: float
    example: str


def entries(directory: Path = TRAINED) -> list[Entry]:
    """Every model in ``directory``, in the recipes' task order, options by value (lag p = 5,
    10, 20, …), then variant in KINDS order — so the default, france-lstm, comes first."""
    found = []
    for path in sorted(directory.glob("*.json")):
        card = read_card(path)
        found.append(
            Entry(
                path.stem, card["task"], card["variant"], dict(card["task_config"]),
                card["hidden_size"], card["metric_name"], float(card["metric"]),
                str(card.get("example", "")),
            )
        )  # fmt: skip
    return sorted(found, key=_order)


def _order(entry: Entry) -> tuple[int, tuple[tuple[str, float], ...], int]:
    tasks = list(RECIPES)
    task = tasks.index(entry.task) if entry.task in tasks else len(tasks)
    options = tuple(
        (key, float(value) if isinstance(value, int | float) else 0.0)
        for key, value in sorted(entry.task_config.items())
    )
    return task, options, KINDS.index(entry.variant) if entry.variant in KINDS else len(KINDS)


def load(name: str, directory: Path = TRAINED) -> SavedModel:
    """One model by name; names are file stems listed by ``entries`` — nothing else is read."""
    known = {entry.name for entry in entries(directory)}
    if name not in known:
        raise ValueError(f"no shipped model named {name!r}")
    return load_model(directory / name)
