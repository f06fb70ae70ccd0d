"""Peak memory of a training step: mgdsl's modules against the hand-written reference.

Peak RSS is a per-process high-water mark, so every (network, implementation) runs in a
fresh child process: it builds the model and its batch, notes its RSS, runs a few training
steps and reports how far the peak rose above that RSS (activations, gradients, optimiser
state) as well as the whole process's peak. Children run with the default allocator and no
allocator settings (jemalloc without decay, as `mgdsl.train.runtime` configures it, keeps its
retained pages resident and hides the differences between the implementations).

RSS also counts pages glibc keeps after a free, which depend on how the heap happened to
fragment: fresh processes of one implementation differ by 10–20 %. So each child also
reports the **heap peak**: the most bytes malloc had handed out at any operator boundary of
one training step (`heap_in_use_bytes`, sampled by a dispatch mode before and after every
aten operator of forward and backward), above what was in use before the step. It counts
every tensor (activations, saved tensors, gradients) exactly and repeats to the byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from torch.utils._python_dispatch import TorchDispatchMode

from benchmarks.harness import heap_in_use_bytes

__all__ = ["measure_child", "run_memory", "HeapPeak"]

ROOT = Path(__file__).resolve().parents[1]


def measure_child(net_name: str, impl: str, batch: int, steps: int) -> dict:
    """In this process: build `impl` of `net_name`, run `steps` training steps, report the
    peak RSS growth, then the heap peak of one more step (see the module docstring)."""
    import torch

    from benchmarks.harness import peak_rss_mb, rss_mb
    from benchmarks.nets import NETS, build, train_step

    torch.set_num_threads(torch.get_num_threads())
    net = next(n for n in NETS if n.name == net_name)
    step = train_step(net, build(net, impl), batch)
    before = rss_mb()
    for _ in range(steps):
        step.train()
    peak = peak_rss_mb()
    heap = None
    if heap_in_use_bytes() is not None:
        start = heap_in_use_bytes()
        with HeapPeak() as probe:
            step.train()
        heap = (probe.peak - start) / 2**20
    return {"net": net_name, "impl": impl, "batch": batch, "rss_before_mb": before,
            "peak_mb": peak, "step_peak_mb": peak - before, "heap_step_peak_mb": heap}


class HeapPeak(TorchDispatchMode):
    """Records the highest `heap_in_use_bytes` seen around every aten operator run under it
    (only where that reading exists: glibc malloc, no preloaded allocator)."""

    def __init__(self) -> None:
        super().__init__()
        self.peak = heap_in_use_bytes() or 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.peak = max(self.peak, heap_in_use_bytes())
        out = func(*args, **(kwargs or {}))
        self.peak = max(self.peak, heap_in_use_bytes())
        return out


def run_memory(nets: list[str], batch: int | None, steps: int,
               impls: tuple[str, ...] = ("ref", "fx", "src")) -> list[dict]:
    """One row per network: the step's peak growth per implementation and the ratios."""
    from benchmarks.nets import NETS
    from benchmarks.process import clean_env

    rows = []
    for net in [n for n in NETS if n.name in nets]:
        b = batch or net.batch
        res = {}
        for impl in impls:
            cmd = [sys.executable, "-m", "benchmarks.memory", net.name, impl, str(b), str(steps)]
            out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True,
                                 env=clean_env())
            res[impl] = json.loads(out.stdout.strip().splitlines()[-1])
        row = {"net": net.name, "batch": b,
               **{f"{k}_step_peak_mb": v["step_peak_mb"] for k, v in res.items()},
               **{f"{k}_peak_mb": v["peak_mb"] for k, v in res.items()}}
        for k in impls:
            row[f"{k}/ref"] = res[k]["step_peak_mb"] / res["ref"]["step_peak_mb"]
            heap, ref_heap = res[k]["heap_step_peak_mb"], res["ref"]["heap_step_peak_mb"]
            row[f"{k}_heap_step_peak_mb"] = heap
            row[f"{k}/ref heap"] = heap / ref_heap if heap and ref_heap else None
        rows.append(row)
    return rows


if __name__ == "__main__":
    name, impl, batch, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(measure_child(name, impl, batch, steps)))
