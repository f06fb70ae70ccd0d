"""What `mgdsl train` and `mgdsl eval` share: loading a network and checking it against the
task, building the torch module and the task, the default output directory, and the
allocator hook.

The network is loaded and checked against the task registry (`mgdsl.data.registry`)
without torch (`load_network`); `build_model` then makes the torch module. The compiler's
torch backend and the data package are imported only when called, so the CLI parser stays
light.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from mgdsl.data.registry import TASKS, fit_problem, format_shape, task_spec
from mgdsl.errors import MgError
from mgdsl.train.errors import TaskMismatchError

__all__ = [
    "model_name",
    "network_title",
    "default_out_dir",
    "load_network",
    "check_fits",
    "build_model",
    "build_task",
    "launched_as_cli",
    "use_fast_allocator",
]

def model_name(target: str) -> str:
    """A short name for `target`: the file's stem for a path, the zoo name otherwise."""
    if target.endswith(".mg") or "/" in target or "\\" in target:
        return Path(target).stem
    return target


def network_title(target: str, ir: nx.DiGraph) -> str:
    """The name results are titled by: the zoo name for a zoo target (``PMG-11-seg``), else
    the network's own name (``UNET``)."""
    from mgdsl.zoo import lookup

    if target.endswith(".mg") or Path(target).exists():
        return ir.graph["name"]
    try:
        return lookup(target).name
    except MgError:
        return ir.graph["name"]


def default_out_dir(target: str, task: str) -> Path:
    """``runs/<model>-<task>``, the default ``--out`` of a training run."""
    return Path("runs") / f"{model_name(target)}-{task}"


def load_network(target: str, params: Mapping[str, Any], network: str | None = None,
                 task: str | None = None) -> nx.DiGraph:
    """The checked IR of `target` (an ``.mg`` path or a zoo name) with `params`.

    `network` picks one network of a file that defines several. With `task`, the network's
    input and output shapes are checked against the task's (`check_fits`), before any torch
    work.
    """
    from mgdsl.compilation import Compilation, resolve_target

    path, zoo_network, zoo_params = resolve_target(target)
    ir = Compilation(path, params={**zoo_params, **params}).ir(network or zoo_network)
    if task is not None:
        check_fits(ir, task)
    return ir


def check_fits(ir: nx.DiGraph, task: str, classes: int | None = None) -> None:
    """Raise `TaskMismatchError` (E711) unless `ir` takes the task's images and gives its
    outputs.

    `classes` is the class count of the data found; None checks the paper's count, except
    for tasks whose count comes from the data (ImageNet), where only the shape's rank is
    checked until the data is read.
    """
    spec = task_spec(task)
    inputs, outputs = ir.graph["inputs"], ir.graph["outputs"]
    name = ir.graph["name"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise TaskMismatchError(
            f"network `{name}` has {len(inputs)} input(s) and {len(outputs)} output(s), but "
            f"task `{task}` feeds one image and scores one output",
            hint="train a network with one `input` and one `output`")
    in_node, out_node = ir.nodes[next(iter(inputs.values()))], ir.nodes[next(iter(outputs.values()))]
    if classes is None and spec.classes_from_data:
        classes = out_node.shape[0]
    problem = fit_problem(spec, in_node.shape, out_node.shape, classes)
    if problem is None:
        return
    if tuple(in_node.shape) != spec.input_shape:
        fitting = [t.name for t in TASKS.values() if t.input_shape == tuple(in_node.shape)]
        hint = (f"tasks with {format_shape(in_node.shape)} images: {', '.join(fitting)}"
                if fitting else
                f"declare the input as {' x '.join(map(str, spec.input_shape))} for `{task}`")
        span = in_node.span
    else:
        expected = spec.expected_output(classes)
        hint = f"make the output {format_shape(expected)}"
        if "classes" in ir.graph["params"]:
            hint += f" (for example --set classes={expected[0]})"
        span = out_node.span
    raise TaskMismatchError(f"network `{name}` does not fit task `{task}`: {problem}", span,
                            hint=hint)


def build_model(ir: nx.DiGraph, task: Any = None) -> tuple[Any, bool]:
    """The torch module of a checked IR and whether the model is residual.

    With `task` (an `mgdsl.data.tasks.Task`), the class count of its data is checked first
    (`check_fits`). Returns ``(GraphModule, residual)`` (nodes no output reads are skipped,
    `prune=True`) where `residual` says whether the IR contains an ``add`` node, which
    picks the paper's LR rule.
    """
    from mgdsl.codegen.fx import to_fx
    from mgdsl.train.schedules import is_residual

    if task is not None:
        check_fits(ir, task.name, classes=task.num_outputs)
    # grids no output reads (e.g. the coarsest grid of a layer whose next layer drops it) are
    # not computed; their parameters still exist, so checkpoints match the IR's counts
    module = to_fx(ir, prune=True)
    # tells DistributedDataParallel to expect parameters that never get a gradient
    module.mgdsl_unused_parameters = any(
        d.meta.live is False and (d.meta.params or 0) for _, d in ir.nodes(data=True))
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
