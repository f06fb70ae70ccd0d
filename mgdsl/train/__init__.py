"""Training and evaluation of compiled multigrid networks with the paper's settings.

Modules, one job each: `settings` (every training setting, declared once), `config`
(`TrainConfig`, generated from the settings and filled with the task registry's defaults),
`schedules` (LR rules, `is_residual`), `kinds` (each task kind's output check, loss and
metrics) and `losses`, `checkpoint` (atomic, `weights_only`-safe checkpoints), `ddp`
(torchrun / DistributedDataParallel), `evaluate` (the paper's test metrics), `report` (CSV,
JSON, loss curve, progress bar), `graphs` (opt-in CUDA graphs), `stepper` (one optimiser
step), `state` (where a run is), `files` (the run's folder, written in order), `stopping`
(SIGTERM/SIGINT) and `loop` (`train`).

Importing this package does not import torch; `train` and `TrainResult` are
loaded on first use (``from mgdsl.train.evaluate import evaluate`` for evaluation).
"""

from __future__ import annotations

import importlib
from typing import Any

from mgdsl.train.config import TrainConfig, paper_config
from mgdsl.train.schedules import is_residual, lr_at, paper_rule

__all__ = [
    "TrainConfig",
    "TrainResult",
    "is_residual",
    "lr_at",
    "paper_config",
    "paper_rule",
    "train",
]

_LAZY = {"train": "mgdsl.train.loop", "TrainResult": "mgdsl.train.loop"}


def __getattr__(name: str) -> Any:
    """Import the torch-dependent names (`train`, `TrainResult`) on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mgdsl.train' has no attribute {name!r}")
