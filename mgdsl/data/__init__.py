"""Datasets, tasks and metrics of the paper's experiments.

Public names (imported lazily, so ``import mgdsl.data`` does not load torch):

* `make_task`, `Task`, `TASKS`: the interface of the training loop (`mgdsl.data.tasks`);
* `load_digits`: MNIST digits (`mgdsl.data.digits`);
* `SegmentationDataset`, `SpatialTransformDataset`, `normalise_mnist` (`mgdsl.data.synthetic`);
* `SegmentationMetrics`, `ClassificationMetrics` (`mgdsl.data.metrics`);
* `occlusion_maps`, `save_attention_png`, `save_examples_png` (`mgdsl.data.attention`);
* `DataError` (`mgdsl.data.errors`).
"""

from __future__ import annotations

import importlib

from mgdsl.data.errors import DataError

__all__ = [
    "DataError",
    "TASKS",
    "Task",
    "make_task",
    "load_digits",
    "SegmentationDataset",
    "SpatialTransformDataset",
    "normalise_mnist",
    "SegmentationMetrics",
    "ClassificationMetrics",
    "occlusion_maps",
    "save_attention_png",
    "save_examples_png",
]

_HOMES = {
    "TASKS": "tasks",
    "Task": "tasks",
    "make_task": "tasks",
    "load_digits": "digits",
    "SegmentationDataset": "synthetic",
    "SpatialTransformDataset": "synthetic",
    "normalise_mnist": "synthetic",
    "SegmentationMetrics": "metrics",
    "ClassificationMetrics": "metrics",
    "occlusion_maps": "attention",
    "save_attention_png": "attention",
    "save_examples_png": "attention",
}


def __getattr__(name: str):
    """Import the submodule that defines `name` on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mgdsl.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mgdsl.data.{home}"), name)
