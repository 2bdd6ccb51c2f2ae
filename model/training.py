"""Training a recurrent network on a task: batched BPTT, a loss, Adam, gradient clipping.

One optimizer step:

    batch        = task.sample(rng, B)                  x (T, B, D), y, mask (T, B)
    trace        = network.run(x)                       every gate of every step, batched
    z            = readout(trace.h)                     (T, B, O) logits or predictions
    loss, dz     = cross_entropy | mean_squared(z, y, mask)
    dh           = readout.backward(trace.h, dz)        (T, B, H)
    grads        = network.backward(trace, dh)          BPTT, every parameter
    grads        = clip_by_global_norm(grads, clip)
    parameters   = adam.step(parameters, grads)

Everything random comes from numpy Generators derived from one seed (weights, training
batches, held-out batches each from their own stream), so a run is exactly reproducible.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from model.layer import KINDS, Layer
from model.losses import LOSSES
from model.network import Network
from model.optim import Adam, clip_by_global_norm
from model.readout import Readout
from model.tasks.base import Batch, Task
from model.trace import Trace


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    hidden: int = 32  # units per layer
    layers: int = 1  # stacked recurrent layers
    steps: int = 2000  # optimizer steps
    batch: int = 32  # sequences per step
    lr: float = 1e-2  # Adam's step size
    clip: float | None = 1.0  # bound on the global gradient norm; None: no clipping
    seed: int = 0  # everything random derives from it
    eval_every: int = 100  # steps between evaluations on held-out data (for progress)
    eval_batches: int = 16  # held-out batches in the final evaluation
    linear_before_reset: bool = False  # GRU only: PyTorch's form instead of colah's
    forget_bias: float = 1.0  # initial bias toward keeping the state: LSTM +f and -i (Gers
    # et al. 2000; Tallec & Ollivier 2018), coupled -i, GRU -z; larger for longer lags


@dataclasses.dataclass(frozen=True)
class RecurrentModel:
    """A network and its readout: x (T, [B,] D) -> outputs (T, [B,] O)."""

    network: Network
    readout: Readout

    def run(self, x: np.ndarray) -> tuple[Trace, np.ndarray]:
        trace = self.network.run(x)
        return trace, self.readout(trace.h)

    def params(self) -> dict[str, np.ndarray]:
        """Every trainable array by a flat name: ``layer0.W_x``, …, ``readout.W_y``."""
        flat = {
            f"layer{k}.{name}": value
            for k, layer in enumerate(self.network.layers)
            for name, value in layer.params().items()
        }
        flat.update({f"readout.{name}": value for name, value in self.readout.params().items()})
        return flat

    def with_params(self, flat: dict[str, np.ndarray]) -> RecurrentModel:
        layers = [
            layer.with_params(**{name: flat[f"layer{k}.{name}"] for name in layer.params()})
            for k, layer in enumerate(self.network.layers)
        ]
        readout = Readout(flat["readout.W_y"], flat["readout.b_y"])
        return RecurrentModel(Network(layers), readout)


@dataclasses.dataclass(frozen=True)
class Progress:
    step: int  # steps done
    steps: int  # steps in all
    loss: float  # training loss of this step
    metric: float | None  # last held-out metric, if evaluated yet
    seconds: float  # since training started


@dataclasses.dataclass(frozen=True)
class TrainResult:
    model: RecurrentModel
    losses: list[float]  # training loss at every step
    metric: float  # the task's metric on fresh held-out batches after training
    seconds: float  # wall time of training (without the final evaluation)


def initial_model(task: Task, variant: str, config: TrainConfig) -> RecurrentModel:
    """Random weights for ``variant`` sized for ``task``; LSTM forget gates biased open."""
    if variant not in KINDS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(KINDS)}")
    rng = np.random.default_rng([config.seed, 0])
    network = Network.random(
        variant,
        task.input_size,
        config.hidden,
        num_layers=config.layers,
        seed=int(rng.integers(2**31)),
        linear_before_reset=config.linear_before_reset and variant == "gru",
    )
    network = Network([_remembering(layer, config.forget_bias) for layer in network.layers])
    readout = Readout.random(config.hidden, task.output_size, rng)
    return RecurrentModel(network, readout)


def _remembering(layer: Layer, bias: float) -> Layer:
    """Bias the gate that decides between keeping and overwriting the state toward keeping."""
    H = layer.hidden_size
    b = layer.b.copy()
    if layer.kind in ("lstm", "peephole"):  # GATES o, i, f, c_tilde: forget gate open and,
        b[2 * H : 3 * H] += bias  # as in chrono initialisation (Tallec & Ollivier 2018), the
        b[H : 2 * H] -= bias  # input gate mostly shut, so a kept cell is not filled with noise
    elif layer.kind == "coupled":  # GATES o, i, c_tilde; f = 1 - i: input gate mostly shut
        b[H : 2 * H] -= bias
    elif layer.kind == "gru":  # GATES z, r, h_tilde; h = (1 - z)·h + z·h_tilde: z mostly shut
        b[:H] -= bias
    else:
        return layer
    return layer.with_params(b=b)


def loss_and_gradients(
    model: RecurrentModel, loss: str, batch: Batch
) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """The batch's loss, the gradient of every parameter (flat names), and the outputs."""
    trace, z = model.run(batch.x)
    value, dz = LOSSES[loss](z, batch.y, batch.mask)
    readout_grads, dh = model.readout.backward(trace.h, dz)
    grads = model.network.backward(trace, dh, input_gradient=False)
    flat = {
        f"layer{k}.{name}": g for k, layer in enumerate(grads.params) for name, g in layer.items()
    }
    flat.update({f"readout.{name}": g for name, g in readout_grads.items()})
    return value, flat, z


def evaluate(
    model: RecurrentModel, task: Task, rng: np.random.Generator, batches: int, batch_size: int = 32
) -> float:
    """The task's metric averaged over fresh held-out batches."""
    held_out = getattr(task, "held_out", task.sample)
    scores = []
    for _ in range(batches):
        batch = held_out(rng, batch_size)
        _, z = model.run(batch.x)
        scores.append(task.metric(z, batch))
    return float(np.mean(scores))


def train(
    task: Task,
    variant: str,
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Train ``variant`` on ``task``; the same config and seed give the same weights."""
    model = initial_model(task, variant, config)
    batches = np.random.default_rng([config.seed, 1])  # training data
    held_out = np.random.default_rng([config.seed, 2])  # evaluation data, a separate stream
    adam = Adam(lr=config.lr)
    params = model.params()
    losses: list[float] = []
    metric: float | None = None
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
        value, grads, _ = loss_and_gradients(model, task.loss, task.sample(batches, config.batch))
        if not np.isfinite(value):
            raise FloatingPointError(f"the loss became {value} at step {step}")
        grads, _ = clip_by_global_norm(grads, config.clip)
        params = adam.step(params, grads)
        model = model.with_params(params)
        losses.append(value)
        if on_progress is not None:
            if step % config.eval_every == 0 or step == config.steps:
                metric = evaluate(model, task, np.random.default_rng([config.seed, 3, step]), 2)
            on_progress(Progress(step, config.steps, value, metric, time.perf_counter() - start))
    seconds = time.perf_counter() - start
    final = evaluate(model, task, held_out, config.eval_batches)
    return TrainResult(model, losses, final, seconds)
