"""CUDA graphs in `mgdsl train`: the decisions, the LR tensor, the static buffers and the
captured update on CPU; the capture itself in `cuda` tests (skipped without a GPU)."""

from __future__ import annotations

import contextlib

import pytest
import torch
from train_fakes import FakeSegTask, fake_metrics, seg_net

from mgdsl.train import TrainConfig
from mgdsl.train.errors import TrainError
from mgdsl.train.graphs import (
    GraphedStep,
    LrTensor,
    StaticBatch,
    graph_blockers,
    graph_loss,
    network_blockers,
    sgd_update,
    use_graphs,
)
from mgdsl.train.loop import train
from mgdsl.train.optim import build_optimizer

pytestmark = pytest.mark.torch  # imports torch

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
GOOD = dict(world_size=1, iter_size=1, amp=False, amp_dtype="bf16", compile=False)


def test_blockers_name_every_reason():
    cuda = torch.device("cuda")
    assert graph_blockers(device=cuda, **GOOD) == []
    assert graph_blockers(device=cuda, **{**GOOD, "amp": True}) == []  # bf16 autocast is fine
    cases = {"world_size": 2, "iter_size": 4, "compile": True}
    for key, value in cases.items():
        assert len(graph_blockers(device=cuda, **{**GOOD, key: value})) == 1, key
    fp16 = graph_blockers(device=cuda, **{**GOOD, "amp": True, "amp_dtype": "fp16"})
    assert len(fp16) == 1 and "GradScaler" in fp16[0]
    cpu = graph_blockers(device=torch.device("cpu"), **{**GOOD, "world_size": 2})
    assert len(cpu) == 2 and "cpu" in cpu[0]


def test_networks_that_wait_for_the_host_are_not_captured():
    import mgdsl

    assert network_blockers(mgdsl.load_module("PMG-11-seg", w=8)) == []

    # x * x.sum().item(), written as a graph (symbolic tracing cannot call item)
    graph = torch.fx.Graph()
    x = graph.placeholder("x")
    total = graph.call_method("sum", (x,))
    value = graph.call_method("item", (total,))
    graph.output(graph.call_function(torch.mul, (x, value)))
    module = torch.fx.GraphModule(torch.nn.Module(), graph)
    found = network_blockers(module)
    assert len(found) == 1 and "`item`" in found[0]
    assert network_blockers(torch.nn.Linear(2, 2)) == []  # not fx: nothing to inspect
    assert graph_blockers(device=torch.device("cuda"), model=module, **GOOD) == found


def test_use_graphs_only_when_asked():
    # opt-in until a GPU run has passed the capture tests below
    assert use_graphs(None, []) is False
    assert use_graphs(None, ["cpu"]) is False
    assert use_graphs(False, []) is False
    assert use_graphs(True, []) is True
    with pytest.raises(ValueError, match="--cuda-graphs cannot be used: a; b"):
        use_graphs(True, ["a", "b"])


def test_lr_tensor_changes_in_place():
    lr = LrTensor("cpu", 0.1)
    storage = lr.value.data_ptr()
    assert lr.get() == 0.1 and float(lr.value) == pytest.approx(0.1)
    lr.set(0.02)
    assert lr.value.data_ptr() == storage and float(lr.value) == pytest.approx(0.02)
    assert lr.value.dim() == 0 and lr.value.dtype == torch.float32 and lr.get() == 0.02


def test_static_batch_copies_into_the_same_storage():
    x = torch.randn(4, 1, 8, 8)
    y = torch.rand(4, 2, 8, 8)
    static = StaticBatch(x, y, "cpu", channels_last=True)
    pointers = (static.x.data_ptr(), static.y.data_ptr())
    assert static.x.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(static.x, x) and torch.equal(static.y, y)
    x2, y2 = torch.randn_like(x), torch.rand_like(y)
    static.fill(x2, y2)
    assert (static.x.data_ptr(), static.y.data_ptr()) == pointers
    assert torch.equal(static.x, x2) and torch.equal(static.y, y2)
    x2.zero_()  # the buffers hold copies, not views of the host batch
    assert not torch.equal(static.x, x2)
    with pytest.raises(ValueError, match="captured step takes batches of"):
        static.fill(x[:3], y[:3])


def _grads(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    model.zero_grad(set_to_none=True)
    loss = graph_loss("segmentation", model(x), y)
    loss.backward()
    return loss


def test_captured_sgd_update_is_torchs_sgd():
    # the update a graph holds (tensor LR, foreach ops, first step creating the buffers)
    # follows torch.optim.SGD with the paper's settings step for step, the LR changing
    torch.manual_seed(0)
    ours, theirs = seg_net(), seg_net()
    theirs.load_state_dict(ours.state_dict())
    config = TrainConfig("fake-seg", epochs=1, iters_per_epoch=1, batch_size=4)
    opt_ours = build_optimizer(ours.parameters(), config)
    opt_theirs = build_optimizer(theirs.parameters(), config)
    step = GraphedStep(ours, opt_ours, "segmentation", device=torch.device("cpu"),
                       channels_last=False, lr=0.1, autocast=lambda: torch.autocast("cpu", enabled=False),
                       check=lambda out, y: graph_loss("segmentation", out, y))
    data = FakeSegTask().train_batches(4, seed=1)
    for lr in (0.1, 0.1, 0.05, 0.02):
        x, y = next(data)
        step.lr.set(lr)
        _grads(ours, x, y)
        step._update()
        _grads(theirs, x, y)
        for group in opt_theirs.param_groups:
            group["lr"] = lr
        opt_theirs.step()
        for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(opt_ours.state[a]["momentum_buffer"],
                                   opt_theirs.state[b]["momentum_buffer"], rtol=1e-6, atol=1e-7)
    assert set(opt_ours.state_dict()["state"][0]) == {"momentum_buffer"}  # same checkpoint state


def test_sgd_update_formula():
    p = [torch.tensor([1.0, -2.0])]
    g = [torch.tensor([0.5, 0.5])]
    b = [torch.tensor([1.0, 1.0])]
    sgd_update(p, g, b, torch.tensor(0.1), momentum=0.9, weight_decay=0.1)
    # g' = g + 0.1 p = [0.6, 0.3]; b = 0.9 b + g' = [1.5, 1.2]; p -= 0.1 b
    torch.testing.assert_close(b[0], torch.tensor([1.5, 1.2]))
    torch.testing.assert_close(p[0], torch.tensor([0.85, -2.12]))


def test_cuda_graphs_asked_for_on_cpu_is_a_clear_error(tmp_path):
    config = TrainConfig("fake-seg", epochs=1, iters_per_epoch=2, batch_size=4, device="cpu",
                         cuda_graphs=True, progress=False, quiet=True)
    with pytest.raises(TrainError, match="--cuda-graphs cannot be used: the run trains on cpu"):
        train(seg_net(), FakeSegTask(), config, tmp_path, metrics_factory=fake_metrics)
    auto = TrainConfig("fake-seg", epochs=1, iters_per_epoch=2, batch_size=4, device="cpu",
                       progress=False, quiet=True)
    train(seg_net(), FakeSegTask(), auto, tmp_path / "auto", metrics_factory=fake_metrics)
    import json

    assert json.loads((tmp_path / "auto" / "config.json").read_text())["cuda_graphs"] is False


def test_cuda_graphs_are_off_by_default_even_on_cuda():
    assert TrainConfig("fake-seg", epochs=1, iters_per_epoch=1, batch_size=4).cuda_graphs is False


def test_a_failed_capture_is_a_capture_failed_error(monkeypatch):
    """The capture section turns any failure into `CaptureFailed` and leaves no gradients
    (simulated on the CPU: constructing the CUDA graph fails)."""
    from mgdsl.train.graphs import CaptureFailed, GraphedStep

    def no_graphs():
        raise RuntimeError("CUDA error: operation not permitted when stream is capturing\nmore")

    monkeypatch.setattr(torch.cuda, "CUDAGraph", no_graphs)
    net = seg_net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    step = GraphedStep(net, optimizer, "segmentation", device=torch.device("cpu"),
                       channels_last=False, lr=0.1, autocast=contextlib.nullcontext,
                       check=lambda out, y: out.mean(), warmup=0)
    x, y = next(FakeSegTask().train_batches(4, seed=0))
    with pytest.raises(CaptureFailed, match="^RuntimeError: CUDA error: operation not permitted"):
        step.step(x, y, 0.1)
    assert all(p.grad is None for p in net.parameters())


class _CaptureFailsAfterWarmup:
    """A stand-in for `GraphedStep` on the CPU: two eager warm-up steps as the real one
    trains them, then a failing capture."""

    def __init__(self, model, optimizer, kind, *, device, channels_last, lr, autocast, check,
                 warmup=2):
        self.model, self.optimizer, self.check, self.warmup = model, optimizer, check, warmup

    def step(self, x, y, lr):
        from mgdsl.train.graphs import CaptureFailed

        if self.warmup == 0:
            raise CaptureFailed("RuntimeError: simulated capture failure")
        self.warmup -= 1
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.check(self.model(x.contiguous(memory_format=torch.channels_last)), y)
        loss.backward()
        self.optimizer.step()
        return loss.detach()


def test_capture_failure_falls_back_to_eager_with_one_warning(tmp_path, monkeypatch, capsys):
    import mgdsl.train.stepper as stepper

    config = dict(task="fake-seg", epochs=2, iters_per_epoch=4, batch_size=4, device="cpu",
                  progress=False, seed=2)
    eager = train(seg_net(), FakeSegTask(), TrainConfig(**config, quiet=True), tmp_path / "e",
                  metrics_factory=fake_metrics)
    monkeypatch.setattr(stepper, "graph_blockers", lambda **kw: [])
    monkeypatch.setattr(stepper, "GraphedStep", _CaptureFailsAfterWarmup)
    capsys.readouterr()
    graphed = train(seg_net(), FakeSegTask(), TrainConfig(**config, cuda_graphs=True),
                    tmp_path / "g", metrics_factory=fake_metrics)
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "capture" in line]
    assert warnings == ["warning: CUDA graph capture failed (RuntimeError: simulated capture "
                        "failure); training on without graphs"]
    assert "Traceback" not in err
    # the step whose capture failed ran eagerly on the same batch: nothing skipped
    assert graphed.steps == eager.steps == 8 and graphed.losses == eager.losses


# ---------------------------------------------------------------- on a GPU


def cuda_run(out, **kw):
    kwargs = {k: kw.pop(k) for k in ("resume", "on_step") if k in kw}
    task = kw.pop("task", FakeSegTask())
    values = dict(task="fake-seg", epochs=3, iters_per_epoch=8, batch_size=8, lr=0.1,
                  lr_rule="exp", lr_schedule="scaled", progress=False, quiet=True, seed=3,
                  device="cuda")
    values.update(kw)
    return train(seg_net(), task, TrainConfig(**values), out, metrics_factory=fake_metrics,
                 **kwargs)


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_cuda_graph_run_follows_the_eager_run(tmp_path, optimizer):
    import json

    lr = 0.1 if optimizer == "sgd" else 1e-2
    graphed = cuda_run(tmp_path / "g", optimizer=optimizer, lr=lr, cuda_graphs=True)
    eager = cuda_run(tmp_path / "e", optimizer=optimizer, lr=lr, cuda_graphs=False)
    assert json.loads((tmp_path / "g" / "config.json").read_text())["cuda_graphs"] is True
    # the LR changes every epoch (scaled exp rule) without recapture; cuDNN may pick other
    # kernels, so the runs agree closely rather than bitwise
    assert graphed.losses == pytest.approx(eager.losses, rel=2e-3, abs=1e-4)
    assert graphed.epochs[-1]["lr"] == pytest.approx(1e-4)
    ckpt = torch.load(tmp_path / "g" / "checkpoint.pt", weights_only=True)
    running = [v for k, v in ckpt["model"].items() if k.endswith("running_mean")]
    assert running and any(float(v.abs().sum()) > 0 for v in running)  # BN stats moved


@pytest.mark.cuda
@CUDA
def test_cuda_graph_resume_and_nan_stop(tmp_path):
    from mgdsl.train.errors import DivergedError

    class Crash(Exception):
        pass

    def crash_at_11(step, loss):
        if step == 11:
            raise Crash

    full = cuda_run(tmp_path / "full", checkpoint_every=5, cuda_graphs=True)
    with pytest.raises(Crash):
        cuda_run(tmp_path / "cut", checkpoint_every=5, on_step=crash_at_11, cuda_graphs=True)
    resumed = cuda_run(tmp_path / "cut", checkpoint_every=5, resume=True, cuda_graphs=True)
    assert resumed.resumed_from == 10
    assert resumed.losses == pytest.approx(full.losses, rel=1e-3, abs=1e-5)
    with pytest.raises(DivergedError, match="step 14"):
        cuda_run(tmp_path / "nan", task=FakeSegTask(poison_at=13), checkpoint_every=5,
                 cuda_graphs=True)
    kept = torch.load(tmp_path / "nan" / "checkpoint.pt", weights_only=True)
    assert kept["step"] == 10 and all(torch.isfinite(v).all() for v in kept["model"].values()
                                      if v.is_floating_point())
