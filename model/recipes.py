"""How each shipped model is trained: per task, the settings and the task options to ship.

``train_and_save`` trains one (task, options, variant) and writes its ``.npz`` + card;
``lstm-lens train`` and ``make models`` (``lstm-lens models``) both go through it, so a shipped
model is reproduced by the same call with the same seed.
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model.layer import KINDS
from model.model_file import save_model
from model.tasks import make_task
from model.training import Progress, TrainConfig, TrainResult, train

VARIANTS = KINDS  # lstm, peephole, coupled, gru, rnn


@dataclasses.dataclass(frozen=True)
class Recipe:
    config: TrainConfig  # settings shared by every variant of the task
    shipped: tuple[dict[str, Any], ...] = ({},)  # task options, one shipped model set each


RECIPES: dict[str, Recipe] = {
    "france": Recipe(TrainConfig(hidden=24, steps=1500, batch=32, lr=1e-2)),
    "lag": Recipe(  # forget_bias 5: at 1 (σ ≈ 0.73) nothing reaches 50 steps back
        TrainConfig(hidden=16, steps=1500, batch=32, lr=1e-2, forget_bias=5.0),
        shipped=tuple({"p": p} for p in (5, 10, 20, 50, 100, 200)),
    ),
    "adding": Recipe(TrainConfig(hidden=16, steps=3000, batch=32, lr=5e-3)),
    "reber": Recipe(TrainConfig(hidden=12, steps=2000, batch=32, lr=1e-2)),
    "brackets": Recipe(TrainConfig(hidden=16, steps=2000, batch=32, lr=1e-2)),
    "text": Recipe(TrainConfig(hidden=128, steps=3000, batch=32, lr=3e-3)),
}


def model_name(task: str, variant: str, options: dict[str, Any]) -> str:
    """File stem: ``france-lstm``, ``lag-p20-gru``."""
    parts = [task, *(f"{key}{value}" for key, value in sorted(options.items())), variant]
    return "-".join(str(part) for part in parts)


def train_and_save(
    task_name: str,
    variant: str,
    out: str | Path,
    config: TrainConfig | None = None,
    options: dict[str, Any] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> tuple[Path, TrainResult]:
    """Train one model (the task's recipe settings unless ``config`` is given) and save it."""
    if task_name not in RECIPES:
        raise ValueError(f"unknown task {task_name!r}; expected one of {', '.join(RECIPES)}")
    options = dict(options or {})
    task = make_task(task_name, **options)
    config = config or RECIPES[task_name].config
    result = train(task, variant, config, on_progress)
    card = {
        "task": task_name,
        "task_config": task.config(),
        "encoder": task.encoder.to_dict(),
        "output_labels": list(task.output_labels),
        "loss": task.loss,
        "metric_name": task.metric_name,
        "lower_is_better": task.lower_is_better,
        "metric": result.metric,
        "example": task.example(),
        **({"corpus_sha256": task.corpus_sha256} if hasattr(task, "corpus_sha256") else {}),
        "training": {
            **dataclasses.asdict(config),
            "seconds": round(result.seconds, 1),
            "final_loss": float(np.mean(result.losses[-20:])),
            "machine": f"{platform.machine()}, Python {platform.python_version()}, "
            f"NumPy {np.__version__}",
        },
    }
    path = save_model(Path(out) / model_name(task_name, variant, options), result.model, card)
    return path, result
