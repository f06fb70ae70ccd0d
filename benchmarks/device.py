"""Training step on an accelerator: the fast paths that matter on a GPU.

On a GPU these networks are launch-bound in eager mode (hundreds of small kernels per
step), so what counts there is precision, memory format, compilation and CUDA graphs. For
each network the fx module is timed, in interleaved rounds, as

* ``eager_fp32``: eager, float32, NCHW;
* ``bf16_cl``: eager, bf16 autocast + `channels_last`;
* ``compiled_bf16_cl``: `torch.compile` (default mode) of the same (with `--compile`);
* ``cuda_graphs_bf16_cl``: `torch.compile(mode="reduce-overhead")`, which replays the
  step's kernels as CUDA graphs (CUDA only, with `--compile`);

beside a large matmul in float32 (TF32 on CUDA when cuDNN uses TF32 for the float32
convolutions, its default) and in bf16 as the device's ceilings. Each call runs
`steps` training steps and waits for the device, so launch overhead is inside the time.
Reported per variant: images/s, model TFLOP/s (6 x MACs x batch per step) and the model-
FLOPs utilisation against the matmul of the variant's precision measured in the same
rounds, plus the first-call compile time. `cudnn.benchmark` is on for CUDA. On the CPU the
same code runs (without CUDA graphs), which is how the test suite checks it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from benchmarks.harness import interleave, median
from benchmarks.nets import NETS, build, random_batch, step_flops, task_loss

__all__ = ["VARIANTS", "matmul_probe", "make_step", "run_device"]

VARIANTS = ("eager_fp32", "bf16_cl", "compiled_bf16_cl", "cuda_graphs_bf16_cl")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_probe(device: torch.device, dtype: torch.dtype, size: int,
                 tf32: bool = False) -> tuple[Callable[[], None], float]:
    """A `size`³ matmul in `dtype` on `device`, waited for: (function, FLOPs per call).
    `tf32`: let a float32 matmul use TF32 tensor cores, as cuDNN's convolutions do by default."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    c = torch.empty(size, size, device=device, dtype=dtype)
    flags = torch.backends.cuda.matmul

    def run() -> None:
        before, flags.allow_tf32 = flags.allow_tf32, tf32
        try:
            torch.mm(a, b, out=c)
        finally:
            flags.allow_tf32 = before
        _sync(device)

    run()
    return run, 2.0 * size**3


def make_step(net, device: torch.device, batch: int, variant: str, steps: int) -> Callable[[], None]:
    """A function running `steps` SGD steps of `net`'s fx module as `variant`, then waiting
    for the device (the first call compiles, for the compiled variants)."""
    model = build(net, "fx").to(device)
    x, target = (t.to(device) for t in random_batch(net, batch))
    amp = variant != "eager_fp32"
    if amp:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if variant == "compiled_bf16_cl":
        model = torch.compile(model)
    elif variant == "cuda_graphs_bf16_cl":
        model = torch.compile(model, mode="reduce-overhead")
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def one() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(x)
        task_loss(net.kind, out.float(), target).backward()  # float32, outside autocast
        opt.step()

    def run() -> None:
        for _ in range(steps):
            one()
        _sync(device)

    return run


def run_device(nets: list[str], device: str, *, batch: int | None = None, rounds: int = 5,
               warmup: int = 1, steps: int = 10, compile: bool = False,
               matmul_size: int | None = None) -> list[dict]:
    """One row per network: images/s, TFLOP/s and MFU per variant (see the module docstring)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    size = matmul_size or (8192 if dev.type == "cuda" else 2048)
    # float32 convolutions run on TF32 tensor cores when cuDNN allows it (its default), so
    # their ceiling is a TF32 matmul; a strict-float32 ceiling gave "MFU" over 100 %
    tf32 = dev.type == "cuda" and torch.backends.cudnn.allow_tf32
    probes = {"peak_fp32": matmul_probe(dev, torch.float32, size, tf32=tf32),
              "peak_bf16": matmul_probe(dev, torch.bfloat16, size)}
    variants = ["eager_fp32", "bf16_cl"]
    if compile:
        variants.append("compiled_bf16_cl")
        if dev.type == "cuda":
            variants.append("cuda_graphs_bf16_cl")
    rows = []
    for net in [n for n in NETS if n.name in nets]:
        b = batch or net.batch
        fns: dict[str, Callable[[], None]] = {}
        compile_s: dict[str, float] = {}
        for variant in variants:
            fn = make_step(net, dev, b, variant, steps)
            if variant.startswith(("compiled", "cuda_graphs")):
                t0 = time.perf_counter()
                fn()  # compiles (and for CUDA graphs, records) on the first steps
                compile_s[variant] = time.perf_counter() - t0
            fns[variant] = fn
        fns.update({k: v[0] for k, v in probes.items()})
        med = {k: median(v) for k, v in interleave(fns, rounds, warmup).items()}
        flops = step_flops(net, b) * steps
        peak = {k: probes[k][1] / med[k] for k in probes}
        row = {"net": net.name, "batch": b, "device": str(dev), "steps_per_call": steps, "tf32": tf32,
               "peak_fp32_tflops": peak["peak_fp32"] / 1e12,
               "peak_bf16_tflops": peak["peak_bf16"] / 1e12, "compile_s": compile_s}
        for variant in variants:
            t = med[variant]
            ceiling = peak["peak_fp32" if variant == "eager_fp32" else "peak_bf16"]
            row[variant] = {"images_s": b * steps / t, "tflops": flops / t / 1e12,
                            "mfu": flops / t / ceiling}
        rows.append(row)
        del fns
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    return rows
