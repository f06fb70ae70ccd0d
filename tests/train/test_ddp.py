"""DistributedDataParallel through torchrun: two CPU processes (gloo) stay in sync.

Run as a script under torchrun this file is the worker: it trains the tiny fake network
with `mgdsl.train.train` (which reads RANK/WORLD_SIZE from the environment) and saves its
rank's final parameters and losses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.torch  # imports torch

HERE = Path(__file__).resolve().parent
SUPPORT = HERE.parent / "support"
ROOT_DIR = HERE.parent.parent


def _torchrun(out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(Path(__file__).resolve()), str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT_DIR), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=150)


def test_two_processes_stay_identical_and_stop_together(tmp_path):
    proc = _torchrun(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world_size"] == r1["world_size"] == 2
    assert set(r0["params"]) == set(r1["params"])
    for name, value in r0["params"].items():
        assert torch.equal(value, r1["params"][name]), name
    # the logged loss is the mean over ranks, so both ranks log the same curve
    assert r0["losses"] == r1["losses"] and len(r0["losses"]) == 8
    # the ranks saw different shards: their first local batches differ
    assert not torch.equal(r0["first_x"], r1["first_x"])
    # training moved the weights, and rank 0 wrote the run's files
    assert not torch.equal(r0["params"]["0.weight"], r0["initial"]["0.weight"])
    ckpt = torch.load(tmp_path / "sync" / "checkpoint.pt", weights_only=True)
    assert ckpt["world_size"] == 2 and ckpt["step"] == 8
    assert ckpt["losses"].tolist() == r0["losses"]
    assert (tmp_path / "sync" / "metrics.json").is_file()
    # a NaN loss on rank 1 only stops both ranks at the same step, with no hang
    for rank in (0, 1):
        text = (tmp_path / f"rank{rank}.diverged").read_text()
        assert "the loss became nan at step 3" in text


def _fake_gpus(monkeypatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


@pytest.mark.parametrize(("gpus", "procs", "rank", "expected"), [
    (0, 1, 0, "cpu"), (1, 1, 0, "cuda:0"), (2, 2, 1, "cuda:1"),
    (1, 2, 0, "cpu"), (1, 2, 1, "cpu"),  # fewer GPUs than processes: all ranks on the CPU
])
def test_auto_device_gives_each_process_a_gpu_or_none(monkeypatch, gpus, procs, rank, expected):
    from mgdsl.train.ddp import Dist

    _fake_gpus(monkeypatch, gpus)
    dist = Dist(rank=rank, world_size=procs, local_rank=rank, local_world_size=procs)
    assert str(dist.device("auto")) == expected


def test_cuda_with_fewer_gpus_than_processes_is_a_clear_error(monkeypatch):
    from mgdsl.train.ddp import Dist
    from mgdsl.train.errors import TrainError

    _fake_gpus(monkeypatch, 1)
    dist = Dist(rank=1, world_size=2, local_rank=1, local_world_size=2)
    with pytest.raises(TrainError, match="needs GPU 1, but this machine has 1") as info:
        dist.device("cuda")
    assert "--device cpu" in info.value.hint
    assert str(Dist(rank=0, world_size=2, local_rank=0, local_world_size=2).device("cuda")) == "cuda:0"


def test_local_world_size_comes_from_torchrun(monkeypatch):
    from mgdsl.train.ddp import Dist

    for key, value in {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(key, value)
    assert Dist.from_env() == Dist(rank=3, world_size=4, local_rank=1, local_world_size=2)


def _worker(out: Path) -> None:
    sys.path.insert(0, str(SUPPORT))
    from train_fakes import FakeSegTask, fake_metrics, seg_net

    from mgdsl.train import TrainConfig
    from mgdsl.train.ddp import Dist
    from mgdsl.train.errors import DivergedError
    from mgdsl.train.loop import train

    dist = Dist.from_env()
    dist.setup(torch.device("cpu"))  # one process group for both runs below
    rank = dist.rank
    cfg = TrainConfig(task="fake-seg", epochs=2, iters_per_epoch=4, batch_size=8, iter_size=2,
                      lr=0.1, seed=5, progress=False, quiet=True, eval_limit=16, device="cpu")

    net = seg_net(seed=0)
    initial = {k: v.clone() for k, v in net.state_dict().items()}
    task = FakeSegTask()
    first_x = next(task.train_batches(4, seed=5, rank=rank, world_size=2))[0]
    result = train(net, task, cfg, out / "sync", metrics_factory=fake_metrics, dist=dist)
    torch.save(
        {
            "world_size": dist.world_size,
            # parameters (BN running statistics are rank-local until DDP's next broadcast)
            "params": {k: v.detach().cpu() for k, v in net.named_parameters()},
            "initial": initial,
            "losses": result.losses,
            "first_x": first_x,
        },
        out / f"rank{rank}.pt",
    )

    poisoned = FakeSegTask(poison_at=4) if rank == 1 else FakeSegTask()
    try:
        train(seg_net(seed=0), poisoned, cfg, out / "nan", metrics_factory=fake_metrics, dist=dist)
    except DivergedError as exc:
        (out / f"rank{rank}.diverged").write_text(str(exc))
    dist.teardown()
    # as `mgdsl train` does under torchrun: skip C++ static destructors, where gloo's
    # threads sometimes abort an otherwise finished process
    from mgdsl.cli.train import exit_after_distributed

    exit_after_distributed(0)


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
elif not hasattr(torch.distributed, "init_process_group"):  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)
