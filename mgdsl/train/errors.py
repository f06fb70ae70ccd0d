"""Errors of training and evaluation runs (E8xx), members of the `MgError` family.

Codes: E800 a run that cannot start (bad option, output directory already used), E801 a
diverged run (non-finite loss or parameters), E802 a checkpoint that does not fit the run
it is resumed or evaluated with, E803 a model whose outputs do not fit the task's loss;
E711 a network whose input or output shape does not fit the task, found before any torch
work.
"""

from __future__ import annotations

from mgdsl.errors import MgError

__all__ = ["TrainError", "DivergedError", "CheckpointMismatchError", "OutputMismatchError",
           "TaskMismatchError"]


class TrainError(MgError):
    """A training or evaluation run that cannot start or go on (E800)."""

    code = "E800"


class DivergedError(TrainError):
    """The loss or the parameters became NaN or infinite (E801)."""

    code = "E801"


class CheckpointMismatchError(TrainError):
    """A checkpoint that belongs to another model, task or run set-up (E802)."""

    code = "E802"


class OutputMismatchError(TrainError):
    """The model's output does not have the shape or range the task's loss needs (E803)."""

    code = "E803"


class TaskMismatchError(TrainError):
    """A network whose input or output shape is not the task's (E711)."""

    code = "E711"
