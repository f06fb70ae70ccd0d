"""The paper's losses: mean BCE of sigmoid outputs (MNIST tasks), cross-entropy (classification).

Both are computed in float32 outside autocast (BCE is not autocast-safe). A non-finite
output gives a NaN loss (so the loop can stop with a clear message) instead of the
"elements should be between 0 and 1" error that BCE raises for NaN inputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mgdsl.train.errors import OutputMismatchError

__all__ = ["task_loss", "check_output"]


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def check_output(kind: str, output: torch.Tensor, target: torch.Tensor) -> None:
    """Raise OutputMismatchError when `output` cannot be compared with `target` for `kind`."""
    if kind == "segmentation":
        if output.shape != target.shape:
            raise OutputMismatchError(
                f"the model outputs {_shape(output)} but the task's targets are {_shape(target)}",
                hint="a segmentation network must end on the finest grid with one sigmoid "
                "channel per class, at the input's resolution",
            )
    elif kind == "classification":
        if output.dim() != 2 or output.shape[0] != target.shape[0]:
            raise OutputMismatchError(
                f"the model outputs {_shape(output)} but classification needs (batch, classes) "
                f"for targets {_shape(target)}",
                hint="end the network with a pooled linear layer (the paper's classifier head)",
            )
    else:
        raise OutputMismatchError(f"unknown task kind {kind!r}")


def task_loss(kind: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The paper's loss for a task `kind` ("segmentation" or "classification"), in float32."""
    check_output(kind, output, target)
    output = output.float()
    if kind == "segmentation":
        low, high = (float(v) for v in torch.aminmax(output.detach()))
        if not (math.isfinite(low) and math.isfinite(high)):
            return torch.full((), float("nan"), device=output.device)
        if low < 0 or high > 1:
            raise OutputMismatchError(
                "the model's outputs are not probabilities in [0, 1], but the segmentation "
                "loss (mean binary cross-entropy) needs them",
                hint="end the network with a sigmoid, as the paper's MNIST models do",
            )
        return F.binary_cross_entropy(output, target.float())
    return F.cross_entropy(output, target.long())
