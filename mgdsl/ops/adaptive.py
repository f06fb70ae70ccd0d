"""Adaptive pooling: `avgpool(x, output = 6)` and `maxpool(x, output = [h, w])` give that
size at every input size (PyTorch's adaptive pools). The grid they make sits on no
pyramid level (`level` None); `upsample(y, like = x)` brings it back to x's."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Shape


def _shape(a: Args, ins: list[Shape]) -> Shape:
    return (ins[0][0], *a["output"])


def _bins(n, out: int):
    """(out, n) booleans: which of n rows fall in each of `out` adaptive-pooling bins
    (bin i spans floor(i n / out) to ceil((i + 1) n / out) - 1, as PyTorch's), from `n` as
    a 0-dim tensor so an ONNX export keeps the size symbolic."""
    import torch

    i = torch.arange(out)
    start = torch.div(i * n, out, rounding_mode="floor")
    end = torch.div((i + 1) * n + out - 1, out, rounding_mode="floor")
    j = torch.arange(n)
    return (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])


def adaptive_pool(x, output: tuple[int, int], mode: str = "avg"):
    """PyTorch's adaptive average (`mode` "avg") or max pooling of `x` to `output`.

    Eager runs call `F.adaptive_avg_pool2d` / `F.adaptive_max_pool2d`. An ONNX export
    writes the same bins with masks built from the input's size (TorchScript's exporter
    cannot export adaptive pooling to a size other than 1 with symbolic input sizes), so
    `mgdsl export --dynamic` gives the adaptive result at every size."""
    import torch
    import torch.nn.functional as F

    if not torch.onnx.is_in_onnx_export():
        fn = F.adaptive_avg_pool2d if mode == "avg" else F.adaptive_max_pool2d
        return fn(x, output)
    size = torch._shape_as_tensor(x)
    rows, cols = _bins(size[2], output[0]), _bins(size[3], output[1])
    if mode == "avg":
        rows = rows.to(x.dtype) / rows.sum(1, keepdim=True).to(x.dtype)
        cols = cols.to(x.dtype) / cols.sum(1, keepdim=True).to(x.dtype)
        return torch.matmul(torch.matmul(rows, x), cols.transpose(0, 1))
    low = torch.tensor(float("-inf"), dtype=x.dtype)
    y = torch.where(rows[:, :, None], x.unsqueeze(2), low).amax(dim=3)        # B C oh W
    return torch.where(cols, y.unsqueeze(3), low).amax(dim=4)                 # B C oh ow


def _rf(a: Args, ins: list[Shape]) -> tuple[int, Fraction]:
    """The widest bin (rows floor(i n / out) to ceil((i + 1) n / out) - 1) and the step
    between bins, along the axis where the bins are widest."""
    steps = []
    for n, out in zip(ins[0][1:], a["output"], strict=True):
        widest = max(-(-(i + 1) * n // out) - (i * n) // out for i in range(out))
        steps.append((widest, Fraction(n, out)))
    return max(steps)


def _reads(a: Args, ins: list[Shape], out: Shape, axis: int):
    """Bin i: rows floor(i n / out) to ceil((i + 1) n / out) - 1."""
    n, m = ins[0][1 + axis], a["output"][axis]
    return lambda i: (i * n // m, -(-(i + 1) * n // m) - 1)


def _lower(fn: str):
    def lower(a: Args, ins: list[Shape]) -> Call:
        return Call(adaptive_pool, (tuple(a["output"]), "avg" if "avg" in fn else "max"))

    return lower


def _source(fn: str) -> str:
    return f"F.{fn}({{{{ n.ins[0] }}}}, {{{{ n.lit.output }}}})"


SPECS = [
    OpSpec("adaptive_avgpool", "adaptive average pooling", shape=_shape,
           lower=_lower("adaptive_avg_pool2d"), rf=_rf, reads=_reads,
           source=_source("adaptive_avg_pool2d"), draw="pool", colour="#a8d5e5",
           doc="Average pooling of every grid to `output` = [h, w] (PyTorch's "
               "`adaptive_avg_pool2d`: bin i spans rows floor(i H / h) to ceil((i + 1) H / h)"
               " - 1), whatever the input size; the result sits on no level "
               "(PSPNet's pyramid pooling).",
           example="avgpool(x, output = 3)"),
    OpSpec("adaptive_maxpool", "adaptive max pooling", shape=_shape,
           lower=_lower("adaptive_max_pool2d"), rf=_rf, reads=_reads,
           source=_source("adaptive_max_pool2d"), draw="pool", colour="#a8d5e5",
           doc="Max pooling of every grid to `output` = [h, w] (PyTorch's "
               "`adaptive_max_pool2d`), whatever the input size; the result sits on no "
               "level.",
           example="maxpool(x, output = [2, 3])"),
]
