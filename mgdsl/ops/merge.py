"""Ops that merge grids: channel concatenation and the element-wise sum."""

from __future__ import annotations

from .spec import Args, Call, OpSpec, Shape, same_shape


def _concat_shape(a: Args, ins: list[Shape]) -> Shape:
    return (sum(s[0] for s in ins),) + tuple(ins[0][1:])


def _concat(a: Args, ins: list[Shape]) -> Call:
    import torch

    return Call(torch.cat, (1,), variadic=True)


def _add(a: Args, ins: list[Shape]) -> Call:
    import operator

    return Call(operator.add)


SPECS = [
    OpSpec("concat", "channel concatenation", shape=_concat_shape, lower=_concat,
           source='torch.cat([{{ n.ins | join(", ") }}], 1)', draw="move", colour="#f0c8a0",
           joins=True, doc="Channels of grids of one size, in operand order.",
           example="concat(x, relu(x))"),
    OpSpec("add", "elementwise sum", shape=same_shape, lower=_add,
           source="{{ n.ins[0] }} + {{ n.ins[1] }}", draw="fold", colour="#b9e4d3",
           shortcut=True, joins=True, doc="`a + b`: grid by grid.",
           example="x + relu(x)"),
]
