"""Vectors: `flatten` and the fully connected `linear` layer."""

from __future__ import annotations

import math
from fractions import Fraction

from .spec import Args, Call, Module, OpSpec, Param, Shape


def _flatten(a: Args, ins: list[Shape]) -> Call:
    import torch

    return Call(torch.flatten, (1,))


def _linear(a: Args, ins: list[Shape]) -> Module:
    return Module("Linear", (ins[0][0], a["out"]), {"bias": a["bias"], "bias_init": a["bias_init"]})


SPECS = [
    OpSpec("flatten", "flatten to a vector", shape=lambda a, i: (math.prod(i[0]),),
           rf=lambda a: (None, Fraction(1)), lower=_flatten,
           source="torch.flatten({{ n.ins[0] }}, 1)", draw="move",
           doc="A C x H x W grid as a vector of C*H*W values.",
           example="flatten(x)", own_applier=True,
           builtin=(Param("x", kind="grids", doc="a grid, or a pyramid (one vector per grid)"),),
           builtin_doc="a grid to a vector of C*H*W values.",
           shape_doc="a vector of C·H·W values"),
    OpSpec(
        "linear", "fully connected layer", shape=lambda a, i: (a["out"],),
        params=lambda a, i, o: i[0][0] * a["out"] + (a["out"] if a["bias"] else 0),
        macs=lambda a, i, o: i[0][0] * a["out"], rf=lambda a: (None, Fraction(1)),
        weight_layer=True, lower=_linear, module=True, source="{{ n.mod }}({{ n.ins[0] }})",
        source_module=(
            "Linear({{ n.cin }}, {{ n.lit.out }}"
            "{% if n.lit.bias != 'True' %}, bias=False{% endif %}"
            "{% if n.lit.bias_init != '\"uniform\"' %}, bias_init={{ n.lit.bias_init }}"
            "{% endif %})"),
        init="weight U(+-1/sqrt(fan_in)), bias 0 (`zero`) or U(+-1/sqrt(fan_in))",
        draw="layer", colour="#c9b3e6", doc="A fully connected layer on a vector.",
        example="linear(flatten(x), 5)", own_applier=True,
        builtin=(Param("x", kind="tensor", doc="one vector (from `flatten`)"),
                 Param("n", kind="int", doc="the output size"),
                 Param("bias", True, "bool", "whether the layer adds a learned bias"),
                 Param("bias_init", "uniform", "choice", 'the initial bias: U(+-1/sqrt(fan_in)) '
                                                         '("uniform") or 0 ("zero")',
                       choices=("uniform", "zero"))),
        shape_doc="a vector of `n` values"),
]
