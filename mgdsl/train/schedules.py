"""Learning-rate schedules of the paper and the model-family test.

The paper sets the learning rate once at the start of every epoch ``e`` (1-based) with one of
three rules:

* ``exp`` (non-residual models: VGG, MG, PMG, U-NET, U-MG, SG):
  ``LR = base · 10^(−3(e−1)/199)`` over 200 epochs, i.e. 0.1 → 1e-4 exponentially;
* ``step`` (residual models: RES, R-MG, R-PMG, R-SG): ``base``, ×0.2 from epochs 60, 120
  and 160 of 200;
* ``imagenet`` (both ImageNet models): ``base · 0.1^floor((e−1)/30)`` over 100 epochs.

Schedule kinds (``--lr-schedule``):

* ``paper`` (the default) uses the paper's epoch numbers verbatim, whatever the run's
  length: a shortened run is the beginning of the paper's run (a 5-epoch ``exp`` run ends at
  LR 0.087, a ``step`` run keeps 0.1 until epoch 60). Its results are the paper's training
  stopped early. A run whose epochs are shorter than the paper's counts the paper's epochs
  in training images (`mgdsl.train.config.TrainConfig.schedule_epoch`).
* ``scaled`` applies the paper's rule to the fraction ``e / E`` of the run, so a 5-epoch run
  still decays from 0.1 to 1e-4 (``exp``) or through all three steps (``step``). For the
  paper's epoch count (200, or 100 on ImageNet) it is *identical* to ``paper``: ``exp`` uses
  ``(e−1)/(E−1)`` in place of ``(e−1)/199``; ``step`` multiplies by 0.2 once the finished
  fraction of the run ``(e−1)/E`` reaches 59/200, 119/200 and 159/200 (the paper's "from
  epoch 60, 120, 160"); ``imagenet`` divides by 10 every ``0.3·E`` epochs. Compressed much,
  it puts the LR near its floor before SGD has learnt anything (`compression_warning`).
* ``constant`` keeps ``base``; ``cosine`` is ``base · ½(1 + cos(π(e−1)/E))``.

>>> round(lr_at(200, 200, rule="exp", schedule="scaled"), 6)
0.0001
>>> [round(lr_at(e, 5, rule="step", schedule="scaled"), 6) for e in (1, 2, 3, 4, 5)]
[0.1, 0.1, 0.02, 0.004, 0.0008]
>>> round(lr_at(5, 5, rule="exp"), 4)  # the default, 'paper'
0.087
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "RULES",
    "SCHEDULES",
    "DEFAULT_SCHEDULE",
    "compression",
    "compression_warning",
    "is_residual",
    "lr_at",
    "paper_rule",
    "paper_epochs",
]

RULES = ("exp", "step", "imagenet")
SCHEDULES = ("paper", "scaled", "constant", "cosine")
DEFAULT_SCHEDULE = "paper"
#: `compression_warning` speaks up when ``scaled`` squeezes the rule more than this
WARN_COMPRESSION = 10.0

# the paper's epoch counts for each rule, and the step rule's milestones as fractions of them
_PAPER_EPOCHS = {"exp": 200, "step": 200, "imagenet": 100}
_STEP_MILESTONES = (60, 120, 160)
_STEP_FACTOR = 0.2
_IMAGENET_PERIOD = 30


def is_residual(ir: Any) -> bool:
    """True when the network IR (a `NetworkGraph`, whose node records are `IRNode`s)
    contains an ``add`` node.

    Residual models train with the paper's step rule, the others with the exponential one.
    """
    return any(data.op == "add" for _, data in ir.nodes(data=True))


def paper_rule(task: str, residual: bool) -> str:
    """The paper's schedule rule for `task` and a model family: ``exp``, ``step`` or ``imagenet``.

    The task registry says which (`mgdsl.data.registry.TaskSpec.lr_rule`).
    """
    from mgdsl.data.registry import task_spec

    return task_spec(task).lr_rule(residual)


def paper_epochs(rule: str) -> int:
    """How many epochs the paper trains with `rule` (200, or 100 for ImageNet)."""
    return _PAPER_EPOCHS[rule]


def lr_at(
    epoch: int, total_epochs: int, *, rule: str, schedule: str = DEFAULT_SCHEDULE, base: float = 0.1
) -> float:
    """The learning rate of 1-based `epoch` in a run of `total_epochs` epochs.

    `rule` is the paper's family rule (see the module docstring), `schedule` how it is
    stretched over the run, `base` the initial rate (0.1 in the paper).
    """
    if rule not in RULES:
        raise ValueError(f"unknown LR rule {rule!r}; expected one of {', '.join(RULES)}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown LR schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}")
    if epoch < 1 or total_epochs < 1:
        raise ValueError("epochs are 1-based and a run has at least one epoch")
    if schedule == "constant":
        return base
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / total_epochs))
    length = paper_epochs(rule) if schedule == "paper" else total_epochs
    if rule == "exp":
        span = max(length - 1, 1)
        progress = min((epoch - 1) / span, 1.0) if length > 1 else 0.0
        return base * 10.0 ** (-3.0 * progress)
    if rule == "step":
        # "e >= m" of 200 epochs means: at least (m - 1) / 200 of the run is done
        done = (epoch - 1) / length
        drops = sum(done >= (m - 1) / _PAPER_EPOCHS["step"] for m in _STEP_MILESTONES)
        return base * _STEP_FACTOR**drops
    # imagenet: divide by 10 every 30 of 100 epochs
    period = _IMAGENET_PERIOD * length / _PAPER_EPOCHS["imagenet"]
    return base * 0.1 ** math.floor((epoch - 1) / period)


def compression(epochs: int, iters_per_epoch: int, *, rule: str,
                paper_iters_per_epoch: int | None = None) -> float:
    """How many times shorter than the paper's run a run is, in optimiser steps.

    ``scaled`` squeezes the paper's rule by this factor. Without `paper_iters_per_epoch`
    (a task the paper has no schedule for) only epochs are compared.
    """
    paper_iters = paper_iters_per_epoch or iters_per_epoch
    return paper_epochs(rule) * paper_iters / (epochs * iters_per_epoch)


def compression_warning(epochs: int, iters_per_epoch: int, *, rule: str, schedule: str,
                        base: float = 0.1, paper_iters_per_epoch: int | None = None) -> str | None:
    """A one-line warning when `schedule` is ``scaled`` and squeezes the rule over 10×, else None.

    >>> compression_warning(2, 25, rule="exp", schedule="scaled", paper_iters_per_epoch=150)
    "warning: --lr-schedule scaled squeezes the paper's 200-epoch LR rule 600x into 50 steps (LR 0.1 -> 0.0001 by epoch 2); --lr-schedule paper trains at the paper's early rates"
    """
    if schedule != "scaled":
        return None
    factor = compression(epochs, iters_per_epoch, rule=rule, paper_iters_per_epoch=paper_iters_per_epoch)
    if factor <= WARN_COMPRESSION:
        return None
    last = lr_at(epochs, epochs, rule=rule, schedule="scaled", base=base)
    return (
        f"warning: --lr-schedule scaled squeezes the paper's {paper_epochs(rule)}-epoch LR rule "
        f"{factor:,.0f}x into {epochs * iters_per_epoch:,} steps (LR {base:g} -> {last:.2g} by "
        f"epoch {epochs}); --lr-schedule paper trains at the paper's early rates"
    )
