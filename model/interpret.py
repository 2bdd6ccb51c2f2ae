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

from model.encoders import OneHotEncoder
from model.model_file import SavedModel
from model.tasks import make_task
from model.tasks.base import Batch, Task
from model.trace import LayerTrace

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


def _state(layer: LayerTrace) -> np.ndarray:
    return np.asarray(layer["c"] if "c" in layer.slots else layer["h"])  # (T, B, H)


def _features(task_name: str, batch: Batch, valid: np.ndarray, task: Task) -> dict[str, np.ndarray]:
    """Per-step features (T, B) and the steps where they count (key ``_steps``)."""
    x, y = batch.x, batch.y
    if task_name == "brackets":
        return {"nesting depth": y.astype(float), "_steps": valid}
    if task_name == "france":
        T, B = x.shape[:2]
        last = valid.sum(axis=0) - 1  # (B,) the step of "fluent"
        french = y[last, np.arange(B)] == task.output_labels.index("french")
        after_country = (np.arange(T)[:, None] >= 4) & valid  # "i grew up in <country>": 0..4
        return {
            "will say French": np.broadcast_to(french, (T, B)).astype(float),
            "_steps": after_country,
        }
    if task_name == "text" and isinstance(task.encoder, OneHotEncoder):
        return _text_features(np.array(task.encoder.vocabulary)[x.argmax(axis=-1)], valid)
    return {}


def _text_features(symbols: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Column, indentation and "inside quotes" of every character (T, B), counted from the
    first newline of each window: before it, where a line starts is unknown."""
    T, B = symbols.shape
    column, indent, quoted = np.zeros((T, B)), np.zeros((T, B)), np.zeros((T, B))
    seen_newline = np.zeros(B, bool)
    known = np.zeros((T, B), bool)
    position, leading, inside = np.zeros(B), np.zeros(B), np.zeros(B, bool)
    at_line_start = np.zeros(B, bool)
    for t in range(T):
        newline = symbols[t] == "\n"
        space = symbols[t] == " "
        position = np.where(newline, 0, position + 1)
        at_line_start = np.where(newline, True, at_line_start & space)
        leading = np.where(newline, 0, np.where(at_line_start, leading + space, leading))
        inside = np.where(newline, False, inside ^ np.isin(symbols[t], ["'", '"']))
        column[t], indent[t], quoted[t] = position, leading, inside
        known[t] = seen_newline
        seen_newline |= newline
    steps = valid & known
    return {
        "column on the line": column,
        "indentation": indent,
        "inside quotes": quoted,
        "_steps": steps,
    }
