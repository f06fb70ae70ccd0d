"""The benchmarked networks: each zoo network beside its hand-written eager reference.

`NETS` lists the zoo name, the reference constructor (`benchmarks/reference`), the input
shape, the paper's batch size and the loss. `build(spec, impl)` returns one implementation
of a network: ``ref`` (hand-written), ``fx`` (`mgdsl.to_fx`) or ``src`` (the class of
`mgdsl.emit_source`, executed from a temporary file).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.reference import mg_cifar, pmg_mnist, rpmg_mnist, unet  # noqa: E402

__all__ = ["Net", "NETS", "IMPLS", "build", "load_source_class", "Step", "train_step",
           "step_flops", "random_batch", "task_loss"]

IMPLS = ("ref", "fx", "src")


@dataclass(frozen=True)
class Net:
    """One benchmarked network: zoo name, reference factory, input (C, H, W), batch, loss."""

    name: str
    reference: Callable[[], nn.Module]
    input_shape: tuple[int, int, int]
    batch: int
    kind: str  # "classification" (cross-entropy) or "segmentation" (BCE of sigmoid maps)


NETS = [
    Net("MG-16", lambda: mg_cifar(num_classes=100, n=3), (3, 32, 32), 128, "classification"),
    Net("PMG-11-seg", lambda: pmg_mnist(num_classes=10), (1, 64, 64), 64, "segmentation"),
    Net("R-PMG-20-spt", lambda: rpmg_mnist(num_classes=1), (1, 64, 64), 64, "segmentation"),
    Net("U-NET-11-seg", lambda: unet(num_classes=10), (1, 64, 64), 64, "segmentation"),
]


def load_source_class(text: str) -> type[nn.Module]:
    """Execute emitted source from a temporary file (so tracebacks show it) and return its
    model class (the last `nn.Module` subclass it defines)."""
    name = re.findall(r"^class (\w+)\(nn\.Module\)", text, re.M)[-1]
    folder = Path(tempfile.mkdtemp(prefix="mgdsl-bench-"))
    path = folder / "generated_model.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"mgdsl_bench_{id(text)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def build(net: Net, impl: str, *, fold_bn: bool = False, seed: int = 0) -> nn.Module:
    """One implementation of `net` (see the module docstring), in training mode unless
    `fold_bn` (which gives the folded inference module: fx only)."""
    import mgdsl

    torch.manual_seed(seed)
    if impl == "ref":
        return net.reference()
    ir = mgdsl.load(net.name)
    if impl == "fx":
        return mgdsl.to_fx(ir, seed=seed, fold_bn=fold_bn)
    if impl == "src":
        return load_source_class(mgdsl.emit_source(ir, fold_bn=fold_bn))(seed=seed)
    raise ValueError(f"unknown implementation {impl!r}")


def step_flops(net: Net, batch: int) -> float:
    """FLOPs of one training step: forward + backward ~ 3 forward passes, 2 FLOPs per MAC
    (the MACs are mgdsl's count, equal to the reference's; see tests/test_reference_nets.py)."""
    import mgdsl

    return 3 * 2 * mgdsl.stats(mgdsl.load(net.name)).macs * batch


@dataclass
class Step:
    """A model with its optimiser and one fixed batch; `train()` runs one SGD step,
    `infer()` one forward pass under `torch.no_grad()`."""

    model: nn.Module
    x: torch.Tensor
    target: torch.Tensor
    kind: str
    optimizer: torch.optim.Optimizer

    def loss(self) -> torch.Tensor:
        """The task's loss of the current batch."""
        return task_loss(self.kind, self.model(self.x), self.target)

    def train(self) -> None:
        """Forward + backward + SGD step (momentum 0.9, weight decay 5e-4, as the paper)."""
        self.optimizer.zero_grad(set_to_none=True)
        self.loss().backward()
        self.optimizer.step()

    def infer(self) -> None:
        """One inference forward pass."""
        with torch.no_grad():
            self.model(self.x)


def task_loss(kind: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for classification, BCE of the sigmoid maps for segmentation."""
    if kind == "classification":
        return F.cross_entropy(out, target)
    return F.binary_cross_entropy(out, target)


def random_batch(net: Net, batch: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random input batch of `net` and a target of the right kind (same for a seed)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, *net.input_shape, generator=gen)
    if net.kind == "classification":
        return x, torch.randint(0, 100, (batch,), generator=gen)
    maps = 10 if net.name.endswith("seg") else 1
    return x, (torch.rand(batch, maps, *net.input_shape[1:], generator=gen) > 0.9).float()


def train_step(net: Net, model: nn.Module, batch: int, *, channels_last: bool = False,
               seed: int = 0) -> Step:
    """A `Step` for `model` on a random batch of `net`'s input (same data for every seed)."""
    x, target = random_batch(net, batch, seed)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    return Step(model, x, target, net.kind, opt)
