"""The paper's losses by task kind: mean BCE of sigmoid outputs (segmentation, spatial
transformation), cross-entropy (classification). The rules themselves are
`mgdsl.train.kinds`; these are the functions the loop and the evaluation call.

Both are computed in float32 outside autocast (BCE is not autocast-safe). A non-finite
output gives a NaN loss (so the loop can stop with a clear message) instead of the
"elements should be between 0 and 1" error that BCE raises for NaN inputs.
"""

from __future__ import annotations

import torch

from mgdsl.data.registry import TaskKind
from mgdsl.train.kinds import rules_of

__all__ = ["task_loss", "check_output"]


def check_output(kind: TaskKind | str, output: torch.Tensor, target: torch.Tensor) -> None:
    """Raise OutputMismatchError when `output` cannot be compared with `target` for `kind`."""
    rules_of(kind).check_output(output, target)


def task_loss(kind: TaskKind | str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The paper's checked loss for a task `kind`, in float32."""
    return rules_of(kind).loss(output, target)
