"""``lstm-lens train`` and ``lstm-lens models``: train one model, or every shipped one.

    lstm-lens train TASK --variant VARIANT [--hidden N] [--steps N] [--seed N] [--option k=v]
    lstm-lens models [--out DIR] [--jobs N] [--only TASK ...]

Progress goes to stderr: a bar with the step, the training loss, the last held-out metric
and the time left; the final line is the metric on fresh held-out data.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from app.allocator import keep_freed_memory

DEFAULT_OUT = "trained"
SHIPPED_OUT = Path(__file__).resolve().parent.parent / "model" / "trained"


def add_commands(subparsers: Any) -> None:
    from model.recipes import RECIPES, VARIANTS

    train = subparsers.add_parser("train", help="train one model on a task")
    train.add_argument("task", choices=list(RECIPES))
    train.add_argument("--variant", required=True, choices=list(VARIANTS))
    train.add_argument("--hidden", type=_positive, help="units per layer (task default)")
    train.add_argument("--layers", type=_positive, help="stacked layers (default 1)")
    train.add_argument("--steps", type=_positive, help="optimizer steps (task default)")
    train.add_argument("--batch", type=_positive, help="sequences per step (default 32)")
    train.add_argument("--lr", type=_learning_rate, help="Adam's learning rate (task default)")
    train.add_argument("--seed", type=_seed, default=0, help="seed of every random draw (≥ 0)")
    train.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE",
        help="a task option, e.g. p=20 for lag (repeatable)",
    )  # fmt: skip
    train.add_argument("--out", default=DEFAULT_OUT, help=f"directory (default ./{DEFAULT_OUT})")
    train.set_defaults(handler=_cmd_train)

    models = subparsers.add_parser("models", help="retrain every shipped model (make models)")
    models.add_argument("--out", default=str(SHIPPED_OUT), help="directory (default model/trained)")
    models.add_argument("--jobs", type=_positive, default=2, help="trainings at once (default 2)")
    models.add_argument("--only", nargs="+", choices=list(RECIPES), help="only these tasks")
    models.add_argument("--variants", nargs="+", choices=list(VARIANTS), help="only these")
    models.set_defaults(handler=_cmd_models)

    results = subparsers.add_parser("results", help="write docs/results.md from the models")
    results.add_argument("--models", default=str(SHIPPED_OUT), help="directory of models")
    results.add_argument("--out", default=str(SHIPPED_OUT.parent.parent / "docs" / "results.md"))
    results.set_defaults(handler=_cmd_results)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _learning_rate(value: str) -> float:
    rate = float(value)
    if not 0 < rate <= 1:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return rate


def _seed(value: str) -> int:
    seed = int(value)
    if seed < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {seed}")
    return seed


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``["p=20", "length=50"]`` -> ``{"p": 20, "length": 50}`` (ints, floats, else strings)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--option takes KEY=VALUE, got {pair!r}")
        value: Any = raw
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                pass
        options[key] = value
    return options


def _cmd_train(args: argparse.Namespace) -> int:
    from model.recipes import RECIPES, train_and_save

    keep_freed_memory()
    base = RECIPES[args.task].config
    changes = {k: getattr(args, k) for k in ("hidden", "layers", "steps", "batch", "lr")}
    config = dataclasses.replace(
        base, seed=args.seed, **{k: v for k, v in changes.items() if v is not None}
    )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot write to --out {out}: {error.strerror or error}") from None
    from model.tasks import make_task

    options = parse_options(args.option)
    bar = ProgressBar(sys.stderr, make_task(args.task, **options).metric_name)
    path, result = train_and_save(args.task, args.variant, out, config, options, bar.update)
    bar.finish()
    print(
        f"{path.name}: held-out metric {result.metric:.4f} after {config.steps} steps "
        f"({result.seconds:.0f} s); saved {path}.npz and {path}.json"
    )
    return 0


def _train_one(job: tuple[str, str, dict[str, Any], str]) -> str:
    from model.recipes import train_and_save

    task, variant, options, out = job
    keep_freed_memory()
    start = time.perf_counter()
    path, result = train_and_save(task, variant, out, options=options)
    return f"{path.name}: metric {result.metric:.4f} ({time.perf_counter() - start:.0f} s)"


def _cmd_models(args: argparse.Namespace) -> int:
    from model.recipes import RECIPES, VARIANTS

    jobs = [
        (task, variant, options, args.out)
        for task, recipe in RECIPES.items()
        if not args.only or task in args.only
        for options in recipe.shipped
        for variant in VARIANTS
        if not args.variants or variant in args.variants
    ]
    print(f"training {len(jobs)} models into {args.out}, {args.jobs} at a time", file=sys.stderr)
    # Each worker is a fresh interpreter with one BLAS thread: jobs share the cores instead
    # of fighting over them (the variable must be set before the worker imports NumPy).
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        for line in pool.map(_train_one, jobs):
            print(line, flush=True)
    return 0


def _cmd_results(args: argparse.Namespace) -> int:
    from model.results import markdown

    Path(args.out).write_text(markdown(Path(args.models)))
    print(f"wrote {args.out}")
    return 0


class ProgressBar:
    """``step 500/2000 [#####.....] loss 0.123 held-out accuracy 0.95 ETA 1:20``, one line."""

    WIDTH = 24

    def __init__(self, stream: TextIO, metric_name: str = "metric") -> None:
        self.stream = stream
        self.metric_name = metric_name
        self.interactive = stream.isatty()
        self.last_print = 0.0

    def update(self, progress: Any) -> None:
        now = time.perf_counter()
        done = progress.step == progress.steps
        if not done and now - self.last_print < (0.1 if self.interactive else 5.0):
            return
        self.last_print = now
        filled = int(self.WIDTH * progress.step / progress.steps)
        rate = progress.seconds / progress.step
        left = int(rate * (progress.steps - progress.step))
        metric = (
            "" if progress.metric is None else f" held-out {self.metric_name} {progress.metric:.3f}"
        )
        line = (
            f"step {progress.step}/{progress.steps} [{'#' * filled}{'.' * (self.WIDTH - filled)}]"
            f" loss {progress.loss:.4f}{metric} ETA {left // 60}:{left % 60:02d}"
        )
        self.stream.write(("\r" + line) if self.interactive else (line + "\n"))
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
