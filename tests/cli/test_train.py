"""`mgdsl train`: flags, paper defaults per task and family, files, exit codes, errors.

Most tests replace the network loader and builder and the task with the tiny fakes
(monkeypatching `mgdsl.train.build`), so they exercise the command's plumbing without the compiler; the
end-to-end tests at the bottom compile a real `.mg` file and use the real MNIST task.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from paths import ROOT
from train_fakes import FakeClsTask, FakeSegTask, cls_net, seg_net

import mgdsl.train.build as build
from mgdsl.cli.main import main
from mgdsl.train.build import model_name

pytestmark = pytest.mark.torch  # imports torch


@pytest.fixture
def fake_builders(monkeypatch):
    """Make `mgdsl train` build the fake network/task; returns a dict to set `residual`."""
    state = {"residual": False, "task": None}

    def fake_network(target, params, network=None, task=None):
        state["loaded"] = (target, params, network, task)
        return nx.DiGraph(name=f"{target.rpartition('/')[2].removesuffix('.mg')}-net")

    def fake_model(ir, task=None):
        net = cls_net() if state["task"] == "cls" else seg_net()
        return net, state["residual"]

    def fake_task(name, **kw):
        if state["task"] == "cls":
            return FakeClsTask()
        return FakeSegTask(poison_at=state.get("poison_at"))

    monkeypatch.setattr(build, "load_network", fake_network)
    monkeypatch.setattr(build, "build_model", fake_model)
    monkeypatch.setattr(build, "build_task", fake_task)
    return state


def short(out, *extra):
    return ["train", "tiny", "--task", "mnist-seg", "--epochs", "2", "--iters-per-epoch", "4",
            "--batch-size", "8", "--eval-limit", "16", "--out", str(out), *extra]


def test_cli_modules_import_no_torch():
    code = "import sys, mgdsl.cli.train, mgdsl.cli.eval; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_help_lists_the_flags(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--task", "--set", "--epochs", "--iters-per-epoch", "--batch-size", "--iter-size",
                 "--lr-schedule", "--device", "--amp", "--channels-last", "--compile", "--out",
                 "--resume", "--seed", "--checkpoint-every", "--eval-limit", "--quiet"):
        assert flag in text, flag


def test_model_name():
    assert model_name("architectures/pmg.mg") == "pmg" and model_name("PMG-11-seg") == "PMG-11-seg"


def test_train_writes_every_file(tmp_path, fake_builders, capsys):
    assert main(short(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and "test_mean_iou" in out and "IoU" in out and "wrote" in out
    # the summary is titled by the network and its seconds are all totals of the run
    assert "tiny-net on mnist-seg: after epoch 2, seconds are totals of the run" in out
    for key in ("train_seconds_total", "eval_seconds_total", "wall_seconds_total"):
        assert key in out, key
    assert " train_seconds " not in out and " wall_seconds " not in out
    for name in ("metrics.csv", "metrics.json", "loss.png", "config.json", "checkpoint.pt"):
        assert (tmp_path / name).is_file(), name
    config = json.loads((tmp_path / "config.json").read_text())["config"]
    assert config["momentum"] == 0.9 and config["weight_decay"] == 5e-4
    assert config["lr_rule"] == "exp" and config["lr_schedule"] == "paper"
    assert config["optimizer"] == "sgd" and config["output_prior"] is None
    epochs = json.loads((tmp_path / "metrics.json").read_text())["epochs"]
    assert {"test_mean_iou", "test_mean_error", "images_per_second"} <= set(epochs[-1])


@pytest.mark.parametrize(
    "task, residual, expected",
    [
        ("mnist-seg", False, (64, 150, 200, 5e-4, "exp")),
        ("mnist-seg", True, (64, 150, 200, 5e-4, "step")),
        ("mnist-spt", False, (64, 800, 200, 5e-4, "exp")),
        ("cifar100", True, (128, 300, 200, 5e-4, "step")),
        ("cifar100", False, (128, 300, 200, 5e-4, "exp")),
        ("imagenet", True, (256, 10_000, 100, 1e-4, "imagenet")),
    ],
)
def test_paper_defaults_per_task_and_family(monkeypatch, fake_builders, task, residual, expected):
    import mgdsl.train.loop as loop

    seen = {}

    def capture(model, task_obj, config, out_dir, **kw):
        seen["config"], seen["out"], seen["spec"] = config, out_dir, kw["model_spec"]
        return loop.TrainResult(steps=0, losses=[], epochs=[], out_dir=out_dir, checkpoint=None)

    monkeypatch.setattr(loop, "train", capture)
    fake_builders["residual"] = residual
    assert main(["train", "nets/pmg.mg", "--task", task, "--set", "n=1", "--quiet"]) == 0
    c = seen["config"]
    assert (c.batch_size, c.iters_per_epoch, c.epochs, c.weight_decay, c.lr_rule) == expected
    assert (c.lr, c.momentum, c.iter_size, c.seed) == (0.1, 0.9, 1, 0)
    assert seen["out"] == Path("runs") / f"pmg-{task}"
    assert seen["spec"] == {"target": "nets/pmg.mg", "params": {"n": 1}, "network": None,
                            "name": "pmg-net"}
    assert fake_builders["loaded"] == ("nets/pmg.mg", {"n": 1}, None, task)


def test_existing_run_resume_and_overwrite(tmp_path, fake_builders, capsys):
    assert main(short(tmp_path, "--quiet")) == 0
    assert main(short(tmp_path, "--quiet")) == 1
    assert "already holds a training run" in capsys.readouterr().err
    args = short(tmp_path, "--quiet", "--resume")
    args[args.index("--epochs") + 1] = "3"
    assert main(args) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2, 3]
    assert main(short(tmp_path, "--quiet", "--overwrite")) == 0


def test_resume_without_a_run_exits_1(tmp_path, fake_builders, capsys):
    assert main(short(tmp_path / "nothing", "--resume")) == 1
    assert "nothing to resume" in capsys.readouterr().err


def test_nan_loss_exits_1_with_the_step(tmp_path, fake_builders, capsys):
    fake_builders["poison_at"] = 5
    assert main(short(tmp_path, "--quiet")) == 1
    err = capsys.readouterr().err
    assert "error[E801]: the loss became nan at step 6 (epoch 2, iteration 2 of 4)" in err
    assert "last good checkpoint (step 4)" in err


def test_bad_option_values(tmp_path, fake_builders, capsys):
    assert main(short(tmp_path, "--set", "oops")) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    # each setting's own check, at the parser: a usage error naming the option
    for option, value, message in [("--weight-decay", "-1", "must be >= 0, got -1.0"),
                                   ("--epochs", "0", "must be a positive integer, got 0"),
                                   ("--lr-schedule", "poly", "must be one of paper, scaled"),
                                   ("--lr", "fast", "expected a number, got 'fast'")]:
        with pytest.raises(SystemExit) as exc:
            main(short(tmp_path, option, value))
        assert exc.value.code == 2
        assert f"argument {option}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("extra", [[], ["--data-dir", "/nonexistent/cifar"]])
def test_missing_data_is_a_clear_error(tmp_path, capsys, extra):
    args = ["train", "MG-16", "--set", "w=8", "--task", "cifar100", "--out", str(tmp_path), *extra]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "error[E70" in err and "Traceback" not in err


def test_allocator_is_left_alone_inside_pytest(monkeypatch):
    import mgdsl.train.runtime as runtime

    calls = []
    monkeypatch.setattr(runtime, "ensure_fast_allocator", lambda *a: calls.append(a), raising=False)
    build.use_fast_allocator()
    assert calls == []  # pytest is not the `mgdsl` command
    monkeypatch.setattr(sys, "argv", [str(ROOT / "mgdsl" / "__main__.py"), "train"])
    build.use_fast_allocator()
    assert calls == [()]


def test_end_to_end_unet_on_mnist_seg(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", str(ROOT / "architectures" / "unet.mg"), "--set", "w=4", "--task", "mnist-seg",
            "--train-size", "64", "--test-size", "16", "--epochs", "2", "--iters-per-epoch", "3",
            "--batch-size", "4", "--out", str(out), "--checkpoint-every", "2"]
    assert main(args) == 0, capsys.readouterr().err
    assert "UNET on mnist-seg: after epoch 2, seconds are totals" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["params"] == {"w": 4}
    assert 0.0 <= metrics["epochs"][-1]["test_mean_iou"] <= 1.0
    assert main(["eval", "--checkpoint", str(out / "checkpoint.pt"), "--limit", "8",
                 "--test-size", "16"]) == 0
    assert json.loads((out / "eval.json").read_text())["results"]["samples"] == 8


@pytest.mark.slow
@pytest.mark.parametrize("network", [
    [str(ROOT / "architectures" / "unet.mg"), "--set", "w=4"],
    # PMG-11 drops grids: some weight layers feed no output, so DDP must expect unused params
    [str(ROOT / "architectures" / "pmg-mnist.mg"), "--set", "w=8"],
], ids=["unet", "pmg-unused-params"])
def test_torchrun_cli_two_processes(tmp_path, network):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MGDSL_ALLOCATOR": "system"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "mgdsl", "train", *network,
           "--task", "mnist-seg", "--train-size", "64", "--test-size", "8", "--epochs", "1",
           "--iters-per-epoch", "3", "--batch-size", "4", "--out", str(tmp_path), "--quiet"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    import torch

    data = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert data["world_size"] == 2 and data["step"] == 3


def test_train_parses_set_like_every_command(tmp_path, fake_builders, capsys):
    """The values of `--set` are those `mgdsl check --set` gives: lists, booleans, numbers."""
    assert main(short(tmp_path, "--quiet", "--set", "units=[2,2,2,2]", "--set", "w=0.5",
                      "--set", "bias=true")) == 0
    assert fake_builders["loaded"][1] == {"units": (2, 2, 2, 2), "w": 0.5, "bias": True}
    assert main(short(tmp_path / "2", "--set", "w=")) == 1
    err = capsys.readouterr().err
    assert "<command line>:1:" in err and "error[E411]: `--set w=`: no value after `=`" in err


def test_train_list_parameter_reaches_the_network(tmp_path, capsys):
    # R-MG-34's `units` is a list: the network loads (no E406 about a string) and the run
    # stops only at the missing ImageNet folder
    assert main(["train", "R-MG-34", "--task", "imagenet", "--set", "units=[1,1,1,1]",
                 "--set", "w=8", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "error[E703]" in err and "--data-dir" in err and "E406" not in err


def test_a_setting_declared_once_reaches_the_cli_config_json_and_resume(
        tmp_path, fake_builders, monkeypatch, capsys):
    """One `Setting` in the registry is an option (with its help and check), a config field,
    an entry of config.json and the checkpoint, and a key a resumed run must keep."""
    import torch

    from mgdsl.train import config, settings

    new = settings.Setting("label_smoothing", float, 0.0, "smooth the targets by S",
                           lambda v: None if 0 <= v < 1 else f"must be in [0, 1), got {v!r}",
                           metavar="S", resume=True)
    extended = (*settings.SETTINGS, new)
    monkeypatch.setattr(settings, "SETTINGS", extended)
    monkeypatch.setattr(config, "TrainConfig", config.make_config_class(extended))
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert re.search(r"--label-smoothing S\s+smooth the targets by S \(default: 0.0\)",
                     capsys.readouterr().out)
    with pytest.raises(SystemExit) as exc:
        main(short(tmp_path, "--label-smoothing", "2"))
    assert exc.value.code == 2
    assert "argument --label-smoothing: must be in [0, 1), got 2.0" in capsys.readouterr().err
    assert main(short(tmp_path, "--quiet", "--label-smoothing", "0.25")) == 0
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["config"]["label_smoothing"] == 0.25
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert saved["config"]["label_smoothing"] == 0.25
    more = short(tmp_path, "--quiet", "--resume", "--label-smoothing", "0.5")
    more[more.index("--epochs") + 1] = "3"
    assert main(more) == 1
    err = capsys.readouterr().err
    assert "error[E802]" in err and "label-smoothing was 0.25, now 0.5" in err
    more[more.index("--label-smoothing") + 1] = "0.25"
    assert main(more) == 0
    assert config.TrainConfig("mnist-seg", 1, 1, 1).label_smoothing == 0.0
