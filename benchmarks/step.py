"""Training and inference steps: mgdsl's fx and emitted modules against the hand-written nets.

For every network of `benchmarks.nets.NETS`, the variants below are timed in interleaved
rounds in this process together with a large matmul (the machine's ceiling, see
`harness.peak_probe`), so each ratio and each fraction of the peak compares runs that saw the
same machine load:

* training (forward + backward + SGD step), NCHW: ``ref``, ``fx``, ``src``;
* fast paths: the same in ``channels_last``; optionally ``torch.compile`` of the fx module
  (its first-call compile time is reported separately);
* inference: eager ``ref`` in eval mode against ``fx`` with BN folded into the convs, in
  ``channels_last``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from benchmarks.harness import interleave, median, peak_probe
from benchmarks.nets import NETS, Net, build, step_flops, train_step

__all__ = ["StepConfig", "run_training", "run_inference"]


@dataclass
class StepConfig:
    """How much to measure: batch override (None = the paper's), rounds, warm-up rounds,
    the networks, and whether to include channels_last and torch.compile variants."""

    batch: int | None = None
    rounds: int = 5
    warmup: int = 1
    nets: list[str] = field(default_factory=lambda: [n.name for n in NETS])
    fast_nets: list[str] = field(default_factory=lambda: [n.name for n in NETS])
    compile: bool = False


def _nets(names: list[str]) -> list[Net]:
    return [n for n in NETS if n.name in names]


def run_training(cfg: StepConfig) -> list[dict]:
    """One row per network: median step times, ratios to ``ref``, GFLOP/s and % of the peak."""
    rows = []
    peak_fn, peak_flops = peak_probe()
    for net in _nets(cfg.nets):
        batch = cfg.batch or net.batch
        steps = {impl: train_step(net, build(net, impl), batch) for impl in ("ref", "fx", "src")}
        fns = {impl: s.train for impl, s in steps.items()}
        compile_s = None
        if net.name in cfg.fast_nets:
            for impl in ("ref", "fx", "src"):
                s = train_step(net, build(net, impl), batch, channels_last=True)
                fns[impl + "_cl"] = s.train
            if cfg.compile:
                s = train_step(net, build(net, "fx"), batch)
                s.model = torch.compile(s.model)
                t0 = time.perf_counter()
                s.train()
                compile_s = time.perf_counter() - t0
                fns["fx_compiled"] = s.train
        fns["peak"] = peak_fn
        times = interleave(fns, cfg.rounds, cfg.warmup)
        med = {k: median(v) for k, v in times.items()}
        flops = step_flops(net, batch)
        peak = peak_flops / med["peak"]
        row = {"net": net.name, "batch": batch, "step_flops": flops,
               "peak_gflops": peak / 1e9, "median_s": med, "compile_s": compile_s}
        for k, t in med.items():
            if k == "peak":
                continue
            row[f"{k}/ref"] = t / med["ref"]
            row[f"{k}_gflops"] = flops / t / 1e9
            row[f"{k}_peak_frac"] = flops / t / peak
        rows.append(row)
        del steps, fns
    return rows


def run_inference(cfg: StepConfig) -> list[dict]:
    """One row per network: eager eval ``ref`` vs ``fx`` eval, and fx with BN folded + NHWC."""
    rows = []
    for net in _nets(cfg.fast_nets):
        batch = cfg.batch or net.batch
        ref = train_step(net, build(net, "ref").eval(), batch)
        fx_eval = train_step(net, build(net, "fx").eval(), batch)
        fx_cl = train_step(net, build(net, "fx").eval(), batch, channels_last=True)
        folded = train_step(net, build(net, "fx", fold_bn=True), batch, channels_last=True)
        fns = {"ref": ref.infer, "fx": fx_eval.infer, "fx_cl": fx_cl.infer,
               "fx_fold_cl": folded.infer}
        times = interleave(fns, cfg.rounds, cfg.warmup)
        med = {k: median(v) for k, v in times.items()}
        row = {"net": net.name, "batch": batch, "median_s": med}
        for k, t in med.items():
            row[f"{k}/ref"] = t / med["ref"]
        rows.append(row)
    return rows
