"""The ONNX backend: a checked IR -> an `.onnx` file, through `torch.onnx.export`.

The network is compiled with `mgdsl.codegen.fx` (paper initialisation, eval mode) and
exported by the TorchScript-based exporter (`dynamo=False`): it is an order of magnitude
faster than the dynamo exporter on these graphs and keeps spatial sizes symbolic with
`dynamic_axes`. Inputs and outputs keep the network's names; the batch axis is always
dynamic, and with `dynamic=True` so are the height and width of every input (export
refuses when the network checks at no other size, see `another_size`). The declared
shapes of the inputs and outputs are the IR's, not what the exporter's own shape
inference kept (it loses them after a resize to another tensor's size): channels and
every size the network fixes are numbers; the batch axis is `batch`; with `dynamic`, an
image input's height and width are `height` and `width` (`NAME_height` when there are
several image inputs), and an output's spatial axis that follows them is named by how
(`height`, `height/4`, `width*2`), read off the IR at two input sizes. The file is
checked with `onnx.checker` (full check, with shape inference) before it is written.

`verify(path, ir, ...)` runs the file in onnxruntime and compares it with the fx module
(both against the module in float64, beside PyTorch's own float32 error).
"""

from __future__ import annotations

import copy
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import torch

from mgdsl.atomic import write_atomic
from mgdsl.errors import MgError

__all__ = ["OnnxExport", "export_onnx", "verify", "Verification", "example_inputs", "another_size",
           "declared_shapes", "MgExportError", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17
INSTALL_HINT = "install the exporter's packages: pip install 'mgdsl[export]' " \
               "(onnx, onnxscript, onnxruntime)"


class MgExportError(MgError):
    """The network cannot be exported to ONNX (E940), or not with dynamic sizes (E941)."""

    code = "E940"


@dataclass
class OnnxExport:
    """What `export_onnx` wrote: the file, its inputs/outputs with their ONNX shapes
    (symbolic axes as names), the opset, and the exported module (for `verify`)."""

    path: Path
    inputs: dict[str, list[int | str]]
    outputs: dict[str, list[int | str]]
    opset: int
    size: int
    dynamic: bool
    module: Any = field(repr=False, default=None)


def _require(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise MgExportError(f"exporting to ONNX needs the `{name}` package, which is not "
                            "installed", code="E940", hint=INSTALL_HINT) from None


def example_inputs(ir: nx.DiGraph, batch: int = 1, seed: int = 0,
                   sizes: dict[str, tuple[int, ...]] | None = None) -> dict[str, torch.Tensor]:
    """Random inputs for every network input (its declared shape, or `sizes[name]`)."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, node in ir.graph["inputs"].items():
        shape = tuple((sizes or {}).get(name) or ir.nodes[node].shape)
        out[name] = torch.randn((batch, *shape), generator=gen)
    return out


def another_size(ir: nx.DiGraph, source: Any = None) -> dict[str, tuple[int, ...]] | None:
    """Input sizes other than the declared ones at which the network checks, or None
    (see `resized`)."""
    found = resized(ir, source, count=1)
    return found[0][0] if found else None


def resized(ir: nx.DiGraph, source: Any = None, count: int = 2,
            steps: tuple[int, ...] = (32, 16, 8, 64, 4)
            ) -> list[tuple[dict[str, tuple[int, ...]], nx.DiGraph]]:
    """Up to `count` input sizes other than the declared ones at which the network
    checks, each with the IR built at it (none: an empty list); tried in the order of
    `steps` (see below).

    Tries each image input grown by `d` rows and `2d` columns, for each `d` of `steps`
    (the grid of a pyramid input on level l by `d / 2^l` and `2d / 2^l`; keeping the aspect
    different from the declared one catches height/width mix-ups);
    the network is rebuilt from `source` (a path, zoo name or text; default: the file the
    IR came from) with the IR's parameters, and checked as `mgdsl check --input` would.
    """
    from mgdsl.compilation import Compilation, load_program, resolve_target

    source = ir.graph["file"] if source is None else source
    if isinstance(source, str) and source.startswith("<"):
        return []
    try:
        if isinstance(source, str) and "\n" in source:
            program = source
        else:
            program = load_program(resolve_target(source)[0])
    except MgError:
        return []
    shapes = {name: ir.nodes[node].shape for name, node in ir.graph["inputs"].items()}
    # the grid of a pyramid input on level l grows by d / 2^l, so the grids still halve
    levels = {name: ir.nodes[node].level or 0 for name, node in ir.graph["inputs"].items()}
    found: list[tuple[dict[str, tuple[int, ...]], nx.DiGraph]] = []
    for d in steps:
        sizes = {name: (s[0], s[1] + (d >> levels[name]), s[2] + (2 * d >> levels[name]))
                 if len(s) == 3 else tuple(s) for name, s in shapes.items()}
        if sizes == shapes:
            return []
        try:
            other = Compilation(program, params=ir.graph.get("params", {}),
                                inputs=sizes).ir(ir.graph["name"])
        except MgError:
            continue
        found.append((sizes, other))
        if len(found) == count:
            break
    return found


def _opset_range() -> tuple[int, int]:
    """The opsets the TorchScript exporter of this torch can write."""
    from torch.onnx import _constants

    high = getattr(_constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", _constants.ONNX_MAX_OPSET)
    return _constants.ONNX_MIN_OPSET, high


def _shape(value_info) -> list[int | str]:
    dims = value_info.type.tensor_type.shape.dim
    return [d.dim_param if d.dim_param else d.dim_value for d in dims]


def _follow(sizes: list[int], bases: list[int], name: str) -> str | None:
    """How an output axis (its `sizes` at each input size) follows an input axis named
    `name` (its `bases`): `name`, `name/4`, `name*2`; None if it does not."""
    from fractions import Fraction

    ratio = Fraction(sizes[0], bases[0])
    if any(b * ratio != s for s, b in zip(sizes, bases, strict=True)):
        return None
    if ratio == 1:
        return name
    if ratio.numerator == 1:
        return f"{name}/{ratio.denominator}"
    if ratio.denominator == 1:
        return f"{name}*{ratio.numerator}"
    return f"{name}*{ratio.numerator}/{ratio.denominator}"


def declared_shapes(ir: nx.DiGraph, others: list[nx.DiGraph] = ()
                    ) -> tuple[dict[str, list[int | str]], dict[str, list[int | str]]]:
    """The ONNX shapes of the inputs and outputs of `ir`, batch axis first: static
    from the IR, or (given `others`, the IR at other input sizes, two for a sound
    reading) with the spatial axes that change named after the input axes they follow
    (see the module docstring)."""
    graphs = [ir, *others]

    def sizes(kind: str, name: str, axis: int) -> list[int]:
        return [g.nodes[g.graph[kind][name]].shape[axis] for g in graphs]

    images = [n for n, v in ir.graph["inputs"].items() if len(ir.nodes[v].shape) == 3]
    axes: dict[str, list[int | str]] = {}
    named: list[tuple[str, list[int]]] = []  # (axis name, its size in each graph)
    for name, node in ir.graph["inputs"].items():
        shape: list[int | str] = list(ir.nodes[node].shape)
        if others and name in images:
            prefix = f"{name}_" if len(images) > 1 else ""
            for axis, word in ((1, "height"), (2, "width")):
                if len(set(sizes("inputs", name, axis))) > 1:
                    named.append((prefix + word, sizes("inputs", name, axis)))
                    shape[axis] = prefix + word
        axes[name] = ["batch", *shape]
    outputs: dict[str, list[int | str]] = {}
    for name, node in ir.graph["outputs"].items():
        shape = list(ir.nodes[node].shape)
        for axis in range(1, len(shape) if others else 0):
            along = sizes("outputs", name, axis)
            if len(set(along)) > 1:
                found = [f for word, bases in named
                         if (f := _follow(along, bases, word)) is not None]
                # prefer the input axis of the same direction (height for rows), and
                # among those one the axis equals: a pyramid input's coarse grid
                # (`p_4_height`) rather than `p_0_height/16`, which the probe sizes
                # cannot tell apart but which differs where the backbone rounds up
                same = sorted((f for f in found if ("height" in f) == (axis == 1)),
                              key=lambda f: any(c in f for c in "*/"))
                shape[axis] = (same or found or [f"{name}_{('height', 'width')[axis - 1]}"])[0]
        outputs[name] = ["batch", *shape]
    return axes, outputs


def _declare(model: Any, shapes: dict[str, list[int | str]]) -> None:
    """Write `shapes` over the declared shapes of the graph's inputs and outputs."""
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name not in shapes:
            continue
        dims = value.type.tensor_type.shape.dim
        for dim, want in zip(dims, shapes[value.name], strict=True):
            if isinstance(want, str):
                dim.dim_param = want
            else:
                dim.dim_value = want


def export_onnx(ir: nx.DiGraph, path: str | Path, *, dynamic: bool = False,
                opset: int = DEFAULT_OPSET, module: torch.nn.Module | None = None,
                source: Any = None) -> OnnxExport:
    """Export checked `ir` (or an already compiled `module` of it) to ONNX file `path`.

    The batch axis is dynamic; with `dynamic`, the spatial axes of every input too —
    refused (E941) when the network checks at no other size (see `another_size`, which
    rebuilds it from `source`). The file is written atomically, after `onnx.checker`
    accepted it.
    """
    onnx = _require("onnx")
    low, high = _opset_range()
    if not low <= opset <= high:
        raise MgExportError(f"opset {opset} cannot be written by this torch's ONNX exporter",
                            hint=f"choose an opset from {low} to {high} (default "
                                 f"{DEFAULT_OPSET})")
    # three other sizes, the largest first: an axis that rounds (a stride-2 conv on a
    # 7-pixel grid) can keep its size over a small change and still not be fixed
    others = [g for _, g in resized(ir, source, 3, (64, 32, 16, 8, 4))] if dynamic else []
    if dynamic and not others:
        raise MgExportError(f"`{ir.graph['name']}` checks only at its declared input size, so "
                            "its height and width cannot be dynamic", code="E941",
                            hint="export without --dynamic (the batch stays dynamic), or "
                                 "`mgdsl check FILE --input NAME=CxHxW` to see why")
    _require("onnxscript")  # torch.onnx needs it even for the TorchScript exporter
    if module is None:
        from mgdsl.codegen.fx import to_fx

        module = to_fx(ir)
    module = module.eval()
    inputs = example_inputs(ir)
    input_names = list(inputs)
    output_names = list(ir.graph["outputs"])
    in_shapes, out_shapes = declared_shapes(ir, others)
    declared = {**in_shapes, **out_shapes}
    axes = {name: {i: d for i, d in enumerate(shape) if isinstance(d, str)}
            for name, shape in declared.items()}
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, tuple(inputs.values()), buffer, dynamo=False,
                              input_names=input_names, output_names=output_names,
                              dynamic_axes=axes, opset_version=opset)
    except MgError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch's exporter raises many kinds
        raise MgExportError(f"torch.onnx.export failed: {str(exc).splitlines()[0][:300]}",
                            hint="please report it with the network that fails") from None
    model = onnx.load_from_string(buffer.getvalue())
    _declare(model, declared)
    data = model.SerializeToString()
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise MgExportError(f"the exported model fails onnx.checker: {str(exc)[:300]}",
                            code="E940", hint="please report it") from None
    written = write_atomic(path, data)
    return OnnxExport(
        path=written, opset=opset, size=len(data), dynamic=dynamic, module=module,
        inputs={v.name: _shape(v) for v in model.graph.input},
        outputs={v.name: _shape(v) for v in model.graph.output},
    )


@dataclass(frozen=True)
class Verification:
    """How far onnxruntime's outputs are from the fx module's, both measured against the
    fx module run in float64: `onnx` for onnxruntime, `torch32` for PyTorch's own float32
    run, each the largest difference of any output, relative to that output's largest
    magnitude when it exceeds 1. Untrained deep networks amplify rounding: R-PMG-20 at its
    initialisation is 7e-4 off float64 in PyTorch's own float32, so a float32 runtime that
    sums in another order cannot be held to 1e-4 of PyTorch's float32 output."""

    onnx: float
    torch32: float

    def within(self, tolerance: float) -> bool:
        """onnxruntime is as close to float64 as `tolerance` plus twice PyTorch's own
        float32 error allows."""
        return self.onnx <= tolerance + 2 * self.torch32


def _largest_difference(want: dict[str, Any], got: list[Any]) -> float:
    worst = 0.0
    for (name, expected), actual in zip(want.items(), got, strict=True):
        expected = expected.numpy()
        if expected.shape != actual.shape:
            raise MgExportError(f"output `{name}` has shape {actual.shape} in onnxruntime but "
                                f"{expected.shape} in torch", code="E940")
        scale = max(1.0, float(abs(expected).max(initial=0.0)))
        worst = max(worst, float(abs(expected - actual).max(initial=0.0)) / scale)
    return worst


def _run(module: torch.nn.Module, ir: nx.DiGraph, inputs: dict[str, torch.Tensor]
         ) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        out = module.eval()(*inputs.values())
    if isinstance(out, torch.Tensor):
        out = {next(iter(ir.graph["outputs"])): out}
    return out


def verify(path: str | Path, ir: nx.DiGraph, module: torch.nn.Module, *, batch: int = 2,
           sizes: dict[str, tuple[int, ...]] | None = None, seed: int = 0) -> Verification:
    """Run ONNX file `path` in onnxruntime and the fx `module` (in float32 and in a float64
    copy) on the same random inputs (declared shapes, or `sizes`); see `Verification`."""
    ort = _require("onnxruntime")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    inputs = example_inputs(ir, batch=batch, seed=seed, sizes=sizes)
    got = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    exact = _run(copy.deepcopy(module).double(), ir, {k: v.double() for k, v in inputs.items()})
    float32 = [v.double().numpy() for v in _run(module, ir, inputs).values()]
    return Verification(_largest_difference(exact, got), _largest_difference(exact, float32))
