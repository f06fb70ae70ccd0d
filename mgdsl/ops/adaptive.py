"""Adaptive pooling: `avgpool(x, output = 6)` and `maxpool(x, output = [h, w])` give that
size at every input size (PyTorch's adaptive pools). The grid they make sits on no
pyramid level (`level` None); `upsample(y, like = x)` brings it back to x's."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Shape


def _shape(a: Args, ins: list[Shape]) -> Shape:
    return (ins[0][0], *a["output"])


def _lower(fn: str):
    def lower(a: Args, ins: list[Shape]) -> Call:
        import torch.nn.functional as F

        return Call(getattr(F, fn), (tuple(a["output"]),))

    return lower


def _source(fn: str) -> str:
    return f"F.{fn}({{{{ n.ins[0] }}}}, {{{{ n.lit.output }}}})"


SPECS = [
    OpSpec("adaptive_avgpool", "adaptive average pooling", shape=_shape,
           lower=_lower("adaptive_avg_pool2d"), rf=lambda a: (None, Fraction(1)),
           source=_source("adaptive_avg_pool2d"), draw="pool", colour="#a8d5e5",
           doc="Average pooling of every grid to `output` = [h, w] (PyTorch's "
               "`adaptive_avg_pool2d`: bin i spans rows floor(i H / h) to ceil((i + 1) H / h)"
               " - 1), whatever the input size; the result sits on no level "
               "(PSPNet's pyramid pooling).",
           example="avgpool(x, output = 3)"),
    OpSpec("adaptive_maxpool", "adaptive max pooling", shape=_shape,
           lower=_lower("adaptive_max_pool2d"), rf=lambda a: (None, Fraction(1)),
           source=_source("adaptive_max_pool2d"), draw="pool", colour="#a8d5e5",
           doc="Max pooling of every grid to `output` = [h, w] (PyTorch's "
               "`adaptive_max_pool2d`), whatever the input size; the result sits on no "
               "level.",
           example="maxpool(x, output = [2, 3])"),
]
