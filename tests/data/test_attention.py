"""Occlusion-sensitivity attention maps and the PNG figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mgdsl.data.attention import (
    occlusion_maps,
    occlusion_masks,
    probe_points,
    quantise_by_rank,
    save_attention_png,
    save_examples_png,
)
from mgdsl.data.synthetic import normalise_mnist

pytestmark = pytest.mark.torch  # imports torch


class BlurModel(torch.nn.Module):
    """A fixed 3x3 mean filter on the raw intensity, then a steep sigmoid: out ~ input."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 3, padding=1)
        with torch.no_grad():
            self.conv.weight.fill_(1 / 9)
            self.conv.bias.zero_()
        self.bn = torch.nn.BatchNorm2d(1)  # shows whether eval mode was used

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raw = x * 0.2746 + 0.1141  # undo the MNIST normalisation
        return torch.sigmoid(12 * (self.conv(raw) - 0.5)) + 0 * self.bn(x)


def square_image() -> torch.Tensor:
    image = torch.zeros(1, 64, 64)
    image[0, 20:40, 24:44] = 1.0
    return image


def test_masks_cover_the_spec_positions():
    masks = occlusion_masks()
    assert masks.shape == (841, 64, 64)
    assert (masks.sum((1, 2)) == 64).all()
    assert masks[0, :8, :8].all() and masks[-1, 56:, 56:].all()
    assert masks[1, 0, 2:10].all() and not masks[1, 0, :2].any()


def test_probe_points_from_a_box():
    output = torch.zeros(64, 64)
    output[10:21, 30:41] = 0.9  # rows 10..20, cols 30..40
    points = probe_points(output)
    assert points == [(15, 35), (10, 30), (15, 30), (20, 30), (10, 40), (15, 40), (20, 40)]
    thin = torch.zeros(64, 64)
    thin[5, 10:20] = 1.0  # one row only
    assert probe_points(thin) == []
    assert probe_points(torch.zeros(64, 64)) == []


def test_maps_are_local_to_each_probe_point():
    model = BlurModel()
    model.train()
    generator = torch.Generator().manual_seed(0)
    maps, points = occlusion_maps(model, square_image(), normalise=normalise_mnist, generator=generator)
    assert model.training  # mode restored
    assert maps.shape == (7, 64, 64) and len(points) == 7
    assert all((maps[j] > 0).any() for j in range(7))
    for j, (y, x) in enumerate(points):
        rows, cols = torch.nonzero(maps[j] > 0, as_tuple=True)
        # a 3x3 filter only sees masks within reach of the 3x3 probe patch
        assert rows.min() >= y - 1 - 1 - 7 and rows.max() <= y + 1 + 1 + 7
        assert cols.min() >= x - 1 - 1 - 7 and cols.max() <= x + 1 + 1 + 7
    assert maps[0].argmax() != maps[1].argmax()


def test_maps_are_reproducible_and_chunking_does_not_matter():
    model = BlurModel()
    run = [occlusion_maps(model, square_image(), normalise=normalise_mnist, chunk=chunk,
                          generator=torch.Generator().manual_seed(3))[0] for chunk in (128, 1000)]
    torch.testing.assert_close(run[0], run[1])


def test_empty_output_gives_no_points():
    maps, points = occlusion_maps(BlurModel(), torch.zeros(1, 64, 64), normalise=normalise_mnist)
    assert points == [] and not maps.any()


def test_quantise_by_rank():
    values = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    out = quantise_by_rank(values)
    assert out[0] == 0
    np.testing.assert_allclose(out[1:], np.arange(1, 11) / 10)
    assert quantise_by_rank(np.zeros(4)).tolist() == [0, 0, 0, 0]


def is_png(path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def test_attention_png(tmp_path):
    image = square_image()
    maps, points = occlusion_maps(BlurModel(), image, normalise=normalise_mnist,
                                  generator=torch.Generator().manual_seed(1))
    width, height = is_png(save_attention_png(tmp_path / "att" / "a.png", image, maps, points))
    assert width > 300 and height > 300
    assert is_png(save_attention_png(tmp_path / "none.png", image, torch.zeros(7, 64, 64), []))


@pytest.mark.parametrize("channels", [1, 10])
def test_examples_png(tmp_path, channels):
    rng = np.random.default_rng(0)
    inputs = torch.from_numpy(rng.random((3, 1, 64, 64), dtype=np.float32))
    targets = torch.from_numpy((rng.random((3, channels, 64, 64)) > 0.9).astype(np.float32))
    preds = torch.from_numpy(rng.random((3, channels, 64, 64), dtype=np.float32))
    width, height = is_png(save_examples_png(tmp_path / "ex.png", inputs, targets, preds))
    assert height > width  # three rows of three panels, plus titles
    if channels > 1:  # a colour key of the classes along the bottom
        from matplotlib import colormaps
        from matplotlib.image import imread

        bottom = imread(tmp_path / "ex.png")[-40:, :, :3].reshape(-1, 3)
        colours = {tuple(round(float(v), 2) for v in c)
                   for c in colormaps["tab10"].colors[:channels]}
        found = {tuple(round(float(v), 2) for v in p) for p in bottom} & colours
        assert found == colours, "every class colour appears in the key"
    with pytest.raises(ValueError):
        save_examples_png(tmp_path / "bad.png", inputs, targets[:2], preds)
