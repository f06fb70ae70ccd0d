"""Test-set evaluation: the paper's metrics (Tables 1-4) plus the mean test loss.

Segmentation and spatial transformation use `mgdsl.data.metrics.SegmentationEvaluation`
(mean IoU and mean error pooled over the whole test set, exactly as the paper's notebook,
plus IoU at 0.3, the foreground class accuracy and the base-rate BCE);
classification uses `ClassificationMetrics` (top-1 / top-5 error). `evaluate` feeds them one
test batch at a time and adds ``loss`` (the task's training loss averaged over samples) and
``samples``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import torch

from mgdsl.train.kinds import rules_of
from mgdsl.train.losses import task_loss

__all__ = ["Metrics", "default_metrics", "evaluate", "autocast_for", "predict"]


class Metrics(Protocol):
    """What `evaluate` needs from a metrics accumulator."""

    def update(self, output: torch.Tensor, target: torch.Tensor) -> None:
        """Add one batch of model outputs and targets."""

    def compute(self) -> dict[str, Any]:
        """The metrics over everything added so far."""


def default_metrics(task: Any) -> Metrics:
    """The paper's metrics accumulator for `task`'s kind (`mgdsl.train.kinds`)."""
    return rules_of(task.kind).metrics()


def autocast_for(device: torch.device, amp: bool, amp_dtype: str = "bf16", *, cache: bool = True):
    """An autocast context for `device` when `amp` is on, else a null context.

    bf16 is used on CPU whatever `amp_dtype` says (fp16 autocast on CPU is slow and
    unsupported by many kernels); CUDA takes `amp_dtype`. `cache=False` turns off the
    cast-weight cache, as a CUDA-graph capture needs.
    """
    if not amp:
        return contextlib.nullcontext()
    dtype = torch.float16 if (amp_dtype == "fp16" and device.type == "cuda") else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype, cache_enabled=cache)


def predict(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    device: torch.device,
    amp: bool = False,
    amp_dtype: str = "bf16",
    channels_last: bool = False,
) -> torch.Tensor:
    """The model's float32 output for a batch `x`, without gradients.

    A 5-D `x` is several views per sample, (N, V, C, H, W) (ImageNet's ten crops): the
    model sees all N * V views and the output is averaged over each sample's views, as
    fb.resnet.torch scores ten-crop testing.
    """
    x = x.to(device, non_blocking=True)
    views = x.shape[1] if x.dim() == 5 else None
    if views is not None:
        x = x.flatten(0, 1)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), autocast_for(device, amp, amp_dtype):
        out = model(x)
    out = out.float()
    if views is not None:
        out = out.unflatten(0, (-1, views)).mean(1)
    return out


def evaluate(
    model: torch.nn.Module,
    task: Any,
    *,
    batch_size: int,
    limit: int | None = None,
    device: torch.device | str = "cpu",
    amp: bool = False,
    amp_dtype: str = "bf16",
    channels_last: bool = False,
    metrics_factory: Callable[[Any], Metrics] = default_metrics,
) -> dict[str, Any]:
    """Evaluate `model` on at most `limit` test samples of `task` (all when None).

    The model is put in eval mode for the pass and its previous mode restored afterwards.
    Returns the metrics' dict plus ``loss`` and ``samples``.
    """
    device = torch.device(device)
    metrics = metrics_factory(task)
    was_training = model.training
    model.eval()
    loss_sum = 0.0
    count = 0
    try:
        for x, y in task.test_batches(batch_size, limit=limit):
            out = predict(model, x, device=device, amp=amp, amp_dtype=amp_dtype,
                          channels_last=channels_last)
            y = y.to(device)
            loss = task_loss(task.kind, out, y)
            n = int(y.shape[0])
            loss_sum += float(loss) * n
            count += n
            metrics.update(out.cpu(), y.cpu())
    finally:
        model.train(was_training)
    results = dict(metrics.compute()) if count else {}
    results["loss"] = loss_sum / count if count else float("nan")
    results["samples"] = count
    return results
