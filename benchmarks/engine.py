"""µs per step of ``Network.run`` (recording every gate) against ONNX Runtime, same weights.

Both run in this process, interleaved (ours, ORT, ours, ORT, …) so that machine noise hits
both alike; the figure is the median over repetitions. Batch 1, float32, input size 64.
ONNX Runtime runs the same LSTM exported by ``model.onnx_export`` with its default threads
(one per core), spinning off.

    python benchmarks/engine.py [--kind lstm] [--sizes 32 128 512 1024] [--lengths 100 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import onnxruntime as ort

from model import KINDS, Network
from model.onnx_export import to_onnx

TARGETS = {32: None, 128: 2.0, 256: 2.0, 512: 1.0, 1024: 1.0}  # ratio ceilings from the issue


def measure(kind: str, H: int, T: int, budget: float) -> tuple[float, float, float]:
    """(ours µs/step, ORT µs/step, max |h difference|)."""
    net = Network.random(kind, 64, H, seed=0)
    x = np.random.default_rng(0).standard_normal((T, 64)).astype(np.float32)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # ORT's pool threads spin after each run by default, taking the core our loop runs on
    # in the interleaved timing; without spinning each side gets the machine to itself.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(to_onnx(net), options, providers=["CPUExecutionProvider"])
    feed = {"X": x[:, None, :]}
    ours_h = net.run(x).h
    theirs_h = session.run(["Y"], feed)[0][:, 0, :]
    difference = float(np.abs(ours_h - theirs_h).max())

    def ours() -> None:
        net.run(x)

    def theirs() -> None:
        session.run(["Y"], feed)

    for _ in range(3):  # warm up caches, the prepared weights, ORT's arenas
        ours()
        theirs()
    start = time.perf_counter()
    ours()
    theirs()
    pair = time.perf_counter() - start
    repetitions = max(5, min(400, int(budget / max(pair, 1e-9))))
    times: dict[str, list[float]] = {"ours": [], "ort": []}
    for _ in range(repetitions):
        for name, run in (("ours", ours), ("ort", theirs)):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    per_step = {name: statistics.median(t) / T * 1e6 for name, t in times.items()}
    return per_step["ours"], per_step["ort"], difference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", default="lstm", choices=list(KINDS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512, 1024])
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per configuration")
    args = parser.parse_args()
    print(
        f"# {args.kind}, float32, batch 1, D=64; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, onnxruntime {ort.__version__}"
    )
    print("| H | T | ours µs/step | ORT µs/step | ratio | target | max abs diff h |")
    print("|---|---|---|---|---|---|---|")
    for H in args.sizes:
        for T in args.lengths:
            ours, theirs, difference = measure(args.kind, H, T, args.budget)
            target = TARGETS.get(H)
            mark = (
                ""
                if target is None
                else (f"≤ {target:.1f}×" + (" ✓" if ours / theirs <= target else " ✗"))
            )
            print(
                f"| {H} | {T} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f}× | {mark} "
                f"| {difference:.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
