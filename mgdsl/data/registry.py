"""The paper's tasks as data: one torch-free table read by every part that needs a task.

Each `TaskSpec` holds a task's name, the paper's table and title, its kind, the shapes a
network must take and give, the paper's training defaults (batch, iterations per epoch,
epochs, weight decay), the learning-rate rule and where the data comes from. The CLI
(``--task`` choices, help), the training configuration (`mgdsl.train.config`), the LR rules
(`mgdsl.train.schedules.paper_rule`), the model builder (`mgdsl.train.build`, which checks a
network against the task before any torch work), the data package (`mgdsl.data.tasks`) and
the zoo's table titles all read `TASKS`.

The paper's training defaults, per task:

>>> for spec in TASKS.values():
...     d = spec.defaults
...     print(f"{spec.name:9} {d.batch_size:3} {d.iters_per_epoch:6} {d.epochs:3} {d.weight_decay}")
mnist-seg  64    150 200 0.0005
mnist-spt  64    800 200 0.0005
cifar100  128    300 200 0.0005
imagenet  256  10000 100 0.0001
>>> task_spec("mnist-seg").output_shape
(10, 64, 64)
>>> task_spec("cifar100").lr_rule(residual=True), task_spec("imagenet").lr_rule(residual=True)
('step', 'imagenet')
>>> print(fit_problem(task_spec("mnist-seg"), (1, 28, 28), (10, 28, 28)))
the network's input is 1x28x28 but task `mnist-seg` feeds 1x64x64 images
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mgdsl.data.errors import DataError
from mgdsl.errors import did_you_mean

__all__ = ["TaskKind", "TaskSpec", "TaskDefaults", "TASKS", "TASK_NAMES", "task_spec",
           "fit_problem", "format_shape"]


class TaskKind(StrEnum):
    """What a task asks of a network: per-pixel sigmoid maps (``segmentation``, also the
    paper's spatial transformation) or a vector of class scores (``classification``).

    The data facts live here (`outputs`, `per_pixel`); the loss, the output check and the
    metrics of each kind are `mgdsl.train.kinds.rules_of(kind)`. A member equals its name
    (``TaskKind.SEGMENTATION == "segmentation"``), so a kind read from JSON still matches.

    >>> TaskKind("segmentation").outputs, TaskKind.CLASSIFICATION.per_pixel
    ('maps', False)
    """

    SEGMENTATION = "segmentation"
    CLASSIFICATION = "classification"

    @property
    def outputs(self) -> str:
        """What the network's output holds, in words: ``maps`` or ``class scores``."""
        return "maps" if self.per_pixel else "class scores"

    @property
    def per_pixel(self) -> bool:
        """True when the output has a value per pixel (so occlusion maps can probe it)."""
        return self is TaskKind.SEGMENTATION


SEGMENTATION = TaskKind.SEGMENTATION
CLASSIFICATION = TaskKind.CLASSIFICATION


@dataclass(frozen=True)
class TaskDefaults:
    """The paper's batch size, iterations per epoch, epochs and weight decay for one task."""

    batch_size: int
    iters_per_epoch: int
    epochs: int
    weight_decay: float


@dataclass(frozen=True)
class TaskSpec:
    """One task of the paper.

    `kind` is a `TaskKind`: ``segmentation`` (per-pixel sigmoid maps shaped like
    `output_shape`, BCE loss, IoU / error) or ``classification`` (a vector of
    `output_shape[0]` logits, cross-entropy, top-1 / top-5 error). `input_shape` is ``(C, H, W)`` of one image. `fixed_rule` is the LR
    rule every model family uses on this task, or None when residual models use ``step`` and
    the others ``exp`` (see `mgdsl.train.schedules`). `source` names where the samples come
    from: ``digits-segmentation`` / ``digits-transformation`` are synthesised from MNIST
    digits (`paper_sizes` gives the paper's train/test sizes); ``cifar-100`` and
    ``image-folder`` are read from ``--data-dir``, laid out as `data_layout`.
    `classes_from_data`: the class count is that of the data found (ImageNet's class
    folders), the paper's being `output_shape[0]`.
    """

    name: str
    table: str
    title: str
    kind: TaskKind
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, ...]
    defaults: TaskDefaults
    fixed_rule: str | None
    source: str
    data_layout: str = ""
    paper_sizes: tuple[int, int] | None = None
    classes_from_data: bool = False

    @property
    def num_outputs(self) -> int:
        """Output maps (segmentation) or classes (classification) of the paper's setting."""
        return self.output_shape[0]

    @property
    def needs_data_dir(self) -> bool:
        """True when the task reads its data from a directory the user names."""
        return bool(self.data_layout)

    def lr_rule(self, residual: bool) -> str:
        """The paper's LR rule for a model family on this task: ``exp``, ``step`` or ``imagenet``."""
        if self.fixed_rule:
            return self.fixed_rule
        return "step" if residual else "exp"

    def expected_output(self, classes: int | None = None) -> tuple[int, ...]:
        """The output shape a network must give; `classes` overrides the paper's count."""
        count = self.num_outputs if classes is None else classes
        return (count, *self.output_shape[1:])


_SMALL = TaskDefaults(batch_size=64, iters_per_epoch=150, epochs=200, weight_decay=5e-4)

TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("mnist-seg", "2", "MNIST segmentation (64x64, 10 maps)", SEGMENTATION,
                 (1, 64, 64), (10, 64, 64), _SMALL, None, "digits-segmentation",
                 paper_sizes=(10_000, 1_000)),
        TaskSpec("mnist-spt", "3", "MNIST spatial transformation (64x64, 1 map)", SEGMENTATION,
                 (1, 64, 64), (1, 64, 64),
                 TaskDefaults(batch_size=64, iters_per_epoch=800, epochs=200, weight_decay=5e-4),
                 None, "digits-transformation", paper_sizes=(60_000, 10_000)),
        TaskSpec("cifar100", "1", "CIFAR-100 classification", CLASSIFICATION, (3, 32, 32), (100,),
                 TaskDefaults(batch_size=128, iters_per_epoch=300, epochs=200, weight_decay=5e-4),
                 None, "cifar-100",
                 data_layout="cifar-100-python/{train,test,meta} (the python version of CIFAR-100)"),
        TaskSpec("imagenet", "4", "ImageNet classification", CLASSIFICATION, (3, 224, 224),
                 (1000,),
                 TaskDefaults(batch_size=256, iters_per_epoch=10_000, epochs=100, weight_decay=1e-4),
                 "imagenet", "image-folder", data_layout="train/<class>/*.JPEG and val/<class>/*",
                 classes_from_data=True),
    )
}

# in the order the CLI lists them
TASK_NAMES: tuple[str, ...] = tuple(TASKS)


def task_spec(name: str) -> TaskSpec:
    """The task called `name`; `DataError` E702 with a did-you-mean for an unknown one."""
    spec = TASKS.get(name)
    if spec is None:
        hint = did_you_mean(name, TASKS) or "known tasks: " + ", ".join(TASKS)
        raise DataError(f"unknown task `{name}`", hint=hint, code="E702")
    return spec


def format_shape(shape: tuple[int, ...]) -> str:
    """``(1, 64, 64)`` -> ``1x64x64``."""
    return "x".join(str(d) for d in shape)


def fit_problem(spec: TaskSpec, input_shape: tuple[int, ...], output_shape: tuple[int, ...],
                classes: int | None = None) -> str | None:
    """Why a network taking `input_shape` and giving `output_shape` cannot run `spec`, or None.

    `classes` is the class count of the data actually found, when it may differ from the
    paper's (`TaskSpec.classes_from_data`).
    """
    if tuple(input_shape) != spec.input_shape:
        return (f"the network's input is {format_shape(input_shape)} but task `{spec.name}` "
                f"feeds {format_shape(spec.input_shape)} images")
    expected = spec.expected_output(classes)
    if tuple(output_shape) != expected:
        return (f"the network's output is {format_shape(output_shape)} but task `{spec.name}` "
                f"needs {format_shape(expected)} ({expected[0]} {spec.kind.outputs})")
    return None
