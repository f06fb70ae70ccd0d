"""Learned tensors and channel ranges: `learned` (the language's `param(n, init = v)`)
and `narrow` (a range of channels: the parts of `split(x, [...])`, and `w[i]` of a
learned tensor).

A learned tensor of n scalars is a node of shape n x 1 x 1 without a level (it belongs
to no grid of the pyramid): it broadcasts against any grid as a per-channel vector, and
one of its values (`w[i]`, 1 x 1 x 1) scales a whole grid. In torch it is a
`(1, n, 1, 1)` view of an `n`-vector parameter.
"""

from __future__ import annotations

from .spec import Args, Call, Module, OpSpec, Shape


def _lower_learned(a: Args, ins: list[Shape]) -> Module:
    return Module("Learned", (a["n"],), {"init": a["init"]})


def _lower_narrow(a: Args, ins: list[Shape]) -> Call:
    import torch

    return Call(torch.narrow, (1, a["start"], a["ch"]))


LEARNED = OpSpec(
    "learned", "learned scalars", shape=lambda a, i: (a["n"], 1, 1),
    params=lambda a, i, o: a["n"], lower=_lower_learned, module=True,
    source="{{ n.mod }}()",
    source_module="Learned({{ n.lit.n }}, init={{ n.lit.init }})",
    init="every value its `init`", draw="weight", colour="#e0d0f0",
    doc="`param(n, init = v)`: n learned scalars, all starting at v (in every backend and "
        "every initialisation), as an n x 1 x 1 tensor on no level: `x * w` scales every "
        "channel (n = the channels: layer scale), `w[i] * x` every value (BiFPN's fusion "
        "weights).",
    example="x * param(4, init = 0.5)",
)

NARROW = OpSpec(
    "narrow", "a range of channels", shape=lambda a, i: (a["ch"],) + tuple(i[0][1:]),
    lower=_lower_narrow,
    source="torch.narrow({{ n.ins[0] }}, 1, {{ n.lit.start }}, {{ n.lit.ch }})",
    draw="move", colour="#dddddd",
    doc="Channels `start` to `start + ch - 1` of a grid: the parts of `split(x, [c1, c2, "
        "...])`, and `w[i]` of a learned tensor.",
    example="split(x, [1, 3])[1]",
)

SPECS = [LEARNED, NARROW]
