"""`mgdsl train`'s default CPU configuration against the reference trained as a user would.

The allocator is fixed when a process starts, so this compares whole training processes,
alternated A B A B: A is `python -m mgdsl train PMG-11-seg --task mnist-seg` with its
defaults (it re-executes itself under jemalloc, see `mgdsl.train.runtime`), B is
`benchmarks/reference_train.py` under plain `python` (default allocator, NCHW). Both run
`steps` warm-up steps (A: its first epoch) and then `steps` timed steps; A's time per step is its second epoch's
`train_seconds` divided by its steps, B's the mean of its timed steps. Both include drawing
the batch. The report gives the median ratio A / B and A's GFLOP/s against the peak of a
large matmul measured in this (parent) process between the runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import interleave, median, peak_probe

__all__ = ["run_process", "clean_env"]

ROOT = Path(__file__).resolve().parents[1]
_DROP = ("LD_PRELOAD", "MALLOC_CONF", "GLIBC_TUNABLES", "MGDSL_ALLOCATOR",
         "MGDSL_ALLOCATOR_APPLIED", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def clean_env() -> dict[str, str]:
    """This environment without allocator or thread settings (what a user's shell has)."""
    return {k: v for k, v in os.environ.items() if k not in _DROP}


def _mgdsl_train(batch: int, steps: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="mgdsl-bench-train-") as out:
        cmd = [sys.executable, "-m", "mgdsl", "train", "PMG-11-seg", "--task", "mnist-seg",
               "--epochs", "2", "--iters-per-epoch", str(steps), "--batch-size", str(batch),
               "--eval-every", "0", "--no-progress", "--quiet", "--out", out]
        # epoch 1 (`steps` steps) is the warm-up; only epoch 2 is timed
        subprocess.run(cmd, cwd=ROOT, env=clean_env(), check=True, capture_output=True)
        rows = json.loads((Path(out) / "metrics.json").read_text())
    rows = rows["epochs"] if isinstance(rows, dict) else rows
    last = rows[-1]
    return {"step_s": last["train_seconds"] / steps}


def _reference_train(batch: int, warmup: int, steps: int) -> dict:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "reference_train.py"), "--batch",
           str(batch), "--warmup", str(warmup), "--steps", str(steps)]
    out = subprocess.run(cmd, cwd=ROOT, env=clean_env(), check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_process(batch: int, rounds: int, steps: int) -> dict:
    """Alternate the two training processes `rounds` times; return medians and the ratio."""
    from benchmarks.nets import NETS, step_flops

    peak_fn, peak_flops = peak_probe()
    results: dict[str, list[float]] = {"mgdsl": [], "reference": []}
    peaks: list[float] = []

    def mgdsl_run() -> None:
        results["mgdsl"].append(_mgdsl_train(batch, steps)["step_s"])

    def ref_run() -> None:
        results["reference"].append(_reference_train(batch, steps, steps)["step_s"])

    def peak_run() -> None:
        peaks.append(min(interleave({"mm": peak_fn}, 5, 1)["mm"]))

    interleave({"mgdsl": mgdsl_run, "peak": peak_run, "reference": ref_run}, rounds, 0)
    net = next(n for n in NETS if n.name == "PMG-11-seg")
    flops = step_flops(net, batch)
    peak = peak_flops / median(peaks)
    a, b = median(results["mgdsl"]), median(results["reference"])
    return {"net": net.name, "batch": batch, "steps": steps, "rounds": rounds,
            "mgdsl_step_s": results["mgdsl"], "reference_step_s": results["reference"],
            "ratio": a / b, "mgdsl_gflops": flops / a / 1e9,
            "reference_gflops": flops / b / 1e9, "peak_gflops": peak / 1e9,
            "mgdsl_peak_frac": flops / a / peak, "reference_peak_frac": flops / b / peak}
