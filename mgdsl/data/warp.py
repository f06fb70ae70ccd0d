"""Batched resampling of small digit images: rotation, shear and rescaling.

Every function takes a batch ``(N, H, W)`` of float32 images and per-image parameters, and
runs one `torch.nn.functional.grid_sample` call over the whole batch. Each output image
depends only on its own input and parameters, never on the rest of the batch, so a sample
generated alone is bit-identical to the same sample generated inside a larger batch.

Coordinates are in pixels, 0-based, with the image centre at ``((H-1)/2, (W-1)/2)``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["rotate_nearest", "shear_bilinear", "rescale_bilinear"]


def rotate_nearest(images: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rotate each image by `degrees` about its centre, nearest neighbour, same size.

    Corners that leave the frame are clipped and uncovered pixels are 0 (like Torch7's
    ``image.rotate``).
    """
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    cos, sin = np.cos(theta), np.sin(theta)
    # inverse map: source = R(-theta) (destination - centre) + centre
    inverse = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    return _affine(images, inverse, mode="nearest", padding="zeros")


def shear_bilinear(images: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Apply the shear ``[[1, a], [b, 1]]`` (acting on ``(x, y)``) about the centre, bilinear.

    The frame keeps its size and samples outside the source take the nearest border value
    (clamped borders, like Torch7's ``image.affinetransform``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    det = 1.0 - a * b
    # forward matrix on (x, y) is [[1, a], [b, 1]]; on (y, x) it is [[1, b], [a, 1]]
    inverse = np.stack([np.stack([1.0 / det, -b / det], -1), np.stack([-a / det, 1.0 / det], -1)], -2)
    return _affine(images, inverse, mode="bilinear", padding="border")


def rescale_bilinear(images: np.ndarray, sizes: np.ndarray, frame: int) -> np.ndarray:
    """Rescale image ``i`` to ``sizes[i] x sizes[i]`` (bilinear, corners aligned).

    The results have different sizes, so they are returned in a common ``(N, frame, frame)``
    array: image ``i`` occupies ``[:sizes[i], :sizes[i]]`` and the rest is 0.
    """
    count, height, width = images.shape
    sizes = np.asarray(sizes, dtype=np.float64).reshape(count, 1)
    pixel = np.arange(frame, dtype=np.float64).reshape(1, frame)
    fraction = np.minimum(pixel / np.maximum(sizes - 1.0, 1.0), 1.0)  # in [0, 1] along the output
    ys = np.broadcast_to((fraction * (height - 1))[:, :, None], (count, frame, frame))
    xs = np.broadcast_to((fraction * (width - 1))[:, None, :], (count, frame, frame))
    out = _sample(images, ys, xs, mode="bilinear", padding="border")
    inside = pixel < sizes  # (N, frame)
    return out * (inside[:, :, None] & inside[:, None, :])


def _affine(images: np.ndarray, inverse: np.ndarray, *, mode: str, padding: str) -> np.ndarray:
    """Resample with a per-image inverse 2x2 matrix on (y, x) about the centre."""
    count, height, width = images.shape
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    m = np.asarray(inverse, dtype=np.float64).reshape(count, 2, 2, 1, 1)
    dy = (np.arange(height, dtype=np.float64) - cy).reshape(1, height, 1)
    dx = (np.arange(width, dtype=np.float64) - cx).reshape(1, 1, width)
    src_y = m[:, 0, 0] * dy + m[:, 0, 1] * dx + cy
    src_x = m[:, 1, 0] * dy + m[:, 1, 1] * dx + cx
    return _sample(images, src_y, src_x, mode=mode, padding=padding)


def _sample(images: np.ndarray, src_y: np.ndarray, src_x: np.ndarray, *, mode: str, padding: str) -> np.ndarray:
    """Sample `images` at pixel coordinates ``(src_y, src_x)`` of shape (N, H_out, W_out)."""
    count, height, width = images.shape
    if count == 0:
        return np.zeros((0, *src_y.shape[1:]), dtype=np.float32)
    grid = np.empty((*src_y.shape, 2), dtype=np.float32)
    grid[..., 0] = src_x * (2.0 / max(width - 1, 1)) - 1.0
    grid[..., 1] = src_y * (2.0 / max(height - 1, 1)) - 1.0
    source = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
    out = F.grid_sample(source, torch.from_numpy(grid), mode=mode, padding_mode=padding, align_corners=True)
    return out[:, 0].numpy()
