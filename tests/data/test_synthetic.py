"""Synthetic segmentation / spatial-transformation data and the resampling helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mgdsl.data.synthetic import (
    MNIST_MEAN,
    MNIST_STD,
    SegmentationDataset,
    SpatialTransformDataset,
    benchmark,
    normalise_mnist,
)
from mgdsl.data.warp import rescale_bilinear, rotate_nearest, shear_bilinear

pytestmark = pytest.mark.torch  # imports torch


@pytest.fixture(scope="module")
def seg() -> SegmentationDataset:
    return SegmentationDataset("train", 1000)


@pytest.fixture(scope="module")
def spt() -> SpatialTransformDataset:
    return SpatialTransformDataset("train", 1000)


# --- warp -------------------------------------------------------------------------------------

def digit_batch(n: int = 3) -> np.ndarray:
    return np.random.default_rng(0).random((n, 28, 28)).astype(np.float32)


def test_rotation_by_zero_and_quarter_turns_is_exact():
    images = digit_batch()
    np.testing.assert_array_equal(rotate_nearest(images, np.zeros(3)), images)
    turned = rotate_nearest(images, np.full(3, 90.0))
    assert any(np.array_equal(turned, np.rot90(images, k, axes=(1, 2))) for k in (1, 3))
    np.testing.assert_array_equal(rotate_nearest(images, np.full(3, 180.0)), images[:, ::-1, ::-1])


def test_rotation_clips_corners_to_zero():
    ones = np.ones((1, 28, 28), np.float32)
    rotated = rotate_nearest(ones, np.array([45.0]))
    assert rotated[0, 0, 0] == 0 and rotated[0, 14, 14] == 1


def test_zero_shear_is_identity_and_shear_moves_rows():
    images = digit_batch()
    np.testing.assert_allclose(shear_bilinear(images, np.zeros(3), np.zeros(3)), images, atol=1e-5)
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, :, 13:15] = 1.0  # a vertical bar
    sheared = shear_bilinear(bar, np.array([0.5]), np.array([0.0]))[0]  # x' = x + 0.5 y
    top, bottom = np.argmax(sheared[0]), np.argmax(sheared[27])
    assert bottom - top >= 12


def test_rescale_identity_and_frame():
    images = digit_batch()
    same = rescale_bilinear(images, np.array([28, 28, 28]), 28)
    np.testing.assert_allclose(same, images, atol=1e-5)
    small = rescale_bilinear(images, np.array([14, 20, 35]), 35)
    assert small.shape == (3, 35, 35)
    assert not small[0, 14:].any() and not small[0, :, 14:].any() and small[0, :14, :14].any()
    assert not small[1, 20:].any() and small[2, 34, 34] == pytest.approx(images[2, 27, 27], abs=1e-5)


# --- datasets ---------------------------------------------------------------------------------

def test_normalise_mnist_matches_the_paper_constants():
    x = np.array([0.0, 1.0], np.float32)
    expected = torch.tensor([-MNIST_MEAN / MNIST_STD, (1 - MNIST_MEAN) / MNIST_STD])
    torch.testing.assert_close(normalise_mnist(x), expected)
    torch.testing.assert_close(normalise_mnist(torch.from_numpy(x)), expected)


@pytest.mark.parametrize("name", ["seg", "spt"])
def test_shapes_dtypes_and_binary_targets(request, name):
    data = request.getfixturevalue(name)
    x, y = data.batch(range(8))
    assert x.shape == (8, 1, 64, 64) and x.dtype == torch.float32
    assert y.shape == (8, data.channels, 64, 64) and y.dtype == torch.float32
    assert set(torch.unique(y).tolist()) <= {0.0, 1.0}
    raw, _ = data.raw(range(8))
    assert raw.min() >= 0 and raw.max() <= 1 and raw.max() == pytest.approx(1.0)
    torch.testing.assert_close(x[:, 0], normalise_mnist(raw))


@pytest.mark.parametrize("name", ["seg", "spt"])
def test_a_sample_does_not_depend_on_its_batch(request, name):
    data = request.getfixturevalue(name)
    x34, y34 = data.batch([3, 4])
    x4, y4 = data.batch([4])
    assert torch.equal(x34[1], x4[0]) and torch.equal(y34[1], y4[0])
    xs, ys = data.batch(list(range(20)) + [4])
    assert torch.equal(xs[4], x4[0]) and torch.equal(xs[20], x4[0]) and torch.equal(ys[4], y4[0])
    x_item, y_item = data[4]
    assert torch.equal(x_item, x4[0]) and torch.equal(y_item, y4[0])


@pytest.mark.parametrize("kind", [SegmentationDataset, SpatialTransformDataset])
def test_seed_split_and_index_all_matter(kind):
    a = kind("train", 10).batch([0, 1])[0]
    assert torch.equal(a, kind("train", 10).batch([0, 1])[0])  # a fresh object, same data
    assert not torch.equal(a[0], a[1])
    assert not torch.equal(a, kind("train", 10, seed=2).batch([0, 1])[0])
    assert not torch.equal(a, kind("test", 10).batch([0, 1])[0])


def test_out_of_range_index(seg):
    with pytest.raises(IndexError):
        seg.batch([1000])
    with pytest.raises(IndexError):
        seg.batch([-1])


def test_seg_targets_lie_on_bright_input_pixels(seg):
    raw, targets = seg.raw(range(64))
    on = targets.any(axis=1)
    assert on.any()
    assert raw[on].min() >= 0.3 - 1e-6  # a target pixel has a digit value >= 0.3 under it
    classes = (targets.reshape(64, 10, -1).max(-1) > 0).sum(1)
    assert classes.min() >= 1 and classes.max() <= 7


def test_seg_digit_count_statistics(seg):
    raw, targets = seg.raw(range(200))
    pixels = (raw > 0).sum((1, 2))
    assert 0.02 < (raw > 0).mean() < 0.5
    assert pixels.min() > 50
    # the mean intensity is close to the paper's normalisation mean (0.1141)
    assert 0.08 < raw.mean() < 0.15


def test_seg_overlap_rule(seg):
    """A digit placed next to a busy canvas overlaps at most 30% of its nonzero pixels."""
    rng = np.random.default_rng(5)
    occupied = np.zeros((64, 64), bool)
    occupied[:, :34] = True  # the left part is taken
    digit = seg.digits[7]
    scaled = seg._scale(digit[None], np.array([30]))[0]
    on = scaled > 0
    y, x, pixels, mask = seg._place(rng, occupied, digit, scaled, on, 30, first=False)
    overlap = np.count_nonzero(mask & occupied[y : y + len(pixels), x : x + len(pixels)])
    assert overlap <= 0.3 * np.count_nonzero(mask)
    assert len(pixels) == mask.shape[0] and 14 <= len(pixels) <= 35


def test_seg_full_canvas_still_terminates(seg):
    occupied = np.ones((64, 64), bool)
    digit = seg.digits[3]
    scaled = seg._scale(digit[None], np.array([20]))[0]
    y, x, pixels, _ = seg._place(np.random.default_rng(0), occupied, digit, scaled, scaled > 0, 20, first=False)
    assert 0 <= y <= 64 - len(pixels) and 0 <= x <= 64 - len(pixels)


def test_spt_target_is_the_centred_undistorted_digit(spt):
    raw, targets = spt.raw(range(32))
    assert targets.shape == (32, 1, 64, 64)
    inside = targets[:, 0, 17:45, 17:45]
    assert inside.sum() == targets.sum() > 0
    # the sample's digit is the one pool digit whose binarised image is the target
    rng = np.random.default_rng([spt.seed, 0, 5])
    pick = rng.integers(0, len(spt.digits))
    np.testing.assert_array_equal(inside[5], spt.digits[pick] >= 0.3)


def test_spt_digit_fits_the_scale_range(spt):
    raw, _ = spt.raw(range(64))
    for image in raw:
        rows = np.flatnonzero(image.any(1))
        cols = np.flatnonzero(image.any(0))
        assert rows[-1] - rows[0] < 42 and cols[-1] - cols[0] < 42


def test_real_mnist_directory_is_used(tmp_path):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (20, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 20).astype(np.uint8)
    header = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(header + images.tobytes())
    label_header = (0x0801).to_bytes(4, "big") + (20).to_bytes(4, "big")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(label_header + labels.tobytes())
    data = SegmentationDataset("test", 4, mnist_dir=tmp_path)
    np.testing.assert_array_equal(data.digits, images / np.float32(255))
    assert data.batch([0, 1])[0].shape == (2, 1, 64, 64)


def python_calls(fn) -> int:
    """Python-level function calls (and calls into C) made by `fn()`."""
    import sys

    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("name", ["seg", "spt"])
def test_generation_is_vectorised(name, request):
    """Python calls per sample stay far below the 4,096 pixels of an image, and do not grow
    with the batch: generation runs in array operations, not per-pixel Python loops.
    (Its speed is measured by `python -m benchmarks.run --section data`, not here.)"""
    data = request.getfixturevalue(name)
    data.batch(range(8))  # warm caches
    small = python_calls(lambda: data.batch(range(8)))
    large = python_calls(lambda: data.batch(range(64)))
    per_sample = (large - small) / 56
    assert per_sample < 400, per_sample
    assert large < 64 * 4096 / 10


def test_generation_speed_helper_reports_rates(seg):
    wall, cpu = benchmark(seg, batch_size=8, batches=1)
    assert wall > 0 and cpu > 0
