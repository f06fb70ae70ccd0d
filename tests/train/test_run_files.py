"""Operating-system failures while a run writes or reads its files: coded errors (E610-E614),
never a traceback, and a checkpoint that is always at least as new as the metrics and plots.

The full-disk test mounts a small tmpfs and fills it just before each write of a run, when
the machine lets the test mount (root); elsewhere it makes the same write fail with ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from paths import ROOT
from train_fakes import FakeSegTask, fake_metrics, seg_net

import mgdsl.atomic
from mgdsl.cli.main import main
from mgdsl.errors import MgFileError
from mgdsl.train import TrainConfig
from mgdsl.train.checkpoint import load_checkpoint
from mgdsl.train.loop import train

pytestmark = pytest.mark.torch  # imports torch

CLI_SEG = ROOT / "tests" / "golden" / "errors" / "cli" / "seg.mg"


def _config(**kw) -> TrainConfig:
    values = dict(task="fake-seg", epochs=2, iters_per_epoch=3, batch_size=4, lr=0.1,
                  lr_rule="exp", lr_schedule="scaled", progress=False, quiet=True, seed=5,
                  checkpoint_every=2)
    values.update(kw)
    return TrainConfig(**values)


def _train(out: Path, **kw):
    return train(seg_net(), FakeSegTask(test_size=8), _config(), out,
                 metrics_factory=fake_metrics, **kw)


@contextlib.contextmanager
def _small_file_system(base: Path):
    """A 2 MiB tmpfs under `base` (yields its path and True), or a plain folder and False."""
    mount = base / "small"
    mount.mkdir()
    ok = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True).returncode == 0
    try:
        yield mount, ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system of `folder` up to the last byte; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:  # unbuffered: closing writes nothing
        for chunk in (b"\0" * 65536, b"\0"):
            written = 1
            with contextlib.suppress(OSError):
                while written:
                    written = handle.write(chunk)
    return filler


def _count_writes(tmp_path: Path) -> int:
    calls = []
    real = tempfile.mkstemp

    def counting(*a, **kw):
        calls.append(kw.get("prefix"))
        return real(*a, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mgdsl.atomic.tempfile, "mkstemp", counting)
        _train(tmp_path / "count")
    return len(calls)


def _rows_step(out: Path) -> int | None:
    """The step of the last epoch metrics.json reports (None without the file)."""
    path = out / "metrics.json"
    if not path.exists():
        return None
    epochs = json.loads(path.read_text())["epochs"]
    return epochs[-1]["step"] if epochs else 0


def _failing_at(point: int, mount: Path | None):
    """A `mkstemp` that fills `mount` before write number `point` (0-based), or, without a
    mount, fails that write with ENOSPC itself."""
    seen = []
    real = tempfile.mkstemp

    def fill_then_write(*a, **kw):
        seen.append(kw.get("prefix"))
        if len(seen) - 1 == point:
            if mount is None:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            _fill(mount)
        return real(*a, **kw)

    return fill_then_write


#: the writes of `_train`'s run, in order (`_count_writes` checks the count)
WRITES = ["config.json", "checkpoint step 2", "checkpoint step 3", "metrics.csv",
          "metrics.json", "loss.png", "checkpoint step 4", "checkpoint step 6", "metrics.csv",
          "metrics.json", "loss.png"]
#: the default tier fills the disk at these; the slow tier at every write
QUICK = {"config.json", "checkpoint step 3", "metrics.json"}


@pytest.mark.parametrize("points", [
    pytest.param([i for i, w in enumerate(WRITES) if w in QUICK and i < 6], id="quick"),
    pytest.param(list(range(len(WRITES))), id="every-write", marks=pytest.mark.slow),
])
def test_a_full_disk_at_every_write_leaves_a_consistent_run(tmp_path, points):
    full = _train(tmp_path / "full")
    assert _count_writes(tmp_path) == len(WRITES)
    with _small_file_system(tmp_path) as (mount, real_disk):
        for point in points:
            out = mount / f"run{point}"
            fill_then_write = _failing_at(point, mount if real_disk else None)

            with pytest.MonkeyPatch.context() as mp, pytest.raises(MgFileError) as info:
                mp.setattr(mgdsl.atomic.tempfile, "mkstemp", fill_then_write)
                _train(out)
            assert info.value.code == "E612", (point, info.value)
            assert "no space left on the device" in info.value.message
            assert str(out) in info.value.message
            with contextlib.suppress(FileNotFoundError):
                (mount / "filler").unlink()
            assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
            # a reader of the run never sees results the checkpoint does not hold
            checkpoint = out / "checkpoint.pt"
            saved = load_checkpoint(checkpoint)["step"] if checkpoint.exists() else None
            reported = _rows_step(out)
            if reported is not None:
                assert saved is not None and reported <= saved, (point, reported, saved)
            # free space, then the same run goes on exactly
            result = _train(out, resume=saved is not None, overwrite=saved is None)
            assert result.losses == full.losses, point
            assert _rows_step(out) == full.steps


def test_out_is_a_file_or_under_one(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    for out in ("afile", "afile/sub"):
        code = main(["train", str(CLI_SEG), "--task", "mnist-seg", "--epochs", "1",
                     "--iters-per-epoch", "1", "--train-size", "4", "--test-size", "4",
                     "--device", "cpu", "--out", str(tmp_path / out)])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        assert "error[E610]" in err and f"`{tmp_path}/afile` exists and is a file" in err


def _read_only(folder: Path):
    """Make `folder` read-only: a read-only tmpfs as root, else chmod."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return contextlib.nullcontext(folder)
    return _ro_mount(folder)


@contextlib.contextmanager
def _ro_mount(folder: Path):
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0
    if not done:
        pytest.skip("cannot mount a read-only file system here (root without mount rights)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_folder(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    with _read_only(folder):
        code = main(["train", str(CLI_SEG), "--task", "mnist-seg", "--epochs", "1",
                     "--iters-per-epoch", "1", "--train-size", "4", "--test-size", "4",
                     "--device", "cpu", "--out", str(folder / "run")])
        err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert ("error[E611]" in err and "read-only" in err) or "error[E613]" in err


def test_resume_and_eval_failures_are_located(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    args = ["train", str(CLI_SEG), "--task", "mnist-seg", "--epochs", "1",
            "--iters-per-epoch", "1", "--train-size", "4", "--test-size", "4",
            "--device", "cpu", "--out", str(run), "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    # eval --checkpoint DIR says it is a folder and names the file in it
    assert main(["eval", "--checkpoint", str(run), "--test-size", "4"]) == 1
    err = capsys.readouterr().err
    assert "error[E610]" in err and f"`{run}` is a folder, not a file" in err
    assert f"hint: pass the checkpoint file in it: {run}/checkpoint.pt" in err
    # eval --out under a file
    (tmp_path / "afile").write_text("")
    assert main(["eval", "--checkpoint", str(run / "checkpoint.pt"), "--test-size", "4",
                 "--out", str(tmp_path / "afile" / "x")]) == 1
    err = capsys.readouterr().err
    assert "error[E610]" in err and "Traceback" not in err
    # a checkpoint that cannot be opened (simulated: root may read anything)
    real_open = Path.open

    def denied(self, *a, **kw):
        if self.name == "checkpoint.pt":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *a, **kw)

    monkeypatch.setattr(Path, "open", denied)
    assert main([*args[:-1], "--epochs", "2", "--resume"]) == 1
    err = capsys.readouterr().err
    assert "error[E613]: cannot read the checkpoint" in err and "permission denied" in err
    assert main(["eval", "--checkpoint", str(run / "checkpoint.pt"), "--test-size", "4"]) == 1
    assert "error[E613]" in capsys.readouterr().err
    monkeypatch.undo()
    # a full disk while eval writes its results
    def no_space(*a, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(mgdsl.atomic.tempfile, "mkstemp", no_space)
    assert main(["eval", "--checkpoint", str(run / "checkpoint.pt"), "--test-size", "4"]) == 1
    err = capsys.readouterr().err
    assert f"error[E612]: cannot write the results `{run}/eval.json`: no space" in err


@pytest.mark.slow
def test_a_full_disk_under_torchrun_ends_every_rank(tmp_path):
    """Rank 0 cannot write a checkpoint: it prints E612 and leaves the group without a
    barrier, so rank 1, waiting in the next step's all-reduce, stops with one line instead
    of waiting for ever (it hung before)."""
    import re
    import sys
    import time

    with _small_file_system(tmp_path) as (mount, real_disk):
        if not real_disk:
            pytest.skip("needs a small file system to fill (root with mount rights)")
        out = mount / "run"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
               "MGDSL_ALLOCATOR": "system"}
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", "-m", "mgdsl", "train", str(CLI_SEG), "--task", "mnist-seg",
               "--train-size", "32", "--test-size", "8", "--epochs", "1", "--iters-per-epoch",
               "300", "--batch-size", "4", "--checkpoint-every", "100", "--device", "cpu",
               "--no-progress", "--out", str(out)]
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        while not (out / "config.json").exists():
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        _fill(mount)
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode != 0
    assert "error[E612]: cannot write the checkpoint" in err
    assert "mgdsl: rank 1 stopped: another process of the run failed" in err
    # torchrun's agent reports the failure with its own traceback; the workers print none
    assert "/mgdsl/" not in "".join(re.findall(r'File "([^"]+)"', err)), err
