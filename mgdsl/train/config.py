"""`TrainConfig`: every knob of a training run, with the paper's defaults per task.

The per-task defaults (batch size, iterations per epoch, epochs, weight decay; mean BCE
loss for the MNIST tasks, cross-entropy for the others) come from the task registry,
`mgdsl.data.registry`, whose docstring tabulates them.

All use SGD, momentum 0.9, dampening 0, no Nesterov, weight decay on every parameter, base LR
0.1 and the family's LR rule (see `mgdsl.train.schedules`). `batch_size` is the mini-batch of
one forward pass summed over all processes; with `iter_size = k` the gradients of k of them
are accumulated per optimiser step (the loss is scaled by 1/k), as the Torch scripts'
``-iterSize`` does, so the effective batch is ``batch_size · iter_size``. The Torch scripts
split some of these batches (CIFAR residual 64×2, MNIST spatial-transformation R-PMG 32×2,
ImageNet 64×4 and 16×16) only to fit GPU memory; the defaults here use the effective batch
with ``iter_size = 1``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mgdsl.data.registry import TASKS, task_spec
from mgdsl.train.schedules import DEFAULT_SCHEDULE, RULES, SCHEDULES, lr_at

__all__ = ["TrainConfig", "OPTIMIZERS", "DEFAULT_LR", "paper_config"]

#: ``sgd`` is the paper's; ``adamw`` an option for short runs that must show learning
OPTIMIZERS = ("sgd", "adamw")
#: the base LR when none is given: the paper's 0.1 for SGD, AdamW's usual 1e-3
DEFAULT_LR = {"sgd": 0.1, "adamw": 1e-3}


@dataclass
class TrainConfig:
    """Every setting of a training run; `paper_config` fills in the paper's values.

    Fields: `task` (name, for records), `epochs`, `iters_per_epoch` (optimiser steps),
    `batch_size` (global mini-batch per forward pass), `iter_size` (mini-batches accumulated
    per step), `lr` (base rate), `lr_rule` (``exp``/``step``/``imagenet``), `lr_schedule`
    (``paper``/``scaled``/``constant``/``cosine``), `optimizer` (``sgd``, the paper's, or
    ``adamw``: decoupled weight decay, `momentum` unused), `output_prior` (None, or the
    probability the output layer's bias is set to produce at the start, e.g. the task's base
    rate; not the paper's), `momentum`, `weight_decay`, `seed`,
    `device` (``auto``/``cpu``/``cuda``/``cuda:N``), `amp` and `amp_dtype`
    (``bf16``/``fp16``), `channels_last`, `compile`, `cuda_graphs` (capture the whole step
    as a CUDA graph, see `mgdsl.train.graphs`; off by default), `checkpoint_every` (extra checkpoints
    every N steps; 0 = only at the end of each epoch), `eval_limit` (test samples per
    evaluation; None = all), `eval_batch_size` (None = `batch_size`), `eval_every` (epochs
    between evaluations; 0 = never), `progress` (rich progress bar when on a terminal) and
    `quiet` (no output at all).
    """

    task: str
    epochs: int
    iters_per_epoch: int
    batch_size: int
    iter_size: int = 1
    lr: float = 0.1
    lr_rule: str = "exp"
    lr_schedule: str = DEFAULT_SCHEDULE
    optimizer: str = "sgd"
    output_prior: float | None = None
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 0
    device: str = "auto"
    amp: bool = False
    amp_dtype: str = "bf16"
    channels_last: bool | None = None  # None: on for CPU training (faster there), off on CUDA
    compile: bool = False
    cuda_graphs: bool = False  # opt-in until a GPU run has passed the capture tests
    checkpoint_every: int = 0
    eval_limit: int | None = None
    eval_batch_size: int | None = None
    eval_every: int = 1
    progress: bool = True
    quiet: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field with an impossible value."""
        positive = ("epochs", "iters_per_epoch", "batch_size", "iter_size")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name.replace('_', '-')} must be a positive integer, got {value!r}")
        if self.lr_rule not in RULES:
            raise ValueError(f"lr rule must be one of {', '.join(RULES)}, got {self.lr_rule!r}")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(
                f"lr schedule must be one of {', '.join(SCHEDULES)}, got {self.lr_schedule!r}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.output_prior is not None and not 0 < self.output_prior < 1:
            raise ValueError(f"output prior must be a probability in (0, 1), got {self.output_prior!r}")
        if self.amp_dtype not in ("bf16", "fp16"):
            raise ValueError(f"amp dtype must be bf16 or fp16, got {self.amp_dtype!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if self.weight_decay < 0 or not 0 <= self.momentum < 1:
            raise ValueError("weight decay must be >= 0 and momentum in [0, 1)")
        for name in ("checkpoint_every", "eval_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name.replace('_', '-')} must be >= 0")
        for name in ("eval_limit", "eval_batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name.replace('_', '-')} must be a positive integer, got {value!r}")

    @property
    def total_steps(self) -> int:
        """Optimiser steps of the whole run."""
        return self.epochs * self.iters_per_epoch

    def schedule_epoch(self, step: int) -> int:
        """The 1-based epoch the LR rule sees after `step` optimiser steps.

        Under ``paper`` on a task of the paper that is the paper's epoch this point of its
        run falls in, counted in training images (``step · batch_size · iter_size`` over the
        paper's images per epoch), so a run with shorter epochs or smaller batches still
        follows the paper's LR at the same point of training; otherwise it is the run's own
        epoch.
        """
        spec = TASKS.get(self.task)
        if self.lr_schedule == "paper" and spec is not None:
            paper = spec.defaults
            images = step * self.batch_size * self.iter_size
            return images // (paper.batch_size * paper.iters_per_epoch) + 1
        return step // self.iters_per_epoch + 1

    def lr_at_step(self, step: int) -> float:
        """The learning rate of the optimiser step that follows `step` steps."""
        return lr_at(self.schedule_epoch(step), self.epochs, rule=self.lr_rule,
                     schedule=self.lr_schedule, base=self.lr)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON- and `weights_only`-safe)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config from `to_dict` output, ignoring unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def paper_config(task: str, *, residual: bool, **overrides: Any) -> TrainConfig:
    """The paper's training configuration for `task` and a model family, with `overrides`.

    Overrides whose value is None are ignored, so CLI options left unset keep the paper's
    value. Raises `mgdsl.data.DataError` (E702) for an unknown task.
    """
    spec = task_spec(task)
    d = spec.defaults
    values: dict[str, Any] = {
        "task": task,
        "epochs": d.epochs,
        "iters_per_epoch": d.iters_per_epoch,
        "batch_size": d.batch_size,
        "weight_decay": d.weight_decay,
        "lr_rule": spec.lr_rule(residual),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("lr", DEFAULT_LR.get(values.get("optimizer", "sgd"), DEFAULT_LR["sgd"]))
    return TrainConfig(**values)
