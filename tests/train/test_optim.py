"""Options that are not the paper's: AdamW, the output prior; and what evaluations report."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from train_fakes import FakeSegTask, fake_metrics, seg_net

import mgdsl
from mgdsl.cli.main import main
from mgdsl.train import TrainConfig
from mgdsl.train.errors import TrainError
from mgdsl.train.loop import train
from mgdsl.train.optim import build_optimizer, output_bias_modules, set_output_prior

pytestmark = pytest.mark.torch  # imports torch


def config(**kw) -> TrainConfig:
    values = dict(task="fake-seg", epochs=2, iters_per_epoch=8, batch_size=8, progress=False,
                  quiet=True, seed=3)
    values.update(kw)
    return TrainConfig(**values)


def test_optimizer_choice():
    params = [torch.nn.Parameter(torch.zeros(2))]
    sgd = build_optimizer(params, config(lr=0.1))
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.defaults["momentum"] == 0.9 and sgd.defaults["nesterov"] is False
    adamw = build_optimizer(params, config(optimizer="adamw", lr=1e-3), capturable=True)
    assert isinstance(adamw, torch.optim.AdamW)
    assert adamw.defaults["lr"] == 1e-3 and adamw.defaults["capturable"] is True
    assert adamw.defaults["weight_decay"] == 5e-4


def test_adamw_trains_the_fake_task(tmp_path):
    result = train(seg_net(), FakeSegTask(), config(optimizer="adamw", lr=1e-2), tmp_path,
                   metrics_factory=fake_metrics)
    assert result.epochs[-1]["train_loss"] < 0.8 * result.epochs[0]["train_loss"]
    saved = json.loads((tmp_path / "config.json").read_text())["config"]
    assert saved["optimizer"] == "adamw"


def test_output_prior_sets_the_sigmoid_input_of_a_zoo_network():
    torch.manual_seed(0)
    model = mgdsl.load_module("U-NET-11-seg", w=4)
    names = output_bias_modules(model)
    assert len(names) == 1 and isinstance(model.get_submodule(names[0]), torch.nn.BatchNorm2d)
    assert set_output_prior(model, 0.015) == names
    model.train()
    with torch.no_grad():
        out = model(torch.randn(4, 1, 64, 64))
    # behind a BN in training mode each map's pre-activation has mean logit(P) over the batch
    logits = torch.logit(out.double()).mean((0, 2, 3))
    assert logits.tolist() == pytest.approx([math.log(0.015 / 0.985)] * 10, abs=1e-4)
    assert float(out.median()) == pytest.approx(0.015, rel=0.3)


def test_output_prior_needs_a_sigmoid_output():
    plain = torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)))
    with pytest.raises(TrainError, match="outputs are sigmoids"):
        set_output_prior(plain, 0.1)
    with pytest.raises(TrainError, match="compiled mgdsl network"):
        set_output_prior(seg_net(), 0.1)
    with pytest.raises(TrainError, match="probability"):
        set_output_prior(plain, 1.5)


def test_cli_options_and_the_evaluation_signals(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "U-NET-11-seg", "--set", "w=4", "--task", "mnist-seg", "--train-size", "64",
            "--test-size", "16", "--epochs", "2", "--iters-per-epoch", "2", "--batch-size", "4",
            "--optimizer", "adamw", "--output-prior", "0.015", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err  # the default schedule is 'paper'
    line = next(t for t in captured.out.splitlines() if t.startswith("epoch 2/2"))
    for part in ("lr 0.001", "test loss", "(base rate 0.0", "fg class acc", "(chance 10.0%)",
                 "IoU", "(at 0.3:", "error"):
        assert part in line, (part, line)
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert {"test_loss", "test_base_bce", "test_fg_class_accuracy", "test_mean_iou",
            "test_mean_iou_at_0.3"} <= set(rows[-1])
    assert 0 < float(rows[-1]["test_base_bce"]) < 0.2
    saved = json.loads((out / "config.json").read_text())["config"]
    assert (saved["optimizer"], saved["output_prior"], saved["lr"]) == ("adamw", 0.015, 1e-3)
    assert (saved["lr_schedule"], saved["lr_rule"]) == ("paper", "exp")


def test_cli_warns_once_when_scaled_squeezes_the_rule(tmp_path, capsys):
    args = ["train", "U-NET-11-seg", "--set", "w=4", "--task", "mnist-seg", "--train-size", "64",
            "--test-size", "8", "--epochs", "1", "--iters-per-epoch", "1", "--batch-size", "2",
            "--lr-schedule", "scaled", "--out", str(tmp_path), "--no-progress", "--eval-every", "0"]
    assert main(args) == 0
    warnings = [t for t in capsys.readouterr().err.splitlines() if t.startswith("warning")]
    assert len(warnings) == 1 and "30,000x" in warnings[0]


@pytest.mark.parametrize("value", ["0", "1", "x", "-0.2"])
def test_cli_rejects_a_prior_that_is_not_a_probability(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["train", "U-NET-11-seg", "--task", "mnist-seg", "--output-prior", value])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "argument --output-prior: " in err
    assert ("expected a number, got 'x'" if value == "x" else "probability") in err
