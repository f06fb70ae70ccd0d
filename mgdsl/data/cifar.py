"""CIFAR-100 from the python-pickle files a user already has (the paper's Table 1).

Layout: ``<data_dir>/cifar-100-python/{train,test,meta}`` or those files in ``data_dir``
itself, as distributed at https://www.cs.toronto.edu/~kriz/cifar.html. The pickles are read
with an unpickler that only admits the numpy and builtin types those files contain.

Differences from the paper's pipeline: the paper trains on a pre-whitened Torch file that is
not available, so inputs are normalised per channel with the training set's mean and
standard deviation instead.
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mgdsl.data.errors import DataError

__all__ = ["CifarData", "load_cifar100", "CifarSource"]

_LAYOUT = "cifar-100-python/{train,test,meta} (the python version of CIFAR-100), or those files directly"
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("codecs", "encode"),
}
UPSCALE = 36
CROP = 32
TEST_OFFSET = 2


@dataclass(frozen=True)
class CifarData:
    """CIFAR-100 in memory: uint8 images (N, 3, 32, 32) in **BGR** order, int64 fine labels."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def load_cifar100(data_dir: str | Path) -> CifarData:
    """Read CIFAR-100 from `data_dir` (see the module docstring for the layout); cached."""
    return _load(str(Path(data_dir).expanduser().resolve()))


@functools.lru_cache(maxsize=2)
def _load(root: str) -> CifarData:
    directory = _directory(Path(root))
    train_images, train_labels = _split(directory / "train")
    test_images, test_labels = _split(directory / "test")
    names: tuple[str, ...] = tuple(f"class_{i}" for i in range(100))
    if (directory / "meta").is_file():
        meta = _unpickle(directory / "meta")
        found = meta.get("fine_label_names")
        if isinstance(found, list) and len(found) == 100:
            names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in found)
    for array in (train_images, train_labels, test_images, test_labels):
        array.setflags(write=False)
    return CifarData(train_images, train_labels, test_images, test_labels, names)


def _directory(root: Path) -> Path:
    if not root.is_dir():
        raise DataError(f"CIFAR-100 directory `{root}` does not exist", hint=f"expected {_LAYOUT}")
    for candidate in (root / "cifar-100-python", root):
        if (candidate / "train").is_file() and (candidate / "test").is_file():
            return candidate
    raise DataError(f"no CIFAR-100 `train` and `test` files in `{root}`", hint=f"expected {_LAYOUT}")


def _unpickle(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            content = _SafeUnpickler(handle, encoding="latin1").load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(f"cannot read `{path}`: {exc}", hint=f"expected {_LAYOUT}", code="E701") from exc
    if not isinstance(content, dict):
        raise DataError(f"`{path}` does not hold a dict", hint=f"expected {_LAYOUT}", code="E701")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in content.items()}


def _split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    content = _unpickle(path)
    if "data" not in content or "fine_labels" not in content:
        raise DataError(f"`{path}` lacks the `data` or `fine_labels` entry",
                        hint=f"expected {_LAYOUT}", code="E701")
    data = np.asarray(content["data"])
    labels = np.asarray(content["fine_labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DataError(
            f"`{path}`: data {data.dtype}{list(data.shape)} with {len(labels)} labels, "
            "expected uint8 [N, 3072] (R, G, B planes of 32x32) and N labels",
            code="E701",
        )
    if labels.size and (labels.min() < 0 or labels.max() > 99):
        raise DataError(f"`{path}`: fine labels outside 0..99", code="E701")
    images = data.reshape(-1, 3, 32, 32)[:, ::-1]  # RGB planes -> BGR
    return np.ascontiguousarray(images), labels


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation (0..255 units) of uint8 images (N, C, H, W)."""
    means, stds = [], []
    levels = np.arange(256, dtype=np.float64)
    for c in range(images.shape[1]):
        counts = np.bincount(images[:, c].ravel(), minlength=256).astype(np.float64)
        total = counts.sum()
        mean = (counts * levels).sum() / total
        var = (counts * (levels - mean) ** 2).sum() / total
        means.append(mean)
        stds.append(max(np.sqrt(var), 1e-6))
    return np.array(means, np.float32), np.array(stds, np.float32)


class CifarSource:
    """The CIFAR-100 `BatchSource`: class-balanced draws and the paper's augmentation (random crops and flips).

    Train: pick a class uniformly, then one of its images uniformly (with replacement);
    bilinear upscale 32 -> 36, a 32x32 crop at offsets in {1, 2, 3} per axis, horizontal flip
    with p = 0.5. Test: upscale, then the centre crop at offset 2. Channels are BGR and
    normalised with the (possibly truncated) training set's per-channel mean and std.
    `train_size` / `test_size` keep the first samples of each split.
    """

    num_classes = 100

    def __init__(self, data_dir: str | Path, *, train_size: int | None = None,
                 test_size: int | None = None) -> None:
        data = load_cifar100(data_dir)
        self.class_names = data.class_names
        self.train_images = data.train_images[:train_size]
        self.train_labels = data.train_labels[:train_size]
        self.test_images = data.test_images[:test_size]
        self.test_labels = data.test_labels[:test_size]
        self.train_size, self.test_size = len(self.train_labels), len(self.test_labels)
        if self.train_size == 0 or self.test_size == 0:
            raise DataError("CIFAR-100 train or test split is empty", code="E701")
        mean, std = channel_stats(self.train_images)
        self.mean = torch.from_numpy(mean).view(1, 3, 1, 1)
        self.std = torch.from_numpy(std).view(1, 3, 1, 1)
        self._by_class = np.argsort(self.train_labels, kind="stable")
        counts = np.bincount(self.train_labels, minlength=self.num_classes)
        self._present = np.flatnonzero(counts)
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[self._present]
        self._counts = counts[self._present]

    def draw_train(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` class-balanced indices: a uniform class, then a uniform image of it."""
        classes = rng.integers(0, len(self._present), count)
        offsets = (rng.random(count) * self._counts[classes]).astype(np.int64)
        return self._by_class[self._starts[classes] + offsets]

    def train_batch(self, indices: np.ndarray, keys: list[tuple[int, ...]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Augmented samples: per-sample crop offsets in {1,2,3} and flips seeded by `keys`."""
        big = self._upscale(self.train_images[indices])
        out = torch.empty((len(indices), 3, CROP, CROP), dtype=torch.float32)
        for i, key in enumerate(keys):
            rng = np.random.default_rng(list(key))
            dy, dx = (int(v) for v in rng.integers(1, 4, 2))
            crop = big[i, :, dy : dy + CROP, dx : dx + CROP]
            out[i] = crop.flip(-1) if rng.random() < 0.5 else crop
        return self._normalise(out), torch.from_numpy(self.train_labels[indices].copy())

    def test_batch(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Test samples: upscale and the centre crop at offset 2."""
        big = self._upscale(self.test_images[indices])
        crop = big[:, :, TEST_OFFSET : TEST_OFFSET + CROP, TEST_OFFSET : TEST_OFFSET + CROP]
        return self._normalise(crop.contiguous()), torch.from_numpy(self.test_labels[indices].copy())

    def _upscale(self, images: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32)
        return F.interpolate(x, size=(UPSCALE, UPSCALE), mode="bilinear", align_corners=True)

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
