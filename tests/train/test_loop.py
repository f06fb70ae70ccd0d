"""The training loop on tiny fakes: the loss drops, files, exact resume, NaN stop, errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from paths import ROOT, TESTS
from train_fakes import FakeClsTask, FakeSegTask, cls_net, fake_metrics, seg_net

from mgdsl.errors import MgError
from mgdsl.train import TrainConfig
from mgdsl.train.checkpoint import load_checkpoint
from mgdsl.train.errors import CheckpointMismatchError, DivergedError, TrainError
from mgdsl.train.loop import train

pytestmark = pytest.mark.torch  # imports torch



def seg_config(**kw) -> TrainConfig:
    values = dict(task="fake-seg", epochs=3, iters_per_epoch=8, batch_size=8, lr=0.1,
                  lr_rule="exp", lr_schedule="scaled", progress=False, quiet=True, seed=3)
    values.update(kw)
    return TrainConfig(**values)


def run_seg(out, **kw):
    kwargs = {k: kw.pop(k) for k in ("resume", "on_step", "overwrite", "model_spec") if k in kw}
    task = kw.pop("task", FakeSegTask())
    return train(seg_net(), task, seg_config(**kw), out, metrics_factory=fake_metrics, **kwargs)


def test_smoke_loss_drops_and_files_written(tmp_path):
    result = run_seg(tmp_path, model_spec={"target": "tiny", "params": {"w": 8}})
    assert result.steps == 24 and len(result.losses) == 24
    first, last = result.epochs[0]["train_loss"], result.epochs[-1]["train_loss"]
    assert last < 0.8 * first, (first, last)
    for name in ("metrics.csv", "metrics.json", "loss.png", "config.json", "checkpoint.pt"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert {"lr", "train_loss", "test_loss", "test_pixel_accuracy", "images_per_second",
            "wall_seconds"} <= set(rows[0])
    assert "test_per_class" not in rows[0]  # lists stay in the JSON only
    # every *_seconds column is the epoch's own; elapsed_seconds is the run's clock
    for row in rows:
        train, evaluation, wall = (float(row[k]) for k in
                                   ("train_seconds", "eval_seconds", "wall_seconds"))
        assert 0 < train + evaluation <= wall + 1e-6
    elapsed = [float(r["elapsed_seconds"]) for r in rows]
    assert elapsed == sorted(elapsed)
    assert abs(elapsed[-1] - sum(float(r["wall_seconds"]) for r in rows)) < 1e-6
    data = json.loads((tmp_path / "metrics.json").read_text())
    assert data["epochs"][0]["test_per_class"] == [1.0, 2.0]
    assert data["model"] == {"target": "tiny", "params": {"w": 8}}
    assert data["epochs"][2]["test_pixel_accuracy"] > 0.8
    lrs = [r["lr"] for r in data["epochs"]]
    assert lrs[0] == pytest.approx(0.1) and lrs[-1] == pytest.approx(1e-4)
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["batch_size"] == 8 and config["world_size"] == 1


def test_checkpoint_loads_weights_only(tmp_path):
    run_seg(tmp_path, epochs=1, model_spec={"target": "tiny", "params": {}})
    data = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert data["step"] == 8 and data["model_spec"]["target"] == "tiny"
    assert data["losses"].shape == (8,)
    net = seg_net(seed=99)
    net.load_state_dict(data["model"])
    assert set(data["rng"]) >= {"torch", "numpy", "python"}
    assert data["optimizer"]["param_groups"][0]["momentum"] == 0.9


def test_classification_trains(tmp_path):
    cfg = TrainConfig(task="fake-cls", epochs=2, iters_per_epoch=15, batch_size=16, lr=0.1,
                      lr_rule="step", progress=False, quiet=True)
    result = train(cls_net(), FakeClsTask(), cfg, tmp_path, metrics_factory=fake_metrics)
    assert result.epochs[-1]["train_loss"] < result.epochs[0]["train_loss"]
    assert "test_top1_error" in result.epochs[-1]


class Crash(Exception):
    pass


def test_resume_in_process_matches_uninterrupted(tmp_path):
    full = run_seg(tmp_path / "full", checkpoint_every=3)

    def crash_at_7(step, loss):
        if step == 7:
            raise Crash

    with pytest.raises(Crash):
        run_seg(tmp_path / "cut", checkpoint_every=3, on_step=crash_at_7)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["step"] == 6
    resumed = run_seg(tmp_path / "cut", checkpoint_every=3, resume=True)
    assert resumed.resumed_from == 6
    assert resumed.losses == full.losses  # bitwise
    strip = ("train_seconds", "eval_seconds", "images_per_second", "wall_seconds",
             "elapsed_seconds")
    assert [{k: v for k, v in r.items() if k not in strip} for r in resumed.epochs] == [
        {k: v for k, v in r.items() if k not in strip} for r in full.epochs
    ]
    a = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_accumulation_and_epoch_boundary(tmp_path):
    full = run_seg(tmp_path / "full", epochs=2, iters_per_epoch=4, iter_size=2)

    def crash_at_4(step, loss):
        if step == 4:  # right after the epoch-end checkpoint
            raise Crash

    with pytest.raises(Crash):
        run_seg(tmp_path / "cut", epochs=2, iters_per_epoch=4, iter_size=2, on_step=crash_at_4)
    resumed = run_seg(tmp_path / "cut", epochs=2, iters_per_epoch=4, iter_size=2, resume=True)
    assert resumed.losses == full.losses and len(resumed.epochs) == 2


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from train_fakes import FakeSegTask, seg_net, fake_metrics
    from mgdsl.train import TrainConfig
    from mgdsl.train.loop import train

    def kill(step, loss):
        if step == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)

    cfg = TrainConfig(task="fake-seg", epochs=3, iters_per_epoch=8, batch_size=8, lr=0.1,
                      lr_schedule="scaled", progress=False, quiet=True, seed=3,
                      checkpoint_every=3)
    train(seg_net(), FakeSegTask(), cfg, sys.argv[1], metrics_factory=fake_metrics,
          resume=sys.argv[3] == "resume", on_step=kill)
    """
)


def test_resume_after_sigkill_matches_uninterrupted(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS / "support")))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "killed"
    killed = subprocess.run([sys.executable, str(script), str(out), "17", "fresh"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 16  # the last checkpoint before
    resumed = run_seg(out, checkpoint_every=3, resume=True)
    full = run_seg(tmp_path / "full", checkpoint_every=3)
    assert resumed.resumed_from == 16 and resumed.losses == full.losses


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    task = FakeSegTask(poison_at=13)
    with pytest.raises(DivergedError) as info:
        run_seg(tmp_path, task=task, checkpoint_every=5)
    text = str(info.value)
    assert "the loss became nan at step 14 (epoch 2, iteration 6 of 8)" in text
    assert "last good checkpoint (step 10)" in text
    data = load_checkpoint(tmp_path / "checkpoint.pt")
    assert data["step"] == 10
    assert all(torch.isfinite(v).all() for v in data["model"].values() if v.is_floating_point())
    assert isinstance(info.value, MgError) and info.value.code == "E801"


def test_existing_run_needs_resume_or_overwrite(tmp_path):
    run_seg(tmp_path, epochs=1)
    with pytest.raises(TrainError, match="already holds a training run"):
        run_seg(tmp_path, epochs=1)
    again = run_seg(tmp_path, epochs=1, overwrite=True)
    assert again.steps == 8


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(TrainError, match="nothing to resume"):
        run_seg(tmp_path / "none", resume=True)


def test_resume_with_other_settings_is_refused(tmp_path):
    run_seg(tmp_path, epochs=1)
    with pytest.raises(CheckpointMismatchError) as info:
        run_seg(tmp_path, epochs=2, batch_size=4, resume=True)
    assert "batch-size was 8, now 4" in str(info.value)


def test_resume_can_extend_a_finished_run(tmp_path):
    run_seg(tmp_path, epochs=1, lr_schedule="constant")
    longer = run_seg(tmp_path, epochs=2, lr_schedule="constant", resume=True)
    full = run_seg(tmp_path / "full", epochs=2, lr_schedule="constant")
    assert longer.losses == full.losses and len(longer.epochs) == 2


def test_wrong_output_shape_is_a_clear_error(tmp_path):
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.Sigmoid())
    with pytest.raises(MgError, match=r"outputs \(8, 3, 16, 16\) but the task's targets are"):
        train(net, FakeSegTask(), seg_config(), tmp_path, metrics_factory=fake_metrics)


def test_outputs_outside_unit_interval_need_a_sigmoid(tmp_path):
    net = torch.nn.Conv2d(1, 2, 3, padding=1)
    with pytest.raises(MgError, match="not probabilities"):
        train(net, FakeSegTask(), seg_config(), tmp_path, metrics_factory=fake_metrics)


def test_batch_must_split_over_processes(tmp_path):
    from mgdsl.train.ddp import Dist

    with pytest.raises(TrainError, match="does not split evenly"):
        train(seg_net(), FakeSegTask(), seg_config(batch_size=7), tmp_path,
              dist=Dist(rank=0, world_size=2), metrics_factory=fake_metrics)


def test_amp_bf16_on_cpu_and_channels_last(tmp_path):
    result = run_seg(tmp_path, epochs=1, amp=True, channels_last=True)
    assert all(torch.isfinite(torch.tensor(result.losses)))
    assert result.epochs[0]["test_loss"] < 0.75


def test_eval_every_and_eval_limit(tmp_path):
    result = run_seg(tmp_path, epochs=3, eval_every=2, eval_limit=10)
    assert [("test_loss" in r) for r in result.epochs] == [False, True, True]
    assert result.epochs[1]["test_samples"] == 10


@pytest.mark.slow
def test_compile_matches_eager_closely(tmp_path):
    eager = run_seg(tmp_path / "eager", epochs=1)
    compiled = run_seg(tmp_path / "compiled", epochs=1, compile=True)
    assert compiled.losses == pytest.approx(eager.losses, rel=1e-3, abs=1e-4)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("amp_dtype", ["fp16", "bf16"])
def test_cuda_amp_trains_and_resumes(tmp_path, amp_dtype):
    kw = dict(device="cuda", amp=True, amp_dtype=amp_dtype, channels_last=True, epochs=2)
    full = run_seg(tmp_path / "full", **kw)
    assert full.epochs[-1]["train_loss"] < full.epochs[0]["train_loss"]

    def crash_at_11(step, loss):
        if step == 11:
            raise Crash

    with pytest.raises(Crash):
        run_seg(tmp_path / "cut", checkpoint_every=5, on_step=crash_at_11, **kw)
    resumed = run_seg(tmp_path / "cut", checkpoint_every=5, resume=True, **kw)
    # cuDNN's backward kernels may use atomics, so GPU runs agree closely, not bitwise
    assert resumed.losses == pytest.approx(full.losses, rel=1e-3, abs=1e-5)
    data = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert (data["scaler"] is not None) == (amp_dtype == "fp16")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_cuda_requested_without_a_gpu(tmp_path):
    with pytest.raises(TrainError, match="no CUDA device"):
        run_seg(tmp_path, device="cuda")
