"""Looking for single units that mean something, as Karpathy, Johnson & Fei-Fei (2015) did.

For a feature of the input known at every step — the nesting depth of brackets, "this sentence
will end in French", a character's column on its line, "inside a string literal" — find the
unit whose state follows it best: the largest |Pearson r| between the feature and one unit's
cell state C_t (LSTM kinds) or hidden state h_t (GRU, RNN), over the valid steps of fresh
held-out batches. The page can then point at that unit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from model.model_file import SavedModel
from model.tasks import make_task

SEED = 77  # a stream of its own, used by nothing else


@dataclasses.dataclass(frozen=True)
class Unit:
    feature: str  # what the unit follows
    layer: int  # which layer (0 = bottom)
    unit: int  # which unit of that layer
    state: str  # "c" or "h"
    r: float  # Pearson correlation with the feature over the valid steps


def best_unit(states: np.ndarray, feature: np.ndarray) -> tuple[int, float]:
    """(unit, r) maximising |r| between a column of states (N, H) and feature (N,)."""
    s = states - states.mean(axis=0)
    f = feature - feature.mean()
    denominator = np.sqrt((s * s).sum(axis=0) * (f * f).sum())
    r = np.divide(s.T @ f, denominator, out=np.zeros(states.shape[1]), where=denominator > 0)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def find_units(saved: SavedModel, batches: int = 4) -> list[Unit]:
    """The best unit for each feature the model's task defines (none for other tasks)."""
    task_name = saved.card["task"]
    task = make_task(task_name, **saved.card["task_config"])
    rng = np.random.default_rng(SEED)
    sample = getattr(task, "held_out", task.sample)
    features: dict[str, list[np.ndarray]] = {}
    states: list[list[np.ndarray]] = []  # per batch, per layer: (N, H)
    for _ in range(batches):
        batch = sample(rng, 32)
        trace, _ = saved.model.run(batch.x)
        valid = batch.x.sum(axis=-1) != 0  # (T, B): padding rows are all zero
        found = _features(task_name, batch, valid, task)
        if not found:
            return []
        keep = found.pop("_steps")
        for name, values in found.items():
            features.setdefault(name, []).append(values[keep])
        states.append([_state(layer)[keep] for layer in trace.layers])
    units = []
    for name, parts in features.items():
        feature = np.concatenate(parts)
        for k in range(len(saved.model.network.layers)):
            layer_states = np.concatenate([batch_states[k] for batch_states in states])
            unit, r = best_unit(layer_states.astype(np.float64), feature.astype(np.float64))
            state = "c" if saved.model.network.layers[k].has_cell_state else "h"
            units.append(Unit(name, k, unit, state, r))
    return units


def _state(layer: object) -> np.ndarray:
    traced = layer  # a LayerTrace, (T, B, H) views
    name = "c" if "c" in traced.slots else "h"  # type: ignore[attr-defined]
    return np.asarray(traced[name])  # type: ignore[index]


def _features(
    task_name: str, batch: object, valid: np.ndarray, task: object
) -> dict[str, np.ndarray]:
    """Per-step features (T, B) and the steps where they count (key ``_steps``)."""
    x, y = batch.x, batch.y  # type: ignore[attr-defined]
    if task_name == "brackets":
        return {"nesting depth": y.astype(float), "_steps": valid}
    if task_name == "france":
        T = x.shape[0]
        last = valid.sum(axis=0) - 1  # (B,) the step of "fluent"
        french = y[last, np.arange(x.shape[1])] == task.output_labels.index("french")  # type: ignore[attr-defined]
        after_country = (np.arange(T)[:, None] >= 4) & valid  # "i grew up in <country>" is 0..4
        return {
            "will say French": np.broadcast_to(french, (T, x.shape[1])).astype(float),
            "_steps": after_country,
        }
    if task_name == "text":
        symbols = np.array(task.encoder.vocabulary)[x.argmax(axis=-1)]  # type: ignore[attr-defined]
        column = np.zeros(x.shape[:2])
        quoted = np.zeros(x.shape[:2])
        inside = np.zeros(x.shape[1], bool)
        position = np.zeros(x.shape[1])
        for t in range(x.shape[0]):
            newline = symbols[t] == "\n"
            inside = np.where(newline, False, inside ^ np.isin(symbols[t], ["'", '"']))
            position = np.where(newline, 0, position + 1)
            column[t], quoted[t] = position, inside
        return {"column on the line": column, "inside quotes": quoted, "_steps": valid}
    return {}
