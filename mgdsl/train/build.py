"""What `mgdsl train` and `mgdsl eval` share: ``--set`` parsing, building the network and the
task, the default output directory, and the allocator hook.

The compiler (`mgdsl.load_module`, `mgdsl.load`) and the data package
(`mgdsl.data.tasks.make_task`) are imported only when called, so the CLI parser stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mgdsl.train.errors import TrainError

__all__ = [
    "TASKS",
    "parse_value",
    "parse_sets",
    "model_name",
    "default_out_dir",
    "build_model",
    "build_task",
    "launched_as_cli",
    "use_fast_allocator",
]

TASKS = ("mnist-seg", "mnist-spt", "cifar100", "imagenet")


def parse_value(text: str) -> int | float | str:
    """A ``--set`` value: an int if it parses as one, else a float, else the string itself.

    >>> parse_value("3"), parse_value("0.5"), parse_value("B")
    (3, 0.5, 'B')
    """
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def parse_sets(items: Iterable[str]) -> dict[str, int | float | str]:
    """Parse ``k=v`` strings into network parameters; TrainError for a malformed one."""
    params: dict[str, int | float | str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not key.isidentifier():
            raise TrainError(
                f"`--set {item}` is not of the form NAME=VALUE",
                hint="for example `--set depth=2`",
            )
        params[key] = parse_value(value.strip())
    return params


def model_name(target: str) -> str:
    """A short name for `target`: the file's stem for a path, the zoo name otherwise."""
    if target.endswith(".mg") or "/" in target or "\\" in target:
        return Path(target).stem
    return target


def default_out_dir(target: str, task: str) -> Path:
    """``runs/<model>-<task>``, the default ``--out`` of a training run."""
    return Path("runs") / f"{model_name(target)}-{task}"


def _compiler(name: str) -> Any:
    import mgdsl

    function = getattr(mgdsl, name, None)
    if function is None:
        raise TrainError(
            f"this installation of mgdsl has no `mgdsl.{name}`, so it cannot build networks",
            hint="reinstall mgdsl (`pip install -e .`) from a complete checkout",
        )
    return function


def build_model(target: str, params: Mapping[str, Any], network: str | None = None) -> tuple[Any, bool]:
    """Compile `target` (an ``.mg`` path or a zoo name) with `params`.

    `network` picks one network of a file that defines several. Returns
    ``(GraphModule, residual)`` (nodes no output reads are skipped, `prune=True`) where `residual` says whether the IR contains an ``add``
    node, which picks the paper's LR rule.
    """
    from mgdsl.train.schedules import is_residual

    ir = _compiler("load")(target, network, **params)
    # grids no output reads (e.g. the coarsest grid of a layer whose next layer drops it) are
    # not computed; their parameters still exist, so checkpoints match the IR's counts
    module = _compiler("to_fx")(ir, prune=True)
    # tells DistributedDataParallel to expect parameters that never get a gradient
    module.mgdsl_unused_parameters = any(
        not d["meta"].get("live", True) and d["meta"].get("params", 0) for _, d in ir.nodes(data=True))
    return module, is_residual(ir)


def build_task(name: str, *, data_dir: str | None = None, mnist_dir: str | None = None,
               train_size: int | None = None, test_size: int | None = None,
               ten_crop: bool = False) -> Any:
    """The `mgdsl.data.tasks.Task` called `name`, reading data from the given directories
    (`ten_crop`: ImageNet's ten-crop test batches)."""
    from mgdsl.data.tasks import make_task

    return make_task(name, data_dir=data_dir, mnist_dir=mnist_dir,
                     train_size=train_size, test_size=test_size, ten_crop=ten_crop)


def launched_as_cli() -> bool:
    """True when this process is the ``mgdsl`` command (console script or ``python -m mgdsl``).

    An in-process ``main(argv)`` call from someone else's program is not: re-executing it
    would re-run that whole program.
    """
    import sys

    first = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if first is None:
        return False
    return first.name == "mgdsl" or (first.name == "__main__.py" and first.parent.name == "mgdsl")


def use_fast_allocator() -> None:
    """Preload jemalloc through `mgdsl.train.runtime.ensure_fast_allocator()`.

    It may re-execute the process with jemalloc preloaded, so it is called first thing, and
    only when the process is the ``mgdsl`` command itself (see `launched_as_cli`).
    """
    if launched_as_cli():
        from mgdsl.train.runtime import ensure_fast_allocator

        ensure_fast_allocator()
