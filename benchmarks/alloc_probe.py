"""Probe how the C allocator affects an eager CPU training step (used to tune mgdsl.train.runtime).

Runs forward + backward + SGD step of the hand-written PMG-11-seg reference at batch 64 with
`torch.set_num_threads(2)` and prints one JSON line: median step seconds, minor page faults per
step and the allocator in use. The allocator is chosen by the *caller's* environment
(LD_PRELOAD / GLIBC_TUNABLES), so alternate whole processes to compare, e.g.

    python benchmarks/alloc_probe.py                                   # glibc malloc
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 python benchmarks/alloc_probe.py
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=... \\
        python benchmarks/alloc_probe.py

`--compare` does that alternation itself (A B C A B C …) and prints a summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def run_probe(batch: int, steps: int, warmup: int, channels_last: bool, threads: int) -> dict:
    """Time `steps` training steps after `warmup` ones in this process; return the stats."""
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, str(ROOT))
    from benchmarks.reference import pmg_mnist
    from mgdsl.train.runtime import describe_allocator

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = pmg_mnist(num_classes=10)
    x = torch.randn(batch, 1, 64, 64)
    target = (torch.rand(batch, 10, 64, 64) > 0.9).float()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy(model(x), target)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    times, cpu, sys_cpu, faults = [], [], [], []
    for _ in range(steps):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        sys_cpu.append(r1.ru_stime - r0.ru_stime)
        faults.append(r1.ru_minflt - r0.ru_minflt)
    return {
        "allocator": describe_allocator(),
        "channels_last": channels_last,
        "batch": batch,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "times": [round(t, 4) for t in times],
        "cpu_s": statistics.median(cpu),
        "sys_s": statistics.median(sys_cpu),
        "minflt_per_step": int(statistics.median(faults)),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def compare(args: argparse.Namespace, configs: dict[str, dict[str, str]]) -> None:
    """Run each config as a fresh process, interleaved for `args.rounds` rounds; print medians."""
    results: dict[str, list[dict]] = {name: [] for name in configs}
    drop = ("LD_PRELOAD", "GLIBC_TUNABLES", "MALLOC_CONF")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    base["MGDSL_ALLOCATOR"] = "system"  # the probe must not re-exec itself
    cmd = [sys.executable, __file__, "--batch", str(args.batch), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--threads", str(args.threads)]
    if args.channels_last:
        cmd.append("--channels-last")
    for r in range(args.rounds):
        for name, extra in configs.items():
            out = subprocess.run(cmd, env={**base, **extra}, capture_output=True, text=True,
                                 check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            results[name].append(res)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps({"config": name, "round": r, **extra, **res}) + "\n")
            print(f"round {r} {name:10s} {res['median_s']:.3f}s cpu={res['cpu_s']:.2f}s "
                  f"sys={res['sys_s']:.2f}s "
                  f"minflt/step={res['minflt_per_step']} rss={res['max_rss_mb']}MB",
                  file=sys.stderr, flush=True)
    ref = statistics.median(x["median_s"] for x in results[next(iter(configs))])
    for name, rs in results.items():
        med = statistics.median(x["median_s"] for x in rs)
        flt = statistics.median(x["minflt_per_step"] for x in rs)
        cpu = statistics.median(x["cpu_s"] for x in rs)
        best = min(x["min_s"] for x in rs)
        print(f"{name:10s} median {med:.3f}s  x{ref / med:.2f} vs first  best step {best:.3f}s  "
              f"cpu {cpu:.2f}s  "
              f"minflt/step {flt:.0f}  allocator: {rs[0]['allocator']}")


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--compare", action="store_true",
                    help="alternate glibc / jemalloc / glibc-tunables processes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="append every process's JSON result to this file")
    ap.add_argument("--tunables", action="append", default=[],
                    help="GLIBC_TUNABLES value to include in --compare (repeatable)")
    ap.add_argument("--jemalloc-conf", action="append", default=[],
                    help="extra jemalloc config with this MALLOC_CONF in --compare (repeatable)")
    args = ap.parse_args()
    if args.compare:
        configs: dict[str, dict[str, str]] = {"glibc": {}}
        if os.path.exists(JEMALLOC):
            configs["jemalloc"] = {"LD_PRELOAD": JEMALLOC}
            for i, conf in enumerate(args.jemalloc_conf):
                configs[f"je{i}"] = {"LD_PRELOAD": JEMALLOC, "MALLOC_CONF": conf}
        for i, t in enumerate(args.tunables):
            configs[f"tun{i}"] = {"GLIBC_TUNABLES": t}
        compare(args, configs)
    else:
        res = run_probe(args.batch, args.steps, args.warmup, args.channels_last, args.threads)
        print(json.dumps(res))


if __name__ == "__main__":
    main()
