"""Ops that merge grids: channel concatenation and the element-wise `+`, `-`, `*`."""

from __future__ import annotations

from .spec import Args, Call, OpSpec, Param, Shape


def _concat_shape(a: Args, ins: list[Shape]) -> Shape:
    return (sum(s[0] for s in ins),) + tuple(ins[0][1:])


def _concat(a: Args, ins: list[Shape]) -> Call:
    import torch

    return Call(torch.cat, (1,), variadic=True)


def broadcast_shape(a: Args, ins: list[Shape]) -> Shape | None:
    """The shape of an element-wise op of grids: dimension by dimension equal, or 1 on
    one side (a one-channel grid gates every channel, a 1 x 1 grid scales every
    position); None when the shapes do not broadcast. One input: a scalar side."""
    if len(ins) == 1:
        return ins[0]
    x, y = ins
    if len(x) != len(y):
        return None
    out = []
    for p, q in zip(x, y, strict=True):
        if p != q and 1 not in (p, q):
            return None
        out.append(max(p, q))
    return tuple(out)


def _shape(a: Args, ins: list[Shape]) -> Shape:
    shape = broadcast_shape(a, ins)
    if shape is None:
        raise ValueError(f"shapes {ins} do not broadcast")
    return shape


def _binary(fn: str, reverse: str):
    def lower(a: Args, ins: list[Shape]) -> Call:
        import operator

        import torch

        if "scalar" not in a:
            return Call(getattr(operator, fn))
        if a.get("reverse", False):
            return Call(getattr(torch, reverse), (a["scalar"],))
        return Call(getattr(operator, fn), (a["scalar"],))

    return lower


def _source(sym: str) -> str:
    return ("{% if n.lit.get('reverse') == 'True' %}{{ n.lit.scalar }} " + sym + " {{ n.ins[0] }}"
            "{% elif 'scalar' in n.lit %}{{ n.ins[0] }} " + sym + " {{ n.lit.scalar }}"
            "{% else %}{{ n.ins[0] }} " + sym + " {{ n.ins[1] }}{% endif %}")


ELEMENTWISE_DOC = (" Grid by grid; a one-channel or 1 x 1 side is broadcast (gating), and a "
                   "number applies to every value. Counts 0 MACs (only weight layers do).")
OPTIONAL = {"reverse": False}

SPECS = [
    OpSpec("concat", "channel concatenation", shape=_concat_shape, lower=_concat,
           source='torch.cat([{{ n.ins | join(", ") }}], 1)', draw="move", colour="#f0c8a0",
           joins=True, doc="Channels of grids of one size, in operand order.",
           example="concat(x, relu(x))", own_applier=True,
           builtin=(Param("xs", kind="tensor", variadic=True,
                          doc="the grids or pyramids to join, in order"),),
           builtin_doc="concatenate channels level by level; a grid whose level has no "
                       "partner passes through, so the result covers every level of the "
                       "operands.",
           shape_doc="per level, the channels summed; a grid alone on its level passes through"),
    OpSpec("add", "element-wise sum", shape=_shape, lower=_binary("add", "add"),
           source=_source("+"), draw="fold", colour="#b9e4d3", shortcut=True, joins=True,
           optional=OPTIONAL, doc="`a + b`." + ELEMENTWISE_DOC, example="x + relu(x)"),
    OpSpec("sub", "element-wise difference", shape=_shape, lower=_binary("sub", "rsub"),
           source=_source("-"), draw="fold", colour="#b9e4d3", joins=True, optional=OPTIONAL,
           doc="`a - b`." + ELEMENTWISE_DOC, example="x - relu(x)"),
    OpSpec("mul", "element-wise product", shape=_shape, lower=_binary("mul", "mul"),
           source=_source("*"), draw="fold", colour="#e4d3b9", joins=True, optional=OPTIONAL,
           doc="`a * b`." + ELEMENTWISE_DOC, example="x * sigmoid(conv(x, 1, 1))"),
]
