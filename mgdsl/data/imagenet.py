"""ImageNet (ILSVRC-2012) from an ImageFolder-style directory, with PIL only (the paper's Table 4).

Layout: ``<data_dir>/train/<class>/<image>`` and ``<data_dir>/val/<class>/<image>`` (the
validation images sorted into class folders, as fb.resnet.torch expects). Classes are the
sorted train folder names; every val folder must be one of them.

Transforms follow fb.resnet.torch. Train: random-sized crop (area 8-100%, aspect 3/4-4/3,
10 tries, else resize + centre crop) to 224, colour jitter (brightness, contrast,
saturation 0.4, random order), PCA lighting 0.1, mean/std normalisation, horizontal flip
p = 0.5. Test: resize the short side to 256, centre 224 crop. Images are decoded in a
thread pool; every random choice comes from the sample's own seed.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from mgdsl.data.errors import DataError

__all__ = ["IMAGE_EXTENSIONS", "scan_image_folder", "ImageFolderSource", "train_transform", "val_transform"]

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".ppm", ".webp", ".tif", ".tiff")
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
EIGVAL = np.array([0.2175, 0.0188, 0.0045], np.float32)
EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]],
                  np.float32)
CROP = 224
RESIZE = 256
_LAYOUT = "train/<class>/<image> and val/<class>/<image> (JPEG, PNG, ...)"


def scan_image_folder(root: Path, classes: list[str] | None = None) -> tuple[list[str], list[tuple[Path, int]]]:
    """The sorted class names and ``(path, class index)`` samples under ``root/<class>/``.

    With `classes`, folder names must be among them (their indices are used).
    """
    if not root.is_dir():
        raise DataError(f"image folder `{root}` does not exist", hint=f"expected {_LAYOUT}")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    if classes is None:
        classes = folders
    index = {name: i for i, name in enumerate(classes)}
    samples = []
    for name in folders:
        if name not in index:
            raise DataError(f"`{root / name}` is not one of the {len(classes)} training classes",
                            hint=f"expected {_LAYOUT} with the same class folders", code="E701")
        for path in sorted((root / name).iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
                samples.append((path, index[name]))
    if not samples:
        raise DataError(f"no images under `{root}/<class>/`", hint=f"expected {_LAYOUT}")
    return classes, samples


def load_rgb(path: Path) -> Image.Image:
    """Open `path` as an RGB PIL image, or raise `DataError`."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"cannot decode image `{path}`: {exc}", code="E701") from exc


def train_transform(image: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """fb.resnet training transform of an RGB image: float32 (3, 224, 224), normalised."""
    crop = _random_sized_crop(image, rng)
    x = np.asarray(crop, dtype=np.float32) / 255.0  # (H, W, 3)
    x = _colour_jitter(x, rng)
    x = x + (EIGVEC @ (rng.normal(0.0, 0.1, 3).astype(np.float32) * EIGVAL)).astype(np.float32)
    x = (x - MEAN) / STD
    if rng.random() < 0.5:
        x = x[:, ::-1]
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def val_transform(image: Image.Image) -> np.ndarray:
    """fb.resnet test transform: short side to 256, centre 224 crop, normalised (3, 224, 224)."""
    image = _resize_short(image, RESIZE)
    x = np.asarray(_centre_crop(image, CROP), dtype=np.float32) / 255.0
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def ten_crop_transform(image: Image.Image) -> np.ndarray:
    """fb.resnet's ten-crop test transform: short side to 256, then the four corner and the
    centre 224 crops and their mirror images, normalised: float32 (10, 3, 224, 224)."""
    image = _resize_short(image, RESIZE)
    width, height = image.size
    centre = _centre_crop(image, CROP)
    corners = [image.crop((x, y, x + CROP, y + CROP))
               for x, y in ((0, 0), (width - CROP, 0), (0, height - CROP),
                            (width - CROP, height - CROP))]
    crops = np.stack([np.asarray(c, dtype=np.float32) for c in (centre, *corners)]) / 255.0
    crops = (crops - MEAN) / STD  # (5, H, W, 3)
    crops = np.concatenate([crops, crops[:, :, ::-1]])  # mirrored along the width
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)


def _random_sized_crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    width, height = image.size
    for _ in range(10):
        area = width * height * rng.uniform(0.08, 1.0)
        aspect = rng.uniform(3 / 4, 4 / 3)
        w = int(round(math.sqrt(area * aspect)))
        h = int(round(math.sqrt(area / aspect)))
        if rng.random() < 0.5:
            w, h = h, w
        if 0 < h <= height and 0 < w <= width:
            y = int(rng.integers(0, height - h + 1))
            x = int(rng.integers(0, width - w + 1))
            return image.resize((CROP, CROP), Image.BICUBIC, box=(x, y, x + w, y + h))
    return _centre_crop(_resize_short(image, CROP), CROP)


def _colour_jitter(x: np.ndarray, rng: np.random.Generator, strength: float = 0.4) -> np.ndarray:
    gray_weights = np.array([0.299, 0.587, 0.114], np.float32)
    for op in rng.permutation(3):
        alpha = np.float32(1.0 + rng.uniform(-strength, strength))
        gray = x @ gray_weights  # (H, W)
        if op == 0:  # brightness: blend with black
            x = x * alpha
        elif op == 1:  # contrast: blend with the mean grey level
            x = x * alpha + (1 - alpha) * gray.mean()
        else:  # saturation: blend with the grey image
            x = x * alpha + (1 - alpha) * gray[..., None]
    return x


def _resize_short(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    if width <= height:
        new = (size, max(1, int(round(height * size / width))))
    else:
        new = (max(1, int(round(width * size / height))), size)
    return image.resize(new, Image.BICUBIC)


def _centre_crop(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    left = int(round((width - size) / 2.0))
    top = int(round((height - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


class ImageFolderSource:
    """The ImageNet `BatchSource`: uniform draws with replacement, fb.resnet transforms.

    `train_size` / `test_size` keep the first samples (in sorted class/file order).
    `ten_crop`: test batches hold ten crops per image, (N, 10, 3, 224, 224), which
    `mgdsl.train.evaluate.predict` averages; otherwise the centre crop, (N, 3, 224, 224).
    """

    def __init__(self, data_dir: str | Path, *, train_size: int | None = None,
                 test_size: int | None = None, workers: int | None = None,
                 ten_crop: bool = False) -> None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise DataError(f"ImageNet directory `{root}` does not exist", hint=f"expected {_LAYOUT}")
        self.classes, train = scan_image_folder(root / "train")
        _, test = scan_image_folder(root / "val", self.classes)
        self.train_samples = train[:train_size]
        self.test_samples = test[:test_size]
        self.train_size, self.test_size = len(self.train_samples), len(self.test_samples)
        self.num_classes = len(self.classes)
        self.ten_crop = ten_crop
        self._workers = workers or max(1, os.cpu_count() or 1)
        # threads start on first use; one pool is shared by the train and test iterators
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="mgdsl-decode")

    def draw_train(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` indices uniform with replacement over the train images."""
        return rng.integers(0, self.train_size, count)

    def train_batch(self, indices: np.ndarray, keys: list[tuple[int, ...]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoded, augmented train samples; sample i's randomness is seeded by ``keys[i]``."""
        def one(item: tuple[int, tuple[int, ...]]) -> np.ndarray:
            index, key = item
            return train_transform(load_rgb(self.train_samples[index][0]), np.random.default_rng(list(key)))

        images = list(self._map(one, list(zip(indices.tolist(), keys, strict=True))))
        labels = [self.train_samples[i][1] for i in indices.tolist()]
        return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64)

    def test_batch(self, indices: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoded test samples with the deterministic test transform."""
        transform = ten_crop_transform if self.ten_crop else val_transform
        images = list(self._map(lambda i: transform(load_rgb(self.test_samples[i][0])), indices.tolist()))
        labels = [self.test_samples[i][1] for i in indices.tolist()]
        return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64)

    def _map(self, fn, items: list):
        if self._workers == 1 or len(items) < 2:
            return map(fn, items)
        return self._pool.map(fn, items)
