"""Division: `a / b` of tensors (with the broadcasting of `*`), `x / v` and `v / x`."""

from __future__ import annotations

from .merge import ELEMENTWISE_DOC, OPTIONAL, _shape, _source
from .spec import Args, Call, OpSpec, Shape


def rdiv(x, value):
    """`value / x` (the fx lowering of a number divided by a tensor)."""
    return value / x


def _lower(a: Args, ins: list[Shape]) -> Call:
    import operator

    if "scalar" not in a:
        return Call(operator.truediv)
    if a.get("reverse", False):
        return Call(rdiv, (a["scalar"],))
    return Call(operator.truediv, (a["scalar"],))


DIV = OpSpec(
    "div", "element-wise quotient", shape=_shape, lower=_lower, source=_source("/"),
    draw="fold", colour="#e4d3b9", joins=True, optional=OPTIONAL,
    doc="`a / b`." + ELEMENTWISE_DOC, example="x / (sum(param(3)) + 1e-4)",
)

SPECS = [DIV]
