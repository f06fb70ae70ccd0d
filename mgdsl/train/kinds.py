"""What each `TaskKind` means for training and evaluation: the output check, the loss and the
metrics, in one `KindRules` per kind (`rules_of`), so no module tests a kind's name.

The loss has two forms: `capturable_loss` reads nothing back to the host (a CUDA graph can
hold it, `mgdsl.train.graphs`), and `loss` is the output check, the host-side checks of the
values (non-finite outputs give a NaN loss the loop stops on; segmentation outputs must be
probabilities) and then `capturable_loss`. Both are computed in float32 (BCE is not
autocast-safe).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
import torch.nn.functional as F

from mgdsl.data.registry import TaskKind
from mgdsl.train.errors import OutputMismatchError

__all__ = ["KindRules", "rules_of"]


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


class KindRules(ABC):
    """The training and evaluation rules of one task kind."""

    kind: TaskKind

    @abstractmethod
    def check_output(self, output: torch.Tensor, target: torch.Tensor) -> None:
        """Raise `OutputMismatchError` when `output` cannot be compared with `target`."""

    @abstractmethod
    def capturable_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The paper's loss in float32, without checks that read values on the host."""

    def check_values(self, output: torch.Tensor) -> bool:
        """Check the output's values on the host; False when one is not finite."""
        return True

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The checked loss: shape and values first, then `capturable_loss`; a NaN loss
        when an output is not finite."""
        self.check_output(output, target)
        if not self.check_values(output.detach()):
            return torch.full((), float("nan"), device=output.device)
        return self.capturable_loss(output, target)

    @abstractmethod
    def metrics(self) -> Any:
        """A new accumulator of the paper's test metrics for this kind."""


class SegmentationRules(KindRules):
    """Per-pixel sigmoid maps: mean binary cross-entropy; mean IoU and mean error."""

    kind = TaskKind.SEGMENTATION

    def check_output(self, output: torch.Tensor, target: torch.Tensor) -> None:
        if output.shape != target.shape:
            raise OutputMismatchError(
                f"the model outputs {_shape(output)} but the task's targets are {_shape(target)}",
                hint="a segmentation network must end on the finest grid with one sigmoid "
                "channel per class, at the input's resolution",
            )

    def check_values(self, output: torch.Tensor) -> bool:
        low, high = (float(v) for v in torch.aminmax(output.float()))
        if not (math.isfinite(low) and math.isfinite(high)):
            return False
        if low < 0 or high > 1:
            raise OutputMismatchError(
                "the model's outputs are not probabilities in [0, 1], but the segmentation "
                "loss (mean binary cross-entropy) needs them",
                hint="end the network with a sigmoid, as the paper's MNIST models do",
            )
        return True

    def capturable_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy(output.float(), target.float())

    def metrics(self) -> Any:
        from mgdsl.data.metrics import SegmentationEvaluation

        return SegmentationEvaluation()


class ClassificationRules(KindRules):
    """A vector of class scores: cross-entropy; top-1 and top-5 error."""

    kind = TaskKind.CLASSIFICATION

    def check_output(self, output: torch.Tensor, target: torch.Tensor) -> None:
        if output.dim() != 2 or output.shape[0] != target.shape[0]:
            raise OutputMismatchError(
                f"the model outputs {_shape(output)} but classification needs (batch, classes) "
                f"for targets {_shape(target)}",
                hint="end the network with a pooled linear layer (the paper's classifier head)",
            )

    def capturable_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(output.float(), target.long())

    def metrics(self) -> Any:
        from mgdsl.data.metrics import ClassificationMetrics

        return ClassificationMetrics()


_RULES: dict[TaskKind, KindRules] = {r.kind: r for r in (SegmentationRules(),
                                                         ClassificationRules())}


def rules_of(kind: TaskKind | str) -> KindRules:
    """The rules of `kind` (a `TaskKind` or its name); `OutputMismatchError` for another."""
    try:
        return _RULES[TaskKind(kind)]
    except ValueError:
        raise OutputMismatchError(f"unknown task kind {kind!r}") from None
