"""Atomic checkpoint writes, `weights_only` loading, generator states, reports, progress bar."""

from __future__ import annotations

import io
import json
import random

import numpy as np
import pytest
import torch

from mgdsl.errors import MgFileError
from mgdsl.train import checkpoint as ck
from mgdsl.train.report import ProgressBar, epoch_line, results_table, write_json, write_metrics

pytestmark = pytest.mark.torch  # imports torch


def test_save_atomic_replaces_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "sub" / "c.pt"
    ck.save_atomic({"a": torch.arange(3)}, path)
    ck.save_atomic({"a": torch.arange(4)}, path)
    assert torch.load(path, weights_only=True)["a"].tolist() == [0, 1, 2, 3]
    assert sorted(p.name for p in path.parent.iterdir()) == ["c.pt"]


def test_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    ck.save_atomic({"step": 1}, path)

    def torn_save(obj, handle):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(ck.torch, "save", torn_save)
    with pytest.raises(OSError, match="disk full"):
        ck.save_atomic({"step": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_rng_states_round_trip_through_weights_only(tmp_path):
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    state = ck.capture_rng()
    ck.save_atomic({"rng": state}, tmp_path / "r.pt")
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(9)
    np.random.seed(9)
    random.seed(9)
    ck.restore_rng(torch.load(tmp_path / "r.pt", weights_only=True)["rng"])
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1]) and got[2] == expected[2]


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(MgFileError, match="does not exist"):
        ck.load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_text("junk")
    with pytest.raises(MgFileError, match="cannot read checkpoint") as info:
        ck.load_checkpoint(tmp_path / "junk.pt")
    assert "\n" not in info.value.message
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(MgFileError, match="not an mgdsl checkpoint"):
        ck.load_checkpoint(tmp_path / "other.pt")


def test_metrics_files_and_strict_json(tmp_path):
    rows = [{"epoch": 1, "lr": 0.1, "train_loss": 0.5, "test_iou": [0.1, 0.2], "test_x": float("nan")},
            {"epoch": 2, "lr": 0.01, "train_loss": 0.25, "test_iou": [0.3, 0.4], "extra": 1}]
    write_metrics(tmp_path, rows, {"task": "t"})
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,lr,train_loss,test_x,extra"
    assert lines[2] == "2,0.01,0.25,,1"
    data = json.loads((tmp_path / "metrics.json").read_text())
    assert data["task"] == "t" and data["epochs"][0]["test_x"] is None
    assert data["epochs"][1]["test_iou"] == [0.3, 0.4]
    write_json(tmp_path / "t.json", {"t": torch.tensor([1.5])})
    assert json.loads((tmp_path / "t.json").read_text()) == {"t": [1.5]}


def test_lines_and_tables():
    row = {"epoch": 3, "lr": 0.004, "train_loss": 0.1234567, "test_mean_iou": 0.5,
           "test_iou": [1, 2], "images_per_second": 123.45}
    line = epoch_line(row, 10)
    assert line.startswith("epoch 3/10  lr 0.004  loss 0.1235") and "IoU 50.0%" in line
    assert line.endswith("123.5 img/s") and "test_iou" not in line
    mnist = {**row, "test_loss": 0.0712, "test_base_bce": 0.0758, "test_fg_class_accuracy": 0.47,
             "test_fg_chance": 0.1, "test_fg_pixels": 900, "test_mean_iou_at_0.3": 0.21,
             "test_mean_error": 0.4, "test_samples": 200, "test_top1_error": 0.25}
    assert epoch_line(mnist, 10) == (
        "epoch 3/10  lr 0.004  loss 0.1235  test loss 0.0712 (base rate 0.0758)  "
        "fg class acc 47.0% (chance 10.0%)  IoU 50.0% (at 0.3: 21.0%)  error 40.0%  "
        "test_top1_error 0.2500  123.5 img/s")
    table = results_table({"mean_iou": 0.81913, "iou": [0.1], "samples": 1000}, title="R-PMG-20")
    assert table.startswith("R-PMG-20") and "0.8191" in table and "1000" in table
    assert "iou " not in table.replace("mean_iou", "")


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_only_on_a_terminal():
    plain = io.StringIO()
    with ProgressBar(10, enabled=True, stream=plain) as bar:
        bar.update(5, epoch=1, epochs=2, loss=0.5, ips=100.0, lr=0.1)
        bar.log("hello")
    assert not bar.enabled and plain.getvalue() == ""
    tty = FakeTTY()
    with ProgressBar(10, enabled=True, stream=tty) as bar:
        bar.update(5, epoch=1, epochs=2, loss=0.5, ips=100.0, lr=0.1)
    text = tty.getvalue()
    assert "epoch 1/2" in text and "img/s" in text and "loss 0.5000" in text
    quiet = FakeTTY()
    with ProgressBar(10, enabled=False, stream=quiet):
        pass
    assert quiet.getvalue() == ""
