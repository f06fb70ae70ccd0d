"""CIFAR-100 loading from the python-pickle files and the spec 6.1 augmentation."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mgdsl.data.cifar import CifarSource, channel_stats, load_cifar100
from mgdsl.data.errors import DataError
from mgdsl.data.tasks import make_task

pytestmark = pytest.mark.torch  # imports torch


def write_split(path: Path, data: np.ndarray, labels: list[int]) -> None:
    content = {b"batch_label": b"fake", b"fine_labels": labels, b"coarse_labels": [0] * len(labels),
               b"data": data, b"filenames": [b"x.png"] * len(labels)}
    path.write_bytes(pickle.dumps(content, protocol=2))


def fake_cifar(root: Path, *, nested: bool = True, n_train: int = 40, n_test: int = 10,
               train_labels: list[int] | None = None) -> Path:
    directory = root / "cifar-100-python" if nested else root
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    labels = train_labels if train_labels is not None else [i % 4 for i in range(n_train)]
    write_split(directory / "train", rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8), labels)
    write_split(directory / "test", rng.integers(0, 256, (n_test, 3072), dtype=np.uint8),
                [i % 4 for i in range(n_test)])
    names = [f"name{i}".encode() for i in range(100)]
    (directory / "meta").write_bytes(pickle.dumps({b"fine_label_names": names}, protocol=2))
    return root


@pytest.mark.parametrize("nested", [True, False])
def test_load_layouts_and_bgr_order(tmp_path, nested):
    fake_cifar(tmp_path, nested=nested)
    raw = pickle.loads(((tmp_path / "cifar-100-python" if nested else tmp_path) / "train").read_bytes())
    data = load_cifar100(tmp_path)
    assert data.train_images.shape == (40, 3, 32, 32) and data.test_images.shape == (10, 3, 32, 32)
    rgb = raw[b"data"].reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(data.train_images[:, 0], rgb[:, 2])  # blue first
    np.testing.assert_array_equal(data.train_images[:, 2], rgb[:, 0])
    assert data.class_names[3] == "name3" and data.train_labels.dtype == np.int64


def test_channel_stats_match_numpy():
    images = np.random.default_rng(1).integers(0, 256, (5, 3, 4, 4), dtype=np.uint8)
    mean, std = channel_stats(images)
    np.testing.assert_allclose(mean, images.mean((0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(std, images.std((0, 2, 3)), rtol=1e-5)


def test_task_shapes_and_test_centre_crop(tmp_path):
    task = make_task("cifar100", data_dir=fake_cifar(tmp_path))
    assert (task.kind, task.input_shape, task.num_outputs) == ("classification", (3, 32, 32), 100)
    assert (task.train_size, task.test_size) == (40, 10)
    x, y = next(task.train_batches(8, seed=0))
    assert x.shape == (8, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    tx, ty = next(task.test_batches(10))
    source = task.source
    big = F.interpolate(torch.from_numpy(np.array(source.test_images)).float(), size=(36, 36), mode="bilinear",
                        align_corners=True)
    expected = (big[:, :, 2:34, 2:34] - source.mean) / source.std
    torch.testing.assert_close(tx, expected)
    assert ty.tolist() == [i % 4 for i in range(10)]


def test_train_crops_and_flips_are_the_spec_ones(tmp_path):
    source = CifarSource(fake_cifar(tmp_path))
    indices = np.arange(8)
    keys = [(0, 0, j) for j in indices]
    x, y = source.train_batch(indices, keys)
    big = F.interpolate(torch.from_numpy(np.array(source.train_images[:8])).float(), size=(36, 36),
                        mode="bilinear", align_corners=True)
    big = (big - source.mean) / source.std
    seen = set()
    for i in range(8):
        matches = []
        for dy in range(4):
            for dx in range(4):
                crop = big[i, :, dy : dy + 32, dx : dx + 32]
                matches += [(dy, dx, flip) for flip in (False, True)
                            if torch.allclose(x[i], crop.flip(-1) if flip else crop)]
        assert len(matches) == 1
        dy, dx, flip = matches[0]
        assert dy in (1, 2, 3) and dx in (1, 2, 3)
        seen.add(flip)
    assert seen == {False, True}
    again, _ = source.train_batch(indices, keys)
    assert torch.equal(x, again)


def test_sampling_is_class_balanced(tmp_path):
    labels = [0] * 36 + [1] * 4  # a skewed training set
    task = make_task("cifar100", data_dir=fake_cifar(tmp_path, train_labels=labels))
    batches = [next(task.train_batches(200, seed=s)) for s in range(3)]
    ys = torch.cat([y for _, y in batches])
    assert 0.4 < (ys == 1).float().mean() < 0.6


def test_size_limits(tmp_path):
    task = make_task("cifar100", data_dir=fake_cifar(tmp_path), train_size=8, test_size=3)
    assert (task.train_size, task.test_size) == (8, 3)
    assert sum(len(y) for _, y in task.test_batches(2)) == 3


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(DataError) as info:
        make_task("cifar100", data_dir=tmp_path / "nowhere")
    assert info.value.code == "E700" and "cifar-100-python" in info.value.hint
    with pytest.raises(DataError, match="no CIFAR-100"):
        make_task("cifar100", data_dir=tmp_path)


def test_malformed_data_is_reported(tmp_path):
    fake_cifar(tmp_path)
    write_split(tmp_path / "cifar-100-python" / "train", np.zeros((4, 100), np.uint8), [0, 1, 2, 3])
    with pytest.raises(DataError) as info:
        load_cifar100(tmp_path)
    assert info.value.code == "E701" and "3072" in info.value.message


def test_unexpected_pickle_globals_are_refused(tmp_path):
    fake_cifar(tmp_path)

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (tmp_path / "cifar-100-python" / "test").write_bytes(pickle.dumps({"data": Exploit()}))
    with pytest.raises(DataError, match="refusing") as info:
        load_cifar100(tmp_path)
    assert info.value.code == "E701"
