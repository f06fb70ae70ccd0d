"""The network's inputs and named outputs."""

from __future__ import annotations

from .spec import OpSpec, same_shape

SPECS = [
    OpSpec("input", "network input", shape=lambda a, i: tuple(a["shape"]),
           lower=lambda a, i: None, source="{{ n.var }}", draw="io",
           doc="`input NAME: C x H x W` declares one; its grid is level 0.",
           example="x"),
    OpSpec("output", "named network output", shape=same_shape, lower=lambda a, i: None,
           source="{{ n.ins[0] }}", draw="io",
           doc="`output NAME = expr` returns one grid or vector under NAME.",
           example="x"),
]
