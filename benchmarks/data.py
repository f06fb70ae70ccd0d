"""Data: synthetic MNIST generation speed against what a training step consumes.

Generating one batch of the segmentation task (`SegmentationDataset.batch`, what
`Task.train_batches` calls) and one fx training step of PMG-11-seg on a batch of the same
size are timed in interleaved rounds; the report gives both rates in samples per second and
their ratio (how many times faster the generator is than training needs).
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import interleave, median
from benchmarks.nets import NETS, build, train_step

__all__ = ["run_data"]


def run_data(batch: int, rounds: int, warmup: int = 1, net_name: str = "PMG-11-seg") -> dict:
    """Samples/s of the generator and of the training step, and their ratio."""
    from mgdsl.data.synthetic import SegmentationDataset

    net = next(n for n in NETS if n.name == net_name)
    dataset = SegmentationDataset("train", 10_000)
    rng = np.random.default_rng(0)
    step = train_step(net, build(net, "fx"), batch)

    def generate() -> None:
        dataset.batch(rng.integers(0, len(dataset), batch))

    times = interleave({"generate": generate, "train": step.train}, rounds, warmup)
    gen_rate = batch / median(times["generate"])
    train_rate = batch / median(times["train"])
    return {"net": net_name, "batch": batch, "generate_samples_s": gen_rate,
            "train_samples_s": train_rate, "ratio": gen_rate / train_rate}
