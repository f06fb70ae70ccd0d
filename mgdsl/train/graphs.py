"""CUDA graphs for `mgdsl train`: the whole step — forward, loss, backward, optimiser —
captured once and replayed.

On a GPU these networks are launch-bound in eager mode (hundreds of small kernels per
step, docs/benchmarks.md); replaying a captured graph launches them all at once. What a
replayed step needs, following PyTorch's "whole network capture" recipe
(https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs):

* static tensors: the batch is copied into fixed input/target buffers (`StaticBatch`, from
  pinned host memory, without waiting), the loss lands in a fixed tensor;
* a learning rate that changes without recapture: it lives in a device tensor
  (`LrTensor`) that the captured update reads; AdamW takes it as its ``lr`` with
  ``capturable=True``; SGD's own step turns a tensor LR into a Python number, so
  `sgd_update` does the paper's SGD with foreach ops that read the tensor (same state:
  ``momentum_buffer`` in the optimiser, so checkpoints are the same as the eager path's);
* warm-up: the first `WARMUP_STEPS` steps of a run are real training steps run eagerly on
  a side stream (they create the optimiser state and let cuDNN choose its kernels), then the
  next is captured; BN running statistics are updated in place by every replay.

Graphs are opt-in (``--cuda-graphs``): THE CAPTURE ITSELF HAS NOT RUN ON A GPU YET (no GPU
was lent to the sessions that wrote it; its tests are marked ``cuda``), so it stays off by
default until a GPU run has passed them. Which runs can use graphs is decided by
`graph_blockers` (pure, so tested on CPU): a CUDA device, one process, no gradient
accumulation, no fp16 GradScaler, no `torch.compile` and a network without
host-synchronising calls. A capture that fails raises `CaptureFailed`; the run then trains
on eagerly (`mgdsl.train.stepper`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from mgdsl.train.kinds import rules_of

__all__ = [
    "WARMUP_STEPS",
    "graph_blockers",
    "network_blockers",
    "use_graphs",
    "CaptureFailed",
    "LrTensor",
    "StaticBatch",
    "sgd_update",
    "graph_loss",
    "GraphedStep",
]

#: eager training steps on a side stream before the capture (PyTorch's recipe uses 3)
WARMUP_STEPS = 3

#: fx call targets that copy a tensor to the host, which a graph cannot hold
_HOST_SYNC = {"item", "tolist", "cpu", "numpy", "nonzero", "masked_select", "unique"}


def network_blockers(model: torch.nn.Module) -> list[str]:
    """Why `model`'s forward cannot be captured: the host-synchronising calls of its fx graph."""
    graph = getattr(model, "graph", None)
    if graph is None:
        return []
    found = []
    for node in graph.nodes:
        if node.op in ("call_method", "call_function"):
            name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
            if name in _HOST_SYNC:
                found.append(f"node `{node.name}` calls `{name}`, which waits for the host")
    return found


def graph_blockers(*, device: torch.device, world_size: int, iter_size: int, amp: bool,
                   amp_dtype: str, compile: bool, model: torch.nn.Module | None = None) -> list[str]:
    """Every reason a run cannot train with CUDA graphs (empty: it can)."""
    reasons = []
    if device.type != "cuda":
        reasons.append(f"the run trains on {device.type}, not CUDA")
    if world_size > 1:
        reasons.append("DistributedDataParallel (several processes) is not captured")
    if iter_size > 1:
        reasons.append("--iter-size above 1 (gradient accumulation) is not captured")
    if amp and amp_dtype == "fp16":
        reasons.append("fp16 autocast needs a GradScaler, whose inf checks wait for the host; "
                       "use --amp-dtype bf16")
    if compile:
        reasons.append("--compile is torch.compile's own graph path")
    if model is not None:
        reasons.extend(network_blockers(model))
    return reasons


def use_graphs(requested: bool | None, blockers: Sequence[str]) -> bool:
    """Whether to capture: only when `requested` (None, from older configs, means no).

    Raises ValueError naming the blockers when graphs were asked for but cannot be used.
    """
    if not requested:
        return False
    if blockers:
        raise ValueError("--cuda-graphs cannot be used: " + "; ".join(blockers))
    return True


class CaptureFailed(RuntimeError):
    """Capturing the training step as a CUDA graph failed; nothing of the step has run."""


class LrTensor:
    """The learning rate as a one-element tensor on the device, changed in place.

    A captured optimiser step reads the tensor, so a new rate needs no recapture; `set`
    skips the write when the rate has not changed (most steps).
    """

    def __init__(self, device: torch.device | str, lr: float) -> None:
        self.value = torch.full((), float(lr), dtype=torch.float32, device=device)
        self._current = float(lr)

    def set(self, lr: float) -> None:
        """Make the tensor hold `lr` (ordered on the current stream before later replays)."""
        if float(lr) != self._current:
            self.value.fill_(float(lr))
            self._current = float(lr)

    def get(self) -> float:
        """The rate last set (from the host's copy: no device read)."""
        return self._current


class StaticBatch:
    """Fixed input and target buffers on the device that every replay reads.

    `fill` copies a host batch into them in place (through pinned memory on CUDA, without
    waiting), so their storage — what the graph captured — never changes. The input keeps
    `channels_last` when asked, as the model was trained with.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device | str, *,
                 channels_last: bool = False) -> None:
        device = torch.device(device)
        self.device = device
        fmt = torch.channels_last if channels_last and x.dim() == 4 else torch.contiguous_format
        self.x = torch.empty(x.shape, dtype=x.dtype, device=device).contiguous(memory_format=fmt)
        self.y = torch.empty(y.shape, dtype=y.dtype, device=device)
        self._pin = device.type == "cuda"
        self.fill(x, y)

    def fill(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Copy batch (`x`, `y`) into the buffers; ValueError when a shape differs."""
        if x.shape != self.x.shape or y.shape != self.y.shape:
            raise ValueError(f"a captured step takes batches of {tuple(self.x.shape)} and "
                             f"{tuple(self.y.shape)}, got {tuple(x.shape)} and {tuple(y.shape)}")
        if self._pin:
            x, y = x.pin_memory(), y.pin_memory()
        self.x.copy_(x, non_blocking=self._pin)
        self.y.copy_(y, non_blocking=self._pin)


def sgd_update(params: list[torch.Tensor], grads: list[torch.Tensor], bufs: list[torch.Tensor],
               lr: torch.Tensor, *, momentum: float, weight_decay: float) -> None:
    """The paper's SGD step (momentum, no dampening, no Nesterov, L2 weight decay) with a
    tensor LR, in foreach ops a graph can hold: ``g += wd·p; b = m·b + g; p -= lr·b``.

    `bufs` are the momentum buffers (``optimizer.state[p]["momentum_buffer"]``), existing
    already (the first step of a run, which creates them, runs eagerly).
    """
    if weight_decay:
        grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_mul_(bufs, momentum)
    torch._foreach_add_(bufs, grads)
    torch._foreach_sub_(params, torch._foreach_mul(bufs, lr))


def graph_loss(kind: Any, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The task's loss without the host-side checks of `mgdsl.train.losses.task_loss` (its
    `capturable_loss`); the warm-up steps run those checks eagerly first."""
    return rules_of(kind).capturable_loss(output, target)


class GraphedStep:
    """One training step of `model` on `kind`'s loss, eager for the warm-up, then replayed.

    `step(x, y, lr)` trains on one batch and returns the loss as a device tensor (a fixed
    one once captured: read it before the next step). `optimizer` is the run's SGD or
    AdamW (built with ``capturable=True``); `autocast` returns the run's autocast context;
    `check` is called with (output, target) on the eager steps to validate the model's
    output as the eager path does.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, kind: str, *,
                 device: torch.device, channels_last: bool, lr: float,
                 autocast: Callable[[], Any],
                 check: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 warmup: int = WARMUP_STEPS) -> None:
        self.model = model
        self.optimizer = optimizer
        self.kind = kind
        self.device = device
        self.channels_last = channels_last
        self.autocast = autocast
        self.check = check
        self.warmup_left = warmup
        self.lr = LrTensor(device, lr)
        self.sgd = isinstance(optimizer, torch.optim.SGD)
        if not self.sgd:
            for group in optimizer.param_groups:
                group["lr"] = self.lr.value
        self.static: StaticBatch | None = None
        self.graph: Any = None
        self.loss: torch.Tensor | None = None
        self.captured = False

    # -------------------------------------------------------------- the update

    @torch.no_grad()
    def _update(self) -> None:
        if not self.sgd:
            self.optimizer.step()
            return
        for group in self.optimizer.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            state = [self.optimizer.state[p] for p in params]
            if any(s.get("momentum_buffer") is None for s in state):
                # the first step ever creates the buffers as torch's SGD does: b = g (+ wd·p)
                for p, s in zip(params, state, strict=True):
                    grad = p.grad.add(p, alpha=group["weight_decay"])
                    if s.get("momentum_buffer") is None:
                        s["momentum_buffer"] = grad.detach().clone()
                    else:
                        s["momentum_buffer"].mul_(group["momentum"]).add_(grad)
                    p.sub_(s["momentum_buffer"] * self.lr.value)
                continue
            sgd_update(params, [p.grad for p in params], [s["momentum_buffer"] for s in state],
                       self.lr.value, momentum=group["momentum"],
                       weight_decay=group["weight_decay"])

    def _forward_backward(self, x: torch.Tensor, y: torch.Tensor, checked: bool) -> torch.Tensor:
        with self.autocast():
            out = self.model(x)
        loss = self.check(out, y) if checked else graph_loss(self.kind, out, y)
        loss.backward()
        return loss

    # -------------------------------------------------------------- the step

    def step(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> torch.Tensor:
        """Train on batch (`x`, `y`) at learning rate `lr`; the loss as a device tensor."""
        if self.static is None:
            self.static = StaticBatch(x, y, self.device, channels_last=self.channels_last)
        else:
            self.static.fill(x, y)
        self.lr.set(lr)
        if self.captured:
            self.graph.replay()
            return self.loss
        if self.warmup_left > 0:
            self.warmup_left -= 1
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self.optimizer.zero_grad(set_to_none=True)
                loss = self._forward_backward(self.static.x, self.static.y, checked=True)
                self._update()
            torch.cuda.current_stream(self.device).wait_stream(side)
            return loss.detach()
        # capture: grads set to None so backward allocates them from the graph's pool
        self.optimizer.zero_grad(set_to_none=True)
        try:
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.loss = self._forward_backward(self.static.x, self.static.y,
                                                   checked=False).detach()
                self._update()
        except Exception as exc:  # any failure to record: the recorded kernels never ran
            self.graph = None
            self.optimizer.zero_grad(set_to_none=True)
            raise CaptureFailed(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
        self.captured = True
        # capturing records the kernels without running them: run this step's work now
        self.graph.replay()
        return self.loss
