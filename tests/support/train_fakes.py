"""Tiny stand-ins for a task, a network and metrics, shared by the training tests.

`FakeSegTask` and `FakeClsTask` follow the `mgdsl.data.tasks.Task` interface: the batch of
stream position ``s`` depends only on (seed, rank, world_size, s). `fake_metrics` is a
minimal metrics factory, so the loop tests do not depend on the data package. The tests at
the bottom check the fakes keep that contract (the resume tests rely on it).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

pytestmark = pytest.mark.torch  # imports torch


def _generator(*key: int) -> torch.Generator:
    seed = 0
    for k in key:
        seed = (seed * 1_000_003 + int(k) + 1) % (2**62)
    return torch.Generator().manual_seed(seed)


class _FakeTask:
    """What both fakes share: the batch streams, drawn by each fake's `_batch`; the fixed
    test set comes from `test_seed`."""

    test_seed: int
    test_size: int
    poison_at: int | None = None  # a stream position from which inputs are NaN

    def train_batches(self, batch_size, *, seed, rank=0, world_size=1, start_step=0):
        """Endless (x, y) batches; position s depends only on (seed, rank, world_size, s)."""
        step = start_step
        while True:
            x, y = self._batch(_generator(seed, rank, world_size, step), batch_size)
            if self.poison_at is not None and step >= self.poison_at:
                x = torch.full_like(x, float("nan"))
            yield x, y
            step += 1

    def test_batches(self, batch_size, limit=None):
        """The fixed test set, `limit` samples at most."""
        total = self.test_size if limit is None else min(limit, self.test_size)
        gen = _generator(self.test_seed)
        done = 0
        while done < total:
            n = min(batch_size, total - done)
            yield self._batch(gen, n)
            done += n


class FakeSegTask(_FakeTask):
    """Segmentation: 2 output channels, 'bright' and 'dark' pixels of a 1×16×16 input."""

    name = "fake-seg"
    kind = "segmentation"
    input_shape = (1, 16, 16)
    num_outputs = 2
    train_size = 10_000
    test_seed = 12345

    def __init__(self, test_size: int = 48, poison_at: int | None = None) -> None:
        self.test_size = test_size
        self.poison_at = poison_at  # a stream position whose input is NaN

    def _batch(self, gen: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(n, 1, 16, 16, generator=gen)
        bright = (x > 0.5).float()
        return x, torch.cat([bright, 1 - bright], dim=1)


class FakeClsTask(_FakeTask):
    """Classification: 3 classes, the channel of a 3×8×8 input with the highest mean."""

    name = "fake-cls"
    kind = "classification"
    input_shape = (3, 8, 8)
    num_outputs = 3
    train_size = 10_000
    test_size = 60
    test_seed = 999

    def _batch(self, gen: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, 3, 8, 8, generator=gen)
        return x, x.mean(dim=(2, 3)).argmax(dim=1)


def seg_net(seed: int = 0) -> nn.Module:
    """A two-conv segmentation network with batch norm and a sigmoid output."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 2, 3, padding=1),
        nn.Sigmoid(),
    )


def cls_net(seed: int = 0) -> nn.Module:
    """A pooled linear classifier with a small conv in front."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )


class FakeMetrics:
    """Pixel accuracy (segmentation) or top-1 error (classification), pooled over batches."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.right = 0
        self.total = 0

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        """Add one batch."""
        if self.kind == "segmentation":
            hit = (output >= 0.5) == (target >= 0.5)
        else:
            hit = output.argmax(dim=1) == target
        self.right += int(hit.sum())
        self.total += hit.numel()

    def compute(self) -> dict[str, float]:
        """The pooled value."""
        if self.kind == "segmentation":
            return {"pixel_accuracy": self.right / self.total, "per_class": [1.0, 2.0]}
        return {"top1_error": 1 - self.right / self.total}


def fake_metrics(task) -> FakeMetrics:
    """A metrics factory for `mgdsl.train.train(..., metrics_factory=...)`."""
    return FakeMetrics(task.kind)

