"""Reductions that keep a grid: the mean, sum or maximum over the channels (a
1 x H x W grid) or over the positions (a C x 1 x 1 grid) of every grid.

The language spells them `mean(x, over = ...)`, `sum(x, over = ...)` and
`max(x, over = ...)` (`mgdsl.elab.tensor_ops`); `max` and `min` of numbers stay as
they are. Reductions count 0 MACs, as every element-wise op does.
"""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Shape

FUNCTIONS = ("mean", "sum", "max")
OVER = ("channels", "space")

# the torch function of each reduction (`max` keeping its dims is `amax`)
_TORCH = {"mean": "mean", "sum": "sum", "max": "amax"}


def _dims(over: str) -> int | tuple[int, int]:
    return 1 if over == "channels" else (2, 3)


def _shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    return (1, h, w) if a["over"] == "channels" else (c, 1, 1)


def _lower(a: Args, ins: list[Shape]) -> Call:
    import torch

    return Call(getattr(torch, _TORCH[a["fn"]]), (), {"dim": _dims(a["over"]), "keepdim": True})


REDUCE = OpSpec(
    "reduce", "mean, sum or max over channels or space", shape=_shape, lower=_lower,
    rf=lambda a: (1, Fraction(1)) if a["over"] == "channels" else (None, Fraction(1)),
    source=("torch.{{ {'\"mean\"': 'mean', '\"sum\"': 'sum', '\"max\"': 'amax'}[n.lit.fn] }}"
            "({{ n.ins[0] }}, dim={{ '1' if n.lit.over == '\"channels\"' else '(2, 3)' }}, "
            "keepdim=True)"),
    draw="fold", colour="#f6e3a1",
    doc='The mean, sum or maximum (`fn`) of every grid over its channels (`over = '
        '"channels"`: a 1 x H x W grid, CBAM\'s spatial attention maps) or over its '
        'positions (`over = "space"`: a C x 1 x 1 grid, on the same level); of a learned '
        "tensor, over its values.",
    example='mean(x, over = "channels")',
)

SPECS = [REDUCE]
