"""`TrainConfig`: every setting of a training run, with the paper's defaults per task.

The class is generated from `mgdsl.train.settings.SETTINGS` (`make_config_class`): one field
per setting, validated by the setting's own check, the same check the CLI option runs.

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
from collections.abc import Iterable
from typing import Any

from mgdsl.data.registry import TASKS, task_spec
from mgdsl.train.schedules import lr_at
from mgdsl.train.settings import OPTIMIZERS, REQUIRED, SETTINGS, Setting

__all__ = ["TrainConfig", "OPTIMIZERS", "DEFAULT_LR", "paper_config", "make_config_class"]

#: the base LR when none is given: the paper's 0.1 for SGD, AdamW's usual 1e-3
DEFAULT_LR = {"sgd": 0.1, "adamw": 1e-3}


class _ConfigMethods:
    """What every generated `TrainConfig` can do beyond holding its fields (copied into it)."""

    _settings: tuple[Setting, ...] = SETTINGS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting with an impossible value."""
        for s in self._settings:
            problem = s.problem(getattr(self, s.name))
            if problem:
                raise ValueError(f"{s.name} {problem}")

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


def make_config_class(settings: Iterable[Setting] = SETTINGS) -> type:
    """The `TrainConfig` dataclass of `settings`: one field per setting, in order (those
    without a default first), its docstring listing them."""
    settings = tuple(settings)
    fields: list[Any] = []
    for s in sorted(settings, key=lambda s: s.default is not REQUIRED):  # stable
        if s.default is REQUIRED:
            fields.append((s.name, s.annotation))
        else:
            fields.append((s.name, s.annotation, dataclasses.field(default=s.default)))
    doc = ("Every setting of a training run (generated from `mgdsl.train.settings.SETTINGS`); "
           "`paper_config` fills in the paper's values.\n\n" + "\n".join(
               f"- `{s.name}` ({s.annotation}, default "
               f"{'required' if s.default is REQUIRED else repr(s.default)}): {s.help}"
               for s in settings))
    methods = {k: v for k, v in vars(_ConfigMethods).items()
               if k == "__post_init__" or not k.startswith("__")}
    return dataclasses.make_dataclass("TrainConfig", fields, namespace={
        **methods, "__doc__": doc, "_settings": settings, "__module__": __name__})


TrainConfig = make_config_class()


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
    return TrainConfig(**values)  # the module's, so a test may swap in another
