"""The ImageFolder-style ImageNet loader with fb.resnet transforms (PIL only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mgdsl.data.errors import DataError
from mgdsl.data.imagenet import MEAN, STD, ImageFolderSource, ten_crop_transform, val_transform
from mgdsl.data.tasks import make_task

pytestmark = pytest.mark.torch  # imports torch


def fake_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    sizes = [(300, 260), (260, 300), (230, 400)]
    for split, count in (("train", 3), ("val", 2)):
        for c, name in enumerate(("n01", "n02")):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                w, h = sizes[i % len(sizes)]
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                pixels[..., c] = 255  # class 0 red-ish, class 1 green-ish
                ext = ".JPEG" if i % 2 == 0 else ".png"
                Image.fromarray(pixels).save(folder / f"img{i}{ext}")
            (folder / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return fake_folder(tmp_path_factory.mktemp("imagenet"))


def test_scan_and_metadata(folder):
    task = make_task("imagenet", data_dir=folder)
    assert (task.kind, task.input_shape, task.num_outputs) == ("classification", (3, 224, 224), 2)
    assert (task.train_size, task.test_size) == (6, 4)
    assert task.source.classes == ["n01", "n02"]


def test_train_batches_are_deterministic_and_normalised(folder):
    task = make_task("imagenet", data_dir=folder)
    x, y = next(task.train_batches(4, seed=1))
    again, _ = next(task.train_batches(4, seed=1))
    assert x.shape == (4, 3, 224, 224) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(x, again)
    assert set(y.tolist()) <= {0, 1}
    assert x.abs().max() < 5  # normalised values, not 0..255


def test_val_transform_resizes_short_side_and_centre_crops(folder):
    source = ImageFolderSource(folder, workers=1)
    path, label = source.test_samples[0]
    x, y = source.test_batch(np.array([0]))
    assert x.shape == (1, 3, 224, 224) and y.tolist() == [label]
    image = Image.open(path).convert("RGB")  # 300 x 260 -> 295 x 256, crop at (36, 16)
    resized = image.resize((295, 256), Image.BICUBIC).crop((36, 16, 260, 240))
    expected = (np.asarray(resized, np.float32) / 255.0 - MEAN) / STD
    np.testing.assert_allclose(x[0].numpy(), expected.transpose(2, 0, 1), atol=1e-5)
    np.testing.assert_array_equal(val_transform(image), x[0].numpy())


def test_ten_crop_is_corners_centre_and_mirrors(folder):
    source = ImageFolderSource(folder, workers=1, ten_crop=True)
    path, label = source.test_samples[0]
    x, y = source.test_batch(np.array([0, 1]))
    assert x.shape == (2, 10, 3, 224, 224) and y[0] == label
    image = Image.open(path).convert("RGB")
    resized = image.resize((295, 256), Image.BICUBIC)

    def normalised(box):
        crop = (np.asarray(resized.crop(box), np.float32) / 255.0 - MEAN) / STD
        return crop.transpose(2, 0, 1)

    boxes = [(36, 16, 260, 240), (0, 0, 224, 224), (71, 0, 295, 224), (0, 32, 224, 256),
             (71, 32, 295, 256)]
    for k, box in enumerate(boxes):
        np.testing.assert_allclose(x[0, k].numpy(), normalised(box), atol=1e-5)
        np.testing.assert_array_equal(x[0, k + 5].numpy(), x[0, k].numpy()[:, :, ::-1])
    np.testing.assert_array_equal(x[0, 0].numpy(), val_transform(image))
    np.testing.assert_array_equal(ten_crop_transform(image), x[0].numpy())


def test_ten_crop_outputs_are_averaged_per_image(folder):
    from mgdsl.train.evaluate import evaluate, predict

    class MeanColour(torch.nn.Module):
        def forward(self, x):
            return x.mean(dim=(2, 3))[:, :2]

    task = make_task("imagenet", data_dir=folder, ten_crop=True)
    x, _ = task.source.test_batch(np.array([0, 1]))
    out = predict(MeanColour(), x, device=torch.device("cpu"))
    expected = x.mean(dim=(3, 4))[:, :, :2].mean(1)
    torch.testing.assert_close(out, expected)
    results = evaluate(MeanColour(), task, batch_size=3)
    assert results["samples"] == 4 and 0 <= results["top1_error"] <= 1
    with pytest.raises(DataError, match="ten-crop"):
        make_task("cifar100", data_dir=folder, ten_crop=True)


def test_threads_do_not_change_results(folder):
    one = ImageFolderSource(folder, workers=1)
    two = ImageFolderSource(folder, workers=2)
    indices = np.array([0, 3, 5, 1])
    keys = [(0, 0, i) for i in range(4)]
    assert torch.equal(one.train_batch(indices, keys)[0], two.train_batch(indices, keys)[0])


def test_missing_and_malformed_folders(tmp_path):
    with pytest.raises(DataError) as info:
        make_task("imagenet", data_dir=tmp_path / "nowhere")
    assert info.value.code == "E700"
    (tmp_path / "train" / "n01").mkdir(parents=True)
    with pytest.raises(DataError, match="no images"):
        make_task("imagenet", data_dir=tmp_path)


def test_val_class_must_be_known(tmp_path):
    fake_folder(tmp_path)
    (tmp_path / "val" / "n99").mkdir()
    Image.new("RGB", (40, 40)).save(tmp_path / "val" / "n99" / "a.png")
    with pytest.raises(DataError, match="n99"):
        make_task("imagenet", data_dir=tmp_path)


def test_corrupt_image_is_reported(tmp_path):
    fake_folder(tmp_path)
    (tmp_path / "val" / "n01" / "img0.JPEG").write_bytes(b"not a jpeg")
    task = make_task("imagenet", data_dir=tmp_path)
    with pytest.raises(DataError) as info:
        list(task.test_batches(4))
    assert info.value.code == "E701" and "img0.JPEG" in info.value.message
