"""Train the hand-written PMG-11-seg the way a PyTorch user would: plain eager, NCHW.

Run it with plain `python` (default allocator, no mgdsl runtime set-up). It draws the same
synthetic MNIST segmentation batches as `mgdsl train --task mnist-seg` (through
`Task.train_batches`, with its prefetch thread) and runs SGD with the paper's settings
(lr 0.1, momentum 0.9, weight decay 5e-4, mean BCE). Prints one JSON line: the mean step
time over `--steps` steps after `--warmup` steps, timed as `mgdsl train` times its own steps
(from drawing the batch to the end of the optimiser step).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    from benchmarks.reference import pmg_mnist
    from mgdsl.data.tasks import make_task
    from mgdsl.train.runtime import describe_allocator

    torch.manual_seed(0)
    model = pmg_mnist(num_classes=10).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    batches = make_task("mnist-seg").train_batches(args.batch, seed=0)
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        x, y = next(batches)
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy(model(x), y).backward()
        opt.step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"step_s": statistics.mean(times), "median_s": statistics.median(times),
                      "allocator": describe_allocator()}))


if __name__ == "__main__":
    main()
