"""Training steps per second of our NumPy training step against PyTorch CPU, same architecture.

Our step is exactly what ``model.training.train`` does per step: ``loss_and_gradients`` with
cross-entropy, ``clip_by_global_norm(grads, 1.0)``, ``Adam.step``, ``model.with_params``. The
reference is torch.nn.LSTM / GRU / RNN plus an nn.Linear readout, CrossEntropyLoss,
``clip_grad_norm_(1.0)`` and torch.optim.Adam at the same learning rate, float32, two threads,
started from a copy of our initial weights (so the first losses must agree: a check that the
architectures are the same; a GRU is built in torch's form, ``linear_before_reset=True``).

The batch is synthetic and fixed: one-hot inputs over V symbols, random targets, full mask, so
both sides memorise it and their losses fall over the timed steps (printed as a sanity check).
Both run in this process, interleaved in blocks of time (¼ s of our steps, ¼ s of torch's,
again, …) so that machine noise hits both alike, with a pause before every block so that
neither is timed while the other's thread pool still spins; the figure is the median step.
peephole and coupled have no torch counterpart: only our figures are printed for them, as they
are when torch is not installed. Like ``lstm-lens train``, the benchmark first asks glibc to
keep freed memory (app/allocator.py): our step allocates ~16 MB of temporaries at V=65, H=128,
which glibc would otherwise hand back to the kernel and map afresh every step;
``--glibc-defaults`` measures the step without that. Also printed: the minor page faults per
step of each side, and with ``--phases`` the time of each phase of our step.

    python benchmarks/train.py [--kind lstm] [--configs 65x128 8x16] [--length 50]
                               [--batch 32] [--budget 10] [--phases] [--glibc-defaults]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from typing import Any, cast

import numpy as np

from app.allocator import keep_freed_memory
from model.cells import CELLS
from model.layer import KINDS
from model.losses import LOSSES
from model.optim import Adam, clip_by_global_norm
from model.tasks.base import Batch, Task
from model.training import RecurrentModel, TrainConfig, initial_model, loss_and_gradients

TARGET = 2.0  # our step may take at most twice as long as torch's
CONFIGS = ["65x128", "8x16"]  # V x H: the notes' char model, and one the size of our tasks
TORCH_ROWS = {  # our gate name -> row block of torch's weight_ih / weight_hh / biases
    "lstm": {"i": 0, "f": 1, "c_tilde": 2, "o": 3},
    "gru": {"r": 0, "z": 1, "h_tilde": 2},
    "rnn": {"h": 0},
}
PAUSE = 0.1  # seconds before every block: OpenBLAS's and torch's pools spin a while after work
BLOCK = 0.25  # seconds of steps per block (at least one step)
WARMUP = 5  # untimed steps per side before timing


def _load_torch() -> Any | None:
    try:
        import torch
    except ImportError:  # the project's own venv has no torch: our figures only
        return None
    return torch


torch: Any = _load_torch()


class _Sizes:
    """What ``initial_model`` reads of a task: its input and output sizes."""

    def __init__(self, V: int) -> None:
        self.input_size = V
        self.output_size = V


def synthetic_batch(V: int, T: int, B: int, seed: int = 0) -> Batch:
    """One-hot inputs over V symbols, random targets, every step counted."""
    rng = np.random.default_rng(seed)
    x = np.eye(V, dtype=np.float32)[rng.integers(V, size=(T, B))]  # (T, B, V)
    y = rng.integers(V, size=(T, B)).astype(np.int64)
    return Batch(x, y, np.ones((T, B), dtype=bool))


class Ours:
    """Our training step, as ``model.training.train`` takes it."""

    def __init__(self, model: RecurrentModel, batch: Batch, config: TrainConfig) -> None:
        self.model, self.batch, self.clip = model, batch, config.clip
        self.adam = Adam(lr=config.lr)
        self.params = model.params()
        self.losses: list[float] = []

    def __call__(self) -> None:
        value, grads, _ = loss_and_gradients(self.model, "cross_entropy", self.batch)
        if not np.isfinite(value):
            raise FloatingPointError(f"our loss became {value}")
        grads, _ = clip_by_global_norm(grads, self.clip)
        self.params = self.adam.step(self.params, grads)
        self.model = self.model.with_params(self.params)
        self.losses.append(value)


class Torch:
    """The same network in torch, started from a copy of our weights."""

    def __init__(self, model: RecurrentModel, batch: Batch, config: TrainConfig) -> None:
        assert torch is not None
        layer = model.network.layers[0]
        kind, D, H = layer.kind, layer.input_size, layer.hidden_size
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
        self.rnn = module(D, H)
        self.linear = torch.nn.Linear(H, model.readout.W_y.shape[1])
        state = {name: np.zeros(tuple(p.shape), np.float32)
                 for name, p in self.rnn.state_dict().items()}  # fmt: skip
        rows = TORCH_ROWS[kind]
        for k, gate in enumerate(CELLS[kind].GATES):
            ours, theirs = slice(k * H, (k + 1) * H), slice(rows[gate] * H, (rows[gate] + 1) * H)
            sign = -1 if gate == "z" else 1  # torch: h' = (1 - z) n + z h; ours the other way
            state["weight_ih_l0"][theirs] = sign * layer.W_x[:, ours].T
            state["weight_hh_l0"][theirs] = sign * layer.W_h[:, ours].T
            state["bias_ih_l0"][theirs] = sign * layer.b[ours]
        if layer.b_hn is not None:  # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            block = rows["h_tilde"]
            state["bias_hh_l0"][block * H : (block + 1) * H] = layer.b_hn
        self.rnn.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
        self.linear.load_state_dict(
            {
                "weight": torch.from_numpy(np.ascontiguousarray(model.readout.W_y.T)),
                "bias": torch.from_numpy(model.readout.b_y.copy()),
            }
        )
        self.parameters = [*self.rnn.parameters(), *self.linear.parameters()]
        self.optimizer = torch.optim.Adam(self.parameters, lr=config.lr)
        self.loss = torch.nn.CrossEntropyLoss()
        self.clip = config.clip
        self.x = torch.from_numpy(batch.x)
        self.y = torch.from_numpy(batch.y.reshape(-1))
        self.losses: list[float] = []

    def __call__(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        out, _ = self.rnn(self.x)  # (T, B, H)
        z = self.linear(out)  # (T, B, V)
        loss = self.loss(z.reshape(-1, z.shape[-1]), self.y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, self.clip)
        self.optimizer.step()
        self.losses.append(float(loss.item()))


def _setup(kind: str, V: int, H: int, T: int, B: int) -> tuple[RecurrentModel, Batch, TrainConfig]:
    config = TrainConfig(hidden=H, batch=B, linear_before_reset=kind == "gru")
    model = initial_model(cast(Task, _Sizes(V)), kind, config)
    return model, synthetic_batch(V, T, B), config


def _faults() -> int:
    """Minor page faults of this process so far (fresh memory being mapped in)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(
    kind: str, V: int, H: int, T: int, B: int, budget: float, pause: float = PAUSE
) -> dict[str, Any]:
    """Median seconds per step of every side, and each side's losses over the timed steps."""
    model, batch, config = _setup(kind, V, H, T, B)
    steps: dict[str, Ours | Torch] = {"ours": Ours(model, batch, config)}
    if torch is not None and kind in TORCH_ROWS:
        steps["torch"] = Torch(model, batch, config)
    for step in steps.values():  # warm up caches, allocators, torch's kernels
        for _ in range(WARMUP):
            step()
    first = {name: step.losses[0] for name, step in steps.items()}  # the same weights: equal
    rounds = max(3, int(budget / (len(steps) * (pause + BLOCK))))
    times: dict[str, list[float]] = {name: [] for name in steps}
    faults = dict.fromkeys(steps, 0)
    timed_from = {name: len(step.losses) for name, step in steps.items()}
    for _ in range(rounds):
        for name, step in steps.items():
            time.sleep(pause)
            before = _faults()
            deadline = time.perf_counter() + BLOCK  # blocks of time, not of steps: each side
            while True:  # gets the same share of the noise, and the budget holds when slow
                start = time.perf_counter()
                step()
                end = time.perf_counter()
                times[name].append(end - start)
                if end >= deadline:
                    break
            faults[name] += _faults() - before
    return {
        "seconds": {name: statistics.median(t) for name, t in times.items()},
        "faults": {name: faults[name] / len(t) for name, t in times.items()},
        "losses": {name: step.losses[timed_from[name] :] for name, step in steps.items()},
        "first": first,
    }


PHASES = (
    "forward (network.run)",
    "readout",
    "loss",
    "readout backward",
    "backward (network.backward)",
    "clip_by_global_norm",
    "adam.step",
    "with_params",
)


def phases(kind: str, V: int, H: int, T: int, B: int, repeats: int) -> dict[str, float]:
    """Median ms of each phase of our step, the phases of ``loss_and_gradients`` spelt out."""
    model, batch, config = _setup(kind, V, H, T, B)
    adam, params = Adam(lr=config.lr), model.params()
    clock = time.perf_counter
    times: dict[str, list[float]] = {name: [] for name in (*PHASES, "whole step")}
    for repeat in range(WARMUP + repeats):
        marks = [clock()]
        trace = model.network.run(batch.x)
        marks.append(clock())
        z = model.readout(trace.h)
        marks.append(clock())
        _, dz = LOSSES["cross_entropy"](z, batch.y, batch.mask)
        marks.append(clock())
        readout_grads, dh = model.readout.backward(trace.h, dz)
        marks.append(clock())
        grads = model.network.backward(trace, dh)
        flat = {
            f"layer{k}.{n}": g for k, layer in enumerate(grads.params) for n, g in layer.items()
        }
        flat.update({f"readout.{n}": g for n, g in readout_grads.items()})
        marks.append(clock())
        flat, _ = clip_by_global_norm(flat, config.clip)
        marks.append(clock())
        params = adam.step(params, flat)
        marks.append(clock())
        model = model.with_params(params)
        marks.append(clock())
        if repeat >= WARMUP:
            for name, begin, end in zip(PHASES, marks, marks[1:], strict=False):
                times[name].append(end - begin)
            times["whole step"].append(marks[-1] - marks[0])
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def _trend(losses: list[float]) -> tuple[float, float, bool]:
    """Mean loss of the first and the last tenth of the timed steps, and whether it fell."""
    n = max(1, len(losses) // 10)
    head, tail = float(np.mean(losses[:n])), float(np.mean(losses[-n:]))
    return head, tail, tail < head


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--kind", default="lstm", choices=list(KINDS))
    parser.add_argument(
        "--configs", nargs="+", default=CONFIGS, help="VxH: symbols (inputs = outputs) x units"
    )
    parser.add_argument("--length", type=int, default=50, help="T, steps per sequence")
    parser.add_argument("--batch", type=int, default=32, help="B, sequences per batch")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per configuration")
    parser.add_argument("--pause", type=float, default=PAUSE, help="seconds before every block")
    parser.add_argument(
        "--phases", action="store_true", help="also time each phase of our step (ms, medians)"
    )
    parser.add_argument(
        "--glibc-defaults",
        action="store_true",
        help="leave glibc's allocator as it is (freed memory returned to the kernel every step)",
    )
    args = parser.parse_args()
    before = _load()
    sizes = [tuple(int(n) for n in c.lower().split("x")) for c in args.configs]
    T, B = args.length, args.batch
    if torch is not None:
        torch.set_num_threads(2)
        reference = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    else:
        reference = "torch absent (not importable): our figures only"
    if torch is not None and args.kind not in TORCH_ROWS:
        reference += f"; no torch counterpart of {args.kind}: our figures only"
    if not args.glibc_defaults:
        reference += "; " + keep_freed_memory()
    print(
        f"# {args.kind} training step (cross-entropy, clip 1.0, Adam), float32, T={T}, B={B}; "
        f"{os.cpu_count()} CPUs ({platform.machine()}), numpy {np.__version__}, {reference}"
    )
    print(
        "| V | H | ours ms/step | ours steps/s | torch ms/step | torch steps/s | ratio | target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    sanity, fell, gaps, faults = [], [], [], []
    for V, H in sizes:
        r = measure(args.kind, V, H, T, B, args.budget, args.pause)
        ours = r["seconds"]["ours"]
        torch_cells, ratio_cells = "— | —", "— | —"
        if "torch" in r["seconds"]:
            theirs = r["seconds"]["torch"]
            ratio = ours / theirs
            verdict = "met" if ratio <= TARGET else "missed"
            torch_cells = f"{theirs * 1e3:.2f} | {1 / theirs:.0f}"
            ratio_cells = f"{ratio:.2f}× | ≤ {TARGET:.0f}× {verdict}"
        print(
            f"| {V} | {H} | {ours * 1e3:.2f} | {1 / ours:.0f} | {torch_cells} | {ratio_cells} |",
            flush=True,
        )
        trends = {name: _trend(losses) for name, losses in r["losses"].items()}
        fell += [down for _, _, down in trends.values()]
        sanity.append(
            f"V={V} H={H} "
            + ", ".join(
                f"{name} {head:.2f} → {tail:.2f} in {len(r['losses'][name])}"
                for name, (head, tail, _) in trends.items()
            )
        )
        faults.append(
            f"V={V} H={H} " + ", ".join(f"{name} {n:.0f}" for name, n in r["faults"].items())
        )
        if "torch" in r["first"]:
            gaps.append(abs(r["first"]["ours"] - r["first"]["torch"]))
    sides = "both losses" if gaps else "our losses"
    agree = f"; first-step losses agree within {max(gaps):.0e}" if gaps else ""
    print(
        f"\nSanity: {sides} {'decrease' if all(fell) else 'do NOT all decrease'} over the timed "
        f"steps (mean of the first → last tenth of them): {'; '.join(sanity)}{agree}"
    )
    print(f"Minor page faults per timed step: {'; '.join(faults)}")
    assert not gaps or max(gaps) < 1e-4, "ours and torch start from different losses"
    if args.phases:
        print("\n# Our step by phase, ms (medians)")
        for V, H in sizes:
            timings = phases(args.kind, V, H, T, B, repeats=50)
            print(f"\nV={V} H={H}\n| phase | ms | share |\n|---|---|---|")
            whole = timings["whole step"]
            for name, ms in timings.items():
                print(f"| {name} | {ms:.3f} | {ms / whole:.0%} |")
    print(f"\nLoad average (1, 5, 15 min) before: {before}; after: {_load()}")


if __name__ == "__main__":
    main()
