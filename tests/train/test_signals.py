"""SIGTERM and SIGINT during `mgdsl train`: the step finishes, a checkpoint is written, the
`--resume` command is printed, the exit status is 128 + the signal, and resuming ends
bit-exact with an uninterrupted run; a second signal of the same kind stops at once; under
torchrun every rank stops after the same step."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from paths import ROOT

from mgdsl.cli.train import resume_command

pytestmark = pytest.mark.torch  # imports torch

SEG = ROOT / "tests" / "golden" / "errors" / "cli" / "seg.mg"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
       "MGDSL_ALLOCATOR": "system", "NO_COLOR": "1"}
ITERS = 150


def _args(out: Path) -> list[str]:
    return ["train", str(SEG), "--task", "mnist-seg", "--train-size", "32", "--test-size", "8",
            "--epochs", "1", "--iters-per-epoch", str(ITERS), "--batch-size", "4",
            "--device", "cpu", "--no-progress", "--out", str(out)]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the run has started training (`path` exists)."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the run did not start"
        time.sleep(0.005)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("full") / "run"
    proc = subprocess.run([sys.executable, "-m", "mgdsl", *_args(out)], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return torch.load(out / "checkpoint.pt", weights_only=True)


@pytest.mark.parametrize(("signum", "status"), [
    (signal.SIGTERM, 143),
    pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow),  # the same path, ~15 s more
], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_epoch_checkpoints_and_resume_is_exact(tmp_path, uninterrupted, signum,
                                                             status):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "mgdsl", *_args(out)], env=ENV, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(out / "config.json", proc)  # written as training starts, after the handlers
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert "Traceback" not in err
    name = signal.Signals(signum).name
    assert f"mgdsl: {name} received: finishing this step and writing a checkpoint" in err
    found = re.search(rf"mgdsl: stopped by {name} after step (\d+); checkpoint written to "
                      rf"(\S+)\nto go on:  (.+)\n", err)
    assert found, err
    step = int(found.group(1))
    assert 1 <= step < ITERS  # mid-epoch
    assert Path(found.group(2)) == out / "checkpoint.pt"
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    assert saved["step"] == step and len(saved["losses"]) == step
    assert saved["epochs"] == []  # no epoch finished: no metrics claim more than it holds
    command = shlex.split(found.group(3))
    assert command[:2] == ["mgdsl", "train"] and command[-1] == "--resume"
    resumed = subprocess.run([sys.executable, "-m", "mgdsl", *command[1:]], env=ENV, cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    final = torch.load(out / "checkpoint.pt", weights_only=True)
    assert final["step"] == ITERS
    assert torch.equal(final["losses"], uninterrupted["losses"])
    for key, value in uninterrupted["model"].items():
        assert torch.equal(final["model"][key], value), key


SECOND = textwrap.dedent("""
    import os, signal, sys, time
    from mgdsl.train.stopping import StopSignals

    first, second = (getattr(signal, name) for name in sys.argv[1:3])
    with StopSignals() as stop:
        os.kill(os.getpid(), first)
        assert stop.signum == first
        os.kill(os.getpid(), second)
        time.sleep(0.2)
        print("still running", flush=True)
""")


def test_a_second_signal_of_the_same_kind_stops_at_once():
    for first, second, alive in [("SIGTERM", "SIGTERM", False), ("SIGINT", "SIGINT", False),
                                 ("SIGINT", "SIGTERM", True)]:  # torchrun forwards Ctrl-C
        proc = subprocess.run([sys.executable, "-c", SECOND, first, second], env=ENV,
                              capture_output=True, text=True, timeout=60)
        if alive:
            assert proc.returncode == 0 and "still running" in proc.stdout, proc.stderr
        else:
            assert proc.returncode == -getattr(signal, second), proc.stderr
            assert f"mgdsl: {second} again: stopping at once" in proc.stderr
            assert "still running" not in proc.stdout


def test_resume_command_keeps_the_options():
    argv = ["train", "net file.mg", "--task", "mnist-seg", "--out", "runs/a", "--overwrite"]
    assert resume_command(argv, 1) == ("mgdsl train 'net file.mg' --task mnist-seg --out runs/a "
                                       "--resume")
    assert resume_command([*argv, "--resume"], 2).startswith(
        "torchrun --nproc_per_node=2 -m mgdsl train 'net file.mg'")


@pytest.mark.slow
def test_torchrun_ranks_stop_after_the_same_step(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "mgdsl", *_args(out)]
    proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(out / "config.json", proc, timeout=180)
    proc.send_signal(signal.SIGTERM)  # torchrun's agent passes it on to every worker
    _, err = proc.communicate(timeout=180)
    # torchrun's agent itself ends with a traceback of its SignalException; the workers none
    assert "/mgdsl/" not in "".join(re.findall(r'File "([^"]+)"', err)), err
    main = re.search(r"mgdsl: stopped by SIGTERM after step (\d+)", err)
    other = re.search(r"mgdsl: rank 1 stopped by SIGTERM after step (\d+)", err)
    assert main and other, err
    assert main.group(1) == other.group(1)
    assert "--nproc_per_node=2 -m mgdsl train" in err and "--resume" in err
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    assert saved["world_size"] == 2 and saved["step"] == int(main.group(1)) < ITERS


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_with_data_workers(tmp_path):
    """A terminal's Ctrl-C reaches the worker processes too: they ignore it (from their
    start-up on) and the run stops as without workers, instead of waiting forever for a
    batch from a dead worker."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "mgdsl", *_args(out), "--data-workers", "1"],
                            env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    _wait_for(out / "config.json", proc)  # the worker is still starting: the hard case
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 130, err
    assert "mgdsl: stopped by SIGINT after step" in err and "Traceback" not in err
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] >= 1
